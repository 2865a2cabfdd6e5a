package loadgen

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzEscapes checks that rendered values survive the place they land in:
// a JSON string decodes back to the value, a query value unescapes back,
// a header value has no line breaks, and a URL value has no bytes a URL
// cannot hold.
func FuzzEscapes(f *testing.F) {
	for _, s := range []string{"plain", `q"uo\te`, "new\nline\r\n", "ünï 😀", "\x00\x1f\x7f", "a b&c=d#e", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if utf8.ValidString(s) {
			var got string
			if err := json.Unmarshal([]byte(`"`+string(appendEscaped(nil, s, escJSON))+`"`), &got); err != nil || got != s {
				t.Errorf("json: %q -> %q (%v)", s, got, err)
			}
		}
		if got, err := url.QueryUnescape(string(appendEscaped(nil, s, escQuery))); err != nil || got != s {
			t.Errorf("query: %q -> %q (%v)", s, got, err)
		}
		if h := string(appendEscaped(nil, s, escHeader)); strings.ContainsAny(h, "\r\n") {
			t.Errorf("header value %q keeps a line break", h)
		}
		for _, c := range []byte(string(appendEscaped(nil, s, escURL))) {
			if c <= ' ' || c >= 0x7f || strings.IndexByte(`"<>{}|\^`+"`", c) >= 0 {
				t.Errorf("url value of %q holds byte %#x", s, c)
			}
		}
	})
}
