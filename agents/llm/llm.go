// Package llm is the one small interface the AI steps talk to a model
// through: a request with a system prompt, a user prompt and the JSON
// Schema of the answer; a validated JSON answer back.
//
// Providers (Bedrock Converse, the Anthropic API) force the model to answer
// through a tool whose input schema is the step's schema, so the answer is
// JSON by construction. [Generate] validates it with the step's own
// validator, sends the validator's errors back for repair, and gives up
// after the repairs; the step then falls back to its offline result and
// says so (source "offline-fallback").
//
// [FromEnv] picks the provider from the environment (nil: offline),
// [NewBedrock] and [NewAnthropic] build one directly, and [Describe] names
// it for logs. Every call waits on a client-side token bucket first
// (default 50 requests a minute) and is retried by the provider's SDK on
// throttling. Nothing here logs a prompt or an answer. [Counter] counts
// the calls a step makes; package llmtest is a scripted Provider for the
// steps' tests.
package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Where a step's result came from, as written in its "source" field.
const (
	SourceOffline         = "offline"          // no model configured: heuristics
	SourceModel           = "model"            // the model's answer, validated (the provider's name is in "provider")
	SourceOfflineFallback = "offline-fallback" // the model failed or its answers never validated
)

// Request is one structured call.
type Request struct {
	// System is the system prompt (the step's instructions).
	System string
	// Prompt is the user message: the step's input, as data.
	Prompt string
	// ToolName names the forced tool ("architecture_model"); ToolDescription
	// says what its input is.
	ToolName        string
	ToolDescription string
	// Schema is the JSON Schema of the tool's input: the answer.
	Schema json.RawMessage
	// MaxTokens bounds the answer; 0 means the provider's MaxTokens, else
	// DefaultMaxTokens(Schema).
	MaxTokens int
	// Temperature; the steps use a low one (DefaultTemperature, 0.2).
	// Bedrock sends it clamped to [0, 1]. The Anthropic API (version
	// 2026-10-21, anthropic-sdk-go v2) has no temperature parameter any
	// more, so the Anthropic provider ignores it.
	Temperature float64
}

// Message is one turn of a conversation: the repair loop appends the
// model's answer and the validator's errors.
type Message struct {
	Role string // RoleUser or RoleAssistant
	Text string
}

// The roles of a Message. A conversation starts with a user message and
// alternates.
const (
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Provider is a model behind an API. Call sends the request and the
// conversation so far (the first message is Request.Prompt) and returns
// the forced tool's input: raw JSON, not yet validated. Implementations
// are safe for concurrent use, pace their calls (a client-side rate
// limit), retry throttling themselves, and never log prompts or answers:
// they may hold secrets from the documents.
type Provider interface {
	// Name is "bedrock" or "anthropic"; Model the model id in use.
	Name() string
	Model() string
	Call(ctx context.Context, req Request, conversation []Message) (json.RawMessage, error)
}

// Result is a validated answer and how it was reached.
type Result struct {
	JSON json.RawMessage
	// Attempts is how many calls were made (1 + repairs).
	Attempts int
}

// ErrNotValid is wrapped by Generate's error when no answer validated.
var ErrNotValid = errors.New("model output did not validate")

// ErrNoProvider is Generate's error for a nil Provider: the offline case,
// which the step handles before it calls Generate.
var ErrNoProvider = errors.New("no model provider configured")

// Generate calls p and validates the answer with validate (which returns
// nil or an error listing every problem). An invalid answer is sent back
// with the validator's errors, at most repairs times (a negative repairs
// counts as 0). The error wraps ErrNotValid when no answer validated,
// ErrNoProvider when p is nil, or the provider's error.
func Generate(ctx context.Context, p Provider, req Request, repairs int, validate func(json.RawMessage) error) (*Result, error) {
	if p == nil {
		return nil, ErrNoProvider
	}
	repairs = max(repairs, 0)
	conv := []Message{{Role: RoleUser, Text: req.Prompt}}
	var lastErr error
	for attempt := 1; attempt <= repairs+1; attempt++ {
		raw, err := p.Call(ctx, req, conv)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", p.Name(), p.Model(), err)
		}
		verr := validate(raw)
		if verr == nil {
			return &Result{JSON: raw, Attempts: attempt}, nil
		}
		lastErr = verr
		conv = append(conv,
			Message{Role: RoleAssistant, Text: string(raw)},
			Message{Role: RoleUser, Text: RepairPrompt(verr)})
	}
	return nil, fmt.Errorf("%w after %d attempts: %v", ErrNotValid, repairs+1, lastErr)
}

// Repairs resolves a step's Repairs option to the number of repairs to
// pass to Generate: 0 means def, a negative value none.
func Repairs(option, def int) int {
	switch {
	case option == 0:
		return def
	case option < 0:
		return 0
	}
	return option
}

// RepairPrompt is the message that sends a validator's errors back.
func RepairPrompt(err error) string {
	var b strings.Builder
	b.WriteString("Your previous answer did not validate. Problems:\n")
	for _, line := range strings.Split(err.Error(), "\n") {
		if strings.TrimSpace(line) != "" {
			b.WriteString("- " + line + "\n")
		}
	}
	b.WriteString("Call the tool again with a corrected, complete answer.")
	return b.String()
}
