package record

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Metric names written in the "#[Tag: …]" header comments of an HDR log.
const (
	MetricDuration          = "http_req_duration"
	MetricDurationCorrected = "http_req_duration_corrected"
)

// HDRUnitComment is the header comment (without the leading '#') that
// states the unit of every value in the log.
const HDRUnitComment = "[loadgen latency.hlog: values in microseconds; one tag per JTL label]"

// openIntervals is the number of intervals an HDRLog keeps open at once.
// Advance leaves two open (the current one and the one before, so samples
// up to one Interval late land where they belong); the third gives room
// for samples that end after the current interval before the next Advance.
const openIntervals = 3

// HDRLogOptions configures an HDRLog. Zero fields take their defaults.
type HDRLogOptions struct {
	// Interval is the length of one interval histogram; default 1s.
	Interval time.Duration
	// Lowest and Highest bound the recorded values in microseconds;
	// defaults 1 and 3_600_000_000 (1 h). Values outside are clamped.
	Lowest, Highest int64
	// SigFigs is the number of significant value digits (1..5); default 3.
	SigFigs int
	// Version is the loadgen version written in the "Logged with" comment.
	Version string
}

// hdrSlot is one open interval: histograms indexed by tag, allocated on
// first use and reused (Reset) for later intervals.
type hdrSlot struct {
	k     int64 // interval index counted from start
	hists []*hdrhistogram.Histogram
	dirty bool
}

// HDRLog writes an HdrHistogram interval log (format 1.3, V2 compressed
// histograms) with one tag per JTL label and values in microseconds.
//
// Samples are bucketed by their end time into Interval-aligned windows
// counted from the run start. A few intervals stay open so late samples
// still land in the right window; Advance writes the intervals that can no
// longer receive samples and Close writes the rest.
//
// Each (open interval × tag) pair that receives samples gets one dense
// histogram, allocated on first use and reused afterwards (Reset), so
// recording does not allocate in steady state. With the default range
// (1 µs..1 h, 3 digits) a histogram takes about 184 KiB, so a tag costs
// about 552 KiB for its three open intervals.
//
// An HDRLog is not safe for concurrent use; it is meant to be driven by one
// recorder goroutine.
type HDRLog struct {
	bw *bufio.Writer
	lw *hdrhistogram.HistogramLogWriter

	startNs    int64
	intervalNs int64
	lowest     int64
	highest    int64
	sigFigs    int

	tags     []string // tag index -> tag
	tagLabel []string // tag index -> label
	stepTag  []int32  // step -> tag index
	stepCorr []int32  // step -> corrected tag index, -1 if none

	slots  [openIntervals]hdrSlot
	oldest int64 // interval index of the oldest open interval

	closed bool
	err    error // sticky write error
}

// NewHDRLog returns an HDRLog writing to w and writes the log header: the
// "Logged with" and format-version comments, the unit comment, one
// "#[Tag: <tag> metric=<metric> label=<JSON string>]" comment per tag,
// StartTime, BaseTime and the legend. start is the run start; intervals
// are counted from it. Output to w is buffered and flushed by Advance (when
// it writes) and Close; w is never closed.
func NewHDRLog(w io.Writer, steps []StepInfo, start time.Time, opts HDRLogOptions) (*HDRLog, error) {
	if opts.Interval == 0 {
		opts.Interval = time.Second
	}
	if opts.Lowest == 0 {
		opts.Lowest = 1
	}
	if opts.Highest == 0 {
		opts.Highest = 3_600_000_000
	}
	if opts.SigFigs == 0 {
		opts.SigFigs = 3
	}
	switch {
	case opts.Interval < time.Millisecond:
		return nil, fmt.Errorf("latency.hlog: interval %v shorter than 1ms", opts.Interval)
	case opts.Lowest < 1:
		return nil, fmt.Errorf("latency.hlog: lowest value %d < 1", opts.Lowest)
	case opts.Highest < 2*opts.Lowest:
		return nil, fmt.Errorf("latency.hlog: highest value %d < 2 × lowest %d", opts.Highest, opts.Lowest)
	case opts.SigFigs < 1 || opts.SigFigs > 5:
		return nil, fmt.Errorf("latency.hlog: significant figures %d outside 1..5", opts.SigFigs)
	}

	l := &HDRLog{
		bw:         bufio.NewWriterSize(w, 64<<10),
		startNs:    start.UnixNano(),
		intervalNs: int64(opts.Interval),
		lowest:     opts.Lowest,
		highest:    opts.Highest,
		sigFigs:    opts.SigFigs,
		stepTag:    make([]int32, len(steps)),
		stepCorr:   make([]int32, len(steps)),
	}
	l.lw = hdrhistogram.NewHistogramLogWriter(l.bw)

	labels := make([]string, 0, len(steps))
	labelIdx := make(map[string]int32, len(steps))
	corrected := make([]bool, 0, len(steps))
	for i, st := range steps {
		idx, ok := labelIdx[st.Label]
		if !ok {
			idx = int32(len(labels))
			labelIdx[st.Label] = idx
			labels = append(labels, st.Label)
			corrected = append(corrected, false)
		}
		l.stepTag[i] = idx
		if st.Arrival {
			corrected[idx] = true
		}
	}
	plain, corr := labelTags(labels, corrected)
	l.tags = plain
	l.tagLabel = append([]string(nil), labels...)
	corrIdx := make([]int32, len(labels))
	for i, t := range corr {
		corrIdx[i] = -1
		if t != "" {
			corrIdx[i] = int32(len(l.tags))
			l.tags = append(l.tags, t)
			l.tagLabel = append(l.tagLabel, labels[i])
		}
	}
	for i, st := range steps {
		l.stepCorr[i] = -1
		if st.Arrival {
			l.stepCorr[i] = corrIdx[l.stepTag[i]]
		}
	}
	for i := range l.slots {
		l.slots[i].k = int64(i)
		l.slots[i].hists = make([]*hdrhistogram.Histogram, len(l.tags))
	}

	startMs := start.UnixMilli()
	// The writers print BaseTime in whole seconds; use a whole-second base
	// so readers reconstruct the exact interval times.
	baseMs := startMs - startMs%1000
	if startMs%1000 < 0 {
		baseMs -= 1000
	}
	logged := "[Logged with loadgen"
	if opts.Version != "" {
		logged += " " + opts.Version
	}
	l.write(l.lw.OutputComment(logged + "]"))
	l.write(l.lw.OutputLogFormatVersion())
	l.write(l.lw.OutputComment(HDRUnitComment))
	l.write(l.lw.OutputComment("[Interval_Max column: microseconds / 1e6, i.e. seconds]"))
	for i, t := range l.tags {
		metric := MetricDuration
		if i >= len(labels) {
			metric = MetricDurationCorrected
		}
		l.write(l.lw.OutputComment("[Tag: " + t + " metric=" + metric + " label=" + jsonString(l.tagLabel[i]) + "]"))
	}
	l.write(l.lw.OutputStartTime(startMs))
	l.lw.SetBaseTime(baseMs)
	l.write(l.lw.OutputBaseTime(baseMs))
	l.write(l.lw.OutputLegend())
	if err := l.flush(); err != nil {
		return nil, err
	}
	return l, nil
}

// Record adds s.Elapsed (in µs, rounded, clamped to [Lowest, Highest]) to
// the interval holding the sample's end time under the step's tag, and for
// steps of arrival-rate scenarios s.Corrected under the corrected tag.
// A sample that ends before the oldest open interval is counted in it; one
// that ends after the newest open interval first writes out the oldest
// intervals (a write error becomes sticky and is returned by Advance and
// Close). Samples with a step outside the label table, and samples
// recorded after Close, are ignored.
func (l *HDRLog) Record(s *Sample) {
	if l.closed || s.Step < 0 || int(s.Step) >= len(l.stepTag) {
		return
	}
	k := floorDiv(s.Start+s.Elapsed-l.startNs, l.intervalNs)
	if k < l.oldest {
		k = l.oldest
	} else if k >= l.oldest+openIntervals {
		l.writeThrough(k - openIntervals)
	}
	slot := &l.slots[k%openIntervals]
	slot.dirty = true
	l.hist(slot, l.stepTag[s.Step]).RecordValue(l.micros(s.Elapsed))
	if c := l.stepCorr[s.Step]; c >= 0 {
		l.hist(slot, c).RecordValue(l.micros(s.Corrected))
	}
}

// hist returns the slot's histogram for a tag, allocating it on first use.
func (l *HDRLog) hist(slot *hdrSlot, tag int32) *hdrhistogram.Histogram {
	h := slot.hists[tag]
	if h == nil {
		h = hdrhistogram.New(l.lowest, l.highest, l.sigFigs)
		slot.hists[tag] = h
	}
	return h
}

// micros converts ns to µs, rounded to nearest and clamped to the range.
func (l *HDRLog) micros(ns int64) int64 {
	us := (ns + 500) / 1000
	if us < l.lowest {
		return l.lowest
	}
	if us > l.highest {
		return l.highest
	}
	return us
}

// Advance writes every interval that ended at least one full Interval
// before now, so samples up to one Interval late are still counted in the
// interval they belong to.
func (l *HDRLog) Advance(now time.Time) error {
	if l.closed || l.err != nil {
		return l.err
	}
	// Interval k ends at start+(k+1)·I; it is written once that is ≤ now−I.
	last := floorDiv(now.UnixNano()-l.startNs, l.intervalNs) - 2
	if last >= l.oldest {
		l.writeThrough(last)
		l.write(l.flush())
	}
	return l.err
}

// Close writes all remaining intervals and flushes the output. It does not
// close the underlying writer. Later calls return the same result.
func (l *HDRLog) Close() error {
	if l.closed {
		return l.err
	}
	l.writeThrough(l.oldest + openIntervals - 1)
	l.write(l.flush())
	l.closed = true
	return l.err
}

// Tags returns the mapping from each tag in the log to its JTL label. A
// label's corrected tag (metric http_req_duration_corrected) maps to the
// same label.
func (l *HDRLog) Tags() map[string]string {
	m := make(map[string]string, len(l.tags))
	for i, t := range l.tags {
		m[t] = l.tagLabel[i]
	}
	return m
}

// writeThrough writes the open intervals with index ≤ last, oldest first,
// and reopens their slots for the following intervals.
func (l *HDRLog) writeThrough(last int64) {
	for k := l.oldest; k <= last && k < l.oldest+openIntervals; k++ {
		l.writeInterval(&l.slots[k%openIntervals])
	}
	if last < l.oldest {
		return
	}
	l.oldest = last + 1
	for i := int64(0); i < openIntervals; i++ {
		k := l.oldest + i
		l.slots[k%openIntervals].k = k
	}
}

// writeInterval writes one line per tag with counts in the slot and resets
// those histograms.
func (l *HDRLog) writeInterval(slot *hdrSlot) {
	if !slot.dirty {
		return
	}
	slot.dirty = false
	startMs := (l.startNs + slot.k*l.intervalNs) / 1e6
	endMs := (l.startNs + (slot.k+1)*l.intervalNs) / 1e6
	for i, h := range slot.hists {
		if h == nil || h.TotalCount() == 0 {
			continue
		}
		if l.err == nil {
			// Reset clears the tag and times, so set them on every write.
			h.SetTag(l.tags[i])
			h.SetStartTimeMs(startMs)
			h.SetEndTimeMs(endMs)
			l.write(l.lw.OutputIntervalHistogram(h))
		}
		h.Reset()
	}
}

// write records the first error as the sticky error.
func (l *HDRLog) write(err error) {
	if err != nil && l.err == nil {
		l.err = fmt.Errorf("latency.hlog: %w", err)
	}
}

// flush flushes the buffered output, unless an error is already sticky.
func (l *HDRLog) flush() error {
	if l.err != nil {
		return l.err
	}
	l.write(l.bw.Flush())
	return l.err
}

// floorDiv divides rounding toward negative infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// labelTags maps labels to HDR log tags: characters a tag may not hold
// (',', whitespace including CR and LF, control characters, invalid UTF-8)
// become '_', an empty label becomes "_", and collisions get "~2", "~3", …
// appended. For each label with corrected[i], it also returns the tag
// "<tag>.corrected", made unique the same way ("" otherwise). Plain tags
// are assigned first, so a label's own tag wins over a corrected tag.
func labelTags(labels []string, corrected []bool) (plain, corr []string) {
	used := make(map[string]bool, 2*len(labels))
	unique := func(t string) string {
		if !used[t] {
			used[t] = true
			return t
		}
		for n := 2; ; n++ {
			c := t + "~" + strconv.Itoa(n)
			if !used[c] {
				used[c] = true
				return c
			}
		}
	}
	plain = make([]string, len(labels))
	for i, lb := range labels {
		plain[i] = unique(sanitizeTag(lb))
	}
	corr = make([]string, len(labels))
	for i := range labels {
		if corrected[i] {
			corr[i] = unique(plain[i] + ".corrected")
		}
	}
	return plain, corr
}

// sanitizeTag replaces every character a tag may not contain with '_'.
func sanitizeTag(label string) string {
	if label == "" {
		return "_"
	}
	var b strings.Builder
	b.Grow(len(label))
	for i := 0; i < len(label); {
		r, size := utf8.DecodeRuneInString(label[i:])
		if (r == utf8.RuneError && size == 1) || !tagRuneOK(r) {
			b.WriteByte('_')
		} else {
			b.WriteString(label[i : i+size])
		}
		i += size
	}
	return b.String()
}

// tagRuneOK reports whether r may appear in a tag: printable, not a space
// or comma. This also excludes the Unicode line separators Java's
// Scanner.nextLine honours (U+0085, U+2028, U+2029).
func tagRuneOK(r rune) bool {
	return r != ',' && r != utf8.RuneError && !unicode.IsSpace(r) && unicode.IsPrint(r)
}

// validTag reports whether t is a non-empty tag without forbidden characters.
func validTag(t string) bool {
	if t == "" || !utf8.ValidString(t) {
		return false
	}
	for _, r := range t {
		if !tagRuneOK(r) {
			return false
		}
	}
	return true
}

// jsonString returns s as a JSON string literal on one line. Besides the
// escapes encoding/json applies (control characters, U+2028, U+2029;
// invalid UTF-8 becomes U+FFFD) it escapes U+0085, which Java's
// Scanner.nextLine treats as a line break.
func jsonString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	out := strings.TrimSuffix(buf.String(), "\n")
	return strings.ReplaceAll(out, "\u0085", `\u0085`)
}
