package results

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestParseNFR_KeyForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src   string
		key   string
		op    string
		bound float64
		unit  string
	}{
		// Response times: upper bounds in ms.
		{`response_time_p95: "500ms"`, NFRResponseTimeP95, "<=", 500, "ms"},
		{`response_time_p95: 500ms`, NFRResponseTimeP95, "<=", 500, "ms"},
		{`response_time_p95: 500`, NFRResponseTimeP95, "<=", 500, "ms"},
		{`response_time_p95: 12.5`, NFRResponseTimeP95, "<=", 12.5, "ms"},
		{`response_time_p50: 0.5s`, NFRResponseTimeP50, "<=", 500, "ms"},
		{`response_time_p90: 1500us`, NFRResponseTimeP90, "<=", 1.5, "ms"},
		{`response_time_p90: 1500µs`, NFRResponseTimeP90, "<=", 1.5, "ms"},
		{`response_time_p99: "<2s"`, NFRResponseTimeP99, "<", 2000, "ms"},
		{`response_time_p99: "<= 2 s"`, NFRResponseTimeP99, "<=", 2000, "ms"},
		{`response_time_avg: 1e3ms`, NFRResponseTimeAvg, "<=", 1000, "ms"},
		{`response_time_max: 3s`, NFRResponseTimeMax, "<=", 3000, "ms"},
		// Throughput: lower bounds in requests per second.
		{`throughput: "1000rps"`, NFRThroughput, ">=", 1000, "rps"},
		{`throughput: 1000/s`, NFRThroughput, ">=", 1000, "rps"},
		{`throughput: 1000 /sec`, NFRThroughput, ">=", 1000, "rps"},
		{`throughput: 60000/min`, NFRThroughput, ">=", 1000, "rps"},
		{`throughput: 600rpm`, NFRThroughput, ">=", 10, "rps"},
		{`throughput: 250`, NFRThroughput, ">=", 250, "rps"},
		{`throughput: ">100rps"`, NFRThroughput, ">", 100, "rps"},
		// Availability: lower bound in percent.
		{`availability: "99.9%"`, NFRAvailability, ">=", 99.9, "%"},
		{`availability: ">= 99 %"`, NFRAvailability, ">=", 99, "%"},
		// Error rate: upper bound in percent; "1%" means at most.
		{`error_rate: "<1%"`, NFRErrorRate, "<", 1, "%"},
		{`error_rate: "1%"`, NFRErrorRate, "<=", 1, "%"},
		{`error_rate: "<=0.5%"`, NFRErrorRate, "<=", 0.5, "%"},
		{`error_rate: 0%`, NFRErrorRate, "<=", 0, "%"},
	}
	for _, tt := range tests {
		spec, err := ParseNFR([]byte(tt.src), "nfr.yaml")
		if err != nil {
			t.Errorf("%s: %v", tt.src, err)
			continue
		}
		if len(spec.NFRs) != 1 {
			t.Errorf("%s: got %d NFRs, want 1", tt.src, len(spec.NFRs))
			continue
		}
		n := spec.NFRs[0]
		if n.Key != tt.key || n.Op != tt.op || n.Bound != tt.bound || n.Unit != tt.unit || n.Label != "" {
			t.Errorf("%s: got %+v, want key %s op %s bound %v unit %s", tt.src, n, tt.key, tt.op, tt.bound, tt.unit)
		}
		if n.Line != 1 || n.Col < 2 {
			t.Errorf("%s: position %d:%d", tt.src, n.Line, n.Col)
		}
	}
}

func TestParseNFR_PerLabelAndOrder(t *testing.T) {
	t.Parallel()
	src := `# whole run and per label
labels:
  login: {response_time_p95: 300ms}
  "list products":
    response_time_p99: 1s
    error_rate: "<0.5%"
response_time_p95: "500ms"
throughput: "1000rps"
availability: "99.9%"
error_rate: "<1%"
`
	spec, err := ParseNFR([]byte(src), "nfr.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if spec.Name != "nfr.yaml" {
		t.Errorf("Name = %q", spec.Name)
	}
	type row struct {
		Key, Label, Target, Op string
		Bound                  float64
		Line, Col              int
	}
	var got []row
	for _, n := range spec.NFRs {
		got = append(got, row{n.Key, n.Label, n.Target, n.Op, n.Bound, n.Line, n.Col})
	}
	want := []row{
		{"response_time_p95", "", "500ms", "<=", 500, 7, 20},
		{"throughput", "", "1000rps", ">=", 1000, 8, 13},
		{"availability", "", "99.9%", ">=", 99.9, 9, 15},
		{"error_rate", "", "<1%", "<", 1, 10, 13},
		{"response_time_p95", "login", "300ms", "<=", 300, 3, 30},
		{"response_time_p99", "list products", "1s", "<=", 1000, 5, 24},
		{"error_rate", "list products", "<0.5%", "<", 0.5, 6, 17},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseNFR_Errors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src, want string
	}{
		{"empty", "", "nfr.yaml:1:1: empty NFR file"},
		{"comments only", "# nothing\n", "nfr.yaml:1:1: empty NFR file"},
		{"not a map", "- response_time_p95: 1s\n", "nfr.yaml:1:1: the NFR file: expected a map, found a list"},
		{"unknown key with hint", "throughput: 10rps\nresponse_tme_p95: 500ms\n", "nfr.yaml:2:1: unknown key \"response_tme_p95\"; did you mean `response_time_p95`?"},
		{"unknown key list", "latency: 500ms\n", "nfr.yaml:1:1: unknown key \"latency\" (valid keys: response_time_p50, "},
		{"unknown key in label", "labels:\n  login:\n    thruput: 5rps\n", "nfr.yaml:3:5: unknown key \"thruput\"; did you mean `throughput`?"},
		{"nested labels", "labels:\n  login:\n    labels: {}\n", "nfr.yaml:3:5: labels.login: labels cannot be nested"},
		{"bad duration unit", "response_time_p95: 5 parsecs\n", "nfr.yaml:1:20: response_time_p95: invalid duration \"5 parsecs\": unknown unit \"parsecs\" (units: us, ms, s; a bare number is ms)"},
		{"minutes are not a duration unit", "response_time_max: 1m\n", "nfr.yaml:1:20: response_time_max: invalid duration \"1m\": unknown unit \"m\""},
		{"no number", "response_time_p95: ms\n", "nfr.yaml:1:20: response_time_p95: invalid duration \"ms\": missing number"},
		{"negative", "response_time_p95: -5ms\n", "must not be negative"},
		{"wrong direction", "response_time_p95: \">500ms\"\n", "nfr.yaml:1:20: response_time_p95: this is an upper bound: write \"500ms\" (at most) or \"<500ms\", not \">\""},
		{"lower bound direction", "throughput: \"<100rps\"\n", "nfr.yaml:1:13: throughput: this is a lower bound"},
		{"equality", "error_rate: \"=1%\"\n", "this is an upper bound"},
		{"bad throughput unit", "labels:\n  login:\n    throughput: 5/hour\n", "nfr.yaml:3:17: labels.login.throughput: invalid throughput \"5/hour\": unknown unit \"/hour\""},
		{"percent missing", "error_rate: 1\n", "nfr.yaml:1:13: error_rate: invalid percentage \"1\": missing %"},
		{"percent over 100", "availability: 101%\n", "more than 100%"},
		{"percent bad unit", "availability: 99.9 percent\n", "unknown unit \"percent\""},
		{"null value", "response_time_p95:\n", "nfr.yaml:1:19: response_time_p95: expected a value such as \"500ms\", found nothing"},
		{"list value", "throughput: [1, 2]\n", "nfr.yaml:1:13: throughput: expected a value such as \"1000rps\", found a list"},
		{"duplicate key", "throughput: 1rps\nthroughput: 2rps\n", "nfr.yaml:2:1: the NFR file: key \"throughput\" is given twice"},
		{"duplicate label", "labels:\n  a: {throughput: 1}\n  a: {throughput: 2}\n", "nfr.yaml:3:3: labels: key \"a\" is given twice"},
		{"labels not a map", "labels: [login]\n", "nfr.yaml:1:9: labels: expected a map, found a list"},
		{"label without NFRs", "labels:\n  login:\n", "nfr.yaml:2:9: labels.login: expected a map of NFRs"},
		{"empty label", "labels:\n  \"\": {throughput: 1}\n", "nfr.yaml:2:3: labels: empty label name"},
		{"yaml syntax", "throughput: 1rps\n  bad: [\n", "nfr.yaml:"},
		{"second document", "throughput: 1rps\n---\nerror_rate: 1%\n", "nfr.yaml:3:1: an NFR file is a single YAML document"},
		{"NaN", "response_time_p95: .nan\n", "invalid duration"},
		{"inf", "throughput: .inf\n", "invalid throughput"},
	}
	for _, tt := range tests {
		_, err := ParseNFR([]byte(tt.src), "nfr.yaml")
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %q does not contain %q", tt.name, err, tt.want)
		}
		if !nfrErrRe.MatchString(err.Error()) {
			t.Errorf("%s: error %q is not name:line:col: message", tt.name, err)
		}
	}
}

// nfrErrRe matches a positioned NFR file error.
var nfrErrRe = regexp.MustCompile(`^nfr\.yaml:[1-9][0-9]*:[1-9][0-9]*: \S`)

func TestParseNFR_EmptyLabelsAllowed(t *testing.T) {
	t.Parallel()
	spec, err := ParseNFR([]byte("labels: {}\n"), "nfr.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(spec.NFRs) != 0 {
		t.Errorf("got %d NFRs, want 0", len(spec.NFRs))
	}
}

func TestParseNFRFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "nfr.yaml")
	if err := os.WriteFile(path, []byte("response_time_p95: 500ms\nerror_rate: 2ms\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ParseNFRFile(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+":2:13: error_rate: invalid percentage") {
		t.Errorf("error = %v", err)
	}
	if _, err := ParseNFRFile(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("missing file: no error")
	}
}

// nfrTestAnalysis is a run of 1000 samples (10 failed) over 10 s, with a
// login label (200 samples, 0 failed) and a transaction label.
func nfrTestAnalysis() *Analysis {
	return &Analysis{
		DurationS: 10,
		Total: LabelStats{
			Label: "Total", Samples: 1000, Failures: 10, ErrorPct: 1,
			Mean: 120, Min: 5, Max: 2400, Median: 100, P90: 250, P95: 400, P99: 900,
			CorrectedP95: 450, CorrectedP99: 1100,
			Throughput: 100, Apdex: 0.93, MeanLatency: 80, MeanConnect: 3,
		},
		Labels: []LabelStats{
			{Label: "checkout", Transaction: true, Samples: 100, Mean: 700, Median: 650, P90: 900, P95: 1000, P99: 1400, Throughput: 10},
			{Label: "login", Samples: 200, Mean: 200, Min: 50, Max: 800, Median: 180, P90: 280, P95: 310, P99: 500, Throughput: 20},
			{Label: "quiet", Samples: 0},
		},
	}
}

func TestNFRSpec_Check(t *testing.T) {
	t.Parallel()
	src := `response_time_p50: 100ms
response_time_p90: "<250ms"
response_time_p95: 500ms
response_time_p99: 0.8s
response_time_avg: 150
response_time_max: 2.4s
throughput: 80rps
availability: 99.5%
error_rate: "<1%"
labels:
  login: {response_time_p95: 300ms, error_rate: 0%, throughput: 1200/min}
  checkout: {response_time_p95: 1s}
  ghost: {response_time_p95: 300ms}
  quiet: {response_time_p95: 300ms}
`
	spec, err := ParseNFR([]byte(src), "nfr.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got := spec.Check(nfrTestAnalysis())
	want := []NFRResult{
		{Name: "response_time_p50", Target: "100ms", Measured: 100, Unit: "ms", Pass: true, Margin: 0},
		{Name: "response_time_p90", Target: "<250ms", Measured: 250, Unit: "ms", Pass: false, Margin: 0},
		{Name: "response_time_p95", Target: "500ms", Measured: 400, Unit: "ms", Pass: true, Margin: 0.2},
		{Name: "response_time_p99", Target: "0.8s", Measured: 900, Unit: "ms", Pass: false, Margin: -0.125},
		{Name: "response_time_avg", Target: "150", Measured: 120, Unit: "ms", Pass: true, Margin: 0.2},
		{Name: "response_time_max", Target: "2.4s", Measured: 2400, Unit: "ms", Pass: true, Margin: 0},
		{Name: "throughput", Target: "80rps", Measured: 100, Unit: "rps", Pass: true, Margin: 0.25},
		{Name: "availability", Target: "99.5%", Measured: 99, Unit: "%", Pass: false, Margin: (99 - 99.5) / 99.5},
		{Name: "error_rate", Target: "<1%", Measured: 1, Unit: "%", Pass: false, Margin: 0},
		{Name: "response_time_p95", Label: "login", Target: "300ms", Measured: 310, Unit: "ms", Pass: false, Margin: -10.0 / 300},
		{Name: "error_rate", Label: "login", Target: "0%", Measured: 0, Unit: "%", Pass: true, Margin: 0},
		{Name: "throughput", Label: "login", Target: "1200/min", Measured: 20, Unit: "rps", Pass: true, Margin: 0},
		{Name: "response_time_p95", Label: "checkout", Target: "1s", Measured: 1000, Unit: "ms", Pass: true, Margin: 0},
		{Name: "response_time_p95", Label: "ghost", Target: `300ms (label "ghost" not in the results)`, Unit: "ms", Pass: false},
		{Name: "response_time_p95", Label: "quiet", Target: `300ms (no samples for label "quiet")`, Unit: "ms", Pass: true, NoData: true},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d results, want %d:\n%+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if d := g.Margin - w.Margin; d > 1e-12 || d < -1e-12 {
			t.Errorf("%d %s[%s]: margin %v, want %v", i, w.Name, w.Label, g.Margin, w.Margin)
		}
		g.Margin, w.Margin = 0, 0
		if g != w {
			t.Errorf("%d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

func TestNFRSpec_CheckNoSamples(t *testing.T) {
	t.Parallel()
	spec, err := ParseNFR([]byte("error_rate: 1%\nlabels: {login: {throughput: 5}}\n"), "nfr.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []*Analysis{nil, {}} {
		got := spec.Check(a)
		if len(got) != 2 {
			t.Fatalf("got %d results", len(got))
		}
		for _, r := range got {
			if !r.NoData || !r.Pass || !strings.HasSuffix(r.Target, "(no samples in the run)") {
				t.Errorf("%+v: want a passing NoData result", r)
			}
		}
	}
	var nilSpec *NFRSpec
	if got := nilSpec.Check(nfrTestAnalysis()); got != nil {
		t.Errorf("nil spec: %v", got)
	}
}

func TestNFRMargin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		measured float64
		op       string
		bound    float64
		want     float64
	}{
		{400, "<", 500, 0.2},
		{600, "<=", 500, -0.2},
		{120, ">=", 100, 0.2},
		{80, ">", 100, -0.2},
		{5, "==", 5, 0},
		{4, "==", 5, -0.2},
		{6, "!=", 5, 0.2},
		{0, "<=", 0, 0},
		{1, "<=", 0, -1},
		{1, ">=", 0, 1},
		{0, "==", 0, 0},
		{3, "==", 0, -1},
		{-1, "<", -2, -0.5},
	}
	for _, tt := range tests {
		if got := nfrMargin(tt.measured, tt.op, tt.bound); got < tt.want-1e-12 || got > tt.want+1e-12 {
			t.Errorf("nfrMargin(%v, %q, %v) = %v, want %v", tt.measured, tt.op, tt.bound, got, tt.want)
		}
	}
}

func TestCheckThresholds(t *testing.T) {
	t.Parallel()
	th := map[string][]string{
		"http_req_duration":                       {"p(95) < 500", "p(99) < 0.8s", "avg < 150", "min > 1", "max <= 2400", "med == 100", "p(50) < 200", "p(90) < 300", "p(75) < 200", "count >= 1000", "rate < 1"},
		"http_req_duration{step:login}":           {"p(95) < 300"},
		"http_req_duration{step:checkout}":        {"p(99) < 1500"},
		"http_req_duration{step:ghost}":           {"p(95) < 300"},
		"http_req_duration_corrected":             {"p(99) < 1000", "p(95) < 500", "avg < 100"},
		"http_req_duration_corrected{step:login}": {"p(99) < 1000"},
		"http_req_failed":                         {"rate < 0.01", "count <= 10"},
		"http_req_failed{step:login}":             {"rate == 0"},
		"http_reqs":                               {"rate >= 150", "count > 500"},
		"http_reqs{step:login}":                   {"rate >= 20"},
		"http_req_waiting":                        {"avg < 100", "p(95) < 100"},
		"http_req_connecting":                     {"avg < 5"},
		"checks":                                  {"rate > 0.99"},
		"dropped_iterations":                      {"count == 0"},
		"iterations":                              {"count > 0"},
		"vus":                                     {"value > 0"},
		"http_req_duration{scenario:browse}":      {"p(95) < 500"},
		"http_req_duration{status:500}":           {"max < 10"},
		"http_req_duration{step:login,group:g}":   {"p(95) < 500"},
		"http_req_duration{color:red}":            {"p(95) < 500"},
		"nonsense_metric":                         {"count > 0"},
		"bad key{":                                {"p(95) < 1"},
		"http_req_duration{step:quiet}":           {"p(95) < 1"},
		"http_req_duration{step:\"login\"}":       {"bogus"},
	}
	got := CheckThresholds(th, nfrTestAnalysis())
	type row struct {
		Name, Label, Target string
		Measured            float64
		Unit                string
		Pass, NoData        bool
	}
	want := []row{
		{"bad key{", "", "p(95) < 1 (not evaluated: invalid metric name \"bad key\" in threshold key \"bad key{\")", 0, "", true, true},
		{"checks", "", "rate > 0.99 (checks is not recorded in the JTL)", 0, "", true, true},
		{"dropped_iterations", "", "count == 0 (dropped_iterations is not recorded in the JTL)", 0, "", true, true},
		{"http_req_connecting", "", "avg < 5", 3, "ms", true, false},
		{"http_req_duration", "", "p(95) < 500", 400, "ms", true, false},
		{"http_req_duration", "", "p(99) < 0.8s", 900, "ms", false, false},
		{"http_req_duration", "", "avg < 150", 120, "ms", true, false},
		{"http_req_duration", "", "min > 1", 5, "ms", true, false},
		{"http_req_duration", "", "max <= 2400", 2400, "ms", true, false},
		{"http_req_duration", "", "med == 100", 100, "ms", true, false},
		{"http_req_duration", "", "p(50) < 200", 100, "ms", true, false},
		{"http_req_duration", "", "p(90) < 300", 250, "ms", true, false},
		{"http_req_duration", "", "p(75) < 200 (p(75) is not in the analysis, which has p(50), p(90), p(95) and p(99))", 0, "", true, true},
		{"http_req_duration", "", "count >= 1000", 1000, "count", true, false},
		{"http_req_duration", "", "rate < 1 (rate of http_req_duration is not in the JTL analysis)", 0, "", true, true},
		{"http_req_duration_corrected", "", "p(99) < 1000", 1100, "ms", false, false},
		{"http_req_duration_corrected", "", "p(95) < 500", 450, "ms", true, false},
		{"http_req_duration_corrected", "", "avg < 100 (avg of http_req_duration_corrected is not in the analysis, which has p(95) and p(99))", 0, "", true, true},
		{"http_req_duration_corrected{step:login}", "login", "p(99) < 1000 (no corrected latencies: analyse with the HDR log of the run)", 0, "", true, true},
		{"http_req_duration{color:red}", "", "p(95) < 500 (unknown tag filter \"color\")", 0, "", true, true},
		{"http_req_duration{scenario:browse}", "", "p(95) < 500 ({scenario:browse} filters are not in the JTL analysis)", 0, "", true, true},
		{"http_req_duration{status:500}", "", "max < 10 ({status:500} filters are not in the JTL analysis)", 0, "", true, true},
		{"http_req_duration{step:\"login\"}", "login", "bogus (not evaluated: invalid threshold \"bogus\": unknown aggregation \"bogus\" (use: avg, min, max, med, p, rate, count, value) (write e.g. \"p(95) < 500\" or \"rate < 0.01\"))", 0, "", true, true},
		{"http_req_duration{step:checkout}", "checkout", "p(99) < 1500", 1400, "ms", true, false},
		{"http_req_duration{step:ghost}", "ghost", "p(95) < 300 (no samples for step \"ghost\" in the results)", 0, "", true, true},
		{"http_req_duration{step:login,group:g}", "login", "p(95) < 500 ({group:g} filters are not in the JTL analysis)", 0, "", true, true},
		{"http_req_duration{step:login}", "login", "p(95) < 300", 310, "ms", false, false},
		{"http_req_duration{step:quiet}", "quiet", "p(95) < 1 (no samples for step \"quiet\" in the results)", 0, "", true, true},
		{"http_req_failed", "", "rate < 0.01", 0.01, "ratio", false, false},
		{"http_req_failed", "", "count <= 10", 10, "count", true, false},
		{"http_req_failed{step:login}", "login", "rate == 0", 0, "ratio", true, false},
		{"http_req_waiting", "", "avg < 100", 80, "ms", true, false},
		{"http_req_waiting", "", "p(95) < 100 (only avg of http_req_waiting is in the JTL analysis)", 0, "", true, true},
		{"http_reqs", "", "rate >= 150", 100, "rps", false, false},
		{"http_reqs", "", "count > 500", 1000, "count", true, false},
		{"http_reqs{step:login}", "login", "rate >= 20", 20, "rps", true, false},
		{"iterations", "", "count > 0 (iterations is not recorded in the JTL)", 0, "", true, true},
		{"nonsense_metric", "", "count > 0 (unknown metric \"nonsense_metric\")", 0, "", true, true},
		{"vus", "", "value > 0 (vus is not recorded in the JTL)", 0, "", true, true},
	}
	var rows []row
	for _, r := range got {
		rows = append(rows, row{r.Name, r.Label, r.Target, r.Measured, r.Unit, r.Pass, r.NoData})
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d results, want %d", len(rows), len(want))
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("%d:\n got %+v\nwant %+v", i, rows[i], want[i])
		}
	}
	// Margins of a few evaluated thresholds.
	for _, c := range []struct {
		i    int
		want float64
	}{{4, 0.2}, {5, -0.125}, {15, -0.1}, {33, -1.0 / 3}, {30, 0}} {
		if m := got[c.i].Margin; m < c.want-1e-12 || m > c.want+1e-12 {
			t.Errorf("%s %s: margin %v, want %v", got[c.i].Name, got[c.i].Target, m, c.want)
		}
	}
}

func TestCheckThresholds_NoSamples(t *testing.T) {
	t.Parallel()
	got := CheckThresholds(map[string][]string{"http_req_duration": {"p(95) < 500"}}, &Analysis{})
	if len(got) != 1 || !got[0].NoData || !got[0].Pass || got[0].Target != "p(95) < 500 (no samples in the run)" {
		t.Errorf("got %+v", got)
	}
	if got := CheckThresholds(nil, nfrTestAnalysis()); len(got) != 0 {
		t.Errorf("nil thresholds: %+v", got)
	}
	// http_reqs rate falls back to the label's throughput without a duration.
	a := nfrTestAnalysis()
	a.DurationS = 0
	got = CheckThresholds(map[string][]string{"http_reqs": {"rate > 50"}}, a)
	if len(got) != 1 || got[0].Measured != 100 || !got[0].Pass {
		t.Errorf("got %+v", got)
	}
}

func FuzzParseNFR(f *testing.F) {
	for _, s := range []string{
		"response_time_p95: 500ms\nthroughput: 1000rps\navailability: 99.9%\nerror_rate: \"<1%\"\n",
		"labels:\n  login: {response_time_p95: 300ms}\n",
		"response_time_p99: \"<= 2 s\"\nthroughput: 60000/min\n",
		"error_rate: 1\n",
		"a: &x {b: *x}\n",
		"labels: {a: &y {throughput: 1}, b: *y}\n",
		"- 1\n",
		"throughput: 1rps\n---\nx: 1\n",
		"response_time_p95: [\n",
		"\t",
		"<<: {throughput: 1}\n",
		"? [a]\n: 1\n",
	} {
		f.Add([]byte(s))
	}
	errRe := regexp.MustCompile(`^f\.yaml:[1-9][0-9]*:[1-9][0-9]*: \S`)
	f.Fuzz(func(t *testing.T, src []byte) {
		spec, err := ParseNFR(src, "f.yaml")
		if err != nil {
			if !errRe.MatchString(err.Error()) {
				t.Fatalf("error without position: %q", err)
			}
			return
		}
		for _, n := range spec.NFRs {
			if n.Line < 1 || n.Col < 1 || n.Op == "" || n.Unit == "" || n.Bound < 0 {
				t.Fatalf("bad NFR %+v", n)
			}
		}
		_ = spec.Check(nfrTestAnalysis())
	})
}
