package compiler

import (
	"reflect"
	"strings"
	"testing"

	"github.com/loadgen/loadgen/planspec"
)

func feeders(name string) bool { return name == "users" }

func TestJMeterString(t *testing.T) {
	scope := Scope{ThreadGroup: "shoppers", IsFeeder: feeders}
	for _, tc := range []struct{ in, want string }{
		{"/api/products", "/api/products"},
		{`C:\path,with,commas`, `C:\path,with,commas`}, // no reference: JMeter keeps the raw text
		{"/p?page=${page}", "/p?page=${page}"},
		{"${users.name}", "${users.name}"},
		{"Bearer ${token}", "Bearer ${token}"},
		{`a\b ${token}`, `a\\b ${token}`}, // JMeter unescapes \\ in strings with references
		{"$${literal}", "${__char(36)}{literal}"},
		{"${env.API_KEY}", "${__P(API_KEY,)}"},
		{"${env.REGION:-eu,west}", `${__P(REGION,eu\,west)}`},
		{"${__vu}/${__iter}", "${__threadNum}/${__jm__shoppers__idx}"},
		{"${__uuid}-${__timestamp}-${__randInt(1,100)}", "${__UUID()}-${__time()}-${__Random(1,100)}"},
	} {
		got, err := JMeterString(tc.in, scope)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("JMeterString(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if _, err := JMeterString("${unclosed", scope); err == nil {
		t.Error("want an error for a malformed template")
	}
	if got := JMeterLiteral("cost ${x} \\"); got != `cost ${__char(36)}{x} \\` {
		t.Errorf("JMeterLiteral = %q", got)
	}
}

func TestJSONBody(t *testing.T) {
	body := map[string]any{
		"user": "${users.name}", "sku": 42, "tags": []any{"a\"b", true, nil},
		"note": `back\slash ${token}`,
	}
	got, err := JSONBody(body, Scope{IsFeeder: feeders})
	if err != nil {
		t.Fatal(err)
	}
	// Keys sorted; JSON escapes inside literals doubled for JMeter, since
	// the body holds references; values JSON-escaped by Groovy at run time
	// (TestExamplesRunInJMeter proves it with the quotes in users.csv).
	want := `{"note":"back\\\\slash ${__groovy(groovy.json.JsonOutput.toJson(String.valueOf(vars.get('token')))[1..-2])}",` +
		`"sku":42,"tags":["a\\"b",true,null],` +
		`"user":"${__groovy(groovy.json.JsonOutput.toJson(String.valueOf(vars.get('users.name')))[1..-2])}"}`
	if got != want {
		t.Errorf("JSONBody =\n %s\nwant\n %s", got, want)
	}
	static, err := JSONBody(map[string]any{"q": `"x"`}, Scope{})
	if err != nil || static != `{"q":"\"x\""}` {
		t.Errorf("static body %q %v", static, err)
	}
}

func TestMapCheck(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want []Assertion
	}{
		{"status == 200", []Assertion{{Kind: CodeEquals, Values: []string{"200"}, Source: "status == 200"}}},
		{"201 == status", []Assertion{{Kind: CodeEquals, Values: []string{"201"}, Source: "201 == status"}}},
		{"status != 500", []Assertion{{Kind: CodeEquals, Values: []string{"500"}, Negate: true, Source: "status != 500"}}},
		{"status in [200, 201]", []Assertion{{Kind: CodeEquals, Values: []string{"200", "201"}, Source: "status in [200, 201]"}}},
		{"not (status in [200, 201])", []Assertion{{Kind: Script, Source: "not (status in [200, 201])"}}},
		{`body contains "ok"`, []Assertion{{Kind: BodyContains, Values: []string{"ok"}, Source: `body contains "ok"`}}},
		{`not (body contains "error")`, []Assertion{{Kind: BodyContains, Values: []string{"error"}, Negate: true, Source: `not (body contains "error")`}}},
		{"duration < 500", []Assertion{{Kind: MaxDuration, MaxMS: 499, Source: "duration < 500"}}},
		{"duration <= 500", []Assertion{{Kind: MaxDuration, MaxMS: 500, Source: "duration <= 500"}}},
		{"duration < 250.5", []Assertion{{Kind: MaxDuration, MaxMS: 250, Source: "duration < 250.5"}}},
		{"json.token != \"\"", []Assertion{{Kind: Script, Source: "json.token != \"\""}}},
		{"status == 200 && len(json.items) > 0", []Assertion{
			{Kind: CodeEquals, Values: []string{"200"}, Source: "status == 200"},
			{Kind: Script, Source: "len(json.items) > 0"}}},
		{"status == 200 || status == 204", []Assertion{{Kind: Script, Source: "status == 200 || status == 204"}}},
	} {
		got := MapCheck(tc.src)
		for i := range tc.want {
			tc.want[i].Check = tc.src
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("MapCheck(%q) =\n %+v\nwant\n %+v", tc.src, got, tc.want)
		}
	}
	if got := (Assertion{Kind: CodeEquals, Values: []string{"200", "201"}}).TestType(); got != TestEquals|TestOr {
		t.Errorf("test type %d", got)
	}
	if got := (Assertion{Kind: BodyContains, Negate: true}).TestType(); got != TestSubstring|TestNot {
		t.Errorf("test type %d", got)
	}
}

func TestVarTemplatesKeepEnvReferences(t *testing.T) {
	src := []byte(`version: 1
name: secrets
target: http://127.0.0.1:1
vars:
  api_key: ${env.API_KEY}
  region: eu-${env.REGION:-west}-1
  plain: "a,b"
scenarios:
  - name: s
    executor: per-vu-iterations
    steps:
      - name: x
        request: {url: "/x?k=${api_key}"}
`)
	env := map[string]string{"API_KEY": "s3cret", "REGION": "north"}
	p, err := planspec.Parse(src, "secrets.yaml", planspec.Options{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	if p.Vars["api_key"] != "s3cret" {
		t.Fatalf("parsing resolved api_key to %q; the test assumes it resolves", p.Vars["api_key"])
	}
	got := map[string]string{}
	for k, tmpl := range VarTemplates(p) {
		got[k] = RenderTemplate(tmpl, Scope{})
	}
	want := map[string]string{"api_key": "${__P(API_KEY,)}", "region": "eu-${__P(REGION,west)}-1", "plain": "a,b"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("vars rendered %q, want %q", got, want)
	}
	for _, v := range got {
		if strings.Contains(v, "s3cret") || strings.Contains(v, "north") {
			t.Errorf("the exporting machine's environment leaked into %q", v)
		}
	}
}
