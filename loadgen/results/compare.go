package results

import (
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"unicode"
)

// DefaultTolerances are the regression tolerances [Compare] uses for the
// fields of [Tolerances] left at zero: throughput may drop 10%, p95 and
// p99 may rise 10%, the error rate may rise 1 percentage point.
var DefaultTolerances = Tolerances{ThroughputPct: 10, P95Pct: 10, P99Pct: 10, ErrorPctPoints: 1}

// Tolerances are how much worse a label may get before [Compare] calls it a
// regression. A zero field takes its value from [DefaultTolerances]; to
// demand (almost) no change, give a tiny positive value.
type Tolerances struct {
	// ThroughputPct is the largest allowed throughput drop, in percent of
	// the base throughput.
	ThroughputPct float64 `json:"throughput_pct"`
	// P95Pct and P99Pct are the largest allowed rises of the 95th and 99th
	// percentile, in percent of the base value.
	P95Pct float64 `json:"p95_pct"`
	P99Pct float64 `json:"p99_pct"`
	// ErrorPctPoints is the largest allowed rise of the error rate, in
	// percentage points (1 allows 0.5% → 1.5%).
	ErrorPctPoints float64 `json:"error_pct_points"`
}

// withDefaults fills zero (or negative) fields from DefaultTolerances.
func (t Tolerances) withDefaults() Tolerances {
	pick := func(v, d float64) float64 {
		if v > 0 {
			return v
		}
		return d
	}
	return Tolerances{
		ThroughputPct:  pick(t.ThroughputPct, DefaultTolerances.ThroughputPct),
		P95Pct:         pick(t.P95Pct, DefaultTolerances.P95Pct),
		P99Pct:         pick(t.P99Pct, DefaultTolerances.P99Pct),
		ErrorPctPoints: pick(t.ErrorPctPoints, DefaultTolerances.ErrorPctPoints),
	}
}

// Comparison is a new run compared with a base run, label by label.
type Comparison struct {
	// Base and New name the two runs (by default their results files).
	Base string `json:"base"`
	New  string `json:"new"`
	// Tolerance holds the tolerances applied (defaults filled in).
	Tolerance Tolerances `json:"tolerance"`
	// Labels has one entry per label of either run, sorted by label, then
	// the Total row (Total set) last.
	Labels []LabelDelta `json:"labels"`
	// Regressions counts the entries of Labels with Regressed set.
	Regressions int `json:"regressions"`
}

// CompareStats are the numbers of one label in one run that [Compare]
// looks at, taken from its [LabelStats].
type CompareStats struct {
	Samples    int64   `json:"samples"`
	Throughput float64 `json:"throughput"` // samples/s
	P95        float64 `json:"p95"`        // ms
	P99        float64 `json:"p99"`        // ms
	ErrorPct   float64 `json:"error_pct"`  // %
}

func cmpStats(l LabelStats) CompareStats {
	return CompareStats{Samples: l.Samples, Throughput: l.Throughput, P95: l.P95, P99: l.P99, ErrorPct: l.ErrorPct}
}

// LabelDelta is one label of a [Comparison].
type LabelDelta struct {
	Label string `json:"label"`
	// Total marks the overall row (every non-transaction sample).
	Total bool `json:"total,omitempty"`
	// Transaction marks a transaction controller label (in either run).
	Transaction bool `json:"transaction,omitempty"`
	// Base and New are the label's numbers in each run (zero when Missing
	// names that run).
	Base CompareStats `json:"base"`
	New  CompareStats `json:"new"`
	// ThroughputPct, P95Pct and P99Pct are the relative changes from Base
	// to New in percent (−20 is a 20% drop). They are nil when undefined:
	// the label is missing from a run, or the base value is zero and the
	// new one is not.
	ThroughputPct *float64 `json:"throughput_pct,omitempty"`
	P95Pct        *float64 `json:"p95_pct,omitempty"`
	P99Pct        *float64 `json:"p99_pct,omitempty"`
	// ErrorPctPoints is New.ErrorPct − Base.ErrorPct, in percentage points
	// (zero when the label is missing from a run).
	ErrorPctPoints float64 `json:"error_pct_points"`
	// Regressed is set when any rule of the tolerances is broken; Why
	// says which, one entry per broken rule.
	Regressed bool     `json:"regressed"`
	Why       []string `json:"why,omitempty"`
	// Missing is "base" when the label is only in the new run and "new"
	// when it is only in the base run; such labels are listed but not
	// judged.
	Missing string `json:"missing,omitempty"`
}

// cmpEpsilon absorbs floating-point noise so a change exactly at a
// tolerance is not a regression.
const cmpEpsilon = 1e-9

// Compare compares run new with run base, per label and for the total.
// A label present in both runs regresses when, beyond the tolerances (a
// zero field of tol takes the default, see [DefaultTolerances]):
//   - its throughput drops by more than tol.ThroughputPct percent,
//   - its p95 or p99 rises by more than tol.P95Pct or tol.P99Pct percent
//     (any rise from a base of zero counts),
//   - its error rate rises by more than tol.ErrorPctPoints points.
//
// A change exactly at a tolerance is allowed. Labels in only one run are
// listed with Missing set and do not regress. A nil run counts as empty.
func Compare(base, new *Analysis, tol Tolerances) *Comparison {
	if base == nil {
		base = &Analysis{}
	}
	if new == nil {
		new = &Analysis{}
	}
	tol = tol.withDefaults()
	c := &Comparison{Base: base.Source.JTL, New: new.Source.JTL, Tolerance: tol}

	baseBy := make(map[string]LabelStats, len(base.Labels))
	newBy := make(map[string]LabelStats, len(new.Labels))
	var names []string
	for _, l := range base.Labels {
		if _, dup := baseBy[l.Label]; !dup {
			baseBy[l.Label] = l
			names = append(names, l.Label)
		}
	}
	for _, l := range new.Labels {
		if _, dup := newBy[l.Label]; !dup {
			newBy[l.Label] = l
			if _, inBase := baseBy[l.Label]; !inBase {
				names = append(names, l.Label)
			}
		}
	}
	sort.Strings(names)
	for _, name := range names {
		b, inBase := baseBy[name]
		n, inNew := newBy[name]
		d := LabelDelta{Label: name, Transaction: b.Transaction || n.Transaction}
		switch {
		case !inBase:
			d.New, d.Missing = cmpStats(n), "base"
		case !inNew:
			d.Base, d.Missing = cmpStats(b), "new"
		default:
			d = cmpLabel(name, b, n, tol)
			d.Transaction = b.Transaction || n.Transaction
		}
		c.Labels = append(c.Labels, d)
	}
	total := cmpLabel("Total", base.Total, new.Total, tol)
	total.Total = true
	c.Labels = append(c.Labels, total)
	for _, d := range c.Labels {
		if d.Regressed {
			c.Regressions++
		}
	}
	return c
}

// cmpLabel applies the regression rules to a label present in both runs.
func cmpLabel(name string, b, n LabelStats, tol Tolerances) LabelDelta {
	d := LabelDelta{Label: name, Base: cmpStats(b), New: cmpStats(n)}
	d.ThroughputPct = cmpPctChange(d.Base.Throughput, d.New.Throughput)
	d.P95Pct = cmpPctChange(d.Base.P95, d.New.P95)
	d.P99Pct = cmpPctChange(d.Base.P99, d.New.P99)
	d.ErrorPctPoints = d.New.ErrorPct - d.Base.ErrorPct

	if p := d.ThroughputPct; p != nil && -*p > tol.ThroughputPct+cmpEpsilon {
		d.Why = append(d.Why, fmt.Sprintf("throughput %s%% (%s -> %s /s), more than the %s%% allowed drop",
			rptSigned(*p, 2), rptFixed(d.Base.Throughput, 2), rptFixed(d.New.Throughput, 2), rptFixed(tol.ThroughputPct, -1)))
	}
	for _, q := range []struct {
		name      string
		pct       *float64
		base, new float64
		tol       float64
	}{
		{"p95", d.P95Pct, d.Base.P95, d.New.P95, tol.P95Pct},
		{"p99", d.P99Pct, d.Base.P99, d.New.P99, tol.P99Pct},
	} {
		switch {
		case q.pct == nil && q.new > 0:
			d.Why = append(d.Why, fmt.Sprintf("%s rose from 0 to %s ms", q.name, rptFixed(q.new, 2)))
		case q.pct != nil && *q.pct > q.tol+cmpEpsilon:
			d.Why = append(d.Why, fmt.Sprintf("%s %s%% (%s -> %s ms), more than the %s%% allowed rise",
				q.name, rptSigned(*q.pct, 2), rptFixed(q.base, 2), rptFixed(q.new, 2), rptFixed(q.tol, -1)))
		}
	}
	if d.ErrorPctPoints > tol.ErrorPctPoints+cmpEpsilon {
		d.Why = append(d.Why, fmt.Sprintf("error rate %s points (%s%% -> %s%%), more than the %s points allowed",
			rptSigned(d.ErrorPctPoints, 2), rptFixed(d.Base.ErrorPct, 2), rptFixed(d.New.ErrorPct, 2), rptFixed(tol.ErrorPctPoints, -1)))
	}
	d.Regressed = len(d.Why) > 0
	return d
}

// cmpPctChange is the change from base to new in percent of base; nil when
// base is zero and new is not (0 when both are).
func cmpPctChange(base, new float64) *float64 {
	var p float64
	switch {
	case base == new:
	case base == 0 || !rptFinite(base) || !rptFinite(new):
		return nil
	default:
		p = (new - base) * 100 / base
	}
	return &p
}

func cmpFmtPct(p float64) string { return rptSigned(p, 1) + "%" }

// Text renders the comparison as a plain-text table for a terminal: one row
// per label (Total last) with base → new and the relative change of
// throughput, p95, p99 and the error rate, then why each regression was
// called and a one-line verdict.
func (c *Comparison) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "base: %s\nnew:  %s\n", cmpTextSafe(cmpOrDash(c.Base)), cmpTextSafe(cmpOrDash(c.New)))
	t := c.Tolerance
	fmt.Fprintf(&b, "tolerances: throughput -%s%%, p95 +%s%%, p99 +%s%%, error rate +%s points\n\n",
		rptFixed(t.ThroughputPct, -1), rptFixed(t.P95Pct, -1), rptFixed(t.P99Pct, -1), rptFixed(t.ErrorPctPoints, -1))

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LABEL\tSAMPLES\tTHROUGHPUT/s\tCHANGE\tP95 ms\tCHANGE\tP99 ms\tCHANGE\tERROR %\tPOINTS\tRESULT")
	for _, d := range c.Labels {
		label := cmpTextSafe(d.Label)
		if d.Transaction {
			label += " (TC)"
		}
		if d.Missing != "" {
			fmt.Fprintf(tw, "%s\t%s\t%s\t\t%s\t\t%s\t\t%s\t\t%s\n", label,
				cmpTextPair(d.Missing, fmt.Sprint(d.Base.Samples), fmt.Sprint(d.New.Samples)),
				cmpTextPair(d.Missing, rptFixed(d.Base.Throughput, 2), rptFixed(d.New.Throughput, 2)),
				cmpTextPair(d.Missing, rptFixed(d.Base.P95, 2), rptFixed(d.New.P95, 2)),
				cmpTextPair(d.Missing, rptFixed(d.Base.P99, 2), rptFixed(d.New.P99, 2)),
				cmpTextPair(d.Missing, rptFixed(d.Base.ErrorPct, 2), rptFixed(d.New.ErrorPct, 2)),
				"only in "+map[string]string{"base": "new", "new": "base"}[d.Missing])
			continue
		}
		result := "ok"
		if d.Regressed {
			result = "REGRESSED"
		}
		fmt.Fprintf(tw, "%s\t%d -> %d\t%s -> %s\t%s\t%s -> %s\t%s\t%s -> %s\t%s\t%s -> %s\t%s\t%s\n", label,
			d.Base.Samples, d.New.Samples,
			rptFixed(d.Base.Throughput, 2), rptFixed(d.New.Throughput, 2), cmpTextPct(d.ThroughputPct),
			rptFixed(d.Base.P95, 2), rptFixed(d.New.P95, 2), cmpTextPct(d.P95Pct),
			rptFixed(d.Base.P99, 2), rptFixed(d.New.P99, 2), cmpTextPct(d.P99Pct),
			rptFixed(d.Base.ErrorPct, 2), rptFixed(d.New.ErrorPct, 2), rptSigned(d.ErrorPctPoints, 2),
			result)
	}
	tw.Flush()

	if c.Regressions > 0 {
		b.WriteString("\nregressions:\n")
		for _, d := range c.Labels {
			for _, w := range d.Why {
				fmt.Fprintf(&b, "  %s: %s\n", cmpTextSafe(d.Label), w)
			}
		}
	}
	switch c.Regressions {
	case 0:
		b.WriteString("\nno regressions\n")
	case 1:
		b.WriteString("\n1 regression\n")
	default:
		fmt.Fprintf(&b, "\n%d regressions\n", c.Regressions)
	}
	return b.String()
}

// cmpTextPair shows the one side of a label present in a single run.
func cmpTextPair(missing, base, new string) string {
	if missing == "base" {
		return "- -> " + new
	}
	return base + " -> -"
}

func cmpTextPct(p *float64) string {
	if p == nil {
		return "n/a"
	}
	return cmpFmtPct(*p)
}

func cmpOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cmpTextSafe replaces control characters (tabs, newlines, terminal escapes)
// of user data so they cannot break the table or the terminal.
func cmpTextSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
}

// WriteComparisonHTML writes c as one self-contained HTML page in the style
// of [WriteHTML]: the tolerances, the verdict, and a sortable table of every
// label with base, new and change of throughput, p95, p99 and the error
// rate, regressed rows highlighted with the reasons.
func WriteComparisonHTML(w io.Writer, c *Comparison) error {
	if c == nil {
		c = &Comparison{}
	}
	v := struct {
		Title string
		CSS   template.CSS
		JS    template.JS
		C     *Comparison
	}{Title: "Run comparison", CSS: rptCSS, JS: rptJS, C: c}
	return rptTemplates.ExecuteTemplate(w, "compare.html.tmpl", v)
}
