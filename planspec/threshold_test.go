package planspec

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseThresholdExpr(t *testing.T) {
	for _, tc := range []struct {
		in    string
		agg   Aggregation
		op    string
		value float64
	}{
		{"p(95) < 500", Aggregation{"p", 95}, "<", 500},
		{"p(99.9)<=1.5s", Aggregation{"p", 99.9}, "<=", 1500},
		{" p( 50 ) > 2m ", Aggregation{"p", 50}, ">", 120000},
		{"avg < 250ms", Aggregation{Method: "avg"}, "<", 250},
		{"med >= 500us", Aggregation{Method: "med"}, ">=", 0.5},
		{"max < 900µs", Aggregation{Method: "max"}, "<", 0.9},
		{"min > 1h", Aggregation{Method: "min"}, ">", 3600000},
		{"rate < 0.01", Aggregation{Method: "rate"}, "<", 0.01},
		{"rate>=1e2", Aggregation{Method: "rate"}, ">=", 100},
		{"count == 0", Aggregation{Method: "count"}, "==", 0},
		{"count === 0", Aggregation{Method: "count"}, "==", 0},
		{"value != -1", Aggregation{Method: "value"}, "!=", -1},
		{"avg < .5", Aggregation{Method: "avg"}, "<", 0.5},
	} {
		agg, op, v, err := ParseThresholdExpr(tc.in)
		if err != nil || agg != tc.agg || op != tc.op || v != tc.value {
			t.Errorf("ParseThresholdExpr(%q) = %v, %q, %v, %v; want %v, %q, %v", tc.in, agg, op, v, err, tc.agg, tc.op, tc.value)
		}
	}
	for _, tc := range []struct{ in, msg string }{
		{"", "empty threshold expression"},
		{"   ", "empty threshold expression"},
		{"p(95)", "missing comparison operator"},
		{"p95 < 1", "p needs a percentile"},
		{"p(95 < 1", "missing ) after p("},
		{"p(x) < 1", `percentile "x" must be a number from 0 to 100`},
		{"p(-1) < 1", `percentile "-1" must be a number`},
		{"avg <", "missing number after <"},
		{"avg < 1 2", `unexpected "2" after the number`},
		{"avg < 1ks", `unexpected "ks" after the number`},
		{"avg < 1..2", `"1..2" is not a number`},
		{"< 5", "missing aggregation"},
		{"P(95) < 1", "missing aggregation"},
		{"avrg < 5", "unknown aggregation \"avrg\"; did you mean `avg`?"},
		{"median < 5", "unknown aggregation \"median\"; did you mean `med`?"},
		{"avg = 5", "missing comparison operator"},
		{"avg => 5", "missing comparison operator"},
	} {
		_, _, _, err := ParseThresholdExpr(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("ParseThresholdExpr(%q) error = %v; want it to contain %q", tc.in, err, tc.msg)
		}
	}
}

func TestParseMetricRef(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want MetricRef
		str  string
	}{
		{"http_reqs", MetricRef{Metric: "http_reqs"}, "http_reqs"},
		{"http_req_duration{step:login}", MetricRef{"http_req_duration", map[string]string{"step": "login"}}, "http_req_duration{step:login}"},
		{" checks { scenario : a b , status:200 } ", MetricRef{"checks", map[string]string{"scenario": "a b", "status": "200"}}, "checks{scenario:a b,status:200}"},
		{`x{step:"a, {b}"}`, MetricRef{"x", map[string]string{"step": "a, {b}"}}, `x{step:"a, {b}"}`},
		{"x{step:'q'}", MetricRef{"x", map[string]string{"step": "q"}}, "x{step:q}"},
		{`x{step:'say "hi"'}`, MetricRef{"x", map[string]string{"step": `say "hi"`}}, `x{step:'say "hi"'}`},
	} {
		got, err := ParseMetricRef(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseMetricRef(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			continue
		}
		if s := got.String(); s != tc.str {
			t.Errorf("MetricRef.String() = %q; want %q", s, tc.str)
		}
	}
	for _, tc := range []struct{ in, msg string }{
		{"", "has no metric name"},
		{"{step:a}", "has no metric name"},
		{"http-reqs", `invalid metric name "http-reqs"`},
		{"x{step:a", "tag filter must end with }"},
		{"x{}", "empty tag filter"},
		{"x{step}", `tag filter "step" is not key:value`},
		{"x{step:}", "tag step has no value"},
		{"x{step:a,step:b}", "tag step is given twice"},
	} {
		_, err := ParseMetricRef(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("ParseMetricRef(%q) error = %v; want it to contain %q", tc.in, err, tc.msg)
		}
	}
}

func TestAggregationString(t *testing.T) {
	for agg, want := range map[Aggregation]string{
		{Method: "p", Percentile: 99.9}: "p(99.9)",
		{Method: "p", Percentile: 95}:   "p(95)",
		{Method: "avg"}:                 "avg",
	} {
		if got := agg.String(); got != want {
			t.Errorf("%#v.String() = %q; want %q", agg, got, want)
		}
	}
}

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		m    float64
		op   string
		b    float64
		want bool
	}{
		{1, "<", 2, true}, {2, "<", 2, false}, {2, "<=", 2, true}, {3, ">", 2, true},
		{2, ">=", 2, true}, {2, "==", 2, true}, {2, "!=", 2, false}, {1, "?", 1, false},
	} {
		if got := Compare(tc.m, tc.op, tc.b); got != tc.want {
			t.Errorf("Compare(%v, %q, %v) = %v; want %v", tc.m, tc.op, tc.b, got, tc.want)
		}
	}
}

func TestEveryAggregationIsParsable(t *testing.T) {
	// The Aggregations table and the grammar must agree.
	for kind, aggs := range Aggregations {
		for _, a := range aggs {
			expr := a + " < 1"
			if a == "p" {
				expr = "p(90) < 1"
			}
			if got, _, _, err := ParseThresholdExpr(expr); err != nil || got.Method != a {
				t.Errorf("%s aggregation %q: %v, %v", kind, a, got, err)
			}
		}
	}
}
