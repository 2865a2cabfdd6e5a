package dslexport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/compiler/internal/jmetertest"
	"github.com/loadgen/loadgen/examples/demo"
	"github.com/loadgen/loadgen/loadgen/record"
	"github.com/loadgen/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/planspec"
)

// runTimeout bounds the one Maven run of every exported project.
const runTimeout = 8 * time.Minute

// featuresPlan exercises what the examples do not: extractors of every
// kind checked through the URLs they feed, env properties, plan vars,
// forms, query strings, stop_iteration, start times and every executor
// variant. Its target is replaced by -Dtarget.
const featuresPlan = `version: 1
name: features
target: http://127.0.0.1:9/
vars:
  greeting: hello world
  region: ${env.LOADGEN_DSL_REGION:-eu}
http:
  timeout: 5s
  headers: {X-Plan: features}
data:
  users: {file: users.csv, share: vu}
  shared: {file: users.csv}
scenarios:
  - name: flow
    executor: per-vu-iterations
    vus: 2
    iterations: 4
    think_time: 5ms
    steps:
      - name: login
        request:
          method: POST
          url: /api/auth/login
          json: {user: "${users.name}", password: "${users.password}"}
        extract:
          token: {json: $.token}
          loc: {header: location}
        check: [status == 200, 'json.token != ""']
      - name: products
        request: {url: /api/products, query: {page: "2"}}
        extract:
          first: {regex: '"name":"(\w+) '}
          whole: {regex: 'Widget \d+'}
          sku: {json: '$.items[*].sku'}
        check: ['body contains "Widget"', 'len(json.items) == 10', 'duration < 5000']
      - name: echo
        request:
          url: /status/200
          query:
            loc: ${loc}
            first: ${first}
            whole: ${whole}
            sku: ${sku}
            greeting: ${greeting}
            region: ${region}
            probe: ${env.LOADGEN_DSL_PROBE:-unset}
            user: ${users.name}
        check: [status == 200]
      - group: cart
        steps:
          - name: add
            request: {method: POST, url: /api/cart, headers: {Authorization: "Bearer ${token}"}, json: {sku: 1}}
            check: ['status in [200, 201]']
          - name: form post
            request: {method: POST, url: /api/auth/login, form: {user: "${shared.name}"}}
            check: [status == 400]
          - name: put form
            request: {method: PUT, url: /status/200, query: {q: "a b"}, form: {x: "${greeting}"}}
            check: [status != 500]
      - name: fail and stop
        request: {url: /status/503}
        check: [status == 200]
        on_failure: stop_iteration
      - name: never reached
        request: {url: /health}
  - name: delayed
    executor: constant-vus
    vus: 1
    duration: 1s
    start_time: 2s
    think_time: 20ms
    steps:
      - name: delayed health
        request: {url: /health}
        check: [status == 200]
  - name: ramp
    executor: ramping-vus
    start_vus: 1
    start_time: 1s
    stages: [{duration: 1s, target: 2}, {duration: 1s, target: 2}]
    think_time: 50ms
    steps:
      - name: ramp health
        request: {url: /health}
  - name: shared
    executor: shared-iterations
    vus: 3
    iterations: 7
    start_time: 1s
    steps:
      - name: shared health
        request: {url: /health}
  - name: late arrivals
    executor: ramping-arrival-rate
    start_rate: 120
    time_unit: 1m
    pre_allocated_vus: 2
    stages: [{duration: 2s, target: 240}, {duration: 1s, target: 0}]
    steps:
      - name: late health
        request: {url: /health}
thresholds:
  "http_req_duration{step:login}": ["p(95) < 5000", "max < 10000"]
  http_req_failed: ["rate < 0.5"]
  "http_reqs{scenario:shared}": ["count == 7"]
`

// hostilePlan has labels and values that Java, JMeter and CSV quoting
// must all carry unchanged.
const hostilePlan = `version: 1
name: 'hostile "plan", back\slash ünï ${x} */'
target: http://127.0.0.1:9
vars:
  weird: 'a "quoted" \ value ${env.LOADGEN_DSL_NOPE:-d,ef}'
http: {keepalive: false, cookies: false}
data:
  users: {file: users.csv, order: random}
scenarios:
  - name: 'tg "quoted", back\slash ✓'
    executor: per-vu-iterations
    vus: 1
    iterations: 2
    start_time: 1s
    steps:
      - name: 'label, with "quotes" and \backslash'
        request:
          url: /health
          query: {u: '${users.name}', 'k "ü"': 'v\ ${weird}'}
          headers: {X-Weird: 'va"l\ue ü ${weird}'}
        check: ['body contains "\"status\""']
      - name: 'ünïcødé ✓ 日本語 😀'
        request: {url: '/status/200?q=%C3%BC'}
      - name: 'literal ${dollar} and \${more} */ \u000a'
        request: {url: /health}
      - group: 'group, "quoted" ${g}'
        steps:
          - name: "tab\there"
            request:
              method: POST
              url: /api/auth/login
              json: {user: 'ü "q" \ ${weird}', password: x}
            check: ['upper(body) != "*/ \\u000a"', status == 200]
`

// module is one exported project of the Maven run and what its JTL must
// show.
type module struct {
	name  string
	dir   string
	plan  *planspec.Plan
	check func(t *testing.T, m *module, rows []results.Row, mvnOut string)
}

// TestRunInJMeter exports every example plan (and the features and
// hostile plans), runs all the projects in one Maven invocation against
// the demo target, and checks their JTLs.
func TestRunInJMeter(t *testing.T) {
	if testing.Short() {
		t.Skip("runs JMeter for minutes")
	}
	if os.Getenv(jmetertest.RequireEnv) == "" {
		for _, tool := range []string{"java", "mvn"} {
			if _, err := exec.LookPath(tool); err != nil {
				t.Skipf("%s not in PATH (set %s=1 to fail instead)", tool, jmetertest.RequireEnv)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	target, stop, err := demo.Start(ctx, "127.0.0.1:0", demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer stop(context.Background())

	root := t.TempDir()
	start := time.Now()
	var mods []*module
	examples, err := filepath.Glob("../../examples/plans/*.yaml")
	if err != nil || len(examples) == 0 {
		t.Fatalf("no example plans: %v", err)
	}
	for _, f := range examples {
		p, err := planspec.ParseFile(f, planspec.Options{})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		mods = append(mods, &module{name: strings.TrimSuffix(filepath.Base(f), ".yaml"), plan: p, check: checkExample})
	}
	plansDir := filepath.Join(root, "plans")
	if err := os.MkdirAll(plansDir, 0o755); err != nil {
		t.Fatal(err)
	}
	csv, err := os.ReadFile("../../examples/plans/users.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(plansDir, "users.csv"), csv, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, m := range []*module{{name: "features", check: checkFeatures}, {name: "hostile", check: checkHostile}} {
		src := map[string]string{"features": featuresPlan, "hostile": hostilePlan}[m.name]
		path := filepath.Join(plansDir, m.name+".yaml")
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		if m.plan, err = planspec.ParseFile(path, planspec.Options{}); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
		mods = append(mods, m)
	}
	var modules strings.Builder
	for _, m := range mods {
		m.dir = filepath.Join(root, m.name)
		warns, err := Export(m.plan, m.dir, Options{ArtifactID: "dsl-" + m.name})
		if err != nil {
			t.Fatalf("export %s: %v", m.name, err)
		}
		for _, w := range warns {
			t.Logf("%s: warning %s", m.name, w)
		}
		fmt.Fprintf(&modules, "    <module>%s</module>\n", m.name)
	}
	aggregator := `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>loadgen</groupId>
  <artifactId>dslexport-it</artifactId>
  <version>1.0.0</version>
  <packaging>pom</packaging>
  <modules>
` + modules.String() + `  </modules>
</project>
`
	if err := os.WriteFile(filepath.Join(root, "pom.xml"), []byte(aggregator), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("exported %d projects in %s", len(mods), time.Since(start).Round(time.Millisecond))

	// One Maven run for all: JVM starts are slow. A failed test of one
	// project must not stop the others: each is judged below.
	mvnStart := time.Now()
	out, err := jmetertest.RunMaven(ctx, t, root, "test", "-Dtarget="+target,
		"-DLOADGEN_DSL_PROBE=probe-value", "-Dloadgen.thresholds="+thresholdMode(), "-Dmaven.test.failure.ignore=true")
	t.Logf("mvn test of %d projects: %s", len(mods), time.Since(mvnStart).Round(time.Second))
	if err != nil {
		t.Fatalf("%v", err)
	}
	for _, m := range mods {
		t.Run(m.name, func(t *testing.T) {
			checkSurefire(t, m, out)
			rows := readJTL(t, filepath.Join(m.dir, filepath.FromSlash(JTLPath)))
			m.check(t, m, rows, out)
		})
	}
}

var surefireTime = regexp.MustCompile(`<testsuite [^>]*?time="([0-9.]+)"`)

var surefireCounts = regexp.MustCompile(`tests="(\d+)"[^>]*?errors="(\d+)"[^>]*?skipped="(\d+)"[^>]*?failures="(\d+)"`)

// thresholdMode is how the generated tests treat failed thresholds: the
// examples' latency thresholds are for a quiet machine, so by default they
// are only reported; LOADGEN_DSL_THRESHOLDS=fail makes them fail the run.
func thresholdMode() string {
	if os.Getenv("LOADGEN_DSL_THRESHOLDS") == "fail" {
		return "fail"
	}
	return "report"
}

// checkSurefire fails when the project's JUnit test did not pass.
func checkSurefire(t *testing.T, m *module, mvnOut string) {
	t.Helper()
	reports, _ := filepath.Glob(filepath.Join(m.dir, "target", "surefire-reports", "TEST-*.xml"))
	if len(reports) != 1 {
		t.Fatalf("want one surefire report, found %d; mvn output:\n%s", len(reports), mvnOut)
	}
	data, err := os.ReadFile(reports[0])
	if err != nil {
		t.Fatal(err)
	}
	if tm := surefireTime.FindSubmatch(data); tm != nil {
		t.Logf("JUnit test ran %ss", tm[1])
	}
	c := surefireCounts.FindSubmatch(data)
	if c == nil {
		t.Fatalf("%s: no counts", reports[0])
	}
	if string(c[1]) != "1" || string(c[2]) != "0" || string(c[3]) != "0" || string(c[4]) != "0" {
		txt, _ := filepath.Glob(filepath.Join(m.dir, "target", "surefire-reports", "*.txt"))
		var detail []byte
		if len(txt) > 0 {
			detail, _ = os.ReadFile(txt[0])
		}
		t.Errorf("JUnit test did not pass (tests %s, errors %s, skipped %s, failures %s):\n%s", c[1], c[2], c[3], c[4], detail)
	}
}

// readJTL reads a JTL with our analyzer's reader and checks that it is
// JMeter's default CSV, every row readable, and that the analyzer reads it.
func readJTL(t *testing.T, path string) []results.Row {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := results.NewJTLReader(f, path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(r.Header(), ","), strings.TrimSpace(record.JTLHeader); got != want {
		t.Errorf("JTL header:\n got %s\nwant %s", got, want)
	}
	var rows []results.Row
	for {
		var row results.Row
		err := r.Next(&row)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
	if r.Skipped() > 0 {
		t.Errorf("%d unreadable JTL rows: %v", r.Skipped(), r.SkippedExamples())
	}
	a, err := results.Analyze(context.Background(), path, results.Options{})
	if err != nil {
		t.Fatalf("analyze: %v", err)
	}
	if a.SkippedRows > 0 || a.Source.Rows != int64(len(rows)) {
		t.Errorf("analyzer: %d rows, %d skipped; reader: %d rows", a.Source.Rows, a.SkippedRows, len(rows))
	}
	return rows
}

// labelStats are the rows of one label.
type labelStats struct {
	count, failed int
	first         int64 // earliest timeStamp
	rows          []results.Row
}

func byLabel(rows []results.Row) (map[string]*labelStats, int64) {
	m := map[string]*labelStats{}
	t0 := int64(math.MaxInt64)
	for _, r := range rows {
		s := m[r.Label]
		if s == nil {
			s = &labelStats{first: math.MaxInt64}
			m[r.Label] = s
		}
		s.count++
		if !r.Success {
			s.failed++
		}
		s.first = min(s.first, r.TimeStamp)
		s.rows = append(s.rows, r)
		t0 = min(t0, r.TimeStamp)
	}
	return m, t0
}

// planLabels returns every step and group label of a scenario.
func planLabels(steps []planspec.Step) []string {
	var out []string
	for i := range steps {
		out = append(out, steps[i].Label())
		out = append(out, planLabels(steps[i].Steps)...)
	}
	return out
}

// expectedIterations is the number of iterations an arrival-rate scenario
// starts: the integral of its rate; and the rates (per second) it starts
// and ends with.
func expectedIterations(sc *planspec.Scenario) (total, first, last float64) {
	unit := sc.TimeUnit.D().Seconds()
	if sc.Executor == planspec.ConstantArrivalRate {
		r := *sc.Rate / unit
		return r * sc.Duration.D().Seconds(), r, r
	}
	cur := *sc.StartRate / unit
	first = cur
	for _, st := range sc.Stages {
		next := st.Target / unit
		total += (cur + next) / 2 * st.Duration.D().Seconds()
		cur = next
	}
	return total, first, cur
}

// checkExample checks an example plan's JTL: every label, counts
// plausible for the executor, and no error (the demo target is healthy,
// and the engine gets none).
func checkExample(t *testing.T, m *module, rows []results.Row, _ string) {
	stats, _ := byLabel(rows)
	for i := range m.plan.Scenarios {
		sc := &m.plan.Scenarios[i]
		for _, label := range planLabels(sc.Steps) {
			s := stats[label]
			if s == nil {
				t.Errorf("scenario %s: label %q missing from the JTL", sc.Name, label)
				continue
			}
			if s.failed > 0 {
				t.Errorf("label %q: %d of %d samples failed; first: %+v", label, s.failed, s.count, firstFailure(s))
			}
			switch sc.Executor {
			case planspec.PerVUIterations:
				if want := *sc.VUs * *sc.Iterations; s.count != want {
					t.Errorf("label %q: %d samples, want %d (%d VUs × %d iterations)", label, s.count, want, *sc.VUs, *sc.Iterations)
				}
			case planspec.SharedIterations:
				if want := *sc.Iterations; s.count != want {
					t.Errorf("label %q: %d samples, want %d iterations", label, s.count, want)
				}
			case planspec.ConstantArrivalRate, planspec.RampingArrivalRate:
				// JMeter's throughput timer steps the rate each whole second:
				// a partial first second gets the full first-second quota,
				// and the second the schedule ends in runs at the last rate
				want, first, last := expectedIterations(sc)
				if lo, hi := 0.6*want, 1.1*want+max(first, 1)+max(last, 1)+5; float64(s.count) < lo || float64(s.count) > hi {
					t.Errorf("label %q: %d samples, want about %.0f (%.0f..%.0f)", label, s.count, want, lo, hi)
				}
			}
			t.Logf("%-20s %-16s %5d samples", sc.Executor, label, s.count)
		}
	}
}

func firstFailure(s *labelStats) string {
	for _, r := range s.rows {
		if !r.Success {
			return fmt.Sprintf("code %q message %q failure %q url %q", r.ResponseCode, r.ResponseMessage, r.FailureMessage, r.URL)
		}
	}
	return ""
}

// checkFeatures checks the features plan's JTL.
func checkFeatures(t *testing.T, m *module, rows []results.Row, mvnOut string) {
	stats, t0 := byLabel(rows)
	count := func(label string) int {
		if s := stats[label]; s != nil {
			return s.count
		}
		return 0
	}
	for _, label := range []string{"login", "products", "echo", "add", "form post", "put form", "cart", "fail and stop"} {
		if got := count(label); got != 8 {
			t.Errorf("label %q: %d samples, want 8 (2 VUs × 4 iterations)", label, got)
		}
	}
	if got := count("never reached"); got != 0 {
		t.Errorf("never reached: %d samples, want 0 (on_failure: stop_iteration)", got)
	}
	if got := count("shared health"); got != 7 {
		t.Errorf("shared health: %d samples, want exactly 7 shared iterations", got)
	}
	for label, delay := range map[string]int64{"delayed health": 2000, "ramp health": 1000, "shared health": 1000} {
		s := stats[label]
		if s == nil {
			t.Errorf("label %q missing", label)
			continue
		}
		// JMeter starts thread groups together, within a few ms
		if got := s.first - t0; got < delay-500 {
			t.Errorf("%s: first sample %dms after the test start, want about %dms (start_time)", label, got, delay)
		}
	}
	if got := count("late health"); got < 4 || got > 14 {
		t.Errorf("late health: %d samples, want about 8 (2/s to 4/s in 2s, to 0 in 1s)", got)
	}
	for label, s := range stats {
		want := 0
		if label == "fail and stop" {
			want = 8
		}
		if s.failed != want {
			t.Errorf("label %q: %d failed samples, want %d; first: %s", label, s.failed, want, firstFailure(s))
		}
	}
	if s := stats["fail and stop"]; s != nil {
		for _, r := range s.rows {
			if r.FailureMessage != "status == 200" || r.ResponseCode != "503" {
				t.Errorf("fail and stop: code %q failureMessage %q, want 503 and the check's source", r.ResponseCode, r.FailureMessage)
				break
			}
		}
	}
	if s := stats["put form"]; s != nil && s.rows[0].ResponseCode != "405" {
		t.Errorf("put form: code %s, want 405 (a success: the check ignores the status)", s.rows[0].ResponseCode)
	}
	if s := stats["cart"]; s != nil && !s.rows[0].Transaction {
		t.Errorf("cart: not a transaction row: %+v", s.rows[0])
	}
	// thresholds the DSL's statistics compute exactly
	for _, want := range []string{"threshold http_reqs{scenario:shared}: count == 7: ok",
		"threshold http_req_failed: rate < 0.5: ok", "threshold http_req_duration{step:login}: max < 10000: ok"} {
		if !strings.Contains(mvnOut, want) {
			t.Errorf("the test did not print %q", want)
		}
	}
	// what the extractors, vars and properties produced, seen in the URLs
	var urls []string
	if s := stats["echo"]; s != nil {
		for _, r := range s.rows {
			urls = append(urls, r.URL)
		}
	}
	all := strings.Join(urls, "\n")
	for _, want := range []string{"loc=%2Fapi%2Fusers%2Falice", "first=Gadget", "whole=Widget+20", "sku=11",
		"greeting=hello+world", "region=eu", "probe=probe-value", "user=alice", "user=bob", "user=carol%2C+jr", "user=dave"} {
		if !strings.Contains(all, want) {
			t.Errorf("no echo URL has %q:\n%s", want, all)
		}
	}
}

// checkHostile checks that every label arrives in the JTL unchanged.
func checkHostile(t *testing.T, m *module, rows []results.Row, _ string) {
	stats, _ := byLabel(rows)
	want := planLabels(m.plan.Scenarios[0].Steps)
	var got []string
	for label, s := range stats {
		got = append(got, label)
		if s.count != 2 || s.failed != 0 {
			t.Errorf("label %q: %d samples, %d failed, want 2 and 0; first: %s", label, s.count, s.failed, firstFailure(s))
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		t.Errorf("JTL labels:\n got %q\nwant %q", got, want)
	}
}
