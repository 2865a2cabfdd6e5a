package results

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The report templates, stylesheet and the small table-sorting script are
// embedded, so a report is one file that opens from disk with no network.
//
//go:embed report/*.tmpl report/*.css report/*.js
var rptFS embed.FS

var (
	rptTemplates = template.Must(template.New("results").Funcs(rptFuncs).ParseFS(rptFS, "report/*.tmpl"))
	rptCSS       = template.CSS(rptMustRead("report/style.css"))
	rptJS        = template.JS(rptMustRead("report/sort.js"))
)

func rptMustRead(name string) string {
	b, err := rptFS.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// ReportOptions configures [WriteHTML].
type ReportOptions struct {
	// Title heads the report and names the browser tab; empty means
	// "Load test report".
	Title string
	// Sections are extra text sections (the AI insights, for one), shown
	// after the NFRs. Their text is escaped.
	Sections []ReportSection
}

// ReportSection is a titled block of paragraphs and a bullet list.
type ReportSection struct {
	ID         string // HTML id (letters, digits, '-'); empty: none
	Title      string
	Note       string // a muted line under the title (the source, say)
	Paragraphs []string
	Items      []string
}

// WriteHTML writes a's dashboard as one self-contained HTML file: the CSS
// is embedded, the charts are inline SVG drawn here (no script needed), and
// nothing is fetched from the network, so the file opens from disk.
//
// It has an overview (times, samples, error rate, throughput, the grade with
// its components, the NFRs with their margins), JMeter's dashboard tables
// (statistics with APDEX, errors, top 5 errors by sampler), charts of
// throughput, error rate, latency percentiles and active threads over time,
// the latency percentile distribution, and a note on skipped input rows.
// Labels and messages are escaped. The output depends only on a and opts.
func WriteHTML(w io.Writer, a *Analysis, opts ReportOptions) error {
	if a == nil {
		a = &Analysis{}
	}
	title := strings.TrimSpace(opts.Title)
	if title == "" {
		title = "Load test report"
	}
	v := rptReport{
		Title:        title,
		Sections:     opts.Sections,
		CSS:          rptCSS,
		JS:           rptJS,
		A:            a,
		HasCorrected: a.Total.CorrectedP95 > 0 || a.Total.CorrectedP99 > 0,
	}
	for _, l := range a.Labels {
		if l.CorrectedP95 > 0 || l.CorrectedP99 > 0 {
			v.HasCorrected = true
		}
	}
	v.TopErrors, v.TopErrorsTotal = rptTopErrors(a)
	v.Charts = rptTimeCharts(a.Series)
	v.Distribution = rptDistributionChart(a.Distribution)
	return rptTemplates.ExecuteTemplate(w, "report.html.tmpl", v)
}

// rptReport is the view WriteHTML renders.
type rptReport struct {
	Title          string
	CSS            template.CSS
	JS             template.JS
	A              *Analysis
	HasCorrected   bool
	TopErrors      []rptSamplerErrors
	TopErrorsTotal *rptSamplerErrors
	Charts         []rptChart
	Distribution   rptChart
	Sections       []ReportSection
}

// rptSamplerErrors is one "Top 5 errors by sampler" row with exactly five
// (possibly empty) error cells.
type rptSamplerErrors struct {
	Label   string
	Samples int64
	Errors  int64
	Top     [5]ErrorCount
}

func rptTopRow(label string, samples, errors int64, top []ErrorCount) rptSamplerErrors {
	r := rptSamplerErrors{Label: label, Samples: samples, Errors: errors}
	copy(r.Top[:], top)
	return r
}

// rptTopErrors builds the per-sampler rows and the Total row, which JMeter
// derives from all errors. A last TopErrors entry that already is that
// Total row (label "Total" with the run's sample and failure counts) is
// used as such rather than shown twice.
func rptTopErrors(a *Analysis) ([]rptSamplerErrors, *rptSamplerErrors) {
	rows := a.TopErrors
	var total *rptSamplerErrors
	if n := len(rows); n > 0 {
		last := rows[n-1]
		if last.Label == "Total" && last.Samples == a.Total.Samples && last.Errors == a.Total.Failures {
			t := rptTopRow(last.Label, last.Samples, last.Errors, last.Top)
			total, rows = &t, rows[:n-1]
		}
	}
	out := make([]rptSamplerErrors, 0, len(rows))
	for _, r := range rows {
		out = append(out, rptTopRow(r.Label, r.Samples, r.Errors, r.Top))
	}
	if total == nil && len(a.Errors) > 0 {
		errs := append([]ErrorCount(nil), a.Errors...)
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Count > errs[j].Count })
		if len(errs) > 5 {
			errs = errs[:5]
		}
		t := rptTopRow("Total", a.Total.Samples, a.Total.Failures, errs)
		total = &t
	}
	return out, total
}

// Number formatting shared by the report and the comparison.

func rptFinite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// rptFixed formats f with d decimals, or "—" when f is not a number.
func rptFixed(f float64, d int) string {
	if !rptFinite(f) {
		return "—"
	}
	s := strconv.FormatFloat(f, 'f', d, 64)
	if s == "-"+strconv.FormatFloat(0, 'f', d, 64) {
		s = s[1:]
	}
	return s
}

// rptSortValue is the raw value a sortable cell carries in data-v.
func rptSortValue(v any) string {
	switch x := v.(type) {
	case float64:
		if !rptFinite(x) {
			return ""
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case *float64:
		if x == nil {
			return ""
		}
		return rptSortValue(*x)
	}
	return ""
}

func rptFormatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Format("2006-01-02 15:04:05.000 -07:00")
}

func rptFormatDuration(s float64) string {
	if !rptFinite(s) || s < 0 {
		return "—"
	}
	d := time.Duration(s * float64(time.Second)).Round(time.Millisecond)
	return d.String()
}

// rptSigned formats a signed change with d decimals: "+1.50", "-2.00", "0.00".
func rptSigned(f float64, d int) string {
	s := rptFixed(f, d)
	if rptFinite(f) && !strings.HasPrefix(s, "-") && strings.Trim(s, "0.") != "" {
		s = "+" + s
	}
	return s
}

var rptFuncs = template.FuncMap{
	"g":   func(f float64) string { return rptFixed(f, -1) },
	"f0":  func(f float64) string { return rptFixed(f, 0) },
	"f1":  func(f float64) string { return rptFixed(f, 1) },
	"f2":  func(f float64) string { return rptFixed(f, 2) },
	"f3":  func(f float64) string { return rptFixed(f, 3) },
	"sv":  rptSortValue,
	"pct": func(f float64) string { return rptFixed(f, 2) + "%" },
	// margin shows an NFR margin (a share of the target) in percent.
	"margin":   func(f float64) string { return rptSigned(f*100, 1) + "%" },
	"time":     rptFormatTime,
	"duration": rptFormatDuration,
	"lower":    strings.ToLower,
	"deltaPct": func(p *float64) string {
		if p == nil {
			return "n/a"
		}
		return rptSigned(*p, 1) + "%"
	},
	"points": func(f float64) string { return rptSigned(f, 2) },
	"addf":   func(a, b float64) float64 { return a + b },
	// trend classes a change "worse" or "better" when it goes beyond tol
	// either way; sign is +1 when a rise is worse, −1 when a drop is.
	"trend": func(p *float64, tol, sign float64) string {
		switch {
		case p == nil:
			return ""
		case sign**p > tol+cmpEpsilon:
			return "worse"
		case sign**p < -tol-cmpEpsilon:
			return "better"
		}
		return ""
	},
	"ptr": func(f float64) *float64 { return &f },
	"cmprow": func(d LabelDelta, t Tolerances) rptCmpRow {
		return rptCmpRow{D: d, T: t}
	},
	"statrow": func(l LabelStats, corrected bool) rptStatRow {
		return rptStatRow{L: l, Corrected: corrected}
	},
}

// rptCmpRow is one comparison-table row with the tolerances applied.
type rptCmpRow struct {
	D LabelDelta
	T Tolerances
}

// rptStatRow is one statistics-table row and whether the corrected
// percentile columns are shown.
type rptStatRow struct {
	L         LabelStats
	Corrected bool
}

// Charts.

// rptMaxPoints bounds the points of a time-series line; longer runs are
// aggregated into buckets of several seconds.
const rptMaxPoints = 900

// Chart geometry (SVG user units; the SVG scales to its container).
const (
	rptW      = 900
	rptH      = 280
	rptLeft   = 64
	rptRight  = 34
	rptTop    = 14
	rptBottom = 40
)

// rptChart is one inline SVG chart.
type rptChart struct {
	ID       string
	Title    string
	Note     string
	XLabel   string
	YLabel   string
	W, H     int
	Empty    bool
	Points   int // data points drawn, over all lines
	PlotX    float64
	PlotY    float64
	PlotW    float64
	PlotH    float64
	PlotMidX float64
	PlotMidY float64
	XTicks   []rptTick
	YTicks   []rptTick
	Lines    []rptLine
}

// rptTick is an axis tick at X (x axis) or Y (y axis).
type rptTick struct {
	X, Y  float64
	Label string
}

// rptLine is one series: polylines broken where data is missing, plus dots
// for points that have no neighbour to join.
type rptLine struct {
	Name     string
	Color    string
	Segments []string // SVG points attributes
	Dots     []rptTick
}

var rptColors = []string{"#2563eb", "#f59e0b", "#dc2626", "#059669"}

// rptPoint is one data point; OK is false where there is no value.
type rptPoint struct {
	X, Y float64
	OK   bool
}

func rptNewChart(id, title, xLabel, yLabel string) rptChart {
	c := rptChart{
		ID: id, Title: title, XLabel: xLabel, YLabel: yLabel,
		W: rptW, H: rptH,
		PlotX: rptLeft, PlotY: rptTop,
		PlotW: rptW - rptLeft - rptRight, PlotH: rptH - rptTop - rptBottom,
	}
	c.PlotMidX = c.PlotX + c.PlotW/2
	c.PlotMidY = c.PlotY + c.PlotH/2
	return c
}

// plot scales the series onto the plot area: x over [xMin, xMax] with the
// given ticks, y from 0 to a rounded-up maximum.
func (c *rptChart) plot(names []string, series [][]rptPoint, xMin, xMax float64, xTicks []rptTick) {
	yMax := 0.0
	for _, s := range series {
		for _, p := range s {
			if p.OK && rptFinite(p.Y) && p.Y > yMax {
				yMax = p.Y
			}
		}
	}
	step, top := rptNiceScale(yMax)
	if xMax <= xMin {
		xMax = xMin + 1
	}
	sx := func(x float64) float64 { return c.PlotX + c.PlotW*(x-xMin)/(xMax-xMin) }
	sy := func(y float64) float64 { return c.PlotY + c.PlotH*(1-y/top) }
	dec := rptDecimals(step)
	for i := 0; float64(i)*step <= top*(1+1e-9); i++ {
		y := float64(i) * step
		c.YTicks = append(c.YTicks, rptTick{Y: sy(y), Label: strconv.FormatFloat(y, 'f', dec, 64)})
	}
	for _, t := range xTicks {
		c.XTicks = append(c.XTicks, rptTick{X: sx(t.X), Label: t.Label})
	}
	for i, s := range series {
		line := rptLine{Name: names[i], Color: rptColors[i%len(rptColors)]}
		var seg []rptPoint
		flush := func() {
			switch len(seg) {
			case 0:
			case 1:
				line.Dots = append(line.Dots, rptTick{X: sx(seg[0].X), Y: sy(seg[0].Y)})
			default:
				var b strings.Builder
				for j, p := range seg {
					if j > 0 {
						b.WriteByte(' ')
					}
					b.WriteString(strconv.FormatFloat(sx(p.X), 'f', 1, 64))
					b.WriteByte(',')
					b.WriteString(strconv.FormatFloat(sy(p.Y), 'f', 1, 64))
				}
				line.Segments = append(line.Segments, b.String())
			}
			c.Points += len(seg)
			seg = seg[:0]
		}
		for _, p := range s {
			if !p.OK || !rptFinite(p.Y) || !rptFinite(p.X) {
				flush()
				continue
			}
			seg = append(seg, rptPoint{X: p.X, Y: math.Max(p.Y, 0), OK: true})
		}
		flush()
		c.Lines = append(c.Lines, line)
	}
	c.Empty = c.Points == 0
}

// rptNiceScale returns a 1-2-5 tick step and the axis top (a multiple of
// the step at or above max, at least one step).
func rptNiceScale(max float64) (step, top float64) {
	if !(max > 0) || !rptFinite(max) {
		return 0.2, 1
	}
	raw := max / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	switch r := raw / mag; {
	case r <= 1:
		step = mag
	case r <= 2:
		step = 2 * mag
	case r <= 5:
		step = 5 * mag
	default:
		step = 10 * mag
	}
	top = step * math.Ceil(max/step*(1-1e-12))
	if top < step {
		top = step
	}
	return step, top
}

// rptDecimals is how many decimals tick labels of the given step need.
func rptDecimals(step float64) int {
	if step >= 1 {
		return 0
	}
	return int(math.Ceil(-math.Log10(step) - 1e-9))
}

// rptTimeTicks returns elapsed-time ticks over [0, span] seconds.
func rptTimeTicks(span float64) []rptTick {
	steps := []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400}
	step := steps[len(steps)-1]
	for _, s := range steps {
		if span/s <= 8 {
			step = s
			break
		}
	}
	for span/step > 8 {
		step *= 2
	}
	var ticks []rptTick
	for x := 0.0; x <= span+1e-9; x += step {
		ticks = append(ticks, rptTick{X: x, Label: rptClock(x, span >= 3600)})
	}
	return ticks
}

// rptClock formats elapsed seconds as m:ss or h:mm:ss.
func rptClock(s float64, hours bool) string {
	n := int64(math.Round(s))
	if hours {
		return fmt.Sprintf("%d:%02d:%02d", n/3600, n/60%60, n%60)
	}
	return fmt.Sprintf("%d:%02d", n/60, n%60)
}

// rptBucket aggregates the seconds of one chart point.
type rptBucket struct {
	present       bool
	secs          int64 // seconds the bucket spans
	requests      int64
	errors        int64
	threads       int64
	latency       bool // some second had requests, so percentiles
	p50, p95, p99 float64
}

// rptTimeCharts draws throughput, error rate, latency percentiles and
// active threads over elapsed time. Seconds absent from the series had no
// samples: throughput is zero there and the other lines have a gap. When
// the run is longer than rptMaxPoints seconds each point aggregates several
// seconds: the mean throughput, the errors over the requests, the highest
// percentile and thread count of the bucket.
func rptTimeCharts(series []Second) []rptChart {
	const xLabel = "elapsed time (m:ss from the first sample)"
	charts := []rptChart{
		rptNewChart("chart-throughput", "Throughput", xLabel, "requests/s"),
		rptNewChart("chart-errors", "Error rate", xLabel, "% of requests"),
		rptNewChart("chart-latency", "Response time percentiles", xLabel, "ms"),
		rptNewChart("chart-threads", "Active threads", xLabel, "threads"),
	}
	secs := append([]Second(nil), series...)
	if len(secs) == 0 {
		for i := range charts {
			charts[i].Empty = true
		}
		return charts
	}
	sort.SliceStable(secs, func(i, j int) bool { return secs[i].T < secs[j].T })
	t0 := secs[0].T
	span := secs[len(secs)-1].T - t0 + 1
	width := (span + rptMaxPoints - 1) / rptMaxPoints
	n := (span + width - 1) / width
	buckets := make([]rptBucket, n)
	for i := range buckets {
		buckets[i].secs = min(width, span-int64(i)*width)
	}
	for _, s := range secs {
		b := &buckets[(s.T-t0)/width]
		b.present = true
		b.requests += s.Requests
		b.errors += s.Errors
		b.threads = max(b.threads, s.MaxThreads)
		if s.Requests > 0 {
			b.latency = true
			b.p50, b.p95, b.p99 = max(b.p50, s.P50), max(b.p95, s.P95), max(b.p99, s.P99)
		}
	}
	var thr, errRate, p50, p95, p99, threads []rptPoint
	for i, b := range buckets {
		x := float64(int64(i) * width)
		thr = append(thr, rptPoint{X: x, Y: float64(b.requests) / float64(b.secs), OK: true})
		errRate = append(errRate, rptPoint{X: x, Y: 100 * float64(b.errors) / float64(b.requests), OK: b.requests > 0})
		p50 = append(p50, rptPoint{X: x, Y: b.p50, OK: b.latency})
		p95 = append(p95, rptPoint{X: x, Y: b.p95, OK: b.latency})
		p99 = append(p99, rptPoint{X: x, Y: b.p99, OK: b.latency})
		threads = append(threads, rptPoint{X: x, Y: float64(b.threads), OK: b.present})
	}
	xMax := float64((n - 1) * width)
	ticks := rptTimeTicks(xMax)
	if xMax >= 3600 {
		for i := range charts {
			charts[i].XLabel = "elapsed time (h:mm:ss from the first sample)"
		}
	}
	charts[0].plot([]string{"requests/s"}, [][]rptPoint{thr}, 0, xMax, ticks)
	charts[1].plot([]string{"error %"}, [][]rptPoint{errRate}, 0, xMax, ticks)
	charts[2].plot([]string{"p50", "p95", "p99"}, [][]rptPoint{p50, p95, p99}, 0, xMax, ticks)
	charts[3].plot([]string{"threads"}, [][]rptPoint{threads}, 0, xMax, ticks)
	if width > 1 {
		notes := []string{
			fmt.Sprintf("each point is the mean of %d s", width),
			fmt.Sprintf("each point covers %d s", width),
			fmt.Sprintf("each point is the highest of %d s", width),
			fmt.Sprintf("each point is the highest of %d s", width),
		}
		for i := range charts {
			charts[i].Note = notes[i]
		}
	}
	return charts
}

// rptDistDecades is the x range of the distribution chart: 0% to 99.999%.
const rptDistDecades = 5

// rptDistributionChart draws latency against percentile with the
// percentile on HdrHistogram's log scale: x = log10(1/(1−p)), so 90%, 99%,
// 99.9%… are evenly spaced. Percentiles beyond 99.999% (100% included) sit
// at the right edge.
func rptDistributionChart(points []PercentilePoint) rptChart {
	c := rptNewChart("chart-distribution", "Response time percentile distribution", "percentile (log scale)", "ms")
	ps := make([]PercentilePoint, 0, len(points))
	for _, p := range points {
		if rptFinite(p.Percentile) && rptFinite(p.Ms) && p.Percentile >= 0 {
			ps = append(ps, p)
		}
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Percentile < ps[j].Percentile })
	line := make([]rptPoint, 0, len(ps))
	for _, p := range ps {
		x := float64(rptDistDecades)
		if p.Percentile < 100 {
			x = math.Min(math.Log10(100/(100-p.Percentile)), rptDistDecades)
		}
		line = append(line, rptPoint{X: x, Y: p.Ms, OK: true})
	}
	labels := []string{"0%", "90%", "99%", "99.9%", "99.99%", "99.999%"}
	ticks := make([]rptTick, 0, len(labels))
	for i, l := range labels {
		ticks = append(ticks, rptTick{X: float64(i), Label: l})
	}
	c.plot([]string{"latency"}, [][]rptPoint{line}, 0, rptDistDecades, ticks)
	return c
}
