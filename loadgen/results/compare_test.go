package results

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// cmpRun builds a run with the given labels and a Total.
func cmpRun(name string, total LabelStats, labels ...LabelStats) *Analysis {
	total.Label = "Total"
	return &Analysis{Source: Source{JTL: name}, Total: total, Labels: labels}
}

func cmpLS(label string, thr, p95, p99, errPct float64) LabelStats {
	return LabelStats{Label: label, Samples: 1000, Throughput: thr, P95: p95, P99: p99, ErrorPct: errPct}
}

func cmpFind(t *testing.T, c *Comparison, label string) LabelDelta {
	t.Helper()
	for _, d := range c.Labels {
		if d.Label == label && !d.Total {
			return d
		}
	}
	t.Fatalf("label %q not in the comparison", label)
	return LabelDelta{}
}

func TestCompare_RulesAtTheirBoundaries(t *testing.T) {
	base := cmpLS("api", 200, 100, 400, 0.5)
	for _, c := range []struct {
		name      string
		new       LabelStats
		regressed bool
		why       string
	}{
		{"unchanged", cmpLS("api", 200, 100, 400, 0.5), false, ""},
		// throughput: a drop of exactly 10% is allowed, more is not
		{"throughput -10%", cmpLS("api", 180, 100, 400, 0.5), false, ""},
		{"throughput -10.5%", cmpLS("api", 179, 100, 400, 0.5), true, "throughput -10.50% (200.00 -> 179.00 /s), more than the 10% allowed drop"},
		{"throughput +50%", cmpLS("api", 300, 100, 400, 0.5), false, ""},
		// p95: a rise of exactly 10% is allowed
		{"p95 +10%", cmpLS("api", 200, 110, 400, 0.5), false, ""},
		{"p95 +10.1%", cmpLS("api", 200, 110.1, 400, 0.5), true, "p95 +10.10% (100.00 -> 110.10 ms), more than the 10% allowed rise"},
		{"p95 -40%", cmpLS("api", 200, 60, 400, 0.5), false, ""},
		// p99 likewise
		{"p99 +10%", cmpLS("api", 200, 100, 440, 0.5), false, ""},
		{"p99 +10.25%", cmpLS("api", 200, 100, 441, 0.5), true, "p99 +10.25% (400.00 -> 441.00 ms), more than the 10% allowed rise"},
		// error rate: a rise of exactly 1 point is allowed
		{"errors +1 point", cmpLS("api", 200, 100, 400, 1.5), false, ""},
		{"errors +1.01 points", cmpLS("api", 200, 100, 400, 1.51), true, "error rate +1.01 points (0.50% -> 1.51%), more than the 1 points allowed"},
		{"errors down", cmpLS("api", 200, 100, 400, 0), false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmp := Compare(cmpRun("base.jtl", base, base), cmpRun("new.jtl", c.new, c.new), Tolerances{})
			d := cmpFind(t, cmp, "api")
			if d.Regressed != c.regressed {
				t.Fatalf("Regressed = %v, want %v (why %q)", d.Regressed, c.regressed, d.Why)
			}
			if c.why != "" && (len(d.Why) != 1 || d.Why[0] != c.why) {
				t.Errorf("Why = %q, want [%q]", d.Why, c.why)
			}
			if !c.regressed && len(d.Why) != 0 {
				t.Errorf("Why = %q for a label that did not regress", d.Why)
			}
			// The Total row follows the same rules, so both regress.
			total := cmp.Labels[len(cmp.Labels)-1]
			if !total.Total || total.Label != "Total" || total.Regressed != c.regressed {
				t.Errorf("Total row %+v", total)
			}
			if want := map[bool]int{false: 0, true: 2}[c.regressed]; cmp.Regressions != want {
				t.Errorf("Regressions = %d, want %d", cmp.Regressions, want)
			}
		})
	}
}

func TestCompare_DeltasAndTolerances(t *testing.T) {
	base := cmpLS("api", 200, 100, 400, 0.5)
	new := cmpLS("api", 150, 130, 380, 2.5)
	cmp := Compare(cmpRun("b", base, base), cmpRun("n", new, new), Tolerances{ThroughputPct: 30, P95Pct: 35})
	if got, want := cmp.Tolerance, (Tolerances{ThroughputPct: 30, P95Pct: 35, P99Pct: 10, ErrorPctPoints: 1}); got != want {
		t.Errorf("tolerances %+v, want %+v (zero fields take the defaults)", got, want)
	}
	d := cmpFind(t, cmp, "api")
	if *d.ThroughputPct != -25 || *d.P95Pct != 30 || *d.P99Pct != -5 || d.ErrorPctPoints != 2 {
		t.Errorf("deltas %v %v %v %v", *d.ThroughputPct, *d.P95Pct, *d.P99Pct, d.ErrorPctPoints)
	}
	// Only the error rate breaks these tolerances.
	if !d.Regressed || len(d.Why) != 1 || !strings.HasPrefix(d.Why[0], "error rate +2.00 points") {
		t.Errorf("Why = %q", d.Why)
	}
	if cmp.Base != "b" || cmp.New != "n" {
		t.Errorf("names %q %q", cmp.Base, cmp.New)
	}
	// Several broken rules give one reason each.
	d = cmpFind(t, Compare(cmpRun("b", base, base), cmpRun("n", new, new), DefaultTolerances), "api")
	if len(d.Why) != 3 {
		t.Errorf("Why = %q, want throughput, p95 and error rate", d.Why)
	}
}

func TestCompare_ZeroBase(t *testing.T) {
	base := cmpLS("fast", 0, 0, 0, 0)
	for _, c := range []struct {
		name      string
		new       LabelStats
		regressed bool
	}{
		{"all zero", cmpLS("fast", 0, 0, 0, 0), false},
		{"throughput from zero", cmpLS("fast", 5, 0, 0, 0), false},
		{"p95 from zero", cmpLS("fast", 0, 1, 0, 0), true},
		{"p99 from zero", cmpLS("fast", 0, 0, 2, 0), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := cmpFind(t, Compare(cmpRun("b", LabelStats{}, base), cmpRun("n", LabelStats{}, c.new), Tolerances{}), "fast")
			if d.Regressed != c.regressed {
				t.Errorf("Regressed = %v, want %v (why %q)", d.Regressed, c.regressed, d.Why)
			}
			if (d.ThroughputPct == nil) != (c.new.Throughput != 0) || (d.P95Pct == nil) != (c.new.P95 != 0) {
				t.Errorf("relative changes from zero: %v %v, want nil only where the new value is not zero", d.ThroughputPct, d.P95Pct)
			}
		})
	}
	// JSON stays valid: undefined changes are left out, never NaN or Inf.
	d := cmpFind(t, Compare(cmpRun("b", LabelStats{}, base), cmpRun("n", LabelStats{}, cmpLS("fast", 5, 1, 2, 0)), Tolerances{}), "fast")
	if _, err := json.Marshal(d); err != nil {
		t.Errorf("json: %v", err)
	}
}

func TestCompare_MissingLabels(t *testing.T) {
	shared := cmpLS("shared", 100, 10, 20, 0)
	gone := cmpLS("gone", 100, 10, 20, 0)
	added := cmpLS("added", 1, 1000, 2000, 100)
	tc := cmpLS("flow", 10, 100, 200, 0)
	tc.Transaction = true
	cmp := Compare(cmpRun("b", shared, shared, gone, tc), cmpRun("n", shared, added, shared, tc), Tolerances{})
	var order []string
	for _, d := range cmp.Labels {
		order = append(order, d.Label)
	}
	if got, want := fmt.Sprint(order), "[added flow gone shared Total]"; got != want {
		t.Errorf("order %s, want %s", got, want)
	}
	if d := cmpFind(t, cmp, "gone"); d.Missing != "new" || d.Regressed || d.Base.Samples != 1000 || d.New != (CompareStats{}) || d.ThroughputPct != nil {
		t.Errorf("label only in base: %+v", d)
	}
	if d := cmpFind(t, cmp, "added"); d.Missing != "base" || d.Regressed || d.New.P95 != 1000 || d.Base != (CompareStats{}) {
		t.Errorf("label only in new: %+v", d)
	}
	if d := cmpFind(t, cmp, "flow"); !d.Transaction || d.Missing != "" {
		t.Errorf("transaction label: %+v", d)
	}
	if cmp.Regressions != 0 {
		t.Errorf("Regressions = %d, want 0", cmp.Regressions)
	}
	// nil runs count as empty.
	if c := Compare(nil, nil, Tolerances{}); len(c.Labels) != 1 || !c.Labels[0].Total || c.Regressions != 0 {
		t.Errorf("Compare(nil, nil) = %+v", c)
	}
}

func TestComparison_Text(t *testing.T) {
	base := cmpLS("api", 200, 100, 400, 0.5)
	slow := cmpLS("api", 200, 150, 400, 0.5)
	cmp := Compare(
		cmpRun("base.jtl", base, base, cmpLS("old\x1b[31m\tlabel", 1, 1, 1, 0)),
		cmpRun("new.jtl", slow, slow, cmpLS("brand new", 1, 1, 1, 0)),
		Tolerances{})
	out := cmp.Text()
	for _, want := range []string{
		"base: base.jtl", "new:  new.jtl",
		"tolerances: throughput -10%, p95 +10%, p99 +10%, error rate +1 points",
		"LABEL", "THROUGHPUT/s", "P95 ms", "P99 ms", "ERROR %", "RESULT",
		"100.00 -> 150.00", "+50.0%", "REGRESSED", "only in new", "only in base",
		"api: p95 +50.00% (100.00 -> 150.00 ms), more than the 10% allowed rise",
		"Total: p95 +50.00%", "2 regressions",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Text() lacks %q:\n%s", want, out)
		}
	}
	if strings.ContainsAny(out, "\x1b\t") {
		t.Errorf("control characters of a label reached the terminal:\n%q", out)
	}
	// Rows line up: each table line is as long as the header's columns.
	lines := strings.Split(out, "\n")
	var header string
	for _, l := range lines {
		if strings.HasPrefix(l, "LABEL") {
			header = l
		}
	}
	col := strings.Index(header, "RESULT")
	for _, l := range lines {
		if strings.HasPrefix(l, "api ") && strings.Index(l, "REGRESSED") != col {
			t.Errorf("RESULT column misaligned:\n%s\n%s", header, l)
		}
	}
	if out := Compare(cmpRun("a", base, base), cmpRun("b", base, base), Tolerances{}).Text(); !strings.HasSuffix(out, "no regressions\n") {
		t.Errorf("no-regression verdict missing:\n%s", out)
	}
}

func TestWriteComparisonHTML(t *testing.T) {
	base := cmpLS(rptNastyLabels[0], 200, 100, 400, 0.5)
	slow := cmpLS(rptNastyLabels[0], 100, 100, 400, 0.5)
	cmp := Compare(
		cmpRun("base <1>.jtl", base, base, cmpLS(rptNastyLabels[1], 1, 1, 1, 0)),
		cmpRun("new.jtl", slow, slow, cmpLS(rptNastyLabels[2], 1, 1, 1, 0)),
		Tolerances{})
	var buf bytes.Buffer
	if err := WriteComparisonHTML(&buf, cmp); err != nil {
		t.Fatal(err)
	}
	doc := buf.Bytes()
	rptCheckWellFormed(t, doc)
	rptCheckNoNetwork(t, doc)
	for _, raw := range []string{"<script>alert", "<h1>broken", "base <1>"} {
		if bytes.Contains(doc, []byte(raw)) {
			t.Errorf("unescaped %q", raw)
		}
	}
	root := rptParse(t, doc)
	table := rptFindOne(t, root, "comparison table", rptByID("compare-table"))
	rows := rptFindAll(table, func(n *html.Node) bool {
		if n.Data != "tr" {
			return false
		}
		_, ok := rptAttr(n, "class")
		return ok
	})
	var regressed, labels []string
	for _, r := range rows {
		cells := rptCellTexts(r)
		labels = append(labels, cells[0])
		if c, _ := rptAttr(r, "class"); strings.Contains(c, "regressed") {
			regressed = append(regressed, cells[0])
		}
	}
	if got, want := fmt.Sprint(labels), fmt.Sprint([]string{rptNastyLabels[2], rptNastyLabels[0], rptNastyLabels[1], "Total"}); got != want {
		t.Errorf("rows %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(regressed), fmt.Sprint([]string{rptNastyLabels[0], "Total"}); got != want {
		t.Errorf("regressed rows %s, want %s", got, want)
	}
	if got := rptText(rptFindOne(t, root, "regressions", rptByID("regressions"))); got != "2" {
		t.Errorf("regressions %q", got)
	}
	if !strings.Contains(rptText(table), "throughput -50.00% (200.00 -> 100.00 /s)") {
		t.Error("the reason is not shown")
	}
	var again bytes.Buffer
	if err := WriteComparisonHTML(&again, cmp); err != nil || !bytes.Equal(again.Bytes(), doc) {
		t.Error("comparison HTML is not deterministic")
	}
}
