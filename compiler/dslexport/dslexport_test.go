package dslexport

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/loadgen/loadgen/compiler"
	"github.com/loadgen/loadgen/planspec"
)

// hostile strings for the literal helpers.
var hostile = []string{
	"",
	"plain",
	`quote " and backslash \ and both \"`,
	"label, with, commas",
	"new\nline\r\ncrlf\ttab\bback\fform",
	"nul\x00 bell\x07 esc\x1b del\x7f",
	`\u000a is not a newline \u0022 nor a quote \\u005c`,
	"ünïcødé 日本語 😀 \u2028 \u2029 \ufeff",
	"${literal} ${__P(x,y)} $ { } */ /* //",
	"octal then digit \x01" + "7 and \x00" + "1",
	"'single' quotes \\' and $",
}

// decodeJava reads back a Java string expression made by JavaString: a
// literal, or String.join("", literals...).
func decodeJava(t *testing.T, expr string) string {
	t.Helper()
	if rest, ok := strings.CutPrefix(expr, `String.join("", `); ok {
		var out strings.Builder
		rest = strings.TrimSuffix(rest, ")")
		for rest != "" {
			end := literalEnd(rest)
			out.WriteString(decodeLiteral(t, rest[:end], '"'))
			rest = strings.TrimPrefix(rest[end:], ", ")
		}
		return out.String()
	}
	return decodeLiteral(t, expr, '"')
}

// literalEnd returns the length of the quoted literal at the start of s.
func literalEnd(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(s)
}

// decodeLiteral decodes a Java (or single-quoted Groovy) string literal.
func decodeLiteral(t *testing.T, lit string, quote byte) string {
	t.Helper()
	if len(lit) < 2 || lit[0] != quote || lit[len(lit)-1] != quote {
		t.Fatalf("not a literal: %s", lit)
	}
	s := lit[1 : len(lit)-1]
	var units []uint16
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || c < 0x20 || c == 0x7f {
			t.Fatalf("literal %s has raw byte %#x", lit, c)
		}
		if c == quote {
			t.Fatalf("literal %s has an unescaped quote", lit)
		}
		if c != '\\' {
			units = append(units, uint16(c))
			continue
		}
		i++
		switch e := s[i]; e {
		case 'n':
			units = append(units, '\n')
		case 'r':
			units = append(units, '\r')
		case 't':
			units = append(units, '\t')
		case 'b':
			units = append(units, '\b')
		case 'f':
			units = append(units, '\f')
		case '\\', '"', '\'':
			units = append(units, uint16(e))
		case 'u':
			v, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				t.Fatalf("bad \\u escape in %s", lit)
			}
			units = append(units, uint16(v))
			i += 4
		default:
			if e < '0' || e > '7' {
				t.Fatalf("bad escape \\%c in %s", e, lit)
			}
			v, _ := strconv.ParseUint(s[i:i+3], 8, 16)
			units = append(units, uint16(v))
			i += 2
		}
	}
	return string(utf16.Decode(units))
}

func TestJavaString(t *testing.T) {
	for _, s := range hostile {
		got := JavaString(s)
		if back := decodeJava(t, got); back != s {
			t.Errorf("JavaString(%q) = %s, reads back as %q", s, got, back)
		}
		// Java translates \uXXXX before lexing: none may stand for a
		// character that ends a literal or a line
		for _, bad := range []string{`\u000a`, `\u000d`, `\u0022`, `\u005c`} {
			if strings.Contains(strings.ReplaceAll(got, `\\`, ""), bad) {
				t.Errorf("JavaString(%q) = %s holds %s", s, got, bad)
			}
		}
	}
	long := strings.Repeat("aé😀\"", 20000)
	got := JavaString(long)
	if !strings.HasPrefix(got, `String.join("", "`) {
		t.Fatalf("a %d-character string is one literal", len(long))
	}
	if back := decodeJava(t, got); back != long {
		t.Errorf("long string does not read back")
	}
}

func TestGroovyString(t *testing.T) {
	for _, s := range hostile {
		got := GroovyString(s)
		if strings.Contains(got, "${") || strings.Contains(got, "$") {
			t.Errorf("GroovyString(%q) = %s holds a $", s, got)
		}
		if back := decodeLiteral(t, strings.ReplaceAll(got, `\u0024`, "$"), '\''); back != s {
			t.Errorf("GroovyString(%q) = %s, reads back as %q", s, got, back)
		}
	}
}

func TestJavaComment(t *testing.T) {
	for _, s := range hostile {
		got := javaComment(s)
		if strings.ContainsAny(got, "\n\r") {
			t.Errorf("javaComment(%q) = %q spans lines", s, got)
		}
		if regexp.MustCompile(`(^|[^\\])(\\\\)*\\u`).MatchString(got) {
			t.Errorf("javaComment(%q) = %q has a Unicode escape", s, got)
		}
	}
}

func TestNames(t *testing.T) {
	for name, want := range map[string]string{
		"shop-checkout":         "ShopCheckoutTest",
		"constant-arrival-rate": "ConstantArrivalRateTest",
		"flow":                  "FlowTest",
		"2fast 2furious":        "Plan2fast2furiousTest",
		"ünï":                   "NTest",
		"ü":                     "PlanTest",
		`a "b", c\d`:            "ABCDTest",
	} {
		if got := ClassName(name); got != want {
			t.Errorf("ClassName(%q) = %q, want %q", name, got, want)
		}
	}
	for name, want := range map[string]string{"Shop Checkout!": "shop-checkout", "ünï": "n", "": "loadgen-plan", "a.b_c": "a.b_c"} {
		if got := artifactID(name); got != want {
			t.Errorf("artifactID(%q) = %q, want %q", name, got, want)
		}
	}
	for pkg, ok := range map[string]bool{"loadgen": true, "com.acme.perf": true, "": false, "a..b": false, "1a": false, "a.class": false, "a-b": false} {
		if validPackage(pkg) != ok {
			t.Errorf("validPackage(%q) = %v", pkg, !ok)
		}
	}
}

// render exports a plan given as YAML (feeder files from dir) and returns
// the test class, all files and the warnings.
func render(t *testing.T, src string, files ...string) (string, map[string][]byte, []compiler.Warning) {
	t.Helper()
	dir := t.TempDir()
	for i := 0; i+1 < len(files); i += 2 {
		if err := os.WriteFile(filepath.Join(dir, files[i]), []byte(files[i+1]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := planspec.Parse([]byte(src), filepath.Join(dir, "plan.yaml"), planspec.Options{})
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	out, proj, warns, err := Render(p, Options{})
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	class := "src/test/java/loadgen/" + strings.TrimPrefix(proj.TestClass, "loadgen.") + ".java"
	if out[class] == nil {
		t.Fatalf("no %s in %v", class, proj.Files)
	}
	return string(out[class]), out, warns
}

// plan wraps scenario YAML (indented as a list item) in a plan.
func plan(scenario string) string {
	return "version: 1\nname: t\ntarget: http://127.0.0.1:8080/\nscenarios:\n" + scenario
}

func wheres(ws []compiler.Warning) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Where
	}
	return out
}

// contains checks that java holds every fragment, with whitespace
// runs matching any whitespace.
func mustContain(t *testing.T, java string, frags ...string) {
	t.Helper()
	flat := strings.Join(strings.Fields(java), " ")
	for _, f := range frags {
		if !strings.Contains(flat, strings.Join(strings.Fields(f), " ")) {
			t.Errorf("generated Java lacks %s\n%s", f, java)
		}
	}
}

func mustNotContain(t *testing.T, java string, frags ...string) {
	t.Helper()
	flat := strings.Join(strings.Fields(java), " ")
	for _, f := range frags {
		if strings.Contains(flat, strings.Join(strings.Fields(f), " ")) {
			t.Errorf("generated Java has %s", f)
		}
	}
}

func TestExecutors(t *testing.T) {
	step := "    steps: [{name: s, request: {url: /x}}]\n"
	for _, tc := range []struct {
		name, scenario string
		want, not      []string
		warn           []string
	}{
		{"constant-vus", "  - {name: a, executor: constant-vus, vus: 3, duration: 1m}\n",
			[]string{`threadGroup("a", 3, Duration.ofMinutes(1),`}, nil, nil},
		{"constant-vus start_time", "  - {name: a, executor: constant-vus, vus: 3, duration: 10s, start_time: 2s}\n",
			[]string{`threadGroup("a") .holdFor(Duration.ofSeconds(2)) .rampTo(3, Duration.ZERO) .holdFor(Duration.ofSeconds(10))`}, nil, nil},
		{"sub-second", "  - {name: a, executor: constant-vus, duration: 1500ms}\n",
			[]string{`threadGroup("a", 1, Duration.ofMillis(1500),`}, nil, []string{"/scenarios/0/duration"}},
		{"ramping-vus", "  - name: a\n    executor: ramping-vus\n    start_vus: 2\n    stages: [{duration: 5s, target: 10}, {duration: 5s, target: 10}, {duration: 3s, target: 0}]\n",
			[]string{`threadGroup("a") .rampTo(2, Duration.ZERO) .rampTo(10, Duration.ofSeconds(5)) .holdFor(Duration.ofSeconds(5)) .rampTo(0, Duration.ofSeconds(3))`}, nil, nil},
		{"ramping-vus from 0, late", "  - name: a\n    executor: ramping-vus\n    start_vus: 0\n    start_time: 1s\n    graceful_ramp_down: 5s\n    stages: [{duration: 5s, target: 3}]\n",
			[]string{`threadGroup("a") .holdFor(Duration.ofSeconds(1)) .rampTo(3, Duration.ofSeconds(5))`}, []string{"rampTo(0, Duration.ZERO)"},
			[]string{"/scenarios/0/graceful_ramp_down"}},
		{"per-vu-iterations", "  - {name: a, executor: per-vu-iterations, vus: 5, iterations: 20, max_duration: 30s}\n",
			[]string{`threadGroup("a", 5, 20) .upTo(Duration.ofSeconds(30))`}, nil, nil},
		{"per-vu-iterations late", "  - {name: a, executor: per-vu-iterations, vus: 5, iterations: 20, start_time: 3s}\n",
			[]string{`threadGroup("a") .holdFor(Duration.ofSeconds(3)) .rampTo(5, Duration.ZERO) .holdIterating(20) .upTo(Duration.ofMinutes(10))`}, nil, nil},
		{"shared-iterations split", "  - {name: a, executor: shared-iterations, vus: 3, iterations: 10}\n",
			[]string{`threadGroup("a", 1, 4) .upTo(Duration.ofMinutes(10))`, `threadGroup("a", 2, 3) .upTo(Duration.ofMinutes(10))`}, nil, nil},
		{"shared-iterations even", "  - {name: a, executor: shared-iterations, vus: 5, iterations: 10}\n",
			[]string{`threadGroup("a", 5, 2)`}, []string{`threadGroup("a", 0`}, nil},
		{"shared-iterations one each", "  - {name: a, executor: shared-iterations, vus: 3, iterations: 3}\n",
			[]string{`threadGroup("a", 3, 1)`}, []string{`threadGroup("a", 0`}, nil},
		{"constant-arrival-rate", "  - {name: a, executor: constant-arrival-rate, rate: 30, time_unit: 1m, duration: 10s, pre_allocated_vus: 5, max_vus: 20}\n",
			[]string{`rpsThreadGroup("a") .maxThreads(20) .initThreads(5) .counting(RpsThreadGroup.EventType.ITERATIONS) .rampTo(0.5, Duration.ZERO) .holdFor(Duration.ofSeconds(10))`}, nil, nil},
		{"ramping-arrival-rate", "  - name: a\n    executor: ramping-arrival-rate\n    start_rate: 0\n    pre_allocated_vus: 5\n    arrivals: poisson\n    start_time: 1s\n    stages: [{duration: 3s, target: 200}, {duration: 4s, target: 200}, {duration: 3s, target: 0}]\n",
			[]string{`.rampTo(1.0, Duration.ZERO) .rampTo(200.0, Duration.ofSeconds(3)) .holdFor(Duration.ofSeconds(4)) .rampTo(1.0, Duration.ofSeconds(3))`},
			[]string{"rampTo(0.0"},
			[]string{"/scenarios/0/start_time", "/scenarios/0/start_rate", "/scenarios/0/stages/2/target", "/scenarios/0/arrivals"}},
		{"graceful_stop", "  - {name: a, executor: constant-vus, duration: 1s, graceful_stop: 0s}\n",
			nil, nil, []string{"/scenarios/0/graceful_stop"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := tc.scenario
			if strings.HasSuffix(sc, "}\n") {
				sc = strings.TrimSuffix(sc, "}\n") + ", steps: [{name: s, request: {url: /x}}]}\n"
			} else {
				sc += step
			}
			java, _, warns := render(t, plan(sc))
			mustContain(t, java, tc.want...)
			mustNotContain(t, java, tc.not...)
			if got := strings.Join(wheres(warns), " "); got != strings.Join(tc.warn, " ") {
				t.Errorf("warnings at %q, want %q: %v", got, strings.Join(tc.warn, " "), warns)
			}
		})
	}
}

func TestThinkTime(t *testing.T) {
	java, _, warns := render(t, plan(`  - name: a
    executor: constant-vus
    duration: 1s
    think_time: {min: 100ms, max: 300ms}
    steps:
      - {name: one, request: {url: /1}}
      - group: g
        think_time: 1s
        steps:
          - {name: two, request: {url: /2}, think_time: 50ms}
          - {name: three, request: {url: /3}}
      - {name: four, request: {url: /4}, think_time: 2500us}
  - name: b
    executor: constant-arrival-rate
    rate: 1
    duration: 1s
    pre_allocated_vus: 1
    think_time: 10ms
    steps:
      - {name: five, request: {url: /5}}
      - {name: six, request: {url: /6}}
`))
	// a pause after every step but the last of its sequence; closed-model
	// VUs also pause after the last step
	mustContain(t, java,
		`httpSampler("one", TARGET + "/1")`, `threadPause("${__Random(100,300)}"), transaction("g",`,
		`httpSampler("two", TARGET + "/2")`, `threadPause(Duration.ofMillis(50)), httpSampler("three"`,
		`.followRedirects(false)), threadPause(Duration.ofSeconds(1)), httpSampler("four"`,
		`httpSampler("four", TARGET + "/4") .followRedirects(false), threadPause(Duration.ofMillis(3))),`,
		`httpSampler("five", TARGET + "/5") .followRedirects(false), threadPause(Duration.ofMillis(10)), httpSampler("six", TARGET + "/6") .followRedirects(false)),`)
	if got := strings.Join(wheres(warns), " "); got != "/scenarios/0/steps/2/think_time" {
		t.Errorf("warnings at %q: %v", got, warns)
	}
}

func TestRequests(t *testing.T) {
	java, _, warns := render(t, `version: 1
name: t
target: http://127.0.0.1:8080/base/
vars: {page: "3"}
http:
  timeout: 2500ms
  keepalive: false
  cookies: false
  http2: true
  headers: {User-Agent: "lg ${page}"}
scenarios:
  - name: a
    executor: constant-vus
    duration: 1s
    steps:
      - name: get
        request: {url: "/api?x=1", query: {b: "${page}", a: "x y"}, headers: {Accept: json}, timeout: 1s}
      - name: post json
        request: {method: post, url: "https://other/j", json: {k: ["${page}", 1, true, null], a: "é"}}
      - name: post form
        request: {method: POST, url: /f, form: {u: "${page}", "a b": "c&d"}, query: {q: "1 2"}}
      - name: put form
        request: {method: PUT, url: /f, form: {u: "${page}"}, headers: {content-type: text/plain}}
      - name: raw
        request: {method: DELETE, url: "${page}/r", body: "a\\b ${page}"}
`)
	mustContain(t, java,
		`httpHeaders() .header("User-Agent", "lg ${page}")`,
		`httpDefaults() .connectionTimeout(Duration.ofMillis(2500)) .responseTimeout(Duration.ofMillis(2500)) .resetConnectionsBetweenIterations(false)`,
		`httpCookies() .disable()`, `httpCache() .disable()`,
		`static final String TARGET = System.getProperty("target", "http://127.0.0.1:8080/base").replaceAll("/+$", "");`,
		`httpSampler("get", TARGET + "/api?x=1") .followRedirects(false) .useKeepAlive(false) .connectionTimeout(Duration.ofSeconds(1)) .responseTimeout(Duration.ofSeconds(1)) .header("Accept", "json") .param("a", "x y") .param("b", "${page}")`,
		`httpSampler("post json", "https://other/j") .method("POST")`,
		`.header("Content-Type", "application/json") .body("{\"a\":\"\u00e9\",\"k\":[\"${__groovy(`, `\",1,true,null]}") .encoding(StandardCharsets.UTF_8)`,
		`httpSampler("post form", TARGET + "/f?q=1+2") .method("POST")`, `.param("a b", "c&d") .param("u", "${page}")`,
		`httpSampler("put form", TARGET + "/f") .method("PUT")`, `.body("u=${__urlencode(${page})}") .header("content-type", "text/plain")`,
		`httpSampler("raw", "${page}/r") .method("DELETE")`, `.body("a\\\\b ${page}")`,
	)
	mustNotContain(t, java, `"application/x-www-form-urlencoded"`)
	if got := strings.Join(wheres(warns), " "); got != "/http/http2 /http/timeout" && got != "/http/http2" {
		t.Errorf("warnings at %q: %v", got, warns)
	}
}

func TestChecks(t *testing.T) {
	java, files, warns := render(t, plan(`  - name: a
    executor: constant-vus
    duration: 1s
    steps:
      - name: code first
        request: {url: /1}
        check: [status == 200, 'body contains "ok"', 'json.a == 1']
      - name: body first
        request: {url: /2}
        check: ['not (body contains "${x")', 'status in [200, 201]', 'status != 500 && duration < 250']
      - name: script first
        request: {url: /3}
        check: ['json.a == 1', 'len(json.b) > 2', 'upper(body) == "X"']
        on_failure: stop_iteration
      - name: same script
        request: {url: /4}
        check: ['json.a == 1']
`))
	mustContain(t, java,
		// a positive code check clears the status verdict itself
		`Loadgen.check("status == 200") .fieldToTest(DslResponseAssertion.TargetField.RESPONSE_CODE) .equalsToStrings("200") .ignoreStatus(), Loadgen.check("body contains \"ok\"") .fieldToTest(DslResponseAssertion.TargetField.RESPONSE_BODY) .containsSubstrings("ok"), Loadgen.checks(0))`,
		// otherwise a gate does, and fails transport errors
		`Loadgen.check("no HTTP response") .fieldToTest(DslResponseAssertion.TargetField.RESPONSE_CODE) .ignoreStatus() .matchesRegexes("[0-9]+"), Loadgen.check("not (body contains \"${__char(36)}{x\")") .fieldToTest(DslResponseAssertion.TargetField.RESPONSE_BODY) .containsSubstrings("${__char(36)}{x") .invertCheck(),`,
		`Loadgen.check("status in [200, 201]") .fieldToTest(DslResponseAssertion.TargetField.RESPONSE_CODE) .equalsToStrings("200", "201") .anyMatch(),`,
		`Loadgen.check("status != 500 && duration < 250") .fieldToTest(DslResponseAssertion.TargetField.RESPONSE_CODE) .equalsToStrings("500") .invertCheck(), Loadgen.checks(1))`,
		`.ignoreStatus() .matchesRegexes("[0-9]+"), Loadgen.checks(2), Loadgen.stopIterationOnFailure())`,
		`httpSampler("same script", TARGET + "/4") .followRedirects(false) .children( Loadgen.check("no HTTP response")`,
		`Loadgen.checks(0))`,
		`setupThreadGroup("compile checks", Loadgen.compileChecks(3))`,
	)
	if got := strings.Join(wheres(warns), " "); got != "/scenarios/0/steps/2/check/2" {
		t.Errorf("warnings at %q: %v", got, warns)
	}
	for i, want := range []string{"'json.a == 1'", "if (prev.getTime() > 249L)", "'len(json.b) > 2'"} {
		script := string(files[fmt.Sprintf("src/test/resources/loadgen/checks/%d.groovy", i)])
		if !strings.Contains(script, want) || strings.Contains(script, "${") {
			t.Errorf("script %d lacks %s or holds ${:\n%s", i, want, script)
		}
	}
	if files["src/test/resources/loadgen/checks/3.groovy"] != nil {
		t.Error("identical checks gave two scripts")
	}
}

func TestExtractors(t *testing.T) {
	java, _, warns := render(t, plan(`  - name: a
    executor: constant-vus
    duration: 1s
    steps:
      - name: x
        request: {url: /1}
        extract:
          tok: {json: '$.a[*].b'}
          one: {regex: 'id=(\d+)-(\w+)'}
          two: {regex: 'id=(\d+)-(\w+)', group: 2}
          whole: {regex: 'id=\d+'}
          named: {regex: '(?P<n>\d+)'}
          loc: {header: X-Next-Url}
`))
	mustContain(t, java,
		`jsonExtractor("tok", "$.a[*].b") .queryLanguage(DslJsonExtractor.JsonQueryLanguage.JSON_PATH) .matchNumber(1)`,
		`regexExtractor("one", "id=(\\d+)-(\\w+)") .template("$1$") .matchNumber(1)`,
		`regexExtractor("two", "id=(\\d+)-(\\w+)") .template("$2$")`,
		`regexExtractor("whole", "id=\\d+") .template("$0$")`,
		`regexExtractor("loc", "\\n[Xx]\\-[Nn][Ee][Xx][Tt]\\-[Uu][Rr][Ll]:[ \\t]*([^\\r\\n]*)") .fieldToCheck(DslRegexExtractor.TargetField.RESPONSE_HEADERS) .template("$1$")`,
	)
	if got := strings.Join(wheres(warns), " "); got != "/scenarios/0/steps/0/extract/named/regex" {
		t.Errorf("warnings at %q: %v", got, warns)
	}
	re := regexp.MustCompile(headerRegex("X-Next-Url"))
	if m := re.FindStringSubmatch("HTTP/1.1 200 OK\nx-next-url: /a/b \nX-Next-Url: /c\n"); m == nil || m[1] != "/a/b " {
		t.Errorf("header regex match: %q", m)
	}
}

func TestVarsAndEnv(t *testing.T) {
	t.Setenv("DSLEXPORT_SECRET", "s3cr3t-value")
	java, files, _ := render(t, `version: 1
name: t
target: http://127.0.0.1:8080
vars:
  key: ${env.DSLEXPORT_SECRET}
  region: "${env.DSLEXPORT_REGION:-eu,west} \\ ${literal}"
scenarios:
  - name: a
    executor: constant-vus
    duration: 1s
    steps:
      - name: x
        request: {url: "/x?k=${key}&p=${env.DSLEXPORT_PATH:-/p}", headers: {A: "${env.DSLEXPORT_SECRET}"}}
`)
	mustContain(t, java,
		`vars() .set("key", "${__P(DSLEXPORT_SECRET,)}") .set("region", "${__P(DSLEXPORT_REGION,eu\\,west)} \\\\ ${__char(36)}{literal}")`,
		`.header("A", "${__P(DSLEXPORT_SECRET,)}")`,
		`TARGET + "/x?k=${key}&p=${__P(DSLEXPORT_PATH,/p)}"`,
		`.runIn(Loadgen.engine("DSLEXPORT_PATH", "DSLEXPORT_REGION", "DSLEXPORT_SECRET"))`,
	)
	for name, data := range files {
		if bytes.Contains(data, []byte("s3cr3t")) {
			t.Errorf("%s holds the exporting machine's environment", name)
		}
	}
	mustContain(t, string(files["README.md"]), "- `DSLEXPORT_PATH`", "- `DSLEXPORT_SECRET`")
}

func TestFeeders(t *testing.T) {
	csv := "\xef\xbb\xbfname, pass\nalice,\"a,b\"\n"
	java, files, warns := render(t, `version: 1
name: t
target: http://127.0.0.1:8080
data:
  users: {file: users.csv}
  vu: {file: users.csv, share: vu, order: random}
  unused: {file: users.csv}
scenarios:
  - name: a
    executor: constant-vus
    duration: 1s
    steps:
      - name: x
        request: {url: "/x", json: {u: "${users.name}", v: "${vu.pass}"}}
  - name: b
    executor: constant-vus
    duration: 1s
    steps:
      - {name: y, request: {url: /y}}
`, "users.csv", csv)
	mustContain(t, java,
		`threadGroup("a", 1, Duration.ofSeconds(1), csvDataSet(testResource("data/users.csv")) .variableNames("users.name", "users.pass") .ignoreFirstLine() .encoding(StandardCharsets.UTF_8) .sharedIn(DslCsvDataSet.Sharing.ALL_THREADS), csvDataSet(testResource("data/vu.csv")) .variableNames("vu.name", "vu.pass") .ignoreFirstLine() .encoding(StandardCharsets.UTF_8) .sharedIn(DslCsvDataSet.Sharing.THREAD) .randomOrder(), httpSampler("x"`,
		`threadGroup("b", 1, Duration.ofSeconds(1), httpSampler("y"`,
	)
	for _, name := range []string{"users", "vu", "unused"} {
		if got := string(files["src/test/resources/data/"+name+".csv"]); got != csv {
			t.Errorf("data/%s.csv = %q, want the plan's file", name, got)
		}
	}
	if got := strings.Join(wheres(warns), " "); got != "/data/vu/order" {
		t.Errorf("warnings at %q: %v", got, warns)
	}
}

func TestThresholds(t *testing.T) {
	src := func(groups bool) string {
		s := `version: 1
name: t
target: http://127.0.0.1:8080
scenarios:
  - name: vus
    executor: constant-vus
    duration: 1s
    steps:
      - {name: a, request: {url: /a}}
`
		if groups {
			s += "      - group: g\n        steps: [{name: b, request: {url: /b}}, {name: c, request: {url: /c}}]\n"
		}
		s += `  - name: open
    executor: constant-arrival-rate
    rate: 1
    duration: 1s
    pre_allocated_vus: 1
    steps:
      - {name: d, request: {url: /d}}
thresholds:
  http_req_duration: ["p(95) < 500", "avg < 100", "p(75) < 300", {threshold: "max < 1000", abort_on_fail: true}]
  "http_req_duration{scenario:vus}": ["med < 200", "min > 0"]
  "http_req_duration_corrected{scenario:vus}": ["count > 1"]
  "http_req_duration_corrected": ["p(99) < 500"]
  "http_req_duration{status:200}": ["p(99) < 500"]
  http_reqs: ["rate >= 10", "count > 0"]
  http_req_failed: ["rate < 0.01", "count == 0"]
  http_req_waiting: ["p(95) < 100"]
  checks: ["rate > 0.9"]
  iterations: ["count > 1"]
  dropped_iterations: ["count == 0"]
  vus_max: ["value > 0"]
`
		if groups {
			s += "  \"http_req_duration{step:g}\": [\"p(90) < 900\"]\n  \"http_req_duration{group:g}\": [\"p(95) < 500\", \"max < 900\"]\n"
		}
		return s
	}
	java, _, warns := render(t, src(false))
	mustContain(t, java,
		`thresholds.check("http_req_duration", "p(95) < 500", thresholds.percentile(95, null), "<", 500.0);`,
		`thresholds.check("http_req_duration", "avg < 100", thresholds.mean("a", "d"), "<", 100.0);`,
		`thresholds.check("http_req_duration", "max < 1000", thresholds.max("a", "d"), "<", 1000.0);`,
		`thresholds.check("http_req_duration{scenario:vus}", "med < 200", thresholds.percentile(50, "a"), "<", 200.0);`,
		`thresholds.check("http_req_duration{scenario:vus}", "min > 0", thresholds.min("a"), ">", 0.0);`,
		`thresholds.check("http_req_duration_corrected{scenario:vus}", "count > 1", thresholds.count("a"), ">", 1.0);`,
		`thresholds.check("http_reqs", "rate >= 10", thresholds.rate("a", "d"), ">=", 10.0);`,
		`thresholds.check("http_req_failed", "count == 0", thresholds.errors("a", "d"), "==", 0.0);`,
		`thresholds.check("http_req_failed", "rate < 0.01", thresholds.errorRate("a", "d"), "<", 0.01);`,
		`thresholds.assertAll();`,
	)
	want := []string{"/thresholds/checks/0", "/thresholds/dropped_iterations/0", "/thresholds/http_req_duration/2",
		"/thresholds/http_req_duration/3", "/thresholds/http_req_duration_corrected/0", "/thresholds/http_req_duration{status:200}/0",
		"/thresholds/http_req_waiting/0", "/thresholds/iterations/0", "/thresholds/vus_max/0"}
	if got := strings.Join(wheres(warns), " "); got != strings.Join(want, " ") {
		t.Errorf("warnings at\n%s\nwant\n%s", got, strings.Join(want, " "))
	}

	java, _, warns = render(t, src(true))
	mustContain(t, java,
		`thresholds.check("http_req_duration{step:g}", "p(90) < 900", thresholds.percentile(90, "g"), "<", 900.0);`,
		`thresholds.check("http_req_duration{group:g}", "max < 900", thresholds.max("b", "c"), "<", 900.0);`,
		`thresholds.check("http_req_duration", "avg < 100", thresholds.mean("a", "b", "c", "d"), "<", 100.0);`,
	)
	mustNotContain(t, java, `"p(95) < 500", thresholds.percentile(95, null)`)
	got := strings.Join(wheres(warns), " ")
	for _, w := range []string{"/thresholds/http_req_duration/0", "/thresholds/http_req_duration{group:g}/0"} {
		if !strings.Contains(got, w) {
			t.Errorf("no warning at %s: %v", w, warns)
		}
	}
}

// TestWarningsListed checks that every warning is in the test class's
// header and in the README, and that the output is deterministic.
func TestWarningsListed(t *testing.T) {
	src := plan(`  - name: 'a */ \u000a'
    executor: ramping-arrival-rate
    pre_allocated_vus: 1
    arrivals: poisson
    stages: [{duration: 1500ms, target: 10}]
    steps:
      - {name: s, request: {url: /x}, check: ['upper(body) == "*/ \\u000a"']}
`)
	java, files, warns := render(t, src)
	if len(warns) < 3 {
		t.Fatalf("warnings: %v", warns)
	}
	header, _, _ := strings.Cut(java, "package loadgen;")
	readme := string(files["README.md"])
	for _, w := range warns {
		if !strings.Contains(header, javaComment(w.String())) {
			t.Errorf("warning not in the class header: %s", w)
		}
		if !strings.Contains(readme, mdText(w.Msg)) || !strings.Contains(readme, "`"+w.Where+"`") {
			t.Errorf("warning not in README.md: %s", w)
		}
	}
	for _, line := range strings.Split(header, "\n") {
		if line != "" && !strings.HasPrefix(line, "//") {
			t.Errorf("header line is not a comment: %q", line)
		}
	}
	_, again, _ := render(t, src)
	for name, data := range files {
		if !bytes.Equal(data, again[name]) {
			t.Errorf("%s differs between two exports", name)
		}
	}
}

func TestExportWrites(t *testing.T) {
	dir := t.TempDir()
	p, err := planspec.Parse([]byte(plan("  - {name: a, executor: constant-vus, duration: 1s, steps: [{name: s, request: {url: /x}}]}\n")), "", planspec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Export(p, dir, Options{JavaPackage: "com.acme.perf", GroupID: "com.acme", ArtifactID: "perf"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"pom.xml", "README.md", ".gitignore", "src/test/java/com/acme/perf/TTest.java", "src/test/java/com/acme/perf/Loadgen.java"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
	pom, _ := os.ReadFile(filepath.Join(dir, "pom.xml"))
	mustContain(t, string(pom), "<groupId>com.acme</groupId>", "<artifactId>perf</artifactId>",
		"<artifactId>jmeter-java-dsl</artifactId> <version>2.2</version> <scope>test</scope>",
		"<maven.compiler.release>11</maven.compiler.release>", "<artifactId>maven-surefire-plugin</artifactId> <version>3.5.2</version>")
	if _, err := Export(p, dir, Options{JavaPackage: "not-a-package"}); err == nil {
		t.Error("an invalid Java package was accepted")
	}
}
