package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/loadgen/loadgen/compiler/jmximport"
)

// newImportCmd is `loadgen import`: converters from other tools' test
// plans into loadgen plans.
func newImportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Convert test plans of other tools into loadgen plans",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return exitWith(exitUsage, errors.New("import needs a format, as in: loadgen import jmx FILE.jmx -o PLAN.yaml"))
		},
	}
	cmd.AddCommand(newImportJMXCmd())
	return cmd
}

// newImportJMXCmd is `loadgen import jmx FILE.jmx [-o PLAN.yaml] [--target URL]`.
// It prints the import report to stderr, one line per element
// (file:line:col: element path: severity: message), writes the plan to -o
// (stdout when absent or "-") and the converted CSV files next to it.
// Exit codes: 0 imported (even with warnings); 2 bad input (unreadable or
// malformed .jmx, not a JMeter plan, nothing importable, bad --target);
// 1 the output cannot be written.
func newImportJMXCmd() *cobra.Command {
	var out, target string
	cmd := &cobra.Command{
		Use:   "jmx FILE.jmx",
		Short: "Convert an Apache JMeter test plan (.jmx) into a plan; report what could not be converted",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			stderr := cmd.ErrOrStderr()
			in := args[0]
			src, err := os.ReadFile(in)
			if err != nil {
				return exitWith(exitUsage, fmt.Errorf("reading the test plan: %w", err))
			}
			if target != "" {
				if u, err := url.Parse(target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return exitWith(exitUsage, fmt.Errorf("--target %q: want an absolute http:// or https:// URL such as http://127.0.0.1:8080", target))
				}
			}
			toStdout := out == "" || out == "-"
			planDir := "."
			if !toStdout {
				planDir = filepath.Dir(out)
			}
			res, err := jmximport.Import(src, in, jmximport.Options{Target: target, Dir: filepath.Dir(in), PlanDir: planDir})
			if err != nil {
				var ie *jmximport.InputError
				if errors.As(err, &ie) {
					return exitWith(exitUsage, err)
				}
				return exitWith(exitRuntime, err)
			}
			for _, is := range res.Report() {
				fmt.Fprintln(stderr, is.String())
			}
			for _, f := range res.Files {
				p := filepath.Join(planDir, filepath.FromSlash(f.Name))
				if err := os.WriteFile(p, f.Data, 0o644); err != nil {
					return exitWith(exitRuntime, fmt.Errorf("writing data file: %w", err))
				}
				fmt.Fprintf(stderr, "wrote %s (converted from %s)\n", p, f.Source)
			}
			if toStdout {
				if _, err := cmd.OutOrStdout().Write(res.YAML); err != nil {
					return exitWith(exitRuntime, fmt.Errorf("writing the plan: %w", err))
				}
			} else if err := os.WriteFile(out, res.YAML, 0o644); err != nil {
				return exitWith(exitRuntime, fmt.Errorf("writing the plan: %w", err))
			}
			dest := out
			if toStdout {
				dest = "stdout"
			}
			fmt.Fprintf(stderr, "%s: imported %d scenario(s), %d step(s) into %s; %d warning(s), %d unsupported element(s), %d disabled element(s) skipped\n",
				in, len(res.Plan.Scenarios), len(res.Plan.AllSteps()), dest, len(res.Warnings), len(res.Unsupported), len(res.Skipped))
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", `plan file to write ("-" or absent: stdout)`)
	cmd.Flags().StringVar(&target, "target", "", "origin every request and host name of the plan is rewritten to (e.g. http://127.0.0.1:8080)")
	return cmd
}
