package jmximport

import (
	"fmt"
	"strconv"
	"strings"
)

// This file reads JMeter strings the way JMeter's FunctionParser does and
// turns them into plan templates.
//
// JMeter compiles a property only when it holds a function or a variable
// reference: such a string is split into literal text, ${name} variable
// references and ${__fn(args)} function calls, and its backslash escapes
// are undone ("\" before "$", "," or "\" is dropped). A string that holds
// neither is used exactly as written, backslashes included.

// nodeKind says what a parsed piece of a JMeter string is.
type nodeKind int

const (
	nodeLit nodeKind = iota // literal text
	nodeVar                 // ${name}
	nodeFn                  // ${__fn(...)} or ${__fn}
)

// jnode is one piece of a compiled JMeter string.
type jnode struct {
	kind nodeKind
	// text is the literal text, the variable name or the function name.
	text string
	// args are a function's parameters, each compiled on its own.
	args []jarg
	// raw is the source text of a variable or function reference,
	// "${...}" included.
	raw string
}

// jarg is one function parameter: its source text (escapes kept) and its
// compiled pieces.
type jarg struct {
	raw   string
	nodes []jnode
}

// literal returns the parameter's value when it holds no reference.
func (a jarg) literal() (string, bool) {
	var b strings.Builder
	for _, n := range a.nodes {
		if n.kind != nodeLit {
			return "", false
		}
		b.WriteString(n.text)
	}
	return b.String(), true
}

// jmeterFunctions are the function names of JMeter 5.6 and of the common
// jmeter-plugins function pack: ${name} with one of these names is a call
// without arguments, any other ${name} a variable.
var jmeterFunctions = map[string]bool{
	"__BeanShell": true, "__char": true, "__changeCase": true, "__counter": true, "__CSVRead": true,
	"__dateTimeConvert": true, "__digest": true, "__escapeHtml": true, "__escapeOroRegexpChars": true,
	"__escapeXml": true, "__eval": true, "__evalVar": true, "__FileToString": true, "__groovy": true,
	"__intSum": true, "__isPropDefined": true, "__isVarDefined": true, "__javaScript": true, "__jexl2": true,
	"__jexl3": true, "__longSum": true, "__log": true, "__logn": true, "__machineIP": true,
	"__machineName": true, "__P": true, "__property": true, "__Random": true, "__RandomDate": true,
	"__RandomFromMultipleVars": true, "__RandomString": true, "__regexFunction": true, "__samplerName": true,
	"__setProperty": true, "__split": true, "__StringFromFile": true, "__StringToFile": true,
	"__TestPlanName": true, "__threadGroupName": true, "__threadNum": true, "__time": true,
	"__timeShift": true, "__unescape": true, "__unescapeHtml": true, "__urldecode": true, "__urlencode": true,
	"__UUID": true, "__V": true, "__XPath": true,
	// jmeter-plugins functions
	"__base64Decode": true, "__base64Encode": true, "__caseFormat": true, "__chooseRandom": true,
	"__doubleSum": true, "__env": true, "__fileToString": true, "__if": true, "__isDefined": true,
	"__lowerCase": true, "__MD5": true, "__strLen": true, "__strReplace": true, "__substring": true,
	"__upperCase": true,
}

// isCall reports whether name followed by "(" is a function call: a known
// function, or any name starting with "__" (a plugin function we do not
// know is still a function to JMeter once the plugin is installed).
func isCall(name string) bool { return jmeterFunctions[name] || strings.HasPrefix(name, "__") }

// parseError is a reference JMeter itself rejects (an unclosed argument
// list); JMeter then uses the string as written.
type parseError struct{ msg string }

func (e *parseError) Error() string { return e.msg }

// maxNesting bounds function nesting so hostile input cannot exhaust the
// stack.
const maxNesting = 64

// compileJMeter compiles s as JMeter does. compiled reports whether s holds
// a function or variable; when it does not (or JMeter would reject it), the
// caller must use s exactly as written.
func compileJMeter(s string) (nodes []jnode, compiled bool, err error) {
	if !strings.Contains(s, "${") {
		return []jnode{{kind: nodeLit, text: s}}, false, nil
	}
	nodes, err = compileString(s, 0)
	if err != nil {
		return []jnode{{kind: nodeLit, text: s}}, false, err
	}
	if len(nodes) > 1 || (len(nodes) == 1 && nodes[0].kind != nodeLit) {
		return nodes, true, nil
	}
	return []jnode{{kind: nodeLit, text: s}}, false, nil
}

// compileString is FunctionParser.compileString.
func compileString(s string, depth int) ([]jnode, error) {
	if depth > maxNesting {
		return nil, &parseError{"functions nested too deeply"}
	}
	var out []jnode
	var buf strings.Builder
	prev := byte(' ')
	for i := 0; i < len(s); {
		c := s[i]
		i++
		switch {
		case c == '\\':
			if i >= len(s) {
				buf.WriteByte('\\')
				continue
			}
			n := s[i]
			i++
			if n != '$' && n != ',' && n != '\\' {
				buf.WriteByte('\\')
			}
			buf.WriteByte(n)
			prev = ' '
		case c == '{' && prev == '$':
			text := buf.String()
			text = text[:len(text)-1]
			buf.Reset()
			if text != "" {
				out = append(out, jnode{kind: nodeLit, text: text})
			}
			start := i - 2
			node, next, err := makeFunction(s, i, depth)
			if err != nil {
				return nil, err
			}
			if node.kind != nodeLit {
				node.raw = s[start:next]
			}
			out = append(out, node)
			i = next
			prev = ' '
		default:
			buf.WriteByte(c)
			prev = c
		}
	}
	if buf.Len() > 0 {
		out = append(out, jnode{kind: nodeLit, text: buf.String()})
	}
	return out, nil
}

// makeFunction is FunctionParser.makeFunction: it reads a reference whose
// "${" was consumed, up to its closing "}". An unterminated reference is
// literal text (without its "${"), as in JMeter.
func makeFunction(s string, i, depth int) (jnode, int, error) {
	var buf strings.Builder
	prev := byte(' ')
	for i < len(s) {
		c := s[i]
		i++
		switch {
		case c == '\\':
			if i >= len(s) {
				buf.WriteByte('\\')
				continue
			}
			buf.WriteByte(s[i])
			i++
			prev = ' '
		case c == '(' && prev != ' ':
			name := buf.String()
			if !isCall(name) {
				buf.WriteByte(c)
				continue
			}
			args, next, err := parseParams(s, i, depth)
			if err != nil {
				return jnode{}, 0, err
			}
			if next >= len(s) || s[next] != '}' {
				return jnode{}, 0, &parseError{fmt.Sprintf("expected } after %s function call", name)}
			}
			return jnode{kind: nodeFn, text: name, args: args}, next + 1, nil
		case c == '}':
			name := buf.String()
			if jmeterFunctions[name] {
				return jnode{kind: nodeFn, text: name}, i, nil
			}
			return jnode{kind: nodeVar, text: name}, i, nil
		default:
			buf.WriteByte(c)
			prev = c
		}
	}
	return jnode{kind: nodeLit, text: buf.String()}, i, nil
}

// parseParams is FunctionParser.parseParams: it reads the comma-separated
// parameters of a call whose "(" was consumed, up to the closing ")".
func parseParams(s string, i, depth int) ([]jarg, int, error) {
	var out []jarg
	var buf strings.Builder
	prev := byte(' ')
	fnDepth, parenDepth := 0, 0
	add := func() error {
		raw := buf.String()
		buf.Reset()
		a := jarg{raw: raw}
		if raw != "" {
			nodes, err := compileString(raw, depth+1)
			if err != nil {
				return err
			}
			a.nodes = nodes
		}
		out = append(out, a)
		return nil
	}
	for i < len(s) {
		c := s[i]
		i++
		switch {
		case c == '\\':
			buf.WriteByte('\\')
			if i >= len(s) {
				continue
			}
			buf.WriteByte(s[i])
			i++
			prev = ' '
		case c == ',' && fnDepth == 0:
			if err := add(); err != nil {
				return nil, 0, err
			}
		case c == ')' && fnDepth == 0 && parenDepth == 0:
			if buf.Len() == 0 && len(out) == 0 {
				return out, i, nil
			}
			if err := add(); err != nil {
				return nil, 0, err
			}
			return out, i, nil
		case c == '{' && prev == '$':
			buf.WriteByte(c)
			prev = c
			fnDepth++
		case c == '}' && fnDepth > 0:
			buf.WriteByte(c)
			prev = c
			fnDepth--
		case c == ')' && fnDepth == 0 && parenDepth > 0:
			buf.WriteByte(c)
			prev = c
			parenDepth--
		case c == '(' && fnDepth == 0:
			buf.WriteByte(c)
			prev = c
			parenDepth++
		default:
			buf.WriteByte(c)
			prev = c
		}
	}
	return nil, 0, &parseError{"unterminated function argument list"}
}

// tmplBuilder assembles a plan template from literal text and references:
// literal "${" is written "$${".
type tmplBuilder struct {
	parts []tpart
}

type tpart struct {
	lit bool
	s   string
}

func (b *tmplBuilder) lit(s string) {
	if s == "" {
		return
	}
	if n := len(b.parts); n > 0 && b.parts[n-1].lit {
		b.parts[n-1].s += s
		return
	}
	b.parts = append(b.parts, tpart{lit: true, s: s})
}

func (b *tmplBuilder) ref(s string) { b.parts = append(b.parts, tpart{s: s}) }

// dynamic reports whether the template holds a reference.
func (b *tmplBuilder) dynamic() bool {
	for _, p := range b.parts {
		if !p.lit {
			return true
		}
	}
	return false
}

// String renders the template. A literal ending in "$" right before a
// reference cannot be written as such ("$${" is the escape of "${"): that
// "$" is written as the plan variable dollarVar, and needDollar is set.
func (b *tmplBuilder) build() (out string, needDollar bool) {
	var sb strings.Builder
	for i, p := range b.parts {
		if !p.lit {
			sb.WriteString(p.s)
			continue
		}
		s := strings.ReplaceAll(p.s, "${", "$${")
		if i+1 < len(b.parts) && strings.HasSuffix(s, "$") {
			s = s[:len(s)-1] + "${" + dollarVar + "}"
			needDollar = true
		}
		sb.WriteString(s)
	}
	return sb.String(), needDollar
}

// dollarVar is the plan variable holding "$", for a literal "$" right
// before a reference.
const dollarVar = "jmeter_dollar"

// identChars maps every character of name that cannot appear in an
// identifier to "_", and puts "_" before a leading digit.
func identChars(name string) string {
	var b strings.Builder
	for i, r := range name {
		switch {
		case r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			b.WriteRune(r)
		case r >= '0' && r <= '9':
			if i == 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// sanitizeIdent turns a JMeter name into a plan identifier
// ([A-Za-z_][A-Za-z0-9_]*, not starting with "__", which plan templates
// reserve for built-ins, and not a built-in name).
func sanitizeIdent(name string) string {
	s := identChars(name)
	switch {
	case s == "":
		s = "var"
	case strings.HasPrefix(s, "__"):
		s = "v" + s
	}
	if s == "env" {
		s = "env_"
	}
	return s
}

// isIdent reports whether s is already a plan identifier.
func isIdent(s string) bool { return s != "" && sanitizeIdent(s) == s }

// envName turns a JMeter property name into an environment variable name:
// kept as is when it is a valid name ([A-Za-z_][A-Za-z0-9_]*), else with
// every other character replaced by "_".
func envName(prop string) string {
	if s := identChars(prop); s != "" {
		return s
	}
	return "PROPERTY"
}

// quoteExpr writes s as an expr-lang string literal.
func quoteExpr(s string) string { return strconv.Quote(s) }
