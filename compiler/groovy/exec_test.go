package groovy

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/expr-lang/expr"
	"github.com/loadgen/loadgen/planspec"
)

// requireEnv makes a missing java or Groovy jar a test failure instead of
// a skip.
const requireEnv = "LOADGEN_REQUIRE_JMETER"

// testEnv is one sample: what JMeter's SampleResult reports and the
// variables, from which both sides build their check environment.
type testEnv struct {
	name    string
	code    string // prev.getResponseCode()
	body    string // response bytes (not necessarily UTF-8)
	headers string // prev.getResponseHeaders(): status line, then Name: value lines
	timeMs  int64
	bytes   int64
	vars    map[string]string
}

// checkEnv is the environment loadgen builds for the same response.
func (e testEnv) checkEnv() planspec.CheckEnv {
	status, err := strconv.Atoi(e.code)
	if err != nil {
		status = 0
	}
	headers := map[string]string{}
	for line := range strings.SplitSeq(e.headers, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.HasPrefix(line, "HTTP/") {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" {
			continue
		}
		headers[http.CanonicalHeaderKey(strings.TrimSpace(name))] = strings.TrimSpace(value)
	}
	var doc any
	if err := json.Unmarshal([]byte(e.body), &doc); err != nil {
		doc = nil
	}
	vars := map[string]string{}
	for k, v := range e.vars {
		vars[k] = v
	}
	return planspec.CheckEnv{
		Status:   status,
		Body:     e.body,
		JSON:     doc,
		Headers:  headers,
		Duration: float64(e.timeMs),
		Size:     int(e.bytes),
		Vars:     vars,
	}
}

// groovy is a Groovy map literal describing the sample for the driver.
func (e testEnv) groovy() string {
	keys := make([]string, 0, len(e.vars))
	for k := range e.vars {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	vars := make([]string, len(keys))
	for i, k := range keys {
		vars[i] = Quote(k) + ": " + Quote(e.vars[k])
	}
	v := "[:]"
	if len(vars) > 0 {
		v = "[" + strings.Join(vars, ", ") + "]"
	}
	return fmt.Sprintf("[code: %s, body: Base64.getDecoder().decode(%s), headers: %s, time: %dL, bytes: %dL, vars: %s]",
		Quote(e.code), Quote(base64.StdEncoding.EncodeToString([]byte(e.body))), Quote(e.headers), e.timeMs, e.bytes, v)
}

const jsonHeaders = "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\ncontent-length: 123\r\nX-Multi: a\r\nx-multi: b\r\nSet-Cookie: a=1\r\nx_odd key: v\r\n"

// nested is n arrays inside each other.
func nested(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

var testEnvs = []testEnv{
	{name: "object", code: "200", headers: jsonHeaders, timeMs: 123, bytes: 456,
		vars: map[string]string{"user": "bob", "id": "4", "empty": ""},
		body: `{"items":[1,2,3],"count":3,"name":"bob","token":"abc","data":[{"id":4,"tags":["x"]},{"id":2}],` +
			`"price":19.99,"ok":true,"nul":null,"obj":{"a":1,"b":[1,2]},"empty":[],"s":"h\u00e9llo \ud83d\ude00",` +
			`"q":"it's \"quoted\" \\ $x ${y}","big":12345678901234567890,"neg":-0,"exp":1e3,"k":"items","re":"[0-9]+"}`},
	{name: "text", code: "404", body: "ok id=42 done", headers: "HTTP/1.1 404 Not Found\nContent-Type: text/plain\n", timeMs: 7, bytes: 20,
		vars: map[string]string{}},
	{name: "no response", code: "Non HTTP response code: java.net.ConnectException", body: "", headers: "", timeMs: 3000, bytes: 0,
		vars: map[string]string{"user": "x"}},
	{name: "array", code: "201", body: `[1, 2.5, "x", null, true, {"id": 3}]`, headers: "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n", timeMs: 50, bytes: 100},
	{name: "scalar string", code: "500", body: `"just a string"`, headers: "HTTP/1.1 500 Internal Server Error\r\n", timeMs: 1, bytes: 15},
	{name: "scalar number", code: "200", body: ` 42 `, timeMs: 1, bytes: 4},
	{name: "unicode text", code: "302", body: "h\u00e9llo w\u00f6rld \U0001F600 $x 'q' \\ \"d\" ${y}", headers: "HTTP/1.1 302 Found\r\nLocation: /x\r\n", timeMs: 499, bytes: 501},
	{name: "lines", code: "200", body: "line1\nline2\r\nKelvin \u212a ok\n", timeMs: 500, bytes: 101},
	{name: "falsy object", code: "200", timeMs: 600, bytes: 99,
		body: `{"items":null,"name":"","count":0,"zero":0.0,"nested":{"deep":{"x":[10,20,30]}},"ok":false,"data":[],"obj":{}}`},
	{name: "trailing comma", code: "200", body: `{"a":1,}`},
	{name: "trailing data", code: "200", body: `{"a":1} x`},
	{name: "two values", code: "200", body: `[] []`},
	{name: "leading zero", code: "200", body: `01`},
	{name: "unterminated", code: "200", body: `"abc`},
	{name: "control char", code: "200", body: "\"a\tb\""},
	{name: "bad escape", code: "200", body: `"\x"`},
	{name: "lone surrogate", code: "200", body: `{"s":"\ud800","t":"\udc00x","u":"\ud800\u0041"}`},
	{name: "out of range", code: "200", body: `{"f":1e400}`},
	{name: "underflow", code: "200", body: `{"f":1e-400,"g":-1e-400}`},
	{name: "deep ok", code: "200", body: nested(10000)},
	{name: "too deep", code: "200", body: nested(10001)},
	{name: "empty object", code: "200", body: ` {} `},
	{name: "invalid utf8 in string", code: "200", body: "{\"s\":\"a\xffb\"}"},
	{name: "literal words", code: "200", body: `[true,false,null]`},
	{name: "bad literal", code: "200", body: `[tru]`},
	{name: "numbers", code: "200", body: `[-0, 0.5, 1E2, 1e+2, -1.5e-3, 9007199254740993, 123456789012345678901234567890]`},
	{name: "bad numbers", code: "200", body: `[1.]`},
	{name: "plus number", code: "200", body: `[+1]`},
	{name: "invalid utf8 body", code: "200", body: "ok\xff\xe2\x82 \xed\xa0\x80 \xc0\xaf end \xf0\x9f\x98"},
}

// handCases are check expressions with a known meaning; each must compile
// in loadgen and translate.
var handCases = []string{
	// the plan format's examples
	`status == 200`, `status in [200, 201]`, `json.items != nil && len(json.items) > 0`, `len(json.items) == 10`,
	`len(json.items) == 3`, `json.token != ""`, `body contains "ok"`, `headers["Content-Type"] startsWith "application/json"`,
	`duration < 500`, `json.data[0].id > 3`, `not (status >= 500)`, `body matches "id=[0-9]+"`, `vars.user == json.name`,
	`size > 100`,
	// nil, missing keys, optional chaining, ??
	`json == nil`, `json != nil`, `json.missing == nil`, `json.missing != nil`, `json.nul == nil`, `json?.missing?.x == nil`,
	`json?.obj?.a == 1`, `json?.items[0] == 1`, `json?.obj.a == 1`, `json.obj?.missing == nil`, `json?.[json.k] == nil`,
	`json?.[json.k][0] == 1`, `json.missing.x == nil`, `not (json.missing.x == nil)`, `!(json.items == nil)`,
	`(json.nul ?? 5) == 5`, `(json.missing ?? "d") == "d"`, `(json?.missing ?? 1) == 1`, `(json.count ?? 7) == 3`,
	`json?.missing.x == nil`, `json.missing?.[json.missing.x] == nil`, `json?.data?.[0]?.id == 4`, `json?.missing?.[0] == nil`,
	`json.x?.y == nil`,
	// len
	`len(json.missing) == 0`, `len(json.s) == 7`, `len(body) > 0`, `len(body) == 13`, `len(headers) > 0`, `len(headers) == 5`,
	`len(json.obj) == 2`, `len(json) > 0`, `len(json.empty) == 0`, `len(json.count) == 1`, `len(json.name) == 3`,
	`len([status, size]) == 2`, `len(json.items[:]) == 3`, `json.items | len() == 3`,
	// index access
	`json.items[0] == 1`, `json.items[-1] == 3`, `json.items[-4] == 1`, `json.items[3] == nil`, `json.items[1.9] == 2`,
	`json.items["0"] == 1`, `json.data[1].id == 2`, `json.data[0].tags[0] == "x"`, `json[0] == 1`, `json[5].id == 3`,
	`json[-1].id == 3`, `json.s[0] == 104`, `json.s[-1] > 0`, `json["items"][0] == 1`, `json.obj["a"] == 1`,
	`json.items[json.count - 1] == 3`, `json[json.k][1] == 2`, `json[nil] == nil`, `json.items[json.nul] == 1`,
	// headers
	`headers["Content-Type"] == "application/json; charset=utf-8"`, `headers["content-type"] == ""`,
	`headers["Content-Length"] == "123"`, `headers["X-Multi"] == "b"`, `headers.Missing == ""`, `"Content-Type" in headers`,
	`"content-type" in headers`, `headers["Set-Cookie"] contains "a=1"`, `headers == headers`, `headers == json`,
	`headers["Content-Type"] matches "^application/json"`, `headers["x_odd key"] == "v"`, `headers["X_odd Key"] == "v"`,
	`headers.Location == "/x"`, `headers[json.nul] == ""`,
	// equality and numbers
	`status == 200.0`, `200.0 == status`, `json.count == 3`, `json.count == 3.0`, `json.price == 19.99`, `json.price > 19`,
	`json.count != 3`, `json.big == 12345678901234567890.0`, `json.big > 1e19`, `json.neg == 0`, `json.exp == 1000`,
	`json.count == "3"`, `json.name == "bob"`, `json.ok == true`, `json.ok`, `json.ok == 1`, `json.nul == false`,
	`json.items == [1, 2, 3]`, `json.items == [1.0, 2, 3]`, `json.items != [1, 2]`, `json.obj == json.obj`,
	`json.data[0] == json.data[0]`, `json.data[0] == json.data[1]`, `json.items == json.items`, `[1, 2] == [1, 2]`,
	`[status] == [200]`, `nil == nil`, `json.empty == []`, `json.empty == nil`, `json == json`, `json.data == json.data`,
	`json.obj.b == [1, 2]`, `[json.obj] == [json.obj]`, `json.zero == 0`, `json.zero == json.count`, `json[1] == 2.5`,
	`json == 42`, `json == 42.0`, `json == "just a string"`, `json[0] == 9007199254740992`, `json[5] == 1.2345678901234568e29`,
	`json.f == 0`, `json.g == 0`, `json.s == "\ufffd"`, `json.t == "\ufffdx"`, `json.u == "\ufffdA"`, `json.s == "a\ufffdb"`,
	`json == [true, false, nil]`, `len(json) == 10000`,
	// ordering
	`json.name < "c"`, `"a" < "b"`, `json.s > "h"`, `"\uffff" < "\U0001F600"`, `"\U0001F600" > "\uffff"`, `json.name < 5`,
	`duration >= 100`, `duration > 100.5`, `size <= 456`, `json.nul < 1`, `json.count >= json.price`, `json.count <= 3`,
	`json.name >= "bob"`, `"" < json.name`, `(status - 200) / 0 < 1`, `(status - 200) / 0 >= 1`,
	// arithmetic
	`status / 2 == 100`, `json.count / 2 == 1.5`, `5 / 2 == 2.5`, `status % 7 == 4`, `json.count % 2 == 1`, `size % 0 == 0`,
	`status / 0 > 1e308`, `(status - 200) / 0 != (status - 200) / 0`, `json.price * 2 > 39`, `json.count + 1 == 4`,
	`status + json.count == 203`, `-status == -200`, `-json.price < 0`, `-json.name == ""`, `+json.name == "bob"`,
	`2 ** 10 == 1024`, `json.count ** 2 == 9`, `status ^ 2 > 0`, `9223372036854775807 + 1 < 0`, `size * 9223372036854775807 != 0`,
	`size + 9223372036854775807 < 0`, `-size < 0`, `-json.neg == 0`, `1 / -json.neg < 0`, `1 / json.neg > 0`, `0.1 + 0.2 == 0.30000000000000004`,
	`1e3 == 1000`, `json.items[0] + json.items[1] == 3`, `size - 456 == 0`, `duration * 2 == 246`, `duration / 0 > 0`,
	`status % -7 == 4`, `-status % 7 == -4`,
	// strings
	`json.name + "!" == "bob!"`, `body + "x" endsWith "x"`, `json.name + 1 == ""`, `"a" + "b" == "ab"`, `json.nul contains "a"`,
	`json.name contains json.nul`, `json.count contains "3"`, `body startsWith "ok"`, `body endsWith "done"`,
	`json.q contains "$x"`, `json.q contains "${y}"`, `json.q contains "it's"`, `json.q contains "\"quoted\""`,
	`json.q contains "\\"`, `body contains "\u00e9"`, `body contains "😀"`, `json.s == "h\u00e9llo \U0001F600"`,
	`body contains "$x 'q' \\ \"d\" ${y}"`, `body contains '${y}'`, `"it's" == 'it\'s'`, `"a\\b" contains "\\"`,
	`"$x" == '$' + 'x'`, `"\n" == "\u000a"`, `"tab\there" contains "\t"`, `'${status}' == "$" + "{status}"`,
	`body == ""`, `body startsWith ""`, `"" contains ""`, `json.s startsWith "h\u00e9"`, `json.s endsWith "😀"`,
	// regular expressions
	`body matches "^ok"`, `body matches "done$"`, `body matches "(?i)OK"`, `body matches "line1$"`, `body matches "(?m)line1$"`,
	`body matches "(?m)line2$"`, `body matches "line2.$"`, `body matches "(?s)line1.line2"`, `body matches "line1.line2"`,
	`body matches "w\\Brld"`, `body matches "l\\b"`, `body matches "\\bw"`, `body matches "\u00f6\\b"`, `body matches "\\d{2,}"`,
	`body matches "[[:alpha:]]+"`, `body matches "\\pL{5}"`, `body matches "(?i)kelvin \u212a"`, `body matches "(?i)KELVIN k"`,
	`body matches "x*"`, `json.nul matches "a"`, `json.count matches "3"`, `body matches "\\x{1F600}"`, `body matches "[^a-z]"`,
	`body matches "a|b|c"`, `body matches "(ab)+"`, `body matches "^$"`, `body matches "\\Aok"`, `body matches "done\\z"`,
	`body matches "\\."`, `body matches "[\\]\\[]"`, `body matches "\\$"`, `body matches "h.llo"`, `body matches "(?U)a+?"`,
	`body matches "\\r"`, `body matches ".\\r"`, `body matches "^line2"`, `body matches "(?m)^line2"`, `body matches "\\n$"`,
	`body matches "[\\d\\s]"`, `body matches "\\S+\\s\\S+"`, `body matches "(?i)\u00c9"`, `body matches "[^\\x00-\\x7f]"`,
	`body matches "\\Qa.b\\E"`, `body matches "a{0}"`, `body matches "(?:id|x)=4[0-9]"`, `body matches "\\w+"`,
	`body matches "[\u00e9-\u00f6]"`, `body matches "[^\\n]\\z"`, `body matches "\\p{Greek}"`, `body matches "\\PL"`,
	`headers.Location matches "^/"`, `json.name matches "^b.b$"`, `body matches "^h\u00e9llo w\u00f6rld .+\\$x"`,
	// in
	`status in [404]`, `json.count in [3, 4]`, `json.count in [3.0]`, `json.name in ["bob", "alice"]`, `json.nul in ["", "x"]`,
	`json.count in ["3"]`, `"x" in json.data[0].tags`, `3 in json.items`, `json.missing in json.items`, `"items" in json`,
	`"zzz" in json`, `json.count in 1..5`, `json.price in 1..100`, `status in 200..299`, `json.count in 1..1000000`,
	`status in 1..1000000`, `1 in json.nul`, `1 in json.name`, `"user" in vars`, `"nobody" in vars`, `json.nul in vars`,
	`json.count in vars`, `not ("x" in json.items)`, `"a" not in json.items`, `nil in json`, `nil in json.items`,
	`json.count in [1, status, 3]`, `json.count in 5..1`, `2.5 in json`, `json.obj in json.data`, `json.data[1] in json.data`,
	`[1, 2] in [[1, 2]]`, `json.items in [json.items]`, `size in [456, 1.5]`, `json.count in json.count..json.count`,
	`"id" in json.data[0]`, `json.nul in [nil]`, `json.name in [json.nul, "bob"]`,
	// logic and conditionals
	`status == 200 ? json.ok == true : false`, `json.nul ? true : false`, `(json.ok ? "y" : nil) == "y"`, `json.nul and true`,
	`true and json.name`, `json.name and true`, `json.nul or true`, `false or json.ok`, `json.ok || json.nul`,
	`json.ok && json.missing.x == 1`, `status != 200 && json.missing.x == 1`, `status == 200 || json.missing.x`, `!json.ok`,
	`not json.nul`, `!!json.ok`, `json.count > 2 and json.count < 4`, `(true and json.name) == json.name`,
	`(false or json.nul) == nil`, `json.ok and json.ok`, `json.nul and json.ok`, `json.name or true`,
	`if json.ok { true } else { false }`, `json.ok ? json.ok : json.missing.x`,
	// slices
	`json.items[1:] == [2, 3]`, `json.items[:2] == [1, 2]`, `json.items[-2:] == [2, 3]`, `json.items[5:9] == []`,
	`body[0:2] == "ok"`, `json.s[0:1] == "h"`, `json.s[1:3] == "\u00e9"`, `json.nul[0:1] == nil`, `json.obj[0:1] == nil`,
	`json.items[2:1] == []`, `json.items[-9:9] == json.items`, `body[:] == body`, `json.items[json.nul:] == []`,
	`json.s[1:3][0] == 195`, `json.items[0.9:2.9] == [1, 2]`,
	// literals
	`"\x41" == "A"`, `"\101" == "A"`, `1_000 == 1000`, `0x10 == 16`, `[1, "a", true, nil, 2.5] == [1, "a", true, nil, 2.5]`,
	`[] == []`, `[json.nul] == [nil]`, `[json.count, "x"] == [3, "x"]`, `json.name == "b" + "ob"`, `.5 == 0.5`,
	`-0.0 == 0`, `1 / -0.0 < 0`, `9223372036854775807 > 0`,
	// vars
	`vars.user == "bob"`, `vars.nobody == ""`, `vars["user"] == "bob"`, `vars.empty == ""`, `vars?.user == "bob"`,
	`vars[json.nul] == ""`, `vars[json.count] == ""`, `vars.user + "!" == "bob!"`, `len(vars.user) == 3`,
	`vars.id == "4"`, `json.data[0].id == 4 && vars.id == "4"`, `vars.user in ["bob", "x"]`, `vars.nobody == nil`,
	`vars[json.name] == ""`,
	// typed == (expr asserts int and string operands)
	`(json.ok ? 1 : nil) == 1`, `(json.ok ? "y" : nil) != "y"`, `len(json.items) == len(json.items)`,
	`(json.ok ? nil : "n") == "n"`, `[json.ok ? "y" : nil][0] == "y"`,
	// strings cut inside a character, bodies that are not UTF-8
	`len(body[0:2]) == 2`, `len(json.s[0:2]) == 2`, `len(json.s[2:]) == 6`, `json.s[0:2] contains "h"`, `json.s[0:2] == "h"`,
	`body[0:3] < "z"`, `len(body) > 20`, `body endsWith "end"`, `body endsWith "end \U0001F600"`, `len(body[1:]) > 0`,
	// bindings
	`duration > 0`, `duration == 123`, `size == 456`, `status == 0`, `status > 0`, `body == "ok id=42 done"`,
}

// groovyRunner runs Groovy programs with the jars JMeter 5.6.3 bundles.
type groovyRunner struct {
	java string
	cp   string
}

// findGroovy locates java and the Groovy 3 jars in the local Maven
// repository (falling back to mvn dependency:build-classpath);
// it skips the test without them unless LOADGEN_REQUIRE_JMETER is set.
func findGroovy(t *testing.T) *groovyRunner {
	t.Helper()
	missing := func(format string, args ...any) *groovyRunner {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if os.Getenv(requireEnv) != "" {
			t.Fatalf("%s (and %s is set)", msg, requireEnv)
		}
		t.Skipf("skipping the Groovy execution: %s (set %s to make this a failure)", msg, requireEnv)
		return nil
	}
	java, err := exec.LookPath("java")
	if err != nil {
		return missing("java not found: %v", err)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return missing("no home directory: %v", err)
	}
	repo := filepath.Join(home, ".m2", "repository")
	var jars []string
	for _, artifact := range []string{"groovy", "groovy-jsr223"} {
		jar := newestJar(repo, artifact)
		if jar == "" {
			break
		}
		jars = append(jars, jar)
	}
	if len(jars) < 2 {
		cp, err := mavenClasspath(t)
		if err != nil {
			return missing("no groovy-3.x and groovy-jsr223-3.x jars under ~/.m2 and mvn could not provide them: %v", err)
		}
		return &groovyRunner{java: java, cp: cp}
	}
	return &groovyRunner{java: java, cp: strings.Join(jars, string(os.PathListSeparator))}
}

// newestJar finds the newest 3.x jar of a Groovy artifact, under either
// group id.
func newestJar(repo, artifact string) string {
	var found []string
	for _, group := range []string{"org/codehaus/groovy", "org/apache/groovy"} {
		m, _ := filepath.Glob(filepath.Join(repo, filepath.FromSlash(group), artifact, "3.*", artifact+"-3.*.jar"))
		for _, f := range m {
			base := strings.TrimSuffix(filepath.Base(f), ".jar")
			if strings.HasSuffix(base, "-sources") || strings.HasSuffix(base, "-javadoc") || strings.HasSuffix(base, "-indy") {
				continue
			}
			found = append(found, f)
		}
	}
	if len(found) == 0 {
		return ""
	}
	version := func(f string) []int {
		var v []int
		for p := range strings.SplitSeq(filepath.Base(filepath.Dir(f)), ".") {
			n, _ := strconv.Atoi(p)
			v = append(v, n)
		}
		return v
	}
	return slices.MaxFunc(found, func(a, b string) int { return slices.Compare(version(a), version(b)) })
}

// mavenClasspath asks mvn for the Groovy jars of JMeter 5.6.3 (downloading
// them on a fresh machine; test.sh fetches them beforehand).
func mavenClasspath(t *testing.T) (string, error) {
	mvn, err := exec.LookPath("mvn")
	if err != nil {
		return "", err
	}
	dir := t.TempDir()
	pom := `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>tmp</groupId><artifactId>groovy-cp</artifactId><version>1</version>
<dependencies>
<dependency><groupId>org.codehaus.groovy</groupId><artifactId>groovy</artifactId><version>3.0.20</version></dependency>
<dependency><groupId>org.codehaus.groovy</groupId><artifactId>groovy-jsr223</artifactId><version>3.0.20</version></dependency>
</dependencies></project>`
	if err := os.WriteFile(filepath.Join(dir, "pom.xml"), []byte(pom), 0o644); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out := filepath.Join(dir, "cp.txt")
	cmd := exec.CommandContext(ctx, mvn, "-q", "-B", "dependency:build-classpath", "-Dmdep.outputFile="+out)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%v: %s", err, b)
	}
	cp, err := os.ReadFile(out)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(cp)), nil
}

// run runs a Groovy program file and returns its standard output.
func (g *groovyRunner) run(t *testing.T, program string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, g.java, "-cp", g.cp, "groovy.ui.GroovyMain", program)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("groovy %s: %v\n%s", program, err, stderr.String())
	}
	return string(out)
}

// driverHead is the start of the driver program: the samples as JMeter
// mocks.
func driverHead(envs []testEnv) string {
	var b strings.Builder
	b.WriteString("import java.util.Base64\n\ndef envs = [\n")
	for _, e := range envs {
		b.WriteString("    " + e.groovy() + ",\n")
	}
	b.WriteString(`]
def mkPrev(Map e) {
    def p = new Expando()
    p.getResponseCode = { -> e.code }
    p.getResponseData = { -> e.body }
    p.getResponseHeaders = { -> e.headers }
    p.getTime = { -> e.time }
    p.getBytesAsLong = { -> e.bytes }
    return p
}
def oneLine(Throwable x) { return (x.getClass().getSimpleName() + ': ' + x.getMessage()).replaceAll('[\\r\\n\\t]', ' ') }
def out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out, 'UTF-8')))
`)
	return b.String()
}

// outcome is a check's result: T (holds), F (does not), E (run-time
// error), with the error.
type outcome struct {
	cat byte
	msg string
}

// exprOutcome runs src with expr as loadgen does.
func exprOutcome(t *testing.T, src string, env planspec.CheckEnv) outcome {
	t.Helper()
	prog, err := planspec.CompileCheck(src)
	if err != nil {
		t.Fatalf("%s: does not compile: %v", src, err)
	}
	out, err := expr.Run(prog, env)
	if err != nil {
		msg, _, _ := strings.Cut(err.Error(), "\n")
		return outcome{'E', msg}
	}
	if b, ok := out.(bool); ok && b {
		return outcome{'T', ""}
	}
	return outcome{'F', ""}
}

// caseChunk is how many check methods go in one Groovy class, well below
// the JVM's limits.
const caseChunk = 150

// TestExecute translates every case, runs the Groovy against every sample
// in one JVM and compares with expr's result on loadgen's environment for
// the same sample: holds, does not hold, or fails with an error.
func TestExecute(t *testing.T) {
	g := findGroovy(t)
	cases := append(slices.Clone(handCases), randomCases(t, 700)...)
	dir := t.TempDir()

	envs := testEnvs
	goEnvs := make([]planspec.CheckEnv, len(envs))
	for i, e := range envs {
		goEnvs[i] = e.checkEnv()
	}
	all := uses{true, true, true, true, true, true, true}
	var chunks []string
	for start := 0; start < len(cases); start += caseChunk {
		var b strings.Builder
		b.WriteString(Prelude)
		for i := start; i < min(start+caseChunk, len(cases)); i++ {
			code, err := Translate(cases[i])
			if err != nil {
				t.Fatalf("Translate(%q): %v", cases[i], err)
			}
			fmt.Fprintf(&b, "\ndef lgCase%d(prev, vars) {\n%s    lgMem = 0L\n    return %s\n}\n", i, indent(bindings(all)), code)
		}
		path := filepath.Join(dir, fmt.Sprintf("cases%d.groovy", len(chunks)))
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		chunks = append(chunks, path)
	}

	var d strings.Builder
	d.WriteString(driverHead(envs))
	fmt.Fprintf(&d, "def chunks = [%s]\n", joinQuoted(chunks))
	fmt.Fprintf(&d, `int n = 0
chunks.eachWithIndex { path, c ->
    def s = new GroovyShell().parse(new File(path))
    int last = Math.min((c + 1) * %d, %d)
    for (int i = c * %d; i < last; i++) {
        for (int j = 0; j < envs.size(); j++) {
            def e = envs[j]
            try {
                def r = s.invokeMethod('lgCase' + i, [mkPrev(e), new HashMap(e.vars)] as Object[])
                out.println('C\t' + i + '\t' + j + '\t' + (r ? 'T' : 'F'))
            } catch (Throwable x) {
                out.println('C\t' + i + '\t' + j + '\tE\t' + oneLine(x))
            }
        }
    }
}
out.flush()
`, caseChunk, len(cases), caseChunk)
	driver := filepath.Join(dir, "driver.groovy")
	if err := os.WriteFile(driver, []byte(d.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	got := map[[2]int]outcome{}
	sc := bufio.NewScanner(strings.NewReader(g.run(t, driver)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), "\t", 5)
		if len(f) < 4 || f[0] != "C" {
			t.Fatalf("unexpected driver output %q", sc.Text())
		}
		i, _ := strconv.Atoi(f[1])
		j, _ := strconv.Atoi(f[2])
		o := outcome{cat: f[3][0]}
		if len(f) == 5 {
			o.msg = f[4]
		}
		got[[2]int{i, j}] = o
	}

	counts := map[byte]int{}
	fails := 0
	for i, src := range cases {
		for j := range envs {
			want := exprOutcome(t, src, goEnvs[j])
			counts[want.cat]++
			have, ok := got[[2]int{i, j}]
			if !ok {
				t.Fatalf("no Groovy result for %q on %s", src, envs[j].name)
			}
			if have.cat != want.cat {
				fails++
				if fails <= 60 {
					code, _ := Translate(src)
					t.Errorf("%q on sample %q: expr %c %s, Groovy %c %s\n    groovy: %s", src, envs[j].name, want.cat, want.msg, have.cat, have.msg, code)
				}
			}
		}
	}
	t.Logf("%d expressions (%d hand-written, %d generated) x %d samples = %d evaluations: %d hold, %d do not, %d fail with an error; %d mismatches",
		len(cases), len(handCases), len(cases)-len(handCases), len(envs), len(cases)*len(envs), counts['T'], counts['F'], counts['E'], fails)
}

func indent(s string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(strings.TrimSuffix(s, "\n"), "\n") {
		b.WriteString("    " + line + "\n")
	}
	return b.String()
}

func joinQuoted(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = Quote(s)
	}
	return strings.Join(q, ", ")
}

// scriptCases are whole assertions: checks evaluated in order, the first
// failing one reported.
var scriptCases = [][]string{
	{`status == 200`},
	{`status == 200`, `json.items != nil && len(json.items) > 0`, `json.token != ""`},
	{`body contains "ok"`, `headers["Content-Type"] startsWith "application/json"`},
	{`duration < 500`, `size > 100`, `vars.user == json.name`},
	{`json.data[0].id > 3`, `not (status >= 500)`},
	{`body matches "id=[0-9]+"`, `status in [200, 201]`},
	{`json.missing.x == 1 || true`, `status != 0`},
	{`json.q contains "it's \"quoted\" \\ $x ${y}"`, `json.s == "h\u00e9llo \U0001F600"`},
	{`"user" in vars`, `headers.Missing == ""`, `len(body) >= 0`},
	{`duration >= 0`},
	{`json == nil or json != nil`, `size >= 0`},
}

// TestScriptJSR223 runs complete assertion scripts through the JSR223
// Groovy engine, compiled and evaluated with bindings as JMeter does, and
// compares the verdict and message with loadgen's: the first check that
// does not hold or fails.
func TestScriptJSR223(t *testing.T) {
	g := findGroovy(t)
	dir := t.TempDir()
	var paths []string
	for k, checks := range scriptCases {
		s, err := Script(checks)
		if err != nil {
			t.Fatalf("Script(%q): %v", checks, err)
		}
		path := filepath.Join(dir, fmt.Sprintf("script%d.groovy", k))
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	var d strings.Builder
	d.WriteString(driverHead(testEnvs))
	fmt.Fprintf(&d, "def scripts = [%s]\n", joinQuoted(paths))
	d.WriteString(`def engine = new javax.script.ScriptEngineManager().getEngineByName('groovy')
scripts.eachWithIndex { path, k ->
    def compiled = ((javax.script.Compilable) engine).compile(new File(path).getText('UTF-8'))
    envs.eachWithIndex { e, j ->
        def st = [failed: false, msg: null]
        def ar = new Expando()
        ar.setFailure = { boolean b -> st.failed = b }
        ar.setFailureMessage = { String m -> st.msg = m }
        def bnd = engine.createBindings()
        bnd.put('prev', mkPrev(e))
        bnd.put('vars', new HashMap(e.vars))
        bnd.put('AssertionResult', ar)
        try {
            compiled.eval(bnd)
            out.println('S\t' + k + '\t' + j + '\t' + (st.failed ? 'FAIL\t' + Base64.getEncoder().encodeToString(st.msg.getBytes('UTF-8')) : 'PASS'))
        } catch (Throwable x) {
            out.println('S\t' + k + '\t' + j + '\tERROR\t' + oneLine(x))
        }
    }
}
out.flush()
`)
	driver := filepath.Join(dir, "driver.groovy")
	if err := os.WriteFile(driver, []byte(d.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	got := map[[2]int]string{}
	for line := range strings.SplitSeq(strings.TrimSpace(g.run(t, driver)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 4 || f[0] != "S" {
			t.Fatalf("unexpected driver output %q", line)
		}
		k, _ := strconv.Atoi(f[1])
		j, _ := strconv.Atoi(f[2])
		switch f[3] {
		case "PASS":
			got[[2]int{k, j}] = ""
		case "FAIL":
			msg, err := base64.StdEncoding.DecodeString(f[4])
			if err != nil {
				t.Fatal(err)
			}
			got[[2]int{k, j}] = string(msg)
		default:
			t.Fatalf("script %d on %s: %s", k, testEnvs[j].name, strings.Join(f[3:], " "))
		}
	}
	n := 0
	for k, checks := range scriptCases {
		for j, e := range testEnvs {
			want := ""
			for _, c := range checks {
				if exprOutcome(t, c, e.checkEnv()).cat != 'T' {
					want = c
					break
				}
			}
			have, ok := got[[2]int{k, j}]
			if !ok {
				t.Fatalf("no result for script %d on %s", k, e.name)
			}
			if have != want {
				t.Errorf("script %q on sample %q: got %q, want %q", checks, e.name, have, want)
			}
			n++
		}
	}
	t.Logf("%d scripts x %d samples = %d assertion runs", len(scriptCases), len(testEnvs), n)
}
