// Package fakeapi is the demo target "fake API": a Go reproduction of the
// original tool's fake-api-service (a Flask app), with its endpoint
// catalogue, its latency ranges and its error injection, and without its
// bugs. It is what `loadgen demo-target`, `loadgen quickstart`, the example
// plans examples/plans/fake-api/{load,stress,spike,endurance}.yaml, and the
// standalone binary cmd/fake-api point load at.
//
// Endpoints (JSON in and out; "auth" needs "Authorization: Bearer <token>"
// from a login; "delay" is a uniform sleep between Options.DelayMin and
// Options.DelayMax; "err→N" answers status N with probability
// Options.ErrorRate; every sleep is multiplied by Options.LatencyScale):
//
//	GET    /health                          no delay, no errors: status, timestamp, version, memory_usage
//	GET    /stats                           counters per endpoint, configuration, this catalogue
//	POST   /auth/login, /api/v1/users/login {"username","password"} → 200 token (delay, err→503)
//	POST   /auth/logout                     revokes the token (delay, auth)
//	GET    /orders, /api/v1/orders          the caller's orders (delay, err→503, auth)
//	POST   /orders, /api/v1/orders          {"items":[{"product_id","quantity"}]} → 201 order (delay, err→503, auth)
//	GET    /api/v1/cart, /api/v1/cart/items the caller's orders (delay, err→503, auth)
//	POST   /api/v1/cart/items               {"product_id","quantity"} → 201 order (delay, err→503, auth)
//	GET    /orders/{order_id}, /api/v1/orders/{order_id}     one order; 404, 403 not the owner (delay, err→500, auth)
//	PUT    /orders/{order_id}, /api/v1/orders/{order_id}     change items or cancel; 409 once paid (delay, err→500, auth)
//	DELETE /orders/{order_id}, /api/v1/orders/{order_id}     delete (delay, err→500, auth)
//	POST   /payment/process, /api/v1/payments               {"order_id","amount"} → 201 (0.5–2 s, err→504, auth; 402 declined, 409 paid)
//	GET    /payment/{payment_id}, /api/v1/payments/{payment_id}  one payment (delay, auth)
//	GET    /api/v1/users                    users, ?limit=1..100 (delay, err→503, auth)
//	POST   /api/v1/users                    {"username","email"} → 201, 409 taken (delay, err→503)
//	GET    /api/v1/users/{user_id}          one user (delay, err→500, auth)
//	PUT    /api/v1/users/{user_id}          {"email"}, own account only (delay, err→500, auth)
//	DELETE /api/v1/users/{user_id}          own account only (delay, err→500, auth)
//	GET    /api/v1/products, /api/v1/inventory  50 products; ?category, ?min_price, ?max_price (delay, err→503)
//	GET    /api/v1/products/search?q=       products whose name or category contains q (delay, err→503)
//	GET    /api/v1/products/{product_id}    one product, 404 (delay, err→503)
//	GET    /api/v1/analytics/dashboard      totals from the store (1–3 s, err→504)
//	GET    /api/v1/search?q=                search (min(len(q)·0.1 s + 0.2–1 s, 3 s), err→503)
//	GET    /api/v1/notifications            the caller's notifications (delay, auth)
//	POST   /api/v1/notifications            {"message"} → 201 (delay, auth)
//	POST   /api/v1/files/upload             JSON {"filename","content"} or multipart "file" → 201 (2–5 s, err→503, auth)
//	GET    /api/v1/files/{file_id}          file metadata, 404, 403 (delay, auth)
//	DELETE /api/v1/files/{file_id}          delete, 404, 403 (delay, auth)
//	POST   /api/v1/reports/generate?complexity=1..5000000    CPU work + 10 ms per 50,000 (err→500, auth)
//	POST   /api/v1/cache/clear              (delay, err→503)
//	POST   /api/v1/batch/process?batch_size=1..1000          min(batch_size·10 ms + 0.5–2 s, 10 s) (err→500, auth)
//	GET    /data/heavy?size=1..10000        size records of about 400 bytes (delay)
//	GET    /cpu/intensive?iterations=1..10000000             CPU loop (no delay, no errors)
//
// Every other path is served by the demo target (package examples/demo):
// /, /api/products, /api/auth/login, /api/cart, /static/logo.png,
// /status/{code}, /slow and /reset, so plans written for `loadgen demo` run
// unchanged against this service.
//
// Unlike the original, all state (users, tokens, orders, payments, files,
// notifications) lives in one store shared by every handler and safe for
// concurrent use; the store is bounded (the oldest entries go first).
// Tokens keep the original form fake-jwt-token-{user}-{epoch} with a random
// suffix and expire after Options.TokenTTL. Bodies are JSON: a form or a
// missing body gets a 4xx JSON error that says what to send. Authentication
// is checked before any work, numeric parameters are bounded (400 naming the
// parameter and its bounds), and every sleep ends when the client goes away.
// Every response of a simulated endpoint carries the sleep it got in the
// header X-Simulated-Delay-Ms.
package fakeapi

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/loadgen/loadgen/examples/demo"
)

// Version is reported by GET /health.
const Version = "1.0.0"

// Options configure the fake API. The zero value answers at once and never
// injects errors; DefaultOptions has the original service's behaviour.
type Options struct {
	// DelayMin and DelayMax bound the uniform "delay" of most endpoints
	// (RESPONSE_DELAY_MIN, RESPONSE_DELAY_MAX; originally 0.1 s and 0.5 s).
	DelayMin, DelayMax time.Duration
	// ErrorRate is the probability, from 0 to 1, that an endpoint with error
	// injection answers its error status (ERROR_RATE; originally 0.05).
	ErrorRate float64
	// DeclineRate is the probability, from 0 to 1, that a payment is
	// declined with 402 (originally 0.02). It is business behaviour, not an
	// injected error, so ErrorRate 0 does not turn it off.
	DeclineRate float64
	// LatencyScale multiplies every sleep: 1 keeps the original latencies,
	// 0.01 makes them a hundred times shorter, 0 turns them off
	// (LATENCY_SCALE). CPU work is not scaled.
	LatencyScale float64
	// Seed seeds the random draws (delays, errors, declines), so a sequence
	// of requests sent one after another gets the same answers every time
	// (RANDOM_SEED). 0 picks a random seed, reported by GET /stats.
	Seed uint64
	// TokenTTL is how long a login token stays valid; 1h when zero.
	TokenTTL time.Duration
	// AllowNonLoopback lets Start listen on addresses other than loopback.
	// The demo is safe by default: off.
	AllowNonLoopback bool
	// Demo configures the demo target serving the paths the catalogue does
	// not own.
	Demo demo.Options
}

// Defaults of the original service.
const (
	DefaultDelayMin    = 100 * time.Millisecond
	DefaultDelayMax    = 500 * time.Millisecond
	DefaultErrorRate   = 0.05
	DefaultDeclineRate = 0.02
	DefaultTokenTTL    = time.Hour
	// MaxLatencyScale bounds Options.LatencyScale.
	MaxLatencyScale = 100
)

// DefaultOptions returns the original service's configuration: delays of
// 0.1–0.5 s, 5 % injected errors, 2 % declined payments, real latencies.
func DefaultOptions() Options {
	return Options{
		DelayMin:     DefaultDelayMin,
		DelayMax:     DefaultDelayMax,
		ErrorRate:    DefaultErrorRate,
		DeclineRate:  DefaultDeclineRate,
		LatencyScale: 1,
		TokenTTL:     DefaultTokenTTL,
	}
}

// Validate reports the first option out of range.
func (o Options) Validate() error {
	switch {
	case o.DelayMin < 0 || o.DelayMax < 0:
		return fmt.Errorf("delays must not be negative (min %v, max %v)", o.DelayMin, o.DelayMax)
	case o.DelayMin > o.DelayMax:
		return fmt.Errorf("delay min %v is above delay max %v", o.DelayMin, o.DelayMax)
	case !(o.ErrorRate >= 0 && o.ErrorRate <= 1):
		return fmt.Errorf("error rate %v: want 0 to 1", o.ErrorRate)
	case !(o.DeclineRate >= 0 && o.DeclineRate <= 1):
		return fmt.Errorf("decline rate %v: want 0 to 1", o.DeclineRate)
	case !(o.LatencyScale >= 0 && o.LatencyScale <= MaxLatencyScale):
		return fmt.Errorf("latency scale %v: want 0 to %d", o.LatencyScale, MaxLatencyScale)
	case o.TokenTTL < 0:
		return fmt.Errorf("token TTL %v must not be negative", o.TokenTTL)
	}
	return nil
}

// Environment variables read by OptionsFromEnv.
const (
	EnvDelayMin     = "RESPONSE_DELAY_MIN"
	EnvDelayMax     = "RESPONSE_DELAY_MAX"
	EnvErrorRate    = "ERROR_RATE"
	EnvSeed         = "RANDOM_SEED"
	EnvLatencyScale = "LATENCY_SCALE"
)

// OptionsFromEnv returns DefaultOptions changed by the environment:
// RESPONSE_DELAY_MIN and RESPONSE_DELAY_MAX (seconds, as the original, like
// "0.1", or Go durations like "100ms"), ERROR_RATE (0 to 1), RANDOM_SEED and
// LATENCY_SCALE. An unset or empty variable keeps the default.
func OptionsFromEnv(getenv func(string) string) (Options, error) {
	o := DefaultOptions()
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{EnvDelayMin, &o.DelayMin}, {EnvDelayMax, &o.DelayMax}} {
		if v := strings.TrimSpace(getenv(d.name)); v != "" {
			x, err := parseSeconds(v)
			if err != nil {
				return o, fmt.Errorf("%s=%q: %w", d.name, v, err)
			}
			*d.dst = x
		}
	}
	for _, f := range []struct {
		name string
		dst  *float64
	}{{EnvErrorRate, &o.ErrorRate}, {EnvLatencyScale, &o.LatencyScale}} {
		if v := strings.TrimSpace(getenv(f.name)); v != "" {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return o, fmt.Errorf("%s=%q: want a number", f.name, v)
			}
			*f.dst = x
		}
	}
	if v := strings.TrimSpace(getenv(EnvSeed)); v != "" {
		x, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return o, fmt.Errorf("%s=%q: want a non-negative integer", EnvSeed, v)
		}
		o.Seed = x
	}
	return o, o.Validate()
}

// parseSeconds reads "0.1" as 0.1 s and "100ms" as a Go duration.
func parseSeconds(v string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if f < 0 || f > 3600 {
			return 0, errors.New("want 0 to 3600 seconds")
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, errors.New(`want seconds ("0.1") or a duration ("100ms")`)
	}
	return d, nil
}

// RegisterFlags defines the flags --delay-min, --delay-max, --error-rate,
// --decline-rate, --latency-scale, --seed, --token-ttl and
// --allow-non-loopback on fs, with o's current values as defaults, writing
// into o.
func (o *Options) RegisterFlags(fs *flag.FlagSet) {
	fs.DurationVar(&o.DelayMin, "delay-min", o.DelayMin, "shortest simulated delay (env "+EnvDelayMin+")")
	fs.DurationVar(&o.DelayMax, "delay-max", o.DelayMax, "longest simulated delay (env "+EnvDelayMax+")")
	fs.Float64Var(&o.ErrorRate, "error-rate", o.ErrorRate, "probability of an injected error status, 0 to 1 (env "+EnvErrorRate+")")
	fs.Float64Var(&o.DeclineRate, "decline-rate", o.DeclineRate, "probability that a payment is declined (402), 0 to 1")
	fs.Float64Var(&o.LatencyScale, "latency-scale", o.LatencyScale, "multiplies every simulated latency; 0 turns them off (env "+EnvLatencyScale+")")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "seed of the random delays and errors; 0: random (env "+EnvSeed+")")
	fs.DurationVar(&o.TokenTTL, "token-ttl", o.TokenTTL, "lifetime of login tokens")
	fs.BoolVar(&o.AllowNonLoopback, "allow-non-loopback", o.AllowNonLoopback, "allow listening on non-loopback addresses")
}

// Handler returns the fake API's handler, with its own store, counters and
// random source. It panics when opts do not validate; Start and the
// commands validate them first.
func Handler(opts Options) http.Handler {
	s, err := newServer(opts)
	if err != nil {
		panic("fakeapi: " + err.Error())
	}
	return s
}

// ErrNotLoopback is returned by Start for a non-loopback listen address
// unless Options.AllowNonLoopback is set.
var ErrNotLoopback = errors.New("not a loopback address (allow it with --allow-non-loopback, Options.AllowNonLoopback)")

// CheckAddr reports whether addr ("host:port") may be listened on: a
// loopback host (127.0.0.0/8, ::1, localhost), or any host with
// allowNonLoopback.
func CheckAddr(addr string, allowNonLoopback bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if allowNonLoopback {
		return nil
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("listen address %q: %w", addr, ErrNotLoopback)
}

// Start serves Handler(opts) on addr (e.g. "127.0.0.1:0") in the background
// and returns its base URL ("http://127.0.0.1:PORT"). addr must be loopback
// unless opts.AllowNonLoopback. stop shuts the server down gracefully,
// waiting for in-flight requests until its context ends, then closes what is
// left. Canceling ctx also closes the server.
func Start(ctx context.Context, addr string, opts Options) (url string, stop func(context.Context) error, err error) {
	if err := CheckAddr(addr, opts.AllowNonLoopback); err != nil {
		return "", nil, err
	}
	s, err := newServer(opts)
	if err != nil {
		return "", nil, fmt.Errorf("fake API options: %w", err)
	}
	url, stop, err = demo.Serve(ctx, addr, s)
	if err != nil {
		return "", nil, fmt.Errorf("fake API: %w", err)
	}
	return url, stop, nil
}
