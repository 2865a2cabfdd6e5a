package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

var (
	uiLine    = regexp.MustCompile(`loadgen ui: dashboard at (http://\S+/) `)
	mcpUILine = regexp.MustCompile(`loadgen mcp: dashboard at (http://\S+/ui/)`)
	csrfInUI  = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)
)

// uiRequest is one request to a served dashboard and what must come back.
type uiRequest struct {
	name     string
	method   string
	path     string
	auth     string
	host     string
	form     url.Values
	want     int
	location string
	contains string
}

// checkUIRequests sends the requests to base, with a cookie jar shared
// between them (a login sets the cookie for the following ones).
func checkUIRequests(t *testing.T, base string, reqs []uiRequest) {
	t.Helper()
	hc := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var cookies []*http.Cookie
	var csrf string
	for _, rq := range reqs {
		var body io.Reader
		if rq.form != nil {
			if csrf != "" && rq.form.Get("csrf") == "" {
				rq.form.Set("csrf", csrf)
			}
			body = strings.NewReader(rq.form.Encode())
		}
		req, err := http.NewRequest(rq.method, base+rq.path, body)
		if err != nil {
			t.Fatal(err)
		}
		if rq.form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", strings.TrimSuffix(base, "/"))
		}
		if rq.auth != "" {
			req.Header.Set("Authorization", rq.auth)
		}
		if rq.host != "" {
			req.Host = rq.host
		}
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", rq.name, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != rq.want {
			t.Errorf("%s: %s %s: status %d, want %d\n%.500s", rq.name, rq.method, rq.path, resp.StatusCode, rq.want, b)
			continue
		}
		if rq.location != "" && resp.Header.Get("Location") != rq.location {
			t.Errorf("%s: Location %q, want %q", rq.name, resp.Header.Get("Location"), rq.location)
		}
		if rq.contains != "" && !strings.Contains(string(b), rq.contains) {
			t.Errorf("%s: the response has no %q", rq.name, rq.contains)
		}
		if m := csrfInUI.FindSubmatch(b); m != nil {
			csrf = string(m[1])
		}
		cookies = append(cookies, resp.Cookies()...)
	}
}

// TestUICommandRefusals checks the usage errors of the dashboard's flags.
func TestUICommandRefusals(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"non-loopback address without a token", []string{"ui", "--addr", "0.0.0.0:0", "--artifacts", t.TempDir()}, "LOADGEN_MCP_TOKEN"},
		{"bad address", []string{"ui", "--addr", "nohostport", "--artifacts", t.TempDir()}, "HOST:PORT"},
		{"--ui without --http", []string{"mcp", "--ui", "--artifacts", t.TempDir()}, "--ui needs --http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary, tt.args...)
			cmd.Env = childEnv(nil)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != exitUsage || !strings.Contains(string(out), tt.want) {
				t.Errorf("loadgen %v: %v, want exit %d mentioning %q:\n%s", tt.args, err, exitUsage, tt.want, out)
			}
		})
	}
}

// TestUICommand serves the dashboard with `loadgen ui` on loopback without
// a token, on a non-loopback address with one, and inside
// `loadgen mcp --http --ui`.
func TestUICommand(t *testing.T) {
	t.Run("loopback", func(t *testing.T) {
		base := startServer(t, nil, uiLine, "ui", "--addr", "127.0.0.1:0", "--artifacts", t.TempDir())
		checkUIRequests(t, base, []uiRequest{
			{name: "sessions", method: "GET", path: "", want: http.StatusOK, contains: "No sessions yet"},
			{name: "tool form", method: "GET", path: "tools/get_test_artifacts", want: http.StatusOK, contains: `name="include_content"`},
			{name: "tool run", method: "POST", path: "tools/get_test_artifacts", form: url.Values{}, want: http.StatusOK, contains: `id="result-json"`},
			{name: "script", method: "GET", path: "static/app.js", want: http.StatusOK, contains: "use strict"},
			{name: "rebound host name", method: "GET", path: "", host: "evil.example", want: http.StatusForbidden},
		})
	})

	t.Run("non-loopback with a token", func(t *testing.T) {
		token := randomToken(t)
		base := startServer(t, map[string]string{"LOADGEN_MCP_TOKEN": token}, uiLine, "ui", "--addr", "0.0.0.0:0", "--artifacts", t.TempDir())
		base = strings.Replace(base, "0.0.0.0", "127.0.0.1", 1)
		base = strings.Replace(base, "[::]", "127.0.0.1", 1)
		checkUIRequests(t, base, []uiRequest{
			{name: "no credentials", method: "GET", path: "", want: http.StatusSeeOther, location: "/login?next="},
			{name: "wrong bearer", method: "GET", path: "", auth: "Bearer x" + token, want: http.StatusUnauthorized},
			{name: "bearer", method: "GET", path: "", auth: "Bearer " + token, want: http.StatusOK, contains: "No sessions yet"},
			{name: "login form", method: "GET", path: "login", want: http.StatusOK, contains: `name="token"`},
			{name: "wrong token", method: "POST", path: "login", form: url.Values{"token": {"nope"}}, want: http.StatusUnauthorized},
			{name: "right token", method: "POST", path: "login", form: url.Values{"token": {token}}, want: http.StatusSeeOther, location: "/"},
			{name: "cookie", method: "GET", path: "", want: http.StatusOK, contains: "No sessions yet"},
		})
	})

	t.Run("mounted in mcp --http", func(t *testing.T) {
		token := randomToken(t)
		base := startServer(t, map[string]string{"LOADGEN_MCP_TOKEN": token}, mcpUILine, "mcp", "--http", "127.0.0.1:0", "--ui", "--artifacts", t.TempDir())
		root := strings.TrimSuffix(base, "ui/")
		checkUIRequests(t, root, []uiRequest{
			{name: "dashboard without credentials", method: "GET", path: "ui/", want: http.StatusSeeOther, location: "/ui/login?next="},
			{name: "dashboard", method: "GET", path: "ui/", auth: "Bearer " + token, want: http.StatusOK, contains: `href="/ui/tools"`},
			{name: "stylesheet", method: "GET", path: "ui/static/app.css", want: http.StatusOK, contains: ".tabs"},
			{name: "mount without slash", method: "GET", path: "ui", want: http.StatusTemporaryRedirect, location: "/ui/"},
			{name: "MCP endpoint still needs the token", method: "POST", path: "mcp", form: url.Values{}, want: http.StatusUnauthorized},
		})
	})
}
