package mcpserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TokenEnv is the environment variable holding the HTTP bearer token.
const TokenEnv = "LOADGEN_MCP_TOKEN"

// MaxRequestBytes bounds one HTTP request body.
const MaxRequestBytes = 1 << 20

// HTTPOptions configure HTTPHandler.
type HTTPOptions struct {
	// Token, when set, is required as "Authorization: Bearer TOKEN" on
	// every request (compared in constant time).
	Token string
	// Stateless serves every request with a fresh session (AWS Lambda):
	// no Mcp-Session-Id, progress only on the request's own stream.
	Stateless bool
	// BehindProxy turns off the SDK's DNS-rebinding guard, which rejects
	// a non-loopback Host header on a loopback connection; set it when a
	// local reverse proxy forwards public requests.
	BehindProxy bool
}

// HTTPHandler serves MCP over streamable HTTP at every path.
func (s *Server) HTTPHandler(opts HTTPOptions) http.Handler {
	srv := s.NewMCP()
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, &mcp.StreamableHTTPOptions{
		Stateless:                  opts.Stateless,
		MaxRequestBodyBytes:        MaxRequestBytes,
		DisableLocalhostProtection: opts.BehindProxy,
		Logger:                     s.log,
	})
	if opts.Token == "" {
		return h
	}
	want := sha256.Sum256([]byte(opts.Token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(got))
		if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="loadgen"`)
			http.Error(w, "unauthorized: send Authorization: Bearer <"+TokenEnv+">", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// CheckListen refuses to serve a non-loopback address without a token.
func CheckListen(addr, token string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: want HOST:PORT such as 127.0.0.1:8765: %w", addr, err)
	}
	if token != "" {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	if a, err := netip.ParseAddr(host); err == nil && a.Unmap().IsLoopback() {
		return nil
	}
	return errors.New("listen address " + addr + ": not a loopback address, so a bearer token is required: set " + TokenEnv)
}
