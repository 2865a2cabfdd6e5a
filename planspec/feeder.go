package planspec

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"
)

// FeederData is a feeder's CSV, loaded when the plan is validated. The
// first record of the file is the header; Rows are the records after it,
// each with exactly len(Columns) fields. The data is read-only and shared:
// the engine indexes Rows directly and never copies them per use.
type FeederData struct {
	// Name is the feeder's key under `data:`.
	Name string
	// Path is the file read: the feeder's `file` resolved against Plan.Dir.
	Path string
	// Columns are the header's column names (trimmed, unique, non-empty).
	Columns []string
	// Rows are the data records, in file order; there is at least one.
	Rows [][]string
	// Order is "sequential" or "random", Share "all" or "vu" (defaults
	// applied).
	Order, Share string
}

// Column returns the index of the named column in Columns and in every
// row, or -1 when the CSV has no such column.
func (f *FeederData) Column(name string) int {
	if f == nil {
		return -1
	}
	return slices.Index(f.Columns, name)
}

// IsFeeder reports whether name is a feeder declared under `data:`. It
// answers from the declaration, so it holds also when the file was not
// loaded (Options.SkipFileChecks). It has the signature ParseTemplate
// takes: ParseTemplate(s, p.IsFeeder).
func (p *Plan) IsFeeder(name string) bool {
	_, ok := p.Data[name]
	return ok
}

// utf8BOM is the byte order mark some editors write at the start of a
// UTF-8 file.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// readFeederCSV parses a feeder's CSV content. file names the CSV in
// messages, as the plan wrote it; errors read "file:line: problem".
func readFeederCSV(data []byte, file string) (columns []string, rows [][]string, err error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	if line, bad := invalidUTF8Line(data); bad {
		return nil, nil, fmt.Errorf("%s:%d: the line is not valid UTF-8 (save the file as UTF-8)", file, line)
	}
	r := csv.NewReader(bytes.NewReader(data))
	header, err := r.Read()
	switch {
	case errors.Is(err, io.EOF):
		return nil, nil, fmt.Errorf("%s: the file is empty; its first line must be a header naming the columns", file)
	case err != nil:
		return nil, nil, csvError(file, err)
	}
	headerLine, _ := r.FieldPos(0)
	seen := make(map[string]int, len(header))
	for i, name := range header {
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, nil, fmt.Errorf("%s:%d: column %d of the header has no name", file, headerLine, i+1)
		}
		if j, dup := seen[name]; dup {
			return nil, nil, fmt.Errorf("%s:%d: duplicate column %q in the header (columns %d and %d)", file, headerLine, name, j+1, i+1)
		}
		seen[name] = i
		header[i] = name
	}
	r.FieldsPerRecord = len(header)
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
			return nil, nil, fmt.Errorf("%s:%d: row has %s, the header has %d", file, pe.StartLine, plural(len(rec), "field"), len(header))
		}
		if err != nil {
			return nil, nil, csvError(file, err)
		}
		rows = append(rows, rec)
	}
	if len(rows) == 0 {
		return nil, nil, fmt.Errorf("%s: no data rows after the header (line %d); a feeder needs at least one", file, headerLine)
	}
	return header, rows, nil
}

// csvError formats an encoding/csv error as "file:line:col: problem".
func csvError(file string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s:%d:%d: %v", file, pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("%s: %v", file, err)
}

// invalidUTF8Line returns the 1-based line of the first byte of data that
// is not valid UTF-8.
func invalidUTF8Line(data []byte) (int, bool) {
	if utf8.Valid(data) {
		return 0, false
	}
	line := 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			return line, true
		}
		if r == '\n' {
			line++
		}
		data = data[size:]
	}
	return 0, false
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// loadFeeder reads and parses a feeder's file.
func (v *validator) loadFeeder(name string, f Feeder) {
	ptr := ptrKey("/data", name) + "/file"
	path := v.p.ResolvePath(f.File)
	if err := checkReadable(path); err != nil {
		v.r.atErr(ptr, err, "data feeder %q: cannot read %q: %v", name, f.File, unwrapPathError(err))
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		v.r.atErr(ptr, err, "data feeder %q: cannot read %q: %v", name, f.File, unwrapPathError(err))
		return
	}
	columns, rows, err := readFeederCSV(data, f.File)
	if err != nil {
		v.r.atErr(ptr, err, "%s%v", subject(pathKey("data", name)), err)
		return
	}
	fd := &FeederData{Name: name, Path: path, Columns: columns, Rows: rows, Order: f.Order, Share: f.Share}
	if fd.Order == "" {
		fd.Order = "sequential"
	}
	if fd.Share == "" {
		fd.Share = "all"
	}
	v.p.Feeders[name] = fd
}
