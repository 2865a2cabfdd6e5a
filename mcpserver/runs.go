package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/loadgen/loadgen/agents/plangen"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/dist"
	"github.com/loadgen/loadgen/mcpserver/store"
	"github.com/loadgen/loadgen/planspec"
)

// Run states.
const (
	StateQueued    = "queued"
	StateRunning   = "running"
	StateCompleted = "completed"
	StateFailed    = "failed"
	StateCancelled = "cancelled"
)

// RunStatusSchema names the status document's version.
const RunStatusSchema = "loadgen.run-status/v1"

// RunStatus is a run's state, kept in memory while it runs and stored as
// runs/{run_id}/status.json at every change and every few seconds.
type RunStatus struct {
	Schema    string `json:"schema"`
	SessionID string `json:"session_id"`
	RunID     string `json:"run_id"`
	State     string `json:"state" jsonschema:"queued, running, completed, failed or cancelled"`
	Backend   string `json:"backend"`
	Target    string `json:"target,omitempty" jsonschema:"the target_url override, if any"`
	// Progress is the share of the planned time done, 0..1.
	Progress float64     `json:"progress"`
	Current  string      `json:"current,omitempty" jsonschema:"the plan running now"`
	Plans    []PlanRun   `json:"plans"`
	Workers  []WorkerRun `json:"workers"`
	Error    string      `json:"error,omitempty"`
	Message  string      `json:"message,omitempty"`
	Created  time.Time   `json:"created"`
	Updated  time.Time   `json:"updated"`
	Ended    time.Time   `json:"ended,omitzero"`
	Results  Ref         `json:"results" jsonschema:"the folder of the run's outputs"`
}

// PlanRun is one plan of a run.
type PlanRun struct {
	Name    string       `json:"name"`
	State   string       `json:"state"`
	Planned float64      `json:"planned_s" jsonschema:"planned duration in seconds (after the duration cap)"`
	Elapsed float64      `json:"elapsed_s"`
	Live    *LiveNumbers `json:"live,omitempty" jsonschema:"the last second, while it runs"`
	Result  *PlanResult  `json:"result,omitempty"`
	Error   string       `json:"error,omitempty"`
	Outputs string       `json:"outputs" jsonschema:"key prefix of results.jtl, latency.hlog, summary.json"`
}

// LiveNumbers are a running plan's numbers over the last second.
type LiveNumbers struct {
	RPS      float64 `json:"rps"`
	P95Ms    float64 `json:"p95_ms"`
	ErrorPct float64 `json:"error_pct"`
	VUs      int64   `json:"vus"`
	Dropped  int64   `json:"dropped_iterations"`
	Requests int64   `json:"requests" jsonschema:"since the plan started"`
	Errors   int64   `json:"errors" jsonschema:"since the plan started"`
}

// PlanResult is a finished plan's summary.
type PlanResult struct {
	Requests     int64   `json:"requests"`
	Errors       int64   `json:"errors"`
	ErrorPct     float64 `json:"error_pct"`
	RPS          float64 `json:"rps"`
	P50Ms        float64 `json:"p50_ms"`
	P95Ms        float64 `json:"p95_ms"`
	P99Ms        float64 `json:"p99_ms"`
	Dropped      int64   `json:"dropped_iterations"`
	ThresholdsOK bool    `json:"thresholds_ok"`
	Interrupted  bool    `json:"interrupted"`
	StopReason   string  `json:"stop_reason,omitempty"`
}

// WorkerRun is one load generator's state.
type WorkerRun struct {
	Index int    `json:"index"`
	State string `json:"state"`
	Error string `json:"error,omitempty"`
}

// run is a run in progress in this process.
type run struct {
	mu      sync.Mutex
	st      RunStatus
	cancel  context.CancelFunc
	done    chan struct{}
	started chan struct{} // closed at the first tick or at the end
	once    sync.Once
}

func (r *run) snapshot() RunStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.st
	st.Plans = slices.Clone(st.Plans)
	st.Workers = slices.Clone(st.Workers)
	return st
}

// update changes the status under the lock.
func (r *run) update(f func(st *RunStatus)) {
	r.mu.Lock()
	f(&r.st)
	r.st.Updated = time.Now().UTC()
	r.mu.Unlock()
}

func (r *run) markStarted() { r.once.Do(func() { close(r.started) }) }

// preparedPlan is a plan ready to run.
type preparedPlan struct {
	name    string
	plan    *planspec.Plan
	limit   time.Duration // 0: the plan's own length
	planned time.Duration
}

// runSpec is everything a run needs, checked before it starts.
type runSpec struct {
	session, id string
	target      string
	plans       []preparedPlan
	workers     int // workers per plan (1 and ecs nil: in this process)
	ecs         *ecsTarget
	dir         string // local plan files
	cleanup     func()
}

// preparePlans fetches the session's plans, parses them with the target
// override and checks them against the allowlist and the caps.
func (s *Server) preparePlans(ctx context.Context, session string, names []string, target string, limit time.Duration) (*runSpec, error) {
	prefix := sessionKey(session, PlansPrefix)
	manifest, err := s.readObject(ctx, prefix+plangen.ManifestFile, 16<<20)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("session_id %q: no plans (%s); run generate_test_plans first", session, prefix+plangen.ManifestFile)
	}
	if err != nil {
		return nil, err
	}
	var res plangen.Result
	if err := json.Unmarshal(manifest, &res); err != nil {
		return nil, fmt.Errorf("%s: %w", prefix+plangen.ManifestFile, err)
	}
	var all []string
	for _, p := range res.Plans {
		all = append(all, p.File)
	}
	chosen := all
	if len(names) > 0 {
		chosen = nil
		for i, n := range names {
			f := n
			if !slices.Contains(all, f) {
				f = n + ".yaml"
			}
			if !slices.Contains(all, f) {
				return nil, fmt.Errorf("plans[%d] %q: no such plan; the session has %s", i, n, strings.Join(all, ", "))
			}
			if !slices.Contains(chosen, f) {
				chosen = append(chosen, f)
			}
		}
	}
	dir, cleanup, err := s.scratch("run")
	if err != nil {
		return nil, err
	}
	spec := &runSpec{session: session, target: target, dir: dir, cleanup: cleanup}
	ok := false
	defer func() {
		if !ok {
			cleanup()
		}
	}()
	if _, err := store.GetFolder(ctx, s.store, prefix, dir, store.FolderLimits{MaxFiles: 1000, MaxBytes: 1 << 30, Keep: func(key string) bool {
		rest := strings.TrimPrefix(key, prefix)
		return !strings.Contains(rest, "/") // plans and data, not the JMeter exports
	}}); err != nil {
		return nil, err
	}
	for _, name := range chosen {
		p, err := planspec.ParseFile(filepath.Join(dir, name), planspec.Options{Target: target})
		if err != nil {
			return nil, fmt.Errorf("plan %s: %w", name, err)
		}
		pp := preparedPlan{name: name, plan: p, planned: p.PlannedEnd()}
		if limit > 0 && limit < pp.planned {
			pp.limit, pp.planned = limit, limit
		}
		if err := s.checkPlan(ctx, pp); err != nil {
			return nil, err
		}
		spec.plans = append(spec.plans, pp)
	}
	ok = true
	return spec, nil
}

// checkPlan enforces the target allowlist and the caps on one plan.
func (s *Server) checkPlan(ctx context.Context, pp preparedPlan) error {
	p := pp.plan
	if p.Target != "" {
		if err := s.targets.CheckURL(ctx, p.Target); err != nil {
			return fmt.Errorf("plan %s: %w", pp.name, err)
		}
	}
	urls := map[string]bool{}
	for _, st := range p.AllSteps() {
		if st.Request != nil && strings.Contains(st.Request.URL, "://") && !strings.Contains(st.Request.URL, "${") {
			urls[st.Request.URL] = true
		}
	}
	for _, u := range slices.Sorted(maps.Keys(urls)) {
		if err := s.targets.CheckURL(ctx, u); err != nil {
			return fmt.Errorf("plan %s: step URL: %w", pp.name, err)
		}
	}
	var vus int
	var rate float64
	for i := range p.Scenarios {
		vus += p.Scenarios[i].PeakVUs()
		rate += p.Scenarios[i].PeakRate()
	}
	if vus > s.limits.MaxVUs {
		return fmt.Errorf("plan %s: up to %d VUs; this server allows at most %d (--max-vus)", pp.name, vus, s.limits.MaxVUs)
	}
	if rate > s.limits.MaxRate {
		return fmt.Errorf("plan %s: up to %s iterations/s; this server allows at most %s (--max-rate)", pp.name, fmtFloat(rate), fmtFloat(s.limits.MaxRate))
	}
	if pp.planned > s.limits.MaxDuration {
		return fmt.Errorf("plan %s: runs %s; this server allows at most %s (--max-duration); set monitoring_config.duration to cut it short",
			pp.name, pp.planned, s.limits.MaxDuration)
	}
	return nil
}

// startRun registers and starts a run. It returns once the first plan is
// sending load (or has ended), so that a run that cannot start is
// reported as failed, never as started.
func (s *Server) startRun(spec *runSpec) (*run, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		spec.cleanup()
		return nil, errors.New("the server is shutting down")
	}
	if active := len(s.runs); active >= s.limits.MaxRuns {
		s.mu.Unlock()
		spec.cleanup()
		return nil, fmt.Errorf("%d runs are in progress; this server allows %d at once (--max-runs): wait for one with get_test_status or cancel it", len(s.runs), s.limits.MaxRuns)
	}
	now := time.Now().UTC()
	spec.id = newID(now)
	ctx, cancel := context.WithCancel(context.Background())
	r := &run{cancel: cancel, done: make(chan struct{}), started: make(chan struct{})}
	r.st = RunStatus{Schema: RunStatusSchema, SessionID: spec.session, RunID: spec.id, State: StateQueued, Backend: "local",
		Target: spec.target, Created: now, Updated: now, Workers: make([]WorkerRun, max(spec.workers, 1)),
		Results: s.ref(ctx, runKey(spec.session, spec.id, ""))}
	for i := range r.st.Workers {
		r.st.Workers[i] = WorkerRun{Index: i, State: StateQueued}
	}
	for _, pp := range spec.plans {
		r.st.Plans = append(r.st.Plans, PlanRun{Name: pp.name, State: StateQueued, Planned: pp.planned.Seconds(),
			Outputs: runKey(spec.session, spec.id, planDir(pp.name)+"/")})
	}
	key := spec.session + "/" + spec.id
	s.runs[key] = r
	s.wg.Add(1)
	s.mu.Unlock()

	if err := s.persist(ctx, r); err != nil {
		s.mu.Lock()
		delete(s.runs, key)
		s.mu.Unlock()
		s.wg.Done()
		spec.cleanup()
		cancel()
		return nil, fmt.Errorf("the run could not start: storing its status: %w", err)
	}
	go func() {
		defer s.wg.Done()
		defer close(r.done)
		defer r.markStarted()
		defer spec.cleanup()
		if s.execute(ctx, r, spec) == nil {
			// Finished runs are read back from their stored status.
			s.mu.Lock()
			delete(s.runs, key)
			s.mu.Unlock()
		}
	}()
	select {
	case <-r.started:
	case <-time.After(10 * time.Second):
	}
	return r, nil
}

// planDir is a plan's output folder name: its file name without .yaml.
func planDir(name string) string { return strings.TrimSuffix(name, path.Ext(name)) }

// execute runs the plans one after another, so that they do not disturb
// each other's numbers, and stores their outputs. It returns the error of
// storing the final status.
func (s *Server) execute(ctx context.Context, r *run, spec *runSpec) error {
	defer r.cancel()
	stopPersist := make(chan struct{})
	go func() { // status.json every few seconds while running
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				_ = s.persist(context.Background(), r) // logged; the next one may work
			case <-stopPersist:
				return
			}
		}
	}()
	var total time.Duration
	for _, pp := range spec.plans {
		total += pp.planned
	}
	var before time.Duration
	failed := ""
	for i, pp := range spec.plans {
		if ctx.Err() != nil {
			r.update(func(st *RunStatus) { st.Plans[i].State = StateCancelled })
			continue
		}
		r.update(func(st *RunStatus) {
			st.State, st.Current = StateRunning, pp.name
			st.Plans[i].State = StateRunning
			if spec.workers <= 1 {
				st.Workers[0].State = StateRunning
			}
		})
		err := s.runPlan(ctx, r, spec, i, pp, func(l loadgen.Live) {
			r.markStarted()
			r.update(func(st *RunStatus) {
				st.Plans[i].Elapsed = l.Elapsed.Seconds()
				st.Plans[i].Live = &LiveNumbers{RPS: round2(l.RPS), P95Ms: round2(l.P95Ms), ErrorPct: round2(l.ErrorPct),
					VUs: l.VUs, Dropped: l.Dropped, Requests: l.Requests, Errors: l.Errors}
				if total > 0 {
					st.Progress = min(1, round4((before+min(l.Elapsed, pp.planned)).Seconds()/total.Seconds()))
				}
			})
		})
		before += pp.planned
		if err != nil && failed == "" {
			failed = fmt.Sprintf("plan %s: %v", pp.name, err)
		}
	}
	close(stopPersist)
	r.update(func(st *RunStatus) {
		st.Current = ""
		st.Ended = time.Now().UTC()
		var msg string
		switch {
		case ctx.Err() != nil:
			st.State, msg = StateCancelled, "cancelled; the outputs written so far are kept"
		case failed != "":
			st.State, st.Error = StateFailed, failed
		default:
			st.State, st.Progress = StateCompleted, 1
			msg = "completed; analyze it with analyze_test_results"
		}
		if spec.workers <= 1 { // several workers keep the states the coordinator reported
			st.Workers[0].State, st.Workers[0].Error = st.State, st.Error
		}
		if st.Message != "" && msg != "" {
			msg = st.Message + ". " + msg // worker failures first
		}
		if msg != "" {
			st.Message = msg
		}
	})
	err := s.persist(context.Background(), r)
	s.log.Info("run ended", "session", spec.session, "run", spec.id, "state", r.snapshot().State)
	return err
}

// runPlan runs one plan into its output folder and stores the outputs.
func (s *Server) runPlan(ctx context.Context, r *run, spec *runSpec, i int, pp preparedPlan, tick func(loadgen.Live)) error {
	prefix := runKey(spec.session, spec.id, planDir(pp.name)+"/")
	out, direct := "", false
	if l, ok := s.store.(*store.Local); ok {
		d, err := l.Dir(prefix)
		if err == nil {
			out, direct = d, true
		}
	}
	if !direct {
		out = filepath.Join(spec.dir, "out", planDir(pp.name))
	}
	fail := func(err error) error {
		r.update(func(st *RunStatus) {
			st.Plans[i].State, st.Plans[i].Error, st.Plans[i].Live = StateFailed, err.Error(), nil
		})
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fail(err)
	}
	if err := os.WriteFile(filepath.Join(out, "plan.yaml"), pp.plan.Source, 0o644); err != nil {
		return fail(err)
	}
	pctx := ctx
	if pp.limit > 0 {
		var cancel context.CancelFunc
		pctx, cancel = context.WithTimeout(ctx, pp.limit)
		defer cancel()
	}
	var sum *loadgen.Summary
	var err error
	if spec.workers > 1 || spec.ecs != nil {
		sum, err = s.runWorkers(pctx, r, spec, pp, out, tick)
	} else {
		sum, err = loadgen.Run(pctx, pp.plan, loadgen.Options{Out: out, Target: spec.target, OnTick: tick, Dial: s.targets.Dial,
			RunID: spec.id})
	}
	if !direct {
		if _, uerr := s.uploadDir(context.Background(), out, prefix); uerr != nil && err == nil {
			err = fmt.Errorf("storing the outputs: %w", uerr)
		}
	}
	if sum == nil {
		if err == nil {
			err = errors.New("no results")
		}
		return fail(err)
	}
	res := &PlanResult{Requests: sum.Total.Count, Errors: sum.Total.Errors, ErrorPct: round2(sum.Total.ErrorPct), RPS: round2(sum.Total.Rps),
		P50Ms: sum.Total.Duration.P50, P95Ms: sum.Total.Duration.P95, P99Ms: sum.Total.Duration.P99, Dropped: sum.DroppedIterations,
		ThresholdsOK: sum.ThresholdsOK, Interrupted: sum.Run.Interrupted, StopReason: sum.Run.StopReason}
	if pp.limit > 0 && errors.Is(pctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		res.StopReason = "monitoring_config.duration (" + pp.limit.String() + ") reached"
	}
	state := StateCompleted
	if ctx.Err() != nil {
		state = StateCancelled
	}
	if err != nil && !errors.Is(err, loadgen.ErrThresholds) {
		r.update(func(st *RunStatus) {
			st.Plans[i].State, st.Plans[i].Error, st.Plans[i].Result, st.Plans[i].Live = StateFailed, err.Error(), res, nil
		})
		return err
	}
	r.update(func(st *RunStatus) {
		st.Plans[i].State, st.Plans[i].Result, st.Plans[i].Live = state, res, nil
		st.Plans[i].Elapsed = round2(sum.Run.DurationS)
	})
	return nil
}

// ecsTarget is where an ECS run's tasks go.
type ecsTarget struct{ cluster, taskDefinition string }

// runWorkers runs a plan on spec.workers workers, local processes (the
// loadgen executable's worker command) or ECS tasks, and merges their
// outputs in out.
func (s *Server) runWorkers(ctx context.Context, r *run, spec *runSpec, pp preparedPlan, out string, tick func(loadgen.Live)) (*loadgen.Summary, error) {
	var backend dist.Backend = &dist.LocalBackend{Executable: s.workerExe}
	runID := spec.id
	if spec.ecs != nil {
		b, err := s.ecsBackend(ctx, spec.session, spec.ecs.cluster, spec.ecs.taskDefinition)
		if err != nil {
			return nil, err
		}
		backend = b
		runID = spec.id + "/" + planDir(pp.name) // the tasks' files beside the plan's outputs
	}
	res, err := dist.Run(ctx, pp.plan, dist.Options{
		Workers: spec.workers, Backend: backend, Out: out,
		Target: spec.target, RunID: runID, AllowTargets: s.allow,
		OnUpdate: func(st dist.Status) {
			running := false
			r.update(func(rs *RunStatus) {
				rs.Workers = rs.Workers[:0]
				for _, w := range st.Workers {
					wr := WorkerRun{Index: w.Index, State: w.State, Error: w.Error}
					rs.Workers = append(rs.Workers, wr)
					running = running || w.State == dist.WorkerRunning
				}
			})
			if running {
				tick(st.Live)
			}
		},
	})
	if res != nil && res.Summary == nil && err == nil {
		err = errors.New("no worker left results")
	}
	if res != nil && len(res.Failed) > 0 {
		msg := strings.Join(res.Failed, "; ")
		r.update(func(rs *RunStatus) { rs.Message = msg })
	}
	if res == nil {
		return nil, err
	}
	return res.Summary, err
}

// persist stores the run's status.json.
func (s *Server) persist(ctx context.Context, r *run) error {
	st := r.snapshot()
	b, err := json.MarshalIndent(st, "", "  ")
	if err == nil {
		err = s.store.Put(ctx, runKey(st.SessionID, st.RunID, StatusFile), append(b, '\n'))
	}
	if err != nil {
		s.log.Warn("storing run status", "session", st.SessionID, "run", st.RunID, "error", err.Error())
	}
	return err
}

// lookupRun finds a run: in memory if this process runs it, else its
// stored status. An empty id means the session's latest run.
func (s *Server) lookupRun(ctx context.Context, session, id string) (*run, *RunStatus, error) {
	if id == "" {
		ids, err := s.store.Children(ctx, sessionKey(session, RunsPrefix))
		if err != nil {
			return nil, nil, err
		}
		if len(ids) == 0 {
			return nil, nil, fmt.Errorf("session_id %q: no runs yet; start one with execute_performance_test", session)
		}
		id = ids[len(ids)-1] // ids sort by start time
	} else if err := checkID("run_id", id); err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	r := s.runs[session+"/"+id]
	s.mu.Unlock()
	if r != nil {
		st := r.snapshot()
		return r, &st, nil
	}
	key := runKey(session, id, StatusFile)
	b, err := s.readObject(ctx, key, 16<<20)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("run_id %q: no such run in session %q", id, session)
	}
	if err != nil {
		return nil, nil, err
	}
	var st RunStatus
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", key, err)
	}
	if st.State == StateQueued || st.State == StateRunning {
		st.Message = "this server process is not running it; the status is as last stored at " + st.Updated.Format(time.RFC3339)
	}
	return nil, &st, nil
}

func round2(f float64) float64 { return roundN(f, 100) }
func round4(f float64) float64 { return roundN(f, 10000) }

func roundN(f, n float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(f*n, 'f', 0, 64), 64)
	return v / n
}
