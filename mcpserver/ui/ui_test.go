package ui

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"mime"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	xhtml "golang.org/x/net/html"

	"github.com/loadgen/loadgen/examples/demo"
	"github.com/loadgen/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/mcpserver"
	"github.com/loadgen/loadgen/mcpserver/store"
)

// fixture is a dashboard over a real MCP server, a local store in a
// temporary folder, the repository's examples as document root and the
// demo target on 127.0.0.1, served by httptest on 127.0.0.1.
type fixture struct {
	dash   *Dashboard
	http   *httptest.Server
	store  *store.Local
	root   string
	target string
	hc     *http.Client
	csrf   string
}

func newFixture(t *testing.T, configure func(*Options)) *fixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	target, shutdown, err := demo.Start(ctx, "127.0.0.1:0", demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = shutdown(context.Background()) })
	f := &fixture{target: target, root: filepath.Join(t.TempDir(), "artifacts")}
	if f.store, err = store.NewLocal(f.root); err != nil {
		t.Fatal(err)
	}
	examples, err := filepath.Abs(filepath.Join("..", "..", "examples"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := mcpserver.New(mcpserver.Config{Store: f.store, DocsRoots: []string{examples}, WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	opts := Options{Store: f.store}
	if configure != nil {
		configure(&opts)
	}
	if f.dash, err = New(ctx, srv, opts); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.dash.Close() })
	f.http = httptest.NewServer(f.dash)
	t.Cleanup(f.http.Close)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	f.hc = &http.Client{Jar: jar, Timeout: 3 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if opts.Token == "" {
		f.csrf = f.csrfOf(t, "/tools/get_test_artifacts")
	}
	return f
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// csrfOf reads the CSRF token of a page's forms.
func (f *fixture) csrfOf(t *testing.T, path string) string {
	t.Helper()
	_, body := f.get(t, path, http.StatusOK)
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("GET %s: no CSRF token in the page", path)
	}
	return m[1]
}

// do sends a request and returns the response with its body read.
func (f *fixture) do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := f.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// get fetches a path and checks the status.
func (f *fixture) get(t *testing.T, path string, want int) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.http.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, body := f.do(t, req)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: status %d, want %d\n%s", path, resp.StatusCode, want, body)
	}
	return resp, body
}

// post submits a form as a same-origin browser would, with the CSRF token.
func (f *fixture) post(t *testing.T, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	form.Set(csrfField, f.csrf)
	req, err := http.NewRequest(http.MethodPost, f.http.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", f.http.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return f.do(t, req)
}

var resultJSONRE = regexp.MustCompile(`(?s)<pre class="code" id="result-json">(.*?)</pre>`)

// tool runs a tool through its form and returns the structured result.
func (f *fixture) tool(t *testing.T, name string, form url.Values) map[string]any {
	t.Helper()
	resp, body := f.post(t, "/tools/"+name, form)
	if resp.StatusCode != http.StatusOK || strings.Contains(body, `class="result card is-error"`) {
		t.Fatalf("%s: status %d\n%s", name, resp.StatusCode, body)
	}
	m := resultJSONRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("%s: no structured result in the page\n%s", name, body)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &out); err != nil {
		t.Fatalf("%s: result JSON: %v", name, err)
	}
	// The text shown is the tool's summary, not a second copy of the JSON.
	if txt := resultTextRE.FindStringSubmatch(body); txt == nil || strings.Contains(html.UnescapeString(txt[1]), `"session_id":`) {
		t.Errorf("%s: result text %q", name, txt)
	}
	return out
}

var resultTextRE = regexp.MustCompile(`(?s)<pre class="text" id="result-text">(.*?)</pre>`)

// session is a session prepared through the dashboard's forms: plans,
// two completed runs, both analysed.
type session struct {
	id       string
	runs     [2]string
	analyses [2]string // refs as the comparison page takes them
}

// prepare runs the whole workflow through the forms: architecture,
// scenarios (one short, slow load scenario), plans against the demo
// target, two runs waited for with get_test_status, and their analyses.
func (f *fixture) prepare(t *testing.T) session {
	t.Helper()
	arch := f.tool(t, "analyze_architecture", url.Values{"documents_path": {"architecture"}})
	var s session
	s.id, _ = arch["session_id"].(string)
	if checkID("session", s.id) != nil {
		t.Fatalf("analyze_architecture: session_id %v", arch["session_id"])
	}
	f.tool(t, "generate_test_scenarios", url.Values{"session_id": {s.id}, "scenario_types": {"load"},
		"quick_duration": {"2s"}, "nfrs.throughput": {"5rps"}, "nfrs.response_time_p95": {"800ms"}})
	f.tool(t, "generate_test_plans", url.Values{"session_id": {s.id}, "target_url": {f.target}})
	for i := range s.runs {
		run := f.tool(t, "execute_performance_test", url.Values{"session_id": {s.id}})
		s.runs[i], _ = run["run_id"].(string)
		st := f.tool(t, "get_test_status", url.Values{"session_id": {s.id}, "run_id": {s.runs[i]}, "wait_seconds": {"60"}})
		if st["state"] != mcpserver.StateCompleted {
			t.Fatalf("run %s: state %v", s.runs[i], st["state"])
		}
		resp, body := f.post(t, "/s/"+s.id+"/runs/"+s.runs[i]+"/analyze", url.Values{})
		if resp.StatusCode != http.StatusOK || strings.Contains(body, "is-error") {
			t.Fatalf("analyze run %s: %d\n%s", s.runs[i], resp.StatusCode, body)
		}
		s.analyses[i] = s.id + "/" + mcpserver.AnalysisPrefix + s.runs[i] + "/load/" + analysisFile
	}
	return s
}

// checkPage checks what every dashboard page must be: HTML with the
// strict policy, and no inline script or event handler attribute.
func checkPage(t *testing.T, path string, resp *http.Response, body string) {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("%s: Content-Type %q", path, ct)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if csp != pageCSP || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("%s: Content-Security-Policy %q", path, csp)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: no nosniff", path)
	}
	doc, err := xhtml.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.ElementNode {
			src := ""
			for _, a := range n.Attr {
				if strings.HasPrefix(a.Key, "on") {
					t.Errorf("%s: <%s %s=…> is an inline event handler", path, n.Data, a.Key)
				}
				if a.Key == "style" {
					t.Errorf("%s: <%s style=…> is an inline style", path, n.Data)
				}
				if a.Key == "src" {
					src = a.Val
				}
			}
			if n.Data == "script" && src == "" {
				t.Errorf("%s: inline <script>", path)
			}
			if n.Data == "style" {
				t.Errorf("%s: inline <style>", path)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
}

// stored reads an object of the store.
func (f *fixture) stored(t *testing.T, key string) []byte {
	t.Helper()
	rc, err := f.store.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDashboard runs the workflow through the forms, then checks every
// page, the live status, the downloads, the reports, the comparison and
// the refusals of bad artifact names.
func TestDashboard(t *testing.T) {
	f := newFixture(t, nil)
	s := f.prepare(t)
	sp := "/s/" + s.id
	plan := string(f.stored(t, sessionPrefix(s.id)+"plans/load.yaml"))
	archKey := sessionPrefix(s.id) + mcpserver.ArchitectureKey
	var archPretty bytes.Buffer
	if err := json.Indent(&archPretty, f.stored(t, archKey), "", "  "); err != nil {
		t.Fatal(err)
	}
	// The comparison the page must show, from the stored analyses.
	var base, next results.Analysis
	for i, a := range []*results.Analysis{&base, &next} {
		_, name, _ := strings.Cut(s.analyses[i], "/")
		if err := json.Unmarshal(f.stored(t, sessionPrefix(s.id)+name), a); err != nil {
			t.Fatal(err)
		}
	}
	cmp := results.Compare(&base, &next, results.Tolerances{})
	tools, err := f.dash.client.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("pages", func(t *testing.T) {
		compareQ := "?base=" + url.QueryEscape(s.analyses[0]) + "&new=" + url.QueryEscape(s.analyses[1])
		tests := []struct {
			name string
			path string
			want []string
		}{
			{"sessions", "/", []string{`href="/s/` + s.id + `"`}},
			{"session", sp, []string{s.runs[0], s.runs[1], "load.yaml", "YAML", "Java DSL", "JMX", html.EscapeString(plan),
				sp + "/report/" + mcpserver.AnalysisPrefix + s.runs[1] + "/load/report.html"}},
			{"view json", sp + "/view/" + mcpserver.ArchitectureKey, []string{html.EscapeString(archPretty.String())}},
			{"view yaml", sp + "/view/plans/load.yaml", []string{html.EscapeString(plan)}},
			{"tools", "/tools", nil},
			{"tool form", "/tools/execute_performance_test?session_id=" + s.id,
				[]string{`name="session_id" value="` + s.id + `"`, `name="execution_environment.target_url"`,
					`name="execution_environment.workers"`, `name="monitoring_config.duration"`, `name="plans"`, `name="raw"`}},
			{"live run", sp + "/runs/" + s.runs[0], []string{"completed", `id="analyze"`, "api/status/" + s.id + "/" + s.runs[0]}},
			{"compare picker", "/compare", []string{s.analyses[0], s.analyses[1]}},
			{"comparison", "/compare" + compareQ, []string{`id="compare-table"`, "<strong>Total</strong>"}},
			{"login without a token", "/login", []string{`name="token"`}},
		}
		for _, tool := range tools.Tools {
			tests[4].want = append(tests[4].want, `href="/tools/`+tool.Name+`"`)
		}
		for _, l := range cmp.Labels {
			if !l.Total {
				tests[8].want = append(tests[8].want, "<td>"+html.EscapeString(l.Label)+"</td>")
			}
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, body := f.get(t, tt.path, http.StatusOK)
				checkPage(t, tt.path, resp, body)
				for _, w := range tt.want {
					if !strings.Contains(body, w) {
						t.Errorf("GET %s: no %q", tt.path, w)
					}
				}
			})
		}
	})

	t.Run("every tool form has a field per argument", func(t *testing.T) {
		for _, tool := range tools.Tools {
			sc, err := toolSchema(tool)
			if err != nil {
				t.Fatal(err)
			}
			_, body := f.get(t, "/tools/"+tool.Name, http.StatusOK)
			for name, p := range sc.Properties {
				if len(p.Properties) > 0 {
					for sub := range p.Properties {
						if !strings.Contains(body, `name="`+name+"."+sub+`"`) {
							t.Errorf("%s: no field %s.%s", tool.Name, name, sub)
						}
					}
					continue
				}
				if !strings.Contains(body, `name="`+name+`"`) {
					t.Errorf("%s: no field %s", tool.Name, name)
				}
			}
		}
	})

	t.Run("status API", func(t *testing.T) {
		resp, body := f.get(t, "/api/status/"+s.id+"/"+s.runs[1], http.StatusOK)
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		var st liveStatus
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			t.Fatal(err)
		}
		var stored mcpserver.RunStatus
		if err := json.Unmarshal(f.stored(t, sessionPrefix(s.id)+mcpserver.RunsPrefix+s.runs[1]+"/"+mcpserver.StatusFile), &stored); err != nil {
			t.Fatal(err)
		}
		if !st.Ended || st.State != stored.State || st.RunID != s.runs[1] || len(st.Plans) != len(stored.Plans) ||
			st.Plan == nil || st.Plan.Result == nil || st.Plan.Result.Requests != stored.Plans[0].Result.Requests {
			t.Errorf("status %s, stored %+v", body, stored)
		}
		for _, path := range []string{"/api/status/" + s.id + "/nope", "/api/status/" + s.id + "/bad%20id", "/api/status/" + s.id + "/..%2F.."} {
			req, _ := http.NewRequest(http.MethodGet, f.http.URL+path, nil)
			resp, body := f.do(t, req)
			if resp.StatusCode < 400 || !strings.Contains(body, `"error"`) {
				t.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
			}
		}
	})

	t.Run("tool errors are shown", func(t *testing.T) {
		// 192.0.2.1 (TEST-NET-1) is not on the allowlist: the server
		// refuses the run before sending anything.
		resp, body := f.post(t, "/tools/execute_performance_test", url.Values{"session_id": {s.id},
			"execution_environment.target_url": {"http://192.0.2.1:8080"}})
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "is-error") || !strings.Contains(body, "192.0.2.1") {
			t.Errorf("status %d\n%s", resp.StatusCode, body)
		}
		resp, body = f.post(t, "/tools/get_test_status", url.Values{"session_id": {s.id}, "wait_seconds": {"soon"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "not a whole number") {
			t.Errorf("bad integer: status %d\n%s", resp.StatusCode, body)
		}
		resp, body = f.post(t, "/tools/get_test_status", url.Values{"raw": {"[1]"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "raw JSON arguments") {
			t.Errorf("bad raw JSON: status %d\n%s", resp.StatusCode, body)
		}
		req, _ := http.NewRequest(http.MethodGet, f.http.URL+"/tools/no_such_tool", nil)
		if resp, _ := f.do(t, req); resp.StatusCode != http.StatusNotFound {
			t.Errorf("unknown tool: %d", resp.StatusCode)
		}
	})

	t.Run("downloads", func(t *testing.T) {
		tests := []struct {
			name, ctype string
		}{
			{"plans/load.yaml", "application/yaml"},
			{"plans/jmeter/load.jmx", "application/xml"},
			{"plans/jmeter/load/pom.xml", "application/xml"},
			{mcpserver.ArchitectureKey, "application/json"},
			{mcpserver.RunsPrefix + s.runs[0] + "/load/results.jtl", "text/csv; charset=utf-8"},
			{mcpserver.AnalysisPrefix + s.runs[0] + "/load/report.html", "text/html; charset=utf-8"},
			{mcpserver.AnalysisPrefix + s.runs[0] + "/load/insights.md", "text/markdown; charset=utf-8"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, body := f.get(t, "/s/"+s.id+"/raw/"+tt.name, http.StatusOK)
				if ct := resp.Header.Get("Content-Type"); ct != tt.ctype {
					t.Errorf("Content-Type %q, want %q", ct, tt.ctype)
				}
				disp, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
				if err != nil || disp != "attachment" || params["filename"] != filepath.Base(tt.name) {
					t.Errorf("Content-Disposition %q", resp.Header.Get("Content-Disposition"))
				}
				if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") {
					t.Errorf("Content-Security-Policy %q", csp)
				}
				if want := f.stored(t, sessionPrefix(s.id)+tt.name); body != string(want) {
					t.Errorf("body: %d bytes, stored %d", len(body), len(want))
				}
			})
		}
	})

	t.Run("reports", func(t *testing.T) {
		tests := []struct {
			name string
			path string
			doc  func() string
		}{
			{"stored report", sp + "/report/" + mcpserver.AnalysisPrefix + s.runs[0] + "/load/report.html",
				func() string {
					return string(f.stored(t, sessionPrefix(s.id)+mcpserver.AnalysisPrefix+s.runs[0]+"/load/report.html"))
				}},
			{"comparison report", "/compare/report?base=" + url.QueryEscape(s.analyses[0]) + "&new=" + url.QueryEscape(s.analyses[1]),
				func() string {
					c := results.Compare(&base, &next, results.Tolerances{})
					c.Base, c.New = s.analyses[0], s.analyses[1]
					var b bytes.Buffer
					if err := results.WriteComparisonHTML(&b, c); err != nil {
						t.Fatal(err)
					}
					return b.String()
				}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, body := f.get(t, tt.path, http.StatusOK)
				if want := tt.doc(); body != want {
					t.Errorf("body differs from the document (%d bytes, want %d)", len(body), len(want))
				}
				csp := resp.Header.Get("Content-Security-Policy")
				for _, w := range []string{"default-src 'none'", "sandbox allow-scripts", "form-action 'none'"} {
					if !strings.Contains(csp, w) {
						t.Errorf("CSP %q lacks %q", csp, w)
					}
				}
				if strings.Contains(csp, "script-src 'unsafe-inline'") || strings.Contains(csp, "allow-same-origin") {
					t.Errorf("CSP %q is not strict", csp)
				}
				// The one inline script is allowed by its hash.
				i, j := strings.Index(body, "<script>"), strings.Index(body, "</script>")
				if i < 0 || j < i {
					t.Fatal("the report has no inline script")
				}
				sum := sha256.Sum256([]byte(body[i+len("<script>") : j]))
				if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, "script-src "+h) {
					t.Errorf("CSP %q lacks the script's hash %s", csp, h)
				}
			})
		}
		req, _ := http.NewRequest(http.MethodGet, f.http.URL+sp+"/report/plans/load.yaml", nil)
		if resp, _ := f.do(t, req); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("a plan served as a report: %d", resp.StatusCode)
		}
	})

	t.Run("traversal", func(t *testing.T) {
		secret := "top-secret-" + s.id
		if err := os.WriteFile(filepath.Join(filepath.Dir(f.root), "secret.html"), []byte(secret), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(f.root, "secret.html"), []byte(secret), 0o600); err != nil {
			t.Fatal(err)
		}
		paths := []string{
			sp + "/raw/..%2F..%2F..%2Fsecret.html",
			sp + "/raw/..%2F..%2Fsecret.html",
			sp + "/view/plans%2F..%2F..%2F..%2F..%2Fsecret.html",
			sp + "/raw/plans/%2E%2E/%2E%2E/%2E%2E/secret.html",
			sp + "/report/analysis%2F..%2F..%2F..%2F..%2Fsecret.html",
			sp + "/raw/plans%5C..%5C..%5C..%5Csecret.html",
			sp + "/raw/%00",
			sp + "/raw/plans//load.yaml",
			"/s/..%2F..%2F/raw/secret.html",
			"/s/%2E%2E/raw/secret.html",
			"/s/..%2F/view/secret.html",
			"/s/x%00/view/architecture.json",
			"/api/status/..%2F..%2Fsecret.html/x",
			"/compare?base=" + url.QueryEscape("../../secret.html") + "&new=" + url.QueryEscape(s.analyses[0]),
			"/compare?base=" + url.QueryEscape(s.id+"/analysis/../../../secret.html/results_analysis.json") + "&new=" + url.QueryEscape(s.analyses[0]),
		}
		for _, p := range paths {
			req, err := http.NewRequest(http.MethodGet, f.http.URL+p, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(p, "?") {
				req.URL.Opaque = "//" + req.URL.Host + p // send the path exactly as written
			}
			resp, body := f.do(t, req)
			if resp.StatusCode == http.StatusOK || strings.Contains(body, secret) {
				t.Errorf("GET %s: status %d, body %.200q", p, resp.StatusCode, body)
			}
		}
	})
}

// TestAuth checks the token: required with a login form, a cookie that
// is not the token, bearer tokens for scripts, and the static assets open.
func TestAuth(t *testing.T) {
	const token = "s3cret-token-for-tests"
	f := newFixture(t, func(o *Options) { o.Token = token })
	req := func(method, path, auth string, form url.Values) *http.Request {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		r, err := http.NewRequest(method, f.http.URL+path, body)
		if err != nil {
			t.Fatal(err)
		}
		if form != nil {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Origin", f.http.URL)
		}
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		return r
	}
	anon := &http.Client{Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tests := []struct {
		name     string
		req      *http.Request
		want     int
		location string
	}{
		{"page without credentials", req("GET", "/s/x", "", nil), http.StatusSeeOther, "/login?next=s%2Fx"},
		{"sessions without credentials", req("GET", "/", "", nil), http.StatusSeeOther, "/login?next="},
		{"api without credentials", req("GET", "/api/status/a/b", "", nil), http.StatusUnauthorized, ""},
		{"download without credentials", req("GET", "/s/a/raw/architecture.json", "", nil), http.StatusSeeOther, "/login?next=s%2Fa%2Fraw%2Farchitecture.json"},
		{"post without credentials", req("POST", "/tools/get_test_artifacts", "", url.Values{}), http.StatusUnauthorized, ""},
		{"wrong bearer token", req("GET", "/", "Bearer "+token+"x", nil), http.StatusUnauthorized, ""},
		{"basic instead of bearer", req("GET", "/", "Basic "+token, nil), http.StatusUnauthorized, ""},
		{"bearer token", req("GET", "/", "Bearer "+token, nil), http.StatusOK, ""},
		{"login form", req("GET", "/login", "", nil), http.StatusOK, ""},
		{"stylesheet", req("GET", "/static/app.css", "", nil), http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := anon.Do(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tt.want, b)
			}
			if tt.location != "" && resp.Header.Get("Location") != tt.location {
				t.Errorf("Location %q, want %q", resp.Header.Get("Location"), tt.location)
			}
			if strings.Contains(string(b), token) {
				t.Error("the response echoes the token")
			}
		})
	}

	t.Run("login", func(t *testing.T) {
		csrf := f.csrfOf(t, "/login")
		for _, tt := range []struct {
			name  string
			token string
			want  int
		}{
			{"wrong token", token + "x", http.StatusUnauthorized},
			{"empty token", "", http.StatusUnauthorized},
			{"right token", token, http.StatusSeeOther},
		} {
			resp, body := f.do(t, req("POST", "/login", "", url.Values{"token": {tt.token}, "next": {"tools"}, csrfField: {csrf}}))
			if resp.StatusCode != tt.want {
				t.Fatalf("%s: status %d, want %d\n%s", tt.name, resp.StatusCode, tt.want, body)
			}
			if tt.want != http.StatusSeeOther {
				if len(resp.Cookies()) != 0 {
					t.Errorf("%s: a cookie was set", tt.name)
				}
				continue
			}
			if loc := resp.Header.Get("Location"); loc != "/tools" {
				t.Errorf("Location %q", loc)
			}
			var c *http.Cookie
			for _, k := range resp.Cookies() {
				if k.Name == cookieName {
					c = k
				}
			}
			if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Value == "" || strings.Contains(c.Value, token) {
				t.Fatalf("cookie %+v", c)
			}
		}
		// The jar now holds the cookie: pages open, and forms need the
		// logged-in page's CSRF token, not the login page's.
		f.get(t, "/", http.StatusOK)
		f.get(t, "/tools/get_test_artifacts", http.StatusOK)
		resp, _ := f.do(t, req("POST", "/tools/get_test_artifacts", "", url.Values{csrfField: {csrf}}))
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("the anonymous CSRF token worked after login: %d", resp.StatusCode)
		}
		f.csrf = f.csrfOf(t, "/tools/get_test_artifacts")
		if resp, body := f.post(t, "/tools/get_test_artifacts", url.Values{}); resp.StatusCode != http.StatusOK {
			t.Errorf("POST after login: %d\n%s", resp.StatusCode, body)
		}
		resp, _ = f.post(t, "/logout", url.Values{})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("logout: %d", resp.StatusCode)
		}
		f.get(t, "/", http.StatusSeeOther)
	})
}

// TestCSRF checks that forms are refused across origins and without
// their token, and accepted with both.
func TestCSRF(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		name    string
		path    string
		csrf    string
		headers map[string]string
		want    int
	}{
		{"same origin with the token", "/tools/get_test_artifacts", f.csrf, map[string]string{"Origin": f.http.URL}, http.StatusOK},
		{"no header but the token (not a browser)", "/tools/get_test_artifacts", f.csrf, nil, http.StatusOK},
		{"no token", "/tools/get_test_artifacts", "", map[string]string{"Origin": f.http.URL}, http.StatusForbidden},
		{"wrong token", "/tools/get_test_artifacts", strings.Repeat("0", 64), map[string]string{"Origin": f.http.URL}, http.StatusForbidden},
		{"other origin", "/tools/get_test_artifacts", f.csrf, map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"cross-site fetch", "/tools/get_test_artifacts", f.csrf, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"cancel without a token", "/s/a/runs/b/cancel", "", map[string]string{"Origin": f.http.URL}, http.StatusForbidden},
		{"analyze from another origin", "/s/a/runs/b/analyze", f.csrf, map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"login from another origin", "/login", f.csrf, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{}
			if tt.csrf != "" {
				form.Set(csrfField, tt.csrf)
			}
			req, err := http.NewRequest(http.MethodPost, f.http.URL+tt.path, strings.NewReader(form.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			resp, body := f.do(t, req)
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d\n%s", resp.StatusCode, tt.want, body)
			}
		})
	}
}

// TestHostGuard checks that without a token only loopback Host headers
// are served (no DNS rebinding), and that AnyHost turns the guard off.
func TestHostGuard(t *testing.T) {
	for _, anyHost := range []bool{false, true} {
		f := newFixture(t, func(o *Options) { o.AnyHost = anyHost })
		tests := []struct {
			host string
			ok   bool
		}{
			{"127.0.0.1:8780", true},
			{"localhost:8780", true},
			{"[::1]:8780", true},
			{"127.1.2.3", true},
			{"evil.example:8780", anyHost},
			{"10.0.0.1:8780", anyHost},
		}
		for _, tt := range tests {
			req, err := http.NewRequest(http.MethodGet, f.http.URL+"/", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Host = tt.host
			resp, _ := f.do(t, req)
			if ok := resp.StatusCode == http.StatusOK; ok != tt.ok {
				t.Errorf("AnyHost %v, Host %s: status %d", anyHost, tt.host, resp.StatusCode)
			}
		}
	}
}

// TestFormArgs checks how form values become tool arguments.
func TestFormArgs(t *testing.T) {
	sc := &schema{Type: "object", Required: []string{"session_id"}, Properties: map[string]*schema{
		"session_id":   {Type: "string"},
		"wait_seconds": {Type: "integer"},
		"ratio":        {Type: "number"},
		"flag":         {Type: "boolean"},
		"format":       {Type: "string", Enum: []any{"yaml", "jmx"}},
		"types":        {Type: []any{"null", "array"}, Items: &schema{Type: "string"}},
		"apis":         {Type: []any{"null", "array"}, Items: &schema{Type: "object"}},
		"nfrs": {Type: []any{"null", "object"}, Properties: map[string]*schema{
			"throughput": {Type: []any{"string", "number"}},
			"error_rate": {Type: []any{"string", "number"}},
		}},
	}}
	groups := formFields(sc)
	if len(groups) != 2 || groups[0].Fields[0].Name != "session_id" || groups[1].Name != "nfrs" {
		t.Fatalf("groups %+v", groups)
	}
	kinds := map[string]string{}
	for _, g := range groups {
		for _, f := range g.Fields {
			kinds[f.Name] = f.Kind
		}
	}
	wantKinds := map[string]string{"session_id": kindText, "wait_seconds": kindInteger, "ratio": kindNumber, "flag": kindBool,
		"format": kindEnum, "types": kindLines, "apis": kindJSON, "nfrs.throughput": kindFlex, "nfrs.error_rate": kindFlex}
	for k, v := range wantKinds {
		if kinds[k] != v {
			t.Errorf("field %s: kind %q, want %q", k, kinds[k], v)
		}
	}
	tests := []struct {
		name    string
		form    map[string]string
		raw     string
		want    string
		wantErr string
	}{
		{"empty fields are left out", map[string]string{"session_id": " s1 ", "wait_seconds": ""}, "", `{"session_id":"s1"}`, ""},
		{"typed values", map[string]string{"session_id": "s1", "wait_seconds": "30", "ratio": "0.5", "flag": "on", "format": "jmx",
			"types": "load\nspike, stress\n", "apis": `[{"endpoint":"/a"}]`, "nfrs.throughput": "5rps"}, "",
			`{"apis":[{"endpoint":"/a"}],"flag":true,"format":"jmx","nfrs":{"throughput":"5rps"},"ratio":0.5,"session_id":"s1","types":["load","spike","stress"],"wait_seconds":30}`, ""},
		{"raw JSON overrides and merges", map[string]string{"session_id": "s1", "nfrs.throughput": "5rps", "nfrs.error_rate": "1%"},
			`{"session_id":"s2","nfrs":{"throughput":7}}`, `{"nfrs":{"error_rate":"1%","throughput":7},"session_id":"s2"}`, ""},
		{"raw JSON alone", nil, `{"session_id":"s3"}`, `{"session_id":"s3"}`, ""},
		{"bad integer", map[string]string{"wait_seconds": "1.5"}, "", "", "not a whole number"},
		{"bad number", map[string]string{"ratio": "half"}, "", "", "not a number"},
		{"bad JSON field", map[string]string{"apis": "[{"}, "", "", "apis: not JSON"},
		{"raw JSON not an object", nil, `["x"]`, "", "want an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args, err := formArgs(groups, func(k string) string { return tt.form[k] }, tt.raw)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(args)
			if string(b) != tt.want {
				t.Errorf("args %s, want %s", b, tt.want)
			}
		})
	}
}

// TestNewOptions checks New's refusals.
func TestNewOptions(t *testing.T) {
	st, err := store.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := mcpserver.New(mcpserver.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	for _, tt := range []struct {
		name string
		srv  *mcpserver.Server
		opts Options
	}{
		{"no store", srv, Options{}},
		{"no server", nil, Options{Store: st}},
		{"base without a slash", srv, Options{Store: st, Base: "ui"}},
		{"base without a trailing slash", srv, Options{Store: st, Base: "/ui"}},
	} {
		if d, err := New(context.Background(), tt.srv, tt.opts); err == nil {
			d.Close()
			t.Errorf("%s: no error", tt.name)
		}
	}
}

// TestCancel starts a long run through the form and stops it with the
// live view's cancel button.
func TestCancel(t *testing.T) {
	f := newFixture(t, nil)
	arch := f.tool(t, "analyze_architecture", url.Values{"documents_path": {"architecture"}})
	id, _ := arch["session_id"].(string)
	f.tool(t, "generate_test_scenarios", url.Values{"session_id": {id}, "scenario_types": {"load"},
		"quick_duration": {"60s"}, "nfrs.throughput": {"2rps"}})
	f.tool(t, "generate_test_plans", url.Values{"session_id": {id}, "target_url": {f.target}, "output_format": {"yaml"}})
	run, _ := f.tool(t, "execute_performance_test", url.Values{"session_id": {id}})["run_id"].(string)
	runPage := "/s/" + id + "/runs/" + run
	_, body := f.get(t, runPage, http.StatusOK)
	if !strings.Contains(body, `id="cancel"`) || strings.Contains(body, `id="analyze"`) {
		t.Fatalf("live view of a running run:\n%s", body)
	}
	resp, body := f.post(t, runPage+"/cancel", url.Values{})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != runPage {
		t.Fatalf("cancel: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, body := f.get(t, "/api/status/"+id+"/"+run, http.StatusOK)
		var st liveStatus
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			t.Fatal(err)
		}
		if st.Ended {
			if st.State != mcpserver.StateCancelled {
				t.Fatalf("state %s after cancel: %s", st.State, body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("run still %s 30s after cancel", st.State)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Cancelling an ended run is refused by cancel_test and shown.
	if resp, body := f.post(t, runPage+"/cancel", url.Values{}); resp.StatusCode != http.StatusConflict {
		t.Errorf("second cancel: %d\n%s", resp.StatusCode, body)
	}
}
