package planspec

import (
	"fmt"
	"strconv"
	"strings"
)

// PathSegment is one step of a JSONPath in the subset extractors accept.
type PathSegment struct {
	Key      string // object member, when Index < 0 and !Wildcard
	Index    int    // array index, or -1
	Wildcard bool   // [*]: every array element (or object member); the first match wins
}

// ParseJSONPath parses the JSONPath subset of `extract: {json: ...}`:
// "$" followed by members (.name or ['name'] / ["name"]), array indexes
// ([0]) and wildcards ([*] or .*), e.g. $.items[0].id, $.a[*].b,
// $['odd key'].x. "$" alone selects the whole document.
func ParseJSONPath(path string) ([]PathSegment, error) {
	bad := func(format string, args ...any) ([]PathSegment, error) {
		return nil, fmt.Errorf("invalid JSONPath %q: %s (supported: $.a.b, $.a[0].b, $.a[*].b, $['a b'])", path, fmt.Sprintf(format, args...))
	}
	if !strings.HasPrefix(path, "$") {
		return bad("it must start with $")
	}
	s := path[1:]
	var segs []PathSegment
	for s != "" {
		switch s[0] {
		case '.':
			s = s[1:]
			if strings.HasPrefix(s, "*") {
				segs = append(segs, PathSegment{Index: -1, Wildcard: true})
				s = s[1:]
				continue
			}
			n := strings.IndexAny(s, ".[")
			if n < 0 {
				n = len(s)
			}
			name := s[:n]
			if name == "" {
				return bad("empty member name")
			}
			if strings.ContainsAny(name, " \t]'\"()*?@$") {
				return bad("member name %q needs bracket quotes, as in ['%s']", name, name)
			}
			segs = append(segs, PathSegment{Key: name, Index: -1})
			s = s[n:]
		case '[':
			if len(s) > 1 && (s[1] == '\'' || s[1] == '"') {
				q := s[1]
				key, rest, ok := unquoteBracket(s[2:], q)
				if !ok || !strings.HasPrefix(rest, "]") {
					return bad("unterminated quoted member")
				}
				segs = append(segs, PathSegment{Key: key, Index: -1})
				s = rest[1:]
				continue
			}
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return bad("missing ]")
			}
			inner := strings.TrimSpace(s[1:end])
			switch {
			case inner == "*":
				segs = append(segs, PathSegment{Index: -1, Wildcard: true})
			default:
				i, err := strconv.Atoi(inner)
				if err != nil || i < 0 {
					return bad("[%s] is not an array index (use [0], [*] or ['name'])", inner)
				}
				segs = append(segs, PathSegment{Index: i})
			}
			s = s[end+1:]
		default:
			return bad("unexpected %q", s[:1])
		}
	}
	return segs, nil
}

// unquoteBracket reads a quoted member name up to the closing quote q;
// a backslash escapes the next character.
func unquoteBracket(s string, q byte) (key, rest string, ok bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case q:
			return b.String(), s[i+1:], true
		default:
			b.WriteByte(s[i])
		}
	}
	return "", "", false
}
