package results

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Analysis defaults and limits.
const (
	// AnalysisSchema is the Analysis.Schema value this package writes.
	AnalysisSchema = "loadgen.results/v1"
	// DefaultApdexSatisfiedMs and DefaultApdexToleratedMs are JMeter's
	// dashboard APDEX thresholds (apdex_satisfied_threshold,
	// apdex_tolerated_threshold).
	DefaultApdexSatisfiedMs = 500
	DefaultApdexToleratedMs = 1500
	// MaxErrorTypes caps the distinct error keys kept; failures with further
	// keys are counted under OtherErrorType.
	MaxErrorTypes = 1000
	// OtherErrorType is the error key of failures past MaxErrorTypes
	// distinct keys.
	OtherErrorType = "Other errors (beyond the first 1000 types)"
	// SeriesLagSeconds is how far (in seconds of timeStamp) the rows may run
	// out of order for the per-second series: a second is finished once a
	// row more than this many seconds later has been read. Rows for a
	// finished second still count in its requests, errors, threads and
	// bytes, but not in its percentiles.
	SeriesLagSeconds = 5
)

// Histogram geometry of the JTL-based statistics: values in ms, 3
// significant digits (exact below 2048 ms), up to 24 h; longer samples are
// recorded as 24 h (Min, Max and Mean stay exact).
const (
	azHighestMs = 24 * 3600 * 1000
	azSigFigs   = 3
)

// azDenseLabels is the number of labels that get a dense histogram (about
// 150 KiB each, fastest to record into); further labels get a sparse
// (packed) one of a few KiB, so a JTL with thousands of labels (URLs as
// labels) stays within memory. Both give the same values.
const azDenseLabels = 200

// azSeriesRing holds the open seconds of the series: the lag window plus
// the current second, with room to spare.
const azSeriesRing = 8

// Options configures Analyze.
type Options struct {
	// ApdexSatisfiedMs and ApdexToleratedMs are the APDEX thresholds in ms
	// (JMeter's T and F); zero means DefaultApdexSatisfiedMs and
	// DefaultApdexToleratedMs.
	ApdexSatisfiedMs, ApdexToleratedMs float64
	// HLog is the path of an HdrHistogram interval log written by
	// record.HDRLog (optional). When set, its histograms give the
	// percentiles of each label and of Total, and the corrected percentiles.
	HLog string
	// Location is the time zone of "yyyy/MM/dd HH:mm:ss.SSS" timestamps;
	// nil means time.Local.
	Location *time.Location
}

// Analyze reads the JTL file at jtlPath (plain or gzip) and, when
// opts.HLog is set, the HDR interval log, and returns the statistics. See
// [AnalyzeReader].
func Analyze(ctx context.Context, jtlPath string, opts Options) (*Analysis, error) {
	f, err := os.Open(jtlPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return AnalyzeReader(ctx, f, jtlPath, opts)
}

// AnalyzeReader reads a JTL from r (name names it in errors and in
// Analysis.Source) in one streaming pass and returns every statistic of
// Analysis except NFRs and Grade, which the caller fills.
//
// Per label (transactions included and marked) and for Total (every row
// except transaction rows and sub-results, like JMeter's dashboard): sample
// and failure counts, exact mean, min and max, median and 90/95/99th
// percentiles from an HdrHistogram over all samples (not JMeter's window of
// the last 20,000), throughput over max(end) − min(start) with end =
// timeStamp + elapsed, KB/s, APDEX, mean latency and connect time. Errors,
// TopErrors and Series cover non-transaction rows; sub-result rows are
// counted in SubResultRows and otherwise left out. Memory is constant in
// the number of rows: it grows with the number of labels (about 150 KiB
// each), error keys (capped at MaxErrorTypes) and series seconds.
//
// The context is checked every 65,536 rows.
func AnalyzeReader(ctx context.Context, r io.Reader, name string, opts Options) (*Analysis, error) {
	sat, tol := opts.ApdexSatisfiedMs, opts.ApdexToleratedMs
	if sat == 0 {
		sat = DefaultApdexSatisfiedMs
	}
	if tol == 0 {
		tol = DefaultApdexToleratedMs
	}
	if math.IsNaN(sat) || math.IsNaN(tol) || sat < 0 || tol < sat {
		return nil, fmt.Errorf("apdex thresholds: need 0 <= satisfied <= tolerated, got %v and %v ms", sat, tol)
	}
	jr, err := NewJTLReader(r, name)
	if err != nil {
		return nil, err
	}
	jr.Location = opts.Location
	z := newAzState(sat, tol)
	var row Row
	for n := 0; ; n++ {
		if n&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		err := jr.Next(&row)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		z.add(&row)
	}
	a := z.result()
	a.Source.JTL = name
	a.SkippedRows = jr.Skipped()
	a.SkippedExamples = jr.SkippedExamples()
	a.PercentileSource = "jtl"
	if opts.HLog != "" {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hl, err := azReadHLog(opts.HLog)
		if err != nil {
			return nil, err
		}
		z.applyHLog(a, hl)
		a.Source.HLog = opts.HLog
		a.PercentileSource = "hdr-log"
	}
	return a, nil
}

// azLabel accumulates the statistics of one label (or Total).
type azLabel struct {
	label string
	tx    bool

	n, fail          int64
	sum, min, max    int64
	minStart, maxEnd int64
	recv, sent       int64
	lat, conn        int64
	sat, tol         int64
	h                *hdrhistogram.Histogram       // dense, or
	packed           *hdrhistogram.PackedHistogram // sparse
	errs             map[int32]int64               // error id -> failures (non-transaction labels)
}

// newAzLabel returns an accumulator with a dense or a packed histogram.
func newAzLabel(label string, tx, dense bool) *azLabel {
	a := &azLabel{label: label, tx: tx}
	if dense {
		a.h = hdrhistogram.New(1, azHighestMs, azSigFigs)
	} else {
		a.packed = hdrhistogram.NewPacked(1, azHighestMs, azSigFigs)
	}
	return a
}

// percentile reads a percentile of the label's histogram, kept within the
// exact min and max (HDR reports a bucket's highest equivalent value).
func (a *azLabel) percentile(p float64) float64 {
	var v int64
	if a.h != nil {
		v = a.h.ValueAtPercentile(p)
	} else {
		v = a.packed.ValueAtPercentile(p)
	}
	return float64(min(max(v, azClampMs(a.min)), azClampMs(a.max)))
}

// add counts one row; end is its end time (timeStamp + elapsed).
func (a *azLabel) add(s *Row, end int64, satMs, tolMs float64) {
	e := s.Elapsed
	if a.n == 0 {
		a.min, a.max, a.minStart, a.maxEnd = e, e, s.TimeStamp, end
	} else {
		a.min, a.max = min(a.min, e), max(a.max, e)
		a.minStart, a.maxEnd = min(a.minStart, s.TimeStamp), max(a.maxEnd, end)
	}
	a.n++
	a.sum += e
	a.recv += s.Bytes
	a.sent += s.SentBytes
	a.lat += s.Latency
	a.conn += s.Connect
	if s.Success {
		if fe := float64(e); fe <= satMs {
			a.sat++
		} else if fe <= tolMs {
			a.tol++
		}
	} else {
		a.fail++
	}
	if a.h != nil {
		_ = a.h.RecordValue(azClampMs(e))
	} else {
		_ = a.packed.RecordValue(azClampMs(e))
	}
}

// azClampMs clamps a duration in ms to the histogram range.
func azClampMs(v int64) int64 {
	return min(max(v, 0), azHighestMs)
}

// stats returns the label's dashboard statistics.
func (a *azLabel) stats() LabelStats {
	st := LabelStats{Label: a.label, Transaction: a.tx, Samples: a.n, Failures: a.fail,
		BytesReceived: a.recv, BytesSent: a.sent}
	if a.n == 0 {
		return st
	}
	n := float64(a.n)
	st.ErrorPct = 100 * float64(a.fail) / n
	st.Mean = float64(a.sum) / n
	st.Min, st.Max = float64(a.min), float64(a.max)
	st.Median = a.percentile(50)
	st.P90 = a.percentile(90)
	st.P95 = a.percentile(95)
	st.P99 = a.percentile(99)
	if span := float64(a.maxEnd-a.minStart) / 1000; span > 0 {
		st.Throughput = n / span
		st.ReceivedKBps = float64(a.recv) / span / 1024
		st.SentKBps = float64(a.sent) / span / 1024
	}
	st.Apdex = (float64(a.sat) + float64(a.tol)/2) / n
	st.MeanLatency = float64(a.lat) / n
	st.MeanConnect = float64(a.conn) / n
	return st
}

// azPercentile reads a percentile of a ms histogram, kept within the exact
// min and max (HDR reports a bucket's highest equivalent value).
func azPercentile(h *hdrhistogram.Histogram, p float64, lo, hi int64) float64 {
	v := h.ValueAtQuantile(p)
	return float64(min(max(v, azClampMs(lo)), azClampMs(hi)))
}

// azSecond is one open second of the series.
type azSecond struct {
	open bool
	max  int64
	sec  Second
	h    *hdrhistogram.Histogram
}

// azState is the whole one-pass accumulator.
type azState struct {
	satMs, tolMs float64

	labels   map[string]*azLabel // non-transaction labels
	txLabels map[string]*azLabel // transaction labels
	last     *azLabel            // cache of the previous row's label
	total    *azLabel

	rows, txRows, subRows int64
	minStart, maxEnd      int64
	any                   bool

	errIDs    map[string]int32
	errKeys   []string
	errCounts []int64
	otherID   int32 // id of OtherErrorType, -1 until used
	keyBuf    []byte

	ring    [azSeriesRing]azSecond
	maxT    int64 // latest second seen
	started bool
	series  []Second
}

func newAzState(sat, tol float64) *azState {
	return &azState{
		satMs: sat, tolMs: tol,
		labels:   map[string]*azLabel{},
		txLabels: map[string]*azLabel{},
		total:    newAzLabel("Total", false, true),
		errIDs:   map[string]int32{},
		otherID:  -1,
	}
}

// add accounts one row.
func (z *azState) add(s *Row) {
	z.rows++
	if s.SubResult {
		z.subRows++
		return
	}
	if s.Transaction {
		z.txRows++
		// JMeter's dashboard ignores controllers that ran no sample.
		if strings.HasPrefix(s.ResponseMessage, jrTransactionPrefix+" : 0,") {
			return
		}
	}
	end := s.TimeStamp + s.Elapsed
	if !z.any {
		z.minStart, z.maxEnd, z.any = s.TimeStamp, end, true
	} else {
		z.minStart, z.maxEnd = min(z.minStart, s.TimeStamp), max(z.maxEnd, end)
	}
	l := z.last
	if l == nil || l.label != s.Label || l.tx != s.Transaction {
		m := z.labels
		if s.Transaction {
			m = z.txLabels
		}
		l = m[s.Label]
		if l == nil {
			// Clone: the label must not keep the reader's string block alive.
			dense := len(z.labels)+len(z.txLabels) < azDenseLabels
			l = newAzLabel(strings.Clone(s.Label), s.Transaction, dense)
			m[s.Label] = l
		}
		z.last = l
	}
	l.add(s, end, z.satMs, z.tolMs)
	if s.Transaction {
		return
	}
	z.total.add(s, end, z.satMs, z.tolMs)
	if !s.Success {
		id := z.errorID(s)
		z.errCounts[id]++
		if l.errs == nil {
			l.errs = map[int32]int64{}
		}
		l.errs[id]++
	}
	z.addSecond(s)
}

// errorID returns the id of the row's error key (JMeter's
// ErrorsSummaryConsumer.getErrorKey), creating it when new.
func (z *azState) errorID(s *Row) int32 {
	z.keyBuf = azErrorKey(z.keyBuf[:0], s)
	if id, ok := z.errIDs[string(z.keyBuf)]; ok {
		return id
	}
	if len(z.errKeys) >= MaxErrorTypes {
		if z.otherID < 0 {
			z.otherID = int32(len(z.errKeys))
			z.errKeys = append(z.errKeys, OtherErrorType)
			z.errCounts = append(z.errCounts, 0)
		}
		return z.otherID
	}
	id := int32(len(z.errKeys))
	key := string(z.keyBuf)
	z.errIDs[key] = id
	z.errKeys = append(z.errKeys, key)
	z.errCounts = append(z.errCounts, 0)
	return id
}

// azErrorKey appends the error key of a failed row: responseCode, plus
// "/" + responseMessage when the message is not empty; but when the code
// is a success code (2xx/3xx), or empty with a non-blank failureMessage,
// the failureMessage, or "Assertion failed" when there is none.
func azErrorKey(b []byte, s *Row) []byte {
	if azSuccessCode(s.ResponseCode) || (s.ResponseCode == "" && strings.TrimSpace(s.FailureMessage) != "") {
		if s.FailureMessage != "" {
			return append(b, s.FailureMessage...)
		}
		return append(b, "Assertion failed"...)
	}
	b = append(b, s.ResponseCode...)
	if s.ResponseMessage != "" {
		b = append(b, '/')
		b = append(b, s.ResponseMessage...)
	}
	return b
}

// azSuccessCode reports whether code is a number in 200..399 (JMeter's
// MetricUtils.isSuccessCode).
func azSuccessCode(code string) bool {
	if len(code) != 3 {
		return false
	}
	c, err := strconv.Atoi(code)
	return err == nil && c >= 200 && c <= 399
}

// addSecond accounts a non-transaction row in the per-second series.
func (z *azState) addSecond(s *Row) {
	t := azFloorDiv(s.TimeStamp, 1000)
	if !z.started {
		z.maxT, z.started = t, true
	}
	if t > z.maxT {
		z.finishBefore(t - SeriesLagSeconds)
		z.maxT = t
	}
	if t < z.maxT-SeriesLagSeconds {
		z.addLate(t, s)
		return
	}
	slot := &z.ring[azFloorMod(t, azSeriesRing)]
	if !slot.open {
		if slot.h == nil {
			slot.h = hdrhistogram.New(1, azHighestMs, azSigFigs)
		} else {
			slot.h.Reset()
		}
		slot.open, slot.max = true, 0
		slot.sec = Second{T: t}
	}
	slot.sec.Requests++
	if !s.Success {
		slot.sec.Errors++
	}
	slot.sec.MaxThreads = max(slot.sec.MaxThreads, s.AllThreads)
	slot.sec.BytesPerSec += float64(s.Bytes)
	slot.max = max(slot.max, azClampMs(s.Elapsed))
	_ = slot.h.RecordValue(azClampMs(s.Elapsed))
}

// finishBefore closes the open seconds before t, in time order.
func (z *azState) finishBefore(t int64) {
	for {
		var first *azSecond
		for i := range z.ring {
			if sl := &z.ring[i]; sl.open && sl.sec.T < t && (first == nil || sl.sec.T < first.sec.T) {
				first = sl
			}
		}
		if first == nil {
			return
		}
		sec := first.sec
		sec.P50 = azPercentile(first.h, 50, 0, first.max)
		sec.P95 = azPercentile(first.h, 95, 0, first.max)
		sec.P99 = azPercentile(first.h, 99, 0, first.max)
		z.series = append(z.series, sec)
		first.open = false
	}
}

// addLate counts a row for a second that is already finished.
func (z *azState) addLate(t int64, s *Row) {
	i := sort.Search(len(z.series), func(i int) bool { return z.series[i].T >= t })
	if i == len(z.series) || z.series[i].T != t {
		e := float64(azClampMs(s.Elapsed))
		z.series = append(z.series, Second{})
		copy(z.series[i+1:], z.series[i:])
		z.series[i] = Second{T: t, P50: e, P95: e, P99: e}
	}
	sec := &z.series[i]
	sec.Requests++
	if !s.Success {
		sec.Errors++
	}
	sec.MaxThreads = max(sec.MaxThreads, s.AllThreads)
	sec.BytesPerSec += float64(s.Bytes)
}

// azFloorDiv divides rounding toward negative infinity (b > 0).
func azFloorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// azFloorMod is the non-negative remainder of a / b (b > 0).
func azFloorMod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// result builds the Analysis from the accumulated state.
func (z *azState) result() *Analysis {
	z.finishBefore(math.MaxInt64)
	a := &Analysis{
		Schema:           AnalysisSchema,
		Source:           Source{Rows: z.rows},
		ApdexSatisfiedMs: z.satMs,
		ApdexToleratedMs: z.tolMs,
		TransactionRows:  z.txRows,
		SubResultRows:    z.subRows,
		Total:            z.total.stats(),
		Labels:           []LabelStats{},
		Errors:           []ErrorCount{},
		TopErrors:        []SamplerErrors{},
		Series:           z.series,
		NFRs:             []NFRResult{},
	}
	if a.Series == nil {
		a.Series = []Second{}
	}
	if z.any {
		a.Start = time.UnixMilli(z.minStart).UTC()
		a.End = time.UnixMilli(z.maxEnd).UTC()
		a.DurationS = float64(z.maxEnd-z.minStart) / 1000
	}
	for _, m := range []map[string]*azLabel{z.labels, z.txLabels} {
		for _, l := range m {
			a.Labels = append(a.Labels, l.stats())
		}
	}
	sort.Slice(a.Labels, func(i, j int) bool {
		if a.Labels[i].Label != a.Labels[j].Label {
			return a.Labels[i].Label < a.Labels[j].Label
		}
		return !a.Labels[i].Transaction && a.Labels[j].Transaction
	})

	var nErr int64
	for _, c := range z.errCounts {
		nErr += c
	}
	for id, c := range z.errCounts {
		a.Errors = append(a.Errors, z.errorCount(int32(id), c, nErr, z.total.n))
	}
	azSortErrors(a.Errors)

	for _, l := range z.labels {
		if l.fail == 0 {
			continue
		}
		se := SamplerErrors{Label: l.label, Samples: l.n, Errors: l.fail}
		for id, c := range l.errs {
			se.Top = append(se.Top, z.errorCount(id, c, l.fail, l.n))
		}
		azSortErrors(se.Top)
		if len(se.Top) > 5 {
			se.Top = se.Top[:5]
		}
		a.TopErrors = append(a.TopErrors, se)
	}
	sort.Slice(a.TopErrors, func(i, j int) bool {
		x, y := a.TopErrors[i], a.TopErrors[j]
		if x.Errors != y.Errors {
			return x.Errors > y.Errors
		}
		return x.Label < y.Label
	})
	if z.total.n > 0 {
		a.Distribution = azDistribution(z.total.h, 1, z.total.max)
	}
	return a
}

// errorCount builds the ErrorCount of error id with count c out of nErr
// errors and nSamples samples (Total's for Errors, the sampler's for
// TopErrors).
func (z *azState) errorCount(id int32, c, nErr, nSamples int64) ErrorCount {
	ec := ErrorCount{Type: z.errKeys[id], Count: c}
	if nErr > 0 {
		ec.PctOfErrors = 100 * float64(c) / float64(nErr)
	}
	if nSamples > 0 {
		ec.PctOfSamples = 100 * float64(c) / float64(nSamples)
	}
	return ec
}

// azSortErrors sorts by count, most frequent first, then by type.
func azSortErrors(es []ErrorCount) {
	sort.Slice(es, func(i, j int) bool {
		if es[i].Count != es[j].Count {
			return es[i].Count > es[j].Count
		}
		return es[i].Type < es[j].Type
	})
}

// azDistributionPercentiles are the percentiles of Analysis.Distribution:
// HdrHistogram's percentile iteration with five ticks per half distance
// (0, 10, 20, 30, 40, 50, 55, … 99.999…) plus 90, 95, 99, 99.9, 99.99 and
// 100.
var azDistributionPercentiles = func() []float64 {
	var ps []float64
	for k := 0; k < 17; k++ {
		lo := 100 - 100/math.Pow(2, float64(k))
		width := 100 / math.Pow(2, float64(k+1))
		for i := 0; i < 5; i++ {
			ps = append(ps, lo+width*float64(i)/5)
		}
	}
	ps = append(ps, 90, 95, 99, 99.9, 99.99, 100)
	sort.Float64s(ps)
	out := ps[:0]
	for _, p := range ps {
		if len(out) == 0 || p-out[len(out)-1] > 1e-9 {
			out = append(out, p)
		}
	}
	return out
}()

// azDistribution returns the percentile distribution of h, whose values
// are in ms × perMs (1 for ms, 1000 for µs); hi (in h's units) caps the
// values (the exact maximum, for JTL histograms).
func azDistribution(h *hdrhistogram.Histogram, perMs float64, hi int64) []PercentilePoint {
	out := make([]PercentilePoint, 0, len(azDistributionPercentiles))
	for _, p := range azDistributionPercentiles {
		v := h.ValueAtQuantile(p)
		if hi > 0 {
			v = min(v, hi)
		}
		out = append(out, PercentilePoint{Percentile: p, Ms: float64(v) / perMs})
	}
	return out
}

// azHLogLabel holds the merged histograms (µs) of one label in an HDR log.
type azHLogLabel struct {
	plain, corrected *hdrhistogram.Histogram
}

// azHLogTag is what a "#[Tag: …]" comment says about a tag.
type azHLogTag struct {
	label     string
	corrected bool
}

// azHLogTotalKey keys untagged histograms: they count in Total only.
const azHLogTotalKey = "\x00untagged"

// azReadHLog reads an HDR interval log written by record.HDRLog (values in
// µs, one tag per label, "#[Tag: <tag> metric=<metric> label=<JSON>]"
// comments) and merges its histograms per label. Tags without a comment
// are their own label; a ".corrected" suffix marks corrected ones.
func azReadHLog(path string) (map[string]*azHLogLabel, error) {
	tags, err := azReadHLogTags(path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	in, err := jrDecompress(f, path, 64<<10)
	if err != nil {
		return nil, err
	}
	lr := hdrhistogram.NewHistogramLogReader(in)
	out := map[string]*azHLogLabel{}
	for {
		h, err := lr.NextIntervalHistogram()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if h == nil {
			break
		}
		tag := h.Tag()
		info, ok := tags[tag]
		switch {
		case ok:
		case tag == "":
			info = azHLogTag{label: azHLogTotalKey}
		case strings.HasSuffix(tag, ".corrected"):
			info = azHLogTag{label: strings.TrimSuffix(tag, ".corrected"), corrected: true}
		default:
			info = azHLogTag{label: tag}
		}
		l := out[info.label]
		if l == nil {
			l = &azHLogLabel{}
			out[info.label] = l
		}
		dst := &l.plain
		if info.corrected {
			dst = &l.corrected
		}
		if *dst == nil {
			*dst = h
		} else if dropped := (*dst).Merge(h); dropped > 0 {
			return nil, fmt.Errorf("%s: tag %q: %d values outside the histogram range", path, tag, dropped)
		}
	}
	return out, nil
}

// azReadHLogTags reads the "#[Tag: …]" header comments of an HDR log.
func azReadHLogTags(path string) (map[string]azHLogTag, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	in, err := jrDecompress(f, path, 64<<10)
	if err != nil {
		return nil, err
	}
	tags := map[string]azHLogTag{}
	br := bufio.NewReader(in)
	for {
		line, err := br.ReadString('\n')
		if strings.HasPrefix(line, "#[Tag: ") {
			if tag, info, ok := azParseTagComment(line); ok {
				tags[tag] = info
			}
		} else if line != "" && line[0] != '#' && !strings.HasPrefix(line, `"StartTimestamp"`) {
			break // the header ends at the first interval line
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return tags, nil
}

// azParseTagComment parses "#[Tag: <tag> metric=<metric> label=<JSON>]".
func azParseTagComment(line string) (string, azHLogTag, bool) {
	rest := strings.TrimRight(strings.TrimPrefix(line, "#[Tag: "), "\r\n")
	tag, rest, ok := strings.Cut(rest, " ")
	if !ok || !strings.HasPrefix(rest, "metric=") {
		return "", azHLogTag{}, false
	}
	metric, rest, ok := strings.Cut(rest[len("metric="):], " ")
	if !ok || !strings.HasPrefix(rest, "label=") || !strings.HasSuffix(rest, "]") {
		return "", azHLogTag{}, false
	}
	var label string
	if err := json.Unmarshal([]byte(rest[len("label="):len(rest)-1]), &label); err != nil {
		return "", azHLogTag{}, false
	}
	return tag, azHLogTag{label: label, corrected: metric == "http_req_duration_corrected"}, true
}

// applyHLog replaces mean, min, max and the percentiles with the HDR log's
// (µs → ms) and
// fills the corrected percentiles. Labels the log lacks keep their JTL
// percentiles. Total merges every label of the log that is not only a
// transaction in the JTL; its corrected percentiles merge each such label's
// corrected histogram, or its plain one when it has none.
func (z *azState) applyHLog(a *Analysis, hl map[string]*azHLogLabel) {
	const us = 1000.0 // µs per ms
	for i := range a.Labels {
		st := &a.Labels[i]
		l := hl[st.Label]
		if l == nil {
			continue
		}
		if l.plain != nil && l.plain.TotalCount() > 0 {
			// the log's µs values beat the JTL's whole milliseconds for
			// every figure, so mean, min and max come from it too
			st.Mean = l.plain.Mean() / us
			st.Min = float64(l.plain.Min()) / us
			st.Max = float64(l.plain.Max()) / us
			st.Median = float64(l.plain.ValueAtQuantile(50)) / us
			st.P90 = float64(l.plain.ValueAtQuantile(90)) / us
			st.P95 = float64(l.plain.ValueAtQuantile(95)) / us
			st.P99 = float64(l.plain.ValueAtQuantile(99)) / us
		}
		if l.corrected != nil {
			st.CorrectedP95 = float64(l.corrected.ValueAtQuantile(95)) / us
			st.CorrectedP99 = float64(l.corrected.ValueAtQuantile(99)) / us
		}
	}
	names := make([]string, 0, len(hl))
	anyCorrected := false
	for name, l := range hl {
		_, tx := z.txLabels[name]
		_, plain := z.labels[name]
		if tx && !plain {
			continue
		}
		names = append(names, name)
		anyCorrected = anyCorrected || l.corrected != nil
	}
	sort.Strings(names) // merge order does not matter, but keep it stable
	var total, corrected *hdrhistogram.Histogram
	merge := func(dst **hdrhistogram.Histogram, h *hdrhistogram.Histogram) {
		if h == nil {
			return
		}
		if *dst == nil {
			*dst = h.Clone()
			return
		}
		(*dst).Merge(h)
	}
	for _, name := range names {
		l := hl[name]
		merge(&total, l.plain)
		if anyCorrected {
			if l.corrected != nil {
				merge(&corrected, l.corrected)
			} else {
				merge(&corrected, l.plain)
			}
		}
	}
	if total != nil && total.TotalCount() > 0 {
		t := &a.Total
		t.Mean = total.Mean() / us
		t.Min = float64(total.Min()) / us
		t.Max = float64(total.Max()) / us
		t.Median = float64(total.ValueAtQuantile(50)) / us
		t.P90 = float64(total.ValueAtQuantile(90)) / us
		t.P95 = float64(total.ValueAtQuantile(95)) / us
		t.P99 = float64(total.ValueAtQuantile(99)) / us
		a.Distribution = azDistribution(total, us, 0)
	}
	if corrected != nil && corrected.TotalCount() > 0 {
		a.Total.CorrectedP95 = float64(corrected.ValueAtQuantile(95)) / us
		a.Total.CorrectedP99 = float64(corrected.ValueAtQuantile(99)) / us
	}
}
