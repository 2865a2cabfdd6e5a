package results

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/loadgen/loadgen/planspec"
)

// NFR keys of the NFR file: the original tool's vocabulary
// (response_time_p95, throughput, availability, error_rate) with the other
// response-time statistics added.
const (
	NFRResponseTimeP50 = "response_time_p50"
	NFRResponseTimeP90 = "response_time_p90"
	NFRResponseTimeP95 = "response_time_p95"
	NFRResponseTimeP99 = "response_time_p99"
	NFRResponseTimeAvg = "response_time_avg"
	NFRResponseTimeMax = "response_time_max"
	NFRThroughput      = "throughput"
	NFRAvailability    = "availability"
	NFRErrorRate       = "error_rate"
)

// nfrLabelsKey is the NFR file's key for per-label requirements.
const nfrLabelsKey = "labels"

// NFRKeys lists the requirement keys of the NFR file, in the order the
// documentation gives them.
var NFRKeys = []string{
	NFRResponseTimeP50, NFRResponseTimeP90, NFRResponseTimeP95, NFRResponseTimeP99,
	NFRResponseTimeAvg, NFRResponseTimeMax, NFRThroughput, NFRAvailability, NFRErrorRate,
}

// NFRSpec is a parsed NFR file.
type NFRSpec struct {
	// Name is the file name given to ParseNFR or ParseNFRFile.
	Name string
	// NFRs are the requirements: whole-run ones first, then per-label ones,
	// each group in file order.
	NFRs []NFR
}

// NFR is one requirement of an NFR file, normalized.
type NFR struct {
	// Key is the requirement's key, e.g. response_time_p95.
	Key string
	// Label is the JTL label it applies to; "" for the whole run.
	Label string
	// Target is the value as written in the file ("500ms", "<1%").
	Target string
	// Op is the comparison the measured value must satisfy against Bound:
	// "<" or "<=" for upper bounds (response times, error_rate), ">" or ">="
	// for lower bounds (throughput, availability).
	Op string
	// Bound is the target in Unit: ms for response times, requests per
	// second for throughput, percent for availability and error_rate.
	Bound float64
	// Unit is "ms", "rps" or "%".
	Unit string
	// Line and Col locate the value in the file (1-based).
	Line, Col int
}

// ParseNFRFile reads and parses an NFR file; see ParseNFR.
func ParseNFRFile(path string) (*NFRSpec, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseNFR(src, path)
}

// ParseNFR parses an NFR file's content. name is used in error messages,
// which read "name:line:col: message". The file is a YAML map of
// requirement keys (NFRKeys) to targets, with an optional "labels" map of
// label → the same keys. Unknown keys are errors.
//
//	response_time_p95: 500ms   # at most; also "<500ms"; bare numbers are ms
//	throughput: 1000rps        # at least; also "1000/s", "60000/min"
//	availability: 99.9%        # at least, share of successful samples
//	error_rate: <1%            # "1%" is at most 1%; also "<=0.5%"
//	labels:
//	  login: {response_time_p95: 300ms}
func ParseNFR(src []byte, name string) (*NFRSpec, error) {
	root, err := nfrDecode(src)
	if err != nil {
		return nil, nfrSyntaxError(name, src, err)
	}
	p := &nfrParser{name: name}
	if root == nil {
		return nil, p.errorf(1, 1, "empty NFR file: expected a map such as `response_time_p95: 500ms`")
	}
	spec := &NFRSpec{Name: name}
	var labels *yaml.Node
	if err := p.mapping(root, "the NFR file", func(k, v *yaml.Node) error {
		if k.Value == nfrLabelsKey {
			labels = v
			return nil
		}
		nfr, err := p.requirement(k, v, "")
		if err != nil {
			return err
		}
		spec.NFRs = append(spec.NFRs, nfr)
		return nil
	}); err != nil {
		return nil, err
	}
	if labels == nil {
		return spec, nil
	}
	if err := p.mapping(labels, "labels", func(lk, lv *yaml.Node) error {
		label := lk.Value
		if strings.TrimSpace(label) == "" {
			return p.errorf(lk.Line, lk.Column, "labels: empty label name")
		}
		if lv.Kind == yaml.ScalarNode && lv.Tag == "!!null" {
			return p.errorf(lv.Line, lv.Column, "labels.%s: expected a map of NFRs such as {response_time_p95: 300ms}", label)
		}
		return p.mapping(lv, "labels."+label, func(k, v *yaml.Node) error {
			if k.Value == nfrLabelsKey {
				return p.errorf(k.Line, k.Column, "labels.%s: labels cannot be nested", label)
			}
			nfr, err := p.requirement(k, v, label)
			if err != nil {
				return err
			}
			spec.NFRs = append(spec.NFRs, nfr)
			return nil
		})
	}); err != nil {
		return nil, err
	}
	return spec, nil
}

// nfrParser carries the file name for positioned errors.
type nfrParser struct{ name string }

// errorf formats a "name:line:col: message" error.
func (p *nfrParser) errorf(line, col int, format string, args ...any) error {
	return fmt.Errorf("%s:%d:%d: %s", p.name, max(line, 1), max(col, 1), fmt.Sprintf(format, args...))
}

// nfrResolve follows an alias node.
func nfrResolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// mapping calls fn for each key/value pair of n, in order, after checking
// that n is a map with unique scalar keys. what names n in messages.
func (p *nfrParser) mapping(n *yaml.Node, what string, fn func(k, v *yaml.Node) error) error {
	n = nfrResolve(n)
	if n.Kind != yaml.MappingNode {
		return p.errorf(n.Line, n.Column, "%s: expected a map, found %s", what, nfrNodeKind(n))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := nfrResolve(n.Content[i]), nfrResolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return p.errorf(k.Line, k.Column, "%s: keys must be strings, found %s", what, nfrNodeKind(k))
		}
		if seen[k.Value] {
			return p.errorf(k.Line, k.Column, "%s: key %q is given twice", what, k.Value)
		}
		seen[k.Value] = true
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// nfrNodeKind names a node's kind for messages.
func nfrNodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a map"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return strconv.Quote(n.Value)
	}
	return "a YAML node"
}

// requirement parses one key: value pair.
func (p *nfrParser) requirement(k, v *yaml.Node, label string) (NFR, error) {
	key := k.Value
	where := key
	if label != "" {
		where = "labels." + label + "." + key
	}
	if !slices.Contains(NFRKeys, key) {
		valid := NFRKeys
		if label == "" {
			valid = append(slices.Clip(NFRKeys), nfrLabelsKey)
		}
		return NFR{}, p.errorf(k.Line, k.Column, "unknown key %q%s", key, nfrDidYouMean(key, valid))
	}
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" || strings.TrimSpace(v.Value) == "" {
		return NFR{}, p.errorf(v.Line, v.Column, "%s: expected a value such as %s, found %s", where, nfrExample(key), nfrNodeKind(v))
	}
	nfr := NFR{Key: key, Label: label, Target: v.Value, Line: v.Line, Col: v.Column}
	var err error
	switch key {
	case NFRThroughput:
		nfr.Op, nfr.Bound, err = parseNFRThroughput(v.Value)
		nfr.Unit = "rps"
	case NFRAvailability:
		nfr.Op, nfr.Bound, err = parseNFRPercent(v.Value, false)
		nfr.Unit = "%"
	case NFRErrorRate:
		nfr.Op, nfr.Bound, err = parseNFRPercent(v.Value, true)
		nfr.Unit = "%"
	default:
		nfr.Op, nfr.Bound, err = parseNFRDuration(v.Value)
		nfr.Unit = "ms"
	}
	if err != nil {
		return NFR{}, p.errorf(v.Line, v.Column, "%s: %v", where, err)
	}
	return nfr, nil
}

// nfrExample is an example value for a key's messages.
func nfrExample(key string) string {
	switch key {
	case NFRThroughput:
		return `"1000rps"`
	case NFRAvailability:
		return `"99.9%"`
	case NFRErrorRate:
		return `"<1%"`
	}
	return `"500ms"`
}

// splitNFRValue splits "<= 12.5 ms" into the operator ("<="), the number
// (12.5) and the unit ("ms").
func splitNFRValue(s string) (op string, num float64, unit string, err error) {
	s = strings.TrimSpace(s)
	for _, o := range []string{"<=", ">=", "==", "<", ">", "="} {
		if strings.HasPrefix(s, o) {
			op, s = o, strings.TrimSpace(s[len(o):])
			break
		}
	}
	i := 0
	for i < len(s) && strings.IndexByte("0123456789.+-eE", s[i]) >= 0 {
		// An "e" ends the number unless an exponent follows ("5e3", not "5e").
		if (s[i] == 'e' || s[i] == 'E') && (i == 0 || i+1 >= len(s) || strings.IndexByte("0123456789+-", s[i+1]) < 0) {
			break
		}
		i++
	}
	numStr, unit := s[:i], strings.TrimSpace(s[i:])
	if numStr == "" {
		return "", 0, "", errors.New("missing number")
	}
	num, perr := strconv.ParseFloat(numStr, 64)
	if perr != nil || math.IsNaN(num) || math.IsInf(num, 0) {
		return "", 0, "", fmt.Errorf("%q is not a number", numStr)
	}
	if num < 0 {
		return "", 0, "", fmt.Errorf("%s must not be negative", numStr)
	}
	return op, num, unit, nil
}

// nfrBoundOp checks an operator's direction: upper bounds take "", "<" or
// "<=" ("" means "<="), lower bounds "", ">" or ">=" ("" means ">=").
func nfrBoundOp(op string, upper bool, example string) (string, error) {
	switch {
	case op == "" && upper:
		return "<=", nil
	case op == "":
		return ">=", nil
	case upper && (op == "<" || op == "<="), !upper && (op == ">" || op == ">="):
		return op, nil
	case upper:
		return "", fmt.Errorf("this is an upper bound: write %q (at most) or %q, not %q", example, "<"+example, op)
	}
	return "", fmt.Errorf("this is a lower bound: write %q (at least) or %q, not %q", example, ">"+example, op)
}

// parseNFRDuration parses a response-time target ("500ms", "<0.5s", "500")
// into an upper bound in ms.
func parseNFRDuration(s string) (string, float64, error) {
	op, num, unit, err := splitNFRValue(s)
	if err != nil {
		return "", 0, fmt.Errorf("invalid duration %q: %v (write e.g. \"500ms\")", s, err)
	}
	scale, ok := map[string]float64{"": 1, "ms": 1, "s": 1000, "us": 1e-3, "µs": 1e-3, "μs": 1e-3}[unit]
	if !ok {
		return "", 0, fmt.Errorf("invalid duration %q: unknown unit %q (units: us, ms, s; a bare number is ms)", s, unit)
	}
	op, err = nfrBoundOp(op, true, "500ms")
	if err != nil {
		return "", 0, err
	}
	return op, num * scale, nil
}

// parseNFRThroughput parses a throughput target ("1000rps", "1000/s",
// "60000/min", a bare number is per second) into a lower bound in requests
// per second.
func parseNFRThroughput(s string) (string, float64, error) {
	op, num, unit, err := splitNFRValue(s)
	if err != nil {
		return "", 0, fmt.Errorf("invalid throughput %q: %v (write e.g. \"1000rps\")", s, err)
	}
	scale, ok := map[string]float64{"": 1, "rps": 1, "/s": 1, "/sec": 1, "/min": 1.0 / 60, "rpm": 1.0 / 60}[unit]
	if !ok {
		return "", 0, fmt.Errorf("invalid throughput %q: unknown unit %q (units: rps, /s, /min, rpm; a bare number is per second)", s, unit)
	}
	op, err = nfrBoundOp(op, false, "1000rps")
	if err != nil {
		return "", 0, err
	}
	return op, num * scale, nil
}

// parseNFRPercent parses "99.9%" or "<1%" into a bound in percent, upper
// for error_rate, lower for availability.
func parseNFRPercent(s string, upper bool) (string, float64, error) {
	example := "99.9%"
	if upper {
		example = "1%"
	}
	op, num, unit, err := splitNFRValue(s)
	if err != nil {
		return "", 0, fmt.Errorf("invalid percentage %q: %v (write e.g. %q)", s, err, example)
	}
	if unit != "%" {
		if unit == "" {
			return "", 0, fmt.Errorf("invalid percentage %q: missing %% (write e.g. %q)", s, example)
		}
		return "", 0, fmt.Errorf("invalid percentage %q: unknown unit %q (write e.g. %q)", s, unit, example)
	}
	if num > 100 {
		return "", 0, fmt.Errorf("invalid percentage %q: more than 100%%", s)
	}
	op, err = nfrBoundOp(op, upper, example)
	if err != nil {
		return "", 0, err
	}
	return op, num, nil
}

// nfrDidYouMean formats a hint for an unknown key: "; did you mean `x`?"
// when a valid key is a plausible typo (at most 3 edits, or a third of the
// key's length for long keys), else the list of valid keys.
func nfrDidYouMean(s string, valid []string) string {
	best, bestD := "", -1
	for _, c := range valid {
		if d := planspec.EditDistance(strings.ToLower(s), c); bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD >= 0 && bestD <= max(3, len(s)/3) && 2*bestD < len(best) {
		return "; did you mean `" + best + "`?"
	}
	return " (valid keys: " + strings.Join(valid, ", ") + ")"
}

// nfrDecode reads exactly one YAML document; nil for an empty source.
func nfrDecode(src []byte) (*yaml.Node, error) {
	doc, err := planspec.DecodeSingleYAML(src, "an NFR file")
	if err != nil || doc == nil || len(doc.Content) == 0 {
		return nil, err
	}
	return doc.Content[0], nil
}

// nfrSyntaxError positions a YAML error as planspec does for plans.
func nfrSyntaxError(name string, src []byte, err error) error {
	line, col, msg := planspec.YAMLErrorPosition(src, err)
	return fmt.Errorf("%s:%d:%d: %s", name, line, col, msg)
}

// Check evaluates the spec against an analysis, one result per NFR in spec
// order. With no samples in the run every result is NoData. A requirement
// on a label that is absent from the run fails, with the reason in Target;
// Measured and Margin are then 0.
func (s *NFRSpec) Check(a *Analysis) []NFRResult {
	if s == nil {
		return nil
	}
	out := make([]NFRResult, 0, len(s.NFRs))
	labels := nfrLabelIndex(a)
	for _, n := range s.NFRs {
		r := NFRResult{Name: n.Key, Label: n.Label, Target: n.Target, Unit: n.Unit}
		switch st := nfrStats(a, labels, n.Label); {
		case a == nil || a.Total.Samples <= 0:
			r.Target, r.Pass, r.NoData = n.Target+" (no samples in the run)", true, true
		case st == nil:
			r.Target = fmt.Sprintf("%s (label %q not in the results)", n.Target, n.Label)
		case st.Samples <= 0:
			r.Target, r.Pass, r.NoData = fmt.Sprintf("%s (no samples for label %q)", n.Target, n.Label), true, true
		default:
			r.Measured = nfrMeasure(n.Key, st)
			r.Pass = planspec.Compare(r.Measured, n.Op, n.Bound)
			r.Margin = nfrMargin(r.Measured, n.Op, n.Bound)
		}
		out = append(out, r)
	}
	return out
}

// nfrLabelIndex maps label names to their statistics.
func nfrLabelIndex(a *Analysis) map[string]*LabelStats {
	if a == nil {
		return nil
	}
	m := make(map[string]*LabelStats, len(a.Labels))
	for i := range a.Labels {
		if _, dup := m[a.Labels[i].Label]; !dup {
			m[a.Labels[i].Label] = &a.Labels[i]
		}
	}
	return m
}

// nfrStats returns the statistics of a label, or of the whole run for "".
func nfrStats(a *Analysis, labels map[string]*LabelStats, label string) *LabelStats {
	if a == nil {
		return nil
	}
	if label == "" {
		return &a.Total
	}
	return labels[label]
}

// nfrMeasure reads the statistic an NFR key names.
func nfrMeasure(key string, st *LabelStats) float64 {
	switch key {
	case NFRResponseTimeP50:
		return st.Median
	case NFRResponseTimeP90:
		return st.P90
	case NFRResponseTimeP95:
		return st.P95
	case NFRResponseTimeP99:
		return st.P99
	case NFRResponseTimeAvg:
		return st.Mean
	case NFRResponseTimeMax:
		return st.Max
	case NFRThroughput:
		return st.Throughput
	case NFRAvailability:
		return 100 * float64(st.Samples-st.Failures) / float64(st.Samples)
	case NFRErrorRate:
		return 100 * float64(st.Failures) / float64(st.Samples)
	}
	return 0
}

// nfrMargin is how far inside (+) or outside (−) the bound the measured
// value is, as a share of the bound: (bound − measured)/|bound| for upper
// bounds ("<", "<="), (measured − bound)/|bound| for lower bounds (">",
// ">="). For "==" it is 0 when equal, else −|measured − bound|/|bound|; for
// "!=" it is +|measured − bound|/|bound|. With a zero bound the share is
// undefined: the margin is then +1, 0 or −1 by the sign of the difference.
func nfrMargin(measured float64, op string, bound float64) float64 {
	var d float64
	switch op {
	case "<", "<=":
		d = bound - measured
	case ">", ">=":
		d = measured - bound
	case "==", "===":
		d = -math.Abs(measured - bound)
	case "!=":
		d = math.Abs(measured - bound)
	}
	if math.IsNaN(d) || math.IsInf(d, 0) {
		return 0
	}
	if bound == 0 {
		switch {
		case d > 0:
			return 1
		case d < 0:
			return -1
		}
		return 0
	}
	return d / math.Abs(bound)
}

// CheckThresholds evaluates plan thresholds (threshold key → expressions,
// as in a plan's thresholds map) against an analysis of the run's JTL. Keys
// are taken in sorted order, expressions in the given order; each gives one
// result whose Name is the key, Target the expression and Label the
// {step:NAME} filter.
//
// Evaluated: http_req_duration (avg min max med p(50) p(90) p(95) p(99)
// count), http_req_duration_corrected (p(95) p(99), when an HDR log gave
// corrected data), http_req_waiting and http_req_connecting (avg),
// http_req_failed (rate = failures/samples, count = failures) and http_reqs
// (count, rate = samples per second of the run), each optionally filtered
// by {step:NAME}. Everything else (other percentiles, checks, iterations,
// dropped_iterations, vus, vus_max, {scenario}, {group} and {status}
// filters, a step with no samples) is NoData, with the reason appended to
// Target, as the run's own threshold evaluation leaves metrics without data
// unevaluated.
func CheckThresholds(thresholds map[string][]string, a *Analysis) []NFRResult {
	keys := make([]string, 0, len(thresholds))
	for k := range thresholds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	labels := nfrLabelIndex(a)
	var out []NFRResult
	for _, key := range keys {
		ref, refErr := planspec.ParseMetricRef(key)
		for _, expr := range thresholds[key] {
			r := NFRResult{Name: key, Target: expr}
			if refErr == nil {
				r.Label = ref.Tags["step"]
			}
			note := evalThreshold(&r, ref, refErr, expr, a, labels)
			if note != "" {
				r.Target = expr + " (" + note + ")"
				r.Pass, r.NoData, r.Measured, r.Margin = true, true, 0, 0
			}
			out = append(out, r)
		}
	}
	return out
}

// evalThreshold fills r's Measured, Unit, Pass and Margin, or returns why
// the threshold cannot be evaluated from the analysis.
func evalThreshold(r *NFRResult, ref planspec.MetricRef, refErr error, expr string, a *Analysis, labels map[string]*LabelStats) string {
	if refErr != nil {
		return "not evaluated: " + refErr.Error()
	}
	agg, op, bound, err := planspec.ParseThresholdExpr(expr)
	if err != nil {
		return "not evaluated: " + err.Error()
	}
	for _, t := range planspec.TagKeys {
		if v, ok := ref.Tags[t]; ok && t != "step" {
			return fmt.Sprintf("{%s:%s} filters are not in the JTL analysis", t, v)
		}
	}
	for t := range ref.Tags {
		if !slices.Contains(planspec.TagKeys, t) {
			return fmt.Sprintf("unknown tag filter %q", t)
		}
	}
	if _, known := planspec.Metrics[ref.Metric]; !known {
		return fmt.Sprintf("unknown metric %q", ref.Metric)
	}
	if a == nil || a.Total.Samples <= 0 {
		return "no samples in the run"
	}
	st := &a.Total
	if label, ok := ref.Tags["step"]; ok {
		st = labels[label]
		if st == nil || st.Samples <= 0 {
			return fmt.Sprintf("no samples for step %q in the results", label)
		}
	}
	measured, unit, note := thresholdMeasure(ref.Metric, agg, st, a)
	if note != "" {
		return note
	}
	r.Measured, r.Unit = measured, unit
	r.Pass = planspec.Compare(measured, op, bound)
	r.Margin = nfrMargin(measured, op, bound)
	return ""
}

// thresholdMeasure reads a metric's aggregation from the statistics, or
// says why it cannot.
func thresholdMeasure(metric string, agg planspec.Aggregation, st *LabelStats, a *Analysis) (float64, string, string) {
	notApplicable := func() (float64, string, string) {
		return 0, "", fmt.Sprintf("%s of %s is not in the JTL analysis", agg, metric)
	}
	switch metric {
	case planspec.MetricReqDuration:
		switch agg.Method {
		case "avg":
			return st.Mean, "ms", ""
		case "min":
			return st.Min, "ms", ""
		case "max":
			return st.Max, "ms", ""
		case "med":
			return st.Median, "ms", ""
		case "count":
			return float64(st.Samples), "count", ""
		case "p":
			switch agg.Percentile {
			case 50:
				return st.Median, "ms", ""
			case 90:
				return st.P90, "ms", ""
			case 95:
				return st.P95, "ms", ""
			case 99:
				return st.P99, "ms", ""
			}
			return 0, "", fmt.Sprintf("%s is not in the analysis, which has p(50), p(90), p(95) and p(99)", agg)
		}
		return notApplicable()
	case planspec.MetricReqDurationCorrected:
		if agg.Method != "p" || (agg.Percentile != 95 && agg.Percentile != 99) {
			return 0, "", fmt.Sprintf("%s of %s is not in the analysis, which has p(95) and p(99)", agg, metric)
		}
		v := st.CorrectedP95
		if agg.Percentile == 99 {
			v = st.CorrectedP99
		}
		if v == 0 {
			return 0, "", "no corrected latencies: analyse with the HDR log of the run"
		}
		return v, "ms", ""
	case planspec.MetricReqWaiting, planspec.MetricReqConnecting:
		if agg.Method != "avg" {
			return 0, "", fmt.Sprintf("only avg of %s is in the JTL analysis", metric)
		}
		if metric == planspec.MetricReqWaiting {
			return st.MeanLatency, "ms", ""
		}
		return st.MeanConnect, "ms", ""
	case planspec.MetricReqFailed:
		switch agg.Method {
		case "rate":
			return float64(st.Failures) / float64(st.Samples), "ratio", ""
		case "count":
			return float64(st.Failures), "count", ""
		}
		return notApplicable()
	case planspec.MetricReqs:
		switch agg.Method {
		case "count":
			return float64(st.Samples), "count", ""
		case "rate":
			if a.DurationS > 0 {
				return float64(st.Samples) / a.DurationS, "rps", ""
			}
			if st.Throughput > 0 {
				return st.Throughput, "rps", ""
			}
			return 0, "", "the run has no duration"
		}
		return notApplicable()
	}
	return 0, "", fmt.Sprintf("%s is not recorded in the JTL", metric)
}
