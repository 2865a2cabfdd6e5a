package mcpserver

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// addTools registers every tool on srv.
func (s *Server) addTools(srv *mcp.Server) {
	readOnly := &mcp.ToolAnnotations{ReadOnlyHint: true}
	add(s, srv, &mcp.Tool{Name: "analyze_architecture",
		Description: "Analyze architecture documents (OpenAPI/Swagger, Markdown, text, NFR YAML) into endpoints, components, workflows and NFR suggestions; stores architecture.json in the session (a new session when none is given).",
		Annotations: &mcp.ToolAnnotations{DestructiveHint: ptr(false)}},
		s.analyzeArchitecture, nil)
	add(s, srv, &mcp.Tool{Name: "generate_test_scenarios",
		Description: "Design load, stress, spike, endurance and scalability scenarios from the session's architecture analysis, a workflow (workflow_apis) and NFRs; stores scenarios.json.",
		Annotations: &mcp.ToolAnnotations{DestructiveHint: ptr(false)}},
		s.generateScenarios, nil)
	add(s, srv, &mcp.Tool{Name: "generate_test_plans",
		Description: "Write one validated loadgen YAML plan per scenario, plus their JMeter renderings (.jmx and jmeter-java-dsl Maven projects) as output_format asks; replaces the session's plans/.",
		Annotations: &mcp.ToolAnnotations{DestructiveHint: ptr(true), IdempotentHint: true}},
		s.generatePlans, map[string][]any{"output_format": outputFormats})
	add(s, srv, &mcp.Tool{Name: "execute_performance_test",
		Description: "Start running the session's plans (one after another) against an allowed target; returns the run_id as soon as load flows. Follow it with get_test_status.",
		Annotations: &mcp.ToolAnnotations{DestructiveHint: ptr(false), OpenWorldHint: ptr(true)}},
		s.executeTest, map[string][]any{"execution_environment.backend": {"local", "ecs"}})
	add(s, srv, &mcp.Tool{Name: "get_test_status",
		Description: "State of a run (queued, running, completed, failed, cancelled) with progress, live numbers per plan, per-worker state and errors; wait_seconds waits for the end with progress notifications.",
		Annotations: readOnly},
		s.testStatus, nil)
	add(s, srv, &mcp.Tool{Name: "cancel_test",
		Description: "Stop a run gracefully (in-flight iterations finish); the outputs written so far are kept and can be analysed.",
		Annotations: &mcp.ToolAnnotations{DestructiveHint: ptr(true), IdempotentHint: true}},
		s.cancelTest, nil)
	add(s, srv, &mcp.Tool{Name: "get_test_artifacts",
		Description: "List a session's artifacts (names, sizes, times, download URLs) by type, optionally with the content of small text files; without session_id, list the sessions.",
		Annotations: readOnly},
		s.artifacts, map[string][]any{"artifact_type": artifactTypes})
	add(s, srv, &mcp.Tool{Name: "analyze_test_results",
		Description: "Analyse a finished run: statistics, the deterministic A–F grade, the NFR table, AI insights (offline heuristics without a model) and an HTML report per plan, stored under analysis/.",
		Annotations: &mcp.ToolAnnotations{DestructiveHint: ptr(false), IdempotentHint: true}},
		s.analyzeResults, nil)
}

// add registers one typed tool: its input schema is inferred from In with
// the given enums set (keys are dotted property paths), and every call is
// logged (tool, session, duration, error; never the arguments) and traced
// as a server span named "tools/call TOOL" (MCP semantic conventions).
func add[In any, Out any](s *Server, srv *mcp.Server, t *mcp.Tool, h func(context.Context, *mcp.CallToolRequest, In) (*mcp.CallToolResult, Out, error), enums map[string][]any) {
	schema, err := jsonschema.For[In](&jsonschema.ForOptions{TypeSchemas: map[reflect.Type]*jsonschema.Schema{
		reflect.TypeFor[flexString](): {Types: []string{"string", "number"}},
	}})
	if err != nil {
		panic(err)
	}
	for p, values := range enums {
		setEnum(schema, p, values)
	}
	t.InputSchema = schema
	mcp.AddTool(srv, t, func(ctx context.Context, req *mcp.CallToolRequest, in In) (*mcp.CallToolResult, Out, error) {
		start := time.Now()
		session := sessionOf(in)
		ctx, span := s.tracer.Start(ctx, "tools/call "+t.Name, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("mcp.method.name", "tools/call"), attribute.String("gen_ai.tool.name", t.Name),
				attribute.String("loadgen.session.id", session)))
		res, out, err := h(ctx, req, in)
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
		s.logCall(t.Name, session, start, err)
		return res, out, err
	})
}

// setEnum sets the enum of the property at a dotted path.
func setEnum(schema *jsonschema.Schema, path string, values []any) {
	cur := schema
	for _, name := range strings.Split(path, ".") {
		next := cur.Properties[name]
		if next == nil {
			panic("mcpserver: no schema property " + path)
		}
		cur = next
	}
	cur.Enum = values
}

// sessionOf reads the session id of an input, for logs.
func sessionOf(in any) string {
	switch v := in.(type) {
	case AnalyzeArchitectureIn:
		return v.SessionID
	case GenerateScenariosIn:
		return v.SessionID
	case GeneratePlansIn:
		return v.SessionID
	case ExecuteIn:
		return v.SessionID
	case StatusIn:
		return v.SessionID
	case CancelIn:
		return v.SessionID
	case ArtifactsIn:
		return v.SessionID
	case AnalyzeIn:
		return v.SessionID
	}
	return ""
}

// textResult is a result whose content is a short text rendering and
// then the output as JSON, for clients that read only the content; the SDK
// adds the same output as structured content.
func textResult(text string, out any) *mcp.CallToolResult {
	content := []mcp.Content{&mcp.TextContent{Text: text}}
	if b, err := json.Marshal(out); err == nil {
		content = append(content, &mcp.TextContent{Text: string(b)})
	}
	return &mcp.CallToolResult{Content: content}
}

// notify sends a progress notification when the caller asked for them.
func notify(ctx context.Context, req *mcp.CallToolRequest, progress, total float64, msg string) {
	if req == nil || req.Session == nil {
		return
	}
	tok := req.Params.GetProgressToken()
	if tok == nil {
		return
	}
	_ = req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: tok, Progress: progress, Total: total, Message: msg})
}

func ptr[T any](v T) *T { return &v }
