package planspec

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics and that every failure is an
// ErrorList of positioned errors.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, tc := range badPlans {
		f.Add([]byte(tc.src))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Parse(src, "fuzz.yaml", Options{Dir: "testdata", LookupEnv: env})
		if err == nil {
			if p == nil {
				t.Fatal("nil plan and nil error")
			}
			p.AllSteps()
			return
		}
		if p != nil {
			t.Fatal("plan and error both returned")
		}
		var list ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("error %T %v is not a non-empty ErrorList", err, err)
		}
		for _, e := range list {
			if e.Line < 1 || e.Col < 1 || e.Msg == "" {
				t.Fatalf("error without a position or message: %#v", e)
			}
		}
	})
}

// FuzzParseTemplate checks that ParseTemplate never panics and that String
// re-serialises every template it accepts: parsing the result gives the
// same parts, and re-serialising that gives the same text.
func FuzzParseTemplate(f *testing.F) {
	for _, s := range []string{
		"", "plain", "Bearer ${token}", "$${x}", "$$${x}", "$${", "${", "${}", "${ x }", "a}b${c}d",
		"${env.HOME}", "${env.R:-eu-west-1}", "${env.R:-}", "${env.R:-a:-b}", "${env}",
		"${users.name}", "${users.a b.c}", "${users.}", "${data.x$${y}",
		"${__vu}${__iter}${__uuid}${__timestamp}", "${__randInt(-5, 10)}", "${__randInt(3,2)}", "${__randInt(+1,0x2)}",
		"/api/products?page=${page}&u=${users.name}", "$", "$$", "${${x}}", "\xff${x}\xfe",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tmpl, err := ParseTemplate(s, isUsers)
		if err != nil {
			if tmpl != nil {
				t.Fatal("template and error both returned")
			}
			return
		}
		if tmpl.Src != s {
			t.Fatalf("Src = %q; want %q", tmpl.Src, s)
		}
		for i, p := range tmpl.Parts {
			if p.Kind == PartLiteral && p.Lit == "" {
				t.Fatalf("empty literal part %d in %q", i, s)
			}
			if i > 0 && p.Kind == PartLiteral && tmpl.Parts[i-1].Kind == PartLiteral {
				t.Fatalf("adjacent literal parts in %q", s)
			}
		}
		out := tmpl.String()
		again, err := ParseTemplate(out, isUsers)
		if err != nil {
			t.Fatalf("ParseTemplate(%q) = %+v; its String %q does not parse: %v", s, tmpl.Parts, out, err)
		}
		if !reflect.DeepEqual(again.Parts, tmpl.Parts) {
			t.Fatalf("ParseTemplate(%q) = %+v\nString %q parses to %+v", s, tmpl.Parts, out, again.Parts)
		}
		if out2 := again.String(); out2 != out {
			t.Fatalf("String is not stable: %q, then %q", out, out2)
		}
	})
}

// fuzzDocs are the fixed documents FuzzJSONPath evaluates paths on.
var fuzzDocs = []string{
	`null`, `0`, `"s"`, `[]`, `{}`, `true`,
	`{"a": {"b": [1, {"c": "x"}, [2, 3]]}, "a b": null, "": {"": 1}}`,
	`[[[[1]]], {"x": [{"y": [{"z": 0}]}]}, -1.5e300]`,
	evalDoc,
}

// FuzzJSONPath checks that ParseJSONPath never panics, and that for valid
// paths EvalJSONPath never panics on fixed documents and on fuzzed JSON.
func FuzzJSONPath(f *testing.F) {
	for _, p := range []string{"$", "$.a", "$.a.b[1].c", "$.a.b[*][1]", "$['a b']", `$[""][""]`, "$.*.*", "$[*]", "$[0][0][0][0]", "$.x[*].y[*].z", "$[99999999999999999999]", "$['a\\'b']", "$..a", "$.a[-1]", "$[ 1 ]"} {
		f.Add(p, `{"a": [1, {"b": 2}]}`)
	}
	for _, d := range fuzzDocs {
		f.Add("$.a[*].b", d)
	}
	docs := make([]any, len(fuzzDocs))
	for i, d := range fuzzDocs {
		if err := json.Unmarshal([]byte(d), &docs[i]); err != nil {
			f.Fatalf("fuzz doc %d: %v", i, err)
		}
	}
	f.Fuzz(func(t *testing.T, path, doc string) {
		segs, err := ParseJSONPath(path)
		if err != nil {
			if segs != nil {
				t.Fatal("segments and error both returned")
			}
			return
		}
		for _, s := range segs {
			if s.Wildcard && s.Index != -1 || !s.Wildcard && s.Index < -1 {
				t.Fatalf("ParseJSONPath(%q): bad segment %+v", path, s)
			}
		}
		for _, d := range docs {
			if v, ok := EvalJSONPath(d, segs); ok {
				_ = JSONValueString(v)
			}
		}
		var fuzzed any
		if json.Unmarshal([]byte(doc), &fuzzed) == nil {
			if v, ok := EvalJSONPath(fuzzed, segs); ok {
				_ = JSONValueString(v)
			}
		}
		dec := json.NewDecoder(strings.NewReader(doc))
		dec.UseNumber()
		if dec.Decode(&fuzzed) == nil {
			if v, ok := EvalJSONPath(fuzzed, segs); ok {
				_ = JSONValueString(v)
			}
		}
	})
}
