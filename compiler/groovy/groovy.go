// Package groovy translates loadgen check expressions (expr-lang, see
// planspec.CheckEnv) into Groovy 3 for JMeter's JSR223 Assertion, for the
// checks a JMeter export has no native assertion for.
//
// The translation is faithful or refused. An expression is compiled exactly
// as loadgen compiles it (planspec.CompileCheck: the typed checker, then
// expr's optimizer), and the optimized tree is printed, so the Groovy code
// runs what expr runs: the same short-circuits, constant folds and
// type-dependent rewrites (x in ["a", "b"] is a map lookup in which nil
// finds ""; == between two typed strings asserts them). Every operation
// goes through a helper of [Prelude] that reproduces expr's run-time
// semantics on Groovy values and throws wherever expr's VM fails, so that
// not (...) of a failure is still a failure, as in loadgen, where a
// run-time error fails the check. Constructs without such a helper are
// refused with an [UnsupportedError], which the caller turns into a
// warning.
//
// Supported: literals (nil, bool, int, float, string, arrays), the
// variables status, body, json, headers, duration and size, vars.NAME,
// vars[KEY] and KEY in vars, member and index access (negative indexes,
// optional chaining ?. and ?.[]), slices, the operators
// == != < <= > >= + - * / % ** ^ and or && || not ! in (arrays, maps,
// ranges a..b), contains startsWith endsWith, matches (with a pattern
// literal), ?? and ?: (and if/else), and the builtin len.
//
// Unsupported: every other function or builtin (upper, lower, trim,
// string, int, float, abs, all, any, filter, map, now, ...), method calls,
// map literals, let and ; sequences, predicates and #, a range outside
// "in", matches with a pattern that is not a literal, the vars map as a
// whole value (len(vars), vars == ...; JMeter's variables are not the
// plan's), and $env.
//
// Semantics worth knowing, all as in expr (the tests run the generated
// Groovy against expr on the same samples):
//   - json.x fails when json is nil (the body is not JSON), it does not
//     yield nil; json.x is nil for a missing key; json?.x is nil-safe.
//   - len(nil) fails; len of a string counts code points.
//   - vars.NAME and headers["Name"] are "" when unset (a Go
//     map[string]string); header keys are canonical ("Content-Type").
//   - "/" is float division; "%" takes ints only; an int and a float
//     compare by value (200 == 200.0); JSON numbers are all floats, as in
//     Go; int arithmetic wraps at 64 bits.
//   - contains, startsWith, endsWith and matches are false on a nil operand.
//   - matches: the Go (RE2) pattern is parsed at export time and printed
//     as an equivalent java.util.regex pattern made of explicit constructs
//     (unanchored search; RE2's ., ^, $, \b, case folding and Unicode
//     classes), so Java's different defaults do not apply.
//   - json is parsed as Go's encoding/json does (not with JsonSlurper,
//     which accepts trailing data and commas and overflows big integers):
//     it is nil unless the body is exactly one JSON value.
//
// Known differences, outside what checks normally do: ** may differ in the
// last bit (Go's math.Pow against Java's Math.pow); where Go has a string
// that is not UTF-8 (a slice cut inside a character, a body that is not
// UTF-8) Groovy has U+FFFD for each bad byte, which agrees on len and on
// comparisons with ordinary strings but equals a real U+FFFD; s[i], a Go
// uint8, is a Long here, so its negation does not wrap; Java's
// backtracking regex engine can be slow, or overflow the stack (failing
// the check), on long input with nested repetitions. The bindings come
// from JMeter's SampleResult and differ where JMeter does: duration is
// whole milliseconds, size is prev.getBytesAsLong(), NAME in vars sees
// every JMeter variable, and headers are those prev.getResponseHeaders()
// lists.
//
// Each generated script carries the prelude, which JMeter compiles once
// per assertion when it caches compiled scripts (its default).
package groovy

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// ErrUnsupported is the error every [UnsupportedError] matches with
// errors.Is.
var ErrUnsupported = errors.New("unsupported in JMeter export")

// UnsupportedError reports a check expression that compiles in loadgen but
// has a construct the Groovy translation cannot reproduce faithfully.
type UnsupportedError struct {
	Expr      string // the check expression
	Construct string // what is unsupported, e.g. `function "upper"`
}

// Error implements error.
func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("check %q: %v: %s", e.Expr, ErrUnsupported, e.Construct)
}

// Is makes errors.Is(err, ErrUnsupported) hold.
func (e *UnsupportedError) Is(target error) bool { return target == ErrUnsupported }

// Translate returns a Groovy boolean expression equivalent to the check
// expression src: it is true exactly when the check holds in loadgen, false
// when loadgen's result is false or nil, and it throws where the check fails
// with a run-time error in loadgen (so a caller treats a throw as a failed
// check). The expression needs [Prelude] in the script and these local
// variables in scope, built as [Script] builds them: lgStatus (Long),
// lgBody (String), lgJson, lgHeaders (from lgParseHeaders), lgDuration
// (Double), lgSize (Long), plus JMeter's vars binding; and lgMem = 0 before
// each evaluation (expr's per-run memory budget). It returns an
// [*UnsupportedError] for a construct it cannot translate faithfully, and
// a wrapped compile error for an expression loadgen itself rejects.
func Translate(src string) (string, error) {
	t, err := translate(src)
	if err != nil {
		return "", err
	}
	return t.code, nil
}

// Script returns a complete Groovy script for a JMeter 5.6.3 JSR223
// Assertion that evaluates the checks in order against the sample (prev)
// and, at the first one that does not hold or fails with an error, calls
// AssertionResult.setFailure(true) and setFailureMessage with the check's
// expression (the failureMessage loadgen's engine writes) and evaluates no
// more. It builds
// only the bindings the checks read, once per sample: status from
// prev.getResponseCode() (0 when not numeric, e.g. "Non HTTP response
// code: ..."), body as the UTF-8 decoding of prev.getResponseData() (loadgen
// reads the bytes as UTF-8 whatever the charset), json parsed from body the
// way Go's encoding/json does (null when not exactly one JSON value),
// headers from prev.getResponseHeaders() with Go-canonical keys (the last of
// repeated headers wins), duration as prev.getTime() in milliseconds, size
// as prev.getBytesAsLong(), and vars read through JMeter's vars.
//
// Script translates every check; if any fails to translate it returns no
// script and an error joining one error per such check (each an
// [*UnsupportedError] or a compile error), so that no check is dropped
// silently: use [Translate] first to pick the checks to export. The script
// is plain ASCII (other characters are \uXXXX escapes) with single-quoted
// Groovy strings only, which never interpolate $, so it can go into XML or
// a Java string literal with just their usual escaping.
func Script(checks []string) (string, error) {
	var errs []error
	ts := make([]*translation, 0, len(checks))
	var used uses
	for _, c := range checks {
		t, err := translate(c)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		used = used.or(t.used)
		ts = append(ts, t)
	}
	if len(errs) > 0 {
		return "", errors.Join(errs...)
	}
	var b strings.Builder
	b.WriteString("// JSR223 Assertion (Groovy) generated by loadgen from the plan's check expressions.\n")
	var body strings.Builder
	body.WriteString("\n// Bindings the checks read.\n")
	body.WriteString(bindings(used))
	body.WriteString("\n// The checks, in order; the first that fails fails the sample.\nString lgFail = null\n")
	for _, t := range ts {
		// The failure message is the check's source, as the engine writes.
		msg := Quote(t.src)
		fmt.Fprintf(&body, "if (lgFail == null) {\n    lgMem = 0L\n    try {\n        if (!%s) lgFail = %s\n    } catch (Exception | StackOverflowError lgE) {\n        lgFail = %s\n    }\n}\n", t.code, msg, msg)
	}
	body.WriteString("if (lgFail != null) {\n    AssertionResult.setFailure(true)\n    AssertionResult.setFailureMessage(lgFail)\n}\n")
	b.WriteString(preludeFor(body.String()))
	b.WriteString(body.String())
	return b.String(), nil
}

// preludeUnit is one declaration of the Prelude (an import, a field or a
// helper method with its comment) and the lg* names it declares and uses.
type preludeUnit struct {
	text     string
	declares []string
	uses     []string
}

var (
	lgName       = regexp.MustCompile(`\b(?:lg[A-Z]\w*|LG_[A-Z0-9_]+|lgMem)\b`)
	lgDeclared   = regexp.MustCompile(`(?m)^(?:@Field\s+)?(?:static\s+)?(?:final\s+)?[\w.]+(?:<[^>]*>)?(?:\[\])?\s+(lg[A-Z]\w*|LG_[A-Z0-9_]+|lgMem)\s*[(=]`)
	preludeUnits = splitPrelude(Prelude)
)

// splitPrelude cuts the Prelude at blank lines into declarations; a chunk
// that starts with something else than a declaration or a comment (a
// blank line inside a method) stays with the one before.
func splitPrelude(src string) []preludeUnit {
	var units []preludeUnit
	for _, chunk := range strings.Split(src, "\n\n") {
		t := strings.TrimLeft(chunk, "\n")
		starts := strings.HasPrefix(t, "import") || strings.HasPrefix(t, "@") || strings.HasPrefix(t, "//") ||
			strings.HasPrefix(t, "static") || strings.HasPrefix(t, "void") || strings.HasPrefix(t, "def")
		if !starts && len(units) > 0 {
			units[len(units)-1].text += "\n\n" + chunk
			continue
		}
		units = append(units, preludeUnit{text: chunk})
	}
	for i := range units {
		u := &units[i]
		for _, m := range lgDeclared.FindAllStringSubmatch(u.text, -1) {
			u.declares = append(u.declares, m[1])
		}
		u.uses = lgName.FindAllString(u.text, -1)
	}
	return units
}

// preludeFor returns the Prelude cut down to the imports and the
// declarations code needs, directly or through other helpers: JMeter
// compiles every JSR223 script on first use, and the whole Prelude takes
// seconds to compile with static type checking on a cold JVM.
func preludeFor(code string) string {
	need := map[string]bool{}
	var queue []string
	add := func(names []string) {
		for _, n := range names {
			if !need[n] {
				need[n] = true
				queue = append(queue, n)
			}
		}
	}
	add(lgName.FindAllString(code, -1))
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		for _, u := range preludeUnits {
			if slices.Contains(u.declares, name) {
				add(u.uses)
			}
		}
	}
	var b strings.Builder
	for _, u := range preludeUnits {
		keep := len(u.declares) == 0 // imports and comments
		for _, d := range u.declares {
			keep = keep || need[d]
		}
		if keep {
			b.WriteString(u.text)
			b.WriteString("\n\n")
		}
	}
	return b.String()
}

// bindings returns the Groovy statements that define the lg* variables
// the checks read.
func bindings(u uses) string {
	var b strings.Builder
	if u.body || u.json {
		b.WriteString("def lgBody = lgBodyOf(prev.getResponseData())\n")
	}
	if u.json {
		b.WriteString("def lgJson = lgParseJson(lgBody)\n")
	}
	if u.status {
		b.WriteString("def lgStatus = lgStatusOf(prev.getResponseCode())\n")
	}
	if u.headers {
		b.WriteString("def lgHeaders = lgParseHeaders(prev.getResponseHeaders())\n")
	}
	if u.duration {
		b.WriteString("def lgDuration = lgDurationOf(prev.getTime())\n")
	}
	if u.size {
		b.WriteString("def lgSize = lgSizeOf(prev.getBytesAsLong())\n")
	}
	return b.String()
}
