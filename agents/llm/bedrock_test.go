package llm

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// newTestBedrock points the real SDK client at fake with static
// credentials, no client-side limit and millisecond retry backoff.
func newTestBedrock(t *testing.T, fake *fakeAPI, edit func(*BedrockConfig)) *Bedrock {
	t.Helper()
	isolateAWS(t)
	cfg := BedrockConfig{
		Endpoint:          fake.srv.URL,
		Region:            "us-east-1",
		RequestsPerMinute: -1,
		RetryMaxBackoff:   5 * time.Millisecond,
		LoadOptions: []func(*config.LoadOptions) error{
			config.WithCredentialsProvider(aws.NewCredentialsCache(aws.CredentialsProviderFunc(
				func(context.Context) (aws.Credentials, error) {
					return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "SECRETTEST", Source: "test"}, nil
				}))),
		},
	}
	if edit != nil {
		edit(&cfg)
	}
	b, err := NewBedrock(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewBedrock: %v", err)
	}
	return b
}

func TestBedrockForcedTool(t *testing.T) {
	for _, tc := range []struct {
		name, model, encoded string
	}{
		{"sonnet 4.5 (default)", "", "us.anthropic.claude-sonnet-4-5-20250929-v1%3A0"},
		{"3.7 sonnet", BedrockClaude37Sonnet, "us.anthropic.claude-3-7-sonnet-20250219-v1%3A0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answer := `{"name":"shop","count":3}`
			fake := newFakeAPI(t, converseRoute, converseToolUse("architecture_model", answer))
			b := newTestBedrock(t, fake, func(c *BedrockConfig) { c.Model = tc.model })
			want := tc.model
			if want == "" {
				want = DefaultBedrockModel
			}
			if b.Model() != want || b.Name() != "bedrock" {
				t.Errorf("Name, Model = %q, %q", b.Name(), b.Model())
			}

			req := testRequest()
			got, err := b.Call(context.Background(), req, []Message{{Role: RoleUser, Text: req.Prompt}})
			if err != nil {
				t.Fatalf("Call: %v", err)
			}
			jsonEqual(t, "answer", got, []byte(answer))

			reqs := fake.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.modelID != want {
				t.Errorf("model id in the path = %q, want %q", r.modelID, want)
			}
			if !strings.Contains(r.rawPath, tc.encoded) {
				t.Errorf("raw path %q does not carry the percent-encoded id %q", r.rawPath, tc.encoded)
			}
			if auth := r.header.Get("Authorization"); !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") ||
				!strings.Contains(auth, "/us-east-1/bedrock/aws4_request") {
				t.Errorf("Authorization = %q, want SigV4 for service bedrock in us-east-1", auth)
			}
			body := r.body
			if got := at(t, body, "toolConfig", "toolChoice", "tool", "name"); got != "architecture_model" {
				t.Errorf("toolChoice.tool.name = %v (body %s)", got, mustJSON(t, body))
			}
			if tools := at(t, body, "toolConfig", "tools").([]any); len(tools) != 1 {
				t.Errorf("%d tools, want 1", len(tools))
			}
			spec := at(t, body, "toolConfig", "tools", 0, "toolSpec")
			if at(t, spec, "name") != "architecture_model" || at(t, spec, "description") != req.ToolDescription {
				t.Errorf("toolSpec = %s", mustJSON(t, spec))
			}
			jsonEqual(t, "inputSchema.json", mustJSON(t, at(t, spec, "inputSchema", "json")), []byte(testSchema))
			if temp := at(t, body, "inferenceConfig", "temperature").(float64); math.Abs(temp-0.2) > 1e-6 {
				t.Errorf("temperature = %v, want 0.2", temp)
			}
			if mt := at(t, body, "inferenceConfig", "maxTokens").(float64); int(mt) != DefaultMaxTokens(req.Schema) {
				t.Errorf("maxTokens = %v, want %d", mt, DefaultMaxTokens(req.Schema))
			}
			if got := at(t, body, "system", 0, "text"); got != req.System {
				t.Errorf("system = %v", got)
			}
			if at(t, body, "messages", 0, "role") != "user" || at(t, body, "messages", 0, "content", 0, "text") != req.Prompt {
				t.Errorf("messages = %s", mustJSON(t, at(t, body, "messages")))
			}
			if _, ok := body["outputConfig"]; ok {
				t.Errorf("outputConfig sent; 3.7 Sonnet has no native structured output")
			}
		})
	}
}

func TestBedrockRepairThroughGenerate(t *testing.T) {
	bad := `{"name":5,"count":0}`
	good := `{"name":"shop","count":2}`
	fake := newFakeAPI(t, converseRoute,
		converseToolUse("architecture_model", bad),
		converseToolUse("architecture_model", good))
	b := newTestBedrock(t, fake, nil)

	res, err := Generate(context.Background(), b, testRequest(), 2, validateAnswer)
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
	if len(msgs) != 3 {
		t.Fatalf("second request has %d messages, want 3: %s", len(msgs), mustJSON(t, msgs))
	}
	if at(t, msgs, 1, "role") != "assistant" {
		t.Errorf("message 1 role = %v", at(t, msgs, 1, "role"))
	}
	jsonEqual(t, "the first answer sent back", []byte(at(t, msgs, 1, "content", 0, "text").(string)), []byte(bad))
	repair := at(t, msgs, 2, "content", 0, "text").(string)
	if at(t, msgs, 2, "role") != "user" || repair != RepairPrompt(validateAnswer(json.RawMessage(bad))) {
		t.Errorf("repair message = %q", repair)
	}
	for _, want := range []string{"- /name: want a string", "- /count: want an integer >= 1"} {
		if !strings.Contains(repair, want) {
			t.Errorf("repair message lacks %q:\n%s", want, repair)
		}
	}
	// The forced tool is sent again with the repair.
	if at(t, reqs[1].body, "toolConfig", "toolChoice", "tool", "name") != "architecture_model" {
		t.Errorf("repair request lost the forced tool")
	}
}

func TestBedrockThrottlingRetriedBySDK(t *testing.T) {
	fake := newFakeAPI(t, converseRoute,
		// The error type in the X-Amzn-ErrorType header …
		bedrockError(429, "ThrottlingException", "Too many requests, please wait before trying again."),
		// … or in the body's __type.
		reply{status: 429, body: `{"__type":"ThrottlingException","message":"Too many requests"}`},
		converseToolUse("architecture_model", `{"name":"shop","count":1}`))
	isolateAWS(t)
	// MaxRetries (default 4), not the SDK's environment, decides.
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	b := newTestBedrockKeepEnv(t, func(c *BedrockConfig) {
		c.Endpoint = fake.srv.URL
		c.RetryMaxBackoff = 5 * time.Millisecond
	})
	req := testRequest()
	got, err := b.Call(context.Background(), req, []Message{{Role: RoleUser, Text: req.Prompt}})
	if err != nil {
		t.Fatalf("Call: %v", err)
	}
	jsonEqual(t, "answer", got, []byte(`{"name":"shop","count":1}`))
	if n := len(fake.requests()); n != 3 {
		t.Errorf("%d requests, want 3 (two throttled, one answered)", n)
	}
}

func TestBedrockModelNotReadyRetried(t *testing.T) {
	fake := newFakeAPI(t, converseRoute,
		bedrockError(429, "ModelNotReadyException", "Model is not ready"),
		converseToolUse("architecture_model", `{"name":"shop","count":1}`))
	b := newTestBedrock(t, fake, nil)
	req := testRequest()
	if _, err := b.Call(context.Background(), req, []Message{{Role: RoleUser, Text: req.Prompt}}); err != nil {
		t.Fatalf("Call: %v", err)
	}
	if n := len(fake.requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

func TestBedrockThrottlingGivesUp(t *testing.T) {
	throttled := bedrockError(429, "ThrottlingException", "Too many requests")
	fake := newFakeAPI(t, converseRoute, throttled, throttled, throttled)
	b := newTestBedrock(t, fake, func(c *BedrockConfig) { c.MaxRetries = 2 })
	req := testRequest()
	_, err := b.Call(context.Background(), req, []Message{{Role: RoleUser, Text: req.Prompt}})
	var te *types.ThrottlingException
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want a *types.ThrottlingException", err)
	}
	if n := len(fake.requests()); n != 3 {
		t.Errorf("%d requests, want 3 (1 + MaxRetries)", n)
	}
	noSecret(t, err)
}

func TestBedrockValidationNotRetried(t *testing.T) {
	fake := newFakeAPI(t, converseRoute,
		bedrockError(400, "ValidationException", "Invocation of model ID anthropic.claude-3-7-sonnet-20250219-v1:0 with on-demand throughput isn't supported."))
	b := newTestBedrock(t, fake, func(c *BedrockConfig) { c.Model = "anthropic.claude-3-7-sonnet-20250219-v1:0" })
	req := testRequest()
	_, err := b.Call(context.Background(), req, []Message{{Role: RoleUser, Text: req.Prompt}})
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a *types.ValidationException", err)
	}
	if !strings.Contains(err.Error(), `inference-profile id such as "us.anthropic.claude-3-7-sonnet`) {
		t.Errorf("err lacks the profile hint: %v", err)
	}
	if n := len(fake.requests()); n != 1 {
		t.Errorf("%d requests, want 1: a validation error is not retried", n)
	}
}

func TestBedrockDeadline(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ctx     func() (context.Context, context.CancelFunc)
		timeout time.Duration
	}{
		{"caller's deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 200*time.Millisecond)
		}, 0},
		{"config timeout", func() (context.Context, context.CancelFunc) {
			return context.WithCancel(context.Background())
		}, 200 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFakeAPI(t, converseRoute, reply{hang: true})
			b := newTestBedrock(t, fake, func(c *BedrockConfig) { c.Timeout = tc.timeout })
			ctx, cancel := tc.ctx()
			defer cancel()
			req := testRequest()
			start := time.Now()
			_, err := b.Call(ctx, req, []Message{{Role: RoleUser, Text: req.Prompt}})
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want one wrapping context.DeadlineExceeded", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Call took %v after a 200ms deadline", d)
			}
			if n := len(fake.requests()); n != 1 {
				t.Errorf("%d requests, want 1: a deadline is not retried", n)
			}
		})
	}
}

func TestBedrockTextAnswer(t *testing.T) {
	text := "Here is the model: the shop has a cart. " + testSecret
	fake := newFakeAPI(t, converseRoute, converseText(text, "end_turn"))
	b := newTestBedrock(t, fake, nil)
	req := testRequest()
	_, err := b.Call(context.Background(), req, []Message{{Role: RoleUser, Text: req.Prompt}})
	if !errors.Is(err, ErrNoToolUse) {
		t.Fatalf("err = %v, want ErrNoToolUse", err)
	}
	for _, want := range []string{"architecture_model", "characters of text", "end_turn"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err %q lacks %q", err, want)
		}
	}
	noSecret(t, err)
}

func TestBedrockMaxTokens(t *testing.T) {
	fake := newFakeAPI(t, converseRoute, reply{body: `{"output":{"message":{"role":"assistant","content":[` +
		`{"toolUse":{"toolUseId":"t1","name":"architecture_model","input":{}}}]}},"stopReason":"max_tokens",` +
		`"usage":{"inputTokens":10,"outputTokens":1000,"totalTokens":1010}}`})
	b := newTestBedrock(t, fake, nil)
	req := testRequest()
	req.MaxTokens = 1000
	_, err := b.Call(context.Background(), req, []Message{{Role: RoleUser, Text: req.Prompt}})
	if !errors.Is(err, ErrTruncated) {
		t.Fatalf("err = %v, want ErrTruncated", err)
	}
	if !strings.Contains(err.Error(), "answer truncated at 1000 tokens") {
		t.Errorf("err = %v", err)
	}
	if mt := at(t, fake.requests()[0].body, "inferenceConfig", "maxTokens").(float64); mt != 1000 {
		t.Errorf("maxTokens sent = %v, want Request.MaxTokens 1000", mt)
	}
}

func TestBedrockEndpointFromEnvironment(t *testing.T) {
	fake := newFakeAPI(t, converseRoute, converseToolUse("architecture_model", `{"name":"a","count":1}`))
	isolateAWS(t)
	// No Endpoint in the config: the SDK reads the service-specific
	// variable itself.
	t.Setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", fake.srv.URL)
	b := newTestBedrockKeepEnv(t, nil)
	if !strings.Contains(b.Describe(), fake.srv.URL) {
		t.Errorf("Describe = %q, want the endpoint", b.Describe())
	}
	req := testRequest()
	if _, err := b.Call(context.Background(), req, []Message{{Role: RoleUser, Text: req.Prompt}}); err != nil {
		t.Fatalf("Call: %v", err)
	}
	if n := len(fake.requests()); n != 1 {
		t.Errorf("%d requests reached the fake, want 1", n)
	}
}

// newTestBedrockKeepEnv is newTestBedrock without isolating the
// environment again (the test has set variables of its own).
func newTestBedrockKeepEnv(t *testing.T, edit func(*BedrockConfig)) *Bedrock {
	t.Helper()
	cfg := BedrockConfig{
		Region:            "us-east-1",
		RequestsPerMinute: -1,
		LoadOptions: []func(*config.LoadOptions) error{
			config.WithCredentialsProvider(aws.CredentialsProviderFunc(
				func(context.Context) (aws.Credentials, error) {
					return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "SECRETTEST"}, nil
				})),
		},
	}
	if edit != nil {
		edit(&cfg)
	}
	b, err := NewBedrock(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewBedrock: %v", err)
	}
	return b
}

func TestBedrockRejectsBadInput(t *testing.T) {
	fake := newFakeAPI(t, converseRoute)
	b := newTestBedrock(t, fake, nil)
	w := &countingWaiter{}
	b.gate.limiter = w
	for name, edit := range map[string]func(*Request, *[]Message){
		"tool name":        func(r *Request, _ *[]Message) { r.ToolName = "architecture model" },
		"schema not JSON":  func(r *Request, _ *[]Message) { r.Schema = json.RawMessage(`{`) },
		"schema array":     func(r *Request, _ *[]Message) { r.Schema = json.RawMessage(`[]`) },
		"schema no object": func(r *Request, _ *[]Message) { r.Schema = json.RawMessage(`{"type":"string"}`) },
		"empty message":    func(_ *Request, c *[]Message) { (*c)[0].Text = "" },
		"assistant first":  func(_ *Request, c *[]Message) { (*c)[0].Role = RoleAssistant },
		"no conversation":  func(_ *Request, c *[]Message) { *c = nil },
	} {
		t.Run(name, func(t *testing.T) {
			req := testRequest()
			conv := []Message{{Role: RoleUser, Text: req.Prompt}}
			edit(&req, &conv)
			if _, err := b.Call(context.Background(), req, conv); !errors.Is(err, ErrBadRequest) {
				t.Errorf("err = %v, want ErrBadRequest", err)
			}
		})
	}
	if w.count() != 0 {
		t.Errorf("a bad request spent %d rate-limit tokens", w.count())
	}
	if n := len(fake.requests()); n != 0 {
		t.Errorf("%d bad requests were sent", n)
	}
}

func TestBedrockModelChecks(t *testing.T) {
	isolateAWS(t)
	_, err := NewBedrock(context.Background(), BedrockConfig{Model: "global.anthropic.claude-3-7-sonnet-20250219-v1:0"})
	if err == nil || !strings.Contains(err.Error(), "no global inference profile") {
		t.Errorf("global 3.7 id: err = %v", err)
	}
	b, err := NewBedrock(context.Background(), BedrockConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Model() != DefaultBedrockModel || b.region != DefaultBedrockRegion {
		t.Errorf("defaults: model %q region %q", b.Model(), b.region)
	}
	for _, want := range []string{DefaultBedrockModel, "region us-east-1", "50 requests/min", "5 attempts"} {
		if !strings.Contains(Describe(b), want) {
			t.Errorf("Describe = %q, lacks %q", Describe(b), want)
		}
	}
}

func TestBedrockWaitsOnLimiterEveryCall(t *testing.T) {
	answer := converseToolUse("architecture_model", `{"name":"a","count":1}`)
	fake := newFakeAPI(t, converseRoute, answer, bedrockError(400, "ValidationException", "bad"), answer)
	b := newTestBedrock(t, fake, nil)
	w := &countingWaiter{}
	b.gate.limiter = w
	req := testRequest()
	conv := []Message{{Role: RoleUser, Text: req.Prompt}}
	for i := range 3 {
		_, err := b.Call(context.Background(), req, conv)
		if (err != nil) != (i == 1) {
			t.Errorf("call %d: err = %v", i, err)
		}
		if w.count() != i+1 {
			t.Errorf("after call %d: %d waits", i, w.count())
		}
	}
}

func TestBedrockRealLimiter(t *testing.T) {
	answer := converseToolUse("architecture_model", `{"name":"a","count":1}`)
	fake := newFakeAPI(t, converseRoute, answer)
	// One request a minute: the first goes at once, the second cannot
	// within a one-second deadline, and the limiter says so up front.
	b := newTestBedrock(t, fake, func(c *BedrockConfig) { c.RequestsPerMinute = 1 })
	req := testRequest()
	conv := []Message{{Role: RoleUser, Text: req.Prompt}}
	if _, err := b.Call(context.Background(), req, conv); err != nil {
		t.Fatalf("first call: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := b.Call(ctx, req, conv); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second call: err = %v, want context.DeadlineExceeded from the limiter", err)
	}
	if n := len(fake.requests()); n != 1 {
		t.Errorf("%d requests sent, want 1", n)
	}
}
