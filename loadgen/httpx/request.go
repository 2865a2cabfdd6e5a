// Package httpx is the engine's HTTP transport: prepared requests, a
// per-VU HTTP/1.1 client that owns its connections and measures every
// phase (connect, first byte, last byte, bytes on the wire), and an
// HTTP/2 client on net/http for `http2: true`.
//
// Requests are serialised by fasthttp's request writer: once, when the
// plan is loaded, for requests that never change, and per request by a
// VU's Builder for templated ones. Responses are parsed by fasthttp's
// response reader. No HTTP parsing is done here.
package httpx

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// Prepared is a request serialised for the wire. Prepared values built at
// load are shared read-only by all VUs; a Builder's is the VU's own.
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

// Origin is where a request goes: scheme, host and port, parsed once.
type Origin struct {
	Addr, Host string
	TLS        bool
}

// ParseOrigin parses the origin of an absolute http or https URL.
func ParseOrigin(raw string) (Origin, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Origin{}, fmt.Errorf("invalid url %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return Origin{}, fmt.Errorf("invalid url %q: scheme must be http or https", raw)
	}
	if u.Host == "" {
		return Origin{}, fmt.Errorf("invalid url %q: no host", raw)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return Origin{Addr: net.JoinHostPort(host, port), Host: host, TLS: u.Scheme == "https"}, nil
}

// Prepare validates and serialises a request.
func Prepare(s Spec) (*Prepared, error) {
	o, err := ParseOrigin(s.URL)
	if err != nil {
		return nil, err
	}
	var b Builder
	p, err := b.Build(s, &o)
	if err != nil {
		return nil, err
	}
	// detach from the builder's reusable buffers
	p.Raw = bytes.Clone(p.Raw)
	p.Header = append([][2]string(nil), p.Header...)
	p.Body = bytes.Clone(p.Body)
	return p, nil
}

// Builder serialises requests whose parts change from one request to the
// next. A VU owns one; it reuses its buffers, so the Prepared it returns is
// valid until the next Build.
type Builder struct {
	req fasthttp.Request
	buf bytes.Buffer
	bw  *bufio.Writer
	p   Prepared
}

// Build serialises s. origin, when not nil, is the already parsed origin of
// s.URL (the common case of a fixed target); otherwise s.URL is parsed.
func (b *Builder) Build(s Spec, origin *Origin) (*Prepared, error) {
	var o Origin
	if origin != nil {
		o = *origin
	} else {
		var err error
		if o, err = ParseOrigin(s.URL); err != nil {
			return nil, err
		}
	}
	method := strings.ToUpper(s.Method)
	if method == "" {
		method = fasthttp.MethodGet
	}
	p := &b.p
	*p = Prepared{
		Method:  method,
		URL:     s.URL,
		Addr:    o.Addr,
		Host:    o.Host,
		TLS:     o.TLS,
		Timeout: s.Timeout,
		Body:    s.Body,
		Close:   !s.KeepAlive,
		Header:  b.p.Header[:0],
	}
	// later headers replace earlier ones with the same name
	hasUA := false
	for _, h := range s.Header {
		replaced := false
		for i := range p.Header {
			if strings.EqualFold(p.Header[i][0], h[0]) {
				p.Header[i], replaced = h, true
				break
			}
		}
		if !replaced {
			p.Header = append(p.Header, h)
		}
		hasUA = hasUA || strings.EqualFold(h[0], "User-Agent")
	}
	if !hasUA && s.UserAgent != "" {
		p.Header = append(p.Header, [2]string{"User-Agent", s.UserAgent})
	}

	req := &b.req
	req.Reset()
	req.Header.DisableNormalizing()
	req.Header.SetNoDefaultContentType(true)
	req.SetRequestURI(s.URL)
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
	b.buf.Reset()
	if b.bw == nil {
		b.bw = bufio.NewWriterSize(&b.buf, 1024)
	} else {
		b.bw.Reset(&b.buf)
	}
	if err := req.Write(b.bw); err != nil {
		return nil, fmt.Errorf("serialise %s %s: %w", method, s.URL, err)
	}
	if err := b.bw.Flush(); err != nil {
		return nil, err
	}
	p.Raw = b.buf.Bytes()
	return p, nil
}
