package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/loadgen/loadgen/loadgen"
)

// ExecutionEnvironment says where and against what a run goes.
type ExecutionEnvironment struct {
	TargetURL      string     `json:"target_url,omitempty" jsonschema:"base URL of the system under test, overriding the plans' target; must be on this server's allowlist (loopback by default)"`
	Backend        string     `json:"backend,omitempty" jsonschema:"local (this server's process; default) or ecs"`
	Workers        int        `json:"workers,omitempty" jsonschema:"load generators to split the load over (default 1)"`
	ClusterName    string     `json:"cluster_name,omitempty" jsonschema:"ECS cluster (backend ecs)"`
	TaskDefinition string     `json:"task_definition,omitempty" jsonschema:"ECS task definition of the worker (backend ecs)"`
	CPU            flexString `json:"cpu,omitempty" jsonschema:"ECS task CPU units (backend ecs)"`
	Memory         flexString `json:"memory,omitempty" jsonschema:"ECS task memory in MiB (backend ecs)"`
}

// MonitoringConfig tunes how a run is watched and bounded.
type MonitoringConfig struct {
	Duration flexString `json:"duration,omitempty" jsonschema:"longest time each plan may run (e.g. 30s, 5m, or seconds as a number); a longer plan stops gracefully then"`
}

// ExecuteIn is execute_performance_test's input.
type ExecuteIn struct {
	SessionID            string                `json:"session_id" jsonschema:"session holding the plans (from generate_test_plans)"`
	ExecutionEnvironment *ExecutionEnvironment `json:"execution_environment,omitempty"`
	MonitoringConfig     *MonitoringConfig     `json:"monitoring_config,omitempty"`
	Plans                []string              `json:"plans,omitempty" jsonschema:"plan names to run (load.yaml or load), one after another (default: all of the session's plans)"`
}

// ExecuteOut is execute_performance_test's result.
type ExecuteOut struct {
	SessionID string    `json:"session_id"`
	RunID     string    `json:"run_id"`
	Status    string    `json:"status" jsonschema:"running once load is flowing; completed or failed if it already ended"`
	Run       RunStatus `json:"run"`
	Next      string    `json:"next"`
}

func (s *Server) executeTest(ctx context.Context, req *mcp.CallToolRequest, in ExecuteIn) (*mcp.CallToolResult, *ExecuteOut, error) {
	if err := checkID("session_id", in.SessionID); err != nil {
		return nil, nil, err
	}
	env := ExecutionEnvironment{}
	if in.ExecutionEnvironment != nil {
		env = *in.ExecutionEnvironment
	}
	switch env.Backend {
	case "", "local":
		if !s.state {
			return nil, nil, errors.New("execution_environment.backend local: this server is stateless (AWS Lambda) and cannot keep a run going after it answers; use backend ecs")
		}
	case "ecs":
		if !s.state {
			return nil, nil, errors.New("execution_environment.backend ecs: this server is stateless (AWS Lambda) and cannot follow and merge the tasks after it answers; run the coordinator where it can stay: loadgen mcp --http, or loadgen run --backend ecs")
		}
		if env.Workers < 1 {
			env.Workers = 1
		}
	default:
		return nil, nil, fmt.Errorf("execution_environment.backend %q: want local or ecs", env.Backend)
	}
	if env.Backend != "ecs" && (env.Workers < 0 || env.Workers > MaxLocalWorkers) {
		return nil, nil, fmt.Errorf("execution_environment.workers %d: the local backend runs 1 to %d worker processes", env.Workers, MaxLocalWorkers)
	}
	if env.Backend == "ecs" && (env.Workers < 1 || env.Workers > MaxECSTasks) {
		return nil, nil, fmt.Errorf("execution_environment.workers %d: the ecs backend runs 1 to %d tasks", env.Workers, MaxECSTasks)
	}
	if env.Backend == "ecs" {
		if _, err := s.ecsBackend(ctx, in.SessionID, env.ClusterName, env.TaskDefinition); err != nil {
			return nil, nil, fmt.Errorf("execution_environment.backend: %w", err)
		}
	}
	if env.TargetURL != "" {
		if err := s.targets.CheckURL(ctx, env.TargetURL); err != nil {
			return nil, nil, fmt.Errorf("execution_environment.target_url: %w", err)
		}
	}
	var limit time.Duration
	if in.MonitoringConfig != nil && in.MonitoringConfig.Duration != "" {
		d, err := parseDuration(string(in.MonitoringConfig.Duration))
		if err != nil || d < time.Second {
			return nil, nil, fmt.Errorf("monitoring_config.duration %q: want a duration of at least 1s such as 30s or 5m, or seconds as a number", in.MonitoringConfig.Duration)
		}
		limit = d
	}
	spec, err := s.preparePlans(ctx, in.SessionID, in.Plans, env.TargetURL, limit)
	if err != nil {
		return nil, nil, err
	}
	spec.workers = max(env.Workers, 1)
	if env.Backend == "ecs" {
		spec.ecs = &ecsTarget{cluster: env.ClusterName, taskDefinition: env.TaskDefinition}
	}
	for _, pp := range spec.plans {
		if err := loadgen.CheckSegments(pp.plan, spec.workers); err != nil {
			spec.cleanup()
			return nil, nil, fmt.Errorf("execution_environment.workers: plan %s: %w", pp.name, err)
		}
	}
	r, err := s.startRun(spec)
	if err != nil {
		return nil, nil, err
	}
	st := r.snapshot()
	if st.State == StateFailed {
		return nil, nil, fmt.Errorf("run %s failed to start: %s", st.RunID, st.Error)
	}
	out := &ExecuteOut{SessionID: in.SessionID, RunID: st.RunID, Status: st.State, Run: st,
		Next: "get_test_status {session_id, run_id, wait_seconds} follows it; analyze_test_results analyses it once completed"}
	var names []string
	for _, p := range st.Plans {
		names = append(names, p.Name)
	}
	text := fmt.Sprintf("Run %s %s: %s against %s; results under %s.", st.RunID, st.State, strings.Join(names, ", "),
		orDefault(st.Target, "the plans' target"), st.Results.Key)
	return textResult(text, out), out, nil
}

// MaxLocalWorkers caps the worker processes of one local run, and
// MaxECSTasks the tasks of one ECS run.
const (
	MaxLocalWorkers = 32
	MaxECSTasks     = 500
)

// StatusIn is get_test_status's input.
type StatusIn struct {
	SessionID   string `json:"session_id"`
	RunID       string `json:"run_id,omitempty" jsonschema:"default: the session's latest run"`
	WaitSeconds int    `json:"wait_seconds,omitempty" jsonschema:"wait up to this long (at most 600) for the run to end, sending progress notifications each second to a caller that gave a progress token"`
}

func (s *Server) testStatus(ctx context.Context, req *mcp.CallToolRequest, in StatusIn) (*mcp.CallToolResult, *RunStatus, error) {
	if err := checkID("session_id", in.SessionID); err != nil {
		return nil, nil, err
	}
	if in.WaitSeconds < 0 || in.WaitSeconds > 600 {
		return nil, nil, fmt.Errorf("wait_seconds %d: want 0 to 600", in.WaitSeconds)
	}
	r, st, err := s.lookupRun(ctx, in.SessionID, in.RunID)
	if err != nil {
		return nil, nil, err
	}
	if r != nil && in.WaitSeconds > 0 {
		deadline := time.NewTimer(time.Duration(in.WaitSeconds) * time.Second)
		defer deadline.Stop()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
	wait:
		for {
			cur := r.snapshot()
			notify(ctx, req, cur.Progress*100, 100, statusLine(&cur))
			select {
			case <-r.done:
				break wait
			case <-deadline.C:
				break wait
			case <-ctx.Done():
				return nil, nil, ctx.Err()
			case <-tick.C:
			}
		}
		snap := r.snapshot()
		st = &snap
	}
	return textResult(statusLine(st), st), st, nil
}

// statusLine renders a status in one line.
func statusLine(st *RunStatus) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Run %s: %s, %.0f%% done", st.RunID, st.State, st.Progress*100)
	for _, p := range st.Plans {
		switch {
		case p.Live != nil:
			fmt.Fprintf(&b, "; %s running %.0fs/%.0fs: %.0f req/s, p95 %.1f ms, errors %.2f%%, %d VUs",
				p.Name, p.Elapsed, p.Planned, p.Live.RPS, p.Live.P95Ms, p.Live.ErrorPct, p.Live.VUs)
		case p.Result != nil:
			fmt.Fprintf(&b, "; %s %s: %d requests, %.2f%% errors, p95 %.1f ms", p.Name, p.State, p.Result.Requests, p.Result.ErrorPct, p.Result.P95Ms)
		default:
			fmt.Fprintf(&b, "; %s %s", p.Name, p.State)
		}
		if p.Error != "" {
			fmt.Fprintf(&b, " (%s)", p.Error)
		}
	}
	if st.Message != "" {
		b.WriteString(". " + st.Message)
	}
	return b.String()
}

// CancelIn is cancel_test's input.
type CancelIn struct {
	SessionID string `json:"session_id"`
	RunID     string `json:"run_id" jsonschema:"the run to stop"`
}

func (s *Server) cancelTest(ctx context.Context, req *mcp.CallToolRequest, in CancelIn) (*mcp.CallToolResult, *RunStatus, error) {
	if err := checkID("session_id", in.SessionID); err != nil {
		return nil, nil, err
	}
	if err := checkID("run_id", in.RunID); err != nil {
		return nil, nil, err
	}
	r, st, err := s.lookupRun(ctx, in.SessionID, in.RunID)
	if err != nil {
		return nil, nil, err
	}
	if r == nil {
		return nil, nil, fmt.Errorf("run_id %q: not running in this server (state %s)", in.RunID, st.State)
	}
	r.cancel()
	select {
	case <-r.done:
	case <-time.After(60 * time.Second):
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	snap := r.snapshot()
	return textResult(statusLine(&snap), &snap), &snap, nil
}

// parseDuration reads "30s", "5m" or a number of seconds.
func parseDuration(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(f * float64(time.Second)), nil
	}
	return time.ParseDuration(s)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
