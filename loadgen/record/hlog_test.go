package record

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

var hdrSteps = []StepInfo{
	{Label: "a, b", Scenario: "s1"},
	{Label: "with space", Scenario: "s1"},
	{Label: "new\nline \"quoted\"", Scenario: "s1"},
	{Label: "dup_label", Scenario: "s1"},
	{Label: "dup label", Scenario: "s1"},
	{Label: "open", Scenario: "arrivals", Arrival: true},
	{Label: "open", Scenario: "closed"}, // same label, VU scenario
	{Label: "open.corrected", Scenario: "s1"},
	{Label: "", Scenario: "s1"},
	{Label: "Заказ\u2028x", Scenario: "s1"},
}

type tagInfo struct {
	metric, label string
}

// parseTagComments returns the "#[Tag: …]" header comments by tag.
func parseTagComments(t *testing.T, log []byte) map[string]tagInfo {
	t.Helper()
	out := map[string]tagInfo{}
	sc := bufio.NewScanner(bytes.NewReader(log))
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, "#[Tag: ")
		if !ok {
			continue
		}
		tag, rest, ok1 := strings.Cut(rest, " metric=")
		metric, rest, ok2 := strings.Cut(rest, " label=")
		js, ok3 := strings.CutSuffix(rest, "]")
		if !ok1 || !ok2 || !ok3 {
			t.Fatalf("malformed tag comment %q", line)
		}
		var label string
		if err := json.Unmarshal([]byte(js), &label); err != nil {
			t.Fatalf("tag comment %q: label: %v", line, err)
		}
		if _, dup := out[tag]; dup {
			t.Fatalf("tag %q listed twice", tag)
		}
		out[tag] = tagInfo{metric, label}
	}
	return out
}

type readInterval struct {
	tag string
	h   *hdrhistogram.Histogram
}

func readLog(t *testing.T, log []byte) []readInterval {
	t.Helper()
	r := hdrhistogram.NewHistogramLogReader(bytes.NewReader(log))
	var out []readInterval
	for {
		h, err := r.NextIntervalHistogram()
		if err != nil {
			t.Fatalf("reading interval %d: %v", len(out), err)
		}
		if h == nil {
			return out
		}
		out = append(out, readInterval{h.Tag(), h})
	}
}

// exactPercentile uses HdrHistogram's rank rule on sorted values.
func exactPercentile(sorted []int64, p float64) int64 {
	rank := int64(p/100*float64(len(sorted)) + 0.5)
	rank = max(1, min(rank, int64(len(sorted))))
	return sorted[rank-1]
}

func TestHDRLogRoundTrip(t *testing.T) {
	start := time.Unix(1_700_000_000, 123_456_789)
	var out bytes.Buffer
	l, err := NewHDRLog(&out, hdrSteps, start, HDRLogOptions{Version: "v0.1.0"})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	values := map[string][]int64{}    // label -> µs
	corrected := map[string][]int64{} // label -> µs
	type bucket struct {
		label string
		sec   int64
	}
	perInterval := map[bucket]int64{} // plain-metric samples per label and interval
	const n = 20_000
	const span = 7 * time.Second
	var lastAdvance time.Time
	for i := 0; i < n; i++ {
		step := int32(rng.IntN(len(hdrSteps)))
		us := int64(100 + rng.IntN(2_000_000)) // 100 µs .. 2 s
		corr := us + int64(rng.IntN(50_000))
		// End times increase, with jitter of up to 300ms backwards.
		end := start.Add(span * time.Duration(i) / n).Add(-time.Duration(rng.IntN(300)) * time.Millisecond)
		s := Sample{Start: end.UnixNano() - us*1000, Elapsed: us * 1000, Corrected: corr * 1000, Step: step}
		l.Record(&s)
		label := hdrSteps[step].Label
		perInterval[bucket{label, end.Sub(start).Milliseconds() / 1000}]++
		values[label] = append(values[label], us)
		if hdrSteps[step].Arrival {
			corrected[label] = append(corrected[label], corr)
		}
		if now := start.Add(span * time.Duration(i) / n); now.Sub(lastAdvance) >= 100*time.Millisecond {
			if err := l.Advance(now); err != nil {
				t.Fatal(err)
			}
			lastAdvance = now
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	log := out.Bytes()

	for _, want := range []string{
		"#[Logged with loadgen v0.1.0]\n",
		"#[Histogram log format version 1.3]\n",
		"#" + HDRUnitComment + "\n",
		"#[StartTime: 1700000000 (seconds since epoch), 2023-11-14T22:13:20Z]\n",
		"#[BaseTime: 1700000000 (seconds since epoch)]\n",
		"\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n",
	} {
		if !bytes.Contains(log, []byte(want)) {
			t.Errorf("header lacks %q", want)
		}
	}

	tags := parseTagComments(t, log)
	if got := l.Tags(); len(got) != len(tags) {
		t.Fatalf("Tags() has %d entries, comments %d", len(got), len(tags))
	} else {
		for tag, label := range got {
			if tags[tag].label != label {
				t.Errorf("tag %q: comment label %q, Tags() %q", tag, tags[tag].label, label)
			}
		}
	}
	byLabel := map[tagInfo]string{}
	for tag, ti := range tags {
		if !validTag(tag) {
			t.Errorf("invalid tag %q", tag)
		}
		if ti.metric != MetricDuration && ti.metric != MetricDurationCorrected {
			t.Errorf("tag %q: metric %q", tag, ti.metric)
		}
		byLabel[ti] = tag
	}
	for _, want := range []struct{ label, tag string }{
		{"a, b", "a__b"}, {"with space", "with_space"}, {"dup_label", "dup_label"},
		{"dup label", "dup_label~2"}, {"open", "open"}, {"open.corrected", "open.corrected"}, {"", "_"},
	} {
		if got := byLabel[tagInfo{MetricDuration, want.label}]; got != want.tag {
			t.Errorf("label %q: tag %q, want %q", want.label, got, want.tag)
		}
	}
	if got := byLabel[tagInfo{MetricDurationCorrected, "open"}]; got != "open.corrected~2" {
		t.Errorf("corrected tag for \"open\": %q", got)
	}
	distinctLabels := map[string]bool{}
	for _, st := range hdrSteps {
		distinctLabels[st.Label] = true
		if _, ok := byLabel[tagInfo{MetricDuration, st.Label}]; !ok {
			t.Errorf("label %q has no tag comment", st.Label)
		}
	}
	if len(tags) != len(distinctLabels)+1 {
		t.Errorf("%d tags for %d labels + 1 corrected", len(tags), len(distinctLabels))
	}

	intervals := readLog(t, log)
	merged := map[string]*hdrhistogram.Histogram{}
	var prevStart int64
	for i, iv := range intervals {
		if iv.tag == "" {
			t.Fatalf("interval %d has no tag", i)
		}
		if _, ok := tags[iv.tag]; !ok {
			t.Fatalf("interval %d: tag %q not in the header", i, iv.tag)
		}
		if st := iv.h.StartTimeMs(); st < prevStart {
			t.Fatalf("interval %d starts at %d, before %d", i, st, prevStart)
		} else {
			prevStart = st
		}
		off := iv.h.StartTimeMs() - start.UnixMilli()
		if r := off % 1000; off < 0 || (r > 1 && r < 999) {
			t.Errorf("interval %d starts %d ms after the run start, not on a 1 s boundary", i, off)
		}
		if d := iv.h.EndTimeMs() - iv.h.StartTimeMs(); d < 999 || d > 1001 {
			t.Errorf("interval %d lasts %d ms", i, d)
		}
		if iv.h.TotalCount() == 0 {
			t.Errorf("interval %d is empty", i)
		}
		if ti := tags[iv.tag]; ti.metric == MetricDuration {
			// Samples are at most 300 ms late, within the lag window, so
			// each lands in the interval holding its end time.
			b := bucket{ti.label, (iv.h.StartTimeMs() - start.UnixMilli() + 500) / 1000}
			if got := iv.h.TotalCount(); got != perInterval[b] {
				t.Errorf("interval %d (%q at +%ds): %d samples, want %d", i, b.label, b.sec, got, perInterval[b])
			}
			delete(perInterval, b)
		}
		if merged[iv.tag] == nil {
			merged[iv.tag] = hdrhistogram.New(1, 3_600_000_000, 3)
		}
		if dropped := merged[iv.tag].Merge(iv.h); dropped != 0 {
			t.Fatalf("merge dropped %d", dropped)
		}
	}
	if len(perInterval) != 0 {
		t.Errorf("intervals missing from the log: %v", perInterval)
	}
	if len(intervals) < 7*len(tags)/2 {
		t.Errorf("only %d interval lines", len(intervals))
	}
	check := func(tag string, want []int64) {
		t.Helper()
		h := merged[tag]
		if h == nil {
			t.Errorf("tag %q: no intervals", tag)
			return
		}
		if h.TotalCount() != int64(len(want)) {
			t.Errorf("tag %q: count %d, want %d", tag, h.TotalCount(), len(want))
		}
		sorted := slices.Clone(want)
		slices.Sort(sorted)
		for _, p := range []float64{1, 50, 90, 95, 99, 99.9, 100} {
			got, exp := h.ValueAtPercentile(p), exactPercentile(sorted, p)
			if math.Abs(float64(got-exp)) > 0.001*float64(exp) {
				t.Errorf("tag %q p%v: %d, want %d ±0.1%%", tag, p, got, exp)
			}
		}
	}
	for tag, ti := range tags {
		if ti.metric == MetricDuration {
			check(tag, values[ti.label])
		} else {
			check(tag, corrected[ti.label])
		}
	}
}

func TestHDRLogLateSampleAndClose(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	var out bytes.Buffer
	steps := []StepInfo{{Label: "x"}}
	l, err := NewHDRLog(&out, steps, start, HDRLogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	at := func(sec float64, us int64) *Sample {
		end := start.UnixNano() + int64(sec*1e9)
		return &Sample{Start: end - us*1000, Elapsed: us * 1000}
	}
	l.Record(at(0.5, 1000)) // interval 0
	l.Record(at(1.5, 2000)) // interval 1
	// At 1.9 s interval 0 ([0,1)) ended less than a full interval ago:
	// nothing is written yet.
	if err := l.Advance(start.Add(1900 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if n := len(readLog(t, out.Bytes())); n != 0 {
		t.Fatalf("%d intervals written at 1.9 s, want 0", n)
	}
	// At 2.0 s it ended a full interval ago, so it is written.
	if err := l.Advance(start.Add(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	iv := readLog(t, out.Bytes())
	if len(iv) != 1 || iv[0].h.TotalCount() != 1 || iv[0].h.StartTimeMs() != start.UnixMilli() {
		t.Fatalf("after Advance(2s): %d intervals", len(iv))
	}
	// A late sample for interval 0 lands in the oldest open interval (1).
	l.Record(at(0.2, 3000))
	// A sample of the current interval lands where it belongs (2).
	l.Record(at(2.1, 4000))
	l.Record(at(3.5, 5000)) // interval 3
	// A sample far ahead writes out the intervals it pushes out of the
	// window; nothing is lost.
	l.Record(at(10.5, 6000)) // interval 10
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l.Record(at(11, 1)) // ignored after Close
	iv = readLog(t, out.Bytes())
	type got struct {
		startSec, count, max int64
	}
	var gots []got
	var total int64
	for _, x := range iv {
		gots = append(gots, got{(x.h.StartTimeMs() - start.UnixMilli() + 500) / 1000, x.h.TotalCount(), x.h.Max()})
		total += x.h.TotalCount()
	}
	want := []got{{0, 1, 1000}, {1, 2, 3001}, {2, 1, 4001}, {3, 1, 5003}, {10, 1, 6003}}
	if !slices.Equal(gots, want) {
		t.Fatalf("intervals (start s, count, max µs):\n got %v\nwant %v", gots, want)
	}
	if total != 6 {
		t.Fatalf("total %d, want 6", total)
	}
}

func TestHDRLogClamp(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	var out bytes.Buffer
	l, err := NewHDRLog(&out, []StepInfo{{Label: "x"}}, start, HDRLogOptions{Lowest: 10, Highest: 1_000_000, SigFigs: 2})
	if err != nil {
		t.Fatal(err)
	}
	end := start.UnixNano() + 5e8
	l.Record(&Sample{Start: end - 5e9, Elapsed: 5e9}) // 5 s > 1 s
	l.Record(&Sample{Start: end, Elapsed: 0})
	l.Record(&Sample{Start: end + 1, Elapsed: -1})
	l.Record(&Sample{Start: end, Step: 7}) // ignored
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	iv := readLog(t, out.Bytes())
	if len(iv) != 1 {
		t.Fatalf("%d intervals", len(iv))
	}
	h := iv[0].h
	if h.TotalCount() != 3 || !h.ValuesAreEquivalent(h.Max(), 1_000_000) || !h.ValuesAreEquivalent(h.Min(), 10) {
		t.Fatalf("count %d min %d max %d", h.TotalCount(), h.Min(), h.Max())
	}
}

func TestHDRLogOptionsValidation(t *testing.T) {
	for _, o := range []HDRLogOptions{
		{Interval: time.Microsecond}, {Lowest: -1}, {Lowest: 10, Highest: 15}, {SigFigs: 6},
	} {
		if _, err := NewHDRLog(io.Discard, nil, time.Now(), o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }

func TestHDRLogWriteError(t *testing.T) {
	if _, err := NewHDRLog(errWriter{io.ErrClosedPipe}, []StepInfo{{Label: "x"}}, time.Now(), HDRLogOptions{}); err == nil {
		t.Fatal("header write error not reported")
	}
}

func FuzzHDRLabelTag(f *testing.F) {
	f.Add("a, b", "a__b", "with space", false)
	f.Add("dup_label", "dup label", "dup_label~2", true)
	f.Add("x", "x.corrected", "", true)
	f.Add("new\nline", "\u0085\u2028", "\xff", false)
	f.Fuzz(func(t *testing.T, a, b, c string, arrival bool) {
		labels := []string{a}
		for _, s := range []string{b, c} {
			if !slices.Contains(labels, s) {
				labels = append(labels, s)
			}
		}
		corr := make([]bool, len(labels))
		corr[0] = arrival
		corr[len(labels)-1] = true
		plain, corrTags := labelTags(labels, corr)
		seen := map[string]bool{}
		for i, tag := range append(slices.Clone(plain), corrTags...) {
			if i >= len(plain) && !corr[i-len(plain)] {
				if tag != "" {
					t.Fatalf("corrected tag %q for a label without one", tag)
				}
				continue
			}
			if !validTag(tag) {
				t.Fatalf("tag %q has a forbidden character", tag)
			}
			if seen[tag] {
				t.Fatalf("tag %q used twice for %q", tag, labels)
			}
			seen[tag] = true
		}
		for _, lb := range labels {
			js := jsonString(lb)
			if strings.ContainsAny(js, "\r\n\u0085\u2028\u2029") {
				t.Fatalf("JSON label %q spans lines", js)
			}
			var back string
			if err := json.Unmarshal([]byte(js), &back); err != nil {
				t.Fatalf("JSON label %q: %v", js, err)
			}
			if back != jsonValid(lb) {
				t.Fatalf("JSON label %q decodes to %q, want %q", js, back, lb)
			}
		}

		// The Go reader sees exactly these tags.
		steps := make([]StepInfo, len(labels))
		for i, lb := range labels {
			steps[i] = StepInfo{Label: lb, Arrival: corr[i]}
		}
		var out bytes.Buffer
		start := time.Unix(1_700_000_000, 0)
		l, err := NewHDRLog(&out, steps, start, HDRLogOptions{Highest: 1000, SigFigs: 1})
		if err != nil {
			t.Fatal(err)
		}
		for i := range steps {
			l.Record(&Sample{Start: start.UnixNano(), Elapsed: 5000, Corrected: 6000, Step: int32(i)})
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		read := map[string]bool{}
		for _, iv := range readLog(t, out.Bytes()) {
			read[iv.tag] = true
		}
		if len(read) != len(seen) {
			t.Fatalf("reader saw tags %v, wrote %v", read, seen)
		}
		for tag := range seen {
			if !read[tag] {
				t.Fatalf("reader lost tag %q (saw %v)", tag, read)
			}
		}
		tags := parseTagComments(t, out.Bytes())
		if len(tags) != len(seen) {
			t.Fatalf("comments list %d tags, want %d", len(tags), len(seen))
		}
	})
}

func BenchmarkHDRRecord(b *testing.B) {
	steps := make([]StepInfo, 10)
	for i := range steps {
		steps[i] = StepInfo{Label: "step " + string(rune('a'+i)), Arrival: i%2 == 0}
	}
	start := time.Unix(1_700_000_000, 0)
	run := func(b *testing.B, nsPerOp int64) {
		l, err := NewHDRLog(io.Discard, steps, start, HDRLogOptions{})
		if err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(3, 4))
		samples := make([]Sample, 4096)
		for i := range samples {
			el := int64(1000+rng.IntN(500_000)) * 1000
			samples[i] = Sample{Elapsed: el, Corrected: el + 1000, Step: int32(i % len(steps))}
		}
		// Warm up: every open interval has all its histograms.
		for k := int64(0); k < 2*openIntervals; k++ {
			for i := range samples {
				s := samples[i]
				s.Start = start.UnixNano() + k*1e9
				l.Record(&s)
			}
		}
		base := start.UnixNano() + 2*openIntervals*1e9
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			s := &samples[i&4095]
			s.Start = base + int64(i)*nsPerOp
			l.Record(s)
		}
		b.StopTimer()
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
	}
	// Time advances 10 µs per sample (100k samples/s): intervals rotate and
	// are written (encoding allocates per interval line, not per sample).
	b.Run("rotating", func(b *testing.B) { run(b, 10_000) })
	// All samples in one interval: the pure recording cost.
	b.Run("one-interval", func(b *testing.B) { run(b, 0) })
}

// jsonValid replaces each invalid UTF-8 byte with U+FFFD, as encoding/json does.
func jsonValid(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
