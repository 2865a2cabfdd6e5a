package httpx

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Doer sends prepared requests for one VU.
type Doer interface {
	// Do sends p and fills r; it never returns an error, failures are in r.Err.
	Do(ctx context.Context, p *Prepared, r *Result)
	// Interrupt aborts the request in flight (safe for concurrent use).
	Interrupt()
	// Resume clears an Interrupt.
	Resume()
	// Close releases the VU's connections.
	Close()
}

var (
	_ Doer = (*Client)(nil)
	_ Doer = (*H2Client)(nil)
)

// NewH2Transport returns a net/http transport that negotiates HTTP/2 over
// TLS (and speaks HTTP/1.1 to plain-text targets), shared by all VUs. dial
// opens connections (nil: the default dialer).
func NewH2Transport(tlsCfg *tls.Config, keepAlive bool, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Transport {
	return &http.Transport{
		DialContext:         dial,
		TLSClientConfig:     tlsCfg,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        0,
		MaxIdleConnsPerHost: 1 << 16,
		IdleConnTimeout:     90 * time.Second,
		DisableKeepAlives:   !keepAlive,
		DisableCompression:  true,
	}
}

// H2Client is the per-VU handle on a shared HTTP/2-capable transport.
type H2Client struct {
	rt    http.RoundTripper
	clock Clock
	resp  *fasthttp.Response
	buf   bytes.Buffer

	mu     sync.Mutex
	cancel context.CancelFunc
	intr   bool
}

// NewH2Client returns a per-VU client on the shared transport rt.
func NewH2Client(rt http.RoundTripper, clock Clock) *H2Client {
	return &H2Client{rt: rt, clock: clock}
}

// Interrupt cancels the request in flight.
func (c *H2Client) Interrupt() {
	c.mu.Lock()
	c.intr = true
	if c.cancel != nil {
		c.cancel()
	}
	c.mu.Unlock()
}

// Resume clears an Interrupt.
func (c *H2Client) Resume() {
	c.mu.Lock()
	c.intr = false
	c.mu.Unlock()
}

// Close releases the response buffer; connections belong to the transport.
func (c *H2Client) Close() {
	if c.resp != nil {
		fasthttp.ReleaseResponse(c.resp)
		c.resp = nil
	}
}

// Do sends p over the shared transport and measures it with httptrace.
func (c *H2Client) Do(ctx context.Context, p *Prepared, r *Result) {
	*r = Result{}
	c.mu.Lock()
	if c.intr {
		c.mu.Unlock()
		r.Interrupted, r.Err = true, context.Canceled
		return
	}
	ctx, cancel := context.WithTimeout(ctx, p.Timeout)
	c.cancel = cancel
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.cancel = nil
		c.mu.Unlock()
		cancel()
	}()

	// trace hooks run on the transport's goroutines
	var connStart, connDone, wroteAt, firstByte atomic.Int64
	trace := &httptrace.ClientTrace{
		ConnectStart:         func(string, string) { connStart.Store(c.clock()) },
		TLSHandshakeDone:     func(tls.ConnectionState, error) { connDone.Store(c.clock()) },
		ConnectDone:          func(string, string, error) { connDone.Store(c.clock()) },
		WroteHeaders:         func() { wroteAt.Store(c.clock()) },
		GotFirstResponseByte: func() { firstByte.Store(c.clock()) },
	}
	var body io.Reader
	if len(p.Body) > 0 {
		body = bytes.NewReader(p.Body)
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), p.Method, p.URL, body)
	if err != nil {
		r.Err = err
		return
	}
	for _, h := range p.Header {
		if h[0] == "Host" || h[0] == "host" {
			req.Host = h[1]
			continue
		}
		req.Header.Set(h[0], h[1])
	}
	req.Close = p.Close
	begin := c.clock()
	res, err := c.rt.RoundTrip(req)
	if cs := connStart.Load(); cs > 0 {
		r.Connect = connDone.Load() - cs
	}
	r.Start = begin + r.Connect
	if w := wroteAt.Load(); w > 0 && w < r.Start {
		r.Start = w
	}
	r.FirstByte = firstByte.Load()
	r.Sent = int64(len(p.Raw))
	if err != nil {
		r.End = c.clock()
		c.fail(ctx, r, err, p)
		return
	}
	c.buf.Reset()
	n, err := io.Copy(&c.buf, io.LimitReader(res.Body, MaxBodySize+1))
	_ = res.Body.Close()
	r.End = c.clock()
	if err == nil && n > MaxBodySize {
		err = fasthttp.ErrBodyTooLarge
	}
	if err != nil {
		c.fail(ctx, r, err, p)
		return
	}
	if c.resp == nil {
		c.resp = fasthttp.AcquireResponse()
	}
	resp := c.resp
	resp.Reset()
	resp.SetStatusCode(res.StatusCode)
	hdr := 0
	for k, vs := range res.Header {
		for _, v := range vs {
			resp.Header.Add(k, v)
			hdr += len(k) + len(v) + 4
		}
	}
	resp.SetBodyRaw(c.buf.Bytes())
	r.Status = res.StatusCode
	r.Received = int64(hdr) + n + int64(len(res.Status)) + 11
	r.Response = resp
	r.ContentType = resp.Header.ContentType()
}

func (c *H2Client) fail(ctx context.Context, r *Result, err error, p *Prepared) {
	c.mu.Lock()
	intr := c.intr
	c.mu.Unlock()
	if intr || ctx.Err() == context.Canceled {
		r.Interrupted, r.Err = true, context.Canceled
		return
	}
	if ctx.Err() == context.DeadlineExceeded {
		err = context.DeadlineExceeded
	}
	r.Err = err
}
