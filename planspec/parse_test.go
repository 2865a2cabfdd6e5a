package planspec

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func parseExample(t *testing.T) *Plan {
	t.Helper()
	p, err := ParseFile(filepath.Join("testdata", "plan_format_example.yaml"), Options{LookupEnv: env})
	if err != nil {
		t.Fatalf("ParseFile: %v", err)
	}
	return p
}

func TestParsePlanFormatExample(t *testing.T) {
	p := parseExample(t)

	if p.File != filepath.Join("testdata", "plan_format_example.yaml") || p.Dir != "testdata" {
		t.Errorf("File, Dir = %q, %q", p.File, p.Dir)
	}
	if len(p.SHA256) != 64 || len(p.Source) == 0 {
		t.Errorf("SHA256 = %q, len(Source) = %d", p.SHA256, len(p.Source))
	}
	if got, want := p.Vars, map[string]string{"tenant": "acme", "api_key": "k-123", "region": "eu-west-1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Vars = %v; want %v", got, want)
	}
	if *p.HTTP.Timeout != Duration(10*time.Second) || !*p.HTTP.Keepalive || p.HTTP.Headers["User-Agent"] != "loadgen/1" {
		t.Errorf("HTTP = %+v", p.HTTP)
	}
	if f := p.Data["users"]; f != (Feeder{File: "users.csv", Order: "sequential", Share: "all"}) {
		t.Errorf("Data[users] = %+v", f)
	}

	s := p.Scenarios[0]
	if s.Executor != ConstantArrivalRate || *s.Rate != 200 || *s.TimeUnit != Duration(time.Second) ||
		*s.Duration != Duration(time.Minute) || *s.PreAllocatedVUs != 50 || *s.MaxVUs != 500 ||
		s.Arrivals != "even" || *s.GracefulStop != Duration(30*time.Second) || s.StartTime != 0 {
		t.Errorf("scenario = %+v", s)
	}
	if *s.ThinkTime != (ThinkTime{Min: Duration(500 * time.Millisecond), Max: Duration(1500 * time.Millisecond)}) {
		t.Errorf("ThinkTime = %+v", *s.ThinkTime)
	}

	list, login, cart := &s.Steps[0], &s.Steps[1], &s.Steps[2].Steps[0]
	if list.Request.URL != "/api/products?page=${page}" || list.Request.Method != "GET" || *list.Request.Timeout != Duration(5*time.Second) {
		t.Errorf("list products request = %+v", *list.Request)
	}
	if list.OnFailure != "continue" || len(list.Check) != 2 {
		t.Errorf("list products = %+v", *list)
	}
	body, err := json.Marshal(login.Request.JSON)
	if err != nil || string(body) != `{"password":"${users.password}","user":"${users.name}"}` {
		t.Errorf("login json = %s, %v", body, err)
	}
	wantExtract := map[string]Extractor{
		"token": {JSON: "$.token"},
		"sid":   {Regex: `sid=(\w+)`, Group: 1},
		"loc":   {Header: "Location"},
	}
	if !reflect.DeepEqual(login.Extract, wantExtract) {
		t.Errorf("login extract = %+v", login.Extract)
	}
	if !s.Steps[2].IsGroup() || s.Steps[2].Label() != "checkout" || cart.Label() != "add to cart" {
		t.Errorf("group = %+v", s.Steps[2])
	}
	// `check: [status in [200, 201]]` is not valid YAML as written; Parse quotes it.
	if got := cart.Check; len(got) != 1 || got[0] != "status in [200, 201]" {
		t.Errorf("add to cart check = %q", got)
	}

	for ptr, want := range map[string]Pos{
		"":                                       {1, 1},
		"/version":                               {1, 1},
		"/vars/api_key":                          {6, 3},
		"/scenarios/0":                           {19, 5},
		"/scenarios/0/rate":                      {21, 5},
		"/scenarios/0/think_time/max":            {29, 30},
		"/scenarios/0/steps/1/extract/sid/group": {47, 37},
		"/scenarios/0/steps/2/steps/0/request/url":  {53, 37},
		"/scenarios/0/steps/2/steps/0/check/0":      {54, 21},
		"/thresholds/http_req_duration{step:login}": {57, 3},
		"/thresholds/http_req_duration/1":           {56, 38},
	} {
		if got := p.Pos[ptr]; got != want {
			t.Errorf("Pos[%q] = %v; want %v", ptr, got, want)
		}
	}

	type th struct {
		agg   string
		op    string
		value float64
	}
	got := map[string][]th{}
	for k, list := range p.Thresholds {
		for _, t := range list {
			got[k] = append(got[k], th{t.Agg.String(), t.Op, t.Value})
		}
	}
	want := map[string][]th{
		"http_req_duration":             {{"p(95)", "<", 500}, {"p(99)", "<", 1500}},
		"http_req_duration{step:login}": {{"p(95)", "<", 300}},
		"http_req_failed":               {{"rate", "<", 0.01}},
		"http_reqs":                     {{"rate", ">=", 150}},
		"checks":                        {{"rate", ">", 0.99}},
		"dropped_iterations":            {{"count", "==", 0}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("thresholds = %v\nwant %v", got, want)
	}
}

func TestDefaults(t *testing.T) {
	p, err := ParseFile(filepath.Join("testdata", "all_executors.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := func(s string) Duration { v, _ := ParseDuration(s); return v }
	type want struct {
		vus, startVUs, iterations, preAlloc, maxVUs *int
		duration, rampDown, maxDuration, timeUnit   *Duration
		startRate                                   *float64
		arrivals                                    string
	}
	i := func(n int) *int { return &n }
	du := func(s string) *Duration { v := d(s); return &v }
	f := func(x float64) *float64 { return &x }
	wants := map[string]want{
		"cvus":   {vus: i(1), duration: du("30s")},
		"rvus":   {startVUs: i(1), rampDown: du("30s")},
		"pvu":    {vus: i(1), iterations: i(1), maxDuration: du("10m")},
		"shared": {vus: i(2), iterations: i(10), maxDuration: du("10m")},
		"car":    {duration: du("1m"), timeUnit: du("1s"), preAlloc: i(5), maxVUs: i(5), arrivals: "even"},
		"rar":    {startRate: f(0), timeUnit: du("1s"), preAlloc: i(2), maxVUs: i(20), arrivals: "poisson"},
	}
	for _, s := range p.Scenarios {
		w := wants[s.Name]
		got := want{s.VUs, s.StartVUs, s.Iterations, s.PreAllocatedVUs, s.MaxVUs, s.Duration, s.GracefulRampDown, s.MaxDuration, s.TimeUnit, s.StartRate, s.Arrivals}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("scenario %s:\n got %s\nwant %s", s.Name, show(got), show(w))
		}
		if *s.GracefulStop != d("30s") {
			t.Errorf("scenario %s: graceful_stop = %s", s.Name, s.GracefulStop)
		}
	}
	if p.Scenarios[5].StartTime != d("1m") {
		t.Errorf("start_time = %s", p.Scenarios[5].StartTime)
	}
	if f := p.Data["people"]; f.Order != "random" || f.Share != "vu" {
		t.Errorf("feeder = %+v", f)
	}
	steps := p.AllSteps()
	if steps[0].OnFailure != "stop_iteration" || steps[2].Request.Method != "GET" || steps[1].OnFailure != "" {
		t.Errorf("steps: %+v / %+v / %+v", *steps[0], *steps[1], *steps[2])
	}
	th := p.Thresholds["http_req_duration{scenario:car}"][0]
	if th.Agg != (Aggregation{Method: "p", Percentile: 99.9}) || th.Value != 1500 || !th.AbortOnFail || th.DelayAbortEval != d("10s") {
		t.Errorf("threshold = %+v", *th)
	}
	if got := p.Thresholds["http_req_connecting"][0].Value; got != 0.5 {
		t.Errorf("500us = %v ms; want 0.5", got)
	}
	if got := p.Thresholds["http_req_failed{status:500}"][0].Op; got != "==" {
		t.Errorf("=== parsed as %q; want ==", got)
	}
}

// show dereferences pointers for failure messages.
func show(v any) string {
	rv := reflect.ValueOf(v)
	var parts []string
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Field(i)
		s := "-"
		if f.Kind() == reflect.Pointer && !f.IsNil() {
			s = fmt.Sprint(f.Elem().Interface())
		} else if f.Kind() != reflect.Pointer {
			s = fmt.Sprint(f.Interface())
		}
		parts = append(parts, rv.Type().Field(i).Name+"="+s)
	}
	return strings.Join(parts, " ")
}

func TestAllSteps(t *testing.T) {
	p, err := ParseFile(filepath.Join("testdata", "all_executors.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, s := range p.AllSteps() {
		labels = append(labels, s.Label())
	}
	want := "home browse list nested item form raw ping pong"
	if got := strings.Join(labels, " "); got != want {
		t.Errorf("AllSteps labels = %q; want %q", got, want)
	}
	p.AllSteps()[4].Name = "changed"
	if p.Scenarios[1].Steps[0].Steps[1].Steps[0].Name != "changed" {
		t.Error("AllSteps does not return pointers into the plan")
	}
}

const minimal = "version: 1\nname: t\nscenarios:\n  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n      - name: a\n        request: {url: /a}\n"

func TestTargetOverride(t *testing.T) {
	p, err := Parse([]byte(minimal), "p.yaml", Options{Target: "https://example.test:8443/base"})
	if err != nil {
		t.Fatalf("a relative URL with a target override: %v", err)
	}
	if p.Target != "https://example.test:8443/base" {
		t.Errorf("Target = %q", p.Target)
	}
	_, err = Parse([]byte(head+"  - name: s\n    executor: constant-vus\n    duration: 1s\n"+steps), "p.yaml", Options{Target: "example.test"})
	if err == nil || !strings.HasPrefix(err.Error(), `p.yaml:3:1: target "example.test" (given as an override): must be an absolute`) {
		t.Errorf("bad override: %v", err)
	}
	_, err = Parse([]byte(minimal), "p.yaml", Options{Target: "ftp://example.test"})
	if err == nil || !strings.HasPrefix(err.Error(), `p.yaml:1:1: target "ftp://example.test" (given as an override)`) {
		t.Errorf("bad override without a plan target: %v", err)
	}
}

func TestEnvExpansion(t *testing.T) {
	environ := map[string]string{"A": "alpha", "EMPTY": "", "B": "beta"}
	lookup := func(k string) (string, bool) { v, ok := environ[k]; return v, ok }
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"${env.A}", "alpha"},
		{"x-${env.A}-${env.B}-y", "x-alpha-beta-y"},
		{"${env.MISSING:-fallback}", "fallback"},
		{"${env.EMPTY:-fallback}", "fallback"},
		{"${env.EMPTY}", ""},
		{"${env.A:-fallback}", "alpha"},
		{"${env.MISSING:-}", ""},
		{"${other} ${env.A}", "${other} alpha"},
		{"${users.name}", "${users.name}"},
	} {
		src := strings.Replace(minimal, "name: t\n", "name: t\ntarget: http://h\nvars: {v: "+yamlQuote(tc.in)+"}\n", 1)
		p, err := Parse([]byte(src), "p.yaml", Options{LookupEnv: lookup})
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if got := p.Vars["v"]; got != tc.want {
			t.Errorf("%q expands to %q; want %q", tc.in, got, tc.want)
		}
	}
	// The default lookup is the process environment.
	t.Setenv("PLANSPEC_TEST_VAR", "from-os")
	src := strings.Replace(minimal, "name: t\n", "name: t\ntarget: http://h\nvars: {v: '${env.PLANSPEC_TEST_VAR}'}\n", 1)
	p, err := Parse([]byte(src), "p.yaml", Options{})
	if err != nil || p.Vars["v"] != "from-os" {
		t.Errorf("os environment: %v, %v", p, err)
	}
}

func yamlQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestRequestJSON(t *testing.T) {
	src := strings.Replace(minimal, "request: {url: /a}", `request:
          url: /a
          json:
            when: 2024-01-01
            1: one
            true: yes
            list: [1, 2.5, null, {nested: [x]}]
            big: 123456789012
            anchor: &a {k: v}
            merged: {<<: *a, own: 1}`, 1)
	p, err := Parse([]byte(src), "p.yaml", Options{Target: "http://h"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(p.Scenarios[0].Steps[0].Request.JSON)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"1":"one","anchor":{"k":"v"},"big":123456789012,"list":[1,2.5,null,{"nested":["x"]}],"merged":{"k":"v","own":1},"true":"yes","when":"2024-01-01"}`
	if string(got) != want {
		t.Errorf("json body = %s\nwant %s", got, want)
	}
}

func TestAliasesAndMergeKeys(t *testing.T) {
	src := `version: 1
name: anchors
target: http://127.0.0.1:8080
scenarios:
  - &base
    name: one
    executor: constant-vus
    duration: 10s
    steps:
      - name: a
        request: {url: /a}
  - <<: *base
    name: two
    vus: 3
    steps:
      - name: b
        request: {url: /b}
`
	p, err := Parse([]byte(src), "p.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	two := p.Scenarios[1]
	if two.Name != "two" || two.Executor != ConstantVUs || *two.Duration != Duration(10*time.Second) || *two.VUs != 3 || two.Steps[0].Name != "b" {
		t.Errorf("merged scenario = %+v", two)
	}
	// Keys taken from the anchor are recorded where the anchor wrote them.
	if got := p.Pos["/scenarios/1/executor"]; got != (Pos{7, 5}) {
		t.Errorf("merged key position = %v", got)
	}

	// An unknown key inside a merged mapping is still reported.
	bad := strings.Replace(src, "duration: 10s", "duration: 10s\n    durations: 1s", 1)
	_, err = Parse([]byte(bad), "p.yaml", Options{})
	if err == nil || !strings.Contains(err.Error(), "p.yaml:9:5: unknown key `durations` in scenarios[0]; did you mean `duration`?") {
		t.Errorf("unknown key in anchor: %v", err)
	}
}

func TestAliasBombsAndCycles(t *testing.T) {
	for name, src := range map[string]string{
		"cycle": "version: 1\nname: &n [*n]\n",
		"bomb": `version: 1
a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
name: [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]
`,
	} {
		start := time.Now()
		_, err := Parse([]byte(src), "p.yaml", Options{})
		if err == nil {
			t.Errorf("%s: no error", name)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: took %s", name, d)
		}
	}
}

func TestParseFileMissing(t *testing.T) {
	_, err := ParseFile(filepath.Join(t.TempDir(), "nope.yaml"), Options{})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ParseFile(missing) = %v; want fs.ErrNotExist", err)
	}
	var list ErrorList
	if errors.As(err, &list) {
		t.Errorf("a read error is not a plan error: %v", err)
	}
}

func TestFeederPathRelativeToPlan(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "u.csv"), []byte("a\n1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(minimal, "name: t\n", "name: t\ntarget: http://h\ndata: {u: {file: data/u.csv}}\n", 1)
	path := filepath.Join(dir, "plan.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := ParseFile(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.ResolvePath(p.Data["u"].File), filepath.Join(dir, "data", "u.csv"); got != want {
		t.Errorf("ResolvePath = %q; want %q", got, want)
	}
	// The same plan read from elsewhere cannot find its data ...
	if _, err := Parse([]byte(src), "plan.yaml", Options{Dir: t.TempDir()}); err == nil {
		t.Error("missing feeder file not reported")
	}
	// ... unless file checks are off.
	if _, err := Parse([]byte(src), "plan.yaml", Options{Dir: t.TempDir(), SkipFileChecks: true}); err != nil {
		t.Errorf("SkipFileChecks: %v", err)
	}
}

func TestQuoteFlowChecks(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"[status in [200, 201]]", `["status in [200, 201]"]`},
		{"[a, b(1, 2)] # note [x]", `["a", "b(1, 2)"] # note [x]`},
		{`['x', body contains "y"]`, `['x', 'body contains "y"']`},
		{"[ a ,b ]", `[ "a" ,"b" ]`},
	} {
		got, _, ok := quoteFlowItems(tc.in)
		if !ok || got != tc.want {
			t.Errorf("quoteFlowItems(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
	for _, in := range []string{"[a", "[a] trailing", `[a 'b' "c"]`} {
		if got, _, ok := quoteFlowItems(in); ok {
			t.Errorf("quoteFlowItems(%q) = %q; want failure", in, got)
		}
	}

	// Positions of rewritten items point into the original source.
	src := strings.Replace(minimal, "request: {url: /a}", "request: {url: /a}\n        check: [status in [200, 201], size > 0, \"duration < 9\", bad ==]", 1)
	_, err := Parse([]byte(src), "p.yaml", Options{Target: "http://h"})
	if err == nil || !strings.HasPrefix(err.Error(), `p.yaml:10:65: step "a": check "bad ==": unexpected token EOF`) {
		t.Errorf("error = %v", err)
	}
	// Valid YAML is never rewritten.
	src = strings.Replace(minimal, "request: {url: /a}", "request: {url: /a}\n        check: [status == 200]", 1)
	if _, _, ok := quoteFlowChecks([]byte(src)); !ok {
		t.Error("quoteFlowChecks found nothing to quote") // it would, but parseYAML only asks on failure
	}
	p, err := Parse([]byte(src), "p.yaml", Options{Target: "http://h"})
	if err != nil || p.Pos["/scenarios/0/steps/0/check/0"] != (Pos{10, 17}) {
		t.Errorf("valid flow check: %v, %v", err, p)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	for _, file := range []string{"plan_format_example.yaml", "all_executors.yaml"} {
		p1, err := ParseFile(filepath.Join("testdata", file), Options{LookupEnv: env})
		if err != nil {
			t.Fatal(err)
		}
		out, err := yaml.Marshal(p1)
		if err != nil {
			t.Fatalf("%s: Marshal: %v", file, err)
		}
		p2, err := Parse(out, "out.yaml", Options{Dir: "testdata"})
		if err != nil {
			t.Fatalf("%s: re-parsing the marshaled plan: %v\n%s", file, err, out)
		}
		for _, p := range []*Plan{p1, p2} {
			// Warnings carry positions, which differ between the sources.
			p.File, p.Dir, p.Source, p.SHA256, p.Pos, p.Warnings = "", "", nil, "", nil, nil
		}
		if !reflect.DeepEqual(p1, p2) {
			a, _ := json.MarshalIndent(p1, "", " ")
			b, _ := json.MarshalIndent(p2, "", " ")
			t.Errorf("%s: plan changed in a YAML round trip:\n%s\n---\n%s", file, a, b)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	src, err := os.ReadFile(filepath.Join("testdata", "plan_format_example.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{Dir: "testdata", LookupEnv: env}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(src, "plan.yaml", opts); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleParse() {
	src := []byte(`version: 1
name: smoke
target: http://127.0.0.1:8080
scenarios:
  - name: ping
    executor: constant-arrival-rate
    rate: 50
    duration: 30s
    pre_allocated_vus: 10
    steps:
      - name: health
        request: {url: /healthz}
        check: [status == 200]
thresholds:
  http_req_duration: ["p(99) < 250"]
`)
	p, err := Parse(src, "smoke.yaml", Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	s := p.Scenarios[0]
	fmt.Println(s.Executor, *s.Rate, "per", *s.TimeUnit, "max_vus", *s.MaxVUs, s.Arrivals)
	fmt.Println(s.Steps[0].Request.Method, s.Steps[0].Request.URL, "at", p.Pos["/scenarios/0/steps/0/request/url"])
	th := p.Thresholds["http_req_duration"][0]
	fmt.Println(th.Agg, th.Op, th.Value)

	_, err = Parse([]byte("version: 1\nname: smoke\nscenarios:\n  - name: ping\n    executor: constant-vus\n    duraton: 30s\n"), "smoke.yaml", Options{})
	fmt.Println(err)
	// Output:
	// constant-arrival-rate 50 per 1s max_vus 10 even
	// GET /healthz at 12:19
	// p(99) < 250
	// smoke.yaml:4:5: scenario "ping": `duration` is required for constant-vus
	// smoke.yaml:4:5: scenario "ping" has no steps
	// smoke.yaml:6:5: unknown key `duraton` in scenarios[0]; did you mean `duration`?
}
