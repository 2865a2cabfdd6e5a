package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func newServer(t *testing.T, opts Options) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(Handler(opts))
	t.Cleanup(ts.Close)
	return ts
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// fetch sends one request and reads the whole response; safe in any goroutine.
func fetch(c *http.Client, method, url, body string, header map[string]string) (response, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return response{}, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: reading body: %w", method, url, err)
	}
	return response{res.StatusCode, res.Header, b}, nil
}

// do is fetch for the test goroutine: errors are fatal.
func do(t *testing.T, c *http.Client, method, url, body string, header map[string]string) response {
	t.Helper()
	r, err := fetch(c, method, url, body, header)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestEndpoints(t *testing.T) {
	ts := newServer(t, Options{})
	tests := []struct {
		name, method, path, body string
		status                   int
		ctype                    string
		contains                 string
	}{
		{"root", "GET", "/", "", 200, "text/plain; charset=utf-8", "loadgen demo"},
		{"health", "GET", "/health", "", 200, "application/json", `{"status":"ok"}`},
		{"products default page", "GET", "/api/products", "", 200, "application/json", `{"page":1,"items":[{"sku":1,`},
		{"products page 3", "GET", "/api/products?page=3", "", 200, "application/json", `{"page":3,"items":[{"sku":21,`},
		{"products page 0", "GET", "/api/products?page=0", "", 400, "application/json", `"error"`},
		{"products page abc", "GET", "/api/products?page=abc", "", 400, "application/json", `"error"`},
		{"products wrong method", "POST", "/api/products", "{}", 405, "", ""},
		{"login bad json", "POST", "/api/auth/login", `{"user":`, 400, "application/json", "invalid JSON"},
		{"login missing user", "POST", "/api/auth/login", `{"password":"x"}`, 400, "application/json", "user"},
		{"login get", "GET", "/api/auth/login", "", 405, "", ""},
		{"cart no token", "POST", "/api/cart", `{"sku":1}`, 401, "application/json", "token"},
		{"status 418", "GET", "/status/418", "", 418, "application/json", `{"status":418}`},
		{"status 503", "GET", "/status/503", "", 503, "application/json", `{"status":503}`},
		{"status 204", "GET", "/status/204", "", 204, "", ""},
		{"status abc", "GET", "/status/abc", "", 400, "application/json", `"error"`},
		{"status 99", "GET", "/status/99", "", 400, "application/json", `"error"`},
		{"slow 0", "GET", "/slow", "", 200, "application/json", `{"slept_ms":0}`},
		{"slow 5", "GET", "/slow?ms=5", "", 200, "application/json", `{"slept_ms":5}`},
		{"slow negative", "GET", "/slow?ms=-1", "", 400, "application/json", `"error"`},
		{"unknown", "GET", "/nope", "", 404, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, ts.Client(), tc.method, ts.URL+tc.path, tc.body, nil)
			if r.status != tc.status {
				t.Fatalf("status = %d, want %d (body %q)", r.status, tc.status, r.body)
			}
			if tc.ctype != "" && r.header.Get("Content-Type") != tc.ctype {
				t.Errorf("Content-Type = %q, want %q", r.header.Get("Content-Type"), tc.ctype)
			}
			if !bytes.Contains(r.body, []byte(tc.contains)) {
				t.Errorf("body %q does not contain %q", r.body, tc.contains)
			}
			if strings.HasPrefix(tc.ctype, "application/json") && len(r.body) > 0 && !json.Valid(r.body) {
				t.Errorf("body is not JSON: %q", r.body)
			}
		})
	}
}

func TestProducts(t *testing.T) {
	ts := newServer(t, Options{})
	for _, page := range []int{1, 2, 1000, 1001, MaxPage} {
		r := do(t, ts.Client(), "GET", ts.URL+"/api/products?page="+strconv.Itoa(page), "", nil)
		if r.status != 200 {
			t.Fatalf("page %d: status %d", page, r.status)
		}
		var got struct {
			Page  int `json:"page"`
			Items []struct {
				SKU   int     `json:"sku"`
				Name  string  `json:"name"`
				Price float64 `json:"price"`
			} `json:"items"`
		}
		if err := json.Unmarshal(r.body, &got); err != nil {
			t.Fatalf("page %d: %v in %q", page, err, r.body)
		}
		if got.Page != page || len(got.Items) != ItemsPerPage {
			t.Fatalf("page %d: got page %d with %d items", page, got.Page, len(got.Items))
		}
		for i, it := range got.Items {
			if want := (page-1)*ItemsPerPage + i + 1; it.SKU != want {
				t.Errorf("page %d item %d: sku %d, want %d", page, i, it.SKU, want)
			}
			if it.Name == "" || it.Price <= 0 {
				t.Errorf("page %d item %d: empty name or price: %+v", page, i, it)
			}
		}
	}
	if r := do(t, ts.Client(), "GET", ts.URL+"/api/products?page="+strconv.Itoa(MaxPage+1), "", nil); r.status != 400 {
		t.Errorf("page beyond MaxPage: status %d, want 400", r.status)
	}
}

// tryLogin logs user in and returns the token; safe in any goroutine.
func tryLogin(c *http.Client, base, user string) (token string, r response, err error) {
	r, err = fetch(c, "POST", base+"/api/auth/login", `{"user":"`+user+`","password":"secret"}`,
		map[string]string{"Content-Type": "application/json"})
	if err != nil {
		return "", r, err
	}
	if r.status != 200 {
		return "", r, fmt.Errorf("login: status %d, body %q", r.status, r.body)
	}
	var got struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(r.body, &got); err != nil || got.Token == "" {
		return "", r, fmt.Errorf("login: body %q: %v", r.body, err)
	}
	return got.Token, r, nil
}

func login(t *testing.T, c *http.Client, base, user string) (string, response) {
	t.Helper()
	token, r, err := tryLogin(c, base, user)
	if err != nil {
		t.Fatal(err)
	}
	return token, r
}

func TestLoginAndCart(t *testing.T) {
	ts := newServer(t, Options{})
	c := ts.Client()
	token, r := login(t, c, ts.URL, "demo")
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("login Content-Type %q", ct)
	}
	if loc := r.header.Get("Location"); loc != "/api/users/demo" {
		t.Errorf("Location = %q", loc)
	}
	cookie := r.header.Get("Set-Cookie")
	if !strings.HasPrefix(cookie, "sid=") || len(cookie) < len("sid=")+32 {
		t.Errorf("Set-Cookie = %q", cookie)
	}
	token2, _ := login(t, c, ts.URL, "demo")
	if token2 == token {
		t.Errorf("two logins returned the same token %q", token)
	}
	if _, r := login(t, c, ts.URL, "a b/c"); r.header.Get("Location") != "/api/users/a%20b%2Fc" {
		t.Errorf("Location not escaped: %q", r.header.Get("Location"))
	}

	tests := []struct {
		name, auth, body string
		status           int
	}{
		{"valid", "Bearer " + token, `{"sku":42}`, 201},
		{"second token", "Bearer " + token2, `{"sku":1,"qty":2}`, 201},
		{"lowercase scheme", "bearer " + token, `[]`, 201},
		{"no header", "", `{"sku":42}`, 401},
		{"unknown token", "Bearer deadbeef", `{"sku":42}`, 401},
		{"basic scheme", "Basic " + token, `{"sku":42}`, 401},
		{"empty bearer", "Bearer ", `{"sku":42}`, 401},
		{"bad json", "Bearer " + token, `{"sku":`, 400},
		{"empty body", "Bearer " + token, ``, 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Content-Type": "application/json"}
			if tc.auth != "" {
				h["Authorization"] = tc.auth
			}
			r := do(t, c, "POST", ts.URL+"/api/cart", tc.body, h)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d (body %q)", r.status, tc.status, r.body)
			}
			if r.header.Get("Content-Type") != "application/json" || !json.Valid(r.body) {
				t.Errorf("not a JSON response: %q %q", r.header.Get("Content-Type"), r.body)
			}
			if tc.status == 201 && string(r.body) != `{"ok":true}` {
				t.Errorf("body %q", r.body)
			}
		})
	}

	// A token from another server instance is not valid here.
	other := newServer(t, Options{})
	r = do(t, other.Client(), "POST", other.URL+"/api/cart", `{}`, map[string]string{"Authorization": "Bearer " + token})
	if r.status != 401 {
		t.Errorf("foreign token: status %d, want 401", r.status)
	}
}

func TestLogo(t *testing.T) {
	ts := newServer(t, Options{})
	r := do(t, ts.Client(), "GET", ts.URL+"/static/logo.png", "", nil)
	if r.status != 200 || r.header.Get("Content-Type") != "image/png" {
		t.Fatalf("status %d, Content-Type %q", r.status, r.header.Get("Content-Type"))
	}
	img, err := png.Decode(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 16 || b.Dy() != 16 || len(r.body) > 4096 {
		t.Errorf("logo %v, %d bytes", b, len(r.body))
	}
}

func TestSlow(t *testing.T) {
	ts := newServer(t, Options{})
	start := time.Now()
	r := do(t, ts.Client(), "GET", ts.URL+"/slow?ms=120", "", nil)
	if el := time.Since(start); r.status != 200 || el < 120*time.Millisecond {
		t.Fatalf("status %d after %v, want 200 after ≥ 120ms", r.status, el)
	}
	// A client that gives up frees the handler; the cap keeps it bounded anyway.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/slow?ms=99999999999", nil)
	if _, err := ts.Client().Do(req); err == nil {
		t.Fatal("expected the client timeout to fire")
	}
}

func TestReset(t *testing.T) {
	ts := newServer(t, Options{})
	res, err := ts.Client().Get(ts.URL + "/reset")
	if err == nil {
		res.Body.Close()
		t.Fatalf("got a response (status %d), want a connection error", res.StatusCode)
	}
	// The server keeps serving other connections.
	if r := do(t, ts.Client(), "GET", ts.URL+"/health", "", nil); r.status != 200 {
		t.Fatalf("health after reset: %d", r.status)
	}
}

func TestLatency(t *testing.T) {
	ts := newServer(t, Options{Latency: 80 * time.Millisecond})
	c := ts.Client()
	do(t, c, "GET", ts.URL+"/health", "", nil) // open the connection
	start := time.Now()
	do(t, c, "GET", ts.URL+"/api/products?page=1", "", nil)
	if el := time.Since(start); el < 80*time.Millisecond {
		t.Errorf("/api/products took %v, want ≥ 80ms", el)
	}
	start = time.Now()
	do(t, c, "GET", ts.URL+"/health", "", nil)
	if el := time.Since(start); el >= 80*time.Millisecond {
		t.Errorf("/health took %v; latency must only apply to /api/", el)
	}
}

func TestStallLeft(t *testing.T) {
	s := &server{opts: Options{Stall: 200 * time.Millisecond, StallEvery: 500 * time.Millisecond}, epoch: time.Unix(0, 0)}
	ms := time.Millisecond
	tests := []struct {
		at, want time.Duration
	}{
		{0, 0}, {100 * ms, 0}, {499 * ms, 0}, // no stall before the first period
		{500 * ms, 200 * ms}, {550 * ms, 150 * ms}, {699 * ms, 1 * ms},
		{700 * ms, 0}, {999 * ms, 0},
		{1000 * ms, 200 * ms}, {1150 * ms, 50 * ms}, {1200 * ms, 0},
		{10*time.Second + 10*ms, 190 * ms},
	}
	for _, tc := range tests {
		if got := s.stallLeft(s.epoch.Add(tc.at)); got != tc.want {
			t.Errorf("stallLeft(+%v) = %v, want %v", tc.at, got, tc.want)
		}
	}
}

// TestStall runs a real server stalling 200ms every 500ms: a request sent
// 550ms in waits for the stall to end (~150ms), requests outside stalls don't.
func TestStall(t *testing.T) {
	t0 := time.Now()
	ts := newServer(t, Options{Stall: 200 * time.Millisecond, StallEvery: 500 * time.Millisecond})
	c := ts.Client()
	timed := func(at time.Duration) time.Duration {
		time.Sleep(time.Until(t0.Add(at)))
		start := time.Now()
		if r, err := fetch(c, "GET", ts.URL+"/health", "", nil); err != nil || r.status != 200 {
			t.Errorf("GET /health at +%v: status %d, err %v", at, r.status, err)
		}
		return time.Since(start)
	}
	if d := timed(100 * time.Millisecond); d > 100*time.Millisecond {
		t.Errorf("request outside a stall took %v", d)
	}

	// Several clients arriving during the second half of the stall all wait.
	var wg sync.WaitGroup
	waits := make([]time.Duration, 4)
	for i := range waits {
		wg.Go(func() { waits[i] = timed(550 * time.Millisecond) })
	}
	wg.Wait()
	for i, d := range waits {
		if d < 100*time.Millisecond || d > 400*time.Millisecond {
			t.Errorf("client %d: request during the stall took %v, want ~150ms", i, d)
		}
	}
	if d := timed(800 * time.Millisecond); d > 100*time.Millisecond {
		t.Errorf("request after the stall took %v", d)
	}
}

func TestStart(t *testing.T) {
	url, stop, err := Start(context.Background(), "127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Errorf("url %q", url)
	}
	c := &http.Client{Timeout: 5 * time.Second}
	if r := do(t, c, "GET", url+"/health", "", nil); r.status != 200 {
		t.Fatalf("health: %d", r.status)
	}
	c.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if _, err := c.Get(url + "/health"); err == nil {
		t.Fatal("server still answers after stop")
	}
}

func TestStartContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	url, stop, err := Start(ctx, "127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(2 * time.Second)
	for {
		res, err := c.Get(url + "/health")
		if err != nil {
			break
		}
		res.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("server still answers after its context was canceled")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := stop(context.Background()); err != nil && !errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("stop after cancel: %v", err)
	}
}

func TestStartBadAddr(t *testing.T) {
	if _, _, err := Start(context.Background(), "127.0.0.1:notaport", Options{}); err == nil {
		t.Fatal("expected an error")
	}
}

func TestBaseURL(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, "http://127.0.0.1:8080"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, "http://127.0.0.1:8080"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 1}, "http://127.0.0.1:1"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 9}, "http://[::1]:9"},
	}
	for _, tc := range tests {
		if got := baseURL(tc.addr); got != tc.want {
			t.Errorf("baseURL(%v) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}

func TestTokenStoreRotation(t *testing.T) {
	s := newTokenStore(2)
	s.add("a")
	s.add("b")
	s.add("c") // third add rotates: {a,b,c} becomes the previous generation
	for _, tok := range []string{"a", "b", "c"} {
		if !s.valid(tok) {
			t.Errorf("%s invalid right after rotation", tok)
		}
	}
	s.add("d")
	s.add("e")
	s.add("f") // rotates again: a, b, c are forgotten
	if s.valid("a") || !s.valid("d") || !s.valid("f") {
		t.Errorf("after two rotations: a=%v d=%v f=%v", s.valid("a"), s.valid("d"), s.valid("f"))
	}
	if s.valid("") {
		t.Error("empty token valid")
	}
}

func TestConcurrentLoginCart(t *testing.T) {
	ts := newServer(t, Options{})
	c := ts.Client()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 20 {
				token, _, err := tryLogin(c, ts.URL, "user"+strconv.Itoa(i))
				if err != nil {
					t.Error(err)
					return
				}
				r, err := fetch(c, "POST", ts.URL+"/api/cart", `{"sku":1}`, map[string]string{"Authorization": "Bearer " + token})
				if err != nil || r.status != 201 {
					t.Errorf("cart: %d %v", r.status, err)
					return
				}
				r, err = fetch(c, "GET", ts.URL+"/api/products?page="+strconv.Itoa(i+1), "", nil)
				if err != nil || r.status != 200 {
					t.Errorf("products: %d %v", r.status, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkProducts(b *testing.B) {
	h := Handler(Options{})
	req := httptest.NewRequest("GET", "/api/products?page=1", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
	}
}
