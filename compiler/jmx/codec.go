package jmx

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxDepth bounds element and property nesting so that hostile input cannot
// exhaust the stack. Real plans stay far below it.
const maxDepth = 256

// SyntaxError is a .jmx that is not well-formed XML or not shaped like a
// JMeter test plan. It formats as "file:line:col: msg".
type SyntaxError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *SyntaxError) Error() string {
	pos := fmt.Sprintf("%d:%d", e.Line, e.Col)
	if e.File != "" {
		pos = e.File + ":" + pos
	}
	return pos + ": " + e.Msg
}

type decoder struct {
	d    *xml.Decoder
	file string
	// line and col are the position of the token read last.
	line, col int
}

// Decode parses a .jmx. file names the source in errors.
func Decode(src []byte, file string) (*Document, error) {
	dec := &decoder{d: xml.NewDecoder(bytes.NewReader(src)), file: file, line: 1, col: 1}
	dec.d.Strict = true
	// JMeter writes UTF-8; old files also declare ISO-8859-1 (or
	// windows-1252, read here as Latin-1, which differs only in 0x80-0x9F).
	dec.d.CharsetReader = charsetReader
	root, err := dec.rootElement()
	if err != nil {
		return nil, err
	}
	doc := &Document{}
	for _, a := range root.Attr {
		switch a.Name.Local {
		case "version":
			doc.Version = a.Value
		case "properties":
			doc.Properties = a.Value
		case "jmeter":
			doc.JMeter = a.Value
		}
	}
	for {
		tok, err := dec.next()
		if err != nil {
			return nil, dec.wrap(err, "inside <jmeterTestPlan>")
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "hashTree" {
				return nil, dec.errorf("expected <hashTree> under <jmeterTestPlan>, found <%s>", t.Name.Local)
			}
			elems, err := dec.hashTree(1)
			if err != nil {
				return nil, err
			}
			doc.Elements = append(doc.Elements, elems...)
		case xml.EndElement:
			if err := dec.trailing(); err != nil {
				return nil, err
			}
			return doc, nil
		}
	}
}

func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "us-ascii", "ascii", "utf8":
		return r, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "windows-1252", "cp1252":
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		runes := make([]rune, len(b))
		for i, c := range b {
			runes[i] = rune(c)
		}
		return strings.NewReader(string(runes)), nil
	}
	return nil, fmt.Errorf("unsupported encoding %q (JMeter writes UTF-8)", charset)
}

// rootElement skips the prolog and returns the <jmeterTestPlan> start tag.
func (dec *decoder) rootElement() (xml.StartElement, error) {
	for {
		tok, err := dec.next()
		if err == io.EOF {
			return xml.StartElement{}, dec.errorf("empty document: no <jmeterTestPlan> element")
		}
		if err != nil {
			return xml.StartElement{}, dec.wrap(err, "")
		}
		if t, ok := tok.(xml.StartElement); ok {
			if t.Name.Local != "jmeterTestPlan" {
				return t, dec.errorf("root element is <%s>, not <jmeterTestPlan>: not a JMeter test plan", t.Name.Local)
			}
			return t, nil
		}
	}
}

// trailing checks that nothing but comments and space follows the root.
func (dec *decoder) trailing() error {
	for {
		tok, err := dec.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return dec.wrap(err, "after </jmeterTestPlan>")
		}
		if _, ok := tok.(xml.StartElement); ok {
			return dec.errorf("content after </jmeterTestPlan>")
		}
	}
}

// next returns the next token that is not white space, a comment, a
// processing instruction or a directive, and records its position.
func (dec *decoder) next() (xml.Token, error) {
	for {
		line, col := dec.d.InputPos()
		tok, err := dec.d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) == 0 {
				continue
			}
		case xml.Comment, xml.ProcInst, xml.Directive:
			continue
		}
		dec.line, dec.col = line, col
		return tok, nil
	}
}

func (dec *decoder) errorf(format string, args ...any) error {
	return &SyntaxError{File: dec.file, Line: dec.line, Col: dec.col, Msg: fmt.Sprintf(format, args...)}
}

// wrap turns a decoder error into a SyntaxError at the best known position.
func (dec *decoder) wrap(err error, where string) error {
	if err == io.EOF {
		if where == "" {
			return dec.errorf("unexpected end of file")
		}
		return dec.errorf("unexpected end of file %s", where)
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		if se.Msg == "unexpected EOF" {
			return dec.wrap(io.EOF, where)
		}
		line, col := dec.d.InputPos()
		return &SyntaxError{File: dec.file, Line: line, Col: col, Msg: "malformed XML: " + se.Msg}
	}
	return dec.errorf("%v", err)
}

// hashTree reads the elements of a <hashTree> whose start tag was read.
func (dec *decoder) hashTree(depth int) ([]*Element, error) {
	if depth > maxDepth {
		return nil, dec.errorf("test plan nested deeper than %d levels", maxDepth)
	}
	var out []*Element
	var pending *Element // an element still waiting for its hashTree
	for {
		tok, err := dec.next()
		if err != nil {
			return nil, dec.wrap(err, "inside <hashTree>")
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local == "hashTree" {
				if pending == nil {
					return nil, dec.errorf("<hashTree> without a test element before it")
				}
				kids, err := dec.hashTree(depth + 1)
				if err != nil {
					return nil, err
				}
				pending.Children = kids
				pending = nil
				continue
			}
			if pending != nil {
				return nil, &SyntaxError{File: dec.file, Line: pending.Line, Col: pending.Col,
					Msg: fmt.Sprintf("<%s> %q is not followed by its <hashTree>", pending.Tag, pending.TestName)}
			}
			e, err := dec.element(t, depth)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
			pending = e
		case xml.EndElement:
			if pending != nil {
				return nil, &SyntaxError{File: dec.file, Line: pending.Line, Col: pending.Col,
					Msg: fmt.Sprintf("<%s> %q is not followed by its <hashTree>", pending.Tag, pending.TestName)}
			}
			return out, nil
		case xml.CharData:
			return nil, dec.errorf("unexpected text %q inside <hashTree>", clip(string(t)))
		}
	}
}

// element reads a test element whose start tag was read.
func (dec *decoder) element(start xml.StartElement, depth int) (*Element, error) {
	e := &Element{Tag: start.Name.Local, Line: dec.line, Col: dec.col}
	for _, a := range start.Attr {
		switch a.Name.Local {
		case "guiclass":
			e.GUIClass = a.Value
		case "testclass":
			e.TestClass = a.Value
		case "testname":
			e.TestName = a.Value
		case "enabled":
			e.Disabled = strings.EqualFold(strings.TrimSpace(a.Value), "false")
		default:
			e.Attrs = append(e.Attrs, Attr{a.Name.Local, a.Value})
		}
	}
	props, _, err := dec.members(start.Name.Local, depth+1)
	if err != nil {
		return nil, err
	}
	e.Props = props
	return e, nil
}

// members reads the child properties of an element or property up to its
// end tag, and any text it holds.
func (dec *decoder) members(tag string, depth int) ([]*Prop, string, error) {
	if depth > maxDepth {
		return nil, "", dec.errorf("properties nested deeper than %d levels", maxDepth)
	}
	var props []*Prop
	var text strings.Builder
	for {
		line, col := dec.d.InputPos()
		tok, err := dec.d.Token()
		if err != nil {
			return nil, "", dec.wrap(err, "inside <"+tag+">")
		}
		switch t := tok.(type) {
		case xml.StartElement:
			dec.line, dec.col = line, col
			p, err := dec.prop(t, depth)
			if err != nil {
				return nil, "", err
			}
			props = append(props, p)
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			return props, text.String(), nil
		}
	}
}

// prop reads one property whose start tag was read.
func (dec *decoder) prop(start xml.StartElement, depth int) (*Prop, error) {
	p := &Prop{Kind: start.Name.Local, Line: dec.line, Col: dec.col}
	for _, a := range start.Attr {
		switch a.Name.Local {
		case "name":
			p.Name = a.Value
		case "elementType":
			p.ElementType = a.Value
		default:
			p.Attrs = append(p.Attrs, Attr{a.Name.Local, a.Value})
		}
	}
	members, text, err := dec.members(start.Name.Local, depth+1)
	if err != nil {
		return nil, err
	}
	switch p.Kind {
	case DoubleProp, ObjProp, FloatProp:
		// <doubleProp><name>x</name><value>1.0</value><savedValue>0.0</savedValue></doubleProp>
		for _, m := range members {
			switch m.Kind {
			case "name":
				p.Name = m.Value
			case "value":
				p.Value = m.Value
				p.ValueClass = m.Attr("class")
				for _, f := range m.Props {
					p.Fields = append(p.Fields, Attr{f.Kind, f.Value})
				}
			case "savedValue":
				p.SavedValue = m.Value
			}
		}
		if len(members) == 0 {
			p.Value = text
		}
	default:
		p.Props = members
		if len(members) == 0 {
			p.Value = text
		}
	}
	return p, nil
}

func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Encode writes doc as a .jmx in the layout JMeter 5.6.3 saves.
func Encode(w io.Writer, doc *Document) error {
	bw := bufio.NewWriter(w)
	enc := &encoder{w: bw}
	enc.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	if doc.Comment != "" {
		// "--" may not appear inside a comment: the second hyphen
		// becomes U+2010, which looks the same.
		c := doc.Comment
		for strings.Contains(c, "--") {
			c = strings.ReplaceAll(c, "--", "-\u2010")
		}
		if strings.HasSuffix(c, "-") {
			c += " "
		}
		enc.raw("<!--" + c + "-->\n")
	}
	enc.raw(fmt.Sprintf(`<jmeterTestPlan version="%s" properties="%s" jmeter="%s">`+"\n",
		attrEsc(or(doc.Version, "1.2")), attrEsc(or(doc.Properties, "5.0")), attrEsc(or(doc.JMeter, "5.6.3"))))
	enc.hashTree(1, doc.Elements)
	enc.raw("</jmeterTestPlan>\n")
	return bw.Flush()
}

type encoder struct{ w *bufio.Writer }

func (enc *encoder) raw(s string) { enc.w.WriteString(s) }

func (enc *encoder) indent(n int) { enc.w.WriteString(strings.Repeat("  ", n)) }

func (enc *encoder) hashTree(level int, elems []*Element) {
	enc.indent(level)
	if len(elems) == 0 {
		enc.raw("<hashTree/>\n")
		return
	}
	enc.raw("<hashTree>\n")
	for _, e := range elems {
		enc.element(level+1, e)
		enc.hashTree(level+1, e.Children)
	}
	enc.indent(level)
	enc.raw("</hashTree>\n")
}

func (enc *encoder) element(level int, e *Element) {
	enc.indent(level)
	enc.raw("<" + e.Tag)
	enc.attr("guiclass", e.GUIClass)
	enc.attr("testclass", e.TestClass)
	enc.w.WriteString(` testname="` + attrEsc(e.TestName) + `"`)
	if e.Disabled {
		enc.raw(` enabled="false"`)
	}
	for _, a := range e.Attrs {
		enc.attr(a.Name, a.Value)
	}
	if len(e.Props) == 0 {
		enc.raw("/>\n")
		return
	}
	enc.raw(">\n")
	for _, p := range e.Props {
		enc.prop(level+1, p)
	}
	enc.indent(level)
	enc.raw("</" + e.Tag + ">\n")
}

func (enc *encoder) attr(name, value string) {
	if value != "" {
		enc.raw(" " + name + `="` + attrEsc(value) + `"`)
	}
}

func (enc *encoder) prop(level int, p *Prop) {
	enc.indent(level)
	switch p.Kind {
	case DoubleProp, FloatProp, ObjProp:
		enc.raw("<" + p.Kind + ">")
		enc.raw("<name>" + textEsc(p.Name) + "</name>")
		if p.ValueClass != "" || len(p.Fields) > 0 {
			enc.raw("\n")
			enc.indent(level + 1)
			enc.raw(`<value class="` + attrEsc(p.ValueClass) + `">` + "\n")
			for _, f := range p.Fields {
				enc.indent(level + 2)
				enc.raw("<" + f.Name + ">" + textEsc(f.Value) + "</" + f.Name + ">\n")
			}
			enc.indent(level + 1)
			enc.raw("</value>\n")
			enc.indent(level)
		} else {
			enc.raw("<value>" + textEsc(p.Value) + "</value>")
			if p.SavedValue != "" {
				enc.raw("<savedValue>" + textEsc(p.SavedValue) + "</savedValue>")
			}
		}
		enc.raw("</" + p.Kind + ">\n")
		return
	}
	enc.raw("<" + p.Kind)
	if p.Name != "" || p.Kind != CollectionProp {
		enc.raw(` name="` + attrEsc(p.Name) + `"`)
	}
	enc.attr("elementType", p.ElementType)
	for _, a := range p.Attrs {
		enc.attr(a.Name, a.Value)
	}
	switch {
	case len(p.Props) > 0:
		enc.raw(">\n")
		for _, m := range p.Props {
			enc.prop(level+1, m)
		}
		enc.indent(level)
		enc.raw("</" + p.Kind + ">\n")
	case p.Value == "" && (p.Kind == ElementProp || p.Kind == CollectionProp || p.Kind == StringProp):
		enc.raw("/>\n")
	default:
		enc.raw(">" + textEsc(p.Value) + "</" + p.Kind + ">\n")
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// textEsc escapes character data as JMeter's XStream writer does: markup
// characters and carriage returns as entities, newlines and tabs kept.
func textEsc(s string) string {
	var b strings.Builder
	escape(&b, s, false)
	return b.String()
}

func attrEsc(s string) string {
	var b strings.Builder
	escape(&b, s, true)
	return b.String()
}

func escape(b *strings.Builder, s string, attr bool) {
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&quot;")
		case r == '\'':
			b.WriteString("&apos;")
		case r == '\r':
			b.WriteString("&#xd;")
		case attr && r == '\n':
			b.WriteString("&#xa;")
		case attr && r == '\t':
			b.WriteString("&#x9;")
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0xFFFE || r == 0xFFFF || (r >= 0xD800 && r <= 0xDFFF):
			// Not representable in XML 1.0 (JMeter could not read it
			// back either).
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
}
