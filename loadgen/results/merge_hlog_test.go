package results

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/adler32"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	kzlib "github.com/klauspost/compress/zlib"
)

// hlogKey identifies one interval of a merged log.
type hlogKey struct {
	sec int64
	tag string
}

// geometry of a test log: lowest, highest, significant digits
type hlogGeom struct {
	lo, hi int64
	sig    int
}

var engineGeom = hlogGeom{1, 3_600_000_000, 3}

// hlogGen describes a generated interval log, written with the library's
// HistogramLogWriter.
type hlogGen struct {
	startMs  int64    // run start; intervals start at startMs + k·1000
	seconds  int      // run length
	tags     []string // "" writes untagged lines
	gap      float64  // probability that a (second, tag) interval is missing
	split    int      // lines per second and tag (sub-second intervals), shuffled within the second
	geom     hlogGeom
	noise    bool // blank lines, comments and a late tag comment between the lines
	baseTime int  // 0: BaseTime line; 1: none, absolute timestamps; 2: none, relative timestamps
	empty    bool // some histograms without counts
	scale    float64
}

func writeGenLog(t testing.TB, path string, r *rand.Rand, g hlogGen) {
	t.Helper()
	var b bytes.Buffer
	w := hdr.NewHistogramLogWriter(&b)
	_ = w.OutputComment("[Logged with loadgen test]")
	_ = w.OutputLogFormatVersion()
	_ = w.OutputComment("[loadgen latency.hlog: values in microseconds; one tag per JTL label]")
	for _, tag := range g.tags {
		_ = w.OutputComment(fmt.Sprintf("[Tag: %s metric=http_req_duration label=%q]", tag, tag))
	}
	base := g.startMs / 1000 * 1000
	_ = w.OutputStartTime(g.startMs)
	switch g.baseTime {
	case 0:
		w.SetBaseTime(base)
		_ = w.OutputBaseTime(base)
	case 1:
		w.SetBaseTime(0)
	case 2:
		w.SetBaseTime(base)
	}
	_ = w.OutputLegend()
	split := max(g.split, 1)
	scale := g.scale
	if scale == 0 {
		scale = 20_000
	}
	var hs []*hdr.Histogram
	for k := range g.seconds {
		for _, tag := range g.tags {
			if r.Float64() < g.gap {
				continue
			}
			for i := range split {
				h := hdr.New(g.geom.lo, g.geom.hi, g.geom.sig)
				n := 1 + r.IntN(300)
				if g.empty && r.IntN(5) == 0 {
					n = 0
				}
				for range n {
					v := int64(scale * math.Exp(0.7*r.NormFloat64()))
					if r.IntN(50) == 0 {
						v *= 20
					}
					if err := h.RecordValue(min(max(v, g.geom.lo), g.geom.hi)); err != nil {
						t.Fatal(err)
					}
				}
				h.SetTag(tag)
				s := g.startMs + int64(k)*1000 + int64(i*1000/split)
				h.SetStartTimeMs(s)
				h.SetEndTimeMs(s + int64(1000/split))
				hs = append(hs, h)
			}
		}
	}
	if split > 1 {
		// any order within a second
		r.Shuffle(len(hs), func(i, j int) { hs[i], hs[j] = hs[j], hs[i] })
		slices.SortStableFunc(hs, func(a, b *hdr.Histogram) int { return cmp.Compare(a.StartTimeMs()/1000, b.StartTimeMs()/1000) })
	}
	for _, h := range hs {
		if err := w.OutputIntervalHistogram(h); err != nil {
			t.Fatal(err)
		}
		if g.noise {
			switch r.IntN(8) {
			case 0:
				b.WriteString("\n")
			case 1:
				b.WriteString("# a comment, with commas, 1,2,3\n")
			case 2:
				b.WriteString("#[Tag: late metric=http_req_duration label=\"late\"]\n")
			case 3:
				b.WriteString("   \r\n")
			}
		}
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readHLogLib reads a log with the library: the histograms in file order.
func readHLogLib(t testing.TB, path string) []*hdr.Histogram {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := hdr.NewHistogramLogReader(f)
	var hs []*hdr.Histogram
	for {
		h, err := r.NextIntervalHistogram()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if h == nil {
			return hs
		}
		hs = append(hs, h)
	}
}

// libraryMerge is the reference: every input read with the library and
// added with Merge into a histogram of geometry g per second and tag.
func libraryMerge(t testing.TB, paths []string, g hlogGeom) map[hlogKey]*hdr.Histogram {
	t.Helper()
	m := map[hlogKey]*hdr.Histogram{}
	for _, p := range paths {
		for _, h := range readHLogLib(t, p) {
			k := hlogKey{h.StartTimeMs() / 1000, h.Tag()}
			if m[k] == nil {
				m[k] = hdr.New(g.lo, g.hi, g.sig)
			}
			if dropped := m[k].Merge(h); dropped > 0 {
				t.Fatalf("reference merge dropped %d values", dropped)
			}
		}
	}
	return m
}

// checkMerged compares the merged log with the reference, histogram by
// histogram, and checks the order of its lines.
func checkMerged(t *testing.T, out string, want map[hlogKey]*hdr.Histogram, g hlogGeom) {
	t.Helper()
	got := readHLogLib(t, out)
	if len(got) != len(want) {
		t.Errorf("%d merged intervals, want %d", len(got), len(want))
	}
	var prev *hlogKey
	for _, h := range got {
		k := hlogKey{h.StartTimeMs() / 1000, h.Tag()}
		if prev != nil && (k.sec < prev.sec || k.sec == prev.sec && k.tag <= prev.tag) {
			t.Errorf("interval %v after %v: not in (second, tag) order", k, *prev)
		}
		prev = &k
		if h.StartTimeMs() != k.sec*1000 || h.EndTimeMs() != k.sec*1000+1000 {
			t.Errorf("%v: interval %d..%d ms, want whole second", k, h.StartTimeMs(), h.EndTimeMs())
		}
		w := want[k]
		if w == nil {
			t.Errorf("unexpected interval %v", k)
			continue
		}
		gs, ws := h.Export(), w.Export()
		if gs.LowestTrackableValue != g.lo || gs.HighestTrackableValue != g.hi || gs.SignificantFigures != int64(g.sig) {
			t.Errorf("%v: geometry %d..%d/%d, want %v", k, gs.LowestTrackableValue, gs.HighestTrackableValue, gs.SignificantFigures, g)
		}
		if !slices.Equal(gs.Counts, ws.Counts) || h.TotalCount() != w.TotalCount() {
			t.Errorf("%v: counts differ from the library's merge (total %d, want %d)", k, h.TotalCount(), w.TotalCount())
		}
	}
}

// headerLines returns the comment and legend lines of a log.
func headerLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var hs []string
	for l := range strings.SplitSeq(string(b), "\n") {
		if strings.HasPrefix(l, "#") || strings.HasPrefix(l, `"`) {
			hs = append(hs, l)
		}
	}
	return hs
}

func TestMergeHLogsMatchesLibrary(t *testing.T) {
	const t0 = 1_800_000_000_000
	tags := []string{"GET_/a", "POST_/b", "c.corrected"}
	var manyTags []string // more than hlogSetsPerGroup allows sets for
	for i := range 40 {
		manyTags = append(manyTags, fmt.Sprintf("t%02d", i))
	}
	cases := []struct {
		name   string
		inputs []hlogGen
		geom   hlogGeom // of the merged log: the first histogram's
		// same: compare the lines with the previous implementation's too
		same bool
	}{
		{name: "one input", inputs: []hlogGen{{startMs: t0 + 123, seconds: 20, tags: tags[:1], geom: engineGeom}}, geom: engineGeom, same: true},
		{name: "no intervals at all", inputs: []hlogGen{{startMs: t0, tags: tags, geom: engineGeom}, {startMs: t0 + 5, tags: tags[:1], geom: engineGeom}},
			geom: engineGeom, same: true},
		{name: "workers with offsets, gaps and an empty log", inputs: []hlogGen{
			{startMs: t0 + 731, seconds: 40, tags: tags, gap: 0.3, geom: engineGeom},
			{startMs: t0 + 2_050, seconds: 30, tags: tags[1:], gap: 0.2, geom: engineGeom},
			{startMs: t0, seconds: 0, tags: tags, geom: engineGeom},
			{startMs: t0 + 9_999, seconds: 25, tags: tags[:2], gap: 0.5, geom: engineGeom, empty: true},
			{startMs: t0 + 500, seconds: 45, tags: []string{"d"}, geom: engineGeom},
		}, geom: engineGeom, same: true},
		{name: "blank lines and comments anywhere", inputs: []hlogGen{
			{startMs: t0 + 10, seconds: 30, tags: tags, gap: 0.1, geom: engineGeom, noise: true},
			{startMs: t0 + 999, seconds: 30, tags: tags[:2], geom: engineGeom, noise: true},
		}, geom: engineGeom, same: true},
		{name: "sub-second intervals in any order", inputs: []hlogGen{
			{startMs: t0 + 250, seconds: 15, tags: tags, split: 4, geom: engineGeom},
			{startMs: t0 + 600, seconds: 15, tags: tags[:1], split: 2, gap: 0.2, geom: engineGeom},
		}, geom: engineGeom, same: true},
		{name: "no BaseTime line, absolute and relative timestamps", inputs: []hlogGen{
			{startMs: t0 + 400, seconds: 12, tags: tags[:2], geom: engineGeom, baseTime: 1},
			{startMs: t0 + 1_400, seconds: 12, tags: tags[:2], geom: engineGeom, baseTime: 2},
			{startMs: t0 + 2_400, seconds: 12, tags: tags[:2], geom: engineGeom},
		}, geom: engineGeom, same: true},
		{name: "untagged lines", inputs: []hlogGen{
			{startMs: t0, seconds: 10, tags: []string{"", "x"}, geom: engineGeom},
			{startMs: t0 + 300, seconds: 10, tags: []string{""}, geom: engineGeom},
		}, geom: engineGeom, same: true},
		{name: "many tags: one set per group", inputs: []hlogGen{
			{startMs: t0 + 10, seconds: 6, tags: manyTags, gap: 0.3, geom: engineGeom},
			{startMs: t0 + 20, seconds: 6, tags: manyTags[5:], gap: 0.3, geom: engineGeom},
			{startMs: t0 + 30, seconds: 6, tags: manyTags[:9], gap: 0.3, geom: engineGeom},
		}, geom: engineGeom, same: true},
		{name: "other geometries are added by value", inputs: []hlogGen{
			{startMs: t0 + 100, seconds: 20, tags: tags[:2], geom: engineGeom},
			{startMs: t0 + 200, seconds: 20, tags: tags[:2], geom: hlogGeom{1, 60_000_000, 2}},
			{startMs: t0 + 300, seconds: 20, tags: tags[:2], geom: hlogGeom{1000, 3_600_000_000, 4}, scale: 5_000_000},
			{startMs: t0 + 400, seconds: 20, tags: tags[:2], geom: hlogGeom{1, 100_000, 5}, scale: 1_000},
		}, geom: engineGeom},
		{name: "the first histogram sets the geometry", inputs: []hlogGen{
			{startMs: t0, seconds: 10, tags: tags[:1], geom: hlogGeom{1, 1 << 40, 2}},
			{startMs: t0 + 100, seconds: 10, tags: tags[:1], geom: engineGeom},
		}, geom: hlogGeom{1, 1 << 40, 2}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(i), 7))
			dir := t.TempDir()
			var paths []string
			for j, g := range tc.inputs {
				p := filepath.Join(dir, fmt.Sprintf("worker%d.hlog", j+1))
				writeGenLog(t, p, r, g)
				paths = append(paths, p)
			}
			want := libraryMerge(t, paths, tc.geom)
			out := filepath.Join(dir, "merged.hlog")
			n, err := mergeHLogs(paths, out)
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(len(want)) {
				t.Errorf("mergeHLogs says %d intervals, want %d", n, len(want))
			}
			checkMerged(t, out, want, tc.geom)

			// the header: tag comments once, in first-seen order
			hs := headerLines(t, out)
			var wantTags []string
			seen := map[string]bool{}
			for _, p := range paths {
				for _, l := range headerLines(t, p) {
					if strings.HasPrefix(l, "#[Tag: ") && !seen[l] {
						seen[l] = true
						wantTags = append(wantTags, l)
					}
				}
			}
			var gotTags []string
			for _, l := range hs {
				if strings.HasPrefix(l, "#[Tag: ") {
					gotTags = append(gotTags, l)
				}
			}
			if !slices.Equal(gotTags, wantTags) {
				t.Errorf("tag comments\n%q\nwant\n%q", gotTags, wantTags)
			}

			if tc.same {
				old := filepath.Join(dir, "old.hlog")
				if _, err := mergeHLogsLibrary(paths, old); err != nil {
					t.Fatal(err)
				}
				compareWithOld(t, out, old)
			}
		})
	}
}

// compareWithOld checks that the merged log has the previous
// implementation's header and, line by line, the same tag, times and max
// column and the same counts.
func compareWithOld(t *testing.T, out, old string) {
	t.Helper()
	if a, b := headerLines(t, out), headerLines(t, old); !slices.Equal(a, b) {
		t.Errorf("header\n%q\nwant (previous implementation)\n%q", a, b)
	}
	lines := func(p string) []string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var ls []string
		for l := range strings.SplitSeq(string(b), "\n") {
			if l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, `"`) {
				ls = append(ls, l)
			}
		}
		return ls
	}
	a, b := lines(out), lines(old)
	if len(a) != len(b) {
		t.Fatalf("%d interval lines, the previous implementation wrote %d", len(a), len(b))
	}
	for i := range a {
		ca, cb := strings.LastIndexByte(a[i], ','), strings.LastIndexByte(b[i], ',')
		if a[i][:ca] != b[i][:cb] {
			t.Errorf("line %d: %q, previous implementation %q", i, a[i][:ca], b[i][:cb])
		}
		ha, err1 := hdr.Decode([]byte(a[i][ca+1:]))
		hb, err2 := hdr.Decode([]byte(b[i][cb+1:]))
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !ha.Equals(hb) {
			t.Errorf("line %d: counts differ from the previous implementation's", i)
		}
	}
}

func TestMergeHLogsErrors(t *testing.T) {
	h := hdr.New(1, 3_600_000_000, 3)
	for v := range int64(100) {
		_ = h.RecordValue(1000 + v*37)
	}
	good, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		t.Fatal(err)
	}
	wide := hdr.New(1, 1<<50, 3)
	_ = wide.RecordValue(1 << 45)
	wideEnc, _ := wide.Encode(hdr.V2CompressedEncodingCookieBase)
	// the compressed cookie and length 12, then 12 bytes that are no zlib stream
	raw := binary.BigEndian.AppendUint32(nil, 0x1c849314)
	raw = binary.BigEndian.AppendUint32(raw, 12)
	raw = append(raw, []byte("not zlib....")...)
	badZlib := base64.StdEncoding.EncodeToString(raw)
	header := "#[Logged with test]\n#[Histogram log format version 1.3]\n#[StartTime: 1800000000 (seconds since epoch), x]\n#[BaseTime: 1800000000 (seconds since epoch)]\n\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n"
	line := func(tag string, sec int, payload string) string {
		return fmt.Sprintf("Tag=%s,%d.000000,1.000000,0.010000,%s\n", tag, sec, payload)
	}
	ok := header + line("a", 0, string(good)) + line("a", 1, string(good))
	cases := []struct {
		name string
		log  string // of the second input; the first is ok
		line int    // line number the error must name, 0: none
		want string
	}{
		{"truncated base64", header + line("a", 0, string(good)) + line("a", 1, string(good[:len(good)-7])), 7, "bad histogram"},
		{"truncated last line", header + line("a", 0, string(good)) + strings.TrimSuffix(line("a", 1, string(good[:40])), "\n"), 7, "bad histogram"},
		{"bad zlib", header + line("a", 0, badZlib), 6, "bad histogram"},
		{"not base64", header + "\n" + line("a", 0, "HISTF!!!!"), 7, "bad histogram"},
		{"not an interval line", header + line("a", 0, string(good)) + "hello world\n", 7, "not an interval line"},
		{"bad timestamp", header + line("a", 0, string(good)) + "Tag=a,1.2.3,1.000,0.1," + string(good) + "\n", 7, "bad start timestamp"},
		{"bad StartTime", "#[StartTime: x]\n" + line("a", 0, string(good)), 1, "bad StartTime line"},
		{"not in time order", header + line("a", 5, string(good)) + line("a", 6, string(good)) + line("b", 4, string(good)), 8, "not in time order"},
		{"values outside the range", header + line("a", 0, string(good)) + line("a", 1, string(wideEnc)), 7, "values outside the merged histogram's range"},
		{"tag with a space", header + "Tag=a b,0.0,1.0,0.1," + string(good) + "\n", 6, "tag with white space"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			a, b := filepath.Join(dir, "w1.hlog"), filepath.Join(dir, "w2.hlog")
			if err := os.WriteFile(a, []byte(ok), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(b, []byte(tc.log), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := mergeHLogs([]string{a, b}, filepath.Join(dir, "out.hlog"))
			if err == nil {
				t.Fatal("no error")
			}
			if want := fmt.Sprintf("%s:%d: ", b, tc.line); !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start with %q", err, want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

// TestMergeHLogsLongLines covers lines longer than the reader's buffer:
// wide histograms with many distinct values.
func TestMergeHLogsLongLines(t *testing.T) {
	g := hlogGeom{1, 1 << 40, 5}
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(3, 4))
	var paths []string
	for i := range 3 {
		var b bytes.Buffer
		w := hdr.NewHistogramLogWriter(&b)
		w.SetBaseTime(1_800_000_000_000)
		_ = w.OutputBaseTime(1_800_000_000_000)
		for k := range 3 {
			h := hdr.New(g.lo, g.hi, g.sig)
			for range 200_000 {
				_ = h.RecordValue(1 + r.Int64N(1<<30))
			}
			h.SetTag("t")
			h.SetStartTimeMs(1_800_000_000_000 + int64(k)*1000)
			h.SetEndTimeMs(1_800_000_000_000 + int64(k)*1000 + 1000)
			_ = w.OutputIntervalHistogram(h)
		}
		p := filepath.Join(dir, fmt.Sprintf("w%d.hlog", i))
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if b.Len() < 3*(64<<10) {
			t.Fatalf("lines of %d bytes: not longer than the read buffer", b.Len()/3)
		}
		paths = append(paths, p)
	}
	out := filepath.Join(dir, "out.hlog")
	if _, err := mergeHLogs(paths, out); err != nil {
		t.Fatal(err)
	}
	checkMerged(t, out, libraryMerge(t, paths, g), g)
}

func TestHDREncoderMatchesLibrary(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, g := range []hlogGeom{engineGeom, {1, 60_000_000, 2}, {1000, 1 << 50, 4}, {1, 2, 1}} {
		geo, err := newHDRGeometry(g.lo, g.hi, int32(g.sig))
		if err != nil {
			t.Fatal(err)
		}
		for n := range 6 {
			h := hdr.New(g.lo, g.hi, g.sig)
			for range n * n * 50 {
				_ = h.RecordValue(min(g.lo+int64(math.Exp(r.Float64()*math.Log(float64(g.hi)))), g.hi))
			}
			counts := h.Export().Counts
			if len(counts) != geo.countsLen {
				t.Fatalf("%v: countsLen %d, library %d", g, geo.countsLen, len(counts))
			}
			hi := -1
			for i, c := range counts {
				if c != 0 {
					hi = i
				}
			}
			h.SetTag("x")
			h.SetStartTimeMs(1_800_000_001_000)
			h.SetEndTimeMs(1_800_000_002_000)
			var lib bytes.Buffer
			w := hdr.NewHistogramLogWriter(&lib)
			w.SetBaseTime(1_800_000_000_000)
			if err := w.OutputIntervalHistogram(h); err != nil {
				t.Fatal(err)
			}
			mine, err := newHDREncoder().appendIntervalLine(nil, "x", 1_800_000_001_000, 1_800_000_002_000, 1_800_000_000_000, geo, 1, counts, hi)
			if err != nil {
				t.Fatal(err)
			}
			a, b := string(mine), lib.String()
			if a[:strings.LastIndexByte(a, ',')] != b[:strings.LastIndexByte(b, ',')] {
				t.Errorf("%v: line %q, library %q", g, a[:strings.LastIndexByte(a, ',')], b[:strings.LastIndexByte(b, ',')])
			}
			back, err := hdr.Decode([]byte(strings.TrimSpace(a[strings.LastIndexByte(a, ',')+1:])))
			if err != nil {
				t.Fatal(err)
			}
			if !back.Equals(hdr.Import(h.Export())) {
				t.Errorf("%v: our encoding decodes to other counts", g)
			}
		}
	}
}

// mergeHLogsLibrary is the previous implementation of mergeHLogs (whole
// files, one library histogram per line), kept as the reference for the
// output format.
func mergeHLogsLibrary(paths []string, out string) (int64, error) {
	type src struct {
		name string
		r    *hdr.HistogramLogReader
		h    *hdr.Histogram
	}
	advance := func(s *src) error {
		h, err := s.r.NextIntervalHistogram()
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		s.h = h
		return nil
	}
	var comments []string
	seen := map[string]bool{}
	var srcs []*src
	startMs := int64(-1)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return 0, err
		}
		for _, l := range bytes.Split(b, []byte("\n")) {
			if s := string(l); strings.HasPrefix(s, "#[Tag: ") && !seen[s] {
				seen[s] = true
				comments = append(comments, strings.TrimSuffix(strings.TrimPrefix(s, "#["), "]"))
			}
		}
		s := &src{name: p, r: hdr.NewHistogramLogReader(bytes.NewReader(b))}
		if err := advance(s); err != nil {
			return 0, err
		}
		if s.h != nil {
			if startMs < 0 || s.h.StartTimeMs() < startMs {
				startMs = s.h.StartTimeMs()
			}
			srcs = append(srcs, s)
		}
	}
	if startMs < 0 {
		startMs = 0
	}
	f, err := os.Create(out)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	w := hdr.NewHistogramLogWriter(bw)
	_ = w.OutputComment("[Logged with loadgen merge]")
	_ = w.OutputLogFormatVersion()
	_ = w.OutputComment("[loadgen latency.hlog: values in microseconds; one tag per JTL label]")
	for _, c := range comments {
		_ = w.OutputComment("[" + c + "]")
	}
	base := startMs / 1000 * 1000
	_ = w.OutputStartTime(base)
	w.SetBaseTime(base)
	_ = w.OutputBaseTime(base)
	_ = w.OutputLegend()
	var intervals int64
	for len(srcs) > 0 {
		sec := int64(-1)
		for _, s := range srcs {
			if t := s.h.StartTimeMs() / 1000; sec < 0 || t < sec {
				sec = t
			}
		}
		merged := map[string]*hdr.Histogram{}
		var keep []*src
		for _, s := range srcs {
			for s.h != nil && s.h.StartTimeMs()/1000 == sec {
				tag := s.h.Tag()
				if m := merged[tag]; m == nil {
					merged[tag] = s.h
				} else if dropped := m.Merge(s.h); dropped > 0 {
					return intervals, fmt.Errorf("%s: %d values outside the merged histogram's range", s.name, dropped)
				}
				if err := advance(s); err != nil {
					return intervals, err
				}
			}
			if s.h != nil {
				keep = append(keep, s)
			}
		}
		srcs = keep
		tags := make([]string, 0, len(merged))
		for t := range merged {
			tags = append(tags, t)
		}
		sort.Strings(tags)
		for _, t := range tags {
			m := merged[t]
			m.SetTag(t)
			m.SetStartTimeMs(sec * 1000)
			m.SetEndTimeMs(sec*1000 + 1000)
			if err := w.OutputIntervalHistogram(m); err != nil {
				return intervals, err
			}
			intervals++
		}
	}
	if err := bw.Flush(); err != nil {
		return intervals, err
	}
	return intervals, f.Sync()
}

// FuzzHLogDecode checks the decoder against the library: it must not
// panic, whatever it accepts the library decodes to the same geometry and
// counts, and what the library accepts it accepts too. What it accepts
// re-encodes (hdrEncoder) to the same counts. The input is the base64 text
// itself when text is set, else the binary it encodes (so that mutations
// reach the header, the zlib stream and, with the stored-block seeds, the
// counts payload).
func FuzzHLogDecode(f *testing.F) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, g := range []hlogGeom{engineGeom, {1, 60_000_000, 2}, {1000, 1 << 50, 4}, {1, 2, 1}} {
		for _, n := range []int{0, 1, 100, 3000} {
			h := hdr.New(g.lo, g.hi, g.sig)
			for range n {
				_ = h.RecordValue(min(g.lo+int64(20_000*math.Exp(r.NormFloat64())), g.hi))
			}
			b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b, true)
			if len(b) > 20 {
				f.Add(b[:len(b)-8], true)
				c := bytes.Clone(b)
				c[len(c)/2] ^= 'A' ^ 'B'
				f.Add(c, true)
			}
			raw, err := base64.StdEncoding.DecodeString(string(b))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(raw, false)
			// the same histogram in a stored (uncompressed) zlib stream
			inner, err := stdInflate(raw[8:])
			if err != nil {
				f.Fatal(err)
			}
			var z bytes.Buffer
			zw, _ := zlib.NewWriterLevel(&z, zlib.NoCompression)
			_, _ = zw.Write(inner)
			_ = zw.Close()
			stored := binary.BigEndian.AppendUint32(raw[:4:4], uint32(z.Len()))
			f.Add(append(stored, z.Bytes()...), false)
		}
	}
	f.Add([]byte("HISTFAAAAB"), true)
	f.Add([]byte(""), true)
	f.Fuzz(func(t *testing.T, in []byte, text bool) {
		data := in
		if !text {
			data = []byte(base64.StdEncoding.EncodeToString(in))
		}
		d := newHDRDecoder()
		g, ratio, err := d.decode(data)
		var counts []int64
		var total int64
		hi := -1
		if err == nil {
			counts = make([]int64, g.countsLen)
			total, _, hi, err = addCounts(d.payload, g.countsLen, counts)
		}
		lib, lerr := hdr.Decode(data)
		if err != nil {
			if lerr == nil {
				t.Fatalf("the library decodes what we reject: %v", err)
			}
			return
		}
		if lerr != nil {
			t.Fatalf("we decode what the library rejects: %v", lerr)
		}
		s := lib.Export()
		if s.LowestTrackableValue != g.lowest || s.HighestTrackableValue != g.highest || s.SignificantFigures != int64(g.sigFigs) {
			t.Fatalf("geometry %v, library %d..%d/%d", g, s.LowestTrackableValue, s.HighestTrackableValue, s.SignificantFigures)
		}
		if !slices.Equal(counts, s.Counts) || total != lib.TotalCount() {
			t.Fatalf("counts differ from the library's (total %d, library %d)", total, lib.TotalCount())
		}
		lr := s.IntegerToDoubleConversionRatio
		if lr == 0 {
			lr = 1
		}
		if math.Float64bits(ratio) != math.Float64bits(lr) && !(ratio == 0 && lr == 1) {
			t.Fatalf("ratio %v, library %v", ratio, lr)
		}
		enc, err := newHDREncoder().appendEncoded(nil, g, ratio, counts, hi)
		if err != nil {
			t.Fatal(err)
		}
		back, err := hdr.Decode(enc)
		if err != nil {
			t.Fatalf("our encoding does not decode: %v", err)
		}
		if !slices.Equal(back.Export().Counts, counts) {
			t.Fatal("our encoding decodes to other counts")
		}
	})
}

// zlibStreams returns zlib streams of various data, levels and block
// types, written by compress/zlib and klauspost/compress/zlib.
func zlibStreams(t testing.TB) [][]byte {
	t.Helper()
	r := rand.New(rand.NewPCG(9, 9))
	var datas [][]byte
	datas = append(datas, nil, []byte("a"), bytes.Repeat([]byte("ab"), 5000))
	for _, n := range []int{10, 300, 3000, 70000} {
		d := make([]byte, n)
		for i := range d {
			d[i] = byte(r.IntN(1 + i%7*40)) // skewed, some repeats
		}
		datas = append(datas, d)
		rnd := make([]byte, n)
		for i := range rnd {
			rnd[i] = byte(r.Uint32())
		}
		datas = append(datas, rnd)
	}
	var out [][]byte
	for _, d := range datas {
		for _, level := range []int{zlib.HuffmanOnly, zlib.NoCompression, zlib.BestSpeed, 6, zlib.BestCompression} {
			var b bytes.Buffer
			w, err := zlib.NewWriterLevel(&b, level)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = w.Write(d)
			_ = w.Close()
			out = append(out, b.Bytes())
		}
		for _, level := range []int{-2, 1, 2, 4, 9} {
			var b bytes.Buffer
			w, err := kzlib.NewWriterLevel(&b, level)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = w.Write(d)
			_ = w.Close()
			out = append(out, b.Bytes())
		}
	}
	// a fixed-Huffman block, and a stream with the FDICT flag and the
	// Adler-32 of no dictionary
	out = append(out, []byte{0x78, 0x01, 0x4b, 0x04, 0x00, 0x00, 0x62, 0x00, 0x62})
	out = append(out, []byte{0x78, 0xbb, 0x00, 0x00, 0x00, 0x01, 0x4b, 0x04, 0x00, 0x00, 0x62, 0x00, 0x62})
	return out
}

// stdInflate is the reference: compress/zlib, as hdrhistogram-go reads.
func stdInflate(in []byte) ([]byte, error) {
	z, err := zlib.NewReader(bytes.NewReader(in))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(z)
}

func TestInflateMatchesCompressZlib(t *testing.T) {
	f := newInflater()
	for i, s := range zlibStreams(t) {
		want, werr := stdInflate(s)
		got, err := f.inflate(s)
		if werr != nil || err != nil {
			t.Fatalf("stream %d: %v / compress/zlib %v", i, err, werr)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("stream %d: %d bytes differ from compress/zlib's %d", i, len(got), len(want))
		}
		// every truncation fails, and so does a wrong checksum
		for _, n := range []int{0, 1, 2, len(s) / 2, len(s) - 4, len(s) - 1} {
			if n >= 0 && n < len(s) {
				if _, err := f.inflate(s[:n]); err == nil {
					t.Errorf("stream %d cut to %d bytes: no error", i, n)
				}
			}
		}
		bad := bytes.Clone(s)
		bad[len(bad)-1] ^= 1
		if _, err := f.inflate(bad); err != errInflateChecksum {
			t.Errorf("stream %d with a wrong checksum: %v", i, err)
		}
	}
}

// bitWriter writes a DEFLATE bit stream: fields from the lowest bit,
// Huffman codes from their highest.
type bitWriter struct {
	b  []byte
	nb uint
}

func (w *bitWriter) bits(v uint32, n uint) {
	for i := range n {
		if w.nb%8 == 0 {
			w.b = append(w.b, 0)
		}
		w.b[len(w.b)-1] |= byte(v>>i&1) << (w.nb % 8)
		w.nb++
	}
}

func (w *bitWriter) code(c uint32, n uint) {
	for i := int(n) - 1; i >= 0; i-- {
		w.bits(c>>uint(i)&1, 1)
	}
}

// zlibOf wraps a DEFLATE stream in a zlib header and the checksum of out.
func zlibOf(deflate, out []byte) []byte {
	z := append([]byte{0x78, 0x01}, deflate...)
	return binary.BigEndian.AppendUint32(z, adler32.Checksum(out))
}

func TestInflateRejectsWhatCompressZlibRejects(t *testing.T) {
	fixed := func(f func(w *bitWriter)) []byte {
		var w bitWriter
		w.bits(1, 1) // final
		w.bits(1, 2) // fixed Huffman codes
		f(&w)
		return w.b
	}
	lit := func(w *bitWriter, c byte) { w.code(0x30+uint32(c), 8) } // literals 0-143: 8-bit codes from 0x30
	eob := func(w *bitWriter) { w.code(0, 7) }
	cases := map[string][]byte{
		"distance before the start": zlibOf(fixed(func(w *bitWriter) {
			lit(w, 'a')
			w.code(1, 7) // length 3 (symbol 257)
			w.code(1, 5) // distance 2
			eob(w)
		}), []byte("aaaa")),
		"distance code 30": zlibOf(fixed(func(w *bitWriter) {
			lit(w, 'a')
			w.code(1, 7)
			w.code(30, 5)
			eob(w)
		}), []byte("aaaa")),
		"length symbol 286": zlibOf(fixed(func(w *bitWriter) {
			lit(w, 'a')
			w.code(0xc6, 8) // symbols 280-287: 8-bit codes from 0xc0
			w.code(0, 5)
			eob(w)
		}), []byte("aaaa")),
		"block type 3":           zlibOf([]byte{0x07}, nil),
		"stored length mismatch": zlibOf([]byte{0x01, 0x01, 0x00, 0x00, 0x00, 'x'}, []byte("x")),
		"no final block":         zlibOf(fixed(func(w *bitWriter) { lit(w, 'a'); eob(w) })[:1], []byte("a")),
		"bad header check":       {0x78, 0x02, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01},
		"preset dictionary":      {0x78, 0xbb, 0x12, 0x34, 0x56, 0x78, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01},
	}
	// the valid counterpart: a match within the output
	ok := zlibOf(fixed(func(w *bitWriter) {
		lit(w, 'a')
		w.code(1, 7) // length 3
		w.code(0, 5) // distance 1
		eob(w)
	}), []byte("aaaa"))
	if got, err := newInflater().inflate(ok); err != nil || string(got) != "aaaa" {
		t.Fatalf("valid stream: %q, %v", got, err)
	}
	if want, err := stdInflate(ok); err != nil || string(want) != "aaaa" {
		t.Fatalf("valid stream, compress/zlib: %q, %v", want, err)
	}
	for name, s := range cases {
		if _, err := stdInflate(s); err == nil {
			t.Fatalf("%s: compress/zlib accepts it: a bad test", name)
		}
		if got, err := newInflater().inflate(s); err == nil {
			t.Errorf("%s: accepted (%q)", name, got)
		}
	}
}

// FuzzHLogInflate checks the inflater against compress/zlib: the same
// streams accepted, with the same output.
func FuzzHLogInflate(f *testing.F) {
	for _, s := range zlibStreams(f) {
		if len(s) < 4096 {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, werr := stdInflate(data)
		got, err := newInflater().inflate(data)
		if (err == nil) != (werr == nil) {
			t.Fatalf("error %v, compress/zlib %v", err, werr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("output differs from compress/zlib's (%d / %d bytes)", len(got), len(want))
		}
	})
}

func BenchmarkHLogDecodeLine(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	h := hdr.New(1, 3_600_000_000, 3)
	for range 3000 {
		_ = h.RecordValue(int64(20_000 * math.Exp(0.6*r.NormFloat64())))
	}
	enc, _ := h.Encode(hdr.V2CompressedEncodingCookieBase)
	b.Run("ours", func(b *testing.B) {
		d := newHDRDecoder()
		counts := make([]int64, len(h.Export().Counts))
		b.SetBytes(int64(len(enc)))
		for b.Loop() {
			g, _, err := d.decode(enc)
			if err != nil {
				b.Fatal(err)
			}
			if _, _, _, err := addCounts(d.payload, g.countsLen, counts); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("library", func(b *testing.B) {
		m := hdr.New(1, 3_600_000_000, 3)
		b.SetBytes(int64(len(enc)))
		for b.Loop() {
			h, err := hdr.Decode(enc)
			if err != nil {
				b.Fatal(err)
			}
			m.Merge(h)
		}
	})
}
