package loadgen

import (
	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgen/loadgen/loadgen/record"
)

// Histogram geometry for every trend: microseconds, 1 µs .. 1 h, 3
// significant digits. Values above the range are clamped to it.
const (
	histLowest  = 1
	histHighest = 3_600_000_000
	histSigFigs = 3
)

func newHist() *hdr.Histogram { return hdr.New(histLowest, histHighest, histSigFigs) }

// recordNs records a duration in ns as µs, clamped to the histogram range.
func recordNs(h *hdr.Histogram, ns int64) {
	us := (ns + 500) / 1000
	if us < 0 {
		us = 0
	} else if us > histHighest {
		us = histHighest
	}
	_ = h.RecordValue(us)
}

// trends holds the four request-duration histograms.
type trends struct {
	duration, corrected, waiting, connecting *hdr.Histogram
}

func newTrends() trends {
	return trends{newHist(), newHist(), newHist(), newHist()}
}

func (t *trends) add(s *record.Sample) {
	recordNs(t.duration, s.Elapsed)
	recordNs(t.corrected, s.Corrected)
	recordNs(t.waiting, s.Latency)
	recordNs(t.connecting, s.Connect)
}

// stepStats aggregates the samples of one label (or of all requests).
type stepStats struct {
	count, errors  int64
	checks, failed int64 // check expressions evaluated, and failed
	sent, received int64
	first, last    int64 // wall ns: first start, last end
	t              trends
	status         map[int32]int64
	errorsByCode   map[string]int64
}

func newStepStats() *stepStats {
	return &stepStats{t: newTrends(), status: map[int32]int64{}, errorsByCode: map[string]int64{}}
}

func (st *stepStats) add(s *record.Sample) {
	st.count++
	if !s.Success {
		st.errors++
		if s.Code != "" {
			st.errorsByCode[s.Code]++
		}
	}
	st.sent += s.Sent
	st.received += s.Received
	st.checks += int64(s.Checks)
	st.failed += int64(s.ChecksFailed)
	if st.first == 0 || s.Start < st.first {
		st.first = s.Start
	}
	if end := s.Start + s.Elapsed; end > st.last {
		st.last = end
	}
	st.t.add(s)
	st.status[s.Status]++
}

// TrendStats summarises one trend metric in milliseconds.
type TrendStats struct {
	Min  float64 `json:"min"`
	Mean float64 `json:"mean"`
	Max  float64 `json:"max"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
}

func usToMs(v int64) float64 { return float64(v) / 1000 }

func trendStats(h *hdr.Histogram) TrendStats {
	if h.TotalCount() == 0 {
		return TrendStats{}
	}
	return TrendStats{
		Min:  usToMs(h.Min()),
		Mean: round3(h.Mean() / 1000),
		Max:  usToMs(h.Max()),
		P50:  usToMs(h.ValueAtPercentile(50)),
		P90:  usToMs(h.ValueAtPercentile(90)),
		P95:  usToMs(h.ValueAtPercentile(95)),
		P99:  usToMs(h.ValueAtPercentile(99)),
		P999: usToMs(h.ValueAtPercentile(99.9)),
	}
}

func round3(f float64) float64 {
	return float64(int64(f*1000+0.5)) / 1000
}
