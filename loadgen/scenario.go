package loadgen

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadgen/loadgen/loadgen/httpx"
	"github.com/loadgen/loadgen/planspec"
)

// scenarioRun is the runtime of one scenario: its VUs and counters.
type scenarioRun struct {
	e       *engine
	index   int
	cfg     *planspec.Scenario
	steps   []*step
	arrival bool

	active     atomic.Int64 // active VUs (see enter)
	vus        atomic.Int64 // VUs allocated (vus_max)
	iterations atomic.Int64 // iterations completed
	dropped    atomic.Int64 // arrivals with no free VU
	started    atomic.Int64 // arrivals handed to a VU (written by the scheduler only)

	mu  sync.Mutex
	all []*vu // for hard-stop interrupts

	ready []*vu // arrival-rate VUs allocated (and connected) before the run

	usesFeeder []bool // the feeders the scenario's templates read
	flows      bool   // iterations need resetIteration (variables or feeders)
}

func (e *engine) newScenarioRuns() []*scenarioRun {
	runs := make([]*scenarioRun, len(e.plan.Scenarios))
	for i := range e.plan.Scenarios {
		sc := &e.plan.Scenarios[i]
		runs[i] = &scenarioRun{
			e:       e,
			index:   i,
			cfg:     sc,
			steps:   e.comp.scenarios[i],
			arrival: planspec.IsArrivalRate(sc.Executor),
		}
		runs[i].usesFeeder = e.comp.feeding[i]
		runs[i].flows = len(e.comp.varNames) > 0 || slices.Contains(runs[i].usesFeeder, true)
	}
	return runs
}

// plannedEnd is when the scenario stops starting iterations, from test start.
func (sr *scenarioRun) plannedEnd() time.Duration { return sr.cfg.PlannedEnd() }

// length is the scenario's regular duration (without graceful stop).
func (sr *scenarioRun) length() time.Duration { return sr.cfg.Length() }

func (sr *scenarioRun) newVU() *vu {
	n := sr.vus.Add(1)
	// the VU's number in the whole plan, also when this process runs one
	// segment of it
	v := newVU(sr, int32(sr.e.opts.Segment.global(int(n-1))+1))
	sr.mu.Lock()
	sr.all = append(sr.all, v)
	sr.mu.Unlock()
	return v
}

// enter and leave count active VUs: for closed-model executors a VU is
// active while it loops, for arrival-rate ones while it runs an iteration.
func (sr *scenarioRun) enter() {
	sr.active.Add(1)
	sr.e.activeAll.Add(1)
}

func (sr *scenarioRun) leave() {
	sr.active.Add(-1)
	sr.e.activeAll.Add(-1)
}

// firstRequest is the scenario's first request, or nil.
func (sr *scenarioRun) firstRequest() *httpx.Prepared {
	var first func([]*step) *httpx.Prepared
	first = func(steps []*step) *httpx.Prepared {
		for _, s := range steps {
			if s.req != nil {
				return s.req
			}
			if r := first(s.children); r != nil {
				return r
			}
		}
		return nil
	}
	return first(sr.steps)
}

// preallocate creates an arrival-rate scenario's pre-allocated VUs before
// the run starts and opens their connection to the first request's host,
// as VU initialisation: the first arrivals then find warm VUs instead of
// paying for a burst of connects that the schedule cannot wait for.
func (sr *scenarioRun) preallocate(ctx context.Context) {
	if !sr.arrival {
		return
	}
	n := sr.e.opts.Segment.share(*sr.cfg.PreAllocatedVUs)
	sr.ready = make([]*vu, n)
	for i := range sr.ready {
		sr.ready[i] = sr.newVU()
	}
	req := sr.firstRequest()
	if req == nil || sr.e.h2 != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, preconnectTimeout)
	defer cancel()
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for _, v := range sr.ready {
		c, ok := v.client.(*httpx.Client)
		if !ok {
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c.Preconnect(ctx, req)
		}()
	}
	wg.Wait()
}

// preconnectTimeout bounds the connection warm-up of pre-allocated VUs.
const preconnectTimeout = 5 * time.Second

func (sr *scenarioRun) interruptAll() {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	for _, v := range sr.all {
		v.interrupt()
	}
}

// run waits for start_time, runs the executor until its regular end (or
// until stop is cancelled), then gives in-flight iterations graceful_stop
// before interrupting them.
func (sr *scenarioRun) run(stop context.Context) {
	if d := sr.cfg.StartTime.D(); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-stop.Done():
			t.Stop()
			for _, v := range sr.ready {
				v.close()
			}
			return
		}
	}
	gentle, cancelGentle := context.WithTimeout(stop, sr.length())
	defer cancelGentle()
	hard, cancelHard := context.WithCancel(context.Background())
	defer cancelHard()
	done := make(chan struct{})
	go func() {
		select {
		case <-gentle.Done():
		case <-done:
			return
		}
		t := time.NewTimer(sr.cfg.GracefulStop.D())
		defer t.Stop()
		select {
		case <-t.C:
		case <-sr.e.opts.HardStop:
		case <-done:
			return
		}
		cancelHard()
		sr.interruptAll()
	}()

	var wg sync.WaitGroup
	seg := sr.e.opts.Segment
	switch sr.cfg.Executor {
	case planspec.ConstantVUs:
		sr.loopVUs(&wg, gentle, hard, seg.share(*sr.cfg.VUs), func(*vu) bool { return true })
	case planspec.PerVUIterations:
		per := int64(*sr.cfg.Iterations)
		sr.loopVUs(&wg, gentle, hard, seg.share(*sr.cfg.VUs), func(v *vu) bool { return v.iter.Load() < per })
	case planspec.SharedIterations:
		var left atomic.Int64
		left.Store(int64(seg.sharedIterations(*sr.cfg.Iterations, *sr.cfg.VUs)))
		sr.loopVUs(&wg, gentle, hard, seg.share(*sr.cfg.VUs), func(*vu) bool { return left.Add(-1) >= 0 })
	case planspec.RampingVUs:
		sr.rampingVUs(&wg, gentle, hard)
	case planspec.ConstantArrivalRate, planspec.RampingArrivalRate:
		sr.arrivalRate(&wg, stop, gentle, hard)
	}
	wg.Wait()
	close(done)
}

// loopVUs starts n VUs that run iterations while next allows and the
// scenario has time left.
func (sr *scenarioRun) loopVUs(wg *sync.WaitGroup, gentle, hard context.Context, n int, next func(*vu) bool) {
	for i := range n {
		if i%64 == 1 {
			// let the VUs started so far send their first request instead
			// of waiting until thousands of VUs exist
			runtime.Gosched()
		}
		v := sr.newVU()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer v.close()
			sr.enter()
			defer sr.leave()
			for gentle.Err() == nil && next(v) {
				v.runIteration(hard, gentle, 0)
			}
		}()
	}
}

// rampingVUs follows the stages: VU i runs while the current target is
// above i; a VU above the target finishes its iteration (interrupted after
// graceful_ramp_down) and waits to be needed again.
func (sr *scenarioRun) rampingVUs(wg *sync.WaitGroup, gentle, hard context.Context) {
	seg := sr.e.opts.Segment
	start := seg.share(*sr.cfg.StartVUs)
	// This segment's VUs start and stop when the whole plan's would.
	var changes []vuChange
	cur := start
	for _, ch := range vuChanges(*sr.cfg.StartVUs, vuSegments(sr.cfg)) {
		if n := seg.share(ch.VUs); n != cur {
			changes = append(changes, vuChange{At: ch.At, VUs: n})
			cur = n
		}
	}
	var target atomic.Int64
	target.Store(int64(start))
	type rvu struct {
		v    *vu
		wake chan struct{}
		mu   sync.Mutex
		stop context.CancelFunc // cancels the iteration in flight
	}
	var vus []*rvu
	spawn := func() {
		r := &rvu{v: sr.newVU(), wake: make(chan struct{}, 1)}
		idx := int64(len(vus))
		vus = append(vus, r)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer r.v.close()
			sr.enter()
			defer sr.leave()
			for gentle.Err() == nil {
				if idx >= target.Load() {
					r.v.flush()
					sr.leave()
					select {
					case <-r.wake:
						sr.enter()
						continue
					case <-gentle.Done():
						sr.enter() // balanced by the deferred leave
						return
					}
				}
				ictx, cancel := context.WithCancel(hard)
				r.mu.Lock()
				r.stop = cancel
				r.mu.Unlock()
				r.v.runIteration(ictx, gentle, 0)
				r.mu.Lock()
				r.stop = nil
				r.mu.Unlock()
				cancel()
				r.v.client.Resume()
			}
		}()
	}
	for range start {
		spawn()
	}
	rampDown := sr.cfg.GracefulRampDown.D()
	t0 := time.Now()
	timer := time.NewTimer(0)
	<-timer.C
	defer timer.Stop()
	for _, ch := range changes {
		timer.Reset(time.Until(t0.Add(ch.At)))
		select {
		case <-timer.C:
		case <-gentle.Done():
			return
		}
		old := int(target.Load())
		for len(vus) < ch.VUs {
			spawn()
		}
		target.Store(int64(ch.VUs))
		for i := old; i < ch.VUs; i++ {
			select {
			case vus[i].wake <- struct{}{}:
			default:
			}
		}
		for i := ch.VUs; i < old; i++ {
			r := vus[i]
			seen := r.v.iter.Load()
			idx := int64(i)
			time.AfterFunc(rampDown, func() {
				if target.Load() > idx || r.v.iter.Load() != seen {
					return
				}
				r.mu.Lock()
				if r.stop != nil {
					r.stop()
					r.v.interrupt()
				}
				r.mu.Unlock()
			})
		}
	}
	<-gentle.Done()
}

// arrivalRate starts iterations at the intended times of the rate profile.
// A free VU takes the arrival; with none free, a new VU is started up to
// max_vus; beyond that the arrival is dropped (never queued).
//
// Every arrival scheduled before the end is started, even when the
// scheduler runs a little late; only a stop (signal, abort) cuts the
// schedule short.
func (sr *scenarioRun) arrivalRate(wg *sync.WaitGroup, stop, gentle, hard context.Context) {
	sc := sr.cfg
	seg := sr.e.opts.Segment
	// max_vus is a ceiling, split like the VUs; a segment with arrivals to
	// run keeps at least one VU.
	maxVUs := int64(max(seg.share(*sc.MaxVUs), 1))
	idle := make(chan *avu, maxVUs)
	// scheduled is closed once the scheduler hands out no more arrivals;
	// VUs exit on it (not on the scenario's end, when late arrivals may
	// still be on their way to them).
	scheduled := make(chan struct{})
	spawn := func(v *vu, first int64) *avu {
		if v == nil {
			v = sr.newVU()
		}
		a := &avu{v: v, work: make(chan int64, 1)}
		if first > 0 {
			a.work <- first
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer a.v.close()
			for {
				select {
				case due := <-a.work:
					a.v.runIteration(hard, gentle, due)
					a.v.flush()
					idle <- a
				case <-scheduled:
					select { // an arrival handed over before the close still runs
					case due := <-a.work:
						a.v.runIteration(hard, gentle, due)
					default:
					}
					return
				}
			}
		}()
		return a
	}
	for _, v := range sr.ready {
		idle <- spawn(v, 0)
	}
	defer close(scheduled)

	arr := newArrivals(rateSegments(sc), sc.Arrivals == "poisson", sr.e.seed+uint64(sr.index))
	t0 := sr.e.clock()
	sleep := newSleeper(stop, sr.e)
	defer sleep.close()
	for j := int64(0); ; j++ {
		off, ok := arr.Next()
		if !ok {
			break
		}
		if !seg.owns(j) {
			continue // another segment's arrival
		}
		due := t0 + int64(off)
		if !sleep.sleepUntil(due) {
			return
		}
		select {
		case a := <-idle:
			a.work <- due
			sr.started.Add(1)
		default:
			if sr.vus.Load() < maxVUs {
				spawn(nil, due)
				sr.started.Add(1)
			} else {
				sr.dropped.Add(1)
			}
		}
	}
	<-gentle.Done()
}

// avu is an arrival-rate VU with its work slot.
type avu struct {
	v    *vu
	work chan int64
}
