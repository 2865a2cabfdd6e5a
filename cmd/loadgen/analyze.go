package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/loadgen/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/planspec"
)

// Output names of the analysis commands.
const (
	analysisFile   = "results_analysis.json"
	reportFile     = "report.html"
	comparisonFile = "comparison.html"
)

type analyzeFlags struct {
	hlog      string
	nfr       string
	plan      string
	out       string
	satisfied float64
	tolerated float64
	title     string
}

func (f *analyzeFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.hlog, "hlog", "", "HdrHistogram log for exact percentiles (default: latency.hlog beside the JTL)")
	fl.StringVar(&f.nfr, "nfr", "", "NFR file to check (response_time_p95: 500ms, throughput: 1000rps, ...)")
	fl.StringVar(&f.plan, "plan", "", "plan whose thresholds are checked as NFRs")
	fl.StringVarP(&f.out, "out", "o", "", "output folder (default: beside the input)")
	fl.Float64Var(&f.satisfied, "apdex-satisfied", 500, "APDEX satisfied threshold in ms")
	fl.Float64Var(&f.tolerated, "apdex-tolerated", 1500, "APDEX tolerated threshold in ms")
}

// analysisInput resolves RUN_DIR|FILE.jtl to the JTL, HDR log and output folder.
func (f *analyzeFlags) resolve(arg string) (jtl, hlog, out string, err error) {
	st, err := os.Stat(arg)
	if err != nil {
		return "", "", "", err
	}
	jtl, dir := arg, filepath.Dir(arg)
	if st.IsDir() {
		jtl, dir = filepath.Join(arg, results.JTLName), arg
	}
	hlog = f.hlog
	if hlog == "" {
		if cand := filepath.Join(dir, results.HLogName); fileExists(cand) {
			hlog = cand
		}
	}
	out = f.out
	if out == "" {
		out = dir
	}
	return jtl, hlog, out, nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// analyze runs the analysis with NFRs, plan thresholds and the grade.
func (f *analyzeFlags) analyze(ctx context.Context, arg string) (*results.Analysis, string, error) {
	jtl, hlog, out, err := f.resolve(arg)
	if err != nil {
		return nil, "", exitWith(exitUsage, err)
	}
	a, err := results.Analyze(ctx, jtl, results.Options{HLog: hlog, ApdexSatisfiedMs: f.satisfied, ApdexToleratedMs: f.tolerated})
	if err != nil {
		return nil, "", exitWith(exitUsage, err)
	}
	if f.nfr != "" {
		spec, err := results.ParseNFRFile(f.nfr)
		if err != nil {
			return nil, "", exitWith(exitUsage, err)
		}
		a.Source.NFR = f.nfr
		a.NFRs = append(a.NFRs, spec.Check(a)...)
	}
	if f.plan != "" {
		p, err := planspec.ParseFile(f.plan, planspec.Options{SkipFileChecks: true})
		if err != nil {
			return nil, "", exitWith(exitUsage, err)
		}
		a.NFRs = append(a.NFRs, results.CheckThresholds(p.ThresholdExprs(), a)...)
	}
	a.Grade = results.GradeRun(a)
	return a, out, nil
}

func writeAnalysis(dir string, a *results.Analysis) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, analysisFile)
	return path, os.WriteFile(path, append(b, '\n'), 0o644)
}

func writeReport(dir, title string, a *results.Analysis) (string, error) {
	path := filepath.Join(dir, reportFile)
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if err := results.WriteHTML(f, a, results.ReportOptions{Title: title}); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}

// nfrExit is exit 99 when an NFR failed.
func nfrExit(a *results.Analysis) error {
	for _, n := range a.NFRs {
		if !n.Pass {
			return exitWith(exitThresholds, errors.New("NFRs not met"))
		}
	}
	return nil
}

func newAnalyzeCmd() *cobra.Command {
	var f analyzeFlags
	cmd := &cobra.Command{
		Use:   "analyze RUN_DIR|FILE.jtl",
		Short: "Analyse a run's JTL (any size, one pass): statistics, NFRs, grade -> results_analysis.json",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, out, err := f.analyze(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			path, err := writeAnalysis(out, a)
			if err != nil {
				return exitWith(exitRuntime, err)
			}
			printAnalysis(cmd.OutOrStdout(), a)
			fmt.Fprintln(cmd.OutOrStdout(), "analysis:", path)
			return nfrExit(a)
		},
	}
	f.register(cmd)
	return cmd
}

func newReportCmd() *cobra.Command {
	var f analyzeFlags
	cmd := &cobra.Command{
		Use:   "report RUN_DIR|FILE.jtl",
		Short: "Write a self-contained report.html (and results_analysis.json) for a run",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, out, err := f.analyze(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if _, err := writeAnalysis(out, a); err != nil {
				return exitWith(exitRuntime, err)
			}
			title := f.title
			if title == "" {
				title = filepath.Base(strings.TrimSuffix(args[0], string(filepath.Separator)))
			}
			path, err := writeReport(out, title, a)
			if err != nil {
				return exitWith(exitRuntime, err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), "report:", path)
			return nfrExit(a)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&f.title, "title", "", "report title (default: the run folder's name)")
	return cmd
}

func newCompareCmd() *cobra.Command {
	var f analyzeFlags
	tol := results.Tolerances{ThroughputPct: 10, P95Pct: 10, P99Pct: 10, ErrorPctPoints: 1}
	cmd := &cobra.Command{
		Use:   "compare BASE NEW",
		Short: "Compare two runs (run folders, JTLs or results_analysis.json); exit 1 on a regression",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var as [2]*results.Analysis
			for i, arg := range args {
				a, err := loadAnalysis(cmd.Context(), &f, arg)
				if err != nil {
					return err
				}
				as[i] = a
			}
			c := results.Compare(as[0], as[1], tol)
			c.Base, c.New = args[0], args[1]
			fmt.Fprint(cmd.OutOrStdout(), c.Text())
			if f.out != "" {
				if err := os.MkdirAll(f.out, 0o755); err != nil {
					return exitWith(exitRuntime, err)
				}
				path := filepath.Join(f.out, comparisonFile)
				out, err := os.Create(path)
				if err != nil {
					return exitWith(exitRuntime, err)
				}
				if err := results.WriteComparisonHTML(out, c); err != nil {
					out.Close()
					return exitWith(exitRuntime, err)
				}
				if err := out.Close(); err != nil {
					return exitWith(exitRuntime, err)
				}
				fmt.Fprintln(cmd.OutOrStdout(), "comparison:", path)
			}
			if c.Regressions > 0 {
				return exitWith(exitRuntime, fmt.Errorf("%d regression(s)", c.Regressions))
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.out, "out", "o", "", "folder for comparison.html")
	fl.Float64Var(&tol.ThroughputPct, "tolerance-throughput", tol.ThroughputPct, "throughput drop (%) that is a regression")
	fl.Float64Var(&tol.P95Pct, "tolerance-p95", tol.P95Pct, "p95 rise (%) that is a regression")
	fl.Float64Var(&tol.P99Pct, "tolerance-p99", tol.P99Pct, "p99 rise (%) that is a regression")
	fl.Float64Var(&tol.ErrorPctPoints, "tolerance-errors", tol.ErrorPctPoints, "error-rate rise (percentage points) that is a regression")
	return cmd
}

// loadAnalysis reads results_analysis.json (a file, or inside a run
// folder), or analyses a JTL.
func loadAnalysis(ctx context.Context, f *analyzeFlags, arg string) (*results.Analysis, error) {
	path := arg
	if st, err := os.Stat(arg); err == nil && st.IsDir() {
		path = filepath.Join(arg, analysisFile)
	}
	if strings.HasSuffix(path, ".json") && fileExists(path) {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, exitWith(exitUsage, err)
		}
		var a results.Analysis
		if err := json.Unmarshal(b, &a); err != nil {
			return nil, exitWith(exitUsage, fmt.Errorf("%s: %w", path, err))
		}
		return &a, nil
	}
	g := *f
	g.out = ""
	a, _, err := g.analyze(ctx, arg)
	return a, err
}

func newMergeCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "merge RUN_DIR... --out DIR",
		Short: "Merge several workers' results (JTL rows by time, HDR histograms exactly) into one run folder",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return exitWith(exitUsage, errors.New("merge needs --out DIR"))
			}
			res, err := results.Merge(args, out)
			if err != nil {
				return exitWith(exitRuntime, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "merged %d folders: %d rows into %s", res.Inputs, res.Rows, res.JTL)
			if res.HLog != "" {
				fmt.Fprintf(cmd.OutOrStdout(), ", %d intervals into %s", res.Intervals, res.HLog)
			}
			fmt.Fprintln(cmd.OutOrStdout())
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "output folder")
	return cmd
}

// printAnalysis prints the statistics, NFRs and grade.
func printAnalysis(w io.Writer, a *results.Analysis) {
	fmt.Fprintf(w, "%d samples over %.1fs, %.2f%% errors, %.1f/s, APDEX %.3f (percentiles from %s)\n\n",
		a.Total.Samples, a.DurationS, a.Total.ErrorPct, a.Total.Throughput, a.Total.Apdex, a.PercentileSource)
	fmt.Fprintf(w, "  %-28s %9s %7s %9s %9s %9s %9s %8s\n", "label", "samples", "err%", "mean ms", "p95 ms", "p99 ms", "per s", "apdex")
	row := func(l results.LabelStats) {
		name := strings.ReplaceAll(l.Label, "\n", " ")
		if len(name) > 28 {
			name = name[:25] + "..."
		}
		fmt.Fprintf(w, "  %-28s %9d %7.2f %9.2f %9.2f %9.2f %9.1f %8.3f\n", name, l.Samples, l.ErrorPct, l.Mean, l.P95, l.P99, l.Throughput, l.Apdex)
	}
	for _, l := range a.Labels {
		row(l)
	}
	t := a.Total
	t.Label = "TOTAL"
	row(t)
	if a.SkippedRows > 0 {
		fmt.Fprintf(w, "\n%d rows skipped (first: line %d: %s)\n", a.SkippedRows, a.SkippedExamples[0].Line, a.SkippedExamples[0].Reason)
	}
	if len(a.NFRs) > 0 {
		fmt.Fprintln(w, "\nNFRs:")
		for _, n := range a.NFRs {
			mark := "pass"
			switch {
			case n.NoData:
				mark = "n/a "
			case !n.Pass:
				mark = "FAIL"
			}
			scope := n.Label
			if scope != "" {
				scope = " [" + scope + "]"
			}
			fmt.Fprintf(w, "  %s %s%s %s: measured %g %s\n", mark, n.Name, scope, n.Target, n.Measured, n.Unit)
		}
	}
	fmt.Fprintf(w, "\ngrade %s (score %.1f), risk %s: %s\n", a.Grade.Letter, a.Grade.Score, a.Grade.Risk, a.Grade.RiskWhy)
}
