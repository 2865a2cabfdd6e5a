package dslexport

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/loadgen/loadgen/compiler/groovy"
)

// maxLiteral bounds one Java string literal (in UTF-16 units, a safe
// stand-in for the class file's 65535-byte limit on a constant's modified
// UTF-8 form). Longer strings are split and joined at run time.
const maxLiteral = 16000

// JavaString returns s as a Java expression of type String: a string
// literal with every character that Java source cannot hold as is escaped.
// Quotes and backslashes are escaped; control characters use Java's named
// or octal escapes (never \u escapes, which Java translates before lexing,
// so that \u000a would end the literal); every non-ASCII character is
// written as \uXXXX (a surrogate pair above U+FFFF), so the source is plain
// ASCII. A string too long for one class-file constant becomes
// String.join("", chunks...).
func JavaString(s string) string {
	if utf16Len(s) <= maxLiteral {
		return javaLiteral(s)
	}
	var chunks []string
	for len(s) > 0 {
		n, units := 0, 0
		for n < len(s) && units < maxLiteral {
			r, size := utf8.DecodeRuneInString(s[n:])
			n += size
			units++
			if r > 0xFFFF {
				units++
			}
		}
		chunks = append(chunks, javaLiteral(s[:n]))
		s = s[n:]
	}
	return `String.join("", ` + strings.Join(chunks, ", ") + ")"
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}

func javaLiteral(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20 || r == 0x7f:
				// three octal digits: never merges with a following digit
				fmt.Fprintf(&b, `\%03o`, r)
			case r < 0x7f:
				b.WriteRune(r)
			case r > 0xFFFF:
				r1, r2 := utf16Surrogates(r)
				fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
			default:
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func utf16Surrogates(r rune) (rune, rune) {
	r -= 0x10000
	return 0xD800 + (r>>10)&0x3FF, 0xDC00 + r&0x3FF
}

// javaComment makes text safe inside a Java // comment: one line, and no
// Unicode escape (Java translates \uXXXX before it recognises comments, so
// \u000a would end the comment). A run of backslashes before a "u" is made
// even, which no longer starts an escape; other text is kept as it is.
func javaComment(text string) string {
	var b strings.Builder
	run := 0 // backslashes just written
	for _, r := range text {
		switch {
		case r == '\\':
			run++
		case r == 'u' && run%2 == 1:
			b.WriteByte('\\')
			run = 0
		default:
			run = 0
		}
		if r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 || r == 0x85 {
			r = ' '
		}
		b.WriteRune(r)
	}
	return b.String()
}

// GroovyString returns s as a single-quoted Groovy string literal (no
// interpolation), plain ASCII, with no "${" in its text (so that JMeter,
// which evaluates ${...} in every test element property, leaves the
// script alone).
func GroovyString(s string) string {
	// groovy.Quote's output is ASCII with "$" as itself; \u0024 is "$" to
	// Groovy and nothing to JMeter.
	return strings.ReplaceAll(groovy.Quote(s), "$", `\u0024`)
}

// noJMeterRefs rewrites every "${" of a Groovy script as "$\u007B" (the
// same text once Groovy reads its string literals), so that JMeter does not
// take it for a function or variable reference. It is only used on text
// where "${" can occur inside string literals.
func noJMeterRefs(script string) string {
	return strings.ReplaceAll(script, "${", `$\u007B`)
}

// ClassName derives a Java class name from a plan name: its ASCII letters
// and digits in UpperCamelCase plus "Test" ("shop-checkout" →
// "ShopCheckoutTest"); "Plan" stands in when nothing is left or the name
// starts with a digit.
func ClassName(planName string) string {
	var b strings.Builder
	upper := true
	for _, r := range planName {
		if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if upper {
				r = unicode.ToUpper(r)
			}
			b.WriteRune(r)
			upper = false
			continue
		}
		upper = true
	}
	name := b.String()
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		name = "Plan" + name
	}
	return name + "Test"
}

// artifactID derives a Maven artifactId from a plan name.
func artifactID(planName string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(planName) {
		if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	if b.Len() == 0 {
		return "loadgen-plan"
	}
	return b.String()
}

// validPackage reports whether s is a dotted Java package name of ASCII
// identifiers.
func validPackage(s string) bool {
	if s == "" {
		return false
	}
	for _, part := range strings.Split(s, ".") {
		if part == "" || javaKeywords[part] {
			return false
		}
		for i, r := range part {
			ok := r == '_' || r == '$' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9'
			if !ok {
				return false
			}
		}
	}
	return true
}

var javaKeywords = map[string]bool{}

func init() {
	for _, k := range strings.Fields(`abstract assert boolean break byte case catch char class const continue
		default do double else enum extends final finally float for goto if implements import instanceof int
		interface long native new package private protected public return short static strictfp super switch
		synchronized this throw throws transient try void volatile while true false null var record yield`) {
		javaKeywords[k] = true
	}
}

// javaDuration renders d as a java.time.Duration expression, rounding a
// fraction of a millisecond up.
func javaDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "Duration.ZERO"
	case d%time.Minute == 0:
		return fmt.Sprintf("Duration.ofMinutes(%d)", d/time.Minute)
	case d%time.Second == 0:
		return fmt.Sprintf("Duration.ofSeconds(%d)", d/time.Second)
	}
	return fmt.Sprintf("Duration.ofMillis(%d)", ceilMillis(d))
}

func ceilMillis(d time.Duration) int64 {
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// javaDouble renders a float as a Java double literal.
func javaDouble(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "Double.NaN"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}

// xmlText escapes s for XML character data and attribute values.
func xmlText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&apos;")
		default:
			if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
				b.WriteRune(' ')
				continue
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}
