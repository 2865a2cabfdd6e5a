package results

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/klauspost/compress/gzip"
)

// Row is one data row of a JTL file. [JTLReader.Next] fills a caller-owned
// Row, so one Row can be reused for a whole file. The strings it holds stay
// valid after later calls to Next: the reader never overwrites bytes it has
// handed out.
type Row struct {
	// Line is the 1-based line number where the row (record) starts; the
	// header is line 1. A record with a quoted multi-line field spans
	// several lines.
	Line int64
	// TimeStamp is the sample start in Unix milliseconds.
	TimeStamp int64
	// Elapsed, Latency, Connect and IdleTime are in ms.
	Elapsed, Latency, Connect, IdleTime int64

	// Label, ResponseCode, ResponseMessage, ThreadName, DataType,
	// FailureMessage and URL are the string columns, unquoted and
	// unescaped; "" when the column is missing.
	Label, ResponseCode, ResponseMessage, ThreadName, DataType, FailureMessage, URL string

	// Success is the success column ("true" or "false", any case).
	Success bool
	// Bytes and SentBytes are the bytes received and sent.
	Bytes, SentBytes int64
	// GrpThreads and AllThreads are the active threads in the sample's
	// group and in the whole test.
	GrpThreads, AllThreads int64

	// Transaction marks a Transaction Controller row: its responseMessage
	// starts with "Number of samples in transaction" (JMeter's
	// Sample.isController).
	Transaction bool
	// SubResult marks a sub-result row (a redirect or embedded resource)
	// that JMeter writes right after its parent, labelled
	// "<parent label>-<n>" (nested: "<parent label>-<n>-<m>"), on the same
	// thread.
	SubResult bool
}

// JTL column ids, in JMeter's canonical order (CSVSaveService).
const (
	jrTimeStamp = iota
	jrElapsed
	jrLabel
	jrResponseCode
	jrResponseMessage
	jrThreadName
	jrDataType
	jrSuccess
	jrFailureMessage
	jrBytes
	jrSentBytes
	jrGrpThreads
	jrAllThreads
	jrURL
	jrFilename
	jrLatency
	jrEncoding
	jrSampleCount
	jrErrorCount
	jrHostname
	jrIdleTime
	jrConnect
	jrNumColumns

	// jrIgnored marks a column the reader does not use (sample_variables,
	// duplicates).
	jrIgnored = -1
)

// jrColumnNames are the JMeter column names by column id.
var jrColumnNames = [jrNumColumns]string{
	"timeStamp", "elapsed", "label", "responseCode", "responseMessage",
	"threadName", "dataType", "success", "failureMessage", "bytes",
	"sentBytes", "grpThreads", "allThreads", "URL", "Filename", "Latency",
	"Encoding", "SampleCount", "ErrorCount", "Hostname", "IdleTime", "Connect",
}

// jrMandatory are the columns a JTL must have to be analysed.
var jrMandatory = []int{jrTimeStamp, jrElapsed, jrLabel, jrSuccess}

// jrTransactionPrefix starts the responseMessage of a Transaction
// Controller row.
const jrTransactionPrefix = "Number of samples in transaction"

// Reader limits. They bound the memory a reader uses whatever the input.
const (
	// jrBufSize is the read buffer size.
	jrBufSize = 1 << 20
	// jrMaxLine is the longest physical line read in full; longer lines
	// are cut and their row is skipped.
	jrMaxLine = 1 << 20
	// jrMaxRecord is the longest record (quoted fields spanning lines). A
	// longer one is taken for an unterminated quote: it is skipped and the
	// lines after its first line are read again as rows.
	jrMaxRecord = 4 << 20
	// jrArenaBlock is the size of the blocks row strings are copied into.
	jrArenaBlock = 64 << 10
	// jrMaxExamples is the number of skipped rows kept as examples.
	jrMaxExamples = 10
)

// JTLReader reads a JMeter JTL CSV file row by row in constant memory.
//
// It accepts JMeter's CSV dialect (CSVSaveService): a header line naming
// the columns in any order (timeStamp, elapsed, label and success are
// required; missing optional columns read as 0 or ""; unknown columns such
// as sample_variables are ignored), the delimiter ',' (or tab, ';' or '|',
// detected from the header), LF, CRLF, fields quoted with '"' that may hold
// the delimiter, doubled quotes and line breaks, timeStamp in epoch ms or
// "yyyy/MM/dd HH:mm:ss.SSS", and gzip-compressed input.
//
// Rows that cannot be read — a wrong number of columns, an unparsable
// number, a quote inside an unquoted field, an unterminated quoted field, a
// truncated last line — are skipped and counted ([JTLReader.Skipped],
// [JTLReader.SkippedExamples]); reading goes on with the next line.
//
// A JTLReader is not safe for concurrent use.
type JTLReader struct {
	// Location is the time zone of "yyyy/MM/dd HH:mm:ss.SSS" timestamps
	// (JMeter writes them in its JVM's zone); nil means time.Local. Set it
	// before the first call to Next.
	Location *time.Location

	name   string
	br     *bufio.Reader
	delim  byte
	cols   []int8 // column id of each field position, jrIgnored if unused
	header []string
	has    [jrNumColumns]bool

	line    int64  // physical lines consumed so far
	pending []byte // lines pushed back by a resync, read before br
	lineBuf []byte // assembles lines longer than the read buffer
	fields  [][]byte
	rec     []byte // unescaped fields of a record with quotes
	bounds  []int  // start, end offsets in rec of each field
	raw     []byte // raw lines after a quoted record's first one
	arena   []byte // current string block

	labels, codes, messages, threads, dataTypes jrInterner

	parentLabel  string // label of the last row that was not a sub-result
	parentThread string
	hasParent    bool

	skipped  int64
	examples []Skip
	err      error // sticky: io.EOF or a read error
}

// jrInterner returns one shared string per distinct byte sequence, up to max
// distinct values; past that it copies into the reader's arena.
type jrInterner struct {
	m    map[string]string
	max  int
	last string // the previous result: most columns repeat row after row
}

// NewJTLReader reads the header of a JTL and returns a reader positioned
// on the first data row. name names the input in errors and skip reasons
// (e.g. the file name). Gzip input is detected by its magic bytes and
// decompressed transparently; a leading UTF-8 byte order mark is ignored.
// An empty input, an input without a JTL header and a header that lacks a
// mandatory column are errors.
func NewJTLReader(r io.Reader, name string) (*JTLReader, error) {
	in, err := jrDecompress(r, name, jrBufSize)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(in, jrBufSize) // in itself unless gzip
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	jr := &JTLReader{
		name:      name,
		br:        br,
		labels:    jrInterner{m: map[string]string{}, max: 100_000},
		codes:     jrInterner{m: map[string]string{}, max: 1000},
		messages:  jrInterner{m: map[string]string{}, max: 1000},
		threads:   jrInterner{m: map[string]string{}, max: 10_000},
		dataTypes: jrInterner{m: map[string]string{}, max: 100},
	}
	var line []byte
	for {
		l, _, _, err := jr.readLine()
		l, _ = jrTrimCR(l)
		if err == io.EOF {
			return nil, fmt.Errorf("%s: empty file (no JTL header)", name)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(bytes.TrimSpace(l)) > 0 {
			line = l
			break
		}
	}
	if err := jr.parseHeader(string(line)); err != nil {
		return nil, err
	}
	return jr, nil
}

// jrDecompress returns a reader of r buffered with size bytes, or a gzip
// reader over that when r starts with the gzip magic bytes.
func jrDecompress(r io.Reader, name string, size int) (io.Reader, error) {
	br := bufio.NewReaderSize(r, size)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: gzip: %w", name, err)
		}
		return gz, nil
	}
	return br, nil
}

// parseHeader detects the delimiter and maps the header's columns.
func (r *JTLReader) parseHeader(line string) error {
	best, bestKnown := byte(','), -1
	var bestTokens []string
	for _, d := range []byte{',', '\t', ';', '|'} {
		tokens := strings.Split(line, string(d))
		known := 0
		for _, t := range tokens {
			if jrColumnID(jrUnquote(t)) >= 0 {
				known++
			}
		}
		if known > bestKnown {
			best, bestKnown, bestTokens = d, known, tokens
		}
	}
	expected := fmt.Sprintf("%s: no JTL header (expected %s,…; got %q)", r.name,
		strings.Join(jrColumnNames[:3], ","), jrCut(line, 60))
	if bestKnown <= 0 {
		return fmt.Errorf("%s", expected)
	}
	r.delim = best
	r.cols = make([]int8, len(bestTokens))
	r.header = make([]string, len(bestTokens))
	for i, t := range bestTokens {
		t = jrUnquote(t)
		r.header[i] = t
		id := jrColumnID(t)
		if id < 0 || r.has[id] {
			r.cols[i] = jrIgnored
			continue
		}
		r.cols[i] = int8(id)
		r.has[id] = true
	}
	var missing []string
	for _, id := range jrMandatory {
		if !r.has[id] {
			missing = append(missing, jrColumnNames[id])
		}
	}
	if len(missing) > 0 {
		if !r.has[jrTimeStamp] && !r.has[jrElapsed] && len(bestTokens) > 0 {
			// Most likely a data row: a JTL without a header.
			if _, ok := jrParseInt([]byte(jrUnquote(bestTokens[0]))); ok {
				return fmt.Errorf("%s", expected)
			}
		}
		return fmt.Errorf("%s: JTL header lacks the %s column(s) (header: %q)", r.name,
			strings.Join(missing, ", "), jrCut(line, 200))
	}
	return nil
}

// jrColumnID returns the id of a JMeter column name (case-insensitive), or
// -1.
func jrColumnID(name string) int {
	for i, n := range jrColumnNames {
		if strings.EqualFold(n, name) {
			return i
		}
	}
	return -1
}

// jrUnquote strips surrounding whitespace and one pair of double quotes.
func jrUnquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = strings.ReplaceAll(s[1:len(s)-1], `""`, `"`)
	}
	return s
}

// jrCut shortens s to at most n bytes for messages.
func jrCut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Header returns the column names of the JTL header, in file order.
func (r *JTLReader) Header() []string { return append([]string(nil), r.header...) }

// HasColumn reports whether the header has the named JMeter column (e.g.
// "sentBytes", "Connect"); missing columns read as 0 or "".
func (r *JTLReader) HasColumn(name string) bool {
	id := jrColumnID(name)
	return id >= 0 && r.has[id]
}

// Skipped returns the number of rows skipped so far.
func (r *JTLReader) Skipped() int64 { return r.skipped }

// SkippedExamples returns the first ten skipped rows with their line
// numbers and the reasons.
func (r *JTLReader) SkippedExamples() []Skip { return append([]Skip(nil), r.examples...) }

// Lines returns the number of physical lines read so far, header included.
func (r *JTLReader) Lines() int64 { return r.line }

// Next reads the next valid data row into s, skipping (and counting) rows
// that cannot be read and blank lines. It returns io.EOF after the last
// row, and a wrapped error when the input cannot be read (e.g. corrupt
// gzip data); after either, later calls return the same error.
func (r *JTLReader) Next(s *Row) error {
	for r.err == nil {
		line, nl, long, err := r.readLine()
		if err != nil {
			if err != io.EOF {
				err = fmt.Errorf("%s: line %d: %w", r.name, r.line+1, err)
			}
			r.err = err
			break
		}
		line, cr := jrTrimCR(line)
		start := r.line
		if long {
			r.skip(start, fmt.Sprintf("line longer than %d bytes", jrMaxLine))
			continue
		}
		if len(line) == 0 {
			continue
		}
		reason := r.split(line, nl, cr, start)
		if reason == "" {
			reason = r.fill(s, start, nl)
		}
		if reason != "" {
			r.skip(start, reason)
			continue
		}
		return nil
	}
	return r.err
}

// skip counts a skipped row and keeps the first examples.
func (r *JTLReader) skip(line int64, reason string) {
	r.skipped++
	if len(r.examples) < jrMaxExamples {
		r.examples = append(r.examples, Skip{Line: line, Reason: reason})
	}
}

// readLine returns the next physical line without its "\n" (a "\r"
// before it stays: see jrTrimCR), whether it ended with "\n", and whether
// it was longer than jrMaxLine (it is then cut). The line is valid until
// the next call.
func (r *JTLReader) readLine() (line []byte, nl, long bool, err error) {
	if len(r.pending) > 0 {
		if i := bytes.IndexByte(r.pending, '\n'); i >= 0 {
			line, r.pending = r.pending[:i+1], r.pending[i+1:]
		} else {
			line, r.pending = r.pending, nil
		}
	} else {
		b, e := r.br.ReadSlice('\n')
		if e == bufio.ErrBufferFull {
			r.lineBuf = append(r.lineBuf[:0], b...)
			for e == bufio.ErrBufferFull {
				b, e = r.br.ReadSlice('\n')
				if len(r.lineBuf) <= jrMaxLine {
					r.lineBuf = append(r.lineBuf, b...)
				} else {
					long = true
				}
			}
			b = r.lineBuf
		}
		if e != nil && e != io.EOF {
			return nil, false, false, e
		}
		if len(b) == 0 {
			return nil, false, false, io.EOF
		}
		line = b
	}
	r.line++
	if n := len(line); n > 0 && line[n-1] == '\n' {
		nl = true
		line = line[:n-1]
	}
	if len(line) > jrMaxLine {
		line, long = line[:jrMaxLine], true
	}
	return line, nl, long, nil
}

// split splits a record starting with line into r.fields. It returns a
// reason when the record is malformed.
func (r *JTLReader) split(line []byte, nl, cr bool, start int64) string {
	r.fields = r.fields[:0]
	// Fields are short, so instead of a search call per field, look at
	// eight bytes at a time for delimiters and quotes (SWAR).
	d := r.delim
	dPat, qPat := jrOnes*uint64(d), jrOnes*uint64('"')
	last, i := 0, 0
	for ; i+8 <= len(line); i += 8 {
		w := binary.LittleEndian.Uint64(line[i:])
		if jrZeroBytes(w^qPat) != 0 {
			return r.splitQuoted(line, nl, cr, start)
		}
		for m := jrZeroBytes(w ^ dPat); m != 0; m &= m - 1 {
			j := i + bits.TrailingZeros64(m)/8
			r.fields = append(r.fields, line[last:j])
			last = j + 1
		}
	}
	for ; i < len(line); i++ {
		switch line[i] {
		case d:
			r.fields = append(r.fields, line[last:i])
			last = i + 1
		case '"':
			return r.splitQuoted(line, nl, cr, start)
		}
	}
	r.fields = append(r.fields, line[last:])
	return ""
}

// jrOnes has 0x01 in every byte.
const jrOnes = 0x0101010101010101

// jrZeroBytes returns 0x80 in each byte of w that is zero and 0 elsewhere
// (exact: no false positives from borrows).
func jrZeroBytes(w uint64) uint64 {
	const low7 = 0x7f7f7f7f7f7f7f7f
	t := (w & low7) + low7
	return ^(t | w | low7)
}

// splitQuoted splits a record with quoted fields, reading further lines
// while a quoted field spans lines (its line breaks are kept as they are,
// "\n" or "\r\n"; cr says the current line ended with "\r\n"). Field
// contents are unescaped into r.rec.
func (r *JTLReader) splitQuoted(line []byte, nl, cr bool, start int64) string {
	r.rec = r.rec[:0]
	r.raw = r.raw[:0]
	r.bounds = r.bounds[:0]
	d := r.delim
	pos := 0
	for {
		fieldStart := len(r.rec)
		if pos < len(line) && line[pos] == '"' {
			pos++
			for {
				i := bytes.IndexByte(line[pos:], '"')
				if i < 0 {
					// The quoted field goes on on the next line.
					r.rec = append(r.rec, line[pos:]...)
					if !nl {
						return r.resync(start, "unterminated quoted field at the end of the input (truncated last line?)")
					}
					if cr {
						r.rec = append(r.rec, '\r')
					}
					r.rec = append(r.rec, '\n')
					next, nextNL, _, err := r.readLine()
					if err != nil {
						if err != io.EOF {
							r.err = fmt.Errorf("%s: line %d: %w", r.name, r.line+1, err)
						}
						return r.resync(start, "unterminated quoted field at the end of the input (truncated last line?)")
					}
					r.raw = append(r.raw, next...)
					if nextNL {
						r.raw = append(r.raw, '\n')
					}
					if len(r.rec)+len(next) > jrMaxRecord {
						return r.resync(start, fmt.Sprintf("quoted field longer than %d bytes (unterminated quote?)", jrMaxRecord))
					}
					line, cr = jrTrimCR(next)
					nl, pos = nextNL, 0
					continue
				}
				r.rec = append(r.rec, line[pos:pos+i]...)
				pos += i + 1
				if pos < len(line) && line[pos] == '"' {
					r.rec = append(r.rec, '"')
					pos++
					continue
				}
				break
			}
			r.bounds = append(r.bounds, fieldStart, len(r.rec))
			if pos == len(line) {
				break
			}
			if line[pos] != d {
				return fmt.Sprintf("%q after a closing quote", line[pos])
			}
			pos++
			continue
		}
		i := bytes.IndexByte(line[pos:], d)
		f := line[pos:]
		if i >= 0 {
			f = line[pos : pos+i]
		}
		if bytes.IndexByte(f, '"') >= 0 {
			return "quote inside an unquoted field"
		}
		r.rec = append(r.rec, f...)
		r.bounds = append(r.bounds, fieldStart, len(r.rec))
		if i < 0 {
			break
		}
		pos += i + 1
	}
	r.fields = r.fields[:0]
	for i := 0; i < len(r.bounds); i += 2 {
		r.fields = append(r.fields, r.rec[r.bounds[i]:r.bounds[i+1]])
	}
	return ""
}

// jrTrimCR removes a trailing "\r" and reports whether there was one.
func jrTrimCR(line []byte) ([]byte, bool) {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		return line[:n-1], true
	}
	return line, false
}

// resync gives up a record whose quoted field did not close: the lines read
// after its first line are pushed back to be read again as rows.
func (r *JTLReader) resync(start int64, reason string) string {
	if len(r.raw) > 0 {
		p := make([]byte, 0, len(r.raw)+len(r.pending))
		p = append(p, r.raw...)
		r.pending = append(p, r.pending...)
		r.line = start
		r.raw = r.raw[:0]
	}
	return reason
}

// fill parses r.fields into s. It returns a reason when a field is
// invalid.
func (r *JTLReader) fill(s *Row, start int64, nl bool) string {
	if len(r.fields) != len(r.cols) {
		if !nl && r.br.Buffered() == 0 && len(r.pending) == 0 {
			return fmt.Sprintf("truncated last line: %d columns, header has %d", len(r.fields), len(r.cols))
		}
		return fmt.Sprintf("%d columns, header has %d", len(r.fields), len(r.cols))
	}
	*s = Row{Line: start}
	var labelField, threadField []byte
	for i, f := range r.fields {
		var ok bool
		switch r.cols[i] {
		case jrTimeStamp:
			if s.TimeStamp, ok = jrParseInt(f); !ok {
				if s.TimeStamp, ok = jrParseDate(f, r.Location); !ok {
					return r.badField("timeStamp", f)
				}
			}
		case jrElapsed:
			if s.Elapsed, ok = jrParseInt(f); !ok {
				return r.badField("elapsed", f)
			}
		case jrLabel:
			labelField = f
			s.Label = r.labels.get(f, r)
		case jrSuccess:
			switch {
			case bytes.EqualFold(f, []byte("true")):
				s.Success = true
			case bytes.EqualFold(f, []byte("false")):
			default:
				return r.badField("success", f)
			}
		case jrResponseCode:
			s.ResponseCode = r.codes.get(f, r)
		case jrResponseMessage:
			s.ResponseMessage = r.messages.get(f, r)
			s.Transaction = bytes.HasPrefix(f, []byte(jrTransactionPrefix))
		case jrThreadName:
			threadField = f
			s.ThreadName = r.threads.get(f, r)
		case jrDataType:
			s.DataType = r.dataTypes.get(f, r)
		case jrFailureMessage:
			s.FailureMessage = r.str(f)
		case jrURL:
			s.URL = r.str(f)
		case jrBytes:
			if s.Bytes, ok = jrParseOptInt(f); !ok {
				return r.badField("bytes", f)
			}
		case jrSentBytes:
			if s.SentBytes, ok = jrParseOptInt(f); !ok {
				return r.badField("sentBytes", f)
			}
		case jrGrpThreads:
			if s.GrpThreads, ok = jrParseOptInt(f); !ok {
				return r.badField("grpThreads", f)
			}
		case jrAllThreads:
			if s.AllThreads, ok = jrParseOptInt(f); !ok {
				return r.badField("allThreads", f)
			}
		case jrLatency:
			if s.Latency, ok = jrParseOptInt(f); !ok {
				return r.badField("Latency", f)
			}
		case jrIdleTime:
			if s.IdleTime, ok = jrParseOptInt(f); !ok {
				return r.badField("IdleTime", f)
			}
		case jrConnect:
			if s.Connect, ok = jrParseOptInt(f); !ok {
				return r.badField("Connect", f)
			}
		}
	}
	// Sub-results follow their parent on the same thread, labelled
	// "<parent>-<n>".
	if r.hasParent && jrIsSubLabel(labelField, r.parentLabel) && string(threadField) == r.parentThread {
		s.SubResult = true
	} else {
		r.parentLabel, r.parentThread, r.hasParent = s.Label, s.ThreadName, true
	}
	return ""
}

// badField is the skip reason for an unparsable field.
func (r *JTLReader) badField(col string, f []byte) string {
	return fmt.Sprintf("%s %s is not valid", col, strconv.Quote(jrCut(string(f), 40)))
}

// jrIsSubLabel reports whether label is parent followed by one or more
// "-<digits>" groups.
func jrIsSubLabel(label []byte, parent string) bool {
	if len(label) < len(parent)+2 || string(label[:len(parent)]) != parent {
		return false
	}
	rest := label[len(parent):]
	for len(rest) > 0 {
		if rest[0] != '-' || len(rest) < 2 {
			return false
		}
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 1 {
			return false
		}
		rest = rest[i:]
	}
	return true
}

// get returns the interned string for b.
func (in *jrInterner) get(b []byte, r *JTLReader) string {
	if len(b) == 0 {
		return ""
	}
	if string(b) == in.last {
		return in.last
	}
	if s, ok := in.m[string(b)]; ok {
		in.last = s
		return s
	}
	if len(in.m) < in.max {
		s := string(b)
		in.m[s] = s
		in.last = s
		return s
	}
	return r.str(b)
}

// str returns b as a string without a per-row allocation: small strings are
// copied into a shared block that is never written again where it has been
// handed out, so the strings stay immutable.
func (r *JTLReader) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > jrArenaBlock/16 {
		return string(b)
	}
	if cap(r.arena)-len(r.arena) < len(b) {
		r.arena = make([]byte, 0, jrArenaBlock)
	}
	n := len(r.arena)
	r.arena = append(r.arena, b...)
	return unsafe.String(&r.arena[n], len(b))
}

// jrParseInt parses a decimal integer with an optional sign (at most 18
// digits, so it cannot overflow).
func jrParseInt(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		c -= '0'
		if c > 9 {
			return 0, false
		}
		v = v*10 + int64(c)
	}
	if neg {
		v = -v
	}
	return v, true
}

// jrParseOptInt is jrParseInt for optional numeric columns: empty is 0.
func jrParseOptInt(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	return jrParseInt(b)
}

// jrParseDate parses "yyyy/MM/dd HH:mm:ss.SSS" (or without ".SSS") in loc
// (nil: time.Local) to Unix ms.
func jrParseDate(b []byte, loc *time.Location) (int64, bool) {
	if len(b) != 19 && len(b) != 23 {
		return 0, false
	}
	if b[4] != '/' || b[7] != '/' || b[10] != ' ' || b[13] != ':' || b[16] != ':' || (len(b) == 23 && b[19] != '.') {
		return 0, false
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range b[i : i+n] {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, mo, d, h, mi, s, ms := num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2), 0
	if len(b) == 23 {
		ms = num(20, 3)
	}
	if y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60 || ms < 0 {
		return 0, false
	}
	if loc == nil {
		loc = time.Local
	}
	return time.Date(y, time.Month(mo), d, h, mi, s, ms*1e6, loc).UnixMilli(), true
}
