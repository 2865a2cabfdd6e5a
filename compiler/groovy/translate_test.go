package groovy

import (
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestTranslateText(t *testing.T) {
	tests := []struct{ src, want string }{
		{`status == 200`, `lgBool(lgEqI(lgStatus, 200L))`},
		{`json.items != nil && len(json.items) > 0`, `lgBool((lgTB((!lgEq(lgGet(lgJson, 'items'), null))) ? (lgGt(lgLen(lgGet(lgJson, 'items')), 0L)) : false))`},
		{`json?.obj?.a == 1`, `lgBool(lgEq(lgChain(lgGetO(lgGetO(lgJson, 'obj'), 'a')), 1L))`},
		{`json.name in ["bob", "alice"]`, `lgBool(lgInS(lgGet(lgJson, 'name'), ['alice', 'bob']))`},
		{`status in [201, 200]`, `lgBool(lgIn(lgStatus, [200L, 201L]))`},
		{`json.n in [1, 2]`, `lgBool(lgIn(lgGet(lgJson, 'n'), [1L, 2L]))`},
		{`"user" in vars`, `lgBool(lgInVars(vars, 'user'))`},
		{`vars.user == json.name`, `lgBool(lgEq(lgVar(vars, 'user'), lgGet(lgJson, 'name')))`},
		{`headers["Content-Type"] startsWith "application/json"`, `lgBool(lgStarts(lgGet(lgHeaders, 'Content-Type'), 'application/json'))`},
		{`body matches "^ok\\b"`, `lgBool(lgMatch(lgBody, '\\Aok(?:(?<=[0-9A-Za-z_])(?![0-9A-Za-z_])|(?<![0-9A-Za-z_])(?=[0-9A-Za-z_]))'))`},
		{`(json.x ?? "d") == "d"`, `lgBool(lgEq(lgCo(lgGet(lgJson, 'x'), { -> 'd' }), 'd'))`},
		{`json.items[1:] == []`, `lgBool(lgEq(lgSlice(lgGet(lgJson, 'items'), false, null, true, 1L), lgArr([])))`},
		{`duration < 500.5 or size >= 1e3`, `lgBool((lgTB(lgLt(lgDuration, 500.5d)) ? true : (lgGe(lgSize, 1000d))))`},
		{`not (status >= 500)`, `lgBool(lgNot(lgGe(lgStatus, 500L)))`},
		{`json.ok ? true : false`, `lgBool((lgTB(lgGet(lgJson, 'ok')) ? (true) : (false)))`},
		{`json?.[json.k] == nil`, `lgBool(lgEq(lgChain(lgGetOL(lgJson, { -> lgGet(lgJson, 'k') })), null))`},
		{`-json.n == -1.5`, `lgBool(lgEq(lgNeg(lgGet(lgJson, 'n')), (-(1.5d))))`},
		// the optimizer turns an int in a literal range into comparisons
		{`status in 200..299`, `lgBool((lgTB(lgGe(lgStatus, 200L)) ? (lgLe(lgStatus, 299L)) : false))`},
		{`json.n in 1..3`, `lgBool(lgInR(lgGet(lgJson, 'n'), 1L, 3L))`},
		{`[1, json.n] == json.a`, `lgBool(lgEq(lgArr([1L, lgGet(lgJson, 'n')]), lgGet(lgJson, 'a')))`},
		{`[1, "a"] == json.a`, `lgBool(lgEq([1L, 'a'], lgGet(lgJson, 'a')))`},
		{`(json.ok ? "y" : nil) == "y"`, `lgBool(lgEqS((lgTB(lgGet(lgJson, 'ok')) ? ('y') : (null)), 'y'))`},
		// constant folding, as expr does it
		{`"a" + "b" == "ab"`, `lgBool(true)`},
		{`json.nul or true`, `lgBool(true)`},
		{`json.ok and true`, `lgBool(lgGet(lgJson, 'ok'))`},
		{`9223372036854775807 + 1 < 0`, `lgBool(lgLt(Long.MIN_VALUE, 0L))`},
		// literals stay plain ASCII, single-quoted, never interpolated
		{`json.q == "it's \"$x\" \\ ${y} é😀\n"`, `lgBool(lgEq(lgGet(lgJson, 'q'), 'it\'s "$x" \\ ${y} \u00e9\ud83d\ude00\n'))`},
	}
	for _, tt := range tests {
		got, err := Translate(tt.src)
		if err != nil {
			t.Errorf("Translate(%q): %v", tt.src, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Translate(%q)\n got %s\nwant %s", tt.src, got, tt.want)
		}
	}
}

func TestTranslateUnsupported(t *testing.T) {
	tests := []struct{ src, construct string }{
		{`upper(body) == "OK"`, `function "upper"`},
		{`string(status) == "200"`, `function "string"`},
		{`all(json.items, # > 0)`, `function "all"`},
		{`filter(json.items, # > 1) == [2, 3]`, `function "filter"`},
		{`len(vars) > 0`, `the vars map as a value`},
		{`vars == vars`, `the vars map as a value`},
		{`{"a": 1} == json.obj`, `map literal`},
		{`let x = 1; x == status`, `variable declaration (let)`},
		{`body matches vars.re`, `matches with a pattern that is not a string literal`},
		{`1..3 == [1, 2, 3]`, `range (..) outside of "in"`},
		{`$env.status == 200`, `identifier "$env"`},
		{`body contains "\xff" && json.x == "\xff"`, ``}, // \xff is U+00FF in expr: supported
	}
	for _, tt := range tests {
		_, err := Translate(tt.src)
		if tt.construct == "" {
			if err != nil {
				t.Errorf("Translate(%q): %v", tt.src, err)
			}
			continue
		}
		var u *UnsupportedError
		if !errors.As(err, &u) || !errors.Is(err, ErrUnsupported) {
			t.Errorf("Translate(%q): got %v, want an UnsupportedError", tt.src, err)
			continue
		}
		if u.Expr != tt.src || !strings.Contains(u.Construct, tt.construct) {
			t.Errorf("Translate(%q): got %+v, want construct %q", tt.src, u, tt.construct)
		}
		if msg := err.Error(); !strings.Contains(msg, "unsupported in JMeter export: "+tt.construct) || !strings.Contains(msg, strconv.Quote(tt.src)) {
			t.Errorf("Translate(%q): message %q lacks the expression or construct", tt.src, msg)
		}
	}
}

func TestTranslateCompileError(t *testing.T) {
	for _, src := range []string{``, `status ==`, `status == "200"`, `nosuch > 1`, `status`, `body matches "("`, `duration % 2 == 0`} {
		_, err := Translate(src)
		if err == nil || errors.Is(err, ErrUnsupported) {
			t.Errorf("Translate(%q): got %v, want a compile error", src, err)
		}
	}
}

func TestScriptText(t *testing.T) {
	checks := []string{`status == 200`, `json.token != "$x"`, `body contains "é"`}
	s, err := Script(checks)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			t.Fatalf("script is not ASCII at byte %d: %q", i, s[max(0, i-20):min(len(s), i+20)])
		}
	}
	// The script carries the prelude's imports and only the helpers it
	// needs: the JSON parser (json is read) but not the header parser.
	if !strings.Contains(s, "import groovy.transform.CompileStatic") || !strings.Contains(s, "static Object lgParseJson(") {
		t.Error("script lacks the prelude's imports or a helper it needs")
	}
	if strings.Contains(s, "lgParseHeaders(") || len(s) >= len(Prelude) {
		t.Error("script carries helpers it does not need")
	}
	for _, want := range []string{
		"def lgBody = lgBodyOf(prev.getResponseData())\n",
		"def lgJson = lgParseJson(lgBody)\n",
		"def lgStatus = lgStatusOf(prev.getResponseCode())\n",
		`lgFail = 'status == 200'`,
		`lgFail = 'json.token != "$x"'`,
		`lgFail = 'body contains "\u00e9"'`,
		"AssertionResult.setFailure(true)",
		"AssertionResult.setFailureMessage(lgFail)",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q", want)
		}
	}
	// Only what the checks read is built.
	for _, unwanted := range []string{"def lgHeaders", "def lgDuration", "def lgSize"} {
		if strings.Contains(s, unwanted) {
			t.Errorf("script builds %q though no check reads it", unwanted)
		}
	}
	// The generated part is well-formed and has no double-quoted (GString) string.
	var generated []string
	for line := range strings.SplitSeq(s[strings.Index(s, "// Bindings the checks read."):], "\n") {
		if !strings.HasPrefix(line, "//") {
			generated = append(generated, line)
		}
	}
	if err := lexGroovy(strings.Join(generated, " ")); err != nil {
		t.Errorf("generated code: %v", err)
	}
	if i, j := strings.Index(s, "'status == 200'"), strings.Index(s, "'json.token"); i < 0 || j < i {
		t.Error("checks are not in order")
	}

	s, err = Script([]string{`duration < 1`})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s, "def lgDuration = lgDurationOf(prev.getTime())") || strings.Contains(s, "def lgBody") {
		t.Errorf("bindings of a duration check:\n%s", s[strings.Index(s, "// Bindings"):])
	}
}

func TestScriptErrors(t *testing.T) {
	_, err := Script([]string{`status == 200`, `upper(body) == "X"`, `status ==`, `lower(body) == "x"`})
	if err == nil {
		t.Fatal("Script accepted untranslatable checks")
	}
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("error %v does not match ErrUnsupported", err)
	}
	for _, want := range []string{`function "upper"`, `"status =="`, `function "lower"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if s, err := Script(nil); err != nil || !strings.Contains(s, "lgFail") {
		t.Errorf("Script(nil) = %v", err)
	}
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{``, `''`},
		{`plain`, `'plain'`},
		{`it's`, `'it\'s'`},
		{`a\b`, `'a\\b'`},
		{`$x ${y} "q"`, `'$x ${y} "q"'`},
		{"tab\tnl\ncr\rbs\bff\f", `'tab\tnl\ncr\rbs\bff\f'`},
		{"\x00\x1f\x7f", `'\u0000\u001f\u007f'`},
		{"é€\U0001F600", `'\u00e9\u20ac\ud83d\ude00'`},
	}
	for _, tt := range tests {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
	if _, err := stringLit("\xff"); err == nil {
		t.Error("stringLit accepted invalid UTF-8")
	}
}

func TestNumberLiterals(t *testing.T) {
	ints := map[int64]string{0: "0L", 200: "200L", -5: "(-(5L))", math.MaxInt64: "9223372036854775807L", math.MinInt64: "Long.MIN_VALUE"}
	for v, want := range ints {
		if got := intLit(v); got != want {
			t.Errorf("intLit(%d) = %s, want %s", v, got, want)
		}
	}
	floats := []struct {
		v    float64
		want string
	}{
		{0, "0d"}, {math.Copysign(0, -1), "(-(0d))"}, {2.5, "2.5d"}, {-19.99, "(-(19.99d))"}, {1e21, "1e+21d"},
		{5e-324, "5e-324d"}, {math.Inf(1), "Double.POSITIVE_INFINITY"}, {math.Inf(-1), "Double.NEGATIVE_INFINITY"},
		{math.NaN(), "Double.NaN"},
	}
	for _, tt := range floats {
		if got := floatLit(tt.v); got != tt.want {
			t.Errorf("floatLit(%v) = %s, want %s", tt.v, got, tt.want)
		}
	}
}

func TestJavaRegexp(t *testing.T) {
	tests := []struct{ in, want string }{
		{`id=[0-9]+`, `id=[0-9]+`},
		{`^a.b$`, `\Aa[^\n]b\z`},
		{`(?i)k`, `[Kk\x{212A}]`},
		{`(?m)^a$`, `(?:\A|(?<=\n))a(?:\z|(?=\n))`},
		{`(?s).`, `(?s:.)`},
		{`a{2,}?`, `a{2,}?`},
		{`x*y+z?b{1,3}`, `x*y+z?b{1,3}`},
		{`(ab)*`, `(?:(?:ab))*`},
		{`é|😀`, `[\x{E9}\x{1F600}]`},
		{`[[:^alpha:]]`, `[\x{0}-@\x{5B}-\x{60}\x{7B}-\x{10FFFF}]`},
		{`\Qa.b\E`, `a\x{2E}b`},
		{`a|b+`, `(?:a|b+)`},
	}
	for _, tt := range tests {
		got, err := javaRegexp(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("javaRegexp(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := javaRegexp(`(`); err == nil {
		t.Error("javaRegexp accepted an invalid pattern")
	}
	// The output only uses ASCII and Java's explicit escapes.
	got, _ := javaRegexp(`(?i)straße\pL\bé`)
	if ok, _ := regexp.MatchString(`^[\x20-\x7e]+$`, got); !ok {
		t.Errorf("javaRegexp output is not printable ASCII: %q", got)
	}
}
