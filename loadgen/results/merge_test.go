package results

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgen/loadgen/loadgen/record"
)

// writeWorker writes a worker's results.jtl and latency.hlog with the
// engine's own writers: n samples of each label, starting at start, one
// every step, with elapsed values from elapsed(i).
func writeWorker(t *testing.T, dir string, start time.Time, n int, step time.Duration, elapsed func(i int) time.Duration) {
	t.Helper()
	steps := []record.StepInfo{{Label: "get, a", Scenario: "s"}, {Label: "post", Scenario: "s", Arrival: true}}
	jf, err := os.Create(filepath.Join(dir, JTLName))
	if err != nil {
		t.Fatal(err)
	}
	defer jf.Close()
	hf, err := os.Create(filepath.Join(dir, HLogName))
	if err != nil {
		t.Fatal(err)
	}
	defer hf.Close()
	jw, err := record.NewJTLWriter(jf, JTLName, steps, record.JTLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hw, err := record.NewHDRLog(hf, steps, start, record.HDRLogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		for st := range steps {
			e := int64(elapsed(i))
			s := record.Sample{
				Start: start.Add(time.Duration(i) * step).UnixNano(), Elapsed: e, Corrected: e + int64(time.Millisecond),
				Step: int32(st), VU: 1, Status: 200, Success: i%10 != 0, URL: "http://127.0.0.1/x",
			}
			if err := jw.Write(&s); err != nil {
				t.Fatal(err)
			}
			hw.Record(&s)
		}
	}
	if err := jw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := hw.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestMergeInterleavesRowsAndAddsHistograms(t *testing.T) {
	start := time.Unix(1_800_000_000, 0)
	a, b, out := t.TempDir(), t.TempDir(), t.TempDir()
	writeWorker(t, a, start, 300, 10*time.Millisecond, func(i int) time.Duration { return time.Duration(i+1) * time.Millisecond })
	writeWorker(t, b, start.Add(5*time.Millisecond), 200, 15*time.Millisecond, func(int) time.Duration { return 500 * time.Millisecond })
	res, err := Merge([]string{a, b}, out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 1000 {
		t.Fatalf("merged %d rows, want 1000", res.Rows)
	}
	f, err := os.Open(res.JTL)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(recs[0], ","); got+"\n" != record.JTLHeader {
		t.Fatalf("header %q", got)
	}
	var last int64
	labels := map[string]int{}
	for _, r := range recs[1:] {
		ts, _ := strconv.ParseInt(r[0], 10, 64)
		if ts < last {
			t.Fatalf("rows out of time order: %d after %d", ts, last)
		}
		last = ts
		labels[r[2]]++
	}
	if labels["get, a"] != 500 || labels["post"] != 500 {
		t.Errorf("labels %v", labels)
	}

	// the merged log holds every value of both workers, per tag
	hf, err := os.Open(res.HLog)
	if err != nil {
		t.Fatal(err)
	}
	defer hf.Close()
	r := hdr.NewHistogramLogReader(hf)
	total := map[string]*hdr.Histogram{}
	for {
		h, err := r.NextIntervalHistogram()
		if err != nil {
			t.Fatal(err)
		}
		if h == nil {
			break
		}
		if total[h.Tag()] == nil {
			total[h.Tag()] = hdr.New(1, 3_600_000_000, 3)
		}
		total[h.Tag()].Merge(h)
	}
	for _, tag := range []string{"get__a", "post", "post.corrected"} {
		h := total[tag]
		if h == nil || h.TotalCount() != 500 {
			t.Fatalf("tag %s: %v", tag, h)
		}
	}
	// 200 of 500 values are 500 ms: p50 below, p90 at 500 ms
	if p := total["post"].ValueAtPercentile(90); p < 499_000 || p > 501_000 {
		t.Errorf("merged p90 %d µs, want ~500 ms", p)
	}
	b2, _ := os.ReadFile(res.HLog)
	if !strings.Contains(string(b2), `label="get, a"`) {
		t.Errorf("tag mapping comments lost:\n%.400s", b2)
	}
}

func TestMergeRejectsDifferentHeaders(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(a, JTLName), []byte(record.JTLHeader), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b, JTLName), []byte("timeStamp,elapsed,label\n1,2,x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Merge([]string{a, b}, t.TempDir()); err == nil || !strings.Contains(err.Error(), "differs") {
		t.Fatalf("err %v", err)
	}
	if _, err := Merge([]string{a, t.TempDir()}, t.TempDir()); err == nil {
		t.Fatal("a folder without results.jtl was accepted")
	}
}
