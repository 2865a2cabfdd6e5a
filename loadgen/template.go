package loadgen

import (
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/loadgen/loadgen/planspec"
)

// escape says how a rendered value is written into its place.
type escape int

const (
	escNone   escape = iota // raw body
	escHeader               // header value: CR and LF dropped
	escURL                  // URL: characters invalid in a URL percent-encoded
	escQuery                // query or form value: fully encoded
	escJSON                 // inside a JSON string
)

// tmpl is a template compiled for the engine: plan variables and
// environment variables are folded into literals when the plan loads, so a
// render only looks up what changes per VU or iteration.
type tmpl struct {
	parts []tpart
}

type tpart struct {
	kind   planspec.PartKind
	lit    string // literal, or the plan var's value for a PartVar with a fallback
	slot   int    // PartVar: extracted-variable slot; PartFeeder: feeder slot
	col    int    // PartFeeder: column
	name   string // for error messages
	hasLit bool   // PartVar: a plan var of the same name is the fallback
	bi     string // PartBuiltin name
	lo, hi int64  // __randInt
}

// errUndefined is a template reference with no value at run time.
type errUndefined struct{ name string }

func (e *errUndefined) Error() string { return "undefined variable: " + e.name }

// compileTemplate turns a planspec template into a tmpl.
func (c *compiled) compileTemplate(p *planspec.Plan, src string) (*tmpl, error) {
	pt, err := planspec.ParseTemplate(src, p.IsFeeder)
	if err != nil {
		return nil, err
	}
	t := &tmpl{}
	addLit := func(s string) {
		if n := len(t.parts); n > 0 && t.parts[n-1].kind == planspec.PartLiteral {
			t.parts[n-1].lit += s
			return
		}
		t.parts = append(t.parts, tpart{kind: planspec.PartLiteral, lit: s})
	}
	for _, part := range pt.Parts {
		switch part.Kind {
		case planspec.PartLiteral:
			addLit(part.Lit)
		case planspec.PartEnv:
			v, ok := os.LookupEnv(part.Name)
			if !ok && !part.HasDefault {
				return nil, errors.New("environment variable " + part.Name + " is not set")
			}
			if !ok {
				v = part.Field
			}
			addLit(v)
		case planspec.PartVar:
			val, isPlanVar := p.Vars[part.Name]
			slot, extracted := c.varSlots[part.Name]
			if !extracted {
				if isPlanVar {
					addLit(val)
					continue
				}
				slot = -1 // never defined: fails at run time
			}
			t.parts = append(t.parts, tpart{kind: planspec.PartVar, slot: slot, name: part.Name, lit: val, hasLit: isPlanVar})
		case planspec.PartFeeder:
			fs, col := c.feederSlot(p, part.Name, part.Field)
			if fs >= 0 && c.uses != nil {
				c.uses[fs] = true
			}
			t.parts = append(t.parts, tpart{kind: planspec.PartFeeder, slot: fs, col: col, name: part.Name + "." + part.Field})
		case planspec.PartBuiltin:
			t.parts = append(t.parts, tpart{kind: planspec.PartBuiltin, bi: part.Name, lo: part.Min, hi: part.Max, name: part.Name})
		}
	}
	return t, nil
}

// static returns the template's text when it has no references left.
func (t *tmpl) static() (string, bool) {
	switch len(t.parts) {
	case 0:
		return "", true
	case 1:
		if t.parts[0].kind == planspec.PartLiteral {
			return t.parts[0].lit, true
		}
	}
	return "", false
}

// render appends the template's value, escaped for its place, to dst.
func (t *tmpl) render(dst []byte, v *vu, esc escape) ([]byte, error) {
	for i := range t.parts {
		p := &t.parts[i]
		var s string
		switch p.kind {
		case planspec.PartLiteral:
			// the plan's text is escaped like the values around it: a query,
			// form or JSON value is escaped whole, a URL only where it holds
			// bytes a URL cannot (escURL leaves valid URLs as they are)
			dst = appendEscaped(dst, p.lit, esc)
			continue
		case planspec.PartVar:
			switch {
			case p.slot >= 0 && v.flow.set[p.slot]:
				s = v.flow.vars[p.slot]
			case p.hasLit:
				s = p.lit
			default:
				return dst, &errUndefined{name: p.name}
			}
		case planspec.PartFeeder:
			if p.slot < 0 {
				return dst, &errUndefined{name: p.name}
			}
			row := v.flow.rows[p.slot]
			if row == nil || p.col < 0 || p.col >= len(row) {
				return dst, &errUndefined{name: p.name}
			}
			s = row[p.col]
		case planspec.PartBuiltin:
			dst = v.builtin(dst, p)
			continue
		}
		dst = appendEscaped(dst, s, esc)
	}
	return dst, nil
}

// builtin appends a built-in's value; built-ins need no escaping.
func (v *vu) builtin(dst []byte, p *tpart) []byte {
	switch p.bi {
	case planspec.BuiltinVU:
		return strconv.AppendInt(dst, int64(v.id), 10)
	case planspec.BuiltinIter:
		return strconv.AppendInt(dst, v.iter.Load()-1, 10)
	case planspec.BuiltinTimestamp:
		return strconv.AppendInt(dst, time.Now().UnixMilli(), 10)
	case planspec.BuiltinRandInt:
		return strconv.AppendInt(dst, p.lo+v.rng.Int64N(p.hi-p.lo+1), 10)
	case planspec.BuiltinUUID:
		var b [16]byte
		for i := 0; i < 16; i += 8 {
			u := v.rng.Uint64()
			for j := range 8 {
				b[i+j] = byte(u >> (8 * j))
			}
		}
		b[6] = b[6]&0x0f | 0x40 // version 4
		b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
		var out [36]byte
		hex.Encode(out[0:8], b[0:4])
		out[8] = '-'
		hex.Encode(out[9:13], b[4:6])
		out[13] = '-'
		hex.Encode(out[14:18], b[6:8])
		out[18] = '-'
		hex.Encode(out[19:23], b[8:10])
		out[23] = '-'
		hex.Encode(out[24:], b[10:])
		return append(dst, out[:]...)
	}
	return dst
}

const hexDigits = "0123456789ABCDEF"

func appendEscaped(dst []byte, s string, esc escape) []byte {
	switch esc {
	case escHeader:
		for i := 0; i < len(s); i++ {
			if c := s[i]; c != '\r' && c != '\n' {
				dst = append(dst, c)
			}
		}
		return dst
	case escURL:
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c <= ' ' || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '`' || c == '{' || c == '}' || c == '|' || c == '\\' || c == '^' {
				dst = append(dst, '%', hexDigits[c>>4], hexDigits[c&15])
				continue
			}
			dst = append(dst, c)
		}
		return dst
	case escQuery:
		return append(dst, url.QueryEscape(s)...)
	case escJSON:
		return appendJSONString(dst, s)
	}
	return append(dst, s...)
}

// appendJSONString appends s escaped as the inside of a JSON string.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}
