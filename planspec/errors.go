package planspec

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Pos is a 1-based line and column in the plan's YAML source.
type Pos struct{ Line, Col int }

// IsValid reports whether the position points into a source (Line >= 1).
func (p Pos) IsValid() bool { return p.Line >= 1 }

// String formats the position as "line:col".
func (p Pos) String() string { return strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col) }

// Positions maps JSON pointers (RFC 6901, e.g. "/scenarios/0/rate") to the
// source position of the key they name; for list items, the position of the
// item. The empty pointer "" is the document itself.
type Positions map[string]Pos

// Lookup returns the position recorded for ptr or, when ptr is absent (a
// missing key), for its nearest recorded ancestor. It returns the zero Pos
// when neither is known.
func (p Positions) Lookup(ptr string) Pos {
	for {
		if pos, ok := p[ptr]; ok {
			return pos
		}
		if ptr == "" {
			return Pos{}
		}
		i := strings.LastIndexByte(ptr, '/')
		if i < 0 {
			ptr = ""
		} else {
			ptr = ptr[:i]
		}
	}
}

// Has reports whether ptr was written in the source.
func (p Positions) Has(ptr string) bool {
	_, ok := p[ptr]
	return ok
}

// Error is one problem found in a plan, at a source position.
type Error struct {
	File    string // the plan's file name as given to Parse; may be ""
	Line    int    // 1-based
	Col     int    // 1-based
	Pointer string // JSON pointer of the offending value ("" for the document or a syntax error)
	Msg     string // lowercase, unpunctuated description
	Err     error  // underlying cause, if any (a time or regexp error, an expr compile error)
}

// Error formats the problem as "file:line:col: msg" ("line:col: msg" when
// File is empty).
func (e *Error) Error() string {
	if e.File == "" {
		return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrorList is every problem found in a plan, sorted by position. Parse and
// ParseFile return it as their error.
type ErrorList []*Error

// Error joins the entries' messages, one per line.
func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the entries, so errors.As can find an individual *Error.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// Sort orders the entries by line, then column; entries at the same
// position keep their order.
func (l ErrorList) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		if l[i].Line != l[j].Line {
			return l[i].Line < l[j].Line
		}
		return l[i].Col < l[j].Col
	})
}

// Err returns the list as an error, or nil when it is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// reporter collects errors for one plan source.
type reporter struct {
	file  string
	pos   Positions
	errs  ErrorList
	warns ErrorList // problems that do not invalidate the plan
	// bad holds the pointers of values that failed structural checks; later
	// semantic errors at or below them are noise and are dropped.
	bad map[string]bool
}

// atPos records an error at an explicit position.
func (r *reporter) atPos(pos Pos, ptr string, cause error, format string, args ...any) {
	r.errs = append(r.errs, r.newError(pos, ptr, cause, format, args...))
}

func (r *reporter) newError(pos Pos, ptr string, cause error, format string, args ...any) *Error {
	if pos.Line < 1 {
		pos.Line = 1
	}
	if pos.Col < 1 {
		pos.Col = 1
	}
	return &Error{File: r.file, Line: pos.Line, Col: pos.Col, Pointer: ptr, Msg: fmt.Sprintf(format, args...), Err: cause}
}

// warnAt records a warning at the position of ptr (see Plan.Warnings).
func (r *reporter) warnAt(ptr string, format string, args ...any) {
	if r.isBad(ptr) {
		return
	}
	r.warns = append(r.warns, r.newError(r.pos.Lookup(ptr), ptr, nil, format, args...))
}

// at records an error at the position of ptr (or its nearest ancestor),
// unless ptr lies at or below a value already reported as malformed.
func (r *reporter) at(ptr string, format string, args ...any) {
	r.atErr(ptr, nil, format, args...)
}

// atErr is at with an underlying cause.
func (r *reporter) atErr(ptr string, cause error, format string, args ...any) {
	if r.isBad(ptr) {
		return
	}
	r.atPos(r.pos.Lookup(ptr), ptr, cause, format, args...)
}

func (r *reporter) markBad(ptr string) {
	if r.bad == nil {
		r.bad = make(map[string]bool)
	}
	r.bad[ptr] = true
}

func (r *reporter) isBad(ptr string) bool {
	if len(r.bad) == 0 {
		return false
	}
	for {
		if r.bad[ptr] {
			return true
		}
		i := strings.LastIndexByte(ptr, '/')
		if i < 0 {
			return false
		}
		ptr = ptr[:i]
	}
}

// pointer helpers

// escapePointer escapes one JSON pointer reference token (RFC 6901).
func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// ptrKey appends a mapping key to a JSON pointer.
func ptrKey(ptr, key string) string { return ptr + "/" + escapePointer(key) }

// ptrIndex appends a list index to a JSON pointer.
func ptrIndex(ptr string, i int) string { return ptr + "/" + strconv.Itoa(i) }

// pathKey appends a mapping key to a human-readable path
// ("scenarios[0].duration").
func pathKey(path, key string) string {
	if !isPlainKey(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// pathIndex appends a list index to a human-readable path.
func pathIndex(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func isPlainKey(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
