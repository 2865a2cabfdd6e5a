package dslexport

import "strings"

// jexpr is one jmeter-java-dsl builder expression: fn(args..., kids...)
// followed by chained calls, or fn(args...).chain....children(kids...).
type jexpr struct {
	fn    string   // e.g. "httpSampler"
	args  []string // Java expressions
	chain []string // e.g. `.method("POST")`
	kids  []*jexpr
	// kidsInArgs puts kids after args (testPlan, threadGroup with a
	// schedule, transaction); otherwise they go in a final .children(...).
	kidsInArgs bool
}

func call(fn string, args ...string) *jexpr { return &jexpr{fn: fn, args: args} }

// then appends a chained call: then("method", `"POST"`) → .method("POST").
func (e *jexpr) then(method string, args ...string) *jexpr {
	e.chain = append(e.chain, "."+method+"("+strings.Join(args, ", ")+")")
	return e
}

func (e *jexpr) add(kids ...*jexpr) *jexpr {
	for _, k := range kids {
		if k != nil {
			e.kids = append(e.kids, k)
		}
	}
	return e
}

// render writes e with continuation lines indented from indent.
func (e *jexpr) render(b *strings.Builder, indent string) {
	b.WriteString(e.fn)
	b.WriteByte('(')
	b.WriteString(strings.Join(e.args, ", "))
	if e.kidsInArgs && len(e.kids) > 0 {
		if len(e.args) > 0 {
			b.WriteByte(',')
		}
		renderList(b, indent+"    ", e.kids)
	}
	b.WriteByte(')')
	for _, c := range e.chain {
		b.WriteString("\n" + indent + "    " + c)
	}
	if !e.kidsInArgs && len(e.kids) > 0 {
		b.WriteString("\n" + indent + "    .children(")
		renderList(b, indent+"        ", e.kids)
		b.WriteByte(')')
	}
}

func renderList(b *strings.Builder, indent string, kids []*jexpr) {
	for i, k := range kids {
		b.WriteString("\n" + indent)
		k.render(b, indent)
		if i < len(kids)-1 {
			b.WriteByte(',')
		}
	}
}

func (e *jexpr) String() string {
	var b strings.Builder
	e.render(&b, "")
	return b.String()
}
