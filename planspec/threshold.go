package planspec

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// String names the kind as thresholds' error messages do ("trend").
func (k MetricKind) String() string {
	switch k {
	case Trend:
		return "trend"
	case Counter:
		return "counter"
	case Rate:
		return "rate"
	case Gauge:
		return "gauge"
	}
	return "MetricKind(" + strconv.Itoa(int(k)) + ")"
}

// ThresholdOps lists the comparison operators of threshold expressions.
// "===" is accepted as a synonym of "==" (k6) and normalized to it.
var ThresholdOps = []string{"<", "<=", ">", ">=", "==", "!="}

// Compare applies op (one of ThresholdOps) to a measured value and a
// threshold's bound: Compare(420, "<", 500) is true.
func Compare(measured float64, op string, bound float64) bool {
	switch op {
	case "<":
		return measured < bound
	case "<=":
		return measured <= bound
	case ">":
		return measured > bound
	case ">=":
		return measured >= bound
	case "==", "===":
		return measured == bound
	case "!=":
		return measured != bound
	}
	return false
}

// ParseMetricRef parses a threshold key: a metric name with optional tag
// filters, "http_req_duration{step:login,status:200}". Tag values may be
// quoted ("step:\"a, b\"") to hold commas or braces. It checks syntax only;
// validation checks the metric, tag keys and tag values against the plan.
func ParseMetricRef(key string) (MetricRef, error) {
	key = strings.TrimSpace(key)
	name, rest, hasTags := strings.Cut(key, "{")
	name = strings.TrimSpace(name)
	if name == "" {
		return MetricRef{}, fmt.Errorf("threshold key %q has no metric name", key)
	}
	for _, c := range name {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return MetricRef{}, fmt.Errorf("invalid metric name %q in threshold key %q", name, key)
		}
	}
	ref := MetricRef{Metric: name}
	if !hasTags {
		return ref, nil
	}
	if !strings.HasSuffix(rest, "}") {
		return MetricRef{}, fmt.Errorf("threshold key %q: tag filter must end with }", key)
	}
	rest = rest[:len(rest)-1]
	ref.Tags = map[string]string{}
	for _, item := range splitTags(rest) {
		k, v, ok := strings.Cut(item, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" {
			return MetricRef{}, fmt.Errorf("threshold key %q: tag filter %q is not key:value", key, strings.TrimSpace(item))
		}
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		if v == "" {
			return MetricRef{}, fmt.Errorf("threshold key %q: tag %s has no value", key, k)
		}
		if _, dup := ref.Tags[k]; dup {
			return MetricRef{}, fmt.Errorf("threshold key %q: tag %s is given twice", key, k)
		}
		ref.Tags[k] = v
	}
	if len(ref.Tags) == 0 {
		return MetricRef{}, fmt.Errorf("threshold key %q: empty tag filter", key)
	}
	return ref, nil
}

// splitTags splits "a:b, c:'d,e'" at commas outside quotes.
func splitTags(s string) []string {
	var out []string
	var quote rune
	start := 0
	for i, c := range s {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == ',':
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if strings.TrimSpace(s[start:]) != "" || len(out) > 0 {
		out = append(out, s[start:])
	}
	return out
}

// String renders the reference as a threshold key, tags in TagKeys order.
func (m MetricRef) String() string {
	if len(m.Tags) == 0 {
		return m.Metric
	}
	var b strings.Builder
	b.WriteString(m.Metric)
	b.WriteByte('{')
	n := 0
	write := func(k, v string) {
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		b.WriteString(k)
		b.WriteByte(':')
		if strings.ContainsAny(v, ",{}\"'") {
			q := "\""
			if strings.Contains(v, q) {
				q = "'"
			}
			v = q + v + q
		}
		b.WriteString(v)
	}
	for _, k := range TagKeys {
		if v, ok := m.Tags[k]; ok {
			write(k, v)
		}
	}
	for k, v := range m.Tags { // unknown keys, in any order (invalid plans only)
		if !slices.Contains(TagKeys, k) {
			write(k, v)
		}
	}
	b.WriteByte('}')
	return b.String()
}

// ParseThresholdExpr parses a threshold expression in k6's grammar:
// aggregation, operator, number, e.g. "p(95) < 500" or "rate >= 0.99".
// Aggregations: avg min max med p(N) rate count value. Operators: < <= > >=
// == === != ("===" is returned as "=="). The number may carry a time unit
// (us, µs, ms, s, m, h); the value is then returned in milliseconds. A bare
// number on a trend metric is already milliseconds. Whether the aggregation
// and a unit suit the metric is checked by validation, which knows the metric.
func ParseThresholdExpr(expr string) (Aggregation, string, float64, error) {
	t, err := parseThreshold(expr)
	return t.agg, t.op, t.value, err
}

type parsedThreshold struct {
	agg     Aggregation
	op      string
	value   float64
	hasUnit bool
}

// aggregationSynonyms maps words people write for an aggregation to its name.
var aggregationSynonyms = map[string]string{
	"mean": "avg", "average": "avg", "median": "med", "minimum": "min", "maximum": "max",
	"percentile": "p(N)", "pct": "p(N)", "total": "count", "sum": "count",
}

var errEmptyThreshold = errors.New("empty threshold expression")

func parseThreshold(expr string) (parsedThreshold, error) {
	var t parsedThreshold
	s := strings.TrimSpace(expr)
	if s == "" {
		return t, errEmptyThreshold
	}
	bad := func(format string, args ...any) (parsedThreshold, error) {
		return parsedThreshold{}, fmt.Errorf("invalid threshold %q: %s (write e.g. \"p(95) < 500\" or \"rate < 0.01\")", expr, fmt.Sprintf(format, args...))
	}
	// Aggregation.
	i := 0
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z') {
		i++
	}
	method := s[:i]
	s = strings.TrimLeft(s[i:], " \t")
	switch method {
	case "avg", "min", "max", "med", "rate", "count", "value":
		t.agg = Aggregation{Method: method}
	case "p":
		if !strings.HasPrefix(s, "(") {
			return bad("p needs a percentile, as in p(95)")
		}
		end := strings.IndexByte(s, ')')
		if end < 0 {
			return bad("missing ) after p(")
		}
		pct, err := strconv.ParseFloat(strings.TrimSpace(s[1:end]), 64)
		if err != nil || math.IsNaN(pct) || pct < 0 || pct > 100 {
			return bad("percentile %q must be a number from 0 to 100", strings.TrimSpace(s[1:end]))
		}
		t.agg = Aggregation{Method: "p", Percentile: pct}
		s = strings.TrimLeft(s[end+1:], " \t")
	case "":
		return bad("missing aggregation (avg, min, max, med, p(N), rate, count or value)")
	default:
		if alt, ok := aggregationSynonyms[method]; ok {
			return bad("unknown aggregation %q; did you mean `%s`?", method, alt)
		}
		return bad("unknown aggregation %q%s", method, didYouMean(method, []string{"avg", "min", "max", "med", "p", "rate", "count", "value"}, "use"))
	}
	// Operator.
	for _, op := range []string{"===", "==", "!=", "<=", ">=", "<", ">"} {
		if strings.HasPrefix(s, op) {
			t.op = op
			s = strings.TrimSpace(s[len(op):])
			break
		}
	}
	if t.op == "" {
		return bad("missing comparison operator (<, <=, >, >=, ==, !=) after %s", t.agg)
	}
	if t.op == "===" {
		t.op = "=="
	}
	// Number, with an optional unit.
	j := 0
	for j < len(s) && strings.IndexByte("0123456789.+-eE", s[j]) >= 0 {
		// Stop at an "e" that starts no exponent ("5e" is not a number, but "1e3" is).
		if (s[j] == 'e' || s[j] == 'E') && (j == 0 || j+1 >= len(s) || strings.IndexByte("0123456789+-", s[j+1]) < 0) {
			break
		}
		j++
	}
	num, unit := s[:j], strings.TrimSpace(s[j:])
	if num == "" {
		return bad("missing number after %s", t.op)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return bad("%q is not a number", num)
	}
	if unit != "" {
		scale, ok := map[string]float64{"us": 1e-3, "µs": 1e-3, "μs": 1e-3, "ms": 1, "s": 1e3, "m": 60e3, "h": 3600e3}[unit]
		if !ok {
			return bad("unexpected %q after the number (units: us, ms, s, m, h)", unit)
		}
		v *= scale
		t.hasUnit = true
	}
	t.value = v
	return t, nil
}

// UnmarshalYAML accepts the expression string or {threshold, abort_on_fail,
// delay_abort_eval}.
func (t *Threshold) UnmarshalYAML(n *yaml.Node) error {
	if n = resolve(n); n.Kind == yaml.ScalarNode {
		*t = Threshold{Expr: n.Value}
		return nil
	}
	type plain Threshold
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*t = Threshold(p)
	return nil
}

// hasOptions reports whether the threshold needs the object form.
func (t *Threshold) hasOptions() bool { return t.AbortOnFail || t.DelayAbortEval != 0 }

// MarshalYAML writes the bare expression unless options are set.
func (t *Threshold) MarshalYAML() (any, error) {
	if !t.hasOptions() {
		return t.Expr, nil
	}
	type plain Threshold
	return (*plain)(t), nil
}

// MarshalJSON writes the bare expression unless options are set.
func (t *Threshold) MarshalJSON() ([]byte, error) {
	if !t.hasOptions() {
		return json.Marshal(t.Expr)
	}
	type plain Threshold
	return json.Marshal((*plain)(t))
}

// UnmarshalJSON accepts the expression string or the object form.
func (t *Threshold) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*t = Threshold{Expr: s}
		return nil
	}
	type plain Threshold
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*t = Threshold(p)
	return nil
}

// String renders the parsed form ("p(95) < 500"); Expr keeps the original.
func (t *Threshold) String() string {
	return t.Agg.String() + " " + t.Op + " " + formatFloat(t.Value)
}

// formatFloat formats f in the shortest form that parses back to f.
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
