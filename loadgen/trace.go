package loadgen

import (
	"context"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/loadgen/loadgen/loadgen/httpx"
	"github.com/loadgen/loadgen/loadgen/record"
)

// sampleThreshold turns a sampling share into the bound a uniform 64-bit
// draw must stay below.
func sampleThreshold(p float64) uint64 {
	if p >= 1 {
		return math.MaxUint64
	}
	return uint64(math.Ldexp(p, 64))
}

// sampled draws whether the VU's next request is traced: a splitmix64
// step on the VU's own state, no lock and no allocation.
func (v *vu) sampled() bool {
	v.traceRNG += 0x9e3779b97f4a7c15
	z := v.traceRNG
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return z < v.sr.e.traceBelow
}

// traceCarrier collects the headers a propagator injects.
type traceCarrier [][2]string

func (c *traceCarrier) Get(string) string { return "" }
func (c *traceCarrier) Set(k, val string) { *c = append(*c, [2]string{k, val}) }
func (c *traceCarrier) Keys() []string    { return nil }

// startSpan starts the client span of a sampled request and returns the
// headers (traceparent, and tracestate when there is one) that carry it.
func (v *vu) startSpan(ctx context.Context, s *step) (trace.Span, [][2]string) {
	sr := v.sr
	ctx, span := sr.e.tracer.Start(ctx, s.rt.method+" "+s.label,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("http.request.method", s.rt.method),
			attribute.String("loadgen.scenario", sr.cfg.Name),
			attribute.String("loadgen.step", s.label),
			attribute.Int("loadgen.vu", int(v.id)),
		))
	var c traceCarrier
	propagation.TraceContext{}.Inject(ctx, &c)
	return span, c
}

// endSpan ends a sampled request's span with its outcome.
func (v *vu) endSpan(span trace.Span, req *httpx.Prepared, smp *record.Sample) {
	if req != nil {
		span.SetAttributes(attribute.String("url.full", redactURL(req.URL)))
	}
	if smp.Status > 0 {
		span.SetAttributes(attribute.Int("http.response.status_code", int(smp.Status)))
	}
	if !smp.Success {
		why := smp.Code
		if why == "" && smp.Status > 0 {
			why = strconv.Itoa(int(smp.Status))
		}
		if smp.FailureMessage != "" {
			span.SetAttributes(attribute.String("loadgen.check.failed", smp.FailureMessage))
			if why == "" || smp.Status > 0 && smp.Status < 400 {
				why = "check"
			}
		}
		if why == "" {
			why = "unsent"
		}
		span.SetAttributes(attribute.String("error.type", why))
		span.SetStatus(codes.Error, smp.Message+smp.FailureMessage)
	}
	span.End(trace.WithTimestamp(time.Unix(0, smp.Start+smp.Elapsed)))
}

// sensitiveParams are query parameters whose values a span never carries
// (OpenTelemetry's semantic conventions for url.full, plus common token
// names).
var sensitiveParams = map[string]bool{
	"awsaccesskeyid": true, "signature": true, "sig": true, "x-goog-signature": true,
	"x-amz-signature": true, "x-amz-credential": true, "x-amz-security-token": true,
	"token": true, "access_token": true, "id_token": true, "refresh_token": true,
	"api_key": true, "apikey": true, "key": true, "password": true, "secret": true, "client_secret": true,
}

// redactURL is u for a span's url.full: user information and the values of
// sensitive query parameters replaced by REDACTED.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "REDACTED"
	}
	if p.User != nil {
		p.User = url.UserPassword("REDACTED", "REDACTED")
	}
	if p.RawQuery != "" {
		parts := strings.Split(p.RawQuery, "&")
		for i, kv := range parts {
			k, _, hasValue := strings.Cut(kv, "=")
			name, err := url.QueryUnescape(k)
			if err != nil {
				name = k
			}
			if hasValue && sensitiveParams[strings.ToLower(name)] {
				parts[i] = k + "=REDACTED"
			}
		}
		p.RawQuery = strings.Join(parts, "&")
	}
	return p.String()
}
