package mcpserver

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdaurl"

	"github.com/loadgen/loadgen/agents/llm"
	"github.com/loadgen/loadgen/mcpserver/store"
)

// Environment variables read by ConfigFromEnv.
const (
	// ArtifactsEnv is the artifact store: a folder or s3://bucket/prefix.
	ArtifactsEnv = "LOADGEN_ARTIFACTS"
	// DocsRootsEnv lists document roots, separated like PATH.
	DocsRootsEnv = "LOADGEN_DOCS_ROOTS"
	// AllowTargetsEnv lists allowed targets, comma-separated.
	AllowTargetsEnv = "LOADGEN_ALLOW_TARGETS"
	// Caps: LOADGEN_MAX_RATE (per second), LOADGEN_MAX_VUS,
	// LOADGEN_MAX_DURATION (30m), LOADGEN_MAX_RUNS.
	MaxRateEnv     = "LOADGEN_MAX_RATE"
	MaxVUsEnv      = "LOADGEN_MAX_VUS"
	MaxDurationEnv = "LOADGEN_MAX_DURATION"
	MaxRunsEnv     = "LOADGEN_MAX_RUNS"
)

// DefaultArtifacts is the local artifact folder when none is configured:
// $XDG_DATA_HOME/loadgen/artifacts, else ~/.local/share/loadgen/artifacts.
func DefaultArtifacts(getenv func(string) string) string {
	base := getenv("XDG_DATA_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return filepath.Join(os.TempDir(), "loadgen-artifacts")
		}
		base = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(base, "loadgen", "artifacts")
}

// ConfigFromEnv builds a configuration from environment variables: the
// store (LOADGEN_ARTIFACTS, else the original tool's S3_BUCKET_NAME,
// else DefaultArtifacts), the document roots, the allowlist, the caps and
// the AI provider (llm.FromEnv).
func ConfigFromEnv(ctx context.Context, getenv func(string) string) (Config, error) {
	var cfg Config
	loc := getenv(ArtifactsEnv)
	if loc == "" && getenv("S3_BUCKET_NAME") != "" {
		loc = "s3://" + getenv("S3_BUCKET_NAME")
	}
	if loc == "" {
		loc = DefaultArtifacts(getenv)
	}
	st, err := store.Open(ctx, loc)
	if err != nil {
		return cfg, fmt.Errorf("%s: %w", ArtifactsEnv, err)
	}
	cfg.Store = st
	cfg.DocsRoots = filepath.SplitList(getenv(DocsRootsEnv))
	if v := getenv(AllowTargetsEnv); v != "" {
		cfg.AllowTargets = []string{v}
	}
	if cfg.Limits, err = LimitsFromEnv(getenv); err != nil {
		return cfg, err
	}
	cfg.ECSEnv = getenv
	if cfg.Provider, err = llm.FromEnv(ctx, getenv); err != nil {
		return cfg, fmt.Errorf("AI provider: %w", err)
	}
	return cfg, nil
}

// LimitsFromEnv reads the caps (zero: the default).
func LimitsFromEnv(getenv func(string) string) (Limits, error) {
	var l Limits
	var err error
	if v := getenv(MaxRateEnv); v != "" {
		if l.MaxRate, err = strconv.ParseFloat(v, 64); err != nil || l.MaxRate <= 0 {
			return l, fmt.Errorf("%s=%q: want a positive number of iterations per second", MaxRateEnv, v)
		}
	}
	if v := getenv(MaxVUsEnv); v != "" {
		if l.MaxVUs, err = strconv.Atoi(v); err != nil || l.MaxVUs <= 0 {
			return l, fmt.Errorf("%s=%q: want a positive whole number", MaxVUsEnv, v)
		}
	}
	if v := getenv(MaxDurationEnv); v != "" {
		if l.MaxDuration, err = time.ParseDuration(v); err != nil || l.MaxDuration <= 0 {
			return l, fmt.Errorf("%s=%q: want a duration such as 30m", MaxDurationEnv, v)
		}
	}
	if v := getenv(MaxRunsEnv); v != "" {
		if l.MaxRuns, err = strconv.Atoi(v); err != nil || l.MaxRuns <= 0 {
			return l, fmt.Errorf("%s=%q: want a positive whole number", MaxRunsEnv, v)
		}
	}
	return l, nil
}

// Lambda returns the handler of an AWS Lambda function URL (invoke mode
// RESPONSE_STREAM): stateless streamable HTTP, so any instance can answer
// any request. Authentication is the function URL's AWS_IAM auth.
func (s *Server) Lambda() func(context.Context, *events.LambdaFunctionURLRequest) (*events.LambdaFunctionURLStreamingResponse, error) {
	return lambdaurl.Wrap(s.HTTPHandler(HTTPOptions{Stateless: true}))
}
