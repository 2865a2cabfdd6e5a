package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/loadgen/loadgen/mcpserver"
	"github.com/loadgen/loadgen/mcpserver/store"
)

func TestMCPProxyUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"mcp-proxy"}, "one of --url or --stack"},
		{[]string{"mcp-proxy", "--url", "https://x.lambda-url.eu-west-1.on.aws/", "--stack", "S"}, "one of --url or --stack"},
		{[]string{"mcp-proxy", "--url", "http://10.1.2.3/mcp", "--region", "eu-west-1"}, "plain http only to a loopback host"},
		{[]string{"mcp-proxy", "--url", "ftp://x/", "--region", "eu-west-1"}, "want an https:// URL"},
	} {
		code, _, stderr := cli(t, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, exitUsage, tc.want)
		}
	}
}

// TestMCPProxyStdio drives `loadgen mcp-proxy` as an MCP client would
// (stdio, through the Go SDK's CommandTransport) against the real MCP
// server on 127.0.0.1, with static credentials in the environment; the
// server checks that each request carries a SigV4 authorization for the
// lambda service in the region and the payload's hash (the signature
// itself is verified in mcpserver/proxy's tests).
func TestMCPProxyStdio(t *testing.T) {
	st, err := store.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := mcpserver.New(mcpserver.Config{Store: st, Stateless: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var signed, unsigned atomic.Int64
	h := srv.HTTPHandler(mcpserver.HTTPOptions{Stateless: true})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sum := sha256.Sum256(body)
		auth := r.Header.Get("Authorization")
		if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDPROXYTEST/") || !strings.Contains(auth, "/eu-west-1/lambda/aws4_request") ||
			r.Header.Get("X-Amz-Content-Sha256") != hex.EncodeToString(sum[:]) {
			unsigned.Add(1)
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		signed.Add(1)
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
	}))
	defer hs.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.Command(binary, "mcp-proxy", "--url", hs.URL+"/mcp", "--region", "eu-west-1")
	cmd.Env = []string{
		"AWS_ACCESS_KEY_ID=AKIDPROXYTEST", "AWS_SECRET_ACCESS_KEY=secret",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true",
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	c := mcp.NewClient(&mcp.Implementation{Name: "proxy-cli-test", Version: "1"}, nil)
	cs, err := c.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connect through mcp-proxy: %v\n%s", err, stderr.String())
	}
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatalf("tools/list: %v\n%s", err, stderr.String())
	}
	if len(tools.Tools) < 8 {
		t.Errorf("%d tools through the proxy", len(tools.Tools))
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "get_test_artifacts", Arguments: map[string]any{}})
	if err != nil || res.IsError {
		t.Errorf("get_test_artifacts: %v %+v", err, res)
	}
	if err := cs.Close(); err != nil {
		t.Logf("close: %v", err)
	}
	if signed.Load() < 3 || unsigned.Load() != 0 {
		t.Errorf("signed %d, unsigned %d requests; stderr:\n%s", signed.Load(), unsigned.Load(), stderr.String())
	}
}
