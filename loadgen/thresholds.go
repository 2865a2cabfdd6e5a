package loadgen

import (
	"math"
	"sort"
	"strconv"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgen/loadgen/loadgen/record"
	"github.com/loadgen/loadgen/planspec"
)

// sink accumulates one threshold key (metric + tag filter), as k6
// sub-metrics do: it sees only the samples its tags select.
type sink struct {
	key        string
	ref        planspec.MetricRef
	kind       planspec.MetricKind
	thresholds []*planspec.Threshold

	mask       []bool // selected labels; nil selects all
	txn        bool   // the step filter names a group: its transaction rows count
	status     int32
	scenario   int // -1: all (iterations, dropped_iterations, vus)
	hist       *hdr.Histogram
	count      int64
	trues      int64
	gaugeSeen  bool
	gaugeValue float64
	gaugeMin   float64
	gaugeMax   float64
	// scale multiplies counter and gauge values (0: 1): a worker running
	// 1/N of the plan estimates the whole run's by N for abort_on_fail.
	scale float64
}

// newSinks builds one sink per threshold key of the plan.
func newSinks(p *planspec.Plan, c *compiled) []*sink {
	keys := make([]string, 0, len(p.Thresholds))
	for k := range p.Thresholds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []*sink
	for _, k := range keys {
		ref, err := planspec.ParseMetricRef(k)
		if err != nil {
			continue // validation already reported it
		}
		s := &sink{key: k, ref: ref, kind: planspec.Metrics[ref.Metric], thresholds: p.Thresholds[k], scenario: -1}
		if s.kind == planspec.Trend {
			s.hist = newHist()
		}
		if len(ref.Tags) > 0 {
			s.mask = make([]bool, len(c.labels))
			for i, l := range c.labels {
				s.mask[i] = matchTags(ref.Tags, l, c.groups[i])
			}
		}
		if name, ok := ref.Tags["step"]; ok {
			for i, l := range c.labels {
				if l.Label == name && c.isGroup[i] {
					s.txn = true
				}
			}
		}
		if code, ok := ref.Tags["status"]; ok {
			n, _ := strconv.Atoi(code)
			s.status = int32(n)
		}
		if name, ok := ref.Tags["scenario"]; ok {
			for i, sc := range p.Scenarios {
				if sc.Name == name {
					s.scenario = i
				}
			}
		}
		out = append(out, s)
	}
	return out
}

func matchTags(tags map[string]string, l record.StepInfo, groups []string) bool {
	for k, v := range tags {
		switch k {
		case "step":
			if l.Label != v {
				return false
			}
		case "scenario":
			if l.Scenario != v {
				return false
			}
		case "group":
			found := false
			for _, g := range groups {
				found = found || g == v
			}
			if !found {
				return false
			}
		}
	}
	return true
}

// add feeds one sample to the sink.
func (s *sink) add(smp *record.Sample) {
	if s.mask != nil && !s.mask[smp.Step] {
		return
	}
	if smp.Transaction && !s.txn {
		return
	}
	if s.status != 0 && smp.Status != s.status {
		return
	}
	switch s.ref.Metric {
	case planspec.MetricReqDuration:
		recordNs(s.hist, smp.Elapsed)
	case planspec.MetricReqDurationCorrected:
		recordNs(s.hist, smp.Corrected)
	case planspec.MetricReqWaiting:
		recordNs(s.hist, smp.Latency)
	case planspec.MetricReqConnecting:
		recordNs(s.hist, smp.Connect)
	case planspec.MetricReqs:
		s.count++
	case planspec.MetricReqFailed:
		s.count++
		if !smp.Success {
			s.trues++
		}
	case planspec.MetricChecks:
		s.count += int64(smp.Checks)
		s.trues += int64(smp.Checks - smp.ChecksFailed)
	}
}

// gauge records a gauge reading.
func (s *sink) gauge(v float64) {
	if !s.gaugeSeen {
		s.gaugeMin, s.gaugeMax, s.gaugeSeen = v, v, true
	}
	s.gaugeValue = v
	s.gaugeMin = math.Min(s.gaugeMin, v)
	s.gaugeMax = math.Max(s.gaugeMax, v)
}

// value computes an aggregation; ok is false when the metric has no data
// (a threshold on it is not evaluated, as in k6).
func (s *sink) value(a planspec.Aggregation, seconds float64) (float64, bool) {
	v, ok := s.rawValue(a, seconds)
	if s.scale > 0 && (s.kind == planspec.Counter || s.kind == planspec.Gauge) {
		v *= s.scale
	}
	return v, ok
}

func (s *sink) rawValue(a planspec.Aggregation, seconds float64) (float64, bool) {
	switch s.kind {
	case planspec.Trend:
		h := s.hist
		if h.TotalCount() == 0 {
			return 0, a.Method == "count"
		}
		switch a.Method {
		case "avg":
			return round3(h.Mean() / 1000), true
		case "min":
			return usToMs(h.Min()), true
		case "max":
			return usToMs(h.Max()), true
		case "med":
			return usToMs(h.ValueAtPercentile(50)), true
		case "p":
			return usToMs(h.ValueAtPercentile(a.Percentile)), true
		case "count":
			return float64(h.TotalCount()), true
		}
	case planspec.Counter:
		switch a.Method {
		case "count":
			return float64(s.count), true
		case "rate":
			if seconds <= 0 {
				return 0, false
			}
			return float64(s.count) / seconds, true
		}
	case planspec.Rate:
		switch a.Method {
		case "rate":
			if s.count == 0 {
				return 0, false
			}
			return float64(s.trues) / float64(s.count), true
		case "count":
			return float64(s.trues), true
		}
	case planspec.Gauge:
		if !s.gaugeSeen {
			return 0, false
		}
		switch a.Method {
		case "value":
			return s.gaugeValue, true
		case "min":
			return s.gaugeMin, true
		case "max":
			return s.gaugeMax, true
		}
	}
	return 0, false
}

// ThresholdResult is one evaluated threshold.
type ThresholdResult struct {
	Metric      string  `json:"metric"`
	Threshold   string  `json:"threshold"`
	Actual      float64 `json:"actual"`
	OK          bool    `json:"ok"`
	NoData      bool    `json:"no_data,omitempty"`
	AbortOnFail bool    `json:"abort_on_fail,omitempty"`
	Aborted     bool    `json:"aborted,omitempty"`
}

// evaluate checks every threshold of the sink.
func (s *sink) evaluate(seconds float64) []ThresholdResult {
	out := make([]ThresholdResult, 0, len(s.thresholds))
	for _, t := range s.thresholds {
		v, ok := s.value(t.Agg, seconds)
		r := ThresholdResult{Metric: s.key, Threshold: t.Expr, Actual: v, AbortOnFail: t.AbortOnFail}
		if !ok {
			r.OK, r.NoData = true, true
		} else {
			r.OK = planspec.Compare(v, t.Op, t.Value)
		}
		out = append(out, r)
	}
	return out
}
