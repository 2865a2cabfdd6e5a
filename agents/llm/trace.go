package llm

import (
	"context"
	"encoding/json"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Traced wraps p so that every Call is a client span of tp, named and
// described with the OpenTelemetry GenAI conventions (operation "chat",
// provider, model, max tokens) plus the forced tool's name and the
// conversation's length. Prompts and answers are never recorded. A nil p
// or tp returns p unchanged.
func Traced(p Provider, tp trace.TracerProvider) Provider {
	if p == nil || tp == nil {
		return p
	}
	return &traced{Provider: p, tracer: tp.Tracer("github.com/loadgen/loadgen/agents/llm")}
}

type traced struct {
	Provider
	tracer trace.Tracer
}

// Call traces the call and forwards it.
func (t *traced) Call(ctx context.Context, req Request, conversation []Message) (json.RawMessage, error) {
	ctx, span := t.tracer.Start(ctx, "chat "+t.Model(), trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("gen_ai.operation.name", "chat"),
			attribute.String("gen_ai.provider.name", t.Name()),
			attribute.String("gen_ai.request.model", t.Model()),
			attribute.Int("gen_ai.request.max_tokens", req.MaxTokens),
			attribute.String("loadgen.ai.tool", req.ToolName),
			attribute.Int("loadgen.ai.messages", len(conversation)),
		))
	defer span.End()
	out, err := t.Provider.Call(ctx, req, conversation)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	} else {
		span.SetAttributes(attribute.Int("loadgen.ai.answer_bytes", len(out)))
	}
	return out, err
}
