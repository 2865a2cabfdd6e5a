package llm

import (
	"context"
	"encoding/json"
	"sync/atomic"
)

// Counter is a Provider that counts the calls made through it and
// forwards them to the Provider it wraps. The steps report how many calls
// a result took, fallbacks included: when Generate fails, its Result (and
// Attempts) is lost, and the Counter still knows. It is safe for
// concurrent use.
type Counter struct {
	Provider
	calls atomic.Int64
}

// Call counts the call and forwards it.
func (c *Counter) Call(ctx context.Context, req Request, conversation []Message) (json.RawMessage, error) {
	c.calls.Add(1)
	return c.Provider.Call(ctx, req, conversation)
}

// Calls is the number of calls made so far.
func (c *Counter) Calls() int { return int(c.calls.Load()) }
