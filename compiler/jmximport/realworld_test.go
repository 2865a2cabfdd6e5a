package jmximport

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/planspec"
)

// realWorld describes what each public .jmx of testdata/realworld (see
// SOURCES.md) must import to, as verified by reading the file.
var realWorld = []struct {
	file      string
	scenarios []string
	executors []string
	steps     []string            // request step names, in order
	groups    []string            // transaction names
	extract   map[string][]string // step → extracted variables
	checks    map[string][]string // step → checks
	feeders   map[string][]string // feeder → columns
	// unsupported and warnings are substrings of report lines ("path:
	// severity") that must be present.
	unsupported []string
	warnings    []string
	// hosts are the public hosts the file names.
	hosts []string
}{
	{
		file:      "build-adv-web-test-plan.jmx", // JMeter 2.10
		scenarios: []string{"JMeter Users"},
		executors: []string{planspec.PerVUIterations},
		steps:     []string{"Home Page", "Changes", "BugDetail Page"},
		extract:   map[string][]string{"Changes": {"bugId"}},
		checks: map[string][]string{
			"Home Page":      {"status == 200", `body contains "<title>Apache JMeter - Apache JMeter&trade;</title>"`},
			"BugDetail Page": {"status == 200", `body contains "This is <b>ASF Bugzilla</b>: the Apache Software Foundation bug system"`},
		},
		feeders: map[string][]string{"login": {"login", "password"}},
		warnings: []string{
			"build-adv-web-test-plan: warning: saved by JMeter 2.10",
			"build-adv-web-test-plan/loginData: warning: CSV file",
			"JMeter Users/Changes/Wait5s Before Page: warning: Gaussian timer",
			"JMeter Users/Changes/randomBugIdExtractor: warning: JMeter picks a random match",
		},
		hosts: []string{"jmeter.apache.org", "bz.apache.org", "www.example.com"},
	},
	{
		file:      "existing-BlazeDemo.jmx", // JMeter 3.2
		scenarios: []string{"Thread Group"},
		executors: []string{planspec.PerVUIterations},
		steps:     []string{"${home_label_name}", "http://blazedemo.com/reserve.php", "http://blazedemo.com/purchase.php", "http://blazedemo.com/confirmation.php"},
		warnings: []string{
			"Demo/HTTP Cache Manager: warning",
			"Demo/HTTP Cookie Manager: warning: clear cookies each iteration",
		},
		hosts: []string{"blazedemo.com"},
	},
	{
		file:      "full.jmx", // JMeter 5.0, grafana/jmeter-to-k6's kitchen sink
		scenarios: []string{"jp@gc - Stepping Thread Group (deprecated)", "Thread Group"},
		executors: []string{planspec.RampingVUs, planspec.PerVUIterations},
		steps:     []string{"HTTP Request", "HTTP Request (2)", "HTTP Request (3)"},
		groups:    []string{"Transaction Controller"},
		extract:   map[string][]string{"HTTP Request (3)": {"e", "f", "h"}},
		checks:    map[string][]string{"HTTP Request (3)": {successCheck, "duration <= 4000"}},
		feeders:   map[string][]string{"file": {"first", "second", "third"}},
		unsupported: []string{
			"Test Plan/setUp Thread Group: unsupported",
			"Test Plan/tearDown Thread Group: unsupported",
			"Test Plan/Thread Group/DNS Cache Manager: unsupported",
			"Test Plan/Thread Group/HTTP Cookie Manager: unsupported: predefined cookies",
			"Test Plan/Thread Group/Once Only Controller: unsupported",
			"Test Plan/Thread Group/Once Only Controller/HTTP Authorization Manager: unsupported",
			"Test Plan/Thread Group/If Controller: unsupported",
			"Test Plan/Thread Group/Simple Controller/XPath Assertion: unsupported",
			"Test Plan/Thread Group/Simple Controller/jp@gc - JSON\\/YAML Path Assertion: unsupported",
			"Test Plan/Thread Group/Simple Controller/CSS Selector Extractor: unsupported",
			"Test Plan/Thread Group/Simple Controller/ForEach Controller: unsupported",
			"Simple Controller/ForEach Controller/Interleave Controller: unsupported",
			"Interleave Controller/While Controller: unsupported",
			"While Controller/Transaction Controller/Random Controller: unsupported",
			"Test Plan/Thread Group/Runtime Controller: unsupported",
			"Runtime Controller/Loop Controller/JSR223 PreProcessor: unsupported",
			"Runtime Controller/Loop Controller/BeanShell PostProcessor: unsupported",
			"Test Plan/Thread Group/Runtime Controller/XPath Extractor: unsupported",
		},
		warnings: []string{
			"Stepping Thread Group (deprecated): warning",
			"Simple Controller/Result Status Action Handler: warning",
		},
		hosts: []string{"example.com", "httpbin.org", "login.example.com"},
	},
	{
		file:      "recorded.jmx", // JMeter 5.2.1, recorded by jmeter-java-dsl's tests
		scenarios: []string{"Thread Group"},
		executors: []string{planspec.PerVUIterations},
		steps:     []string{"/-66 (2)", "/solutions/software-testing-107 (2)"},
		groups:    []string{"/-66", "/solutions/software-testing-107"},
		warnings:  []string{`warning: label "/-66" is taken`},
		hosts:     []string{"abstracta.us"},
	},
	{
		file:      "Weather_API.jmx", // JMeter 5.6.3, from Apache JMeter's examples
		scenarios: []string{"Thread Group"},
		executors: []string{planspec.PerVUIterations},
		steps:     []string{"HTTP Request"},
		checks:    map[string][]string{"HTTP Request": {"status == 200"}},
		feeders:   map[string][]string{"worldcities": {"city", "city_ascii", "lat", "lng", "country", "iso2", "iso3", "admin_name", "capital", "population", "id"}},
		warnings:  []string{"Test Plan/Thread Group/CSV Data Set Config: warning: CSV file"},
		hosts:     []string{"api.open-meteo.com"},
	},
}

func TestRealWorld(t *testing.T) {
	for _, rw := range realWorld {
		t.Run(rw.file, func(t *testing.T) {
			path := filepath.Join("testdata", "realworld", rw.file)
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Import(src, path, Options{PlanDir: t.TempDir()})
			if err != nil {
				t.Fatalf("Import: %v", err)
			}
			p := res.Plan
			var scs, execs []string
			for _, sc := range p.Scenarios {
				scs, execs = append(scs, sc.Name), append(execs, sc.Executor)
			}
			if !slices.Equal(scs, rw.scenarios) || !slices.Equal(execs, rw.executors) {
				t.Errorf("scenarios %q %q, want %q %q", scs, execs, rw.scenarios, rw.executors)
			}
			var steps, groups []string
			byName := map[string]*planspec.Step{}
			for _, st := range p.AllSteps() {
				if st.IsGroup() {
					groups = append(groups, st.Group)
					continue
				}
				steps = append(steps, st.Name)
				byName[st.Name] = st
			}
			if !slices.Equal(steps, rw.steps) || !slices.Equal(groups, rw.groups) {
				t.Errorf("steps %q groups %q, want %q %q", steps, groups, rw.steps, rw.groups)
			}
			for name, want := range rw.extract {
				var got []string
				for k := range byName[name].Extract {
					got = append(got, k)
				}
				sort.Strings(got)
				if !slices.Equal(got, want) {
					t.Errorf("step %q extracts %q, want %q", name, got, want)
				}
			}
			for name, want := range rw.checks {
				if got := byName[name].Check; !slices.Equal(got, want) {
					t.Errorf("step %q checks %q, want %q", name, got, want)
				}
			}
			if len(p.Data) != len(rw.feeders) {
				t.Errorf("feeders %v, want %v", p.Data, rw.feeders)
			}
			for name, cols := range rw.feeders {
				if _, ok := p.Data[name]; !ok {
					t.Errorf("no feeder %q in %v", name, p.Data)
				}
				if !strings.Contains(string(res.YAML), "header row "+strings.Join(cols, ",")) {
					t.Errorf("feeder %q: columns %q not reported", name, cols)
				}
			}
			for _, want := range rw.unsupported {
				if !hasIssue(res.Unsupported, want) {
					t.Errorf("report lacks %q", want)
				}
			}
			for _, want := range rw.warnings {
				if !hasIssue(res.Warnings, want) {
					t.Errorf("report lacks %q", want)
				}
			}
			if len(rw.unsupported) == 0 && len(res.Unsupported) > 0 {
				t.Errorf("unexpected unsupported elements: %v", res.Unsupported)
			}
			for _, is := range res.Report() {
				if is.Line == 0 || is.Path == "" || is.File != path {
					t.Errorf("report line without position: %v", is)
				}
			}
		})
	}
}

// publicURLRe finds absolute URLs whose host is not the loopback target.
var publicURLRe = regexp.MustCompile(`https?://[^/\s"'<>]+`)

func TestRealWorldTargetRewrite(t *testing.T) {
	const target = "http://127.0.0.1:9"
	for _, rw := range realWorld {
		t.Run(rw.file, func(t *testing.T) {
			path := filepath.Join("testdata", "realworld", rw.file)
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Import(src, path, Options{Target: target, PlanDir: t.TempDir()})
			if err != nil {
				t.Fatalf("Import: %v", err)
			}
			y := string(res.YAML)
			for _, h := range rw.hosts {
				if strings.Contains(y, h) {
					t.Errorf("host %s left in the plan:\n%s", h, y)
				}
			}
			for _, u := range publicURLRe.FindAllString(y, -1) {
				if !strings.HasPrefix(u, target) && !strings.HasPrefix(u, "https://127.0.0.1:9") {
					t.Errorf("URL %s left in the plan", u)
				}
			}
			for _, st := range res.Plan.AllSteps() {
				if st.Request != nil && !strings.HasPrefix(st.Request.URL, "/") {
					t.Errorf("step %q url %q is not relative to the target", st.Name, st.Request.URL)
				}
			}
			if res.Plan.Target != target {
				t.Errorf("target %q", res.Plan.Target)
			}
		})
	}
}

// TestRealWorldRuns runs an imported real-world plan for a moment against
// a local server: the plan the importer writes is one the engine runs.
func TestRealWorldRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the engine")
	}
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte("<title>ok</title>"))
	}))
	defer srv.Close()
	path := filepath.Join("testdata", "realworld", "existing-BlazeDemo.jmx")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Import(src, path, Options{Target: srv.URL, PlanDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	// Keep the run short: no think time, one iteration.
	p := res.Plan
	p.Scenarios[0].ThinkTime = nil
	for i := range p.Scenarios[0].Steps {
		p.Scenarios[0].Steps[i].ThinkTime = nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sum, err := loadgen.Run(ctx, p, loadgen.Options{Out: t.TempDir()})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if got := hits.Load(); got != 4 || sum == nil {
		t.Errorf("server got %d requests, want 4", got)
	}
}
