package planspec

import (
	"fmt"
	"slices"
	"strings"
)

// ExtractedVars returns the names every step of the scenario (groups'
// children included) extracts, sorted and without duplicates; nil for an
// index out of range. Statically, a ${name} in the scenario's requests is
// defined when name is a plan var or one of these: the order of the steps
// is not taken into account.
func (p *Plan) ExtractedVars(scenario int) []string {
	if scenario < 0 || scenario >= len(p.Scenarios) {
		return nil
	}
	var names []string
	var walk func([]Step)
	walk = func(steps []Step) {
		for i := range steps {
			for name := range steps[i].Extract {
				names = append(names, name)
			}
			walk(steps[i].Steps)
		}
	}
	walk(p.Scenarios[scenario].Steps)
	slices.Sort(names)
	return slices.Compact(names)
}

// varScope is what ${name} may refer to in the templates being checked,
// besides plan vars: the variables extracted in a scenario, or in any
// scenario for http.headers.
type varScope struct {
	where     string // "in scenario \"x\"", "in any scenario"
	extracted []string
}

func (s *varScope) has(name string) bool {
	_, ok := slices.BinarySearch(s.extracted, name)
	return ok
}

func (v *validator) scenarioScope(i int) *varScope {
	return &varScope{where: "in " + scenarioLabel(&v.p.Scenarios[i], i), extracted: v.p.ExtractedVars(i)}
}

// httpTemplates checks the templates of http.headers, which apply to every
// scenario: a variable extracted in any scenario counts as defined.
func (v *validator) httpTemplates() {
	if len(v.p.HTTP.Headers) == 0 {
		return
	}
	var all []string
	for i := range v.p.Scenarios {
		all = append(all, v.p.ExtractedVars(i)...)
	}
	slices.Sort(all)
	v.scope = &varScope{where: "in any scenario", extracted: slices.Compact(all)}
	for _, name := range sortedKeys(v.p.HTTP.Headers) {
		v.template(v.p.HTTP.Headers[name], ptrKey("/http/headers", name), pathKey("http.headers", name))
	}
	v.scope = nil
}

// requestTemplates checks every templated string of a request: url,
// header, query and form values, body, and the string leaves of json.
func (v *validator) requestTemplates(req *Request, rp, what string) {
	at := func(field string) string { return what + ": " + field }
	v.template(req.URL, rp+"/url", at("url"))
	for _, name := range sortedKeys(req.Headers) {
		v.template(req.Headers[name], ptrKey(rp+"/headers", name), at(pathKey("headers", name)))
	}
	for _, name := range sortedKeys(req.Query) {
		v.template(req.Query[name], ptrKey(rp+"/query", name), at(pathKey("query", name)))
	}
	if req.Body != nil {
		v.template(*req.Body, rp+"/body", at("body"))
	}
	v.jsonTemplates(req.JSON, rp+"/json", what+": json", 0)
	for _, name := range sortedKeys(req.Form) {
		v.template(req.Form[name], ptrKey(rp+"/form", name), at(pathKey("form", name)))
	}
}

// jsonTemplates checks the string leaves of a json body; keys are not
// templated.
func (v *validator) jsonTemplates(val any, ptr, path string, depth int) {
	if depth > maxDepth {
		return
	}
	switch x := val.(type) {
	case string:
		v.template(x, ptr, path)
	case map[string]any:
		for _, k := range sortedKeys(x) {
			v.jsonTemplates(x[k], ptrKey(ptr, k), pathKey(path, k), depth+1)
		}
	case []any:
		for i, item := range x {
			v.jsonTemplates(item, ptrIndex(ptr, i), pathIndex(path, i), depth+1)
		}
	}
}

// template parses one templated string and checks its references; what
// prefixes messages (`step "a": headers.Authorization`). Problems are
// reported at ptr.
func (v *validator) template(s, ptr, what string) {
	if !strings.Contains(s, "${") {
		return // no reference, nothing that can fail to parse
	}
	t, err := ParseTemplate(s, v.p.IsFeeder)
	if err != nil {
		v.r.atErr(ptr, err, "%s: %v", what, err)
		return
	}
	for _, part := range t.Parts {
		switch part.Kind {
		case PartVar:
			v.templateVar(part.Name, ptr, what)
		case PartFeeder:
			fd := v.p.Feeders[part.Name]
			if fd == nil || fd.Column(part.Field) >= 0 {
				continue // not loaded (reported, or file checks are off)
			}
			hint := " (columns: " + strings.Join(fd.Columns, ", ") + ")"
			if c, ok := closest(part.Field, fd.Columns); ok {
				hint = fmt.Sprintf("; did you mean %q?", c)
			}
			v.r.at(ptr, "%s: ${%s.%s}: data feeder %q has no column %q%s", what, part.Name, part.Field, part.Name, part.Field, hint)
		case PartEnv:
			if part.HasDefault {
				continue
			}
			if _, ok := v.lookupEnv()(part.Name); !ok {
				v.r.at(ptr, "%s: environment variable %s is not set; set it or write ${env.%s:-default}", what, part.Name, part.Name)
			}
		}
	}
}

// templateVar checks a ${name} reference: a plan var, or a variable some
// step of the scope extracts. An unknown one is a warning (see
// Plan.Warnings); a feeder named without a column is an error.
func (v *validator) templateVar(name, ptr, what string) {
	if _, ok := v.p.Vars[name]; ok {
		return
	}
	scope := v.scope
	if scope == nil {
		scope = &varScope{where: "in any scenario"}
	}
	if scope.has(name) {
		return
	}
	if v.p.IsFeeder(name) {
		cols := ""
		if fd := v.p.Feeders[name]; fd != nil {
			cols = " (columns: " + strings.Join(fd.Columns, ", ") + ")"
		}
		v.r.at(ptr, "%s: ${%s} names data feeder %q; write ${%s.COLUMN}%s", what, name, name, name, cols)
		return
	}
	vars := sortedKeys(v.p.Vars)
	var known []string
	if len(vars) > 0 {
		known = append(known, "plan vars: "+strings.Join(vars, ", "))
	} else {
		known = append(known, "no plan vars")
	}
	if len(scope.extracted) > 0 {
		known = append(known, "extracted "+scope.where+": "+strings.Join(scope.extracted, ", "))
	} else {
		known = append(known, "nothing extracted "+scope.where)
	}
	hint := ""
	if c, ok := closest(name, slices.Concat(vars, scope.extracted)); ok {
		hint = fmt.Sprintf("; did you mean %q?", c)
	}
	v.r.warnAt(ptr, "%s: undefined variable %q (%s)%s", what, name, strings.Join(known, "; "), hint)
}
