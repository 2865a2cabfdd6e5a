package llm_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/loadgen/loadgen/agents/llm"
	"github.com/loadgen/loadgen/agents/llm/llmtest"
)

// TestTracedProvider records the spans of model calls with the SDK's
// in-memory exporter: one client span per call, with the GenAI
// attributes, an error status on failure, and never the prompt.
func TestTracedProvider(t *testing.T) {
	tests := []struct {
		name    string
		script  *llmtest.Scripted
		wantErr bool
	}{
		{"answer", &llmtest.Scripted{Answers: []string{`{"ok":true}`}, ProviderName: "anthropic", ModelID: "claude-test"}, false},
		{"failure", &llmtest.Scripted{Err: errors.New("throttled"), ProviderName: "bedrock", ModelID: "claude-b"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp := tracetest.NewInMemoryExporter()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
			p := llm.Traced(tt.script, tp)
			if p.Name() != tt.script.Name() || p.Model() != tt.script.Model() {
				t.Errorf("wrapper names %s/%s, want %s/%s", p.Name(), p.Model(), tt.script.Name(), tt.script.Model())
			}
			const secret = "SECRET-PROMPT"
			_, err := p.Call(context.Background(), llm.Request{Prompt: secret, ToolName: "plan", MaxTokens: 99},
				[]llm.Message{{Role: llm.RoleUser, Text: secret}})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			spans := exp.GetSpans()
			if len(spans) != 1 || len(tt.script.Calls()) != 1 {
				t.Fatalf("%d spans, %d calls; want 1 and 1", len(spans), len(tt.script.Calls()))
			}
			s := spans[0]
			attrs := map[string]string{}
			for _, a := range s.Attributes {
				attrs[string(a.Key)] = a.Value.String()
				if strings.Contains(a.Value.String(), secret) {
					t.Errorf("attribute %s carries the prompt", a.Key)
				}
			}
			if s.Name != "chat "+tt.script.Model() || attrs["gen_ai.provider.name"] != tt.script.Name() ||
				attrs["gen_ai.request.model"] != tt.script.Model() || attrs["loadgen.ai.tool"] != "plan" || attrs["gen_ai.request.max_tokens"] != "99" {
				t.Errorf("span %q attributes %v", s.Name, attrs)
			}
			if got := s.Status.Code == codes.Error; got != tt.wantErr {
				t.Errorf("status %v, want error %v", s.Status, tt.wantErr)
			}
		})
	}
	if llm.Traced(nil, sdktrace.NewTracerProvider()) != nil {
		t.Error("Traced(nil) is not nil: the offline case would look like a model")
	}
}
