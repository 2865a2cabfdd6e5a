package scenario

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/loadgen/loadgen/planspec"
)

// MaxVUs caps the VUs a generated shape allocates.
const MaxVUs = 10000

// stageFrac is a stage of a base shape: over D the rate moves to Frac
// times the iteration rate of the NFR throughput.
type stageFrac struct {
	D    time.Duration
	Frac float64
}

// baseShape is the documented, unscaled shape of a scenario type and how
// its thresholds relate to the NFRs.
type baseShape struct {
	executor string
	// start and stages: ramping-arrival-rate; constant and duration:
	// constant-arrival-rate. Fractions of the NFR throughput.
	start    float64
	stages   []stageFrac
	constant float64
	duration time.Duration
	// thinkMin and thinkMax are the pause between steps.
	thinkMin, thinkMax time.Duration
	// latencyK multiplies the response-time targets and errorK the error
	// budget (capped at 10 % when > 1): beyond the NFR load some
	// degradation is allowed, a collapse is not.
	latencyK, errorK float64
	// throughput adds http_reqs rate >= 90 % of the offered average.
	throughput bool
	// abort makes the latency and error thresholds abort_on_fail.
	abort bool
}

// baseShapes are the offline shapes, documented in README.md.
var baseShapes = map[string]baseShape{
	TypeLoad: {
		executor: planspec.RampingArrivalRate,
		stages:   []stageFrac{{time.Minute, 1}, {5 * time.Minute, 1}},
		thinkMin: time.Second, thinkMax: 3 * time.Second,
		latencyK: 1, errorK: 1, throughput: true,
	},
	TypeStress: {
		executor: planspec.RampingArrivalRate,
		stages: []stageFrac{
			{time.Minute, 1}, {2 * time.Minute, 1},
			{30 * time.Second, 1.5}, {2 * time.Minute, 1.5},
			{30 * time.Second, 2}, {2 * time.Minute, 2},
			{time.Minute, 0},
		},
		thinkMin: 500 * time.Millisecond, thinkMax: 1500 * time.Millisecond,
		latencyK: 2, errorK: 5,
	},
	TypeSpike: {
		executor: planspec.RampingArrivalRate,
		stages: []stageFrac{
			{30 * time.Second, 0.2}, {time.Minute, 0.2},
			{5 * time.Second, 1}, {30 * time.Second, 1},
			{5 * time.Second, 0.2}, {time.Minute, 0.2},
		},
		thinkMin: 500 * time.Millisecond, thinkMax: 1500 * time.Millisecond,
		latencyK: 2, errorK: 5,
	},
	TypeEndurance: {
		executor: planspec.ConstantArrivalRate,
		constant: 0.7, duration: 30 * time.Minute,
		thinkMin: time.Second, thinkMax: 3 * time.Second,
		latencyK: 1, errorK: 1, throughput: true,
	},
	TypeScalability: {
		executor: planspec.RampingArrivalRate,
		start:    0.1,
		stages:   []stageFrac{{10 * time.Minute, 3}},
		thinkMin: 500 * time.Millisecond, thinkMax: 1500 * time.Millisecond,
		latencyK: 1, errorK: 1, abort: true,
	},
}

// total is the base shape's length.
func (b baseShape) total() time.Duration {
	if b.executor == planspec.ConstantArrivalRate {
		return b.duration
	}
	var t time.Duration
	for _, s := range b.stages {
		t += s.D
	}
	return t
}

// peak is the highest fraction of the NFR throughput the shape reaches.
func (b baseShape) peak() float64 {
	if b.executor == planspec.ConstantArrivalRate {
		return b.constant
	}
	p := b.start
	for _, s := range b.stages {
		p = math.Max(p, s.Frac)
	}
	return p
}

// average is the mean fraction of the NFR throughput over the shape.
func (b baseShape) average() float64 {
	if b.executor == planspec.ConstantArrivalRate {
		return b.constant
	}
	area, prev := 0.0, b.start
	for _, s := range b.stages {
		area += (prev + s.Frac) / 2 * s.D.Seconds()
		prev = s.Frac
	}
	if t := b.total().Seconds(); t > 0 {
		return area / t
	}
	return 0
}

// scaling is how durations are compressed: by DurationScale, or so that
// each scenario lasts about Short.
type scaling struct {
	scale float64
	short time.Duration
}

// factor is the scale of a shape of the given total length.
func (s scaling) factor(total time.Duration) float64 {
	switch {
	case s.short > 0 && total > 0:
		return float64(s.short) / float64(total)
	case s.scale > 0:
		return s.scale
	}
	return 1
}

// scaleDur scales a duration, rounded to step and at least step (unchanged
// for a factor of 1).
func scaleDur(d time.Duration, f float64, step time.Duration) time.Duration {
	if f == 1 {
		return d
	}
	return max(step, time.Duration(float64(d)*f).Round(step))
}

// FormatDuration writes a duration the way plans do: "1m", "5m", "1m30s",
// "1.2s", "500ms".
func FormatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	case d%time.Second != 0:
		return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
	}
	var b strings.Builder
	if h := d / time.Hour; h > 0 {
		b.WriteString(strconv.Itoa(int(h)) + "h")
		d -= h * time.Hour
	}
	if m := d / time.Minute; m > 0 {
		b.WriteString(strconv.Itoa(int(m)) + "m")
		d -= m * time.Minute
	}
	if d > 0 {
		b.WriteString(strconv.Itoa(int(d/time.Second)) + "s")
	}
	return b.String()
}

// formatNum writes a number without trailing zeros (6 decimals at most).
func formatNum(f float64) string { return strconv.FormatFloat(round6(f), 'f', -1, 64) }

// design builds the offline scenario of a type from the journey's steps
// and the NFRs.
func design(typ string, steps []Step, n NFRs, sc scaling, data []DataNeed) (Scenario, []string) {
	b := baseShapes[typ]
	f := sc.factor(b.total())
	reqs := len(steps)
	T := n.RPS
	R := T / float64(reqs) // iterations per second at 100 %
	unit, mult := time.Second, 1.0
	if R < 1 {
		unit, mult = time.Minute, 60
	}
	rate := func(frac float64) float64 {
		v := round3(R * frac * mult)
		if frac > 0 && v == 0 {
			v = 0.001
		}
		return v
	}
	tmin, tmax := scaleDur(b.thinkMin, f, time.Millisecond), scaleDur(b.thinkMax, f, time.Millisecond)
	iter := iterationSeconds(reqs, n.P95Ms, (tmin+tmax)/2)
	pre := max(1, int(math.Ceil(b.peak()*R*iter)))
	maxVUs := max(2, 2*pre)
	var warns []string
	if maxVUs > MaxVUs {
		warns = append(warns, fmt.Sprintf("%s: %d VUs would be needed at the peak; capped at %d", typ, maxVUs, MaxVUs))
		maxVUs, pre = MaxVUs, min(pre, MaxVUs)
	}
	sh := Shape{
		Executor:        b.executor,
		TimeUnit:        FormatDuration(unit),
		PreAllocatedVUs: pre,
		MaxVUs:          maxVUs,
		PeakRPS:         round3(b.peak() * T),
	}
	total := time.Duration(0)
	if b.executor == planspec.ConstantArrivalRate {
		d := scaleDur(b.duration, f, 100*time.Millisecond)
		sh.Rate, sh.Duration, total = rate(b.constant), FormatDuration(d), d
	} else {
		sh.StartRate = rate(b.start)
		for _, s := range b.stages {
			d := scaleDur(s.D, f, 100*time.Millisecond)
			sh.Stages = append(sh.Stages, Stage{Duration: FormatDuration(d), Target: rate(s.Frac)})
			total += d
		}
	}
	if f < 1 {
		sh.GracefulStop = FormatDuration(max(2*time.Second, scaleDur(30*time.Second, f, time.Second)))
	}
	sh.Summary = summary(typ, T, sh)
	s := Scenario{
		Name:        typ,
		Type:        typ,
		Description: describe(typ, n),
		Shape:       sh,
		ThinkTime:   &ThinkTime{Min: FormatDuration(tmin), Max: FormatDuration(tmax)},
		Steps:       steps,
		TestData:    data,
	}
	var tw []string
	s.Thresholds, tw = thresholds(b, n, steps, b.average()*T, total)
	return s, append(warns, tw...)
}

// iterationSeconds is how long an iteration takes when every request
// takes the p95 target and the think time is its mean: Little's law turns
// it into the VUs an arrival rate needs.
func iterationSeconds(reqs int, p95Ms float64, thinkMean time.Duration) float64 {
	return float64(reqs)*p95Ms/1000 + float64(max(reqs-1, 0))*thinkMean.Seconds()
}

// summary describes a shape in words.
func summary(typ string, T float64, sh Shape) string {
	rps := func(frac float64) string { return formatNum(round3(T*frac)) + " rps" }
	d := func(i int) string { return sh.Stages[i].Duration }
	switch typ {
	case TypeLoad:
		return fmt.Sprintf("ramp from 0 to %s (the NFR throughput) over %s, hold %s", rps(1), d(0), d(1))
	case TypeStress:
		return fmt.Sprintf("ramp to %s over %s and hold %s, step to %s (150 %%) and hold %s, step to %s (200 %%) and hold %s, ramp down to 0 over %s",
			rps(1), d(0), d(1), rps(1.5), d(3), rps(2), d(5), d(6))
	case TypeSpike:
		return fmt.Sprintf("baseline %s (20 %%) for %s, jump ×5 to %s within %s and hold %s, drop back to %s and watch the recovery for %s",
			rps(0.2), d(1), rps(1), d(2), d(3), rps(0.2), d(5))
	case TypeEndurance:
		return fmt.Sprintf("constant %s (70 %% of the NFR throughput) for %s", rps(0.7), sh.Duration)
	case TypeScalability:
		return fmt.Sprintf("arrival rate ramps linearly from %s (10 %%) to %s (300 %%) over %s; aborts when a threshold fails", rps(0.1), rps(3), d(0))
	}
	return ""
}

// describe is a scenario's description.
func describe(typ string, n NFRs) string {
	switch typ {
	case TypeLoad:
		return "Load test: the expected peak load. The arrival rate ramps to the NFR throughput (" + n.Throughput + ") and holds it; the response-time and error-rate NFRs must hold throughout."
	case TypeStress:
		return "Stress test: the load steps to 100 %, 150 % and 200 % of the NFR throughput and back down, to see where and how the system degrades and whether it recovers. Beyond the NFR load latency may reach 2× the p95 target and errors 5× the budget (at most 10 %)."
	case TypeSpike:
		return "Spike test: from a 20 % baseline the load jumps ×5 to the NFR throughput within seconds, holds it briefly and drops back, to check that a sudden surge is absorbed (latency within 2× the p95 target) and that the system recovers."
	case TypeEndurance:
		return "Endurance (soak) test: 70 % of the NFR throughput for a long time, to reveal memory leaks, connection or disk exhaustion and slow degradation; the NFRs must hold to the end."
	case TypeScalability:
		return "Scalability (breakpoint) test: the arrival rate ramps from 10 % to 300 % of the NFR throughput; abort_on_fail thresholds stop the run as soon as the p95 or the error rate crosses its NFR. The rate reached then is the capacity."
	}
	return ""
}

// thresholds derives a scenario's thresholds from the NFRs: response time
// (p95, p99 when given, per step for the NFR file's labels), failed
// requests, checks, and the throughput where the shape offers the NFR
// throughput steadily.
func thresholds(b baseShape, n NFRs, steps []Step, avgRPS float64, total time.Duration) ([]Threshold, []string) {
	k := b.latencyK
	why := func(key, val string) string {
		if k != 1 && isLatencyKey(key) {
			return key + " " + val + " × " + formatNum(k) + " (degradation allowed beyond the NFR load)"
		}
		return key + " " + val
	}
	var out []Threshold
	add := func(metric, expr, reason string, abort bool) {
		t := Threshold{Metric: metric, Expr: expr, Why: reason}
		if abort && b.abort {
			t.AbortOnFail = true
			t.DelayAbortEval = FormatDuration(max(time.Second, (total / 10).Round(time.Second)))
		}
		out = append(out, t)
	}
	add(planspec.MetricReqDuration, "p(95) < "+formatNum(math.Round(n.P95Ms*k)), why("response_time_p95", n.ResponseTimeP95), true)
	if n.P99Ms > 0 {
		add(planspec.MetricReqDuration, "p(99) < "+formatNum(math.Round(n.P99Ms*k)), why("response_time_p99", n.ResponseTimeP99), true)
	}
	budget := n.ErrorBudget
	reason := "error budget " + formatNum(budget*100) + " % (" + budgetSource(n) + ")"
	if b.errorK > 1 {
		budget = math.Max(budget, math.Min(budget*b.errorK, 0.1))
		reason += " × " + formatNum(b.errorK) + ", at most 10 %"
	}
	if budget > 0 {
		add(planspec.MetricReqFailed, "rate < "+formatNum(budget), reason, true)
		add(planspec.MetricChecks, "rate > "+formatNum(1-budget), reason, false)
	} else {
		add(planspec.MetricReqFailed, "rate <= 0", reason, true)
		add(planspec.MetricChecks, "rate >= 1", reason, false)
	}
	if b.throughput {
		if x := math.Floor(0.9*avgRPS*100) / 100; x > 0 {
			add(planspec.MetricReqs, "rate >= "+formatNum(x), "throughput "+n.Throughput+": 90 % of the average rate the shape offers (ramp included)", false)
		}
	}
	var warns []string
	for _, l := range n.Labels {
		name := ""
		for _, s := range steps {
			if strings.EqualFold(s.Name, l.Label) {
				name = s.Name
				break
			}
		}
		tag, ok := tagValue(name)
		if name == "" || !ok {
			warns = append(warns, fmt.Sprintf("NFR for label %q: no step of the workflow has that name; not checked", oneLine(l.Label, 80)))
			continue
		}
		p := "95"
		if l.Key == "response_time_p99" {
			p = "99"
		}
		add(planspec.MetricReqDuration+"{step:"+tag+"}", "p("+p+") < "+formatNum(math.Round(l.Ms*k)), why(l.Key, l.Target)+" for "+name, false)
	}
	return out, warns
}

// budgetSource names the NFR the error budget comes from.
func budgetSource(n NFRs) string {
	if n.Availability != "" {
		return "error_rate " + n.ErrorRate + ", availability " + n.Availability
	}
	return "error_rate " + n.ErrorRate
}

// tagValue writes a step name as a threshold tag value, quoted when it
// holds a comma, brace or quote; false when it cannot be written.
func tagValue(name string) (string, bool) {
	if !strings.ContainsAny(name, ",{}\"'") && strings.TrimSpace(name) == name {
		return name, name != ""
	}
	switch {
	case !strings.Contains(name, `"`):
		return `"` + name + `"`, true
	case !strings.Contains(name, "'"):
		return "'" + name + "'", true
	}
	return "", false
}
