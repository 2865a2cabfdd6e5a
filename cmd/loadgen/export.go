package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/loadgen/loadgen/compiler"
	"github.com/loadgen/loadgen/compiler/dslexport"
	"github.com/loadgen/loadgen/compiler/jmx"
	"github.com/loadgen/loadgen/compiler/jmxexport"
	"github.com/loadgen/loadgen/planspec"
)

func newExportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export a plan to JMeter: a jmeter-java-dsl Maven project or a .jmx",
	}
	var target, out string
	jmeter := &cobra.Command{
		Use:   "jmeter PLAN --out DIR",
		Short: "Write a jmeter-java-dsl 2.2 Maven project mirroring the plan (run it with mvn test)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return exitWith(exitUsage, fmt.Errorf("--out DIR is required"))
			}
			p, err := loadPlan(args[0], target, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			warnings, err := dslexport.Export(p, out, dslexport.Options{})
			if err != nil {
				return exitWith(exitRuntime, fmt.Errorf("export %s: %w", args[0], err))
			}
			printWarnings(cmd.ErrOrStderr(), p, warnings)
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (run: cd %s && mvn test -D%s=%s)\n", out, out, compiler.TargetProperty, targetHint(p))
			return nil
		},
	}
	jmeter.Flags().StringVar(&out, "out", "", "project directory to write")
	jmeter.Flags().StringVar(&target, "target", "", "default target URL (overrides the plan's)")

	var jmxOut, jmxTarget string
	jmxCmd := &cobra.Command{
		Use:   "jmx PLAN -o FILE.jmx",
		Short: "Write a JMeter 5.6.3 test plan (.jmx) mirroring the plan",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := loadPlan(args[0], jmxTarget, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return exportJMX(cmd, p, jmxOut)
		},
	}
	jmxCmd.Flags().StringVarP(&jmxOut, "out", "o", "", "file to write (default: standard output)")
	jmxCmd.Flags().StringVar(&jmxTarget, "target", "", "default target URL (overrides the plan's)")
	cmd.AddCommand(jmeter, jmxCmd)
	return cmd
}

func exportJMX(cmd *cobra.Command, p *planspec.Plan, out string) error {
	opts := jmxexport.Options{}
	if out != "" && out != "-" {
		// JMeter resolves a CSV path against the .jmx's directory.
		jmxDir, _ := filepath.Abs(filepath.Dir(out))
		opts.CSVPath = func(file string) string {
			abs := file
			if !filepath.IsAbs(abs) {
				abs = filepath.Join(p.Dir, file)
			}
			abs, _ = filepath.Abs(abs)
			if rel, err := filepath.Rel(jmxDir, abs); err == nil {
				return filepath.ToSlash(rel)
			}
			return file
		}
	}
	doc, warnings, err := jmxexport.Export(p, opts)
	if err != nil {
		return exitWith(exitRuntime, fmt.Errorf("export %s: %w", p.File, err))
	}
	var buf bytes.Buffer
	if err := jmx.Encode(&buf, doc); err != nil {
		return exitWith(exitRuntime, err)
	}
	printWarnings(cmd.ErrOrStderr(), p, warnings)
	if out == "" || out == "-" {
		_, err = cmd.OutOrStdout().Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return exitWith(exitRuntime, err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (run: jmeter -n -t %s -l results.jtl -J%s=%s)\n", out, out, compiler.TargetProperty, targetHint(p))
	return nil
}

func targetHint(p *planspec.Plan) string {
	if t := compiler.TargetDefault(p); t != "" {
		return t
	}
	return "http://host:port"
}

// printWarnings prints what the export could not express, at the plan's
// source positions.
func printWarnings(w io.Writer, p *planspec.Plan, warnings []compiler.Warning) {
	for _, wn := range warnings {
		pos := p.Pos.Lookup(wn.Where)
		fmt.Fprintf(w, "%s:%d:%d: warning: %s (%s)\n", p.File, pos.Line, pos.Col, wn.Msg, wn.Where)
	}
}
