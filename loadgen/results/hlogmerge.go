package results

// Streaming merge of HdrHistogram interval logs (the workers' latency.hlog
// files), in memory bounded by the number of tags, not by the logs' length:
//
//   - each input is read line by line (bufio), in time order: the inputs
//     are split among GOMAXPROCS groups, and a group goroutine advances its
//     inputs together one second at a time (k-way; the lines of one second
//     and tag, in any order, are added up), a few seconds ahead of the
//     coordinator (hlogSetsPerGroup);
//   - a group's decoder (hlogmerge_codec.go, hlogmerge_inflate.go) adds
//     every line's counts straight into a per-tag []int64 accumulator in
//     the first histogram's geometry: no hdr.Histogram per line;
//   - per second, the coordinator sums the groups' accumulators and
//     encodes the merged histograms (V2 compressed) into the output, tags
//     sorted.
//
// Memory: the input reader buffers (64 KiB each), and per tag
// (groups × sets per group + 1) counts arrays of the geometry (184 KiB for
// 1 µs .. 1 h at 3 digits), with 4 sets per group for up to 8 tags, fewer
// for more (hlogSetsPerGroup).
//
// Lines whose histogram has another geometry (lowest, highest, significant
// digits) than the first input's first histogram are decoded with the same
// decoder and added value by value, as hdr.Histogram.Merge does; a value
// outside the first geometry's range is an error, as before. The merged log
// uses the first histogram's geometry throughout.
//
// Blank lines, comments and the legend may appear anywhere. Errors name
// the file and line: a histogram that does not decode, a bad timestamp, a
// line that is none of these (hdr.HistogramLogReader skips those), and an
// interval of an earlier second than one before it in the same file.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// hlogInput is one input log, read line by line, with its next interval
// line (valid while ok; tag and payload point into the reader's buffer, so
// nothing is read from r until that line is consumed).
type hlogInput struct {
	name string
	f    *os.File
	r    *bufio.Reader
	n    int    // number of the last line read
	long []byte // a line longer than r's buffer

	// HistogramLogReader's time state
	startSec, baseSec   float64
	haveStart, haveBase bool

	comments []string // the "#[Tag: …" comment lines, in order

	ok      bool
	line    int // line number of the interval line
	sec     int64
	startMs int64
	tag     []byte
	payload []byte
}

// readLine returns the next line without its line break, or io.EOF.
func (in *hlogInput) readLine() ([]byte, error) {
	b, err := in.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		in.long = append(in.long[:0], b...)
		for err == bufio.ErrBufferFull {
			b, err = in.r.ReadSlice('\n')
			in.long = append(in.long, b...)
		}
		b = in.long
	}
	if err == io.EOF && len(b) > 0 {
		err = nil // a last line without a line break
	}
	if err != nil {
		return nil, err
	}
	in.n++
	b = bytes.TrimSuffix(b, []byte{'\n'})
	return bytes.TrimSuffix(b, []byte{'\r'}), nil
}

var (
	tagCommentPrefix = []byte("#[Tag: ")
	startTimePrefix  = []byte("#[StartTime: ")
	baseTimePrefix   = []byte("#[BaseTime: ")
	legendPrefix     = []byte(`"StartTimestamp"`)
)

// readNext reads up to the next interval line, handling comments and the
// StartTime and BaseTime lines on the way as hdr.HistogramLogReader does.
func (in *hlogInput) readNext() error {
	in.ok = false
	for {
		l, err := in.readLine()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", in.name, err)
		}
		switch {
		case len(bytes.TrimSpace(l)) == 0, bytes.HasPrefix(l, legendPrefix):
			continue
		case l[0] == '#':
			if err := in.comment(l); err != nil {
				return err
			}
			continue
		}
		return in.interval(l)
	}
}

// comment handles a comment line.
func (in *hlogInput) comment(l []byte) error {
	if bytes.HasPrefix(l, tagCommentPrefix) {
		in.comments = append(in.comments, string(l))
		return nil
	}
	for _, t := range []struct {
		prefix []byte
		sec    *float64
		seen   *bool
	}{{startTimePrefix, &in.startSec, &in.haveStart}, {baseTimePrefix, &in.baseSec, &in.haveBase}} {
		i := bytes.Index(l, t.prefix)
		if i < 0 {
			continue
		}
		num := l[i+len(t.prefix):]
		num = num[:len(num)-len(bytes.TrimLeft(num, "0123456789."))]
		v, err := strconv.ParseFloat(string(num), 64)
		if err != nil {
			return fmt.Errorf("%s:%d: bad %s line: %q", in.name, in.n, bytes.Trim(t.prefix, "#[: "), l)
		}
		*t.sec, *t.seen = v, true
		return nil
	}
	return nil
}

// interval parses an interval line: [Tag=<tag>,]<start>,<length>,<max>,<histogram>.
func (in *hlogInput) interval(l []byte) error {
	bad := func(what string) error {
		if len(l) > 80 {
			l = append(l[:77:77], "..."...)
		}
		return fmt.Errorf("%s:%d: %s: %q", in.name, in.n, what, l)
	}
	rest := l
	var tag []byte
	if bytes.HasPrefix(rest, []byte("Tag=")) {
		c := bytes.IndexByte(rest, ',')
		if c < 0 {
			return bad("not an interval line")
		}
		tag, rest = rest[4:c], rest[c+1:]
		if bytes.ContainsAny(tag, " \t\r") {
			return bad("tag with white space")
		}
	}
	var f [3][]byte
	for i := range f {
		c := bytes.IndexByte(rest, ',')
		if c < 0 {
			return bad("not an interval line")
		}
		f[i], rest = rest[:c], rest[c+1:]
		if len(bytes.Trim(f[i], "0123456789.")) > 0 {
			return bad("not an interval line")
		}
	}
	ts, err := strconv.ParseFloat(string(f[0]), 64)
	if err != nil {
		return bad("bad start timestamp")
	}
	if _, err := strconv.ParseFloat(string(f[1]), 64); err != nil {
		return bad("bad interval length")
	}
	if !in.haveStart {
		in.startSec, in.haveStart = ts, true
	}
	if !in.haveBase {
		// no BaseTime line: timestamps more than a year before StartTime
		// are relative to it, others absolute (the reader's rule)
		in.baseSec, in.haveBase = 0, true
		if ts < in.startSec-365*24*3600.0 {
			in.baseSec = in.startSec
		}
	}
	in.ok, in.line = true, in.n
	in.startMs = int64((ts + in.baseSec) * 1000.0)
	in.sec = in.startMs / 1000
	in.tag, in.payload = tag, rest
	return nil
}

// hlogAcc accumulates one tag's counts of one second.
type hlogAcc struct {
	tag    string
	counts []int64
	lo, hi int // range of non-zero counts; hi < 0: none
	total  int64
	used   bool // a line of this tag was added this second
}

func newHLogAcc(tag string, countsLen int) *hlogAcc {
	return &hlogAcc{tag: tag, counts: make([]int64, countsLen), lo: countsLen, hi: -1}
}

func (a *hlogAcc) reset() {
	if a.hi >= a.lo {
		clear(a.counts[a.lo : a.hi+1])
	}
	a.lo, a.hi, a.total, a.used = len(a.counts), -1, 0, false
}

// errOutOfRange words the error of counts the merged histogram cannot hold,
// as the library's Merge would drop them.
func errOutOfRange(name string, line int, n int64, g *hdrGeometry) error {
	return fmt.Errorf("%s:%d: %d values outside the merged histogram's range (%s)", name, line, n, g)
}

// hlogSet holds a group's accumulators of one second.
type hlogSet struct {
	sec     int64
	accs    map[string]*hlogAcc
	touched []*hlogAcc // accumulators used this second
	err     error      // what stopped the group in this second
}

// hlogGroup decodes the lines of some inputs, second after second, into
// accumulator sets it sends to the coordinator, independently of the other
// groups: it runs as many seconds ahead as it has sets.
type hlogGroup struct {
	inputs  []*hlogInput
	ref     *hdrGeometry
	fast    bool // same-geometry lines are added index by index
	dec     *hdrDecoder
	scratch []int64 // counts of a line of another geometry

	free chan *hlogSet // sets to fill
	out  chan *hlogSet // filled sets, in time order; closed at the end
	stop chan struct{} // closed when the coordinator stops
}

// hlogSetsPerGroup is how many seconds a group may run ahead of the
// coordinator: the more, the less the groups wait for each other, but
// every set holds a counts array per tag. tags is the number of distinct
// tag comments in the inputs' headers.
func hlogSetsPerGroup(tags int) int {
	switch {
	case tags <= 8:
		return 4
	case tags <= 32:
		return 2
	}
	return 1
}

func (g *hlogGroup) run() {
	defer close(g.out)
	for {
		var sec int64
		more := false
		for _, in := range g.inputs {
			if in.ok && (!more || in.sec < sec) {
				sec, more = in.sec, true
			}
		}
		if !more {
			return
		}
		var set *hlogSet
		select {
		case set = <-g.free:
		case <-g.stop:
			return
		}
		set.sec = sec
		set.err = g.process(sec, set)
		select {
		case g.out <- set:
		case <-g.stop:
			return
		}
		if set.err != nil {
			return
		}
	}
}

// process adds every line of second sec of the group's inputs to set.
func (g *hlogGroup) process(sec int64, set *hlogSet) error {
	for _, in := range g.inputs {
		for in.ok && in.sec == sec {
			if err := g.add(in, set); err != nil {
				return err
			}
			if err := in.readNext(); err != nil {
				return err
			}
			if in.ok && in.sec < sec {
				return fmt.Errorf("%s:%d: interval of second %d after one of second %d: the log is not in time order",
					in.name, in.line, in.sec, sec)
			}
		}
	}
	return nil
}

// add decodes the input's pending line into the accumulator of its tag.
func (g *hlogGroup) add(in *hlogInput, set *hlogSet) error {
	acc := set.accs[string(in.tag)]
	if acc == nil {
		acc = newHLogAcc(string(in.tag), g.ref.countsLen)
		set.accs[acc.tag] = acc
	}
	if !acc.used {
		acc.used = true
		set.touched = append(set.touched, acc)
	}
	geo, _, err := g.dec.decode(in.payload)
	if err != nil {
		return fmt.Errorf("%s:%d: bad histogram: %w", in.name, in.line, err)
	}
	if g.fast && geo.key() == g.ref.key() {
		total, lo, hi, err := addCounts(g.dec.payload, geo.countsLen, acc.counts)
		if err != nil {
			return fmt.Errorf("%s:%d: bad histogram: %w", in.name, in.line, err)
		}
		if total > math.MaxInt64-acc.total {
			return errOutOfRange(in.name, in.line, total, g.ref)
		}
		if hi >= 0 {
			acc.total += total
			acc.lo, acc.hi = min(acc.lo, lo), max(acc.hi, hi)
		}
		return nil
	}
	// Another geometry: add every bucket at its value, as Merge does.
	if cap(g.scratch) < geo.countsLen {
		g.scratch = make([]int64, geo.countsLen)
	}
	sc := g.scratch[:geo.countsLen]
	_, lo, hi, err := addCounts(g.dec.payload, geo.countsLen, sc)
	if err != nil {
		clear(sc)
		return fmt.Errorf("%s:%d: bad histogram: %w", in.name, in.line, err)
	}
	var dropped int64
	for i := lo; i <= hi; i++ {
		c := sc[i]
		if c == 0 {
			continue
		}
		sc[i] = 0
		v := geo.valueFromFlatIndex(i)
		j := -1
		if v >= 0 {
			j = g.ref.countsIndexFor(v)
		}
		if j < 0 || j >= g.ref.countsLen || c > math.MaxInt64-acc.total {
			dropped = min(dropped, math.MaxInt64-c) + c // saturating
			continue
		}
		acc.counts[j] += c
		acc.total += c
		acc.lo, acc.hi = min(acc.lo, j), max(acc.hi, j)
	}
	if dropped > 0 {
		return errOutOfRange(in.name, in.line, dropped, g.ref)
	}
	return nil
}

// mergeHLogs merges interval logs: intervals of the same start second and
// tag are added exactly; the tag comments of every input are kept once.
func mergeHLogs(paths []string, out string) (intervals int64, err error) {
	inputs := make([]*hlogInput, 0, len(paths))
	defer func() {
		for _, in := range inputs {
			in.f.Close()
		}
	}()
	dec := newHDRDecoder()
	var ref *hdrGeometry
	var ratio float64
	startMs := int64(-1)
	var active []*hlogInput
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return 0, err
		}
		in := &hlogInput{name: p, f: f, r: bufio.NewReaderSize(f, 64<<10)}
		inputs = append(inputs, in)
		if err := in.readNext(); err != nil {
			return 0, err
		}
		if !in.ok {
			continue
		}
		active = append(active, in)
		if startMs < 0 || in.startMs < startMs {
			startMs = in.startMs
		}
		if ref == nil {
			// the first histogram's geometry is the merged log's
			if ref, ratio, err = dec.decode(in.payload); err != nil {
				return 0, fmt.Errorf("%s:%d: bad histogram: %w", in.name, in.line, err)
			}
		}
	}
	if startMs < 0 {
		startMs = 0
	}
	base := startMs / 1000 * 1000

	// The body goes to a temporary file first: the header lists the tag
	// comments of the whole inputs.
	body, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*.tmp")
	if err != nil {
		return 0, err
	}
	defer func() {
		body.Close()
		os.Remove(body.Name())
	}()
	if len(active) > 0 {
		if intervals, err = mergeHLogBody(active, ref, ratio, base, body); err != nil {
			return intervals, err
		}
	}
	if _, err := body.Seek(0, io.SeekStart); err != nil {
		return intervals, err
	}

	f, err := os.Create(out)
	if err != nil {
		return intervals, err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	w := hdr.NewHistogramLogWriter(bw)
	_ = w.OutputComment("[Logged with loadgen merge]")
	_ = w.OutputLogFormatVersion()
	_ = w.OutputComment("[loadgen latency.hlog: values in microseconds; one tag per JTL label]")
	seen := map[string]bool{}
	for _, in := range inputs {
		for _, c := range in.comments {
			if !seen[c] {
				seen[c] = true
				_ = w.OutputComment("[" + strings.TrimSuffix(strings.TrimPrefix(c, "#["), "]") + "]")
			}
		}
	}
	_ = w.OutputStartTime(base)
	w.SetBaseTime(base)
	_ = w.OutputBaseTime(base)
	_ = w.OutputLegend()
	if _, err := io.Copy(bw, body); err != nil {
		return intervals, fmt.Errorf("%s: %w", out, err)
	}
	if err := bw.Flush(); err != nil {
		return intervals, fmt.Errorf("%s: %w", out, err)
	}
	if err := f.Sync(); err != nil {
		return intervals, err
	}
	return intervals, f.Close()
}

// mergeHLogBody merges the inputs' intervals second by second into w, one
// line per second and tag.
func mergeHLogBody(inputs []*hlogInput, ref *hdrGeometry, ratio float64, baseMs int64, w io.Writer) (intervals int64, err error) {
	fast := ref.indexIdentity()
	tags := map[string]bool{}
	for _, in := range inputs {
		for _, c := range in.comments {
			tags[c] = true
		}
	}
	sets := hlogSetsPerGroup(len(tags))
	groups := make([]*hlogGroup, min(runtime.GOMAXPROCS(0), len(inputs)))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() {
		close(stop)
		wg.Wait()
	}()
	for i := range groups {
		g := &hlogGroup{ref: ref, fast: fast, dec: newHDRDecoder(), stop: stop,
			free: make(chan *hlogSet, sets), out: make(chan *hlogSet, sets)}
		for range sets {
			g.free <- &hlogSet{accs: map[string]*hlogAcc{}}
		}
		groups[i] = g
	}
	for i, in := range inputs {
		groups[i%len(groups)].inputs = append(groups[i%len(groups)].inputs, in)
	}
	for _, g := range groups {
		wg.Go(g.run)
	}
	// the next set of each group, nil when it is done
	heads := make([]*hlogSet, len(groups))
	for i, g := range groups {
		heads[i] = <-g.out
	}

	bw := bufio.NewWriterSize(w, 1<<20)
	enc := newHDREncoder()
	merged := map[string]*hlogAcc{}
	var cur []*hlogAcc
	var line []byte
	for {
		var sec int64
		more := false
		for _, h := range heads {
			if h != nil && (!more || h.sec < sec) {
				sec, more = h.sec, true
			}
		}
		if !more {
			break
		}
		cur = cur[:0]
		for i, g := range groups {
			h := heads[i]
			if h == nil || h.sec != sec {
				continue
			}
			if h.err != nil {
				return intervals, h.err
			}
			for _, a := range h.touched {
				m := merged[a.tag]
				if m == nil {
					m = newHLogAcc(a.tag, ref.countsLen)
					merged[a.tag] = m
				}
				if !m.used {
					m.used = true
					cur = append(cur, m)
				}
				if a.total > math.MaxInt64-m.total {
					return intervals, fmt.Errorf("second %d, tag %q: the merged counts pass MaxInt64", sec, a.tag)
				}
				if a.hi >= 0 {
					for i, c := range a.counts[a.lo : a.hi+1] {
						m.counts[a.lo+i] += c
					}
					m.total += a.total
					m.lo, m.hi = min(m.lo, a.lo), max(m.hi, a.hi)
				}
				a.reset()
			}
			h.touched = h.touched[:0]
			g.free <- h // never blocks: free holds all the group's sets
			heads[i] = nil
		}
		// every set of this second is back with its group: now wait for
		// their next ones (a closed out gives nil at once)
		for i, g := range groups {
			if heads[i] == nil {
				heads[i] = <-g.out
			}
		}
		slices.SortFunc(cur, func(a, b *hlogAcc) int { return strings.Compare(a.tag, b.tag) })
		for _, m := range cur {
			line, err = enc.appendIntervalLine(line[:0], m.tag, sec*1000, sec*1000+1000, baseMs, ref, ratio, m.counts, m.hi)
			if err == nil {
				_, err = bw.Write(line)
			}
			if err != nil {
				return intervals, err
			}
			intervals++
			m.reset()
		}
	}
	return intervals, bw.Flush()
}
