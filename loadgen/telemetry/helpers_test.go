package telemetry_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgen/loadgen/examples/demo"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/telemetry"
	"github.com/loadgen/loadgen/planspec"
)

// target is the demo service on 127.0.0.1, recording the correlation
// headers every request brought.
type target struct {
	*httptest.Server
	mu          sync.Mutex
	runHeaders  map[string]int // X-Loadgen-Run value -> requests
	traceparent []string       // traceparent headers, in arrival order
	requests    int
}

func newTarget(t *testing.T) *target {
	t.Helper()
	tg := &target{runHeaders: map[string]int{}}
	h := demo.Handler(demo.Options{})
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.mu.Lock()
		tg.requests++
		tg.runHeaders[r.Header.Get(loadgen.RunHeader)]++
		if tp := r.Header.Get("traceparent"); tp != "" {
			tg.traceparent = append(tg.traceparent, tp)
		}
		tg.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(tg.Close)
	return tg
}

// testPlan is an open-model plan with a step that succeeds and one that
// fails with 404, so that status and failure attributes differ.
func testPlan(t *testing.T, url string, rate int, dur string) *planspec.Plan {
	t.Helper()
	p, err := planspec.Parse([]byte(testPlanSource(url, rate, dur)), "telemetry.yaml", planspec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// testPlanSource is testPlan's YAML.
func testPlanSource(url string, rate int, dur string) string {
	return `version: 1
name: telemetry-test
target: ` + url + `
scenarios:
  - name: shop
    executor: constant-arrival-rate
    rate: ` + itoa(rate) + `
    time_unit: 1s
    duration: ` + dur + `
    pre_allocated_vus: 20
    max_vus: 50
    graceful_stop: 5s
    steps:
      - name: list products
        request:
          url: /api/products?page=1
        check: [status == 200]
      - name: missing
        request:
          url: /status/404
`
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}

// runLoad runs p with tel's hooks and returns the summary.
func runLoad(t *testing.T, p *planspec.Plan, tel *telemetry.Telemetry, opts loadgen.Options) *loadgen.Summary {
	t.Helper()
	opts.Out = t.TempDir()
	opts.OnMetrics = tel.OnMetrics
	opts.MetricsInterval = tel.Interval()
	opts.TracerProvider = tel.TracerProvider()
	sum, err := loadgen.Run(context.Background(), p, opts)
	if err != nil && !errors.Is(err, loadgen.ErrThresholds) {
		t.Fatal(err)
	}
	return sum
}

// freeAddr returns a 127.0.0.1 address nothing listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// startProcess starts a command and waits until its stdout contains ready
// (empty: nothing expected). The returned stop (also run at cleanup)
// interrupts it and waits for it to exit; its stderr is shown when the
// test failed.
func startProcess(t *testing.T, ready string, name string, args ...string) (stop func()) {
	t.Helper()
	cmd := exec.Command(name, args...)
	var logMu sync.Mutex
	var log strings.Builder
	seen := make(chan struct{})
	var out strings.Builder
	var once sync.Once
	cmd.Stdout = writerFunc(func(b []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		if out.Len() < 1<<16 {
			out.Write(b)
		}
		if ready != "" && strings.Contains(out.String(), ready) {
			once.Do(func() { close(seen) })
		}
		return len(b), nil
	})
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	waited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(waited) }()
	var stopOnce sync.Once
	stop = func() {
		stopOnce.Do(func() {
			_ = cmd.Process.Signal(os.Interrupt)
			select {
			case <-waited:
			case <-time.After(10 * time.Second):
				t.Errorf("%s did not exit within 10 s of SIGINT; killed", name)
				_ = cmd.Process.Kill()
				<-waited
			}
		})
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			logMu.Lock()
			t.Logf("%s stderr:\n%s", name, log.String())
			logMu.Unlock()
		}
	})
	if ready != "" {
		select {
		case <-seen:
		case <-waited:
			t.Fatalf("%s exited before it was ready", name)
		case <-time.After(30 * time.Second):
			t.Fatalf("%s not ready after 30 s", name)
		}
	}
	return stop
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// stepCounts are the summary's request counts per step and status.
func stepCounts(sum *loadgen.Summary) map[[2]string]int64 {
	out := map[[2]string]int64{}
	for _, st := range sum.Steps {
		if st.Transaction {
			continue
		}
		for code, n := range st.Status {
			out[[2]string{st.Label, code}] += n
		}
	}
	return out
}
