package jmximport

import (
	"fmt"
	"strings"
	"time"

	"github.com/loadgen/loadgen/compiler/jmx"
	"github.com/loadgen/loadgen/planspec"
)

// scenario is a thread group being imported.
type scenario struct {
	elem *jmx.Element
	anc  []*jmx.Element
	sc   planspec.Scenario
	// items are the steps, pauses and groups, in order.
	items []*item
	// tgHeaders are the thread-group-level header managers' headers.
	tgHeaders headerMap
	// onError is the thread group's on_sample_error.
	onError string
	// ctt are the Constant Throughput Timers in the group.
	ctt []cttUse
}

// item is one entry of a scenario's flow: a request, a group or a pause.
type item struct {
	req   *reqStep
	group *groupItem
	pause *pause
	// stopPrev ends the iteration when the request before it failed.
	stopPrev bool
}

// groupItem is a Transaction Controller.
type groupItem struct {
	name  string
	elem  *jmx.Element
	anc   []*jmx.Element
	items []*item
	think *planspec.ThinkTime
}

// pause is a think time range; sums of pauses add both bounds.
type pause struct{ min, max time.Duration }

func (p pause) add(q pause) pause { return pause{p.min + q.min, p.max + q.max} }

func (p pause) zero() bool { return p.min == 0 && p.max == 0 }

// reqStep is an HTTP sampler being imported.
type reqStep struct {
	elem *jmx.Element
	anc  []*jmx.Element
	name string
	req  planspec.Request
	// origin is the request's scheme://host[:port] (a template when it
	// could not be resolved); pathq the path and query.
	origin string
	pathq  string
	// targetProp marks an origin read from ${__P(target,...)}.
	targetProp bool
	// tgHeaders and headers are the headers of thread-group-level and of
	// inner header managers.
	tgHeaders, headers headerMap
	checks             []string
	extract            map[string]planspec.Extractor
	onFailure          string
	// pre is the pause JMeter takes before the sampler (its timers).
	pre     pause
	think   *planspec.ThinkTime
	timeout *planspec.Duration
	cookies bool
	follows bool
}

// headerMap is an ordered header set; names compare case-insensitively.
type headerMap struct {
	names  []string
	values map[string]string // lower-case name → value
	spell  map[string]string // lower-case name → name as written
}

func (h *headerMap) set(name, value string) {
	if h.values == nil {
		h.values, h.spell = map[string]string{}, map[string]string{}
	}
	k := strings.ToLower(name)
	if _, ok := h.values[k]; !ok {
		h.names = append(h.names, k)
	}
	h.values[k] = value
	h.spell[k] = name
}

func (h *headerMap) merge(o headerMap) {
	for _, k := range o.names {
		h.set(o.spell[k], o.values[k])
	}
}

func (h *headerMap) get(name string) (string, bool) {
	v, ok := h.values[strings.ToLower(name)]
	return v, ok
}

func (h *headerMap) del(name string) {
	k := strings.ToLower(name)
	if _, ok := h.values[k]; !ok {
		return
	}
	delete(h.values, k)
	delete(h.spell, k)
	for i, n := range h.names {
		if n == k {
			h.names = append(h.names[:i], h.names[i+1:]...)
			break
		}
	}
}

func (h *headerMap) empty() bool { return len(h.names) == 0 }

// toMap returns the headers as a plan map (nil when empty).
func (h *headerMap) toMap() map[string]string {
	if h.empty() {
		return nil
	}
	m := make(map[string]string, len(h.names))
	for _, k := range h.names {
		m[h.spell[k]] = h.values[k]
	}
	return m
}

// level is one scope of the test tree: the test plan, a thread group, a
// controller or a sampler. Config elements, timers, assertions and
// post-processors apply to every sampler in their scope.
type level struct {
	elem     *jmx.Element
	defaults []*jmx.Element
	headers  headerMap
	cookie   bool
	timers   pause
	checks   []checkSet
	extracts []extractSet
	// onError is a Result Status Action Handler's action.
	onError string
	// timeout is a Sample Timeout (ms), 0 when none.
	timeout int64
}

// walker walks one thread group.
type walker struct {
	im *importer
	sc *scenario
}

// threadGroups imports the test plan's thread groups.
func (im *importer) threadGroups() {
	plan := &level{elem: im.testPlan}
	planAnc := []*jmx.Element{}
	var groups []*jmx.Element
	for _, e := range im.testPlan.Children {
		if e.Disabled {
			im.skipped([]*jmx.Element{im.testPlan}, e)
			continue
		}
		if isThreadGroup(e) {
			groups = append(groups, e)
			continue
		}
		im.classify(append(planAnc, im.testPlan), e, plan, nil)
	}
	im.planHeaders = plan.headers
	im.tgCount = len(groups)
	if b, _ := im.testPlan.Bool("TestPlan.serialize_threadgroups"); b && len(groups) > 1 {
		im.warn(nil, im.testPlan, "thread groups run one after another in JMeter (Run Thread Groups consecutively); the plan's scenarios run concurrently")
	}
	for _, tg := range groups {
		im.threadGroup([]*jmx.Element{im.testPlan}, tg, plan)
	}
}

// isThreadGroup reports whether e is a thread group of any kind.
func isThreadGroup(e *jmx.Element) bool {
	c := class(e)
	return strings.HasSuffix(c, "ThreadGroup") || c == "ThreadGroup" || strings.HasSuffix(e.GUIClass, "ThreadGroupGui")
}

// threadGroup imports one thread group as a scenario.
func (im *importer) threadGroup(anc []*jmx.Element, tg *jmx.Element, plan *level) {
	sc := &scenario{elem: tg, anc: anc}
	if !im.executor(anc, tg, sc) {
		return
	}
	im.curTG = tg.TestName
	defer func() { im.curTG = "" }()
	sc.sc.Name = strings.TrimSpace(tg.TestName)
	if sc.sc.Name == "" {
		sc.sc.Name = "Thread Group"
	}
	sc.onError = tg.String("ThreadGroup.on_sample_error")
	switch sc.onError {
	case "", "continue", "startnextloop":
	case "stopthread", "stoptest", "stoptestnow":
		im.warn(anc, tg, "on sample error %q: the plan ends the iteration instead (on_failure: stop_iteration)", sc.onError)
	}
	w := &walker{im: im, sc: sc}
	tgLevel := &level{elem: tg}
	kids := w.classifyAll(append(anc, tg), tg.Children, tgLevel)
	sc.tgHeaders = tgLevel.headers
	chain := []*level{plan, tgLevel}
	sc.items = w.items(append(anc, tg), kids, chain)
	if len(requestsOf(sc.items)) == 0 {
		im.warn(anc, tg, "no HTTP sampler: thread group not imported")
		return
	}
	im.throughput(anc, tg, sc)
	im.scenarios = append(im.scenarios, sc)
}

// classifyAll classifies the elements of a hashTree into lv and returns
// the samplers and controllers, in order.
func (w *walker) classifyAll(anc []*jmx.Element, elems []*jmx.Element, lv *level) []*jmx.Element {
	var flow []*jmx.Element
	for _, e := range elems {
		if e.Disabled {
			w.im.skipped(anc, e)
			continue
		}
		if w.im.classify(anc, e, lv, w.sc) {
			flow = append(flow, e)
		}
	}
	return flow
}

// classify files a non-flow element (config, timer, assertion,
// post-processor, listener...) into lv, reporting what is not supported.
// It returns true for samplers and controllers, which the caller walks.
func (im *importer) classify(anc []*jmx.Element, e *jmx.Element, lv *level, sc *scenario) bool {
	c := class(e)
	switch c {
	case "ConfigTestElement":
		if e.GUIClass == "HttpDefaultsGui" {
			lv.defaults = append(lv.defaults, e)
			return false
		}
		im.unsupported(anc, e, "config element %s is not supported", e.GUIClass)
	case "HeaderManager":
		im.headerManager(anc, e, &lv.headers)
	case "CookieManager":
		lv.cookie = true
		im.cookieManager(anc, e)
	case "CSVDataSet", "Arguments":
		// Imported by the prepass.
	case "CacheManager":
		im.warn(anc, e, "HTTP Cache Manager: the plan has no cache; every request reaches the server")
	case "DNSCacheManager":
		if p := e.Prop("DNSCacheManager.hosts"); p != nil && len(p.Props) > 0 {
			im.unsupported(anc, e, "static host entries of the DNS Cache Manager are not supported")
		} else {
			im.info(anc, e, "DNS Cache Manager ignored (the plan resolves names through the system)")
		}
	case "AuthManager":
		if p := e.Prop("AuthManager.auth_list"); p != nil && len(p.Props) > 0 {
			im.unsupported(anc, e, "HTTP Authorization Manager credentials are not supported (send an Authorization header instead)")
		} else {
			im.info(anc, e, "empty HTTP Authorization Manager ignored")
		}
	case "ConstantTimer", "UniformRandomTimer", "GaussianRandomTimer", "PoissonRandomTimer":
		if p, ok := im.timer(anc, e); ok {
			lv.timers = lv.timers.add(p)
		}
	case "ConstantThroughputTimer":
		if sc == nil {
			im.unsupported(anc, e, "Constant Throughput Timer outside a thread group is not supported")
			return false
		}
		sc.ctt = append(sc.ctt, cttUse{elem: e, anc: anc})
	case "ResponseAssertion", "DurationAssertion", "JSR223Assertion":
		if cs, ok := im.assertion(anc, e); ok {
			lv.checks = append(lv.checks, cs)
		}
	case "JSONPostProcessor", "RegexExtractor", "BoundaryExtractor", "JMESPathExtractor",
		"com.atlantbh.jmeter.plugins.jsonutils.jsonpathextractor.JSONPathExtractor":
		if ex, ok := im.extractor(anc, e); ok {
			lv.extracts = append(lv.extracts, ex)
		}
	case "ResultAction":
		switch n, _ := e.Int("OnError.action"); n {
		case 0:
		case 4:
			lv.onError = "startnextloop"
		default:
			im.warn(anc, e, "Result Status Action Handler action %d: the plan ends the iteration instead (on_failure: stop_iteration)", n)
			lv.onError = "startnextloop"
		}
	case "SampleTimeout":
		if ms, ok := im.intProp(anc, e, "InterruptTimer.timeout"); ok && ms > 0 {
			lv.timeout = ms
		}
	case "DebugPostProcessor":
		im.info(anc, e, "Debug PostProcessor ignored")
	case "ResultCollector", "BackendListener", "Summariser", "ResultSaver", "JSR223Listener", "BeanShellListener",
		"MailerResultCollector", "ProxyControl", "HttpMirrorControl", "PropertyControl":
		im.info(anc, e, "%s ignored (listeners and tools do not change the load)", elemLabel(e))
	case "TestFragmentController":
		im.info(anc, e, "Test Fragment ignored: JMeter runs it only through a Module or Include Controller")
	default:
		switch {
		case isThreadGroup(e):
			im.unsupported(anc, e, "thread group nested in another element")
		case isListener(e):
			im.info(anc, e, "%s ignored (listeners do not change the load)", elemLabel(e))
		case isFlow(e):
			return true
		case strings.HasSuffix(c, "Timer") || strings.HasSuffix(e.GUIClass, "TimerGui"):
			im.unsupported(anc, e, "timer %s is not supported", c)
		case strings.Contains(c, "Assertion"):
			im.unsupported(anc, e, "assertion %s is not supported", c)
		case strings.Contains(c, "PreProcessor") || strings.Contains(e.GUIClass, "PreProcessor") || c == "UserParameters" ||
			c == "RegExUserParameters" || c == "AnchorModifier" || c == "URLRewritingModifier":
			im.unsupported(anc, e, "pre-processor %s is not supported", c)
		case strings.Contains(c, "PostProcessor") || strings.Contains(c, "Extractor"):
			im.unsupported(anc, e, "post-processor %s is not supported", c)
		default:
			im.unsupported(anc, e, "element %s is not supported", c)
		}
	}
	return false
}

// isListener reports whether e is a listener or visualizer.
func isListener(e *jmx.Element) bool {
	c := class(e)
	return strings.HasSuffix(c, "ResultCollector") || strings.HasSuffix(e.GUIClass, "Visualizer") ||
		strings.HasSuffix(c, "Listener") || strings.HasSuffix(e.GUIClass, "ListenerGui")
}

// isFlow reports whether e runs in the flow: a sampler or a controller.
func isFlow(e *jmx.Element) bool {
	c := class(e)
	switch c {
	case "HTTPSamplerProxy", "HTTPSampler", "HTTPSampler2", "TestAction":
		return true
	}
	return strings.Contains(c, "Sampler") || strings.Contains(e.GUIClass, "Sampler") ||
		strings.Contains(c, "Controller") || strings.Contains(c, "Control") || c == "RunTime" ||
		strings.Contains(e.GUIClass, "Controller") || strings.Contains(e.GUIClass, "Control")
}

// isHTTPSampler reports whether e is an HTTP Request.
func isHTTPSampler(e *jmx.Element) bool {
	switch class(e) {
	case "HTTPSamplerProxy", "HTTPSampler", "HTTPSampler2":
		return true
	}
	return false
}

// items walks the flow elements of a hashTree.
func (w *walker) items(anc []*jmx.Element, flow []*jmx.Element, chain []*level) []*item {
	var out []*item
	for _, e := range flow {
		for _, it := range w.flowElem(anc, e, chain) {
			if !it.stopPrev {
				out = append(out, it)
				continue
			}
			if reqs := requestsOf(out); len(reqs) > 0 {
				reqs[len(reqs)-1].onFailure = "stop_iteration"
			} else {
				w.im.unsupported(anc, e, "\"start next iteration if the last sample failed\" with no sampler before it")
			}
		}
	}
	return out
}

// isStopOnFailure recognises an If Controller on the last sample's
// failure holding only a Flow Control Action "start next thread loop" (the
// exporter's on_failure: stop_iteration, and a common JMeter idiom).
func isStopOnFailure(e *jmx.Element) bool {
	if !strings.Contains(e.String("IfController.condition"), "JMeterThread.last_sample_ok") {
		return false
	}
	var kids []*jmx.Element
	for _, k := range e.Children {
		if !k.Disabled {
			kids = append(kids, k)
		}
	}
	if len(kids) != 1 || class(kids[0]) != "TestAction" {
		return false
	}
	a, _ := kids[0].Int("ActionProcessor.action")
	cond := e.String("IfController.condition")
	return a == 3 && strings.Contains(cond, "false") && !strings.Contains(cond, "true")
}

// flowElem imports a sampler or a controller.
func (w *walker) flowElem(anc []*jmx.Element, e *jmx.Element, chain []*level) []*item {
	im := w.im
	c := class(e)
	inner := func() ([]*jmx.Element, []*level, []*jmx.Element) {
		lv := &level{elem: e}
		kidAnc := append(anc[:len(anc):len(anc)], e)
		kids := w.classifyAll(kidAnc, e.Children, lv)
		return kidAnc, append(chain[:len(chain):len(chain)], lv), kids
	}
	switch {
	case isHTTPSampler(e):
		kidAnc, ch, kids := inner()
		for _, k := range kids {
			im.unsupported(kidAnc, k, "%s inside a sampler is not run by JMeter", elemLabel(k))
		}
		if r := w.request(anc, e, ch); r != nil {
			return []*item{{req: r}}
		}
		return nil
	case c == "TestAction":
		return w.testAction(anc, e, chain)
	case c == "TransactionController":
		kidAnc, ch, kids := inner()
		if b, _ := e.Bool("TransactionController.includeTimers"); b {
			im.warn(anc, e, "includeTimers: the plan's transaction row counts the children's time only, not timers")
		}
		if b, _ := e.Bool("TransactionController.parent"); b {
			im.warn(anc, e, "generate parent sample: the plan writes the children's rows and then the transaction row (JMeter's default mode)")
		}
		g := &groupItem{name: strings.TrimSpace(e.TestName), elem: e, anc: anc, items: w.items(kidAnc, kids, ch)}
		if g.name == "" {
			g.name = "Transaction Controller"
		}
		if len(requestsOf(g.items)) == 0 {
			if len(g.items) > 0 {
				// Keep the pauses in the flow.
				return g.items
			}
			return nil
		}
		return []*item{{group: g}}
	case c == "GenericController" || c == "RecordingController":
		kidAnc, ch, kids := inner()
		return w.items(kidAnc, kids, ch)
	case c == "LoopController":
		kidAnc, ch, kids := inner()
		body := w.items(kidAnc, kids, ch)
		forever, _ := e.Bool("LoopController.continue_forever")
		n, ok := im.intProp(anc, e, "LoopController.loops")
		switch {
		case ok && n == 1:
			return body
		case ok && n >= 2 && n <= 10 && !forever:
			im.warn(anc, e, "Loop Controller runs its children %d times: imported as %d copies, labels of the copies suffixed #2 to #%d", n, n, n)
			out := body
			for k := 2; k <= int(n); k++ {
				out = append(out, copyItems(body, fmt.Sprintf(" #%d", k))...)
			}
			return out
		case ok && n <= 0:
			im.warn(anc, e, "Loop Controller with loops=%d (infinite or none): its children are imported once", n)
			return body
		default:
			im.warn(anc, e, "Loop Controller with %q loops: its children are imported once", e.String("LoopController.loops"))
			return body
		}
	case c == "IfController" && isStopOnFailure(e):
		return []*item{{stopPrev: true}}
	case c == "ModuleController" || c == "IncludeController":
		im.unsupported(anc, e, "%s is not supported (it runs elements from elsewhere)", c)
		return nil
	case strings.Contains(c, "Sampler") || strings.Contains(e.GUIClass, "Sampler"):
		im.unsupported(anc, e, "sampler %s is not supported (only HTTP requests are)", c)
		return nil
	default:
		why := controllerNote(c)
		kidAnc, ch, kids := inner()
		body := w.items(kidAnc, kids, ch)
		if len(requestsOf(body)) > 0 {
			im.unsupported(anc, e, "%s: its children are imported in sequence, unconditionally", why)
		} else {
			im.unsupported(anc, e, "%s", why)
		}
		return body
	}
}

// controllerNote says what a controller does that the plan cannot.
func controllerNote(c string) string {
	switch c {
	case "IfController":
		return "If Controller runs its children only when its condition holds"
	case "WhileController":
		return "While Controller repeats its children while its condition holds"
	case "SwitchController":
		return "Switch Controller runs one of its children"
	case "RandomController":
		return "Random Controller runs one of its children per iteration"
	case "RandomOrderController":
		return "Random Order Controller shuffles its children"
	case "InterleaveControl":
		return "Interleave Controller runs one of its children per iteration"
	case "ThroughputController":
		return "Throughput Controller runs its children for a share of the iterations"
	case "OnceOnlyController":
		return "Once Only Controller runs its children in the first iteration only"
	case "RunTime":
		return "Runtime Controller repeats its children for a time"
	case "ForeachController":
		return "ForEach Controller repeats its children over variables"
	case "CriticalSectionController":
		return "Critical Section Controller serialises its children across threads"
	}
	return "controller " + c + " is not supported"
}

// copyItems deep-copies items, suffixing labels.
func copyItems(in []*item, suffix string) []*item {
	out := make([]*item, 0, len(in))
	for _, it := range in {
		switch {
		case it.req != nil:
			r := *it.req
			r.name += suffix
			out = append(out, &item{req: &r})
		case it.group != nil:
			g := *it.group
			g.name += suffix
			g.items = copyItems(it.group.items, suffix)
			out = append(out, &item{group: &g})
		case it.pause != nil:
			p := *it.pause
			out = append(out, &item{pause: &p})
		}
	}
	return out
}

// testAction imports a Flow Control Action: a pause (its duration and its
// timers) adds to the think time; other actions are not supported.
func (w *walker) testAction(anc []*jmx.Element, e *jmx.Element, chain []*level) []*item {
	im := w.im
	lv := &level{elem: e}
	kidAnc := append(anc[:len(anc):len(anc)], e)
	for _, k := range w.classifyAll(kidAnc, e.Children, lv) {
		im.unsupported(kidAnc, k, "%s inside a sampler is not run by JMeter", elemLabel(k))
	}
	action, ok := im.intProp(anc, e, "ActionProcessor.action")
	if !ok {
		action = 1
	}
	if action != 1 {
		im.unsupported(anc, e, "Flow Control Action %d (only pauses are supported)", action)
		return nil
	}
	p := lv.timers
	for _, l := range chain {
		p = p.add(l.timers)
	}
	if ms, ok := im.intProp(anc, e, "ActionProcessor.duration"); ok && ms > 0 {
		d := time.Duration(ms) * time.Millisecond
		p = p.add(pause{d, d})
	}
	if p.zero() {
		return nil
	}
	return []*item{{pause: &p}}
}

// requestsOf lists the request steps of items, in order.
func requestsOf(items []*item) []*reqStep {
	var out []*reqStep
	for _, it := range items {
		switch {
		case it.req != nil:
			out = append(out, it.req)
		case it.group != nil:
			out = append(out, requestsOf(it.group.items)...)
		}
	}
	return out
}

// intProp reads an integer property, evaluating properties and variables
// at import time; ok is false (with a warning) when it is not a number.
func (im *importer) intProp(anc []*jmx.Element, e *jmx.Element, name string) (int64, bool) {
	f, ok := im.numProp(anc, e, name)
	return int64(f), ok
}
