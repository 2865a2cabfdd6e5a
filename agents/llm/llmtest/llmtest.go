// Package llmtest is a scripted [llm.Provider] for tests of the AI steps;
// it never touches the network.
package llmtest

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"github.com/loadgen/loadgen/agents/llm"
)

// Default names of a Scripted provider.
const (
	DefaultName  = "fake"
	DefaultModel = "fake-model-1"
)

// Reply answers one call, given its request.
type Reply func(req llm.Request) (json.RawMessage, error)

// Scripted is a Provider that answers from a script and records every
// call. A call is recorded first; then it panics when Panics is set,
// returns the context's error when ctx has ended, Err when it is set, and
// otherwise the script's answer: the i-th call gets Replies[i] when there
// are Replies, else Answers[i], the last one again when the script runs
// out. It is safe for concurrent use; use it through a pointer.
type Scripted struct {
	// Answers are the tool inputs the calls return, in order.
	Answers []string
	// Replies, when not empty, answer in place of Answers: they may build
	// the answer from the request, or fail.
	Replies []Reply
	// Err, when not nil, is every call's error.
	Err error
	// Panics makes every call panic.
	Panics bool
	// ProviderName and ModelID are what Name and Model return; empty means
	// DefaultName and DefaultModel.
	ProviderName string
	ModelID      string

	mu    sync.Mutex
	calls []Call
}

// Call is one recorded call.
type Call struct {
	Request llm.Request
	// Conversation is a copy of the conversation the call was sent.
	Conversation []llm.Message
}

// Name returns ProviderName, or DefaultName.
func (s *Scripted) Name() string {
	if s.ProviderName == "" {
		return DefaultName
	}
	return s.ProviderName
}

// Model returns ModelID, or DefaultModel.
func (s *Scripted) Model() string {
	if s.ModelID == "" {
		return DefaultModel
	}
	return s.ModelID
}

// Call records the call and answers it from the script.
func (s *Scripted) Call(ctx context.Context, req llm.Request, conversation []llm.Message) (json.RawMessage, error) {
	s.mu.Lock()
	s.calls = append(s.calls, Call{Request: req, Conversation: append([]llm.Message(nil), conversation...)})
	n := len(s.calls)
	s.mu.Unlock()
	if s.Panics {
		panic("llmtest: scripted provider exploded")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.Err != nil {
		return nil, s.Err
	}
	switch {
	case len(s.Replies) > 0:
		return s.Replies[min(n, len(s.Replies))-1](req)
	case len(s.Answers) > 0:
		return json.RawMessage(s.Answers[min(n, len(s.Answers))-1]), nil
	}
	return nil, errors.New("llmtest: no answer scripted")
}

// Calls returns a copy of the calls made so far, in order.
func (s *Scripted) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		out[i] = Call{Request: c.Request, Conversation: append([]llm.Message(nil), c.Conversation...)}
	}
	return out
}
