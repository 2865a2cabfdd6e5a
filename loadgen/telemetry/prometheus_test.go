package telemetry_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/telemetry"
)

// prometheusBinary finds Debian's prometheus; the test skips without it
// unless LOADGEN_REQUIRE_PROMETHEUS=1 (test.sh sets it once installed).
func prometheusBinary(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("LOADGEN_REQUIRE_PROMETHEUS") == "1" {
			t.Fatal("prometheus is required (LOADGEN_REQUIRE_PROMETHEUS=1) but not on PATH")
		}
		t.Skip("prometheus not installed (apt-get install prometheus)")
	}
	return bin
}

// promQuery runs an instant query on Prometheus's HTTP API and returns
// each series' labels and value.
func promQuery(t *testing.T, base, q string) []promSample {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Status != "success" {
		t.Fatalf("query %s: %s %v %s", q, r.Error, err, body)
	}
	out := make([]promSample, 0, len(r.Data.Result))
	for _, s := range r.Data.Result {
		str, _ := s.Value[1].(string)
		v, err := strconv.ParseFloat(str, 64)
		if err != nil {
			t.Fatalf("query %s: value %v", q, s.Value)
		}
		out = append(out, promSample{s.Metric, v})
	}
	return out
}

type promSample struct {
	Labels map[string]string
	Value  float64
}

// TestPrometheusScrapesARun runs Debian's prometheus against /metrics
// during a real run on 127.0.0.1 and checks the series it stored against
// the run's own summary.
func TestPrometheusScrapesARun(t *testing.T) {
	bin := prometheusBinary(t)
	tg := newTarget(t)
	runID := "prom-" + strconv.FormatInt(time.Now().UnixNano()%1e6, 10)
	tel, err := telemetry.Start(context.Background(), telemetry.Config{MetricsAddr: "127.0.0.1:0", RunID: runID, Plan: "telemetry-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })

	dir := t.TempDir()
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n  - job_name: loadgen\n    static_configs:\n      - targets: [%q]\n", tel.MetricsAddr())
	cfgFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	web := freeAddr(t)
	startProcess(t, "", bin, "--config.file="+cfgFile, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+web, "--log.level=warn")
	base := "http://" + web
	waitReady(t, base+"/-/ready", 30*time.Second)
	// Prometheus applies its targets a few seconds after it starts: load
	// only once it scrapes /metrics.
	deadline := time.Now().Add(30 * time.Second)
	for len(promQuery(t, base, `up{job="loadgen"} == 1`)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("Prometheus did not scrape /metrics within 30 s")
		}
		time.Sleep(200 * time.Millisecond)
	}

	const rate = 100
	sum := runLoad(t, testPlan(t, tg.URL, rate, "5s"), tel, loadgen.Options{RunID: runID, RunHeader: true})
	if sum.Total.Count == 0 {
		t.Fatal("the run sent no request")
	}
	if sum.Run.RunID != runID {
		t.Errorf("summary run id %q, want %q", sum.Run.RunID, runID)
	}
	// every request carried the run header
	tg.mu.Lock()
	if got := tg.runHeaders[runID]; int64(got) != sum.Total.Count || tg.requests != got {
		t.Errorf("%s %s on %d of %d requests (summary: %d)", loadgen.RunHeader, runID, got, tg.requests, sum.Total.Count)
	}
	tg.mu.Unlock()

	// Wait until Prometheus scraped the final snapshot: its totals then
	// equal the summary's exactly.
	sel := fmt.Sprintf(`{job="loadgen",loadgen_run_id=%q}`, runID)
	deadline = time.Now().Add(20 * time.Second)
	var total float64
	for time.Now().Before(deadline) {
		if s := promQuery(t, base, "sum(loadgen_http_reqs_total"+sel+")"); len(s) == 1 {
			if total = s[0].Value; total == float64(sum.Total.Count) {
				break
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	if total != float64(sum.Total.Count) {
		t.Fatalf("loadgen_http_reqs_total in Prometheus: %g, summary: %d", total, sum.Total.Count)
	}

	want := stepCounts(sum)
	got := map[[2]string]int64{}
	for _, s := range promQuery(t, base, "loadgen_http_reqs_total"+sel) {
		got[[2]string{s.Labels["loadgen_step"], s.Labels["http_response_status_code"]}] = int64(s.Value)
		if s.Labels["loadgen_scenario"] != "shop" {
			t.Errorf("series %v: scenario label", s.Labels)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("requests by step and status: Prometheus %v, summary %v", got, want)
	}

	checks := []struct {
		name, query string
		want        float64
		tol         float64 // absolute
	}{
		{"failed requests", "sum(loadgen_http_req_failed_total" + sel + ")", float64(sum.Total.Errors), 0},
		{"duration histogram count", "sum(loadgen_http_req_duration_seconds_count" + sel + ")", float64(sum.Total.Count), 0},
		{"corrected histogram count", "sum(loadgen_http_req_duration_corrected_seconds_count" + sel + ")", float64(sum.Total.Count), 0},
		{"mean duration (ms)", "1000 * sum(loadgen_http_req_duration_seconds_sum" + sel + ") / sum(loadgen_http_req_duration_seconds_count" + sel + ")",
			sum.Total.Duration.Mean, 0.02*sum.Total.Duration.Mean + 0.005},
		{"bytes received", "sum(loadgen_data_received_bytes_total" + sel + ")", float64(sum.Total.BytesReceived), 0},
		{"bytes sent", "sum(loadgen_data_sent_bytes_total" + sel + ")", float64(sum.Total.BytesSent), 0},
		{"iterations", "sum(loadgen_iterations_total" + sel + ")", float64(sum.Iterations), 0},
		{"dropped iterations", "sum(loadgen_dropped_iterations_total" + sel + ")", float64(sum.DroppedIterations), 0},
		{"vus_max", "max(max_over_time(loadgen_vus_max" + sel + "[1m]))", float64(sum.VUsMax), 0},
		{"planned rate", "max(max_over_time(loadgen_iteration_rate_planned_per_second" + sel + "[1m]))", rate, 1e-9},
		{"achieved rate (median of the intervals)", "quantile_over_time(0.5, loadgen_iteration_rate_achieved_per_second" + sel + "[1m])", rate, 0.2 * rate},
	}
	for _, c := range checks {
		s := promQuery(t, base, c.query)
		if len(s) != 1 {
			t.Errorf("%s: %s: %d series", c.name, c.query, len(s))
			continue
		}
		if math.Abs(s[0].Value-c.want) > c.tol {
			t.Errorf("%s: Prometheus %g, want %g ± %g (%s)", c.name, s[0].Value, c.want, c.tol, c.query)
		}
	}
	// the p95 Prometheus estimates from the buckets lies in the bucket of
	// the summary's exact p95
	p95 := promQuery(t, base, "1000 * histogram_quantile(0.95, sum by (le) (loadgen_http_req_duration_seconds_bucket"+sel+"))")
	if len(p95) != 1 || !sameBucket(p95[0].Value/1000, sum.Total.Duration.P95/1000) {
		t.Errorf("p95: Prometheus %v ms, summary %g ms: not in the same bucket", p95, sum.Total.Duration.P95)
	}
	// the generator's health
	for _, q := range []string{"loadgen_generator_goroutines" + sel, "loadgen_generator_cpu_time_seconds_total" + sel} {
		if s := promQuery(t, base, "max_over_time("+q+"[1m])"); len(s) != 1 || s[0].Value <= 0 {
			t.Errorf("%s: %v, want > 0", q, s)
		}
	}
	// arrival-rate VUs are active only during an iteration (about 2 ms
	// here), so a sample may catch none
	if s := promQuery(t, base, "max_over_time(loadgen_vus"+sel+"[1m])"); len(s) != 1 || s[0].Value < 0 || s[0].Value > float64(sum.VUsMax) {
		t.Errorf("loadgen_vus: %v, want within [0, %d]", s, sum.VUsMax)
	}
	// several scrapes during the run, one interval each
	if s := promQuery(t, base, "count_over_time(loadgen_http_reqs_total"+sel+"[1m])"); len(s) == 0 || s[0].Value < 3 {
		t.Errorf("scrapes with data: %v, want at least 3 during a 5 s run", s)
	}
}

// sameBucket reports whether two durations (s) fall in the same bucket of
// loadgen.DurationBounds, or an estimate interpolated inside it.
func sameBucket(est, exact float64) bool {
	lo := 0.0
	for _, b := range loadgen.DurationBounds {
		if exact <= b {
			return est >= lo && est <= b
		}
		lo = b
	}
	return est >= lo
}

func waitReady(t *testing.T, u string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s not ready after %s", u, limit)
}
