// Package jmxexport renders a plan as a JMeter 5.6.3 test plan (.jmx).
//
// The mapping is the one of compiler/README.md: a thread group per scenario
// (arrival-rate scenarios become OpenModelThreadGroups: JMeter's own open
// model, whose arrivals do not wait for responses, as ours do not), an HTTP
// Request per step, Transaction Controllers for groups, CSV Data Sets for
// feeders, JSON and regular-expression extractors, Response, Duration and
// JSR223 (Groovy) assertions for checks, and Flow Control Actions with
// timers for think time. Whatever JMeter cannot express is returned as a
// warning and listed in a comment at the top of the file.
package jmxexport

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/loadgen/loadgen/compiler"
	"github.com/loadgen/loadgen/compiler/groovy"
	"github.com/loadgen/loadgen/compiler/jmx"
	"github.com/loadgen/loadgen/planspec"
)

// Options tune the export.
type Options struct {
	// CSVPath maps a feeder's file (as written in the plan, relative to
	// the plan's directory) to the path the .jmx should reference: JMeter
	// resolves relative paths against the .jmx's directory. nil keeps the
	// plan's path.
	CSVPath func(file string) string
}

// CompileChecksComment marks the setUp thread group that compiles the
// plan's Groovy checks before the load starts (an import skips it).
const CompileChecksComment = "loadgen: compiles the Groovy checks before the load starts"

// CheckComment prefixes the TestElement.comments of a JSR223 assertion
// exported from checks; the rest of the comment is the check expressions,
// one per line, so that an import can restore them.
const CheckComment = "loadgen check: "

type exporter struct {
	p    *planspec.Plan
	opts Options
	w    compiler.Warnings
	// groovy is set when a JSR223 assertion was written.
	groovy bool
}

// Export renders p. The document encodes with jmx.Encode.
func Export(p *planspec.Plan, opts Options) (*jmx.Document, []compiler.Warning, error) {
	x := &exporter{p: p, opts: opts}
	plan, err := x.testPlan()
	if err != nil {
		return nil, nil, err
	}
	doc := &jmx.Document{Version: "1.2", Properties: "5.0", JMeter: "5.6.3", Elements: []*jmx.Element{plan}}
	doc.Comment = Comment(p, x.w.List)
	return doc, x.w.List, nil
}

// Comment is the comment written at the top of an exported .jmx: where it
// came from, how to run it, and every warning.
func Comment(p *planspec.Plan, warnings []compiler.Warning) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n  Exported from the loadgen plan %q by `loadgen export jmx`.\n", p.Name)
	fmt.Fprintf(&b, "  Run: jmeter -n -t FILE.jmx -l results.jtl -J%s=%s\n", compiler.TargetProperty, or(compiler.TargetDefault(p), "http://host:port"))
	if len(warnings) == 0 {
		b.WriteString("  Everything in the plan is expressed in this test plan.\n")
	} else {
		b.WriteString("  Not expressed exactly in JMeter:\n")
		for _, w := range warnings {
			b.WriteString("  - " + w.String() + "\n")
		}
	}
	return b.String()
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func elem(tag, gui, name string, props ...*jmx.Prop) *jmx.Element {
	return &jmx.Element{Tag: tag, GUIClass: gui, TestClass: tag, TestName: name, Props: props}
}

func (x *exporter) scope(threadGroup string) compiler.Scope {
	return compiler.Scope{ThreadGroup: threadGroup, IsFeeder: x.p.IsFeeder}
}

// str renders a plan template as a JMeter string.
func (x *exporter) str(src, threadGroup string) (string, error) {
	return compiler.JMeterString(src, x.scope(threadGroup))
}

func (x *exporter) testPlan() (*jmx.Element, error) {
	var args []*jmx.Prop
	vars := compiler.VarTemplates(x.p)
	for _, k := range compiler.SortedKeys(vars) {
		args = append(args, argument(k, compiler.RenderTemplate(vars[k], x.scope(""))))
	}
	plan := elem("TestPlan", "TestPlanGui", x.p.Name,
		udv("TestPlan.user_defined_variables", args),
		jmx.Bool("TestPlan.functional_mode", false),
		jmx.Bool("TestPlan.tearDown_on_shutdown", true),
		jmx.Bool("TestPlan.serialize_threadgroups", false))
	if len(x.p.HTTP.Headers) > 0 {
		hm, err := x.headerManager(x.p.HTTP.Headers, "")
		if err != nil {
			return nil, fmt.Errorf("http.headers: %w", err)
		}
		plan.Add(hm)
	}
	if x.p.HTTP.Cookies == nil || *x.p.HTTP.Cookies {
		plan.Add(elem("CookieManager", "CookiePanel", "HTTP Cookie Manager",
			jmx.Collection("CookieManager.cookies"),
			jmx.Bool("CookieManager.clearEachIteration", false),
			jmx.Bool("CookieManager.controlledByThreadGroup", false)))
	}
	for _, name := range compiler.SortedKeys(x.p.Data) {
		plan.Add(x.csvDataSet(name, x.p.Data[name]))
	}
	if x.p.HTTP.HTTP2 {
		x.w.Add("/http/http2", "JMeter's HTTP sampler speaks HTTP/1.1 only; requests use HTTP/1.1")
	}
	for i := range x.p.Scenarios {
		groups, err := x.scenario(i)
		if err != nil {
			return nil, err
		}
		plan.Add(groups...)
	}
	if x.groovy {
		plan.Add(compileChecks())
	}
	if len(x.p.Thresholds) > 0 {
		x.w.Add("/thresholds", "JMeter has no thresholds: check them on JMeter's JTL with `loadgen analyze results.jtl --plan PLAN.yaml`")
	}
	return plan, nil
}

func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func argument(name, value string) *jmx.Prop {
	return jmx.ElemProp(name, "Argument",
		jmx.Str("Argument.name", name), jmx.Str("Argument.value", value), jmx.Str("Argument.metadata", "="))
}

func udv(name string, args []*jmx.Prop) *jmx.Prop {
	p := jmx.ElemProp(name, "Arguments", jmx.Collection("Arguments.arguments", args...))
	p.Attrs = []jmx.Attr{{Name: "guiclass", Value: "ArgumentsPanel"}, {Name: "testclass", Value: "Arguments"}, {Name: "testname", Value: "User Defined Variables"}}
	return p
}

func (x *exporter) headerManager(h map[string]string, threadGroup string) (*jmx.Element, error) {
	var items []*jmx.Prop
	for _, k := range compiler.SortedKeys(h) {
		v, err := x.str(h[k], threadGroup)
		if err != nil {
			return nil, fmt.Errorf("header %s: %w", k, err)
		}
		items = append(items, jmx.ElemProp("", "Header", jmx.Str("Header.name", k), jmx.Str("Header.value", v)))
	}
	return elem("HeaderManager", "HeaderPanel", "HTTP Header Manager", jmx.Collection("HeaderManager.headers", items...)), nil
}

func (x *exporter) csvDataSet(name string, f planspec.Feeder) *jmx.Element {
	ptr := "/data/" + pointerEscape(name)
	file := f.File
	if x.opts.CSVPath != nil {
		file = x.opts.CSVPath(file)
	}
	var vars []string
	if d := x.p.Feeders[name]; d != nil {
		for _, c := range d.Columns {
			vars = append(vars, compiler.FeederVar(name, c))
		}
	} else {
		x.w.Add(ptr, "the CSV file was not read, so its columns are not listed; JMeter reads the header line as variable names (without the %q prefix)", name+".")
	}
	share := "shareMode.all"
	if f.Share == "vu" {
		share = "shareMode.thread"
	}
	if f.Order == "random" {
		x.w.Add(ptr+"/order", "JMeter's CSV Data Set reads rows in order; order: random becomes sequential")
	}
	e := &jmx.Element{Tag: "CSVDataSet", GUIClass: "TestBeanGUI", TestClass: "CSVDataSet", TestName: "data: " + name}
	ignoreFirst := len(vars) > 0
	return e.SetProp(
		jmx.Str("filename", compiler.JMeterLiteral(file)),
		jmx.Str("fileEncoding", "UTF-8"),
		jmx.Str("variableNames", strings.Join(vars, ",")),
		jmx.Bool("ignoreFirstLine", ignoreFirst),
		jmx.Str("delimiter", ","),
		jmx.Bool("quotedData", true),
		jmx.Bool("recycle", true),
		jmx.Bool("stopThread", false),
		jmx.Str("shareMode", share))
}

// seconds converts a duration to the whole seconds JMeter thread groups
// take, warning when it is not whole.
func (x *exporter) seconds(d time.Duration, ptr string) int {
	s := int(math.Ceil(d.Seconds()))
	if time.Duration(s)*time.Second != d {
		x.w.Add(ptr, "JMeter takes whole seconds here: %s becomes %ds", d, s)
	}
	return s
}

func loopController(loops int) *jmx.Prop {
	p := jmx.ElemProp("ThreadGroup.main_controller", "LoopController",
		jmx.Bool("LoopController.continue_forever", false), jmx.Int("LoopController.loops", loops))
	p.Attrs = []jmx.Attr{{Name: "guiclass", Value: "LoopControlPanel"}, {Name: "testclass", Value: "LoopController"}, {Name: "testname", Value: "Loop Controller"}}
	return p
}

// threadGroup builds a core ThreadGroup. duration 0 means no scheduler.
func threadGroup(name string, threads, rampS, loops, durationS, delayS int) *jmx.Element {
	tg := elem("ThreadGroup", "ThreadGroupGui", name,
		jmx.Int("ThreadGroup.num_threads", threads),
		jmx.Int("ThreadGroup.ramp_time", rampS),
		loopController(loops),
		jmx.Bool("ThreadGroup.same_user_on_next_iteration", true),
		jmx.Str("ThreadGroup.on_sample_error", "continue"))
	if durationS > 0 {
		tg.SetProp(jmx.Bool("ThreadGroup.scheduler", true),
			jmx.Long("ThreadGroup.duration", int64(durationS)),
			jmx.Long("ThreadGroup.delay", int64(delayS)))
	} else if delayS > 0 {
		tg.SetProp(jmx.Bool("ThreadGroup.delayedStart", true),
			jmx.Bool("ThreadGroup.scheduler", true),
			jmx.Long("ThreadGroup.delay", int64(delayS)))
	}
	return tg
}

// scenario renders one scenario as one thread group (two for
// shared-iterations whose count does not divide evenly).
func (x *exporter) scenario(i int) ([]*jmx.Element, error) {
	sc := &x.p.Scenarios[i]
	ptr := "/scenarios/" + strconv.Itoa(i)
	delay := x.seconds(sc.StartTime.D(), ptr+"/start_time")
	var groups []*jmx.Element
	switch sc.Executor {
	case planspec.ConstantVUs:
		groups = append(groups, threadGroup(sc.Name, *sc.VUs, 0, -1, x.seconds(sc.Duration.D(), ptr+"/duration"), delay))
	case planspec.PerVUIterations:
		groups = append(groups, threadGroup(sc.Name, *sc.VUs, 0, *sc.Iterations, x.seconds(sc.MaxDuration.D(), ptr+"/max_duration"), delay))
	case planspec.SharedIterations:
		// Every thread of a JMeter thread group loops the same number of
		// times, so the total is split exactly over two groups: r threads
		// run q+1 iterations, the others q.
		vus, n := *sc.VUs, *sc.Iterations
		q, r := n/vus, n%vus
		maxS := x.seconds(sc.MaxDuration.D(), ptr+"/max_duration")
		if r > 0 {
			groups = append(groups, threadGroup(sc.Name, r, 0, q+1, maxS, delay))
		}
		if q > 0 {
			name := sc.Name
			if r > 0 {
				name += " (2)"
			}
			groups = append(groups, threadGroup(name, vus-r, 0, q, maxS, delay))
		}
		x.w.Add(ptr+"/executor", "JMeter threads cannot share an iteration count: the %d iterations are split up front over the threads (exact total, but a slow thread does not hand its share to a free one)", n)
	case planspec.RampingVUs:
		groups = append(groups, x.rampingVUs(sc, ptr, delay))
	case planspec.ConstantArrivalRate, planspec.RampingArrivalRate:
		groups = append(groups, x.openModel(sc, ptr))
	default:
		return nil, fmt.Errorf("%s/executor: unknown executor %q", ptr, sc.Executor)
	}
	for _, g := range groups {
		kids, err := x.sequence(sc, ptr+"/steps", sc.Steps, g.TestName, !planspec.IsArrivalRate(sc.Executor))
		if err != nil {
			return nil, err
		}
		g.Add(kids...)
	}
	return groups, nil
}

// openModel renders an arrival-rate scenario as an OpenModelThreadGroup.
func (x *exporter) openModel(sc *planspec.Scenario, ptr string) *jmx.Element {
	unit := sc.TimeUnit.D().Seconds()
	var b strings.Builder
	if sc.StartTime > 0 {
		fmt.Fprintf(&b, "pause(%s) ", ms(sc.StartTime.D()))
	}
	if sc.Executor == planspec.ConstantArrivalRate {
		r := *sc.Rate / unit
		fmt.Fprintf(&b, "rate(%s/s) random_arrivals(%s) rate(%s/s)", num(r), ms(sc.Duration.D()), num(r))
	} else {
		fmt.Fprintf(&b, "rate(%s/s)", num(*sc.StartRate/unit))
		for _, st := range sc.Stages {
			fmt.Fprintf(&b, " random_arrivals(%s) rate(%s/s)", ms(st.Duration.D()), num(st.Target/unit))
		}
	}
	if g := sc.GracefulStop.D(); g > 0 {
		// Arrivals end with the schedule; the pause lets running
		// iterations finish, as graceful_stop does.
		fmt.Fprintf(&b, " pause(%s)", ms(g))
	}
	if sc.Arrivals != "poisson" {
		x.w.Add(ptr+"/arrivals", "JMeter 5.6.3's Open Model Thread Group implements random (Poisson) arrivals only; even arrivals become random_arrivals")
	}
	x.w.Add(ptr+"/max_vus", "JMeter's Open Model Thread Group has no thread cap: max_vus (%d) is not enforced and late arrivals are not dropped", *sc.MaxVUs)
	return elem("OpenModelThreadGroup", "OpenModelThreadGroupGui", sc.Name,
		jmx.ElemProp("ThreadGroup.main_controller", "OpenModelThreadGroupController"),
		jmx.Str("ThreadGroup.on_sample_error", "continue"),
		jmx.Str("OpenModelThreadGroup.schedule", b.String()),
		jmx.Str("OpenModelThreadGroup.random_seed", ""))
}

// ms formats a duration for an open-model schedule, in milliseconds so
// that fractions of a second stay exact.
func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) + " ms" }

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// utgRow is one row of an Ultimate Thread Group: threads started after
// delay, spread over startup, held, then stopped over shutdown (seconds).
type utgRow struct{ threads, delay, startup, hold, shutdown float64 }

// rampingVUs renders ramping-vus as a core ThreadGroup when the stages are
// one ramp from zero (or from the start count with no ramp) then a hold,
// and as a jmeter-plugins Ultimate Thread Group otherwise.
func (x *exporter) rampingVUs(sc *planspec.Scenario, ptr string, delay int) *jmx.Element {
	start := float64(*sc.StartVUs)
	st := sc.Stages
	total := time.Duration(0)
	for _, s := range st {
		total += s.Duration.D()
	}
	// ramp 0(or 1)→N then hold N: JMeter's ramp starts thread k of N at
	// k·ramp/N, so one thread runs from the start, as start_vus: 1 does.
	simple := len(st) >= 1 && len(st) <= 2 && st[0].Target > 0 && (start <= 1 || start == st[0].Target) &&
		(len(st) == 1 || st[1].Target == st[0].Target)
	if simple {
		ramp := 0
		if start != st[0].Target {
			ramp = x.seconds(st[0].Duration.D(), ptr+"/stages/0/duration")
		}
		return threadGroup(sc.Name, int(math.Round(st[0].Target)), ramp, -1, x.seconds(total, ptr+"/stages"), delay)
	}
	rows := utgRows(start, sc.Stages)
	x.w.Add(ptr+"/executor", "ramping-vus stages need the jmeter-plugins Ultimate Thread Group (Custom Thread Groups, jpgc-casutg): install it with the Plugins Manager")
	if sc.StartTime > 0 {
		for i := range rows {
			rows[i].delay += float64(delay)
		}
	}
	var data []*jmx.Prop
	for _, r := range rows {
		var cells []*jmx.Prop
		for _, v := range []float64{r.threads, r.delay, r.startup, r.hold, r.shutdown} {
			s := strconv.Itoa(int(math.Round(v)))
			cells = append(cells, jmx.Str(javaHash(s), s))
		}
		data = append(data, jmx.Collection(javaHash(fmt.Sprint(cells)), cells...))
	}
	for i, s := range sc.Stages {
		if d := s.Duration.D(); d%time.Second != 0 {
			x.w.Add(fmt.Sprintf("%s/stages/%d/duration", ptr, i), "the Ultimate Thread Group takes whole seconds: %s is rounded", d)
		}
	}
	const tag = "kg.apc.jmeter.threads.UltimateThreadGroup"
	return &jmx.Element{Tag: tag, GUIClass: "kg.apc.jmeter.threads.UltimateThreadGroupGui", TestClass: tag, TestName: sc.Name,
		Props: []*jmx.Prop{
			jmx.Collection("ultimatethreadgroupdata", data...),
			loopController(-1),
			jmx.Str("ThreadGroup.on_sample_error", "continue"),
		}}
}

// utgRows decomposes a piecewise-linear VU curve into Ultimate Thread
// Group rows: each rise starts a row; a fall stops the newest threads first
// (as k6 does), splitting a row when only part of it stops. Splitting a
// row keeps its start-up ramp, since two rows starting together over the
// same time start threads at the same total rate as one.
func utgRows(start float64, stages []planspec.Stage) []utgRow {
	type open struct {
		row utgRow
	}
	var stack []open
	var done []utgRow
	if n := math.Round(start); n > 0 {
		stack = append(stack, open{utgRow{threads: n}})
	}
	t, cur := 0.0, math.Round(start)
	for _, s := range stages {
		d := s.Duration.D().Seconds()
		target := math.Round(s.Target)
		switch {
		case target > cur:
			stack = append(stack, open{utgRow{threads: target - cur, delay: t, startup: d}})
		case target < cur:
			drop := cur - target
			at := t
			for drop > 0 && len(stack) > 0 {
				top := &stack[len(stack)-1]
				n := math.Min(top.row.threads, drop)
				r := top.row
				r.threads = n
				r.shutdown = d * n / (cur - target)
				r.hold = at - (r.delay + r.startup)
				done = append(done, r)
				at += r.shutdown
				drop -= n
				if top.row.threads > n {
					top.row.threads -= n
				} else {
					stack = stack[:len(stack)-1]
				}
			}
		}
		t += d
		cur = target
	}
	for _, o := range stack {
		r := o.row
		r.hold = t - (r.delay + r.startup)
		done = append(done, r)
	}
	return done
}

// javaHash is Java's String.hashCode, which JMeter uses to name collection
// members (any unique name loads; this matches what JMeter saves).
func javaHash(s string) string {
	var h int32
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			h = 31*h + int32(0xD800+(r>>10))
			h = 31*h + int32(0xDC00+(r&0x3FF))
			continue
		}
		h = 31*h + int32(r)
	}
	return strconv.Itoa(int(h))
}

// sequence renders steps in order with the think time between them; closed
// models also pause after the last step, as the engine does.
func (x *exporter) sequence(sc *planspec.Scenario, ptr string, steps []planspec.Step, tg string, trailing bool) ([]*jmx.Element, error) {
	var out []*jmx.Element
	for i := range steps {
		st := &steps[i]
		sptr := ptr + "/" + strconv.Itoa(i)
		var e *jmx.Element
		var err error
		if st.IsGroup() {
			e = elem("TransactionController", "TransactionControllerGui", st.Group,
				jmx.Bool("TransactionController.includeTimers", false),
				jmx.Bool("TransactionController.parent", false))
			kids, kerr := x.sequence(sc, sptr+"/steps", st.Steps, tg, false)
			e.Add(kids...)
			err = kerr
		} else {
			e, err = x.sampler(st, sptr, tg)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		if st.OnFailure == "stop_iteration" {
			out = append(out, stopIteration(st.Label()))
		}
		if i < len(steps)-1 || trailing {
			if t := compiler.ThinkTime(sc, st); t != nil && t.Max > 0 {
				out = append(out, think(t))
			}
		}
	}
	return out, nil
}

// think is a Flow Control Action that pauses for the think time: the pause
// comes from its timer child, which applies to it alone.
func think(t *planspec.ThinkTime) *jmx.Element {
	e := elem("TestAction", "TestActionGui", "think time",
		jmx.Int("ActionProcessor.action", 1), // pause
		jmx.Int("ActionProcessor.target", 0), // current thread
		jmx.Str("ActionProcessor.duration", "0"))
	if t.IsFixed() {
		e.Add(elem("ConstantTimer", "ConstantTimerGui", "think",
			jmx.Str("ConstantTimer.delay", strconv.FormatInt(t.Min.D().Milliseconds(), 10))))
	} else {
		e.Add(elem("UniformRandomTimer", "UniformRandomTimerGui", "think",
			jmx.Str("ConstantTimer.delay", strconv.FormatInt(t.Min.D().Milliseconds(), 10)),
			jmx.Str("RandomTimer.range", strconv.FormatInt((t.Max.D()-t.Min.D()).Milliseconds(), 10))))
	}
	return e
}

// stopIteration ends the iteration when the step before it failed
// (on_failure: stop_iteration): an If Controller on the last sample's
// outcome holding a "start next thread loop" Flow Control Action.
func stopIteration(label string) *jmx.Element {
	ifc := elem("IfController", "IfControllerPanel", "stop iteration if "+label+" failed",
		jmx.Str("IfController.condition", `${__jexl3("${JMeterThread.last_sample_ok}" == "false")}`),
		jmx.Bool("IfController.evaluateAll", false),
		jmx.Bool("IfController.useExpression", true))
	return ifc.Add(elem("TestAction", "TestActionGui", "start next iteration",
		jmx.Int("ActionProcessor.action", 3), // start next thread loop
		jmx.Int("ActionProcessor.target", 0),
		jmx.Str("ActionProcessor.duration", "0")))
}

// sampler renders a request step with its headers, extractors and checks.
func (x *exporter) sampler(st *planspec.Step, ptr, tg string) (*jmx.Element, error) {
	r := st.Request
	rptr := ptr + "/request"
	u, err := x.str(r.URL, tg)
	if err != nil {
		return nil, fmt.Errorf("%s/url: %w", rptr, err)
	}
	if !compiler.IsAbsolute(r.URL) {
		u = compiler.JoinTarget(targetRef(x.p), u)
	}
	if len(r.Query) > 0 {
		q, err := x.query(r.Query, tg)
		if err != nil {
			return nil, fmt.Errorf("%s/query: %w", rptr, err)
		}
		sep := "?"
		if strings.Contains(r.URL, "?") {
			sep = "&"
		}
		u += sep + q
	}
	method := strings.ToUpper(r.Method)
	if method == "" {
		method = "GET"
	}
	headers := map[string]string{}
	for k, v := range r.Headers {
		headers[k] = v
	}
	var args []*jmx.Prop
	raw := false
	switch {
	case r.Body != nil:
		body, err := x.str(*r.Body, tg)
		if err != nil {
			return nil, fmt.Errorf("%s/body: %w", rptr, err)
		}
		args, raw = []*jmx.Prop{rawBody(body)}, true
	case r.JSON != nil:
		body, err := compiler.JSONBody(r.JSON, x.scope(tg))
		if err != nil {
			return nil, fmt.Errorf("%s/json: %w", rptr, err)
		}
		args, raw = []*jmx.Prop{rawBody(body)}, true
		setDefault(headers, "Content-Type", "application/json")
	case r.Form != nil:
		for _, k := range compiler.SortedKeys(r.Form) {
			v, err := x.str(r.Form[k], tg)
			if err != nil {
				return nil, fmt.Errorf("%s/form/%s: %w", rptr, k, err)
			}
			args = append(args, jmx.ElemProp(k, "HTTPArgument",
				jmx.Bool("HTTPArgument.always_encode", true),
				jmx.Str("Argument.name", compiler.JMeterLiteral(k)),
				jmx.Str("Argument.value", v),
				jmx.Str("Argument.metadata", "="),
				jmx.Bool("HTTPArgument.use_equals", true)))
		}
		setDefault(headers, "Content-Type", "application/x-www-form-urlencoded")
	}
	timeout := x.p.HTTP.Timeout.D()
	if r.Timeout != nil {
		timeout = r.Timeout.D()
	}
	keepalive := x.p.HTTP.Keepalive == nil || *x.p.HTTP.Keepalive
	s := elem("HTTPSamplerProxy", "HttpTestSampleGui", st.Name,
		jmx.Bool("HTTPSampler.postBodyRaw", raw),
		jmx.ElemProp("HTTPsampler.Arguments", "Arguments", jmx.Collection("Arguments.arguments", args...)),
		jmx.Str("HTTPSampler.domain", ""),
		jmx.Str("HTTPSampler.port", ""),
		jmx.Str("HTTPSampler.protocol", ""),
		jmx.Str("HTTPSampler.contentEncoding", "UTF-8"),
		jmx.Str("HTTPSampler.path", u),
		jmx.Str("HTTPSampler.method", method),
		jmx.Bool("HTTPSampler.follow_redirects", false),
		jmx.Bool("HTTPSampler.auto_redirects", false),
		jmx.Bool("HTTPSampler.use_keepalive", keepalive),
		jmx.Bool("HTTPSampler.DO_MULTIPART_POST", false),
		jmx.Str("HTTPSampler.connect_timeout", strconv.FormatInt(timeout.Milliseconds(), 10)),
		jmx.Str("HTTPSampler.response_timeout", strconv.FormatInt(timeout.Milliseconds(), 10)))
	if len(headers) > 0 {
		hm, err := x.headerManager(headers, tg)
		if err != nil {
			return nil, fmt.Errorf("%s/headers: %w", rptr, err)
		}
		s.Add(hm)
	}
	for _, name := range compiler.SortedKeys(st.Extract) {
		s.Add(extractor(name, st.Extract[name]))
	}
	checks, err := x.assertions(st, ptr)
	if err != nil {
		return nil, err
	}
	s.Add(checks...)
	return s, nil
}

// targetRef is the JMeter expression for the target: the target property,
// defaulting to the plan's.
func targetRef(p *planspec.Plan) string {
	return "${__P(" + compiler.TargetProperty + "," + strings.ReplaceAll(strings.ReplaceAll(compiler.TargetDefault(p), `\`, `\\`), ",", `\,`) + ")}"
}

func (x *exporter) query(q map[string]string, tg string) (string, error) {
	var parts []string
	for _, k := range compiler.SortedKeys(q) {
		t, err := planspec.ParseTemplate(q[k], x.p.IsFeeder)
		if err != nil {
			return "", fmt.Errorf("%s: %w", k, err)
		}
		var v string
		if !t.Static() {
			// encoded at run time, as the engine encodes the value
			v = "${__urlencode(" + strings.ReplaceAll(compiler.RenderTemplate(t, x.scope(tg)), ",", `\,`) + ")}"
		} else {
			var lit strings.Builder
			for _, part := range t.Parts {
				lit.WriteString(part.Lit)
			}
			v = compiler.JMeterLiteral(url.QueryEscape(lit.String()))
		}
		parts = append(parts, compiler.JMeterLiteral(url.QueryEscape(k))+"="+v)
	}
	return strings.Join(parts, "&"), nil
}

func setDefault(h map[string]string, name, value string) {
	for k := range h {
		if strings.EqualFold(k, name) {
			return
		}
	}
	h[name] = value
}

func rawBody(body string) *jmx.Prop {
	return jmx.ElemProp("", "HTTPArgument",
		jmx.Bool("HTTPArgument.always_encode", false),
		jmx.Str("Argument.value", body),
		jmx.Str("Argument.metadata", "="))
}

// extractor renders one extract: entry. JSON paths use JMeter's JSONPath
// post-processor (our subset is JSONPath; the first match as ours);
// headers a regular expression over the response headers.
func extractor(name string, ex planspec.Extractor) *jmx.Element {
	switch {
	case ex.JSON != "":
		return elem("JSONPostProcessor", "JSONPostProcessorGui", "extract "+name,
			jmx.Str("JSONPostProcessor.referenceNames", name),
			jmx.Str("JSONPostProcessor.jsonPathExprs", compiler.JMeterLiteral(ex.JSON)),
			jmx.Str("JSONPostProcessor.match_numbers", "1"),
			jmx.Str("JSONPostProcessor.defaultValues", ""))
	case ex.Header != "":
		return regexExtractor(name, "true", `(?im)^`+quoteJavaRegex(ex.Header)+`:[ \t]*([^\r\n]*)`, 1)
	default:
		group := ex.Group
		if re, err := regexp.Compile(ex.Regex); err == nil && group == 0 && re.NumSubexp() > 0 {
			group = 1 // the engine's default: the first group when there is one
		}
		return regexExtractor(name, "false", ex.Regex, group)
	}
}

func regexExtractor(name, useHeaders, re string, group int) *jmx.Element {
	return elem("RegexExtractor", "RegexExtractorGui", "extract "+name,
		jmx.Str("RegexExtractor.useHeaders", useHeaders),
		jmx.Str("RegexExtractor.refname", name),
		jmx.Str("RegexExtractor.regex", compiler.JMeterLiteral(re)),
		jmx.Str("RegexExtractor.template", "$"+strconv.Itoa(group)+"$"),
		jmx.Str("RegexExtractor.default", ""),
		jmx.Bool("RegexExtractor.default_empty_value", true),
		jmx.Str("RegexExtractor.match_number", "1"))
}

func quoteJavaRegex(s string) string { return `\Q` + strings.ReplaceAll(s, `\E`, `\E\\E\Q`) + `\E` }

// assertions renders a step's checks. A step with checks succeeds when
// they all hold, whatever its status (as the engine decides), so the first
// assertion tells JMeter to ignore the status: Response Assertions come
// first, the first with "ignore status"; a JSR223 assertion sets the sample
// successful before checking when no Response Assertion precedes it.
func (x *exporter) assertions(st *planspec.Step, ptr string) ([]*jmx.Element, error) {
	var ras, durs []*jmx.Element
	var scripts []string
	for i, src := range st.Check {
		cptr := ptr + "/check/" + strconv.Itoa(i)
		for _, a := range compiler.MapCheck(src) {
			switch a.Kind {
			case compiler.CodeEquals, compiler.BodyContains:
				ras = append(ras, responseAssertion(a))
			case compiler.MaxDuration:
				durs = append(durs, elem("DurationAssertion", "DurationAssertionGui", "check: "+a.Source,
					jmx.Str("DurationAssertion.duration", strconv.FormatInt(a.MaxMS, 10))))
			default:
				if _, err := groovy.Translate(a.Source); err != nil {
					x.w.Add(cptr, "check %q has no JMeter equivalent (%v); it is not checked by JMeter", a.Source, err)
					continue
				}
				scripts = append(scripts, a.Source)
			}
		}
	}
	if len(st.Check) == 0 {
		return nil, nil
	}
	var out []*jmx.Element
	if len(ras) > 0 {
		ras[0].Prop("Assertion.assume_success").Value = "true"
		out = append(out, ras...)
	}
	if len(scripts) > 0 {
		script, err := groovy.Script(scripts)
		if err != nil {
			return nil, fmt.Errorf("%s/check: %w", ptr, err)
		}
		if len(ras) == 0 {
			script = "prev.setSuccessful(true)\n" + script
		}
		x.groovy = true
		out = append(out, elem("JSR223Assertion", "TestBeanGUI", "checks",
			jmx.Str("scriptLanguage", "groovy"),
			jmx.Str("parameters", ""),
			jmx.Str("filename", ""),
			jmx.Str("cacheKey", "true"),
			jmx.Str("script", compiler.JMeterLiteral(script)),
			jmx.Str("TestElement.comments", CheckComment+strings.Join(scripts, "\n"))))
	}
	if len(out) == 0 && len(durs) > 0 {
		// Only duration checks: a Response Assertion that always holds
		// makes JMeter ignore the status.
		ra := elem("ResponseAssertion", "AssertionGui", "ignore status",
			jmx.Collection("Asserion.test_strings", jmx.Str(javaHash(".*"), ".*")),
			jmx.Str("Assertion.custom_message", ""),
			jmx.Str("Assertion.test_field", "Assertion.response_code"),
			jmx.Bool("Assertion.assume_success", true),
			jmx.Int("Assertion.test_type", compiler.TestMatch))
		out = append(out, ra)
	}
	return append(out, durs...), nil
}

// compileChecksScript finds every JSR223 assertion of the running test
// plan and evaluates it once on an empty sample: JMeter compiles a Groovy
// script on first use and keeps it by content for the whole run, and the
// checks' scripts take seconds to compile on a cold JVM, which would stall
// the first iterations of the load. The sample itself is not recorded.
const compileChecksScript = `import org.apache.jmeter.assertions.JSR223Assertion
import org.apache.jorphan.collections.SearchByClass

// SampleResult is this sampler's result (a binding), not the class.

def engine = ctx.getEngine()
def field = engine.getClass().getDeclaredField('test')
field.setAccessible(true)
def search = new SearchByClass(JSR223Assertion)
field.get(engine).traverse(search)
def empty = new org.apache.jmeter.samplers.SampleResult()
def saved = ctx.getPreviousResult()
ctx.setPreviousResult(empty)
try {
    search.getSearchResults().each { it.getResult(empty) }
} finally {
    ctx.setPreviousResult(saved)
}
SampleResult.setIgnore()
`

// compileChecks is a setUp thread group (it runs before the load's thread
// groups start) that compiles the Groovy checks.
func compileChecks() *jmx.Element {
	tg := elem("SetupThreadGroup", "SetupThreadGroupGui", "compile checks",
		jmx.Int("ThreadGroup.num_threads", 1),
		jmx.Int("ThreadGroup.ramp_time", 0),
		loopController(1),
		jmx.Str("ThreadGroup.on_sample_error", "continue"),
		jmx.Str("TestElement.comments", CompileChecksComment))
	return tg.Add(elem("JSR223Sampler", "TestBeanGUI", "compile checks",
		jmx.Str("scriptLanguage", "groovy"),
		jmx.Str("parameters", ""),
		jmx.Str("filename", ""),
		jmx.Str("cacheKey", "true"),
		jmx.Str("script", compiler.JMeterLiteral(compileChecksScript))))
}

func responseAssertion(a compiler.Assertion) *jmx.Element {
	field := "Assertion.response_code"
	if a.Kind == compiler.BodyContains {
		field = "Assertion.response_data"
	}
	var strs []*jmx.Prop
	for _, v := range a.Values {
		lit := compiler.JMeterLiteral(v)
		strs = append(strs, jmx.Str(javaHash(lit), lit))
	}
	return elem("ResponseAssertion", "AssertionGui", "check: "+a.Source,
		jmx.Collection("Asserion.test_strings", strs...),
		jmx.Str("Assertion.custom_message", compiler.JMeterLiteral(a.Check)),
		jmx.Str("Assertion.test_field", field),
		jmx.Bool("Assertion.assume_success", false),
		jmx.Int("Assertion.test_type", a.TestType()))
}
