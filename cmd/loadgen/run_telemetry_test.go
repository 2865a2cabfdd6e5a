package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestRunTelemetryFlags checks the telemetry flags of `loadgen run`: bad
// values stop the run before anything is sent (exit 2), and the run
// header reaches the target on every request, with the run id in the
// summary and /metrics served on loopback.
func TestRunTelemetryFlags(t *testing.T) {
	var mu sync.Mutex
	runs := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		runs[r.Header.Get("X-Loadgen-Run")]++
		mu.Unlock()
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	plan := writePlan(t, strings.NewReplacer("TARGET", srv.URL, "PATH", "/ok").Replace(shortPlan))
	tests := []struct {
		name      string
		args      []string
		want      int
		runHeader string // the X-Loadgen-Run value every request must carry ("": none sent)
		stderr    string
	}{
		{"metrics on a public address", []string{"--metrics-addr", "0.0.0.0:0"}, exitUsage, "", "not a loopback address"},
		{"trace sample without OTLP", []string{"--trace-sample", "0.5"}, exitUsage, "", "needs --otlp"},
		{"trace sample above 1", []string{"--trace-sample", "2", "--otlp", "http://127.0.0.1:1"}, exitUsage, "", "[0, 1]"},
		{"bad protocol", []string{"--otlp", "http://127.0.0.1:1", "--otlp-protocol", "http/json"}, exitUsage, "", "http/json"},
		{"run id not header-safe", []string{"--run-id", "a b", "--run-header"}, exitUsage, "", "--run-id"},
		{"run header and metrics", []string{"--run-id", "cli-7", "--run-header", "--metrics-addr", "127.0.0.1:0"}, exitOK, "cli-7", "Prometheus at http://127.0.0.1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			clear(runs)
			mu.Unlock()
			out := t.TempDir()
			code, stdout, stderr := cli(t, append([]string{"run", plan, "--out", out, "--no-report"}, tt.args...)...)
			if code != tt.want || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d, want %d with %q on stderr\n%s\n%s", code, tt.want, tt.stderr, stdout, stderr)
			}
			mu.Lock()
			defer mu.Unlock()
			if tt.want != exitOK {
				if len(runs) > 0 {
					t.Errorf("requests sent: %v", runs)
				}
				return
			}
			if len(runs) != 1 || runs[tt.runHeader] != 10 {
				t.Errorf("X-Loadgen-Run values seen: %v, want %q on all 10 requests", runs, tt.runHeader)
			}
			b, err := os.ReadFile(filepath.Join(out, "summary.json"))
			if err != nil {
				t.Fatal(err)
			}
			var sum struct {
				Run struct {
					RunID string `json:"run_id"`
				} `json:"run"`
			}
			if err := json.Unmarshal(b, &sum); err != nil || sum.Run.RunID != tt.runHeader {
				t.Errorf("summary run id %q (%v), want %q", sum.Run.RunID, err, tt.runHeader)
			}
		})
	}
}
