package planspec

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseJSONPath(t *testing.T) {
	key := func(k string) PathSegment { return PathSegment{Key: k, Index: -1} }
	idx := func(i int) PathSegment { return PathSegment{Index: i} }
	star := PathSegment{Index: -1, Wildcard: true}
	for _, tc := range []struct {
		in   string
		want []PathSegment
	}{
		{"$", nil},
		{"$.token", []PathSegment{key("token")}},
		{"$.a.b", []PathSegment{key("a"), key("b")}},
		{"$.a[0].b", []PathSegment{key("a"), idx(0), key("b")}},
		{"$.a[*].b", []PathSegment{key("a"), star, key("b")}},
		{"$.a.*", []PathSegment{key("a"), star}},
		{"$[12]", []PathSegment{idx(12)}},
		{"$['a b'].c", []PathSegment{key("a b"), key("c")}},
		{`$["x.y"]["it's"]`, []PathSegment{key("x.y"), key("it's")}},
		{`$['a\'b']`, []PathSegment{key("a'b")}},
		{"$.user-id", []PathSegment{key("user-id")}},
	} {
		got, err := ParseJSONPath(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseJSONPath(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, msg string }{
		{"", "must start with $"},
		{"a.b", "must start with $"},
		{"$.", "empty member name"},
		{"$..a", "empty member name"},
		{"$.a b", "needs bracket quotes"},
		{"$[", "missing ]"},
		{"$[-1]", "is not an array index"},
		{"$[a]", "is not an array index"},
		{"$['a]", "unterminated quoted member"},
		{"$x", `unexpected "x"`},
		{"$.a[?(@.b)]", "is not an array index"},
	} {
		_, err := ParseJSONPath(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("ParseJSONPath(%q) error = %v; want it to contain %q", tc.in, err, tc.msg)
		}
	}
}
