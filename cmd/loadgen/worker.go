package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/dist"
	"github.com/loadgen/loadgen/loadgen/record"
	"github.com/loadgen/loadgen/planspec"
)

func newWorkerCmd() *cobra.Command {
	var plan, segment, start, out, target string
	var seed uint64
	var tel telemetryFlags
	cmd := &cobra.Command{
		Use:   "worker [--plan P --segment i/N --start T --out DIR|s3://...]",
		Short: "Run one segment of a distributed run (started by loadgen run --workers or by ECS)",
		Long: `Runs worker i of N of a plan: waits for the start time, runs its share (VUs, iterations and
arrivals striped so that the workers add up exactly to the plan), writes results.jtl, latency.hlog,
summary.json and state.json to --out (a folder, or s3://bucket/prefix/ where they are uploaded), and
prints its progress as JSON lines on stdout. Flags default to the LOADGEN_WORKER_* environment
variables (PLAN, SEGMENT, START, OUT, SEED, TARGET, RUN_ID, JTL, JTL_SAMPLE, OTLP, OTLP_PROTOCOL,
METRICS_ADDR, METRICS_PUBLIC, METRICS_INTERVAL, TRACE_SAMPLE, RUN_HEADER), which is how ECS tasks get them. A worker ready after the start time exits with code 3 without sending anything.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env := map[string]string{}
			set := func(k, v string) {
				if v != "" {
					env[k] = v
				}
			}
			set(dist.EnvPlan, plan)
			set(dist.EnvSegment, segment)
			set(dist.EnvStart, start)
			set(dist.EnvOut, out)
			set(dist.EnvTarget, target)
			if seed != 0 {
				set(dist.EnvSeed, fmt.Sprint(seed))
			}
			fl := cmd.Flags()
			set(dist.EnvRunID, tel.runID)
			set(dist.EnvOTLP, tel.otlp)
			set(dist.EnvOTLPProtocol, tel.otlpProtocol)
			set(dist.EnvMetricsAddr, tel.metricsAddr)
			if fl.Changed("metrics-interval") {
				set(dist.EnvMetricsInterval, tel.interval.String())
			}
			if fl.Changed("trace-sample") {
				set(dist.EnvTraceSample, fmt.Sprint(tel.traceSample))
			}
			if tel.runHeader {
				set(dist.EnvRunHeader, "1")
			}
			if tel.metricsPublic {
				set(dist.EnvMetricsPublic, "1")
			}
			spec, err := dist.SpecFromEnv(func(k string) string {
				if v, ok := env[k]; ok {
					return v
				}
				return os.Getenv(k)
			})
			if err != nil {
				return exitWith(exitUsage, err)
			}
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			code, err := dist.RunWorker(ctx, spec, dist.WorkerOptions{Progress: cmd.OutOrStdout(), Log: cmd.ErrOrStderr()})
			if code == 0 && err == nil {
				return nil
			}
			return exitWith(code, err)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&plan, "plan", "", "plan file: a path, or s3://bucket/key with its data files beside it")
	fl.StringVar(&segment, "segment", "", "this worker's share: i/N")
	fl.StringVar(&start, "start", "", "start time, RFC 3339 (e.g. "+time.Now().UTC().Add(time.Minute).Truncate(time.Second).Format(time.RFC3339)+")")
	fl.StringVar(&out, "out", "", "output folder, or s3://bucket/prefix/")
	fl.StringVar(&target, "target", "", "base URL overriding the plan's target")
	fl.Uint64Var(&seed, "seed", 0, "seed, the same for every worker of a run")
	tel.register(fl)
	return cmd
}

// runDistributed runs the plan on f.workers local worker processes and
// merges their outputs into f.out.
func runDistributed(ctx context.Context, p *planspec.Plan, f runFlags, jopts record.JTLOptions, stdout, stderr io.Writer) (*loadgen.Summary, error) {
	var progress func(dist.Status)
	if !f.quiet {
		last := time.Time{}
		progress = func(st dist.Status) {
			if st.Live.Elapsed == 0 || time.Since(last) < 10*time.Second && !last.IsZero() {
				return
			}
			last = time.Now()
			l := st.Live
			running := 0
			for _, w := range st.Workers {
				if w.State == dist.WorkerRunning {
					running++
				}
			}
			fmt.Fprintf(stderr, "%s/%s  %8.0f req/s  p95 ≤ %7.2f ms  err %5.2f%%  vus %d  dropped %d  requests %d  workers %d/%d running\n",
				l.Elapsed.Truncate(time.Second), l.Planned, l.RPS, l.P95Ms, l.ErrorPct, l.VUs, l.Dropped, l.Requests, running, len(st.Workers))
		}
	}
	backend, err := f.backend.open(ctx, stderr)
	if err != nil {
		return nil, exitWith(exitUsage, err)
	}
	if f.tel.metricsAddr != "" {
		return nil, exitWith(exitUsage, errors.New("--metrics-addr serves one process's metrics and a distributed run has several: use --otlp (every worker exports its share, labelled with its index), or `loadgen worker --metrics-addr` per worker"))
	}
	res, err := dist.Run(ctx, p, dist.Options{Workers: f.workers, Backend: backend,
		Out: f.out, Target: f.target, Seed: f.seed, JTL: jopts, OnUpdate: progress,
		RunID: f.tel.runID, Telemetry: dist.Telemetry{OTLP: f.tel.otlp, OTLPProtocol: f.tel.otlpProtocol,
			MetricsInterval: f.tel.interval, TraceSample: f.tel.traceSample, RunHeader: f.tel.runHeader}})
	if res != nil {
		for _, h := range res.Workers {
			fmt.Fprintf(stderr, "worker %s: %s, %d requests, %.1f iterations/s of %.1f planned, %d dropped, %.1f CPU s%s\n",
				h.Segment, h.State, h.Requests, h.AchievedRate, h.PlannedRate, h.Dropped, h.CPUSeconds, errSuffix(h.Error))
		}
		for _, msg := range res.Failed {
			fmt.Fprintln(stderr, "loadgen:", msg)
		}
	}
	if res == nil || res.Summary == nil {
		if err == nil {
			err = errors.New("no results")
		}
		return nil, err
	}
	return res.Summary, err
}

func errSuffix(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}
