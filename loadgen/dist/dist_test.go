package dist

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgen/loadgen/examples/demo"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/planspec"
)

// binary is the loadgen executable the local backend starts.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "loadgen-dist-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "loadgen")
	if out, err := exec.Command("go", "build", "-o", binary, "../../cmd/loadgen").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building loadgen: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startDemo serves the demo target on 127.0.0.1.
func startDemo(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	url, shutdown, err := demo.Start(ctx, "127.0.0.1:0", demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = shutdown(context.Background()) })
	return url
}

// writePlan writes a plan file and parses it.
func writePlan(t *testing.T, src string) *planspec.Plan {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plan.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := planspec.ParseFile(path, planspec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func runLocal(t *testing.T, p *planspec.Plan, n int, opts Options) (*Result, string, error) {
	t.Helper()
	out := t.TempDir()
	opts.Workers, opts.Out = n, out
	opts.Backend = &LocalBackend{Executable: binary, Grace: 10 * time.Second}
	if opts.Seed == 0 {
		opts.Seed = 11
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := Run(ctx, p, opts)
	return res, out, err
}

// jtlElapsed reads the elapsed column of a results.jtl.
func jtlElapsed(t *testing.T, path string) []int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, r := range recs[1:] {
		v, err := strconv.ParseInt(r[1], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// hlogHistogram adds every interval of the HDR logs into one histogram.
func hlogHistogram(t *testing.T, paths ...string) *hdr.Histogram {
	t.Helper()
	all := hdr.New(1, 3_600_000_000, 3)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		r := hdr.NewHistogramLogReader(bytes.NewReader(b))
		for {
			h, err := r.NextIntervalHistogram()
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if h == nil {
				break
			}
			if strings.HasSuffix(h.Tag(), ".corrected") {
				continue
			}
			all.Merge(h)
		}
	}
	return all
}

func TestFourWorkersMatchOne(t *testing.T) {
	target := startDemo(t)
	tests := []struct {
		name, scenario string
		exact          bool // the request count is fixed by the plan
	}{
		{"per-vu-iterations", "executor: per-vu-iterations\n    vus: 6\n    iterations: 25", true},
		{"shared-iterations", "executor: shared-iterations\n    vus: 5\n    iterations: 143", true},
		{"constant-arrival-rate", "executor: constant-arrival-rate\n    rate: 300\n    duration: 3s\n    pre_allocated_vus: 8", false},
		{"ramping-arrival-rate", "executor: ramping-arrival-rate\n    start_rate: 50\n    stages: [{duration: 2s, target: 250}, {duration: 1s, target: 250}]\n    pre_allocated_vus: 8", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writePlan(t, `version: 1
name: four
target: `+target+`
scenarios:
  - name: s
    `+tt.scenario+`
    steps:
      - name: health
        request: {url: /health}
        check: ["status == 200"]
thresholds:
  checks: ["rate == 1"]
`)
			one, _, err := runLocal(t, p, 1, Options{})
			if err != nil {
				t.Fatal(err)
			}
			four, fourDir, err := runLocal(t, p, 4, Options{})
			if err != nil {
				t.Fatalf("4 workers: %v (failed: %v)", err, four)
			}
			n1, n4 := one.Summary.Total.Count, four.Summary.Total.Count
			if tt.exact && n1 != n4 {
				t.Errorf("requests: 1 worker %d, 4 workers %d", n1, n4)
			}
			if !tt.exact {
				// arrivals are exact; only an arrival no VU was free for is lost
				if d := math.Abs(float64(n4-n1)) / float64(n1); d > 0.01 {
					t.Errorf("requests: 1 worker %d, 4 workers %d (%.2f%% apart)", n1, n4, d*100)
				}
			}
			if rows := int64(len(jtlElapsed(t, filepath.Join(fourDir, loadgen.JTLFile)))); rows != n4 || four.Rows != n4 {
				t.Errorf("merged results.jtl has %d rows (merge said %d), summary %d", rows, four.Rows, n4)
			}
			var perWorker int64
			var logs []string
			for i, h := range four.Workers {
				perWorker += h.Requests
				if h.State != WorkerDone || !h.Merged || h.CPUSeconds <= 0 {
					t.Errorf("worker %d: %+v", i, h)
				}
				logs = append(logs, filepath.Join(fourDir, "workers", strconv.Itoa(i), loadgen.HLogFile))
			}
			if perWorker != n4 {
				t.Errorf("workers sent %d requests, merged summary %d", perWorker, n4)
			}
			// The merged percentiles are those of one histogram of every sample.
			all := hlogHistogram(t, logs...)
			us := func(ms float64) int64 { return int64(math.Round(ms * 1000)) }
			for _, q := range []struct {
				p    float64
				got  float64
				name string
			}{{50, four.Summary.Total.Duration.P50, "p50"}, {99, four.Summary.Total.Duration.P99, "p99"}} {
				if want := all.ValueAtPercentile(q.p); us(q.got) != want {
					t.Errorf("merged %s %.3f ms, one histogram of every sample %d µs", q.name, q.got, want)
				}
			}
			if all.TotalCount() != n4 {
				t.Errorf("workers' HDR logs hold %d samples, summary %d", all.TotalCount(), n4)
			}
			merged := hlogHistogram(t, filepath.Join(fourDir, loadgen.HLogFile))
			if !histEqual(merged, all) {
				t.Error("the merged latency.hlog differs from the sum of the workers' logs")
			}
			if !four.Summary.ThresholdsOK || len(four.Summary.Thresholds) != 1 {
				t.Errorf("merged thresholds: %+v", four.Summary.Thresholds)
			}
		})
	}
}

func histEqual(a, b *hdr.Histogram) bool {
	if a.TotalCount() != b.TotalCount() {
		return false
	}
	ad, bd := a.Distribution(), b.Distribution()
	if len(ad) != len(bd) {
		return false
	}
	for i := range ad {
		if ad[i] != bd[i] {
			return false
		}
	}
	return true
}

func TestKilledWorkerIsReportedAndTheRestSurvive(t *testing.T) {
	target := startDemo(t)
	p := writePlan(t, `version: 1
name: kill
target: `+target+`
scenarios:
  - name: s
    executor: constant-vus
    vus: 4
    duration: 4s
    think_time: 20ms
    steps:
      - name: health
        request: {url: /health}
`)
	var once sync.Once
	var killed string
	res, out, err := runLocal(t, p, 4, Options{OnUpdate: func(st Status) {
		w := st.Workers[2]
		if w.State != WorkerRunning || w.Live.Elapsed < time.Second {
			return
		}
		once.Do(func() {
			pid, _ := strconv.Atoi(strings.TrimPrefix(w.ID, "pid "))
			killed = w.ID
			_ = syscall.Kill(pid, syscall.SIGKILL)
		})
	}})
	if err != nil {
		t.Fatalf("run with a killed worker: %v", err)
	}
	if killed == "" {
		t.Fatal("worker 2 was never seen running")
	}
	if len(res.Failed) != 1 || !strings.Contains(res.Failed[0], "worker 2/4") || !strings.Contains(res.Failed[0], "killed") {
		t.Errorf("failures: %q", res.Failed)
	}
	var merged int
	var sent int64
	for i, h := range res.Workers {
		if i == 2 {
			if h.State != WorkerFailed || h.Merged {
				t.Errorf("killed worker: %+v", h)
			}
			continue
		}
		if h.State != WorkerDone || !h.Merged {
			t.Errorf("worker %d: %+v", i, h)
		}
		merged++
		sent += h.Requests
	}
	if res.Summary.Total.Count != sent || merged != 3 {
		t.Errorf("summary counts %d requests; the 3 surviving workers %d", res.Summary.Total.Count, sent)
	}
	if !strings.Contains(res.Summary.Run.StopReason, "1 of 4 workers have no results") {
		t.Errorf("stop reason %q", res.Summary.Run.StopReason)
	}
	if rows := int64(len(jtlElapsed(t, filepath.Join(out, loadgen.JTLFile)))); rows < sent {
		t.Errorf("merged JTL has %d rows, fewer than the %d the survivors sent", rows, sent)
	}
}

func TestAbortStopsEveryWorker(t *testing.T) {
	target := startDemo(t)
	p := writePlan(t, `version: 1
name: abort
target: `+target+`
scenarios:
  - name: s
    executor: constant-vus
    vus: 4
    duration: 30s
    think_time: 20ms
    steps:
      - name: missing
        request: {url: /no-such-page}
thresholds:
  http_req_failed:
    - {threshold: "rate < 0.5", abort_on_fail: true, delay_abort_eval: 1s}
`)
	start := time.Now()
	res, _, err := runLocal(t, p, 3, Options{})
	if !errors.Is(err, loadgen.ErrThresholds) {
		t.Fatalf("err %v, want thresholds failed", err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("an aborted 30 s run took %s", took)
	}
	for i, h := range res.Workers {
		if h.State != WorkerStopped && h.State != WorkerDone || !h.Merged {
			t.Errorf("worker %d: %+v", i, h)
		}
	}
	if res.Summary.ThresholdsOK || len(res.Summary.Thresholds) != 1 || !res.Summary.Thresholds[0].Aborted {
		t.Errorf("merged thresholds: %+v", res.Summary.Thresholds)
	}
}

func TestLateWorkersDoNotRun(t *testing.T) {
	target := startDemo(t)
	p := writePlan(t, `version: 1
name: late
target: `+target+`
scenarios:
  - {name: s, executor: per-vu-iterations, vus: 2, iterations: 3, steps: [{name: health, request: {url: /health}}]}
`)
	// A start time already in the past by the time the workers are up.
	res, _, err := runLocal(t, p, 2, Options{StartDelay: time.Nanosecond, MaxLate: time.Nanosecond, Seed: 3})
	if err == nil || !strings.Contains(err.Error(), "no worker left results") {
		t.Fatalf("err %v, want no results", err)
	}
	// A worker late first stops the other, which may be late too or be
	// stopped before it was ready; neither sends anything.
	for _, msg := range res.Failed {
		if !strings.Contains(msg, "could not start by the start time") {
			t.Errorf("failure %q", msg)
		}
	}
	if len(res.Failed) == 0 {
		t.Error("no worker reported the missed start")
	}
	for i, h := range res.Workers {
		if h.Merged || h.State != WorkerFailed && h.State != WorkerStopped {
			t.Errorf("worker %d: %+v", i, h)
		}
	}
}

func TestCancelStopsTheWorkersGracefully(t *testing.T) {
	target := startDemo(t)
	p := writePlan(t, `version: 1
name: cancel
target: `+target+`
scenarios:
  - {name: s, executor: constant-vus, vus: 2, duration: 1m, think_time: 20ms, steps: [{name: health, request: {url: /health}}]}
`)
	ctx, cancel := context.WithCancel(context.Background())
	out := t.TempDir()
	time.AfterFunc(4*time.Second, cancel)
	start := time.Now()
	res, err := Run(ctx, p, Options{Workers: 2, Out: out, Backend: &LocalBackend{Executable: binary}, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("cancelled run took %s", took)
	}
	if !res.Summary.Run.Interrupted || res.Summary.Total.Count == 0 {
		t.Errorf("summary after cancel: interrupted %v, %d requests", res.Summary.Run.Interrupted, res.Summary.Total.Count)
	}
	for i, h := range res.Workers {
		if !h.Merged || h.State != WorkerStopped {
			t.Errorf("worker %d after cancel: %+v", i, h)
		}
	}
}

func TestSpecEnvRoundTrip(t *testing.T) {
	in := WorkerSpec{Segment: loadgen.Segment{Index: 3, Count: 8}, Plan: "s3://b/runs/r1/plan/load.yaml", Out: "s3://b/runs/r1/workers/3/",
		StartAt: time.Date(2026, 11, 26, 10, 0, 0, 123456789, time.UTC), Seed: 42, Target: "http://10.0.0.5:8080", RunID: "r1"}
	in.JTL.ErrorsOnly, in.JTL.Sample, in.JTL.Seed, in.MaxLate = true, 0.25, 42, 3*time.Second
	in.AllowTargets = []string{"10.0.0.0/16", "api.test:8443"}
	in.Telemetry = Telemetry{OTLP: "http://10.0.0.9:4317", OTLPProtocol: "grpc", MetricsAddr: "127.0.0.1:9464", MetricsPublic: true,
		MetricsInterval: 2 * time.Second, TraceSample: 0.001, RunHeader: true}
	env := in.Env()
	out, err := SpecFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%+v", out) != fmt.Sprintf("%+v", in) {
		t.Errorf("round trip:\n got %+v\nwant %+v", out, in)
	}
	for _, bad := range []map[string]string{
		{EnvPlan: "p", EnvOut: "o", EnvSegment: "4/4"},
		{EnvPlan: "p", EnvSegment: "0/1"},
		{EnvPlan: "p", EnvOut: "o", EnvSegment: "0/1", EnvStart: "tomorrow"},
		{EnvPlan: "p", EnvOut: "o", EnvSegment: "0/1", EnvSample: "2"},
		{EnvPlan: "p", EnvOut: "o", EnvSegment: "0/1", EnvTraceSample: "1.5"},
		{EnvPlan: "p", EnvOut: "o", EnvSegment: "0/1", EnvMetricsInterval: "-1s"},
		{EnvPlan: "p", EnvOut: "o", EnvSegment: "0/1", EnvRunHeader: "yes", EnvRunID: "r"},
		{EnvPlan: "p", EnvOut: "o", EnvSegment: "0/1", EnvRunHeader: "1"}, // no run id to send
	} {
		if _, err := SpecFromEnv(func(k string) string { return bad[k] }); err == nil {
			t.Errorf("SpecFromEnv(%v) accepted", bad)
		}
	}
}

// TestWorkerAllowlist checks that a worker given an allowlist refuses a
// connection elsewhere before anything is sent.
func TestWorkerAllowlist(t *testing.T) {
	target := startDemo(t)
	p := writePlan(t, `version: 1
name: allow
target: `+target+`
scenarios:
  - name: s
    executor: per-vu-iterations
    vus: 1
    iterations: 2
    steps:
      - {name: local, request: {url: /health}}
      - {name: elsewhere, request: {url: "http://192.0.2.1:9/x", timeout: 30s}}
`)
	out := t.TempDir()
	start := time.Now()
	code, err := RunWorker(context.Background(), WorkerSpec{Segment: loadgen.Segment{Index: 0, Count: 1}, Plan: p.File, Out: out,
		Seed: 1, AllowTargets: []string{"198.51.100.0/24"}}, WorkerOptions{})
	if code != ExitOK || err != nil {
		t.Fatalf("worker: %d %v", code, err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("refused connections took %s (they must fail before any packet)", took)
	}
	sum, err := loadgen.ReadState(filepath.Join(out, loadgen.StateFile))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Steps[0].Count != 2 || sum.Steps[0].Errors != 0 || sum.Steps[1].Count != 2 || sum.Steps[1].Errors != 2 {
		t.Errorf("local %d/%d errors, elsewhere %d/%d errors; want 0/2 and 2/2",
			sum.Steps[0].Errors, sum.Steps[0].Count, sum.Steps[1].Errors, sum.Steps[1].Count)
	}
	b, _ := os.ReadFile(filepath.Join(out, loadgen.JTLFile))
	if !strings.Contains(strings.ToLower(string(b)), "not allowed") {
		t.Errorf("the JTL does not say why the connection was refused:\n%s", b)
	}
	if b, _ := os.ReadFile(filepath.Join(out, ExitFile)); !strings.Contains(string(b), `"code":0`) {
		t.Errorf("exit.json: %s", b)
	}
}
