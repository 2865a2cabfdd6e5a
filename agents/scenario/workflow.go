package scenario

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/loadgen/loadgen/agents/arch"
	"github.com/loadgen/loadgen/agents/internal/urlpath"
)

// MaxDerivedSteps bounds a workflow derived from the model's endpoints.
const MaxDerivedSteps = 8

// DefaultTestUsers is the number of placeholder rows of the users feeder
// generated for a login body.
const DefaultTestUsers = 20

// ErrNoWorkflow is returned when there is nothing to request: no
// workflow_apis, no workflow in the model and no endpoints.
var ErrNoWorkflow = errors.New("no workflow: no workflow_apis were given and the architecture model has no workflow and no endpoints")

// Where the workflow came from (Inputs.Workflow).
const (
	WorkflowGiven   = "workflow_apis"
	WorkflowDerived = "derived from endpoints"
)

// tokenVar is the variable a login step extracts its token into.
const tokenVar = "token"

// usersFeeder is the feeder of login credentials.
const usersFeeder = "users"

// resolveWorkflow returns the workflow to exercise, ordered by Order, and
// where it came from: the given workflow_apis; else the model's first
// critical workflow (else its first workflow with steps); else one derived
// from the endpoints: the login first when the model has Auth, then the
// other endpoints in model order except DELETEs, at most MaxDerivedSteps.
func resolveWorkflow(m *arch.Model, given []arch.WorkflowStep) ([]arch.WorkflowStep, string, error) {
	if len(given) > 0 {
		wf := ordered(given)
		for i := range wf {
			if method, _ := ParseEndpointRef(wf[i].Endpoint, wf[i].Method); isToken(method) {
				wf[i].Method = method // "POST /api/cart" or a lower-case method: echoed upper-case
			} else if method == "" {
				wf[i].Method = "GET"
			}
		}
		return wf, WorkflowGiven, nil
	}
	var pick *arch.Workflow
	for i := range m.Workflows {
		w := &m.Workflows[i]
		if len(w.Steps) == 0 {
			continue
		}
		if w.Critical {
			pick = w
			break
		}
		if pick == nil {
			pick = w
		}
	}
	if pick != nil {
		return ordered(pick.Steps), fmt.Sprintf("model workflow %q", oneLine(pick.Name, 80)), nil
	}
	var wf []arch.WorkflowStep
	add := func(method, path string) {
		wf = append(wf, arch.WorkflowStep{Endpoint: path, Method: method, Order: len(wf) + 1})
	}
	if m.Auth != nil && m.Auth.Path != "" {
		add(strings.ToUpper(or(m.Auth.Method, "POST")), m.Auth.Path)
	}
	for _, e := range m.Endpoints {
		if len(wf) >= MaxDerivedSteps {
			break
		}
		method := strings.ToUpper(e.Method)
		if method == "DELETE" || e.Path == "" || isAuthEndpoint(m, method, e.Path) {
			continue
		}
		add(method, e.Path)
	}
	if len(wf) == 0 {
		return nil, "", ErrNoWorkflow
	}
	return wf, WorkflowDerived, nil
}

// ordered returns the steps sorted by Order (stable: equal orders keep
// their position).
func ordered(steps []arch.WorkflowStep) []arch.WorkflowStep {
	out := slices.Clone(steps)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Order < out[j].Order })
	return out
}

// httpMethods are the methods a workflow endpoint may start with
// ("POST /api/cart").
var httpMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

// ParseEndpointRef splits a workflow step's endpoint into method and path:
// it accepts "/api/cart", "POST /api/cart" and absolute URLs (whose path
// is kept). method, when not empty, wins over a method in the endpoint.
// The path has no query string; it is "" when the endpoint has no path.
func ParseEndpointRef(endpoint, method string) (string, string) {
	s := strings.TrimSpace(endpoint)
	if f := strings.Fields(s); len(f) >= 2 && slices.Contains(httpMethods, strings.ToUpper(f[0])) {
		if method == "" {
			method = f[0]
		}
		s = strings.TrimSpace(s[len(f[0]):])
	}
	s = strings.TrimSpace(urlpath.Path(s))
	if s != "" && !strings.HasPrefix(s, "/") {
		s = "/" + s
	}
	return strings.ToUpper(strings.TrimSpace(method)), s
}

// FindEndpoint returns the model's endpoint for method and path, or nil.
// The path may be concrete ("/api/orders/42", with a query string) or a
// template; a {param} segment matches any segment. An exact path match
// wins, then the template with the fewest parameters. An empty method
// matches any, GET first.
func FindEndpoint(m *arch.Model, method, path string) *arch.Endpoint {
	if m == nil {
		return nil
	}
	method = strings.ToUpper(method)
	path = cleanPath(path)
	var best *arch.Endpoint
	bestScore := -1
	for i := range m.Endpoints {
		e := &m.Endpoints[i]
		em := strings.ToUpper(e.Method)
		if method != "" && em != method {
			continue
		}
		if !MatchPath(e.Path, path) {
			continue
		}
		score := 100 - strings.Count(e.Path, "{")
		if cleanPath(e.Path) == path {
			score += 1000
		}
		if method == "" && em == "GET" {
			score += 10
		}
		if score > bestScore {
			best, bestScore = e, score
		}
	}
	return best
}

// MatchPath reports whether a concrete request path (with any query
// string) is an instance of a path template: same number of segments, each
// equal, or a {param} in the template; a segment of the concrete path that
// is itself a {param} or holds a ${variable} matches a template parameter.
func MatchPath(template, concrete string) bool {
	t := strings.Split(cleanPath(template), "/")
	c := strings.Split(cleanPath(concrete), "/")
	if len(t) != len(c) {
		return false
	}
	for i := range t {
		switch {
		case t[i] == c[i], url.PathEscape(t[i]) == c[i]:
		case strings.Contains(t[i], "{") && c[i] != "":
		default:
			if u, err := url.PathUnescape(c[i]); err != nil || u != t[i] {
				return false
			}
		}
	}
	return true
}

// cleanPath drops the query string, fragment and trailing slash.
func cleanPath(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	p = strings.TrimSpace(p)
	if len(p) > 1 {
		p = strings.TrimRight(p, "/")
	}
	if p == "" {
		p = "/"
	}
	return p
}

// isAuthEndpoint reports whether method and path are the model's login.
func isAuthEndpoint(m *arch.Model, method, path string) bool {
	return m.Auth != nil && m.Auth.Path != "" &&
		strings.EqualFold(or(m.Auth.Method, "POST"), method) && MatchPath(m.Auth.Path, path)
}

// builder turns workflow steps into scenario steps.
type builder struct {
	m     *arch.Model
	warns []string
	names map[string]bool
	// users is the login credentials feeder, when the login body has any.
	users *DataNeed
}

// build returns the steps of the workflow. A step naming an endpoint that
// is not in the model is kept as given (a GET when no method is given,
// no body, any 2xx expected), with a warning and a note: the model may
// miss endpoints (prose-only documents), and the user asked for it. A step
// with no path is dropped with a warning. When a step needs the model's
// Auth and no login step comes before it, a login step is put first.
func (b *builder) build(wf []arch.WorkflowStep) []Step {
	b.names = map[string]bool{}
	var out []Step
	loggedIn, needLogin := false, false
	for i, ws := range wf {
		method, path := ParseEndpointRef(ws.Endpoint, ws.Method)
		if path == "" {
			b.warn("workflow step %d (%q): no path; dropped", i+1, oneLine(ws.Endpoint, 80))
			continue
		}
		if method != "" && !isToken(method) {
			b.warn("workflow step %d (%q): %q is not an HTTP method; dropped", i+1, oneLine(ws.Endpoint, 80), oneLine(method, 20))
			continue
		}
		e := FindEndpoint(b.m, method, path)
		if e != nil && !isToken(strings.ToUpper(e.Method)) {
			e = nil
		}
		var st Step
		switch {
		case e == nil && isAuthEndpoint(b.m, or(method, "POST"), path):
			st = b.login()
		case e == nil:
			st = b.guess(method, path)
		case isAuthEndpoint(b.m, e.Method, e.Path):
			st = b.login()
		default:
			st = b.endpoint(e)
		}
		switch st.Auth {
		case AuthLogin:
			loggedIn = true
		case AuthBearer:
			if !loggedIn {
				needLogin = true
			}
		}
		out = append(out, st)
	}
	if needLogin {
		out = append([]Step{b.login()}, out...)
		b.warn("the workflow calls endpoints that need a token before logging in: a login step (%s %s) is added first", or(b.m.Auth.Method, "POST"), b.m.Auth.Path)
	}
	return out
}

func (b *builder) warn(format string, args ...any) {
	b.warns = append(b.warns, fmt.Sprintf(format, args...))
}

// unique makes a step name unique within the scenario.
func (b *builder) unique(name string) string {
	n := name
	for i := 2; b.names[n]; i++ {
		n = name + " #" + strconv.Itoa(i)
	}
	b.names[n] = true
	return n
}

var identRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)

// stepName is the endpoint's operationId when it is a plain identifier,
// else "METHOD path".
func stepName(method, path, operationID string) string {
	if identRe.MatchString(operationID) {
		return operationID
	}
	return strings.ToUpper(method) + " " + oneLine(path, 120)
}

// guess is a step for an endpoint the model does not have.
func (b *builder) guess(method, path string) Step {
	method = or(method, "GET")
	b.warn("workflow endpoint %s %s is not in the architecture model: requested as given, with no body, expecting a 2xx", method, oneLine(path, 120))
	return Step{
		Name:   b.unique(stepName(method, path, "")),
		Method: method,
		Path:   path,
		URL:    fillPath(path, nil),
		Checks: []string{"status >= 200 && status < 300"},
		Note:   "not in the architecture model: method and path as given, no body, any 2xx expected",
	}
}

// endpoint is the step of a model endpoint: example path, query and header
// parameters, example body, credentials and the status check.
func (b *builder) endpoint(e *arch.Endpoint) Step {
	st := Step{
		Name:   b.unique(stepName(e.Method, e.Path, e.OperationID)),
		Method: strings.ToUpper(e.Method),
		Path:   e.Path,
		URL:    fillPath(e.Path, e.Parameters) + query(e.Parameters),
		Checks: []string{StatusCheck(e.Responses)},
	}
	for _, p := range e.Parameters {
		if p.In != "header" || (!p.Required && p.Example == nil) || reservedHeader(p.Name) || !isToken(p.Name) {
			continue
		}
		st.setHeader(p.Name, escapeTemplate(exampleString(p.Example, p.Type)))
	}
	if e.RequestBody != nil {
		b.body(&st, e.RequestBody.ContentType, e.RequestBody.Example)
	}
	if len(e.Security) > 0 {
		b.credentials(&st, e)
	}
	return st
}

// body sets the step's body from an example.
func (b *builder) body(st *Step, contentType string, example any) {
	example = normalizeJSON(example)
	ct := strings.ToLower(strings.TrimSpace(contentType))
	if ct == "" {
		ct = "application/json"
	}
	switch {
	case strings.Contains(ct, "json"):
		if example == nil {
			example = map[string]any{}
			st.Note = "the request body has no example: {} is sent"
		}
		st.Body = escapeJSON(example)
		if ct != "application/json" {
			st.ContentType = contentType
		}
	case strings.Contains(ct, "x-www-form-urlencoded"):
		form := map[string]any{}
		if mp, ok := example.(map[string]any); ok {
			for k, v := range mp {
				form[k] = escapeTemplate(exampleString(v, ""))
			}
		}
		st.Body, st.ContentType = form, "application/x-www-form-urlencoded"
	case strings.HasPrefix(ct, "text/") || strings.Contains(ct, "xml"):
		s, ok := example.(string)
		if !ok && example != nil {
			raw, _ := json.Marshal(example)
			s = string(raw)
		}
		st.Body, st.ContentType = escapeTemplate(s), contentType
	default:
		b.warn("step %q: request bodies of type %q are not generated; the request is sent without one", st.Name, oneLine(contentType, 60))
		st.Note = "body of type " + oneLine(contentType, 60) + " not generated"
	}
}

// credentials makes a step that needs security send it: the token of the
// login step when the model has Auth, else a credential read from the
// environment for the endpoint's first known scheme.
func (b *builder) credentials(st *Step, e *arch.Endpoint) {
	if a := b.m.Auth; a != nil && a.Path != "" {
		header, prefix := authHeader(a)
		st.setHeader(header, prefix+"${"+tokenVar+"}")
		st.Auth = AuthBearer
		return
	}
	for _, name := range e.Security {
		for _, s := range b.m.Security {
			if s.Name != name {
				continue
			}
			switch t := strings.ToLower(s.Type); {
			case t == "apikey" && strings.EqualFold(s.In, "header") && isToken(s.Param):
				st.setHeader(s.Param, "${env.API_KEY:-}")
			case t == "apikey" && strings.EqualFold(s.In, "query") && s.Param != "":
				sep := "?"
				if strings.Contains(st.URL, "?") {
					sep = "&"
				}
				st.URL += sep + url.QueryEscape(s.Param) + "=${env.API_KEY:-}"
			case t == "http" && strings.EqualFold(s.Scheme, "basic"):
				st.setHeader("Authorization", "Basic ${env.BASIC_AUTH:-}")
			case t == "http" || t == "oauth2" || t == "openidconnect":
				st.setHeader("Authorization", "Bearer ${env.API_TOKEN:-}")
			default:
				continue
			}
			st.Auth = AuthAPIKey
			b.warn("step %q needs %s credentials and the model has no login flow: set the environment variable the plan reads (API_KEY, API_TOKEN or BASIC_AUTH)", st.Name, oneLine(s.Name, 60))
			return
		}
	}
	b.warn("step %q needs credentials (%s) the plan cannot obtain: it is sent without them", st.Name, oneLine(strings.Join(e.Security, ", "), 80))
}

// authHeader is the header and value prefix requests carry the token in.
func authHeader(a *arch.Auth) (string, string) {
	header := a.Header
	if !isToken(header) {
		header = "Authorization"
	}
	prefix := a.Prefix
	if prefix == "" && strings.EqualFold(header, "Authorization") {
		prefix = "Bearer "
	}
	return header, escapeTemplate(prefix)
}

// login is the login step: the model's Auth operation with its body (the
// string fields read from the users feeder), extracting the token and
// stopping the iteration when it fails.
func (b *builder) login() Step {
	a := b.m.Auth
	method := strings.ToUpper(or(a.Method, "POST"))
	e := FindEndpoint(b.m, method, a.Path)
	path, opID := a.Path, ""
	var responses []int
	var params []arch.Parameter
	if e != nil {
		path, opID, responses, params = e.Path, e.OperationID, e.Responses, e.Parameters
	}
	st := Step{
		Name:          b.unique(stepName(method, path, or(opID, "login"))),
		Method:        method,
		Path:          path,
		URL:           fillPath(path, params) + query(params),
		Auth:          AuthLogin,
		Checks:        []string{StatusCheck(responses)},
		Extract:       map[string]Extract{tokenVar: {JSON: tokenPath(a.TokenPath)}},
		StopOnFailure: true,
	}
	body := a.Body
	ct := or(a.ContentType, "application/json")
	if e != nil && e.RequestBody != nil && (body == nil || a.ContentType == "") {
		if body == nil {
			body = e.RequestBody.Example
		}
		ct = e.RequestBody.ContentType
	}
	if body == nil {
		return st
	}
	b.body(&st, ct, body)
	if mp, ok := st.Body.(map[string]any); ok {
		st.Body = b.credentialsFeeder(mp)
	}
	return st
}

// tokenPath is the model's token JSONPath, $.token when it has none.
func tokenPath(p string) string {
	p = strings.TrimSpace(p)
	if p == "" {
		return "$.token"
	}
	if !strings.HasPrefix(p, "$") {
		p = "$." + strings.TrimPrefix(p, ".")
	}
	return p
}

var columnRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// credentialsFeeder replaces the string fields of a login body with
// columns of the users feeder, whose placeholder rows it generates.
func (b *builder) credentialsFeeder(body map[string]any) map[string]any {
	var cols []string
	for k, v := range body {
		if _, ok := v.(string); ok && columnRe.MatchString(k) {
			cols = append(cols, k)
		}
	}
	if len(cols) == 0 {
		return body
	}
	sort.Strings(cols)
	out := make(map[string]any, len(body))
	for k, v := range body {
		out[k] = v
	}
	need := &DataNeed{
		Name:        usersFeeder,
		File:        usersFeeder + ".csv",
		Columns:     cols,
		Description: "login credentials, one test account per row, read in order by every VU: the rows are placeholders made from the example body; replace them with real test accounts of the system under test",
	}
	for i := 1; i <= DefaultTestUsers; i++ {
		row := make([]string, len(cols))
		for j, c := range cols {
			row[j] = placeholder(c, unescapeTemplate(body[c].(string)), i)
		}
		need.Rows = append(need.Rows, row)
	}
	for _, c := range cols {
		out[c] = "${" + usersFeeder + "." + c + "}"
	}
	b.users = need
	return out
}

var secretRe = regexp.MustCompile(`(?i)pass|secret|pin|pwd|key`)

// placeholder is row i's value of a credentials column: secrets keep the
// example, e-mail addresses get a +NNN tag, other values a -NNN suffix.
func placeholder(column, example string, i int) string {
	n := fmt.Sprintf("%03d", i)
	switch {
	case secretRe.MatchString(column):
		return or(example, "changeme")
	case strings.Contains(example, "@"):
		local, domain, _ := strings.Cut(example, "@")
		return local + "+" + n + "@" + domain
	case example == "":
		return strings.ToLower(column) + "-" + n
	}
	return example + "-" + n
}

// StatusCheck is the check of an endpoint's documented responses: the
// 2xx codes ("status == 201", "status in [200, 201]"), any 2xx when none
// is documented.
func StatusCheck(responses []int) string {
	var ok []int
	for _, c := range responses {
		if c >= 200 && c < 300 && !slices.Contains(ok, c) {
			ok = append(ok, c)
		}
	}
	sort.Ints(ok)
	switch len(ok) {
	case 0:
		return "status >= 200 && status < 300"
	case 1:
		return "status == " + strconv.Itoa(ok[0])
	}
	parts := make([]string, len(ok))
	for i, c := range ok {
		parts[i] = strconv.Itoa(c)
	}
	return "status in [" + strings.Join(parts, ", ") + "]"
}

// fillPath substitutes the path parameters' examples (1 when a parameter
// has none), escaped for a URL path like the rest of the path.
func fillPath(path string, params []arch.Parameter) string {
	segs := strings.Split(path, "/")
	for k, seg := range segs {
		var b strings.Builder
		for {
			i := strings.IndexByte(seg, '{')
			if i < 0 {
				break
			}
			j := strings.IndexByte(seg[i:], '}')
			if j < 0 {
				break
			}
			name := seg[i+1 : i+j]
			b.WriteString(url.PathEscape(seg[:i]))
			val := "1"
			for _, p := range params {
				if p.Name == name && p.In == "path" {
					val = exampleString(p.Example, p.Type)
				}
			}
			b.WriteString(url.PathEscape(or(val, "1")))
			seg = seg[i+j+1:]
		}
		b.WriteString(url.PathEscape(seg))
		segs[k] = b.String()
	}
	return strings.ReplaceAll(strings.Join(segs, "/"), "${", "$${")
}

// query is the query string of the required parameters and of those with
// an example ("?page=1"), sorted by name; "" when there are none.
func query(params []arch.Parameter) string {
	v := url.Values{}
	for _, p := range params {
		if p.In != "query" || p.Name == "" || (!p.Required && p.Example == nil) {
			continue
		}
		v.Set(p.Name, exampleString(p.Example, p.Type))
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// exampleString formats an example value; a missing one is 1 for numbers,
// true for booleans and "test" otherwise.
func exampleString(v any, typ string) string {
	switch x := v.(type) {
	case nil:
		switch typ {
		case "integer", "number":
			return "1"
		case "boolean":
			return "true"
		}
		return "test"
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return "test"
	}
	return string(raw)
}

// reservedHeader reports headers the engine or the credentials set.
func reservedHeader(name string) bool {
	switch strings.ToLower(name) {
	case "authorization", "content-type", "content-length", "host", "accept-encoding", "connection", "transfer-encoding":
		return true
	}
	return false
}

// isToken reports whether s is an HTTP token (a valid header name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c > 126 || c <= 32 || strings.ContainsRune("()<>@,;:\\\"/[]?={}", c) {
			return false
		}
	}
	return true
}

func (st *Step) setHeader(name, value string) {
	if st.Headers == nil {
		st.Headers = map[string]string{}
	}
	st.Headers[name] = value
}

// escapeTemplate makes s a literal in plan templates ("${" → "$${").
func escapeTemplate(s string) string { return strings.ReplaceAll(s, "${", "$${") }

// unescapeTemplate undoes escapeTemplate.
func unescapeTemplate(s string) string { return strings.ReplaceAll(s, "$${", "${") }

// escapeJSON returns a copy of a JSON value whose string leaves are
// template literals.
func escapeJSON(v any) any {
	switch x := v.(type) {
	case string:
		return escapeTemplate(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[k] = escapeJSON(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = escapeJSON(val)
		}
		return out
	}
	return v
}

// normalizeJSON returns a deep copy of v made of JSON types (maps of
// strings, slices, float64...), nil when v has no JSON form.
func normalizeJSON(v any) any {
	if v == nil {
		return nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	if json.Unmarshal(raw, &out) != nil {
		return nil
	}
	return out
}

// oneLine makes untrusted text safe for one line of a message or comment:
// control characters become spaces, and it is cut at n runes.
func oneLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 32 || r == 127 || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > n {
		s = string(r[:n]) + "…"
	}
	return s
}

func or(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
