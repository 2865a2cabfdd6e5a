package main

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRunRefuses(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		code int
		says string
	}{
		{"unknown flag", []string{"--nope"}, nil, 2, "nope"},
		{"extra argument", []string{"x"}, nil, 2, "unexpected"},
		{"bad env", nil, map[string]string{"ERROR_RATE": "x"}, 2, "ERROR_RATE"},
		{"bad flag value", []string{"--error-rate", "3"}, nil, 2, "error rate"},
		{"min above max", []string{"--delay-min", "2s", "--delay-max", "1s"}, nil, 2, "above"},
		{"not loopback", []string{"--addr", "0.0.0.0:0"}, nil, 1, "loopback"},
		{"not loopback from env", nil, map[string]string{"ADDR": ":0"}, 1, "loopback"},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		code := run(tc.args, func(k string) string { return tc.env[k] }, &out, &errb)
		if code != tc.code || !strings.Contains(errb.String(), tc.says) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", tc.name, code, errb.String(), tc.code, tc.says)
		}
	}
}

// TestRunServesUntilSignal starts the server, calls it, sends SIGINT to
// this process (caught by run) and expects a clean exit.
func TestRunServesUntilSignal(t *testing.T) {
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var errb bytes.Buffer
	go func() {
		done <- run([]string{"--addr", "127.0.0.1:0", "--latency-scale", "0", "--seed", "3"}, func(string) string { return "" }, pw, &errb)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no URL printed: %v (stderr %q)", err, errb.String())
	}
	go io.Copy(io.Discard, pr)
	url := strings.TrimSpace(strings.TrimPrefix(line, "fake API listening on "))
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("printed %q", line)
	}
	res, err := http.Get(url + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `"seed":3`) {
		t.Errorf("stats: %d %.200s", res.StatusCode, body)
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after SIGINT: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still running 10 s after SIGINT")
	}
}
