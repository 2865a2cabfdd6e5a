package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/loadgen/loadgen/agents/llm"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/mcpserver/guard"
	"github.com/loadgen/loadgen/mcpserver/store"
)

// Limits cap what one server lets its callers run.
type Limits struct {
	// MaxRate is the highest total arrival rate of a plan, per second.
	MaxRate float64
	// MaxVUs is the most VUs a plan may start (summed over its scenarios).
	MaxVUs int
	// MaxDuration is the longest a plan may run (monitoring_config.duration
	// may cut a longer plan short to fit).
	MaxDuration time.Duration
	// MaxRuns is how many runs may be in progress at once.
	MaxRuns int
}

// DefaultLimits are the caps when none are configured: enough for a dev
// server, not enough to hurt one by accident.
var DefaultLimits = Limits{MaxRate: 1000, MaxVUs: 500, MaxDuration: 30 * time.Minute, MaxRuns: 2}

// Config configures a Server.
type Config struct {
	// Store keeps the sessions' artifacts (required).
	Store store.Store
	// DocsRoots are the local folders analyze_architecture may read,
	// besides a local store's own folder.
	DocsRoots []string
	// AllowTargets extend the target allowlist beyond loopback: HOST,
	// HOST:PORT or CIDR entries (see guard.ParseTargets).
	AllowTargets []string
	// Limits cap the runs; zero fields take DefaultLimits'.
	Limits Limits
	// Provider is the model for the AI steps; nil runs them offline.
	Provider llm.Provider
	// Repairs is how many times an invalid model answer goes back (0: the
	// steps' default).
	Repairs int
	// Logger receives one line per tool call (never arguments, documents,
	// prompts or answers); nil discards.
	Logger *slog.Logger
	// Stateless servers (AWS Lambda) keep nothing between requests, so
	// they refuse runs on the local backend, which would die with the
	// request.
	Stateless bool
	// WorkDir holds temporary files (downloaded documents, run outputs on
	// their way to S3); default os.TempDir().
	WorkDir string
	// ECSEnv reads the ECS backend's settings (LOADGEN_ECS_*; nil: none);
	// runs on ECS need them and an S3 Store.
	ECSEnv func(string) string
	// WorkerExecutable is the loadgen binary whose worker command runs
	// the workers of a multi-worker local run (default: this process's
	// executable).
	WorkerExecutable string
	// TracerProvider, when set, receives a span per tool call and per
	// model call (nil: no tracing).
	TracerProvider trace.TracerProvider
}

// Server is the MCP server's state: configuration and the runs it started.
// Use NewMCP to get an *mcp.Server for a transport; several transports may
// share one Server.
type Server struct {
	store     store.Store
	roots     *guard.Roots
	targets   *guard.Targets
	limits    Limits
	ai        llm.Provider
	repairs   int
	log       *slog.Logger
	state     bool // !Stateless
	work      string
	allow     []string // the allowlist's entries, for workers
	workerExe string
	ecs       ecsSettings
	tracer    trace.Tracer // tool call spans (a no-op tracer when not traced)

	mu   sync.Mutex
	runs map[string]*run // by session/run id
	wg   sync.WaitGroup
	// done is closed by Close; runs started afterwards are refused.
	closed bool
}

// New checks the configuration and returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("mcpserver: no artifact store")
	}
	dirs := cfg.DocsRoots
	if l, ok := cfg.Store.(*store.Local); ok {
		dirs = append(slices.Clip(dirs), l.Root()) // documents put into the store may be read too
	}
	roots, err := guard.NewRoots(dirs)
	if err != nil {
		return nil, err
	}
	targets, err := guard.ParseTargets(cfg.AllowTargets)
	if err != nil {
		return nil, err
	}
	lim := cfg.Limits
	if lim.MaxRate <= 0 {
		lim.MaxRate = DefaultLimits.MaxRate
	}
	if lim.MaxVUs <= 0 {
		lim.MaxVUs = DefaultLimits.MaxVUs
	}
	if lim.MaxDuration <= 0 {
		lim.MaxDuration = DefaultLimits.MaxDuration
	}
	if lim.MaxRuns <= 0 {
		lim.MaxRuns = DefaultLimits.MaxRuns
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	work := cfg.WorkDir
	if work == "" {
		work = os.TempDir()
	}
	srv := &Server{
		store: cfg.Store, roots: roots, targets: targets, limits: lim,
		ai: llm.Traced(cfg.Provider, cfg.TracerProvider), repairs: cfg.Repairs, log: log, state: !cfg.Stateless, work: work,
		allow: cfg.AllowTargets, workerExe: cfg.WorkerExecutable,
		runs: map[string]*run{},
	}
	tp := cfg.TracerProvider
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	srv.tracer = tp.Tracer("github.com/loadgen/loadgen/mcpserver")
	if cfg.ECSEnv != nil {
		srv.ecs = ecsSettingsFromEnv(cfg.ECSEnv)
	}
	return srv, nil
}

// Close stops every run in progress gracefully (in-flight iterations get
// their graceful_stop) and waits until their results are stored.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	for _, r := range s.runs {
		r.cancel()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// Wait blocks until no run started by this server is in progress, or ctx
// ends.
func (s *Server) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Instructions tell a client how the tools fit together.
const Instructions = `loadgen plans, runs and analyses load tests. A session (session_id) holds one system's artifacts.
Typical order: analyze_architecture (documents) → generate_test_scenarios → generate_test_plans →
execute_performance_test (returns a run_id at once) → get_test_status (wait_seconds to wait, with
progress) → analyze_test_results (grade A–F, NFR table, insights, HTML report). get_test_artifacts lists
and reads what a session holds. Load only goes to this server's allowed targets (loopback by default).`

// NewMCP returns an MCP server with every tool, backed by s.
func (s *Server) NewMCP() *mcp.Server {
	srv := mcp.NewServer(&mcp.Implementation{Name: "loadgen", Title: "loadgen performance testing", Version: loadgen.Version},
		&mcp.ServerOptions{Instructions: Instructions})
	s.addTools(srv)
	return srv
}

// logCall logs one tool call's outcome: name, session, duration, error.
func (s *Server) logCall(tool, session string, start time.Time, err error) {
	if session != "" && checkID("session", session) != nil {
		session = "(invalid)" // untrusted text stays out of the logs
	}
	attrs := []any{"tool", tool, "session", session, "ms", time.Since(start).Milliseconds()}
	if err != nil {
		s.log.Warn("tool call failed", append(attrs, "error", err.Error())...)
		return
	}
	s.log.Info("tool call", attrs...)
}

// scratch makes a temporary folder for one call.
func (s *Server) scratch(what string) (string, func(), error) {
	if err := os.MkdirAll(s.work, 0o755); err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp(s.work, "loadgen-mcp-"+what+"-")
	if err != nil {
		return "", nil, err
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}

// readObject reads a small object whole.
func (s *Server) readObject(ctx context.Context, key string, limit int64) ([]byte, error) {
	rc, err := s.store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", key, limit)
	}
	return b, nil
}

// uploadDir stores every file below dir under prefix.
func (s *Server) uploadDir(ctx context.Context, dir, prefix string) ([]string, error) {
	var keys []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		key := prefix + filepath.ToSlash(rel)
		if err := s.store.PutFile(ctx, key, p); err != nil {
			return err
		}
		keys = append(keys, key)
		return nil
	})
	return keys, err
}

// fmtFloat prints a float for messages.
func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
