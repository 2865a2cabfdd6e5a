package scenario

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/agents/arch"
	"github.com/loadgen/loadgen/agents/internal/agenttest"
	"github.com/loadgen/loadgen/agents/llm"
	"github.com/loadgen/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/planspec"
)

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func TestGenerate_OfflineGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"demo.scenarios.json", Options{}},
		{"demo-short.scenarios.json", Options{Short: DefaultShort}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := agenttest.DemoModel()
			set, err := Generate(context.Background(), m, nil, nil, nil, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if set.Source != llm.SourceOffline || set.Provider != "" {
				t.Errorf("source %q provider %q, want offline", set.Source, set.Provider)
			}
			if err := Validate(set, m); err != nil {
				t.Fatal(err)
			}
			agenttest.Golden(t, tc.name, marshal(t, set))
			again, _ := Generate(context.Background(), m, nil, nil, nil, tc.opts)
			if !bytes.Equal(marshal(t, set), marshal(t, again)) {
				t.Error("two runs differ: the offline design is not deterministic")
			}
		})
	}
}

// shapeTotals returns a shape's length and its peak and start rates in
// requests per second.
func shapeTotals(t *testing.T, s Scenario) (time.Duration, float64, float64) {
	t.Helper()
	unit, _ := planspec.ParseDuration(or(s.Shape.TimeUnit, "1s"))
	per := float64(len(s.Steps)) / unit.D().Seconds()
	if s.Shape.Executor == planspec.ConstantArrivalRate {
		d, _ := planspec.ParseDuration(s.Shape.Duration)
		return d.D(), s.Shape.Rate * per, s.Shape.Rate * per
	}
	var total time.Duration
	peak := s.Shape.StartRate
	for _, st := range s.Shape.Stages {
		d, err := planspec.ParseDuration(st.Duration)
		if err != nil {
			t.Fatal(err)
		}
		total += d.D()
		peak = math.Max(peak, st.Target)
	}
	return total, peak * per, s.Shape.StartRate * per
}

func TestGenerate_Shapes(t *testing.T) {
	m := agenttest.DemoModel() // throughput 50 rps, 3 steps
	want := map[string]struct {
		executor    string
		total       time.Duration
		peak, start float64 // × throughput
		abort       bool
		throughput  bool
	}{
		TypeLoad:        {planspec.RampingArrivalRate, 6 * time.Minute, 1, 0, false, true},
		TypeStress:      {planspec.RampingArrivalRate, 9 * time.Minute, 2, 0, false, false},
		TypeSpike:       {planspec.RampingArrivalRate, 3*time.Minute + 10*time.Second, 1, 0, false, false},
		TypeEndurance:   {planspec.ConstantArrivalRate, 30 * time.Minute, 0.7, 0.7, false, true},
		TypeScalability: {planspec.RampingArrivalRate, 10 * time.Minute, 3, 0.1, true, false},
	}
	set, err := Generate(context.Background(), m, nil, nil, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	short, err := Generate(context.Background(), m, nil, nil, nil, Options{Short: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range set.Scenarios {
		w := want[s.Type]
		total, peak, start := shapeTotals(t, s)
		if s.Shape.Executor != w.executor || total != w.total {
			t.Errorf("%s: %s for %s, want %s for %s", s.Type, s.Shape.Executor, total, w.executor, w.total)
		}
		if math.Abs(peak-w.peak*50) > 0.01 || math.Abs(start-w.start*50) > 0.01 {
			t.Errorf("%s: peak %.3f start %.3f rps, want %.3f and %.3f", s.Type, peak, start, w.peak*50, w.start*50)
		}
		if s.Shape.PreAllocatedVUs < 1 || s.Shape.MaxVUs < 2*s.Shape.PreAllocatedVUs {
			t.Errorf("%s: VUs %d/%d", s.Type, s.Shape.PreAllocatedVUs, s.Shape.MaxVUs)
		}
		hasAbort := slices.ContainsFunc(s.Thresholds, func(t Threshold) bool { return t.AbortOnFail })
		hasRate := slices.ContainsFunc(s.Thresholds, func(t Threshold) bool { return t.Metric == planspec.MetricReqs })
		if hasAbort != w.abort || hasRate != w.throughput {
			t.Errorf("%s: abort_on_fail %v, http_reqs %v", s.Type, hasAbort, hasRate)
		}
		st, speak, _ := shapeTotals(t, short.Scenarios[i])
		if st < 4*time.Second || st > 6*time.Second || math.Abs(speak-peak) > 0.01 {
			t.Errorf("%s short: %s at %.3f rps, want about 5s at the same peak", s.Type, st, speak)
		}
		if s.Type == TypeSpike {
			// baseline 20 %, ×5 jump
			if b := s.Shape.Stages[1].Target; math.Abs(s.Shape.Stages[3].Target/b-5) > 0.01 {
				t.Errorf("spike: baseline %v peak %v, want ×5", b, s.Shape.Stages[3].Target)
			}
		}
	}
	if got := short.Inputs.Short; got != "5s" {
		t.Errorf("inputs.short %q", got)
	}
}

func TestGenerate_DurationScale(t *testing.T) {
	set, err := Generate(context.Background(), agenttest.DemoModel(), nil, nil, []string{"load"}, Options{DurationScale: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	total, _, _ := shapeTotals(t, set.Scenarios[0])
	if total != 36*time.Second {
		t.Errorf("load scaled by 0.1 lasts %s, want 36s", total)
	}
	if tt := set.Scenarios[0].ThinkTime; tt.Min != "100ms" || tt.Max != "300ms" {
		t.Errorf("think time %+v, want 100ms..300ms", tt)
	}
}

func TestGenerate_Steps(t *testing.T) {
	set, err := Generate(context.Background(), agenttest.DemoModel(), nil, nil, []string{"load"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if set.Inputs.Workflow != `model workflow "checkout"` {
		t.Errorf("workflow from %q, want the critical one", set.Inputs.Workflow)
	}
	steps := set.Scenarios[0].Steps
	if len(steps) != 3 {
		t.Fatalf("%d steps", len(steps))
	}
	login, browse, cart := steps[0], steps[1], steps[2]
	if login.Auth != AuthLogin || login.Extract["token"].JSON != "$.token" || !login.StopOnFailure {
		t.Errorf("login: %+v", login)
	}
	if body := login.Body.(map[string]any); body["user"] != "${users.user}" || body["password"] != "${users.password}" {
		t.Errorf("login body %v", body)
	}
	if browse.URL != "/api/products?page=1" || browse.Checks[0] != "status == 200" {
		t.Errorf("browse: %+v", browse)
	}
	if cart.Headers["Authorization"] != "Bearer ${token}" || cart.Auth != AuthBearer || cart.Checks[0] != "status == 201" {
		t.Errorf("cart: %+v", cart)
	}
	if note := cart.Body.(map[string]any)["note"]; note != "gift $${wrap}" {
		t.Errorf("a literal ${ of an example must be escaped, got %q", note)
	}
	d := set.Scenarios[0].TestData
	if len(d) != 1 || d[0].File != "users.csv" || len(d[0].Rows) != DefaultTestUsers || d[0].Rows[0][1] != "alice-001" {
		t.Errorf("test data %+v", d)
	}
}

func TestGenerate_GivenWorkflow(t *testing.T) {
	m := agenttest.DemoModel()
	wf := []arch.WorkflowStep{
		{Endpoint: "/status/{code}", Method: "GET", Order: 3},
		{Endpoint: "POST /api/cart", Order: 2},
		{Endpoint: "/api/products", Method: "GET", Order: 1},
		{Endpoint: "http://shop.example/api/unknown/7", Method: "GET", Order: 4},
	}
	set, err := Generate(context.Background(), m, wf, nil, []string{"load", "Breakpoint"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if set.Inputs.Workflow != WorkflowGiven || !slices.Equal(set.Inputs.ScenarioTypes, []string{"load", "scalability"}) {
		t.Errorf("inputs %+v", set.Inputs)
	}
	var names []string
	for _, s := range set.Scenarios[0].Steps {
		names = append(names, s.Name+" "+s.URL)
	}
	want := []string{"login /api/auth/login", "listProducts /api/products?page=1", "addToCart /api/cart", "status /status/200", "GET /api/unknown/7 /api/unknown/7"}
	if !slices.Equal(names, want) {
		t.Errorf("steps\n%q\nwant\n%q", names, want)
	}
	last := set.Scenarios[0].Steps[4]
	if last.Note == "" || last.Checks[0] != "status >= 200 && status < 300" {
		t.Errorf("unknown endpoint step: %+v", last)
	}
	joined := strings.Join(set.Warnings, "\n")
	for _, w := range []string{"not in the architecture model", "a login step"} {
		if !strings.Contains(joined, w) {
			t.Errorf("warnings lack %q:\n%s", w, joined)
		}
	}
}

func TestGenerate_DerivedWorkflow(t *testing.T) {
	m := agenttest.DemoModel()
	m.Workflows = nil
	m.Endpoints = append(m.Endpoints, arch.Endpoint{Method: "DELETE", Path: "/api/cart", Responses: []int{204}})
	set, err := Generate(context.Background(), m, nil, nil, []string{"load"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	steps := set.Scenarios[0].Steps
	if set.Inputs.Workflow != WorkflowDerived || steps[0].Auth != AuthLogin {
		t.Fatalf("workflow %q, first step %+v", set.Inputs.Workflow, steps[0])
	}
	for _, s := range steps {
		if s.Method == "DELETE" {
			t.Error("a derived workflow must not DELETE")
		}
	}
	if len(steps) != 5 { // login, health, products, cart, status
		t.Errorf("%d steps", len(steps))
	}
}

func TestGenerate_NFRs(t *testing.T) {
	m := agenttest.DemoModel()
	spec, err := results.ParseNFR([]byte("response_time_p95: 200ms\nresponse_time_p99: 1s\navailability: 99.9%\nlabels:\n  addToCart: {response_time_p95: 150ms}\n  nosuchstep: {response_time_p95: 1ms}\n"), "nfrs.yaml")
	if err != nil {
		t.Fatal(err)
	}
	set, err := Generate(context.Background(), m, nil, spec, []string{"load", "stress"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := set.Inputs.NFRs
	if n.P95Ms != 200 || n.P99Ms != 1000 || n.RPS != 50 || n.ErrorBudget != 0.001 {
		t.Errorf("nfrs %+v", n)
	}
	if n.Origin["response_time_p95"] != OriginFile || n.Origin["throughput"] != OriginModel {
		t.Errorf("origin %v", n.Origin)
	}
	exprs := map[string][]string{}
	for _, th := range set.Scenarios[0].Thresholds {
		exprs[th.Metric] = append(exprs[th.Metric], th.Expr)
	}
	if !slices.Equal(exprs["http_req_duration"], []string{"p(95) < 200", "p(99) < 1000"}) ||
		!slices.Equal(exprs["http_req_failed"], []string{"rate < 0.001"}) ||
		!slices.Equal(exprs["http_req_duration{step:addToCart}"], []string{"p(95) < 150"}) {
		t.Errorf("load thresholds %v", exprs)
	}
	stress := set.Scenarios[1].Thresholds
	if stress[0].Expr != "p(95) < 400" || stress[2].Expr != "rate < 0.005" {
		t.Errorf("stress relaxes latency ×2 and errors ×5: %+v", stress)
	}
	if !strings.Contains(strings.Join(set.Warnings, "\n"), "nosuchstep") {
		t.Errorf("warnings %q", set.Warnings)
	}

	// Nothing given: the defaults; max_concurrent_users gives the throughput.
	m.NFRSuggestions = arch.NFRSuggestions{MaxConcurrentUsers: 100, Throughput: "lots"}
	set, err = Generate(context.Background(), m, nil, nil, []string{"load"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	n = set.Inputs.NFRs
	if n.ResponseTimeP95 != DefaultResponseTimeP95 || n.Origin["throughput"] != OriginUsers || n.ErrorBudget != 0.01 {
		t.Errorf("nfrs %+v", n)
	}
	// 100 users × 3 requests / (3 × 0.5 s + 2 × 2 s) = 54.545 rps
	if math.Abs(n.RPS-54.545) > 0.001 {
		t.Errorf("rps %v, want 54.545", n.RPS)
	}
	if !strings.Contains(strings.Join(set.Warnings, "\n"), `"lots" ignored`) {
		t.Errorf("warnings %q", set.Warnings)
	}
}

func TestGenerate_APIKeyWithoutLogin(t *testing.T) {
	m := agenttest.DemoModel()
	m.Auth = nil
	m.Security = []arch.SecurityScheme{{Name: "bearerAuth", Type: "apiKey", In: "header", Param: "X-API-Key"}}
	set, err := Generate(context.Background(), m, nil, nil, []string{"load"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cart := set.Scenarios[0].Steps[2]
	if cart.Headers["X-API-Key"] != "${env.API_KEY:-}" || cart.Auth != AuthAPIKey {
		t.Errorf("cart %+v", cart)
	}
}

func TestGenerate_BadInput(t *testing.T) {
	ctx := context.Background()
	empty := &arch.Model{Schema: arch.Schema}
	for name, f := range map[string]func() error{
		"nil model": func() error { _, err := Generate(ctx, nil, nil, nil, nil, Options{}); return err },
		"unknown type": func() error {
			_, err := Generate(ctx, agenttest.DemoModel(), nil, nil, []string{"chaos"}, Options{})
			return err
		},
		"nothing": func() error { _, err := Generate(ctx, empty, nil, nil, nil, Options{}); return err },
		"bad scale": func() error {
			_, err := Generate(ctx, agenttest.DemoModel(), nil, nil, nil, Options{DurationScale: -1})
			return err
		},
		"no path steps": func() error {
			_, err := Generate(ctx, agenttest.DemoModel(), []arch.WorkflowStep{{Endpoint: " "}}, nil, nil, Options{})
			return err
		},
	} {
		if err := f(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	_, err := Generate(ctx, empty, nil, nil, nil, Options{})
	if !strings.Contains(err.Error(), ErrNoWorkflow.Error()) {
		t.Errorf("err %v", err)
	}
	// A prose-only model with a workflow: every step is a guess.
	empty.Workflows = []arch.Workflow{{Name: "w", Steps: []arch.WorkflowStep{{Endpoint: "/orders", Method: "POST", Order: 1}}}}
	set, err := Generate(ctx, empty, nil, nil, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := set.Scenarios[0].Steps[0]; s.Method != "POST" || s.Note == "" {
		t.Errorf("step %+v", s)
	}
}

func TestValidate_Problems(t *testing.T) {
	m := agenttest.DemoModel()
	set, err := Generate(context.Background(), m, nil, nil, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	bad := *set
	bad.Scenarios = slices.Clone(set.Scenarios)
	bad.Scenarios[1].Name = "LOAD" // duplicate, case-insensitively
	bad.Scenarios[0].Shape.Stages[1].Target = 1000
	bad.Scenarios[2].Shape.Executor = "ramping-arrival-rat"
	bad.Scenarios[3].Steps = cloneSteps(bad.Scenarios[3].Steps)
	bad.Scenarios[3].Steps[1].URL = "http://evil.example/api/products"
	bad.Scenarios[3].Steps[2].Path = "/admin"
	bad.Scenarios[3].Steps[2].URL = "/admin"
	bad.Scenarios[4].Thresholds = []Threshold{{Metric: "http_req_duration", Expr: "p(95) < 300"}}
	bad.Scenarios = bad.Scenarios[:5]
	err = Validate(&bad, m)
	var probs Problems
	if !asProblems(err, &probs) {
		t.Fatalf("err %v", err)
	}
	text := probs.Error()
	for _, want := range []string{
		"/scenarios/1/name: duplicate scenario name",
		"/scenarios/0/shape: a load scenario must peak",
		"/scenarios/2/shape/executor: unknown executor",
		"/scenarios/3/steps/1/url:",
		"/scenarios/3/steps/2/path: POST /admin is not an endpoint",
		"/scenarios/4/thresholds: a threshold on http_req_failed",
		"/scenarios/4/thresholds: a scalability scenario needs abort_on_fail",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("problems lack %q:\n%s", want, text)
		}
	}
}

func asProblems(err error, p *Problems) bool {
	if err == nil {
		return false
	}
	q, ok := err.(Problems)
	*p = q
	return ok
}

func TestJSONSchema(t *testing.T) {
	for name, raw := range map[string][]byte{"set": JSONSchema(), "answer": AnswerSchema()} {
		var s map[string]any
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s["type"] != "object" {
			t.Errorf("%s schema root type %v, want object", name, s["type"])
		}
	}
	var a map[string]any
	_ = json.Unmarshal(AnswerSchema(), &a)
	props := a["properties"].(map[string]any)
	if _, ok := props["scenarios"]; !ok || len(props) != 1 {
		t.Errorf("answer properties %v", props)
	}
}
