package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/loadgen/loadgen/examples/demo"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "loadgen-cli-*")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "loadgen")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		panic(string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a real target on 127.0.0.1 counting requests.
func server(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.URL.Path == "/fail" {
			w.WriteHeader(500)
		}
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(s.Close)
	return s, &n
}

func writePlan(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "plan.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// cli runs the CLI and returns its exit code, stdout and stderr.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String(), errb.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String(), errb.String()
	}
	t.Fatalf("run loadgen: %v", err)
	return 0, "", ""
}

// waitExit waits for a started command and checks its exit code and that
// it ended within the given time.
func waitExit(t *testing.T, cmd *exec.Cmd, want int, within time.Duration) {
	t.Helper()
	begin := time.Now()
	err := cmd.Wait()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("wait: %v", err)
	}
	if code != want {
		t.Fatalf("exit %d, want %d", code, want)
	}
	if d := time.Since(begin); d > within {
		t.Errorf("stopping took %s, want <= %s", d, within)
	}
}

// copyPlan copies a plan and the users.csv beside it into a temporary
// folder, with its first duration written as long replaced by 2s, and
// returns the copy's path.
func copyPlan(t *testing.T, path, long string) string {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	users, err := os.ReadFile(filepath.Join(filepath.Dir(path), "users.csv"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	plan := filepath.Join(dir, filepath.Base(path))
	if err := os.WriteFile(plan, []byte(strings.Replace(string(src), long, "duration: 2s", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "users.csv"), users, 0o644); err != nil {
		t.Fatal(err)
	}
	return plan
}

// readJTL reads results.jtl of an output folder as CSV records (header first).
func readJTL(t *testing.T, dir string) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "results.jtl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("results.jtl is not valid CSV: %v", err)
	}
	return rows
}

const shortPlan = `version: 1
name: cli
target: TARGET
scenarios:
  - name: s
    executor: per-vu-iterations
    vus: 2
    iterations: 5
    steps:
      - name: get
        request: {url: PATH}
thresholds:
  http_req_failed: ["rate < 0.5"]
`

func TestRunExitCodes(t *testing.T) {
	srv, hits := server(t)
	tests := []struct {
		name string
		path string
		want int
	}{
		{"thresholds pass", "/ok", exitOK},
		{"thresholds fail", "/fail", exitThresholds},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := writePlan(t, strings.NewReplacer("TARGET", srv.URL, "PATH", tt.path).Replace(shortPlan))
			out := t.TempDir()
			code, stdout, stderr := cli(t, "run", plan, "--out", out)
			if code != tt.want {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tt.want, stdout, stderr)
			}
			var sum struct {
				Total struct{ Count int64 } `json:"total"`
			}
			b, err := os.ReadFile(filepath.Join(out, "summary.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &sum); err != nil || sum.Total.Count != 10 {
				t.Fatalf("summary count %d err %v", sum.Total.Count, err)
			}
			if !strings.Contains(stdout, "thresholds:") || !strings.Contains(stdout, out) {
				t.Errorf("stdout lacks the summary or the output path:\n%s", stdout)
			}
		})
	}
	if hits.Load() != 20 {
		t.Errorf("server saw %d requests, want 20", hits.Load())
	}
}

func TestInvalidPlanExit2NothingSent(t *testing.T) {
	srv, hits := server(t)
	plan := writePlan(t, strings.NewReplacer("TARGET", srv.URL, "PATH", "/ok", "iterations: 5", "iteratons: 5").Replace(shortPlan))
	for _, args := range [][]string{{"validate", plan}, {"run", plan, "--out", t.TempDir()}} {
		cmd := args[0]
		code, _, stderr := cli(t, args...)
		if code != exitUsage {
			t.Fatalf("%s: exit %d, want 2\n%s", cmd, code, stderr)
		}
		if !regexp.MustCompile(`plan\.yaml:8:5: .*iteratons.*iterations`).MatchString(stderr) {
			t.Errorf("%s: stderr lacks file:line:col with a hint:\n%s", cmd, stderr)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("%d requests sent for an invalid plan", hits.Load())
	}
	good := writePlan(t, strings.NewReplacer("TARGET", srv.URL, "PATH", "/ok").Replace(shortPlan))
	if code, out, errs := cli(t, "validate", good); code != 0 || !strings.Contains(out, "ok") {
		t.Errorf("validate good plan: exit %d\n%s%s", code, out, errs)
	}
}

func TestOutputNotWritableExit2(t *testing.T) {
	srv, hits := server(t)
	plan := writePlan(t, strings.NewReplacer("TARGET", srv.URL, "PATH", "/ok").Replace(shortPlan))
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := cli(t, "run", plan, "--out", filepath.Join(file, "sub"))
	if code != exitUsage || !strings.Contains(stderr, "output folder") {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	if hits.Load() != 0 {
		t.Errorf("%d requests sent before the output check", hits.Load())
	}
	if code, _, stderr := cli(t, "run", plan, "--jtl-sample", "2"); code != exitUsage {
		t.Errorf("bad --jtl-sample: exit %d %s", code, stderr)
	}
}

func TestSignalFlushesAndExits130(t *testing.T) {
	srv, _ := server(t)
	plan := writePlan(t, `version: 1
name: long
target: `+srv.URL+`
scenarios:
  - name: s
    executor: constant-vus
    vus: 3
    duration: 1m
    think_time: 10ms
    steps:
      - name: get
        request: {url: /ok}
`)
	out := t.TempDir()
	cmd := exec.Command(binary, "run", plan, "--out", out)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	_ = cmd.Process.Signal(syscall.SIGINT)
	waitExit(t, cmd, exitInterrupted, 5*time.Second)
	rows := readJTL(t, out)
	if len(rows) < 10 {
		t.Fatalf("results.jtl: %d rows", len(rows))
	}
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Run struct {
			Interrupted bool `json:"interrupted"`
		} `json:"run"`
		Total struct{ Count int } `json:"total"`
	}
	if err := json.Unmarshal(b, &sum); err != nil || !sum.Run.Interrupted || sum.Total.Count != len(rows)-1 {
		t.Errorf("summary %+v (err %v), JTL rows %d", sum, err, len(rows)-1)
	}
}

func TestSchemaIsJSON(t *testing.T) {
	code, out, _ := cli(t, "schema")
	var v struct {
		Schema string `json:"$schema"`
		Defs   map[string]struct {
			Properties map[string]any `json:"properties"`
		} `json:"$defs"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || !strings.Contains(v.Schema, "json-schema.org") {
		t.Fatalf("schema exit %d, output not a JSON schema: %.200s", code, out)
	}
	if _, ok := v.Defs["Scenario"].Properties["executor"]; !ok {
		t.Errorf("schema has no Scenario.executor property")
	}
}

// TestQuickstart runs the quickstart end to end: the fake API demo target,
// the offline pipeline (architecture → scenarios → plans → JMeter exports),
// the run, the analysis and the report, one printed line per step.
func TestQuickstart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for ~10 s")
	}
	out := t.TempDir()
	begin := time.Now()
	code, stdout, stderr := cli(t, "quickstart", "--out", out, "--quiet")
	took := time.Since(begin)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if took > 45*time.Second {
		t.Errorf("quickstart took %v", took)
	}
	t.Logf("quickstart took %v:\n%s", took, stdout)

	// One line per step, in pipeline order, each naming what it wrote.
	steps := []struct{ name, mentions string }{
		{"target", "http://127.0.0.1:"},
		{"docs", filepath.Join(out, "docs")},
		{"architecture", filepath.Join(out, "architecture.json")},
		{"scenarios", filepath.Join(out, "scenarios.json")},
		{"plans", filepath.Join(out, "plans")},
		{"jmeter", filepath.Join(out, "plans", "jmeter")},
		{"execute", filepath.Join(out, "runs")},
		{"analyze", "results_analysis.json"},
		{"report", "report.html"},
		{"report.html", out},
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	at := 0
	for _, st := range steps {
		found := false
		for ; at < len(lines); at++ {
			if strings.HasPrefix(lines[at], st.name+":") {
				found = true
				if !strings.Contains(lines[at], st.mentions) {
					t.Errorf("step %s: %q does not mention %q", st.name, lines[at], st.mentions)
				}
				break
			}
		}
		if !found {
			t.Fatalf("no %q line in order in:\n%s", st.name, stdout)
		}
	}

	// The files each step claims.
	plan := filepath.Join(out, "plans", "load.yaml")
	run := filepath.Join(out, "runs", "load")
	for _, f := range []string{
		filepath.Join(out, "docs", "openapi.yaml"), filepath.Join(out, "docs", "architecture.md"), filepath.Join(out, "docs", "nfrs.yaml"),
		filepath.Join(out, "architecture.json"), filepath.Join(out, "scenarios.json"), plan,
		filepath.Join(out, "plans", "jmeter", "load.jmx"), filepath.Join(out, "plans", "jmeter", "load", "pom.xml"),
		filepath.Join(run, "results.jtl"), filepath.Join(run, "latency.hlog"), filepath.Join(run, "summary.json"),
		filepath.Join(run, "results_analysis.json"), filepath.Join(run, "report.html"),
	} {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty", f)
		}
	}
	last := lines[len(lines)-1]
	if want := "report.html: " + filepath.Join(run, "report.html"); last != want {
		t.Errorf("last line %q, want %q", last, want)
	}
	if b, _ := os.ReadFile(filepath.Join(run, "report.html")); !strings.Contains(string(b), "<html") {
		t.Error("report.html is not HTML")
	}

	// The run followed the generated journey against the fake API: every
	// step of the plan has rows, and the login's token created orders.
	var sum struct {
		Total struct {
			Count  int64            `json:"count"`
			Status map[string]int64 `json:"status"`
		} `json:"total"`
		Steps []struct {
			Label string `json:"label"`
			Count int64  `json:"count"`
		} `json:"steps"`
		ThresholdsOK bool `json:"thresholds_ok"`
	}
	b, err := os.ReadFile(filepath.Join(run, "summary.json"))
	if err != nil || json.Unmarshal(b, &sum) != nil {
		t.Fatalf("summary.json: %v", err)
	}
	src, _ := os.ReadFile(plan)
	for _, st := range sum.Steps {
		if st.Count == 0 || !strings.Contains(string(src), "name: "+st.Label) {
			t.Errorf("step %q: %d requests (in the plan: %v)", st.Label, st.Count, strings.Contains(string(src), "name: "+st.Label))
		}
	}
	if len(sum.Steps) < 3 || sum.Total.Count < 50 || sum.Total.Status["201"] == 0 || !sum.ThresholdsOK {
		t.Errorf("summary: %d steps, %d requests, statuses %v, thresholds ok %v", len(sum.Steps), sum.Total.Count, sum.Total.Status, sum.ThresholdsOK)
	}
}

// TestQuickstartInterrupted: Ctrl-C during the run stops it gracefully;
// the partial run is still analysed and reported, and the exit code is 130.
func TestQuickstartInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the quickstart")
	}
	out := t.TempDir()
	cmd := exec.Command(binary, "quickstart", "--out", out, "--quiet")
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(30 * time.Second)
	for waiting := true; waiting; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("quickstart ended before its run")
			}
			waiting = !strings.HasPrefix(l, "jmeter:")
		case <-deadline:
			t.Fatal("no jmeter line within 30 s")
		}
	}
	time.Sleep(time.Second) // into the run
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	waitExit(t, cmd, 130, 15*time.Second)
	pw.Close()
	var rest []string
	for l := range lines {
		rest = append(rest, l)
	}
	report := filepath.Join(out, "runs", "load", "report.html")
	if st, err := os.Stat(report); err != nil || st.Size() == 0 {
		t.Errorf("no report after the interrupt: %v", err)
	}
	if len(rest) == 0 || rest[len(rest)-1] != "report.html: "+report {
		t.Errorf("lines after the interrupt: %q", rest)
	}
}

// TestPlanFormatExampleRuns runs the example of PLAN_FORMAT.md (shortened
// from 1 min to 2 s) against the demo target.
func TestPlanFormatExampleRuns(t *testing.T) {
	plan := copyPlan(t, "../../planspec/testdata/plan_format_example.yaml", "duration: 1m")
	url, stop, err := demo.Start(context.Background(), "127.0.0.1:0", demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer stop(context.Background())

	t.Setenv("API_KEY", "test-key")
	if code, out, errs := cli(t, "validate", plan); code != 0 {
		t.Fatalf("validate: exit %d\n%s%s", code, out, errs)
	}
	out := t.TempDir()
	code, stdout, stderr := cli(t, "run", plan, "--target", url, "--out", out, "--quiet")
	if code != exitOK && code != exitThresholds {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	rows := readJTL(t, out)
	labels := map[string]int{}
	for _, r := range rows[1:] {
		labels[r[2]]++
	}
	for _, l := range []string{"list products", "login", "add to cart", "checkout"} {
		if labels[l] == 0 {
			t.Errorf("no JTL row for %q (labels %v)", l, labels)
		}
	}
	if labels["list products"] < 300 {
		t.Errorf("%d list products rows, want ~400 (200/s for 2 s)", labels["list products"])
	}
}

func TestSecondSignalStopsAtOnce(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(30 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	plan := writePlan(t, `version: 1
name: hang
target: `+slow.URL+`
scenarios:
  - name: s
    executor: constant-vus
    vus: 2
    duration: 1m
    graceful_stop: 1m
    steps:
      - name: hang
        request: {url: /, timeout: 1m}
`)
	out := t.TempDir()
	cmd := exec.Command(binary, "run", plan, "--out", out, "--quiet")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	_ = cmd.Process.Signal(syscall.SIGINT) // graceful: would wait up to 1 min
	time.Sleep(300 * time.Millisecond)
	_ = cmd.Process.Signal(syscall.SIGTERM) // now
	waitExit(t, cmd, exitInterrupted, 5*time.Second)
	if _, err := os.Stat(filepath.Join(out, "summary.json")); err != nil {
		t.Errorf("summary.json not written: %v", err)
	}
}

// TestExamplePlans validates every example plan and runs the user-flow
// example (shortened) against the demo target, which only accepts the
// tokens it issued.
func TestExamplePlans(t *testing.T) {
	plans, err := filepath.Glob("../../examples/plans/*.yaml")
	if err != nil || len(plans) < 8 {
		t.Fatalf("example plans: %v %v", plans, err)
	}
	if code, out, errs := cli(t, append([]string{"validate"}, plans...)...); code != 0 || strings.Contains(errs, "warning") {
		t.Fatalf("validate examples: exit %d\n%s%s", code, out, errs)
	}
	plan := copyPlan(t, "../../examples/plans/flow.yaml", "duration: 10s")
	url, stop, err := demo.Start(context.Background(), "127.0.0.1:0", demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer stop(context.Background())
	out := t.TempDir()
	code, stdout, stderr := cli(t, "run", plan, "--target", url, "--out", out, "--quiet")
	if code != 0 {
		t.Fatalf("flow example: exit %d\n%s\n%s", code, stdout, stderr)
	}
	labels := map[string]int{}
	for _, r := range readJTL(t, out)[1:] {
		labels[r[2]]++
		if r[7] != "true" {
			t.Errorf("failed row %q", r)
		}
	}
	if labels["login"] == 0 || labels["login"] != labels["add to cart"] || labels["checkout"] != labels["add to cart"] {
		t.Errorf("rows per label %v", labels)
	}
}

// TestAnalysisCommands runs two small runs, then analyze, report, compare
// and merge on their folders.
func TestAnalysisCommands(t *testing.T) {
	srv, _ := server(t)
	plan := writePlan(t, strings.NewReplacer("TARGET", srv.URL, "PATH", "/ok", "iterations: 5", "iterations: 50").Replace(shortPlan))
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if code, out, errs := cli(t, "run", plan, "--out", dir, "--quiet"); code != 0 {
			t.Fatalf("run: exit %d\n%s%s", code, out, errs)
		}
		for _, f := range []string{analysisFile, reportFile} {
			if !fileExists(filepath.Join(dir, f)) {
				t.Errorf("run did not write %s", f)
			}
		}
	}
	nfr := filepath.Join(t.TempDir(), "nfr.yaml")
	if err := os.WriteFile(nfr, []byte("response_time_p95: 5s\nerror_rate: \"<1%\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	code, stdout, stderr := cli(t, "analyze", a, "--nfr", nfr, "--out", out)
	if code != 0 || !strings.Contains(stdout, "grade ") || !strings.Contains(stdout, "response_time_p95") {
		t.Fatalf("analyze: exit %d\n%s%s", code, stdout, stderr)
	}
	var an struct {
		Total struct{ Samples int64 } `json:"total"`
		NFRs  []struct{ Pass bool }   `json:"nfrs"`
		Grade struct{ Letter string } `json:"grade"`
	}
	raw, err := os.ReadFile(filepath.Join(out, analysisFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &an); err != nil || an.Total.Samples != 100 || len(an.NFRs) != 2 || an.Grade.Letter == "" {
		t.Fatalf("analysis %+v err %v", an, err)
	}
	strict := filepath.Join(t.TempDir(), "strict.yaml")
	if err := os.WriteFile(strict, []byte("response_time_p95: 1us\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := cli(t, "analyze", a, "--nfr", strict, "--out", t.TempDir()); code != exitThresholds {
		t.Errorf("unmet NFR: exit %d, want 99", code)
	}
	if code, out, errs := cli(t, "report", a, "--out", out); code != 0 || !strings.Contains(out, reportFile) {
		t.Errorf("report: exit %d\n%s%s", code, out, errs)
	}
	code, stdout, stderr = cli(t, "compare", a, b, "--out", out)
	if code != 0 && code != exitRuntime {
		t.Fatalf("compare: exit %d\n%s%s", code, stdout, stderr)
	}
	if !fileExists(filepath.Join(out, comparisonFile)) {
		t.Errorf("compare wrote no %s", comparisonFile)
	}
	merged := t.TempDir()
	if code, out, errs := cli(t, "merge", a, b, "--out", merged); code != 0 || !strings.Contains(out, "200 rows") {
		t.Fatalf("merge: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := cli(t, "analyze", merged); code != 0 || !strings.Contains(out, "200 samples") {
		t.Errorf("analyze merged: exit %d\n%s%s", code, out, errs)
	}
	empty := filepath.Join(t.TempDir(), "empty.jtl")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := cli(t, "analyze", empty); code != exitUsage || errs == "" {
		t.Errorf("empty JTL: exit %d, stderr %q", code, errs)
	}
}
