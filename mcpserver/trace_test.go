package mcpserver

import (
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// TestToolCallSpans calls tools over the in-memory MCP transport with a
// TracerProvider whose spans go to the SDK's in-memory exporter: each call
// is one server span named after the tool, failed calls with an error
// status.
func TestToolCallSpans(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	f := newFixtureWith(t, func(c *Config) { c.TracerProvider = tp })
	tests := []struct {
		tool    string
		args    map[string]any
		wantErr bool
	}{
		{"get_test_artifacts", map[string]any{}, false},
		{"get_test_status", map[string]any{"session_id": "no-such-session"}, true},
	}
	for _, tt := range tests {
		exp.Reset()
		_, isErr := f.call(t, tt.tool, tt.args, nil, nil)
		if isErr != tt.wantErr {
			t.Fatalf("%s: error result %v, want %v", tt.tool, isErr, tt.wantErr)
		}
		spans := exp.GetSpans()
		if len(spans) != 1 {
			t.Fatalf("%s: %d spans, want 1", tt.tool, len(spans))
		}
		s := spans[0]
		attrs := map[string]string{}
		for _, a := range s.Attributes {
			attrs[string(a.Key)] = a.Value.String()
		}
		if s.Name != "tools/call "+tt.tool || attrs["gen_ai.tool.name"] != tt.tool || attrs["mcp.method.name"] != "tools/call" {
			t.Errorf("%s: span %q attributes %v", tt.tool, s.Name, attrs)
		}
		if sid, _ := tt.args["session_id"].(string); attrs["loadgen.session.id"] != sid {
			t.Errorf("%s: session attribute %q, want %q", tt.tool, attrs["loadgen.session.id"], sid)
		}
		if got := s.Status.Code == codes.Error; got != tt.wantErr {
			t.Errorf("%s: span status %v, want error %v", tt.tool, s.Status, tt.wantErr)
		}
	}
}
