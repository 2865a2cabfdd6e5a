// Package loadgen is the load engine: it runs a plan's scenarios with k6's
// executor semantics, measures every request, and records the JTL, the
// HdrHistogram interval log and the summary.
//
// Closed-model executors (constant-vus, ramping-vus, per-vu-iterations,
// shared-iterations) loop VUs; arrival-rate executors start iterations at
// exact intended times from a rate profile and never queue: an arrival
// with no free VU is a dropped iteration. Latency of arrival-rate
// iterations is also measured from the intended start
// (http_req_duration_corrected), which is free of coordinated omission.
package loadgen

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/loadgen/loadgen/loadgen/httpx"
	"github.com/loadgen/loadgen/loadgen/record"
	"github.com/loadgen/loadgen/planspec"
)

// Version is the loadgen version, reported in outputs.
var Version = "0.1.0"

// Output file names inside the run's output folder.
const (
	JTLFile     = "results.jtl"
	HLogFile    = "latency.hlog"
	SummaryFile = "summary.json"
)

// Options configure a run.
type Options struct {
	// Out is the output folder (created if missing).
	Out string
	// Target overrides the plan's target.
	Target string
	// JTL selects which rows reach results.jtl.
	JTL record.JTLOptions
	// Progress receives live progress (nil: none). TTY selects a status line
	// rewritten every second instead of a plain line every 10 s.
	Progress io.Writer
	TTY      bool
	// ProcessStart is when the process started (for startup latency).
	ProcessStart time.Time
	// HardStop, when closed, interrupts every in-flight iteration at once
	// (a second Ctrl-C) instead of waiting for graceful_stop.
	HardStop <-chan struct{}
	// Seed makes think times, poisson arrivals and JTL sampling repeatable.
	Seed uint64
	// OnTick, when set, receives the run's live state once a second, on
	// the goroutine that records samples: it must return quickly.
	OnTick func(Live)
	// Dial, when set, opens every connection to a target instead of a
	// plain net.Dialer: a guard that refuses addresses, for instance. Its
	// error fails the request (a connect error in the results).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Segment runs one worker's share of the plan (the zero value: all of
	// it, as no worker); see Segment. Every worker of a run must get the
	// same Seed. A worker (Count ≥ 1) also writes state.json, which
	// MergeStates adds up.
	Segment Segment
	// StartAt, when set, is the wall time the run's clock starts: the
	// engine prepares (VUs, connections), then waits for it, so that
	// workers on several machines start together. A run ready later than
	// StartAt + MaxLate does not start (ErrLate): its load would not line
	// up with the other workers'.
	StartAt time.Time
	// MaxLate is how late a start may be (default 1 s).
	MaxLate time.Duration

	// OnMetrics, when set, receives the run's request metrics every
	// MetricsInterval (default 1 s) and a Final snapshot at the end, on
	// the goroutine that records samples: it must return quickly. The
	// engine aggregates per interval; nothing is done per request for it
	// beyond two bucket counts.
	OnMetrics       func(*Metrics)
	MetricsInterval time.Duration
	// RunID names the run (in the summary, and in the header below).
	// RunHeader sends it as an X-Loadgen-Run header with every request,
	// so that the target's logs can tell the run's requests apart; the
	// header is part of the requests serialised at load, so it costs
	// nothing per request.
	RunID     string
	RunHeader bool
	// TracerProvider and TraceSample trace a share of the requests
	// (0: none, 1: all): each VU draws from its own generator whether a
	// request is sampled, and only a sampled request gets a client span
	// and a W3C traceparent header (sampled flag set) that joins the
	// target's trace to it; other requests are sent exactly as without
	// tracing.
	TracerProvider trace.TracerProvider
	TraceSample    float64
}

// RunHeader is the request header that carries Options.RunID when
// Options.RunHeader is set.
const RunHeader = "X-Loadgen-Run"

// CheckRunID refuses a run id that cannot be sent in a header or used in
// a file or object name: at most 128 letters, digits and . _ : -.
func CheckRunID(id string) error {
	if len(id) > 128 {
		return fmt.Errorf("run id %q: longer than 128 characters", id)
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._:-", c)) {
			return fmt.Errorf("run id %q: only letters, digits and . _ : - are allowed", id)
		}
	}
	return nil
}

// ErrLate is returned (wrapped) when a run could not start by
// Options.StartAt; nothing was sent.
var ErrLate = errors.New("start time missed")

// ErrThresholds is returned (wrapped) when thresholds failed.
var ErrThresholds = errors.New("thresholds failed")

// engine is the state of one run.
type engine struct {
	plan *planspec.Plan
	opts Options
	comp *compiled
	base time.Time // wall time at clock 0
	rec  *recorder
	tls  *tls.Config
	h2   *http.Transport
	seed uint64

	cookies   bool // a cookie jar per VU (http.cookies)
	activeAll atomic.Int64
	firstReq  atomic.Int64 // clock ns of the first request (0: none yet)

	tracer     trace.Tracer // nil: no request is traced
	traceBelow uint64       // a request is traced when a VU's draw is below it

	stop     context.CancelFunc // graceful stop of every scenario
	stopOnce sync.Once
	stopWhy  atomic.Value // string
}

// clock returns monotonic ns since the run's base time.
func (e *engine) clock() int64 { return int64(time.Since(e.base)) }

// target is the effective base URL.
func (e *engine) target() string {
	if e.opts.Target != "" {
		return e.opts.Target
	}
	return e.plan.Target
}

// wall converts an engine clock value to Unix ns.
func (e *engine) wall(t int64) int64 { return e.base.UnixNano() + t }

// CheckOutput makes sure dir exists and is writable, before any load.
func CheckOutput(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output folder: %w", err)
	}
	f, err := os.CreateTemp(dir, ".loadgen-write-test-*")
	if err != nil {
		return fmt.Errorf("output folder %s is not writable: %w", dir, err)
	}
	name := f.Name()
	_ = f.Close()
	return os.Remove(name)
}

// Run executes the plan and writes results.jtl, latency.hlog and
// summary.json into opts.Out. Cancelling ctx stops scheduling and lets
// in-flight iterations finish within each scenario's graceful_stop; the
// outputs are complete either way. The error wraps ErrThresholds when
// thresholds failed; the summary is returned whenever outputs were written.
func Run(ctx context.Context, plan *planspec.Plan, opts Options) (*Summary, error) {
	if err := CheckOutput(opts.Out); err != nil {
		return nil, err
	}
	var extra [][2]string
	if opts.RunHeader {
		if opts.RunID == "" {
			return nil, errors.New("RunHeader needs a RunID")
		}
		extra = append(extra, [2]string{RunHeader, opts.RunID})
	}
	if err := CheckRunID(opts.RunID); err != nil {
		return nil, err
	}
	comp, err := compile(plan, opts.Target, extra...)
	if err != nil {
		return nil, err
	}
	if opts.Segment.split() {
		if err := CheckSegments(plan, opts.Segment.Count); err != nil {
			return nil, err
		}
		for _, f := range comp.feeders {
			if f.data.Share != "vu" {
				part := *f.data
				part.Rows = opts.Segment.partition(f.data.Rows)
				f.data = &part
			}
		}
	}
	e := &engine{plan: plan, opts: opts, comp: comp, seed: opts.Seed}
	if opts.TracerProvider != nil && opts.TraceSample > 0 {
		e.tracer = opts.TracerProvider.Tracer("github.com/loadgen/loadgen/loadgen")
		e.traceBelow = sampleThreshold(opts.TraceSample)
	}
	e.cookies = plan.HTTP.Cookies == nil || *plan.HTTP.Cookies
	if e.seed == 0 {
		e.seed = uint64(time.Now().UnixNano())
	}
	e.tls = &tls.Config{InsecureSkipVerify: plan.HTTP.InsecureTLS} //nolint:gosec // user's choice: insecure_tls
	if plan.HTTP.HTTP2 {
		e.h2 = httpx.NewH2Transport(e.tls, plan.HTTP.Keepalive == nil || *plan.HTTP.Keepalive, opts.Dial)
		defer e.h2.CloseIdleConnections()
	}

	jtlF, err := os.Create(filepath.Join(opts.Out, JTLFile))
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", JTLFile, err)
	}
	defer jtlF.Close()
	hlogF, err := os.Create(filepath.Join(opts.Out, HLogFile))
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", HLogFile, err)
	}
	defer hlogF.Close()

	runs := e.newScenarioRuns()
	for _, sr := range runs {
		sr.preallocate(ctx)
	}
	if !opts.StartAt.IsZero() {
		if err := waitUntil(ctx, opts.StartAt, opts.MaxLate); err != nil {
			_ = os.Remove(jtlF.Name()) // nothing was recorded
			_ = os.Remove(hlogF.Name())
			for _, sr := range runs {
				for _, v := range sr.ready {
					v.close()
				}
			}
			return nil, err
		}
	}
	e.base = time.Now()
	rec, err := newRecorder(e, runs, jtlF, hlogF)
	if err != nil {
		return nil, err
	}
	e.rec = rec

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	e.stop = stop
	recDone := make(chan struct{})
	go func() { rec.loop(); close(recDone) }()

	var wg sync.WaitGroup
	for _, sr := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sr.run(runCtx)
		}()
	}
	wg.Wait()
	end := time.Now()
	if ctx.Err() != nil {
		e.stopWith("interrupted")
	}
	rec.close()
	<-recDone

	sum := rec.summary(end)
	werr := WriteJSONFile(filepath.Join(opts.Out, SummaryFile), sum)
	if opts.Segment.Count > 0 { // a worker: leave the state for the merge
		st, err := rec.state(end)
		if err == nil {
			err = WriteJSONFile(filepath.Join(opts.Out, StateFile), st)
		}
		werr = errors.Join(werr, err)
	}
	if err := errors.Join(rec.err, werr, syncFiles(jtlF, hlogF)); err != nil {
		return sum, err
	}
	if !sum.ThresholdsOK {
		return sum, ErrThresholds
	}
	return sum, nil
}

// waitUntil sleeps until t; it fails when t passed more than maxLate ago
// (default 1 s) or ctx ends first.
func waitUntil(ctx context.Context, t time.Time, maxLate time.Duration) error {
	if maxLate <= 0 {
		maxLate = time.Second
	}
	d := time.Until(t)
	if d < -maxLate {
		return fmt.Errorf("%w: ready %s after the start time %s (at most %s late allowed); not starting a late run that would not line up with the others",
			ErrLate, (-d).Round(time.Millisecond), t.UTC().Format(time.RFC3339Nano), maxLate)
	}
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func syncFiles(fs ...*os.File) error {
	var errs []error
	for _, f := range fs {
		if err := f.Sync(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", filepath.Base(f.Name()), err))
		}
	}
	return errors.Join(errs...)
}

// stopWith stops scheduling in every scenario (graceful stop) and records why.
func (e *engine) stopWith(why string) {
	e.stopOnce.Do(func() {
		e.stopWhy.Store(why)
		e.stop()
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
