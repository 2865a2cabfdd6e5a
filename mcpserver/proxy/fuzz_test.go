package proxy

import (
	"net"
	"strings"
	"testing"
)

// FuzzCheckURL: no panic; an accepted URL is https, or http to a
// loopback host; a region is found only in a lambda-url host.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://abc.lambda-url.eu-west-1.on.aws/", "http://127.0.0.1:8765/mcp", "http://[::1]/",
		"http://10.0.0.1/", "ftp://x", "https://", "::", "https://a.lambda-url..on.aws"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := CheckURL(raw)
		if err != nil {
			return
		}
		switch u.Scheme {
		case "https":
		case "http":
			ip := net.ParseIP(u.Hostname())
			if u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
				t.Fatalf("accepted plain http to %q", u.Hostname())
			}
		default:
			t.Fatalf("accepted scheme %q", u.Scheme)
		}
		if r := RegionOf(u); r != "" && !strings.Contains(u.Hostname(), ".lambda-url."+r+".on.aws") {
			t.Fatalf("region %q from host %q", r, u.Hostname())
		}
	})
}
