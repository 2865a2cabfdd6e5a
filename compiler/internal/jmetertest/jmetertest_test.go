package jmetertest

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/planspec"
)

// jtlHeader is the header of JMeter's default CSV JTL (bin/jmeter.properties).
const jtlHeader = "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect"

// The plan of testdata/basic.jmx: a thread group of basicThreads threads ×
// basicLoops loops; each iteration is the transaction basicTx around the
// samplers basicHome (passes) and basicBroken (fails its assertion).
const (
	basicThreads = 2
	basicLoops   = 5
	basicTx      = `flow, "tx"`
	basicHome    = `home, "quoted"`
	basicBroken  = "broken"
	txPrefix     = "Number of samples in transaction"
)

// request is one request the test server received.
type request struct {
	at    int64 // arrival, Unix ms
	query url.Values
}

// server is a local HTTP target: /ok answers 200 "ok" after 0–3 ms and
// records the requests.
type server struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []request
}

func newServer(t *testing.T) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now().UnixMilli()
		if r.URL.Path != "/ok" {
			http.NotFound(w, r)
			return
		}
		s.mu.Lock()
		s.reqs = append(s.reqs, request{at: at, query: r.URL.Query()})
		s.mu.Unlock()
		time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) port(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

func (s *server) requests() []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs)
}

// jtlRow is one row of a JTL with the default header, by column name.
type jtlRow map[string]string

// readJTL reads a JTL written with JMeter's default CSV settings, checking
// the header and that every row has all 17 columns.
func readJTL(t *testing.T, path string) []jtlRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s is not CSV: %v", path, err)
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != jtlHeader {
		t.Fatalf("%s: header\n got %v\nwant %s", path, recs[:min(1, len(recs))], jtlHeader)
	}
	cols := recs[0]
	rows := make([]jtlRow, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		r := jtlRow{}
		for i, c := range cols {
			r[c] = rec[i]
		}
		rows = append(rows, r)
	}
	return rows
}

func (r jtlRow) int(t *testing.T, col string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(r[col], 10, 64)
	if err != nil {
		t.Fatalf("row %v: %s: %v", r, col, err)
	}
	return n
}

func (r jtlRow) transaction() bool { return strings.HasPrefix(r["responseMessage"], txPrefix) }

// counts are per-label sample and failure counts of JTL rows.
type counts struct{ samples, failures int64 }

// countJTL counts rows per label and for the total JMeter's dashboard shows
// (every row but transaction controller rows).
func countJTL(rows []jtlRow) (map[string]counts, counts) {
	by := map[string]counts{}
	var total counts
	for _, r := range rows {
		c := by[r["label"]]
		c.samples++
		if r["success"] != "true" {
			c.failures++
		}
		by[r["label"]] = c
		if !r.transaction() {
			total.samples++
			if r["success"] != "true" {
				total.failures++
			}
		}
	}
	return by, total
}

// TestJMeterPlan runs testdata/basic.jmx in JMeter 5.6.3 against a local
// server, then checks the JTL JMeter wrote, the dashboard statistics JMeter
// computes from it and what our analyzer reads from it.
func TestJMeterPlan(t *testing.T) {
	t.Parallel()
	h := Harness(t)
	srv := newServer(t)
	dir := t.TempDir()
	jtl := filepath.Join(dir, "basic.jtl")
	marker := "m" + strconv.Itoa(rand.IntN(1e6))

	// Generous: the context spans several JVM runs, and each may first wait
	// for another package's JVM to finish (lockJVM).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now().UnixMilli()
	err := h.RunJMX(ctx, t, filepath.Join("testdata", "basic.jmx"), jtl,
		map[string]string{"port": srv.port(t), "marker": marker})
	if err != nil {
		t.Fatal(err)
	}
	end := time.Now().UnixMilli()
	rows := readJTL(t, jtl)

	t.Run("jtl", func(t *testing.T) {
		perLabel, _ := countJTL(rows)
		iterations := int64(basicThreads * basicLoops)
		want := map[string]counts{
			basicHome:   {iterations, 0},
			basicBroken: {iterations, iterations},
			basicTx:     {iterations, iterations}, // a failing child fails the transaction
		}
		if fmt.Sprint(perLabel) != fmt.Sprint(want) {
			t.Errorf("rows per label (samples, failures)\n got %v\nwant %v", perLabel, want)
		}
		threads := map[string]bool{}
		for _, r := range rows {
			threads[r["threadName"]] = true
			switch r["label"] {
			case basicHome:
				if r["responseCode"] != "200" || r["failureMessage"] != "" || !strings.HasPrefix(r["URL"], srv.URL+"/ok?") {
					t.Errorf("%s row %v", basicHome, r)
				}
			case basicBroken:
				if r["responseCode"] != "200" || !strings.Contains(r["failureMessage"], "nope") {
					t.Errorf("%s row %v", basicBroken, r)
				}
			case basicTx:
				msg := txPrefix + " : 2, number of failing samples : 1"
				if r["responseCode"] != "" || r["responseMessage"] != msg || r["URL"] != "null" || r["dataType"] != "" {
					t.Errorf("transaction row %v", r)
				}
			}
		}
		if len(threads) != basicThreads {
			t.Errorf("threads %v, want %d", threads, basicThreads)
		}
		checkFunctions(t, srv.requests(), marker, start, end)
		checkStartTimestamps(t, rows, srv.requests())
	})

	jmStats, err := h.Report(ctx, t, jtl, filepath.Join(dir, "report"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "report", "index.html")); err != nil {
		t.Errorf("dashboard: %v", err)
	}

	t.Run("report", func(t *testing.T) {
		perLabel, total := countJTL(rows)
		checkCounts(t, jmStats, perLabel, total)
	})

	t.Run("analyzer reads JMeter's JTL", func(t *testing.T) {
		a, err := results.Analyze(ctx, jtl, results.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if a.SkippedRows != 0 {
			t.Errorf("analyzer skipped %d rows: %v", a.SkippedRows, a.SkippedExamples)
		}
		compareWithJMeter(t, jmStats, a)
	})
}

// checkFunctions checks what JMeter's functions in basic.jmx's query string
// expanded to, as the server received them.
func checkFunctions(t *testing.T, reqs []request, marker string, start, end int64) {
	t.Helper()
	uuidRe := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	uuids := map[string]bool{}
	home := 0
	for _, r := range reqs {
		q := r.query
		for k, v := range q {
			if strings.Contains(strings.Join(v, ""), "${") {
				t.Errorf("%s=%q: a function was not resolved", k, v)
			}
		}
		if q.Get("uuid") == "" {
			continue
		}
		home++
		uuids[q.Get("uuid")] = true
		if n, err := strconv.Atoi(q.Get("rand")); err != nil || n < 1 || n > 9 {
			t.Errorf("__Random(1,9) gave %q", q.Get("rand"))
		}
		if !uuidRe.MatchString(q.Get("uuid")) {
			t.Errorf("__UUID() gave %q", q.Get("uuid"))
		}
		if ms, err := strconv.ParseInt(q.Get("time"), 10, 64); err != nil || ms < start || ms > end {
			t.Errorf("__time() gave %q, want a time in [%d, %d]", q.Get("time"), start, end)
		}
		if n, err := strconv.Atoi(q.Get("thread")); err != nil || n < 1 || n > basicThreads {
			t.Errorf("__threadNum gave %q", q.Get("thread"))
		}
		if q.Get("char") != "$" {
			t.Errorf("__char(36) gave %q", q.Get("char"))
		}
		if q.Get("groovy") != "42" {
			t.Errorf("__groovy(6*7) gave %q", q.Get("groovy"))
		}
		if q.Get("prop") != marker {
			t.Errorf("__P(marker,unset) gave %q, want the -J value %q", q.Get("prop"), marker)
		}
	}
	if want := basicThreads * basicLoops; home != want || len(uuids) != want {
		t.Errorf("%d home requests with %d distinct UUIDs, want %d", home, len(uuids), want)
	}
}

// checkStartTimestamps checks that timeStamp is the sample's start: each
// home request reached the server within [timeStamp, timeStamp + elapsed].
func checkStartTimestamps(t *testing.T, rows []jtlRow, reqs []request) {
	t.Helper()
	arrival := map[string]int64{}
	for _, r := range reqs {
		if id := r.query.Get("uuid"); id != "" {
			arrival[id] = r.at
		}
	}
	for _, r := range rows {
		if r["label"] != basicHome {
			continue
		}
		u, err := url.Parse(r["URL"])
		if err != nil {
			t.Fatal(err)
		}
		at, ok := arrival[u.Query().Get("uuid")]
		ts, el := r.int(t, "timeStamp"), r.int(t, "elapsed")
		if !ok || at < ts || at > ts+el {
			t.Errorf("request arrived at %d (found %v), row says start %d + elapsed %d", at, ok, ts, el)
		}
	}
}

// checkCounts compares statistics.json's counts with the JTL's.
func checkCounts(t *testing.T, st Statistics, perLabel map[string]counts, total counts) {
	t.Helper()
	for label, c := range perLabel {
		s, ok := st[label]
		if !ok {
			t.Errorf("statistics.json has no %q", label)
			continue
		}
		if s.SampleCount != c.samples || s.ErrorCount != c.failures {
			t.Errorf("%q: statistics.json %d samples, %d errors; JTL %d rows, %d failed",
				label, s.SampleCount, s.ErrorCount, c.samples, c.failures)
		}
	}
	if len(st) != len(perLabel)+1 {
		t.Errorf("statistics.json labels %v, JTL labels %v", keys(st), keys(perLabel))
	}
	// JMeter's Total leaves out transaction controller rows.
	if tot := st[TotalLabel]; tot.SampleCount != total.samples || tot.ErrorCount != total.failures {
		t.Errorf("Total: statistics.json %d samples, %d errors; JTL without transaction rows %d, %d failed",
			tot.SampleCount, tot.ErrorCount, total.samples, total.failures)
	}
}

// compareWithJMeter compares our analyzer's statistics with JMeter's
// dashboard statistics of the same JTL, per label and for Total.
//
// Like with like: our analyzer (results.AnalyzeReader, without an HDR log)
// has one LabelStats per label, transaction labels included and marked, and
// a Total over every row except transaction rows and sub-results, which is
// JMeter's Total (it leaves out controller samples). Counts, mean, min and
// max are over all of a label's rows in both; JMeter's error % is a float32.
// Median and percentiles are
// only logged: JMeter's come from commons-math's LEGACY estimator over a
// window of the last 20,000 samples, ours from an HdrHistogram over all
// samples, and the two estimators differ by design.
func compareWithJMeter(t *testing.T, jm Statistics, a *results.Analysis) {
	t.Helper()
	ours := map[string]results.LabelStats{TotalLabel: a.Total}
	for _, l := range a.Labels {
		if _, dup := ours[l.Label]; dup {
			t.Errorf("label %q twice in our analysis", l.Label)
		}
		ours[l.Label] = l
	}
	if !slices.Equal(keys(jm), keys(ours)) {
		t.Errorf("labels: JMeter %q, ours %q", keys(jm), keys(ours))
	}
	for _, label := range keys(jm) {
		j := jm[label]
		o, ok := ours[label]
		if !ok {
			continue
		}
		var diffs []string
		diff := func(what string, jv, ov, tol float64) {
			if math.Abs(jv-ov) > tol || math.IsNaN(jv) != math.IsNaN(ov) {
				diffs = append(diffs, fmt.Sprintf("%s: JMeter %v, ours %v", what, jv, ov))
			}
		}
		diff("samples", float64(j.SampleCount), float64(o.Samples), 0)
		diff("errors", float64(j.ErrorCount), float64(o.Failures), 0)
		// JMeter computes errorPct in single precision (a Java float).
		diff("error % (as float32)", float64(float32(j.ErrorPct)), float64(float32(o.ErrorPct)), 0)
		diff("mean ms", j.MeanResTime, o.Mean, 1)
		diff("min ms", j.MinResTime, o.Min, 0)
		diff("max ms", j.MaxResTime, o.Max, 0)
		diff("throughput/s", j.Throughput, o.Throughput, 1e-9*j.Throughput)
		diff("received KB/s", j.ReceivedKBytesPerSec, o.ReceivedKBps, 1e-9*j.ReceivedKBytesPerSec)
		diff("sent KB/s", j.SentKBytesPerSec, o.SentKBps, 1e-9*j.SentKBytesPerSec)
		if len(diffs) > 0 {
			t.Errorf("%q (transaction %v): our analyzer disagrees with JMeter's dashboard:\n  %s",
				label, o.Transaction, strings.Join(diffs, "\n  "))
		}
		t.Logf("%q: n=%d err=%d mean %.3f/%.3f ms; median %v/%v, p90 %v/%v, p95 %v/%v, p99 %v/%v (JMeter/ours)",
			label, j.SampleCount, j.ErrorCount, j.MeanResTime, o.Mean, j.MedianResTime, o.Median,
			j.Pct1ResTime, o.P90, j.Pct2ResTime, o.P95, j.Pct3ResTime, o.P99)
	}
	// JMeter's Total is the non-transaction labels' rows.
	var n int64
	for label, s := range jm {
		if label != TotalLabel && !ours[label].Transaction {
			n += s.SampleCount
		}
	}
	if n != jm[TotalLabel].SampleCount {
		t.Errorf("JMeter's Total has %d samples; its non-transaction labels %d", jm[TotalLabel].SampleCount, n)
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// engineLabels are the labels of enginePlan: commas and quotes on purpose.
const (
	engineHome  = `home, "quoted"`
	engineGroup = `checkout, "tx"`
	engineCart  = "cart"
	enginePay   = `pay, "fails"`
)

// enginePlan has two top-level steps, the second a group (a transaction)
// of two requests, one failing its check.
const enginePlan = `
version: 1
name: jmeter-interop
target: TARGET
scenarios:
  - name: s
    executor: constant-vus
    vus: 3
    duration: 2s
    graceful_stop: 5s
    steps:
      - name: 'home, "quoted"'
        request: {url: "/ok?step=home"}
        check: [status == 200]
      - group: 'checkout, "tx"'
        steps:
          - name: cart
            request: {url: "/ok?step=cart"}
            check: [status == 200]
          - name: 'pay, "fails"'
            request: {url: "/ok?step=pay"}
            check: [status == 201]
`

// TestEngineJTLAgainstJMeter is the key interop check: JMeter's dashboard
// generator reads the results.jtl our engine writes, and its statistics
// agree with our analyzer's on the same file.
func TestEngineJTLAgainstJMeter(t *testing.T) {
	t.Parallel()
	h := Harness(t)
	srv := newServer(t)
	plan, err := planspec.Parse([]byte(strings.ReplaceAll(enginePlan, "TARGET", srv.URL)), "interop.yaml", planspec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	runCtx, runCancel := context.WithTimeout(ctx, 30*time.Second)
	defer runCancel()
	if _, err := loadgen.Run(runCtx, plan, loadgen.Options{Out: out, Seed: 7}); err != nil {
		t.Fatalf("engine run: %v", err)
	}
	jtl := filepath.Join(out, loadgen.JTLFile)
	rows := readJTL(t, jtl)
	perLabel, total := countJTL(rows)
	for _, l := range []string{engineHome, engineGroup, engineCart, enginePay} {
		if perLabel[l].samples == 0 {
			t.Fatalf("no %q rows in results.jtl: %v", l, perLabel)
		}
	}
	if perLabel[enginePay].failures != perLabel[enginePay].samples || perLabel[engineGroup].failures == 0 {
		t.Errorf("failing check: %v", perLabel)
	}

	jm, err := h.Report(ctx, t, jtl, filepath.Join(t.TempDir(), "report"))
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, jm, perLabel, total)

	a, err := results.Analyze(ctx, jtl, results.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.SkippedRows != 0 {
		t.Errorf("analyzer skipped %d rows: %v", a.SkippedRows, a.SkippedExamples)
	}
	if a.TransactionRows != perLabel[engineGroup].samples {
		t.Errorf("analyzer saw %d transaction rows, the JTL has %d", a.TransactionRows, perLabel[engineGroup].samples)
	}
	compareWithJMeter(t, jm, a)
}

// TestRunJMXReportsBrokenPlan checks that a plan JMeter cannot load is an
// error, for a run and for LoadJMX.
func TestRunJMXReportsBrokenPlan(t *testing.T) {
	t.Parallel()
	h := Harness(t)
	src, err := os.ReadFile(filepath.Join("testdata", "basic.jmx"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jmx")
	broken := strings.ReplaceAll(string(src), "HTTPSamplerProxy", "NoSuchSampler")
	if err := os.WriteFile(bad, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	err = h.RunJMX(ctx, t, bad, filepath.Join(dir, "bad.jtl"), nil)
	if err == nil || !strings.Contains(err.Error(), "NoSuchSampler") {
		t.Errorf("run of a broken plan: %v", err)
	}
	if _, err := h.LoadJMX(ctx, t, bad); err == nil || !strings.Contains(err.Error(), "NoSuchSampler") {
		t.Errorf("load of a broken plan: %v", err)
	}
	tree, err := h.LoadJMX(ctx, t, filepath.Join("testdata", "basic.jmx"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ThreadGroup", "TransactionController", "HTTPSamplerProxy", "ResponseAssertion", basicTx} {
		if !strings.Contains(tree, want) {
			t.Errorf("loaded tree lacks %s:\n%s", want, tree)
		}
	}
	v, err := h.Version(ctx, t)
	if err != nil || v != JMeterVersion {
		t.Errorf("version %q (%v), want %s", v, err, JMeterVersion)
	}
}

// TestRunMaven runs Maven on a minimal generated project, on a broken one,
// and past a deadline.
func TestRunMaven(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pom := `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.loadgen</groupId>
  <artifactId>runmaven-test</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
</project>
`
	if err := os.WriteFile(filepath.Join(dir, "pom.xml"), []byte(pom), 0o644); err != nil {
		t.Fatal(err)
	}
	// A minute for each call, counted once it holds the JVM lock (another
	// package's Maven run may hold it for minutes).
	minute := func() context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		t.Cleanup(cancel)
		return ctx
	}
	if out, err := RunMaven(minute(), t, dir, "validate"); err != nil {
		t.Errorf("mvn validate: %v\n%s", err, out)
	}

	broken := t.TempDir()
	if err := os.WriteFile(filepath.Join(broken, "pom.xml"), []byte("<project>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := RunMaven(minute(), t, broken, "validate"); err == nil || !strings.Contains(err.Error(), "pom.xml") {
		t.Errorf("mvn on a broken pom.xml: %v, want an error with Maven's output", err)
	}

	short, cancelShort := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancelShort()
	if _, err := RunMaven(short, t, dir, "validate"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("mvn past its deadline: %v, want a deadline error", err)
	}
}

// TestReadStatistics reads a statistics.json as JMeter 5.6.3 writes it for
// a zero time span (throughputs as the string "Infinity").
func TestReadStatistics(t *testing.T) {
	t.Parallel()
	entry := func(label string) string {
		return fmt.Sprintf(`%q : {"transaction" : %q, "sampleCount" : 1, "errorCount" : 0, "errorPct" : 0.0,
			"meanResTime" : 0.0, "medianResTime" : 0.0, "minResTime" : 0.0, "maxResTime" : 0.0,
			"pct1ResTime" : 0.0, "pct2ResTime" : 0.0, "pct3ResTime" : 0.0, "throughput" : "Infinity",
			"receivedKBytesPerSec" : "Infinity", "sentKBytesPerSec" : "NaN"}`, label, label)
	}
	path := filepath.Join(t.TempDir(), "statistics.json")
	if err := os.WriteFile(path, []byte("{"+entry("a, \"b\"")+",\n"+entry("Total")+"}"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := ReadStatistics(path)
	if err != nil {
		t.Fatal(err)
	}
	s := st[`a, "b"`]
	if s.SampleCount != 1 || !math.IsInf(s.Throughput, 1) || !math.IsNaN(s.SentKBytesPerSec) || len(st) != 2 {
		t.Errorf("read %+v", st)
	}
	if err := os.WriteFile(path, []byte(`{"x": {"sampleCount": 1}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadStatistics(path); err == nil {
		t.Error("statistics without Total: no error")
	}
}
