package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/anthropics/anthropic-sdk-go/v2/packages/param"
)

// DefaultAnthropicModel is the Anthropic API model used when none is set:
// Claude Sonnet 4.6, the current Sonnet that is not deprecated (the SDK
// marks claude-sonnet-4-5 for end of life on 2026-11-30).
const DefaultAnthropicModel = "claude-sonnet-4-6"

// DefaultAnthropicBaseURL is the first-party API.
const DefaultAnthropicBaseURL = "https://api.anthropic.com/"

// AnthropicConfig configures [NewAnthropic].
type AnthropicConfig struct {
	// APIKey is sent as "Authorization: Bearer …"; default the
	// ANTHROPIC_API_KEY environment variable.
	APIKey string
	// BaseURL overrides the API's address (a gateway, a test double);
	// default ANTHROPIC_BASE_URL, else DefaultAnthropicBaseURL.
	BaseURL string
	// Model is the model id; default DefaultAnthropicModel.
	Model string
	// RequestsPerMinute is the client-side limit, waited on before every
	// call: 0 means DefaultRequestsPerMinute, negative means none.
	RequestsPerMinute int
	// MaxRetries is how often the SDK retries a 408, 409, 429, 5xx (529
	// overloaded included) or connection failure, honouring retry-after
	// and otherwise backing off from 0.5 s to 8 s: 0 means
	// DefaultMaxRetries, negative means no retry.
	MaxRetries int
	// Timeout bounds one Call, retries included: 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxTokens is the answer budget when Request.MaxTokens is 0; 0 means
	// DefaultMaxTokens of the request's schema.
	MaxTokens int
	// HTTPClient replaces the SDK's HTTP client when set.
	HTTPClient *http.Client
}

// Anthropic calls Claude through the Anthropic Messages API with one
// forced tool, so the answer is the tool's input: JSON shaped by
// Request.Schema. It is safe for concurrent use.
type Anthropic struct {
	client  anthropic.Client
	model   string
	baseURL string
	retries int
	maxTok  int
	gate    gate
}

// ErrNoAPIKey is NewAnthropic's error when neither the config nor
// ANTHROPIC_API_KEY holds a key.
var ErrNoAPIKey = errors.New("anthropic: no API key (set ANTHROPIC_API_KEY)")

// NewAnthropic returns an Anthropic provider. Nothing is read from the
// environment beyond ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL as defaults
// for APIKey and BaseURL (no profiles, no custom headers). No request is
// made.
func NewAnthropic(cfg AnthropicConfig) (*Anthropic, error) {
	key := strings.TrimSpace(cfg.APIKey)
	if key == "" {
		key = strings.TrimSpace(os.Getenv("ANTHROPIC_API_KEY"))
	}
	if key == "" {
		return nil, ErrNoAPIKey
	}
	base := strings.TrimSpace(cfg.BaseURL)
	if base == "" {
		base = strings.TrimSpace(os.Getenv("ANTHROPIC_BASE_URL"))
	}
	if base == "" {
		base = DefaultAnthropicBaseURL
	}
	model := strings.TrimSpace(cfg.Model)
	if model == "" {
		model = DefaultAnthropicModel
	}
	retries := DefaultMaxRetries
	switch {
	case cfg.MaxRetries > 0:
		retries = cfg.MaxRetries
	case cfg.MaxRetries < 0:
		retries = 0
	}
	opts := []option.RequestOption{
		option.WithoutEnvironmentDefaults(),
		option.WithAPIKey(key),
		option.WithBaseURL(base),
		option.WithMaxRetries(retries),
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(cfg.HTTPClient))
	}
	return &Anthropic{
		client:  anthropic.NewClient(opts...),
		model:   model,
		baseURL: base,
		retries: retries,
		maxTok:  cfg.MaxTokens,
		gate:    newGate(cfg.RequestsPerMinute, cfg.Timeout),
	}, nil
}

// Name is "anthropic".
func (a *Anthropic) Name() string { return "anthropic" }

// Model is the model id in use.
func (a *Anthropic) Model() string { return a.model }

// Describe says which model, where, and how calls are paced, for logs. It
// holds no secret (never the key).
func (a *Anthropic) Describe() string {
	return fmt.Sprintf("anthropic model %s (%s; %s; up to %d retries per call)",
		a.model, redactURL(a.baseURL), a.gate.describeLimit(), a.retries)
}

// Call sends one Messages request: the system prompt, the conversation as
// text, one tool whose input_schema is Request.Schema and a tool_choice
// that forces it (one tool use, no parallel ones). Request.Temperature is
// not sent: API version 2026-10-21 has no temperature. It returns the
// tool's input as JSON. The error wraps ErrTruncated (stop reason
// max_tokens), ErrNoToolUse (the model answered otherwise),
// ErrBadRequest, the SDK's *anthropic.Error or the context's.
func (a *Anthropic) Call(ctx context.Context, req Request, conversation []Message) (json.RawMessage, error) {
	if _, err := checkRequest(req, conversation); err != nil {
		return nil, err
	}
	budget := maxTokens(req, a.maxTok)
	tool := anthropic.ToolParam{
		Name:        req.ToolName,
		InputSchema: param.Override[anthropic.ToolInputSchemaParam](json.RawMessage(req.Schema)),
	}
	if req.ToolDescription != "" {
		tool.Description = anthropic.String(req.ToolDescription)
	}
	params := anthropic.MessageNewParams{
		Model:     a.model,
		MaxTokens: int64(budget),
		Messages:  anthropicMessages(conversation),
		Tools:     []anthropic.ToolUnionParam{{OfTool: &tool}},
		ToolChoice: anthropic.ToolChoiceUnionParam{OfTool: &anthropic.ToolChoiceToolParam{
			Name:                   req.ToolName,
			DisableParallelToolUse: anthropic.Bool(true),
		}},
	}
	if req.System != "" {
		params.System = []anthropic.TextBlockParam{{Text: req.System}}
	}

	cctx, cancel, err := a.gate.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	msg, err := a.client.Messages.New(cctx, params)
	if err != nil {
		return nil, fmt.Errorf("messages: %w", err)
	}
	return anthropicToolInput(msg, req.ToolName, budget)
}

// anthropicMessages turns the conversation into Messages API turns.
func anthropicMessages(conversation []Message) []anthropic.MessageParam {
	msgs := make([]anthropic.MessageParam, 0, len(conversation))
	for _, m := range conversation {
		if m.Role == RoleAssistant {
			msgs = append(msgs, anthropic.NewAssistantMessage(anthropic.NewTextBlock(m.Text)))
		} else {
			msgs = append(msgs, anthropic.NewUserMessage(anthropic.NewTextBlock(m.Text)))
		}
	}
	return msgs
}

// anthropicToolInput finds the forced tool's input in a Messages answer.
func anthropicToolInput(msg *anthropic.Message, tool string, budget int) (json.RawMessage, error) {
	if msg.StopReason == anthropic.StopReasonMaxTokens {
		return nil, fmt.Errorf("%w at %d tokens (stop reason max_tokens): raise MaxTokens", ErrTruncated, budget)
	}
	textChars := 0
	for _, block := range msg.Content {
		switch block.Type {
		case "tool_use":
			if block.Name != tool || len(block.Input) == 0 {
				continue
			}
			if !json.Valid(block.Input) {
				return nil, fmt.Errorf("%w %s: its input is not JSON", ErrNoToolUse, tool)
			}
			return append(json.RawMessage(nil), block.Input...), nil
		case "text":
			textChars += len(block.Text)
		}
	}
	// The text itself is not quoted: it may repeat the documents.
	return nil, fmt.Errorf("%w %s: it answered with %d characters of text instead (stop reason %s)",
		ErrNoToolUse, tool, textChars, msg.StopReason)
}
