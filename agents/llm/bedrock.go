package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
)

// Bedrock model ids. Call Bedrock with an inference-profile id (us., eu.,
// jp., apac., global.) or an ARN: a bare base id ("anthropic.claude-…")
// fails with "on-demand throughput isn't supported".
const (
	// DefaultBedrockModel is Claude Sonnet 4.5 through the US
	// cross-region inference profile.
	DefaultBedrockModel = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
	// BedrockClaude37Sonnet is Claude 3.7 Sonnet (US profile), the model
	// of the implementation this one replaces. It has no global. profile
	// and no native structured output; the forced tool works on it as on
	// every Claude model.
	BedrockClaude37Sonnet = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
	// DefaultBedrockRegion is used when neither BedrockConfig.Region nor the
	// AWS configuration (AWS_REGION, the shared config profile) names one.
	DefaultBedrockRegion = "us-east-1"
)

// BedrockConfig configures [NewBedrock]. The zero value is usable: the
// default model, the region and credentials of the standard AWS chain.
type BedrockConfig struct {
	// Model is the inference-profile id or ARN; default DefaultBedrockModel.
	Model string
	// Region overrides the AWS configuration's region (AWS_REGION, the
	// profile); when neither has one, DefaultBedrockRegion.
	Region string
	// Endpoint overrides the Bedrock Runtime endpoint (a test double, a VPC
	// endpoint). Without it the SDK honours AWS_ENDPOINT_URL_BEDROCK_RUNTIME,
	// AWS_ENDPOINT_URL and the shared config file's endpoint_url itself.
	Endpoint string
	// RequestsPerMinute is the client-side limit, waited on before every
	// call: 0 means DefaultRequestsPerMinute, negative means none.
	RequestsPerMinute int
	// MaxRetries is how often the SDK retries a throttled (429
	// ThrottlingException), not-ready or 5xx call, with exponential backoff
	// and jitter: 0 means DefaultMaxRetries, negative means no retry.
	// AWS_MAX_ATTEMPTS and a profile's max_attempts do not override it.
	MaxRetries int
	// RetryMaxBackoff caps the delay between retries; 0 means the SDK's
	// 20 s. Throttling retries start at 1 s, others at 50 ms.
	RetryMaxBackoff time.Duration
	// Timeout bounds one Call, retries included: 0 means DefaultTimeout.
	// The caller's context deadline applies too.
	Timeout time.Duration
	// MaxTokens is the answer budget when Request.MaxTokens is 0; 0 means
	// DefaultMaxTokens of the request's schema.
	MaxTokens int
	// LoadOptions are passed to config.LoadDefaultConfig after the ones
	// above (credentials, a profile, an HTTP client).
	LoadOptions []func(*config.LoadOptions) error
}

// Bedrock calls Claude through the Bedrock Converse API with one forced
// tool, so the answer is the tool's input: JSON shaped by Request.Schema.
// It is safe for concurrent use.
type Bedrock struct {
	client    *bedrockruntime.Client
	model     string
	region    string
	endpoint  string // "" for the SDK's own resolution
	attempts  int
	maxTokens int
	gate      gate
}

// NewBedrock loads the AWS configuration (the standard credential chain:
// environment, shared files and profiles, SSO, web identity, container and
// instance roles; or AWS_BEARER_TOKEN_BEDROCK, a Bedrock API key) and
// returns a Bedrock provider. No request is made: bad credentials show on
// the first Call.
func NewBedrock(ctx context.Context, cfg BedrockConfig) (*Bedrock, error) {
	model := strings.TrimSpace(cfg.Model)
	if model == "" {
		model = DefaultBedrockModel
	}
	if err := checkBedrockModel(model); err != nil {
		return nil, err
	}
	attempts := 1 + DefaultMaxRetries
	switch {
	case cfg.MaxRetries > 0:
		attempts = 1 + cfg.MaxRetries
	case cfg.MaxRetries < 0:
		attempts = 1
	}
	// An explicit retryer makes config ignore AWS_MAX_ATTEMPTS,
	// AWS_RETRY_MODE and a profile's max_attempts: MaxRetries decides.
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = attempts
				if cfg.RetryMaxBackoff > 0 {
					o.MaxBackoff = cfg.RetryMaxBackoff
				}
				// The client-side limiter paces the calls; the SDK's retry
				// quota would only turn sustained throttling into "retry
				// quota exceeded" failures before MaxRetries is reached.
				o.RateLimiter = ratelimit.None
				// ModelNotReadyException (429) is modeled, so the SDK's
				// unmodeled-429 rule does not retry it; Bedrock asks
				// callers to retry it.
				o.Retryables = append(o.Retryables, retry.RetryableErrorCode{
					Codes: map[string]struct{}{"ModelNotReadyException": {}},
				})
			})
		}),
	}
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	opts = append(opts, cfg.LoadOptions...)
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("bedrock: loading the AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = DefaultBedrockRegion
	}
	client := bedrockruntime.NewFromConfig(awsCfg, func(o *bedrockruntime.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
	})
	endpoint := ""
	if be := client.Options().BaseEndpoint; be != nil {
		endpoint = *be
	}
	return &Bedrock{
		client:    client,
		model:     model,
		region:    awsCfg.Region,
		endpoint:  endpoint,
		attempts:  attempts,
		maxTokens: cfg.MaxTokens,
		gate:      newGate(cfg.RequestsPerMinute, cfg.Timeout),
	}, nil
}

// checkBedrockModel refuses ids that are known not to work.
func checkBedrockModel(model string) error {
	if strings.HasPrefix(model, "global.") && strings.Contains(model, "claude-3-7-sonnet") {
		return fmt.Errorf("bedrock: model %q: Claude 3.7 Sonnet has no global inference profile; use %q (or eu., apac.)",
			model, BedrockClaude37Sonnet)
	}
	return nil
}

// Name is "bedrock".
func (b *Bedrock) Name() string { return "bedrock" }

// Model is the model id in use.
func (b *Bedrock) Model() string { return b.model }

// Describe says which model, where, and how calls are paced, for logs. It
// holds no secret.
func (b *Bedrock) Describe() string {
	where := "region " + b.region
	if b.endpoint != "" {
		where += ", endpoint " + redactURL(b.endpoint)
	}
	return fmt.Sprintf("bedrock model %s (%s; %s; up to %d attempts per call)",
		b.model, where, b.gate.describeLimit(), b.attempts)
}

// Call sends one Converse request: the system prompt, the conversation as
// text blocks, one tool whose input schema is Request.Schema, and a tool
// choice that forces it. It returns the tool's input as JSON. The error
// wraps ErrTruncated (stop reason max_tokens), ErrNoToolUse (the model
// answered otherwise), ErrBadRequest, the SDK's error (errors.As with
// *types.ThrottlingException, *types.ValidationException, …) or the
// context's.
func (b *Bedrock) Call(ctx context.Context, req Request, conversation []Message) (json.RawMessage, error) {
	schema, err := checkRequest(req, conversation)
	if err != nil {
		return nil, err
	}
	budget := maxTokens(req, b.maxTokens)
	in := &bedrockruntime.ConverseInput{
		ModelId:  aws.String(b.model),
		Messages: bedrockMessages(conversation),
		InferenceConfig: &types.InferenceConfiguration{
			MaxTokens:   aws.Int32(int32(min(budget, 1<<30))),
			Temperature: aws.Float32(float32(clampTemperature(req.Temperature))),
		},
		ToolConfig: &types.ToolConfiguration{
			Tools: []types.Tool{&types.ToolMemberToolSpec{Value: types.ToolSpecification{
				Name:        aws.String(req.ToolName),
				Description: optString(req.ToolDescription),
				InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(schema)},
			}}},
			ToolChoice: &types.ToolChoiceMemberTool{Value: types.SpecificToolChoice{Name: aws.String(req.ToolName)}},
		},
	}
	if req.System != "" {
		in.System = []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: req.System}}
	}

	cctx, cancel, err := b.gate.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	out, err := b.client.Converse(cctx, in)
	if err != nil {
		return nil, b.callError(err)
	}
	return bedrockToolInput(out, req.ToolName, budget)
}

// callError wraps a Converse error, adding a hint for the mistakes the
// error message alone does not explain.
func (b *Bedrock) callError(err error) error {
	var ve *types.ValidationException
	if errors.As(err, &ve) && strings.HasPrefix(b.model, "anthropic.") &&
		strings.Contains(strings.ToLower(ve.ErrorMessage()), "on-demand throughput") {
		return fmt.Errorf("converse: %w (call Claude with an inference-profile id such as \"us.%s\")", err, b.model)
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "AccessDeniedException" {
		return fmt.Errorf("converse: %w (the caller needs bedrock:InvokeModel on the inference profile and the foundation model, and model access enabled)", err)
	}
	return fmt.Errorf("converse: %w", err)
}

// bedrockMessages turns the conversation into Converse text messages.
func bedrockMessages(conversation []Message) []types.Message {
	msgs := make([]types.Message, 0, len(conversation))
	for _, m := range conversation {
		role := types.ConversationRoleUser
		if m.Role == RoleAssistant {
			role = types.ConversationRoleAssistant
		}
		msgs = append(msgs, types.Message{
			Role:    role,
			Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: m.Text}},
		})
	}
	return msgs
}

// bedrockToolInput finds the forced tool's input in a Converse answer.
func bedrockToolInput(out *bedrockruntime.ConverseOutput, tool string, budget int) (json.RawMessage, error) {
	if out.StopReason == types.StopReasonMaxTokens {
		return nil, fmt.Errorf("%w at %d tokens (stop reason max_tokens): raise MaxTokens", ErrTruncated, budget)
	}
	msg, ok := out.Output.(*types.ConverseOutputMemberMessage)
	if !ok {
		return nil, fmt.Errorf("%w %s: no message in the answer (stop reason %s)", ErrNoToolUse, tool, out.StopReason)
	}
	textChars := 0
	for _, block := range msg.Value.Content {
		switch blk := block.(type) {
		case *types.ContentBlockMemberToolUse:
			if aws.ToString(blk.Value.Name) != tool || blk.Value.Input == nil {
				continue
			}
			raw, err := blk.Value.Input.MarshalSmithyDocument()
			if err != nil {
				return nil, fmt.Errorf("reading the input of tool %s: %w", tool, err)
			}
			if !json.Valid(raw) {
				return nil, fmt.Errorf("%w %s: its input is not JSON", ErrNoToolUse, tool)
			}
			return json.RawMessage(raw), nil
		case *types.ContentBlockMemberText:
			textChars += len(blk.Value)
		}
	}
	// The text itself is not quoted: it may repeat the documents.
	return nil, fmt.Errorf("%w %s: it answered with %d characters of text instead (stop reason %s)",
		ErrNoToolUse, tool, textChars, out.StopReason)
}

// optString is nil for "", else a pointer to s.
func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// redactURL drops any user information from an endpoint URL.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = nil
	return u.String()
}
