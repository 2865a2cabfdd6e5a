package insights

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen/results"
)

// fxHeader is the JTL header of the fixtures (JMeter's CSV columns).
const fxHeader = "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n"

// fxT0 is 2023-11-14T22:13:20Z in Unix ms.
const fxT0 = 1700000000000

// fxRand is a small deterministic generator (a 64-bit LCG), so fixtures
// are the same on every machine and Go version.
type fxRand uint64

func (r *fxRand) next() uint64 {
	*r = *r*6364136223846793005 + 1442695040888963407
	return uint64(*r >> 33)
}

// between returns an integer in [lo, hi].
func (r *fxRand) between(lo, hi int) int { return lo + int(r.next()%uint64(hi-lo+1)) }

// fxLabel describes the rows of one label.
type fxLabel struct {
	name     string
	lo, hi   int    // elapsed range, ms
	slowPct  int    // share of rows (percent) in [hi, 3·hi]
	errPct   int    // share of rows (percent) failing
	errCode  string // responseCode of failures
	errMsg   string // responseMessage of failures
	weight   int    // rows per iteration
	sentSize int    // bytes sent
}

// fxJTL writes a JTL of iterations × labels, one iteration starting
// every 100 ms on threads threads, with a transaction row per iteration
// when tx is not "".
func fxJTL(seed uint64, iterations, threads int, labels []fxLabel, tx string) string {
	r := fxRand(seed)
	var b strings.Builder
	b.WriteString(fxHeader)
	csv := func(s string) string {
		if strings.ContainsAny(s, ",\"\n") {
			return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		}
		return s
	}
	for it := 0; it < iterations; it++ {
		thread := it%threads + 1
		ts := int64(fxT0) + int64(it)*100 + int64(r.between(0, 90))
		start := ts
		txElapsed, txFail := 0, false
		for _, l := range labels {
			for w := 0; w < max(l.weight, 1); w++ {
				el := r.between(l.lo, l.hi)
				if r.between(1, 100) <= l.slowPct {
					el = r.between(l.hi, 3*l.hi)
				}
				code, msg, ok := "200", "OK", "true"
				if r.between(1, 100) <= l.errPct {
					code, msg, ok = l.errCode, l.errMsg, "false"
					txFail = true
				}
				fmt.Fprintf(&b, "%d,%d,%s,%s,%s,TG 1-%d,text,%s,,%d,%d,%d,%d,http://127.0.0.1/%s,%d,0,%d\n",
					ts, el, csv(l.name), csv(code), csv(msg), thread, ok, r.between(500, 5000), l.sentSize, threads, threads,
					csv(strings.ReplaceAll(l.name, " ", "-")), el*8/10, r.between(0, 3))
				ts += int64(el)
				txElapsed += el
			}
		}
		if tx != "" {
			ok := "true"
			if txFail {
				ok = "false"
			}
			fmt.Fprintf(&b, "%d,%d,%s,200,\"Number of samples in transaction : %d, number of failing samples : 0\",TG 1-%d,,%s,,0,0,%d,%d,null,%d,0,0\n",
				start, txElapsed, csv(tx), len(labels), thread, ok, threads, threads, txElapsed)
		}
	}
	return b.String()
}

// fxNFR is the NFR file of the degraded fixture.
const fxNFR = `response_time_p95: 800ms
error_rate: <1%
throughput: 20rps
labels:
  login: {response_time_p95: 100ms}
  search: {response_time_p95: 2000ms}
`

// fixture is a named analysis for the tests.
type fixture struct {
	name string
	jtl  string
	nfr  string
}

// fixtures are the analyses of the golden and property tests.
func fixtures() []fixture {
	return []fixture{
		{name: "degraded", nfr: fxNFR, jtl: fxJTL(1, 600, 10, []fxLabel{
			{name: "login", lo: 40, hi: 120, slowPct: 3, sentSize: 300},
			{name: "search", lo: 300, hi: 1500, slowPct: 5, weight: 2, sentSize: 150},
			{name: "checkout", lo: 200, hi: 600, slowPct: 2, errPct: 8, errCode: "500", errMsg: "Internal Server Error", sentSize: 900},
			{name: "payment", lo: 100, hi: 300, errPct: 2, errCode: "Non HTTP response code: java.net.SocketTimeoutException", errMsg: "Non HTTP response message: Read timed out", sentSize: 400},
		}, "TX checkout flow")},
		{name: "healthy", jtl: fxJTL(2, 400, 4, []fxLabel{
			{name: "home", lo: 20, hi: 60, sentSize: 200},
			{name: "api/items", lo: 30, hi: 90, slowPct: 1, sentSize: 250},
		}, "")},
		{name: "empty", jtl: fxHeader},
	}
}

// analyzeFixture runs the analyzer on a fixture as the CLI does: analysis,
// NFR check, grade.
func analyzeFixture(t testing.TB, f fixture) *results.Analysis {
	t.Helper()
	a, err := results.AnalyzeReader(context.Background(), strings.NewReader(f.jtl), f.name+".jtl", results.Options{Location: time.UTC})
	if err != nil {
		t.Fatalf("%s: analyze: %v", f.name, err)
	}
	if f.nfr != "" {
		spec, err := results.ParseNFR([]byte(f.nfr), f.name+".nfr.yaml")
		if err != nil {
			t.Fatalf("%s: NFR: %v", f.name, err)
		}
		a.NFRs = spec.Check(a)
	}
	a.Grade = results.GradeRun(a)
	return a
}

// fixtureAnalysis returns the analysis of the named fixture.
func fixtureAnalysis(t testing.TB, name string) *results.Analysis {
	t.Helper()
	for _, f := range fixtures() {
		if f.name == name {
			return analyzeFixture(t, f)
		}
	}
	t.Fatalf("no fixture %q", name)
	return nil
}
