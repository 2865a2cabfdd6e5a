package groovy

import (
	"fmt"
	"regexp/syntax"
	"strings"
	"unicode"
)

// javaRegexp translates a Go regexp (RE2 syntax, as expr's matches
// compiles it) into a java.util.regex pattern that finds a match in exactly
// the same strings. It parses the pattern with Go's own parser and prints
// the tree with explicit constructs only, so no Java default matters: "."
// is [^\n] (Java's also stops at \r and \u0085), $ is \z (Java's also
// matches before a final line break), \b is the ASCII word boundary, and
// case folding is spelled out as classes of Go's simple folds.
func javaRegexp(pattern string) (string, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := writeRegexp(&b, re); err != nil {
		return "", err
	}
	return b.String(), nil
}

const (
	javaNoMatch   = `(?!)`
	javaWordClass = `[0-9A-Za-z_]`
)

func writeRegexp(b *strings.Builder, re *syntax.Regexp) error {
	switch re.Op {
	case syntax.OpNoMatch:
		b.WriteString(javaNoMatch)
	case syntax.OpEmptyMatch:
		b.WriteString(`(?:)`)
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 {
				writeClass(b, foldRanges(r))
			} else {
				writeRune(b, r)
			}
		}
	case syntax.OpCharClass:
		writeClass(b, re.Rune)
	case syntax.OpAnyCharNotNL:
		b.WriteString(`[^\n]`)
	case syntax.OpAnyChar:
		b.WriteString(`(?s:.)`)
	case syntax.OpBeginLine:
		b.WriteString(`(?:\A|(?<=\n))`)
	case syntax.OpEndLine:
		b.WriteString(`(?:\z|(?=\n))`)
	case syntax.OpBeginText:
		b.WriteString(`\A`)
	case syntax.OpEndText:
		b.WriteString(`\z`)
	case syntax.OpWordBoundary:
		b.WriteString(`(?:(?<=` + javaWordClass + `)(?!` + javaWordClass + `)|(?<!` + javaWordClass + `)(?=` + javaWordClass + `))`)
	case syntax.OpNoWordBoundary:
		b.WriteString(`(?:(?<=` + javaWordClass + `)(?=` + javaWordClass + `)|(?<!` + javaWordClass + `)(?!` + javaWordClass + `))`)
	case syntax.OpCapture:
		b.WriteString(`(?:`)
		if err := writeRegexp(b, re.Sub[0]); err != nil {
			return err
		}
		b.WriteString(`)`)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		if err := writeAtom(b, re.Sub[0]); err != nil {
			return err
		}
		switch re.Op {
		case syntax.OpStar:
			b.WriteString(`*`)
		case syntax.OpPlus:
			b.WriteString(`+`)
		case syntax.OpQuest:
			b.WriteString(`?`)
		default:
			if re.Max < 0 {
				fmt.Fprintf(b, `{%d,}`, re.Min)
			} else {
				fmt.Fprintf(b, `{%d,%d}`, re.Min, re.Max)
			}
		}
		if re.Flags&syntax.NonGreedy != 0 {
			b.WriteString(`?`)
		}
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if err := writeRegexp(b, s); err != nil {
				return err
			}
		}
	case syntax.OpAlternate:
		b.WriteString(`(?:`)
		for i, s := range re.Sub {
			if i > 0 {
				b.WriteString(`|`)
			}
			if err := writeRegexp(b, s); err != nil {
				return err
			}
		}
		b.WriteString(`)`)
	default:
		return fmt.Errorf("regexp construct %v", re.Op)
	}
	return nil
}

// writeAtom writes re as one unit a quantifier can follow: a single
// character or class as is (Java loops over those without recursion),
// anything else in a non-capturing group.
func writeAtom(b *strings.Builder, re *syntax.Regexp) error {
	switch {
	case re.Op == syntax.OpLiteral && len(re.Rune) == 1,
		re.Op == syntax.OpCharClass, re.Op == syntax.OpAnyCharNotNL:
		return writeRegexp(b, re)
	}
	b.WriteString(`(?:`)
	if err := writeRegexp(b, re); err != nil {
		return err
	}
	b.WriteString(`)`)
	return nil
}

// foldRanges is the class of the runes r matches case-insensitively in Go.
func foldRanges(r rune) []rune {
	rs := []rune{r, r}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		rs = append(rs, f, f)
	}
	return rs
}

// writeClass writes a class of [lo, hi] pairs; an empty one never matches.
func writeClass(b *strings.Builder, ranges []rune) {
	if len(ranges) == 0 {
		b.WriteString(javaNoMatch)
		return
	}
	b.WriteByte('[')
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		writeRune(b, lo)
		if hi != lo {
			b.WriteByte('-')
			writeRune(b, hi)
		}
	}
	b.WriteByte(']')
}

// javaPlain are the ASCII characters other than letters and digits that
// mean themselves to Java in and out of classes (without the COMMENTS flag).
const javaPlain = ` _=:,/@%~!<>"`

// writeRune writes r as itself when it is an ASCII letter, digit or one of
// javaPlain, and as \x{H} otherwise, which Java reads the same in and out
// of classes.
func writeRune(b *strings.Builder, r rune) {
	if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(javaPlain, r)) {
		b.WriteRune(r)
		return
	}
	fmt.Fprintf(b, `\x{%X}`, r)
}
