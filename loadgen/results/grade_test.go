package results

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

// gradeBase is a flawless run: no errors, APDEX 1, p99/p50 = 2, no
// corrected data, no NFRs. It scores 100.
func gradeBase() *Analysis {
	return &Analysis{
		DurationS:        60,
		ApdexSatisfiedMs: 500,
		ApdexToleratedMs: 1500,
		Total: LabelStats{
			Label: "Total", Samples: 6000, Mean: 110, Min: 20, Max: 400,
			Median: 100, P90: 150, P95: 170, P99: 200, Throughput: 100, Apdex: 1,
		},
	}
}

// nfrs returns n results of which the first failed ones fail.
func gradeNFRs(n, failed, noData int) []NFRResult {
	var out []NFRResult
	for i := range n {
		out = append(out, NFRResult{Name: "response_time_p95", Label: string(rune('a' + i)), Pass: i >= failed})
	}
	for range noData {
		out = append(out, NFRResult{Name: "checks", Pass: true, NoData: true})
	}
	return out
}

// component finds a component by name.
func component(g Grade, name string) (GradeComponent, bool) {
	for _, c := range g.Components {
		if c.Name == name {
			return c, true
		}
	}
	return GradeComponent{}, false
}

func TestGradeRun_ComponentBreakpoints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		comp   string
		mutate func(a *Analysis)
		value  float64
		points float64
		why    string
	}{
		// NFR compliance: linear, 0% → 0, 100% → 40; no-data excluded.
		{"no NFRs", ComponentNFR, func(a *Analysis) {}, 100, 40, "no NFRs checked: full points"},
		{"only no-data NFRs", ComponentNFR, func(a *Analysis) { a.NFRs = gradeNFRs(0, 0, 2) }, 100, 40, "no NFRs with data (2 without data, excluded): full points"},
		{"all NFRs pass", ComponentNFR, func(a *Analysis) { a.NFRs = gradeNFRs(4, 0, 1) }, 100, 40, "4 of 4 NFRs passed (100%) → 40/40; 1 without data excluded"},
		{"3 of 4 NFRs", ComponentNFR, func(a *Analysis) { a.NFRs = gradeNFRs(4, 1, 3) }, 75, 30, "3 of 4 NFRs passed (75%) → 30/40; 3 without data excluded; failed: response_time_p95 [a]"},
		{"no NFR passes", ComponentNFR, func(a *Analysis) { a.NFRs = gradeNFRs(7, 7, 0) }, 0, 0, "failed: response_time_p95 [a], response_time_p95 [b], response_time_p95 [c], response_time_p95 [d], response_time_p95 [e] and 2 more"},
		// Error rate: ≤0.1% 20, 1% 12, 2% 8, ≥5% 0.
		{"errors 0%", ComponentErrorRate, func(a *Analysis) { a.Total.ErrorPct = 0 }, 0, 20, "error rate 0% → 20/20 (≤0.1% scores 20)"},
		{"errors 0.1%", ComponentErrorRate, func(a *Analysis) { a.Total.ErrorPct = 0.1 }, 0.1, 20, "≤0.1% scores 20"},
		{"errors 0.55%", ComponentErrorRate, func(a *Analysis) { a.Total.ErrorPct = 0.55 }, 0.55, 16, "error rate 0.55% → 16/20 (between 0.1% (20) and 1% (12))"},
		{"errors 1%", ComponentErrorRate, func(a *Analysis) { a.Total.ErrorPct = 1 }, 1, 12, ""},
		{"errors 1.5%", ComponentErrorRate, func(a *Analysis) { a.Total.ErrorPct = 1.5 }, 1.5, 10, "between 1% (12) and 2% (8)"},
		{"errors 2%", ComponentErrorRate, func(a *Analysis) { a.Total.ErrorPct = 2 }, 2, 8, ""},
		{"errors 3.5%", ComponentErrorRate, func(a *Analysis) { a.Total.ErrorPct = 3.5 }, 3.5, 4, ""},
		{"errors 5%", ComponentErrorRate, func(a *Analysis) { a.Total.ErrorPct = 5 }, 5, 0, "≥5% scores 0"},
		{"errors 50%", ComponentErrorRate, func(a *Analysis) { a.Total.ErrorPct = 50 }, 50, 0, ""},
		// APDEX: ≤0.5 0, 0.7 10, 0.85 16, ≥0.94 20.
		{"apdex 1", ComponentApdex, func(a *Analysis) {}, 1, 20, "APDEX (T 500ms, F 1500ms) 1 → 20/20 (≥0.94 scores 20)"},
		{"apdex 0.94", ComponentApdex, func(a *Analysis) { a.Total.Apdex = 0.94 }, 0.94, 20, ""},
		{"apdex 0.895", ComponentApdex, func(a *Analysis) { a.Total.Apdex = 0.895 }, 0.895, 18, "between 0.85 (16) and 0.94 (20)"},
		{"apdex 0.85", ComponentApdex, func(a *Analysis) { a.Total.Apdex = 0.85 }, 0.85, 16, ""},
		{"apdex 0.775", ComponentApdex, func(a *Analysis) { a.Total.Apdex = 0.775 }, 0.775, 13, ""},
		{"apdex 0.7", ComponentApdex, func(a *Analysis) { a.Total.Apdex = 0.7 }, 0.7, 10, ""},
		{"apdex 0.6", ComponentApdex, func(a *Analysis) { a.Total.Apdex = 0.6 }, 0.6, 5, ""},
		{"apdex 0.5", ComponentApdex, func(a *Analysis) { a.Total.Apdex = 0.5 }, 0.5, 0, "≤0.5 scores 0"},
		{"apdex 0.2", ComponentApdex, func(a *Analysis) { a.Total.Apdex = 0.2 }, 0.2, 0, ""},
		{"apdex without thresholds", ComponentApdex, func(a *Analysis) { a.ApdexSatisfiedMs = 0 }, 1, 20, "APDEX 1 → 20/20"},
		// Tail stability p99/p50: ≤3 10, 5 7, 10 3, ≥20 0.
		{"tail 2", ComponentTail, func(a *Analysis) {}, 2, 10, "p99/p50 = 200ms/100ms = 2 → 10/10 (≤3 scores 10)"},
		{"tail 3", ComponentTail, func(a *Analysis) { a.Total.P99 = 300 }, 3, 10, ""},
		{"tail 4", ComponentTail, func(a *Analysis) { a.Total.P99 = 400 }, 4, 8.5, "between 3 (10) and 5 (7)"},
		{"tail 5", ComponentTail, func(a *Analysis) { a.Total.P99 = 500 }, 5, 7, ""},
		{"tail 7.5", ComponentTail, func(a *Analysis) { a.Total.P99 = 750 }, 7.5, 5, ""},
		{"tail 10", ComponentTail, func(a *Analysis) { a.Total.P99 = 1000 }, 10, 3, ""},
		{"tail 15", ComponentTail, func(a *Analysis) { a.Total.P99 = 1500 }, 15, 1.5, ""},
		{"tail 20", ComponentTail, func(a *Analysis) { a.Total.P99 = 2000 }, 20, 0, "≥20 scores 0"},
		{"tail 100", ComponentTail, func(a *Analysis) { a.Total.P99 = 10000 }, 100, 0, ""},
		{"tail sub-ms median floored", ComponentTail, func(a *Analysis) { a.Total.Median, a.Total.P99 = 0.2, 4 }, 4, 8.5, "p99/p50 = 4ms/0.2ms = 4"},
		{"tail zero median", ComponentTail, func(a *Analysis) { a.Total.Median, a.Total.P99 = 0, 0 }, 0, 10, ""},
		// CO divergence: ≤5% 10, 20% 6, 50% 2, ≥100% 0; no corrected data: 10.
		{"no corrected data", ComponentCO, func(a *Analysis) {}, 0, 10, "no corrected latencies (no HDR log with corrected data): full points"},
		{"co -10%", ComponentCO, func(a *Analysis) { a.Total.CorrectedP99 = 180 }, -10, 10, ""},
		{"co 0%", ComponentCO, func(a *Analysis) { a.Total.CorrectedP99 = 200 }, 0, 10, "corrected p99 200ms vs p99 200ms: divergence 0% → 10/10 (≤5% scores 10)"},
		{"co 5%", ComponentCO, func(a *Analysis) { a.Total.CorrectedP99 = 210 }, 5, 10, ""},
		{"co 12.5%", ComponentCO, func(a *Analysis) { a.Total.CorrectedP99 = 225 }, 12.5, 8, "between 5% (10) and 20% (6)"},
		{"co 20%", ComponentCO, func(a *Analysis) { a.Total.CorrectedP99 = 240 }, 20, 6, ""},
		{"co 35%", ComponentCO, func(a *Analysis) { a.Total.CorrectedP99 = 270 }, 35, 4, ""},
		{"co 50%", ComponentCO, func(a *Analysis) { a.Total.CorrectedP99 = 300 }, 50, 2, ""},
		{"co 75%", ComponentCO, func(a *Analysis) { a.Total.CorrectedP99 = 350 }, 75, 1, ""},
		{"co 100%", ComponentCO, func(a *Analysis) { a.Total.CorrectedP99 = 400 }, 100, 0, "≥100% scores 0"},
		{"co 900%", ComponentCO, func(a *Analysis) { a.Total.CorrectedP99 = 2000 }, 900, 0, ""},
	}
	for _, tt := range tests {
		a := gradeBase()
		tt.mutate(a)
		g := GradeRun(a)
		c, ok := component(g, tt.comp)
		if !ok {
			t.Errorf("%s: no component %s", tt.name, tt.comp)
			continue
		}
		if math.Abs(c.Value-tt.value) > 1e-9 || c.Points != tt.points {
			t.Errorf("%s: value %v points %v, want %v and %v (%s)", tt.name, c.Value, c.Points, tt.value, tt.points, c.Why)
		}
		if !strings.Contains(c.Why, tt.why) {
			t.Errorf("%s: why %q does not contain %q", tt.name, c.Why, tt.why)
		}
	}
}

func TestGradeRun_LettersAndCaps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(a *Analysis)
		score  float64
		letter string
		caps   string // "" = no caps component
	}{
		{"flawless", func(a *Analysis) {}, 100, "A", ""},
		{"90 is A", func(a *Analysis) { a.Total.Apdex = 0.7 }, 90, "A", ""},
		{"89.99 is B", func(a *Analysis) { a.Total.Apdex = 0.6998 }, 89.99, "B", ""},
		{"80 is B", func(a *Analysis) { a.Total.Apdex = 0.5 }, 80, "B", ""},
		{"79.99 is C", func(a *Analysis) { a.Total.Apdex = 0.5; a.Total.ErrorPct = 0.101125 }, 79.99, "C", ""},
		{"70 is C", func(a *Analysis) { a.Total.Apdex = 0.5; a.Total.P99 = 2000 }, 70, "C", ""},
		{"60 is D", func(a *Analysis) { a.Total.Apdex = 0.5; a.Total.P99 = 2000; a.Total.CorrectedP99 = 4000 }, 60, "D", ""},
		{"59.99 is F", func(a *Analysis) {
			a.Total.Apdex = 0.5
			a.Total.P99 = 2000
			a.Total.CorrectedP99 = 4000
			a.Total.ErrorPct = 0.101125
		}, 59.99, "F", ""},
		{"failed NFR caps an A at C", func(a *Analysis) { a.NFRs = gradeNFRs(10, 1, 0) }, 96, "C",
			"caps: at most C (1 of 10 NFRs failed); score letter A → C"},
		{"failed NFR leaves an F alone", func(a *Analysis) {
			a.NFRs = gradeNFRs(2, 2, 0)
			a.Total.Apdex = 0.5
		}, 40, "F", "caps: at most C (2 of 2 NFRs failed); score letter F unchanged"},
		{"5% errors are not capped", func(a *Analysis) { a.Total.ErrorPct = 5 }, 80, "B", ""},
		{"5.01% errors cap at D", func(a *Analysis) { a.Total.ErrorPct = 5.01 }, 80, "D",
			"caps: at most D (error rate 5.01% > 5%); score letter B → D"},
		{"20% errors cap at D", func(a *Analysis) { a.Total.ErrorPct = 20 }, 80, "D", "at most D"},
		{"20.5% errors give F", func(a *Analysis) { a.Total.ErrorPct = 20.5 }, 80, "F",
			"caps: at most D (error rate 20.5% > 5%); at most F (error rate 20.5% > 20%); score letter B → F"},
		{"NFR and error caps", func(a *Analysis) {
			a.NFRs = gradeNFRs(2, 1, 0)
			a.Total.ErrorPct = 6
		}, 60, "D", "caps: at most C (1 of 2 NFRs failed); at most D (error rate 6% > 5%); score letter D unchanged"},
		{"no samples", func(a *Analysis) { a.Total.Samples = 0 }, 0, "F", "caps: F (no samples)"},
	}
	for _, tt := range tests {
		a := gradeBase()
		tt.mutate(a)
		g := GradeRun(a)
		if g.Score != tt.score || g.Letter != tt.letter {
			t.Errorf("%s: score %v letter %s, want %v %s; %+v", tt.name, g.Score, g.Letter, tt.score, tt.letter, g.Components)
		}
		c, ok := component(g, ComponentCaps)
		switch {
		case tt.caps == "" && ok:
			t.Errorf("%s: unexpected caps component %q", tt.name, c.Why)
		case tt.caps != "" && !ok:
			t.Errorf("%s: no caps component", tt.name)
		case ok && (!strings.Contains(c.Why, tt.caps) || c.Points != 0 || c.Max != 0):
			t.Errorf("%s: caps %+v, want why containing %q", tt.name, c, tt.caps)
		}
	}
}

func TestGradeLetter(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		score  float64
		letter string
	}{{100, "A"}, {90, "A"}, {89.99, "B"}, {80, "B"}, {79.99, "C"}, {70, "C"}, {69.99, "D"}, {60, "D"}, {59.99, "F"}, {0, "F"}} {
		if got := gradeLetter(tt.score); got != tt.letter {
			t.Errorf("gradeLetter(%v) = %s, want %s", tt.score, got, tt.letter)
		}
	}
}

func TestGradeRun_Risk(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(a *Analysis)
		risk   string
		why    string
	}{
		{"low", func(a *Analysis) {}, RiskLow, "no risk rule fired: error rate 0%, APDEX 1, tail ratio 2"},
		{"low with NFRs and CO", func(a *Analysis) { a.NFRs = gradeNFRs(3, 0, 1); a.Total.CorrectedP99 = 220 }, RiskLow,
			"no risk rule fired: error rate 0%, APDEX 1, tail ratio 2, CO divergence 10%, all 3 NFRs passed"},
		{"failed NFR", func(a *Analysis) { a.NFRs = gradeNFRs(3, 1, 0) }, RiskHigh, "failed NFR: 1 of 3 failed (response_time_p95 [a])"},
		{"failed NFR first", func(a *Analysis) {
			a.NFRs = []NFRResult{{Name: "http_req_duration{step:login}", Label: "login"}}
			a.Total.ErrorPct = 3
			a.Total.Apdex = 0.1
		}, RiskHigh, "failed NFR: 1 of 1 failed (http_req_duration{step:login})"},
		{"error rate 1% is not high", func(a *Analysis) { a.Total.ErrorPct = 1 }, RiskLow, ""},
		{"error rate above 1%", func(a *Analysis) { a.Total.ErrorPct = 1.01 }, RiskHigh, "error rate 1.01% > 1%"},
		{"error rate before APDEX", func(a *Analysis) { a.Total.ErrorPct = 2; a.Total.Apdex = 0.2 }, RiskHigh, "error rate 2% > 1%"},
		{"APDEX 0.7 is medium", func(a *Analysis) { a.Total.Apdex = 0.7 }, RiskMedium, "APDEX 0.7 < 0.85"},
		{"APDEX below 0.7", func(a *Analysis) { a.Total.Apdex = 0.69 }, RiskHigh, "APDEX 0.69 < 0.7"},
		{"tail 10 is low", func(a *Analysis) { a.Total.P99 = 1000 }, RiskLow, ""},
		{"tail above 10", func(a *Analysis) { a.Total.P99 = 1050 }, RiskMedium, "tail ratio p99/p50 10.5 > 10"},
		{"tail before APDEX", func(a *Analysis) { a.Total.P99 = 1200; a.Total.Apdex = 0.8 }, RiskMedium, "tail ratio p99/p50 12 > 10"},
		{"CO 20% is low", func(a *Analysis) { a.Total.CorrectedP99 = 240 }, RiskLow, ""},
		{"CO above 20%", func(a *Analysis) { a.Total.CorrectedP99 = 242 }, RiskMedium, "coordinated-omission divergence 21% > 20%"},
		{"CO before APDEX", func(a *Analysis) { a.Total.CorrectedP99 = 300; a.Total.Apdex = 0.8 }, RiskMedium, "coordinated-omission divergence 50% > 20%"},
		{"APDEX 0.85 is low", func(a *Analysis) { a.Total.Apdex = 0.85 }, RiskLow, ""},
		{"APDEX below 0.85", func(a *Analysis) { a.Total.Apdex = 0.849 }, RiskMedium, "APDEX 0.849 < 0.85"},
		{"no samples", func(a *Analysis) { a.Total.Samples = 0 }, RiskHigh, "no samples: the run recorded no requests"},
	}
	for _, tt := range tests {
		a := gradeBase()
		tt.mutate(a)
		g := GradeRun(a)
		if g.Risk != tt.risk || !strings.Contains(g.RiskWhy, tt.why) {
			t.Errorf("%s: risk %s (%q), want %s (%q)", tt.name, g.Risk, g.RiskWhy, tt.risk, tt.why)
		}
	}
}

func TestGradeRun_Invariants(t *testing.T) {
	t.Parallel()
	runs := map[string]*Analysis{"flawless": gradeBase(), "nil": nil}
	mixed := gradeBase()
	mixed.NFRs = gradeNFRs(5, 2, 1)
	mixed.Total.ErrorPct, mixed.Total.Apdex = 0.7, 0.81
	mixed.Total.P99, mixed.Total.CorrectedP99 = 777, 901
	runs["mixed"] = mixed
	weird := gradeBase()
	weird.Total.Apdex, weird.Total.ErrorPct, weird.Total.P99 = math.NaN(), math.Inf(1), math.NaN()
	runs["non-finite"] = weird
	for name, a := range runs {
		var before []byte
		if a != nil {
			before, _ = json.Marshal(a)
		}
		g1, g2 := GradeRun(a), GradeRun(a)
		if !reflect.DeepEqual(g1, g2) {
			t.Errorf("%s: not deterministic:\n%+v\n%+v", name, g1, g2)
		}
		if a != nil {
			if after, _ := json.Marshal(a); string(after) != string(before) {
				t.Errorf("%s: GradeRun modified its input", name)
			}
		}
		if _, err := json.Marshal(g1); err != nil {
			t.Errorf("%s: grade does not marshal: %v", name, err)
		}
		var sumMax, sumPoints float64
		for _, c := range g1.Components {
			sumMax += c.Max
			sumPoints += c.Points
			if c.Why == "" || c.Name == "" {
				t.Errorf("%s: component without name or why: %+v", name, c)
			}
			if c.Points < 0 || c.Points > c.Max {
				t.Errorf("%s: %s points %v out of 0..%v", name, c.Name, c.Points, c.Max)
			}
		}
		if sumMax != 100 {
			t.Errorf("%s: weights sum to %v", name, sumMax)
		}
		if math.Abs(sumPoints-g1.Score) > 1e-9 {
			t.Errorf("%s: points sum to %v, score %v", name, sumPoints, g1.Score)
		}
		if !strings.Contains("ABCDF", g1.Letter) || len(g1.Letter) != 1 || g1.RiskWhy == "" {
			t.Errorf("%s: grade %+v", name, g1)
		}
	}
	if g := GradeRun(mixed); g.Letter != "C" && g.Letter != "D" && g.Letter != "F" {
		t.Errorf("mixed: letter %s despite failed NFRs", g.Letter)
	}
}
