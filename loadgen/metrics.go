package loadgen

import (
	"time"

	"github.com/loadgen/loadgen/loadgen/record"
)

// DurationBounds are the upper bounds, in seconds, of the buckets of the
// duration histograms in Metrics: 100 µs to 60 s, about three buckets per
// decade, so that percentiles between 1 ms and 60 s read within one bucket
// of a factor of 2 or less.
var DurationBounds = []float64{
	0.0001, 0.00025, 0.0005, 0.00075,
	0.001, 0.0015, 0.002, 0.003, 0.005, 0.0075,
	0.01, 0.015, 0.02, 0.03, 0.05, 0.075,
	0.1, 0.15, 0.2, 0.3, 0.5, 0.75,
	1, 1.5, 2, 3, 5, 7.5,
	10, 15, 20, 30, 60,
}

// Metrics is a snapshot of a running test for live telemetry, handed to
// Options.OnMetrics every Options.MetricsInterval. Counts and histograms
// are cumulative since Start; the snapshot belongs to the receiver.
type Metrics struct {
	// Start is when the run's clock started; Time is when the snapshot
	// was taken.
	Start, Time time.Time
	// Final marks the last snapshot, taken after every request finished:
	// its counts equal the summary's.
	Final bool
	// Requests are the request statistics per scenario, step and status
	// (transaction rows of groups are not requests and are left out).
	Requests []RequestSeries
	// Scenarios are the executors' gauges and counters.
	Scenarios []ScenarioMetrics
}

// RequestSeries are the cumulative statistics of the requests of one step
// that ended with one status.
type RequestSeries struct {
	Scenario, Step string
	// Status is the HTTP status, 0 when no response arrived.
	Status int
	// Count counts the requests; Failed those that failed (no response,
	// a 4xx/5xx status, or a failed check).
	Count, Failed int64
	// Sent and Received are bytes on the wire.
	Sent, Received int64
	// Duration is http_req_duration and Corrected
	// http_req_duration_corrected, over DurationBounds.
	Duration, Corrected Histogram
}

// Histogram is an explicit-bucket histogram of durations in seconds over
// DurationBounds: Counts[i] counts the values in (DurationBounds[i-1],
// DurationBounds[i]], and the last count those above the last bound.
type Histogram struct {
	Counts   []uint64
	Sum      float64
	Min, Max float64 // 0 when Counts are all 0
}

// Count is the number of values in the histogram.
func (h *Histogram) Count() uint64 {
	var n uint64
	for _, c := range h.Counts {
		n += c
	}
	return n
}

// ScenarioMetrics are one scenario's executor numbers.
type ScenarioMetrics struct {
	Name, Executor string
	// VUs are active now; VUsMax are allocated.
	VUs, VUsMax int64
	// Iterations counts completed iterations; Dropped the arrivals an
	// arrival-rate executor could not start (no free VU).
	Iterations, Dropped int64
	// PlannedRate is the arrival rate the profile asks for now, in
	// iterations per second (this process's share of it for a worker; 0
	// for VU executors). AchievedRate is the rate of the last interval:
	// iterations started per second for arrival-rate executors,
	// completed per second for VU executors.
	PlannedRate, AchievedRate float64
}

// histNs is a histogram being filled, with bounds in ns.
type histNs struct {
	counts   []uint64
	sum      int64
	min, max int64
}

// boundsNs are DurationBounds in ns, for the recorder's bucket search.
var boundsNs = func() []int64 {
	b := make([]int64, len(DurationBounds))
	for i, s := range DurationBounds {
		b[i] = int64(s * 1e9)
	}
	return b
}()

func (h *histNs) add(ns int64) {
	if ns < 0 {
		ns = 0
	}
	lo, hi := 0, len(boundsNs)
	for lo < hi { // first bound ≥ ns
		m := int(uint(lo+hi) >> 1)
		if boundsNs[m] < ns {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if h.counts == nil {
		h.counts = make([]uint64, len(boundsNs)+1)
		h.min, h.max = ns, ns
	}
	h.counts[lo]++
	h.sum += ns
	h.min = min(h.min, ns)
	h.max = max(h.max, ns)
}

func (h *histNs) snapshot() Histogram {
	out := Histogram{Counts: make([]uint64, len(boundsNs)+1)}
	if h.counts == nil {
		return out
	}
	copy(out.Counts, h.counts)
	out.Sum = float64(h.sum) / 1e9
	out.Min, out.Max = float64(h.min)/1e9, float64(h.max)/1e9
	return out
}

// seriesAcc accumulates one RequestSeries on the recorder goroutine.
type seriesAcc struct {
	status                  int32
	count, failed           int64
	sent, received          int64
	duration, corrected     histNs
	scenarioName, stepLabel string
}

// liveMetrics is the recorder's side of Options.OnMetrics.
type liveMetrics struct {
	bySteps [][]*seriesAcc // per label: one accumulator per status seen
	order   []*seriesAcc   // in order of appearance
	prev    []int64        // per scenario: started (or completed) at the last snapshot
	prevAt  time.Time
}

func newLiveMetrics(nLabels, nScenarios int, start time.Time) *liveMetrics {
	return &liveMetrics{bySteps: make([][]*seriesAcc, nLabels), prev: make([]int64, nScenarios), prevAt: start}
}

// add counts a request sample (called for every sample on the recorder
// goroutine: a short scan of the step's statuses and two bucket searches).
func (m *liveMetrics) add(s *record.Sample, info *record.StepInfo) {
	list := m.bySteps[s.Step]
	var acc *seriesAcc
	for _, a := range list {
		if a.status == s.Status {
			acc = a
			break
		}
	}
	if acc == nil {
		acc = &seriesAcc{status: s.Status, scenarioName: info.Scenario, stepLabel: info.Label}
		m.bySteps[s.Step] = append(list, acc)
		m.order = append(m.order, acc)
	}
	acc.count++
	if !s.Success {
		acc.failed++
	}
	acc.sent += s.Sent
	acc.received += s.Received
	acc.duration.add(s.Elapsed)
	acc.corrected.add(s.Corrected)
}

// snapshot builds the Metrics at now.
func (r *recorder) metricsSnapshot(now time.Time, final bool) *Metrics {
	m := r.lm
	out := &Metrics{Start: r.e.base, Time: now, Final: final,
		Requests: make([]RequestSeries, 0, len(m.order)), Scenarios: make([]ScenarioMetrics, 0, len(r.runs))}
	for _, a := range m.order {
		out.Requests = append(out.Requests, RequestSeries{
			Scenario: a.scenarioName, Step: a.stepLabel, Status: int(a.status),
			Count: a.count, Failed: a.failed, Sent: a.sent, Received: a.received,
			Duration: a.duration.snapshot(), Corrected: a.corrected.snapshot(),
		})
	}
	secs := now.Sub(m.prevAt).Seconds()
	elapsed := now.Sub(r.e.base)
	for i, sr := range r.runs {
		sm := ScenarioMetrics{
			Name: sr.cfg.Name, Executor: sr.cfg.Executor,
			VUs: sr.active.Load(), VUsMax: sr.vus.Load(),
			Iterations: sr.iterations.Load(), Dropped: sr.dropped.Load(),
		}
		done := sm.Iterations
		if sr.arrival {
			done = sr.started.Load()
			if !final {
				sm.PlannedRate = sr.plannedRate(elapsed)
			}
		}
		if secs > 0 {
			sm.AchievedRate = float64(done-m.prev[i]) / secs
		}
		m.prev[i] = done
		out.Scenarios = append(out.Scenarios, sm)
	}
	m.prevAt = now
	return out
}

// plannedRate is the arrival rate (iterations/s) the scenario's profile asks
// of this process at elapsed time since the run's start.
func (sr *scenarioRun) plannedRate(elapsed time.Duration) float64 {
	t := elapsed - sr.cfg.StartTime.D()
	if t < 0 {
		return 0
	}
	rate := -1.0
	for _, sg := range rateSegments(sr.cfg) {
		if t < sg.Dur {
			rate = sg.From + (sg.To-sg.From)*float64(t)/float64(sg.Dur)
			break
		}
		t -= sg.Dur
	}
	if rate < 0 {
		return 0 // the profile has ended
	}
	if n := sr.e.opts.Segment.Count; n > 1 {
		rate /= float64(n) // arrivals are striped over the workers
	}
	return rate
}
