package record

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
)

// JTLHeader is the stock JMeter 5.6 CSV header (17 columns) that
// NewJTLWriter writes, including the trailing newline.
const JTLHeader = "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n"

// jtlFlushSize is the buffered size past which Write flushes to the file.
const jtlFlushSize = 256 << 10

// JTLOptions selects which rows a JTLWriter keeps.
type JTLOptions struct {
	// Sample is the share of successful rows to keep, 0 < Sample <= 1.
	// The zero value means 1 (keep all). Failed rows are always kept.
	Sample float64
	// ErrorsOnly keeps only failed rows.
	ErrorsOnly bool
	// Seed seeds the sampling PRNG, so a run's sampling is deterministic.
	Seed uint64
}

// File is the destination of a JTLWriter. *os.File satisfies it; Truncate
// and Seek are used to cut a partially written row after a write error.
type File interface {
	io.Writer
	Truncate(size int64) error
	Seek(offset int64, whence int) (int64, error)
}

// stepFields holds the pre-formatted, pre-quoted per-step columns.
type stepFields struct {
	label        []byte // label column, quoted if needed
	threadPrefix []byte // opening quote if needed, scenario, " 1-"
	threadQuoted bool   // threadName needs a closing quote
}

// JTLWriter formats Samples as JMeter CSV rows (JTL) into an internal
// buffer and writes them to a File in large blocks. It never leaves a
// partial row in the file: on a write error the file is truncated to the
// last complete row and the error becomes sticky.
//
// A JTLWriter is not safe for concurrent use; it is meant to be driven by
// one recorder goroutine.
type JTLWriter struct {
	f     File
	name  string
	steps []stepFields

	buf     []byte // formatted rows not yet written
	rowEnds []int  // end offset in buf of each buffered row
	off     int64  // file offset where buf will be written

	rows    int64 // rows kept (buffered or written)
	onDisk  int64 // rows completely written to f
	dropped int64

	all        bool   // keep every successful row
	errorsOnly bool   // keep no successful row
	threshold  uint64 // keep a successful row when rand < threshold
	rng        uint64 // splitmix64 state

	err error // sticky
}

// NewJTLWriter returns a writer that appends rows to f and writes the
// JTLHeader to f immediately, at f's current offset (f must be seekable: a
// failed write is cut back by offset). name names the file in
// error messages (e.g. "results.jtl"); steps is the run's label table that
// Sample.Step indexes.
func NewJTLWriter(f File, name string, steps []StepInfo, opts JTLOptions) (*JTLWriter, error) {
	s := opts.Sample
	if s == 0 {
		s = 1
	}
	if math.IsNaN(s) || s <= 0 || s > 1 {
		return nil, fmt.Errorf("%s: sample share %v out of range (0, 1]", name, opts.Sample)
	}
	w := &JTLWriter{
		f:          f,
		name:       name,
		steps:      make([]stepFields, len(steps)),
		buf:        make([]byte, 0, jtlFlushSize+4096),
		rowEnds:    make([]int, 0, 4096),
		all:        s == 1,
		errorsOnly: opts.ErrorsOnly,
		rng:        opts.Seed,
	}
	if !w.all {
		w.threshold = uint64(math.Ldexp(s, 64))
	}
	for i, st := range steps {
		w.steps[i].label = appendField(nil, st.Label)
		prefix := st.Scenario + " 1-"
		if needsQuote(prefix) {
			w.steps[i].threadPrefix = appendQuoted(nil, prefix)
			// appendQuoted closed the field; reopen it for the VU number.
			w.steps[i].threadPrefix = w.steps[i].threadPrefix[:len(w.steps[i].threadPrefix)-1]
			w.steps[i].threadQuoted = true
		} else {
			w.steps[i].threadPrefix = []byte(prefix)
		}
	}
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	w.off = off
	w.buf = append(w.buf, JTLHeader...)
	if err := w.flush(); err != nil {
		return nil, err
	}
	return w, nil
}

// Write formats s as one row into the buffer, or skips it when sampling
// drops it, and flushes when the buffer passes 256 KiB. After a write error
// it returns the sticky error without writing.
func (w *JTLWriter) Write(s *Sample) error {
	if w.err != nil {
		return w.err
	}
	if s.Step < 0 || int(s.Step) >= len(w.steps) {
		return fmt.Errorf("%s: sample step %d outside the label table (%d steps)", w.name, s.Step, len(w.steps))
	}
	if s.Success && !w.keepSuccess() {
		w.dropped++
		return nil
	}
	w.buf = w.appendRow(w.buf, s)
	w.rowEnds = append(w.rowEnds, len(w.buf))
	w.rows++
	if len(w.buf) >= jtlFlushSize {
		return w.flush()
	}
	return nil
}

// keepSuccess decides whether a successful row is kept.
func (w *JTLWriter) keepSuccess() bool {
	if w.errorsOnly {
		return false
	}
	if w.all {
		return true
	}
	// splitmix64
	w.rng += 0x9e3779b97f4a7c15
	z := w.rng
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return z < w.threshold
}

// Flush writes the buffered rows to the file.
func (w *JTLWriter) Flush() error {
	if w.err != nil {
		return w.err
	}
	return w.flush()
}

// Rows returns the number of rows kept so far (buffered or written). After
// a write error it is the number of complete rows in the file.
func (w *JTLWriter) Rows() int64 { return w.rows }

// Dropped returns the number of successful rows skipped by sampling or by
// ErrorsOnly.
func (w *JTLWriter) Dropped() int64 { return w.dropped }

// Err returns the sticky write error, or nil.
func (w *JTLWriter) Err() error { return w.err }

// flush writes buf; on failure it cuts the file back to the last complete
// row (or the header boundary) and records the sticky error.
func (w *JTLWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	n, err := w.f.Write(w.buf)
	if err == nil && n < len(w.buf) {
		err = io.ErrShortWrite
	}
	if err == nil {
		w.off += int64(n)
		w.onDisk += int64(len(w.rowEnds))
		w.buf = w.buf[:0]
		w.rowEnds = w.rowEnds[:0]
		return nil
	}
	n = max(0, min(n, len(w.buf)))
	// Rows whose end is within the n written bytes are complete.
	complete := sort.Search(len(w.rowEnds), func(i int) bool { return w.rowEnds[i] > n })
	keep := 0
	if complete > 0 {
		keep = w.rowEnds[complete-1]
	}
	w.onDisk += int64(complete)
	w.rows = w.onDisk
	end := w.off + int64(keep)
	if n > keep {
		if terr := w.f.Truncate(end); terr != nil {
			err = errors.Join(err, fmt.Errorf("truncating to %d bytes: %w", end, terr))
		} else if _, serr := w.f.Seek(end, io.SeekStart); serr != nil {
			err = errors.Join(err, fmt.Errorf("seeking to %d: %w", end, serr))
		}
	}
	w.off = end
	w.buf = w.buf[:0]
	w.rowEnds = w.rowEnds[:0]
	w.err = fmt.Errorf("%s: write failed after %d complete rows: %w", w.name, w.onDisk, err)
	return w.err
}

// appendRow appends the 17 JTL columns of s and a newline to b. s.Step
// must index w.steps.
func (w *JTLWriter) appendRow(b []byte, s *Sample) []byte {
	st := &w.steps[s.Step]
	b = strconv.AppendInt(b, s.Start/1e6, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, nsToMs(s.Elapsed), 10)
	b = append(b, ',')
	b = append(b, st.label...)
	b = append(b, ',')
	// responseCode
	switch {
	case s.Transaction:
		if s.FailedChildren == 0 {
			b = append(b, "200"...)
		}
	case s.Code != "":
		b = appendField(b, s.Code)
	case s.Status != 0:
		b = strconv.AppendInt(b, int64(s.Status), 10)
	} // no code and no status: nothing was sent (e.g. an undefined variable)
	b = append(b, ',')
	// responseMessage
	if s.Transaction {
		b = append(b, `"Number of samples in transaction : `...)
		b = strconv.AppendInt(b, int64(s.Children), 10)
		b = append(b, `, number of failing samples : `...)
		b = strconv.AppendInt(b, int64(s.FailedChildren), 10)
		b = append(b, '"')
	} else {
		b = appendField(b, s.Message)
	}
	b = append(b, ',')
	// threadName
	b = append(b, st.threadPrefix...)
	b = strconv.AppendInt(b, int64(s.VU), 10)
	if st.threadQuoted {
		b = append(b, '"')
	}
	b = append(b, ',')
	// dataType
	switch {
	case s.Transaction:
	case s.Binary:
		b = append(b, "bin"...)
	default:
		b = append(b, "text"...)
	}
	b = append(b, ',')
	b = strconv.AppendBool(b, s.Success)
	b = append(b, ',')
	b = appendField(b, s.FailureMessage)
	b = append(b, ',')
	b = strconv.AppendInt(b, s.Received, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, s.Sent, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(s.GrpThreads), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(s.AllThreads), 10)
	b = append(b, ',')
	if s.Transaction {
		b = append(b, "null"...)
	} else {
		b = appendField(b, s.URL)
	}
	b = append(b, ',')
	b = strconv.AppendInt(b, nsToMs(s.Latency), 10)
	b = append(b, ",0,"...) // IdleTime
	b = strconv.AppendInt(b, nsToMs(s.Connect), 10)
	return append(b, '\n')
}

// nsToMs converts nanoseconds to milliseconds, rounding half away from zero.
func nsToMs(ns int64) int64 {
	if ns < 0 {
		return -((-ns + 500_000) / 1_000_000)
	}
	return (ns + 500_000) / 1_000_000
}

// needsQuote reports whether a JMeter CSV string field must be quoted: it
// contains the delimiter, a quote, CR or LF.
func needsQuote(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	return false
}

// appendField appends s as a JMeter CSV string field.
func appendField(b []byte, s string) []byte {
	if !needsQuote(s) {
		return append(b, s...)
	}
	return appendQuoted(b, s)
}

// appendQuoted appends s wrapped in double quotes with embedded quotes
// doubled.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	for {
		i := indexQuote(s)
		if i < 0 {
			break
		}
		b = append(b, s[:i+1]...)
		b = append(b, '"')
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, '"')
}

func indexQuote(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			return i
		}
	}
	return -1
}
