package llm

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
)

// newTestAnthropic points the real SDK client at fake, with no
// client-side limit.
func newTestAnthropic(t *testing.T, fake *fakeAPI, edit func(*AnthropicConfig)) *Anthropic {
	t.Helper()
	cfg := AnthropicConfig{APIKey: "test-key", BaseURL: fake.srv.URL, RequestsPerMinute: -1}
	if edit != nil {
		edit(&cfg)
	}
	a, err := NewAnthropic(cfg)
	if err != nil {
		t.Fatalf("NewAnthropic: %v", err)
	}
	return a
}

// throttled is a 429 with a retry-after header, as the API sends it.
var throttled = anthropicError(429, "rate_limit_error",
	"This request would exceed your organization's rate limit.", map[string]string{"retry-after": "0"})

func TestAnthropicForcedTool(t *testing.T) {
	answer := `{"name":"shop","count":3}`
	fake := newFakeAPI(t, messagesRoute, messageToolUse("architecture_model", answer))
	a := newTestAnthropic(t, fake, nil)
	if a.Name() != "anthropic" || a.Model() != DefaultAnthropicModel {
		t.Errorf("Name, Model = %q, %q", a.Name(), a.Model())
	}
	req := testRequest()
	got, err := a.Call(context.Background(), req, []Message{{Role: RoleUser, Text: req.Prompt}})
	if err != nil {
		t.Fatalf("Call: %v", err)
	}
	jsonEqual(t, "answer", got, []byte(answer))

	reqs := fake.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if auth := r.header.Get("Authorization"); auth != "Bearer test-key" {
		t.Errorf("Authorization = %q", auth)
	}
	if v := r.header.Get("Anthropic-Version"); v != "2026-10-21" {
		t.Errorf("anthropic-version = %q, want 2026-10-21 (the version without temperature)", v)
	}
	body := r.body
	if body["model"] != DefaultAnthropicModel {
		t.Errorf("model = %v", body["model"])
	}
	if mt := body["max_tokens"].(float64); int(mt) != DefaultMaxTokens(req.Schema) {
		t.Errorf("max_tokens = %v, want %d", mt, DefaultMaxTokens(req.Schema))
	}
	jsonEqual(t, "tool_choice", mustJSON(t, body["tool_choice"]),
		[]byte(`{"type":"tool","name":"architecture_model","disable_parallel_tool_use":true}`))
	if tools := body["tools"].([]any); len(tools) != 1 {
		t.Errorf("%d tools, want 1", len(tools))
	}
	if at(t, body, "tools", 0, "name") != "architecture_model" || at(t, body, "tools", 0, "description") != req.ToolDescription {
		t.Errorf("tool = %s", mustJSON(t, at(t, body, "tools", 0)))
	}
	jsonEqual(t, "input_schema", mustJSON(t, at(t, body, "tools", 0, "input_schema")), []byte(testSchema))
	if at(t, body, "system", 0, "text") != req.System {
		t.Errorf("system = %s", mustJSON(t, body["system"]))
	}
	if at(t, body, "messages", 0, "role") != "user" || at(t, body, "messages", 0, "content", 0, "text") != req.Prompt {
		t.Errorf("messages = %s", mustJSON(t, body["messages"]))
	}
	for _, k := range []string{"temperature", "thinking"} {
		if _, ok := body[k]; ok {
			t.Errorf("%s sent: %s", k, mustJSON(t, body))
		}
	}
}

func TestAnthropicRepairThroughGenerate(t *testing.T) {
	bad := `{"name":"shop"}`
	good := `{"name":"shop","count":2}`
	fake := newFakeAPI(t, messagesRoute,
		messageToolUse("architecture_model", bad),
		messageToolUse("architecture_model", good))
	a := newTestAnthropic(t, fake, nil)
	res, err := Generate(context.Background(), a, testRequest(), 1, validateAnswer)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if res.Attempts != 2 {
		t.Errorf("Attempts = %d, want 2", res.Attempts)
	}
	jsonEqual(t, "answer", res.JSON, []byte(good))
	reqs := fake.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	msgs := at(t, reqs[1].body, "messages").([]any)
	if len(msgs) != 3 || at(t, msgs, 1, "role") != "assistant" || at(t, msgs, 2, "role") != "user" {
		t.Fatalf("second request messages = %s", mustJSON(t, msgs))
	}
	repair := at(t, msgs, 2, "content", 0, "text").(string)
	if !strings.Contains(repair, "- /count: want an integer >= 1") {
		t.Errorf("repair message = %q", repair)
	}
}

func TestAnthropicGenerateGivesUp(t *testing.T) {
	bad := messageToolUse("architecture_model", `{"name":1}`)
	fake := newFakeAPI(t, messagesRoute, bad, bad)
	a := newTestAnthropic(t, fake, nil)
	_, err := Generate(context.Background(), a, testRequest(), 1, validateAnswer)
	if !errors.Is(err, ErrNotValid) {
		t.Fatalf("err = %v, want ErrNotValid", err)
	}
	if n := len(fake.requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

func TestAnthropicRetriedBySDK(t *testing.T) {
	overloaded := anthropicError(529, "overloaded_error", "Overloaded", map[string]string{"retry-after-ms": "1"})
	fake := newFakeAPI(t, messagesRoute, throttled, throttled, overloaded,
		messageToolUse("architecture_model", `{"name":"a","count":1}`))
	a := newTestAnthropic(t, fake, nil)
	req := testRequest()
	if _, err := a.Call(context.Background(), req, []Message{{Role: RoleUser, Text: req.Prompt}}); err != nil {
		t.Fatalf("Call: %v", err)
	}
	if n := len(fake.requests()); n != 4 {
		t.Errorf("%d requests, want 4 (429, 429, 529, answer)", n)
	}
}

func TestAnthropicNoRetries(t *testing.T) {
	fake := newFakeAPI(t, messagesRoute, throttled)
	a := newTestAnthropic(t, fake, func(c *AnthropicConfig) { c.MaxRetries = -1 })
	req := testRequest()
	_, err := a.Call(context.Background(), req, []Message{{Role: RoleUser, Text: req.Prompt}})
	var ae *anthropic.Error
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("err = %v, want a 429 *anthropic.Error", err)
	}
	if n := len(fake.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	noSecret(t, err)
}

func TestAnthropicDeadline(t *testing.T) {
	fake := newFakeAPI(t, messagesRoute, reply{hang: true})
	a := newTestAnthropic(t, fake, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req := testRequest()
	start := time.Now()
	_, err := a.Call(ctx, req, []Message{{Role: RoleUser, Text: req.Prompt}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want one wrapping context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Call took %v after a 200ms deadline", d)
	}
	if n := len(fake.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestAnthropicTextAnswer(t *testing.T) {
	fake := newFakeAPI(t, messagesRoute, messageText("I would rather describe it: "+testSecret, "end_turn"))
	a := newTestAnthropic(t, fake, nil)
	req := testRequest()
	_, err := a.Call(context.Background(), req, []Message{{Role: RoleUser, Text: req.Prompt}})
	if !errors.Is(err, ErrNoToolUse) {
		t.Fatalf("err = %v, want ErrNoToolUse", err)
	}
	if !strings.Contains(err.Error(), "characters of text instead (stop reason end_turn)") {
		t.Errorf("err = %v", err)
	}
	noSecret(t, err)
}

func TestAnthropicMaxTokens(t *testing.T) {
	fake := newFakeAPI(t, messagesRoute, reply{body: `{"id":"msg_01","type":"message","role":"assistant",` +
		`"model":"claude-sonnet-4-6","content":[{"type":"tool_use","id":"toolu_01","name":"architecture_model","input":{}}],` +
		`"stop_reason":"max_tokens","stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":4096}}`})
	a := newTestAnthropic(t, fake, func(c *AnthropicConfig) { c.MaxTokens = 4096 })
	req := testRequest()
	_, err := a.Call(context.Background(), req, []Message{{Role: RoleUser, Text: req.Prompt}})
	if !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), "answer truncated at 4096 tokens") {
		t.Fatalf("err = %v, want ErrTruncated at 4096 tokens", err)
	}
}

func TestAnthropicConfig(t *testing.T) {
	t.Setenv("ANTHROPIC_API_KEY", "")
	t.Setenv("ANTHROPIC_BASE_URL", "")
	if _, err := NewAnthropic(AnthropicConfig{}); !errors.Is(err, ErrNoAPIKey) {
		t.Errorf("no key: err = %v, want ErrNoAPIKey", err)
	}

	fake := newFakeAPI(t, messagesRoute, messageToolUse("architecture_model", `{"name":"a","count":1}`))
	t.Setenv("ANTHROPIC_API_KEY", "env-key")
	t.Setenv("ANTHROPIC_BASE_URL", fake.srv.URL)
	a, err := NewAnthropic(AnthropicConfig{Model: "claude-opus-4-8", RequestsPerMinute: 120, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	d := Describe(a)
	for _, want := range []string{"anthropic model claude-opus-4-8", fake.srv.URL, "120 requests/min", "1 retries"} {
		if !strings.Contains(d, want) {
			t.Errorf("Describe = %q, lacks %q", d, want)
		}
	}
	if strings.Contains(d, "env-key") {
		t.Errorf("Describe shows the key: %q", d)
	}
	req := testRequest()
	if _, err := a.Call(context.Background(), req, []Message{{Role: RoleUser, Text: req.Prompt}}); err != nil {
		t.Fatalf("Call: %v", err)
	}
	if auth := fake.requests()[0].header.Get("Authorization"); auth != "Bearer env-key" {
		t.Errorf("Authorization = %q, want the key from ANTHROPIC_API_KEY", auth)
	}
}

func TestAnthropicWaitsOnLimiter(t *testing.T) {
	ok := messageToolUse("architecture_model", `{"name":"a","count":1}`)
	fake := newFakeAPI(t, messagesRoute, ok, ok)
	a := newTestAnthropic(t, fake, nil)
	w := &countingWaiter{}
	a.gate.limiter = w
	req := testRequest()
	conv := []Message{{Role: RoleUser, Text: req.Prompt}}
	for i := range 2 {
		if _, err := a.Call(context.Background(), req, conv); err != nil {
			t.Fatal(err)
		}
		if w.count() != i+1 {
			t.Errorf("after call %d: %d waits", i, w.count())
		}
	}
	// A refused wait sends nothing.
	w.err = errors.New("limiter closed")
	if _, err := a.Call(context.Background(), req, conv); err == nil || !strings.Contains(err.Error(), "limiter closed") {
		t.Errorf("err = %v", err)
	}
	if n := len(fake.requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}
