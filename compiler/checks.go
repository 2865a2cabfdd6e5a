package compiler

import (
	"math"
	"strconv"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// AssertionKind says which JMeter assertion expresses a check.
type AssertionKind int

// Assertion kinds.
const (
	// CodeEquals: a Response Assertion on the response code, EQUALS one of
	// Values (OR when there are several); NOT when Negate.
	CodeEquals AssertionKind = iota
	// BodyContains: a Response Assertion on the response body, SUBSTRING
	// Values[0]; NOT when Negate.
	BodyContains
	// MaxDuration: a Duration Assertion failing samples longer than MaxMS.
	MaxDuration
	// Script: no native assertion; a JSR223 (Groovy) assertion runs Source.
	Script
)

// Assertion is one check (or one conjunct of a check) mapped to JMeter.
type Assertion struct {
	Kind   AssertionKind
	Values []string
	Negate bool
	MaxMS  int64
	// Source is the check expression, or the conjunct of it, that this
	// assertion tests (an import turns it back into a check).
	Source string
	// Check is the whole check expression: the failure message, as the
	// engine writes it.
	Check string
}

// Response Assertion test_type bits (JMeter's ResponseAssertion).
const (
	TestMatch     = 1
	TestContains  = 2
	TestNot       = 4
	TestEquals    = 8
	TestSubstring = 16
	TestOr        = 32
)

// TestType returns the Response Assertion test_type bitmask of a CodeEquals
// or BodyContains assertion.
func (a Assertion) TestType() int {
	t := TestSubstring
	if a.Kind == CodeEquals {
		t = TestEquals
		if len(a.Values) > 1 {
			t |= TestOr
		}
	}
	if a.Negate {
		t |= TestNot
	}
	return t
}

// MapCheck maps one check expression to JMeter assertions. A top-level
// conjunction (a && b) becomes one assertion per conjunct, which holds
// exactly when all of them do. Recognised natively:
//
//	status == 200, status != 500, status in [200, 201]  → Response Assertion on the code
//	body contains "x", not (body contains "x")          → Response Assertion on the body
//	duration < 500, duration <= 500                     → Duration Assertion
//
// Everything else is a Script assertion with its source (translated to
// Groovy by the exporter). The expression must compile (plans are
// validated before export).
func MapCheck(src string) []Assertion {
	tree, err := parser.Parse(src)
	if err != nil {
		return []Assertion{{Kind: Script, Source: src, Check: src}}
	}
	var conj []ast.Node
	var split func(n ast.Node)
	split = func(n ast.Node) {
		if b, ok := n.(*ast.BinaryNode); ok && (b.Operator == "&&" || b.Operator == "and") {
			split(b.Left)
			split(b.Right)
			return
		}
		conj = append(conj, n)
	}
	split(tree.Node)
	out := make([]Assertion, 0, len(conj))
	for _, n := range conj {
		part := src
		if len(conj) > 1 {
			part = n.String()
		}
		a := mapNode(n, part)
		a.Check = src
		out = append(out, a)
	}
	return out
}

func mapNode(n ast.Node, src string) Assertion {
	script := Assertion{Kind: Script, Source: src}
	negate := false
	if u, ok := n.(*ast.UnaryNode); ok && (u.Operator == "not" || u.Operator == "!") {
		negate, n = true, u.Node
	}
	b, ok := n.(*ast.BinaryNode)
	if !ok {
		return script
	}
	left, right := b.Left, b.Right
	switch b.Operator {
	case "==", "!=":
		if !isIdent(left, "status") {
			left, right = right, left
		}
		code, ok := intLiteral(right)
		if !isIdent(left, "status") || !ok {
			return script
		}
		return Assertion{Kind: CodeEquals, Values: []string{strconv.FormatInt(code, 10)},
			Negate: negate != (b.Operator == "!="), Source: src}
	case "in":
		arr, ok := right.(*ast.ArrayNode)
		if !isIdent(left, "status") || !ok || len(arr.Nodes) == 0 || negate && len(arr.Nodes) > 1 {
			// NOT with OR is "some value differs" in JMeter, not "none
			// equals".
			return script
		}
		a := Assertion{Kind: CodeEquals, Negate: negate, Source: src}
		for _, el := range arr.Nodes {
			code, ok := intLiteral(el)
			if !ok {
				return script
			}
			a.Values = append(a.Values, strconv.FormatInt(code, 10))
		}
		return a
	case "contains":
		s, ok := right.(*ast.StringNode)
		if !isIdent(left, "body") || !ok {
			return script
		}
		return Assertion{Kind: BodyContains, Values: []string{s.Value}, Negate: negate, Source: src}
	case "<", "<=":
		limit, ok := numLiteral(right)
		if negate || !isIdent(left, "duration") || !ok || limit < 1 {
			return script
		}
		// JMeter's elapsed is whole milliseconds and the assertion fails
		// when elapsed > MaxMS.
		max := math.Floor(limit)
		if b.Operator == "<" {
			max = math.Ceil(limit) - 1
		}
		return Assertion{Kind: MaxDuration, MaxMS: int64(max), Source: src}
	}
	return script
}

func isIdent(n ast.Node, name string) bool {
	id, ok := n.(*ast.IdentifierNode)
	return ok && id.Value == name
}

func intLiteral(n ast.Node) (int64, bool) {
	i, ok := n.(*ast.IntegerNode)
	if !ok {
		return 0, false
	}
	return int64(i.Value), true
}

func numLiteral(n ast.Node) (float64, bool) {
	switch v := n.(type) {
	case *ast.IntegerNode:
		return float64(v.Value), true
	case *ast.FloatNode:
		return v.Value, true
	}
	return 0, false
}
