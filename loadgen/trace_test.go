package loadgen

import (
	"net/url"
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"http://127.0.0.1:8080/api/products?page=2", "http://127.0.0.1:8080/api/products?page=2"},
		{"http://user:pw@127.0.0.1/x", "http://REDACTED:REDACTED@127.0.0.1/x"},
		{"http://h/x?token=abc&page=1", "http://h/x?token=REDACTED&page=1"},
		{"http://h/x?X-Amz-Signature=s&X-Amz-Credential=c&a=b", "http://h/x?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&a=b"},
		{"http://h/x?API_KEY=1&apikey", "http://h/x?API_KEY=REDACTED&apikey"},
		{"http://h/x?%74oken=1", "http://h/x?%74oken=REDACTED"},
		{"http://h/%zz", "REDACTED"},
	} {
		if got := redactURL(tc.in); got != tc.want {
			t.Errorf("redactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzRedactURL: no panic, and a token's value never survives redaction.
func FuzzRedactURL(f *testing.F) {
	f.Add("http://h/x?a=b", "s3cr3tvalue")
	f.Add("http://u:p@h/", "zzzzzzzz")
	f.Fuzz(func(t *testing.T, u, secret string) {
		_ = redactURL(u)
		if len(secret) < 8 || strings.ContainsAny(secret, "&#%+= ") || strings.Contains(u, secret) {
			return
		}
		in := strings.Split(u, "#")[0]
		sep := "?"
		if strings.Contains(in, "?") {
			sep = "&"
		}
		out := redactURL(in + sep + "token=" + url.QueryEscape(secret))
		if strings.Contains(out, secret) || strings.Contains(out, url.QueryEscape(secret)) {
			t.Fatalf("redactURL kept the token: %q", out)
		}
	})
}
