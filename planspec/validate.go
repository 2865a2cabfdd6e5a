package planspec

import (
	"fmt"
	"math"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// BuiltinVars are the template variables the engine provides; plan vars,
// feeders and extracted variables may not take these names.
var BuiltinVars = []string{"__vu", "__iter", "__uuid", "__randInt", "__timestamp", "env"}

// executorParams lists the parameters each executor takes beyond the common
// ones (name, executor, start_time, graceful_stop, think_time, steps).
var executorParams = map[string][]string{
	ConstantVUs:         {"vus", "duration"},
	RampingVUs:          {"start_vus", "stages", "graceful_ramp_down"},
	PerVUIterations:     {"vus", "iterations", "max_duration"},
	SharedIterations:    {"vus", "iterations", "max_duration"},
	ConstantArrivalRate: {"rate", "time_unit", "duration", "pre_allocated_vus", "max_vus", "arrivals"},
	RampingArrivalRate:  {"start_rate", "time_unit", "stages", "pre_allocated_vus", "max_vus", "arrivals"},
}

// commonParams are the scenario keys every executor takes.
var commonParams = []string{"name", "executor", "start_time", "graceful_stop", "think_time", "steps"}

// validator checks a decoded plan's semantics; positions come from the
// walker's Positions.
type validator struct {
	r    *reporter
	p    *Plan
	opts Options

	labels    map[string]string // step label -> pointer of its first use
	groups    map[string]bool   // group names
	scenarios map[string]bool   // scenario names

	// scope is what templates of the requests being checked may refer to.
	scope *varScope
}

func (v *validator) has(ptr string) bool { return v.r.pos.Has(ptr) }

func (v *validator) line(ptr string) int { return v.r.pos.Lookup(ptr).Line }

func (v *validator) validate() {
	p := v.p
	v.labels = map[string]string{}
	v.groups = map[string]bool{}
	v.scenarios = map[string]bool{}

	switch {
	case !v.has("/version"):
		v.r.at("/version", "version is required (write `version: 1`)")
	case p.Version != 1:
		v.r.at("/version", "unsupported version %d (this loadgen reads version 1)", p.Version)
	}
	if strings.TrimSpace(p.Name) == "" {
		v.r.at("/name", "name is required (it names reports and artifacts)")
	}
	v.target()
	v.vars()
	v.http()
	v.feeders()
	v.httpTemplates()
	v.scenarioList()
	v.thresholds()
}

func (v *validator) target() {
	p := v.p
	if v.opts.Target != "" {
		p.Target = v.opts.Target
		if err := checkTarget(p.Target); err != nil {
			v.r.at("/target", "target %q (given as an override): %v", p.Target, err)
		}
		return
	}
	if p.Target != "" {
		if err := checkTarget(p.Target); err != nil {
			v.r.at("/target", "target %q: %v", p.Target, err)
		}
	}
}

func checkTarget(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("must be an absolute http:// or https:// URL such as http://127.0.0.1:8080")
	}
	return nil
}

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// checkName reports why name cannot name a template variable, or "".
func (v *validator) checkName(name string) string {
	switch {
	case !identRe.MatchString(name):
		return "is not an identifier (use letters, digits and _, not starting with a digit)"
	case slices.Contains(BuiltinVars, name):
		return "shadows the built-in ${" + name + "}"
	}
	return ""
}

var envRefRe = regexp.MustCompile(`\$\{env\.([^}]*)\}`)

// vars checks variable names and expands ${env.NAME} and
// ${env.NAME:-default} in their values.
func (v *validator) vars() {
	lookup := v.lookupEnv()
	for _, name := range sortedKeys(v.p.Vars) {
		ptr := ptrKey("/vars", name)
		if why := v.checkName(name); why != "" {
			v.r.at(ptr, "var %q %s", name, why)
		}
		if _, ok := v.p.Data[name]; ok {
			v.r.at(ptr, "var %q has the same name as data feeder %q; ${%s.column} would be ambiguous", name, name, name)
		}
		val := v.p.Vars[name]
		if !strings.Contains(val, "${env.") {
			continue
		}
		if strings.Count(val, "${env.") != len(envRefRe.FindAllStringIndex(val, -1)) {
			v.r.at(ptr, "vars.%s: unterminated ${env.…} reference in %q", name, val)
			continue
		}
		v.p.Vars[name] = envRefRe.ReplaceAllStringFunc(val, func(ref string) string {
			inner := envRefRe.FindStringSubmatch(ref)[1]
			env, def, hasDef := strings.Cut(inner, ":-")
			if !identRe.MatchString(env) {
				v.r.at(ptr, "vars.%s: malformed environment reference %q (write ${env.NAME} or ${env.NAME:-default})", name, ref)
				return ref
			}
			got, ok := lookup(env)
			if hasDef && (!ok || got == "") {
				return def
			}
			if !ok {
				v.r.at(ptr, "environment variable %s is not set (vars.%s); set it or write ${env.%s:-default}", env, name, env)
				return ref
			}
			return got
		})
	}
}

// lookupEnv returns Options.LookupEnv, or os.LookupEnv.
func (v *validator) lookupEnv() func(string) (string, bool) {
	if v.opts.LookupEnv != nil {
		return v.opts.LookupEnv
	}
	return os.LookupEnv
}

func (v *validator) http() {
	h := v.p.HTTP
	if h.Timeout != nil && *h.Timeout <= 0 {
		v.r.at("/http/timeout", "http.timeout must be greater than 0s")
	}
	v.headers(h.Headers, "/http/headers", "http.headers")
}

// tchar reports whether c may appear in an HTTP token (RFC 9110).
func tchar(c rune) bool {
	return c < 0x7f && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.ContainsRune("!#$%&'*+-.^_`|~", c))
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !tchar(c) {
			return false
		}
	}
	return true
}

func (v *validator) headers(h map[string]string, ptr, path string) {
	for _, name := range sortedKeys(h) {
		hp := ptrKey(ptr, name)
		if !isToken(name) {
			v.r.at(hp, "%s: %q is not a valid header name", path, name)
		}
		if strings.ContainsAny(h[name], "\r\n") {
			v.r.at(hp, "%s: the value of %s contains a line break", path, name)
		}
	}
}

func (v *validator) feeders() {
	v.p.Feeders = make(map[string]*FeederData, len(v.p.Data))
	for _, name := range sortedKeys(v.p.Data) {
		f := v.p.Data[name]
		ptr := ptrKey("/data", name)
		if why := v.checkName(name); why != "" {
			v.r.at(ptr, "data feeder %q %s", name, why)
		}
		switch {
		case strings.TrimSpace(f.File) == "":
			v.r.at(ptr+"/file", "data feeder %q needs a `file` (a CSV with a header row)", name)
		case !v.opts.SkipFileChecks:
			v.loadFeeder(name, f)
		}
		v.enum(ptr+"/order", f.Order, []string{"sequential", "random"}, "order")
		v.enum(ptr+"/share", f.Share, []string{"all", "vu"}, "share")
	}
}

func checkReadable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.IsDir() {
		return fmt.Errorf("it is a directory")
	}
	return nil
}

// unwrapPathError drops the path from an *os.PathError: the message names
// the file as the user wrote it.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// enum checks an optional enumerated value.
func (v *validator) enum(ptr, val string, allowed []string, key string) {
	if val == "" && !v.has(ptr) || slices.Contains(allowed, val) {
		return
	}
	v.r.at(ptr, "%s %q is not one of %s%s", key, val, strings.Join(allowed, ", "), didYouMean(val, allowed, "allowed"))
}

func (v *validator) scenarioList() {
	if len(v.p.Scenarios) == 0 {
		v.r.at("/scenarios", "scenarios is required: a plan needs at least one scenario")
		return
	}
	firstLine := map[string]int{}
	for i := range v.p.Scenarios {
		s := &v.p.Scenarios[i]
		ptr := ptrIndex("/scenarios", i)
		switch name := s.Name; {
		case strings.TrimSpace(name) == "":
			v.r.at(ptr+"/name", "scenarios[%d] needs a `name`", i)
		case v.scenarios[name]:
			v.r.at(ptr+"/name", "duplicate scenario name %q (first at line %d)", name, firstLine[name])
		default:
			v.scenarios[name] = true
			firstLine[name] = v.line(ptr + "/name")
		}
		v.scenario(s, ptr, i)
	}
}

// scenarioLabel names a scenario in messages.
func scenarioLabel(s *Scenario, i int) string {
	if s.Name != "" {
		return fmt.Sprintf("scenario %q", s.Name)
	}
	return fmt.Sprintf("scenarios[%d]", i)
}

func (v *validator) scenario(s *Scenario, ptr string, i int) {
	label := scenarioLabel(s, i)
	params, known := executorParams[s.Executor]
	switch {
	case s.Executor == "":
		v.r.at(ptr+"/executor", "%s needs an `executor` (one of %s)", label, strings.Join(Executors, ", "))
	case !known:
		v.r.at(ptr+"/executor", "%s: unknown executor %q%s", label, s.Executor, didYouMean(s.Executor, Executors, "executors"))
	default:
		for _, key := range fieldsOf(scenarioType).keys {
			if v.has(ptrKey(ptr, key)) && !slices.Contains(params, key) && !slices.Contains(commonParams, key) {
				v.r.at(ptrKey(ptr, key), "`%s` is not a parameter of %s (it takes: %s)", key, s.Executor, strings.Join(params, ", "))
			}
		}
		v.executor(s, ptr, label)
	}
	if len(s.Steps) == 0 {
		v.r.at(ptr+"/steps", "%s has no steps", label)
	}
	v.scope = v.scenarioScope(i)
	v.steps(s.Steps, ptr+"/steps")
	v.scope = nil
}

// executor checks the executor's parameters; only those the executor takes
// are looked at (the others were reported already).
func (v *validator) executor(s *Scenario, ptr, label string) {
	at := func(key, format string, args ...any) {
		v.r.at(ptrKey(ptr, key), label+": "+format, args...)
	}
	positive := func(key string, d *Duration, required bool) {
		switch {
		case d == nil && required:
			at(key, "`%s` is required for %s", key, s.Executor)
		case d != nil && *d <= 0:
			at(key, "%s must be greater than 0s", key)
		}
	}
	atLeast := func(key string, n *int, lo int) {
		if n != nil && *n < lo {
			at(key, "%s must be at least %d, but is %d", key, lo, *n)
		}
	}
	switch s.Executor {
	case ConstantVUs:
		atLeast("vus", s.VUs, 1)
		positive("duration", s.Duration, true)
	case RampingVUs:
		atLeast("start_vus", s.StartVUs, 0)
		v.stages(s, ptr, label, true)
	case PerVUIterations, SharedIterations:
		atLeast("vus", s.VUs, 1)
		atLeast("iterations", s.Iterations, 1)
		positive("max_duration", s.MaxDuration, false)
		if s.Executor == SharedIterations && s.VUs != nil && *s.VUs >= 1 {
			if it := valueOr(s.Iterations, 1); it >= 1 && it < *s.VUs {
				at("iterations", "iterations (%d) must be >= vus (%d): shared-iterations splits the iterations among the VUs", it, *s.VUs)
			}
		}
	case ConstantArrivalRate, RampingArrivalRate:
		if s.Executor == ConstantArrivalRate {
			switch {
			case s.Rate == nil:
				at("rate", "`rate` is required for %s (iterations started per time_unit)", s.Executor)
			case !(*s.Rate > 0):
				at("rate", "rate must be greater than 0, but is %s", formatFloat(*s.Rate))
			}
			positive("duration", s.Duration, true)
		} else {
			if s.StartRate != nil && !(*s.StartRate >= 0) {
				at("start_rate", "start_rate must be at least 0, but is %s", formatFloat(*s.StartRate))
			}
			v.stages(s, ptr, label, false)
		}
		positive("time_unit", s.TimeUnit, false)
		switch {
		case s.PreAllocatedVUs == nil:
			at("pre_allocated_vus", "`pre_allocated_vus` is required for %s (VUs started before the test)", s.Executor)
		case *s.PreAllocatedVUs < 0:
			at("pre_allocated_vus", "pre_allocated_vus must be at least 0, but is %d", *s.PreAllocatedVUs)
		case s.MaxVUs != nil && *s.MaxVUs < *s.PreAllocatedVUs:
			at("max_vus", "max_vus (%d) must be >= pre_allocated_vus (%d)", *s.MaxVUs, *s.PreAllocatedVUs)
		case valueOr(s.MaxVUs, *s.PreAllocatedVUs) < 1:
			key := "pre_allocated_vus"
			if s.MaxVUs != nil {
				key = "max_vus"
			}
			at(key, "no VU could run an iteration: pre_allocated_vus and max_vus are 0")
		}
		v.enum(ptr+"/arrivals", s.Arrivals, []string{"even", "poisson"}, "arrivals")
	}
}

// stages checks a ramping executor's stages; vus reports whether targets
// are VU counts (whole numbers).
func (v *validator) stages(s *Scenario, ptr, label string, vus bool) {
	if len(s.Stages) == 0 {
		v.r.at(ptr+"/stages", "%s: `stages` is required for %s (a list of {duration, target})", label, s.Executor)
		return
	}
	var total Duration
	peak := 0.0
	if vus {
		peak = float64(valueOr(s.StartVUs, 1))
	} else if s.StartRate != nil {
		peak = *s.StartRate
	}
	for j, st := range s.Stages {
		sp := ptrIndex(ptr+"/stages", j)
		if !v.has(sp + "/duration") {
			v.r.at(sp, "%s: stages[%d] needs a `duration`", label, j)
		}
		if !v.has(sp + "/target") {
			v.r.at(sp, "%s: stages[%d] needs a `target`", label, j)
		}
		switch {
		case !(st.Target >= 0):
			v.r.at(sp+"/target", "%s: stage target must be at least 0, but is %s", label, formatFloat(st.Target))
		case vus && st.Target != math.Trunc(st.Target):
			v.r.at(sp+"/target", "%s: stage target %s is not a whole number of VUs", label, formatFloat(st.Target))
		}
		total += st.Duration
		peak = max(peak, st.Target)
	}
	if total <= 0 {
		v.r.at(ptr+"/stages", "%s: the stages last 0s in total; give at least one a duration", label)
	}
	if peak <= 0 {
		what := "start_vus and every stage target are 0: no VU would run"
		if !vus {
			what = "start_rate and every stage target are 0: no iteration would start"
		}
		v.r.at(ptr+"/stages", "%s: %s", label, what)
	}
}

func valueOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// steps checks a list of steps and, recursively, groups' children.
func (v *validator) steps(steps []Step, ptr string) {
	for i := range steps {
		v.step(&steps[i], ptrIndex(ptr, i))
	}
}

func (v *validator) label(label, ptr string) {
	if first, dup := v.labels[label]; dup {
		v.r.at(ptr, "duplicate step label %q (first used at line %d); labels must be unique within the plan", label, v.line(first))
		return
	}
	v.labels[label] = ptr
}

func (v *validator) step(s *Step, ptr string) {
	hasReq := s.Request != nil
	hasGroup := v.has(ptr+"/group") || v.has(ptr+"/steps")
	switch {
	case hasReq && hasGroup:
		key := ptr + "/group"
		if !v.has(key) {
			key = ptr + "/steps"
		}
		v.r.at(key, "a step is either a request or a group, not both; move the request into the group's steps")
	case hasReq:
		v.requestStep(s, ptr)
	case hasGroup:
		v.groupStep(s, ptr)
	default:
		v.r.at(ptr, "a step needs either `request` (with a `name`) or `group` (with `steps`)")
	}
}

func (v *validator) groupStep(s *Step, ptr string) {
	name := strings.TrimSpace(s.Group)
	switch {
	case name == "":
		v.r.at(ptr+"/group", "a group step needs a `group` name (its label in results)")
	default:
		v.label(s.Group, ptr+"/group")
		v.groups[s.Group] = true
	}
	what := "group"
	if name != "" {
		what = fmt.Sprintf("group %q", s.Group)
	}
	if v.has(ptr + "/name") {
		v.r.at(ptr+"/name", "%s is labeled by `group`; `name` belongs to request steps", what)
	}
	for _, key := range []string{"check", "extract", "on_failure"} {
		if v.has(ptr + "/" + key) {
			v.r.at(ptr+"/"+key, "`%s` applies to request steps only, not to %s", key, what)
		}
	}
	if len(s.Steps) == 0 {
		key := ptr + "/steps"
		if !v.has(key) {
			key = ptr + "/group"
		}
		v.r.at(key, "%s has no steps", what)
	}
	v.steps(s.Steps, ptr+"/steps")
}

func (v *validator) requestStep(s *Step, ptr string) {
	what := "request step"
	if strings.TrimSpace(s.Name) == "" {
		v.r.at(ptr+"/name", "a request step needs a `name` (its label in results)")
	} else {
		what = fmt.Sprintf("step %q", s.Name)
		v.label(s.Name, ptr+"/name")
	}
	rp := ptr + "/request"
	req := s.Request
	switch u := strings.TrimSpace(req.URL); {
	case u == "":
		v.r.at(rp+"/url", "%s: request needs a `url`", what)
	case v.p.Target == "" && !v.absoluteURL(u):
		v.r.at(rp+"/url", "%s: url %q is relative, but the plan has no `target`; set target (e.g. target: http://127.0.0.1:8080) or write an absolute http:// or https:// URL", what, req.URL)
	}
	if req.Method != "" && !isToken(req.Method) {
		v.r.at(rp+"/method", "%s: method %q is not a valid HTTP method", what, req.Method)
	}
	var bodies []string
	for _, key := range []string{"body", "json", "form"} {
		if v.has(rp + "/" + key) {
			bodies = append(bodies, key)
			if len(bodies) == 2 {
				v.r.at(rp+"/"+key, "%s: request has both `%s` and `%s`; use only one of body, json, form", what, bodies[0], key)
			}
		}
	}
	v.enum(ptr+"/on_failure", s.OnFailure, []string{"continue", "stop_iteration"}, "on_failure")
	v.headers(req.Headers, rp+"/headers", "headers")
	if req.Timeout != nil && *req.Timeout <= 0 {
		v.r.at(rp+"/timeout", "%s: timeout must be greater than 0s", what)
	}
	v.requestTemplates(req, rp, what)
	s.Programs = s.Programs[:0]
	for j, c := range s.Check {
		prog, err := CompileCheck(c)
		if err != nil {
			v.r.atErr(ptrIndex(ptr+"/check", j), err, "%s: check %q: %s", what, c, firstLine(err))
		}
		s.Programs = append(s.Programs, prog)
	}
	for _, name := range sortedKeys(s.Extract) {
		v.extractor(what, name, s.Extract[name], ptrKey(ptr+"/extract", name))
	}
}

// absoluteURL reports whether u is an http(s) URL, or starts with a variable
// that is not known to be relative: ${base}/x with a plan var base that is
// absolute, or a variable only known at run time (extracted, fed).
func (v *validator) absoluteURL(u string) bool {
	if hasHTTPScheme(u) {
		return true
	}
	rest, ok := strings.CutPrefix(u, "${")
	if !ok {
		return false
	}
	name, _, ok := strings.Cut(rest, "}")
	if !ok {
		return false
	}
	if val, isVar := v.p.Vars[name]; isVar {
		return hasHTTPScheme(val)
	}
	return !slices.Contains(BuiltinVars, name)
}

func hasHTTPScheme(u string) bool {
	l := strings.ToLower(u)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

func (v *validator) extractor(what, name string, ex Extractor, ptr string) {
	if why := v.checkName(name); why != "" {
		v.r.at(ptr, "%s: extract variable %q %s", what, name, why)
	} else if _, ok := v.p.Data[name]; ok {
		v.r.at(ptr, "%s: extract variable %q has the same name as data feeder %q", what, name, name)
	}
	var kinds []string
	for _, k := range []string{"json", "regex", "header"} {
		if v.has(ptr + "/" + k) {
			kinds = append(kinds, k)
		}
	}
	switch len(kinds) {
	case 0:
		v.r.at(ptr, "%s: extract %q needs one of json, regex or header", what, name)
		return
	case 1:
	default:
		v.r.at(ptr+"/"+kinds[1], "%s: extract %q has both %s and %s; use exactly one", what, name, kinds[0], kinds[1])
		return
	}
	if ex.Regex == "" && v.has(ptr+"/group") {
		v.r.at(ptr+"/group", "%s: extract %q: `group` applies to regex extractors only", what, name)
	}
	switch kinds[0] {
	case "json":
		if _, err := ParseJSONPath(ex.JSON); err != nil {
			v.r.atErr(ptr+"/json", err, "%s: extract %q: %v", what, name, err)
		}
	case "regex":
		re, err := regexp.Compile(ex.Regex)
		switch {
		case err != nil:
			v.r.atErr(ptr+"/regex", err, "%s: extract %q: invalid regex: %v", what, name, err)
		case ex.Group < 0:
			v.r.at(ptr+"/group", "%s: extract %q: group must be at least 0, but is %d", what, name, ex.Group)
		case ex.Group > re.NumSubexp():
			v.r.at(ptr+"/group", "%s: extract %q: group %d, but the regex has %d capture group(s)", what, name, ex.Group, re.NumSubexp())
		}
	case "header":
		if !isToken(ex.Header) {
			v.r.at(ptr+"/header", "%s: extract %q: %q is not a valid header name", what, name, ex.Header)
		}
	}
}

// thresholds checks threshold keys against the metrics and the plan's
// labels, parses every expression and fills Agg, Op and Value.
func (v *validator) thresholds() {
	metrics := sortedKeys(Metrics)
	for _, key := range sortedKeys(v.p.Thresholds) {
		kp := ptrKey("/thresholds", key)
		ref, err := ParseMetricRef(key)
		if err != nil {
			v.r.atErr(kp, err, "%v", err)
			continue
		}
		kind, ok := Metrics[ref.Metric]
		if !ok {
			v.r.at(kp, "unknown metric %q in thresholds%s", ref.Metric, didYouMean(ref.Metric, metrics, "metrics"))
			continue
		}
		for _, tk := range sortedKeys(ref.Tags) {
			v.tag(kp, key, tk, ref.Tags[tk])
		}
		for j, t := range v.p.Thresholds[key] {
			v.threshold(t, ptrIndex(kp, j), ref.Metric, kind)
		}
	}
}

func (v *validator) tag(ptr, key, tk, tv string) {
	var (
		known map[string]bool
		noun  string
	)
	switch tk {
	case "step":
		known, noun = map[string]bool{}, "step or group is labeled"
		for l := range v.labels {
			known[l] = true
		}
	case "group":
		known, noun = v.groups, "group is named"
	case "scenario":
		known, noun = v.scenarios, "scenario is named"
	case "status":
		if n, err := strconv.Atoi(tv); err != nil || n < 100 || n > 599 {
			v.r.at(ptr, "threshold %q: status %q is not an HTTP status code (100 to 599)", key, tv)
		}
		return
	default:
		v.r.at(ptr, "threshold %q: unknown tag %q%s", key, tk, didYouMean(tk, TagKeys, "tags"))
		return
	}
	if known[tv] {
		return
	}
	hint := ""
	if c, ok := closest(tv, sortedKeys(known)); ok {
		hint = fmt.Sprintf("; did you mean %q?", c)
	}
	v.r.at(ptr, "threshold %q: no %s %q%s", key, noun, tv, hint)
}

func (v *validator) threshold(t *Threshold, ptr, metric string, kind MetricKind) {
	if t == nil || strings.TrimSpace(t.Expr) == "" {
		v.r.at(ptr, "empty threshold for %s (write e.g. \"p(95) < 500\")", metric)
		return
	}
	at := ptr
	if v.has(ptr + "/threshold") {
		at = ptr + "/threshold"
	}
	pt, err := parseThreshold(t.Expr)
	if err != nil {
		v.r.atErr(at, err, "%v", err)
		return
	}
	allowed := Aggregations[kind]
	if !slices.Contains(allowed, pt.agg.Method) {
		names := make([]string, len(allowed))
		for i, a := range allowed {
			if a == "p" {
				a = "p(N)"
			}
			names[i] = a
		}
		v.r.at(at, "`%s` is not an aggregation of %s metric %s (use %s)", pt.agg.Method, kind, metric, strings.Join(names, ", "))
		return
	}
	if pt.hasUnit && (kind != Trend || pt.agg.Method == "count") {
		v.r.at(at, "threshold %q: a time unit applies to durations; %s of %s is not one", t.Expr, pt.agg, metric)
		return
	}
	t.Agg, t.Op, t.Value = pt.agg, pt.op, pt.value
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
