package results

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// Labels that must come out escaped, never as markup.
var rptNastyLabels = []string{
	`<script>alert("label")</script>`,
	`a & b "quoted" 'single'`,
	`</td></tr></table><h1>broken</h1>`,
}

// rptAnalysis builds an Analysis by hand, as analyze.go would fill it:
// three sampler labels (two with markup in their names), one transaction,
// errors, 120 s of series with a gap, a percentile distribution, NFRs and a
// grade.
func rptAnalysis() *Analysis {
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	stats := func(label string, n, fail int64, base float64) LabelStats {
		return LabelStats{
			Label: label, Samples: n, Failures: fail,
			ErrorPct: 100 * float64(fail) / float64(n),
			Mean:     base * 1.1, Min: base / 4, Max: base * 9, Median: base,
			P90: base * 2, P95: base * 3, P99: base * 5,
			Throughput: float64(n) / 120, ReceivedKBps: 12.5, SentKBps: 1.25, Apdex: 0.875,
			BytesReceived: n * 1024, BytesSent: n * 100, MeanLatency: base, MeanConnect: 1,
		}
	}
	a := &Analysis{
		Schema:    "loadgen.results/v1",
		Source:    Source{JTL: "results.jtl", HLog: "latency.hlog", NFR: "nfr.yaml", Rows: 1300},
		Start:     start,
		End:       start.Add(120 * time.Second),
		DurationS: 120,
		Labels: []LabelStats{
			stats(rptNastyLabels[2], 100, 0, 40),
			stats(rptNastyLabels[0], 600, 12, 20),
			stats(rptNastyLabels[1], 500, 3, 30),
			stats("checkout flow", 100, 2, 90),
		},
		Errors: []ErrorCount{
			{Type: "500/Internal Server Error", Count: 10, PctOfErrors: 66.67, PctOfSamples: 0.83},
			{Type: `Assertion failed <b>bold</b>`, Count: 5, PctOfErrors: 33.33, PctOfSamples: 0.42},
		},
		TopErrors: []SamplerErrors{
			{Label: rptNastyLabels[0], Samples: 600, Errors: 12, Top: []ErrorCount{{Type: "500/Internal Server Error", Count: 9}, {Type: `Assertion failed <b>bold</b>`, Count: 3}}},
			{Label: rptNastyLabels[1], Samples: 500, Errors: 3, Top: []ErrorCount{{Type: "500/Internal Server Error", Count: 1}, {Type: `Assertion failed <b>bold</b>`, Count: 2}}},
		},
		ApdexSatisfiedMs: 500, ApdexToleratedMs: 1500,
		PercentileSource: "hdr-log",
		SkippedRows:      3,
		SkippedExamples:  []Skip{{Line: 17, Reason: `bad timeStamp "<x>"`}, {Line: 99, Reason: "wrong column count"}},
		TransactionRows:  100,
		NFRs: []NFRResult{
			{Name: "response_time_p95", Target: "500ms", Measured: 90, Unit: "ms", Pass: true, Margin: 0.82},
			{Name: "error_rate", Label: rptNastyLabels[0], Target: "<1%", Measured: 2, Unit: "%", Pass: false, Margin: -1},
			{Name: "throughput", Label: "nothing", Target: ">10 rps", NoData: true, Pass: true},
		},
		Grade: Grade{
			Letter: "C", Score: 71.5, Risk: "medium", RiskWhy: "error rate above 1% on one label",
			Components: []GradeComponent{
				{Name: "latency", Value: 90, Points: 30, Max: 40, Why: "p95 within target"},
				{Name: "errors", Value: 1.25, Points: 21.5, Max: 30, Why: "<script>x</script> in why"},
			},
		},
	}
	a.Labels[3].Transaction = true
	a.Total = stats("Total", 1200, 15, 25)
	for i := range int64(120) {
		if i >= 50 && i < 55 { // a gap: five seconds without samples
			continue
		}
		a.Series = append(a.Series, Second{
			T: start.Unix() + i, Requests: 10 + i%7, Errors: i % 3, MaxThreads: min(1+i/10, 8),
			P50: 20 + float64(i%5), P95: 60 + float64(i%11), P99: 100 + float64(i%13), BytesPerSec: 10240,
		})
	}
	for _, p := range []float64{0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 99.999, 100} {
		a.Distribution = append(a.Distribution, PercentilePoint{Percentile: p, Ms: 10 + p*p/50})
	}
	return a
}

func rptRender(t *testing.T, a *Analysis, opts ReportOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, a, opts); err != nil {
		t.Fatalf("WriteHTML: %v", err)
	}
	return buf.Bytes()
}

// rptVoidElements need no end tag in HTML.
var rptVoidElements = map[string]bool{
	"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true,
	"input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true,
}

// rptCheckWellFormed tokenizes doc and requires every element to be closed in
// order (void elements aside), a doctype, and exactly one html, head, body
// and title.
func rptCheckWellFormed(t *testing.T, doc []byte) {
	t.Helper()
	z := html.NewTokenizer(bytes.NewReader(doc))
	var stack []string
	counts := map[string]int{}
	doctype := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if len(stack) > 0 {
				t.Fatalf("unclosed elements at the end: %v", stack)
			}
			if !doctype {
				t.Fatal("no doctype")
			}
			for _, el := range []string{"html", "head", "body", "title"} {
				if counts[el] != 1 {
					t.Fatalf("%d <%s> elements, want 1", counts[el], el)
				}
			}
			return
		case html.DoctypeToken:
			doctype = true
		case html.StartTagToken:
			name, _ := z.TagName()
			counts[string(name)]++
			if !rptVoidElements[string(name)] {
				stack = append(stack, string(name))
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if len(stack) == 0 || stack[len(stack)-1] != string(name) {
				t.Fatalf("</%s> does not close the open element (open: %v)", name, stack)
			}
			stack = stack[:len(stack)-1]
		}
	}
}

// rptParse parses doc as the browser would.
func rptParse(t *testing.T, doc []byte) *html.Node {
	t.Helper()
	n, err := html.Parse(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("html.Parse: %v", err)
	}
	return n
}

func rptAttr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// rptFindAll returns the elements below n for which match is true, in order.
func rptFindAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for c := range n.Descendants() {
		if c.Type == html.ElementNode && match(c) {
			out = append(out, c)
		}
	}
	return out
}

func rptByTag(tag string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == tag }
}

func rptByID(id string) func(*html.Node) bool {
	return func(n *html.Node) bool { v, _ := rptAttr(n, "id"); return v == id }
}

func rptFindOne(t *testing.T, n *html.Node, what string, match func(*html.Node) bool) *html.Node {
	t.Helper()
	found := rptFindAll(n, match)
	if len(found) != 1 {
		t.Fatalf("%d %s, want 1", len(found), what)
	}
	return found[0]
}

// rptText is the text content of n.
func rptText(n *html.Node) string {
	var b strings.Builder
	for c := range n.Descendants() {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}

// rptCellTexts returns the trimmed texts of the cells of a table row.
func rptCellTexts(tr *html.Node) []string {
	var out []string
	for c := tr.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && (c.Data == "td" || c.Data == "th") {
			out = append(out, strings.TrimSpace(rptText(c)))
		}
	}
	return out
}

// rptCheckNoNetwork fails when doc could load anything from outside itself:
// an absolute URL anywhere, an element that fetches (link, img, iframe,
// object…), a src attribute, an href other than a fragment, or a CSS url()
// or @import.
func rptCheckNoNetwork(t *testing.T, doc []byte) {
	t.Helper()
	lower := strings.ToLower(string(doc))
	for _, bad := range []string{"http://", "https://", "url(", "@import", "//cdn", "<link", "<img", "<iframe", "<object", "<embed", "<base"} {
		if strings.Contains(lower, bad) {
			t.Errorf("the document contains %q", bad)
		}
	}
	root := rptParse(t, doc)
	for _, n := range rptFindAll(root, func(*html.Node) bool { return true }) {
		for _, a := range n.Attr {
			switch strings.ToLower(a.Key) {
			case "src", "srcset", "action", "formaction", "poster", "data", "xlink:href", "background":
				t.Errorf("<%s %s=%q> fetches a resource", n.Data, a.Key, a.Val)
			case "href":
				if !strings.HasPrefix(a.Val, "#") {
					t.Errorf("<%s href=%q> is not a fragment link", n.Data, a.Val)
				}
			}
		}
	}
}

func TestWriteHTML_WellFormed(t *testing.T) {
	doc := rptRender(t, rptAnalysis(), ReportOptions{Title: "Shop <test> & run"})
	rptCheckWellFormed(t, doc)
	root := rptParse(t, doc)
	title := rptFindOne(t, root, "<title>", rptByTag("title"))
	if got, want := rptText(title), "Shop <test> & run"; got != want {
		t.Errorf("title %q, want %q", got, want)
	}
	if !bytes.Contains(doc, []byte("Shop &lt;test&gt; &amp; run")) {
		t.Error("the title is not escaped")
	}
	for _, id := range []string{"overview", "grade", "nfrs", "statistics", "apdex", "errors", "top-errors", "charts", "input"} {
		rptFindOne(t, root, "section #"+id, rptByID(id))
	}
	if scripts := rptFindAll(root, rptByTag("script")); len(scripts) != 1 {
		t.Errorf("%d <script> elements, want only the sorting script", len(scripts))
	}
}

func TestWriteHTML_EscapesLabels(t *testing.T) {
	a := rptAnalysis()
	doc := rptRender(t, a, ReportOptions{})
	for _, raw := range []string{`<script>alert`, `<h1>broken`, `<b>bold</b>`, `<script>x</script>`, `"<x>"`} {
		if bytes.Contains(doc, []byte(raw)) {
			t.Errorf("the document contains unescaped %q", raw)
		}
	}
	root := rptParse(t, doc)
	stats := rptFindOne(t, root, "statistics table", rptByID("stats-table"))
	var labels []string
	for _, td := range rptFindAll(stats, func(n *html.Node) bool {
		c, _ := rptAttr(n, "class")
		return n.Data == "td" && c == "label"
	}) {
		labels = append(labels, strings.TrimSuffix(strings.TrimSpace(rptText(td)), "TC"))
	}
	want := []string{a.Labels[0].Label, a.Labels[1].Label, a.Labels[2].Label, a.Labels[3].Label, "Total"}
	if fmt.Sprint(labels) != fmt.Sprint(want) {
		t.Errorf("statistics labels\n got %q\nwant %q", labels, want)
	}
	body := rptText(rptFindOne(t, root, "<body>", rptByTag("body")))
	for _, l := range rptNastyLabels {
		if !strings.Contains(body, l) {
			t.Errorf("label %q is not shown as text", l)
		}
	}
	for _, s := range []string{`Assertion failed <b>bold</b>`, `bad timeStamp "<x>"`, `<script>x</script> in why`} {
		if !strings.Contains(body, s) {
			t.Errorf("%q is not shown as text", s)
		}
	}
}

func TestWriteHTML_StatisticsTable(t *testing.T) {
	a := rptAnalysis()
	root := rptParse(t, rptRender(t, a, ReportOptions{}))
	table := rptFindOne(t, root, "statistics table", rptByID("stats-table"))
	heads := rptFindAll(table, rptByTag("tr"))
	if got, want := rptCellTexts(heads[0]), []string{"Label", "Executions", "Response Times (ms)", "Throughput", "Network (KB/sec)", "APDEX"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("header row 1 %q, want %q", got, want)
	}
	wantCols := []string{"#Samples", "FAIL", "Error %", "Average", "Min", "Max", "Median", "90th pct", "95th pct", "99th pct", "Transactions/s", "Received", "Sent"}
	if got := rptCellTexts(heads[1]); fmt.Sprint(got) != fmt.Sprint(wantCols) {
		t.Errorf("header row 2 %q, want %q", got, wantCols)
	}
	tfoot := rptFindOne(t, table, "<tfoot>", rptByTag("tfoot"))
	total := rptCellTexts(rptFindOne(t, tfoot, "total row", rptByTag("tr")))
	want := []string{"Total", "1200", "15", "1.25%", "27.50", "6.25", "225.00", "25.00", "50.00", "75.00", "125.00", "10.00", "12.50", "1.25", "0.875"}
	if fmt.Sprint(total) != fmt.Sprint(want) {
		t.Errorf("Total row\n got %q\nwant %q", total, want)
	}
	// The transaction row is marked; the others are not.
	tcs := rptFindAll(rptFindOne(t, table, "<tbody>", rptByTag("tbody")), func(n *html.Node) bool {
		c, _ := rptAttr(n, "class")
		return n.Data == "tr" && c == "tc"
	})
	if len(tcs) != 1 || !strings.HasPrefix(rptCellTexts(tcs[0])[0], "checkout flow") || !strings.HasSuffix(rptCellTexts(tcs[0])[0], "TC") {
		t.Errorf("transaction rows: %d, want the checkout flow row marked TC", len(tcs))
	}
	// Numeric cells carry their raw value for sorting.
	for _, td := range rptFindAll(table, rptByTag("td")) {
		if c, _ := rptAttr(td, "class"); c == "num" {
			v, ok := rptAttr(td, "data-v")
			if _, err := strconv.ParseFloat(v, 64); !ok || err != nil {
				t.Fatalf("numeric cell %q has data-v %q", rptText(td), v)
			}
		}
	}
}

func TestWriteHTML_ErrorTables(t *testing.T) {
	a := rptAnalysis()
	root := rptParse(t, rptRender(t, a, ReportOptions{}))
	errs := rptFindOne(t, root, "errors table", rptByID("errors-table"))
	rows := rptFindAll(errs, rptByTag("tr"))
	if got, want := rptCellTexts(rows[0]), []string{"Type of error", "Number of errors", "% in errors", "% in all samples"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("errors header %q, want %q", got, want)
	}
	if got, want := rptCellTexts(rows[1]), []string{"500/Internal Server Error", "10", "66.67%", "0.83%"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("errors row %q, want %q", got, want)
	}

	top := rptFindOne(t, root, "top errors table", rptByID("top-errors-table"))
	rows = rptFindAll(top, rptByTag("tr"))
	head := rptCellTexts(rows[0])
	if len(head) != 13 || head[0] != "Sample" || head[1] != "#Samples" || head[2] != "#Errors" || head[3] != "Error" || head[12] != "#Errors" {
		t.Errorf("top errors header %q", head)
	}
	if got := rptCellTexts(rows[1]); len(got) != 13 || got[0] != rptNastyLabels[0] || got[3] != "500/Internal Server Error" || got[4] != "9" || got[7] != "" {
		t.Errorf("top errors row %q", got)
	}
	// Total comes last, from all errors.
	total := rptCellTexts(rows[len(rows)-1])
	if total[0] != "Total" || total[1] != "1200" || total[2] != "15" || total[3] != "500/Internal Server Error" || total[4] != "10" || total[6] != "5" {
		t.Errorf("top errors Total row %q", total)
	}
	if n := len(rows); n != 4 {
		t.Errorf("%d top errors rows, want header, 2 samplers and Total", n)
	}

	// A Total row the analysis already has is not repeated.
	a.TopErrors = append(a.TopErrors, SamplerErrors{Label: "Total", Samples: 1200, Errors: 15, Top: a.Errors})
	root = rptParse(t, rptRender(t, a, ReportOptions{}))
	if n := len(rptFindAll(rptFindOne(t, root, "top errors table", rptByID("top-errors-table")), rptByTag("tr"))); n != 4 {
		t.Errorf("with a Total in TopErrors: %d rows, want 4", n)
	}
}

func TestWriteHTML_OverviewGradeNFRs(t *testing.T) {
	a := rptAnalysis()
	root := rptParse(t, rptRender(t, a, ReportOptions{}))
	if got := rptText(rptFindOne(t, root, "grade letter", rptByID("grade-letter"))); got != "C" {
		t.Errorf("grade letter %q", got)
	}
	if got := rptText(rptFindOne(t, root, "samples", rptByID("ov-samples"))); got != "1200" {
		t.Errorf("samples %q", got)
	}
	if got := rptText(rptFindOne(t, root, "error rate", rptByID("ov-error"))); got != "1.25%" {
		t.Errorf("error rate %q", got)
	}
	comps := rptFindAll(rptFindOne(t, root, "grade components", rptByID("grade-components")), rptByTag("tr"))
	if len(comps) != 3 {
		t.Errorf("%d grade component rows, want header + 2", len(comps))
	}
	nfr := rptFindAll(rptFindOne(t, root, "NFR table", rptByID("nfr-table")), rptByTag("tr"))
	want := [][]string{
		{"response_time_p95", "whole run", "500ms", "90.00 ms", "PASS", "+82.0%"},
		{"error_rate", rptNastyLabels[0], "<1%", "2.00 %", "FAIL", "-100.0%"},
		{"throughput", "nothing", ">10 rps", "—", "NO DATA", "—"},
	}
	for i, w := range want {
		if got := rptCellTexts(nfr[i+1]); fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("NFR row %d\n got %q\nwant %q", i, got, w)
		}
	}
	skipped := rptText(rptFindOne(t, root, "skipped note", rptByID("skipped")))
	if !strings.Contains(skipped, "3 input rows were skipped") {
		t.Errorf("skipped note %q", skipped)
	}
}

// rptChartPoints returns, per chart id, the number of x,y pairs of its
// polylines plus its dots, checking each lies inside the viewBox.
func rptChartPoints(t *testing.T, root *html.Node) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, fig := range rptFindAll(root, func(n *html.Node) bool { return n.Data == "figure" }) {
		id, _ := rptAttr(fig, "id")
		svg := rptFindOne(t, fig, "svg in "+id, rptByTag("svg"))
		vb, _ := rptAttr(svg, "viewBox")
		var w, h float64
		if _, err := fmt.Sscanf(vb, "0 0 %g %g", &w, &h); err != nil || w <= 0 || h <= 0 {
			t.Fatalf("%s: viewBox %q", id, vb)
		}
		n := 0
		for _, pl := range rptFindAll(svg, rptByTag("polyline")) {
			pts, _ := rptAttr(pl, "points")
			for _, p := range strings.Fields(pts) {
				var x, y float64
				if _, err := fmt.Sscanf(p, "%g,%g", &x, &y); err != nil {
					t.Fatalf("%s: bad point %q", id, p)
				}
				if x < 0 || x > w || y < 0 || y > h {
					t.Errorf("%s: point %q outside the viewBox", id, p)
				}
				n++
			}
		}
		n += len(rptFindAll(svg, rptByTag("circle")))
		if dp, _ := rptAttr(svg, "data-points"); dp != strconv.Itoa(n) {
			t.Errorf("%s: data-points %q, drew %d", id, dp, n)
		}
		out[id] = n
	}
	return out
}

func TestWriteHTML_Charts(t *testing.T) {
	a := rptAnalysis()
	root := rptParse(t, rptRender(t, a, ReportOptions{}))
	got := rptChartPoints(t, root)
	// 120 s with a 5 s gap: throughput has every second (0 in the gap);
	// error rate, the three percentiles and threads skip the gap.
	want := map[string]int{
		"chart-throughput":   120,
		"chart-errors":       115,
		"chart-latency":      3 * 115,
		"chart-threads":      115,
		"chart-distribution": len(a.Distribution),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("chart points\n got %v\nwant %v", got, want)
	}
	// The gap splits the lines in two.
	lat := rptFindOne(t, root, "latency chart", rptByID("chart-latency"))
	if n := len(rptFindAll(lat, rptByTag("polyline"))); n != 6 {
		t.Errorf("latency chart has %d polylines, want 2 per percentile", n)
	}
	if strings.Contains(rptText(lat), "no data") {
		t.Error("latency chart says no data")
	}
	// The distribution's x axis is logarithmic: 99% sits two fifths of the
	// way, and 100% at the right edge with 99.999%.
	dist := rptFindOne(t, root, "distribution chart", rptByID("chart-distribution"))
	pts := strings.Fields(rptMustAttr(t, rptFindOne(t, dist, "distribution line", rptByTag("polyline")), "points"))
	x := func(i int) float64 {
		var x, y float64
		fmt.Sscanf(pts[i], "%g,%g", &x, &y)
		return x
	}
	plotW := float64(rptW - rptLeft - rptRight)
	if got, want := x(7), rptLeft+plotW*2/5; math.Abs(got-want) > 0.1 { // p99
		t.Errorf("p99 at x=%g, want %g", got, want)
	}
	if x(11) != x(12) || math.Abs(x(12)-(rptLeft+plotW)) > 0.1 {
		t.Errorf("99.999%% at %g and 100%% at %g, want both at the right edge", x(11), x(12))
	}
	for _, l := range []string{"0%", "90%", "99%", "99.9%", "99.99%", "99.999%"} {
		if !strings.Contains(rptText(dist), l) {
			t.Errorf("distribution axis lacks %q", l)
		}
	}
}

func rptMustAttr(t *testing.T, n *html.Node, key string) string {
	t.Helper()
	v, ok := rptAttr(n, key)
	if !ok {
		t.Fatalf("<%s> has no %s", n.Data, key)
	}
	return v
}

func TestWriteHTML_LongRunIsBucketed(t *testing.T) {
	a := rptAnalysis()
	a.Series = nil
	t0 := a.Start.Unix()
	for i := range int64(4 * 3600) {
		a.Series = append(a.Series, Second{T: t0 + i, Requests: 100, Errors: 1, MaxThreads: 50, P50: 10, P95: 20, P99: 30 + float64(i%100)})
	}
	doc := rptRender(t, a, ReportOptions{})
	root := rptParse(t, doc)
	got := rptChartPoints(t, root)
	if n := got["chart-throughput"]; n > rptMaxPoints || n < rptMaxPoints/2 {
		t.Errorf("a 4 h run drew %d throughput points, want at most %d", n, rptMaxPoints)
	}
	thr := rptFindOne(t, root, "throughput chart", rptByID("chart-throughput"))
	if !strings.Contains(rptText(thr), "each point is the mean of 16 s") || !strings.Contains(rptText(thr), "1:00:00") {
		t.Errorf("throughput chart rptText %q lacks the bucket note or h:mm:ss ticks", rptText(thr))
	}
	// Mean throughput stays 100/s, and the bucket keeps the highest p99.
	ticks := rptFindAll(thr, func(n *html.Node) bool { return n.Data == "text" })
	if !strings.Contains(fmt.Sprint(rptTexts(ticks)), "100") {
		t.Errorf("throughput axis %v does not reach 100", rptTexts(ticks))
	}
	if len(doc) > 1<<20 {
		t.Errorf("a 4 h run makes a %d byte report", len(doc))
	}
}

func rptTexts(ns []*html.Node) []string {
	var out []string
	for _, n := range ns {
		out = append(out, rptText(n))
	}
	return out
}

func TestWriteHTML_EmptyShowsNoData(t *testing.T) {
	for name, a := range map[string]*Analysis{"nil": nil, "empty": {}, "no series": func() *Analysis {
		a := rptAnalysis()
		a.Series, a.Distribution = nil, nil
		return a
	}()} {
		t.Run(name, func(t *testing.T) {
			doc := rptRender(t, a, ReportOptions{})
			rptCheckWellFormed(t, doc)
			rptCheckNoNetwork(t, doc)
			root := rptParse(t, doc)
			figs := rptFindAll(root, rptByTag("figure"))
			if len(figs) != 5 {
				t.Fatalf("%d charts, want 5", len(figs))
			}
			for _, f := range figs {
				id, _ := rptAttr(f, "id")
				if !strings.Contains(rptText(f), "no data") {
					t.Errorf("%s does not say no data", id)
				}
				if len(rptFindAll(f, rptByTag("polyline"))) != 0 {
					t.Errorf("%s draws a line without data", id)
				}
			}
		})
	}
}

func TestWriteHTML_NaNAndGarbageDoNotBreak(t *testing.T) {
	a := rptAnalysis()
	a.Total.P95 = math.NaN()
	a.Labels[0].Throughput = math.Inf(1)
	a.Series[3].P99 = math.NaN()
	a.Distribution = append(a.Distribution, PercentilePoint{Percentile: math.NaN(), Ms: 1}, PercentilePoint{Percentile: -5, Ms: 2})
	doc := rptRender(t, a, ReportOptions{})
	rptCheckWellFormed(t, doc)
	markup := doc[:bytes.Index(doc, []byte("<script>"))] // the sorting script says isNaN
	if bytes.Contains(markup, []byte("NaN")) || bytes.Contains(markup, []byte("Inf")) {
		t.Error("NaN or Inf reached the document")
	}
}

func TestWriteHTML_NoNetwork(t *testing.T) {
	rptCheckNoNetwork(t, rptRender(t, rptAnalysis(), ReportOptions{Title: "offline"}))
}

func TestWriteHTML_Deterministic(t *testing.T) {
	a := rptAnalysis()
	first := rptRender(t, a, ReportOptions{Title: "x"})
	// The same content through a JSON round trip (as read back from
	// results_analysis.json) renders byte for byte the same.
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var again Analysis
	if err := json.Unmarshal(b, &again); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if got := rptRender(t, &again, ReportOptions{Title: "x"}); !bytes.Equal(got, first) {
			t.Fatalf("render %d differs from the first", i)
		}
	}
}

func TestRptNiceScale(t *testing.T) {
	for _, c := range []struct{ max, step, top float64 }{
		{0, 0.2, 1}, {1, 0.2, 1}, {7, 2, 8}, {10, 2, 10}, {123, 50, 150}, {0.03, 0.01, 0.03}, {99.9, 20, 100},
	} {
		step, top := rptNiceScale(c.max)
		if math.Abs(step-c.step) > 1e-12 || math.Abs(top-c.top) > 1e-12 {
			t.Errorf("rptNiceScale(%g) = %g, %g; want %g, %g", c.max, step, top, c.step, c.top)
		}
	}
}

func TestRptTimeTicks(t *testing.T) {
	got := rptTexts(nil)
	for _, tk := range rptTimeTicks(119) {
		got = append(got, tk.Label)
	}
	if want := []string{"0:00", "0:15", "0:30", "0:45", "1:00", "1:15", "1:30", "1:45"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ticks %q, want %q", got, want)
	}
	if n := len(rptTimeTicks(7 * 86400)); n < 2 || n > 9 {
		t.Errorf("a week has %d ticks", n)
	}
}

func TestWriteHTML_Sections(t *testing.T) {
	doc := rptRender(t, rptAnalysis(), ReportOptions{Sections: []ReportSection{
		{ID: "insights", Title: "Insights", Note: "offline <rules>", Paragraphs: []string{"p95 rose <script>x</script> at 10:00"}, Items: []string{"high: add an index", "low: <b>cache</b>"}},
		{Title: "Empty"},
	}})
	rptCheckWellFormed(t, doc)
	root := rptParse(t, doc)
	sec := rptFindOne(t, root, "section #insights", rptByID("insights"))
	text := rptText(sec)
	for _, want := range []string{"Insights", "offline <rules>", "p95 rose <script>x</script> at 10:00", "high: add an index", "low: <b>cache</b>"} {
		if !strings.Contains(text, want) {
			t.Errorf("insights section lacks %q as text: %q", want, text)
		}
	}
	if items := rptFindAll(sec, rptByTag("li")); len(items) != 2 {
		t.Errorf("%d list items, want 2", len(items))
	}
	if bytes.Contains(doc, []byte("<script>x")) || bytes.Contains(doc, []byte("<b>cache")) {
		t.Error("section text is not escaped")
	}
	// Sections come after the NFRs and before the statistics.
	s := string(doc)
	if !(strings.Index(s, `id="nfrs"`) < strings.Index(s, `id="insights"`) && strings.Index(s, `id="insights"`) < strings.Index(s, `id="statistics"`)) {
		t.Error("the section is not between the NFRs and the statistics")
	}
}
