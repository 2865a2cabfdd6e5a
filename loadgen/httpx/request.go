// Package httpx is the engine's HTTP transport: prepared requests, a
// per-VU HTTP/1.1 client that owns its connections and measures every
// phase (connect, first byte, last byte, bytes on the wire), and an
// HTTP/2 client on net/http for `http2: true`.
//
// Requests are serialised once, when the plan is loaded, by fasthttp's
// request writer; a VU then writes the prepared bytes and parses the
// response with fasthttp's response reader. No HTTP parsing is done here.
package httpx

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// Prepared is a request serialised for the wire, shared read-only by all VUs.
type Prepared struct {
	Method string
	// URL is the full request URL (the JTL URL column).
	URL string
	// Addr is the dial address host:port.
	Addr string
	// Host is the host name without port (TLS server name).
	Host string
	// TLS is true for https.
	TLS bool
	// Timeout bounds the whole request (connect included).
	Timeout time.Duration
	// Raw is the HTTP/1.1 request: request line, headers and body.
	Raw []byte
	// Header and Body describe the request for the HTTP/2 client.
	Header [][2]string
	Body   []byte
	// Close asks the server to close the connection after the response.
	Close bool
}

// Spec describes a request before serialisation.
type Spec struct {
	Method  string
	URL     string
	Header  [][2]string // in order; later entries replace earlier ones with the same name
	Body    []byte
	Timeout time.Duration
	// KeepAlive false sends "Connection: close".
	KeepAlive bool
	// UserAgent is used when Header has no User-Agent.
	UserAgent string
}

// Prepare validates and serialises a request.
func Prepare(s Spec) (*Prepared, error) {
	u, err := url.Parse(s.URL)
	if err != nil {
		return nil, fmt.Errorf("invalid url %q: %w", s.URL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("invalid url %q: scheme must be http or https", s.URL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("invalid url %q: no host", s.URL)
	}
	host := u.Hostname()
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	method := strings.ToUpper(s.Method)
	if method == "" {
		method = fasthttp.MethodGet
	}
	p := &Prepared{
		Method:  method,
		URL:     u.String(),
		Addr:    net.JoinHostPort(host, port),
		Host:    host,
		TLS:     u.Scheme == "https",
		Timeout: s.Timeout,
		Body:    s.Body,
		Close:   !s.KeepAlive,
	}
	// Merge headers: later ones replace earlier ones case-insensitively.
	seen := map[string]int{}
	for _, h := range s.Header {
		k := strings.ToLower(h[0])
		if i, ok := seen[k]; ok {
			p.Header[i] = h
			continue
		}
		seen[k] = len(p.Header)
		p.Header = append(p.Header, h)
	}
	if _, ok := seen["user-agent"]; !ok && s.UserAgent != "" {
		p.Header = append(p.Header, [2]string{"User-Agent", s.UserAgent})
	}

	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	req.Header.DisableNormalizing()
	req.Header.SetNoDefaultContentType(true)
	req.SetRequestURI(p.URL)
	req.Header.SetMethod(method)
	for _, h := range p.Header {
		if strings.EqualFold(h[0], "Host") {
			req.UseHostHeader = true
			req.Header.SetHost(h[1])
			continue
		}
		req.Header.Set(h[0], h[1])
	}
	if len(s.Body) > 0 {
		req.SetBodyRaw(s.Body)
	}
	if p.Close {
		req.Header.SetConnectionClose()
	}
	var buf bytes.Buffer
	if _, err := req.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("serialise %s %s: %w", method, s.URL, err)
	}
	p.Raw = buf.Bytes()
	return p, nil
}
