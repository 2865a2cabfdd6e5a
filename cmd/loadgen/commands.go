package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/loadgen/loadgen/examples/demo"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/planspec"
)

func newValidateCmd() *cobra.Command {
	var target string
	cmd := &cobra.Command{
		Use:   "validate PLAN...",
		Short: "Check plans; print every error as file:line:col: message (exit 0 or 2)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			bad := 0
			for _, path := range args {
				p, err := loadPlan(path, target, cmd.ErrOrStderr())
				if err != nil {
					var ee *exitError
					if errors.As(err, &ee) && ee.err != nil {
						fmt.Fprintln(cmd.ErrOrStderr(), "loadgen:", ee.err)
					}
					bad++
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (%d scenarios, %d steps)\n", path, len(p.Scenarios), len(p.AllSteps()))
			}
			if bad > 0 {
				return exitWith(exitUsage, nil)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "base URL overriding the plan's target")
	return cmd
}

func newSchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the plan format (for editor autocompletion)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(append(planspec.Schema(), '\n'))
			return err
		},
	}
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the loadgen version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "loadgen", loadgen.Version)
		},
	}
}

func newDemoCmd() *cobra.Command {
	var addr string
	var opts demo.Options
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Serve the demo target (loopback only) until interrupted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			url, shutdown, err := demo.Start(ctx, addr, opts)
			if err != nil {
				return exitWith(exitRuntime, err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), "demo target listening on", url)
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return shutdown(sctx)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "listen address (loopback)")
	cmd.Flags().DurationVar(&opts.Stall, "stall", 0, "stall every request for this long...")
	cmd.Flags().DurationVar(&opts.StallEvery, "stall-every", 10*time.Second, "...once per this period")
	cmd.Flags().DurationVar(&opts.Latency, "latency", 0, "fixed latency added to API requests")
	return cmd
}
