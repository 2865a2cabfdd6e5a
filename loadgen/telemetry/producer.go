package telemetry

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/loadgen/loadgen/loadgen"
)

// Attribute keys of the metrics and spans.
const (
	AttrScenario    = "loadgen.scenario"
	AttrStep        = "loadgen.step"
	AttrExecutor    = "loadgen.executor"
	AttrStatus      = "http.response.status_code"
	AttrRunID       = "loadgen.run.id"
	AttrWorkerIndex = "loadgen.worker.index"
	AttrWorkerCount = "loadgen.worker.count"
	AttrPlan        = "loadgen.plan"
)

// ScopeName is the instrumentation scope of every metric.
const ScopeName = "github.com/loadgen/loadgen/loadgen/telemetry"

// producer turns the engine's latest snapshot into OpenTelemetry metric
// data whenever a reader collects (the OTLP exporter's interval, a
// Prometheus scrape). It never sees a request: the engine aggregated them.
type producer struct {
	mu     sync.Mutex
	snap   *loadgen.Metrics
	health health
	probe  *healthProbe
}

// set keeps the engine's latest snapshot and measures the generator.
func (p *producer) set(m *loadgen.Metrics) {
	h := p.probe.read(m.Time)
	p.mu.Lock()
	p.snap, p.health = m, h
	p.mu.Unlock()
}

// Produce implements metric.Producer.
func (p *producer) Produce(context.Context) ([]metricdata.ScopeMetrics, error) {
	p.mu.Lock()
	m, h := p.snap, p.health
	p.mu.Unlock()
	if m == nil {
		return nil, nil
	}
	return []metricdata.ScopeMetrics{{
		Scope:   instrumentation.Scope{Name: ScopeName, Version: loadgen.Version},
		Metrics: build(m, h),
	}}, nil
}

// build is the metric data of one snapshot; counters and histograms are
// cumulative from the run's start.
func build(m *loadgen.Metrics, h health) []metricdata.Metrics {
	start, now := m.Start, m.Time
	n := len(m.Requests)
	reqs := make([]metricdata.DataPoint[int64], 0, n)
	failed := make([]metricdata.DataPoint[int64], 0, n)
	sent := make([]metricdata.DataPoint[int64], 0, n)
	recv := make([]metricdata.DataPoint[int64], 0, n)
	dur := make([]metricdata.HistogramDataPoint[float64], 0, n)
	corr := make([]metricdata.HistogramDataPoint[float64], 0, n)
	for i := range m.Requests {
		r := &m.Requests[i]
		attrs := attribute.NewSet(
			attribute.String(AttrScenario, r.Scenario),
			attribute.String(AttrStep, r.Step),
			attribute.Int(AttrStatus, r.Status),
		)
		pt := func(v int64) metricdata.DataPoint[int64] {
			return metricdata.DataPoint[int64]{Attributes: attrs, StartTime: start, Time: now, Value: v}
		}
		reqs = append(reqs, pt(r.Count))
		failed = append(failed, pt(r.Failed))
		sent = append(sent, pt(r.Sent))
		recv = append(recv, pt(r.Received))
		dur = append(dur, histPoint(attrs, start, now, &r.Duration))
		corr = append(corr, histPoint(attrs, start, now, &r.Corrected))
	}
	sum := func(name, unit, desc string, pts []metricdata.DataPoint[int64]) metricdata.Metrics {
		return metricdata.Metrics{Name: name, Unit: unit, Description: desc, Data: metricdata.Sum[int64]{
			DataPoints: pts, Temporality: metricdata.CumulativeTemporality, IsMonotonic: true}}
	}
	hist := func(name, desc string, pts []metricdata.HistogramDataPoint[float64]) metricdata.Metrics {
		return metricdata.Metrics{Name: name, Unit: "s", Description: desc, Data: metricdata.Histogram[float64]{
			DataPoints: pts, Temporality: metricdata.CumulativeTemporality}}
	}
	out := []metricdata.Metrics{
		sum("loadgen.http_reqs", "{request}", "Requests sent, by scenario, step and response status (0: no response).", reqs),
		sum("loadgen.http_req_failed", "{request}", "Failed requests: no response, a 4xx/5xx status, or a failed check.", failed),
		hist("loadgen.http_req_duration", "Request write start to last response byte (JMeter elapsed).", dur),
		hist("loadgen.http_req_duration_corrected", "Intended start (arrival schedule) to last response byte: free of coordinated omission.", corr),
		sum("loadgen.data_sent", "By", "Bytes sent on the wire.", sent),
		sum("loadgen.data_received", "By", "Bytes received on the wire.", recv),
	}

	ns := len(m.Scenarios)
	vus := make([]metricdata.DataPoint[int64], 0, ns)
	vusMax := make([]metricdata.DataPoint[int64], 0, ns)
	iters := make([]metricdata.DataPoint[int64], 0, ns)
	dropped := make([]metricdata.DataPoint[int64], 0, ns)
	planned := make([]metricdata.DataPoint[float64], 0, ns)
	achieved := make([]metricdata.DataPoint[float64], 0, ns)
	for i := range m.Scenarios {
		s := &m.Scenarios[i]
		attrs := attribute.NewSet(attribute.String(AttrScenario, s.Name), attribute.String(AttrExecutor, s.Executor))
		ipt := func(v int64) metricdata.DataPoint[int64] {
			return metricdata.DataPoint[int64]{Attributes: attrs, StartTime: start, Time: now, Value: v}
		}
		fpt := func(v float64) metricdata.DataPoint[float64] {
			return metricdata.DataPoint[float64]{Attributes: attrs, Time: now, Value: v}
		}
		vus = append(vus, ipt(s.VUs))
		vusMax = append(vusMax, ipt(s.VUsMax))
		iters = append(iters, ipt(s.Iterations))
		dropped = append(dropped, ipt(s.Dropped))
		planned = append(planned, fpt(s.PlannedRate))
		achieved = append(achieved, fpt(s.AchievedRate))
	}
	gauge := func(name, unit, desc string, pts []metricdata.DataPoint[int64]) metricdata.Metrics {
		return metricdata.Metrics{Name: name, Unit: unit, Description: desc, Data: metricdata.Gauge[int64]{DataPoints: pts}}
	}
	fgauge := func(name, unit, desc string, pts []metricdata.DataPoint[float64]) metricdata.Metrics {
		return metricdata.Metrics{Name: name, Unit: unit, Description: desc, Data: metricdata.Gauge[float64]{DataPoints: pts}}
	}
	one := func(v float64) []metricdata.DataPoint[float64] {
		return []metricdata.DataPoint[float64]{{Time: now, Value: v}}
	}
	out = append(out,
		gauge("loadgen.vus", "{vu}", "Active VUs.", vus),
		gauge("loadgen.vus_max", "{vu}", "Allocated VUs.", vusMax),
		sum("loadgen.iterations", "{iteration}", "Completed iterations.", iters),
		sum("loadgen.dropped_iterations", "{iteration}", "Arrivals an arrival-rate executor could not start (no free VU).", dropped),
		fgauge("loadgen.iteration_rate.planned", "{iteration}/s", "Arrival rate the profile asks for now (0 for VU executors).", planned),
		fgauge("loadgen.iteration_rate.achieved", "{iteration}/s", "Iterations started (arrival-rate) or completed (VU executors) per second over the last interval.", achieved),
		metricdata.Metrics{Name: "loadgen.generator.cpu.time", Unit: "s", Description: "CPU time of the load generator process (user + system).",
			Data: metricdata.Sum[float64]{DataPoints: []metricdata.DataPoint[float64]{{StartTime: start, Time: now, Value: h.CPUSeconds}},
				Temporality: metricdata.CumulativeTemporality, IsMonotonic: true}},
		fgauge("loadgen.generator.cpu.utilization", "1", "Share of all CPUs the load generator used over the last interval.", one(h.CPUUtilization)),
		gauge("loadgen.generator.goroutines", "{goroutine}", "Goroutines of the load generator.", []metricdata.DataPoint[int64]{{Time: now, Value: h.Goroutines}}),
		fgauge("loadgen.generator.sched.latency", "s", "p99 of the time goroutines waited to run over the last interval (Go runtime scheduling lag).", one(h.SchedLatencyP99)),
	)
	return out
}

func histPoint(attrs attribute.Set, start, now time.Time, h *loadgen.Histogram) metricdata.HistogramDataPoint[float64] {
	pt := metricdata.HistogramDataPoint[float64]{
		Attributes: attrs, StartTime: start, Time: now,
		Count: h.Count(), Bounds: loadgen.DurationBounds, BucketCounts: h.Counts, Sum: h.Sum,
	}
	if pt.Count > 0 {
		pt.Min, pt.Max = metricdata.NewExtrema(h.Min), metricdata.NewExtrema(h.Max)
	}
	return pt
}
