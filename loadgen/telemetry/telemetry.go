// Package telemetry exports a running test live: the engine's per-interval
// aggregates (loadgen.Metrics) become OpenTelemetry metrics, pushed over
// OTLP (gRPC or HTTP/protobuf, with the SDK's exporters) and/or served in
// the Prometheus text format at /metrics; sampled requests, MCP tool calls
// and AI calls become spans exported over OTLP.
//
// Nothing here runs per request. The engine counts requests into
// fixed buckets on its recorder goroutine and hands a snapshot over once
// per interval (Telemetry.OnMetrics); a metric.Producer turns the latest
// snapshot into metric data whenever a reader collects. Every point
// carries the run id and, for a distributed worker, its index, as
// resource attributes (Prometheus: labels loadgen_run_id and
// loadgen_worker_index on every series).
//
// Start builds the providers from a Config (which the CLI fills from its
// flags) and the standard OTEL_EXPORTER_OTLP_* and OTEL_RESOURCE_ATTRIBUTES
// variables; no global OpenTelemetry state is set.
package telemetry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/loadgen/loadgen/loadgen"
)

// OTLP protocols (the values of OTEL_EXPORTER_OTLP_PROTOCOL the Go SDK
// supports).
const (
	ProtocolGRPC = "grpc"
	ProtocolHTTP = "http/protobuf"
)

// DefaultInterval is how often metrics are exported by default.
const DefaultInterval = time.Second

// Config says where telemetry goes. The zero value exports nothing.
type Config struct {
	// OTLPEndpoint is the collector's base URL, with the meaning of
	// OTEL_EXPORTER_OTLP_ENDPOINT: http://127.0.0.1:4318 for
	// http/protobuf (/v1/metrics and /v1/traces are appended),
	// http://127.0.0.1:4317 for gRPC. An endpoint without a scheme gets
	// http:// on a loopback host and https:// elsewhere. Empty: export
	// over OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT (or its _METRICS_ or
	// _TRACES_ form) is set. The other OTEL_EXPORTER_OTLP_* variables
	// (headers, timeout, compression, certificates) apply either way.
	OTLPEndpoint string
	// OTLPProtocol is ProtocolGRPC or ProtocolHTTP; empty:
	// OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf.
	OTLPProtocol string
	// MetricsAddr, when set, serves the Prometheus text format at
	// http://MetricsAddr/metrics. A missing host ("9464", ":9464") means
	// 127.0.0.1; a host that is not loopback is refused unless
	// MetricsPublic is set.
	MetricsAddr   string
	MetricsPublic bool
	// Interval is how often the engine snapshots and OTLP exports its
	// metrics (default DefaultInterval).
	Interval time.Duration
	// RunID, Plan and Worker describe the run on every metric and span
	// (resource attributes). Worker is the distributed worker's segment;
	// its zero value means not a worker.
	RunID  string
	Plan   string
	Worker loadgen.Segment
}

// Telemetry is a run's telemetry pipeline. Its methods are safe for
// concurrent use.
type Telemetry struct {
	prod     *producer
	mp       *sdkmetric.MeterProvider
	tp       *sdktrace.TracerProvider
	srv      *http.Server
	srvDone  chan error
	addr     string
	endpoint string
	protocol string
	interval time.Duration
}

// Enabled reports whether c exports anything: an OTLP endpoint (flag or
// environment) or a metrics address.
func (c Config) Enabled() bool {
	return c.MetricsAddr != "" || c.otlpFromEnv() || c.OTLPEndpoint != ""
}

func (Config) otlpFromEnv() bool {
	for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"} {
		if os.Getenv(k) != "" {
			return true
		}
	}
	return false
}

// Protocol is the OTLP protocol c selects.
func (c Config) Protocol() (string, error) {
	p := c.OTLPProtocol
	if p == "" {
		p = os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	switch p {
	case "":
		return ProtocolHTTP, nil
	case ProtocolGRPC, ProtocolHTTP:
		return p, nil
	}
	return "", fmt.Errorf("OTLP protocol %q: want %s or %s", p, ProtocolGRPC, ProtocolHTTP)
}

// Start builds the providers c asks for and starts the /metrics server.
// Call Shutdown at the end: it exports what is left.
func Start(ctx context.Context, c Config) (*Telemetry, error) {
	t := &Telemetry{prod: &producer{probe: newHealthProbe()}, interval: c.Interval}
	if t.interval <= 0 {
		t.interval = DefaultInterval
	}
	res, err := c.resource(ctx)
	if err != nil {
		return nil, err
	}
	var readers []sdkmetric.Option
	var undo []func(context.Context) error // what to close when Start fails half way
	fail := func(err error) (*Telemetry, error) {
		for _, f := range undo {
			_ = f(ctx)
		}
		return nil, err
	}
	otlpOn := c.OTLPEndpoint != "" || c.otlpFromEnv()
	if otlpOn {
		if t.protocol, err = c.Protocol(); err != nil {
			return nil, err
		}
		base := ""
		if c.OTLPEndpoint != "" {
			if base, err = normalizeEndpoint(c.OTLPEndpoint); err != nil {
				return nil, err
			}
		}
		t.endpoint = base
		mexp, err := newMetricExporter(ctx, t.protocol, base)
		if err != nil {
			return nil, err
		}
		undo = append(undo, mexp.Shutdown)
		readers = append(readers, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(mexp,
			sdkmetric.WithInterval(t.interval), sdkmetric.WithProducer(t.prod))))
		texp, err := newTraceExporter(ctx, t.protocol, base)
		if err != nil {
			return fail(err)
		}
		// Callers decide which requests to trace (Options.TraceSample):
		// every span started here is kept.
		t.tp = sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithBatcher(texp),
			sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())))
		undo = append(undo, t.tp.Shutdown)
	}
	var ln net.Listener
	if c.MetricsAddr != "" {
		addr, err := CheckMetricsAddr(c.MetricsAddr, c.MetricsPublic)
		if err != nil {
			return fail(err)
		}
		reg := prometheus.NewRegistry()
		pexp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithProducer(t.prod),
			otelprom.WithResourceAsConstantLabels(attribute.NewAllowKeysFilter(AttrRunID, AttrWorkerIndex)))
		if err != nil {
			return fail(fmt.Errorf("prometheus exporter: %w", err))
		}
		readers = append(readers, sdkmetric.WithReader(pexp))
		if ln, err = (&net.ListenConfig{}).Listen(ctx, "tcp", addr); err != nil {
			return fail(fmt.Errorf("metrics address %s: %w", addr, err))
		}
		t.addr = ln.Addr().String()
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		t.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	}
	t.mp = sdkmetric.NewMeterProvider(append(readers, sdkmetric.WithResource(res))...)
	if t.srv != nil {
		t.srvDone = make(chan error, 1)
		go func() { t.srvDone <- t.srv.Serve(ln) }()
	}
	return t, nil
}

// resource describes the load generator and the run.
func (c Config) resource(ctx context.Context) (*resource.Resource, error) {
	attrs := []attribute.KeyValue{
		attribute.String("service.name", "loadgen"),
		attribute.String("service.version", loadgen.Version),
	}
	if c.RunID != "" {
		attrs = append(attrs, attribute.String(AttrRunID, c.RunID))
	}
	if c.Plan != "" {
		attrs = append(attrs, attribute.String(AttrPlan, c.Plan))
	}
	if c.Worker.Count > 0 {
		attrs = append(attrs, attribute.Int(AttrWorkerIndex, c.Worker.Index), attribute.Int(AttrWorkerCount, c.Worker.Count))
	}
	// OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME win over the defaults
	r, err := resource.New(ctx, resource.WithAttributes(attrs...), resource.WithHost(), resource.WithFromEnv())
	if err != nil && r == nil {
		return nil, fmt.Errorf("telemetry resource: %w", err)
	}
	return r, nil
}

// normalizeEndpoint gives an endpoint without a scheme one.
func normalizeEndpoint(ep string) (string, error) {
	if !strings.Contains(ep, "://") {
		host, _, err := net.SplitHostPort(ep)
		if err != nil {
			return "", fmt.Errorf("OTLP endpoint %q: want a URL such as http://127.0.0.1:4318 or host:port: %w", ep, err)
		}
		scheme := "https://"
		if isLoopback(host) {
			scheme = "http://"
		}
		ep = scheme + ep
	}
	u, err := url.Parse(ep)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("OTLP endpoint %q: want an http:// or https:// URL", ep)
	}
	return strings.TrimRight(ep, "/"), nil
}

func newMetricExporter(ctx context.Context, protocol, base string) (sdkmetric.Exporter, error) {
	var exp sdkmetric.Exporter
	var err error
	if protocol == ProtocolGRPC {
		var opts []otlpmetricgrpc.Option
		if base != "" {
			opts = append(opts, otlpmetricgrpc.WithEndpointURL(base))
		}
		exp, err = otlpmetricgrpc.New(ctx, opts...)
	} else {
		var opts []otlpmetrichttp.Option
		if base != "" {
			opts = append(opts, otlpmetrichttp.WithEndpointURL(base+"/v1/metrics"))
		}
		exp, err = otlpmetrichttp.New(ctx, opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("OTLP metric exporter (%s): %w", protocol, err)
	}
	return exp, nil
}

func newTraceExporter(ctx context.Context, protocol, base string) (sdktrace.SpanExporter, error) {
	var exp sdktrace.SpanExporter
	var err error
	if protocol == ProtocolGRPC {
		var opts []otlptracegrpc.Option
		if base != "" {
			opts = append(opts, otlptracegrpc.WithEndpointURL(base))
		}
		exp, err = otlptracegrpc.New(ctx, opts...)
	} else {
		var opts []otlptracehttp.Option
		if base != "" {
			opts = append(opts, otlptracehttp.WithEndpointURL(base+"/v1/traces"))
		}
		exp, err = otlptracehttp.New(ctx, opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter (%s): %w", protocol, err)
	}
	return exp, nil
}

// CheckMetricsAddr resolves a --metrics-addr value to host:port: a missing
// host is 127.0.0.1, and a host that is not a loopback address is refused
// unless public is set (the endpoint has no authentication).
func CheckMetricsAddr(addr string, public bool) (string, error) {
	if !strings.Contains(addr, ":") {
		addr = ":" + addr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("metrics address %q: want [HOST:]PORT: %w", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if !public && !isLoopback(host) {
		return "", fmt.Errorf("metrics address %q is not a loopback address; /metrics has no authentication, so serving it on %s needs --metrics-public", addr, host)
	}
	return net.JoinHostPort(host, port), nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// OnMetrics takes the engine's snapshot (loadgen.Options.OnMetrics), for
// one run at a time.
func (t *Telemetry) OnMetrics(m *loadgen.Metrics) { t.prod.set(m) }

// Interval is the metrics interval (loadgen.Options.MetricsInterval).
func (t *Telemetry) Interval() time.Duration { return t.interval }

// TracerProvider is the provider spans go to, nil when nothing exports
// traces (OTLP is off).
func (t *Telemetry) TracerProvider() trace.TracerProvider {
	if t.tp == nil {
		return nil
	}
	return t.tp
}

// MetricsAddr is the address /metrics is served on ("" when it is not).
func (t *Telemetry) MetricsAddr() string { return t.addr }

// Describe says where telemetry goes, for a log line.
func (t *Telemetry) Describe() string {
	var parts []string
	if t.tp != nil {
		ep := t.endpoint
		if ep == "" {
			ep = "OTEL_EXPORTER_OTLP_* endpoint"
		}
		parts = append(parts, fmt.Sprintf("OTLP %s to %s every %s", t.protocol, ep, t.interval))
	}
	if t.addr != "" {
		parts = append(parts, "Prometheus at http://"+t.addr+"/metrics")
	}
	return strings.Join(parts, "; ")
}

// Shutdown exports the last metrics (the final snapshot) and the spans
// still buffered, then stops the /metrics server.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	if t.tp != nil {
		if err := t.tp.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("trace export: %w", err))
		}
	}
	if err := t.mp.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("metric export: %w", err))
	}
	if t.srv != nil {
		if err := t.srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("metrics server: %w", err))
		}
		if err := <-t.srvDone; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("metrics server: %w", err))
		}
	}
	return errors.Join(errs...)
}

// NewRunID returns a run id: the UTC start time and four random hex
// digits, e.g. 20261126T181500Z-3fa2.
func NewRunID() string {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}
