package arch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/loadgen/loadgen/agents/internal/jsonobj"
	"github.com/loadgen/loadgen/agents/internal/urlpath"
	"github.com/loadgen/loadgen/agents/llm"
	"github.com/loadgen/loadgen/loadgen/results"
)

// Bounds on the prose part, the model's answer included: an answer past
// them is rejected (and repaired), a heuristic result is cut to them.
const (
	maxComponents = 100
	maxDataFlows  = 200
	maxWorkflows  = 50
	maxSteps      = 50
	maxNameLen    = 200
	maxTextLen    = 1000
	maxNotes      = 20
)

// ValidationError lists every problem found in a model or in a model's
// answer, one per line of Error.
type ValidationError struct {
	Problems []string
}

// Error returns the problems, one per line.
func (e *ValidationError) Error() string { return strings.Join(e.Problems, "\n") }

// problems collects validation messages.
type problems []string

func (p *problems) addf(format string, args ...any) {
	*p = append(*p, fmt.Sprintf(format, args...))
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Problems: p}
}

// Validate checks m against its schema and its own rules: enums, required
// fields, sorted and unique endpoints and components, data flows between
// listed components, workflow steps naming existing endpoints (when there
// are any), and NFR suggestions that parse as an NFR file
// (results.ParseNFR). The error is a *ValidationError listing every
// problem.
func (m *Model) Validate() error {
	var p problems
	if m == nil {
		p.addf("model is nil")
		return p.err()
	}
	if m.Schema != Schema {
		p.addf("schema: %q, want %q", m.Schema, Schema)
	}
	switch m.Source {
	case llm.SourceOffline, llm.SourceModel, llm.SourceOfflineFallback:
	default:
		p.addf("source: %q is not one of %s, %s, %s", m.Source, llm.SourceOffline, llm.SourceModel, llm.SourceOfflineFallback)
	}
	if m.Components == nil {
		p.addf("components: missing (an empty list is fine)")
	}
	if m.Endpoints == nil {
		p.addf("endpoints: missing (an empty list is fine)")
	}
	if m.DataFlows == nil {
		p.addf("dataFlows: missing (an empty list is fine)")
	}
	if m.Workflows == nil {
		p.addf("workflows: missing (an empty list is fine)")
	}
	if len(m.Documents) == 0 {
		p.addf("documents: empty")
	}
	m.checkEndpoints(&p)
	m.checkSecurity(&p)
	checkProse(&p, &proseAnswer{m.Components, m.DataFlows, m.Workflows, m.NFRSuggestions}, m.Endpoints)
	if _, err := json.Marshal(m); err != nil {
		p.addf("the model does not encode as JSON: %v", err)
	}
	return p.err()
}

// checkEndpoints checks the endpoints' fields and their order.
func (m *Model) checkEndpoints(p *problems) {
	for i, e := range m.Endpoints {
		at := fmt.Sprintf("endpoints[%d]", i)
		if !slices.Contains(Methods, e.Method) {
			p.addf("%s.method: %q is not one of %s", at, e.Method, strings.Join(Methods, ", "))
		}
		if !strings.HasPrefix(e.Path, "/") {
			p.addf("%s.path: %q does not start with /", at, e.Path)
		}
		if i > 0 {
			prev := m.Endpoints[i-1]
			if c := compareEndpoints(prev, e); c == 0 {
				p.addf("%s: %s %s is listed twice", at, e.Method, e.Path)
			} else if c > 0 {
				p.addf("%s: %s %s is not sorted after %s %s (by path, then method)", at, e.Method, e.Path, prev.Method, prev.Path)
			}
		}
		for j, prm := range e.Parameters {
			if prm.Name == "" {
				p.addf("%s.parameters[%d].name: empty", at, j)
			}
			if !slices.Contains([]string{"path", "query", "header", "cookie"}, prm.In) {
				p.addf("%s.parameters[%d].in: %q is not one of path, query, header, cookie", at, j, prm.In)
			}
		}
		if e.RequestBody != nil && e.RequestBody.ContentType == "" {
			p.addf("%s.requestBody.contentType: empty", at)
		}
		for j, code := range e.Responses {
			if code < 100 || code > 599 || (j > 0 && code <= e.Responses[j-1]) {
				p.addf("%s.responses: %v must be ascending status codes from 100 to 599", at, e.Responses)
				break
			}
		}
	}
}

// checkSecurity checks the security schemes and the login.
func (m *Model) checkSecurity(p *problems) {
	for i, s := range m.Security {
		at := fmt.Sprintf("security[%d]", i)
		if s.Name == "" || s.Type == "" || s.HowToObtain == "" {
			p.addf("%s: name, type and howToObtain are required", at)
		}
		if i > 0 && m.Security[i-1].Name >= s.Name {
			p.addf("%s: %q is not sorted after %q, or is listed twice", at, s.Name, m.Security[i-1].Name)
		}
	}
	if a := m.Auth; a != nil {
		if !slices.Contains(Methods, a.Method) || !strings.HasPrefix(a.Path, "/") {
			p.addf("auth: %s %s is not a method and a path", a.Method, a.Path)
		}
		if !strings.HasPrefix(a.TokenPath, "$") {
			p.addf("auth.tokenPath: %q is not a JSONPath ($.token)", a.TokenPath)
		}
		if a.Header == "" {
			p.addf("auth.header: empty")
		}
	}
}

// proseAnswer is the part of the model that comes from prose: the model's
// answer (the tool input), or the offline heuristics' result.
type proseAnswer struct {
	Components     []Component    `json:"components" jsonschema:"maxItems=100"`
	DataFlows      []DataFlow     `json:"dataFlows" jsonschema:"maxItems=200"`
	Workflows      []Workflow     `json:"workflows" jsonschema:"maxItems=50"`
	NFRSuggestions NFRSuggestions `json:"nfrSuggestions"`
}

// proseKeys are the required keys of a proseAnswer.
var proseKeys = []string{"components", "dataFlows", "workflows", "nfrSuggestions"}

// parseProse decodes and validates a model's answer: a JSON object with
// exactly the proseAnswer fields, checked by checkProse against the
// endpoints. Workflow steps are normalized to the endpoints' path
// templates.
func parseProse(raw []byte, endpoints []Endpoint) (*proseAnswer, error) {
	var p problems
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		p.addf("the answer is empty: call the tool with a JSON object")
		return nil, p.err()
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		p.addf("the answer is not a JSON object: %v", err)
		return nil, p.err()
	}
	for _, k := range proseKeys {
		v, ok := top[k]
		switch {
		case !ok:
			p.addf("%s: missing (required; use an empty list or object when there is nothing)", k)
		case string(v) == "null":
			p.addf("%s: null (use an empty list or object when there is nothing)", k)
		}
	}
	for _, k := range jsonobj.UnknownKeys(top, proseKeys) {
		p.addf("%s: unknown field (allowed: %s)", k, strings.Join(proseKeys, ", "))
	}
	if len(p) > 0 {
		return nil, p.err()
	}
	var a proseAnswer
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		p.addf("the answer does not match the schema: %s", jsonErrorText(err))
		return nil, p.err()
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		p.addf("the answer has data after the JSON object")
		return nil, p.err()
	}
	checkProse(&p, &a, endpoints)
	if err := p.err(); err != nil {
		return nil, err
	}
	normalizeSteps(a.Workflows, endpoints)
	normalizeFlows(a.DataFlows, a.Components)
	return &a, nil
}

// jsonErrorText makes a decoding error name the field in the answer's own
// terms rather than Go's.
func jsonErrorText(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Sprintf("%s: expected %s, found a JSON %s", te.Field, jsonTypeName(te.Type.Kind().String()), te.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func jsonTypeName(kind string) string {
	switch kind {
	case "int", "int64", "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice":
		return "a list"
	case "struct", "map":
		return "an object"
	}
	return kind
}

// checkProse checks the prose part against the schema's enums and bounds
// and its own rules.
func checkProse(p *problems, a *proseAnswer, endpoints []Endpoint) {
	names := map[string]bool{}
	if len(a.Components) > maxComponents {
		p.addf("components: %d entries, at most %d", len(a.Components), maxComponents)
	}
	for i, c := range a.Components {
		at := fmt.Sprintf("components[%d]", i)
		checkText(p, at+".name", c.Name, maxNameLen, true)
		checkText(p, at+".description", c.Description, maxTextLen, false)
		if !slices.Contains(ComponentKinds, c.Kind) {
			p.addf("%s.kind: %q is not one of %s", at, c.Kind, strings.Join(ComponentKinds, ", "))
		}
		key := strings.ToLower(strings.TrimSpace(c.Name))
		if key != "" && names[key] {
			p.addf("%s.name: %q is listed twice", at, c.Name)
		}
		names[key] = true
	}
	if len(a.DataFlows) > maxDataFlows {
		p.addf("dataFlows: %d entries, at most %d", len(a.DataFlows), maxDataFlows)
	}
	for i, f := range a.DataFlows {
		at := fmt.Sprintf("dataFlows[%d]", i)
		checkText(p, at+".description", f.Description, maxTextLen, false)
		for _, end := range []struct{ field, name string }{{"from", f.From}, {"to", f.To}} {
			if !names[strings.ToLower(strings.TrimSpace(end.name))] {
				p.addf("%s.%s: %q is not the name of a component in components", at, end.field, end.name)
			}
		}
	}
	checkWorkflows(p, a.Workflows, endpoints)
	checkNFRs(p, &a.NFRSuggestions)
}

// checkWorkflows checks names, step order and that steps name endpoints.
func checkWorkflows(p *problems, wfs []Workflow, endpoints []Endpoint) {
	if len(wfs) > maxWorkflows {
		p.addf("workflows: %d entries, at most %d", len(wfs), maxWorkflows)
	}
	seen := map[string]bool{}
	for i, w := range wfs {
		at := fmt.Sprintf("workflows[%d]", i)
		checkText(p, at+".name", w.Name, maxNameLen, true)
		checkText(p, at+".description", w.Description, maxTextLen, false)
		if seen[w.Name] {
			p.addf("%s.name: %q is listed twice", at, w.Name)
		}
		seen[w.Name] = true
		if len(w.Steps) == 0 {
			p.addf("%s.steps: empty (a workflow has at least one step)", at)
		}
		if len(w.Steps) > maxSteps {
			p.addf("%s.steps: %d entries, at most %d", at, len(w.Steps), maxSteps)
		}
		for j, s := range w.Steps {
			sat := fmt.Sprintf("%s.steps[%d]", at, j)
			if s.Order != j+1 {
				p.addf("%s.order: %d, want %d (steps are numbered 1, 2, 3... in order)", sat, s.Order, j+1)
			}
			if !slices.Contains(Methods, s.Method) {
				p.addf("%s.method: %q is not one of %s", sat, s.Method, strings.Join(Methods, ", "))
				continue
			}
			if !strings.HasPrefix(s.Endpoint, "/") {
				p.addf("%s.endpoint: %q is not a path starting with /", sat, s.Endpoint)
				continue
			}
			if len(endpoints) > 0 {
				if _, ok := matchEndpoint(endpoints, s.Method, s.Endpoint); !ok {
					p.addf("%s: %s %s is not one of the endpoints (%s)", sat, s.Method, s.Endpoint, endpointHint(endpoints, s.Endpoint))
				}
			}
		}
	}
}

// endpointHint lists the endpoints to choose from, those with the same
// path first, for a repair message.
func endpointHint(endpoints []Endpoint, path string) string {
	path = cleanPath(path)
	var same, all []string
	for _, e := range endpoints {
		s := e.Method + " " + e.Path
		if e.Path == path {
			same = append(same, s)
		}
		all = append(all, s)
	}
	if len(same) > 0 {
		return "that path has " + strings.Join(same, ", ")
	}
	if len(all) > 12 {
		all = append(all[:12], "...")
	}
	return "valid: " + strings.Join(all, ", ")
}

// checkText checks a string field's presence and length.
func checkText(p *problems, at, s string, maxLen int, required bool) {
	if required && strings.TrimSpace(s) == "" {
		p.addf("%s: empty", at)
	}
	if len(s) > maxLen {
		p.addf("%s: %d bytes, at most %d", at, len(s), maxLen)
	}
}

// nfrFields maps NFR file keys to the suggestion fields, in NFRKeys order.
func nfrFields(n *NFRSuggestions) []struct {
	key string
	val *string
} {
	return []struct {
		key string
		val *string
	}{
		{results.NFRResponseTimeP50, &n.ResponseTimeP50},
		{results.NFRResponseTimeP90, &n.ResponseTimeP90},
		{results.NFRResponseTimeP95, &n.ResponseTimeP95},
		{results.NFRResponseTimeP99, &n.ResponseTimeP99},
		{results.NFRResponseTimeAvg, &n.ResponseTimeAvg},
		{results.NFRResponseTimeMax, &n.ResponseTimeMax},
		{results.NFRThroughput, &n.Throughput},
		{results.NFRAvailability, &n.Availability},
		{results.NFRErrorRate, &n.ErrorRate},
	}
}

// NFRFile returns the suggestions as an NFR file (the input of
// results.ParseNFR and `loadgen analyze --nfr`), one key per line in
// results.NFRKeys order; nil when there are none.
func (n *NFRSuggestions) NFRFile() []byte {
	var b bytes.Buffer
	for _, f := range nfrFields(n) {
		if *f.val != "" {
			q, _ := json.Marshal(*f.val) // a JSON string is a YAML double-quoted scalar
			fmt.Fprintf(&b, "%s: %s\n", f.key, q)
		}
	}
	if b.Len() == 0 {
		return nil
	}
	return b.Bytes()
}

// nfrLineRe finds the line of a results.ParseNFR error.
var nfrLineRe = regexp.MustCompile(`^nfrSuggestions:(\d+):\d+: (.*)$`)

// checkNFRs parses the suggestions with results.ParseNFR.
func checkNFRs(p *problems, n *NFRSuggestions) {
	if n.MaxConcurrentUsers < 0 {
		p.addf("nfrSuggestions.max_concurrent_users: %d is negative", n.MaxConcurrentUsers)
	}
	if len(n.Notes) > maxNotes {
		p.addf("nfrSuggestions.notes: %d entries, at most %d", len(n.Notes), maxNotes)
	}
	for i, s := range n.Notes {
		checkText(p, fmt.Sprintf("nfrSuggestions.notes[%d]", i), s, maxTextLen, false)
	}
	var keys []string
	for _, f := range nfrFields(n) {
		if *f.val != "" {
			keys = append(keys, f.key)
		}
		if len(*f.val) > 64 || strings.ContainsAny(*f.val, "\n\r") {
			p.addf("nfrSuggestions.%s: %q is not a short one-line value such as \"500ms\"", f.key, *f.val)
			return
		}
	}
	src := n.NFRFile()
	if src == nil {
		return
	}
	if _, err := results.ParseNFR(src, "nfrSuggestions"); err != nil {
		msg := err.Error()
		if m := nfrLineRe.FindStringSubmatch(msg); m != nil {
			if line, _ := strconv.Atoi(m[1]); line >= 1 && line <= len(keys) {
				msg = m[2]
				if !strings.HasPrefix(msg, keys[line-1]) {
					msg = keys[line-1] + ": " + msg
				}
			}
		}
		p.addf("nfrSuggestions.%s", msg)
	}
}

// cleanPath reduces a step's endpoint to a path: no scheme and host, no
// query or fragment, no trailing slash (but "/").
func cleanPath(s string) string {
	s = urlpath.Path(strings.TrimSpace(s))
	if len(s) > 1 {
		s = strings.TrimRight(s, "/")
	}
	if s == "" {
		s = "/"
	}
	return s
}

// matchEndpoint finds the endpoint a method and path name: the same path
// template, or a concrete path ("/status/503") that fits a template
// ("/status/{code}"). Exact matches win over templates.
func matchEndpoint(endpoints []Endpoint, method, path string) (Endpoint, bool) {
	method = strings.ToUpper(strings.TrimSpace(method))
	path = cleanPath(path)
	for _, e := range endpoints {
		if e.Method == method && e.Path == path {
			return e, true
		}
	}
	for _, e := range endpoints {
		if e.Method == method && templateMatch(e.Path, path) {
			return e, true
		}
	}
	return Endpoint{}, false
}

// templateMatch reports whether path fits the template segment by
// segment, a {param} matching any non-empty text.
func templateMatch(template, path string) bool {
	ts, ps := strings.Split(template, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i := range ts {
		if !segmentMatch(ts[i], ps[i]) {
			return false
		}
	}
	return true
}

// segmentMatch matches one path segment against a template segment that
// may hold {params} ("{id}", "file.{ext}"), each matching at least one
// byte. Segments with more than four parameters must match literally.
func segmentMatch(t, s string) bool {
	if !strings.Contains(t, "{") || strings.Count(t, "{") > 4 {
		return t == s
	}
	return segMatch(t, s)
}

func segMatch(t, s string) bool {
	if t == "" {
		return s == ""
	}
	if t[0] == '{' {
		end := strings.IndexByte(t, '}')
		if end < 0 {
			return t == s
		}
		rest := t[end+1:]
		for k := 1; k <= len(s); k++ {
			if segMatch(rest, s[k:]) {
				return true
			}
		}
		return false
	}
	lit := t
	if i := strings.IndexByte(t, '{'); i >= 0 {
		lit = t[:i]
	}
	return strings.HasPrefix(s, lit) && segMatch(t[len(lit):], s[len(lit):])
}

// normalizeSteps rewrites steps to the endpoints' method and path template.
func normalizeSteps(wfs []Workflow, endpoints []Endpoint) {
	for i := range wfs {
		for j := range wfs[i].Steps {
			s := &wfs[i].Steps[j]
			if e, ok := matchEndpoint(endpoints, s.Method, s.Endpoint); ok {
				s.Method, s.Endpoint = e.Method, e.Path
			}
		}
	}
}

// normalizeFlows spells flow ends as their components are named (the
// check compares names without case).
func normalizeFlows(flows []DataFlow, comps []Component) {
	names := map[string]string{}
	for _, c := range comps {
		names[strings.ToLower(strings.TrimSpace(c.Name))] = c.Name
	}
	for i := range flows {
		f := &flows[i]
		if n, ok := names[strings.ToLower(strings.TrimSpace(f.From))]; ok {
			f.From = n
		}
		if n, ok := names[strings.ToLower(strings.TrimSpace(f.To))]; ok {
			f.To = n
		}
	}
}

// compareEndpoints orders endpoints by path, then method.
func compareEndpoints(a, b Endpoint) int {
	if c := strings.Compare(a.Path, b.Path); c != 0 {
		return c
	}
	return strings.Compare(a.Method, b.Method)
}
