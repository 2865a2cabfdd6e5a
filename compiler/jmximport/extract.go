package jmximport

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/loadgen/loadgen/compiler/jmx"
	"github.com/loadgen/loadgen/planspec"
)

// extractSet is one extractor imported: the variables it sets.
type extractSet struct {
	vars []namedExtractor
}

type namedExtractor struct {
	name string
	ex   planspec.Extractor
}

// extractor imports a post-processor that sets variables.
func (im *importer) extractor(anc []*jmx.Element, e *jmx.Element) (extractSet, bool) {
	var set extractSet
	if scope := e.String("Sample.scope"); scope == "variable" {
		im.unsupported(anc, e, "extracting from a variable (scope %q) is not supported", scope)
		return set, false
	}
	add := func(jname string, ex planspec.Extractor) {
		name, ok := im.extracted[jname]
		if !ok {
			name = sanitizeIdent(jname)
		}
		set.vars = append(set.vars, namedExtractor{name: name, ex: ex})
	}
	switch class(e) {
	case "JSONPostProcessor":
		names := splitList(e.String("JSONPostProcessor.referenceNames"))
		exprs := splitList(e.String("JSONPostProcessor.jsonPathExprs"))
		matches := splitList(e.String("JSONPostProcessor.match_numbers"))
		defaults := splitList(e.String("JSONPostProcessor.defaultValues"))
		if len(names) == 0 || len(names) != len(exprs) {
			im.unsupported(anc, e, "JSON Extractor with %d variable names and %d expressions", len(names), len(exprs))
			return set, false
		}
		for i, n := range names {
			match := ""
			if i < len(matches) {
				match = matches[i]
			}
			if path, ok := im.jsonPath(anc, e, n, exprs[i], match); ok {
				add(n, planspec.Extractor{JSON: path})
			}
			if i < len(defaults) && defaults[i] != "" {
				im.info(anc, e, "default value %q of %s: a miss leaves the variable unset in the plan", defaults[i], n)
			}
		}
	case "com.atlantbh.jmeter.plugins.jsonutils.jsonpathextractor.JSONPathExtractor":
		if f := e.String("INPUT_FORMAT"); f != "" && !strings.EqualFold(f, "JSON") {
			im.unsupported(anc, e, "input format %s is not supported (JSON only)", f)
			return set, false
		}
		if s := e.String("SUBJECT"); s != "" && s != "BODY" {
			im.unsupported(anc, e, "extracting from %s is not supported (body only)", s)
			return set, false
		}
		n := strings.TrimSpace(e.String("VAR"))
		if path, ok := im.jsonPath(anc, e, n, e.String("JSONPATH"), "1"); ok && n != "" {
			add(n, planspec.Extractor{JSON: path})
		}
	case "JMESPathExtractor":
		n := strings.TrimSpace(e.String("JMESExtractor.referenceName"))
		q := strings.TrimSpace(e.String("JMESExtractor.jmesPathExpr"))
		path, ok := jmesToJSONPath(q)
		if !ok || n == "" {
			im.unsupported(anc, e, "JMESPath %q is not supported (only a.b[0].c forms)", q)
			return set, false
		}
		im.matchNumber(anc, e, e.String("JMESExtractor.matchNumber"), false)
		add(n, planspec.Extractor{JSON: path})
	case "RegexExtractor":
		n := strings.TrimSpace(e.String("RegexExtractor.refname"))
		ex, ok := im.regexExtractor(anc, e, e.String("RegexExtractor.useHeaders"), e.String("RegexExtractor.regex"), e.String("RegexExtractor.template"))
		if !ok || n == "" {
			return set, false
		}
		im.matchNumber(anc, e, e.String("RegexExtractor.match_number"), true)
		if d := e.String("RegexExtractor.default"); d != "" {
			im.info(anc, e, "default value %q: a miss leaves the variable unset in the plan", d)
		}
		add(n, ex)
	case "BoundaryExtractor":
		n := strings.TrimSpace(e.String("BoundaryExtractor.refname"))
		lb, rb := e.String("BoundaryExtractor.lboundary"), e.String("BoundaryExtractor.rboundary")
		if strings.Contains(lb+rb, "${") {
			im.unsupported(anc, e, "boundaries holding variables are not supported")
			return set, false
		}
		field := e.String("BoundaryExtractor.useHeaders")
		if field != "" && field != "false" && field != "unescaped" {
			im.unsupported(anc, e, "Boundary Extractor on %s is not supported (body only)", field)
			return set, false
		}
		inner := "(.*?)"
		if rb == "" {
			inner = "(.*)"
		}
		im.matchNumber(anc, e, e.String("BoundaryExtractor.match_number"), true)
		if n == "" {
			return set, false
		}
		add(n, planspec.Extractor{Regex: "(?s)" + regexp.QuoteMeta(lb) + inner + regexp.QuoteMeta(rb), Group: 1})
	}
	return set, len(set.vars) > 0
}

// jsonPath converts a JMeter (Jayway) JSONPath to the plan's subset.
func (im *importer) jsonPath(anc []*jmx.Element, e *jmx.Element, name, path, match string) (string, bool) {
	path = strings.TrimSpace(path)
	if strings.Contains(path, "${") {
		im.unsupported(anc, e, "JSONPath %q of %s holds variables; not supported", path, name)
		return "", false
	}
	if !strings.HasPrefix(path, "$") && !strings.HasPrefix(path, "@") {
		path = "$." + path
	}
	segs, err := planspec.ParseJSONPath(path)
	if err != nil {
		im.unsupported(anc, e, "JSONPath %q of %s: %v", path, name, err)
		return "", false
	}
	wild := 0
	for _, s := range segs {
		if s.Wildcard {
			wild++
		}
	}
	n, err := strconv.Atoi(strings.TrimSpace(match))
	switch {
	case strings.TrimSpace(match) == "" || err == nil && n == 0:
		if wild > 0 {
			im.warn(anc, e, "%s: JMeter picks a random match of %s; the plan takes the first", name, path)
		}
	case err != nil:
		im.warn(anc, e, "%s: match number %q is not a number; the plan takes the first match", name, match)
	case n < 0:
		im.warn(anc, e, "%s: JMeter stores every match (%s_1, %s_2…, %s_matchNr); the plan stores the first in %s", name, name, name, name, name)
	case n > 1 && wild == 1:
		// $.a[*].b, match 3 → $.a[2].b
		path = strings.Replace(strings.Replace(path, "[*]", "["+strconv.Itoa(n-1)+"]", 1), ".*", "["+strconv.Itoa(n-1)+"]", 1)
		if _, err := planspec.ParseJSONPath(path); err != nil {
			im.warn(anc, e, "%s: match %d; the plan takes the first", name, n)
		}
	case n > 1:
		im.warn(anc, e, "%s: match %d; the plan takes the first", name, n)
	}
	return path, true
}

var jmesRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]+\])*$`)

// jmesToJSONPath converts a simple JMESPath (a.b[0].c) to JSONPath.
func jmesToJSONPath(q string) (string, bool) {
	if !jmesRe.MatchString(q) {
		return "", false
	}
	return "$." + q, true
}

// matchNumber reports match numbers the plan cannot honour (it takes the
// first match).
func (im *importer) matchNumber(anc []*jmx.Element, e *jmx.Element, match string, regex bool) {
	n, err := strconv.Atoi(strings.TrimSpace(match))
	switch {
	case strings.TrimSpace(match) == "" && !regex:
	case err != nil:
		im.warn(anc, e, "match number %q is not a number; the plan takes the first match", match)
	case n == 0:
		im.warn(anc, e, "JMeter picks a random match; the plan takes the first")
	case n < 0:
		im.warn(anc, e, "JMeter stores every match (var_1, var_2…); the plan stores the first")
	case n > 1:
		im.warn(anc, e, "JMeter takes match %d; the plan takes the first", n)
	}
}

var templateRe = regexp.MustCompile(`^\$(\d+)\$$`)

// regexExtractor imports a Regular Expression Extractor on the body, or on
// the response headers when the regex reads one whole header.
func (im *importer) regexExtractor(anc []*jmx.Element, e *jmx.Element, field, re, template string) (planspec.Extractor, bool) {
	if strings.Contains(re, "${") {
		im.unsupported(anc, e, "regex %q holds variables; not supported", re)
		return planspec.Extractor{}, false
	}
	m := templateRe.FindStringSubmatch(strings.TrimSpace(template))
	if m == nil {
		im.unsupported(anc, e, "template %q combines groups or text; only $N$ is supported", template)
		return planspec.Extractor{}, false
	}
	group, _ := strconv.Atoi(m[1])
	switch field {
	case "", "false", "unescaped", "as_document":
		if field == "unescaped" || field == "as_document" {
			im.warn(anc, e, "body (%s) is matched as the raw body", field)
		}
	case "true":
		if name, ok := headerRegex(re); ok && group == 1 {
			return planspec.Extractor{Header: name}, true
		}
		im.unsupported(anc, e, "regex %q over the response headers is not supported (only \"Name: (.+)\" forms, read as {header: Name})", re)
		return planspec.Extractor{}, false
	default:
		im.unsupported(anc, e, "Regular Expression Extractor on %s is not supported (body or headers only)", field)
		return planspec.Extractor{}, false
	}
	goRe, ok := im.goRegex(anc, e, re)
	if !ok {
		return planspec.Extractor{}, false
	}
	cre := regexp.MustCompile(goRe)
	switch {
	case group > cre.NumSubexp():
		im.unsupported(anc, e, "template %s names group %d, but regex %q has %d", template, group, re, cre.NumSubexp())
		return planspec.Extractor{}, false
	case group == 0 && cre.NumSubexp() > 0:
		// The plan reads group 1 when a regex has groups: wrap it.
		return planspec.Extractor{Regex: "(" + goRe + ")", Group: 1}, true
	}
	return planspec.Extractor{Regex: goRe, Group: group}, true
}

// headerRegex recognises a regex that reads one whole response header,
// such as "Location: (.+)" or "^X-Token:\s*(.*)$", and returns the name.
func headerRegex(re string) (string, bool) {
	s := re
	for _, p := range []string{"(?im)", "(?mi)", "(?i)", "(?m)"} {
		s = strings.TrimPrefix(s, p)
	}
	s = strings.TrimPrefix(s, "^")
	var name strings.Builder
	quoted := false
	if q, ok := strings.CutPrefix(s, `\Q`); ok {
		if lit, rest, ok := strings.Cut(q, `\E`); ok && validHeaderName(lit) {
			name.WriteString(lit)
			s, quoted = rest, true
		}
	}
	for !quoted && len(s) > 0 {
		c := s[0]
		switch {
		case c == '\\' && len(s) > 1 && (s[1] == '-' || s[1] == '.'):
			name.WriteByte(s[1])
			s = s[2:]
			continue
		case c == '-' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
			name.WriteByte(c)
			s = s[1:]
			continue
		}
		break
	}
	if name.Len() == 0 || !strings.HasPrefix(s, ":") {
		return "", false
	}
	s = s[1:]
	for _, sp := range []string{`[ \t]*`, `\s*`, `\s+`, `\s?`, `\s`, ` *`, ` +`, ` ?`, ` `} {
		if strings.HasPrefix(s, sp) {
			s = s[len(sp):]
			break
		}
	}
	lazy := false
	found := false
	for _, g := range []string{`(.+?)`, `(.*?)`, `(.+)`, `(.*)`, `([^\r\n]+)`, `([^\n]+)`, `([^\r\n]*)`, `([^\n]*)`} {
		if strings.HasPrefix(s, g) {
			s, found, lazy = s[len(g):], true, strings.HasSuffix(g, "?)")
			break
		}
	}
	if !found {
		return "", false
	}
	switch s {
	case "":
		if lazy {
			return "", false
		}
	case "$", `\r`, `\n`, `\r\n`, `\r?\n`, `\s`, `\s*$`, `$\n`:
	default:
		return "", false
	}
	return name.String(), true
}
