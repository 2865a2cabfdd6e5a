package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// reply is one scripted answer of a fake API.
type reply struct {
	status int               // 0 means 200
	header map[string]string // extra response headers
	body   string            // JSON
	hang   bool              // answer nothing until the client gives up
}

// recorded is one request a fake received.
type recorded struct {
	modelID string // Bedrock: the model id from the path, decoded
	rawPath string // the path as sent (percent-encoded)
	header  http.Header
	body    map[string]any
}

// fakeAPI is an httptest server on 127.0.0.1 that answers one route from
// a script, in order, and records every request. Running past the script
// fails the test.
type fakeAPI struct {
	t   *testing.T
	srv *httptest.Server

	mu      sync.Mutex
	script  []reply
	got     []recorded
	waiting chan struct{} // closed when a hanging reply has started
}

// newFakeAPI serves route ("POST /model/{modelId}/converse" or
// "POST /v1/messages") with the script.
func newFakeAPI(t *testing.T, route string, script ...reply) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, script: script, waiting: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc(route, f.serve)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("fake: unexpected request %s %s", r.Method, r.URL.EscapedPath())
		http.Error(w, `{"message":"no such route"}`, http.StatusNotFound)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("fake: reading the body: %v", err)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		f.t.Errorf("fake: body is not a JSON object: %v: %s", err, raw)
	}
	f.mu.Lock()
	f.got = append(f.got, recorded{
		modelID: r.PathValue("modelId"),
		rawPath: r.URL.EscapedPath(),
		header:  r.Header.Clone(),
		body:    body,
	})
	n := len(f.got)
	var rep reply
	if n <= len(f.script) {
		rep = f.script[n-1]
	} else {
		f.t.Errorf("fake: request %d, but the script has %d replies", n, len(f.script))
		rep = reply{status: http.StatusInternalServerError, body: `{"message":"script exhausted"}`}
	}
	f.mu.Unlock()

	if rep.hang {
		close(f.waiting)
		select {
		case <-r.Context().Done():
		case <-time.After(20 * time.Second):
			f.t.Errorf("fake: the client never gave up")
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	if rep.status != 0 {
		w.WriteHeader(rep.status)
	}
	_, _ = io.WriteString(w, rep.body)
}

// requests returns what the fake received so far.
func (f *fakeAPI) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.got...)
}

// --- Bedrock Converse wire format ---

const converseRoute = "POST /model/{modelId}/converse"

// converseToolUse is a Converse answer that calls tool with input.
func converseToolUse(tool, input string) reply {
	return reply{body: `{"output":{"message":{"role":"assistant","content":[` +
		`{"toolUse":{"toolUseId":"tooluse_1","name":"` + tool + `","input":` + input + `}}]}},` +
		`"stopReason":"tool_use","usage":{"inputTokens":120,"outputTokens":40,"totalTokens":160},"metrics":{"latencyMs":12}}`}
}

// converseText is a Converse answer in text.
func converseText(text, stop string) reply {
	b, _ := json.Marshal(text)
	return reply{body: `{"output":{"message":{"role":"assistant","content":[{"text":` + string(b) + `}]}},` +
		`"stopReason":"` + stop + `","usage":{"inputTokens":120,"outputTokens":40,"totalTokens":160},"metrics":{"latencyMs":12}}`}
}

// bedrockError is a Bedrock error response as the SDK expects it: the
// type in X-Amzn-ErrorType, the message in the body.
func bedrockError(status int, errType, msg string) reply {
	b, _ := json.Marshal(map[string]string{"message": msg})
	return reply{status: status, header: map[string]string{"X-Amzn-ErrorType": errType}, body: string(b)}
}

// isolateAWS keeps the developer's AWS settings out of a test: no shared
// files, profile, region, endpoint, retry or credential variables.
func isolateAWS(t *testing.T) {
	t.Helper()
	for _, k := range []string{
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK",
		"AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	} {
		unsetenv(t, k)
	}
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// unsetenv removes k for the test and restores it after.
func unsetenv(t *testing.T, k string) {
	t.Helper()
	t.Setenv(k, "")
	if err := os.Unsetenv(k); err != nil {
		t.Fatal(err)
	}
}

// --- Anthropic Messages wire format ---

const messagesRoute = "POST /v1/messages"

// messageToolUse is a Messages answer that calls tool with input.
func messageToolUse(tool, input string) reply {
	return reply{body: `{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-6",` +
		`"content":[{"type":"tool_use","id":"toolu_01","name":"` + tool + `","input":` + input + `}],` +
		`"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":120,"output_tokens":40}}`}
}

// messageText is a Messages answer in text.
func messageText(text, stop string) reply {
	b, _ := json.Marshal(text)
	return reply{body: `{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-6",` +
		`"content":[{"type":"text","text":` + string(b) + `}],` +
		`"stop_reason":"` + stop + `","stop_sequence":null,"usage":{"input_tokens":120,"output_tokens":40}}`}
}

// anthropicError is an Anthropic API error response.
func anthropicError(status int, errType, msg string, header map[string]string) reply {
	b, _ := json.Marshal(map[string]any{
		"type":       "error",
		"error":      map[string]string{"type": errType, "message": msg},
		"request_id": "req_test",
	})
	return reply{status: status, header: header, body: string(b)}
}

// --- the step under test ---

// testSchema is a small answer schema.
const testSchema = `{"type":"object","properties":{"name":{"type":"string"},"count":{"type":"integer","minimum":1}},"required":["name","count"],"additionalProperties":false}`

const testSecret = "sk-live-DO-NOT-LEAK"

func testRequest() Request {
	return Request{
		System:          "You turn architecture documents into a model.",
		Prompt:          "Document: a shop with a cart. Token " + testSecret,
		ToolName:        "architecture_model",
		ToolDescription: "The architecture model of the documents.",
		Schema:          json.RawMessage(testSchema),
		Temperature:     DefaultTemperature,
	}
}

// validateAnswer is the step's validator for testSchema: every problem,
// one per line.
func validateAnswer(raw json.RawMessage) error {
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("not a JSON object: %v", err)
	}
	var errs []error
	if _, ok := v["name"].(string); !ok {
		errs = append(errs, errors.New("/name: want a string"))
	}
	if n, ok := v["count"].(float64); !ok || n < 1 {
		errs = append(errs, errors.New("/count: want an integer >= 1"))
	}
	return errors.Join(errs...)
}

// jsonEqual compares two JSON texts by meaning.
func jsonEqual(t *testing.T, what string, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v: %s", what, err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s (want): %v", what, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

// at walks decoded JSON: keys for objects, ints for arrays.
func at(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %v: %T is not an object", path, v)
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				t.Fatalf("at %v: %T has no element %d", path, v, k)
			}
			v = a[k]
		}
	}
	return v
}

// mustJSON re-encodes decoded JSON.
func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// noSecret fails when err's text repeats the prompt's secret.
func noSecret(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), testSecret) {
		t.Errorf("error repeats the prompt: %v", err)
	}
}

// countingWaiter counts the rate-limit waits.
type countingWaiter struct {
	mu  sync.Mutex
	n   int
	err error
}

func (w *countingWaiter) Wait(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.n++
	return w.err
}

func (w *countingWaiter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// compile-time checks that the providers are Providers.
var (
	_ Provider = (*Bedrock)(nil)
	_ Provider = (*Anthropic)(nil)
)
