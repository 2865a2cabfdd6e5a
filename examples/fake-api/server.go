package fakeapi

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadgen/loadgen/examples/demo"
)

// server is the fake API: its options, store, counters and routes.
type server struct {
	opts   Options
	seed   uint64
	rng    *lockedRand
	st     *store
	start  time.Time
	mux    *http.ServeMux
	routes []route // set by newServer (routes() builds the table)
	stats  []routeStats
	demo   routeStats // requests served by the demo target
}

// routeStats counts one route's requests; updated atomically.
type routeStats struct {
	requests, status2xx, status3xx, status4xx, status5xx atomic.Int64
	injected, canceled                                   atomic.Int64
}

// newServer validates opts and builds the server.
func newServer(opts Options) (*server, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.TokenTTL == 0 {
		opts.TokenTTL = DefaultTokenTTL
	}
	seed := opts.Seed
	for seed == 0 {
		var b [8]byte
		crand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:])
	}
	now := time.Now()
	s := &server{
		opts:  opts,
		seed:  seed,
		rng:   &lockedRand{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))},
		st:    newStore(opts.TokenTTL, now),
		start: now,
		mux:   http.NewServeMux(),
	}
	s.routes = s.routeTable()
	s.stats = make([]routeStats, len(s.routes))
	for i := range s.routes {
		rt := &s.routes[i]
		s.mux.Handle(rt.Method+" "+rt.Path, s.wrap(rt, &s.stats[i]))
	}
	d := demo.Handler(opts.Demo)
	s.mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.demo.requests.Add(1)
		d.ServeHTTP(w, r)
	}))
	return s, nil
}

// ServeHTTP serves the catalogue, and the demo target for other paths.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// lockedRand is a seeded random source safe for concurrent use.
type lockedRand struct {
	mu sync.Mutex
	r  *rand.Rand
}

// draw returns three uniform numbers in [0, 1): the delay, error and
// decline draws of one request.
func (l *lockedRand) draw() (a, b, c float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Float64(), l.r.Float64(), l.r.Float64()
}

// call is one request to a catalogue route.
type call struct {
	s       *server
	rt      *route
	stats   *routeStats
	w       http.ResponseWriter
	r       *http.Request
	user    *User  // the authenticated caller (routes with Auth)
	token   string // the caller's token (routes with Auth)
	uDelay  float64
	fail    bool // an injected error is due
	decline bool // a payment decline is due
}

// statusWriter records the status written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// wrap counts a route's requests and statuses, draws its random numbers
// (in arrival order, so a seeded sequence repeats) and checks the token
// before the handler runs.
func (s *server) wrap(rt *route, st *routeStats) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st.requests.Add(1)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			switch sw.code / 100 {
			case 2:
				st.status2xx.Add(1)
			case 3:
				st.status3xx.Add(1)
			case 4:
				st.status4xx.Add(1)
			case 5:
				st.status5xx.Add(1)
			}
		}()
		c := &call{s: s, rt: rt, stats: st, w: sw, r: r}
		var uErr, uDecline float64
		c.uDelay, uErr, uDecline = s.rng.draw()
		c.fail = rt.ErrorStatus != 0 && uErr < s.opts.ErrorRate
		c.decline = uDecline < s.opts.DeclineRate
		if rt.Auth {
			tok, err := bearer(r)
			if err != nil {
				c.unauthorized(err.Error())
				return
			}
			u, state := s.st.session(tok, time.Now())
			switch state {
			case tokenExpired:
				c.unauthorized("the token has expired: log in again")
				return
			case tokenUnknown:
				c.unauthorized("unknown token: log in (POST /auth/login) for a new one")
				return
			}
			c.user, c.token = u, tok
		}
		rt.handle(c)
	})
}

func (c *call) unauthorized(msg string) {
	c.w.Header().Set("WWW-Authenticate", `Bearer realm="fake-api"`)
	writeError(c.w, errorf(http.StatusUnauthorized, "%s", msg))
}

// reply writes a JSON answer.
func (c *call) reply(status int, v any) { writeJSON(c.w, status, v) }

// error writes an error answer.
func (c *call) error(e *apiError) { writeError(c.w, e) }

// scaled applies the latency scale.
func (c *call) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) * c.s.opts.LatencyScale)
}

// delay is the standard "delay": uniform in [DelayMin, DelayMax].
func (c *call) delay() time.Duration {
	o := c.s.opts
	return o.DelayMin + time.Duration(c.uDelay*float64(o.DelayMax-o.DelayMin))
}

// between is uniform in [lo, hi] (from the request's delay draw).
func (c *call) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(c.uDelay*float64(hi-lo))
}

// simulate sleeps d × LatencyScale, then answers the route's injected
// error when one is due. It reports whether the handler should go on: false
// when the client went away during the sleep or an error was written.
func (c *call) simulate(d time.Duration) bool {
	d = c.scaled(d)
	c.w.Header().Set("X-Simulated-Delay-Ms", strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64))
	if d > 0 && !sleep(c.r.Context(), d) {
		c.stats.canceled.Add(1)
		return false
	}
	if c.fail {
		c.stats.injected.Add(1)
		c.error(errorf(c.rt.ErrorStatus, "injected error (error rate %g)", c.s.opts.ErrorRate))
		return false
	}
	return true
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
