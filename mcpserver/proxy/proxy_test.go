package proxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/loadgen/loadgen/mcpserver"
	"github.com/loadgen/loadgen/mcpserver/store"
)

const (
	testKey    = "AKIDEXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testRegion = "eu-west-1"
)

// verifySigV4 stands in for the function URL's AWS_IAM check (the one part
// of the Lambda that cannot run here): it recomputes the SigV4 signature
// of each request over the headers the request says it signed, with the
// SDK's signer and the known secret, and answers 403 on any mismatch, as
// the function URL does.
func verifySigV4(secret string, signed *atomic.Int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		deny := func(why string) {
			http.Error(w, `{"Message":"Forbidden: `+why+`"}`, http.StatusForbidden)
		}
		fields := map[string]string{}
		rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
		if !ok {
			deny("no SigV4 authorization")
			return
		}
		for _, f := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
			fields[k] = v
		}
		scope := strings.Split(fields["Credential"], "/")
		if len(scope) != 5 || scope[2] != testRegion || scope[3] != "lambda" || scope[4] != "aws4_request" {
			deny("credential scope " + fields["Credential"])
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			deny("body")
			return
		}
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])
		if r.Header.Get("X-Amz-Content-Sha256") != hash {
			deny("payload hash")
			return
		}
		when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
		if err != nil || time.Since(when).Abs() > 5*time.Minute {
			deny("date")
			return
		}
		// The request as the client signed it: only the signed headers.
		u := *r.URL
		u.Scheme, u.Host = "http", r.Host
		check, _ := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(body))
		for _, h := range strings.Split(fields["SignedHeaders"], ";") {
			if h != "host" {
				check.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
			}
		}
		check.Header.Del("Authorization")
		creds := aws.Credentials{AccessKeyID: scope[0], SecretAccessKey: secret}
		if err := v4.NewSigner().SignHTTP(r.Context(), creds, check, hash, "lambda", testRegion, when); err != nil {
			deny(err.Error())
			return
		}
		if subtle.ConstantTimeCompare([]byte(check.Header.Get("Authorization")), []byte(auth)) != 1 {
			deny("signature mismatch")
			return
		}
		signed.Add(1)
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// startServer serves the real MCP server (stateless, as on Lambda) behind
// the SigV4 check on 127.0.0.1.
func startServer(t *testing.T, signed *atomic.Int64) string {
	t.Helper()
	st, err := store.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := mcpserver.New(mcpserver.Config{Store: st, Stateless: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	mux := http.NewServeMux()
	mux.Handle("/mcp", srv.HTTPHandler(mcpserver.HTTPOptions{Stateless: true}))
	hs := httptest.NewServer(verifySigV4(testSecret, signed, mux))
	t.Cleanup(hs.Close)
	return hs.URL + "/mcp"
}

// connect relays an in-memory client through Relay to endpoint with the
// given secret and returns the client session and the relay's result.
func connect(t *testing.T, ctx context.Context, endpoint, secret string) (*mcp.ClientSession, <-chan error, error) {
	t.Helper()
	clientSide, proxySide := mcp.NewInMemoryTransports()
	remote := &mcp.StreamableClientTransport{
		Endpoint:   endpoint,
		HTTPClient: SignedClient(credentials.NewStaticCredentialsProvider(testKey, secret, ""), "lambda", testRegion, 30*time.Second),
		MaxRetries: -1,
	}
	relayed := make(chan error, 1)
	go func() { relayed <- Relay(ctx, proxySide, remote) }()
	c := mcp.NewClient(&mcp.Implementation{Name: "proxy-test", Version: "1"}, nil)
	cs, err := c.Connect(ctx, clientSide, nil)
	return cs, relayed, err
}

func TestRelaySignsEveryRequest(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var signed atomic.Int64
	endpoint := startServer(t, &signed)
	cs, relayed, err := connect(t, ctx, endpoint, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
	}
	for _, want := range []string{"analyze_architecture", "execute_performance_test", "get_test_artifacts"} {
		if !slices.Contains(names, want) {
			t.Errorf("tools %v lack %s", names, want)
		}
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "get_test_artifacts", Arguments: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	if res.IsError {
		t.Errorf("get_test_artifacts through the proxy: %+v", res.Content)
	}
	// A tool error crosses the proxy as a tool error.
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "get_test_status", Arguments: map[string]any{"session_id": "../etc"}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.IsError {
		t.Error("get_test_status with an invalid session id: no tool error through the proxy")
	}
	// At least initialize, tools/list and the two tools/call.
	if n := signed.Load(); n < 4 {
		t.Errorf("%d signed requests reached the server, want at least 4", n)
	}
	cs.Close()
	select {
	case err := <-relayed:
		if err != nil {
			t.Errorf("relay after the client closed: %v", err)
		}
	case <-ctx.Done():
		t.Error("relay did not end after the client closed")
	}
}

func TestRelayWrongSecret(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var signed atomic.Int64
	endpoint := startServer(t, &signed)
	cs, relayed, err := connect(t, ctx, endpoint, "not-the-secret")
	if err == nil {
		cs.Close()
		t.Fatal("connected with a wrong secret")
	}
	if signed.Load() != 0 {
		t.Errorf("%d requests passed the signature check", signed.Load())
	}
	select {
	case err := <-relayed:
		if err == nil || !strings.Contains(err.Error(), "403") && !strings.Contains(err.Error(), "Forbidden") {
			t.Errorf("relay error = %v, want the 403", err)
		}
	case <-ctx.Done():
		t.Error("relay did not end on the 403")
	}
}

func TestCheckURLAndRegion(t *testing.T) {
	for _, tc := range []struct {
		url    string
		ok     bool
		region string
	}{
		{"https://abc123.lambda-url.eu-west-1.on.aws/", true, "eu-west-1"},
		{"https://abc123.lambda-url.us-east-2.on.aws/mcp", true, "us-east-2"},
		{"https://mcp.example.com/mcp", true, ""},
		{"http://127.0.0.1:8765/mcp", true, ""},
		{"http://[::1]:8765/mcp", true, ""},
		{"http://localhost:8765/mcp", true, ""},
		{"http://abc123.lambda-url.eu-west-1.on.aws/", false, ""},
		{"http://10.0.0.5/mcp", false, ""},
		{"ftp://host/", false, ""},
		{"https://", false, ""},
		{"::not a url", false, ""},
	} {
		u, err := CheckURL(tc.url)
		if (err == nil) != tc.ok {
			t.Errorf("CheckURL(%q) error = %v, want ok=%t", tc.url, err, tc.ok)
			continue
		}
		if err == nil {
			if got := RegionOf(u); got != tc.region {
				t.Errorf("RegionOf(%q) = %q, want %q", tc.url, got, tc.region)
			}
		}
	}
	// The region parser never invents one from look-alike hosts.
	u, _ := url.Parse("https://lambda-url.on.aws.example.com/")
	if r := RegionOf(u); r != "" {
		t.Errorf("RegionOf(look-alike) = %q", r)
	}
}
