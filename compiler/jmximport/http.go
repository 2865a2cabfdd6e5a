package jmximport

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/loadgen/loadgen/compiler/jmx"
	"github.com/loadgen/loadgen/planspec"
)

// httpArg is one parameter of an HTTP sampler.
type httpArg struct {
	name, value string
	encode      bool
}

// samplerArgs reads the HTTPsampler.Arguments of a sampler or defaults
// element.
func samplerArgs(e *jmx.Element) []httpArg {
	p := e.Prop("HTTPsampler.Arguments")
	if p == nil {
		return nil
	}
	var out []httpArg
	for _, coll := range p.Props {
		if coll.Kind != jmx.CollectionProp {
			continue
		}
		for _, a := range coll.Props {
			out = append(out, httpArg{name: a.String("Argument.name"), value: a.String("Argument.value"), encode: propBool(a, "HTTPArgument.always_encode")})
		}
	}
	return out
}

// chainAnc returns the ancestors of an element at scope level i of chain,
// given the ancestors of the sampler (whose last levels are the chain's).
func chainAnc(anc []*jmx.Element, chain []*level, i int) []*jmx.Element {
	for j, a := range anc {
		if a == chain[i].elem {
			return anc[:j+1]
		}
	}
	return anc
}

// propBool reads a boolean member of an element property (false when
// absent).
func propBool(p *jmx.Prop, name string) bool {
	if m := p.Prop(name); m != nil {
		b, _ := m.Bool()
		return b
	}
	return false
}

// bodyMethods send named parameters as a urlencoded form; every other
// method appends them to the URL (HTTPSamplerBase).
var bodyMethods = map[string]bool{"POST": true, "PUT": true, "PATCH": true}

// request imports an HTTP sampler; chain ends with the sampler's own level.
func (w *walker) request(anc []*jmx.Element, e *jmx.Element, chain []*level) *reqStep {
	im := w.im
	r := &reqStep{elem: e, anc: anc, name: strings.TrimSpace(e.TestName)}
	if r.name == "" {
		r.name = "HTTP Request"
	}
	// get reads a field, falling back to the HTTP Request Defaults in
	// scope, innermost first.
	source := func(prop string) (string, *jmx.Element, []*jmx.Element) {
		if v := e.String(prop); strings.TrimSpace(v) != "" {
			return v, e, anc
		}
		for i := len(chain) - 1; i >= 0; i-- {
			for _, d := range chain[i].defaults {
				if v := d.String(prop); strings.TrimSpace(v) != "" {
					return v, d, chainAnc(anc, chain, i)
				}
			}
		}
		return "", nil, nil
	}
	get := func(prop string) string {
		v, _, _ := source(prop)
		return v
	}

	method := "GET"
	if m := strings.TrimSpace(e.String("HTTPSampler.method")); m != "" {
		if s, ok := im.staticValue(anc, e, m, "method"); ok && s != "" {
			method = strings.ToUpper(strings.TrimSpace(s))
		} else {
			im.warn(anc, e, "method %q depends on run-time values; imported as GET", m)
		}
	}
	r.req.Method = method
	if method == "GET" {
		r.req.Method = ""
	}

	im.url(anc, e, r, get)
	im.arguments(anc, e, r, method, chain)

	if enc := strings.TrimSpace(get("HTTPSampler.contentEncoding")); enc != "" && !isUTF8Name(enc) {
		im.warn(anc, e, "content encoding %s: the plan sends UTF-8", enc)
	}
	if b, _ := e.Bool("HTTPSampler.DO_MULTIPART_POST"); b {
		im.warn(anc, e, "multipart/form-data is not supported; parameters are sent urlencoded")
	}
	if f := e.Prop("HTTPsampler.Files"); f != nil && len(f.Props) > 0 && len(f.Props[0].Props) > 0 {
		im.unsupported(anc, e, "file uploads are not supported")
	}
	if v, src, srcAnc := source("HTTPSampler.image_parser"); strings.EqualFold(v, "true") {
		im.warn(srcAnc, src, "embedded resources (images, scripts, style sheets) are not downloaded")
	}
	if s := strings.TrimSpace(get("HTTPSampler.ipSource")); s != "" {
		im.warn(anc, e, "source address %q is not supported", s)
	}
	if s := strings.TrimSpace(get("HTTPSampler.proxyHost")); s != "" {
		im.warn(anc, e, "proxy %q is not supported", s)
	}
	follow, _ := e.Bool("HTTPSampler.follow_redirects")
	auto, _ := e.Bool("HTTPSampler.auto_redirects")
	r.follows = follow || auto

	// Timeouts: JMeter's are per connect and per read; the plan bounds
	// the whole request by the larger of them.
	var total int64
	for _, prop := range []string{"HTTPSampler.connect_timeout", "HTTPSampler.response_timeout"} {
		if v := strings.TrimSpace(get(prop)); v != "" {
			if n, ok := im.numValue(anc, e, v, prop); ok && n > 0 {
				total = max(total, int64(n))
			}
		}
	}
	if b, ok := e.Bool("HTTPSampler.use_keepalive"); ok && !b {
		im.noKeepalive++
	}
	for _, lv := range chain {
		if lv.timeout > 0 && (total == 0 || lv.timeout < total) {
			total = lv.timeout
		}
	}
	if total > 0 {
		r.timeout = ptr(dur(time.Duration(total) * time.Millisecond))
	}

	// Scoped elements.
	for i, lv := range chain {
		switch {
		case i == 0: // plan level: http.headers
		case i == 1:
			r.tgHeaders.merge(lv.headers)
		default:
			r.headers.merge(lv.headers)
		}
		r.cookies = r.cookies || lv.cookie
		r.pre = r.pre.add(lv.timers)
		if lv.onError != "" {
			r.onFailure = "stop_iteration"
		}
	}
	if w.sc.onError == "startnextloop" || w.sc.onError == "stopthread" || w.sc.onError == "stoptest" || w.sc.onError == "stoptestnow" {
		r.onFailure = "stop_iteration"
	}
	for _, h := range []string{"Content-Length", "Transfer-Encoding"} {
		if _, ok := r.headers.get(h); ok {
			r.headers.del(h)
			im.info(anc, e, "header %s dropped (the transport sets it)", h)
		}
	}
	r.checks = w.checks(anc, e, chain)
	for _, lv := range chain {
		for _, ex := range lv.extracts {
			for _, x := range ex.vars {
				if r.extract == nil {
					r.extract = map[string]planspec.Extractor{}
				}
				r.extract[x.name] = x.ex
			}
		}
	}
	if r.cookies {
		im.cookieSteps++
	} else {
		im.noCookieSteps++
	}
	if r.follows {
		im.redirects++
		if im.firstRedirect == nil {
			im.firstRedirect = r
		}
	}
	return r
}

// url sets a request's origin and path from the sampler's fields.
func (im *importer) url(anc []*jmx.Element, e *jmx.Element, r *reqStep, get func(string) string) {
	path := im.tmpl(anc, e, get("HTTPSampler.path"), "path")
	if origin, rest, prop, ok := im.absolutePath(anc, e, path); ok {
		r.origin, r.targetProp = origin, prop
		path = rest
	} else {
		proto := strings.ToLower(strings.TrimSpace(im.tmpl(anc, e, get("HTTPSampler.protocol"), "protocol")))
		if s, ok := im.resolveStatic(anc, e, proto, "protocol"); ok {
			proto = strings.ToLower(strings.TrimSpace(s))
		}
		if proto == "" {
			proto = "http"
		}
		host := strings.TrimSpace(im.tmpl(anc, e, get("HTTPSampler.domain"), "domain"))
		if s, ok := im.resolveStatic(anc, e, host, "domain"); ok {
			host = strings.TrimSpace(s)
		}
		port := strings.TrimSpace(im.tmpl(anc, e, get("HTTPSampler.port"), "port"))
		if s, ok := im.resolveStatic(anc, e, port, "port"); ok {
			port = strings.TrimSpace(s)
		}
		if (proto == "http" && port == "80") || (proto == "https" && port == "443") || port == "0" || port == "-1" {
			port = ""
		}
		switch {
		case host == "":
			im.warn(anc, e, "no server name (here or in HTTP Request Defaults); the request is relative to the plan's target")
		default:
			r.origin = proto + "://" + host
			if port != "" {
				r.origin += ":" + port
			}
		}
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	r.pathq = path
}

// absolutePath recognises a path holding a whole URL: written out, or
// behind a property or variable whose value is one (the exporter writes
// ${__P(target,<target>)}/api/x). It returns the origin, the rest of the
// path, and whether the origin came from the "target" property.
func (im *importer) absolutePath(anc []*jmx.Element, e *jmx.Element, path string) (origin, rest string, targetProp, ok bool) {
	head := path
	if strings.HasPrefix(path, "${") {
		end := strings.IndexByte(path, '}')
		if end < 0 {
			return "", "", false, false
		}
		ref, tail := path[:end+1], path[end+1:]
		var val string
		if m := envRefRe.FindStringSubmatch(ref); m != nil && m[0] == ref {
			val, targetProp = m[2], m[1] == "target"
		} else if v := im.varByPlanName(strings.TrimSuffix(strings.TrimPrefix(ref, "${"), "}")); v != nil && !v.dynamic {
			s, ok := im.resolveStatic(anc, e, v.tmplText(), "path")
			if !ok {
				return "", "", false, false
			}
			val = s
		} else {
			return "", "", false, false
		}
		if !isHTTPURL(val) {
			return "", "", false, false
		}
		head = val + tail
	}
	if !isHTTPURL(head) {
		return "", "", false, false
	}
	i := strings.Index(head, "://") + 3
	j := strings.IndexAny(head[i:], "/?#")
	if j < 0 {
		return head, "/", targetProp, true
	}
	origin, rest = head[:i+j], head[i+j:]
	if strings.HasPrefix(rest, "?") {
		rest = "/" + rest
	}
	return origin, rest, targetProp, true
}

func isHTTPURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// arguments imports the sampler's parameters: a raw body, query
// parameters or a urlencoded form.
func (im *importer) arguments(anc []*jmx.Element, e *jmx.Element, r *reqStep, method string, chain []*level) {
	args := samplerArgs(e)
	raw, _ := e.Bool("HTTPSampler.postBodyRaw")
	unnamed := len(args) > 0
	for _, a := range args {
		unnamed = unnamed && a.name == ""
	}
	if raw || unnamed {
		var b strings.Builder
		for _, a := range args {
			b.WriteString(a.value)
		}
		body := im.tmpl(anc, e, b.String(), "body")
		if body != "" {
			r.req.Body = &body
		}
		return
	}
	// Parameters of the HTTP Request Defaults in scope are added.
	for i := len(chain) - 1; i >= 0; i-- {
		for _, d := range chain[i].defaults {
			args = append(args, samplerArgs(d)...)
		}
	}
	var named []httpArg
	for _, a := range args {
		if a.name == "" {
			im.warn(anc, e, "an unnamed parameter among named ones is not sent by JMeter; ignored")
			continue
		}
		named = append(named, a)
	}
	if len(named) == 0 {
		return
	}
	dup := map[string]bool{}
	hasDup := false
	for _, a := range named {
		hasDup = hasDup || dup[a.name]
		dup[a.name] = true
	}
	form := bodyMethods[method]
	if hasDup {
		// Repeated names: written out by hand, in order.
		var parts []string
		for _, a := range named {
			parts = append(parts, im.encodedArg(anc, e, a))
		}
		joined := strings.Join(parts, "&")
		if form {
			r.req.Body = &joined
			if _, ok := r.headers.get("Content-Type"); !ok {
				r.headers.set("Content-Type", "application/x-www-form-urlencoded")
			}
			return
		}
		sep := "?"
		if strings.Contains(r.pathq, "?") {
			sep = "&"
		}
		r.pathq += sep + joined
		return
	}
	m := map[string]string{}
	for _, a := range named {
		name, value := a.name, a.value
		if !a.encode {
			// JMeter sends such values as written (already encoded);
			// the plan encodes, so decode them first.
			name, value = decodeArg(name), decodeArg(value)
		}
		m[im.tmpl(anc, e, name, "parameter name")] = im.tmpl(anc, e, value, "parameter "+strconv.Quote(a.name))
	}
	if form {
		r.req.Form = m
	} else {
		r.req.Query = m
	}
}

// decodeArg undoes URL encoding JMeter would not apply again; text that
// does not decode is kept.
func decodeArg(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}

// encodedArg writes name=value as JMeter sends it.
func (im *importer) encodedArg(anc []*jmx.Element, e *jmx.Element, a httpArg) string {
	name := im.tmpl(anc, e, a.name, "parameter name")
	value := im.tmpl(anc, e, a.value, "parameter "+strconv.Quote(a.name))
	if a.encode {
		name, value = escapeLiterals(name), escapeLiterals(value)
	}
	return name + "=" + value
}

// escapeLiterals query-escapes the literal text of a template, leaving its
// references for the engine.
func escapeLiterals(t string) string {
	parts := planTemplateParts(t)
	for i, p := range parts.parts {
		if p.lit {
			parts.parts[i].s = url.QueryEscape(p.s)
		}
	}
	out, _ := parts.build()
	return out
}

// headerManager reads a Header Manager into h (later entries replace
// earlier ones of the same name, as JMeter merges managers).
func (im *importer) headerManager(anc []*jmx.Element, e *jmx.Element, h *headerMap) {
	p := e.Prop("HeaderManager.headers")
	if p == nil {
		return
	}
	for _, hp := range p.Props {
		name := strings.TrimSpace(hp.String("Header.name"))
		if name == "" {
			continue
		}
		if !validHeaderName(name) {
			im.warn(anc, e, "header name %q is not valid; header dropped", name)
			continue
		}
		value := im.tmpl(anc, e, hp.String("Header.value"), "header "+name)
		if strings.ContainsAny(value, "\r\n") {
			im.warn(anc, e, "header %s holds a line break; header dropped", name)
			continue
		}
		h.set(name, value)
	}
}

func validHeaderName(s string) bool {
	for _, c := range s {
		if c >= 0x7f || !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", c)) {
			return false
		}
	}
	return s != ""
}

// cookieManager reports what of a Cookie Manager the plan cannot do.
func (im *importer) cookieManager(anc []*jmx.Element, e *jmx.Element) {
	if p := e.Prop("CookieManager.cookies"); p != nil && len(p.Props) > 0 {
		im.unsupported(anc, e, "predefined cookies are not supported (send a Cookie header instead)")
	}
	if b, _ := e.Bool("CookieManager.clearEachIteration"); b {
		im.warn(anc, e, "clear cookies each iteration: the plan's VUs keep their cookies across iterations")
	}
}
