package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	fakeapi "github.com/loadgen/loadgen/examples/fake-api"
)

// newDemoTargetCmd serves the fake API (examples/fake-api): the original
// tool's demo service, with the demo target behind it for the other paths.
func newDemoTargetCmd() *cobra.Command {
	addr := "127.0.0.1:8080"
	var opts fakeapi.Options
	cmd := &cobra.Command{
		Use:   "demo-target",
		Short: "Serve the fake API demo target (orders, payments, users, ...; loopback only) until interrupted",
		Long: `Serves the demo fake API: the original tool's fake-api-service endpoints (login, orders, cart,
payments, users, products, inventory, analytics, search, notifications, files, reports, cache,
batch, data/heavy, cpu/intensive, health, stats) with their latency ranges and error injection,
plus the paths of 'loadgen demo'. The environment (RESPONSE_DELAY_MIN, RESPONSE_DELAY_MAX,
ERROR_RATE, RANDOM_SEED, LATENCY_SCALE) sets the defaults the flags override. GET /stats
shows the counters, the configuration and the endpoint catalogue.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.Validate(); err != nil {
				return exitWith(exitUsage, err)
			}
			if err := fakeapi.CheckAddr(addr, opts.AllowNonLoopback); err != nil {
				return exitWith(exitUsage, err)
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			// Not ctx: a signal ends the wait below, then the server
			// shuts down gracefully.
			url, shutdown, err := fakeapi.Start(context.Background(), addr, opts)
			if err != nil {
				return exitWith(exitRuntime, err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), "demo target (fake API) listening on", url)
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := shutdown(sctx); err != nil {
				return exitWith(exitRuntime, fmt.Errorf("shutdown: %w", err))
			}
			return nil
		},
	}
	env, err := fakeapi.OptionsFromEnv(os.Getenv)
	if err != nil {
		// A bad environment value is reported when the command runs.
		cmd.PreRunE = func(*cobra.Command, []string) error { return exitWith(exitUsage, err) }
		env = fakeapi.DefaultOptions()
	}
	opts = env
	gfs := flag.NewFlagSet("demo-target", flag.ContinueOnError)
	opts.RegisterFlags(gfs)
	cmd.Flags().AddGoFlagSet(gfs)
	cmd.Flags().StringVar(&addr, "addr", addr, "listen address (loopback unless --allow-non-loopback)")
	return cmd
}
