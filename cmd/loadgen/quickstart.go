package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/loadgen/loadgen/agents"
	"github.com/loadgen/loadgen/agents/plangen"
	fakeapi "github.com/loadgen/loadgen/examples/fake-api"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/planspec"
)

// Quickstart settings: a fake API ten times faster than the original,
// with a few injected errors drawn from a fixed seed, and plans compressed
// to about eight seconds each.
const (
	quickstartLatencyScale = 0.1
	quickstartErrorRate    = 0.002
	quickstartSeed         = 1
	quickstartShort        = 8 * time.Second
	quickstartDocsDir      = "docs"
	quickstartRunsDir      = "runs"
)

// quickstartTypes are the scenario types the quickstart generates and runs.
var quickstartTypes = []string{"load"}

func newQuickstartCmd() *cobra.Command {
	var out string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "quickstart",
		Short: "Start the fake API demo target on 127.0.0.1 and run the whole pipeline offline: docs → plans (+ JMeter) → run → report",
		Long: `Starts the fake API demo target (see 'loadgen demo-target') on a free loopback port and runs the
whole pipeline against it with no AI provider: analyze its architecture documents, design a load
scenario, write the plan and its JMeter exports (jmeter-java-dsl Maven project and .jmx), run it
for about ten seconds, analyze the results against the plan's thresholds and the documents' NFRs,
and write the HTML report. Each step prints one line; the last line is the report's path.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			q := &quickstart{out: out, quiet: quiet, stdout: cmd.OutOrStdout(), stderr: cmd.ErrOrStderr()}
			return q.run(ctx)
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "out/quickstart", "output folder")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no live progress while the plan runs")
	return cmd
}

// quickstart is one run of `loadgen quickstart`.
type quickstart struct {
	out            string
	quiet          bool
	stdout, stderr io.Writer
}

// step prints one step's line.
func (q *quickstart) step(name, format string, args ...any) {
	fmt.Fprintf(q.stdout, "%-13s %s\n", name+":", fmt.Sprintf(format, args...))
}

// path names a file of the output folder as the user gave the folder.
func (q *quickstart) path(rel ...string) string {
	return filepath.Join(append([]string{q.out}, rel...)...)
}

func (q *quickstart) run(ctx context.Context) error {
	begin := time.Now()
	if err := loadgen.CheckOutput(q.out); err != nil {
		return exitWith(exitUsage, err)
	}
	opts := fakeapi.DefaultOptions()
	opts.LatencyScale, opts.ErrorRate, opts.Seed = quickstartLatencyScale, quickstartErrorRate, quickstartSeed
	url, stopTarget, err := fakeapi.Start(context.Background(), "127.0.0.1:0", opts)
	if err != nil {
		return exitWith(exitRuntime, fmt.Errorf("start the demo target: %w", err))
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = stopTarget(sctx)
	}()
	q.step("target", "fake API demo target on %s (%d routes; latencies ×%g, %g %% injected errors, seed %d)",
		url, len(fakeapi.Catalogue())+len(fakeapi.DemoRoutes()), opts.LatencyScale, opts.ErrorRate*100, opts.Seed)

	docs, err := q.writeDocs()
	if err != nil {
		return exitWith(exitRuntime, err)
	}
	q.step("docs", "%s → %s", strings.Join(docs, ", "), q.path(quickstartDocsDir)+string(filepath.Separator))

	gen, err := agents.Generate(ctx, []string{q.path(quickstartDocsDir)}, q.out, agents.Options{
		Types:  quickstartTypes,
		Target: url,
		Short:  quickstartShort,
		JMeter: true,
		Progress: func(p agents.Progress) {
			if p.Done {
				name := p.Step
				if name == "analyze" { // the architecture; "analyze" is the results' step below
					name = "architecture"
				}
				q.step(name, "%s", q.underOut(p.Detail))
			}
		},
	})
	if err != nil {
		if ctx.Err() != nil {
			return exitWith(exitInterrupted, nil)
		}
		return exitWith(exitRuntime, fmt.Errorf("generate: %w", err))
	}
	line := q.jmeterLine()
	if line == "" {
		return exitWith(exitRuntime, errors.New("jmeter: the exports were not written"))
	}
	q.step("jmeter", "%s", line)

	var report string
	thresholdsFailed := false
	for _, pl := range gen.Plans.Plans {
		planFile := q.path(agents.PlansDir, pl.File)
		p, err := planspec.ParseFile(planFile, planspec.Options{Target: url})
		if err != nil {
			return exitWith(exitRuntime, fmt.Errorf("generated plan %s: %w", planFile, err))
		}
		runDir := q.path(quickstartRunsDir, strings.TrimSuffix(pl.File, filepath.Ext(pl.File)))
		sum, failed, err := q.execute(ctx, p, runDir)
		if err != nil {
			return err
		}
		thresholdsFailed = thresholdsFailed || failed
		// An interrupted run is analysed too: its outputs are complete.
		if report, err = q.analyze(context.WithoutCancel(ctx), p, runDir); err != nil {
			return err
		}
		if sum.Run.Interrupted {
			fmt.Fprintln(q.stdout, "report.html:", abs(report))
			return exitWith(exitInterrupted, nil)
		}
	}
	if report == "" {
		return exitWith(exitRuntime, errors.New("no plan was generated"))
	}
	fmt.Fprintf(q.stdout, "done in %.1fs; open the report:\n", time.Since(begin).Seconds())
	fmt.Fprintln(q.stdout, "report.html:", abs(report))
	if thresholdsFailed {
		return exitWith(exitThresholds, errors.New("thresholds failed"))
	}
	return nil
}

// writeDocs copies the fake API's architecture documents into the output
// folder, where the analysis reads them, and returns their names.
func (q *quickstart) writeDocs() ([]string, error) {
	dir := q.path(quickstartDocsDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("docs: %w", err)
	}
	entries, err := fs.ReadDir(fakeapi.Docs, "architecture")
	if err != nil {
		return nil, fmt.Errorf("docs: %w", err)
	}
	var names []string
	for _, e := range entries {
		b, err := fs.ReadFile(fakeapi.Docs, "architecture/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("docs: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			return nil, fmt.Errorf("docs: %w", err)
		}
		names = append(names, e.Name())
	}
	return names, nil
}

// jmeterLine lists the JMeter exports in the plans folder: the .jmx files
// and the jmeter-java-dsl Maven projects (folders with a pom.xml).
func (q *quickstart) jmeterLine() string {
	dir := q.path(agents.PlansDir, plangen.JMeterDir)
	jmx, _ := filepath.Glob(filepath.Join(dir, "*.jmx"))
	poms, _ := filepath.Glob(filepath.Join(dir, "*", "pom.xml"))
	if len(jmx) == 0 || len(poms) == 0 {
		return ""
	}
	projects := make([]string, len(poms))
	for i, p := range poms {
		projects[i] = filepath.Dir(p) + string(filepath.Separator)
	}
	return fmt.Sprintf("%s (.jmx); %s (jmeter-java-dsl Maven project)", strings.Join(jmx, ", "), strings.Join(projects, ", "))
}

// execute runs one plan into dir; failed reports failed thresholds.
func (q *quickstart) execute(ctx context.Context, p *planspec.Plan, dir string) (sum *loadgen.Summary, failed bool, err error) {
	opts := loadgen.Options{Out: dir, ProcessStart: processStart, Seed: quickstartSeed}
	if !q.quiet {
		opts.Progress = q.stderr
	}
	sum, err = loadgen.Run(ctx, p, opts)
	switch {
	case err != nil && errors.Is(err, loadgen.ErrThresholds) && sum != nil:
		failed = true
	case err != nil:
		return nil, false, exitWith(exitRuntime, fmt.Errorf("run %s: %w", p.Name, err))
	}
	t := sum.Total
	verdict := "thresholds passed"
	if failed {
		verdict = "thresholds FAILED"
	}
	q.step("execute", "%s: %d requests, %.1f req/s, %d errors (%.2f %%), p95 %.0f ms, %s → %s",
		p.Name, t.Count, t.Rps, t.Errors, t.ErrorPct, t.Duration.P95, verdict,
		strings.Join([]string{filepath.Join(dir, loadgen.JTLFile), loadgen.HLogFile, loadgen.SummaryFile}, ", "))
	return sum, failed, nil
}

// analyze grades a run against its plan's thresholds (derived from the
// documents' NFRs), as `loadgen run` does, and writes
// results_analysis.json and report.html beside it.
func (q *quickstart) analyze(ctx context.Context, p *planspec.Plan, dir string) (string, error) {
	a, err := results.Analyze(ctx, filepath.Join(dir, loadgen.JTLFile), results.Options{HLog: filepath.Join(dir, loadgen.HLogFile)})
	if err != nil {
		return "", exitWith(exitRuntime, fmt.Errorf("analyze %s: %w", p.Name, err))
	}
	a.NFRs = results.CheckThresholds(p.ThresholdExprs(), a)
	a.Grade = results.GradeRun(a)
	analysis, err := writeAnalysis(dir, a)
	if err != nil {
		return "", exitWith(exitRuntime, fmt.Errorf("analyze %s: %w", p.Name, err))
	}
	met := 0
	for _, n := range a.NFRs {
		if n.Pass {
			met++
		}
	}
	q.step("analyze", "%s: grade %s (score %.1f), risk %s, %d of %d thresholds met → %s",
		p.Name, a.Grade.Letter, a.Grade.Score, a.Grade.Risk, met, len(a.NFRs), analysis)
	report, err := writeReport(dir, p.Name, a)
	if err != nil {
		return "", exitWith(exitRuntime, fmt.Errorf("report %s: %w", p.Name, err))
	}
	q.step("report", "%s: self-contained HTML → %s", p.Name, report)
	return report, nil
}

// underOut rewrites "… → file, …" details, whose file is relative to the
// output folder, to name the file under it.
func (q *quickstart) underOut(detail string) string {
	const arrow = "→ "
	i := strings.LastIndex(detail, arrow)
	if i < 0 {
		return detail
	}
	rest := detail[i+len(arrow):]
	file, tail, _ := strings.Cut(rest, ",")
	if tail != "" {
		tail = "," + tail
	}
	name := q.path(file)
	if strings.HasSuffix(file, "/") {
		name += string(filepath.Separator)
	}
	return detail[:i+len(arrow)] + name + tail
}

// abs returns path made absolute when possible.
func abs(path string) string {
	if a, err := filepath.Abs(path); err == nil {
		return a
	}
	return path
}
