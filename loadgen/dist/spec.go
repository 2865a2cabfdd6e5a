// Package dist runs one plan on several workers: local processes or ECS
// Fargate tasks. The coordinator (Run) splits the plan into segments
// (loadgen.Segment), picks a start time in the near future, starts the
// workers through a Backend, follows them, stops them all on an abort, and
// merges their outputs into one run folder exactly like a single process
// would have written it. A worker (RunWorker, `loadgen worker`) runs one
// segment from a WorkerSpec given by flags or by environment variables.
package dist

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/record"
)

// Worker exit codes, which the coordinator reads.
const (
	ExitOK         = 0
	ExitRuntime    = 1
	ExitUsage      = 2
	ExitLate       = 3  // the start time had passed: nothing was sent
	ExitAborted    = 98 // an abort_on_fail threshold stopped the worker
	ExitThresholds = 99 // thresholds failed at the end
	ExitCancelled  = 130
)

// Environment variables carrying a WorkerSpec (ECS container overrides).
const (
	EnvPlan    = "LOADGEN_WORKER_PLAN"
	EnvSegment = "LOADGEN_WORKER_SEGMENT"
	EnvStart   = "LOADGEN_WORKER_START"
	EnvOut     = "LOADGEN_WORKER_OUT"
	EnvSeed    = "LOADGEN_WORKER_SEED"
	EnvTarget  = "LOADGEN_WORKER_TARGET"
	EnvRunID   = "LOADGEN_WORKER_RUN_ID"
	EnvJTL     = "LOADGEN_WORKER_JTL" // "errors" keeps only failed rows
	EnvSample  = "LOADGEN_WORKER_JTL_SAMPLE"
	EnvMaxLate = "LOADGEN_WORKER_MAX_LATE"
	// EnvAllow, when set, keeps the worker's connections on an allowlist
	// (comma-separated HOST, HOST:PORT or CIDR; loopback always allowed).
	EnvAllow = "LOADGEN_WORKER_ALLOW_TARGETS"
	// Live telemetry (see package telemetry): OTLP endpoint and protocol,
	// a Prometheus /metrics address, the metrics interval, the share of
	// requests traced, and "1" to send the run id as X-Loadgen-Run.
	EnvOTLP            = "LOADGEN_WORKER_OTLP"
	EnvOTLPProtocol    = "LOADGEN_WORKER_OTLP_PROTOCOL"
	EnvMetricsAddr     = "LOADGEN_WORKER_METRICS_ADDR"
	EnvMetricsPublic   = "LOADGEN_WORKER_METRICS_PUBLIC"
	EnvMetricsInterval = "LOADGEN_WORKER_METRICS_INTERVAL"
	EnvTraceSample     = "LOADGEN_WORKER_TRACE_SAMPLE"
	EnvRunHeader       = "LOADGEN_WORKER_RUN_HEADER"
)

// WorkerSpec is one worker's assignment.
type WorkerSpec struct {
	// Segment is the worker's share: Index of Count.
	Segment loadgen.Segment
	// Plan is the plan file: a local path, or s3://bucket/key with the
	// plan's data files beside it.
	Plan string
	// Out is where the outputs go: a local folder, or s3://bucket/prefix/.
	Out string
	// StartAt is when the run's clock starts on every worker.
	StartAt time.Time
	// Seed is shared by every worker of a run (same arrivals, same think
	// times per VU).
	Seed uint64
	// Target overrides the plan's target.
	Target string
	// RunID names the run, for logs and telemetry.
	RunID string
	// JTL selects the rows of results.jtl (the seed is Seed).
	JTL record.JTLOptions
	// MaxLate is how late a worker may be ready (0: 1 s).
	MaxLate time.Duration
	// AllowTargets, when not empty, is the only place load may go (see
	// guard.ParseTargets), checked on every connection.
	AllowTargets []string
	// Telemetry is where the worker's live metrics and spans go.
	Telemetry Telemetry
}

// Telemetry are a worker's live telemetry settings (see package
// telemetry); every point carries the run id and the worker's index.
type Telemetry struct {
	// OTLP is the collector's endpoint and OTLPProtocol its protocol
	// (grpc or http/protobuf; empty: OTEL_EXPORTER_OTLP_PROTOCOL).
	OTLP, OTLPProtocol string
	// MetricsAddr serves Prometheus /metrics on a loopback address, or
	// on any address with MetricsPublic.
	MetricsAddr   string
	MetricsPublic bool
	// MetricsInterval is the metrics interval (0: 1 s).
	MetricsInterval time.Duration
	// TraceSample is the share of requests traced (0: none).
	TraceSample float64
	// RunHeader sends the run id as X-Loadgen-Run with every request.
	RunHeader bool
}

// Env encodes the spec as environment variables.
func (w WorkerSpec) Env() map[string]string {
	env := map[string]string{
		EnvPlan:    w.Plan,
		EnvSegment: w.Segment.String(),
		EnvStart:   w.StartAt.UTC().Format(time.RFC3339Nano),
		EnvOut:     w.Out,
		EnvSeed:    strconv.FormatUint(w.Seed, 10),
	}
	if w.Target != "" {
		env[EnvTarget] = w.Target
	}
	if w.RunID != "" {
		env[EnvRunID] = w.RunID
	}
	if w.JTL.ErrorsOnly {
		env[EnvJTL] = "errors"
	}
	if w.MaxLate > 0 {
		env[EnvMaxLate] = w.MaxLate.String()
	}
	if len(w.AllowTargets) > 0 {
		env[EnvAllow] = strings.Join(w.AllowTargets, ",")
	}
	if w.JTL.Sample > 0 && w.JTL.Sample < 1 {
		env[EnvSample] = strconv.FormatFloat(w.JTL.Sample, 'g', -1, 64)
	}
	tel := w.Telemetry
	set := func(k, v string) {
		if v != "" {
			env[k] = v
		}
	}
	set(EnvOTLP, tel.OTLP)
	set(EnvOTLPProtocol, tel.OTLPProtocol)
	set(EnvMetricsAddr, tel.MetricsAddr)
	if tel.MetricsInterval > 0 {
		env[EnvMetricsInterval] = tel.MetricsInterval.String()
	}
	if tel.TraceSample > 0 {
		env[EnvTraceSample] = strconv.FormatFloat(tel.TraceSample, 'g', -1, 64)
	}
	if tel.RunHeader {
		env[EnvRunHeader] = "1"
	}
	if tel.MetricsPublic {
		env[EnvMetricsPublic] = "1"
	}
	return env
}

// SpecFromEnv reads a spec from the environment (the inverse of Env).
func SpecFromEnv(getenv func(string) string) (WorkerSpec, error) {
	var w WorkerSpec
	var err error
	if w.Plan, w.Out = getenv(EnvPlan), getenv(EnvOut); w.Plan == "" || w.Out == "" {
		return w, fmt.Errorf("%s and %s are required", EnvPlan, EnvOut)
	}
	if w.Segment, err = loadgen.ParseSegment(getenv(EnvSegment)); err != nil {
		return w, fmt.Errorf("%s: %w", EnvSegment, err)
	}
	if s := getenv(EnvStart); s != "" {
		if w.StartAt, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return w, fmt.Errorf("%s=%q: want an RFC 3339 time: %w", EnvStart, s, err)
		}
	}
	if s := getenv(EnvSeed); s != "" {
		if w.Seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			return w, fmt.Errorf("%s=%q: %w", EnvSeed, s, err)
		}
	}
	w.Target, w.RunID = getenv(EnvTarget), getenv(EnvRunID)
	switch v := getenv(EnvJTL); v {
	case "", "all":
	case "errors":
		w.JTL.ErrorsOnly = true
	default:
		return w, fmt.Errorf("%s=%q: want all or errors", EnvJTL, v)
	}
	if v := getenv(EnvSample); v != "" {
		if w.JTL.Sample, err = strconv.ParseFloat(v, 64); err != nil || w.JTL.Sample <= 0 || w.JTL.Sample > 1 {
			return w, fmt.Errorf("%s=%q: want a share in (0, 1]", EnvSample, v)
		}
	}
	w.JTL.Seed = w.Seed
	for _, a := range strings.Split(getenv(EnvAllow), ",") {
		if a = strings.TrimSpace(a); a != "" {
			w.AllowTargets = append(w.AllowTargets, a)
		}
	}
	if v := getenv(EnvMaxLate); v != "" {
		if w.MaxLate, err = time.ParseDuration(v); err != nil || w.MaxLate <= 0 {
			return w, fmt.Errorf("%s=%q: want a duration such as 2s", EnvMaxLate, v)
		}
	}
	tel := &w.Telemetry
	tel.OTLP, tel.OTLPProtocol, tel.MetricsAddr = getenv(EnvOTLP), getenv(EnvOTLPProtocol), getenv(EnvMetricsAddr)
	if v := getenv(EnvMetricsInterval); v != "" {
		if tel.MetricsInterval, err = time.ParseDuration(v); err != nil || tel.MetricsInterval <= 0 {
			return w, fmt.Errorf("%s=%q: want a duration such as 1s", EnvMetricsInterval, v)
		}
	}
	if v := getenv(EnvTraceSample); v != "" {
		if tel.TraceSample, err = strconv.ParseFloat(v, 64); err != nil || tel.TraceSample < 0 || tel.TraceSample > 1 {
			return w, fmt.Errorf("%s=%q: want a share in [0, 1]", EnvTraceSample, v)
		}
	}
	for _, b := range []struct {
		env string
		to  *bool
	}{{EnvRunHeader, &tel.RunHeader}, {EnvMetricsPublic, &tel.MetricsPublic}} {
		switch v := getenv(b.env); v {
		case "", "0", "false":
		case "1", "true":
			*b.to = true
		default:
			return w, fmt.Errorf("%s=%q: want 1 or 0", b.env, v)
		}
	}
	if tel.RunHeader && w.RunID == "" {
		return w, fmt.Errorf("%s needs %s", EnvRunHeader, EnvRunID)
	}
	return w, nil
}

// LiveFile is the worker's live state, rewritten while it runs (local
// workers print the same JSON lines on standard output).
const LiveFile = "live.json"

// Live is a worker's progress message.
type Live struct {
	Segment string       `json:"segment"`
	State   string       `json:"state"` // preparing, running, done
	Live    loadgen.Live `json:"live"`
}
