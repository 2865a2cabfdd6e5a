package ui

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/loadgen/loadgen/mcpserver"
	"github.com/loadgen/loadgen/mcpserver/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageCSP is the Content-Security-Policy of the dashboard's own pages: the
// embedded stylesheet and script only, no inline code, no other origin.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// toolTimeout bounds one tool call made from a form, as the original
// page's 300 s request timeout did.
const toolTimeout = 5 * time.Minute

// Options configure a Dashboard.
type Options struct {
	// Store is the MCP server's artifact store (required): the pages read
	// the sessions from it.
	Store store.Store
	// Token, when set, is required on every request: as
	// "Authorization: Bearer TOKEN" or through the login form's cookie.
	// Set it whenever the dashboard listens on a non-loopback address
	// (see mcpserver.CheckListen).
	Token string
	// Base is the path the dashboard is served under, starting and ending
	// with "/" (default "/"); the handler expects requests with that
	// prefix already removed (http.StripPrefix), and links carry it.
	Base string
	// Logger receives one line per tool call made from a form (tool name
	// and outcome, never arguments); nil discards.
	Logger *slog.Logger
	// AnyHost turns off the DNS-rebinding guard, which, when no Token is
	// set, refuses requests whose Host is not localhost or a loopback
	// address; set it only behind a local reverse proxy that checks the
	// Host itself.
	AnyHost bool
}

// Dashboard is the web dashboard's http.Handler. Close it to end its MCP
// client session.
type Dashboard struct {
	store   store.Store
	token   string
	base    string
	anyHost bool
	log     *slog.Logger
	client  *mcp.ClientSession
	server  *mcp.ServerSession
	tools   []*mcp.Tool
	csrfKey []byte
	cookie  string // the session cookie's value when a token is set
	pages   map[string]*template.Template
	mux     *http.ServeMux
	handler http.Handler
}

// New connects an MCP client session to srv in-process and returns the
// dashboard. ctx bounds the connection handshake only.
func New(ctx context.Context, srv *mcpserver.Server, opts Options) (*Dashboard, error) {
	if srv == nil || opts.Store == nil {
		return nil, errors.New("ui: a server and its store are required")
	}
	base := opts.Base
	if base == "" {
		base = "/"
	}
	if !strings.HasPrefix(base, "/") || !strings.HasSuffix(base, "/") {
		return nil, fmt.Errorf("ui: base path %q must start and end with /", base)
	}
	d := &Dashboard{store: opts.Store, token: opts.Token, base: base, log: opts.Logger, anyHost: opts.AnyHost}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	d.csrfKey = make([]byte, 32)
	if _, err := rand.Read(d.csrfKey); err != nil {
		return nil, fmt.Errorf("ui: csrf key: %w", err)
	}
	if d.token != "" {
		d.cookie = cookieValue(d.token)
	}
	if err := d.parseTemplates(); err != nil {
		return nil, err
	}
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.NewMCP().Connect(ctx, st, nil)
	if err != nil {
		return nil, fmt.Errorf("ui: connecting the MCP server: %w", err)
	}
	d.server = ss
	c := mcp.NewClient(&mcp.Implementation{Name: "loadgen-ui", Version: "1"}, nil)
	d.client, err = c.Connect(ctx, ct, nil)
	if err != nil {
		ss.Close()
		return nil, fmt.Errorf("ui: connecting the MCP client: %w", err)
	}
	for t, err := range d.client.Tools(ctx, nil) {
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("ui: listing the tools: %w", err)
		}
		d.tools = append(d.tools, t)
	}
	d.routes()
	return d, nil
}

// Close ends the dashboard's MCP client session. Runs it started go on in
// the server.
func (d *Dashboard) Close() error {
	err := d.client.Close()
	if d.server != nil {
		_ = d.server.Close()
	}
	return err
}

// ServeHTTP serves the dashboard.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.handler.ServeHTTP(w, r)
}

func (d *Dashboard) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", d.sessionsPage)
	m.Handle("GET /static/", http.FileServerFS(mustSub(staticFS, ".")))
	m.HandleFunc("GET /login", d.loginPage)
	m.HandleFunc("POST /login", d.login)
	m.HandleFunc("POST /logout", d.logout)
	m.HandleFunc("GET /s/{session}", d.sessionPage)
	m.HandleFunc("GET /s/{session}/view/{name...}", d.viewPage)
	m.HandleFunc("GET /s/{session}/raw/{name...}", d.download)
	m.HandleFunc("GET /s/{session}/report/{name...}", d.report)
	m.HandleFunc("GET /s/{session}/runs/{run}", d.runPage)
	m.HandleFunc("POST /s/{session}/runs/{run}/cancel", d.cancelRun)
	m.HandleFunc("POST /s/{session}/runs/{run}/analyze", d.analyzeRun)
	m.HandleFunc("GET /api/status/{session}/{run}", d.statusAPI)
	m.HandleFunc("GET /tools", d.toolsPage)
	m.HandleFunc("GET /tools/{tool}", d.toolPage)
	m.HandleFunc("POST /tools/{tool}", d.runTool)
	m.HandleFunc("GET /compare", d.comparePage)
	m.HandleFunc("GET /compare/report", d.compareReport)
	d.mux = m
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.fail(w, r, http.StatusForbidden, errors.New("cross-origin request refused"))
	}))
	d.handler = d.secure(cop.Handler(d.auth(d.csrf(m))))
}

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return s
}

// secure sets the headers every response carries.
func (d *Dashboard) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", pageCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		if d.token == "" && !d.anyHost && !loopbackHost(r.Host) {
			// Without a token only loopback clients may come in; a page of
			// another site must not reach us through a rebound DNS name.
			d.fail(w, r, http.StatusForbidden, fmt.Errorf("host %q refused: without a token the dashboard answers to localhost and loopback addresses only", r.Host))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, mcpserver.MaxRequestBytes)
		next.ServeHTTP(w, r)
	})
}

// loopbackHost reports whether a Host header names localhost or a loopback
// address.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// render executes a page template into a buffer first, so that an error
// never leaves half a page behind.
func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	t := d.pages[page]
	if t == nil {
		d.fail(w, r, http.StatusInternalServerError, fmt.Errorf("no template %q", page))
		return
	}
	var buf bytes.Buffer
	v := view{Base: d.base, CSRF: d.csrfToken(r), Auth: d.token != "", Data: data}
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		d.log.Error("ui: rendering", "page", page, "err", err)
		http.Error(w, "rendering failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// view is what every page template gets.
type view struct {
	Base string
	CSRF string
	Auth bool
	Data any
}

// errorData is the error page's data.
type errorData struct {
	Status int
	Title  string
	Err    string
}

// fail renders the error page.
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, status int, err error) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeJSON(w, status, map[string]string{"error": err.Error()})
		return
	}
	d.render(w, r, status, "error", errorData{Status: status, Title: http.StatusText(status), Err: err.Error()})
}

func (d *Dashboard) parseTemplates() error {
	funcs := template.FuncMap{
		"bytes":   humanBytes,
		"time":    func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") },
		"ms":      ms,
		"pct":     func(f float64) string { return fmt.Sprintf("%.2f", f) },
		"num":     func(f float64) string { return fmt.Sprintf("%.1f", f) },
		"change":  change,
		"join":    strings.Join,
		"percent": func(f float64) string { return fmt.Sprintf("%.0f", f*100) },
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return fmt.Errorf("ui: templates: %w", err)
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return fmt.Errorf("ui: templates: %w", err)
	}
	d.pages = map[string]*template.Template{}
	for _, n := range names {
		if n == "templates/layout.html" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return fmt.Errorf("ui: templates: %w", err)
		}
		d.pages[strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")] = t
	}
	return nil
}

// humanBytes formats a size.
func humanBytes(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
}

// ms formats a latency in milliseconds: two decimals below 10 ms.
func ms(f float64) string {
	if f < 10 {
		return fmt.Sprintf("%.2f", f)
	}
	return fmt.Sprintf("%.1f", f)
}

// change formats a relative change in percent, or "–" when undefined.
func change(p *float64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf("%+.1f%%", *p)
}
