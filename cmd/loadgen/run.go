package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/record"
	"github.com/loadgen/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/loadgen/telemetry"
	"github.com/loadgen/loadgen/planspec"
)

type runFlags struct {
	out       string
	target    string
	quiet     bool
	jtlSample float64
	jtlMode   string
	seed      uint64
	cpuProf   string
	noReport  bool
	workers   int
	backend   backendFlags
	tel       telemetryFlags
}

// telemetryFlags are the live telemetry flags of run and worker.
type telemetryFlags struct {
	otlp, otlpProtocol string
	metricsAddr        string
	metricsPublic      bool
	interval           time.Duration
	traceSample        float64
	runID              string
	runHeader          bool
}

func (t *telemetryFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&t.otlp, "otlp", "", "export live metrics (and sampled traces) over OTLP to this collector, e.g. http://127.0.0.1:4318 (OTEL_EXPORTER_OTLP_* variables apply; OTEL_EXPORTER_OTLP_ENDPOINT alone also turns export on)")
	fl.StringVar(&t.otlpProtocol, "otlp-protocol", "", "OTLP protocol: grpc | http/protobuf (default: OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf)")
	fl.StringVar(&t.metricsAddr, "metrics-addr", "", "serve live metrics in the Prometheus format at http://ADDR/metrics ([HOST:]PORT; loopback unless --metrics-public)")
	fl.BoolVar(&t.metricsPublic, "metrics-public", false, "allow --metrics-addr on an address that is not loopback (the endpoint has no authentication)")
	fl.DurationVar(&t.interval, "metrics-interval", telemetry.DefaultInterval, "how often live metrics are aggregated and exported")
	fl.Float64Var(&t.traceSample, "trace-sample", 0, "share of requests traced over OTLP, with a W3C traceparent header sent to the target (e.g. 0.001; needs --otlp)")
	fl.StringVar(&t.runID, "run-id", "", "the run's id on all telemetry and in summary.json (default: generated when telemetry or --run-header is on)")
	fl.BoolVar(&t.runHeader, "run-header", false, "send the run id as an "+loadgen.RunHeader+" header with every request")
}

// check validates the flags and fills in a run id when one is needed.
func (t *telemetryFlags) check() error {
	if t.traceSample < 0 || t.traceSample > 1 {
		return fmt.Errorf("--trace-sample must be in [0, 1], got %g", t.traceSample)
	}
	if t.interval < 0 {
		return fmt.Errorf("--metrics-interval must be positive, got %s", t.interval)
	}
	if t.interval == 0 { // runFlags built by a caller (quickstart)
		t.interval = telemetry.DefaultInterval
	}
	c := t.config(loadgen.Segment{}, "")
	otlpOn := t.otlp != "" || otlpEnv()
	if t.traceSample > 0 && !otlpOn {
		return errors.New("--trace-sample needs --otlp (or OTEL_EXPORTER_OTLP_ENDPOINT): traces are exported over OTLP")
	}
	if _, err := c.Protocol(); err != nil && otlpOn {
		return err
	}
	if t.metricsAddr != "" {
		if _, err := telemetry.CheckMetricsAddr(t.metricsAddr, t.metricsPublic); err != nil {
			return err
		}
	}
	if err := loadgen.CheckRunID(t.runID); err != nil {
		return fmt.Errorf("--run-id: %w", err)
	}
	if t.runID == "" && (c.Enabled() || t.runHeader) {
		t.runID = telemetry.NewRunID()
	}
	return nil
}

// otlpEnv reports whether an OTEL_EXPORTER_OTLP_*ENDPOINT variable turns
// OTLP export on.
func otlpEnv() bool { return telemetry.Config{}.Enabled() }

func (t *telemetryFlags) config(seg loadgen.Segment, plan string) telemetry.Config {
	return telemetry.Config{OTLPEndpoint: t.otlp, OTLPProtocol: t.otlpProtocol, MetricsAddr: t.metricsAddr,
		MetricsPublic: t.metricsPublic, Interval: t.interval, RunID: t.runID, Plan: plan, Worker: seg}
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run PLAN",
		Short: "Run a plan and write results.jtl, latency.hlog and summary.json",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPlanFile(cmd.Context(), args[0], f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.out, "out", "o", "results", "output folder")
	fl.StringVar(&f.target, "target", "", "base URL overriding the plan's target")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no live progress and no summary table")
	fl.Float64Var(&f.jtlSample, "jtl-sample", 1, "share of successful rows kept in results.jtl (errors are always kept); histograms and summary stay complete")
	fl.StringVar(&f.jtlMode, "jtl", "all", "rows kept in results.jtl: all | errors")
	fl.Uint64Var(&f.seed, "seed", 0, "seed for think times, poisson arrivals and JTL sampling (0: random)")
	fl.StringVar(&f.cpuProf, "cpuprofile", "", "write a Go CPU profile of the run to this file")
	fl.BoolVar(&f.noReport, "no-report", false, "skip results_analysis.json and report.html after the run")
	fl.IntVar(&f.workers, "workers", 1, "split the load over this many workers (outputs merged exactly; each worker's own under OUT/workers/<i>/)")
	f.backend.register(fl, &f.workers)
	f.tel.register(fl)
	return cmd
}

func jtlOptions(f runFlags) (record.JTLOptions, error) {
	o := record.JTLOptions{Sample: f.jtlSample, Seed: f.seed}
	if f.jtlSample <= 0 || f.jtlSample > 1 {
		return o, fmt.Errorf("--jtl-sample must be in (0, 1], got %s", strconv.FormatFloat(f.jtlSample, 'g', -1, 64))
	}
	switch f.jtlMode {
	case "all":
	case "errors":
		o.ErrorsOnly = true
	default:
		return o, fmt.Errorf("--jtl must be all or errors, got %q", f.jtlMode)
	}
	return o, nil
}

// loadPlan parses and validates a plan file, printing every error.
func loadPlan(path, target string, stderr io.Writer) (*planspec.Plan, error) {
	p, err := planspec.ParseFile(path, planspec.Options{Target: target})
	if err != nil {
		var list planspec.ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				fmt.Fprintln(stderr, e.Error())
			}
			return nil, exitWith(exitUsage, fmt.Errorf("%s: %d error(s); nothing was sent", path, len(list)))
		}
		return nil, exitWith(exitUsage, err)
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(stderr, "%s:%d:%d: warning: %s\n", w.File, w.Line, w.Col, w.Msg)
	}
	return p, nil
}

func runPlanFile(ctx context.Context, path string, f runFlags, stdout, stderr io.Writer) error {
	jopts, err := jtlOptions(f)
	if err != nil {
		return exitWith(exitUsage, err)
	}
	p, err := loadPlan(path, f.target, stderr)
	if err != nil {
		return err
	}
	return runPlan(ctx, p, f, jopts, stdout, stderr)
}

// runPlan runs a validated plan with signal handling and prints the summary.
func runPlan(ctx context.Context, p *planspec.Plan, f runFlags, jopts record.JTLOptions, stdout, stderr io.Writer) error {
	releaseStartupPages()
	if err := loadgen.CheckOutput(f.out); err != nil {
		return exitWith(exitUsage, err)
	}
	if err := f.tel.check(); err != nil {
		return exitWith(exitUsage, err)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hard := make(chan struct{})
	finished := make(chan struct{})
	defer close(finished)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		select { // first signal: graceful stop
		case <-sigs:
		case <-finished:
			return
		}
		fmt.Fprintln(stderr, "\nloadgen: stopping: in-flight iterations get graceful_stop to finish (signal again to stop now)")
		cancel()
		select { // second signal: interrupt in-flight requests
		case <-sigs:
			close(hard)
		case <-finished:
		}
	}()

	if f.cpuProf != "" {
		pf, err := os.Create(f.cpuProf)
		if err != nil {
			return exitWith(exitUsage, err)
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return exitWith(exitUsage, err)
		}
		defer pprof.StopCPUProfile()
	}
	opts := loadgen.Options{
		Out:          f.out,
		Target:       f.target,
		JTL:          jopts,
		ProcessStart: processStart,
		Seed:         f.seed,
		HardStop:     hard,
		RunID:        f.tel.runID,
		RunHeader:    f.tel.runHeader,
	}
	if f.tel.runID != "" && !f.quiet {
		fmt.Fprintln(stderr, "loadgen: run id", f.tel.runID)
	}
	if !f.quiet {
		opts.Progress = stderr
		if fd, ok := stderr.(interface{ Fd() uintptr }); ok && term.IsTerminal(int(fd.Fd())) {
			opts.TTY = true
		}
	}
	var sum *loadgen.Summary
	var err error
	if f.workers == 0 { // callers that build runFlags themselves (quickstart)
		f.workers = 1
	}
	switch {
	case f.workers < 1:
		return exitWith(exitUsage, fmt.Errorf("--workers %d: want at least 1", f.workers))
	case f.workers > 1 || f.backend.name != "" && f.backend.name != "local":
		sum, err = runDistributed(ctx, p, f, jopts, stdout, stderr)
	default:
		if tcfg := f.tel.config(loadgen.Segment{}, p.Name); tcfg.Enabled() {
			tel, terr := telemetry.Start(ctx, tcfg)
			if terr != nil {
				return exitWith(exitUsage, terr)
			}
			if !f.quiet {
				fmt.Fprintln(stderr, "loadgen: telemetry:", tel.Describe())
			}
			opts.OnMetrics, opts.MetricsInterval = tel.OnMetrics, tel.Interval()
			opts.TracerProvider, opts.TraceSample = tel.TracerProvider(), f.tel.traceSample
			defer func() {
				sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if serr := tel.Shutdown(sctx); serr != nil {
					fmt.Fprintln(stderr, "loadgen: telemetry:", serr)
				}
			}()
		}
		sum, err = loadgen.Run(ctx, p, opts)
	}
	if sum != nil && !f.quiet {
		fmt.Fprintln(stdout, sum.Text())
	}
	if sum != nil {
		files := []string{loadgen.JTLFile, loadgen.HLogFile, loadgen.SummaryFile}
		if !f.noReport {
			if rerr := reportRun(p, f.out); rerr != nil {
				fmt.Fprintln(stderr, "loadgen: report:", rerr)
			} else {
				files = append(files, analysisFile, reportFile)
			}
		}
		abs, _ := filepath.Abs(f.out)
		fmt.Fprintf(stdout, "outputs: %s (%s)\n", abs, strings.Join(files, ", "))
	}
	switch {
	case err != nil && errors.Is(err, loadgen.ErrThresholds):
		if sum != nil && sum.Run.Interrupted {
			return exitWith(exitInterrupted, nil)
		}
		return exitWith(exitThresholds, errors.New("thresholds failed"))
	case err != nil:
		return exitWith(exitRuntime, err)
	case sum != nil && sum.Run.Interrupted:
		return exitWith(exitInterrupted, nil)
	}
	return nil
}

// reportRun analyses a finished run's outputs with the plan's thresholds
// and writes results_analysis.json and report.html beside them.
func reportRun(p *planspec.Plan, dir string) error {
	a, err := results.Analyze(context.Background(), filepath.Join(dir, loadgen.JTLFile),
		results.Options{HLog: filepath.Join(dir, loadgen.HLogFile)})
	if err != nil {
		return err
	}
	a.NFRs = results.CheckThresholds(p.ThresholdExprs(), a)
	a.Grade = results.GradeRun(a)
	if _, err := writeAnalysis(dir, a); err != nil {
		return err
	}
	_, err = writeReport(dir, p.Name, a)
	return err
}
