package jmximport

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/loadgen/loadgen/compiler/jmx"
)

// feeder is a CSV Data Set imported as a plan feeder.
type feeder struct {
	name string
	elem *jmx.Element
	anc  []*jmx.Element
	// source is the file name the .jmx gives.
	source string
	// file is the plan's file, relative to Options.PlanDir.
	file    string
	columns []string
	share   string
	// data is the converted CSV; nil when the source could not be read.
	data    []byte
	missing bool
}

// feederCol is the feeder column a JMeter variable reads.
type feederCol struct {
	feeder *feeder
	column string
}

var windowsAbsRe = regexp.MustCompile(`^([A-Za-z]:[\\/]|\\\\)`)

// loadFeeder imports a CSV Data Set: it names the feeder and its columns,
// maps the JMeter variables to them and converts the file to a plan CSV
// (comma-separated UTF-8 with a header row).
func (im *importer) loadFeeder(anc []*jmx.Element, e *jmx.Element) {
	f := &feeder{elem: e, anc: anc, source: e.String("filename")}
	delim := ','
	switch d := e.String("delimiter"); {
	case d == "" || d == ",":
	case d == `\t` || d == "\t":
		delim = '\t'
	default:
		r, size := utf8.DecodeRuneInString(d)
		if size != len(d) {
			im.warn(anc, e, "delimiter %q: JMeter uses its first character %q", d, r)
		}
		delim = r
	}
	names := strings.TrimSpace(e.String("variableNames"))
	ignoreFirst, _ := e.Bool("ignoreFirstLine")
	quoted, _ := e.Bool("quotedData")

	var rows [][]string
	fileName, static := im.staticValue(anc, e, f.source, "CSV file name")
	var resolved string
	switch {
	case !static:
		im.warn(anc, e, "CSV file name %q depends on run-time values; cannot read it", f.source)
		f.missing = true
	case strings.TrimSpace(fileName) == "":
		im.warn(anc, e, "CSV Data Set has no file name")
		f.missing = true
	default:
		resolved = fileName
		if !filepath.IsAbs(resolved) && !windowsAbsRe.MatchString(resolved) {
			resolved = filepath.Join(im.opts.Dir, filepath.FromSlash(resolved))
		}
		data, err := os.ReadFile(resolved)
		if err != nil {
			f.missing = true
			break
		}
		text, ok := im.decodeCSV(anc, e, data)
		if !ok {
			f.missing = true
			break
		}
		rows, err = splitCSV(text, delim, quoted)
		if err != nil {
			im.warn(anc, e, "CSV file %q: %v", f.source, err)
			f.missing = true
		}
	}

	var jnames []string
	switch {
	case names != "":
		for _, n := range strings.Split(names, ",") {
			jnames = append(jnames, strings.TrimSpace(n))
		}
		if ignoreFirst && len(rows) > 0 {
			rows = rows[1:]
		}
	case len(rows) > 0:
		for _, n := range rows[0] {
			jnames = append(jnames, strings.TrimSpace(n))
		}
		rows = rows[1:]
	}

	// Feeder name: the exporter's "feeder.column" variables name it, else
	// the file's base name.
	base := path.Base(strings.ReplaceAll(fileName, `\`, "/"))
	base = strings.TrimSuffix(base, path.Ext(base))
	prefix, cols := commonPrefix(jnames)
	if prefix != "" && isIdent(prefix) && !im.taken[prefix] {
		f.name = im.claim(prefix)
	} else {
		cols = jnames
		if base == "" || base == "." || base == "/" {
			base = "data"
		}
		f.name = im.claim(sanitizeIdent(base))
	}
	seen := map[string]bool{}
	for i, c := range cols {
		if c == "" || strings.ContainsAny(c, "}") || seen[c] {
			c = fmt.Sprintf("col%d", i+1)
			im.warn(anc, e, "CSV column %d (%q) cannot be a plan column name; named %q", i+1, jnames[i], c)
		}
		seen[c] = true
		f.columns = append(f.columns, c)
	}
	for i, jn := range jnames {
		if jn == "" {
			continue
		}
		if old, dup := im.csvVars[jn]; dup {
			im.warn(anc, e, "variable %q is also set by CSV Data Set %q; references read that one", jn, old.feeder.elem.TestName)
			continue
		}
		im.csvVars[jn] = feederCol{feeder: f, column: f.columns[i]}
	}

	f.share = "all"
	switch mode := e.String("shareMode"); mode {
	case "", "shareMode.all", "All threads":
	case "shareMode.thread", "Current thread":
		f.share = "vu"
	case "shareMode.group", "Current thread group":
		im.warn(anc, e, "sharing mode %q: the plan shares the rows among all VUs of all scenarios (share: all)", mode)
	default:
		im.warn(anc, e, "sharing mode %q (shared by name): imported as share: all", mode)
	}
	if recycle, ok := e.Bool("recycle"); ok && !recycle {
		stop, _ := e.Bool("stopThread")
		what := "JMeter hands out <EOF> at the end of the file"
		if stop {
			what = "JMeter stops the thread at the end of the file"
		}
		im.warn(anc, e, "recycle is off (%s); the plan's feeder wraps around to the first row", what)
	}
	if len(anc) > 2 {
		im.warn(anc, e, "CSV Data Set inside %q: JMeter reads a row per iteration of that controller, the plan per iteration of the scenario", anc[len(anc)-1].TestName)
	}
	if enc := strings.TrimSpace(e.String("fileEncoding")); enc != "" && !isUTF8Name(enc) && !isLatin1Name(enc) {
		im.warn(anc, e, "file encoding %q: read as UTF-8", enc)
	}

	switch {
	case f.missing:
	case len(f.columns) == 0:
		im.warn(anc, e, "CSV file %q has no columns", f.source)
		f.missing = true
	case len(rows) == 0:
		im.warn(anc, e, "CSV file %q has no data rows; a plan feeder needs at least one", f.source)
		f.missing = true
	}
	if f.missing {
		f.file = im.dataFileName(f.name, nil)
		im.warn(anc, e, "CSV file %q not found or not readable (resolved against the .jmx directory); the plan expects it as %s, with the header row %s", f.source, f.file, strings.Join(f.columns, ","))
	} else {
		f.data = encodeCSV(f.columns, rows, func() {
			im.warn(anc, e, "CSV file %q: rows whose field count differs from the %d columns were padded or cut", f.source, len(f.columns))
		})
		f.file = im.dataFileName(f.name, f.data)
		im.res.Files = append(im.res.Files, File{Name: f.file, Data: f.data, Source: f.source})
		im.info(anc, e, "CSV file %q converted to %s (comma-separated UTF-8, header row %s), to be written next to the plan", f.source, f.file, strings.Join(f.columns, ","))
	}
	im.feeders = append(im.feeders, f)
}

// commonPrefix returns P and the suffixes when every name is "P.suffix"
// with the same P (the exporter's CSV variables).
func commonPrefix(names []string) (string, []string) {
	if len(names) == 0 {
		return "", nil
	}
	var prefix string
	var out []string
	for _, n := range names {
		p, rest, ok := strings.Cut(n, ".")
		if !ok || rest == "" || (prefix != "" && p != prefix) {
			return "", nil
		}
		prefix = p
		out = append(out, rest)
	}
	return prefix, out
}

// dataFileName picks the plan's name for a feeder's CSV: <feeder>.csv in
// Options.PlanDir, or a numbered variant when a different file is there
// already. A file with the same content (an earlier import) is reused; for
// a missing CSV (data nil), a file already there is the one to read.
func (im *importer) dataFileName(feeder string, data []byte) string {
	for n := 1; ; n++ {
		name := feeder + ".csv"
		if n > 1 {
			name = fmt.Sprintf("%s_%d.csv", feeder, n)
		}
		used := false
		for _, f := range im.res.Files {
			used = used || f.Name == name
		}
		if used && n < 1000 {
			continue
		}
		existing, err := os.ReadFile(filepath.Join(im.opts.PlanDir, name))
		if err != nil || data == nil || bytes.Equal(existing, data) || n >= 1000 {
			return name
		}
	}
}

func isUTF8Name(enc string) bool {
	switch strings.ToUpper(strings.ReplaceAll(enc, "-", "")) {
	case "UTF8":
		return true
	}
	return false
}

func isLatin1Name(enc string) bool {
	switch strings.ToUpper(strings.ReplaceAll(strings.ReplaceAll(enc, "-", ""), "_", "")) {
	case "ISO88591", "LATIN1", "WINDOWS1252", "CP1252":
		return true
	}
	return false
}

// decodeCSV returns the file's text: UTF-8 (a BOM dropped), or Latin-1
// when the file is not UTF-8 and the data set says ISO-8859-1/Cp1252.
func (im *importer) decodeCSV(anc []*jmx.Element, e *jmx.Element, data []byte) (string, bool) {
	data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	if utf8.Valid(data) {
		return string(data), true
	}
	if isLatin1Name(e.String("fileEncoding")) {
		var sb strings.Builder
		for _, b := range data {
			sb.WriteRune(rune(b))
		}
		return sb.String(), true
	}
	im.warn(anc, e, "CSV file %q is not UTF-8; cannot convert it", e.String("filename"))
	return "", false
}

// splitCSV splits CSV text as JMeter's CSV Data Set reads it: quoted
// fields when quoted is set, else plain delimiter-separated fields.
// Empty lines are skipped.
func splitCSV(text string, delim rune, quoted bool) ([][]string, error) {
	var rows [][]string
	if quoted {
		r := csv.NewReader(strings.NewReader(text))
		r.Comma = delim
		r.LazyQuotes = true
		r.FieldsPerRecord = -1
		all, err := r.ReadAll()
		if err != nil {
			return nil, err
		}
		for _, rec := range all {
			if len(rec) == 1 && rec[0] == "" {
				continue
			}
			rows = append(rows, rec)
		}
		return rows, nil
	}
	if delim == '\r' || delim == '\n' {
		return nil, fmt.Errorf("delimiter %q cannot split fields", delim)
	}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		rows = append(rows, strings.Split(line, string(delim)))
	}
	return rows, nil
}

// encodeCSV writes a header and rows as comma-separated CSV, padding or
// cutting rows to the header's width (reported through uneven).
func encodeCSV(header []string, rows [][]string, uneven func()) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(header)
	reported := false
	for _, r := range rows {
		if len(r) != len(header) {
			if !reported {
				uneven()
				reported = true
			}
			fixed := make([]string, len(header))
			copy(fixed, r)
			r = fixed
		}
		_ = w.Write(r)
	}
	w.Flush()
	return buf.Bytes()
}
