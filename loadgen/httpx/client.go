package httpx

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// MaxBodySize bounds a response body kept in memory (larger bodies fail the
// request with an error, as a runaway body would otherwise exhaust memory).
const MaxBodySize = 64 << 20

// Clock returns monotonic nanoseconds since the run's base time.
type Clock func() int64

// Result is the measurement of one request. Times are ns on the Clock.
type Result struct {
	// Start is when writing the request began.
	Start int64
	// FirstByte and End are the first and last response byte (0 if none).
	FirstByte, End int64
	// Connect is the connection setup time (TCP + TLS), 0 on reuse.
	Connect int64
	// Sent and Received are bytes on the wire.
	Sent, Received int64
	// Status is the HTTP status, 0 when no response arrived.
	Status int
	// Err is the transport error, nil when a response arrived.
	Err error
	// Interrupted is true when the request was cut short by Interrupt;
	// such a result is not a measurement of the target.
	Interrupted bool
	// Response is valid until the next Do (nil for HTTP/2 results).
	Response *fasthttp.Response
	// ContentType of the response.
	ContentType []byte
}

// Config holds the transport settings of one client.
type Config struct {
	// TLS is the client TLS configuration (nil: default verification).
	TLS *tls.Config
	// Clock timestamps requests.
	Clock Clock
	// Dial opens connections (nil: a net.Dialer). The context carries the
	// request's deadline.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// MaxConnsPerHost is not needed: a Client serves one VU, which sends one
	// request at a time, so it holds at most one connection per host.
}

// Client is an HTTP/1.1 client for one VU. It keeps one connection per host
// and is not safe for concurrent use, except Interrupt.
type Client struct {
	cfg   Config
	conns map[string]*conn // keyed by Addr; one VU talks to few hosts
	cur   atomic.Pointer[conn]
	intr  atomic.Bool
	resp  *fasthttp.Response
}

// NewClient returns a client for one VU.
func NewClient(cfg Config) *Client {
	return &Client{cfg: cfg, conns: make(map[string]*conn, 1)}
}

var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}

// conn wraps a connection to timestamp the first response byte and count
// bytes on the wire.
type conn struct {
	net.Conn
	clock    Clock
	first    int64
	received int64
	reused   bool
}

func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		if c.first == 0 {
			c.first = c.clock()
		}
		c.received += int64(n)
	}
	return n, err
}

// Interrupt aborts the request in flight, if any, and makes later requests
// fail fast until Resume. Safe for concurrent use.
func (c *Client) Interrupt() {
	c.intr.Store(true)
	if cn := c.cur.Load(); cn != nil {
		_ = cn.Conn.Close()
	}
}

// Resume clears an Interrupt.
func (c *Client) Resume() { c.intr.Store(false) }

// Close closes every connection.
func (c *Client) Close() {
	for k, cn := range c.conns {
		_ = cn.Conn.Close()
		delete(c.conns, k)
	}
	if c.resp != nil {
		fasthttp.ReleaseResponse(c.resp)
		c.resp = nil
	}
}

// Preconnect opens the connection p would use, so that the VU's first
// request finds it established. Failures are left for that request to
// report.
func (c *Client) Preconnect(ctx context.Context, p *Prepared) {
	if c.conns[p.Addr] != nil {
		return
	}
	cn, err := c.dial(ctx, p, time.Now().Add(p.Timeout))
	if err == nil {
		c.conns[p.Addr] = cn
	}
}

// Do sends p and reads the whole response into r. A request that fails on
// a reused connection before any response byte (the server closed an idle
// keep-alive connection) is retried once on a new connection.
func (c *Client) Do(ctx context.Context, p *Prepared, r *Result) {
	*r = Result{}
	if c.resp == nil {
		c.resp = fasthttp.AcquireResponse()
	}
	resp := c.resp
	if c.do(ctx, p, r, resp) {
		*r = Result{} // the stale connection's attempt is not part of the sample
		c.do(ctx, p, r, resp)
	}
	if r.Err == nil {
		r.Response = resp
		r.ContentType = resp.Header.ContentType()
	}
}

func (c *Client) do(ctx context.Context, p *Prepared, r *Result, resp *fasthttp.Response) (retry bool) {
	if c.intr.Load() || ctx.Err() != nil {
		r.Interrupted = true
		r.Err = context.Canceled
		return false
	}
	begin := c.cfg.Clock()
	deadline := time.Now().Add(p.Timeout)
	cn := c.conns[p.Addr]
	if cn == nil {
		var err error
		cn, err = c.dial(ctx, p, deadline)
		r.Connect = c.cfg.Clock() - begin
		if err != nil {
			r.Start = begin
			r.End = c.cfg.Clock()
			r.Err = err
			return false
		}
		c.conns[p.Addr] = cn
	}
	c.cur.Store(cn)
	defer c.cur.Store(nil)
	if c.intr.Load() { // Interrupt raced with the store above
		c.drop(p.Addr, cn)
		r.Interrupted = true
		r.Err = context.Canceled
		return false
	}
	_ = cn.SetDeadline(deadline)
	cn.first, cn.received = 0, 0

	r.Start = c.cfg.Clock() // elapsed runs from write start (PLAN_FORMAT.md); Connect is reported apart
	n, err := cn.Write(p.Raw)
	r.Sent = int64(n)
	if err == nil {
		br := readerPool.Get().(*bufio.Reader)
		br.Reset(cn)
		resp.Reset()
		resp.SkipBody = p.Method == fasthttp.MethodHead
		err = resp.ReadLimitBody(br, MaxBodySize)
		br.Reset(nil)
		readerPool.Put(br)
	}
	r.End = c.cfg.Clock()
	r.FirstByte = cn.first
	r.Received = cn.received
	if err != nil {
		reused := cn.reused
		c.drop(p.Addr, cn)
		if c.intr.Load() || ctx.Err() != nil {
			r.Interrupted = true
			r.Err = context.Canceled
			return false
		}
		if reused && cn.received == 0 && isStale(err) {
			return true
		}
		r.Err = err
		return false
	}
	r.Status = resp.StatusCode()
	cn.reused = true
	if p.Close || resp.ConnectionClose() {
		c.drop(p.Addr, cn)
	}
	return false
}

func (c *Client) drop(addr string, cn *conn) {
	_ = cn.Conn.Close()
	if c.conns[addr] == cn {
		delete(c.conns, addr)
	}
}

func (c *Client) dial(ctx context.Context, p *Prepared, deadline time.Time) (*conn, error) {
	// No TCP keep-alive probes: connections live for the run and every
	// setsockopt is a syscall on the connect path. Go sets TCP_NODELAY.
	var nc net.Conn
	var err error
	if c.cfg.Dial != nil {
		dctx, cancel := context.WithDeadline(ctx, deadline)
		nc, err = c.cfg.Dial(dctx, "tcp", p.Addr)
		cancel()
	} else {
		d := net.Dialer{Deadline: deadline, KeepAlive: -1}
		nc, err = d.DialContext(ctx, "tcp", p.Addr)
	}
	if err != nil {
		return nil, &DialError{Addr: p.Addr, Host: p.Host, Err: err}
	}
	if p.TLS {
		cfg := c.cfg.TLS
		if cfg == nil {
			cfg = &tls.Config{}
		}
		if cfg.ServerName == "" {
			cfg = cfg.Clone()
			cfg.ServerName = p.Host
		}
		tc := tls.Client(nc, cfg)
		_ = tc.SetDeadline(deadline)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = nc.Close()
			return nil, &TLSError{Addr: p.Addr, Err: err}
		}
		nc = tc
	}
	return &conn{Conn: nc, clock: c.cfg.Clock}, nil
}

// isStale reports whether err looks like the server closed an idle
// keep-alive connection before reading our request.
func isStale(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return errors.Is(err, errEOF()) || isReset(err) || errors.Is(err, fasthttp.ErrConnectionClosed)
}

// DialError is a failure to open a TCP connection.
type DialError struct {
	Addr, Host string
	Err        error
}

func (e *DialError) Error() string { return "connect " + e.Addr + ": " + e.Err.Error() }
func (e *DialError) Unwrap() error { return e.Err }

// TLSError is a failed TLS handshake.
type TLSError struct {
	Addr string
	Err  error
}

func (e *TLSError) Error() string { return "tls handshake " + e.Addr + ": " + e.Err.Error() }
func (e *TLSError) Unwrap() error { return e.Err }
