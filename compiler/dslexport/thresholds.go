package dslexport

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/loadgen/loadgen/compiler"
	"github.com/loadgen/loadgen/planspec"
)

// dslPercentiles are the percentiles the DSL's stats compute.
var dslPercentiles = map[float64]bool{50: true, 90: true, 95: true, 99: true}

// thresholds renders the plan's thresholds as Java statements checking
// the run's TestPlanStats through Loadgen.Thresholds, and warns about
// those the DSL's statistics cannot compute.
func (x *exporter) thresholds() []string {
	var out []string
	for _, key := range compiler.SortedKeys(x.p.Thresholds) {
		kp := ptrKey("/thresholds", key)
		ref, err := planspec.ParseMetricRef(key)
		if err != nil {
			x.fail(kp, err)
			continue
		}
		for j, t := range x.p.Thresholds[key] {
			tp := ptrIndex(kp, j)
			if t.AbortOnFail {
				x.warn(tp, "abort_on_fail is not exported: JMeter runs to the end and the threshold is checked after the run")
			}
			measure, why := x.measure(ref, t.Agg)
			if why != "" {
				x.warn(tp, "threshold %q not exported: %s", t.Expr, why)
				continue
			}
			out = append(out, fmt.Sprintf("thresholds.check(%s, %s, %s, %s, %s);",
				JavaString(key), JavaString(t.Expr), measure, JavaString(t.Op), javaDouble(t.Value)))
		}
	}
	return out
}

// measure returns the Java expression (a Double, null when there is no
// data) that computes the aggregation for a threshold key, or why the DSL
// cannot compute it.
func (x *exporter) measure(ref planspec.MetricRef, agg planspec.Aggregation) (string, string) {
	if _, ok := ref.Tags["status"]; ok {
		return "", "the DSL's statistics are not broken down by status code"
	}
	labels, arrival := x.selectLabels(ref)
	if len(labels) == 0 {
		return "", "no request of the plan matches the tags"
	}
	args := make([]string, len(labels))
	for i, l := range labels {
		args[i] = JavaString(l)
	}
	list := strings.Join(args, ", ")
	hasGroups := false
	for _, l := range x.labels {
		hasGroups = hasGroups || l.isGroup
	}
	switch ref.Metric {
	case planspec.MetricReqDurationCorrected:
		if arrival {
			return "", "JMeter records no intended start time, so there is no latency corrected for coordinated omission"
		}
		// equal to http_req_duration for VU executors
		fallthrough
	case planspec.MetricReqDuration:
		switch agg.Method {
		case "avg":
			return "thresholds.mean(" + list + ")", ""
		case "min":
			return "thresholds.min(" + list + ")", ""
		case "max":
			return "thresholds.max(" + list + ")", ""
		case "count":
			return "thresholds.count(" + list + ")", ""
		case "med", "p":
			pct := agg.Percentile
			if agg.Method == "med" {
				pct = 50
			}
			if !dslPercentiles[pct] {
				return "", "the DSL computes only the median and the 90th, 95th and 99th percentiles"
			}
			p := strconv.Itoa(int(pct))
			switch {
			case len(labels) == 1:
				return "thresholds.percentile(" + p + ", " + args[0] + ")", ""
			case len(ref.Tags) == 0 && !hasGroups:
				return "thresholds.percentile(" + p + ", null)", ""
			}
			return "", "the DSL computes percentiles per label and over all samples (transactions included), not over these labels"
		}
	case planspec.MetricReqs:
		switch agg.Method {
		case "count":
			return "thresholds.count(" + list + ")", ""
		case "rate":
			return "thresholds.rate(" + list + ")", ""
		}
	case planspec.MetricReqFailed:
		switch agg.Method {
		case "rate":
			return "thresholds.errorRate(" + list + ")", ""
		case "count":
			return "thresholds.errors(" + list + ")", ""
		}
	case planspec.MetricReqWaiting, planspec.MetricReqConnecting:
		return "", "the DSL's statistics have no latency or connect times (they are in the JTL)"
	case planspec.MetricChecks:
		return "", "JMeter counts failed samples, not checks"
	case planspec.MetricIterations:
		return "", "JMeter does not count iterations"
	case planspec.MetricDroppedIterations:
		return "", "JMeter's RPS thread group does not count the iterations it could not start"
	case planspec.MetricVUs, planspec.MetricVUsMax:
		return "", "the DSL's statistics do not track thread counts"
	}
	return "", fmt.Sprintf("aggregation %s of %s is not available", agg, ref.Metric)
}

// selectLabels returns the JTL labels a threshold key covers, as the
// engine selects samples: request rows only, unless {step:NAME} names a
// group (its transaction rows). arrival reports whether one of them runs
// in an arrival-rate scenario.
func (x *exporter) selectLabels(ref planspec.MetricRef) (labels []string, arrival bool) {
	step, byStep := ref.Tags["step"]
	scName, byScenario := ref.Tags["scenario"]
	group, byGroup := ref.Tags["group"]
	stepIsGroup := false
	if byStep {
		for _, l := range x.labels {
			stepIsGroup = stepIsGroup || l.isGroup && l.label == step
		}
	}
	seen := map[string]bool{}
	for _, l := range x.labels {
		sc := &x.p.Scenarios[l.scenario]
		switch {
		case l.isGroup != stepIsGroup,
			byStep && l.label != step,
			byScenario && sc.Name != scName,
			byGroup && !contains(l.groups, group),
			seen[l.label]:
			continue
		}
		seen[l.label] = true
		labels = append(labels, l.label)
		arrival = arrival || planspec.IsArrivalRate(sc.Executor)
	}
	return labels, arrival
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
