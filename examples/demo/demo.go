// Package demo is a small, fast HTTP service to point load at: the target of
// `loadgen demo`, of the example plans, of tests and of benchmarks. The fake
// API (examples/fake-api, `loadgen demo-target`, `loadgen quickstart`) serves
// it for every path its own catalogue does not own.
//
// Endpoints (JSON unless noted):
//
//	GET  /                     small text/plain greeting
//	GET  /health               {"status":"ok"}
//	GET  /api/products?page=N  {"page":N,"items":[{"sku":..,"name":..,"price":..}, ...]} (10 items)
//	POST /api/auth/login       {"user","password"} → 200 {"token":..} + Set-Cookie sid + Location
//	POST /api/cart             needs "Authorization: Bearer <token from login>" and a JSON body → 201 {"ok":true}
//	GET  /static/logo.png      a small PNG (image/png)
//	GET  /status/{code}        answers with that status (200..599)
//	GET  /slow?ms=N            answers after N milliseconds (at most 10 s)
//	GET  /reset                closes the connection without answering
//
// [Options] can add a fixed latency to every /api/ request and make the
// whole server stall periodically, which is how coordinated omission is
// demonstrated: requests that arrive during a stall wait until it ends.
package demo

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Options tunes the demo service's behaviour. The zero value serves every
// request as fast as it can.
type Options struct {
	// Stall, when > 0, makes the server stall all requests for Stall once
	// every StallEvery: a request arriving during a stall waits until the
	// stall ends before it is handled. The first stall begins StallEvery
	// after the handler is created.
	Stall time.Duration
	// StallEvery is the stall period; 10s when zero or negative. It should
	// be longer than Stall.
	StallEvery time.Duration
	// Latency is a fixed delay added to every /api/ request.
	Latency time.Duration
}

// DefaultStallEvery is the stall period used when Options.StallEvery is unset.
const DefaultStallEvery = 10 * time.Second

// MaxSlow caps the delay of GET /slow?ms=N.
const MaxSlow = 10 * time.Second

// Handler returns the demo service's handler. Each call has its own token
// store and stall clock.
func Handler(opts Options) http.Handler {
	if opts.StallEvery <= 0 {
		opts.StallEvery = DefaultStallEvery
	}
	s := &server{opts: opts, epoch: time.Now(), tokens: newTokenStore(maxTokens)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.root)
	mux.HandleFunc("GET /health", s.health)
	mux.HandleFunc("GET /api/products", s.api(s.products))
	mux.HandleFunc("POST /api/auth/login", s.api(s.login))
	mux.HandleFunc("POST /api/cart", s.api(s.cart))
	mux.HandleFunc("GET /static/logo.png", s.logo)
	mux.HandleFunc("GET /status/{code}", s.status)
	mux.HandleFunc("GET /slow", s.slow)
	mux.HandleFunc("GET /reset", s.reset)
	if opts.Stall <= 0 {
		return mux
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := s.stallLeft(time.Now()); d > 0 && !sleep(r.Context(), d) {
			return // client gone
		}
		mux.ServeHTTP(w, r)
	})
}

// Start serves Handler(opts) on addr (e.g. "127.0.0.1:0") in the background
// and returns the base URL, "http://127.0.0.1:PORT" for a wildcard or IPv4
// loopback address. stop shuts the server down gracefully, waiting for
// in-flight requests until its context ends, then closes what is left.
// Canceling ctx also closes the server.
func Start(ctx context.Context, addr string, opts Options) (url string, stop func(context.Context) error, err error) {
	return Serve(ctx, addr, Handler(opts))
}

// Serve serves h on addr in the background, as Start does for the demo
// target's handler (the fake API's server uses it too).
func Serve(ctx context.Context, addr string, h http.Handler) (url string, stop func(context.Context) error, err error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	unwatch := context.AfterFunc(ctx, func() { srv.Close() })

	stop = func(sctx context.Context) error {
		unwatch()
		err := srv.Shutdown(sctx)
		if err != nil {
			srv.Close()
		}
		if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
		return err
	}
	return baseURL(ln.Addr()), stop, nil
}

// baseURL turns a listener address into a URL a client on this machine can
// use: wildcard addresses become the loopback address.
func baseURL(a net.Addr) string {
	host, port := "127.0.0.1", ""
	if ta, ok := a.(*net.TCPAddr); ok {
		port = strconv.Itoa(ta.Port)
		if ta.IP.To4() == nil && ta.IP.IsLoopback() {
			host = "::1"
		}
	} else if _, p, err := net.SplitHostPort(a.String()); err == nil {
		port = p
	}
	return "http://" + net.JoinHostPort(host, port)
}

// server holds the state shared by the handlers.
type server struct {
	opts   Options
	epoch  time.Time
	tokens *tokenStore
}

// stallLeft returns how long a request arriving at now must wait for the
// current stall to end, or 0 outside a stall. Stalls occupy
// [k*StallEvery, k*StallEvery+Stall) after epoch for k ≥ 1.
func (s *server) stallLeft(now time.Time) time.Duration {
	t := now.Sub(s.epoch)
	if t < s.opts.StallEvery {
		return 0
	}
	off := t % s.opts.StallEvery
	if off >= s.opts.Stall {
		return 0
	}
	return s.opts.Stall - off
}

// api wraps an /api/ handler with the configured fixed latency.
func (s *server) api(h http.HandlerFunc) http.HandlerFunc {
	if s.opts.Latency <= 0 {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if sleep(r.Context(), s.opts.Latency) {
			h(w, r)
		}
	}
}

// sleep waits for d or until ctx ends; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
