package results

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen/record"
)

// aztT0 is 2023-11-14T22:13:20Z in Unix ms.
const aztT0 = 1700000000000

// aztFixture is a small JTL whose statistics are worked out by hand in
// TestAnalyzeReader_Statistics. Rows (elapsed ms):
//
//	line  2  A        100  ok          sub-result A-0 on line 3 follows it
//	line  4  A        300  ok
//	line  5  A        700  500 error
//	line  6  TX      3000  transaction row (failed)
//	line  7  B, "q"  1000  ok (tolerated)
//	line  8  B, "q"  1200  200 with a two-line assertion failure message
//	line 10  B, "q"    50  Non HTTP response code
//	line 11  TX0        0  empty transaction (ignored)
const aztFixture = jrtHeader +
	"1700000000000,100,A,200,OK,TG 1-1,text,true,,1000,100,1,2,http://127.0.0.1/a,90,0,10\n" +
	"1700000000010,20,A-0,200,OK,TG 1-1,text,true,,50,0,1,2,http://127.0.0.1/a.css,20,0,0\n" +
	"1700000000100,300,A,200,OK,TG 1-2,text,true,,2000,200,1,2,http://127.0.0.1/a,250,0,0\n" +
	"1700000001000,700,A,500,Internal Server Error,TG 1-1,text,false,,500,100,2,3,http://127.0.0.1/a,600,0,0\n" +
	`1700000000000,3000,TX,,"Number of samples in transaction : 3, number of failing samples : 1",TG 1-1,,false,,3500,400,2,3,null,940,0,10` + "\n" +
	`1700000001500,1000,"B, ""q""",200,OK,TG 1-2,text,true,,4000,300,2,3,http://127.0.0.1/b,900,0,5` + "\n" +
	`1700000002000,1200,"B, ""q""",200,OK,TG 1-3,text,false,"Expected x` + "\n" + `but was y",3000,200,3,4,http://127.0.0.1/b,1100,0,0` + "\n" +
	`1700000002500,50,"B, ""q""",Non HTTP response code: java.net.SocketTimeoutException,Non HTTP response message: Read timed out,TG 1-1,text,false,,0,0,1,1,http://127.0.0.1/b,0,0,0` + "\n" +
	`1700000002600,0,TX0,200,"Number of samples in transaction : 0, number of failing samples : 0",TG 1-1,,true,,0,0,1,1,null,0,0,0` + "\n"

const (
	aztErr500     = "500/Internal Server Error"
	aztErrAssert  = "Expected x\nbut was y"
	aztErrTimeout = "Non HTTP response code: java.net.SocketTimeoutException/Non HTTP response message: Read timed out"
)

// aztClose reports whether two floats agree to 1e-9 (relative).
func aztClose(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

// aztCompare compares two values field by field, floats approximately,
// and reports the differences under the name.
func aztCompare(t *testing.T, name string, got, want any) {
	t.Helper()
	aztCompareValue(t, name, reflect.ValueOf(got), reflect.ValueOf(want))
}

func aztCompareValue(t *testing.T, name string, g, w reflect.Value) {
	t.Helper()
	switch g.Kind() {
	case reflect.Float64:
		if !aztClose(g.Float(), w.Float()) {
			t.Errorf("%s = %v, want %v", name, g.Float(), w.Float())
		}
	case reflect.Struct:
		if g.Type() == reflect.TypeFor[time.Time]() {
			if !g.Interface().(time.Time).Equal(w.Interface().(time.Time)) {
				t.Errorf("%s = %v, want %v", name, g.Interface(), w.Interface())
			}
			return
		}
		for i := range g.NumField() {
			aztCompareValue(t, name+"."+g.Type().Field(i).Name, g.Field(i), w.Field(i))
		}
	case reflect.Slice:
		if g.Len() != w.Len() {
			t.Errorf("%s has %d elements, want %d:\ngot  %+v\nwant %+v", name, g.Len(), w.Len(), g.Interface(), w.Interface())
			return
		}
		for i := range g.Len() {
			aztCompareValue(t, name+"["+strconv.Itoa(i)+"]", g.Index(i), w.Index(i))
		}
	default:
		if !reflect.DeepEqual(g.Interface(), w.Interface()) {
			t.Errorf("%s = %#v, want %#v", name, g.Interface(), w.Interface())
		}
	}
}

func TestAnalyzeReader_Statistics(t *testing.T) {
	t.Parallel()
	a, err := AnalyzeReader(context.Background(), strings.NewReader(aztFixture), "fixture.jtl", Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Total: A 100, 300, 700 and B 1000, 1200, 50 (sorted 50 100 300 700
	// 1000 1200). HDR rank = floor(p/100·n + 0.5): p50 → 3rd, p90 → 5th,
	// p95 and p99 → 6th. Span: start T0, last end T0+2000+1200 = 3.2 s.
	// APDEX: 100 and 300 satisfied, 1000 tolerated → 2.5 / 6.
	total := LabelStats{
		Label: "Total", Samples: 6, Failures: 3, ErrorPct: 50,
		Mean: 3350.0 / 6, Min: 50, Max: 1200, Median: 300, P90: 1000, P95: 1200, P99: 1200,
		Throughput: 6 / 3.2, ReceivedKBps: 10500 / 3.2 / 1024, SentKBps: 900 / 3.2 / 1024,
		Apdex: 2.5 / 6, BytesReceived: 10500, BytesSent: 900,
		MeanLatency: 2940.0 / 6, MeanConnect: 15.0 / 6,
	}
	labels := []LabelStats{
		{ // 100 300 700, span T0 .. T0+1000+700
			Label: "A", Samples: 3, Failures: 1, ErrorPct: 100.0 / 3,
			Mean: 1100.0 / 3, Min: 100, Max: 700, Median: 300, P90: 700, P95: 700, P99: 700,
			Throughput: 3 / 1.7, ReceivedKBps: 3500 / 1.7 / 1024, SentKBps: 400 / 1.7 / 1024,
			Apdex: 2.0 / 3, BytesReceived: 3500, BytesSent: 400,
			MeanLatency: 940.0 / 3, MeanConnect: 10.0 / 3,
		},
		{ // 50 1000 1200, span T0+1500 .. T0+2000+1200
			Label: `B, "q"`, Samples: 3, Failures: 2, ErrorPct: 200.0 / 3,
			Mean: 750, Min: 50, Max: 1200, Median: 1000, P90: 1200, P95: 1200, P99: 1200,
			Throughput: 3 / 1.7, ReceivedKBps: 7000 / 1.7 / 1024, SentKBps: 500 / 1.7 / 1024,
			Apdex: 0.5 / 3, BytesReceived: 7000, BytesSent: 500,
			MeanLatency: 2000.0 / 3, MeanConnect: 5.0 / 3,
		},
		{ // one failed 3000 ms transaction; the HDR value 3001 is capped at the max
			Label: "TX", Transaction: true, Samples: 1, Failures: 1, ErrorPct: 100,
			Mean: 3000, Min: 3000, Max: 3000, Median: 3000, P90: 3000, P95: 3000, P99: 3000,
			Throughput: 1.0 / 3, ReceivedKBps: 3500.0 / 3 / 1024, SentKBps: 400.0 / 3 / 1024,
			Apdex: 0, BytesReceived: 3500, BytesSent: 400, MeanLatency: 940, MeanConnect: 10,
		},
	}
	errs := []ErrorCount{ // one each: 1/3 of errors, 1/6 of samples; by type
		{Type: aztErr500, Count: 1, PctOfErrors: 100.0 / 3, PctOfSamples: 100.0 / 6},
		{Type: aztErrAssert, Count: 1, PctOfErrors: 100.0 / 3, PctOfSamples: 100.0 / 6},
		{Type: aztErrTimeout, Count: 1, PctOfErrors: 100.0 / 3, PctOfSamples: 100.0 / 6},
	}
	top := []SamplerErrors{ // most errors first; shares of the sampler's errors and samples
		{Label: `B, "q"`, Samples: 3, Errors: 2, Top: []ErrorCount{
			{Type: aztErrAssert, Count: 1, PctOfErrors: 50, PctOfSamples: 100.0 / 3},
			{Type: aztErrTimeout, Count: 1, PctOfErrors: 50, PctOfSamples: 100.0 / 3},
		}},
		{Label: "A", Samples: 3, Errors: 1, Top: []ErrorCount{
			{Type: aztErr500, Count: 1, PctOfErrors: 100, PctOfSamples: 100.0 / 3},
		}},
	}
	series := []Second{
		{T: 1700000000, Requests: 2, Errors: 0, MaxThreads: 2, P50: 100, P95: 300, P99: 300, BytesPerSec: 3000},
		{T: 1700000001, Requests: 2, Errors: 1, MaxThreads: 3, P50: 700, P95: 1000, P99: 1000, BytesPerSec: 4500},
		{T: 1700000002, Requests: 2, Errors: 2, MaxThreads: 4, P50: 50, P95: 1200, P99: 1200, BytesPerSec: 3000},
	}
	aztCompare(t, "Total", a.Total, total)
	aztCompare(t, "Labels", a.Labels, labels)
	aztCompare(t, "Errors", a.Errors, errs)
	aztCompare(t, "TopErrors", a.TopErrors, top)
	aztCompare(t, "Series", a.Series, series)
	aztCompare(t, "Source", a.Source, Source{JTL: "fixture.jtl", Rows: 9})
	aztCompare(t, "Start", a.Start, time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC))
	aztCompare(t, "End", a.End, time.Date(2023, 11, 14, 22, 13, 23, 200e6, time.UTC))
	aztCompare(t, "DurationS", a.DurationS, 3.2)
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"Schema", a.Schema, AnalysisSchema},
		{"TransactionRows", a.TransactionRows, int64(2)},
		{"SubResultRows", a.SubResultRows, int64(1)},
		{"SkippedRows", a.SkippedRows, int64(0)},
		{"PercentileSource", a.PercentileSource, "jtl"},
		{"ApdexSatisfiedMs", a.ApdexSatisfiedMs, 500.0},
		{"ApdexToleratedMs", a.ApdexToleratedMs, 1500.0},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	d := a.Distribution
	if len(d) < 20 || d[0] != (PercentilePoint{0, 50}) || d[len(d)-1] != (PercentilePoint{100, 1200}) {
		t.Errorf("Distribution = %v, want 0%% at 50 ms … 100%% at 1200 ms", d)
	}
	for i := 1; i < len(d); i++ {
		if d[i].Percentile <= d[i-1].Percentile || d[i].Ms < d[i-1].Ms {
			t.Fatalf("Distribution not increasing at %d: %v", i, d[i-1:i+1])
		}
	}
}

func TestErrorKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code, msg, failure, want string
	}{
		{"500", "Internal Server Error", "", "500/Internal Server Error"},
		{"401", "", "", "401"},
		{"404", "Not Found", "also an assertion", "404/Not Found"}, // error code wins
		{"200", "OK", "Expected A", "Expected A"},                  // assertion on a 2xx
		{"200", "OK", "", "Assertion failed"},
		{"302", "Found", "", "Assertion failed"},
		{"399", "", "x", "x"},
		{"400", "Bad Request", "", "400/Bad Request"},
		{"", "Number of samples in transaction : 2, number of failing samples : 1", "boom", "boom"},
		{"", "", "  ", ""}, // blank failure message, no code
		{"abc", "m", "f", "abc/m"},
		{"Non HTTP response code: java.net.UnknownHostException", "Non HTTP response message: nohost", "",
			"Non HTTP response code: java.net.UnknownHostException/Non HTTP response message: nohost"},
	}
	for _, tt := range tests {
		s := Row{ResponseCode: tt.code, ResponseMessage: tt.msg, FailureMessage: tt.failure}
		if got := string(azErrorKey(nil, &s)); got != tt.want {
			t.Errorf("azErrorKey(code %q, message %q, failure %q) = %q, want %q", tt.code, tt.msg, tt.failure, got, tt.want)
		}
	}
}

func TestAnalyzeReader_Apdex(t *testing.T) {
	t.Parallel()
	const rows = "timeStamp,elapsed,label,success\n" +
		"0,100,a,true\n" + // ≤ 100: satisfied
		"0,101,a,true\n" + // tolerated
		"0,400,a,true\n" + // ≤ 400: tolerated
		"0,401,a,true\n" + // frustrated
		"0,50,a,false\n" // failed: counts only in the total
	tests := []struct {
		name     string
		opts     Options
		want     float64
		wantErr  bool
		sat, tol float64
	}{
		{"custom thresholds", Options{ApdexSatisfiedMs: 100, ApdexToleratedMs: 400}, (1 + 2.0/2) / 5, false, 100, 400},
		{"defaults 500/1500: four satisfied", Options{}, 4.0 / 5, false, 500, 1500},
		{"tolerated below satisfied", Options{ApdexSatisfiedMs: 400, ApdexToleratedMs: 100}, 0, true, 0, 0},
		{"negative", Options{ApdexSatisfiedMs: -1, ApdexToleratedMs: 100}, 0, true, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := AnalyzeReader(context.Background(), strings.NewReader(rows), "apdex.jtl", tt.opts)
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !aztClose(a.Total.Apdex, tt.want) || !aztClose(a.Labels[0].Apdex, tt.want) {
				t.Errorf("Apdex = %v (label %v), want %v", a.Total.Apdex, a.Labels[0].Apdex, tt.want)
			}
			if a.ApdexSatisfiedMs != tt.sat || a.ApdexToleratedMs != tt.tol {
				t.Errorf("thresholds %v/%v, want %v/%v", a.ApdexSatisfiedMs, a.ApdexToleratedMs, tt.sat, tt.tol)
			}
		})
	}
}

func TestAnalyzeReader_ErrorTypesCapped(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("timeStamp,elapsed,label,success,responseCode\n")
	for i := range MaxErrorTypes + 5 {
		b.WriteString("0,1,a,false," + strconv.Itoa(1000+i) + "\n")
	}
	b.WriteString("0,1,a,false,1000\n") // a known key still counts as itself
	a, err := AnalyzeReader(context.Background(), strings.NewReader(b.String()), "cap.jtl", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Errors) != MaxErrorTypes+1 {
		t.Fatalf("%d error types, want %d", len(a.Errors), MaxErrorTypes+1)
	}
	if e := a.Errors[0]; e.Type != OtherErrorType || e.Count != 5 {
		t.Errorf("first error = %+v, want %q × 5", e, OtherErrorType)
	}
	if e := a.Errors[1]; e.Type != "1000" || e.Count != 2 {
		t.Errorf("second error = %+v, want 1000 × 2", e)
	}
	if len(a.TopErrors) != 1 || len(a.TopErrors[0].Top) != 5 || a.TopErrors[0].Errors != MaxErrorTypes+6 {
		t.Errorf("TopErrors = %+v, want one sampler with five entries", a.TopErrors)
	}
}

func TestAnalyzeReader_ManyLabels(t *testing.T) {
	t.Parallel()
	// 250 labels (past azDenseLabels, so the last ones use packed
	// histograms), each with 10, 20 and 3000 ms: median 20; p90 and up the
	// 3rd value, 3000 (HDR's 3001 capped at the max). Total: 250 of each
	// value, ranks 375 → 20 and 675 → 3000.
	const n = 250
	var b strings.Builder
	b.WriteString("timeStamp,elapsed,label,success\n")
	for _, e := range []string{"10", "20", "3000"} {
		for i := range n {
			b.WriteString("0," + e + ",label " + strconv.Itoa(i) + ",true\n")
		}
	}
	a, err := AnalyzeReader(context.Background(), strings.NewReader(b.String()), "many.jtl", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Labels) != n {
		t.Fatalf("%d labels, want %d", len(a.Labels), n)
	}
	for _, l := range append(a.Labels, a.Total) {
		if l.Median != 20 || l.P90 != 3000 || l.P95 != 3000 || l.P99 != 3000 || l.Max != 3000 || l.Min != 10 {
			t.Errorf("%s: median %v p90 %v p95 %v p99 %v min %v max %v; want 20, 3000, 3000, 3000, 10, 3000",
				l.Label, l.Median, l.P90, l.P95, l.P99, l.Min, l.Max)
		}
	}
}

func TestAnalyzeReader_SeriesOutOfOrder(t *testing.T) {
	t.Parallel()
	// Seconds 10, 12, 11 (late but within the lag: still open), 20 (closes
	// 10..12), then 11 again (over 5 s late: counted without percentiles)
	// and 14 (late, never seen: added with its own value).
	const in = "timeStamp,elapsed,label,success,allThreads,bytes\n" +
		"10000,5,a,true,1,100\n" +
		"12999,7,a,true,3,100\n" +
		"11500,9,a,false,2,100\n" +
		"20000,4,a,true,1,100\n" +
		"11000,100,a,false,8,50\n" +
		"14000,6,a,true,1,100\n"
	a, err := AnalyzeReader(context.Background(), strings.NewReader(in), "series.jtl", Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Second{
		{T: 10, Requests: 1, MaxThreads: 1, P50: 5, P95: 5, P99: 5, BytesPerSec: 100},
		{T: 11, Requests: 2, Errors: 2, MaxThreads: 8, P50: 9, P95: 9, P99: 9, BytesPerSec: 150},
		{T: 12, Requests: 1, MaxThreads: 3, P50: 7, P95: 7, P99: 7, BytesPerSec: 100},
		{T: 14, Requests: 1, MaxThreads: 1, P50: 6, P95: 6, P99: 6, BytesPerSec: 100},
		{T: 20, Requests: 1, MaxThreads: 1, P50: 4, P95: 4, P99: 4, BytesPerSec: 100},
	}
	aztCompare(t, "Series", a.Series, want)
}

func TestAnalyzeReader_SkippedRows(t *testing.T) {
	t.Parallel()
	in := "timeStamp,elapsed,label,success\n" +
		"1000,10,a,true\n" +
		"\x00\x01 binary garbage\n" + // line 3
		"1000,x,a,true\n" + // line 4
		"2000,30,a,false\n" +
		"3000,2" // line 6: truncated
	a, err := AnalyzeReader(context.Background(), strings.NewReader(in), "bad.jtl", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Total.Samples != 2 || a.Total.Failures != 1 || a.Total.Mean != 20 || a.Source.Rows != 2 {
		t.Errorf("Total = %+v, rows %d; want 2 samples, 1 failure, mean 20", a.Total, a.Source.Rows)
	}
	want := []Skip{
		{3, "1 columns, header has 4"},
		{4, `elapsed "x" is not valid`},
		{6, "truncated last line: 2 columns, header has 4"},
	}
	if a.SkippedRows != 3 || !reflect.DeepEqual(a.SkippedExamples, want) {
		t.Errorf("skipped %d: %+v, want 3: %+v", a.SkippedRows, a.SkippedExamples, want)
	}
}

func TestAnalyze_GzipFileAndErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	gz := filepath.Join(dir, "fixture.jtl.gz")
	if err := os.WriteFile(gz, jrtGzip(t, []byte(aztFixture)), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := Analyze(context.Background(), gz, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Total.Samples != 6 || a.Total.P90 != 1000 || a.Source.JTL != gz {
		t.Errorf("gzip: Total %+v, source %q", a.Total, a.Source.JTL)
	}

	empty := filepath.Join(dir, "empty.jtl")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Analyze(context.Background(), empty, Options{}); err == nil || !strings.Contains(err.Error(), "empty file") {
		t.Errorf("empty file: error %v", err)
	}
	if _, err := Analyze(context.Background(), filepath.Join(dir, "missing.jtl"), Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: error %v", err)
	}
	headerless := "1700000000000,100,A,200,OK,TG 1-1,text,true,,1000,100,1,2,http://127.0.0.1/a,90,0,10\n"
	if _, err := AnalyzeReader(context.Background(), strings.NewReader(headerless), "h.jtl", Options{}); err == nil ||
		!strings.HasPrefix(err.Error(), "h.jtl: no JTL header (expected timeStamp,elapsed,label,…") {
		t.Errorf("headerless: error %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := AnalyzeReader(ctx, strings.NewReader(aztFixture), "x.jtl", Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: error %v", err)
	}
	if _, err := AnalyzeReader(context.Background(), strings.NewReader(aztFixture), "x.jtl", Options{HLog: filepath.Join(dir, "missing.hlog")}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing HDR log: error %v", err)
	}
}

func TestAnalyzeReader_HeaderOnly(t *testing.T) {
	t.Parallel()
	a, err := AnalyzeReader(context.Background(), strings.NewReader(jrtHeader), "h.jtl", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Total.Samples != 0 || len(a.Labels) != 0 || a.Series == nil || a.Errors == nil || !a.Start.IsZero() {
		t.Errorf("header-only JTL: %+v", a)
	}
}

// aztSteps is the label table of the writer round trips.
var aztSteps = []record.StepInfo{
	{Label: "Home Page", Scenario: "Scenario 1"},
	{Label: `Search, "advanced"`, Scenario: "Scenario 1", Arrival: true},
	{Label: "multi\nline\r\nlabel", Scenario: "checkout, EU"},
	{Label: "Checkout flow", Scenario: "Scenario 1", Group: "Checkout flow"},
}

// aztSamples are the samples of the writer round trips (T0 + offsets, times
// in µs precision so that the HDR log differs from the JTL's whole ms).
func aztSamples() []record.Sample {
	const ms = int64(time.Millisecond)
	t0 := int64(aztT0) * ms
	return []record.Sample{
		{Start: t0, Elapsed: 1000_000, Latency: 900_000, Sent: 100, Received: 1000, Step: 0, VU: 1, GrpThreads: 1, AllThreads: 2,
			Status: 200, Success: true, Message: "OK", URL: "http://127.0.0.1:8080/"},
		{Start: t0 + 100*ms, Elapsed: 1200_000, Sent: 100, Received: 1000, Step: 0, VU: 2, GrpThreads: 2, AllThreads: 3,
			Status: 200, Success: true, Message: "OK", URL: "http://127.0.0.1:8080/"},
		{Start: t0 + 200*ms, Elapsed: 1900_000, Sent: 100, Received: 500, Step: 0, VU: 1, GrpThreads: 2, AllThreads: 3,
			Status: 500, Message: "Internal Server Error", URL: "http://127.0.0.1:8080/"},
		{Start: t0 + 300*ms, Elapsed: 500_000, Corrected: 1500_000, Sent: 200, Received: 2000, Step: 1, VU: 3, GrpThreads: 2, AllThreads: 3,
			Status: 200, Success: true, Message: "OK", URL: "http://127.0.0.1:8080/search?q=a,b"},
		{Start: t0 + 400*ms, Elapsed: 700_000, Corrected: 2000_000, Sent: 200, Received: 2000, Step: 1, VU: 3, GrpThreads: 2, AllThreads: 3,
			Status: 200, Message: "OK", FailureMessage: "Expected \"ok\"\nbut was \"ko\"", URL: "http://127.0.0.1:8080/search?q=a,b"},
		{Start: t0 + 500*ms, Elapsed: 400_000, Step: 2, VU: 7, GrpThreads: 1, AllThreads: 3,
			Code:    "Non HTTP response code: java.net.SocketTimeoutException",
			Message: "Non HTTP response message: Read timed out", URL: "http://127.0.0.1:8080/eu"},
		{Start: t0, Elapsed: 5000_000, Sent: 400, Received: 3500, Step: 3, VU: 1, GrpThreads: 2, AllThreads: 3,
			Transaction: true, Children: 3, FailedChildren: 1},
	}
}

// aztWriteRun writes the samples with record's JTL writer and HDR log into
// dir and returns both paths.
func aztWriteRun(t *testing.T, dir string) (jtl, hlog string) {
	t.Helper()
	jtl, hlog = filepath.Join(dir, "results.jtl"), filepath.Join(dir, "latency.hlog")
	jf, err := os.Create(jtl)
	if err != nil {
		t.Fatal(err)
	}
	defer jf.Close()
	hf, err := os.Create(hlog)
	if err != nil {
		t.Fatal(err)
	}
	defer hf.Close()
	w, err := record.NewJTLWriter(jf, "results.jtl", aztSteps, record.JTLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := record.NewHDRLog(hf, aztSteps, time.UnixMilli(aztT0), record.HDRLogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	samples := aztSamples()
	for i := range samples {
		if err := w.Write(&samples[i]); err != nil {
			t.Fatal(err)
		}
		l.Record(&samples[i])
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return jtl, hlog
}

func TestJTLReader_WriterRoundTrip(t *testing.T) {
	t.Parallel()
	jtl, _ := aztWriteRun(t, t.TempDir())
	f, err := os.Open(jtl)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := NewJTLReader(f, "results.jtl")
	if err != nil {
		t.Fatal(err)
	}
	// The writer rounds ns to whole ms (half away from zero) and writes
	// "<scenario> 1-<VU>" threads, "null" URLs and empty codes on failed
	// transactions.
	want := []Row{
		{Line: 2, TimeStamp: aztT0, Elapsed: 1, Latency: 1, Label: "Home Page", ResponseCode: "200", ResponseMessage: "OK",
			ThreadName: "Scenario 1 1-1", DataType: "text", Success: true, Bytes: 1000, SentBytes: 100, GrpThreads: 1, AllThreads: 2,
			URL: "http://127.0.0.1:8080/"},
		{Line: 3, TimeStamp: aztT0 + 100, Elapsed: 1, Label: "Home Page", ResponseCode: "200", ResponseMessage: "OK",
			ThreadName: "Scenario 1 1-2", DataType: "text", Success: true, Bytes: 1000, SentBytes: 100, GrpThreads: 2, AllThreads: 3,
			URL: "http://127.0.0.1:8080/"},
		{Line: 4, TimeStamp: aztT0 + 200, Elapsed: 2, Label: "Home Page", ResponseCode: "500", ResponseMessage: "Internal Server Error",
			ThreadName: "Scenario 1 1-1", DataType: "text", Bytes: 500, SentBytes: 100, GrpThreads: 2, AllThreads: 3,
			URL: "http://127.0.0.1:8080/"},
		{Line: 5, TimeStamp: aztT0 + 300, Elapsed: 1, Label: `Search, "advanced"`, ResponseCode: "200", ResponseMessage: "OK",
			ThreadName: "Scenario 1 1-3", DataType: "text", Success: true, Bytes: 2000, SentBytes: 200, GrpThreads: 2, AllThreads: 3,
			URL: "http://127.0.0.1:8080/search?q=a,b"},
		{Line: 6, TimeStamp: aztT0 + 400, Elapsed: 1, Label: `Search, "advanced"`, ResponseCode: "200", ResponseMessage: "OK",
			ThreadName: "Scenario 1 1-3", DataType: "text", FailureMessage: "Expected \"ok\"\nbut was \"ko\"", Bytes: 2000, SentBytes: 200,
			GrpThreads: 2, AllThreads: 3, URL: "http://127.0.0.1:8080/search?q=a,b"},
		{Line: 8, TimeStamp: aztT0 + 500, Elapsed: 0, Label: "multi\nline\r\nlabel",
			ResponseCode: "Non HTTP response code: java.net.SocketTimeoutException", ResponseMessage: "Non HTTP response message: Read timed out",
			ThreadName: "checkout, EU 1-7", DataType: "text", GrpThreads: 1, AllThreads: 3, URL: "http://127.0.0.1:8080/eu"},
		{Line: 11, TimeStamp: aztT0, Elapsed: 5, Label: "Checkout flow", ThreadName: "Scenario 1 1-1",
			Bytes: 3500, SentBytes: 400, GrpThreads: 2, AllThreads: 3, URL: "null", Transaction: true,
			ResponseMessage: "Number of samples in transaction : 3, number of failing samples : 1"},
	}
	var got []Row
	var row Row
	for r.Next(&row) == nil {
		got = append(got, row)
	}
	aztCompare(t, "rows", got, want)
	if r.Skipped() != 0 {
		t.Errorf("skipped %+v", r.SkippedExamples())
	}

	a, err := Analyze(context.Background(), jtl, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Elapsed in ms: 1 1 2 | 1 1 | 0 (the transaction's 5 is not in Total):
	// sorted 0 1 1 1 1 2 → median (3rd) 1, p90 (5th) 1, p95/p99 (6th) 2.
	want6 := LabelStats{Label: "Total", Samples: 6, Failures: 3, ErrorPct: 50, Mean: 1, Min: 0, Max: 2,
		Median: 1, P90: 1, P95: 2, P99: 2}
	got6 := a.Total
	got6.Throughput, got6.ReceivedKBps, got6.SentKBps, got6.Apdex = 0, 0, 0, 0
	got6.BytesReceived, got6.BytesSent, got6.MeanLatency, got6.MeanConnect = 0, 0, 0, 0
	aztCompare(t, "Total", got6, want6)
	var names []string
	for _, l := range a.Labels {
		names = append(names, l.Label+"/"+strconv.FormatInt(l.Samples, 10)+"/"+strconv.FormatBool(l.Transaction))
	}
	wantNames := []string{"Checkout flow/1/true", "Home Page/3/false", "Search, \"advanced\"/2/false", "multi\nline\r\nlabel/1/false"}
	if !reflect.DeepEqual(names, wantNames) {
		t.Errorf("labels %q, want %q", names, wantNames)
	}
	// All counts are 1, so the order is by type: '5' < 'E' < 'N'.
	wantErrs := []string{
		"500/Internal Server Error",
		"Expected \"ok\"\nbut was \"ko\"",
		"Non HTTP response code: java.net.SocketTimeoutException/Non HTTP response message: Read timed out",
	}
	var gotErrs []string
	for _, e := range a.Errors {
		gotErrs = append(gotErrs, e.Type)
	}
	if !reflect.DeepEqual(gotErrs, wantErrs) {
		t.Errorf("errors %q, want %q", gotErrs, wantErrs)
	}
}

func TestAnalyze_HDRLog(t *testing.T) {
	t.Parallel()
	jtl, hlog := aztWriteRun(t, t.TempDir())
	a, err := Analyze(context.Background(), jtl, Options{HLog: hlog})
	if err != nil {
		t.Fatal(err)
	}
	if a.PercentileSource != "hdr-log" || a.Source.HLog != hlog {
		t.Errorf("PercentileSource %q, Source.HLog %q", a.PercentileSource, a.Source.HLog)
	}
	// Values in the log are µs, exact below 2048 µs (3 digits). Per label:
	//   Home Page 1000 1200 1900 → p50 (2nd) 1.2, p90/p95/p99 (3rd) 1.9
	//   Search    500 700        → p50 (1st) 0.5, p90… (2nd) 0.7;
	//             corrected 1500 2000 → p95/p99 2.0
	//   multi     400            → 0.4
	//   Checkout flow (transaction) 5000 µs → HDR's 5003 → 5.003
	// Total (no transaction): 400 500 700 1000 1200 1900 → p50 (3rd) 0.7,
	// p90 (5th) 1.2, p95/p99 (6th) 1.9. Corrected Total takes Search's
	// corrected values: 400 1000 1200 1500 1900 2000 → p95/p99 2.0.
	type pct struct{ median, p90, p95, p99, c95, c99 float64 }
	want := map[string]pct{
		"Total":                {0.7, 1.2, 1.9, 1.9, 2.0, 2.0},
		"Home Page":            {1.2, 1.9, 1.9, 1.9, 0, 0},
		`Search, "advanced"`:   {0.5, 0.7, 0.7, 0.7, 2.0, 2.0},
		"multi\nline\r\nlabel": {0.4, 0.4, 0.4, 0.4, 0, 0},
		"Checkout flow":        {5.003, 5.003, 5.003, 5.003, 0, 0},
	}
	stats := append([]LabelStats{a.Total}, a.Labels...)
	if len(stats) != len(want) {
		t.Fatalf("%d label rows, want %d", len(stats), len(want))
	}
	for _, st := range stats {
		w, ok := want[st.Label]
		if !ok {
			t.Errorf("unexpected label %q", st.Label)
			continue
		}
		got := pct{st.Median, st.P90, st.P95, st.P99, st.CorrectedP95, st.CorrectedP99}
		aztCompare(t, strconv.Quote(st.Label), got, w)
	}
	// Counts come from the JTL; mean, min and max from the log's µs values:
	// (400+500+700+1000+1200+1900)/6 = 950 µs, min 400 µs, max 1900 µs
	// (the JTL's whole milliseconds would give max 2).
	if a.Total.Samples != 6 || a.Total.Max != 1.9 || a.Total.Min != 0.4 || a.Total.Mean != 0.95 {
		t.Errorf("Total samples %d, mean %v, min %v, max %v; want 6, 0.95, 0.4, 1.9",
			a.Total.Samples, a.Total.Mean, a.Total.Min, a.Total.Max)
	}
	d := a.Distribution
	if len(d) == 0 || d[0] != (PercentilePoint{0, 0.4}) || d[len(d)-1] != (PercentilePoint{100, 1.9}) {
		t.Errorf("Distribution from the HDR log = %v, want 0.4 … 1.9 ms", d)
	}
}

func TestParseTagComment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line, tag string
		want      azHLogTag
		ok        bool
	}{
		{`#[Tag: a_b metric=http_req_duration label="a b"]` + "\n", "a_b", azHLogTag{label: "a b"}, true},
		{`#[Tag: x.corrected metric=http_req_duration_corrected label="x]\"y"]`, "x.corrected", azHLogTag{label: `x]"y`, corrected: true}, true},
		{`#[Tag: a metric=http_req_duration]`, "", azHLogTag{}, false},
		{`#[Tag: a metric=http_req_duration label=notjson]`, "", azHLogTag{}, false},
	}
	for _, tt := range tests {
		tag, got, ok := azParseTagComment(tt.line)
		if ok != tt.ok || tag != tt.tag || got != tt.want {
			t.Errorf("azParseTagComment(%q) = %q, %+v, %v; want %q, %+v, %v", tt.line, tag, got, ok, tt.tag, tt.want, tt.ok)
		}
	}
}

func BenchmarkAnalyzeReader(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(jrtHeader)
	for i := range 20000 {
		ok := "true"
		code := "200,OK"
		if i%100 == 0 {
			ok, code = "false", "500,Internal Server Error"
		}
		sb.WriteString(strconv.Itoa(aztT0+i) + "," + strconv.Itoa(20+i%300) + ",label " + strconv.Itoa(i%20) + "," + code +
			",Scenario 1 1-7,text," + ok + ",,13330,512,200,200,http://127.0.0.1:8080/api/v1/x,62,0,0\n")
	}
	in := sb.String()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := AnalyzeReader(context.Background(), strings.NewReader(in), "bench", Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
