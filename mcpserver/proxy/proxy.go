// Package proxy relays an MCP client on one transport to an MCP server on
// another, message by message: `loadgen mcp-proxy` connects a stdio
// client (Claude Desktop, an IDE) to the MCP Lambda's function URL, whose
// AWS_IAM auth needs every request signed with SigV4 (SignedClient).
package proxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Relay copies messages between a client-facing transport (local, e.g.
// stdio) and a server-facing one (remote, e.g. streamable HTTP) until the
// local side ends (nil), ctx ends, or either side fails.
func Relay(ctx context.Context, local, remote mcp.Transport) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lc, err := local.Connect(ctx)
	if err != nil {
		return fmt.Errorf("local transport: %w", err)
	}
	defer lc.Close()
	rc, err := remote.Connect(ctx)
	if err != nil {
		return fmt.Errorf("remote transport: %w", err)
	}
	defer rc.Close()

	errc := make(chan error, 2)
	pump := func(from, to mcp.Connection, side string) {
		for {
			msg, err := from.Read(ctx)
			if err != nil {
				if side == "client" && (errors.Is(err, io.EOF) || errors.Is(err, mcp.ErrConnectionClosed)) {
					errc <- nil // the client is done
				} else {
					errc <- fmt.Errorf("read from %s: %w", side, err)
				}
				return
			}
			if err := to.Write(ctx, msg); err != nil {
				errc <- fmt.Errorf("write to %s: %w", other(side), err)
				return
			}
		}
	}
	go pump(lc, rc, "client")
	go pump(rc, lc, "server")
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func other(side string) string {
	if side == "client" {
		return "server"
	}
	return "client"
}

// SignedClient returns an HTTP client that signs every request with
// SigV4 for service (e.g. "lambda" for function URLs) in region, with
// credentials from creds (the SDK's default chain: environment, profile,
// SSO, instance role…), timing out each request after timeout (0: none).
func SignedClient(creds aws.CredentialsProvider, service, region string, timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &signingTransport{
			base:    http.DefaultTransport,
			creds:   creds,
			signer:  v4.NewSigner(),
			service: service,
			region:  region,
		},
	}
}

type signingTransport struct {
	base    http.RoundTripper
	creds   aws.CredentialsProvider
	signer  *v4.Signer
	service string
	region  string
}

func (t *signingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("sigv4: read request body: %w", err)
		}
	}
	creds, err := t.creds.Retrieve(req.Context())
	if err != nil {
		return nil, fmt.Errorf("sigv4: AWS credentials: %w", err)
	}
	// RoundTrip must not modify the caller's request.
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	// Function URLs want the payload hash in this header as well.
	r.Header.Set("X-Amz-Content-Sha256", hash)
	if err := t.signer.SignHTTP(r.Context(), creds, r, hash, t.service, t.region, time.Now()); err != nil {
		return nil, fmt.Errorf("sigv4: sign: %w", err)
	}
	return t.base.RoundTrip(r)
}

// CheckURL checks a server URL: https, or http on a loopback host only
// (a local server in development and tests).
func CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("url %q: %w", raw, err)
	}
	switch u.Scheme {
	case "https":
	case "http":
		host := u.Hostname()
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, fmt.Errorf("url %q: plain http only to a loopback host; use https", raw)
		}
	default:
		return nil, fmt.Errorf("url %q: want an https:// URL", raw)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("url %q: no host", raw)
	}
	return u, nil
}

// RegionOf is the AWS region in a Lambda function URL's host
// (<id>.lambda-url.<region>.on.aws), or "".
func RegionOf(u *url.URL) string {
	parts := strings.Split(u.Hostname(), ".")
	for i, p := range parts {
		if p == "lambda-url" && i >= 1 && i+3 == len(parts)-1 && parts[i+1] != "" && parts[i+2] == "on" && parts[i+3] == "aws" {
			return parts[i+1]
		}
	}
	return ""
}
