package dslexport

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/loadgen/loadgen/compiler"
	"github.com/loadgen/loadgen/compiler/groovy"
	"github.com/loadgen/loadgen/planspec"
)

// exporter renders one plan.
type exporter struct {
	p *planspec.Plan

	warns     compiler.Warnings
	seen      map[compiler.Warning]bool
	env       map[string]bool // names of ${env.NAME} references (JMeter properties)
	scripts   []string        // Groovy scripts of JSR223 assertions, by id
	scriptIDs map[string]int  // id of each script
	feeders   map[string]*feederFile
	vars      map[string]*planspec.Template
	labels    []labelInfo // every step and group, in plan order
	err       error
}

// feederFile is a feeder's CSV, copied into the project.
type feederFile struct {
	name     string
	source   string // path of the plan's CSV
	resource string // classpath resource, "data/<name>.csv"
	columns  []string
}

// labelInfo is a JTL label of the plan.
type labelInfo struct {
	label    string
	scenario int
	groups   []string // enclosing groups, outermost first
	isGroup  bool
}

// warn records a warning once.
func (x *exporter) warn(where, format string, args ...any) {
	w := compiler.Warning{Where: where, Msg: fmt.Sprintf(format, args...)}
	if x.seen[w] {
		return
	}
	x.seen[w] = true
	x.warns.List = append(x.warns.List, w)
}

func (x *exporter) fail(where string, err error) {
	if x.err == nil {
		x.err = fmt.Errorf("%s: %w", where, err)
	}
}

// scope is the template scope of a thread group.
func (x *exporter) scope(tg string) compiler.Scope {
	return compiler.Scope{ThreadGroup: tg, IsFeeder: x.p.IsFeeder, Env: x.envRef}
}

// envRef renders ${env.NAME} as a JMeter property and records the name,
// which the generated test copies from -DNAME or the environment.
func (x *exporter) envRef(name, def string, hasDefault bool) string {
	x.env[name] = true
	return compiler.PropertyEnv(name, def, hasDefault)
}

// jm renders a plan template as a JMeter string.
func (x *exporter) jm(src string, sc compiler.Scope, where string) string {
	s, err := compiler.JMeterString(src, sc)
	if err != nil {
		x.fail(where, err)
	}
	return s
}

// lit renders literal text as a JMeter string that evaluates to the text
// itself (JMeter evaluates ${...} in every property of a test element).
func lit(s string) string { return compiler.JMeterLiteral(s) }

// jlit is lit as a Java string literal.
func jlit(s string) string { return JavaString(lit(s)) }

func ptrKey(ptr, key string) string {
	key = strings.ReplaceAll(key, "~", "~0")
	return ptr + "/" + strings.ReplaceAll(key, "/", "~1")
}

func ptrIndex(ptr string, i int) string { return ptr + "/" + strconv.Itoa(i) }

// written reports whether the plan's source sets the value at ptr (as
// opposed to a default filled in by parsing).
func (x *exporter) written(ptr string) bool {
	_, ok := x.p.Pos[ptr]
	return ok
}

// planChildren renders the plan-level configuration, the thread groups and
// the JTL writer.
func (x *exporter) planChildren() []*jexpr {
	p := x.p
	var out []*jexpr
	if len(p.Vars) > 0 {
		v := call("vars")
		for _, name := range compiler.SortedKeys(p.Vars) {
			v.then("set", JavaString(name), JavaString(x.varValue(name)))
		}
		out = append(out, v)
	}
	if len(p.HTTP.Headers) > 0 {
		h := call("httpHeaders")
		sc := x.scope("")
		for _, k := range compiler.SortedKeys(p.HTTP.Headers) {
			h.then("header", JavaString(k), JavaString(x.jm(p.HTTP.Headers[k], sc, ptrKey("/http/headers", k))))
		}
		out = append(out, h)
	}
	defaults := call("httpDefaults")
	if p.HTTP.Timeout != nil {
		d := javaDuration(p.HTTP.Timeout.D())
		x.subMillis("/http/timeout", p.HTTP.Timeout.D())
		defaults.then("connectionTimeout", d).then("responseTimeout", d)
	}
	// loadgen keeps a VU's connections across iterations
	defaults.then("resetConnectionsBetweenIterations", "false")
	out = append(out, defaults)
	if p.HTTP.Cookies != nil && !*p.HTTP.Cookies {
		out = append(out, call("httpCookies").then("disable"))
	} else {
		// a VU keeps its cookie jar for the whole run
		out = append(out, call("httpCookies").then("clearCookiesBetweenIterations", "false"))
	}
	// loadgen has no HTTP cache: every request is sent
	out = append(out, call("httpCache").then("disable"))
	if p.HTTP.HTTP2 {
		x.warn("/http/http2", "JMeter's HTTP client speaks HTTP/1.1 only; http2 is not exported")
	}
	for i := range p.Scenarios {
		out = append(out, x.scenario(i)...)
	}
	out = append(out, call("jtlWriter", `"target/jtls"`, `"results.jtl"`))
	return out
}

// varValue returns a plan var as a JMeter string (compiler.VarTemplates).
func (x *exporter) varValue(name string) string {
	return compiler.RenderTemplate(x.vars[name], x.scope(""))
}

// scenario renders a scenario as one thread group (two for a
// shared-iterations split).
func (x *exporter) scenario(i int) []*jexpr {
	sc := &x.p.Scenarios[i]
	ptr := ptrIndex("/scenarios", i)
	scope := x.scope(sc.Name)
	name := jlit(sc.Name)

	var kids []*jexpr
	for _, f := range x.scenarioFeeders(sc) {
		kids = append(kids, x.csvDataSet(f))
	}
	kids = append(kids, x.steps(ptr+"/steps", i, sc, sc.Steps, nil, scope)...)
	closed := !planspec.IsArrivalRate(sc.Executor)
	if closed && len(sc.Steps) > 0 {
		last := len(sc.Steps) - 1
		if p := x.pause(x.thinkPtr(ptr, sc, &sc.Steps[last], ptrIndex(ptr+"/steps", last)), compiler.ThinkTime(sc, &sc.Steps[last])); p != nil {
			kids = append(kids, p)
		}
	}
	if sc.GracefulStop != nil && (x.written(ptr+"/graceful_stop") || *sc.GracefulStop != planspec.DefaultGracefulStop) {
		x.warn(ptr+"/graceful_stop", "JMeter ends a thread at the end of its schedule once its current request completes, skipping the rest of the iteration: graceful_stop %s is not exported", sc.GracefulStop)
	}
	start := sc.StartTime.D()
	x.wholeSeconds(ptr+"/start_time", start)

	switch sc.Executor {
	case planspec.ConstantVUs:
		vus, d := *sc.VUs, sc.Duration.D()
		x.wholeSeconds(ptr+"/duration", d)
		if start <= 0 {
			return []*jexpr{{fn: "threadGroup", args: []string{name, strconv.Itoa(vus), javaDuration(d)}, kids: kids, kidsInArgs: true}}
		}
		tg := call("threadGroup", name).then("holdFor", javaDuration(start)).
			then("rampTo", strconv.Itoa(vus), "Duration.ZERO").then("holdFor", javaDuration(d))
		return []*jexpr{tg.add(kids...)}

	case planspec.RampingVUs:
		tg := call("threadGroup", name)
		if start > 0 {
			tg.then("holdFor", javaDuration(start))
		}
		cur := *sc.StartVUs
		if cur > 0 {
			tg.then("rampTo", strconv.Itoa(cur), "Duration.ZERO")
		}
		for j, st := range sc.Stages {
			sp := ptrIndex(ptr+"/stages", j)
			x.wholeSeconds(sp+"/duration", st.Duration.D())
			target := int(math.Round(st.Target))
			if float64(target) != st.Target {
				x.warn(sp+"/target", "JMeter thread counts are whole: target %s becomes %d", javaDouble(st.Target), target)
			}
			if target == cur {
				tg.then("holdFor", javaDuration(st.Duration.D()))
			} else {
				tg.then("rampTo", strconv.Itoa(target), javaDuration(st.Duration.D()))
			}
			cur = target
		}
		if sc.GracefulRampDown != nil && (x.written(ptr+"/graceful_ramp_down") || *sc.GracefulRampDown != planspec.DefaultGracefulRampDown) {
			x.warn(ptr+"/graceful_ramp_down", "JMeter stops a thread that ramps down once its current request completes, skipping the rest of the iteration: graceful_ramp_down %s is not exported", sc.GracefulRampDown)
		}
		return []*jexpr{tg.add(kids...)}

	case planspec.PerVUIterations:
		return []*jexpr{x.iterating(ptr, sc, name, *sc.VUs, *sc.Iterations, kids)}

	case planspec.SharedIterations:
		// every VU runs q or q+1 iterations: exactly `iterations` in all
		vus, total := *sc.VUs, *sc.Iterations
		q, r := total/vus, total%vus
		var out []*jexpr
		if r > 0 {
			out = append(out, x.iterating(ptr, sc, name, r, q+1, kids))
		}
		if q > 0 {
			out = append(out, x.iterating(ptr, sc, name, vus-r, q, kids))
		}
		return out

	case planspec.ConstantArrivalRate, planspec.RampingArrivalRate:
		return []*jexpr{x.arrivals(ptr, sc, name, kids)}
	}
	x.fail(ptr+"/executor", fmt.Errorf("unknown executor %q", sc.Executor))
	return nil
}

// iterating renders vus threads running iterations each, within
// max_duration.
func (x *exporter) iterating(ptr string, sc *planspec.Scenario, name string, vus, iterations int, kids []*jexpr) *jexpr {
	var tg *jexpr
	if start := sc.StartTime.D(); start > 0 {
		tg = call("threadGroup", name).then("holdFor", javaDuration(start)).
			then("rampTo", strconv.Itoa(vus), "Duration.ZERO").then("holdIterating", strconv.Itoa(iterations))
	} else {
		tg = call("threadGroup", name, strconv.Itoa(vus), strconv.Itoa(iterations))
	}
	if sc.MaxDuration != nil {
		x.wholeSeconds(ptr+"/max_duration", sc.MaxDuration.D())
		tg.then("upTo", javaDuration(sc.MaxDuration.D()))
	}
	return tg.add(kids...)
}

// arrivals renders an arrival-rate scenario as an RPS thread group that
// counts iterations.
func (x *exporter) arrivals(ptr string, sc *planspec.Scenario, name string, kids []*jexpr) *jexpr {
	maxVUs := *sc.MaxVUs
	pre := *sc.PreAllocatedVUs
	tg := call("rpsThreadGroup", name).then("maxThreads", strconv.Itoa(maxVUs))
	if pre > 0 {
		tg.then("initThreads", strconv.Itoa(min(pre, maxVUs)))
	}
	tg.then("counting", "RpsThreadGroup.EventType.ITERATIONS")
	unit := sc.TimeUnit.D().Seconds()
	if unit <= 0 {
		unit = 1
	}
	if sc.StartTime.D() > 0 {
		x.warn(ptr+"/start_time", "JMeter's RPS thread group cannot start late (a hold at rate 0 stalls its throughput timer): start_time %s is not exported, the scenario starts with the test", sc.StartTime)
	}
	// The throughput timer waits 1000/rate ms per iteration: at a rate of
	// 0 every thread waits for ever and the test never ends.
	rateOf := func(where string, perUnit float64) string {
		r := perUnit / unit
		if r <= 0 {
			x.warn(where, "JMeter's throughput shaping timer stalls at a rate of 0: it is exported as 1 iteration/s (when the schedule ends, the timer then releases its waiting threads at that rate, so JMeter may take a while to stop)")
			r = 1
		}
		return javaDouble(r)
	}
	if sc.Executor == planspec.ConstantArrivalRate {
		x.wholeSeconds(ptr+"/duration", sc.Duration.D())
		tg.then("rampTo", rateOf(ptr+"/rate", *sc.Rate), "Duration.ZERO").then("holdFor", javaDuration(sc.Duration.D()))
	} else {
		cur := rateOf(ptr+"/start_rate", *sc.StartRate)
		tg.then("rampTo", cur, "Duration.ZERO")
		for j, st := range sc.Stages {
			sp := ptrIndex(ptr+"/stages", j)
			x.wholeSeconds(sp+"/duration", st.Duration.D())
			rate := rateOf(sp+"/target", st.Target)
			if rate == cur {
				tg.then("holdFor", javaDuration(st.Duration.D()))
			} else {
				tg.then("rampTo", rate, javaDuration(st.Duration.D()))
			}
			cur = rate
		}
	}
	if sc.Arrivals == "poisson" {
		x.warn(ptr+"/arrivals", "JMeter's throughput shaping timer spaces iterations evenly; poisson arrivals are not exported")
	}
	return tg.add(kids...)
}

// wholeSeconds warns when a thread group schedule duration is not whole
// seconds: JMeter schedules in seconds and the DSL rounds up.
func (x *exporter) wholeSeconds(where string, d time.Duration) {
	if d%time.Second != 0 {
		x.warn(where, "JMeter schedules thread groups in whole seconds: %s becomes %ds", d, int64(math.Ceil(d.Seconds())))
	}
}

func (x *exporter) subMillis(where string, d time.Duration) {
	if d%time.Millisecond != 0 {
		x.warn(where, "JMeter times are whole milliseconds: %s becomes %dms", d, ceilMillis(d))
	}
}

// thinkPtr is where the think time of a step comes from.
func (x *exporter) thinkPtr(scPtr string, sc *planspec.Scenario, st *planspec.Step, stPtr string) string {
	if st.ThinkTime != nil {
		return stPtr + "/think_time"
	}
	return scPtr + "/think_time"
}

// pause renders a think time as a Flow Control Action pause (nil: none).
// It is a sampler that writes no JTL row, so the pause happens where the
// engine pauses: after a step, before the next one.
func (x *exporter) pause(where string, t *planspec.ThinkTime) *jexpr {
	if t == nil {
		return nil
	}
	lo, hi := t.Min.D(), t.Max.D()
	x.subMillis(where, lo)
	x.subMillis(where, hi)
	if hi <= lo {
		if lo <= 0 {
			return nil
		}
		return call("threadPause", javaDuration(lo))
	}
	return call("threadPause", JavaString(fmt.Sprintf("${__Random(%d,%d)}", ceilMillis(lo), ceilMillis(hi))))
}

// steps renders a sequence of steps with the think time between them.
func (x *exporter) steps(ptr string, scIdx int, sc *planspec.Scenario, steps []planspec.Step, groups []string, scope compiler.Scope) []*jexpr {
	scPtr := ptrIndex("/scenarios", scIdx)
	var out []*jexpr
	for j := range steps {
		st := &steps[j]
		sp := ptrIndex(ptr, j)
		x.labels = append(x.labels, labelInfo{label: st.Label(), scenario: scIdx, groups: groups, isGroup: st.IsGroup()})
		if st.IsGroup() {
			inner := append(groups[:len(groups):len(groups)], st.Group)
			kids := x.steps(sp+"/steps", scIdx, sc, st.Steps, inner, scope)
			// TransactionController defaults: no parent sample (children's
			// rows, then the transaction's), timers excluded
			out = append(out, (&jexpr{fn: "transaction", args: []string{jlit(st.Group)}, kidsInArgs: true}).add(kids...))
		} else {
			out = append(out, x.request(sp, scIdx, sc, st, scope))
		}
		if j < len(steps)-1 {
			if p := x.pause(x.thinkPtr(scPtr, sc, st, sp), compiler.ThinkTime(sc, st)); p != nil {
				out = append(out, p)
			}
		}
	}
	return out
}

// request renders a request step as an HTTP sampler with its extractors
// and assertions.
func (x *exporter) request(ptr string, scIdx int, sc *planspec.Scenario, st *planspec.Step, scope compiler.Scope) *jexpr {
	r := st.Request
	rp := ptr + "/request"
	method := strings.ToUpper(r.Method)
	if method == "" {
		method = "GET"
	}
	hasBody := r.Body != nil || r.JSON != nil || r.Form != nil
	queryAsParams := method == "GET" && !hasBody

	// the URL, joined to the target as the engine does
	u := x.jm(r.URL, scope, rp+"/url")
	if !queryAsParams && len(r.Query) > 0 {
		sep := "?"
		if strings.Contains(r.URL, "?") {
			sep = "&"
		}
		u += sep + x.urlEncoded(r.Query, scope, rp+"/query")
	}
	urlExpr := JavaString(u)
	if !compiler.IsAbsolute(r.URL) {
		urlExpr = "TARGET + " + JavaString(compiler.JoinTarget("", u))
	}
	s := call("httpSampler", jlit(st.Name), urlExpr)
	if method != "GET" {
		s.then("method", JavaString(method))
	}
	// the engine sends requests as they are: no redirect following
	s.then("followRedirects", "false")
	if x.p.HTTP.Keepalive != nil && !*x.p.HTTP.Keepalive {
		s.then("useKeepAlive", "false")
	}
	if r.Timeout != nil {
		x.subMillis(rp+"/timeout", r.Timeout.D())
		d := javaDuration(r.Timeout.D())
		s.then("connectionTimeout", d).then("responseTimeout", d)
	}
	nonASCII := !isASCII(r.URL)
	hasCT := hasHeader(r.Headers, "Content-Type")
	switch {
	case r.Body != nil:
		s.then("body", JavaString(x.jm(*r.Body, scope, rp+"/body")))
		nonASCII = nonASCII || !isASCII(*r.Body)
	case r.JSON != nil:
		body, err := compiler.JSONBody(r.JSON, scope)
		if err != nil {
			x.fail(rp+"/json", err)
		}
		if !hasCT {
			s.then("header", `"Content-Type"`, `"application/json"`)
		}
		s.then("body", JavaString(body))
		nonASCII = nonASCII || !isASCII(body)
	case r.Form != nil && method == "POST":
		// JMeter sends POST parameters url-encoded, with the form content type
		for _, k := range compiler.SortedKeys(r.Form) {
			v := r.Form[k]
			s.then("param", jlit(k), JavaString(x.jm(v, scope, ptrKey(rp+"/form", k))))
			nonASCII = nonASCII || !isASCII(k) || !isASCII(v)
		}
	case r.Form != nil:
		if !hasCT {
			s.then("header", `"Content-Type"`, `"application/x-www-form-urlencoded"`)
		}
		s.then("body", JavaString(x.urlEncoded(r.Form, scope, rp+"/form")))
	}
	for _, k := range compiler.SortedKeys(r.Headers) {
		s.then("header", JavaString(k), JavaString(x.jm(r.Headers[k], scope, ptrKey(rp+"/headers", k))))
	}
	if queryAsParams {
		for _, k := range compiler.SortedKeys(r.Query) {
			v := r.Query[k]
			s.then("param", jlit(k), JavaString(x.jm(v, scope, ptrKey(rp+"/query", k))))
			nonASCII = nonASCII || !isASCII(k) || !isASCII(v)
		}
	}
	if nonASCII {
		s.then("encoding", "StandardCharsets.UTF_8")
	}

	s.add(x.extractors(ptr, st)...)
	s.add(x.checks(ptr, st)...)
	if st.OnFailure == "stop_iteration" {
		s.add(call("Loadgen.stopIterationOnFailure"))
		if last := &sc.Steps[len(sc.Steps)-1]; !planspec.IsArrivalRate(sc.Executor) && !zeroThink(compiler.ThinkTime(sc, last)) {
			x.warn(ptr+"/on_failure", "when this step fails JMeter starts the next iteration at once, where loadgen first pauses for the think time after the last step")
		}
	}
	return s
}

// urlEncoded renders key=value pairs (sorted) as a url-encoded JMeter
// string: literal text encoded now, references through ${__urlencode()}.
func (x *exporter) urlEncoded(m map[string]string, sc compiler.Scope, where string) string {
	var parts []string
	for _, k := range compiler.SortedKeys(m) {
		parts = append(parts, x.urlEncodedTemplate(url.QueryEscape(k), m[k], sc, ptrKey(where, k)))
	}
	return strings.Join(parts, "&")
}

func (x *exporter) urlEncodedTemplate(key, src string, sc compiler.Scope, where string) string {
	t, err := planspec.ParseTemplate(src, x.p.IsFeeder)
	if err != nil {
		x.fail(where, err)
		return ""
	}
	var b strings.Builder
	b.WriteString(key + "=")
	for _, p := range t.Parts {
		if p.Kind == planspec.PartLiteral {
			// QueryEscape leaves neither "$", "{" nor "\": safe as it is
			b.WriteString(url.QueryEscape(p.Lit))
			continue
		}
		one := &planspec.Template{Parts: []planspec.Part{p}}
		b.WriteString("${__urlencode(" + compiler.RenderTemplate(one, sc) + ")}")
	}
	return b.String()
}

// extractors renders a step's extract: block, sorted by variable.
func (x *exporter) extractors(ptr string, st *planspec.Step) []*jexpr {
	var out []*jexpr
	for _, name := range compiler.SortedKeys(st.Extract) {
		ex := st.Extract[name]
		ep := ptrKey(ptr+"/extract", name)
		switch {
		case ex.JSON != "":
			// our JSONPath subset is Jayway JSONPath; [*] yields the first match
			out = append(out, call("jsonExtractor", jlit(name), jlit(ex.JSON)).
				then("queryLanguage", "DslJsonExtractor.JsonQueryLanguage.JSON_PATH").
				then("matchNumber", "1"))
		case ex.Regex != "":
			group := ex.Group
			if re, err := regexp.Compile(ex.Regex); err == nil && group == 0 && re.NumSubexp() > 0 {
				group = 1 // as the engine: group 0 means the first group when there is one
			}
			if why := oroIncompatible(ex.Regex); why != "" {
				x.warn(ep+"/regex", "JMeter's regular expressions (Perl 5, Jakarta ORO) %s; the extraction may differ", why)
			}
			out = append(out, call("regexExtractor", jlit(name), jlit(ex.Regex)).
				then("template", JavaString(fmt.Sprintf("$%d$", group))).
				then("matchNumber", "1"))
		case ex.Header != "":
			out = append(out, call("regexExtractor", jlit(name), JavaString(headerRegex(ex.Header))).
				then("fieldToCheck", "DslRegexExtractor.TargetField.RESPONSE_HEADERS").
				then("template", `"$1$"`).
				then("matchNumber", "1"))
		}
	}
	return out
}

// headerRegex matches the first value of a response header, the name
// case-insensitive, in JMeter's response headers text (one "Name: value"
// per line after the status line). It avoids inline flags so that it means
// the same to JMeter's ORO and java.util.regex engines.
func headerRegex(name string) string {
	var b strings.Builder
	b.WriteString(`\n`)
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			lo, up := strings.ToLower(string(r)), strings.ToUpper(string(r))
			b.WriteString("[" + up + lo + "]")
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteString(`\` + string(r))
		}
	}
	b.WriteString(`:[ \t]*([^\r\n]*)`)
	return b.String()
}

// oroIncompatible names RE2 syntax that Perl 5 regular expressions lack.
func oroIncompatible(re string) string {
	for _, c := range []struct{ syntax, why string }{
		{`(?P<`, "have no named groups (?P<name>...)"},
		{`\p{`, `have no Unicode classes \p{...}`},
		{`\P{`, `have no Unicode classes \P{...}`},
		{`[[:`, "have no POSIX classes [[:name:]]"},
		{`\z`, `have no \z`},
		{`(?U)`, "have no (?U) flag"},
		{`(?s`, "read (?s) differently"},
	} {
		if strings.Contains(re, c.syntax) {
			return c.why
		}
	}
	return ""
}

// assertion is a rendered check assertion and what it tests.
type assertion struct {
	e *jexpr
	// positiveCode: a Response Assertion that the response code equals one
	// of a list; it fails on any response without a numeric code (no HTTP
	// response), so it can clear JMeter's status-based failure itself.
	positiveCode bool
}

// checks renders a step's checks as assertions, in order. A step with
// checks succeeds exactly when they hold, whatever its status, so the
// first assertion clears JMeter's status-based verdict (Response Assertion
// "ignore status"); a transport error (no HTTP response) still fails.
func (x *exporter) checks(ptr string, st *planspec.Step) []*jexpr {
	var out []assertion
	var pending []string
	flush := func() {
		if len(pending) == 0 {
			return
		}
		script, err := groovy.Script(pending)
		if err != nil {
			x.fail(ptr+"/check", err)
			return
		}
		pending = nil
		out = append(out, assertion{e: x.script(script)})
	}
	for i, src := range st.Check {
		cp := ptrIndex(ptr+"/check", i)
		as := compiler.MapCheck(src)
		native := true
		for _, a := range as {
			native = native && a.Kind != compiler.Script
		}
		if native {
			flush()
			for _, a := range as {
				out = append(out, x.nativeAssertion(a, src))
			}
			continue
		}
		if _, err := groovy.Translate(src); err != nil {
			x.warn(cp, "check not exported: %v", err)
			continue
		}
		pending = append(pending, src)
	}
	flush()
	if len(out) == 0 {
		return nil
	}
	if out[0].positiveCode {
		out[0].e.then("ignoreStatus")
	} else {
		out = append([]assertion{{e: call("Loadgen.check", JavaString("no HTTP response")).
			then("fieldToTest", "DslResponseAssertion.TargetField.RESPONSE_CODE").
			then("ignoreStatus").
			then("matchesRegexes", `"[0-9]+"`)}}, out...)
	}
	res := make([]*jexpr, len(out))
	for i, a := range out {
		res[i] = a.e
	}
	return res
}

// nativeAssertion renders a Response Assertion (or, for a duration limit,
// a small Groovy assertion) whose failure message is the check's source.
func (x *exporter) nativeAssertion(a compiler.Assertion, src string) assertion {
	switch a.Kind {
	case compiler.CodeEquals:
		e := call("Loadgen.check", jlit(src)).then("fieldToTest", "DslResponseAssertion.TargetField.RESPONSE_CODE")
		vals := make([]string, len(a.Values))
		for i, v := range a.Values {
			vals[i] = jlit(v)
		}
		e.then("equalsToStrings", vals...)
		if len(a.Values) > 1 {
			e.then("anyMatch")
		}
		if a.Negate {
			e.then("invertCheck")
		}
		return assertion{e: e, positiveCode: !a.Negate}
	case compiler.BodyContains:
		e := call("Loadgen.check", jlit(src)).then("fieldToTest", "DslResponseAssertion.TargetField.RESPONSE_BODY").
			then("containsSubstrings", jlit(a.Values[0]))
		if a.Negate {
			e.then("invertCheck")
		}
		return assertion{e: e}
	case compiler.MaxDuration:
		script := fmt.Sprintf("// JSR223 Assertion (Groovy) generated by loadgen: %s\nif (prev.getTime() > %dL) {\n    AssertionResult.setFailure(true)\n    AssertionResult.setFailureMessage(%s)\n}\n",
			groovyComment(src), a.MaxMS, GroovyString(src))
		return assertion{e: x.script(script)}
	}
	panic("dslexport: not a native assertion")
}

// script adds a Groovy script to the project (once: checks that read the
// same give the same script) and returns the JSR223 assertion that runs it.
func (x *exporter) script(script string) *jexpr {
	script = noJMeterRefs(script)
	id, ok := x.scriptIDs[script]
	if !ok {
		id = len(x.scripts)
		x.scriptIDs[script] = id
		x.scripts = append(x.scripts, script)
	}
	return call("Loadgen.checks", strconv.Itoa(id))
}

// groovyComment makes text safe in a Groovy // comment.
func groovyComment(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 || r == 0x85 {
			return ' '
		}
		return r
	}, s)
}

// scenarioFeeders returns the feeders a scenario's templates read, sorted.
func (x *exporter) scenarioFeeders(sc *planspec.Scenario) []*feederFile {
	used := map[string]bool{}
	var walk func(steps []planspec.Step)
	see := func(src string) {
		t, err := planspec.ParseTemplate(src, x.p.IsFeeder)
		if err != nil {
			return // reported when rendered
		}
		for _, p := range t.Parts {
			if p.Kind == planspec.PartFeeder {
				used[p.Name] = true
			}
		}
	}
	var seeJSON func(v any)
	seeJSON = func(v any) {
		switch t := v.(type) {
		case string:
			see(t)
		case map[string]any:
			for _, e := range t {
				seeJSON(e)
			}
		case []any:
			for _, e := range t {
				seeJSON(e)
			}
		}
	}
	walk = func(steps []planspec.Step) {
		for i := range steps {
			st := &steps[i]
			walk(st.Steps)
			r := st.Request
			if r == nil {
				continue
			}
			see(r.URL)
			for _, m := range []map[string]string{r.Headers, r.Query, r.Form} {
				for _, v := range m {
					see(v)
				}
			}
			if r.Body != nil {
				see(*r.Body)
			}
			seeJSON(r.JSON)
		}
	}
	walk(sc.Steps)
	for _, v := range x.p.HTTP.Headers {
		see(v)
	}
	var out []*feederFile
	for _, name := range compiler.SortedKeys(used) {
		if f := x.feeders[name]; f != nil {
			out = append(out, f)
		}
	}
	return out
}

// csvDataSet renders a feeder as a CSV Data Set reading the copy of its
// file on the test classpath.
func (x *exporter) csvDataSet(f *feederFile) *jexpr {
	fd := x.p.Data[f.name]
	vars := make([]string, len(f.columns))
	for i, c := range f.columns {
		vars[i] = JavaString(compiler.FeederVar(f.name, c))
	}
	e := call("csvDataSet", "testResource("+JavaString(f.resource)+")").
		then("variableNames", vars...).
		then("ignoreFirstLine").
		then("encoding", "StandardCharsets.UTF_8")
	if fd.Share == "vu" {
		e.then("sharedIn", "DslCsvDataSet.Sharing.THREAD")
	} else {
		e.then("sharedIn", "DslCsvDataSet.Sharing.ALL_THREADS")
	}
	if fd.Order == "random" {
		e.then("randomOrder")
		x.warn(ptrKey("/data", f.name)+"/order", "JMeter's random CSV order (Random CSV Data Set plugin) deals the rows in a random order without repeating one before all were used; loadgen draws each row independently")
	}
	return e
}

func zeroThink(t *planspec.ThinkTime) bool {
	return t == nil || t.Min.D() <= 0 && t.Max.D() <= 0
}

func hasHeader(h map[string]string, name string) bool {
	for k := range h {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
