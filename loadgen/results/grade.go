package results

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Names of the grade's components (GradeComponent.Name), in rubric order.
// The README ("NFRs and the grading rubric") documents each one's weight and breakpoints.
const (
	ComponentNFR       = "nfr_compliance"
	ComponentErrorRate = "error_rate"
	ComponentApdex     = "apdex"
	ComponentTail      = "tail_stability"
	ComponentCO        = "co_divergence"
	// ComponentCaps is present (with no points) only when a hard cap applies.
	ComponentCaps = "caps"
)

// Risk levels of a Grade.
const (
	RiskLow    = "low"
	RiskMedium = "medium"
	RiskHigh   = "high"
)

// gradeBreakpoint is one point (x, points) of a piecewise-linear scale.
type gradeBreakpoint struct{ x, points float64 }

// Each scale gives the points at its breakpoints, x ascending; between two
// breakpoints points are interpolated linearly, beyond the ends they are
// those of the nearest end. The weights (the best points) sum to 100.
var (
	// NFR compliance: share of NFRs with data that passed, in percent.
	gradeNFRScale = []gradeBreakpoint{{0, 0}, {100, 40}}
	// Error rate: Total.ErrorPct, in percent.
	gradeErrorScale = []gradeBreakpoint{{0.1, 20}, {1, 12}, {2, 8}, {5, 0}}
	// APDEX: Total.Apdex, 0..1; the breakpoints are the APDEX rating bands
	// (unacceptable < 0.5 ≤ poor < 0.7 ≤ fair < 0.85 ≤ good < 0.94 ≤
	// excellent).
	gradeApdexScale = []gradeBreakpoint{{0.5, 0}, {0.7, 10}, {0.85, 16}, {0.94, 20}}
	// Tail stability: Total p99 / p50 (p50 floored at 1 ms).
	gradeTailScale = []gradeBreakpoint{{3, 10}, {5, 7}, {10, 3}, {20, 0}}
	// Coordinated-omission divergence: (corrected p99 − p99) / p99, percent.
	gradeCOScale = []gradeBreakpoint{{5, 10}, {20, 6}, {50, 2}, {100, 0}}
)

// Letter thresholds on the score and the hard caps' limits.
const (
	gradeA = 90
	gradeB = 80
	gradeC = 70
	gradeD = 60

	// capNFRLetter is the best letter a run with a failed NFR can get.
	capNFRLetter = "C"
	// capErrorsD: an error rate above this (percent) caps the grade at D.
	capErrorsD = 5.0
	// capErrorsF: an error rate above this (percent) makes the grade F.
	capErrorsF = 20.0
)

// Risk rules' limits.
const (
	riskHighErrorPct = 1.0  // error rate above this (percent): high
	riskHighApdex    = 0.7  // APDEX below this: high
	riskMediumTail   = 10.0 // p99/p50 above this: medium
	riskMediumCO     = 20.0 // CO divergence above this (percent): medium
	riskMediumApdex  = 0.85 // APDEX below this: medium
)

const (
	// gradeFloorMs floors the denominators of the tail ratio (p50) and of
	// the CO divergence (p99), so sub-millisecond values do not blow them up.
	gradeFloorMs = 1.0
	// gradeLetterOrder orders the letters from best to worst.
	gradeLetterOrder   = "ABCDF"
	gradeNoSamplesWhy  = "no samples: the run recorded no requests"
	gradeNoSamplesNote = "no samples"
)

// GradeRun grades a run from its analysis with the documented rubric
// (README, "NFRs and the grading rubric"): five components worth 100 points in all (NFR compliance 40,
// error rate 20, APDEX 20, tail stability 10, coordinated-omission
// divergence 10), each scored piecewise-linearly; the letter follows the
// score (A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, else F), then hard caps apply (a
// failed NFR caps at C, an error rate above 5% at D, above 20% or no
// samples gives F). Risk is the first matching rule, named in RiskWhy.
//
// NFR compliance reads a.NFRs, so fill them (NFRSpec.Check,
// CheckThresholds) first. The result depends only on a: the same analysis
// always gets the same grade. Points and the score are rounded to 0.01.
func GradeRun(a *Analysis) Grade {
	if a == nil || a.Total.Samples <= 0 {
		return gradeNoSamples()
	}
	t := &a.Total
	var comps []GradeComponent

	// NFR compliance.
	checked, passed, noData := 0, 0, 0
	var failed []string
	for _, r := range a.NFRs {
		switch {
		case r.NoData:
			noData++
		case r.Pass:
			checked++
			passed++
		default:
			checked++
			failed = append(failed, gradeNFRName(r))
		}
	}
	nfr := GradeComponent{Name: ComponentNFR, Max: 40}
	if checked == 0 {
		nfr.Value, nfr.Points = 100, 40
		nfr.Why = "no NFRs checked: full points"
		if noData > 0 {
			nfr.Why = fmt.Sprintf("no NFRs with data (%d without data, excluded): full points", noData)
		}
	} else {
		nfr.Value = 100 * float64(passed) / float64(checked)
		nfr.Points = gradeScale(gradeNFRScale, nfr.Value)
		nfr.Why = fmt.Sprintf("%d of %d NFRs passed (%s%%) → %s/40", passed, checked, gradeNum(nfr.Value, 1), gradeNum(nfr.Points, 2))
		if noData > 0 {
			nfr.Why += fmt.Sprintf("; %d without data excluded", noData)
		}
		if len(failed) > 0 {
			nfr.Why += "; failed: " + gradeList(failed, 5)
		}
	}
	comps = append(comps, nfr)

	// Error rate.
	comps = append(comps, gradeComponent(ComponentErrorRate, 20, t.ErrorPct, gradeErrorScale,
		func(v string) string { return "error rate " + v + "%" }, "%"))

	// APDEX.
	apdexWhat := "APDEX "
	if a.ApdexSatisfiedMs > 0 {
		apdexWhat = fmt.Sprintf("APDEX (T %sms, F %sms) ", gradeNum(a.ApdexSatisfiedMs, 0), gradeNum(a.ApdexToleratedMs, 0))
	}
	comps = append(comps, gradeComponent(ComponentApdex, 20, t.Apdex, gradeApdexScale,
		func(v string) string { return apdexWhat + v }, ""))

	// Tail stability.
	tail := gradeTailRatio(t)
	comps = append(comps, gradeComponent(ComponentTail, 10, tail, gradeTailScale,
		func(v string) string {
			return fmt.Sprintf("p99/p50 = %sms/%sms = %s", gradeNum(t.P99, 1), gradeNum(t.Median, 1), v)
		}, ""))

	// Coordinated-omission divergence.
	co, hasCO := gradeCODivergence(t)
	if hasCO {
		comps = append(comps, gradeComponent(ComponentCO, 10, co, gradeCOScale,
			func(v string) string {
				return fmt.Sprintf("corrected p99 %sms vs p99 %sms: divergence %s%%", gradeNum(t.CorrectedP99, 1), gradeNum(t.P99, 1), v)
			}, "%"))
	} else {
		comps = append(comps, GradeComponent{Name: ComponentCO, Value: 0, Points: 10, Max: 10,
			Why: "no corrected latencies (no HDR log with corrected data): full points"})
	}

	var score float64
	for _, c := range comps {
		score += c.Points
	}
	score = gradeRound(score)
	letter := gradeLetter(score)

	// Hard caps.
	var caps []string
	final := letter
	apply := func(cap, why string) {
		caps = append(caps, "at most "+cap+" ("+why+")")
		final = gradeWorse(final, cap)
	}
	if len(failed) > 0 {
		apply(capNFRLetter, fmt.Sprintf("%d of %d NFRs failed", len(failed), checked))
	}
	if t.ErrorPct > capErrorsD {
		apply("D", fmt.Sprintf("error rate %s%% > %s%%", gradeNum(t.ErrorPct, 2), gradeNum(capErrorsD, 0)))
	}
	if t.ErrorPct > capErrorsF {
		apply("F", fmt.Sprintf("error rate %s%% > %s%%", gradeNum(t.ErrorPct, 2), gradeNum(capErrorsF, 0)))
	}
	if len(caps) > 0 {
		why := "caps: " + strings.Join(caps, "; ") + "; score letter " + letter
		if final != letter {
			why += " → " + final
		} else {
			why += " unchanged"
		}
		comps = append(comps, GradeComponent{Name: ComponentCaps, Why: why})
	}

	g := Grade{Letter: final, Score: score, Components: comps}
	g.Risk, g.RiskWhy = gradeRisk(a, failed, checked, tail, co, hasCO)
	return g
}

// gradeNoSamples is the grade of a run without samples.
func gradeNoSamples() Grade {
	comps := []GradeComponent{
		{Name: ComponentNFR, Max: 40},
		{Name: ComponentErrorRate, Max: 20},
		{Name: ComponentApdex, Max: 20},
		{Name: ComponentTail, Max: 10},
		{Name: ComponentCO, Max: 10},
	}
	for i := range comps {
		comps[i].Why = gradeNoSamplesNote + ": 0 points"
	}
	comps = append(comps, GradeComponent{Name: ComponentCaps, Why: "caps: F (" + gradeNoSamplesNote + ")"})
	return Grade{Letter: "F", Score: 0, Risk: RiskHigh, RiskWhy: gradeNoSamplesWhy, Components: comps}
}

// gradeComponent scores one measured value on a scale. what renders the
// measured value for Why; unit follows breakpoint values in Why.
func gradeComponent(name string, maxPoints, value float64, scale []gradeBreakpoint, what func(string) string, unit string) GradeComponent {
	c := GradeComponent{Name: name, Max: maxPoints}
	if math.IsNaN(value) || math.IsInf(value, 0) {
		c.Why = what("not a number") + " → 0/" + gradeNum(maxPoints, 0)
		return c
	}
	c.Value = value
	c.Points = gradeScale(scale, value)
	c.Why = what(gradeNum(value, 3)) + " → " + gradeNum(c.Points, 2) + "/" + gradeNum(maxPoints, 0) + " (" + gradeSegment(scale, value, unit) + ")"
	return c
}

// gradeScale interpolates the points of x on a scale, rounded to 0.01.
func gradeScale(scale []gradeBreakpoint, x float64) float64 {
	if math.IsNaN(x) {
		return 0
	}
	first, last := scale[0], scale[len(scale)-1]
	if x <= first.x {
		return gradeRound(first.points)
	}
	if x >= last.x {
		return gradeRound(last.points)
	}
	for i := 1; i < len(scale); i++ {
		lo, hi := scale[i-1], scale[i]
		if x <= hi.x {
			f := (x - lo.x) / (hi.x - lo.x)
			return gradeRound(lo.points + f*(hi.points-lo.points))
		}
	}
	return gradeRound(last.points)
}

// gradeSegment describes where x falls on the scale: "≤0.1%: 20",
// "between 1% (12) and 2% (8)", "≥5%: 0".
func gradeSegment(scale []gradeBreakpoint, x float64, unit string) string {
	first, last := scale[0], scale[len(scale)-1]
	rel := func(b gradeBreakpoint) string { return gradeNum(b.x, 3) + unit }
	if x <= first.x {
		return "≤" + rel(first) + " scores " + gradeNum(first.points, 2)
	}
	if x >= last.x {
		return "≥" + rel(last) + " scores " + gradeNum(last.points, 2)
	}
	for i := 1; i < len(scale); i++ {
		lo, hi := scale[i-1], scale[i]
		if x <= hi.x {
			return "between " + rel(lo) + " (" + gradeNum(lo.points, 2) + ") and " + rel(hi) + " (" + gradeNum(hi.points, 2) + ")"
		}
	}
	return ""
}

// gradeTailRatio is Total p99 / p50 with p50 floored at 1 ms, so that
// sub-millisecond medians do not blow the ratio up.
func gradeTailRatio(t *LabelStats) float64 {
	return t.P99 / math.Max(t.Median, gradeFloorMs)
}

// gradeCODivergence is (corrected p99 − p99)/p99 in percent (p99 floored at
// 1 ms), and whether corrected data exists.
func gradeCODivergence(t *LabelStats) (float64, bool) {
	if t.CorrectedP99 <= 0 {
		return 0, false
	}
	return 100 * (t.CorrectedP99 - t.P99) / math.Max(t.P99, gradeFloorMs), true
}

// gradeRisk applies the risk rules in order; the first that matches sets
// the level and its reason.
func gradeRisk(a *Analysis, failed []string, checked int, tail, co float64, hasCO bool) (string, string) {
	t := &a.Total
	switch {
	case len(failed) > 0:
		return RiskHigh, fmt.Sprintf("failed NFR: %d of %d failed (%s)", len(failed), checked, gradeList(failed, 3))
	case t.ErrorPct > riskHighErrorPct:
		return RiskHigh, fmt.Sprintf("error rate %s%% > %s%%", gradeNum(t.ErrorPct, 3), gradeNum(riskHighErrorPct, 0))
	case t.Apdex < riskHighApdex:
		return RiskHigh, fmt.Sprintf("APDEX %s < %s", gradeNum(t.Apdex, 3), gradeNum(riskHighApdex, 2))
	case tail > riskMediumTail:
		return RiskMedium, fmt.Sprintf("tail ratio p99/p50 %s > %s", gradeNum(tail, 2), gradeNum(riskMediumTail, 0))
	case hasCO && co > riskMediumCO:
		return RiskMedium, fmt.Sprintf("coordinated-omission divergence %s%% > %s%%", gradeNum(co, 1), gradeNum(riskMediumCO, 0))
	case t.Apdex < riskMediumApdex:
		return RiskMedium, fmt.Sprintf("APDEX %s < %s", gradeNum(t.Apdex, 3), gradeNum(riskMediumApdex, 2))
	}
	why := fmt.Sprintf("no risk rule fired: error rate %s%%, APDEX %s, tail ratio %s", gradeNum(t.ErrorPct, 3), gradeNum(t.Apdex, 3), gradeNum(tail, 2))
	if hasCO {
		why += ", CO divergence " + gradeNum(co, 1) + "%"
	}
	if checked > 0 {
		why += fmt.Sprintf(", all %d NFRs passed", checked)
	}
	return RiskLow, why
}

// gradeLetter maps a score to a letter.
func gradeLetter(score float64) string {
	switch {
	case score >= gradeA:
		return "A"
	case score >= gradeB:
		return "B"
	case score >= gradeC:
		return "C"
	case score >= gradeD:
		return "D"
	}
	return "F"
}

// gradeWorse returns the worse of two letters.
func gradeWorse(a, b string) string {
	if strings.Index(gradeLetterOrder, b) > strings.Index(gradeLetterOrder, a) {
		return b
	}
	return a
}

// gradeNFRName names a result for messages: "response_time_p95 [login]";
// a threshold key with a tag filter already names its label.
func gradeNFRName(r NFRResult) string {
	if r.Label != "" && !strings.Contains(r.Name, "{") {
		return r.Name + " [" + r.Label + "]"
	}
	return r.Name
}

// gradeList joins up to n names, then "and K more".
func gradeList(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + fmt.Sprintf(" and %d more", len(names)-n)
}

// gradeRound rounds to 0.01.
func gradeRound(v float64) float64 { return math.Round(v*100) / 100 }

// gradeNum formats v with at most prec decimals, trailing zeros dropped.
func gradeNum(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}
