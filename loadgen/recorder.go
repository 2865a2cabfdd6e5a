package loadgen

import (
	"fmt"
	"os"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgen/loadgen/loadgen/record"
	"github.com/loadgen/loadgen/planspec"
)

// recorder is the one goroutine that consumes samples: it writes the JTL
// and the HDR log and keeps every statistic. VUs only hand it batches.
type recorder struct {
	e    *engine
	runs []*scenarioRun
	in   chan *batch

	jtl  *record.JTLWriter
	hlog *record.HDRLog

	steps []*stepStats
	total *stepStats
	sinks []*sink
	err   error

	aborted []string // thresholds that stopped the run

	// progress window
	win       *hdr.Histogram
	winCount  int64
	winErrors int64
	lastTick  time.Time
	progress  *progress
	planned   time.Duration // when the last scenario is planned to end

	lm *liveMetrics // Options.OnMetrics' aggregates (nil: not asked for)
}

func newRecorder(e *engine, runs []*scenarioRun, jtlF, hlogF *os.File) (*recorder, error) {
	jtl, err := record.NewJTLWriter(jtlF, JTLFile, e.comp.labels, e.opts.JTL)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", JTLFile, err)
	}
	hlog, err := record.NewHDRLog(hlogF, e.comp.labels, e.base, record.HDRLogOptions{Version: Version})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", HLogFile, err)
	}
	r := &recorder{
		e:        e,
		runs:     runs,
		in:       make(chan *batch, 4096),
		jtl:      jtl,
		hlog:     hlog,
		total:    newStepStats(),
		sinks:    newSinks(e.plan, e.comp),
		win:      newHist(),
		lastTick: e.base,
	}
	for range e.comp.labels {
		r.steps = append(r.steps, newStepStats())
	}
	if e.opts.Segment.split() {
		for _, k := range r.sinks {
			k.scale = float64(e.opts.Segment.Count)
		}
	}
	for _, sr := range runs {
		r.planned = max(r.planned, sr.plannedEnd())
	}
	if e.opts.Progress != nil {
		r.progress = newProgress(e)
	}
	if e.opts.OnMetrics != nil {
		r.lm = newLiveMetrics(len(e.comp.labels), len(runs), e.base)
	}
	return r, nil
}

// submit hands a batch to the recorder (called by VUs).
func (r *recorder) submit(b *batch) { r.in <- b }

// close ends the sample stream; call it once every VU has stopped.
func (r *recorder) close() { close(r.in) }

func (r *recorder) loop() {
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	var metricsC <-chan time.Time // nil (never ready) unless metrics are asked for
	if r.lm != nil {
		every := r.e.opts.MetricsInterval
		if every <= 0 {
			every = time.Second
		}
		mt := time.NewTicker(every)
		defer mt.Stop()
		metricsC = mt.C
	}
	for {
		select {
		case b, ok := <-r.in:
			if !ok {
				r.finish()
				return
			}
			for i := range b.samples {
				r.add(&b.samples[i])
			}
			b.samples = b.samples[:0]
			batchPool.Put(b)
		case now := <-ticker.C:
			r.tick(now)
		case now := <-metricsC:
			r.e.opts.OnMetrics(r.metricsSnapshot(now, false))
		}
	}
}

func (r *recorder) add(s *record.Sample) {
	if r.jtl.Err() == nil {
		if err := r.jtl.Write(s); err != nil {
			r.fail(err)
		}
	}
	r.hlog.Record(s)
	r.steps[s.Step].add(s)
	if !s.Transaction {
		r.total.add(s)
		r.winCount++
		if !s.Success {
			r.winErrors++
		}
		recordNs(r.win, s.Elapsed)
		if r.lm != nil {
			r.lm.add(s, &r.e.comp.labels[s.Step])
		}
	}
	for _, k := range r.sinks {
		k.add(s)
	}
}

// fail records a fatal output error and stops the run: results already
// written stay valid, the rest would be lost.
func (r *recorder) fail(err error) {
	if r.err == nil {
		r.err = err
		r.e.stopWith("output error: " + err.Error())
	}
}

func (r *recorder) elapsed(now time.Time) float64 { return now.Sub(r.e.base).Seconds() }

// tick runs once a second: interval log, gauges, abort thresholds, progress.
func (r *recorder) tick(now time.Time) {
	if err := r.hlog.Advance(now); err != nil {
		r.fail(fmt.Errorf("%s: %w", HLogFile, err))
	}
	r.gauges()
	r.counters()
	secs := r.elapsed(now)
	for _, k := range r.sinks {
		for i, t := range k.thresholds {
			if !t.AbortOnFail || secs < t.DelayAbortEval.D().Seconds() {
				continue
			}
			res := k.evaluate(secs)[i]
			if !res.OK {
				r.aborted = append(r.aborted, k.key+": "+t.Expr)
				r.e.stopWith(fmt.Sprintf("threshold %s %q crossed (actual %g)", k.key, t.Expr, res.Actual))
			}
		}
	}
	if r.progress != nil {
		r.progress.update(r, now)
	}
	if r.e.opts.OnTick != nil {
		r.e.opts.OnTick(r.live(now, now.Sub(r.lastTick).Seconds()))
	}
	r.win.Reset()
	r.winCount, r.winErrors = 0, 0
	r.lastTick = now
}

// gauges samples vus and vus_max into their sinks.
func (r *recorder) gauges() {
	for _, k := range r.sinks {
		if k.kind != planspec.Gauge {
			continue
		}
		var v int64
		for i, sr := range r.runs {
			if k.scenario >= 0 && k.scenario != i {
				continue
			}
			if k.ref.Metric == planspec.MetricVUs {
				v += sr.active.Load()
			} else {
				v += sr.vus.Load()
			}
		}
		k.gauge(float64(v))
	}
}

// finish flushes every output once the sample stream has ended.
func (r *recorder) finish() {
	r.gauges()
	if err := r.jtl.Flush(); err != nil {
		r.fail(err)
	}
	if err := r.hlog.Close(); err != nil {
		r.fail(fmt.Errorf("%s: %w", HLogFile, err))
	}
	if r.progress != nil {
		r.progress.done(r)
	}
	if r.lm != nil {
		r.e.opts.OnMetrics(r.metricsSnapshot(time.Now(), true))
	}
}

// counters fills the counter sinks fed by the executors.
func (r *recorder) counters() {
	for _, k := range r.sinks {
		var n int64
		switch k.ref.Metric {
		case planspec.MetricIterations, planspec.MetricDroppedIterations:
			for i, sr := range r.runs {
				if k.scenario >= 0 && k.scenario != i {
					continue
				}
				if k.ref.Metric == planspec.MetricIterations {
					n += sr.iterations.Load()
				} else {
					n += sr.dropped.Load()
				}
			}
			k.count = n
		}
	}
}
