// Package jmx reads and writes Apache JMeter test plans (.jmx files) as a
// tree of test elements with their properties.
//
// A .jmx is XML in which every test element is followed by a sibling
// <hashTree> holding its children. [Decode] turns that into a tree of
// [Element]s, keeping each element's source line and column so that callers
// can report problems by position and by element path; [Encode] writes a tree
// back in the layout JMeter 5.6.3 saves. The package knows nothing about what
// the elements mean: the importer and the exporter do.
package jmx

import (
	"strconv"
	"strings"
)

// Property kinds, as XML tag names.
const (
	StringProp     = "stringProp"
	BoolProp       = "boolProp"
	IntProp        = "intProp"
	LongProp       = "longProp"
	FloatProp      = "floatProp"
	DoubleProp     = "doubleProp"
	ElementProp    = "elementProp"
	CollectionProp = "collectionProp"
	ObjProp        = "objProp"
)

// Document is a whole .jmx file.
type Document struct {
	// Version, Properties and JMeter are the root element's attributes
	// (JMeter 5.6.3 writes "1.2", "5.0" and "5.6.3").
	Version, Properties, JMeter string
	// Elements are the top-level elements: normally one TestPlan.
	Elements []*Element
	// Comment, when set, is written as an XML comment before the root
	// element (Encode only; Decode skips comments).
	Comment string
}

// Element is one test element (a sampler, a controller, a config element...)
// and the elements of the hashTree that follows it.
type Element struct {
	// Tag is the XML tag: a saveservice alias ("HTTPSamplerProxy") or, for
	// plugins, a class name.
	Tag       string
	GUIClass  string
	TestClass string
	TestName  string
	// Disabled is true for enabled="false".
	Disabled bool
	// Attrs holds any other attributes of the element, in source order.
	Attrs []Attr
	Props []*Prop
	// Children are the elements of the element's hashTree.
	Children []*Element
	// Line and Col locate the start tag in the decoded source (1-based; 0
	// for elements built in memory).
	Line, Col int
}

// Attr is an XML attribute.
type Attr struct{ Name, Value string }

// Prop is one property of an element. Scalar properties (stringProp,
// boolProp, intProp, longProp, floatProp, doubleProp) carry Value;
// elementProp and collectionProp carry Props; objProp carries Value (or
// Fields with ValueClass for structured values such as a ResultCollector's
// saveConfig).
type Prop struct {
	Kind string
	Name string
	// Value is the scalar text (for doubleProp and objProp, the <value>).
	Value string
	// ElementType is an elementProp's elementType attribute.
	ElementType string
	// Attrs holds the other attributes (an elementProp's guiclass,
	// testclass, testname, enabled).
	Attrs []Attr
	// Props are an elementProp's or collectionProp's members.
	Props []*Prop
	// SavedValue is a doubleProp's or objProp's <savedValue>, if present.
	SavedValue string
	// ValueClass and Fields describe an objProp whose <value class="...">
	// holds child elements (<time>true</time>...).
	ValueClass string
	Fields     []Attr
	// Line and Col locate the property in the decoded source.
	Line, Col int
}

// Prop returns the element's first property with the given name, or nil.
func (e *Element) Prop(name string) *Prop { return findProp(e.Props, name) }

// String returns the value of the named scalar property ("" if absent).
func (e *Element) String(name string) string {
	if p := e.Prop(name); p != nil {
		return p.Value
	}
	return ""
}

// Has reports whether the element has the named property.
func (e *Element) Has(name string) bool { return e.Prop(name) != nil }

// Bool returns the named property as a boolean and whether it was present
// and well-formed; JMeter reads "true" (any case) as true.
func (e *Element) Bool(name string) (value, ok bool) {
	p := e.Prop(name)
	if p == nil {
		return false, false
	}
	return parseBool(p.Value)
}

// Int returns the named property as an integer and whether it was present
// and numeric (JMeter writes numbers as intProp, longProp or stringProp).
func (e *Element) Int(name string) (int64, bool) {
	p := e.Prop(name)
	if p == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(p.Value), 10, 64)
	return n, err == nil
}

// SetProp appends a property to the element and returns the element.
func (e *Element) SetProp(p ...*Prop) *Element {
	e.Props = append(e.Props, p...)
	return e
}

// Add appends children and returns the element.
func (e *Element) Add(children ...*Element) *Element {
	e.Children = append(e.Children, children...)
	return e
}

// Attr returns the value of an extra attribute of the element.
func (e *Element) Attr(name string) string { return attrValue(e.Attrs, name) }

// Prop returns the property's first member with the given name, or nil.
// Like the other accessors of Prop it accepts a nil receiver (a missing
// property), so lookups chain: e.Prop("a").Prop("b").String("c").
func (p *Prop) Prop(name string) *Prop {
	if p == nil {
		return nil
	}
	return findProp(p.Props, name)
}

// String returns the value of the named scalar member ("" if absent).
func (p *Prop) String(name string) string {
	if q := p.Prop(name); q != nil {
		return q.Value
	}
	return ""
}

// Attr returns the value of an attribute of the property.
func (p *Prop) Attr(name string) string {
	if p == nil {
		return ""
	}
	return attrValue(p.Attrs, name)
}

// Bool returns the property's value as a boolean and whether it is
// well-formed (false, false for a nil property).
func (p *Prop) Bool() (value, ok bool) {
	if p == nil {
		return false, false
	}
	return parseBool(p.Value)
}

func parseBool(s string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

func findProp(props []*Prop, name string) *Prop {
	for _, p := range props {
		if p.Name == name {
			return p
		}
	}
	return nil
}

func attrValue(attrs []Attr, name string) string {
	for _, a := range attrs {
		if a.Name == name {
			return a.Value
		}
	}
	return ""
}

// Str builds a stringProp.
func Str(name, value string) *Prop { return &Prop{Kind: StringProp, Name: name, Value: value} }

// Bool builds a boolProp.
func Bool(name string, value bool) *Prop {
	return &Prop{Kind: BoolProp, Name: name, Value: strconv.FormatBool(value)}
}

// Int builds an intProp.
func Int(name string, value int) *Prop {
	return &Prop{Kind: IntProp, Name: name, Value: strconv.Itoa(value)}
}

// Long builds a longProp.
func Long(name string, value int64) *Prop {
	return &Prop{Kind: LongProp, Name: name, Value: strconv.FormatInt(value, 10)}
}

// Double builds a doubleProp (with the savedValue JMeter writes).
func Double(name string, value float64) *Prop {
	return &Prop{Kind: DoubleProp, Name: name, Value: strconv.FormatFloat(value, 'f', -1, 64), SavedValue: "0.0"}
}

// ElemProp builds an elementProp of the given elementType with members.
func ElemProp(name, elementType string, members ...*Prop) *Prop {
	return &Prop{Kind: ElementProp, Name: name, ElementType: elementType, Props: members}
}

// Collection builds a collectionProp.
func Collection(name string, items ...*Prop) *Prop {
	return &Prop{Kind: CollectionProp, Name: name, Props: items}
}

// Path returns a readable path of test names from the root to e, such as
// "Test Plan/Thread Group/login", given the chain of ancestors.
func Path(ancestors []*Element, e *Element) string {
	var b strings.Builder
	for _, a := range append(append([]*Element(nil), ancestors...), e) {
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		name := a.TestName
		if name == "" {
			name = a.Tag
		}
		b.WriteString(strings.ReplaceAll(name, "/", `\/`))
	}
	return b.String()
}

// Walk calls fn for every element in document order with its ancestors; fn
// returns false to skip the element's children.
func Walk(elems []*Element, fn func(ancestors []*Element, e *Element) bool) {
	var walk func(anc []*Element, list []*Element)
	walk = func(anc []*Element, list []*Element) {
		for _, e := range list {
			if fn(anc, e) {
				walk(append(anc, e), e.Children)
			}
		}
	}
	walk(nil, elems)
}
