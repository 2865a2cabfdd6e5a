package loadgen

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgen/loadgen/loadgen/record"
	"github.com/loadgen/loadgen/planspec"
)

// target is a real HTTP server on 127.0.0.1 that records what it saw.
type target struct {
	*httptest.Server
	requests   atomic.Int64
	concurrent atomic.Int64
	maxConc    atomic.Int64
	mu         sync.Mutex
	arrivals   []time.Time
}

func newTarget(t *testing.T) *target {
	t.Helper()
	tg := &target{}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.requests.Add(1)
		c := tg.concurrent.Add(1)
		defer tg.concurrent.Add(-1)
		for {
			m := tg.maxConc.Load()
			if c <= m || tg.maxConc.CompareAndSwap(m, c) {
				break
			}
		}
		tg.mu.Lock()
		tg.arrivals = append(tg.arrivals, time.Now())
		tg.mu.Unlock()
		if ms, err := strconv.Atoi(r.URL.Query().Get("sleep")); err == nil {
			select {
			case <-time.After(time.Duration(ms) * time.Millisecond):
			case <-r.Context().Done():
			}
		}
		if code, err := strconv.Atoi(r.URL.Query().Get("status")); err == nil {
			w.WriteHeader(code)
		}
		if r.URL.Path == "/png" {
			w.Header().Set("Content-Type", "image/png")
		}
		_, _ = w.Write([]byte("hello"))
	}))
	t.Cleanup(tg.Close)
	return tg
}

// runYAML parses a plan (with the target substituted for TARGET) and runs it.
func runYAML(t *testing.T, yaml, targetURL string) (*Summary, string, error) {
	t.Helper()
	src := strings.ReplaceAll(yaml, "TARGET", targetURL)
	p, err := planspec.Parse([]byte(src), "test.yaml", planspec.Options{})
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sum, err := Run(ctx, p, Options{Out: out, Seed: 42})
	return sum, out, err
}

// jtlRows reads results.jtl and returns the data rows, checking the header
// and the column count of every row.
func jtlRows(t *testing.T, dir string) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, JTLFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("results.jtl is not valid CSV: %v", err)
	}
	want := "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect"
	if got := strings.Join(recs[0], ","); got != want {
		t.Fatalf("header\n got %s\nwant %s", got, want)
	}
	for i, r := range recs[1:] {
		if len(r) != 17 {
			t.Fatalf("row %d has %d columns", i+1, len(r))
		}
	}
	return recs[1:]
}

// col indexes of the JTL.
const (
	cTimeStamp = iota
	cElapsed
	cLabel
	cCode
	cMessage
	cThread
	cDataType
	cSuccess
	cFailure
	cBytes
	cSent
	cGrp
	cAll
	cURL
	cLatency
	cIdle
	cConnect
)

func countBy(rows [][]string, col int) map[string]int {
	m := map[string]int{}
	for _, r := range rows {
		m[r[col]]++
	}
	return m
}

func TestPerVUIterationsExactCounts(t *testing.T) {
	tg := newTarget(t)
	sum, out, err := runYAML(t, `
version: 1
name: per-vu
target: TARGET
scenarios:
  - name: s
    executor: per-vu-iterations
    vus: 4
    iterations: 5
    steps:
      - name: a
        request: {url: /a}
      - name: b
        request: {url: /b}
`, tg.URL)
	if err != nil {
		t.Fatal(err)
	}
	rows := jtlRows(t, out)
	if len(rows) != 40 || tg.requests.Load() != 40 {
		t.Fatalf("rows %d, server saw %d; want 40", len(rows), tg.requests.Load())
	}
	byThread := countBy(rows, cThread)
	if len(byThread) != 4 {
		t.Fatalf("threads %v, want 4", byThread)
	}
	for name, n := range byThread {
		if n != 10 || !strings.HasPrefix(name, "s 1-") {
			t.Errorf("thread %q did %d requests, want 10", name, n)
		}
	}
	if sum.Iterations != 20 || sum.Total.Count != 40 || sum.Total.Errors != 0 {
		t.Errorf("summary iterations %d count %d errors %d", sum.Iterations, sum.Total.Count, sum.Total.Errors)
	}
}

func TestSharedIterationsExactCount(t *testing.T) {
	tg := newTarget(t)
	sum, out, err := runYAML(t, `
version: 1
name: shared
target: TARGET
scenarios:
  - name: s
    executor: shared-iterations
    vus: 3
    iterations: 17
    steps:
      - name: a
        request: {url: /a}
`, tg.URL)
	if err != nil {
		t.Fatal(err)
	}
	if rows := jtlRows(t, out); len(rows) != 17 {
		t.Fatalf("rows %d, want 17", len(rows))
	}
	if sum.Iterations != 17 || sum.Scenarios[0].VUsMax != 3 {
		t.Errorf("iterations %d vus_max %d", sum.Iterations, sum.Scenarios[0].VUsMax)
	}
}

func TestConstantVUsPacedByThinkTime(t *testing.T) {
	tg := newTarget(t)
	sum, out, err := runYAML(t, `
version: 1
name: cvus
target: TARGET
scenarios:
  - name: s
    executor: constant-vus
    vus: 3
    duration: 1s
    think_time: 100ms
    steps:
      - name: a
        request: {url: /a}
`, tg.URL)
	if err != nil {
		t.Fatal(err)
	}
	rows := jtlRows(t, out)
	// 3 VUs, one request per ~100 ms each for 1 s: 30 requests, minus
	// scheduling slack on a loaded machine.
	if n := len(rows); n < 15 || n > 33 {
		t.Fatalf("rows %d, want ~30", n)
	}
	if n := len(countBy(rows, cThread)); n != 3 {
		t.Errorf("%d threads, want 3", n)
	}
	for _, r := range rows {
		if r[cGrp] != "3" || r[cAll] != "3" {
			t.Fatalf("grpThreads/allThreads %s/%s, want 3/3", r[cGrp], r[cAll])
		}
	}
	if sum.VUsMax != 3 {
		t.Errorf("vus_max %d", sum.VUsMax)
	}
}

func TestConstantArrivalRateEvenSchedule(t *testing.T) {
	tg := newTarget(t)
	sum, out, err := runYAML(t, `
version: 1
name: car
target: TARGET
scenarios:
  - name: s
    executor: constant-arrival-rate
    rate: 50
    time_unit: 1s
    duration: 1s
    pre_allocated_vus: 5
    steps:
      - name: a
        request: {url: /a}
`, tg.URL)
	if err != nil {
		t.Fatal(err)
	}
	rows := jtlRows(t, out)
	if len(rows) != 50 || sum.DroppedIterations != 0 {
		t.Fatalf("rows %d dropped %d, want 50 and 0", len(rows), sum.DroppedIterations)
	}
	// starts are spaced 20 ms apart: the span from first to last is ~980 ms
	var ts []int64
	for _, r := range rows {
		v, _ := strconv.ParseInt(r[cTimeStamp], 10, 64)
		ts = append(ts, v)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	if span := ts[len(ts)-1] - ts[0]; span < 900 || span > 1100 {
		t.Errorf("span of starts %d ms, want ~980", span)
	}
	gaps := 0
	for i := 1; i < len(ts); i++ {
		if d := ts[i] - ts[i-1]; d >= 10 && d <= 30 {
			gaps++
		}
	}
	if gaps < 35 {
		t.Errorf("only %d of 49 gaps near 20 ms", gaps)
	}
}

func TestArrivalRateDropsWhenNoVUFree(t *testing.T) {
	tg := newTarget(t)
	sum, out, err := runYAML(t, `
version: 1
name: drops
target: TARGET
scenarios:
  - name: s
    executor: constant-arrival-rate
    rate: 100
    duration: 1s
    pre_allocated_vus: 1
    max_vus: 2
    steps:
      - name: slow
        request: {url: "/slow?sleep=200"}
`, tg.URL)
	if err != nil {
		t.Fatal(err)
	}
	rows := jtlRows(t, out)
	if sum.Scenarios[0].VUsMax != 2 {
		t.Errorf("vus_max %d, want 2", sum.Scenarios[0].VUsMax)
	}
	if got := int64(len(rows)) + sum.DroppedIterations; got != 100 {
		t.Fatalf("served %d + dropped %d = %d, want 100", len(rows), sum.DroppedIterations, got)
	}
	if len(rows) < 6 || len(rows) > 12 {
		t.Errorf("served %d, want ~10 (2 VUs x 5/s)", len(rows))
	}
	if tg.maxConc.Load() > 2 {
		t.Errorf("server saw %d concurrent requests, max_vus is 2", tg.maxConc.Load())
	}
	// the corrected duration exposes the queueing the VUs hide
	if sum.Total.Corrected.Max < sum.Total.Duration.Max {
		t.Errorf("corrected max %.1f < elapsed max %.1f", sum.Total.Corrected.Max, sum.Total.Duration.Max)
	}
}

func TestRampingArrivalRateFollowsArea(t *testing.T) {
	tg := newTarget(t)
	sum, _, err := runYAML(t, `
version: 1
name: rar
target: TARGET
scenarios:
  - name: s
    executor: ramping-arrival-rate
    start_rate: 0
    pre_allocated_vus: 5
    stages:
      - {duration: 1s, target: 100}
      - {duration: 500ms, target: 100}
    steps:
      - name: a
        request: {url: /a}
`, tg.URL)
	if err != nil {
		t.Fatal(err)
	}
	// ∫ rate = 0.5*100*1 + 100*0.5 = 100 arrivals
	if sum.Total.Count != 100 {
		t.Fatalf("count %d, want 100", sum.Total.Count)
	}
}

func TestPoissonArrivals(t *testing.T) {
	tg := newTarget(t)
	sum, _, err := runYAML(t, `
version: 1
name: poisson
target: TARGET
scenarios:
  - name: s
    executor: constant-arrival-rate
    rate: 200
    duration: 1s
    pre_allocated_vus: 10
    arrivals: poisson
    steps:
      - name: a
        request: {url: /a}
`, tg.URL)
	if err != nil {
		t.Fatal(err)
	}
	// Poisson(200): sd ~14; 5 sd either side
	if n := sum.Total.Count; n < 130 || n > 270 || n == 200 {
		t.Fatalf("count %d, want ~200 but not exactly the even count", n)
	}
}

func TestRampingVUs(t *testing.T) {
	tg := newTarget(t)
	sum, out, err := runYAML(t, `
version: 1
name: rvus
target: TARGET
scenarios:
  - name: s
    executor: ramping-vus
    start_vus: 0
    graceful_ramp_down: 0s
    stages:
      - {duration: 400ms, target: 4}
      - {duration: 400ms, target: 4}
      - {duration: 400ms, target: 0}
    steps:
      - name: a
        request: {url: "/a?sleep=20"}
`, tg.URL)
	if err != nil {
		t.Fatal(err)
	}
	if sum.VUsMax != 4 {
		t.Errorf("vus_max %d, want 4", sum.VUsMax)
	}
	if c := tg.maxConc.Load(); c != 4 {
		t.Errorf("max concurrency %d, want 4", c)
	}
	// VU count over time: the first 100 ms only VU 1 runs; the plateau has 4
	rows := jtlRows(t, out)
	start := int64(1 << 62)
	for _, r := range rows {
		v, _ := strconv.ParseInt(r[cTimeStamp], 10, 64)
		start = min(start, v)
	}
	for _, r := range rows {
		v, _ := strconv.ParseInt(r[cTimeStamp], 10, 64)
		grp, _ := strconv.Atoi(r[cGrp])
		if v-start < 60 && grp > 1 {
			t.Errorf("at +%d ms %d VUs active, want 1", v-start, grp)
		}
		if v-start > 350 && v-start < 600 && grp != 4 {
			t.Errorf("at +%d ms %d VUs active, want 4", v-start, grp)
		}
	}
}

func TestStartTimeAndConcurrentScenarios(t *testing.T) {
	tg := newTarget(t)
	sum, out, err := runYAML(t, `
version: 1
name: two
target: TARGET
scenarios:
  - name: first
    executor: per-vu-iterations
    vus: 1
    iterations: 1
    steps:
      - name: early
        request: {url: /a}
  - name: later
    executor: per-vu-iterations
    start_time: 300ms
    vus: 2
    iterations: 2
    steps:
      - name: late
        request: {url: /b}
`, tg.URL)
	if err != nil {
		t.Fatal(err)
	}
	rows := jtlRows(t, out)
	if len(rows) != 5 {
		t.Fatalf("rows %d, want 5", len(rows))
	}
	var early, late int64 = 0, 1 << 62
	for _, r := range rows {
		v, _ := strconv.ParseInt(r[cTimeStamp], 10, 64)
		if r[cLabel] == "early" {
			early = v
		} else {
			late = min(late, v)
			if !strings.HasPrefix(r[cThread], "later 1-") {
				t.Errorf("threadName %q", r[cThread])
			}
		}
	}
	if d := late - early; d < 280 {
		t.Errorf("later scenario started %d ms after the first, want >= 300", d)
	}
	if len(sum.Scenarios) != 2 || sum.Scenarios[1].Iterations != 4 {
		t.Errorf("scenarios %+v", sum.Scenarios)
	}
}

func TestGracefulStopInterruptsLongRequests(t *testing.T) {
	tg := newTarget(t)
	begin := time.Now()
	sum, out, err := runYAML(t, `
version: 1
name: gs
target: TARGET
scenarios:
  - name: s
    executor: constant-vus
    vus: 2
    duration: 200ms
    graceful_stop: 100ms
    steps:
      - name: slow
        request: {url: "/slow?sleep=2000"}
`, tg.URL)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(begin); d > 1500*time.Millisecond {
		t.Errorf("run took %s; graceful_stop should cut it at ~300ms", d)
	}
	if rows := jtlRows(t, out); len(rows) != 0 || sum.Total.Count != 0 {
		t.Errorf("interrupted requests were recorded: %d rows", len(rows))
	}
}

func TestGracefulStopLetsRequestsFinish(t *testing.T) {
	tg := newTarget(t)
	sum, _, err := runYAML(t, `
version: 1
name: gs2
target: TARGET
scenarios:
  - name: s
    executor: constant-vus
    vus: 2
    duration: 100ms
    graceful_stop: 2s
    steps:
      - name: slow
        request: {url: "/slow?sleep=300"}
`, tg.URL)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Total.Count != 2 || sum.Iterations != 2 {
		t.Errorf("count %d iterations %d, want 2 and 2", sum.Total.Count, sum.Iterations)
	}
}

func TestFailuresUseJMeterCodes(t *testing.T) {
	tg := newTarget(t)
	// a port with nothing listening
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	// a server that accepts and resets
	rl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer rl.Close()
	go func() {
		for {
			c, err := rl.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 1024)
			_, _ = c.Read(buf)
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			c.Close()
		}
	}()
	reset := "http://" + rl.Addr().String()
	sum, out, err := runYAML(t, fmt.Sprintf(`
version: 1
name: faults
target: TARGET
scenarios:
  - name: s
    executor: per-vu-iterations
    vus: 1
    iterations: 2
    steps:
      - name: refused
        request: {url: "%s/x"}
      - name: timeout
        request: {url: "/slow?sleep=3000", timeout: 200ms}
      - name: reset
        request: {url: "%s/y"}
      - name: server error
        request: {url: "/e?status=503"}
      - name: image
        request: {url: "/png"}
`, closed, reset), tg.URL)
	if err != nil {
		t.Fatal(err)
	}
	rows := jtlRows(t, out)
	want := map[string][2]string{
		"refused":      {"Non HTTP response code: org.apache.http.conn.HttpHostConnectException", "Connection refused"},
		"timeout":      {"Non HTTP response code: java.net.SocketTimeoutException", "Non HTTP response message: Read timed out"},
		"server error": {"503", "Service Unavailable"},
	}
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r[cLabel]] = true
		if w, ok := want[r[cLabel]]; ok {
			if r[cCode] != w[0] || !strings.Contains(r[cMessage], w[1]) {
				t.Errorf("%s: code %q message %q, want %q / %q", r[cLabel], r[cCode], r[cMessage], w[0], w[1])
			}
		}
		switch r[cLabel] {
		case "reset":
			if !strings.HasPrefix(r[cCode], "Non HTTP response code: ") || r[cSuccess] != "false" {
				t.Errorf("reset row: %v", r)
			}
		case "image":
			if r[cDataType] != "bin" || r[cSuccess] != "true" {
				t.Errorf("image row dataType %q success %q", r[cDataType], r[cSuccess])
			}
		default:
			if r[cSuccess] != "false" {
				t.Errorf("%s: success %s", r[cLabel], r[cSuccess])
			}
		}
	}
	if len(seen) != 5 || len(rows) != 10 {
		t.Fatalf("rows %d labels %v", len(rows), seen)
	}
	if sum.Total.Errors != 8 {
		t.Errorf("errors %d, want 8", sum.Total.Errors)
	}
}

func TestHDRLogCountsEqualJTLRows(t *testing.T) {
	tg := newTarget(t)
	_, out, err := runYAML(t, `
version: 1
name: hlog
target: TARGET
scenarios:
  - name: s
    executor: constant-arrival-rate
    rate: 100
    duration: 1500ms
    pre_allocated_vus: 5
    steps:
      - name: "a, with comma"
        request: {url: /a}
      - name: b "quoted"
        request: {url: /b}
`, tg.URL)
	if err != nil {
		t.Fatal(err)
	}
	rows := jtlRows(t, out)
	f, err := os.Open(filepath.Join(out, HLogFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := hdr.NewHistogramLogReader(f)
	byTag := map[string]int64{}
	for {
		h, err := r.NextIntervalHistogram()
		if err != nil {
			t.Fatal(err)
		}
		if h == nil {
			break
		}
		byTag[h.Tag()] += h.TotalCount()
	}
	var elapsed int64
	for tag, n := range byTag {
		if !strings.HasSuffix(tag, ".corrected") {
			elapsed += n
		}
	}
	if elapsed != int64(len(rows)) || len(rows) != 300 {
		t.Fatalf("hlog counts %v (sum %d), JTL rows %d, want 300", byTag, elapsed, len(rows))
	}
}

func TestTransactionRows(t *testing.T) {
	tg := newTarget(t)
	sum, out, err := runYAML(t, `
version: 1
name: txn
target: TARGET
scenarios:
  - name: s
    executor: per-vu-iterations
    vus: 1
    iterations: 1
    steps:
      - group: checkout
        steps:
          - name: one
            request: {url: /a}
          - name: two
            request: {url: "/b?status=500"}
`, tg.URL)
	if err != nil {
		t.Fatal(err)
	}
	rows := jtlRows(t, out)
	if len(rows) != 3 || rows[2][cLabel] != "checkout" {
		t.Fatalf("rows %v", rows)
	}
	tr := rows[2]
	if tr[cCode] != "" || tr[cSuccess] != "false" || tr[cURL] != "null" || tr[cDataType] != "" ||
		tr[cMessage] != "Number of samples in transaction : 2, number of failing samples : 1" {
		t.Errorf("transaction row %q", tr)
	}
	e1, _ := strconv.Atoi(rows[0][cElapsed])
	e2, _ := strconv.Atoi(rows[1][cElapsed])
	if et, _ := strconv.Atoi(tr[cElapsed]); et < e1+e2-1 || et > e1+e2+1 {
		t.Errorf("transaction elapsed %d, children %d+%d", et, e1, e2)
	}
	if sum.Total.Count != 2 {
		t.Errorf("total counts %d requests; transactions are not requests", sum.Total.Count)
	}
}

func TestThresholdsAndAbort(t *testing.T) {
	tg := newTarget(t)
	sum, _, err := runYAML(t, `
version: 1
name: thr
target: TARGET
scenarios:
  - name: s
    executor: constant-vus
    vus: 1
    duration: 1s
    steps:
      - name: ok
        request: {url: /a}
      - name: bad
        request: {url: "/a?status=500"}
thresholds:
  http_req_failed: ["rate < 0.01"]
  "http_req_duration{step:ok}": ["p(99) < 5000"]
  "http_reqs{status:500}": ["count > 0"]
  checks: ["rate > 0.99"]
`, tg.URL)
	if !errors.Is(err, ErrThresholds) {
		t.Fatalf("err %v, want ErrThresholds", err)
	}
	res := map[string]ThresholdResult{}
	for _, r := range sum.Thresholds {
		res[r.Metric] = r
	}
	if r := res["http_req_failed"]; r.OK || r.Actual < 0.4 || r.Actual > 0.6 {
		t.Errorf("http_req_failed %+v", r)
	}
	if r := res["http_req_duration{step:ok}"]; !r.OK {
		t.Errorf("duration %+v", r)
	}
	if r := res["http_reqs{status:500}"]; !r.OK || r.Actual != float64(sum.Total.Errors) {
		t.Errorf("status filter %+v, errors %d", r, sum.Total.Errors)
	}
	if r := res["checks"]; !r.OK || !r.NoData {
		t.Errorf("checks without data %+v", r)
	}

	begin := time.Now()
	sum, _, err = runYAML(t, `
version: 1
name: abort
target: TARGET
scenarios:
  - name: s
    executor: constant-vus
    vus: 1
    duration: 20s
    steps:
      - name: bad
        request: {url: "/a?status=500"}
thresholds:
  http_req_failed: [{threshold: "rate < 0.5", abort_on_fail: true, delay_abort_eval: 1s}]
`, tg.URL)
	if !errors.Is(err, ErrThresholds) {
		t.Fatalf("err %v", err)
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("abort_on_fail took %s", d)
	}
	if !sum.Thresholds[0].Aborted || !strings.Contains(sum.Run.StopReason, "threshold") {
		t.Errorf("threshold result %+v stop %q", sum.Thresholds[0], sum.Run.StopReason)
	}
}

func TestJTLSamplingKeepsHistogramsComplete(t *testing.T) {
	tg := newTarget(t)
	p, err := planspec.Parse([]byte(strings.ReplaceAll(`
version: 1
name: sampled
target: TARGET
scenarios:
  - name: s
    executor: shared-iterations
    vus: 4
    iterations: 2000
    steps:
      - name: ok
        request: {url: /a}
      - name: bad
        request: {url: "/a?status=500"}
`, "TARGET", tg.URL)), "test.yaml", planspec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	sum, err := Run(context.Background(), p, Options{Out: out, Seed: 1, JTL: record.JTLOptions{Sample: 0.1, Seed: 1}})
	if err != nil {
		t.Fatal(err)
	}
	rows := jtlRows(t, out)
	byLabel := countBy(rows, cLabel)
	if byLabel["bad"] != 2000 {
		t.Errorf("%d failed rows kept, want all 2000", byLabel["bad"])
	}
	if n := byLabel["ok"]; n < 120 || n > 290 {
		t.Errorf("%d of 2000 successful rows kept, want ~200", n)
	}
	if sum.Total.Count != 4000 || sum.Outputs.JTLRows != int64(len(rows)) || sum.Outputs.JTLSkipped != 4000-int64(len(rows)) {
		t.Errorf("summary count %d rows %d skipped %d", sum.Total.Count, sum.Outputs.JTLRows, sum.Outputs.JTLSkipped)
	}
	if got := hlogCount(t, out); got != 4000 {
		t.Errorf("hlog holds %d samples, want all 4000", got)
	}
}

func hlogCount(t *testing.T, dir string) int64 {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, HLogFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := hdr.NewHistogramLogReader(f)
	var n int64
	for {
		h, err := r.NextIntervalHistogram()
		if err != nil {
			t.Fatal(err)
		}
		if h == nil {
			return n
		}
		if !strings.HasSuffix(h.Tag(), ".corrected") {
			n += h.TotalCount()
		}
	}
}

// TestDiskFullStopsWithWholeRows mounts a tiny tmpfs (root only) and fills
// it mid-run: the run stops with a clear error and the JTL ends on a row.
func TestDiskFullStopsWithWholeRows(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v %s", err, out)
	}
	defer exec.Command("umount", dir).Run()
	tg := newTarget(t)
	p, err := planspec.Parse([]byte(strings.ReplaceAll(`
version: 1
name: diskfull
target: TARGET
scenarios:
  - name: s
    executor: constant-vus
    vus: 4
    duration: 20s
    steps:
      - name: a label long enough to fill the disk quickly, with a comma
        request: {url: /a}
`, "TARGET", tg.URL)), "test.yaml", planspec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	_, err = Run(context.Background(), p, Options{Out: dir})
	if err == nil || !strings.Contains(err.Error(), "no space left on device") || !strings.Contains(err.Error(), JTLFile) {
		t.Fatalf("err %v, want a clear disk-full error naming %s", err, JTLFile)
	}
	if d := time.Since(begin); d > 10*time.Second {
		t.Errorf("the run went on for %s after the disk filled", d)
	}
	rows := jtlRows(t, dir) // valid CSV, 17 columns on every row
	if len(rows) < 100 {
		t.Errorf("only %d rows survived", len(rows))
	}
	b, _ := os.ReadFile(filepath.Join(dir, JTLFile))
	if len(b) == 0 || b[len(b)-1] != '\n' {
		t.Errorf("results.jtl does not end with a whole row")
	}
}

func TestTransportOptions(t *testing.T) {
	var conns atomic.Int64
	tls := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Proto", r.Proto)
		_, _ = w.Write([]byte(r.Proto))
	}))
	tls.EnableHTTP2 = true
	tls.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	tls.StartTLS()
	defer tls.Close()
	tests := []struct {
		name      string
		http      string
		wantConns int64
		wantBytes int64 // minimum received per request
	}{
		{"https keep-alive", "{insecure_tls: true}", 1, 20},
		{"https without keep-alive", "{insecure_tls: true, keepalive: false}", 6, 20},
		{"http2", "{insecure_tls: true, http2: true}", 1, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conns.Store(0)
			sum, out, err := runYAML(t, `
version: 1
name: tls
target: TARGET
http: `+tt.http+`
scenarios:
  - name: s
    executor: per-vu-iterations
    vus: 1
    iterations: 6
    steps:
      - name: a
        request: {url: /a}
`, tls.URL)
			if err != nil {
				t.Fatal(err)
			}
			rows := jtlRows(t, out)
			if len(rows) != 6 || sum.Total.Errors != 0 {
				t.Fatalf("rows %d errors %d: %v", len(rows), sum.Total.Errors, rows)
			}
			if conns.Load() != tt.wantConns {
				t.Errorf("server saw %d connections, want %d", conns.Load(), tt.wantConns)
			}
			for _, r := range rows {
				if b, _ := strconv.ParseInt(r[cBytes], 10, 64); b < tt.wantBytes {
					t.Errorf("bytes %d", b)
				}
			}
			if sum.Total.Connecting.Max <= 0 {
				t.Errorf("no connect time recorded over TLS")
			}
		})
	}
	// without insecure_tls the test certificate is rejected, JMeter-style
	sum, out, err := runYAML(t, `
version: 1
name: tls
target: TARGET
scenarios:
  - name: s
    executor: per-vu-iterations
    vus: 1
    iterations: 1
    steps:
      - name: a
        request: {url: /a}
`, tls.URL)
	if err != nil {
		t.Fatal(err)
	}
	if rows := jtlRows(t, out); sum.Total.Errors != 1 || rows[0][cCode] != "Non HTTP response code: javax.net.ssl.SSLHandshakeException" {
		t.Errorf("untrusted certificate: %v", rows)
	}
}

func TestAbortOnDroppedIterations(t *testing.T) {
	tg := newTarget(t)
	begin := time.Now()
	sum, _, err := runYAML(t, `
version: 1
name: abort-drops
target: TARGET
scenarios:
  - name: s
    executor: constant-arrival-rate
    rate: 200
    duration: 20s
    pre_allocated_vus: 1
    max_vus: 1
    graceful_stop: 1s
    steps:
      - name: slow
        request: {url: "/slow?sleep=100"}
thresholds:
  "dropped_iterations{scenario:s}": [{threshold: "count == 0", abort_on_fail: true}]
`, tg.URL)
	if !errors.Is(err, ErrThresholds) {
		t.Fatalf("err %v, want ErrThresholds", err)
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("abort took %s", d)
	}
	if r := sum.Thresholds[0]; r.OK || !r.Aborted || r.Actual != float64(sum.DroppedIterations) {
		t.Errorf("threshold %+v, dropped %d", r, sum.DroppedIterations)
	}
}

// TestOnTickAndDialHooks checks that OnTick sees the run progress once a
// second and that a Dial guard sees, and can refuse, every connection.
func TestOnTickAndDialHooks(t *testing.T) {
	tg := newTarget(t)
	tests := []struct {
		name   string
		http   string
		refuse bool
	}{
		{"allowed", "{}", false},
		{"refused", "{}", true},
		{"refused over the http2 transport", "{http2: true}", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := planspec.Parse([]byte(`
version: 1
name: hooks
target: `+tg.URL+`
http: `+tt.http+`
scenarios:
  - name: s
    executor: constant-vus
    vus: 2
    duration: 2500ms
    think_time: 20ms
    steps:
      - name: a
        request: {url: /a}
`), "hooks.yaml", planspec.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var ticks []Live
			var dials atomic.Int64
			before := tg.requests.Load()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			sum, err := Run(ctx, p, Options{Out: t.TempDir(), Seed: 1,
				OnTick: func(l Live) {
					mu.Lock()
					ticks = append(ticks, l)
					mu.Unlock()
				},
				Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
					dials.Add(1)
					if tt.refuse {
						return nil, fmt.Errorf("address %s is not allowed", addr)
					}
					var d net.Dialer
					return d.DialContext(ctx, network, addr)
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(ticks) < 2 {
				t.Fatalf("OnTick called %d times in a 2.5 s run, want at least 2", len(ticks))
			}
			last := ticks[len(ticks)-1]
			if last.Planned != 2500*time.Millisecond || last.Elapsed < time.Second || last.VUs > 2 {
				t.Errorf("last tick %+v: want Planned 2.5s, Elapsed ≥ 1s, VUs ≤ 2", last)
			}
			if last.Requests == 0 || last.Requests > sum.Total.Count {
				t.Errorf("last tick saw %d requests; the run sent %d", last.Requests, sum.Total.Count)
			}
			if dials.Load() == 0 {
				t.Fatal("the Dial hook was never called")
			}
			sent := tg.requests.Load() - before
			if tt.refuse {
				if sent != 0 || sum.Total.Errors != sum.Total.Count || last.ErrorPct != 100 {
					t.Errorf("refused dial: target saw %d requests, %d of %d failed, last tick %.1f%% errors; want 0, all, 100%%",
						sent, sum.Total.Errors, sum.Total.Count, last.ErrorPct)
				}
			} else if sent != sum.Total.Count || sum.Total.Errors != 0 || dials.Load() > 2 {
				t.Errorf("allowed dial: target saw %d, summary %d requests, %d errors, %d dials (want equal, 0, ≤ 2 with keep-alive)",
					sent, sum.Total.Count, sum.Total.Errors, dials.Load())
			}
		})
	}
}
