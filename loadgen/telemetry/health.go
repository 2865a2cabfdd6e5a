package telemetry

import (
	"math"
	"runtime"
	"runtime/metrics"
	"time"
)

// health is the load generator's own state: a generator short of CPU or
// scheduling its goroutines late measures itself, not the target.
type health struct {
	// CPUSeconds is the process's CPU time; CPUUtilization its share of
	// all CPUs over the last interval (0..1).
	CPUSeconds, CPUUtilization float64
	// Goroutines is the number of goroutines now.
	Goroutines int64
	// SchedLatencyP99 is the 99th percentile of the time goroutines
	// waited to run (ready to running) over the last interval, in
	// seconds, from the Go runtime's /sched/latencies histogram.
	SchedLatencyP99 float64
}

// healthProbe keeps what the next reading is a difference from.
type healthProbe struct {
	at      time.Time
	cpu     float64
	sample  []metrics.Sample
	counts  []uint64 // sched latency counts at the last reading
	started bool
}

const schedLatencies = "/sched/latencies:seconds"

func newHealthProbe() *healthProbe {
	return &healthProbe{sample: []metrics.Sample{{Name: schedLatencies}}}
}

// read measures the process now.
func (p *healthProbe) read(now time.Time) health {
	h := health{CPUSeconds: processCPU(), Goroutines: int64(runtime.NumGoroutine())}
	metrics.Read(p.sample)
	var hist *metrics.Float64Histogram
	if p.sample[0].Value.Kind() == metrics.KindFloat64Histogram {
		hist = p.sample[0].Value.Float64Histogram()
	}
	if p.started {
		if secs := now.Sub(p.at).Seconds(); secs > 0 {
			h.CPUUtilization = (h.CPUSeconds - p.cpu) / secs / float64(runtime.NumCPU())
		}
		if hist != nil && len(p.counts) == len(hist.Counts) {
			h.SchedLatencyP99 = deltaQuantile(hist, p.counts, 0.99)
		}
	}
	p.at, p.cpu, p.started = now, h.CPUSeconds, true
	if hist != nil {
		p.counts = append(p.counts[:0], hist.Counts...)
	}
	return h
}

// deltaQuantile is the q quantile of the values counted in h since prev
// (the upper bound of the bucket it falls in; 0 when nothing was counted).
func deltaQuantile(h *metrics.Float64Histogram, prev []uint64, q float64) float64 {
	var total uint64
	for i, c := range h.Counts {
		total += c - prev[i]
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for i, c := range h.Counts {
		seen += c - prev[i]
		if seen >= rank {
			hi := h.Buckets[i+1]
			if math.IsInf(hi, 1) {
				hi = h.Buckets[i]
			}
			return hi
		}
	}
	return h.Buckets[len(h.Buckets)-1]
}
