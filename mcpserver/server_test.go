package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/loadgen/loadgen/examples/demo"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/mcpserver/store"
	"github.com/loadgen/loadgen/planspec"
)

// fixture is a server with a local store, the repository's examples as
// its document root and the demo target on 127.0.0.1.
type fixture struct {
	srv       *Server
	store     *store.Local
	target    string
	progress  atomic.Int64
	progMu    sync.Mutex
	progMsgs  []string
	session   *mcp.ClientSession
	artifacts string
}

func newFixture(t *testing.T, limits Limits) *fixture {
	t.Helper()
	return newFixtureWith(t, func(c *Config) { c.Limits = limits })
}

func newFixtureWith(t *testing.T, configure func(*Config)) *fixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	url, shutdown, err := demo.Start(ctx, "127.0.0.1:0", demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = shutdown(context.Background()) })
	f := &fixture{target: url, artifacts: t.TempDir()}
	f.store, err = store.NewLocal(f.artifacts)
	if err != nil {
		t.Fatal(err)
	}
	examples, _ := filepath.Abs("../examples")
	// A second root holds a symlink leading out of the roots.
	docs, outside := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.md"), []byte("# secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.md"), filepath.Join(docs, "leak.md")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(docs, "leakdir")); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Store: f.store, DocsRoots: []string{examples, docs}, WorkDir: t.TempDir()}
	configure(&cfg)
	f.srv, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.srv.Close)
	st, ct := mcp.NewInMemoryTransports()
	if _, err := f.srv.NewMCP().Connect(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	c := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "0"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) {
			f.progress.Add(1)
			f.progMu.Lock()
			f.progMsgs = append(f.progMsgs, r.Params.Message)
			f.progMu.Unlock()
		},
	})
	f.session, err = c.Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.session.Close() })
	return f
}

// call calls a tool; it returns the structured output decoded into out
// (when not nil), the text content, and whether the result is an error.
func (f *fixture) call(t *testing.T, name string, args map[string]any, out any, progressToken any) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	p := &mcp.CallToolParams{Name: name, Arguments: args}
	if progressToken != nil {
		p.Meta = mcp.Meta{"progressToken": progressToken}
	}
	res, err := f.session.CallTool(ctx, p)
	if err != nil {
		t.Fatalf("%s: protocol error: %v", name, err)
	}
	var text []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			text = append(text, tc.Text)
		}
	}
	if !res.IsError && out != nil {
		b, err := json.Marshal(res.StructuredContent)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: structured output: %v\n%s", name, err, b)
		}
	}
	return strings.Join(text, "\n"), res.IsError
}

// mustCall calls a tool that must succeed.
func (f *fixture) mustCall(t *testing.T, name string, args map[string]any, out any) string {
	t.Helper()
	text, isErr := f.call(t, name, args, out, nil)
	if isErr {
		t.Fatalf("%s(%v) failed: %s", name, args, text)
	}
	return text
}

// mustFail calls a tool that must return a tool error mentioning every
// one of want.
func (f *fixture) mustFail(t *testing.T, name string, args map[string]any, want ...string) {
	t.Helper()
	text, isErr := f.call(t, name, args, nil, nil)
	if !isErr {
		t.Fatalf("%s(%v) succeeded, want an error mentioning %q: %s", name, args, want, text)
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s(%v): error %q does not mention %q", name, args, text, w)
		}
	}
}

// prepareSession runs the AI steps offline and returns the session id.
func (f *fixture) prepareSession(t *testing.T, quick string, types ...string) string {
	t.Helper()
	var arch AnalyzeArchitectureOut
	f.mustCall(t, "analyze_architecture", map[string]any{"documents_path": "architecture"}, &arch)
	if arch.SessionID == "" || arch.EndpointCount == 0 || arch.Source != "offline" {
		t.Fatalf("analyze_architecture: %+v", arch)
	}
	var sc GenerateScenariosOut
	f.mustCall(t, "generate_test_scenarios", map[string]any{"session_id": arch.SessionID, "scenario_types": types,
		"quick_duration": quick, "nfrs": map[string]any{"response_time_p95": "800ms", "throughput": 1, "error_rate": "5%"}}, &sc)
	if len(sc.Scenarios) != len(types) {
		t.Fatalf("generate_test_scenarios: %d scenarios for types %v", len(sc.Scenarios), types)
	}
	return arch.SessionID
}

func TestWorkflowOverInMemoryTransport(t *testing.T) {
	f := newFixture(t, Limits{})
	sid := f.prepareSession(t, "3s", "load")

	var plans GeneratePlansOut
	f.mustCall(t, "generate_test_plans", map[string]any{"session_id": sid, "output_format": "all"}, &plans)
	if plans.TotalPlans != 1 || plans.Plans[0].JMX == nil || plans.Plans[0].JavaDSL == nil {
		t.Fatalf("generate_test_plans: %+v", plans)
	}
	for _, r := range []*Ref{&plans.Plans[0].Plan, plans.Plans[0].JMX, plans.Plans[0].JavaDSL} {
		p, err := f.store.Dir(r.Key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(p); err != nil || !strings.HasPrefix(r.URL, "file://") {
			t.Errorf("artifact %s: %v (url %q)", r.Key, err, r.URL)
		}
	}
	// yaml only replaces the plans folder: the exports are gone.
	var yamlOnly GeneratePlansOut
	f.mustCall(t, "generate_test_plans", map[string]any{"session_id": sid, "output_format": "yaml"}, &yamlOnly)
	if yamlOnly.TotalPlans != 1 || yamlOnly.Plans[0].JMX != nil {
		t.Errorf("output_format yaml still lists a .jmx")
	}
	var arts ArtifactsOut
	f.mustCall(t, "get_test_artifacts", map[string]any{"session_id": sid, "artifact_type": "plans"}, &arts)
	for _, a := range arts.Artifacts {
		if strings.Contains(a.Name, "jmeter/") {
			t.Errorf("old export %s survived a yaml-only generation", a.Name)
		}
	}

	var ex ExecuteOut
	f.mustCall(t, "execute_performance_test", map[string]any{"session_id": sid,
		"execution_environment": map[string]any{"target_url": f.target}}, &ex)
	if ex.RunID == "" || ex.Status != StateRunning && ex.Status != StateCompleted {
		t.Fatalf("execute_performance_test: %+v", ex)
	}
	var st RunStatus
	f.call(t, "get_test_status", map[string]any{"session_id": sid, "run_id": ex.RunID, "wait_seconds": 120}, &st, "p1")
	if st.State != StateCompleted || st.Progress != 1 || len(st.Plans) != 1 || st.Plans[0].Result == nil {
		t.Fatalf("get_test_status after waiting: %+v", st)
	}
	if st.Plans[0].Result.Requests == 0 || st.Workers[0].State != StateCompleted {
		t.Errorf("the run sent nothing: %+v", st.Plans[0])
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.progress.Load() == 0 && time.Now().Before(deadline) { // handlers run asynchronously
		time.Sleep(20 * time.Millisecond)
	}
	if f.progress.Load() == 0 {
		t.Error("no progress notification while waiting with a progress token")
	}

	var an AnalyzeOut
	text := f.mustCall(t, "analyze_test_results", map[string]any{"session_id": sid}, &an)
	if an.RunID != ex.RunID || len(an.Plans) != 1 || an.Grade == "" {
		t.Fatalf("analyze_test_results: %+v", an)
	}
	pa := an.Plans[0]
	if pa.Requests != st.Plans[0].Result.Requests {
		t.Errorf("analysis counts %d requests, the run %d", pa.Requests, st.Plans[0].Result.Requests)
	}
	names := map[string]bool{}
	for _, n := range pa.NFRs {
		names[n.Name] = true
	}
	for _, want := range []string{"response_time_p95", "throughput", "error_rate"} {
		if !names[want] {
			t.Errorf("NFR table lacks %s: %+v", want, pa.NFRs)
		}
	}
	if pa.Insights.Source != "offline" || pa.Insights.ExecutiveSummary == "" || !strings.Contains(text, "grade "+an.Grade) {
		t.Errorf("insights %+v, text %q", pa.Insights, text)
	}
	report, err := f.store.Dir(pa.Report.Key)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(report); err != nil || !strings.Contains(string(b), "<html") ||
		!strings.Contains(string(b), `id="insights"`) || !strings.Contains(string(b), htmlText(pa.Insights.ExecutiveSummary)) {
		t.Errorf("report %s (%v) lacks the insights", pa.Report.Key, err)
	}

	f.mustCall(t, "get_test_artifacts", map[string]any{"session_id": sid, "artifact_type": "reports"}, &arts)
	if arts.TotalCount != 1 || !strings.HasSuffix(arts.Artifacts[0].Name, "report.html") {
		t.Errorf("reports: %+v", arts.Artifacts)
	}
	f.mustCall(t, "get_test_artifacts", map[string]any{"session_id": sid, "artifact_type": "results", "include_content": true}, &arts)
	seen := map[string]*Artifact{}
	for i, a := range arts.Artifacts {
		seen[filepath.Base(a.Name)] = &arts.Artifacts[i]
	}
	for _, want := range []string{"results.jtl", "latency.hlog", "summary.json", "status.json", "plan.yaml"} {
		if seen[want] == nil {
			t.Errorf("results lack %s", want)
		}
	}
	if a := seen["status.json"]; a != nil && !strings.Contains(a.Content, `"state": "completed"`) {
		t.Errorf("status.json content: %q (omitted: %s)", a.Content, a.ContentOmitted)
	}
	f.mustCall(t, "get_test_artifacts", map[string]any{}, &arts)
	if len(arts.Sessions) != 1 || arts.Sessions[0] != sid {
		t.Errorf("sessions: %v", arts.Sessions)
	}
}

func TestToolErrors(t *testing.T) {
	f := newFixture(t, Limits{MaxVUs: 1, MaxRate: 0.5, MaxDuration: 10 * time.Second})
	sid := f.prepareSession(t, "2s", "load", "spike")
	f.mustCall(t, "generate_test_plans", map[string]any{"session_id": sid, "output_format": "yaml"}, nil)
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.md"), []byte("# secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		tool string
		args map[string]any
		want []string
	}{
		{"bad session id", "generate_test_scenarios", map[string]any{"session_id": "../x"}, []string{"session_id", "letters, digits"}},
		{"long session id", "get_test_status", map[string]any{"session_id": strings.Repeat("a", 65)}, []string{"session_id"}},
		{"unknown argument", "get_test_artifacts", map[string]any{"session_id": sid, "bogus": 1}, []string{"bogus"}},
		{"bad enum", "get_test_artifacts", map[string]any{"session_id": sid, "artifact_type": "logs"}, []string{"artifact_type"}},
		{"bad output format", "generate_test_plans", map[string]any{"session_id": sid, "output_format": "pdf"}, []string{"output_format"}},
		{"missing documents_path", "analyze_architecture", map[string]any{}, []string{"documents_path"}},
		{"traversal", "analyze_architecture", map[string]any{"documents_path": "../go.mod"}, []string{"documents_path", `".."`}},
		{"outside the roots", "analyze_architecture", map[string]any{"documents_path": outside}, []string{"documents_path", "outside the document roots"}},
		{"symlink out of the roots", "analyze_architecture", map[string]any{"documents_path": "leak.md"}, []string{"documents_path", "symlink leads out"}},
		{"folder symlink out of the roots", "analyze_architecture", map[string]any{"documents_path": "leakdir"}, []string{"documents_path", "symlink leads out"}},
		{"proc", "analyze_architecture", map[string]any{"documents_path": "/proc/self/environ"}, []string{"documents_path", "system path"}},
		{"s3 outside the store", "analyze_architecture", map[string]any{"documents_path": "s3://other-bucket/docs"}, []string{"outside this server's artifact store"}},
		{"no analysis", "generate_test_scenarios", map[string]any{"session_id": "nothing-here"}, []string{"analyze_architecture first or give workflow_apis"}},
		{"bad nfr", "generate_test_scenarios", map[string]any{"session_id": sid, "nfrs": map[string]any{"throughput": "fast"}}, []string{"nfrs.throughput"}},
		{"bad scenario type", "generate_test_scenarios", map[string]any{"session_id": sid, "scenario_types": []string{"soak-ish"}}, []string{"scenario_types"}},
		{"empty workflow step", "generate_test_scenarios", map[string]any{"session_id": sid, "workflow_apis": []map[string]any{{"endpoint": ""}}}, []string{"workflow_apis[0].endpoint"}},
		{"disallowed target", "execute_performance_test", map[string]any{"session_id": sid, "execution_environment": map[string]any{"target_url": "http://192.0.2.10:8080"}}, []string{"target_url", "not on the allowlist", "--allow-target"}},
		{"metadata endpoint", "execute_performance_test", map[string]any{"session_id": sid, "execution_environment": map[string]any{"target_url": "http://169.254.169.254/"}}, []string{"not on the allowlist"}},
		{"bad backend", "execute_performance_test", map[string]any{"session_id": sid, "execution_environment": map[string]any{"backend": "k8s"}}, []string{"backend"}},
		{"ecs needs an S3 store", "execute_performance_test", map[string]any{"session_id": sid, "execution_environment": map[string]any{"backend": "ecs", "workers": 2}}, []string{"execution_environment.backend", "need an S3 store"}},
		{"too many ecs tasks", "execute_performance_test", map[string]any{"session_id": sid, "execution_environment": map[string]any{"backend": "ecs", "workers": 501}}, []string{"1 to 500 tasks"}},
		{"unknown plan", "execute_performance_test", map[string]any{"session_id": sid, "plans": []string{"soak"}, "execution_environment": map[string]any{"target_url": f.target}}, []string{`plans[0] "soak"`}},
		{"bad duration", "execute_performance_test", map[string]any{"session_id": sid, "monitoring_config": map[string]any{"duration": "soon"}}, []string{"monitoring_config.duration"}},
		{"over the caps", "execute_performance_test", map[string]any{"session_id": sid, "plans": []string{"spike"}, "execution_environment": map[string]any{"target_url": f.target}}, []string{"plan spike.yaml", "this server allows at most"}},
		{"no plans", "execute_performance_test", map[string]any{"session_id": "nothing-here"}, []string{"generate_test_plans first"}},
		{"no runs", "get_test_status", map[string]any{"session_id": sid}, []string{"no runs yet"}},
		{"unknown run", "get_test_status", map[string]any{"session_id": sid, "run_id": "nope"}, []string{`run_id "nope"`}},
		{"wait too long", "get_test_status", map[string]any{"session_id": sid, "wait_seconds": 3600}, []string{"wait_seconds"}},
		{"another session's key is not a path", "analyze_architecture", map[string]any{"documents_path": "perf-pipeline/" + sid + "/../../x"}, []string{`".."`}},
		{"no session", "get_test_artifacts", map[string]any{"session_id": "nothing-here"}, []string{"no such session"}},
		{"analyze without runs", "analyze_test_results", map[string]any{"session_id": sid}, []string{"no runs yet"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { f.mustFail(t, tt.tool, tt.args, tt.want...) })
	}
	// A refused run leaves nothing behind.
	if runs, _ := f.store.List(context.Background(), sessionKey(sid, RunsPrefix)); len(runs) != 0 {
		t.Errorf("refused runs left %d objects", len(runs))
	}
}

func TestCapsConcurrencyAndCancel(t *testing.T) {
	f := newFixture(t, Limits{MaxRuns: 1, MaxDuration: 20 * time.Second})
	sid := f.prepareSession(t, "30s", "load")
	f.mustCall(t, "generate_test_plans", map[string]any{"session_id": sid, "output_format": "yaml"}, nil)
	env := map[string]any{"target_url": f.target}
	f.mustFail(t, "execute_performance_test", map[string]any{"session_id": sid, "execution_environment": env}, "--max-duration", "monitoring_config.duration")
	var ex ExecuteOut
	f.mustCall(t, "execute_performance_test", map[string]any{"session_id": sid, "execution_environment": env,
		"monitoring_config": map[string]any{"duration": 15}}, &ex)
	if ex.Status != StateRunning || ex.Run.Plans[0].Planned != 15 {
		t.Fatalf("capped run: %+v", ex)
	}
	f.mustFail(t, "execute_performance_test", map[string]any{"session_id": sid, "execution_environment": env,
		"monitoring_config": map[string]any{"duration": "5s"}}, "--max-runs")
	f.mustFail(t, "analyze_test_results", map[string]any{"session_id": sid}, "still running")
	var st RunStatus
	f.mustCall(t, "cancel_test", map[string]any{"session_id": sid, "run_id": ex.RunID}, &st)
	if st.State != StateCancelled || st.Plans[0].Result == nil || st.Plans[0].Result.Requests == 0 {
		t.Fatalf("cancelled run: %+v", st)
	}
	// The partial results are kept and analysable.
	var an AnalyzeOut
	f.mustCall(t, "analyze_test_results", map[string]any{"session_id": sid, "run_id": ex.RunID}, &an)
	if len(an.Plans) != 1 || an.Plans[0].Requests != st.Plans[0].Result.Requests {
		t.Errorf("analysis of the cancelled run: %+v vs %+v", an.Plans, st.Plans[0].Result)
	}
	// The stored status says the same once the run is over.
	b, err := os.ReadFile(filepath.Join(f.artifacts, filepath.FromSlash(runKey(sid, ex.RunID, StatusFile))))
	if err != nil || !strings.Contains(string(b), `"state": "cancelled"`) {
		t.Errorf("stored status: %v %s", err, b)
	}
}

func TestCheckPlanCaps(t *testing.T) {
	srv, err := New(Config{Store: mustLocal(t), Limits: Limits{MaxRate: 50, MaxVUs: 20, MaxDuration: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, scenarios string
		limit           time.Duration
		want            string // "" = allowed
	}{
		{"within", "{name: a, executor: constant-vus, vus: 20, duration: 1m, steps: [{name: s, request: {url: /}}]}", 0, ""},
		{"too many vus", "{name: a, executor: constant-vus, vus: 21, duration: 10s, steps: [{name: s, request: {url: /}}]}", 0, "21 VUs"},
		{"vus summed over scenarios", "{name: a, executor: constant-vus, vus: 15, duration: 10s, steps: [{name: s, request: {url: /}}]}, {name: b, executor: ramping-vus, stages: [{duration: 5s, target: 6}], steps: [{name: t, request: {url: /}}]}", 0, "21 VUs"},
		{"arrival max_vus", "{name: a, executor: constant-arrival-rate, rate: 10, duration: 10s, pre_allocated_vus: 5, max_vus: 30, steps: [{name: s, request: {url: /}}]}", 0, "30 VUs"},
		{"rate", "{name: a, executor: ramping-arrival-rate, stages: [{duration: 10s, target: 60}], pre_allocated_vus: 5, steps: [{name: s, request: {url: /}}]}", 0, "60 iterations/s"},
		{"rate per minute", "{name: a, executor: constant-arrival-rate, rate: 3000, time_unit: 1m, duration: 10s, pre_allocated_vus: 5, steps: [{name: s, request: {url: /}}]}", 0, ""},
		{"too long", "{name: a, executor: constant-vus, vus: 1, duration: 2m, steps: [{name: s, request: {url: /}}]}", 0, "runs 2m0s"},
		{"cut to fit", "{name: a, executor: constant-vus, vus: 1, duration: 2m, steps: [{name: s, request: {url: /}}]}", 30 * time.Second, ""},
		{"start time counts", "{name: a, executor: constant-vus, vus: 1, start_time: 50s, duration: 20s, steps: [{name: s, request: {url: /}}]}", 0, "runs 1m10s"},
		{"absolute step URL", "{name: a, executor: constant-vus, vus: 1, duration: 1s, steps: [{name: s, request: {url: 'http://198.51.100.4/x'}}]}", 0, "step URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := planspec.Parse([]byte("version: 1\nname: caps\ntarget: http://127.0.0.1:1\nscenarios: ["+tt.scenarios+"]\n"), "caps.yaml", planspec.Options{})
			if err != nil {
				t.Fatal(err)
			}
			pp := preparedPlan{name: "caps.yaml", plan: p, planned: p.PlannedEnd()}
			if tt.limit > 0 && tt.limit < pp.planned {
				pp.limit, pp.planned = tt.limit, tt.limit
			}
			err = srv.checkPlan(context.Background(), pp)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

func mustLocal(t *testing.T) *store.Local {
	t.Helper()
	l, err := store.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestDocumentsInsideTheLocalStore reads documents put into the local
// artifact store, which counts as a document root.
func TestDocumentsInsideTheLocalStore(t *testing.T) {
	f := newFixture(t, Limits{})
	b, err := os.ReadFile(filepath.Join("..", "examples", "architecture", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.Put(context.Background(), "inbox/shop/openapi.yaml", b); err != nil {
		t.Fatal(err)
	}
	var arch AnalyzeArchitectureOut
	f.mustCall(t, "analyze_architecture", map[string]any{"documents_path": filepath.Join(f.artifacts, "inbox", "shop"), "session_id": "inbox-1"}, &arch)
	if arch.EndpointCount == 0 || arch.SessionID != "inbox-1" {
		t.Fatalf("analysis of documents in the store: %+v", arch)
	}
}

// htmlText escapes s as html/template escapes text.
func htmlText(s string) string { return template.HTMLEscapeString(s) }

// TestScenariosWithoutAnalysis follows the original tool: workflow_apis
// alone are enough to design scenarios and write plans.
func TestScenariosWithoutAnalysis(t *testing.T) {
	f := newFixture(t, Limits{})
	var sc GenerateScenariosOut
	f.mustCall(t, "generate_test_scenarios", map[string]any{"session_id": "no-docs", "scenario_types": []string{"load"},
		"workflow_apis": []map[string]any{{"endpoint": "/api/products", "method": "GET", "order": 1}, {"endpoint": "GET /health", "order": 2}}}, &sc)
	if len(sc.Scenarios) != 1 || sc.Scenarios[0].Steps != 2 || sc.Workflow != "workflow_apis" {
		t.Fatalf("scenarios without an analysis: %+v", sc)
	}
	var plans GeneratePlansOut
	f.mustCall(t, "generate_test_plans", map[string]any{"session_id": "no-docs", "output_format": "yaml", "target_url": f.target}, &plans)
	if plans.TotalPlans != 1 || plans.Target != f.target {
		t.Fatalf("plans without an analysis: %+v", plans)
	}
}

// TestRunThatCannotStart checks that a run whose status cannot be stored
// is reported as not started, and leaves no run behind.
func TestRunThatCannotStart(t *testing.T) {
	f := newFixture(t, Limits{MaxRuns: 1})
	sid := f.prepareSession(t, "2s", "load")
	f.mustCall(t, "generate_test_plans", map[string]any{"session_id": sid, "output_format": "yaml"}, nil)
	// A file where the runs folder belongs.
	if err := f.store.Put(context.Background(), sessionKey(sid, "runs"), []byte("in the way")); err != nil {
		t.Fatal(err)
	}
	f.mustFail(t, "execute_performance_test", map[string]any{"session_id": sid, "execution_environment": map[string]any{"target_url": f.target}},
		"could not start")
	f.srv.mu.Lock()
	n := len(f.srv.runs)
	f.srv.mu.Unlock()
	if n != 0 {
		t.Errorf("%d runs registered after a failed start", n)
	}
}

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// loadgenBinary builds the loadgen command once per test binary.
func loadgenBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "loadgen-mcp-test-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "loadgen")
		if out, err := exec.Command("go", "build", "-o", binary, "../cmd/loadgen").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary != "" {
		os.RemoveAll(filepath.Dir(binary))
	}
	os.Exit(code)
}

// TestMultiWorkerRun runs a plan on three local worker processes through
// the tool and checks the merged outputs and the per-worker status.
func TestMultiWorkerRun(t *testing.T) {
	exe := loadgenBinary(t)
	f := newFixtureWith(t, func(c *Config) { c.WorkerExecutable = exe })
	sid := f.prepareSession(t, "3s", "load")
	f.mustCall(t, "generate_test_plans", map[string]any{"session_id": sid, "output_format": "yaml"}, nil)
	f.mustFail(t, "execute_performance_test", map[string]any{"session_id": sid, "execution_environment": map[string]any{"workers": 99}}, "execution_environment.workers 99")
	var ex ExecuteOut
	f.mustCall(t, "execute_performance_test", map[string]any{"session_id": sid,
		"execution_environment": map[string]any{"target_url": f.target, "workers": 3}}, &ex)
	if len(ex.Run.Workers) != 3 {
		t.Fatalf("workers in the status: %+v", ex.Run.Workers)
	}
	var st RunStatus
	f.mustCall(t, "get_test_status", map[string]any{"session_id": sid, "wait_seconds": 120}, &st)
	if st.State != StateCompleted || st.Plans[0].Result == nil {
		t.Fatalf("status: %+v", st)
	}
	for _, w := range st.Workers {
		if w.State != "done" {
			t.Errorf("worker %d: %+v", w.Index, w)
		}
	}
	dir, err := f.store.Dir(st.Plans[0].Outputs)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for i := range 3 {
		s, err := loadgen.ReadState(filepath.Join(dir, "workers", fmt.Sprint(i), loadgen.StateFile))
		if err != nil {
			t.Fatal(err)
		}
		total += s.Total.Count
	}
	if total == 0 || total != st.Plans[0].Result.Requests {
		t.Errorf("workers sent %d requests, the merged result says %d", total, st.Plans[0].Result.Requests)
	}
	var an AnalyzeOut
	f.mustCall(t, "analyze_test_results", map[string]any{"session_id": sid}, &an)
	if an.Plans[0].Requests != total {
		t.Errorf("analysis of the merged JTL: %d requests, workers %d", an.Plans[0].Requests, total)
	}
}
