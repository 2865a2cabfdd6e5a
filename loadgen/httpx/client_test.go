package httpx

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func testClock() Clock {
	base := time.Now()
	return func() int64 { return int64(time.Since(base)) }
}

func mustPrepare(t *testing.T, s Spec) *Prepared {
	t.Helper()
	if s.Timeout == 0 {
		s.Timeout = 5 * time.Second
	}
	p, err := Prepare(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrepareSerialisesRequest(t *testing.T) {
	p := mustPrepare(t, Spec{
		Method:    "post",
		URL:       "http://127.0.0.1:8080/api/x?q=1",
		Header:    [][2]string{{"Content-Type", "text/plain"}, {"X-A", "1"}, {"x-a", "2"}},
		Body:      []byte("hello"),
		KeepAlive: true,
		UserAgent: "loadgen/test",
	})
	raw := string(p.Raw)
	for _, want := range []string{"POST /api/x?q=1 HTTP/1.1\r\n", "Host: 127.0.0.1:8080\r\n", "Content-Length: 5\r\n",
		"Content-Type: text/plain\r\n", "x-a: 2\r\n", "User-Agent: loadgen/test\r\n", "\r\n\r\nhello"} {
		if !strings.Contains(raw, want) {
			t.Errorf("request lacks %q:\n%s", want, raw)
		}
	}
	if strings.Contains(raw, "X-A: 1") || strings.Contains(raw, "Connection: close") {
		t.Errorf("unexpected header:\n%s", raw)
	}
	if p.Addr != "127.0.0.1:8080" || p.URL != "http://127.0.0.1:8080/api/x?q=1" {
		t.Errorf("addr %q url %q", p.Addr, p.URL)
	}
	closeReq := mustPrepare(t, Spec{URL: "https://localhost/"})
	if !strings.Contains(string(closeReq.Raw), "Connection: close") || closeReq.Addr != "localhost:443" || !closeReq.TLS {
		t.Errorf("no keep-alive request: %q addr %q", closeReq.Raw, closeReq.Addr)
	}
	for _, bad := range []string{"ftp://x/", "/relative", "http://", "http://[::1"} {
		if _, err := Prepare(Spec{URL: bad}); err == nil {
			t.Errorf("Prepare(%q) accepted", bad)
		}
	}
}

func TestClientKeepAliveAndTimings(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		time.Sleep(20 * time.Millisecond)
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write(append([]byte("echo:"), b...))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	c := NewClient(Config{Clock: testClock()})
	defer c.Close()
	p := mustPrepare(t, Spec{Method: "POST", URL: srv.URL + "/x", Body: []byte("abc"), KeepAlive: true})
	var r Result
	for i := range 3 {
		c.Do(context.Background(), p, &r)
		if r.Err != nil || r.Status != 200 {
			t.Fatalf("request %d: status %d err %v", i, r.Status, r.Err)
		}
		if got := string(r.Response.Body()); got != "echo:abc" {
			t.Fatalf("body %q", got)
		}
		if i == 0 && r.Connect <= 0 {
			t.Errorf("first request: connect %d, want > 0", r.Connect)
		}
		if i > 0 && r.Connect != 0 {
			t.Errorf("request %d reused the connection but connect = %d", i, r.Connect)
		}
		elapsed, ttfb := r.End-r.Start, r.FirstByte-r.Start
		if elapsed < int64(20*time.Millisecond) || ttfb < int64(20*time.Millisecond) || ttfb > elapsed {
			t.Errorf("elapsed %d ttfb %d", elapsed, ttfb)
		}
		if r.Sent != int64(len(p.Raw)) || r.Received < int64(len("HTTP/1.1 200 OK\r\n\r\necho:abc")) {
			t.Errorf("sent %d (request %d bytes) received %d", r.Sent, len(p.Raw), r.Received)
		}
	}
	if conns.Load() != 1 {
		t.Errorf("server saw %d connections, want 1 (keep-alive)", conns.Load())
	}
}

func TestClientRetriesStaleConnection(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	c := NewClient(Config{Clock: testClock()})
	defer c.Close()
	p := mustPrepare(t, Spec{URL: srv.URL, KeepAlive: true})
	var r Result
	c.Do(context.Background(), p, &r)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	srv.CloseClientConnections() // the server drops the idle connection
	time.Sleep(50 * time.Millisecond)
	c.Do(context.Background(), p, &r)
	if r.Err != nil || r.Status != 200 || r.Connect == 0 {
		t.Fatalf("after the server closed the idle connection: status %d err %v connect %d", r.Status, r.Err, r.Connect)
	}
	srv.Close() // now the retry finds nobody listening
	c.Do(context.Background(), p, &r)
	if code, _ := Describe(r.Err, p); !strings.HasSuffix(code, "HttpHostConnectException") || r.Sent != 0 || r.Received != 0 {
		t.Fatalf("server gone: %q sent %d received %d; the failed attempt on the stale connection must not count", code, r.Sent, r.Received)
	}
}

func TestClientErrorsMapToJMeter(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := "http://" + l.Addr().String() + "/"
	l.Close()
	empty, _ := net.Listen("tcp", "127.0.0.1:0") // accepts, then closes without a response
	defer empty.Close()
	go func() {
		for {
			c, err := empty.Accept()
			if err != nil {
				return
			}
			_, _ = c.Read(make([]byte, 4096))
			c.Close()
		}
	}()
	tests := []struct {
		name, url   string
		timeout     time.Duration
		code, inMsg string
	}{
		{"refused", refused, time.Second, "org.apache.http.conn.HttpHostConnectException", "failed: Connection refused"},
		{"timeout", slow.URL, 100 * time.Millisecond, "java.net.SocketTimeoutException", "Read timed out"},
		{"no response", "http://" + empty.Addr().String() + "/", time.Second, "org.apache.http.NoHttpResponseException", "failed to respond"},
		{"unknown host", "http://no-such-host.invalid/", time.Second, "java.net.UnknownHostException", "no-such-host.invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewClient(Config{Clock: testClock()})
			defer c.Close()
			p := mustPrepare(t, Spec{URL: tt.url, Timeout: tt.timeout, KeepAlive: true})
			var r Result
			c.Do(context.Background(), p, &r)
			if r.Err == nil {
				t.Fatalf("no error, status %d", r.Status)
			}
			code, msg := Describe(r.Err, p)
			if code != "Non HTTP response code: "+tt.code || !strings.HasPrefix(msg, "Non HTTP response message: ") || !strings.Contains(msg, tt.inMsg) {
				t.Errorf("got %q / %q, want class %s and %q (err %v)", code, msg, tt.code, tt.inMsg, r.Err)
			}
		})
	}
}

func TestClientInterrupt(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	c := NewClient(Config{Clock: testClock()})
	defer c.Close()
	p := mustPrepare(t, Spec{URL: srv.URL, KeepAlive: true})
	time.AfterFunc(100*time.Millisecond, c.Interrupt)
	begin := time.Now()
	var r Result
	c.Do(context.Background(), p, &r)
	if !r.Interrupted || time.Since(begin) > 2*time.Second {
		t.Fatalf("interrupted %v after %s (err %v)", r.Interrupted, time.Since(begin), r.Err)
	}
	c.Do(context.Background(), p, &r)
	if !r.Interrupted {
		t.Error("requests after Interrupt must fail fast until Resume")
	}
}

func TestTLSAndHTTP2(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(r.Proto))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	insecure := &tls.Config{InsecureSkipVerify: true} //nolint:gosec // test server certificate

	p := mustPrepare(t, Spec{URL: srv.URL, KeepAlive: true})
	var r Result
	h1 := NewClient(Config{Clock: testClock(), TLS: insecure})
	defer h1.Close()
	h1.Do(context.Background(), p, &r)
	if r.Err != nil || string(r.Response.Body()) != "HTTP/1.1" || r.Connect == 0 {
		t.Fatalf("https over HTTP/1.1: err %v body %q connect %d", r.Err, r.Response.Body(), r.Connect)
	}
	verify := NewClient(Config{Clock: testClock()})
	defer verify.Close()
	verify.Do(context.Background(), p, &r)
	if code, _ := Describe(r.Err, p); code != "Non HTTP response code: javax.net.ssl.SSLHandshakeException" {
		t.Errorf("untrusted certificate: %q (%v)", code, r.Err)
	}

	tr := NewH2Transport(insecure, true, nil)
	defer tr.CloseIdleConnections()
	h2 := NewH2Client(tr, testClock())
	defer h2.Close()
	for i := range 2 {
		h2.Do(context.Background(), p, &r)
		if r.Err != nil || r.Status != 200 || string(r.Response.Body()) != "HTTP/2.0" {
			t.Fatalf("h2 request %d: err %v status %d body %q", i, r.Err, r.Status, r.Response.Body())
		}
		if r.FirstByte < r.Start || r.End < r.FirstByte {
			t.Errorf("h2 timings start %d first %d end %d", r.Start, r.FirstByte, r.End)
		}
		if i == 1 && r.Connect != 0 {
			t.Errorf("second h2 request reconnected (connect %d)", r.Connect)
		}
	}
}
