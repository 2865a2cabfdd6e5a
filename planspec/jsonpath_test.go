package planspec

import (
	"encoding/json"
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

// evalDoc is the document TestEvalJSONPath queries.
const evalDoc = `{
  "token": "t-1",
  "a": {"b": 42, "c": [1, 2]},
  "items": [{"id": 7}, {"id": 8, "b": "second"}, {"b": "third"}],
  "odd key": {"x.y": true},
  "n": null,
  "empty": [],
  "byKey": {"z": {"v": 1}, "m": {"w": 2}, "k": {"v": 3}},
  "nested": [[{"v": 1}], [{"w": 2}, {"v": 3}]]
}`

func TestEvalJSONPath(t *testing.T) {
	var doc any
	if err := json.Unmarshal([]byte(evalDoc), &doc); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want any // notFound: no match
	}{
		{"$.token", "t-1"},
		{"$.a.b", 42.0},
		{"$.a.c[1]", 2.0},
		{"$.a.c[2]", notFound},
		{"$.items[0].id", 7.0},
		{"$.items[1].b", "second"},
		{"$.items[*].b", "second"}, // the first element lacks b
		{"$.items[*].id", 7.0},
		{"$.items[*]", map[string]any{"id": 7.0}},
		{"$.items[3]", notFound},
		{"$.items[99].id", notFound},
		{"$['odd key']['x.y']", true},
		{`$["odd key"]`, map[string]any{"x.y": true}},
		{"$.n", nil},
		{"$.n.x", notFound},
		{"$.empty[*]", notFound},
		{"$.empty[0]", notFound},
		{"$.missing", notFound},
		{"$.token.x", notFound},
		{"$.token[0]", notFound},
		{"$.a[0]", notFound},
		{"$.items.id", notFound},
		{"$.byKey.*.v", 3.0}, // members in sorted key order: k, m, z
		{"$.byKey[*].w", 2.0},
		{"$.nested[*][*].v", 1.0},
		{"$.nested[*][1].v", 3.0},
		{"$.nested[*][*].w", 2.0},
		{"$[0]", notFound},
	} {
		segs, err := ParseJSONPath(tc.path)
		if err != nil {
			t.Fatalf("ParseJSONPath(%q): %v", tc.path, err)
		}
		got, ok := EvalJSONPath(doc, segs)
		if tc.want == notFound {
			if ok {
				t.Errorf("EvalJSONPath(%s) = %v; want no match", tc.path, got)
			}
			continue
		}
		if !ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("EvalJSONPath(%s) = %#v, %v; want %#v", tc.path, got, ok, tc.want)
		}
	}
	// $ alone is the document, whatever it is.
	for _, d := range []any{doc, "s", nil, []any{}} {
		if got, ok := EvalJSONPath(d, nil); !ok || !reflect.DeepEqual(got, d) {
			t.Errorf("EvalJSONPath(%v, $) = %v, %v", d, got, ok)
		}
	}
	// json.Number documents (Decoder.UseNumber).
	dec := json.NewDecoder(strings.NewReader(`{"a": [{"n": 12345678901234567890}]}`))
	dec.UseNumber()
	var numDoc any
	if err := dec.Decode(&numDoc); err != nil {
		t.Fatal(err)
	}
	segs, _ := ParseJSONPath("$.a[*].n")
	if got, ok := EvalJSONPath(numDoc, segs); !ok || got != json.Number("12345678901234567890") || JSONValueString(got) != "12345678901234567890" {
		t.Errorf("json.Number: %#v, %v", got, ok)
	}
}

// notFound marks a path that must not match.
var notFound any = struct{ notFound bool }{true}

func TestJSONValueString(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{
		{"plain", "plain"},
		{"", ""},
		{"<&>", "<&>"},
		{42.0, "42"},
		{-7.0, "-7"},
		{0.0, "0"},
		{1.5, "1.5"},
		{-0.25, "-0.25"},
		{1e21, "1000000000000000000000"},
		{12345678901.0, "12345678901"},
		{0.1, "0.1"},
		{1e-7, "1e-7"},
		{1.5e-10, "1.5e-10"},
		{json.Number("1e3"), "1e3"},
		{json.Number("007"), "007"},
		{true, "true"},
		{false, "false"},
		{nil, ""},
		{map[string]any{"b": 1.0, "a": []any{"x", nil, true}}, `{"a":["x",null,true],"b":1}`},
		{[]any{}, "[]"},
		{map[string]any{}, "{}"},
		{map[string]any{"h": "<b>&"}, `{"h":"<b>&"}`},
		{int64(9), "9"},
	} {
		if got := JSONValueString(tc.in); got != tc.want {
			t.Errorf("JSONValueString(%#v) = %q; want %q", tc.in, got, tc.want)
		}
	}
	// Values read by encoding/json.
	for _, tc := range []struct{ in, want string }{
		{`42`, "42"}, {`42.0`, "42"}, {`1.50`, "1.5"}, {`1e2`, "100"}, {`"s"`, "s"}, {`null`, ""},
		{`{"z": 1, "a": {"k": [1.5, "v"]}}`, `{"a":{"k":[1.5,"v"]},"z":1}`},
	} {
		var v any
		if err := json.Unmarshal([]byte(tc.in), &v); err != nil {
			t.Fatal(err)
		}
		if got := JSONValueString(v); got != tc.want {
			t.Errorf("JSONValueString(%s) = %q; want %q", tc.in, got, tc.want)
		}
	}
}
