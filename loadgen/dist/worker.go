package dist

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/telemetry"
	"github.com/loadgen/loadgen/mcpserver/guard"
	"github.com/loadgen/loadgen/mcpserver/store"
	"github.com/loadgen/loadgen/planspec"
)

// WorkerOptions tune RunWorker.
type WorkerOptions struct {
	// Progress receives one JSON Live line per second (nil: none).
	Progress io.Writer
	// Log receives human-readable messages (nil: discarded).
	Log io.Writer
	// Dial vets connections (see loadgen.Options.Dial).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// OpenStore opens an s3:// location (default store.Open).
	OpenStore func(ctx context.Context, location string) (store.Store, error)
}

// ExitFile records a worker's exit code beside its outputs, for backends
// that cannot tell it (a task whose exit code ECS lost).
const ExitFile = "exit.json"

// ExitRecord is the content of exit.json.
type ExitRecord struct {
	Code  int    `json:"code"`
	Error string `json:"error,omitempty"`
}

// RunWorker runs one segment: it fetches the plan, waits for the start
// time, runs, and stores results.jtl, latency.hlog, summary.json,
// state.json and exit.json in spec.Out. It returns the worker's exit code
// and what went wrong, if anything.
func RunWorker(ctx context.Context, spec WorkerSpec, opts WorkerOptions) (int, error) {
	if opts.OpenStore == nil {
		opts.OpenStore = store.Open
	}
	code, err := runWorker(ctx, spec, opts)
	rec := ExitRecord{Code: code}
	if err != nil {
		rec.Error = err.Error()
	}
	b, _ := json.Marshal(rec)
	if isS3(spec.Out) {
		bucket, key := splitS3(spec.Out)
		uctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if st, oerr := opts.OpenStore(uctx, "s3://"+bucket); oerr == nil {
			_ = st.Put(uctx, strings.TrimSuffix(key, "/")+"/"+ExitFile, b)
		}
	} else if os.MkdirAll(spec.Out, 0o755) == nil {
		_ = os.WriteFile(filepath.Join(spec.Out, ExitFile), b, 0o644)
	}
	return code, err
}

func runWorker(ctx context.Context, spec WorkerSpec, opts WorkerOptions) (int, error) {
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	work, err := os.MkdirTemp("", "loadgen-worker-")
	if err != nil {
		return ExitRuntime, err
	}
	defer os.RemoveAll(work)

	planPath, err := fetchPlan(ctx, spec.Plan, filepath.Join(work, "plan"), opts.OpenStore)
	if err != nil {
		return ExitUsage, fmt.Errorf("plan %s: %w", spec.Plan, err)
	}
	p, err := planspec.ParseFile(planPath, planspec.Options{Target: spec.Target})
	if err != nil {
		return ExitUsage, fmt.Errorf("plan %s: %w", spec.Plan, err)
	}
	dial := opts.Dial
	if len(spec.AllowTargets) > 0 {
		allow, err := guard.ParseTargets(spec.AllowTargets)
		if err != nil {
			return ExitUsage, err
		}
		dial = allow.Dial
	}
	out, upload := spec.Out, store.Store(nil)
	prefix := ""
	if isS3(spec.Out) {
		bucket, key := splitS3(spec.Out)
		if upload, err = opts.OpenStore(ctx, "s3://"+bucket); err != nil {
			return ExitUsage, fmt.Errorf("out %s: %w", spec.Out, err)
		}
		prefix = strings.TrimSuffix(key, "/") + "/"
		out = filepath.Join(work, "out")
	}
	if err := loadgen.CheckOutput(out); err != nil {
		return ExitUsage, err
	}
	fmt.Fprintf(logw, "plan %q, segment %s, start %s\n", p.Name, spec.Segment, spec.StartAt.UTC().Format(time.RFC3339Nano))

	var mu sync.Mutex
	var last Live
	report := func(l Live) {
		mu.Lock()
		last = l
		mu.Unlock()
		if opts.Progress != nil {
			b, _ := json.Marshal(l)
			_, _ = opts.Progress.Write(append(b, '\n'))
		}
	}
	report(Live{Segment: spec.Segment.String(), State: "preparing"})
	stopLive := make(chan struct{})
	liveDone := make(chan struct{})
	go func() { // live.json in the store every 5 s
		defer close(liveDone)
		if upload == nil {
			return
		}
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				mu.Lock()
				b, _ := json.Marshal(last)
				mu.Unlock()
				_ = upload.Put(ctx, prefix+LiveFile, b)
			case <-stopLive:
				return
			}
		}
	}()
	ropts := loadgen.Options{
		Out: out, Target: spec.Target, Seed: spec.Seed, Segment: spec.Segment, StartAt: spec.StartAt, MaxLate: spec.MaxLate, JTL: spec.JTL,
		Dial: dial,
		OnTick: func(l loadgen.Live) {
			report(Live{Segment: spec.Segment.String(), State: "running", Live: l})
		},
		RunID: spec.RunID, RunHeader: spec.Telemetry.RunHeader,
	}
	tcfg := telemetry.Config{OTLPEndpoint: spec.Telemetry.OTLP, OTLPProtocol: spec.Telemetry.OTLPProtocol,
		MetricsAddr: spec.Telemetry.MetricsAddr, MetricsPublic: spec.Telemetry.MetricsPublic, Interval: spec.Telemetry.MetricsInterval,
		RunID: spec.RunID, Plan: p.Name, Worker: spec.Segment}
	if tcfg.Enabled() {
		tel, err := telemetry.Start(ctx, tcfg)
		if err != nil {
			return ExitUsage, fmt.Errorf("telemetry: %w", err)
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := tel.Shutdown(sctx); err != nil {
				fmt.Fprintln(logw, "telemetry:", err)
			}
		}()
		fmt.Fprintf(logw, "telemetry: %s\n", tel.Describe())
		ropts.OnMetrics, ropts.MetricsInterval = tel.OnMetrics, tel.Interval()
		ropts.TracerProvider, ropts.TraceSample = tel.TracerProvider(), spec.Telemetry.TraceSample
	}
	sum, runErr := loadgen.Run(ctx, p, ropts)
	close(stopLive)
	<-liveDone
	final := Live{Segment: spec.Segment.String(), State: "done"}
	mu.Lock()
	final.Live = last.Live
	mu.Unlock()
	report(final)

	if upload != nil && sum != nil {
		for _, name := range []string{loadgen.JTLFile, loadgen.HLogFile, loadgen.SummaryFile, loadgen.StateFile} {
			// a fresh context: a cancelled run still hands in its results
			uctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			err := upload.PutFile(uctx, prefix+name, filepath.Join(out, name))
			cancel()
			if err != nil {
				return ExitRuntime, fmt.Errorf("uploading %s: %w", name, err)
			}
		}
		b, _ := json.Marshal(final)
		_ = upload.Put(context.Background(), prefix+LiveFile, b)
	}
	switch {
	case errors.Is(runErr, loadgen.ErrLate):
		return ExitLate, runErr
	case sum != nil && sum.Run.Interrupted:
		return ExitCancelled, nil
	case sum != nil && strings.HasPrefix(sum.Run.StopReason, "threshold "):
		return ExitAborted, fmt.Errorf("stopped by %s", sum.Run.StopReason)
	case errors.Is(runErr, loadgen.ErrThresholds):
		return ExitThresholds, nil
	case runErr != nil:
		return ExitRuntime, runErr
	}
	return ExitOK, nil
}

// fetchPlan returns a local path of the plan, downloading it and the
// files beside it from S3 when needed.
func fetchPlan(ctx context.Context, loc, dir string, open func(context.Context, string) (store.Store, error)) (string, error) {
	if !isS3(loc) {
		return loc, nil
	}
	bucket, key := splitS3(loc)
	st, err := open(ctx, "s3://"+bucket)
	if err != nil {
		return "", err
	}
	folder := path.Dir(key) + "/"
	// the plan's folder and below (data files in sub-folders)
	if _, err := store.GetFolder(ctx, st, folder, dir, store.FolderLimits{}); err != nil {
		return "", err
	}
	p := filepath.Join(dir, path.Base(key))
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("not found in s3://%s/%s", bucket, folder)
	}
	return p, nil
}

func isS3(s string) bool { return strings.HasPrefix(s, "s3://") }

// splitS3 splits s3://bucket/key.
func splitS3(s string) (bucket, key string) {
	rest := strings.TrimPrefix(s, "s3://")
	bucket, key, _ = strings.Cut(rest, "/")
	return bucket, key
}
