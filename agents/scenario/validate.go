package scenario

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loadgen/loadgen/agents/arch"
	"github.com/loadgen/loadgen/agents/llm"
	"github.com/loadgen/loadgen/planspec"
)

// Limits of a valid set, beyond the NFR-derived bounds (README.md).
const (
	MaxSteps       = 50
	MaxRows        = 10000
	MaxScenarioVUs = 100000
	// MaxPeakFactor bounds a shape's peak request rate, as a multiple of
	// the NFR throughput.
	MaxPeakFactor = 10
)

// Problems is every problem Validate found, one per line, each starting
// with the JSON pointer of the offending value in the set.
type Problems []string

// Error joins the problems, one per line.
func (p Problems) Error() string { return strings.Join(p, "\n") }

var (
	nameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	fileRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\.csv$`)
)

// executorParams are the shape fields each executor takes.
var executorParams = map[string][]string{
	planspec.ConstantVUs:         {"vus", "duration"},
	planspec.RampingVUs:          {"start_vus", "stages"},
	planspec.PerVUIterations:     {"vus", "iterations", "max_duration"},
	planspec.SharedIterations:    {"vus", "iterations", "max_duration"},
	planspec.ConstantArrivalRate: {"rate", "time_unit", "duration", "pre_allocated_vus", "max_vus"},
	planspec.RampingArrivalRate:  {"start_rate", "time_unit", "stages", "pre_allocated_vus", "max_vus"},
}

// Validate checks a set against the architecture model and its own
// inputs: every requested type has a scenario and no other type does;
// names are unique; shapes use valid executors with their parameters and
// stay within the NFR-derived bounds (README.md: peak at most 10× the NFR
// throughput, per-type ranges, length at most twice the offline shape's);
// steps call endpoints of the model (or of the given workflow) with
// relative URLs, valid checks, extractors and template references;
// test data is well-formed; thresholds are valid and include the NFRs'
// latency and error-rate ones (and an abort_on_fail one for scalability).
// A nil model skips the endpoint check. The error is a Problems.
func Validate(set *Set, m *arch.Model) error {
	if set == nil {
		return Problems{"the set is empty"}
	}
	v := &validator{set: set, m: m}
	v.run()
	if len(v.probs) > 0 {
		return v.probs
	}
	return nil
}

type validator struct {
	set   *Set
	m     *arch.Model
	probs Problems
}

func (v *validator) errorf(ptr, format string, args ...any) {
	v.probs = append(v.probs, ptr+": "+fmt.Sprintf(format, args...))
}

func (v *validator) run() {
	s := v.set
	if s.Schema != Schema {
		v.errorf("/schema", "must be %q", Schema)
	}
	if !slices.Contains([]string{llm.SourceOffline, llm.SourceModel, llm.SourceOfflineFallback}, s.Source) {
		v.errorf("/source", "must be offline, model or offline-fallback")
	}
	if !(s.Inputs.NFRs.RPS > 0) || math.IsInf(s.Inputs.NFRs.RPS, 0) {
		v.errorf("/inputs/nfrs/rps", "the NFR throughput must be greater than 0")
	}
	if len(s.Scenarios) == 0 {
		v.errorf("/scenarios", "at least one scenario is required")
	}
	for _, t := range s.Inputs.ScenarioTypes {
		if !slices.ContainsFunc(s.Scenarios, func(sc Scenario) bool { return sc.Type == t }) {
			v.errorf("/scenarios", "no scenario of the requested type %q", t)
		}
	}
	names := map[string]int{}
	for i := range s.Scenarios {
		sc := &s.Scenarios[i]
		ptr := "/scenarios/" + strconv.Itoa(i)
		switch key := strings.ToLower(sc.Name); {
		case !nameRe.MatchString(sc.Name):
			v.errorf(ptr+"/name", "%q: a name is 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit", sc.Name)
		case names[key] > 0:
			v.errorf(ptr+"/name", "duplicate scenario name %q (also /scenarios/%d)", sc.Name, names[key]-1)
		default:
			names[key] = i + 1
		}
		v.scenario(sc, ptr)
	}
}

func (v *validator) scenario(sc *Scenario, ptr string) {
	in := v.set.Inputs
	if !slices.Contains(Types, sc.Type) {
		v.errorf(ptr+"/type", "unknown type %q (one of %s)", sc.Type, strings.Join(Types, ", "))
	} else if len(in.ScenarioTypes) > 0 && !slices.Contains(in.ScenarioTypes, sc.Type) {
		v.errorf(ptr+"/type", "type %q was not requested (requested: %s)", sc.Type, strings.Join(in.ScenarioTypes, ", "))
	}
	if strings.TrimSpace(sc.Description) == "" {
		v.errorf(ptr+"/description", "a description is required")
	}
	var think time.Duration
	if t := sc.ThinkTime; t != nil {
		lo, err1 := planspec.ParseDuration(t.Min)
		hi, err2 := planspec.ParseDuration(t.Max)
		switch {
		case err1 != nil:
			v.errorf(ptr+"/think_time/min", "%v", err1)
		case err2 != nil:
			v.errorf(ptr+"/think_time/max", "%v", err2)
		case hi < lo:
			v.errorf(ptr+"/think_time", "max (%s) must be at least min (%s)", t.Max, t.Min)
		case hi.D() > time.Minute:
			v.errorf(ptr+"/think_time/max", "at most 1m")
		default:
			think = (lo.D() + hi.D()) / 2
		}
	}
	feeders := v.testData(sc.TestData, ptr+"/test_data")
	v.steps(sc.Steps, ptr+"/steps", feeders)
	if len(sc.Steps) > 0 {
		v.shape(sc, ptr+"/shape", think)
	}
	v.thresholds(sc, ptr+"/thresholds")
}

// shape checks the executor's parameters and the NFR-derived bounds.
func (v *validator) shape(sc *Scenario, ptr string, think time.Duration) {
	sh := &sc.Shape
	params, ok := executorParams[sh.Executor]
	if !ok {
		v.errorf(ptr+"/executor", "unknown executor %q (one of %s)", sh.Executor, strings.Join(planspec.Executors, ", "))
		return
	}
	set := map[string]bool{
		"rate": sh.Rate != 0, "start_rate": sh.StartRate != 0, "stages": len(sh.Stages) > 0,
		"vus": sh.VUs != 0, "start_vus": sh.StartVUs != 0, "iterations": sh.Iterations != 0,
		"duration": sh.Duration != "", "max_duration": sh.MaxDuration != "",
		"pre_allocated_vus": sh.PreAllocatedVUs != 0, "max_vus": sh.MaxVUs != 0,
		"time_unit": sh.TimeUnit != "",
	}
	for _, k := range []string{"rate", "start_rate", "stages", "vus", "start_vus", "iterations", "duration", "max_duration", "pre_allocated_vus", "max_vus", "time_unit"} {
		if set[k] && !slices.Contains(params, k) {
			v.errorf(ptr+"/"+k, "not a parameter of %s (it takes: %s)", sh.Executor, strings.Join(params, ", "))
		}
	}
	dur := func(key, s string, required bool) time.Duration {
		if s == "" {
			if required {
				v.errorf(ptr+"/"+key, "required for %s", sh.Executor)
			}
			return 0
		}
		d, err := planspec.ParseDuration(s)
		if err != nil {
			v.errorf(ptr+"/"+key, "%v", err)
			return 0
		}
		if d <= 0 && required {
			v.errorf(ptr+"/"+key, "must be greater than 0s")
		}
		return d.D()
	}
	if sh.GracefulStop != "" {
		dur("graceful_stop", sh.GracefulStop, false)
	}
	vus := func(key string, n, lo int) {
		if n < lo || n > MaxScenarioVUs {
			v.errorf(ptr+"/"+key, "must be from %d to %d, but is %d", lo, MaxScenarioVUs, n)
		}
	}
	reqs := float64(len(sc.Steps))
	iter := iterationSeconds(len(sc.Steps), v.set.Inputs.NFRs.P95Ms, think)
	var total time.Duration
	peakRPS := -1.0 // unknown
	switch sh.Executor {
	case planspec.ConstantArrivalRate, planspec.RampingArrivalRate:
		unit := time.Second
		if sh.TimeUnit != "" {
			if u := dur("time_unit", sh.TimeUnit, true); u > 0 {
				unit = u
			}
		}
		perSec := func(r float64) float64 { return r / unit.Seconds() }
		if sh.Executor == planspec.ConstantArrivalRate {
			if !(sh.Rate > 0) || math.IsInf(sh.Rate, 0) {
				v.errorf(ptr+"/rate", "must be greater than 0")
			}
			total = dur("duration", sh.Duration, true)
			peakRPS = perSec(sh.Rate) * reqs
		} else {
			if !(sh.StartRate >= 0) || math.IsInf(sh.StartRate, 0) {
				v.errorf(ptr+"/start_rate", "must be at least 0")
			}
			var peak float64
			total, peak = v.stages(sh, ptr, false)
			peakRPS = perSec(math.Max(peak, sh.StartRate)) * reqs
		}
		switch {
		case sh.PreAllocatedVUs < 0 || sh.PreAllocatedVUs > MaxScenarioVUs:
			v.errorf(ptr+"/pre_allocated_vus", "must be from 0 to %d", MaxScenarioVUs)
		case sh.MaxVUs != 0 && (sh.MaxVUs < sh.PreAllocatedVUs || sh.MaxVUs > MaxScenarioVUs):
			v.errorf(ptr+"/max_vus", "must be from pre_allocated_vus (%d) to %d", sh.PreAllocatedVUs, MaxScenarioVUs)
		case max(sh.MaxVUs, sh.PreAllocatedVUs) < 1:
			v.errorf(ptr+"/pre_allocated_vus", "no VU could run an iteration: pre_allocated_vus and max_vus are 0")
		}
	case planspec.ConstantVUs:
		vus("vus", sh.VUs, 1)
		total = dur("duration", sh.Duration, true)
		if iter > 0 {
			peakRPS = float64(sh.VUs) * reqs / iter
		}
	case planspec.RampingVUs:
		vus("start_vus", sh.StartVUs, 0)
		var peak float64
		total, peak = v.stages(sh, ptr, true)
		if iter > 0 {
			peakRPS = math.Max(peak, float64(sh.StartVUs)) * reqs / iter
		}
	case planspec.PerVUIterations, planspec.SharedIterations:
		vus("vus", sh.VUs, 1)
		if sh.Iterations < 1 || sh.Iterations > 10_000_000 {
			v.errorf(ptr+"/iterations", "must be from 1 to 10000000")
		}
		total = dur("max_duration", sh.MaxDuration, false)
		if total == 0 {
			total = 10 * time.Minute
		}
	}
	v.bounds(sc, ptr, peakRPS, total)
}

// stages checks a ramping shape's stages and returns their length and
// peak target.
func (v *validator) stages(sh *Shape, ptr string, vus bool) (time.Duration, float64) {
	if len(sh.Stages) == 0 {
		v.errorf(ptr+"/stages", "required for %s (a list of {duration, target})", sh.Executor)
		return 0, 0
	}
	var total time.Duration
	peak := 0.0
	for j, st := range sh.Stages {
		sp := ptr + "/stages/" + strconv.Itoa(j)
		d, err := planspec.ParseDuration(st.Duration)
		if err != nil {
			v.errorf(sp+"/duration", "%v", err)
		}
		total += d.D()
		switch {
		case !(st.Target >= 0) || math.IsInf(st.Target, 0):
			v.errorf(sp+"/target", "must be at least 0")
		case vus && st.Target != math.Trunc(st.Target):
			v.errorf(sp+"/target", "%s is not a whole number of VUs", formatNum(st.Target))
		default:
			peak = math.Max(peak, st.Target)
		}
	}
	if total <= 0 {
		v.errorf(ptr+"/stages", "the stages last 0s in total")
	}
	if peak <= 0 && sh.StartRate <= 0 && sh.StartVUs <= 0 {
		v.errorf(ptr+"/stages", "every target is 0: nothing would run")
	}
	return total, peak
}

// bounds checks a shape's peak request rate and length against the NFRs
// and the offline shape of its type.
func (v *validator) bounds(sc *Scenario, ptr string, peakRPS float64, total time.Duration) {
	in := v.set.Inputs
	T := in.NFRs.RPS
	if b, ok := baseShapes[sc.Type]; ok {
		limit := max(2*scaledTotal(b, in), 10*time.Second)
		if total > limit {
			v.errorf(ptr, "lasts %s; a %s scenario may last at most %s here (twice the documented shape, durations scaled)", FormatDuration(total), sc.Type, FormatDuration(limit))
		}
	}
	if peakRPS < 0 || !(T > 0) {
		return
	}
	rps := func(f float64) string { return formatNum(round3(f)) + " rps" }
	if peakRPS > MaxPeakFactor*T*1.001 {
		v.errorf(ptr, "peaks at %s: more than %d× the NFR throughput (%s)", rps(peakRPS), MaxPeakFactor, rps(T))
	}
	if !planspec.IsArrivalRate(sc.Shape.Executor) {
		return // the VU estimate is too rough for the per-type ranges
	}
	lo, hi := 0.0, math.Inf(1)
	switch sc.Type {
	case TypeLoad:
		lo, hi = 0.5, 1.5
	case TypeStress:
		lo = 1.2
	case TypeSpike:
		lo = 0.5
	case TypeEndurance:
		lo, hi = 0.3, 1.05
	case TypeScalability:
		lo = 1.5
	}
	if peakRPS < lo*T*0.999 || peakRPS > hi*T*1.001 {
		want := "at least " + rps(lo*T)
		if !math.IsInf(hi, 1) {
			want = "from " + rps(lo*T) + " to " + rps(hi*T)
		}
		v.errorf(ptr, "a %s scenario must peak %s (NFR throughput %s × the type's range); this one peaks at %s (rate per time_unit × %d requests per iteration)",
			sc.Type, want, rps(T), rps(peakRPS), len(sc.Steps))
	}
}

// scaledTotal is the length of the offline shape of a type under the
// inputs' duration scaling.
func scaledTotal(b baseShape, in Inputs) time.Duration {
	sc := scaling{scale: in.DurationScale}
	if in.Short != "" {
		if d, err := planspec.ParseDuration(in.Short); err == nil {
			sc.short = d.D()
		}
	}
	f := sc.factor(b.total())
	if b.executor == planspec.ConstantArrivalRate {
		return scaleDur(b.duration, f, 100*time.Millisecond)
	}
	var t time.Duration
	for _, s := range b.stages {
		t += scaleDur(s.D, f, 100*time.Millisecond)
	}
	return t
}

// testData checks the feeders and returns their columns by name.
func (v *validator) testData(data []DataNeed, ptr string) map[string][]string {
	feeders := map[string][]string{}
	files := map[string]bool{}
	for i, d := range data {
		dp := ptr + "/" + strconv.Itoa(i)
		switch {
		case !columnRe.MatchString(d.Name) || slices.Contains(planspec.BuiltinVars, d.Name):
			v.errorf(dp+"/name", "%q is not a valid feeder name (an identifier)", d.Name)
		case feeders[d.Name] != nil:
			v.errorf(dp+"/name", "duplicate feeder %q", d.Name)
		}
		if !fileRe.MatchString(d.File) {
			v.errorf(dp+"/file", "%q: a file name such as users.csv (no directories)", d.File)
		} else if files[strings.ToLower(d.File)] {
			v.errorf(dp+"/file", "duplicate file %q", d.File)
		}
		files[strings.ToLower(d.File)] = true
		if len(d.Columns) == 0 {
			v.errorf(dp+"/columns", "at least one column is required")
		}
		for j, c := range d.Columns {
			if !columnRe.MatchString(c) || slices.Index(d.Columns, c) != j {
				v.errorf(dp+"/columns/"+strconv.Itoa(j), "%q is not a valid, unique column name (an identifier)", c)
			}
		}
		if len(d.Rows) == 0 || len(d.Rows) > MaxRows {
			v.errorf(dp+"/rows", "from 1 to %d rows are required", MaxRows)
		}
		for j, r := range d.Rows {
			if len(r) != len(d.Columns) {
				v.errorf(dp+"/rows/"+strconv.Itoa(j), "has %d values for %d columns", len(r), len(d.Columns))
				break
			}
		}
		if strings.TrimSpace(d.Description) == "" {
			v.errorf(dp+"/description", "say what the data stands for")
		}
		feeders[d.Name] = slices.Clip(d.Columns)
		if feeders[d.Name] == nil {
			feeders[d.Name] = []string{}
		}
	}
	return feeders
}

// steps checks the journey.
func (v *validator) steps(steps []Step, ptr string, feeders map[string][]string) {
	if len(steps) == 0 || len(steps) > MaxSteps {
		v.errorf(ptr, "from 1 to %d steps are required", MaxSteps)
	}
	names := map[string]bool{}
	vars := map[string]bool{}
	for i := range steps {
		st := &steps[i]
		sp := ptr + "/" + strconv.Itoa(i)
		switch {
		case strings.TrimSpace(st.Name) == "" || len(st.Name) > 512 || hasControl(st.Name):
			v.errorf(sp+"/name", "a one-line name of at most 512 bytes, without control characters, is required")
		case names[st.Name]:
			v.errorf(sp+"/name", "duplicate step name %q", st.Name)
		}
		names[st.Name] = true
		v.step(st, sp, feeders, vars)
		for name := range st.Extract {
			vars[name] = true
		}
	}
}

func (v *validator) step(st *Step, sp string, feeders map[string][]string, vars map[string]bool) {
	if !isToken(st.Method) || st.Method != strings.ToUpper(st.Method) {
		v.errorf(sp+"/method", "%q is not an upper-case HTTP method", st.Method)
	}
	if !strings.HasPrefix(st.Path, "/") {
		v.errorf(sp+"/path", "%q: the endpoint's path, starting with /", st.Path)
	}
	switch u := st.URL; {
	case !strings.HasPrefix(u, "/") || strings.HasPrefix(u, "//") || strings.Contains(u, "://") || strings.ContainsAny(u, "\\ \r\n\t"):
		v.errorf(sp+"/url", "%q: a path relative to the target, starting with a single / (requests go only to the plan's target)", u)
	case !MatchPath(st.Path, u):
		v.errorf(sp+"/url", "%q does not request the step's path %q", u, st.Path)
	}
	if strings.HasPrefix(st.Path, "/") && !v.known(st.Method, st.Path) {
		v.errorf(sp+"/path", "%s %s is not an endpoint of the architecture model nor of the workflow", st.Method, st.Path)
	}
	check := func(ptr, s string) { v.template(ptr, s, feeders, vars) }
	check(sp+"/url", st.URL)
	for _, k := range slices.Sorted(maps.Keys(st.Headers)) {
		if !isToken(k) {
			v.errorf(sp+"/headers", "%q is not a valid header name", k)
		}
		if strings.EqualFold(k, "Host") {
			v.errorf(sp+"/headers/"+k, "the Host header may not be set")
		}
		if hasControl(st.Headers[k]) {
			v.errorf(sp+"/headers/"+k, "a header value has no control characters")
		}
		check(sp+"/headers/"+k, st.Headers[k])
	}
	v.jsonTemplates(sp+"/body", st.Body, feeders, vars, 0)
	if strings.Contains(strings.ToLower(st.ContentType), "x-www-form-urlencoded") {
		if mp, ok := st.Body.(map[string]any); !ok {
			v.errorf(sp+"/body", "a form body is a map of strings")
		} else {
			for k, val := range mp {
				if _, ok := val.(string); !ok {
					v.errorf(sp+"/body/"+k, "form values are strings")
				}
			}
		}
	}
	if !slices.Contains([]string{"", AuthLogin, AuthBearer, AuthAPIKey}, st.Auth) {
		v.errorf(sp+"/auth", "%q: one of login, bearer, api-key or empty", st.Auth)
	}
	if st.Auth == AuthLogin && len(st.Extract) == 0 {
		v.errorf(sp+"/extract", "a login step extracts its token")
	}
	if len(st.Checks) == 0 {
		v.errorf(sp+"/checks", "at least one check is required (e.g. status == 200)")
	}
	for j, c := range st.Checks {
		if _, err := planspec.CompileCheck(c); err != nil {
			v.errorf(sp+"/checks/"+strconv.Itoa(j), "%q: %v", c, err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(st.Extract)) {
		ex := st.Extract[name]
		ep := sp + "/extract/" + name
		if !columnRe.MatchString(name) || slices.Contains(planspec.BuiltinVars, name) || feeders[name] != nil {
			v.errorf(ep, "%q is not a valid variable name (an identifier, not a built-in or feeder)", name)
		}
		kinds := 0
		for _, s := range []string{ex.JSON, ex.Header, ex.Regex} {
			if s != "" {
				kinds++
			}
		}
		if kinds != 1 {
			v.errorf(ep, "exactly one of json, header or regex")
			continue
		}
		switch {
		case ex.JSON != "":
			if _, err := planspec.ParseJSONPath(ex.JSON); err != nil {
				v.errorf(ep+"/json", "%v", err)
			}
		case ex.Header != "":
			if !isToken(ex.Header) {
				v.errorf(ep+"/header", "%q is not a valid header name", ex.Header)
			}
		default:
			re, err := regexp.Compile(ex.Regex)
			if err != nil {
				v.errorf(ep+"/regex", "%v", err)
			} else if ex.Group < 0 || ex.Group > re.NumSubexp() {
				v.errorf(ep+"/group", "the regex has %d capture group(s)", re.NumSubexp())
			}
		}
	}
}

// known reports whether method and path are an endpoint of the model, its
// login, or a step of the given workflow.
func (v *validator) known(method, path string) bool {
	if v.m == nil {
		return true // no model: not checked
	}
	if FindEndpoint(v.m, method, path) != nil || isAuthEndpoint(v.m, method, path) {
		return true
	}
	for _, ws := range v.set.Inputs.WorkflowAPIs {
		m, p := ParseEndpointRef(ws.Endpoint, ws.Method)
		if p != "" && strings.EqualFold(or(m, "GET"), method) && (MatchPath(p, path) || MatchPath(path, p)) {
			return true
		}
	}
	return false
}

// template checks the references of a plan template: variables extracted
// by an earlier step, feeder columns of the test data, built-ins, and
// environment variables with a default.
func (v *validator) template(ptr, s string, feeders map[string][]string, vars map[string]bool) {
	t, err := planspec.ParseTemplate(s, func(name string) bool { return feeders[name] != nil })
	if err != nil {
		v.errorf(ptr, "%v", err)
		return
	}
	for _, p := range t.Refs() {
		switch p.Kind {
		case planspec.PartVar:
			if !vars[p.Name] {
				v.errorf(ptr, "${%s} is not extracted by an earlier step", p.Name)
			}
		case planspec.PartFeeder:
			if !slices.Contains(feeders[p.Name], p.Field) {
				v.errorf(ptr, "${%s.%s}: the test data %q has no column %q", p.Name, p.Field, p.Name, p.Field)
			}
		case planspec.PartEnv:
			if !p.HasDefault {
				v.errorf(ptr, "${env.%s} needs a default (${env.%s:-value})", p.Name, p.Name)
			}
		}
	}
}

// jsonTemplates checks the string leaves of a body.
func (v *validator) jsonTemplates(ptr string, val any, feeders map[string][]string, vars map[string]bool, depth int) {
	if depth > 32 {
		v.errorf(ptr, "the body is nested too deeply")
		return
	}
	switch x := val.(type) {
	case string:
		v.template(ptr, x, feeders, vars)
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			v.jsonTemplates(ptr+"/"+k, x[k], feeders, vars, depth+1)
		}
	case []any:
		for i, e := range x {
			v.jsonTemplates(ptr+"/"+strconv.Itoa(i), e, feeders, vars, depth+1)
		}
	}
}

// thresholds checks the thresholds' grammar and that the NFRs are there.
func (v *validator) thresholds(sc *Scenario, ptr string) {
	var latency, failed, abort bool
	for i, t := range sc.Thresholds {
		tp := ptr + "/" + strconv.Itoa(i)
		ref, err := planspec.ParseMetricRef(t.Metric)
		if err != nil {
			v.errorf(tp+"/metric", "%v", err)
			continue
		}
		kind, ok := planspec.Metrics[ref.Metric]
		if !ok {
			v.errorf(tp+"/metric", "unknown metric %q", ref.Metric)
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(ref.Tags)) {
			val := ref.Tags[k]
			switch k {
			case "step":
				if !slices.ContainsFunc(sc.Steps, func(s Step) bool { return s.Name == val }) {
					v.errorf(tp+"/metric", "no step is named %q", val)
				}
			case "scenario":
				if val != sc.Name {
					v.errorf(tp+"/metric", "the plan's scenario is named %q, not %q", sc.Name, val)
				}
			case "status":
				if n, err := strconv.Atoi(val); err != nil || n < 100 || n > 599 {
					v.errorf(tp+"/metric", "status %q is not an HTTP status code", val)
				}
			default:
				v.errorf(tp+"/metric", "tag %q is not usable here (step, scenario or status)", k)
			}
		}
		agg, _, _, err := planspec.ParseThresholdExpr(t.Expr)
		if err != nil {
			v.errorf(tp+"/expr", "%v", err)
			continue
		}
		if !slices.Contains(planspec.Aggregations[kind], agg.Method) {
			v.errorf(tp+"/expr", "%s is not an aggregation of %s", agg, ref.Metric)
		}
		if t.DelayAbortEval != "" {
			if _, err := planspec.ParseDuration(t.DelayAbortEval); err != nil {
				v.errorf(tp+"/delay_abort_eval", "%v", err)
			}
		}
		latency = latency || (ref.Metric == planspec.MetricReqDuration && len(ref.Tags) == 0)
		failed = failed || (ref.Metric == planspec.MetricReqFailed && len(ref.Tags) == 0)
		abort = abort || t.AbortOnFail
	}
	if !latency {
		v.errorf(ptr, "a threshold on http_req_duration (the response_time_p95 NFR) is required")
	}
	if !failed {
		v.errorf(ptr, "a threshold on http_req_failed (the error_rate NFR) is required")
	}
	if sc.Type == TypeScalability && !abort {
		v.errorf(ptr, "a scalability scenario needs abort_on_fail thresholds (the breakpoint)")
	}
}

// hasControl reports whether s holds a control character.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 32 || r == 127 })
}
