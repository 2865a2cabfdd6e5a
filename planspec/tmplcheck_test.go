package planspec

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// templateErrors exercises every templated field. Line numbers matter.
const templateErrors = `version: 1
name: t
target: http://127.0.0.1:8080
vars: {tenant: acme, api_key: "${env.API_KEY}"}
data: {users: {file: users.csv}}
http:
  headers: {X-Tenant: "${tenant}", X-Bad: "${nope", X-Key: "${env.SECRET}"}
scenarios:
  - name: s
    executor: constant-vus
    duration: 1s
    steps:
      - name: a
        request:
          url: /a?u=${users.nmae}&t=${tenant}&v=${__vu}&x=$${literal}
          headers: {Authorization: "Bearer ${env.TOKEN}", X-Key: "${env.API_KEY}", X-Def: "${env.NOPE:-x}"}
          query: {q: "${__randInt(5,1)}", r: "${__randInt(1,5)}", e: "${env}"}
          json:
            user: "${users.name}"
            list: [ok, "${users}", 3]
            nested: {deep: "${__nope}", "odd key": "${users.pasword}", "a/b": "${ghost.x}"}
        extract: {token: {json: $.token}}
      - group: g
        steps:
          - name: b
            request: {method: POST, url: "/b/${token}", body: "${users.}"}
          - name: c
            request: {method: POST, url: "/c", form: {f: "${users.name", g: "${users.password}"}}
`

func TestTemplateErrors(t *testing.T) {
	want := []struct{ pos, ptr, msg string }{
		{"7:36", "/http/headers/X-Bad", "http.headers.X-Bad: unclosed ${ at offset 0 (write $${ for a literal ${)"},
		{"7:53", "/http/headers/X-Key", "http.headers.X-Key: environment variable SECRET is not set; set it or write ${env.SECRET:-default}"},
		{"15:11", "/scenarios/0/steps/0/request/url", `step "a": url: ${users.nmae}: data feeder "users" has no column "nmae"; did you mean "name"?`},
		{"16:21", "/scenarios/0/steps/0/request/headers/Authorization", `step "a": headers.Authorization: environment variable TOKEN is not set; set it or write ${env.TOKEN:-default}`},
		{"17:19", "/scenarios/0/steps/0/request/query/q", `step "a": query.q: ${__randInt(5,1)} at offset 0: __randInt(5,1): min is above max`},
		{"17:67", "/scenarios/0/steps/0/request/query/e", `step "a": query.e: ${env} at offset 0: write ${env.NAME} to read the environment variable NAME`},
		{"20:24", "/scenarios/0/steps/0/request/json/list/1", `step "a": json.list[1]: ${users} names data feeder "users"; write ${users.COLUMN} (columns: name, password)`},
		{"21:22", "/scenarios/0/steps/0/request/json/nested/deep", `step "a": json.nested.deep: ${__nope} at offset 0: unknown built-in "__nope" (have __vu, __iter, __uuid, __timestamp, __randInt(min,max))`},
		{"21:41", "/scenarios/0/steps/0/request/json/nested/odd key", `step "a": json.nested["odd key"]: ${users.pasword}: data feeder "users" has no column "pasword"; did you mean "password"?`},
		{"21:72", "/scenarios/0/steps/0/request/json/nested/a~1b", `step "a": json.nested["a/b"]: ${ghost.x} at offset 0: "ghost" is not a feeder (declare it under data:)`},
		{"26:57", "/scenarios/0/steps/1/steps/0/request/body", `step "b": body: ${users.} at offset 0: missing column after "users."`},
		{"28:55", "/scenarios/0/steps/1/steps/1/request/form/f", `step "c": form.f: unclosed ${ at offset 0 (write $${ for a literal ${)`},
	}
	_, err := Parse([]byte(templateErrors), "plan.yaml", testOpts)
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error = %v", err)
	}
	for i, e := range list {
		if i >= len(want) {
			t.Errorf("unexpected error %s", e)
			continue
		}
		w := want[i]
		if got := fmt.Sprintf("%d:%d", e.Line, e.Col); got != w.pos || e.Pointer != w.ptr || e.Msg != w.msg {
			t.Errorf("error %d = %s: %s [%s]\nwant      %s: %s [%s]", i, got, e.Msg, e.Pointer, w.pos, w.msg, w.ptr)
		}
	}
	for _, w := range want[min(len(list), len(want)):] {
		t.Errorf("missing error %s: %s", w.pos, w.msg)
	}
	// A template error wraps the parse error.
	if list[0].Err == nil {
		t.Error("template parse error has no cause")
	}
}

// templateWarnings is a valid plan whose templates name undefined
// variables. Line numbers matter.
const templateWarnings = `version: 1
name: t
target: http://127.0.0.1:8080
vars: {tenant: acme, api_key: "${env.API_KEY}"}
http:
  headers: {X-Sid: "${sid}", X-Who: "${who}"}
scenarios:
  - name: s
    executor: constant-vus
    duration: 1s
    steps:
      - name: b
        request: {url: "/b/${tokn}?t=${tenant}", headers: {Authorization: "Bearer ${token}"}}
      - group: g
        steps:
          - name: a
            request: {url: /a, json: {x: ["${sid}", "${tenat}"]}}
            extract: {token: {json: $.token}, sid: {header: X-Sid}}
  - name: other
    executor: constant-vus
    duration: 1s
    steps:
      - name: c
        request: {url: "/c/${token}"}
`

func TestTemplateWarnings(t *testing.T) {
	p, err := Parse([]byte(templateWarnings), "plan.yaml", testOpts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`plan.yaml:6:30: http.headers.X-Who: undefined variable "who" (plan vars: api_key, tenant; extracted in any scenario: sid, token)`,
		`plan.yaml:13:19: step "b": url: undefined variable "tokn" (plan vars: api_key, tenant; extracted in scenario "s": sid, token); did you mean "token"?`,
		`plan.yaml:17:53: step "a": json.x[1]: undefined variable "tenat" (plan vars: api_key, tenant; extracted in scenario "s": sid, token); did you mean "tenant"?`,
		`plan.yaml:24:19: step "c": url: undefined variable "token" (plan vars: api_key, tenant; nothing extracted in scenario "other")`,
	}
	var got []string
	for _, w := range p.Warnings {
		got = append(got, w.Error())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warnings:\n%q\nwant\n%q", got, want)
	}
	if p.Warnings[1].Pointer != "/scenarios/0/steps/0/request/url" {
		t.Errorf("Pointer = %q", p.Warnings[1].Pointer)
	}

	// No plan vars and nothing extracted anywhere.
	p, err = Parse([]byte(head+"  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n      - name: a\n        request: {url: \"/${x}\"}\n"), "plan.yaml", testOpts)
	if err != nil || len(p.Warnings) != 1 || p.Warnings[0].Msg != `step "a": url: undefined variable "x" (no plan vars; nothing extracted in scenario "s")` {
		t.Errorf("warnings = %v, %v", p.Warnings, err)
	}

	// The contract's own example: ${page} is undefined, a warning only.
	p = parseExample(t)
	if len(p.Warnings) != 1 || p.Warnings[0].Line != 34 || p.Warnings[0].Col != 11 ||
		p.Warnings[0].Msg != `step "list products": url: undefined variable "page" (plan vars: api_key, region, tenant; extracted in scenario "browse": loc, sid, token)` {
		t.Errorf("example warnings = %v", p.Warnings)
	}

	// A plan without problems has no warnings.
	p, err = Parse([]byte(minimal), "p.yaml", Options{Target: "http://h"})
	if err != nil || p.Warnings != nil {
		t.Errorf("minimal plan: warnings %v, %v", p.Warnings, err)
	}
}

func TestEnvInRequests(t *testing.T) {
	src := head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n      - name: a\n        request: {url: \"/${env.HOST_PATH}\", headers: {X: \"${env.EMPTY}\", Y: \"${env.MISSING:-d}\"}}\n"
	environ := map[string]string{"HOST_PATH": "x", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := environ[k]; return v, ok }
	if _, err := Parse([]byte(src), "plan.yaml", Options{LookupEnv: lookup}); err != nil {
		t.Errorf("set, empty and defaulted environment variables: %v", err)
	}
	delete(environ, "EMPTY")
	_, err := Parse([]byte(src), "plan.yaml", Options{LookupEnv: lookup})
	if err == nil || err.Error() != `plan.yaml:10:55: step "a": headers.X: environment variable EMPTY is not set; set it or write ${env.EMPTY:-default}` {
		t.Errorf("unset: %v", err)
	}
	// The default lookup is the process environment.
	t.Setenv("PLANSPEC_TEST_HOST_PATH", "x")
	src = head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n      - name: a\n        request: {url: \"/${env.PLANSPEC_TEST_HOST_PATH}\"}\n"
	if _, err := Parse([]byte(src), "plan.yaml", Options{}); err != nil {
		t.Errorf("os environment: %v", err)
	}
}

func TestExtractedVars(t *testing.T) {
	p, err := Parse([]byte(templateWarnings), "plan.yaml", testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.ExtractedVars(0); !reflect.DeepEqual(got, []string{"sid", "token"}) {
		t.Errorf("ExtractedVars(0) = %q", got)
	}
	if got := p.ExtractedVars(1); len(got) != 0 {
		t.Errorf("ExtractedVars(1) = %q", got)
	}
	if p.ExtractedVars(-1) != nil || p.ExtractedVars(2) != nil {
		t.Error("ExtractedVars out of range")
	}
	ex := parseExample(t)
	if got := ex.ExtractedVars(0); !reflect.DeepEqual(got, []string{"loc", "sid", "token"}) {
		t.Errorf("example ExtractedVars = %q", got)
	}
}

func TestCookiesDefault(t *testing.T) {
	p, err := Parse([]byte(minimal), "p.yaml", Options{Target: "http://h"})
	if err != nil || p.HTTP.Cookies == nil || !*p.HTTP.Cookies {
		t.Fatalf("default cookies: %v, %v", p, err)
	}
	src := "version: 1\nname: t\ntarget: http://h\nhttp: {cookies: false}\n" + minimal[len("version: 1\nname: t\n"):]
	p, err = Parse([]byte(src), "p.yaml", Options{})
	if err != nil || p.HTTP.Cookies == nil || *p.HTTP.Cookies {
		t.Fatalf("cookies: false: %v, %v", p, err)
	}
	src = "version: 1\nname: t\ntarget: http://h\nhttp: {cookies: sometimes}\n" + minimal[len("version: 1\nname: t\n"):]
	if _, err := Parse([]byte(src), "p.yaml", Options{}); err == nil || err.Error() != `p.yaml:4:17: http.cookies: expected true or false, got string "sometimes"` {
		t.Errorf("cookies: sometimes: %v", err)
	}
}
