package jmximport

import (
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/loadgen/loadgen/compiler/jmx"
)

// convMode says what a converted string is for.
type convMode int

const (
	// convTemplate: a request template (url, header, body...).
	convTemplate convMode = iota
	// convVar: the value of a plan variable.
	convVar
)

// iterVarRe matches the loop index variable JMeter sets per thread group,
// ${__jm__<name>__idx}.
var iterVarRe = regexp.MustCompile(`^__jm__.*__idx$`)

// convert turns a JMeter string into a plan template. what names the
// string in warnings.
func (im *importer) convert(anc []*jmx.Element, e *jmx.Element, s, what string, mode convMode) *tmplBuilder {
	tb := &tmplBuilder{}
	nodes, compiled, err := compileJMeter(s)
	if err != nil {
		im.warn(anc, e, "%s: %v; JMeter uses the text as written", what, err)
	}
	if !compiled {
		tb.lit(s)
		return tb
	}
	im.emitNodes(anc, e, nodes, what, mode, tb)
	return tb
}

// tmpl converts a JMeter string into a request template string.
func (im *importer) tmpl(anc []*jmx.Element, e *jmx.Element, s, what string) string {
	out, dollar := im.convert(anc, e, s, what, convTemplate).build()
	im.needDollar = im.needDollar || dollar
	return out
}

func (im *importer) emitNodes(anc []*jmx.Element, e *jmx.Element, nodes []jnode, what string, mode convMode, tb *tmplBuilder) {
	for _, n := range nodes {
		switch n.kind {
		case nodeLit:
			tb.lit(n.text)
		case nodeVar:
			im.emitVar(anc, e, n, what, mode, tb)
		case nodeFn:
			im.emitFn(anc, e, n, what, mode, tb)
		}
	}
}

// emitVar writes a ${name} reference.
func (im *importer) emitVar(anc []*jmx.Element, e *jmx.Element, n jnode, what string, mode convMode, tb *tmplBuilder) {
	name := n.text
	if fc, ok := im.csvVars[name]; ok {
		tb.ref("${" + fc.feeder.name + "." + fc.column + "}")
		return
	}
	if v, ok := im.extracted[name]; ok {
		tb.ref("${" + v + "}")
		return
	}
	if v := im.varByName[name]; v != nil {
		switch {
		case !v.converted:
			// JMeter evaluates variables in order and leaves a
			// reference it cannot resolve yet as written.
			tb.lit(n.raw)
		case v.dynamic || mode == convVar:
			// Plan variables are plain text: splice the value in.
			tb.parts = mergeLits(append(tb.parts, v.tb.parts...))
		default:
			tb.ref("${" + v.name + "}")
		}
		return
	}
	if iterVarRe.MatchString(name) {
		tb.ref("${__iter}")
		return
	}
	plan := sanitizeIdent(name)
	im.warn(anc, e, "%s: variable %q is not defined by the plan (a script or JMeter itself sets it?); kept as ${%s}", what, name, plan)
	tb.ref("${" + plan + "}")
}

// planTemplateParts splits a plan template into literal and reference
// parts (the inverse of tmplBuilder.build).
func planTemplateParts(s string) *tmplBuilder {
	tb := &tmplBuilder{}
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			tb.lit("${")
			i += 3
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				tb.lit(s[i:])
				return tb
			}
			ref := s[i : i+end+1]
			if ref == "${"+dollarVar+"}" {
				tb.lit("$")
			} else {
				tb.ref(ref)
			}
			i += end + 1
		default:
			tb.lit(s[i : i+1])
			i++
		}
	}
	return tb
}

func mergeLits(parts []tpart) []tpart {
	var out []tpart
	for _, p := range parts {
		if n := len(out); n > 0 && p.lit && out[n-1].lit {
			out[n-1].s += p.s
			continue
		}
		out = append(out, p)
	}
	return out
}

// groovyVarRe matches the exporter's JSON escaping of a variable inside a
// JSON string: the value without its quotes.
var groovyVarRe = regexp.MustCompile(`^groovy\.json\.JsonOutput\.toJson\(String\.valueOf\(vars\.get\('([^']+)'\)\)\)\[1\.\.-2\]$`)

// emitFn writes a function call.
func (im *importer) emitFn(anc []*jmx.Element, e *jmx.Element, n jnode, what string, mode convMode, tb *tmplBuilder) {
	arg := func(i int) (string, bool) {
		if i >= len(n.args) {
			return "", true
		}
		return n.args[i].literal()
	}
	keep := func(why string) {
		im.warn(anc, e, "%s: %s; kept as the literal text %q", what, why, n.raw)
		tb.lit(n.raw)
	}
	switch n.text {
	case "__P", "__property":
		if len(n.args) == 0 {
			keep("function " + n.text + " needs a property name")
			return
		}
		name, ok := arg(0)
		if !ok || strings.TrimSpace(name) == "" {
			keep("the property name of " + n.text + " is not a plain name")
			return
		}
		defIdx, def := 1, "1"
		if n.text == "__property" {
			defIdx, def = 2, name
			if v, _ := arg(1); strings.TrimSpace(v) != "" {
				im.warn(anc, e, "%s: %s stores the property in variable %q; the plan does not", what, n.raw, v)
			}
		}
		if defIdx < len(n.args) {
			d, ok := im.literalArg(anc, e, n.args[defIdx])
			if !ok {
				im.warn(anc, e, "%s: the default of %s is not plain text; the plan's default is empty", what, n.raw)
				d = ""
			}
			def = d
		}
		if strings.Contains(def, "}") {
			im.warn(anc, e, "%s: the default %q of %s holds a }, which ${env.NAME:-default} cannot; the plan's default is empty", what, def, n.raw)
			def = ""
		}
		env := envName(name)
		if env != name {
			im.info(anc, e, "%s: property %q is read from environment variable %s", what, name, env)
		}
		tb.ref("${env." + env + ":-" + def + "}")
	case "__threadNum":
		tb.ref("${__vu}")
	case "__UUID":
		tb.ref("${__uuid}")
	case "__time":
		if f, ok := arg(0); !ok || strings.TrimSpace(f) != "" {
			keep("__time with a format is not supported (${__timestamp} is epoch milliseconds)")
			return
		}
		if v, _ := arg(1); strings.TrimSpace(v) != "" {
			im.warn(anc, e, "%s: %s stores the time in variable %q; the plan does not", what, n.raw, v)
		}
		tb.ref("${__timestamp}")
	case "__Random":
		lo, ok1 := arg(0)
		hi, ok2 := arg(1)
		a, err1 := strconv.ParseInt(strings.TrimSpace(lo), 10, 64)
		b, err2 := strconv.ParseInt(strings.TrimSpace(hi), 10, 64)
		if len(n.args) < 2 || !ok1 || !ok2 || err1 != nil || err2 != nil || a > b {
			keep("__Random needs two integer bounds, min <= max")
			return
		}
		if v, _ := arg(2); strings.TrimSpace(v) != "" {
			im.warn(anc, e, "%s: %s stores the number in variable %q; the plan does not", what, n.raw, v)
		}
		tb.ref("${__randInt(" + strconv.FormatInt(a, 10) + "," + strconv.FormatInt(b, 10) + ")}")
	case "__char":
		var sb strings.Builder
		for i := range n.args {
			s, ok := arg(i)
			c, err := strconv.ParseInt(strings.TrimSpace(s), 0, 32)
			if !ok || err != nil || c < 0 || c > 0x10FFFF {
				keep("__char needs character codes")
				return
			}
			sb.WriteRune(rune(c))
		}
		tb.lit(sb.String())
	case "__groovy":
		// The exporter's JSON-escaped variable (json: bodies).
		if src, ok := arg(0); ok && len(n.args) == 1 {
			if m := groovyVarRe.FindStringSubmatch(src); m != nil {
				im.emitVar(anc, e, jnode{kind: nodeVar, text: m[1], raw: "${" + m[1] + "}"}, what, mode, tb)
				return
			}
		}
		keep("function __groovy is not supported")
	case "__TestPlanName":
		tb.lit(filepath.Base(im.file))
	case "__threadGroupName":
		if im.curTG == "" {
			keep("__threadGroupName outside a thread group")
			return
		}
		tb.lit(im.curTG)
	case "__urlencode":
		s, ok := arg(0)
		if !ok && len(n.args) == 1 {
			// The plan escapes template values for where they land.
			im.info(anc, e, "%s: %s: the value is inserted as is; the plan escapes template values for the URL", what, n.raw)
			im.emitNodes(anc, e, n.args[0].nodes, what, mode, tb)
			return
		}
		if !ok {
			keep("__urlencode with several arguments")
			return
		}
		tb.lit(url.QueryEscape(s))
	default:
		keep("function " + n.text + " is not supported")
	}
}

// literalArg evaluates a function argument at import time: plain text, or
// a reference to a plain-text variable.
func (im *importer) literalArg(anc []*jmx.Element, e *jmx.Element, a jarg) (string, bool) {
	if s, ok := a.literal(); ok {
		return s, true
	}
	var sb strings.Builder
	for _, n := range a.nodes {
		switch n.kind {
		case nodeLit:
			sb.WriteString(n.text)
		case nodeVar:
			v := im.varByName[n.text]
			if v == nil || !v.converted || v.tb.dynamic() {
				return "", false
			}
			sb.WriteString(v.text())
		default:
			return "", false
		}
	}
	return sb.String(), true
}

// staticValue evaluates a JMeter string at import time, for numbers and
// names the plan needs as constants: variables are replaced by their
// values and properties by their defaults (reported). ok is false when the
// string depends on run-time values.
func (im *importer) staticValue(anc []*jmx.Element, e *jmx.Element, s, what string) (string, bool) {
	tb := im.convert(anc, e, s, what, convTemplate)
	out, _ := tb.build()
	return im.resolveStatic(anc, e, out, what)
}

// envRefRe matches ${env.NAME} and ${env.NAME:-default} in a plan template.
var envRefRe = regexp.MustCompile(`\$\{env\.([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}`)

// resolveStatic evaluates a plan template at import time: environment
// references take their defaults (with an info line) and plan variables
// their values.
func (im *importer) resolveStatic(anc []*jmx.Element, e *jmx.Element, tmpl, what string) (string, bool) {
	parts := planTemplateParts(tmpl)
	var sb strings.Builder
	for _, p := range parts.parts {
		if p.lit {
			sb.WriteString(p.s)
			continue
		}
		if m := envRefRe.FindStringSubmatch(p.s); m != nil && m[0] == p.s {
			if key := m[1] + "|" + what; !im.propNoted[key] {
				im.propNoted[key] = true
				im.info(anc, e, "%s: JMeter reads property %s here; the plan uses its default %q (set the value in the plan to change it)", what, m[1], m[2])
			}
			sb.WriteString(m[2])
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(p.s, "${"), "}")
		if v := im.varByPlanName(name); v != nil && v.converted && !v.dynamic {
			val, ok := im.resolveStatic(anc, e, v.tmplText(), what)
			if !ok {
				return "", false
			}
			sb.WriteString(val)
			continue
		}
		return "", false
	}
	return sb.String(), true
}

// text is a variable's value as written in the plan's vars: literal text
// and ${env.X:-default} references, unescaped (vars are not templates).
func (v *udv) text() string {
	var sb strings.Builder
	for _, p := range v.tb.parts {
		sb.WriteString(p.s)
	}
	return sb.String()
}

// tmplText is a variable's value as a template.
func (v *udv) tmplText() string {
	s, _ := v.tb.build()
	return s
}

// varByPlanName finds a user-defined variable by its plan name.
func (im *importer) varByPlanName(name string) *udv {
	for _, v := range im.vars {
		if v.name == name {
			return v
		}
	}
	return nil
}

// exprString turns a JMeter string into an expr-lang string expression for
// a check: literal text, or a concatenation reading the iteration's
// variables. ok is false (with a warning) when the string reads something
// checks cannot see (feeder columns, built-ins).
func (im *importer) exprString(anc []*jmx.Element, e *jmx.Element, s, what string) (string, bool) {
	nodes, compiled, err := compileJMeter(s)
	if err != nil || !compiled {
		return quoteExpr(s), true
	}
	var parts []string
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, quoteExpr(lit.String()))
			lit.Reset()
		}
	}
	for _, n := range nodes {
		switch n.kind {
		case nodeLit:
			lit.WriteString(n.text)
			continue
		case nodeVar:
			if v, ok := im.extracted[n.text]; ok {
				flush()
				parts = append(parts, "vars["+quoteExpr(v)+"]")
				continue
			}
			if v := im.varByName[n.text]; v != nil && v.converted && !v.dynamic {
				flush()
				parts = append(parts, "vars["+quoteExpr(v.name)+"]")
				continue
			}
		case nodeFn:
			tb := &tmplBuilder{}
			im.emitFn(anc, e, n, what, convTemplate, tb)
			if !tb.dynamic() {
				for _, p := range tb.parts {
					lit.WriteString(p.s)
				}
				continue
			}
			if len(tb.parts) == 1 {
				if m := envRefRe.FindStringSubmatch(tb.parts[0].s); m != nil {
					im.info(anc, e, "%s: checks cannot read property %s; its default %q is used", what, m[1], m[2])
					lit.WriteString(m[2])
					continue
				}
			}
		}
		im.warn(anc, e, "%s: %s cannot be read by a check (checks see extracted and plan variables only)", what, n.raw)
		return "", false
	}
	flush()
	if len(parts) == 0 {
		return `""`, true
	}
	return strings.Join(parts, " + "), true
}
