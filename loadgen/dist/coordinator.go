package dist

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/record"
	"github.com/loadgen/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/planspec"
)

// Worker states in Status.
const (
	WorkerStarting = "starting"
	WorkerRunning  = "running"
	WorkerDone     = "done"
	WorkerFailed   = "failed"
	WorkerStopped  = "stopped"
)

// WorkersFile is the per-worker report the coordinator writes into the
// run folder.
const WorkersFile = "workers.json"

// Options tune Run.
type Options struct {
	// Workers is the number of segments (≥ 1).
	Workers int
	// Backend starts them.
	Backend Backend
	// Out is the run folder: the merged results.jtl, latency.hlog and
	// summary.json, and workers/<i>/ with each worker's own files.
	Out string
	// Target overrides the plan's target.
	Target string
	// Seed is shared by the workers (0: random).
	Seed uint64
	// StartDelay overrides the backend's start delay.
	StartDelay time.Duration
	// RunID names the run (default: the start time).
	RunID string
	// JTL selects the rows of the workers' results.jtl.
	JTL record.JTLOptions
	// MaxLate is how late a worker may be ready (0: 1 s); a later one
	// sends nothing and the run stops.
	MaxLate time.Duration
	// AllowTargets, when set, keeps every worker's connections on this
	// allowlist (WorkerSpec.AllowTargets).
	AllowTargets []string
	// OnUpdate is told the workers' state once a second and at every change.
	OnUpdate func(Status)
	// Telemetry is every worker's live telemetry (WorkerSpec.Telemetry);
	// each exports its own share, labelled with the run id and its index.
	Telemetry Telemetry
}

// Status is the run's state as the coordinator sees it.
type Status struct {
	StartAt time.Time      `json:"start_at"`
	Workers []WorkerStatus `json:"workers"`
	// Live adds up the workers' latest numbers (P95Ms is the highest
	// worker's, an upper bound).
	Live loadgen.Live `json:"live"`
}

// WorkerStatus is one worker's state.
type WorkerStatus struct {
	Index int          `json:"index"`
	ID    string       `json:"id,omitempty"`
	State string       `json:"state"`
	Exit  *Exit        `json:"exit,omitempty"`
	Error string       `json:"error,omitempty"`
	Logs  string       `json:"logs,omitempty"`
	Live  loadgen.Live `json:"live"`
}

// Health is one worker's report after the run.
type Health struct {
	Index        int     `json:"index"`
	Segment      string  `json:"segment"`
	State        string  `json:"state"`
	Exit         *Exit   `json:"exit,omitempty"`
	Error        string  `json:"error,omitempty"`
	Requests     int64   `json:"requests"`
	Errors       int64   `json:"errors"`
	Iterations   int64   `json:"iterations"`
	Dropped      int64   `json:"dropped_iterations"`
	PlannedRate  float64 `json:"planned_iterations_per_s" jsonschema:"iterations started plus dropped, per second"`
	AchievedRate float64 `json:"achieved_iterations_per_s"`
	CPUSeconds   float64 `json:"cpu_s"`
	Merged       bool    `json:"merged" jsonschema:"its statistics are in the summary"`
	Logs         string  `json:"logs,omitempty"`
}

// Result is a finished distributed run.
type Result struct {
	// Summary is the merged summary (nil when no worker left a state).
	Summary *loadgen.Summary `json:"-"`
	Workers []Health         `json:"workers"`
	// Failed lists the workers that did not finish cleanly, and why.
	Failed []string `json:"failed,omitempty"`
	// Rows and Intervals are what the JTL and HDR merge wrote.
	Rows      int64 `json:"rows"`
	Intervals int64 `json:"intervals"`
}

// Run runs the plan on opts.Workers workers and merges their outputs.
// Cancelling ctx stops every worker gracefully; a worker stopped by an
// abort_on_fail threshold, or one that could not start on time, stops the
// others. A worker that dies leaves the others running: its error is in
// Result.Failed and the results of the others are merged. The error
// wraps loadgen.ErrThresholds when the merged thresholds failed.
func Run(ctx context.Context, p *planspec.Plan, opts Options) (*Result, error) {
	n := opts.Workers
	if n < 1 {
		return nil, fmt.Errorf("workers: want at least 1, got %d", n)
	}
	if opts.Backend == nil {
		return nil, errors.New("no backend")
	}
	if err := loadgen.CheckSegments(p, n); err != nil {
		return nil, err
	}
	if err := loadgen.CheckOutput(opts.Out); err != nil {
		return nil, err
	}
	seed := opts.Seed
	for seed == 0 {
		seed = rand.Uint64()
	}
	delay := opts.StartDelay
	if delay <= 0 {
		delay = opts.Backend.StartDelay(n)
	}
	runID := opts.RunID
	if runID == "" {
		runID = time.Now().UTC().Format("20060102T150405Z")
	}
	planLoc, outs, err := opts.Backend.Locate(ctx, p.File, runID, opts.Out, n)
	if err != nil {
		return nil, fmt.Errorf("preparing the workers: %w", err)
	}
	startAt := time.Now().Add(delay)
	specs := make([]WorkerSpec, n)
	for i := range specs {
		specs[i] = WorkerSpec{Segment: loadgen.Segment{Index: i, Count: n}, Plan: planLoc, Out: outs[i],
			StartAt: startAt, Seed: seed, Target: opts.Target, RunID: runID, JTL: opts.JTL, MaxLate: opts.MaxLate, AllowTargets: opts.AllowTargets,
			Telemetry: opts.Telemetry}
	}
	c := &coordinator{opts: opts, specs: specs, st: Status{StartAt: startAt, Workers: make([]WorkerStatus, n)}}
	for i := range c.st.Workers {
		c.st.Workers[i] = WorkerStatus{Index: i, State: WorkerStarting}
	}
	workers, err := opts.Backend.Start(ctx, specs)
	for i, w := range workers {
		if w != nil {
			c.st.Workers[i].ID, c.st.Workers[i].Logs = w.ID(), w.Logs()
		}
	}
	if err != nil {
		stopAll(workers, "another worker failed to start")
		return nil, fmt.Errorf("starting the workers: %w", err)
	}
	c.workers = workers
	c.follow(ctx)
	return c.finish(ctx, p)
}

type coordinator struct {
	opts    Options
	specs   []WorkerSpec
	workers []Worker

	mu       sync.Mutex
	st       Status
	failed   []string
	stopping bool // the coordinator asked every worker to stop
}

// follow waits for every worker, stopping them all on ctx's end or on an
// abort, and reports progress.
func (c *coordinator) follow(ctx context.Context) {
	exits := make(chan int, len(c.workers))
	for i, w := range c.workers {
		go func() {
			e := w.Wait(context.Background())
			c.mu.Lock()
			c.st.Workers[i].Exit = &e
			c.mu.Unlock()
			exits <- i
		}()
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	stop := func(why string) {
		c.mu.Lock()
		first := !c.stopping
		c.stopping = true
		c.mu.Unlock()
		if first {
			go stopAll(c.workers, why)
		}
	}
	for left := len(c.workers); left > 0; {
		select {
		case i := <-exits:
			left--
			if why := c.ended(i); why != "" {
				stop(why)
			}
			c.update()
		case <-tick.C:
			c.update()
		case <-ctx.Done():
			stop("cancelled")
			ctx = context.Background() // wait for the workers to flush
		}
	}
}

// ended records worker i's end; it returns why the others must stop, if
// they must.
func (c *coordinator) ended(i int) (stopWhy string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ws := &c.st.Workers[i]
	e := ws.Exit
	seg := c.specs[i].Segment
	switch e.Code {
	case ExitOK, ExitThresholds:
		ws.State = WorkerDone
	case ExitCancelled:
		ws.State = WorkerStopped
	case ExitAborted:
		ws.State = WorkerStopped
		ws.Error = "stopped by an abort_on_fail threshold"
		stopWhy = fmt.Sprintf("worker %s hit an abort_on_fail threshold", seg)
	case ExitLate:
		ws.State, ws.Error = WorkerFailed, "could not start by the start time; it sent nothing"
		c.failed = append(c.failed, fmt.Sprintf("worker %s: %s", seg, ws.Error))
		stopWhy = fmt.Sprintf("worker %s could not start on time", seg)
	case -1:
		if c.stopping {
			// asked to stop, it ended by the signal (before it could
			// catch it): stopped, not failed
			ws.State, ws.Error = WorkerStopped, e.Reason
			break
		}
		fallthrough
	default:
		ws.State = WorkerFailed
		ws.Error = fmt.Sprintf("exit code %d", e.Code)
		if e.Reason != "" {
			ws.Error += ": " + e.Reason
		}
		if ws.Logs != "" {
			ws.Error += " (logs: " + ws.Logs + ")"
		}
		c.failed = append(c.failed, fmt.Sprintf("worker %s: %s", seg, ws.Error))
	}
	return stopWhy
}

// update refreshes the live numbers and tells OnUpdate.
func (c *coordinator) update() {
	c.mu.Lock()
	var sum loadgen.Live
	for i, w := range c.workers {
		ws := &c.st.Workers[i]
		if l, ok := w.Live(); ok {
			ws.Live = l.Live
			if ws.State == WorkerStarting && l.State == "running" {
				ws.State = WorkerRunning
			}
		}
		l := ws.Live
		sum.Elapsed = max(sum.Elapsed, l.Elapsed)
		sum.Planned = max(sum.Planned, l.Planned)
		sum.Requests += l.Requests
		sum.Errors += l.Errors
		sum.RPS += l.RPS
		sum.P95Ms = max(sum.P95Ms, l.P95Ms)
		sum.VUs += l.VUs
		sum.Dropped += l.Dropped
	}
	if sum.Requests > 0 && sum.RPS > 0 {
		var errRate float64
		for i := range c.workers {
			errRate += c.st.Workers[i].Live.ErrorPct * c.st.Workers[i].Live.RPS
		}
		sum.ErrorPct = errRate / sum.RPS
	}
	c.st.Live = sum
	st := c.st
	st.Workers = append([]WorkerStatus(nil), c.st.Workers...)
	c.mu.Unlock()
	if c.opts.OnUpdate != nil {
		c.opts.OnUpdate(st)
	}
}

// stopAll stops every started worker, in parallel.
func stopAll(ws []Worker, why string) {
	var wg sync.WaitGroup
	for _, w := range ws {
		if w == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			_ = w.Stop(ctx, why)
		}()
	}
	wg.Wait()
}

// finish collects and merges the workers' outputs.
func (c *coordinator) finish(ctx context.Context, p *planspec.Plan) (*Result, error) {
	res := &Result{Failed: c.failed}
	var dirs []string
	var states []*loadgen.State
	for i, spec := range c.specs {
		ws := c.st.Workers[i]
		h := Health{Index: i, Segment: spec.Segment.String(), State: ws.State, Exit: ws.Exit, Error: ws.Error, Logs: ws.Logs}
		dir := filepath.Join(c.opts.Out, "workers", fmt.Sprint(i))
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		err := c.opts.Backend.Collect(cctx, spec, dir)
		cancel()
		if err != nil {
			h.Error = joinMsg(h.Error, "collecting its results: "+err.Error())
			res.Failed = append(res.Failed, fmt.Sprintf("worker %s: collecting its results: %v", spec.Segment, err))
		}
		if fileExists(filepath.Join(dir, loadgen.JTLFile)) {
			dirs = append(dirs, dir)
		}
		if st, err := loadgen.ReadState(filepath.Join(dir, loadgen.StateFile)); err == nil {
			states = append(states, st)
			h.Merged = true
			h.Requests, h.Errors, h.CPUSeconds = st.Total.Count, st.Total.Errors, st.CPUSeconds
			var dropped, iters int64
			for _, sc := range st.Scenarios {
				iters += sc.Iterations
				dropped += sc.DroppedIterations
			}
			h.Iterations, h.Dropped = iters, dropped
			if secs := st.End.Sub(st.Start).Seconds(); secs > 0 {
				h.AchievedRate = round2(float64(iters) / secs)
				h.PlannedRate = round2(float64(iters+dropped) / secs)
			}
		} else if h.State == WorkerDone {
			h.Error = joinMsg(h.Error, "no state: "+err.Error())
		}
		res.Workers = append(res.Workers, h)
	}
	var runErr error
	if len(dirs) > 0 {
		m, err := results.Merge(dirs, c.opts.Out)
		if err != nil {
			return res, fmt.Errorf("merging the results: %w", err)
		}
		res.Rows, res.Intervals = m.Rows, m.Intervals
	}
	if len(states) > 0 {
		sum, err := loadgen.MergeStates(p, c.opts.Target, states)
		if err != nil {
			return res, err
		}
		if len(states) < len(c.specs) {
			sum.Run.StopReason = joinMsg(sum.Run.StopReason, fmt.Sprintf("%d of %d workers have no results", len(c.specs)-len(states), len(c.specs)))
		}
		if ctx.Err() != nil {
			sum.Run.Interrupted = true
			sum.Run.StopReason = "interrupted"
		}
		sum.Run.RunID = c.specs[0].RunID
		res.Summary = sum
		if err := loadgen.WriteJSONFile(filepath.Join(c.opts.Out, loadgen.SummaryFile), sum); err != nil {
			return res, err
		}
		if !sum.ThresholdsOK {
			runErr = loadgen.ErrThresholds
		}
	}
	if err := loadgen.WriteJSONFile(filepath.Join(c.opts.Out, WorkersFile), res); err != nil {
		return res, err
	}
	if res.Summary == nil {
		return res, fmt.Errorf("no worker left results: %v", res.Failed)
	}
	return res, runErr
}

func joinMsg(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }
