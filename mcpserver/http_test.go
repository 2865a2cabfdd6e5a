package mcpserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// bearer adds a token to every request.
type bearer struct {
	token string
	rt    http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.rt.RoundTrip(r)
}

func TestHTTPTokenSizeAndProgress(t *testing.T) {
	f := newFixture(t, Limits{})
	sid := f.prepareSession(t, "3s", "load")
	f.mustCall(t, "generate_test_plans", map[string]any{"session_id": sid, "output_format": "yaml"}, nil)
	const token = "s3cret-token"
	hs := httptest.NewServer(f.srv.HTTPHandler(HTTPOptions{Token: token}))
	defer hs.Close()

	post := func(auth string, body []byte) int {
		req, _ := http.NewRequest(http.MethodPost, hs.URL, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	ping := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
	for _, tt := range []struct {
		name, auth string
		body       []byte
		want       int
	}{
		{"no token", "", ping, http.StatusUnauthorized},
		{"wrong token", "Bearer nope", ping, http.StatusUnauthorized},
		{"token as basic auth", "Basic " + token, ping, http.StatusUnauthorized},
		{"oversized body", "Bearer " + token, append(append([]byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"x":"`), bytes.Repeat([]byte("a"), 2<<20)...), `"}}`...), http.StatusRequestEntityTooLarge},
	} {
		if got := post(tt.auth, tt.body); got != tt.want {
			t.Errorf("%s: HTTP %d, want %d", tt.name, got, tt.want)
		}
	}

	var progress atomic.Int64
	c := mcp.NewClient(&mcp.Implementation{Name: "http-test", Version: "0"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(context.Context, *mcp.ProgressNotificationClientRequest) { progress.Add(1) },
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cs, err := c.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: hs.URL, HTTPClient: &http.Client{Transport: bearer{token, http.DefaultTransport}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tools.Tools) != 8 {
		t.Errorf("%d tools over HTTP, want 8", len(tools.Tools))
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "execute_performance_test",
		Arguments: map[string]any{"session_id": sid, "execution_environment": map[string]any{"target_url": f.target}}})
	if err != nil || res.IsError {
		t.Fatalf("execute over HTTP: %v %+v", err, res)
	}
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "get_test_status", Meta: mcp.Meta{"progressToken": "w1"},
		Arguments: map[string]any{"session_id": sid, "wait_seconds": 60}})
	if err != nil || res.IsError {
		t.Fatalf("status over HTTP: %v %+v", err, res)
	}
	b, _ := json.Marshal(res.StructuredContent)
	var st RunStatus
	if err := json.Unmarshal(b, &st); err != nil || st.State != StateCompleted {
		t.Fatalf("status: %v %s", err, b)
	}
	deadline := time.Now().Add(5 * time.Second)
	for progress.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if progress.Load() < 2 {
		t.Errorf("%d progress notifications over HTTP during a 3 s run, want at least 2", progress.Load())
	}
}

func TestCheckListen(t *testing.T) {
	tests := []struct {
		addr, token string
		ok          bool
	}{
		{"127.0.0.1:8765", "", true},
		{"[::1]:8765", "", true},
		{"localhost:8765", "", true},
		{"0.0.0.0:8765", "", false},
		{":8765", "", false},
		{"192.0.2.1:8765", "", false},
		{"0.0.0.0:8765", "t", true},
		{"nonsense", "", false},
	}
	for _, tt := range tests {
		if err := CheckListen(tt.addr, tt.token); (err == nil) != tt.ok {
			t.Errorf("CheckListen(%q, token %q) = %v, want ok=%v", tt.addr, tt.token, err, tt.ok)
		}
	}
}

// lambdaCall sends one JSON-RPC message through the function-URL handler
// and returns the HTTP status and the JSON-RPC response (from a JSON body
// or the SSE stream's last message).
func lambdaCall(t *testing.T, h func(context.Context, *events.LambdaFunctionURLRequest) (*events.LambdaFunctionURLStreamingResponse, error), body string) (int, map[string]any) {
	t.Helper()
	ev := &events.LambdaFunctionURLRequest{
		RawPath: "/",
		Headers: map[string]string{"content-type": "application/json", "accept": "application/json, text/event-stream"},
		Body:    body,
		RequestContext: events.LambdaFunctionURLRequestContext{DomainName: "abc.lambda-url.us-east-1.on.aws",
			HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: http.MethodPost, SourceIP: "198.51.100.7"}},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := h(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var msg map[string]any
	if strings.Contains(resp.Headers["Content-Type"], "text/event-stream") {
		sc := bufio.NewScanner(bytes.NewReader(raw))
		sc.Buffer(nil, 4<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				msg = nil
				_ = json.Unmarshal([]byte(data), &msg)
			}
		}
	} else if len(bytes.TrimSpace(raw)) > 0 {
		_ = json.Unmarshal(raw, &msg)
	}
	return resp.StatusCode, msg
}

func TestLambdaFunctionURLEvents(t *testing.T) {
	st := mustLocal(t)
	if err := st.Put(context.Background(), sessionKey("demo-001", ScenariosKey), []byte("{}")); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Store: st, Stateless: true})
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Lambda()

	code, msg := lambdaCall(t, h, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"lambda-test","version":"0"}}}`)
	result, _ := msg["result"].(map[string]any)
	if code != http.StatusOK || result == nil || result["protocolVersion"] == nil {
		t.Fatalf("initialize: HTTP %d, %v", code, msg)
	}
	if info, _ := result["serverInfo"].(map[string]any); info["name"] != "loadgen" {
		t.Errorf("serverInfo: %v", result["serverInfo"])
	}

	code, msg = lambdaCall(t, h, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	result, _ = msg["result"].(map[string]any)
	tools, _ := result["tools"].([]any)
	names := map[string]bool{}
	for _, tl := range tools {
		names[fmt.Sprint(tl.(map[string]any)["name"])] = true
	}
	for _, want := range []string{"analyze_architecture", "generate_test_scenarios", "generate_test_plans", "execute_performance_test",
		"get_test_status", "get_test_artifacts", "analyze_test_results"} {
		if !names[want] {
			t.Errorf("tools/list (HTTP %d) lacks %s: %v", code, want, names)
		}
	}

	call := func(id int, name string, args string) map[string]any {
		_, msg := lambdaCall(t, h, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":%q,"arguments":%s}}`, id, name, args))
		result, _ := msg["result"].(map[string]any)
		if result == nil {
			t.Fatalf("tools/call %s: %v", name, msg)
		}
		return result
	}
	res := call(3, "get_test_artifacts", `{}`)
	sc, _ := res["structuredContent"].(map[string]any)
	if res["isError"] == true || fmt.Sprint(sc["sessions"]) != "[demo-001]" {
		t.Errorf("get_test_artifacts through Lambda: %v", res)
	}
	res = call(4, "execute_performance_test", `{"session_id":"demo-001"}`)
	if res["isError"] != true || !strings.Contains(fmt.Sprint(res["content"]), "stateless") {
		t.Errorf("a local run on Lambda must be refused as stateless: %v", res)
	}
	res = call(6, "execute_performance_test", `{"session_id":"demo-001","execution_environment":{"backend":"ecs","workers":4}}`)
	if res["isError"] != true || !strings.Contains(fmt.Sprint(res["content"]), "stateless") {
		t.Errorf("an ECS run cannot be coordinated from Lambda: %v", res)
	}
	res = call(5, "get_test_status", `{"session_id":"../../etc"}`)
	if res["isError"] != true || !strings.Contains(fmt.Sprint(res["content"]), "session_id") {
		t.Errorf("bad session id through Lambda: %v", res)
	}
}
