package loadgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/buger/jsonparser"
	"github.com/expr-lang/expr/vm"
	"github.com/valyala/fasthttp"

	"github.com/loadgen/loadgen/loadgen/httpx"
	"github.com/loadgen/loadgen/planspec"
)

// reqTmpl is a step's request, compiled once: the parts that never change
// are kept as text, the rest as templates rendered per request.
type reqTmpl struct {
	method    string
	url       *tmpl
	query     []kvTmpl
	headers   []kvTmpl
	bodyKind  int // bodyNone, bodyRaw, bodyJSON, bodyForm
	body      *tmpl
	jsonParts []jsonPart
	form      []kvTmpl
	timeout   int64
	keepAlive bool
	origin    *httpx.Origin // parsed once when the URL's origin is fixed
	userAgent string
}

const (
	bodyNone = iota
	bodyRaw
	bodyJSON
	bodyForm
)

type kvTmpl struct {
	key string
	val *tmpl
}

// jsonPart is a piece of a JSON body: marshalled text, or a string leaf
// whose template is rendered inside the quotes.
type jsonPart struct {
	lit  string
	leaf *tmpl
}

// checkProg is a compiled check expression.
type checkProg struct {
	src  string
	prog *vm.Program
}

// extractor takes a value from the response into a variable slot.
type extractor struct {
	slot   int
	json   []planspec.PathSegment
	isJSON bool
	keys   []string // the path as jsonparser keys; nil when it has wildcards
	re     *regexp.Regexp
	group  int
	header string
}

// compileRequest compiles a request step. A request with no references
// left is also serialised once (step.req); others are built per request.
func (c *compiled) compileRequest(p *planspec.Plan, target string, ps *planspec.Step, st *step) error {
	r := ps.Request
	rt := &reqTmpl{
		method:    strings.ToUpper(r.Method),
		keepAlive: p.HTTP.Keepalive == nil || *p.HTTP.Keepalive,
		userAgent: "loadgen/" + Version,
	}
	timeout := p.HTTP.Timeout.D()
	if r.Timeout != nil {
		timeout = r.Timeout.D()
	}
	rt.timeout = int64(timeout)
	var err error
	ct := func(src, what string) *tmpl {
		if err != nil {
			return nil
		}
		var t *tmpl
		t, err = c.compileTemplate(p, src)
		if err != nil {
			err = fmt.Errorf("%s: %w", what, err)
		}
		return t
	}
	u := r.URL
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "${") {
		if target == "" {
			return fmt.Errorf("relative url %q and no target", u)
		}
		u = strings.TrimRight(target, "/") + "/" + strings.TrimLeft(u, "/")
	}
	rt.url = ct(u, "url")
	for _, k := range sortedKeys(r.Query) {
		rt.query = append(rt.query, kvTmpl{k, ct(r.Query[k], "query "+k)})
	}
	for _, k := range sortedKeys(p.HTTP.Headers) {
		rt.headers = append(rt.headers, kvTmpl{k, ct(p.HTTP.Headers[k], "header "+k)})
	}
	switch {
	case r.Body != nil:
		rt.bodyKind, rt.body = bodyRaw, ct(*r.Body, "body")
	case r.JSON != nil:
		rt.bodyKind = bodyJSON
		if err == nil {
			rt.jsonParts, err = c.compileJSON(p, r.JSON)
		}
		if !hasHeader(r.Headers, "Content-Type") {
			rt.headers = append(rt.headers, kvTmpl{"Content-Type", &tmpl{parts: []tpart{{lit: "application/json"}}}})
		}
	case r.Form != nil:
		rt.bodyKind = bodyForm
		for _, k := range sortedKeys(r.Form) {
			rt.form = append(rt.form, kvTmpl{k, ct(r.Form[k], "form "+k)})
		}
		if !hasHeader(r.Headers, "Content-Type") {
			rt.headers = append(rt.headers, kvTmpl{"Content-Type", &tmpl{parts: []tpart{{lit: "application/x-www-form-urlencoded"}}}})
		}
	}
	for _, k := range sortedKeys(r.Headers) {
		rt.headers = append(rt.headers, kvTmpl{k, ct(r.Headers[k], "header "+k)})
	}
	for _, h := range c.extra {
		rt.headers = append(rt.headers, kvTmpl{h[0], &tmpl{parts: []tpart{{lit: h[1]}}}})
	}
	if err != nil {
		return err
	}
	// the origin is fixed when the URL's scheme://host:port is literal text
	if len(rt.url.parts) > 0 && rt.url.parts[0].kind == planspec.PartLiteral {
		lit := rt.url.parts[0].lit
		if i := strings.Index(lit, "://"); i > 0 {
			if j := strings.IndexAny(lit[i+3:], "/?#"); j >= 0 || len(rt.url.parts) == 1 {
				end := len(lit)
				if j >= 0 {
					end = i + 3 + j
				}
				o, perr := httpx.ParseOrigin(lit[:end])
				if perr != nil {
					return perr
				}
				rt.origin = &o
			}
		}
	}
	st.rt = rt
	if rt.isStatic() {
		spec, err := rt.spec(nil, nil)
		if err != nil {
			return err
		}
		if st.req, err = httpx.Prepare(spec); err != nil {
			return err
		}
	}
	for i, src := range ps.Check {
		var prog *vm.Program
		if i < len(ps.Programs) && ps.Programs[i] != nil {
			prog = ps.Programs[i] // compiled by validation
		} else if prog, err = planspec.CompileCheck(src); err != nil {
			return fmt.Errorf("check %q: %w", src, err)
		}
		needs, err := planspec.CheckUses(src)
		if err != nil {
			return fmt.Errorf("check %q: %w", src, err)
		}
		st.checks = append(st.checks, checkProg{src: src, prog: prog})
		st.needs = st.needs.Or(needs)
	}
	for _, name := range sortedKeys(ps.Extract) {
		ex := ps.Extract[name]
		x := extractor{slot: c.varSlots[name], header: ex.Header}
		switch {
		case ex.JSON != "":
			x.isJSON = true
			if x.json, err = planspec.ParseJSONPath(ex.JSON); err != nil {
				return fmt.Errorf("extract %s: %w", name, err)
			}
			x.keys = parserKeys(x.json)
		case ex.Regex != "":
			if x.re, err = regexp.Compile(ex.Regex); err != nil {
				return fmt.Errorf("extract %s: %w", name, err)
			}
			x.group = ex.Group
			if x.group == 0 && x.re.NumSubexp() > 0 {
				x.group = 1
			}
		}
		st.extract = append(st.extract, x)
	}
	return nil
}

func hasHeader(h map[string]string, name string) bool {
	for k := range h {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// compileJSON marshals a JSON body once, leaving holes for the string
// leaves that hold references.
func (c *compiled) compileJSON(p *planspec.Plan, v any) ([]jsonPart, error) {
	var leaves []*tmpl
	var firstErr error
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case string:
			t, err := c.compileTemplate(p, x)
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("json: %w", err)
				}
				return x
			}
			if s, ok := t.static(); ok {
				return s
			}
			leaves = append(leaves, t)
			return fmt.Sprintf("\x00%d\x00", len(leaves)-1)
		case map[string]any:
			m := make(map[string]any, len(x))
			for k, e := range x {
				m[k] = walk(e)
			}
			return m
		case []any:
			a := make([]any, len(x))
			for i, e := range x {
				a[i] = walk(e)
			}
			return a
		}
		return v
	}
	marked := walk(v)
	if firstErr != nil {
		return nil, firstErr
	}
	b, err := json.Marshal(marked)
	if err != nil {
		return nil, fmt.Errorf("json body: %w", err)
	}
	// encoding/json writes the NUL markers as \u0000
	var parts []jsonPart
	s := string(b)
	for {
		i := strings.Index(s, `\u0000`)
		if i < 0 {
			break
		}
		j := strings.Index(s[i+6:], `\u0000`)
		var n int
		fmt.Sscanf(s[i+6:i+6+j], "%d", &n)
		parts = append(parts, jsonPart{lit: s[:i]}, jsonPart{leaf: leaves[n]})
		s = s[i+6+j+6:]
	}
	return append(parts, jsonPart{lit: s}), nil
}

// urlText is the URL as the plan writes it (for samples of requests that
// could not be rendered).
func (rt *reqTmpl) urlText() string {
	var b strings.Builder
	for _, p := range rt.url.parts {
		if p.kind == planspec.PartLiteral {
			b.WriteString(p.lit)
		} else {
			b.WriteString("${" + p.name + "}")
		}
	}
	return b.String()
}

func (rt *reqTmpl) isStatic() bool {
	all := []*tmpl{rt.url, rt.body}
	for _, kv := range rt.query {
		all = append(all, kv.val)
	}
	for _, kv := range rt.headers {
		all = append(all, kv.val)
	}
	for _, kv := range rt.form {
		all = append(all, kv.val)
	}
	for _, t := range all {
		if t == nil {
			continue
		}
		if _, ok := t.static(); !ok {
			return false
		}
	}
	for _, jp := range rt.jsonParts {
		if jp.leaf != nil {
			return false
		}
	}
	return true
}

// spec renders the request for v (nil: a static request, rendered once).
// buf is scratch space; the returned Spec points into it.
func (rt *reqTmpl) spec(v *vu, sc *scratch) (httpx.Spec, error) {
	if sc == nil {
		sc = &scratch{}
	}
	b := sc.buf[:0]
	var err error
	var marks []int
	mark := func() { marks = append(marks, len(b)) }
	render := func(t *tmpl, esc escape) {
		if err != nil || t == nil {
			return
		}
		b, err = t.render(b, v, esc)
	}
	mark()
	render(rt.url, escURL)
	for i, kv := range rt.query {
		sep := "&"
		if i == 0 && bytes.IndexByte(b[marks[0]:], '?') < 0 {
			sep = "?"
		}
		b = append(b, sep...)
		b = append(b, url.QueryEscape(kv.key)...)
		b = append(b, '=')
		render(kv.val, escQuery)
	}
	mark() // end of URL
	for _, kv := range rt.headers {
		render(kv.val, escHeader)
		mark()
	}
	switch rt.bodyKind {
	case bodyRaw:
		render(rt.body, escNone)
	case bodyJSON:
		for _, jp := range rt.jsonParts {
			if jp.leaf == nil {
				b = append(b, jp.lit...)
			} else {
				render(jp.leaf, escJSON)
			}
		}
	case bodyForm:
		for i, kv := range rt.form {
			if i > 0 {
				b = append(b, '&')
			}
			b = append(b, url.QueryEscape(kv.key)...)
			b = append(b, '=')
			render(kv.val, escQuery)
		}
	}
	mark() // end of body
	sc.buf = b
	if err != nil {
		return httpx.Spec{}, err
	}
	str := func(from, to int) string {
		if v == nil { // static: detach from scratch
			return string(b[from:to])
		}
		return unsafe.String(unsafe.SliceData(b[from:to]), to-from)
	}
	spec := httpx.Spec{
		Method: rt.method,
		URL:    string(b[marks[0]:marks[1]]), // a copy: samples keep the URL

		Timeout:   time.Duration(rt.timeout),
		KeepAlive: rt.keepAlive,
		UserAgent: rt.userAgent,
		Header:    sc.hdr[:0],
	}
	for i, kv := range rt.headers {
		spec.Header = append(spec.Header, [2]string{kv.key, str(marks[1+i], marks[2+i])})
	}
	n := len(marks)
	if rt.bodyKind != bodyNone {
		spec.Body = b[marks[n-2]:marks[n-1]]
		if v == nil {
			spec.Body = []byte(str(marks[n-2], marks[n-1]))
		}
	}
	sc.hdr = spec.Header
	return spec, nil
}

// scratch is a VU's reusable rendering space.
type scratch struct {
	buf     []byte
	hdr     [][2]string
	builder httpx.Builder
}

// flowState is a VU's iteration-scoped data: extracted variables and the
// current feeder rows.
type flowState struct {
	vars    []string
	set     []bool
	rows    [][]string
	cursors []int // per-VU feeder cursors (share: vu)
	jar     *cookiejar.Jar
	sc      *scratch // allocated by the VU's first templated request
	json    any      // the current response parsed as JSON
	jsonOK  bool     // json holds the current response
	jsonTry bool     // parsing was attempted
}

// resetIteration clears extracted variables and moves the feeders on.
func (v *vu) resetIteration() {
	f := &v.flow
	clear(f.set)
	for i, fd := range v.sr.e.comp.feeders {
		if !v.sr.usesFeeder[i] {
			continue
		}
		n := len(fd.data.Rows)
		var idx int
		switch {
		case fd.data.Order == "random":
			idx = v.rng.IntN(n)
		case fd.data.Share == "vu":
			idx = f.cursors[i] % n
			f.cursors[i]++
		default:
			idx = int((fd.next.Add(1) - 1) % int64(n))
		}
		f.rows[i] = fd.data.Rows[idx]
	}
}

// build renders a templated request, with the VU's cookies and the extra
// headers (a sampled request's trace context).
func (v *vu) build(s *step, extra [][2]string) (*httpx.Prepared, error) {
	if v.flow.sc == nil {
		v.flow.sc = &scratch{}
	}
	sc := v.flow.sc
	var spec httpx.Spec
	var err error
	if s.req != nil { // a static request that needs the VU's cookies
		sc.hdr = append(sc.hdr[:0], s.req.Header...) // never append to the shared slice
		spec = httpx.Spec{Method: s.req.Method, URL: s.req.URL, Header: sc.hdr, Body: s.req.Body,
			Timeout: s.req.Timeout, KeepAlive: !s.req.Close}
	} else if spec, err = s.rt.spec(v, sc); err != nil {
		return nil, err
	}
	origin := s.rt.origin
	if c := v.cookieHeader(spec.URL); c != "" {
		spec.Header = append(spec.Header, [2]string{"Cookie", c})
	}
	spec.Header = append(spec.Header, extra...)
	sc.hdr = spec.Header
	return sc.builder.Build(spec, origin)
}

// cookieHeader returns the Cookie header the VU's jar holds for rawURL.
func (v *vu) cookieHeader(rawURL string) string {
	if v.flow.jar == nil {
		return ""
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	cs := v.flow.jar.Cookies(u)
	if len(cs) == 0 {
		return ""
	}
	var b strings.Builder
	for i, c := range cs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(c.Name)
		b.WriteByte('=')
		b.WriteString(c.Value)
	}
	return b.String()
}

// storeCookies keeps the response's cookies in the VU's jar.
func (v *vu) storeCookies(rawURL string, resp *fasthttp.Response) {
	var cookies []*http.Cookie
	for _, value := range resp.Header.Cookies() { // whole Set-Cookie values
		if c, err := http.ParseSetCookie(string(value)); err == nil {
			cookies = append(cookies, c)
		}
	}
	if len(cookies) == 0 {
		return
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return
	}
	if v.flow.jar == nil {
		v.flow.jar, _ = cookiejar.New(nil)
	}
	v.flow.jar.SetCookies(u, cookies)
}

// parserKeys turns a JSONPath without wildcards into jsonparser keys.
func parserKeys(segs []planspec.PathSegment) []string {
	if len(segs) == 0 {
		return nil
	}
	keys := make([]string, 0, len(segs))
	for _, sg := range segs {
		switch {
		case sg.Wildcard:
			return nil
		case sg.Index >= 0:
			keys = append(keys, "["+strconv.Itoa(sg.Index)+"]")
		case strings.HasPrefix(sg.Key, "["):
			return nil // jsonparser would read it as an index
		default:
			keys = append(keys, sg.Key)
		}
	}
	return keys
}

// lookupJSON finds one value in a JSON body, turned into a variable value
// exactly as EvalJSONPath + JSONValueString would.
func lookupJSON(body []byte, keys []string) (string, bool) {
	raw, typ, _, err := jsonparser.Get(body, keys...)
	if err != nil {
		return "", false
	}
	if typ == jsonparser.String {
		s, err := jsonparser.ParseString(raw)
		return s, err == nil
	}
	var x any
	if err := json.Unmarshal(raw, &x); err != nil {
		return "", false
	}
	return planspec.JSONValueString(x), true
}

// responseJSON parses the response body as JSON once per response.
func (v *vu) responseJSON(body []byte) (any, bool) {
	f := &v.flow
	if !f.jsonTry {
		f.jsonTry = true
		f.json, f.jsonOK = nil, false
		var doc any
		if err := json.Unmarshal(body, &doc); err == nil {
			f.json, f.jsonOK = doc, true
		}
	}
	return f.json, f.jsonOK
}

// extract runs the step's extractors on the response.
func (v *vu) extract(s *step, resp *fasthttp.Response) {
	f := &v.flow
	for i := range s.extract {
		x := &s.extract[i]
		val, ok := "", false
		switch {
		case x.isJSON && x.keys != nil && !f.jsonTry:
			// a plain path on a body nothing parsed yet: look the value up
			// without building the whole document
			val, ok = lookupJSON(resp.Body(), x.keys)
		case x.isJSON:
			if doc, isJSON := v.responseJSON(resp.Body()); isJSON {
				var got any
				if got, ok = planspec.EvalJSONPath(doc, x.json); ok {
					val = planspec.JSONValueString(got)
				}
			}
		case x.re != nil:
			m := x.re.FindSubmatchIndex(resp.Body())
			if m != nil && 2*x.group+1 < len(m) && m[2*x.group] >= 0 {
				val, ok = string(resp.Body()[m[2*x.group]:m[2*x.group+1]]), true
			}
		default:
			if h := resp.Header.Peek(x.header); h != nil {
				val, ok = string(h), true
			}
		}
		f.vars[x.slot], f.set[x.slot] = val, ok
	}
}

// runChecks evaluates the step's checks; it returns how many ran and the
// first failing expression ("" when all held).
func (v *vu) runChecks(s *step, resp *fasthttp.Response, elapsedNs, size int64) (failed int32, first string) {
	needs := s.needs
	body := resp.Body()
	env := planspec.CheckEnv{
		Status:   resp.StatusCode(),
		Body:     unsafe.String(unsafe.SliceData(body), len(body)), // read-only, valid while the checks run
		Duration: float64(elapsedNs) / 1e6,
		Size:     int(size),
	}
	if needs.JSON {
		env.JSON, _ = v.responseJSON(body)
	}
	if needs.Headers {
		env.Headers = map[string]string{}
		for k, val := range resp.Header.All() {
			env.Headers[http.CanonicalHeaderKey(string(k))] = string(val)
		}
	}
	if needs.Vars {
		env.Vars = v.varsMap()
	}
	for i := range s.checks {
		c := &s.checks[i]
		if v.vm == nil {
			v.vm = &vm.VM{}
		}
		out, err := v.vm.Run(c.prog, env)
		if ok, isBool := out.(bool); err != nil || !isBool || !ok {
			failed++
			if first == "" {
				first = c.src
			}
		}
	}
	return failed, first
}

// varsMap is the checks' view of plan and extracted variables.
func (v *vu) varsMap() map[string]string {
	e := v.sr.e
	m := make(map[string]string, len(e.plan.Vars)+len(e.comp.varNames))
	for k, val := range e.plan.Vars {
		m[k] = val
	}
	for name, slot := range e.comp.varSlots {
		if v.flow.set[slot] {
			m[name] = v.flow.vars[slot]
		}
	}
	return m
}

// feederRT is a feeder at run time: its rows, read-only and shared, and the
// cursor of share: all.
type feederRT struct {
	name string
	data *planspec.FeederData
	next atomic.Int64
}

// feederSlot returns the slot of a feeder and the index of a column.
func (c *compiled) feederSlot(p *planspec.Plan, name, column string) (int, int) {
	for i, f := range c.feeders {
		if f.name == name {
			return i, f.data.Column(column)
		}
	}
	return -1, -1
}

// newFeeders loads the plan's feeders in a fixed order.
func newFeeders(p *planspec.Plan) []*feederRT {
	names := make([]string, 0, len(p.Feeders))
	for n := range p.Feeders {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]*feederRT, 0, len(names))
	for _, n := range names {
		if d := p.Feeders[n]; d != nil && len(d.Rows) > 0 {
			out = append(out, &feederRT{name: n, data: d})
		}
	}
	return out
}
