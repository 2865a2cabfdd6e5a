package jmximport

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/loadgen/loadgen/compiler/jmx"
	"github.com/loadgen/loadgen/compiler/jmxexport"
	"github.com/loadgen/loadgen/planspec"
)

// defaultDuration is the duration given to a thread group that JMeter runs
// until it is stopped.
const defaultDuration = 10 * time.Minute

// Plugin thread group classes.
const (
	concurrencyTG = "com.blazemeter.jmeter.threads.concurrency.ConcurrencyThreadGroup"
	arrivalsTG    = "com.blazemeter.jmeter.threads.arrivals.ArrivalsThreadGroup"
	freeFormTG    = "com.blazemeter.jmeter.threads.arrivals.FreeFormArrivalsThreadGroup"
	ultimateTG    = "kg.apc.jmeter.threads.UltimateThreadGroup"
	steppingTG    = "kg.apc.jmeter.threads.SteppingThreadGroup"
)

func ptr[T any](v T) *T { return &v }

func dur(d time.Duration) planspec.Duration { return planspec.Duration(d) }

// maxSeconds bounds imported durations (about three years), so that
// absurd values cannot overflow.
const maxSeconds = 1e8

// seconds converts JMeter seconds to a duration, to the millisecond.
func seconds(s float64) time.Duration {
	s = math.Max(0, math.Min(s, maxSeconds))
	return time.Duration(math.Round(s*1000)) * time.Millisecond
}

// numProp reads a numeric property; properties and variables are evaluated
// at import time. ok is false (with a warning) when the value is missing
// or not a number.
func (im *importer) numProp(anc []*jmx.Element, e *jmx.Element, name string) (float64, bool) {
	p := e.Prop(name)
	if p == nil {
		return 0, false
	}
	return im.numValue(anc, e, p.Value, name)
}

func (im *importer) numValue(anc []*jmx.Element, e *jmx.Element, raw, what string) (float64, bool) {
	if strings.TrimSpace(raw) == "" {
		return 0, false
	}
	s, ok := im.staticValue(anc, e, raw, what)
	if !ok {
		im.warn(anc, e, "%s %q depends on run-time values; not imported", what, raw)
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		im.warn(anc, e, "%s %q is not a number", what, s)
		return 0, false
	}
	return f, true
}

// executor fills sc's executor from the thread group; false when the group
// is not imported (reported).
func (im *importer) executor(anc []*jmx.Element, tg *jmx.Element, sc *scenario) bool {
	switch c := class(tg); c {
	case "ThreadGroup":
		return im.closedGroup(anc, tg, sc)
	case "SetupThreadGroup", "PostThreadGroup":
		if tg.String("TestElement.comments") == jmxexport.CompileChecksComment {
			return false // loadgen's own warm-up of the Groovy checks
		}
		im.unsupported(anc, tg, "%s is not imported: scenarios run concurrently, so it would run during the load instead of before or after it", c)
		return false
	case "OpenModelThreadGroup":
		return im.openModel(anc, tg, sc)
	case concurrencyTG:
		return im.concurrencyGroup(anc, tg, sc)
	case arrivalsTG:
		return im.arrivalsGroup(anc, tg, sc)
	case freeFormTG:
		return im.freeFormGroup(anc, tg, sc)
	case ultimateTG:
		return im.ultimateGroup(anc, tg, sc)
	case steppingTG:
		return im.steppingGroup(anc, tg, sc)
	default:
		im.unsupported(anc, tg, "thread group %s is not supported", c)
		return false
	}
}

// closedGroup maps a standard Thread Group.
func (im *importer) closedGroup(anc []*jmx.Element, tg *jmx.Element, sc *scenario) bool {
	threads, ok := im.numProp(anc, tg, "ThreadGroup.num_threads")
	if !ok {
		threads = 1
		im.warn(anc, tg, "number of threads missing; 1 VU")
	}
	n := int(math.Round(threads))
	if n < 1 {
		im.warn(anc, tg, "%d threads: JMeter runs nothing; thread group not imported", n)
		return false
	}
	ramp, _ := im.numProp(anc, tg, "ThreadGroup.ramp_time")
	loops, forever := int64(1), false
	if mc := tg.Prop("ThreadGroup.main_controller"); mc != nil {
		if l := mc.Prop("LoopController.loops"); l != nil {
			f, ok := im.numValue(anc, tg, l.Value, "LoopController.loops")
			if ok {
				loops = int64(f)
			}
		}
		if propBool(mc, "LoopController.continue_forever") && loops < 0 {
			forever = true
		}
	}
	if loops < 0 {
		forever = true
	}
	scheduler, _ := tg.Bool("ThreadGroup.scheduler")
	var duration, delay float64
	if scheduler {
		duration, _ = im.numProp(anc, tg, "ThreadGroup.duration")
		delay, _ = im.numProp(anc, tg, "ThreadGroup.delay")
		if duration <= 0 {
			im.warn(anc, tg, "scheduler without a duration (start/end times are not supported)")
			scheduler = false
		}
	}
	if delay > 0 {
		sc.sc.StartTime = dur(seconds(delay))
	}
	if same, ok := tg.Bool("ThreadGroup.same_user_on_next_iteration"); ok && !same {
		im.info(anc, tg, "same user on each iteration is off: JMeter clears cookies and caches between iterations, the plan's VUs keep their cookies")
	}
	s := &sc.sc
	switch {
	case !forever && loops >= 1:
		s.Executor = planspec.PerVUIterations
		s.VUs = ptr(n)
		s.Iterations = ptr(int(loops))
		if scheduler {
			s.MaxDuration = ptr(dur(seconds(duration)))
		} else {
			s.MaxDuration = ptr(dur(defaultMaxDuration(loops)))
		}
		if ramp > 0 && n > 1 {
			im.warn(anc, tg, "ramp-up of %gs: per-vu-iterations starts all %d VUs at once", ramp, n)
		}
	case !forever:
		im.warn(anc, tg, "loop count %d: JMeter runs no iteration; thread group not imported", loops)
		return false
	default:
		total := defaultDuration
		if scheduler {
			total = seconds(duration)
		} else {
			im.warn(anc, tg, "the thread group loops until JMeter is stopped; imported with a duration of %s", prettyDuration(total))
		}
		if ramp > 0 && n > 1 {
			rampD := min(seconds(ramp), total)
			// JMeter starts thread k of n at k·ramp/n: the first one at
			// once, as start_vus: 1 does.
			s.Executor = planspec.RampingVUs
			s.StartVUs = ptr(1)
			s.Stages = []planspec.Stage{{Duration: dur(rampD), Target: float64(n)}}
			if total > rampD {
				s.Stages = append(s.Stages, planspec.Stage{Duration: dur(total - rampD), Target: float64(n)})
			}
			s.GracefulRampDown = nil
		} else {
			s.Executor = planspec.ConstantVUs
			s.VUs = ptr(n)
			s.Duration = ptr(dur(total))
		}
	}
	return true
}

// defaultMaxDuration bounds a per-vu-iterations scenario JMeter runs
// without a time limit: the plan's default (10m), or more for many loops.
func defaultMaxDuration(loops int64) time.Duration {
	d := planspec.DefaultMaxDuration.D()
	if loops > 600 {
		d = time.Duration(min(loops, 1_000_000)) * time.Second
	}
	return d
}

// cttUse is a Constant Throughput Timer in a thread group.
type cttUse struct {
	elem *jmx.Element
	anc  []*jmx.Element
}

// throughput turns a closed scenario paced by Constant Throughput Timers
// into constant-arrival-rate (see the package documentation).
func (im *importer) throughput(anc []*jmx.Element, tg *jmx.Element, sc *scenario) {
	if len(sc.ctt) == 0 {
		return
	}
	s := &sc.sc
	var vus int
	switch s.Executor {
	case planspec.PerVUIterations, planspec.ConstantVUs:
		vus = *s.VUs
	case planspec.RampingVUs:
		for _, st := range s.Stages {
			vus = max(vus, int(st.Target))
		}
	default:
		for _, u := range sc.ctt {
			im.unsupported(u.anc, u.elem, "Constant Throughput Timer in a %s scenario is not supported", s.Executor)
		}
		return
	}
	best := -1.0
	var bestUse cttUse
	for _, u := range sc.ctt {
		perMin, ok := im.numProp(u.anc, u.elem, "throughput")
		if !ok {
			perMin, ok = im.numProp(u.anc, u.elem, "ConstantThroughputTimer.throughput")
		}
		if !ok || perMin <= 0 {
			im.warn(u.anc, u.elem, "Constant Throughput Timer without a positive throughput; ignored")
			continue
		}
		mode, _ := im.intProp(u.anc, u.elem, "calcMode")
		if mode == 0 {
			perMin *= float64(vus) // "this thread only": each thread paces itself
		}
		// The timer delays every sampler in its scope: the iteration
		// rate is the sample rate divided by the samplers it paces.
		parent := u.anc[len(u.anc)-1]
		k := 0
		for _, r := range requestsOf(sc.items) {
			if r.elem == parent || containsElem(r.anc, parent) {
				k++
			}
		}
		if k == 0 {
			continue
		}
		rate := perMin / float64(k)
		if best < 0 || rate < best {
			best, bestUse = rate, u
		}
	}
	if best <= 0 {
		return
	}
	if len(sc.ctt) > 1 {
		im.warn(anc, tg, "several Constant Throughput Timers: the slowest rate (%g iterations/min) is used", best)
	}
	var total time.Duration
	switch {
	case s.Executor == planspec.PerVUIterations && s.MaxDuration != nil:
		iters := float64(*s.VUs * *s.Iterations)
		total = time.Duration(iters / best * float64(time.Minute)).Round(time.Second)
		total = max(min(total, s.MaxDuration.D()), time.Second)
	case s.Duration != nil:
		total = s.Duration.D()
	default:
		for _, st := range s.Stages {
			total += st.Duration.D()
		}
	}
	*s = planspec.Scenario{
		Name: s.Name, StartTime: s.StartTime,
		Executor:        planspec.ConstantArrivalRate,
		Rate:            ptr(roundRate(best)),
		TimeUnit:        ptr(dur(time.Minute)),
		Duration:        ptr(dur(total)),
		PreAllocatedVUs: ptr(vus),
		MaxVUs:          ptr(vus),
	}
	im.warn(bestUse.anc, bestUse.elem, "Constant Throughput Timer: the thread group is imported as constant-arrival-rate, %g iterations/min for %s with at most %d VUs (its threads); iterations no VU is free for are dropped, where JMeter falls behind", roundRate(best), prettyDuration(total), vus)
}

func roundRate(r float64) float64 { return math.Round(r*1000) / 1000 }

func containsElem(list []*jmx.Element, e *jmx.Element) bool {
	for _, x := range list {
		if x == e {
			return true
		}
	}
	return false
}

// rateProfile is a piecewise-linear arrival rate in iterations per unit.
type rateProfile struct {
	unit   time.Duration
	start  float64
	stages []planspec.Stage
	// lead and trail are an open-model schedule's leading and trailing
	// pauses: a start time, and time for running iterations to finish.
	lead, trail time.Duration
}

// arrivalScenario fills an arrival-rate executor from a profile.
func arrivalScenario(s *planspec.Scenario, p rateProfile, poisson bool, maxVUs int) {
	flat := p.start > 0
	var total time.Duration
	peak := p.start
	for _, st := range p.stages {
		flat = flat && st.Target == p.start
		total += st.Duration.D()
		peak = max(peak, st.Target)
	}
	perSec := peak / p.unit.Seconds()
	pre := max(1, int(math.Ceil(perSec)))
	mx := max(pre, int(math.Ceil(perSec*10)))
	if maxVUs > 0 {
		mx = maxVUs
		pre = min(pre, mx)
	}
	if flat {
		s.Executor = planspec.ConstantArrivalRate
		s.Rate = ptr(p.start)
		s.Duration = ptr(dur(total))
	} else {
		s.Executor = planspec.RampingArrivalRate
		s.StartRate = ptr(p.start)
		s.Stages = p.stages
	}
	s.TimeUnit = ptr(dur(p.unit))
	s.PreAllocatedVUs = ptr(pre)
	s.MaxVUs = ptr(mx)
	if poisson {
		s.Arrivals = "poisson"
	}
}

// openModel maps an Open Model Thread Group.
func (im *importer) openModel(anc []*jmx.Element, tg *jmx.Element, sc *scenario) bool {
	raw := tg.String("OpenModelThreadGroup.schedule")
	text, ok := im.staticValue(anc, tg, raw, "schedule")
	if !ok {
		im.unsupported(anc, tg, "schedule %q depends on run-time values", raw)
		return false
	}
	p, poisson, err := parseSchedule(text)
	if err != nil {
		im.unsupported(anc, tg, "schedule %q: %v", text, err)
		return false
	}
	if seed := strings.TrimSpace(tg.String("OpenModelThreadGroup.random_seed")); seed != "" && seed != "0" {
		im.info(anc, tg, "random seed %s: pass --seed to loadgen run for repeatable arrivals", seed)
	}
	arrivalScenario(&sc.sc, p, poisson, 0)
	if p.lead > 0 {
		sc.sc.StartTime = dur(p.lead)
	}
	// JMeter interrupts running iterations when the schedule ends; a
	// trailing pause gives them time to finish.
	sc.sc.GracefulStop = ptr(dur(p.trail))
	im.info(anc, tg, "JMeter starts a thread per arrival without a limit; the plan pre-allocates %d VUs and allows at most %d (arrivals beyond are dropped iterations)", *sc.sc.PreAllocatedVUs, *sc.sc.MaxVUs)
	return true
}

// Schedule grammar of the Open Model Thread Group (JMeter 5.5+).
var (
	schedCommentRe = regexp.MustCompile(`(?s)/\*.*?\*/|//[^\n]*`)
	schedTokenRe   = regexp.MustCompile(`(?i)^\s*([a-z_]+)\s*\(([^)]*)\)`)
	schedRateRe    = regexp.MustCompile(`(?i)^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(?:(?:/|per)\s*([a-z]+))?\s*$`)
	schedDurRe     = regexp.MustCompile(`(?i)\s*([0-9]*\.?[0-9]+)\s*([a-z]*)`)
)

// timeUnit parses a schedule time unit.
func timeUnit(u string) (time.Duration, bool) {
	u = strings.ToLower(u)
	switch {
	case u == "ms":
		return time.Millisecond, true
	case u == "s" || strings.HasPrefix(u, "sec"):
		return time.Second, true
	case u == "m" || strings.HasPrefix(u, "min"):
		return time.Minute, true
	case u == "h" || strings.HasPrefix(u, "hour"):
		return time.Hour, true
	case u == "d" || strings.HasPrefix(u, "day"):
		return 24 * time.Hour, true
	}
	return 0, false
}

// parseScheduleDuration parses "1 min 30 s" (a sum); a bare number is
// seconds.
func parseScheduleDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var total time.Duration
	rest := s
	for strings.TrimSpace(rest) != "" {
		loc := schedDurRe.FindStringSubmatchIndex(rest)
		if loc == nil || loc[0] != 0 {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		n, err := strconv.ParseFloat(rest[loc[2]:loc[3]], 64)
		if err != nil {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		unit := time.Second
		if u := rest[loc[4]:loc[5]]; u != "" {
			var ok bool
			if unit, ok = timeUnit(u); !ok {
				return 0, fmt.Errorf("unknown time unit %q in %q", u, s)
			}
		}
		if n*float64(unit) > float64(100*24*time.Hour) {
			return 0, fmt.Errorf("duration %q is too long", s)
		}
		total += time.Duration(n * float64(unit))
		rest = rest[loc[1]:]
	}
	return total, nil
}

// parseSchedule reads an Open Model Thread Group schedule into a rate
// profile. random_arrivals(d) moves linearly from the rate before it to
// the rate after it (constant when none follows); pause(d) is a rate of 0;
// poisson reports random_arrivals (even_arrivals is even).
func parseSchedule(text string) (rateProfile, bool, error) {
	text = schedCommentRe.ReplaceAllString(text, " ")
	type tok struct {
		kind string
		rate float64 // per second
		unit time.Duration
		d    time.Duration
	}
	var toks []tok
	for rest := text; strings.TrimSpace(rest) != ""; {
		m := schedTokenRe.FindStringSubmatchIndex(rest)
		if m == nil {
			return rateProfile{}, false, fmt.Errorf("cannot read %q", strings.TrimSpace(rest))
		}
		kind := strings.ToLower(rest[m[2]:m[3]])
		arg := rest[m[4]:m[5]]
		rest = rest[m[1]:]
		switch kind {
		case "rate":
			rm := schedRateRe.FindStringSubmatch(arg)
			if rm == nil {
				return rateProfile{}, false, fmt.Errorf("bad rate %q", arg)
			}
			n, _ := strconv.ParseFloat(rm[1], 64)
			unit := time.Second
			if rm[2] != "" {
				var ok bool
				if unit, ok = timeUnit(rm[2]); !ok {
					return rateProfile{}, false, fmt.Errorf("unknown rate unit %q", rm[2])
				}
			} else if n != 0 {
				return rateProfile{}, false, fmt.Errorf("rate %q needs a unit, as in rate(10/s)", arg)
			}
			toks = append(toks, tok{kind: kind, rate: n / unit.Seconds(), unit: unit})
		case "random_arrivals", "even_arrivals", "pause":
			d, err := parseScheduleDuration(arg)
			if err != nil {
				return rateProfile{}, false, err
			}
			toks = append(toks, tok{kind: kind, d: d})
		default:
			return rateProfile{}, false, fmt.Errorf("unknown schedule element %s()", kind)
		}
	}
	// Leading pauses delay the start; trailing ones let running
	// iterations finish (JMeter interrupts threads when the schedule ends).
	var lead, trail time.Duration
	for len(toks) > 0 && toks[0].kind == "pause" {
		lead += toks[0].d
		toks = toks[1:]
	}
	for len(toks) > 0 && toks[len(toks)-1].kind == "pause" {
		trail += toks[len(toks)-1].d
		toks = toks[:len(toks)-1]
	}
	// One time unit for the plan: the rates' unit when they share one.
	unit := time.Duration(0)
	for _, t := range toks {
		if t.kind == "rate" && t.rate != 0 {
			if unit == 0 {
				unit = t.unit
			} else if unit != t.unit {
				unit = time.Second
			}
		}
	}
	if unit == 0 || unit > time.Hour {
		unit = time.Second
	}
	conv := func(perSec float64) float64 { return roundRate(perSec * unit.Seconds()) }

	p := rateProfile{unit: unit, lead: lead, trail: trail}
	cur, first, poisson, arrivals := 0.0, true, false, false
	last := func() float64 {
		if n := len(p.stages); n > 0 {
			return p.stages[n-1].Target
		}
		return p.start
	}
	segment := func(from, to float64, d time.Duration) {
		f, t := conv(from), conv(to)
		switch {
		case first:
			p.start, first = f, false
		case last() != f:
			p.stages = append(p.stages, planspec.Stage{Target: f})
		}
		p.stages = append(p.stages, planspec.Stage{Duration: dur(d), Target: t})
	}
	for i, t := range toks {
		switch t.kind {
		case "rate":
			cur = t.rate
		case "random_arrivals", "even_arrivals":
			arrivals = true
			poisson = poisson || t.kind == "random_arrivals"
			to := cur
			if i+1 < len(toks) && toks[i+1].kind == "rate" {
				to = toks[i+1].rate
			}
			segment(cur, to, t.d)
			cur = to
		case "pause":
			segment(0, 0, t.d)
		}
	}
	if !arrivals {
		return rateProfile{}, false, fmt.Errorf("no random_arrivals(...) or even_arrivals(...): no iteration would start")
	}
	peak := p.start
	for _, st := range p.stages {
		peak = max(peak, st.Target)
	}
	if peak <= 0 {
		return rateProfile{}, false, fmt.Errorf("every rate is 0: no iteration would start")
	}
	return p, poisson, nil
}

// pluginUnit reads a jmeter-plugins group's time unit (Unit: S or M).
func pluginUnit(tg *jmx.Element) time.Duration {
	if strings.EqualFold(strings.TrimSpace(tg.String("Unit")), "M") {
		return time.Minute
	}
	return time.Second
}

// pluginLevels reads TargetLevel, RampUp, Steps and Hold of a jmeter-plugins
// Concurrency or Arrivals group.
func (im *importer) pluginLevels(anc []*jmx.Element, tg *jmx.Element) (target float64, ramp, hold time.Duration, steps int, ok bool) {
	unit := pluginUnit(tg)
	target, ok = im.numProp(anc, tg, "TargetLevel")
	if !ok || target <= 0 {
		im.unsupported(anc, tg, "target level missing or not positive")
		return 0, 0, 0, 0, false
	}
	r, _ := im.numProp(anc, tg, "RampUp")
	h, _ := im.numProp(anc, tg, "Hold")
	st, _ := im.numProp(anc, tg, "Steps")
	ramp = seconds(r * unit.Seconds())
	hold = seconds(h * unit.Seconds())
	if st > 1000 {
		im.warn(anc, tg, "%g steps: imported as a linear ramp", st)
		st = 0
	}
	if ramp+hold <= 0 {
		im.warn(anc, tg, "no ramp-up and no hold time: JMeter runs until stopped; imported for %s", prettyDuration(defaultDuration))
		hold = defaultDuration
	}
	if n, _ := im.numProp(anc, tg, "Iterations"); n > 0 {
		im.warn(anc, tg, "iteration limit %g is not supported; the plan runs for the whole schedule", n)
	}
	return target, ramp, hold, int(st), true
}

// rampStages builds the stages of a ramp to target over ramp (in steps
// equal steps when steps > 0) held for hold. whole rounds step levels.
func rampStages(target float64, ramp, hold time.Duration, steps int, whole bool) (start float64, stages []planspec.Stage) {
	if steps <= 0 || ramp == 0 {
		if ramp > 0 {
			stages = append(stages, planspec.Stage{Duration: dur(ramp), Target: target})
		} else {
			start = target
		}
		if hold > 0 {
			stages = append(stages, planspec.Stage{Duration: dur(hold), Target: target})
		}
		return start, stages
	}
	level := func(i int) float64 {
		v := target * float64(i) / float64(steps)
		if whole {
			v = math.Round(v)
		}
		return v
	}
	step := ramp / time.Duration(steps)
	start = level(1)
	for i := 1; i < steps; i++ {
		stages = append(stages,
			planspec.Stage{Duration: dur(step), Target: level(i)},
			planspec.Stage{Duration: 0, Target: level(i + 1)})
	}
	stages = append(stages, planspec.Stage{Duration: dur(ramp - step*time.Duration(steps-1) + hold), Target: target})
	return start, stages
}

// concurrencyGroup maps a jmeter-plugins Concurrency Thread Group.
func (im *importer) concurrencyGroup(anc []*jmx.Element, tg *jmx.Element, sc *scenario) bool {
	target, ramp, hold, steps, ok := im.pluginLevels(anc, tg)
	if !ok {
		return false
	}
	n := math.Round(target)
	start, stages := rampStages(n, ramp, hold, steps, true)
	s := &sc.sc
	if len(stages) == 1 && start == n {
		s.Executor, s.VUs, s.Duration = planspec.ConstantVUs, ptr(int(n)), ptr(stages[0].Duration)
		return true
	}
	s.Executor = planspec.RampingVUs
	s.StartVUs = ptr(int(start))
	s.Stages = stages
	return true
}

// arrivalsGroup maps a jmeter-plugins Arrivals Thread Group.
func (im *importer) arrivalsGroup(anc []*jmx.Element, tg *jmx.Element, sc *scenario) bool {
	target, ramp, hold, steps, ok := im.pluginLevels(anc, tg)
	if !ok {
		return false
	}
	start, stages := rampStages(target, ramp, hold, steps, false)
	limit, _ := im.numProp(anc, tg, "ConcurrencyLimit")
	arrivalScenario(&sc.sc, rateProfile{unit: pluginUnit(tg), start: start, stages: stages}, false, int(limit))
	return true
}

// rowValues reads the rows of a jmeter-plugins table property (a
// collectionProp of collectionProps of values).
func (im *importer) rowValues(anc []*jmx.Element, tg *jmx.Element, prop string, width int) ([][]float64, bool) {
	p := tg.Prop(prop)
	if p == nil || len(p.Props) == 0 {
		im.unsupported(anc, tg, "no %s table", prop)
		return nil, false
	}
	var rows [][]float64
	for i, row := range p.Props {
		if len(row.Props) < width {
			im.unsupported(anc, tg, "%s row %d has %d values, want %d", prop, i+1, len(row.Props), width)
			return nil, false
		}
		var vals []float64
		for _, c := range row.Props[:width] {
			v, ok := im.numValue(anc, tg, c.Value, prop)
			if !ok || v < 0 {
				return nil, false
			}
			vals = append(vals, v)
		}
		rows = append(rows, vals)
	}
	return rows, true
}

// freeFormGroup maps a jmeter-plugins Free-Form Arrivals Thread Group:
// each row goes linearly from a start rate to an end rate.
func (im *importer) freeFormGroup(anc []*jmx.Element, tg *jmx.Element, sc *scenario) bool {
	rows, ok := im.rowValues(anc, tg, "Schedule", 3)
	if !ok {
		return false
	}
	unit := pluginUnit(tg)
	p := rateProfile{unit: unit, start: rows[0][0]}
	for i, r := range rows {
		if i > 0 && r[0] != rows[i-1][1] {
			p.stages = append(p.stages, planspec.Stage{Target: r[0]})
		}
		p.stages = append(p.stages, planspec.Stage{Duration: dur(seconds(r[2] * unit.Seconds())), Target: r[1]})
	}
	limit, _ := im.numProp(anc, tg, "ConcurrencyLimit")
	arrivalScenario(&sc.sc, p, false, int(limit))
	return true
}

// vuPoint is a point of a piecewise-linear VU profile; two points at the
// same time are a jump.
type vuPoint struct {
	t time.Duration
	v float64
}

// leftValue is the profile's value just before (or at) t; rightValue just
// after t (they differ at a jump).
func leftValue(pr []vuPoint, t time.Duration) float64 {
	for j, p := range pr {
		if p.t >= t {
			if p.t == t || j == 0 {
				return p.v
			}
			a := pr[j-1]
			return a.v + (p.v-a.v)*float64(t-a.t)/float64(p.t-a.t)
		}
	}
	return pr[len(pr)-1].v
}

func rightValue(pr []vuPoint, t time.Duration) float64 {
	for i := len(pr) - 1; i >= 0; i-- {
		p := pr[i]
		if p.t <= t {
			if p.t == t || i == len(pr)-1 {
				return p.v
			}
			b := pr[i+1]
			return p.v + (b.v-p.v)*float64(t-p.t)/float64(b.t-p.t)
		}
	}
	return pr[0].v
}

// profileStages turns a sum of piecewise-linear VU profiles into stages
// (a 0s stage for each jump), rounding to whole VUs.
func profileStages(profiles [][]vuPoint) (start int, stages []planspec.Stage) {
	var times []time.Duration
	seen := map[time.Duration]bool{0: true}
	for _, pr := range profiles {
		for _, pt := range pr {
			if !seen[pt.t] {
				seen[pt.t] = true
				times = append(times, pt.t)
			}
		}
	}
	sortDurations(times)
	sum := func(f func([]vuPoint, time.Duration) float64, t time.Duration) float64 {
		s := 0.0
		for _, pr := range profiles {
			if len(pr) > 0 {
				s += f(pr, t)
			}
		}
		return math.Round(s)
	}
	start = int(sum(rightValue, 0))
	prev := time.Duration(0)
	for _, t := range times {
		l, r := sum(leftValue, t), sum(rightValue, t)
		stages = append(stages, planspec.Stage{Duration: dur(t - prev), Target: l})
		if r != l {
			stages = append(stages, planspec.Stage{Target: r})
		}
		prev = t
	}
	return start, stages
}

func sortDurations(d []time.Duration) {
	for i := 1; i < len(d); i++ {
		for j := i; j > 0 && d[j] < d[j-1]; j-- {
			d[j], d[j-1] = d[j-1], d[j]
		}
	}
}

// ultimateGroup maps a jmeter-plugins Ultimate Thread Group: rows of
// (threads, initial delay, startup time, hold, shutdown time) in seconds,
// summed.
func (im *importer) ultimateGroup(anc []*jmx.Element, tg *jmx.Element, sc *scenario) bool {
	rows, ok := im.rowValues(anc, tg, "ultimatethreadgroupdata", 5)
	if !ok {
		return false
	}
	// A delay common to every row is the scenario's start time.
	minDelay := rows[0][1]
	for _, r := range rows {
		minDelay = math.Min(minDelay, r[1])
	}
	if minDelay > 0 {
		sc.sc.StartTime = dur(seconds(minDelay))
	}
	var profiles [][]vuPoint
	for _, r := range rows {
		n := math.Round(r[0])
		t0 := seconds(r[1] - minDelay)
		t1 := t0 + seconds(r[2])
		t2 := t1 + seconds(r[3])
		t3 := t2 + seconds(r[4])
		pr := []vuPoint{{t0, 0}, {t1, n}, {t2, n}, {t3, 0}}
		if t0 > 0 {
			pr = append([]vuPoint{{0, 0}}, pr...)
		}
		profiles = append(profiles, pr)
	}
	return im.vuProfile(anc, tg, sc, profiles)
}

// vuProfile sets a ramping-vus executor from VU profiles.
func (im *importer) vuProfile(anc []*jmx.Element, tg *jmx.Element, sc *scenario, profiles [][]vuPoint) bool {
	start, stages := profileStages(profiles)
	peak := float64(start)
	for _, st := range stages {
		peak = max(peak, st.Target)
	}
	if peak <= 0 || len(stages) == 0 {
		im.unsupported(anc, tg, "the thread schedule starts no thread")
		return false
	}
	s := &sc.sc
	s.Executor = planspec.RampingVUs
	s.StartVUs = ptr(start)
	s.Stages = stages
	return true
}

// steppingGroup maps the deprecated jmeter-plugins Stepping Thread Group.
func (im *importer) steppingGroup(anc []*jmx.Element, tg *jmx.Element, sc *scenario) bool {
	num := func(name string) float64 {
		v, _ := im.numProp(anc, tg, name)
		return math.Max(v, 0)
	}
	total := math.Round(num("ThreadGroup.num_threads"))
	delay := seconds(num("Threads initial delay"))
	burst := math.Round(num("Start users count burst"))
	batch := math.Round(num("Start users count"))
	period := seconds(num("Start users period"))
	ramp := seconds(num("rampUp"))
	flight := seconds(num("flighttime"))
	stopBatch := math.Round(num("Stop users count"))
	stopPeriod := seconds(num("Stop users period"))
	if total <= 0 {
		im.unsupported(anc, tg, "no threads")
		return false
	}
	if (batch > 0 && total/batch > 10000) || (stopBatch > 0 && total/stopBatch > 10000) {
		im.unsupported(anc, tg, "more than 10000 steps")
		return false
	}
	pts := []vuPoint{{0, 0}}
	t, cur := delay, 0.0
	rise := func(to float64) {
		pts = append(pts, vuPoint{t, cur})
		t += ramp
		cur = to
		pts = append(pts, vuPoint{t, cur})
	}
	if burst > 0 {
		rise(math.Min(burst, total))
	}
	if batch <= 0 && cur < total {
		rise(total)
	}
	for cur < total {
		if cur > 0 {
			t += max(period-ramp, 0)
		}
		rise(math.Min(cur+batch, total))
	}
	t += flight
	pts = append(pts, vuPoint{t, cur})
	// Threads stop in batches: a linear ramp down at the same pace.
	down := time.Duration(0)
	if stopBatch > 0 && stopPeriod > 0 {
		down = time.Duration(math.Ceil(cur/stopBatch)) * stopPeriod
	}
	t += down
	pts = append(pts, vuPoint{t, 0})
	im.warn(anc, tg, "Stepping Thread Group (deprecated plugin) imported as ramping-vus stages; its batches become linear ramps")
	return im.vuProfile(anc, tg, sc, [][]vuPoint{pts})
}
