package insights

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/loadgen/loadgen/agents/llm"
	"github.com/loadgen/loadgen/loadgen/results"
)

// Limits of the offline rules. The risk and tail limits mirror the
// rubric's (results/grade.go) so that the text agrees with the grade; they
// are used to choose words, never quoted.
const (
	offMaxFindings        = 10
	offMaxBottlenecks     = 5
	offMaxRecommendations = 6
	offSlowest            = 3   // slowest labels listed
	offTransactions       = 2   // transactions listed
	offMaxLabelRunes      = 120 // labels longer than this are cut in text
	offErrHigh            = 5.0 // label error rate (%) above which a bottleneck is high
	offErrMedium          = 1.0 // … medium; above 0 low
	offTotalErrHigh       = 1.0 // run error rate (%) above which fixing errors is high priority
	offTailLong           = 10.0
	offTailModerate       = 3.0
	offCOHigh             = 20.0
	offApdexGood          = 0.85
)

// Offline returns the rule-based insights of an analysis (source
// "offline"): deterministic text built from the analysis, quoting only its
// figures. The rules (also in this package's README):
//
//   - Summary: requests, duration, throughput, failures and error rate;
//     median, p95, p99 and APDEX with its rating band; NFRs passed; the
//     rubric's grade, score and risk.
//   - Findings: each failed NFR (measured against target, margin); the
//     error hot spot (most frequent error, the label with most failures);
//     the slowest labels by p95; the tail ratio p99/p50 (the rubric's tail
//     value); throughput with peak threads and peak requests per second;
//     APDEX with its thresholds; transactions; the coordinated-omission
//     divergence; skipped rows.
//   - Bottlenecks, one per label: failed NFRs (high), error rate (high above
//     5%, medium above 1%, else low), the slowest labels by p95 (high above
//     the APDEX tolerated threshold, medium above the satisfied one, else
//     low); worst first.
//   - Recommendations: from failed latency and throughput NFRs (high), the
//     most frequent error (high above 1% errors, else medium), the tail,
//     coordinated omission, APDEX and missing NFRs (medium), skipped rows
//     (low), or a higher load step when nothing fired.
//   - Risk explanation: the rubric's risk and its rule (RiskWhy), the
//     grade, its caps, and what the level means.
//
// A nil analysis is treated as an empty one.
func Offline(a *results.Analysis) *Insights {
	if a == nil {
		a = &results.Analysis{}
	}
	return offlineInsights(a, NewChecker(a))
}

// offlineInsights builds the offline document and applies the number
// check to it (it passes; the check guards against a rule's mistake).
func offlineInsights(a *results.Analysis, ch *Checker) *Insights {
	in := newInsights(a)
	in.Source = llm.SourceOffline
	r := newRules(a, in.Grade)
	if a.Total.Samples <= 0 {
		r.noSamples(in)
	} else {
		in.ExecutiveSummary = r.summary()
		in.KeyFindings = r.findings()
		in.Bottlenecks = r.bottlenecks()
		in.Recommendations = r.recommendations()
		in.RiskExplanation = r.risk()
	}
	checkFigures(in, ch)
	return in
}

// rules holds what the offline rules read.
type rules struct {
	a       *results.Analysis
	g       results.Grade
	d       derived
	labels  map[string]*results.LabelStats
	failed  []results.NFRResult // failed NFRs with data or a missing label
	passed  []results.NFRResult // passed NFRs with data
	byP95   []*results.LabelStats
	txByP95 []*results.LabelStats
}

func newRules(a *results.Analysis, g results.Grade) *rules {
	r := &rules{a: a, g: g, d: deriveFacts(a), labels: map[string]*results.LabelStats{}}
	for i := range a.Labels {
		l := &a.Labels[i]
		if _, dup := r.labels[l.Label]; !dup {
			r.labels[l.Label] = l
		}
		if l.Samples <= 0 {
			continue
		}
		if l.Transaction {
			r.txByP95 = append(r.txByP95, l)
		} else {
			r.byP95 = append(r.byP95, l)
		}
	}
	slowestFirst := func(ls []*results.LabelStats) {
		sort.SliceStable(ls, func(i, j int) bool {
			if ls[i].P95 != ls[j].P95 {
				return ls[i].P95 > ls[j].P95
			}
			return ls[i].Label < ls[j].Label
		})
	}
	slowestFirst(r.byP95)
	slowestFirst(r.txByP95)
	for _, n := range a.NFRs {
		switch {
		case n.NoData:
		case n.Pass:
			r.passed = append(r.passed, n)
		default:
			r.failed = append(r.failed, n)
		}
	}
	return r
}

// component returns the grade's component of that name.
func (r *rules) component(name string) (results.GradeComponent, bool) {
	for _, c := range r.g.Components {
		if c.Name == name {
			return c, true
		}
	}
	return results.GradeComponent{}, false
}

// offCOMinMs is the smallest corrected-minus-measured p99 difference, in
// ms, that the coordinated-omission recommendation takes seriously.
const offCOMinMs = 1.0

// tail is the rubric's tail ratio p99/p50 (its tail_stability value).
func (r *rules) tail() (float64, bool) {
	c, ok := r.component(results.ComponentTail)
	return c.Value, ok && c.Why != "" && !strings.Contains(c.Why, "not a number")
}

// co is the rubric's coordinated-omission divergence in percent, when the
// run has corrected latencies.
func (r *rules) co() (float64, bool) {
	if r.a.Total.CorrectedP99 <= 0 {
		return 0, false
	}
	c, ok := r.component(results.ComponentCO)
	return c.Value, ok
}

func (r *rules) summary() string {
	t := &r.a.Total
	var b strings.Builder
	fmt.Fprintf(&b, "The run sent %s requests in %s at %s requests/s; ", fmtCount(t.Samples), fmtDuration(r.a.DurationS), fmtRate(t.Throughput))
	if t.Failures == 0 {
		b.WriteString("none failed. ")
	} else {
		fmt.Fprintf(&b, "%s failed (%s%%). ", fmtCount(t.Failures), fmtPct(t.ErrorPct))
	}
	fmt.Fprintf(&b, "Response times were %s ms at the median, %s ms at p95 and %s ms at p99, for an APDEX of %s (%s). ",
		fmtMs(t.Median), fmtMs(t.P95), fmtMs(t.P99), fmtApdex(t.Apdex), apdexBand(t.Apdex))
	switch checked := r.d.NFRsChecked; {
	case checked == 0:
		b.WriteString("No NFR was checked. ")
	case len(r.failed) == 0:
		fmt.Fprintf(&b, "All %s checked NFRs passed. ", fmtCount(int64(checked)))
	default:
		fmt.Fprintf(&b, "%s of %s checked NFRs failed (%s). ", fmtCount(int64(len(r.failed))), fmtCount(int64(checked)), nfrNames(r.failed, 3))
	}
	fmt.Fprintf(&b, "The rubric grades the run %s (score %s) with %s risk.", r.g.Letter, fmtNum(r.g.Score, 2), r.g.Risk)
	return b.String()
}

func (r *rules) findings() []string {
	t := &r.a.Total
	var out []string
	// Failed NFRs.
	for i, n := range r.failed {
		if i == 3 {
			more := len(r.failed) - i
			out = append(out, fmt.Sprintf("%s more %s failed: %s.", fmtCount(int64(more)), plural(more, "NFR", "NFRs"), nfrNames(r.failed[i:], 5)))
			break
		}
		out = append(out, nfrSentence(n))
	}
	if len(r.failed) == 0 && len(r.passed) > 0 {
		tight := r.passed[0]
		for _, n := range r.passed[1:] {
			if n.Margin < tight.Margin {
				tight = n
			}
		}
		out = append(out, fmt.Sprintf("All %s checked NFRs passed; the closest to its target is %s at %s against %s, %s%% inside it.",
			fmtCount(int64(len(r.passed))), nfrName(tight), fmtMeasured(tight), quote(tight.Target), fmtPct(100*math.Abs(tight.Margin))))
	}
	// Errors.
	if t.Failures > 0 {
		s := fmt.Sprintf("%s of %s requests failed (%s%%).", fmtCount(t.Failures), fmtCount(t.Samples), fmtPct(t.ErrorPct))
		if len(r.a.Errors) > 0 {
			e := r.a.Errors[0]
			s += fmt.Sprintf(" The most frequent error is %s: %s occurrences, %s%% of the errors.", quote(e.Type), fmtCount(e.Count), fmtPct(e.PctOfErrors))
		}
		if hot := r.hotSpot(); hot != nil {
			s += fmt.Sprintf(" The label with most failures is %s: %s of its %s samples failed (%s%%).", quote(hot.Label), fmtCount(hot.Failures), fmtCount(hot.Samples), fmtPct(hot.ErrorPct))
		}
		out = append(out, s)
	} else {
		out = append(out, fmt.Sprintf("No request failed out of %s.", fmtCount(t.Samples)))
	}
	// Slowest labels.
	if len(r.byP95) > 1 {
		var parts []string
		for _, l := range r.byP95[:min(offSlowest, len(r.byP95))] {
			parts = append(parts, fmt.Sprintf("%s with p95 %s ms (p99 %s ms)", quote(l.Label), fmtMs(l.P95), fmtMs(l.P99)))
		}
		out = append(out, "The slowest labels are "+joinAnd(parts)+".")
	}
	// Tail.
	if tail, ok := r.tail(); ok {
		var shape string
		switch {
		case tail > offTailLong:
			shape = "a long tail: a minority of requests wait far longer than the typical one"
		case tail > offTailModerate:
			shape = "a moderate tail"
		default:
			shape = "a tight distribution"
		}
		median := fmt.Sprintf("a median of %s ms", fmtMs(t.Median))
		if t.Median < 1 {
			median += ", which the rubric counts as 1 ms"
		}
		out = append(out, fmt.Sprintf("The tail ratio p99/p50 is %s (p99 %s ms over %s): %s.", fmtNum(tail, 2), fmtMs(t.P99), median, shape))
	}
	// Throughput.
	s := fmt.Sprintf("Throughput averaged %s requests/s", fmtRate(t.Throughput))
	if r.d.PeakThreads > 0 {
		s += fmt.Sprintf(" with up to %s threads", fmtCount(r.d.PeakThreads))
	}
	if r.d.PeakRequestsPerS > 0 {
		s += fmt.Sprintf("; the busiest second had %s requests", fmtCount(int64(r.d.PeakRequestsPerS)))
	}
	for _, n := range r.a.NFRs {
		if n.Unit == "rps" && n.Label == "" && !n.NoData {
			verdict := "meeting"
			if !n.Pass {
				verdict = "missing"
			}
			s += fmt.Sprintf(", %s the throughput target %s", verdict, quote(n.Target))
			break
		}
	}
	out = append(out, s+".")
	// APDEX.
	out = append(out, fmt.Sprintf("APDEX is %s, rated %s, with a satisfied threshold of %s ms and a tolerated one of %s ms.",
		fmtApdex(t.Apdex), apdexBand(t.Apdex), fmtMs(r.a.ApdexSatisfiedMs), fmtMs(r.a.ApdexToleratedMs)))
	// Transactions.
	for _, l := range r.txByP95[:min(offTransactions, len(r.txByP95))] {
		out = append(out, fmt.Sprintf("Transaction %s ran %s times with p95 %s ms; %s%% failed.", quote(l.Label), fmtCount(l.Samples), fmtMs(l.P95), fmtPct(l.ErrorPct)))
	}
	// Coordinated omission.
	if co, ok := r.co(); ok {
		out = append(out, fmt.Sprintf("Corrected for coordinated omission, p99 is %s ms against %s ms measured, a divergence of %s%%.", fmtMs(t.CorrectedP99), fmtMs(t.P99), fmtNum(co, 1)))
	}
	// Skipped rows.
	if r.a.SkippedRows > 0 {
		out = append(out, fmt.Sprintf("%s JTL rows were skipped as unreadable; the statistics leave them out.", fmtCount(r.a.SkippedRows)))
	}
	return out[:min(len(out), offMaxFindings)]
}

// hotSpot is the non-transaction label with the most failures.
func (r *rules) hotSpot() *results.LabelStats {
	var hot *results.LabelStats
	for _, l := range r.byP95 {
		if l.Failures > 0 && (hot == nil || l.Failures > hot.Failures || l.Failures == hot.Failures && l.Label < hot.Label) {
			hot = l
		}
	}
	return hot
}

// severity levels, ordered.
var levelRank = map[string]int{High: 3, Medium: 2, Low: 1}

func (r *rules) bottlenecks() []Bottleneck {
	type cand struct {
		label    string
		severity string
		evidence []string
		p95      float64
	}
	byLabel := map[string]*cand{}
	var order []string
	get := func(label string) *cand {
		c, ok := byLabel[label]
		if !ok {
			c = &cand{label: label, severity: Low}
			if l := r.labels[label]; l != nil {
				c.p95 = l.P95
			} else if label == "" {
				c.p95 = r.a.Total.P95
			}
			byLabel[label] = c
			order = append(order, label)
		}
		return c
	}
	raise := func(c *cand, level string) {
		if levelRank[level] > levelRank[c.severity] {
			c.severity = level
		}
	}
	for _, n := range r.failed {
		c := get(n.Label)
		raise(c, High)
		c.evidence = append(c.evidence, strings.TrimSuffix(nfrSentence(n), "."))
	}
	topError := map[string]results.ErrorCount{}
	for _, se := range r.a.TopErrors {
		if len(se.Top) > 0 {
			topError[se.Label] = se.Top[0]
		}
	}
	for _, l := range r.byP95 {
		if l.Failures == 0 {
			continue
		}
		c := get(l.Label)
		switch {
		case l.ErrorPct > offErrHigh:
			raise(c, High)
		case l.ErrorPct > offErrMedium:
			raise(c, Medium)
		}
		e := fmt.Sprintf("%s of %s samples failed (%s%%)", fmtCount(l.Failures), fmtCount(l.Samples), fmtPct(l.ErrorPct))
		if te, ok := topError[l.Label]; ok {
			e += fmt.Sprintf(", mostly %s (%s)", quote(te.Type), fmtCount(te.Count))
		}
		c.evidence = append(c.evidence, e)
	}
	for _, l := range r.byP95[:min(offSlowest, len(r.byP95))] {
		c := get(l.Label)
		switch {
		case r.a.ApdexToleratedMs > 0 && l.P95 > r.a.ApdexToleratedMs:
			raise(c, High)
		case r.a.ApdexSatisfiedMs > 0 && l.P95 > r.a.ApdexSatisfiedMs:
			raise(c, Medium)
		}
		c.evidence = append(c.evidence, fmt.Sprintf("Latency: p95 %s ms, p99 %s ms, APDEX %s", fmtMs(l.P95), fmtMs(l.P99), fmtApdex(l.Apdex)))
	}
	if len(order) == 0 {
		t := &r.a.Total
		c := get("")
		c.evidence = append(c.evidence, fmt.Sprintf("Latency: p95 %s ms, p99 %s ms, APDEX %s", fmtMs(t.P95), fmtMs(t.P99), fmtApdex(t.Apdex)))
	}
	cands := make([]*cand, 0, len(order))
	for _, l := range order {
		cands = append(cands, byLabel[l])
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if levelRank[cands[i].severity] != levelRank[cands[j].severity] {
			return levelRank[cands[i].severity] > levelRank[cands[j].severity]
		}
		if cands[i].p95 != cands[j].p95 {
			return cands[i].p95 > cands[j].p95
		}
		return cands[i].label < cands[j].label
	})
	out := make([]Bottleneck, 0, offMaxBottlenecks)
	for _, c := range cands[:min(len(cands), offMaxBottlenecks)] {
		var ev []string
		for _, e := range c.evidence {
			ev = append(ev, capitalize(e)+".")
		}
		out = append(out, Bottleneck{Label: c.label, Severity: c.severity, Evidence: strings.Join(ev, " ")})
	}
	return out
}

func (r *rules) recommendations() []Recommendation {
	t := &r.a.Total
	var out []Recommendation
	add := func(p, action, rationale string) {
		out = append(out, Recommendation{Priority: p, Action: action, Rationale: rationale})
	}
	latencyNFR := false
	throughputDone := false
	for _, n := range r.failed {
		switch {
		case n.Unit == "ms" && n.Measured > 0:
			if latencyNFR {
				continue
			}
			latencyNFR = true
			what := "the slow requests"
			switch {
			case n.Label != "":
				what = quote(n.Label)
			case len(r.byP95) > 1:
				what = "the slowest labels, starting with " + quote(r.byP95[0].Label)
			}
			add(High, "Reduce the response time of "+what+": profile the handler, its database queries and downstream calls under load.",
				fmt.Sprintf("The NFR %s measured %s against the target %s.", nfrName(n), fmtMeasured(n), quote(n.Target)))
		case n.Unit == "rps" && !throughputDone:
			throughputDone = true
			add(High, "Find what caps the throughput (connection pools, thread pools, CPU, a serialized resource) and scale it out.",
				fmt.Sprintf("Throughput was %s against the target %s.", fmtMeasured(n), quote(n.Target)))
		}
	}
	if t.Failures > 0 && len(r.a.Errors) > 0 {
		e := r.a.Errors[0]
		p := Medium
		if t.ErrorPct > offTotalErrHigh {
			p = High
		}
		add(p, errorAction(e.Type),
			fmt.Sprintf("It accounts for %s failures, %s%% of the errors and %s%% of all requests.", fmtCount(e.Count), fmtPct(e.PctOfErrors), fmtPct(e.PctOfSamples)))
	}
	if tail, ok := r.tail(); ok && tail > offTailLong {
		add(Medium, "Investigate the slow tail: garbage-collection pauses, lock contention, connection-pool waits and cold caches.",
			fmt.Sprintf("p99 is %s times the median (%s ms against %s ms).", fmtNum(tail, 2), fmtMs(t.P99), fmtMs(t.Median)))
	}
	// Corrected latencies exist only for arrival-rate (open-model) steps:
	// a divergence means iterations started late against the schedule.
	// Below a millisecond of difference it is scheduling noise.
	if co, ok := r.co(); ok && co > offCOHigh && t.CorrectedP99-t.P99 >= offCOMinMs {
		add(Medium, "Find where requests queue: iterations started late against the arrival schedule (a saturated target, or too few pre-allocated VUs), so users would see more than the measured latencies.",
			fmt.Sprintf("The corrected p99 of %s ms is %s%% above the measured %s ms.", fmtMs(t.CorrectedP99), fmtNum(co, 1), fmtMs(t.P99)))
	}
	if t.Apdex < offApdexGood && !latencyNFR {
		add(Medium, "Bring the typical response time under the APDEX satisfied threshold.",
			fmt.Sprintf("APDEX is %s (%s) with a satisfied threshold of %s ms; the median is %s ms.", fmtApdex(t.Apdex), apdexBand(t.Apdex), fmtMs(r.a.ApdexSatisfiedMs), fmtMs(t.Median)))
	}
	if r.d.NFRsChecked == 0 {
		add(Medium, "Define NFRs (response_time_p95, error_rate, throughput) for the run and its key labels.",
			"Without targets the run is judged only on its error rate, APDEX and tail.")
	}
	if r.a.SkippedRows > 0 {
		add(Low, "Check how the JTL was written: some rows could not be read.",
			fmt.Sprintf("%s rows were skipped and are not in the statistics.", fmtCount(r.a.SkippedRows)))
	}
	if len(out) == 0 {
		add(Low, "Re-run at a higher load step to find where latency or errors start to grow.",
			fmt.Sprintf("At this load no rule found a problem: %s%% errors, p95 %s ms, APDEX %s.", fmtPct(t.ErrorPct), fmtMs(t.P95), fmtApdex(t.Apdex)))
	}
	sort.SliceStable(out, func(i, j int) bool { return levelRank[out[i].Priority] > levelRank[out[j].Priority] })
	return out[:min(len(out), offMaxRecommendations)]
}

// errorAction is the recommendation for the most frequent error type.
func errorAction(typ string) string {
	q := quote(typ)
	switch {
	case strings.HasPrefix(typ, "Non HTTP response"):
		return "Fix the main error " + q + ": requests got no HTTP answer, so check timeouts, connection limits and the capacity of the target."
	case strings.HasPrefix(typ, "5"):
		return "Fix the main error " + q + ": find the server-side cause in the application logs at the times of the failures."
	case strings.HasPrefix(typ, "4"):
		return "Fix the main error " + q + ": client errors under load usually come from the script (expired tokens, reused or invalid data)."
	}
	return "Fix the main error " + q + " first."
}

func (r *rules) risk() string {
	var b strings.Builder
	fmt.Fprintf(&b, "The risk is %s: %s. ", r.g.Risk, strings.TrimSuffix(r.g.RiskWhy, "."))
	fmt.Fprintf(&b, "The grade is %s with a score of %s", r.g.Letter, fmtNum(r.g.Score, 2))
	if c, ok := r.component(results.ComponentCaps); ok {
		fmt.Fprintf(&b, " (%s)", c.Why)
	}
	b.WriteString(". ")
	switch r.g.Risk {
	case results.RiskHigh:
		b.WriteString("Fix the causes above before going live: at this load users would see failures or slow responses.")
	case results.RiskMedium:
		b.WriteString("Going live is possible with care: the typical experience is acceptable, but the tail or the measurement needs attention first.")
	default:
		b.WriteString("No risk rule fired at this load; confirm it with a longer or heavier run before relying on it.")
	}
	return b.String()
}

// noSamples fills the document of a run without samples.
func (r *rules) noSamples(in *Insights) {
	in.ExecutiveSummary = fmt.Sprintf("The run recorded no samples, so nothing can be concluded about the system's performance; the rubric grades it %s with %s risk.", r.g.Letter, r.g.Risk)
	in.KeyFindings = []string{"No request was recorded in the results."}
	if r.a.SkippedRows > 0 {
		in.KeyFindings = append(in.KeyFindings, fmt.Sprintf("%s JTL rows were skipped as unreadable.", fmtCount(r.a.SkippedRows)))
	}
	in.Bottlenecks = []Bottleneck{{Label: "", Severity: High, Evidence: "No samples: the load did not reach the system, or the results were not recorded."}}
	in.Recommendations = []Recommendation{{Priority: High,
		Action:    "Check that the test ran and wrote its results (plan, target URL, JTL path), then run it again.",
		Rationale: "An empty result cannot show whether the system meets its NFRs."}}
	in.RiskExplanation = fmt.Sprintf("The risk is %s: %s.", r.g.Risk, strings.TrimSuffix(r.g.RiskWhy, "."))
}

// nfrSentence describes a failed NFR.
func nfrSentence(n results.NFRResult) string {
	if n.Label != "" && n.Measured == 0 && strings.Contains(n.Target, "not in the results") {
		return fmt.Sprintf("NFR %s failed: %s.", nfrName(n), n.Target)
	}
	side := "outside"
	switch n.Unit {
	case "ms", "%":
		if n.Name == results.NFRAvailability {
			side = "below"
		} else {
			side = "over"
		}
	case "rps":
		side = "below"
	}
	return fmt.Sprintf("NFR %s failed: measured %s against the target %s, %s%% %s it.", nfrName(n), fmtMeasured(n), quote(n.Target), fmtPct(100*math.Abs(n.Margin)), side)
}

// nfrName names an NFR result: "response_time_p95 on “login”".
func nfrName(n results.NFRResult) string {
	if n.Label != "" && !strings.Contains(n.Name, "{") {
		return n.Name + " on " + quote(n.Label)
	}
	return n.Name
}

// nfrNames lists up to k NFR names, then "and N more".
func nfrNames(ns []results.NFRResult, k int) string {
	var names []string
	for _, n := range ns[:min(k, len(ns))] {
		names = append(names, nfrName(n))
	}
	s := strings.Join(names, ", ")
	if len(ns) > k {
		s += fmt.Sprintf(" and %s more", fmtCount(int64(len(ns)-k)))
	}
	return s
}

// fmtMeasured formats an NFR's measured value with its unit.
func fmtMeasured(n results.NFRResult) string {
	switch n.Unit {
	case "ms":
		return fmtMs(n.Measured) + " ms"
	case "rps":
		return fmtRate(n.Measured) + " requests/s"
	case "%":
		return fmtPct(n.Measured) + "%"
	}
	return fmtNum(n.Measured, 3) + " " + n.Unit
}

// apdexBand is the APDEX rating of a score (the rubric's bands).
func apdexBand(v float64) string {
	switch {
	case v >= 0.94:
		return "excellent"
	case v >= 0.85:
		return "good"
	case v >= 0.7:
		return "fair"
	case v >= 0.5:
		return "poor"
	}
	return "unacceptable"
}

// quote puts a label, an error type or a target in curly quotes, with
// control characters turned into spaces and long ones cut.
func quote(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return "“" + cutN(s, offMaxLabelRunes) + "”"
}

// plural picks the word for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// capitalize upper-cases the first letter of s.
func capitalize(s string) string {
	for i, r := range s {
		if unicode.IsLetter(r) {
			return s[:i] + string(unicode.ToUpper(r)) + s[i+len(string(r)):]
		}
		if r != '“' && r != '"' {
			return s
		}
	}
	return s
}

// joinAnd joins "a", "b and c".
func joinAnd(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// fmtNum formats v with at most dec decimals, trailing zeros dropped and
// thousands grouped with commas (1,234.5).
func fmtNum(v float64, dec int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	s := strconv.FormatFloat(v, 'f', dec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// fmtMs formats a latency: no decimals from 100 ms, one from 10 ms, two
// below.
func fmtMs(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return fmtNum(v, 0)
	case a >= 10:
		return fmtNum(v, 1)
	}
	return fmtNum(v, 2)
}

// fmtPct formats a percentage: one decimal from 10%, two from 0.01%, up
// to four below.
func fmtPct(v float64) string {
	switch a := math.Abs(v); {
	case a >= 10:
		return fmtNum(v, 1)
	case a >= 0.01 || a == 0:
		return fmtNum(v, 2)
	}
	return fmtNum(v, 4)
}

// fmtRate formats requests per second: one decimal, three below 1.
func fmtRate(v float64) string {
	if math.Abs(v) < 1 {
		return fmtNum(v, 3)
	}
	return fmtNum(v, 1)
}

// fmtApdex formats an APDEX score with three decimals.
func fmtApdex(v float64) string { return fmtNum(v, 3) }

// fmtCount formats a count.
func fmtCount(n int64) string { return fmtNum(float64(n), 0) }

// fmtDuration formats the run's duration: seconds up to two minutes,
// minutes above.
func fmtDuration(s float64) string {
	if s < 120 {
		return fmtNum(s, 1) + " s"
	}
	return fmtNum(s/60, 1) + " min"
}
