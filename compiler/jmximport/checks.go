package jmximport

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/loadgen/loadgen/compiler"
	"github.com/loadgen/loadgen/compiler/jmx"
	"github.com/loadgen/loadgen/planspec"
)

// successCheck is JMeter's own success rule (a 2xx or 3xx status), added
// to steps whose imported assertions do not decide the status.
const successCheck = "status >= 200 && status < 400"

// checkMarker starts the comment of a JSR223 assertion the exporter wrote
// for a check it could not map to a native assertion.
const checkMarker = "loadgen check: "

// checkSet is one assertion imported as checks.
type checkSet struct {
	checks []string
	// assume marks an assertion that ignores the sampler's status
	// (assume_success, or a loadgen check).
	assume bool
	// impliesOK marks checks that already require a 2xx/3xx status.
	impliesOK bool
}

// checks gathers the checks of the assertions in scope of a sampler.
func (w *walker) checks(anc []*jmx.Element, e *jmx.Element, chain []*level) []string {
	var all []string
	assume, implied, any := false, false, false
	for _, lv := range chain {
		for _, cs := range lv.checks {
			any = true
			all = append(all, cs.checks...)
			assume = assume || cs.assume
			implied = implied || cs.impliesOK
		}
	}
	switch {
	case !any:
		return nil
	case len(all) == 0 && assume:
		// The status is ignored and nothing else is asserted: JMeter
		// reports success whatever the response.
		return []string{"true"}
	case len(all) == 0:
		return nil
	case !assume && !implied:
		all = append([]string{successCheck}, all...)
	}
	return all
}

// assertion imports an assertion.
func (im *importer) assertion(anc []*jmx.Element, e *jmx.Element) (checkSet, bool) {
	switch class(e) {
	case "ResponseAssertion":
		return im.responseAssertion(anc, e)
	case "DurationAssertion":
		ms, ok := im.numProp(anc, e, "DurationAssertion.duration")
		if !ok || ms <= 0 {
			im.warn(anc, e, "Duration Assertion without a positive duration; ignored")
			return checkSet{}, false
		}
		return checkSet{checks: []string{fmt.Sprintf("duration <= %d", int64(ms))}}, true
	case "JSR223Assertion":
		for _, prop := range []string{"TestElement.comments", "TestPlan.comments"} {
			if text, ok := strings.CutPrefix(e.String(prop), checkMarker); ok {
				// One check per line (the exporter's comment).
				cs := checkSet{assume: true}
				for _, src := range strings.Split(text, "\n") {
					if src = strings.TrimSpace(src); src == "" {
						continue
					}
					if _, err := planspec.CompileCheck(src); err != nil {
						im.warn(anc, e, "loadgen check %q does not compile: %s", src, firstLine(err))
						continue
					}
					cs.checks = append(cs.checks, src)
				}
				return cs, true
			}
		}
		im.unsupported(anc, e, "JSR223 (script) assertions are not supported")
	}
	return checkSet{}, false
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// testStrings reads a Response Assertion's patterns (the collection is
// named "Asserion.test_strings", a typo JMeter keeps).
func testStrings(e *jmx.Element) []string {
	p := e.Prop("Asserion.test_strings")
	if p == nil {
		p = e.Prop("Assertion.test_strings")
	}
	if p == nil {
		return nil
	}
	var out []string
	for _, s := range p.Props {
		out = append(out, s.Value)
	}
	return out
}

var codeRe = regexp.MustCompile(`^[1-5][0-9][0-9]$`)

// responseAssertion imports a Response Assertion.
func (im *importer) responseAssertion(anc []*jmx.Element, e *jmx.Element) (checkSet, bool) {
	field := e.String("Assertion.test_field")
	typ, _ := im.intProp(anc, e, "Assertion.test_type")
	assume, _ := e.Bool("Assertion.assume_success")
	strs := testStrings(e)
	cs := checkSet{assume: assume}

	var subject string
	code := false
	switch field {
	case "Assertion.response_code":
		code, subject = true, "string(status)"
	case "Assertion.response_data", "":
		subject = "body"
	case "Assertion.response_data_as_document":
		subject = "body"
		im.warn(anc, e, "\"document\" text (Apache Tika) is tested as the raw body")
	case "Assertion.response_headers":
		subject = `join(map(keys(headers), # + ": " + headers[#]), "\n")`
		im.warn(anc, e, "response headers are tested as \"Name: value\" lines (canonical names, no status line)")
	default:
		im.unsupported(anc, e, "Response Assertion on %s is not supported (checks see status, body and headers)", strings.TrimPrefix(field, "Assertion."))
		return checkSet{}, false
	}
	if len(strs) == 0 {
		if assume {
			return cs, true
		}
		im.info(anc, e, "Response Assertion without patterns (always passes); ignored")
		return checkSet{}, false
	}

	not, or := typ&compiler.TestNot != 0, typ&compiler.TestOr != 0
	// Exporter round trip: a custom message that is a check mapping back
	// to exactly this assertion is the original check.
	if src := strings.TrimSpace(e.String("Assertion.custom_message")); src != "" {
		if exporterCheck(src, field, typ, strs) {
			cs.checks = []string{src}
			return cs, true
		}
	}

	var preds []string
	var codes []string
	allCodes := true
	for _, s := range strs {
		if (s == ".*" || s == "(?s).*") && typ&(compiler.TestEquals|compiler.TestSubstring) == 0 {
			// Matches anything: an assertion that only sets assume_success.
			if not {
				preds = append(preds, "false")
			}
			continue
		}
		if code && codeRe.MatchString(s) {
			codes = append(codes, s)
			p := "status == " + s
			if not {
				p = "status != " + s
			}
			preds = append(preds, p)
			continue
		}
		allCodes = false
		val, ok := im.exprString(anc, e, s, "pattern "+strconv.Quote(s))
		if !ok {
			continue
		}
		var p string
		static := isQuoted(val)
		switch {
		case typ&compiler.TestContains != 0, typ&(compiler.TestEquals|compiler.TestSubstring) == 0:
			whole := typ&compiler.TestContains == 0
			re := val
			if static {
				goRe, ok := im.goRegex(anc, e, s)
				if !ok {
					continue
				}
				if whole {
					goRe = "^(?:" + goRe + ")$"
				}
				re = quoteExpr(goRe)
			} else if whole {
				re = `("^(?:" + ` + val + ` + ")$")`
			}
			p = subject + " matches " + re
		case typ&compiler.TestEquals != 0:
			p = subject + " == " + val
		default:
			p = subject + " contains " + val
		}
		if not {
			p = "not (" + p + ")"
		}
		preds = append(preds, p)
	}
	if len(preds) == 0 {
		return cs, assume
	}
	switch {
	case or && !not && allCodes && len(codes) > 1:
		cs.checks = []string{"status in [" + strings.Join(codes, ", ") + "]"}
	case or && len(preds) > 1:
		cs.checks = []string{strings.Join(parenthesize(preds), " || ")}
	default:
		cs.checks = preds
	}
	if allCodes && !not && len(codes) == len(strs) {
		cs.impliesOK = true
		for _, c := range codes {
			n, _ := strconv.Atoi(c)
			cs.impliesOK = cs.impliesOK && n >= 200 && n < 400
		}
	}
	var kept []string
	for _, c := range cs.checks {
		if _, err := planspec.CompileCheck(c); err != nil {
			im.warn(anc, e, "check %q does not compile (%s); dropped", c, firstLine(err))
			continue
		}
		kept = append(kept, c)
	}
	cs.checks = kept
	return cs, len(kept) > 0 || assume
}

func isQuoted(s string) bool {
	_, err := strconv.Unquote(s)
	return err == nil && strings.HasPrefix(s, `"`)
}

func parenthesize(preds []string) []string {
	out := make([]string, len(preds))
	for i, p := range preds {
		out[i] = "(" + p + ")"
	}
	return out
}

// exporterCheck reports whether src is a check the exporter maps to a
// Response Assertion of this field, type and patterns.
func exporterCheck(src, field string, typ int64, strs []string) bool {
	if _, err := planspec.CompileCheck(src); err != nil {
		return false
	}
	as := compiler.MapCheck(src)
	if len(as) != 1 {
		return false
	}
	a := as[0]
	switch a.Kind {
	case compiler.CodeEquals:
		if field != "Assertion.response_code" {
			return false
		}
	case compiler.BodyContains:
		if field != "Assertion.response_data" {
			return false
		}
	default:
		return false
	}
	return int64(a.TestType()) == typ && slices.Equal(a.Values, strs)
}

// javaOnlyRe finds Java regex syntax Go's regexp lacks: look-around,
// atomic groups, possessive quantifiers, back references.
var javaOnlyRe = regexp.MustCompile(`\(\?<?[=!]|\(\?>|[*+?}]\+|\\[1-9]|\\[hHRXZG]|\\p\{java`)

// goRegex checks that a JMeter (Java/Perl5) regex means the same to Go.
func (im *importer) goRegex(anc []*jmx.Element, e *jmx.Element, re string) (string, bool) {
	if m := javaOnlyRe.FindString(re); m != "" {
		im.warn(anc, e, "regex %q uses Java-only syntax %q; not imported", re, m)
		return "", false
	}
	if _, err := regexp.Compile(re); err != nil {
		im.warn(anc, e, "regex %q is not valid for Go (%v); not imported", re, err)
		return "", false
	}
	return re, true
}
