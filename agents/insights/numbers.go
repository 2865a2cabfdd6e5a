package insights

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/loadgen/loadgen/loadgen/results"
)

// Kinds of a figure found in text.
const (
	// KindNumber is a quantity: it must be supported by the analysis.
	KindNumber = "number"
	// KindDate is a calendar date (2024-05-01): it must appear in one of
	// the analysis's strings (its start and end times).
	KindDate = "date"
	// KindTime is a clock time (14:03 or 14:03:07): it must start a clock
	// time of the analysis's strings.
	KindTime = "time"
)

// Number is one figure found in text by [ExtractNumbers].
type Number struct {
	// Text is the figure as written, with its unit ("1,234.5 ms", "12%").
	Text string
	// Start and End are its byte offsets in the text: Text is
	// text[Start:End].
	Start, End int
	// Kind is KindNumber, KindDate or KindTime.
	Kind string
	// Value is the absolute value as written, before any unit conversion
	// ("12k" is 12 with unit "k"); signs are not read: "−12%" and "12%
	// below" say the same thing.
	Value float64
	// Decimals is the number of digits written after the decimal point:
	// the precision the check allows rounding to.
	Decimals int
	// Unit is the normalized unit: "" (none), "%", "ms", "s", "min", "h",
	// "rps", "kb/s", "mb/s", "b", "kb", "mb", "gb", "x" (a ratio) or "k"
	// (thousands).
	Unit string
}

// ExtractNumbers returns the figures of text that the number check looks
// at, in order. It skips what is not a quantity:
//
//   - digits glued to a preceding letter or underscore are part of a name:
//     p95, p99.9, TX0, response_time_p95, v2, IPv4;
//   - digits glued to following letters that are not a unit are part of a
//     word: 5xx, 2nd, 99th, 3rd, 1a2b;
//   - a percentile written p(95), and list markers written #3;
//   - dotted groups of three or more numbers: versions and addresses
//     (1.2.3, 10.0.0.1);
//   - a bare integer from 0 to 10 (no unit, no decimals): counting words
//     ("top 5", "3 of 4", list numbers).
//
// Commas group thousands only in the form 1,234,567.8; elsewhere a comma
// separates numbers. A unit may follow directly or after one space; see
// [Number.Unit]. Dates (YYYY-MM-DD) and clock times (HH:MM[:SS]) are
// returned with their own kinds.
func ExtractNumbers(text string) []Number {
	return extractNumbers(text, nil)
}

// extractNumbers is ExtractNumbers skipping figures that overlap a masked
// byte (quoted analysis strings: labels, error messages).
func extractNumbers(s string, masked []bool) []Number {
	var out []Number
	isMasked := func(i, j int) bool {
		if masked == nil {
			return false
		}
		for k := i; k < j && k < len(masked); k++ {
			if masked[k] {
				return true
			}
		}
		return false
	}
	i := 0
	for i < len(s) {
		if !isDigit(s[i]) {
			i++
			continue
		}
		n, next, ok := scanNumber(s, i)
		if next <= i {
			next = i + 1
		}
		if ok && !isMasked(n.Start, n.End) {
			out = append(out, n)
		}
		i = next
	}
	return out
}

// scanNumber reads the figure whose first digit is at s[i]. It returns the
// figure, where scanning resumes, and whether the figure counts.
func scanNumber(s string, i int) (Number, int, bool) {
	start := i
	// Dates and clock times first.
	if d := matchDigits(s, i, 4); d && at(s, i+4) == '-' && matchDigits(s, i+5, 2) && at(s, i+7) == '-' && matchDigits(s, i+8, 2) && !isDigit(at(s, i+10)) {
		end := i + 10
		return Number{Text: s[start:end], Start: start, End: end, Kind: KindDate}, end, !gluedBefore(s, start)
	}
	if end, ok := matchClock(s, i); ok {
		// ISO date-times glue the clock to the date: 2024-05-01T14:03:07.
		iso := start >= 2 && s[start-1] == 'T' && isDigit(s[start-2])
		return Number{Text: s[start:end], Start: start, End: end, Kind: KindTime}, end, iso || !gluedBefore(s, start)
	}

	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	intLen := j - i
	// Thousands groups: only when the first group has 1 to 3 digits.
	if intLen <= 3 {
		for at(s, j) == ',' && matchDigits(s, j+1, 3) && !isDigit(at(s, j+4)) {
			j += 4
		}
	}
	decimals := 0
	if at(s, j) == '.' && isDigit(at(s, j+1)) {
		k := j + 1
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		decimals = k - j - 1
		j = k
		// A second dot and more digits: a version or an address.
		if at(s, j) == '.' && isDigit(at(s, j+1)) {
			for j < len(s) && (isDigit(s[j]) || (s[j] == '.' && isDigit(at(s, j+1)))) {
				j++
			}
			return Number{}, j, false
		}
	}
	// A leading-dot decimal (".85"), not the end of a sentence before it.
	if start >= 1 && s[start-1] == '.' && (start == 1 || !isDigit(s[start-2])) && (start == 1 || s[start-2] == ' ' || s[start-2] == '(') && !strings.Contains(s[start:j], ".") {
		decimals = j - start
		start--
	}
	raw := s[start:j]
	if gluedBefore(s, start) {
		return Number{}, skipWord(s, j), false
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(raw, ",", ""), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return Number{}, skipWord(s, j), false
	}
	n := Number{Start: start, Kind: KindNumber, Value: v, Decimals: decimals}

	unit, end, glued := readUnit(s, j)
	switch {
	case glued && unit == "":
		// Digits glued to a word that is not a unit: 5xx, 2nd, 99th.
		return Number{}, skipWord(s, j), false
	case unit != "":
		n.Unit, n.End = unit, end
	default:
		n.End = j
	}
	n.Text = s[n.Start:n.End]
	if n.Unit == "" && n.Decimals == 0 && n.Value <= 10 {
		return n, n.End, false
	}
	return n, n.End, true
}

// gluedBefore reports whether the figure starting at s[i] belongs to a
// name (p95, TX0, v2), a percentile p(95) or a list marker #3.
func gluedBefore(s string, i int) bool {
	if i == 0 {
		return false
	}
	r, size := utf8.DecodeLastRuneInString(s[:i])
	switch {
	case r == '_' || unicode.IsLetter(r):
		return true
	case r == '#':
		return true
	case r == '(' && i-size >= 1 && (s[i-size-1] == 'p' || s[i-size-1] == 'P'):
		return true
	}
	return false
}

// units maps unit spellings (lower case) to the normalized unit. A unit is
// taken only as a whole word.
var units = map[string]string{
	"%": "%", "percent": "%", "pct": "%",
	"ms": "ms", "msec": "ms", "msecs": "ms", "millisecond": "ms", "milliseconds": "ms",
	"s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
	"min": "min", "mins": "min", "minute": "min", "minutes": "min",
	"h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
	"rps": "rps", "tps": "rps", "req/s": "rps", "reqs/s": "rps", "requests/s": "rps", "/s": "rps", "/sec": "rps", "/second": "rps",
	"kb/s": "kb/s", "kib/s": "kb/s", "mb/s": "mb/s", "mib/s": "mb/s",
	"b": "b", "byte": "b", "bytes": "b",
	"kb": "kb", "kib": "kb", "mb": "mb", "mib": "mb", "gb": "gb", "gib": "gb",
	"x": "x", "×": "x",
	"k": "k",
}

// multiWordUnits are units of several words, checked after one space.
var multiWordUnits = []struct{ text, unit string }{
	{"requests per second", "rps"},
	{"requests a second", "rps"},
	{"per second", "rps"},
	{"per cent", "%"},
}

// readUnit reads the unit after a number ending at s[j]: glued (no space)
// or after one space. glued reports letters glued to the number, unit or
// not; end is where the unit ends.
func readUnit(s string, j int) (unit string, end int, glued bool) {
	if at(s, j) == '%' {
		return "%", j + 1, false
	}
	if strings.HasPrefix(s[j:], "×") {
		return "x", j + len("×"), false
	}
	w := wordAt(s, j)
	if w != "" {
		if u, ok := units[strings.ToLower(w)]; ok && okBytes(u, w) && !isWordByte(at(s, j+len(w))) {
			return u, j + len(w), true
		}
		if unicode.IsLetter(firstRune(w)) {
			return "", j, true
		}
		return "", j, false
	}
	// One space, then a unit word.
	k := j
	switch {
	case at(s, k) == ' ':
		k++
	case strings.HasPrefix(s[k:], "\u00a0"):
		k += len("\u00a0")
	case strings.HasPrefix(s[k:], "\u202f"):
		k += len("\u202f")
	default:
		return "", j, false
	}
	if at(s, k) == '%' {
		return "%", k + 1, false
	}
	rest := strings.ToLower(s[k:min(len(s), k+32)])
	for _, m := range multiWordUnits {
		if strings.HasPrefix(rest, m.text) && !isWordByte(at(s, k+len(m.text))) {
			return m.unit, k + len(m.text), false
		}
	}
	w = wordAt(s, k)
	if u, ok := units[strings.ToLower(w)]; ok && u != "x" && u != "k" && okBytes(u, w) && !isWordByte(at(s, k+len(w))) {
		return u, k + len(w), false
	}
	return "", j, false
}

// okBytes reports whether w, read as unit u, may stand for bytes: "B" in
// upper case or the word "byte(s)", so that a lone "b" is not a unit.
func okBytes(u, w string) bool {
	return u != "b" || w == "B" || strings.EqualFold(w, "bytes") || strings.EqualFold(w, "byte")
}

// wordAt returns the word at s[i]: letters, optionally "/" and letters
// ("KB/s", "req/s"), or "/s" alone.
func wordAt(s string, i int) string {
	j := i
	for j < len(s) {
		r, size := utf8.DecodeRuneInString(s[j:])
		if !unicode.IsLetter(r) {
			break
		}
		j += size
	}
	if at(s, j) == '/' && j+1 < len(s) {
		k := j + 1
		for k < len(s) && isASCIILetter(s[k]) {
			k++
		}
		if k > j+1 && !isDigit(at(s, k)) {
			if u, ok := units[strings.ToLower(s[i:k])]; ok && u != "" {
				return s[i:k]
			}
		}
	}
	return s[i:j]
}

// skipWord returns the end of the word (letters, digits, dots, commas)
// continuing at s[j], so its other digits are not read again.
func skipWord(s string, j int) int {
	for j < len(s) {
		r, size := utf8.DecodeRuneInString(s[j:])
		if !(r == '_' || r == '.' && isDigit(at(s, j+1)) || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			break
		}
		j += size
	}
	return j
}

// matchClock matches HH:MM or HH:MM:SS (with optional fraction) at s[i].
func matchClock(s string, i int) (int, bool) {
	j := i
	for j < len(s) && isDigit(s[j]) && j-i < 3 {
		j++
	}
	if j-i < 1 || j-i > 2 || at(s, j) != ':' || !matchDigits(s, j+1, 2) || isDigit(at(s, j+3)) {
		return 0, false
	}
	j += 3
	if at(s, j) == ':' && matchDigits(s, j+1, 2) && !isDigit(at(s, j+3)) {
		j += 3
		if at(s, j) == '.' && isDigit(at(s, j+1)) {
			j++
			for j < len(s) && isDigit(s[j]) {
				j++
			}
		}
	}
	return j, true
}

func matchDigits(s string, i, n int) bool {
	if i+n > len(s) {
		return false
	}
	for k := i; k < i+n; k++ {
		if !isDigit(s[k]) {
			return false
		}
	}
	return true
}

func at(s string, i int) byte {
	if i < 0 || i >= len(s) {
		return 0
	}
	return s[i]
}

func isDigit(c byte) bool       { return c >= '0' && c <= '9' }
func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isWordByte(c byte) bool    { return isDigit(c) || isASCIILetter(c) || c == '_' }

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

// Dimensions of the analysis's numbers, from their JSON keys.
const (
	dimAny      = "any"      // unknown key: matches any unit at face value
	dimMs       = "ms"       // latencies
	dimSeconds  = "seconds"  // duration_s
	dimPercent  = "percent"  // error_pct, pct_of_*, NFR measured in %
	dimFraction = "fraction" // apdex, margin (shares of 1)
	dimRate     = "rate"     // throughput, requests per second
	dimKBps     = "kbps"     // received/sent KB per second
	dimBytes    = "bytes"    // bytes received/sent
	dimCount    = "count"    // samples, failures, rows, threads
	dimRatio    = "ratio"    // the tail ratio p99/p50
	dimPoints   = "points"   // grade score and points
)

// keyDims gives the dimension of a number by its JSON key.
var keyDims = map[string]string{
	"mean": dimMs, "min": dimMs, "max": dimMs, "median": dimMs,
	"p50": dimMs, "p90": dimMs, "p95": dimMs, "p99": dimMs,
	"corrected_p95": dimMs, "corrected_p99": dimMs,
	"mean_latency": dimMs, "mean_connect": dimMs,
	"apdex_satisfied_ms": dimMs, "apdex_tolerated_ms": dimMs, "ms": dimMs,
	"duration_s": dimSeconds,
	"error_pct":  dimPercent, "pct_of_errors": dimPercent, "pct_of_samples": dimPercent,
	"apdex": dimFraction, "margin": dimFraction,
	"throughput": dimRate, "peak_requests_per_s": dimRate,
	"received_kb_per_s": dimKBps, "sent_kb_per_s": dimKBps,
	"bytes_received": dimBytes, "bytes_sent": dimBytes,
	"samples": dimCount, "failures": dimCount, "count": dimCount, "errors": dimCount,
	"rows": dimCount, "skipped_rows": dimCount, "transaction_rows": dimCount,
	"sub_result_rows": dimCount, "threads": dimCount, "requests": dimCount, "line": dimCount,
	"score": dimPoints, "points": dimPoints, "score_max": dimPoints,
	// Derived facts (deriveFacts).
	"peak_threads": dimCount, "label_count": dimCount, "transaction_labels": dimCount,
	"error_types": dimCount, "nfrs_checked": dimCount, "nfrs_passed": dimCount,
	"nfrs_failed": dimCount, "nfrs_no_data": dimCount,
}

// conversion says that an analysis number of dimension dim, times factor,
// is what text writes in a unit.
type conversion struct {
	dim    string
	factor float64
}

// unitConversions lists, per text unit, the dimensions a figure in that
// unit may come from and the factor from the analysis's unit to the text's.
var unitConversions = map[string][]conversion{
	"%":    {{dimPercent, 1}, {dimFraction, 100}, {dimAny, 1}, {dimAny, 100}},
	"ms":   {{dimMs, 1}, {dimSeconds, 1000}, {dimAny, 1}},
	"s":    {{dimMs, 1e-3}, {dimSeconds, 1}, {dimAny, 1}},
	"min":  {{dimMs, 1.0 / 60000}, {dimSeconds, 1.0 / 60}, {dimAny, 1}},
	"h":    {{dimMs, 1.0 / 3600000}, {dimSeconds, 1.0 / 3600}, {dimAny, 1}},
	"rps":  {{dimRate, 1}, {dimAny, 1}},
	"kb/s": {{dimKBps, 1}, {dimAny, 1}},
	"mb/s": {{dimKBps, 1.0 / 1024}, {dimKBps, 1.0 / 1000}, {dimAny, 1}},
	"b":    {{dimBytes, 1}, {dimAny, 1}},
	"kb":   {{dimBytes, 1.0 / 1024}, {dimBytes, 1.0 / 1000}, {dimAny, 1}},
	"mb":   {{dimBytes, 1.0 / (1 << 20)}, {dimBytes, 1e-6}, {dimAny, 1}},
	"gb":   {{dimBytes, 1.0 / (1 << 30)}, {dimBytes, 1e-9}, {dimAny, 1}},
	"x":    {{dimRatio, 1}, {dimAny, 1}},
	"k":    {{dimCount, 1e-3}, {dimRate, 1e-3}, {dimMs, 1e-3}, {dimBytes, 1e-3}, {dimAny, 1e-3}},
	"": {{dimAny, 1}, {dimMs, 1}, {dimSeconds, 1}, {dimPercent, 1}, {dimFraction, 1},
		{dimRate, 1}, {dimKBps, 1}, {dimBytes, 1}, {dimCount, 1}, {dimRatio, 1}, {dimPoints, 1},
		{dimPercent, 1e-2}},
}

// unitDims maps the unit of a figure inside an analysis string ("500ms" in
// an NFR target) to the dimension it adds its value to.
var unitDims = map[string]string{
	"ms": dimMs, "s": dimSeconds, "%": dimPercent, "rps": dimRate,
	"kb/s": dimKBps, "b": dimBytes, "x": dimRatio,
}

// maxMaskStrings caps how many analysis strings are masked in text.
const maxMaskStrings = 2000

// minMaskLen is the shortest analysis string that is masked: shorter ones
// ("1", "ok") would hide ordinary words and figures.
const minMaskLen = 4

// Checker holds the figures of one analysis that text about it may quote,
// and checks text against them. Build it with [NewChecker]; it is safe for
// concurrent use.
//
// The rules (also in this package's README):
//
//   - Supported figures are the numbers of results_analysis.json except the
//     per-second series and the percentile distribution (per-second noise
//     would make almost any figure "supported"), plus the derived facts
//     the model is shown: the series' peak threads and peak requests per
//     second, and the counts of labels, transaction labels, error types and
//     NFRs (checked, passed, failed, without data).
//   - A figure matches a supported number when the number, converted to the
//     figure's unit, rounds to the figure at the precision written ("123
//     ms" and "123.5 ms" both match 123.456; "0.12 s" matches 123.456 ms;
//     "1.23%" matches 1.23 in error_pct and 0.0123 in a share of 1;
//     "85.3%" matches APDEX 0.853). Units must fit the number's key:
//     latencies take ms, s, min; duration_s takes s, min, h, ms; percents
//     take % or a bare fraction; shares of 1 (APDEX, NFR margins) take %
//     or a bare number; throughput takes rps; bytes take B, KB, MB, GB;
//     numbers of unknown keys take any unit at face value; a bare figure
//     may match any number. Signs are ignored.
//   - A figure that appears in one of the analysis's strings (an error
//     type "500/Internal Server Error", an NFR target "300ms", the grade's
//     reasons) is supported as written: with the same unit, or bare ("HTTP
//     500" and "the 500s" but not "500 ms" from the error type). A figure
//     with a unit in a string also joins that unit's numbers ("300ms"
//     supports "0.3 s").
//   - Labels, error types and NFR names of the analysis quoted in the text
//     are masked: their digits are data, not claims.
//   - Not checked: see [ExtractNumbers] (names like p95, ordinals, bare
//     integers 0–10, versions). Dates must appear in the analysis's
//     strings; clock times must start one of its clock times.
//
// Nothing else is derived: no differences, sums, ratios or multiples.
type Checker struct {
	dims     map[string][]float64 // dimension → sorted absolute values
	verbatim map[string]bool      // figures of the analysis's strings (verbatimKey)
	dates    map[string]bool
	times    []string
	masks    []string // analysis strings masked in text, longest first
}

// NewChecker collects the supported figures of an analysis (nil: none).
func NewChecker(a *results.Analysis) *Checker {
	c := &Checker{dims: map[string][]float64{}, verbatim: map[string]bool{}, dates: map[string]bool{}}
	if a == nil {
		return c
	}
	// The per-second series and the distribution are left out (see above).
	trimmed := *a
	trimmed.Series, trimmed.Distribution = nil, nil
	var doc any
	if b, err := json.Marshal(&trimmed); err == nil {
		_ = json.Unmarshal(b, &doc)
	}
	c.walk(doc, "", nil)
	if b, err := json.Marshal(deriveFacts(a)); err == nil {
		var d any
		_ = json.Unmarshal(b, &d)
		c.walk(d, "", nil)
	}
	for k, vs := range c.dims {
		sort.Float64s(vs)
		c.dims[k] = vs
	}
	sort.Strings(c.times)

	seen := map[string]bool{}
	addMask := func(s string) {
		if len([]rune(s)) < minMaskLen || seen[s] || len(c.masks) >= maxMaskStrings {
			return
		}
		if _, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
			return
		}
		seen[s] = true
		c.masks = append(c.masks, s)
	}
	for _, l := range a.Labels {
		addMask(l.Label)
	}
	for _, e := range a.Errors {
		addMask(e.Type)
	}
	for _, se := range a.TopErrors {
		addMask(se.Label)
		for _, e := range se.Top {
			addMask(e.Type)
		}
	}
	for _, n := range a.NFRs {
		addMask(n.Name)
		addMask(n.Label)
		addMask(n.Target)
	}
	sort.SliceStable(c.masks, func(i, j int) bool { return len(c.masks[i]) > len(c.masks[j]) })
	return c
}

// walk adds the numbers and the figures of the strings of a decoded JSON
// value; key is the value's key, parent the object holding it.
func (c *Checker) walk(v any, key string, parent map[string]any) {
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			c.walk(child, k, t)
		}
	case []any:
		for _, child := range t {
			c.walk(child, key, parent)
		}
	case float64:
		c.add(numberDim(key, parent), t)
	case string:
		for _, n := range ExtractNumbers(t) {
			switch n.Kind {
			case KindDate:
				c.dates[n.Text] = true
			case KindTime:
				c.times = append(c.times, n.Text)
			default:
				if d, ok := unitDims[n.Unit]; ok {
					c.add(d, n.Value)
				}
			}
		}
		// Every figure as written, small integers ("3 of 4 NFRs")
		// included: with its unit, and without for bare quotes.
		for _, n := range extractAll(t) {
			c.verbatim[verbatimKey(n.Value, n.Unit)] = true
			c.verbatim[verbatimKey(n.Value, "")] = true
		}
	}
}

// extractAll returns every plain number of s, small integers included.
func extractAll(s string) []Number {
	var out []Number
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		n, next, _ := scanNumber(s, i)
		if n.Kind == KindNumber && n.End > n.Start {
			out = append(out, n)
		}
		if next <= i {
			next = i + 1
		}
		i = next
	}
	return out
}

// numberDim is the dimension of a number by its key and its siblings.
func numberDim(key string, parent map[string]any) string {
	if parent != nil {
		// A grade component: {name, value, points, max, why}.
		if _, ok := parent["points"]; ok {
			switch key {
			case "max", "points":
				return dimPoints
			case "value":
				switch parent["name"] {
				case results.ComponentNFR, results.ComponentErrorRate, results.ComponentCO:
					return dimPercent
				case results.ComponentApdex:
					return dimFraction
				case results.ComponentTail:
					return dimRatio
				}
				return dimAny
			}
		}
		// An NFR result: {measured, unit, margin, ...}.
		if key == "measured" {
			switch parent["unit"] {
			case "ms":
				return dimMs
			case "rps":
				return dimRate
			case "%":
				return dimPercent
			}
			return dimAny
		}
	}
	if d, ok := keyDims[key]; ok {
		return d
	}
	return dimAny
}

func (c *Checker) add(dim string, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	c.dims[dim] = append(c.dims[dim], math.Abs(v))
}

// verbatimKey is the key of a figure written in an analysis string: the
// shortest decimal form of its value and its unit.
func verbatimKey(v float64, unit string) string {
	return strconv.FormatFloat(math.Abs(v), 'f', -1, 64) + "|" + unit
}

// Supported reports whether one figure is supported by the analysis.
func (c *Checker) Supported(n Number) bool {
	switch n.Kind {
	case KindDate:
		return c.dates[n.Text]
	case KindTime:
		i := sort.SearchStrings(c.times, n.Text)
		return i < len(c.times) && strings.HasPrefix(c.times[i], n.Text)
	}
	if c.verbatim[verbatimKey(n.Value, n.Unit)] {
		return true
	}
	// "the 500s": a plural, read as a bare figure too.
	if n.Unit == "s" && n.Decimals == 0 && strings.HasSuffix(n.Text, "s") && !strings.ContainsRune(n.Text, ' ') && c.verbatim[verbatimKey(n.Value, "")] {
		return true
	}
	half := 0.5 * math.Pow10(-n.Decimals)
	for _, conv := range unitConversions[n.Unit] {
		vs := c.dims[conv.dim]
		if len(vs) == 0 {
			continue
		}
		// The analysis value a matches when |a·factor − v| ≤ half, with a
		// little slack for binary floating point.
		slack := 1e-9 * math.Max(1, n.Value)
		lo := (n.Value - half - slack) / conv.factor
		hi := (n.Value + half + slack) / conv.factor
		i := sort.SearchFloat64s(vs, lo)
		if i < len(vs) && vs[i] <= hi {
			return true
		}
	}
	return false
}

// Unsupported returns the figures of text that the analysis does not
// support, in order. Quoted analysis strings (labels, error types, NFR
// names and targets) are masked first.
func (c *Checker) Unsupported(text string) []Number {
	var out []Number
	for _, n := range extractNumbers(text, c.mask(text)) {
		if !c.Supported(n) {
			out = append(out, n)
		}
	}
	return out
}

// mask marks the bytes of text covered by quoted analysis strings; nil
// when none is quoted.
func (c *Checker) mask(text string) []bool {
	var m []bool
	for _, s := range c.masks {
		for off := 0; off < len(text); {
			i := strings.Index(text[off:], s)
			if i < 0 {
				break
			}
			if m == nil {
				m = make([]bool, len(text))
			}
			for k := off + i; k < off+i+len(s); k++ {
				m[k] = true
			}
			off += i + len(s)
		}
	}
	return m
}

// masked returns text with the quoted analysis strings blanked out, for
// checks that read the model's own words only.
func (c *Checker) masked(text string) string {
	m := c.mask(text)
	if m == nil {
		return text
	}
	b := []byte(text)
	for i := range b {
		if m[i] {
			b[i] = ' '
		}
	}
	return string(b)
}
