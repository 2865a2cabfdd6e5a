package examples

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	fakeapi "github.com/loadgen/loadgen/examples/fake-api"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/planspec"
)

// The keys PLAN_FORMAT.md allows at each level. These tests keep the
// examples inside the documented format without depending on the parser;
// the engine's own tests run them for real.
var (
	planKeys     = []string{"version", "name", "target", "vars", "http", "data", "scenarios", "thresholds"}
	httpKeys     = []string{"timeout", "keepalive", "http2", "insecure_tls", "headers"}
	commonKeys   = []string{"name", "executor", "start_time", "graceful_stop", "think_time", "steps"}
	executorKeys = map[string][]string{
		"constant-vus":          {"vus", "duration"},
		"ramping-vus":           {"start_vus", "stages", "graceful_ramp_down"},
		"per-vu-iterations":     {"vus", "iterations", "max_duration"},
		"shared-iterations":     {"vus", "iterations", "max_duration"},
		"constant-arrival-rate": {"rate", "time_unit", "duration", "pre_allocated_vus", "max_vus", "arrivals"},
		"ramping-arrival-rate":  {"start_rate", "time_unit", "stages", "pre_allocated_vus", "max_vus", "arrivals"},
	}
	stepKeys      = []string{"name", "request", "check", "extract", "on_failure", "think_time", "group", "steps"}
	requestKeys   = []string{"method", "url", "headers", "query", "body", "json", "form", "timeout"}
	extractorKeys = []string{"json", "regex", "group", "header"}
	stageKeys     = []string{"duration", "target"}
	thinkKeys     = []string{"min", "max"}
	durationKeys  = []string{"duration", "timeout", "time_unit", "graceful_stop", "graceful_ramp_down", "max_duration", "start_time"}
)

// executors and metrics as named in PLAN_FORMAT.md.
var (
	executors = []string{"constant-vus", "ramping-vus", "per-vu-iterations", "shared-iterations", "constant-arrival-rate", "ramping-arrival-rate"}
	metrics   = []string{"http_req_duration", "http_req_duration_corrected", "http_req_waiting", "http_req_connecting",
		"http_reqs", "http_req_failed", "checks", "iterations", "dropped_iterations", "vus", "vus_max"}
)

var thresholdKey = regexp.MustCompile(`^([a-z_]+)(\{(step|scenario|group|status):([^}]+)\})?$`)

// fakeAPIPlans are the example plans written for the fake API demo target
// (examples/fake-api), in plans/fake-api/; the others, in plans/, are
// written for examples/demo. (Tests of other packages run every
// plans/*.yaml against examples/demo, in JMeter too.)
var fakeAPIPlans = []string{"load", "stress", "spike", "endurance"}

// TestPlans checks every embedded plan against the documented format, with
// planspec's validator, and against the demo target it is written for:
// each request must reach an existing route. The fake API serves the demo
// target's paths too, so every plan is checked against it.
func TestPlans(t *testing.T) {
	names, err := fs.Glob(Plans, "plans/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fake, err := fs.Glob(Plans, "plans/fake-api/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	names = append(names, fake...)
	want := []string{"plans/quickstart.yaml"}
	for _, e := range executors {
		want = append(want, "plans/"+e+".yaml")
	}
	for _, e := range fakeAPIPlans {
		want = append(want, "plans/fake-api/"+e+".yaml")
	}
	for _, w := range want {
		if !slices.Contains(names, w) {
			t.Errorf("missing %s", w)
		}
	}
	target := fakeapi.Handler(fakeapi.Options{})
	for _, name := range names {
		t.Run(strings.TrimSuffix(strings.TrimPrefix(name, "plans/"), ".yaml"), func(t *testing.T) {
			src, err := Plans.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range checkPlan(name, src, target) {
				t.Error(e)
			}
			if _, err := planspec.ParseFile(filepath.FromSlash(name), planspec.Options{LookupEnv: noEnv}); err != nil {
				t.Errorf("planspec: %v", err)
			}
		})
	}
}

// noEnv is an empty environment: example plans must not need one.
func noEnv(string) (string, bool) { return "", false }

// TestFakeAPIPlansRun runs the fake API plans, compressed to a few seconds
// each, against the fake API in this process (loopback, latencies ×0.02,
// no injected errors, 2 % declined payments): every step runs, every check
// holds and the thresholds pass.
func TestFakeAPIPlansRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the plans for ~15 s")
	}
	opts := fakeapi.Options{DelayMin: 100 * time.Millisecond, DelayMax: 500 * time.Millisecond, LatencyScale: 0.02,
		DeclineRate: fakeapi.DefaultDeclineRate, Seed: 1}
	url, stop, err := fakeapi.Start(context.Background(), "127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer stop(context.Background())
	for _, name := range fakeAPIPlans {
		t.Run(name, func(t *testing.T) {
			p, err := planspec.ParseFile(filepath.Join("plans", "fake-api", name+".yaml"), planspec.Options{Target: url, LookupEnv: noEnv})
			if err != nil {
				t.Fatal(err)
			}
			f := compress(p, 3*time.Second)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			begin := time.Now()
			sum, err := loadgen.Run(ctx, p, loadgen.Options{Out: t.TempDir(), Seed: 1})
			if err != nil {
				t.Fatalf("run (compressed ×%.3f): %v", f, err)
			}
			t.Logf("%s: %d requests in %v (×%.3f), statuses %v", name, sum.Total.Count, time.Since(begin), f, sum.Total.Status)
			if sum.Total.Count == 0 || sum.Total.Errors != 0 || sum.Total.ChecksFailed != 0 || !sum.ThresholdsOK {
				t.Errorf("%d requests, %d failed, %d checks failed, thresholds ok %v: %v",
					sum.Total.Count, sum.Total.Errors, sum.Total.ChecksFailed, sum.ThresholdsOK, sum.Thresholds)
			}
			for _, st := range sum.Steps {
				if st.Count == 0 {
					t.Errorf("step %q never ran", st.Label)
				}
			}
			if len(sum.Steps) < len(p.AllSteps()) {
				t.Errorf("%d steps in the summary, %d in the plan", len(sum.Steps), len(p.AllSteps()))
			}
			// The journeys got through: orders (and payments) were created.
			if sum.Total.Status["201"] == 0 {
				t.Errorf("no 201 among %v", sum.Total.Status)
			}
		})
	}
}

// compress shortens every duration of a validated plan so that its longest
// scenario ends after about d, keeping rates and VU counts, and returns
// the factor used.
func compress(p *planspec.Plan, d time.Duration) float64 {
	var end time.Duration
	for i := range p.Scenarios {
		end = max(end, p.Scenarios[i].PlannedEnd())
	}
	f := 1.0
	if end > d {
		f = float64(d) / float64(end)
	}
	scale := func(x *planspec.Duration) {
		if x != nil {
			*x = planspec.Duration(float64(*x) * f)
		}
	}
	var steps func([]planspec.Step)
	steps = func(ss []planspec.Step) {
		for i := range ss {
			if tt := ss[i].ThinkTime; tt != nil {
				scale(&tt.Min)
				scale(&tt.Max)
			}
			steps(ss[i].Steps)
		}
	}
	for i := range p.Scenarios {
		s := &p.Scenarios[i]
		scale(s.Duration)
		scale(s.MaxDuration)
		scale(s.GracefulStop)
		scale(s.GracefulRampDown)
		scale(&s.StartTime)
		for j := range s.Stages {
			scale(&s.Stages[j].Duration)
		}
		if s.ThinkTime != nil {
			scale(&s.ThinkTime.Min)
			scale(&s.ThinkTime.Max)
		}
		steps(s.Steps)
	}
	return f
}

// checkPlan returns the problems found in one plan's source.
func checkPlan(file string, src []byte, demoHandler http.Handler) []string {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return []string{file + ": " + err.Error()}
	}
	if len(doc.Content) == 0 {
		return []string{file + ": empty document"}
	}
	c := &planChecker{file: file, demo: demoHandler, labels: map[string]bool{}}
	c.plan(doc.Content[0])
	return c.errs
}

// TestCheckPlanRejects makes sure the checker above finds what it claims to.
func TestCheckPlanRejects(t *testing.T) {
	const good = `version: 1
name: p
target: http://127.0.0.1:8080
scenarios:
  - name: s
    executor: constant-vus
    vus: 1
    duration: 1s
    steps:
      - name: a
        request: {url: /health}
`
	h := fakeapi.Handler(fakeapi.Options{})
	if errs := checkPlan("plans/p.yaml", []byte(good), h); len(errs) != 0 {
		t.Fatalf("good plan rejected: %v", errs)
	}
	tests := []struct{ name, from, to, want string }{
		{"unknown top key", "version: 1", "version: 1\nbogus: 1", `unknown key "bogus"`},
		{"executor key", "vus: 1", "rate: 1", `unknown key "rate"`},
		{"bad duration", "duration: 1s", "duration: 1x", "bad duration"},
		{"remote target", "127.0.0.1", "example.com", "loopback"},
		{"unknown route", "/health", "/nope", "answers 404"},
		{"wrong method", "{url: /health}", "{method: POST, url: /health}", "answers 405"},
		{"request key", "{url: /health}", "{url: /health, verb: GET}", `unknown key "verb"`},
		{"duplicate label", "        request: {url: /health}\n", "        request: {url: /health}\n      - name: a\n        request: {url: /}\n", "not unique"},
		{"name mismatch", "name: p", "name: q", "does not match"},
	}
	for _, tc := range tests {
		src := strings.Replace(good, tc.from, tc.to, 1)
		if src == good {
			t.Fatalf("%s: replacement did not apply", tc.name)
		}
		errs := checkPlan("plans/p.yaml", []byte(src), h)
		if !strings.Contains(strings.Join(errs, "\n"), tc.want) {
			t.Errorf("%s: errors %q, want one containing %q", tc.name, errs, tc.want)
		}
	}
}

type planChecker struct {
	errs   []string
	file   string
	demo   http.Handler
	labels map[string]bool
	vars   map[string]string
}

func (c *planChecker) errorf(n *yaml.Node, format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf("%s:%d:%d: "+format, append([]any{c.file, n.Line, n.Column}, args...)...))
}

// mapping returns the key → value pairs of a mapping node, reporting keys
// outside allowed (unless allowed is nil) and non-mapping nodes.
func (c *planChecker) mapping(n *yaml.Node, allowed []string) map[string]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		c.errorf(n, "want a mapping")
		return nil
	}
	m := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		if allowed != nil && !slices.Contains(allowed, k) {
			c.errorf(n.Content[i], "unknown key %q", k)
		}
		if _, dup := m[k]; dup {
			c.errorf(n.Content[i], "duplicate key %q", k)
		}
		m[k] = n.Content[i+1]
		if slices.Contains(durationKeys, k) && n.Content[i+1].Kind == yaml.ScalarNode {
			c.duration(n.Content[i+1])
		}
	}
	return m
}

func (c *planChecker) duration(n *yaml.Node) time.Duration {
	d, err := time.ParseDuration(n.Value)
	if err != nil {
		c.errorf(n, "bad duration %q", n.Value)
	}
	return d
}

func (c *planChecker) plan(n *yaml.Node) {
	m := c.mapping(n, planKeys)
	for _, k := range []string{"version", "name", "target", "scenarios"} {
		if m[k] == nil {
			c.errorf(n, "missing %q", k)
			return
		}
	}
	if m["version"].Value != "1" {
		c.errorf(m["version"], "version must be 1")
	}
	if u, err := url.Parse(m["target"].Value); err != nil || (u.Hostname() != "127.0.0.1" && u.Hostname() != "::1") {
		c.errorf(m["target"], "target must be a loopback URL, got %q", m["target"].Value)
	}
	if strings.TrimSuffix(path.Base(c.file), ".yaml") != m["name"].Value {
		c.errorf(m["name"], "plan name %q does not match its file name", m["name"].Value)
	}
	c.vars = map[string]string{}
	if v := m["vars"]; v != nil {
		for k, val := range c.mapping(v, nil) {
			c.vars[k] = val.Value
		}
	}
	if h := m["http"]; h != nil {
		c.mapping(h, httpKeys)
	}
	if m["scenarios"].Kind != yaml.SequenceNode || len(m["scenarios"].Content) == 0 {
		c.errorf(m["scenarios"], "scenarios must be a non-empty list")
		return
	}
	for _, s := range m["scenarios"].Content {
		c.scenario(s)
	}
	if th := m["thresholds"]; th != nil {
		for k, v := range c.mapping(th, nil) {
			sub := thresholdKey.FindStringSubmatch(k)
			if sub == nil {
				c.errorf(v, "bad threshold key %q", k)
				continue
			}
			if !slices.Contains(metrics, sub[1]) {
				c.errorf(v, "unknown metric %q", sub[1])
			}
			if sub[3] == "step" && !c.labels[sub[4]] {
				c.errorf(v, "threshold on unknown step %q", sub[4])
			}
			if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
				c.errorf(v, "threshold %q needs a list of expressions", k)
			}
		}
	}
}

func (c *planChecker) scenario(n *yaml.Node) {
	m := c.mapping(n, nil)
	ex := m["executor"]
	if ex == nil || m["name"] == nil || m["steps"] == nil {
		c.errorf(n, "scenario needs name, executor and steps")
		return
	}
	own, ok := executorKeys[ex.Value]
	if !ok {
		c.errorf(ex, "unknown executor %q", ex.Value)
		return
	}
	c.mapping(n, append(slices.Clone(commonKeys), own...))
	if strings.HasSuffix(c.file, ex.Value+".yaml") {
		// Executor examples are short: at most 10 s of load.
		var total time.Duration
		if d := m["duration"]; d != nil {
			total = c.duration(d)
		} else if d := m["max_duration"]; d != nil {
			total = c.duration(d)
		} else if st := m["stages"]; st != nil {
			for _, s := range st.Content {
				sm := c.mapping(s, stageKeys)
				if sm["duration"] != nil {
					total += c.duration(sm["duration"])
				}
			}
		}
		if total <= 0 || total > 10*time.Second {
			c.errorf(n, "scenario runs %v; examples must be short (0 < d ≤ 10s)", total)
		}
	}
	if tt := m["think_time"]; tt != nil {
		c.thinkTime(tt)
	}
	c.steps(m["steps"])
}

func (c *planChecker) thinkTime(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode {
		c.duration(n)
		return
	}
	for _, v := range c.mapping(n, thinkKeys) {
		c.duration(v)
	}
}

func (c *planChecker) steps(n *yaml.Node) {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		c.errorf(n, "steps must be a non-empty list")
		return
	}
	for _, s := range n.Content {
		m := c.mapping(s, stepKeys)
		label := ""
		switch {
		case m["group"] != nil:
			label = m["group"].Value
			if m["steps"] == nil || m["request"] != nil {
				c.errorf(s, "a group has steps and no request")
				continue
			}
			c.steps(m["steps"])
		case m["name"] != nil && m["request"] != nil:
			label = m["name"].Value
			c.request(m["request"])
		default:
			c.errorf(s, "a step needs name and request, or group and steps")
			continue
		}
		if c.labels[label] {
			c.errorf(s, "label %q is not unique in the plan", label)
		}
		c.labels[label] = true
		if ex := m["extract"]; ex != nil {
			for _, e := range c.mapping(ex, nil) {
				c.mapping(e, extractorKeys)
			}
		}
		if ck := m["check"]; ck != nil && ck.Kind != yaml.SequenceNode {
			c.errorf(ck, "check must be a list of expressions")
		}
		if tt := m["think_time"]; tt != nil {
			c.thinkTime(tt)
		}
	}
}

var placeholder = regexp.MustCompile(`\$\{([^}]+)\}`)

// request checks the request's keys and that the target routes it (not a
// 405, and not a 404 unless it is a JSON answer: a resource, such as an
// order "x", that does not exist), with ${var} replaced by plan vars or "x".
func (c *planChecker) request(n *yaml.Node) {
	m := c.mapping(n, requestKeys)
	if m["url"] == nil {
		c.errorf(n, "request needs url")
		return
	}
	method := "GET"
	if m["method"] != nil {
		method = m["method"].Value
	}
	expand := func(s string) string {
		return placeholder.ReplaceAllStringFunc(s, func(p string) string {
			if v, ok := c.vars[p[2:len(p)-1]]; ok {
				return v
			}
			return "x"
		})
	}
	target := expand(m["url"].Value)
	if q := m["query"]; q != nil {
		vals := url.Values{}
		for k, v := range c.mapping(q, nil) {
			vals.Set(k, expand(v.Value))
		}
		target += "?" + vals.Encode()
	}
	body := ""
	if m["json"] != nil {
		body = "{}"
	}
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	rec := httptest.NewRecorder()
	c.demo.ServeHTTP(rec, req)
	if rec.Code == http.StatusMethodNotAllowed || rec.Code == http.StatusNotFound && !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		c.errorf(n, "%s %s: the demo target answers %d", method, target, rec.Code)
	}
}
