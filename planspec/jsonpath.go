package planspec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
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

// EvalJSONPath applies a parsed path to a document decoded by encoding/json
// into any (map[string]any, []any, string, float64 or json.Number, bool,
// nil). Members select from objects and indexes from arrays; a wildcard
// tries every array element in order, or every object member in sorted key
// order, and the first one for which the rest of the path matches wins
// (depth first). It reports false when nothing matches: a missing member,
// an index out of range, a step into a scalar. An empty path ("$") selects
// the whole document. A JSON null that the path reaches is a match (nil,
// true).
func EvalJSONPath(doc any, segs []PathSegment) (any, bool) {
	for i, seg := range segs {
		switch {
		case seg.Wildcard:
			rest := segs[i+1:]
			switch x := doc.(type) {
			case []any:
				for _, item := range x {
					if v, ok := EvalJSONPath(item, rest); ok {
						return v, true
					}
				}
			case map[string]any:
				for _, k := range sortedKeys(x) {
					if v, ok := EvalJSONPath(x[k], rest); ok {
						return v, true
					}
				}
			}
			return nil, false
		case seg.Index >= 0:
			list, ok := doc.([]any)
			if !ok || seg.Index >= len(list) {
				return nil, false
			}
			doc = list[seg.Index]
		default:
			obj, ok := doc.(map[string]any)
			if !ok {
				return nil, false
			}
			if doc, ok = obj[seg.Key]; !ok {
				return nil, false
			}
		}
	}
	return doc, true
}

// JSONValueString is how an extracted JSON value becomes a variable: a
// string as is; a number in plain notation (float64 42 is "42", 1.5 is
// "1.5"; integral values never use an exponent, others as encoding/json
// writes them), a json.Number as written; true and false; "" for null; an
// object or array as compact JSON (keys sorted, no HTML escaping).
func JSONValueString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case json.Number:
		return x.String()
	case float64:
		return formatJSONFloat(x, 64)
	case float32:
		return formatJSONFloat(float64(x), 32)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func formatJSONFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return strconv.FormatFloat(f, 'g', -1, bits)
	case f == math.Trunc(f):
		return strconv.FormatFloat(f, 'f', -1, bits)
	}
	// encoding/json's format: plain, except for very small magnitudes.
	if abs := math.Abs(f); abs < 1e-6 {
		s := strconv.FormatFloat(f, 'e', -1, bits)
		// Clean up e-09 to e-9, as encoding/json does.
		if n := len(s); n >= 4 && s[n-4] == 'e' && s[n-3] == '-' && s[n-2] == '0' {
			s = s[:n-2] + s[n-1:]
		}
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}
