package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"golang.org/x/time/rate"
)

// Defaults shared by the providers.
const (
	// DefaultRequestsPerMinute is the client-side request rate when a
	// provider's RequestsPerMinute is 0.
	DefaultRequestsPerMinute = 50
	// DefaultMaxRetries is how many times a provider's SDK retries a
	// throttled or failed call when MaxRetries is 0.
	DefaultMaxRetries = 4
	// DefaultTimeout bounds one Call, SDK retries included, when Timeout is 0.
	DefaultTimeout = 5 * time.Minute
	// DefaultTemperature is the low temperature the steps put in
	// Request.Temperature.
	DefaultTemperature = 0.2

	minDefaultMaxTokens = 4096
	maxDefaultMaxTokens = 8192
)

// Errors a provider's Call wraps, whichever provider it is.
var (
	// ErrTruncated: the model stopped at max_tokens, so the tool input is
	// incomplete. Raise Request.MaxTokens (or the provider's MaxTokens).
	ErrTruncated = errors.New("answer truncated")
	// ErrNoToolUse: the model answered without calling the forced tool
	// (text, a refusal, a content filter).
	ErrNoToolUse = errors.New("model did not call the tool")
	// ErrBadRequest: the Request cannot be sent (no tool name, a schema
	// that is not a JSON object, an empty message).
	ErrBadRequest = errors.New("invalid request")
)

// DefaultMaxTokens is the answer budget used when neither Request.MaxTokens
// nor the provider's MaxTokens is set: two tokens per byte of schema, at
// least 4096 and at most 8192. Bigger schemas describe bigger answers, and
// a budget sized to them keeps Bedrock, which reserves max_tokens against the
// account's tokens-per-minute quota when a call starts, from throttling
// early. An answer cut at the budget fails with [ErrTruncated].
func DefaultMaxTokens(schema json.RawMessage) int {
	return min(maxDefaultMaxTokens, max(minDefaultMaxTokens, 2*len(schema)))
}

// maxTokens picks the request's budget, then the provider's, then the
// schema-sized default.
func maxTokens(req Request, providerMax int) int {
	switch {
	case req.MaxTokens > 0:
		return req.MaxTokens
	case providerMax > 0:
		return providerMax
	default:
		return DefaultMaxTokens(req.Schema)
	}
}

// clampTemperature keeps t in the [0, 1] range Claude accepts.
func clampTemperature(t float64) float64 {
	return min(1, max(0, t))
}

// toolNameRE is the tool-name rule of both APIs.
var toolNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// checkRequest rejects what neither API would accept, before any call is
// made or any rate-limit token spent. It returns the schema decoded.
func checkRequest(req Request, conversation []Message) (map[string]any, error) {
	if !toolNameRE.MatchString(req.ToolName) {
		return nil, fmt.Errorf("%w: tool name %q must match %s", ErrBadRequest, req.ToolName, toolNameRE)
	}
	var schema map[string]any
	dec := json.NewDecoder(bytes.NewReader(req.Schema))
	if err := dec.Decode(&schema); err != nil || schema == nil {
		return nil, fmt.Errorf("%w: schema of tool %s is not a JSON object", ErrBadRequest, req.ToolName)
	}
	if schema["type"] != "object" {
		// Both APIs take only object schemas for a tool's input.
		return nil, fmt.Errorf("%w: schema of tool %s must have \"type\": \"object\"", ErrBadRequest, req.ToolName)
	}
	if len(conversation) == 0 {
		return nil, fmt.Errorf("%w: empty conversation", ErrBadRequest)
	}
	for i, m := range conversation {
		want := RoleUser
		if i%2 == 1 {
			want = RoleAssistant
		}
		if m.Role != want {
			return nil, fmt.Errorf("%w: message %d has role %q, want %q (user first, then alternating)", ErrBadRequest, i, m.Role, want)
		}
		if m.Text == "" {
			return nil, fmt.Errorf("%w: message %d is empty", ErrBadRequest, i)
		}
	}
	return schema, nil
}

// waiter is what a call waits on before it is sent: *rate.Limiter, or a
// counting fake in tests.
type waiter interface {
	Wait(ctx context.Context) error
}

// newLimiter returns the client-side token bucket for rpm requests per
// minute (0: DefaultRequestsPerMinute; negative: no limit, nil). The
// bucket holds one token, so calls are spaced evenly, 60s/rpm apart.
func newLimiter(rpm int) *rate.Limiter {
	if rpm == 0 {
		rpm = DefaultRequestsPerMinute
	}
	if rpm < 0 {
		return nil
	}
	return rate.NewLimiter(rate.Every(time.Minute/time.Duration(rpm)), 1)
}

// gate is the part every provider shares: the client-side rate limit and
// the per-call timeout. Safe for concurrent use.
type gate struct {
	limiter waiter        // nil: no client-side limit
	timeout time.Duration // > 0
	rpm     int           // for Describe; <= 0 means no limit
}

func newGate(rpm int, timeout time.Duration) gate {
	g := gate{timeout: timeout, rpm: rpm}
	if g.timeout <= 0 {
		g.timeout = DefaultTimeout
	}
	if g.rpm == 0 {
		g.rpm = DefaultRequestsPerMinute
	}
	if l := newLimiter(rpm); l != nil {
		g.limiter = l
	}
	return g
}

// enter waits for a rate-limit token with ctx, then returns the context the
// call runs under (ctx bounded by the gate's timeout). The error wraps
// ctx's error, or context.DeadlineExceeded when the wait could not finish
// before ctx's deadline.
func (g gate) enter(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("before the call: %w", err)
	}
	if g.limiter != nil {
		if err := g.limiter.Wait(ctx); err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return nil, nil, fmt.Errorf("waiting for the rate limit: %w", cerr)
			}
			if _, ok := ctx.Deadline(); ok {
				// rate.Limiter refuses up front when the wait would
				// outlast the deadline; say so in a way errors.Is
				// understands.
				return nil, nil, fmt.Errorf("waiting for the rate limit: %w (%v)", context.DeadlineExceeded, err)
			}
			return nil, nil, fmt.Errorf("waiting for the rate limit: %w", err)
		}
	}
	cctx, cancel := context.WithTimeout(ctx, g.timeout)
	return cctx, cancel, nil
}

// describeLimit says the client-side limit in words.
func (g gate) describeLimit() string {
	if g.limiter == nil {
		return "no client-side rate limit"
	}
	return fmt.Sprintf("%d requests/min", g.rpm)
}
