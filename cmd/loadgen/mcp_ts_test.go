package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/loadgen/loadgen/examples/demo"
)

// mcpClientDir holds the TypeScript SDK client (client.mjs) and its
// package-lock.json; `npm ci` there installs node_modules.
const mcpClientDir = "testdata/mcp-client"

// tsSummary is the line client.mjs prints on success.
type tsSummary struct {
	OK        bool   `json:"ok"`
	Mode      string `json:"mode"`
	Grade     string `json:"grade"`
	Requests  int64  `json:"requests"`
	Progress  int    `json:"progress"`
	Artifacts int    `json:"artifacts"`
}

// TestMCPTypeScriptClient runs the whole MCP workflow through the official
// TypeScript SDK client against the real binary, over stdio (the client
// spawns `loadgen mcp`) and over streamable HTTP with a bearer token.
func TestMCPTypeScriptClient(t *testing.T) {
	node := needNodeClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	target, shutdown, err := demo.Start(ctx, "127.0.0.1:0", demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = shutdown(context.Background()) })
	examples, err := filepath.Abs(filepath.Join("..", "..", "examples"))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("stdio", func(t *testing.T) {
		artifacts := t.TempDir()
		sum := runTSClient(t, node, map[string]string{
			"MCP_MODE":    "stdio",
			"LOADGEN_BIN": binary,
			"DOCS_ROOT":   examples,
			"ARTIFACTS":   artifacts,
			"TARGET_URL":  target,
		})
		checkTSSummary(t, sum, "stdio", artifacts)
	})

	t.Run("http", func(t *testing.T) {
		artifacts := t.TempDir()
		token := randomToken(t)
		url := startMCPHTTP(t, token, "--artifacts", artifacts, "--docs-root", examples)
		checkHTTPGuards(t, url, token)
		sum := runTSClient(t, node, map[string]string{
			"MCP_MODE":   "http",
			"MCP_URL":    url,
			"MCP_TOKEN":  token,
			"ARTIFACTS":  artifacts,
			"TARGET_URL": target,
		})
		checkTSSummary(t, sum, "http", artifacts)
		if sum.Progress < 1 {
			t.Errorf("no progress notification over HTTP: %+v", sum)
		}
	})
}

// needNodeClient returns the path of node, skipping the test when node or
// the installed SDK is missing (failing instead under LOADGEN_REQUIRE_NODE).
func needNodeClient(t *testing.T) string {
	t.Helper()
	missing := func(why string) {
		if os.Getenv("LOADGEN_REQUIRE_NODE") != "" {
			t.Fatalf("%s (LOADGEN_REQUIRE_NODE is set): install Node.js 18+ and run `npm ci` in cmd/loadgen/%s", why, mcpClientDir)
		}
		t.Skipf("%s: install Node.js 18+ and run `npm ci` in cmd/loadgen/%s", why, mcpClientDir)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node not found")
	}
	if _, err := os.Stat(filepath.Join(mcpClientDir, "node_modules", "@modelcontextprotocol", "sdk", "package.json")); err != nil {
		missing("@modelcontextprotocol/sdk is not installed")
	}
	return node
}

// childEnv is this process's environment without anything that would
// configure loadgen, a model or the client, plus extra; the AI steps run
// offline.
func childEnv(extra map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "LOADGEN_"), strings.HasPrefix(k, "ANTHROPIC_"), strings.HasPrefix(k, "MCP_"),
			strings.HasPrefix(k, "AWS_"), k == "S3_BUCKET_NAME":
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "LOADGEN_AI_PROVIDER=offline")
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

// runTSClient runs client.mjs and returns its summary line.
func runTSClient(t *testing.T, node string, env map[string]string) tsSummary {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "client.mjs")
	cmd.Dir = mcpClientDir
	cmd.Env = childEnv(env)
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	begin := time.Now()
	err := cmd.Run()
	if err != nil {
		t.Fatalf("node client.mjs (%s): %v after %s\n--- stdout ---\n%s\n--- stderr ---\n%s",
			env["MCP_MODE"], err, time.Since(begin).Round(time.Millisecond), stdout.String(), stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	last := lines[len(lines)-1]
	var sum tsSummary
	if err := json.Unmarshal([]byte(last), &sum); err != nil {
		t.Fatalf("summary line %q: %v\n--- stderr ---\n%s", last, err, stderr.String())
	}
	t.Logf("client.mjs (%s) in %s: %s", env["MCP_MODE"], time.Since(begin).Round(time.Millisecond), last)
	if s := strings.TrimSpace(stderr.String()); s != "" {
		t.Logf("client.mjs stderr:\n%s", s)
	}
	return sum
}

// checkTSSummary checks the client's summary and that the artifacts are in
// the server's folder.
func checkTSSummary(t *testing.T, sum tsSummary, mode, artifacts string) {
	t.Helper()
	if !sum.OK || sum.Mode != mode || !regexp.MustCompile(`^[A-F]$`).MatchString(sum.Grade) || sum.Requests <= 0 || sum.Artifacts == 0 {
		t.Errorf("summary: %+v", sum)
	}
	var reports int
	err := filepath.WalkDir(artifacts, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "report.html" {
			reports++
		}
		return err
	})
	if err != nil || reports != 1 {
		t.Errorf("artifact folder holds %d report.html (%v)", reports, err)
	}
}

func randomToken(t *testing.T) string {
	t.Helper()
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// lockedBuffer collects a child's stderr while tests read it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var mcpHTTPLine = regexp.MustCompile(`loadgen mcp: streamable HTTP at (http://\S+/mcp) `)

// startMCPHTTP starts `loadgen mcp --http 127.0.0.1:0` with the token and
// returns its endpoint URL, read from the line it prints on stderr.
func startMCPHTTP(t *testing.T, token string, args ...string) string {
	t.Helper()
	return startServer(t, map[string]string{"LOADGEN_MCP_TOKEN": token}, mcpHTTPLine, append([]string{"mcp", "--http", "127.0.0.1:0"}, args...)...)
}

// startServer starts the binary with args and env (see childEnv), waits
// for the line matching line on stderr and returns its first group. The
// server must still run when the test ends; it is then stopped with
// SIGTERM and must exit 0.
func startServer(t *testing.T, env map[string]string, line *regexp.Regexp, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = childEnv(env)
	logs := &lockedBuffer{}
	pr, pw := io.Pipe()
	cmd.Stderr, cmd.Stdout = pw, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		pw.Close()
		exited <- err
	}()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			_, _ = logs.Write([]byte(sc.Text() + "\n"))
			if m := line.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(logs, pr) // a line too long for the scanner
	}()
	name := "loadgen " + args[0]
	t.Cleanup(func() {
		select {
		case err := <-exited:
			t.Errorf("%s ended early: %v\n%s", name, err, logs.String())
			return
		default:
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("%s after SIGTERM: %v\n%s", name, err, logs.String())
			}
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("%s did not stop within 15s of SIGTERM\n%s", name, logs.String())
		}
		if t.Failed() {
			t.Logf("%s stderr:\n%s", name, logs.String())
		}
	})
	select {
	case u := <-found:
		return u
	case err := <-exited:
		exited <- err // for the cleanup
		t.Fatalf("%s exited before serving: %v\n%s", name, err, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("%s printed no address within 30s\n%s", name, logs.String())
	}
	return ""
}

// checkHTTPGuards checks the bearer token and the request size limit.
func checkHTTPGuards(t *testing.T, url, token string) {
	t.Helper()
	ping := `{"jsonrpc":"2.0","id":1,"method":"ping"}`
	big := `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"` + strings.Repeat("x", 2<<20) + `"}}`
	tests := []struct {
		name  string
		auth  string
		body  string
		want  int
		check func(*http.Response, []byte) error
	}{
		{"no token", "", ping, http.StatusUnauthorized, func(r *http.Response, _ []byte) error {
			if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				return errors.New("no WWW-Authenticate: Bearer header")
			}
			return nil
		}},
		{"wrong token", "Bearer " + token + "x", ping, http.StatusUnauthorized, nil},
		{"not bearer", "Basic " + token, ping, http.StatusUnauthorized, nil},
		{"2 MiB body", "Bearer " + token, big, http.StatusRequestEntityTooLarge, nil},
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	for _, tt := range tests {
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d: %s", tt.name, resp.StatusCode, tt.want, body)
			continue
		}
		if tt.check != nil {
			if err := tt.check(resp, body); err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
		}
		if strings.Contains(string(body), token) {
			t.Errorf("%s: the response echoes the token", tt.name)
		}
	}
}
