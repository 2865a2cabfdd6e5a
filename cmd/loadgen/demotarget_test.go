package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDemoTarget serves the fake API with flags and environment, checks
// the configuration it reports and a login → order flow, then stops it
// with SIGTERM.
func TestDemoTarget(t *testing.T) {
	cmd := exec.Command(binary, "demo-target", "--addr", "127.0.0.1:0", "--latency-scale", "0", "--seed", "5", "--error-rate", "0")
	cmd.Env = append(cmd.Environ(), "RESPONSE_DELAY_MIN=0.2", "RESPONSE_DELAY_MAX=300ms", "RANDOM_SEED=9")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("no URL printed: %v", err)
	}
	go io.Copy(io.Discard, stdout)
	url := strings.TrimSpace(line[strings.LastIndex(line, " ")+1:])
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("printed %q", line)
	}
	get := func(path, token string, body string) (int, map[string]any) {
		method := "GET"
		var rd io.Reader
		if body != "" {
			method, rd = "POST", strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, url+path, rd)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var v map[string]any
		json.NewDecoder(res.Body).Decode(&v)
		return res.StatusCode, v
	}
	_, st := get("/stats", "", "")
	cfg, _ := st["config"].(map[string]any)
	// Flags win over the environment; the environment fills the rest.
	want := map[string]any{"seed": 5.0, "latency_scale": 0.0, "error_rate": 0.0, "response_delay_min": 0.2, "response_delay_max": 0.3}
	for k, v := range want {
		if cfg[k] != v {
			t.Errorf("config %s = %v, want %v (config %v)", k, cfg[k], v, cfg)
		}
	}
	code, login := get("/auth/login", "", `{"username":"cli","password":"pw"}`)
	tok, _ := login["token"].(string)
	if code != 200 || tok == "" {
		t.Fatalf("login: %d %v", code, login)
	}
	if code, o := get("/api/v1/orders", tok, `{"product_id":3}`); code != 201 || o["user"] != "cli" {
		t.Errorf("order: %d %v", code, o)
	}
	if code, _ := get("/api/products", "", ""); code != 200 { // the demo target's path
		t.Errorf("/api/products: %d", code)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitExit(t, cmd, 0, 10*time.Second)
}

func TestDemoTargetRefuses(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  string
		says string
	}{
		{"not loopback", []string{"--addr", "0.0.0.0:0"}, "", "loopback"},
		{"bad flag", []string{"--error-rate", "2"}, "", "error rate"},
		{"bad environment", nil, "LATENCY_SCALE=fast", "LATENCY_SCALE"},
		{"arguments", []string{"extra"}, "", "unknown command"},
	}
	for _, tc := range tests {
		cmd := exec.Command(binary, append([]string{"demo-target"}, tc.args...)...)
		if tc.env != "" {
			cmd.Env = append(cmd.Environ(), tc.env)
		}
		out, _ := cmd.CombinedOutput()
		if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), tc.says) {
			t.Errorf("%s: exit %d, output %q; want 2 and %q", tc.name, cmd.ProcessState.ExitCode(), out, tc.says)
		}
	}
}
