package planspec

import (
	"fmt"
	"strconv"
	"strings"
)

// PartKind says what a template part stands for.
type PartKind int

// Template part kinds.
const (
	PartLiteral PartKind = iota // literal text
	PartVar                     // ${name}: a plan variable or a value extracted earlier in the iteration
	PartEnv                     // ${env.NAME} or ${env.NAME:-default}
	PartFeeder                  // ${feeder.column}: the column of the feeder's current row
	PartBuiltin                 // ${__vu}, ${__iter}, ${__uuid}, ${__timestamp}, ${__randInt(a,b)}
)

// Built-in template functions.
const (
	BuiltinVU        = "__vu"        // 1-based VU number within its scenario
	BuiltinIter      = "__iter"      // 0-based iteration number of the VU
	BuiltinUUID      = "__uuid"      // a random UUID v4
	BuiltinTimestamp = "__timestamp" // Unix epoch milliseconds
	BuiltinRandInt   = "__randInt"   // __randInt(a,b): a uniform integer in [a, b]
)

// Template is a string with ${...} references, parsed once when the plan
// loads. "$${" writes a literal "${".
type Template struct {
	Src   string
	Parts []Part
}

// Part is one literal run or one reference of a Template.
type Part struct {
	Kind PartKind
	// Lit is the text of a literal part.
	Lit string
	// Name is the variable, environment variable, feeder or built-in name.
	Name string
	// Field is the feeder column, or the default of ${env.NAME:-default}.
	Field string
	// HasDefault marks ${env.NAME:-default}.
	HasDefault bool
	// Min and Max are the bounds of __randInt.
	Min, Max int64
}

// Static reports whether the template has no references left.
func (t *Template) Static() bool {
	for _, p := range t.Parts {
		if p.Kind != PartLiteral {
			return false
		}
	}
	return true
}

// Refs returns the template's reference parts.
func (t *Template) Refs() []Part {
	var out []Part
	for _, p := range t.Parts {
		if p.Kind != PartLiteral {
			out = append(out, p)
		}
	}
	return out
}

// String re-serialises the template so that ParseTemplate gives back the
// same parts: literal text with every "${" written "$${", and references in
// their canonical form (${name}, ${env.NAME}, ${env.NAME:-default},
// ${feeder.column}, ${__vu}, ${__randInt(a,b)}). It differs from Src where
// Src has spaces inside a reference or unescaped text the canonical form
// would write otherwise. (A literal ending in "$" right before a reference
// cannot be written, as "$${" escapes; ParseTemplate never produces one.)
func (t *Template) String() string {
	var b strings.Builder
	for _, p := range t.Parts {
		switch p.Kind {
		case PartLiteral:
			b.WriteString(strings.ReplaceAll(p.Lit, "${", "$${"))
			continue
		case PartVar:
			b.WriteString("${" + p.Name)
		case PartEnv:
			b.WriteString("${env." + p.Name)
			if p.HasDefault {
				b.WriteString(":-" + p.Field)
			}
		case PartFeeder:
			b.WriteString("${" + p.Name + "." + p.Field)
		case PartBuiltin:
			b.WriteString("${" + p.Name)
			if p.Name == BuiltinRandInt {
				fmt.Fprintf(&b, "(%d,%d)", p.Min, p.Max)
			}
		}
		b.WriteByte('}')
	}
	return b.String()
}

// ParseTemplate parses s. isFeeder tells whether a name is a feeder, which
// makes ${name.column} a feeder reference (nil: no feeders). Errors name
// the offending reference and its byte offset in s.
func ParseTemplate(s string, isFeeder func(string) bool) (*Template, error) {
	t := &Template{Src: s}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.Parts = append(t.Parts, Part{Kind: PartLiteral, Lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			lit.WriteString("${")
			i += 3
			continue
		case strings.HasPrefix(s[i:], "${"):
		default:
			lit.WriteByte(s[i])
			i++
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return nil, fmt.Errorf("unclosed ${ at offset %d (write $${ for a literal ${)", i)
		}
		ref := s[i+2 : i+end]
		p, err := parseRef(ref, isFeeder)
		if err != nil {
			return nil, fmt.Errorf("${%s} at offset %d: %w", ref, i, err)
		}
		flush()
		t.Parts = append(t.Parts, p)
		i += end + 1
	}
	flush()
	return t, nil
}

func parseRef(ref string, isFeeder func(string) bool) (Part, error) {
	ref = strings.TrimSpace(ref)
	switch {
	case ref == "":
		return Part{}, fmt.Errorf("empty reference")
	case strings.HasPrefix(ref, "__"):
		return parseBuiltin(ref)
	case ref == "env":
		return Part{}, fmt.Errorf("write ${env.NAME} to read the environment variable NAME")
	case strings.HasPrefix(ref, "env."):
		name, def, hasDef := strings.Cut(ref[len("env."):], ":-")
		if !isIdent(name) {
			return Part{}, fmt.Errorf("environment variable name %q is not an identifier", name)
		}
		return Part{Kind: PartEnv, Name: name, Field: def, HasDefault: hasDef}, nil
	}
	if name, col, ok := strings.Cut(ref, "."); ok {
		if isFeeder == nil || !isFeeder(name) {
			return Part{}, fmt.Errorf("%q is not a feeder (declare it under data:)", name)
		}
		if col == "" {
			return Part{}, fmt.Errorf("missing column after %q", name+".")
		}
		return Part{Kind: PartFeeder, Name: name, Field: col}, nil
	}
	if !isIdent(ref) {
		return Part{}, fmt.Errorf("%q is not a variable name", ref)
	}
	return Part{Kind: PartVar, Name: ref}, nil
}

func parseBuiltin(ref string) (Part, error) {
	name, args, hasArgs := strings.Cut(ref, "(")
	switch name {
	case BuiltinVU, BuiltinIter, BuiltinUUID, BuiltinTimestamp:
		if hasArgs {
			return Part{}, fmt.Errorf("%s takes no arguments", name)
		}
		return Part{Kind: PartBuiltin, Name: name}, nil
	case BuiltinRandInt:
		if !hasArgs || !strings.HasSuffix(args, ")") {
			return Part{}, fmt.Errorf("write %s(min,max)", name)
		}
		lo, hi, ok := strings.Cut(strings.TrimSuffix(args, ")"), ",")
		if !ok {
			return Part{}, fmt.Errorf("write %s(min,max)", name)
		}
		a, err1 := strconv.ParseInt(strings.TrimSpace(lo), 10, 64)
		b, err2 := strconv.ParseInt(strings.TrimSpace(hi), 10, 64)
		if err1 != nil || err2 != nil {
			return Part{}, fmt.Errorf("%s bounds must be integers", name)
		}
		if a > b {
			return Part{}, fmt.Errorf("%s(%d,%d): min is above max", name, a, b)
		}
		return Part{Kind: PartBuiltin, Name: name, Min: a, Max: b}, nil
	}
	return Part{}, fmt.Errorf("unknown built-in %q (have %s, %s, %s, %s, %s(min,max))", name,
		BuiltinVU, BuiltinIter, BuiltinUUID, BuiltinTimestamp, BuiltinRandInt)
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9') {
			continue
		}
		return false
	}
	return true
}
