package loadgen

import (
	"context"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/expr-lang/expr/vm"
	"go.opentelemetry.io/otel/trace"

	"github.com/loadgen/loadgen/loadgen/httpx"
	"github.com/loadgen/loadgen/loadgen/record"
)

// batchSize is how many samples a VU collects before handing them to the
// recorder; batchAge bounds how long a sample may wait in a VU's batch.
const (
	batchSize = 128
	batchAge  = int64(50 * time.Millisecond)
)

// batch is a VU's buffer of samples on its way to the recorder.
type batch struct {
	samples []record.Sample
	born    int64
}

var batchPool = sync.Pool{New: func() any { return &batch{samples: make([]record.Sample, 0, batchSize)} }}

// vu is one virtual user: a goroutine with its own connections that runs
// iterations one after the other.
type vu struct {
	id     int32 // 1-based within the scenario
	sr     *scenarioRun
	client httpx.Doer
	rng    *rand.Rand
	timer  *time.Timer
	res    httpx.Result
	batch  *batch
	iter   atomic.Int64 // iterations started
	flow   flowState
	vm     *vm.VM // reused by the checks (allocated by the first)

	traceRNG uint64 // state of the request sampling draws (see sampled)
}

func newVU(sr *scenarioRun, id int32) *vu {
	e := sr.e
	v := &vu{
		id:  id,
		sr:  sr,
		rng: rand.New(rand.NewPCG(uint64(sr.index)<<32|uint64(id), e.seed)),

		traceRNG: e.seed ^ (uint64(sr.index)<<32 | uint64(id)),
	}
	if n := len(e.comp.varNames); n > 0 {
		v.flow.vars, v.flow.set = make([]string, n), make([]bool, n)
	}
	if n := len(e.comp.feeders); n > 0 {
		v.flow.rows, v.flow.cursors = make([][]string, n), make([]int, n)
	}
	if e.h2 != nil {
		v.client = httpx.NewH2Client(e.h2, e.clock)
	} else {
		v.client = httpx.NewClient(httpx.Config{TLS: e.tls, Clock: e.clock, Dial: e.opts.Dial})
	}
	return v
}

// interrupt aborts the VU's request in flight (hard stop).
func (v *vu) interrupt() { v.client.Interrupt() }

// close flushes the VU's samples and releases its connections.
func (v *vu) close() {
	v.flush()
	v.client.Close()
	if v.timer != nil {
		v.timer.Stop()
	}
}

// flush hands the pending samples to the recorder.
func (v *vu) flush() {
	if v.batch != nil && len(v.batch.samples) > 0 {
		v.sr.e.rec.submit(v.batch)
		v.batch = nil
	}
}

// emit appends a sample to the VU's batch.
func (v *vu) emit(s *record.Sample) {
	if v.batch == nil {
		v.batch = batchPool.Get().(*batch)
		v.batch.born = s.Start
	}
	v.batch.samples = append(v.batch.samples, *s)
	if len(v.batch.samples) == cap(v.batch.samples) || s.Start-v.batch.born > batchAge {
		v.flush()
	}
}

// sleep waits d or until ctx is done; it reports whether the full time
// passed. Pending samples are flushed first, as the VU goes idle.
func (v *vu) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	v.flush()
	if v.timer == nil {
		v.timer = time.NewTimer(d)
	} else {
		v.timer.Reset(d)
	}
	select {
	case <-v.timer.C:
		return true
	case <-ctx.Done():
		v.timer.Stop()
		return false
	}
}

// iterationState is the per-iteration context of a VU.
type iterationState struct {
	lateness int64 // ns between the intended and the actual iteration start
	stopped  bool  // a step with on_failure: stop_iteration failed
}

// runIteration runs the scenario's steps once. ctx interrupts the
// iteration (hard stop); gentle ends the pause after the last step, which
// closed-model VUs take before their next iteration. intended is the
// scheduled start on the engine clock (arrival-rate executors), or 0.
func (v *vu) runIteration(ctx, gentle context.Context, intended int64) {
	sr := v.sr
	v.iter.Add(1)
	if sr.arrival {
		sr.enter()
	}
	st := iterationState{}
	if sr.flows {
		v.resetIteration()
	}
	if intended > 0 {
		if late := sr.e.clock() - intended; late > 0 {
			st.lateness = late
		}
	}
	steps := sr.steps
	completed := true
	for i, s := range steps {
		v.runStep(ctx, s, &st, nil)
		if ctx.Err() != nil {
			completed = false
			break
		}
		if st.stopped {
			break
		}
		// Think time follows every step but the last, between steps.
		if i < len(steps)-1 && !v.sleep(ctx, v.think(s)) {
			completed = false
			break
		}
	}
	if sr.arrival {
		sr.leave()
	}
	if completed {
		sr.iterations.Add(1)
	}
	// Closed-model VUs also pause after the last step, so a single-step
	// scenario with think_time paces its VUs; arrival-rate iterations end
	// at their last step, as the arrival process paces them.
	if completed && !sr.arrival {
		v.sleep(gentle, v.think(steps[len(steps)-1]))
	}
}

func (v *vu) think(s *step) time.Duration {
	t := s.think
	if t == nil {
		t = v.sr.cfg.ThinkTime
	}
	return thinkDuration(t, v.rng.Int64N)
}

// txn accumulates a group's transaction row.
type txn struct {
	start          int64
	elapsed        int64
	latency        int64
	connect        int64
	sent, received int64
	children       int32
	failed         int32
}

func (t *txn) add(s *record.Sample) {
	if t.children == 0 {
		t.start = s.Start
	}
	t.children++
	if !s.Success {
		t.failed++
	}
	t.elapsed += s.Elapsed
	t.latency += s.Latency
	t.connect += s.Connect
	t.sent += s.Sent
	t.received += s.Received
}

// runStep runs a request step, or a group and then its transaction row.
func (v *vu) runStep(ctx context.Context, s *step, st *iterationState, parent *txn) {
	if s.children != nil {
		var t txn
		for i, c := range s.children {
			if ctx.Err() != nil {
				return
			}
			v.runStep(ctx, c, st, &t)
			if st.stopped || ctx.Err() != nil {
				break
			}
			if i < len(s.children)-1 {
				if !v.sleep(ctx, v.think(c)) {
					return
				}
			}
		}
		if t.children == 0 || ctx.Err() != nil {
			return
		}
		grp, all := v.threads()
		smp := record.Sample{
			Start:          t.start,
			Elapsed:        t.elapsed,
			Latency:        t.latency,
			Connect:        t.connect,
			Corrected:      t.elapsed + st.lateness,
			Sent:           t.sent,
			Received:       t.received,
			Step:           s.idx,
			VU:             v.id,
			GrpThreads:     grp,
			AllThreads:     all,
			Success:        t.failed == 0,
			Transaction:    true,
			Children:       t.children,
			FailedChildren: t.failed,
		}
		if parent != nil {
			parent.add(&smp)
		}
		smp.Message = transactionMessage(t.children, t.failed)
		v.emit(&smp)
		return
	}

	e := v.sr.e
	req := s.req
	var span trace.Span
	var traceHdr [][2]string
	if e.tracer != nil && v.sampled() {
		span, traceHdr = v.startSpan(ctx, s)
	}
	if req == nil || v.flow.jar != nil || span != nil {
		var err error
		if req, err = v.build(s, traceHdr); err != nil {
			smp := v.unsent(s, st, parent, err)
			if span != nil {
				v.endSpan(span, nil, &smp)
			}
			return
		}
	}
	r := &v.res
	v.client.Do(ctx, req, r)
	if e.firstReq.Load() == 0 && r.Start > 0 {
		e.firstReq.CompareAndSwap(0, r.Start)
	}
	if r.Interrupted {
		if span != nil {
			span.End()
		}
		return
	}
	grp, all := v.threads()
	smp := record.Sample{
		Start:      e.wall(r.Start),
		Elapsed:    r.End - r.Start,
		Connect:    r.Connect,
		Sent:       r.Sent,
		Received:   r.Received,
		Step:       s.idx,
		VU:         v.id,
		GrpThreads: grp,
		AllThreads: all,
		URL:        req.URL,
	}
	if r.FirstByte > 0 {
		smp.Latency = r.FirstByte - r.Start
	}
	smp.Corrected = smp.Elapsed + st.lateness
	if r.Err != nil {
		smp.Code, smp.Message = httpx.Describe(r.Err, req)
		smp.Latency = 0
	} else {
		smp.Status = int32(r.Status)
		smp.Success = r.Status >= 200 && r.Status < 400
		smp.Message = statusMessage(r)
		smp.Binary = isBinary(r.ContentType)
		v.afterResponse(s, req, r, &smp)
	}
	if parent != nil {
		parent.add(&smp)
	}
	if !smp.Success && s.stopOnErr {
		st.stopped = true
	}
	if span != nil {
		v.endSpan(span, req, &smp)
	}
	v.emit(&smp)
}

// afterResponse keeps the response's cookies, runs the step's extractors,
// then its checks, which decide the sample's success when present.
func (v *vu) afterResponse(s *step, req *httpx.Prepared, r *httpx.Result, smp *record.Sample) {
	v.flow.jsonTry = false
	if v.sr.e.cookies {
		v.storeCookies(req.URL, r.Response)
	}
	if len(s.extract) > 0 {
		v.extract(s, r.Response)
	}
	if len(s.checks) > 0 {
		failed, first := v.runChecks(s, r.Response, smp.Elapsed, smp.Received)
		smp.Checks, smp.ChecksFailed = int32(len(s.checks)), failed
		smp.Success, smp.FailureMessage = failed == 0, first
	}
}

// threads are JMeter's grpThreads and allThreads: the active VUs of the
// scenario and of the run. The two counters change one after the other,
// so a reading between the two is evened out: all is never below grp.
func (v *vu) threads() (grp, all int32) {
	grp = int32(v.sr.active.Load())
	all = max(int32(v.sr.e.activeAll.Load()), grp)
	return grp, all
}

// unsent records a step that could not be sent (an undefined variable):
// a failed sample with no response code, named by its failureMessage. It
// returns the sample.
func (v *vu) unsent(s *step, st *iterationState, parent *txn, err error) record.Sample {
	e := v.sr.e
	now := e.clock()
	grp, all := v.threads()
	smp := record.Sample{
		Start:          e.wall(now),
		Step:           s.idx,
		VU:             v.id,
		GrpThreads:     grp,
		AllThreads:     all,
		Corrected:      st.lateness,
		FailureMessage: err.Error(),
		URL:            s.rt.urlText(),
	}
	if parent != nil {
		parent.add(&smp)
	}
	if s.stopOnErr {
		st.stopped = true
	}
	v.emit(&smp)
	return smp
}

func statusMessage(r *httpx.Result) string {
	msg := r.Response.Header.StatusMessage()
	std := http.StatusText(r.Status)
	if len(msg) == 0 || string(msg) == std {
		return std
	}
	return string(msg)
}

func isBinary(ct []byte) bool {
	return hasPrefix(ct, "image/") || hasPrefix(ct, "audio/") || hasPrefix(ct, "video/")
}

func hasPrefix(b []byte, p string) bool {
	return len(b) >= len(p) && string(b[:len(p)]) == p
}

func transactionMessage(n, failed int32) string {
	return "Number of samples in transaction : " + itoa(int64(n)) + ", number of failing samples : " + itoa(int64(failed))
}
