package groovy

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/optimizer"
	"github.com/loadgen/loadgen/planspec"
)

// uses says which environment variables a check reads.
type uses struct{ status, body, json, headers, duration, size, vars bool }

func (u uses) or(o uses) uses {
	return uses{
		status:   u.status || o.status,
		body:     u.body || o.body,
		json:     u.json || o.json,
		headers:  u.headers || o.headers,
		duration: u.duration || o.duration,
		size:     u.size || o.size,
		vars:     u.vars || o.vars,
	}
}

// translation is one translated check.
type translation struct {
	src  string
	code string // lgBool(...)
	used uses
}

// translate compiles src as loadgen does and prints its optimized tree.
func translate(src string) (*translation, error) {
	if _, err := planspec.CompileCheck(src); err != nil {
		return nil, fmt.Errorf("check %q does not compile: %w", src, err)
	}
	// The same steps as expr.Compile, stopping before the bytecode.
	config := conf.CreateNew()
	expr.Env(planspec.CheckEnv{})(config)
	expr.AsBool()(config)
	config.Check()
	tree, err := checker.ParseCheck(src, config)
	if err != nil {
		return nil, fmt.Errorf("check %q does not compile: %w", src, err)
	}
	if config.Optimize {
		if err := optimizer.Optimize(&tree.Node, config); err != nil {
			return nil, fmt.Errorf("check %q does not compile: %w", src, err)
		}
	}
	p := &printer{}
	code, err := p.node(tree.Node)
	if err != nil {
		var u *unsupported
		if errors.As(err, &u) {
			return nil, &UnsupportedError{Expr: src, Construct: u.what}
		}
		return nil, fmt.Errorf("check %q: %w", src, err)
	}
	return &translation{src: src, code: "lgBool(" + code + ")", used: p.used}, nil
}

// unsupported is a printer error naming the construct.
type unsupported struct{ what string }

func (u *unsupported) Error() string { return "unsupported: " + u.what }

func refuse(format string, args ...any) error {
	return &unsupported{what: fmt.Sprintf(format, args...)}
}

// printer prints an optimized, type-checked expr tree as Groovy.
type printer struct {
	chains int // enclosing ChainNodes
	used   uses
}

// identifiers maps the environment variables to their Groovy locals.
var identifiers = map[string]string{
	"status":   "lgStatus",
	"body":     "lgBody",
	"json":     "lgJson",
	"headers":  "lgHeaders",
	"duration": "lgDuration",
	"size":     "lgSize",
}

func (p *printer) use(name string) {
	switch name {
	case "status":
		p.used.status = true
	case "body":
		p.used.body = true
	case "json":
		p.used.json = true
	case "headers":
		p.used.headers = true
	case "duration":
		p.used.duration = true
	case "size":
		p.used.size = true
	case "vars":
		p.used.vars = true
	}
}

// isVars reports whether n is the identifier vars, which has no value of
// its own in the script: JMeter's variables are read key by key.
func isVars(n ast.Node) bool {
	id, ok := n.(*ast.IdentifierNode)
	return ok && id.Value == "vars"
}

func (p *printer) node(n ast.Node) (string, error) {
	switch n := n.(type) {
	case *ast.NilNode:
		return "null", nil
	case *ast.BoolNode:
		return strconv.FormatBool(n.Value), nil
	case *ast.IntegerNode:
		if t := n.Type(); t != nil && (t.Kind() == reflect.Float64 || t.Kind() == reflect.Float32) {
			return floatLit(float64(n.Value)), nil
		}
		return intLit(int64(n.Value)), nil
	case *ast.FloatNode:
		return floatLit(n.Value), nil
	case *ast.StringNode:
		return stringLit(n.Value)
	case *ast.ConstantNode:
		return constant(n.Value)
	case *ast.IdentifierNode:
		if g, ok := identifiers[n.Value]; ok {
			p.use(n.Value)
			return g, nil
		}
		if n.Value == "vars" {
			return "", refuse("the vars map as a value (only vars.NAME, vars[KEY] and KEY in vars)")
		}
		return "", refuse("identifier %q", n.Value)
	case *ast.UnaryNode:
		x, err := p.node(n.Node)
		if err != nil {
			return "", err
		}
		switch n.Operator {
		case "!", "not":
			return "lgNot(" + x + ")", nil
		case "-":
			return "lgNeg(" + x + ")", nil
		case "+":
			return "(" + x + ")", nil
		}
		return "", refuse("operator %q", n.Operator)
	case *ast.BinaryNode:
		return p.binary(n)
	case *ast.ConditionalNode:
		c, err := p.node(n.Cond)
		if err != nil {
			return "", err
		}
		a, err := p.node(n.Exp1)
		if err != nil {
			return "", err
		}
		b, err := p.node(n.Exp2)
		if err != nil {
			return "", err
		}
		return "(lgTB(" + c + ") ? (" + a + ") : (" + b + "))", nil
	case *ast.ChainNode:
		p.chains++
		x, err := p.node(n.Node)
		p.chains--
		if err != nil {
			return "", err
		}
		return "lgChain(" + x + ")", nil
	case *ast.MemberNode:
		return p.member(n)
	case *ast.SliceNode:
		return p.slice(n)
	case *ast.BuiltinNode:
		if n.Name != "len" || len(n.Arguments) != 1 {
			return "", refuse("function %q", n.Name)
		}
		x, err := p.node(n.Arguments[0])
		if err != nil {
			return "", err
		}
		return "lgLen(" + x + ")", nil
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok {
			return "", refuse("function %q", id.Value)
		}
		return "", refuse("method call")
	case *ast.ArrayNode:
		elems, err := p.list(n.Nodes)
		if err != nil {
			return "", err
		}
		return "lgArr(" + elems + ")", nil
	case *ast.MapNode, *ast.PairNode:
		return "", refuse("map literal")
	case *ast.VariableDeclaratorNode:
		return "", refuse("variable declaration (let)")
	case *ast.SequenceNode:
		return "", refuse("expression sequence (;)")
	case *ast.PointerNode, *ast.PredicateNode:
		return "", refuse("predicate")
	case *ast.BytesNode:
		return "", refuse("bytes literal")
	}
	return "", refuse("expression %T", n)
}

// list prints nodes as a Groovy list literal.
func (p *printer) list(nodes []ast.Node) (string, error) {
	parts := make([]string, len(nodes))
	for i, e := range nodes {
		s, err := p.node(e)
		if err != nil {
			return "", err
		}
		parts[i] = s
	}
	return "[" + strings.Join(parts, ", ") + "]", nil
}

// binaryHelpers are the operators that are a plain helper call.
var binaryHelpers = map[string]string{
	"<":          "lgLt",
	">":          "lgGt",
	"<=":         "lgLe",
	">=":         "lgGe",
	"+":          "lgAdd",
	"-":          "lgSub",
	"*":          "lgMul",
	"/":          "lgDiv",
	"%":          "lgMod",
	"**":         "lgPow",
	"^":          "lgPow",
	"contains":   "lgContains",
	"startsWith": "lgStarts",
	"endsWith":   "lgEnds",
}

func (p *printer) binary(n *ast.BinaryNode) (string, error) {
	switch n.Operator {
	case "..":
		return "", refuse(`range (..) outside of "in"`)
	case "in":
		return p.in(n)
	case "matches":
		return p.matches(n)
	}
	l, err := p.node(n.Left)
	if err != nil {
		return "", err
	}
	r, err := p.node(n.Right)
	if err != nil {
		return "", err
	}
	switch n.Operator {
	case "==":
		return equal(n) + "(" + l + ", " + r + ")", nil
	case "!=":
		return "(!" + equal(n) + "(" + l + ", " + r + "))", nil
	}
	if h, ok := binaryHelpers[n.Operator]; ok {
		return h + "(" + l + ", " + r + ")", nil
	}
	switch n.Operator {
	case "and", "&&":
		return "(lgTB(" + l + ") ? (" + r + ") : false)", nil
	case "or", "||":
		return "(lgTB(" + l + ") ? true : (" + r + "))", nil
	case "??":
		return "lgCo(" + l + ", { -> " + r + " })", nil
	}
	return "", refuse("operator %q", n.Operator)
}

// equal is the helper for == and != between the operands of n: like
// expr's compiler, it asserts the operands' types when both are typed int
// or both string (a nil typed string, say from a ?: with a nil branch,
// fails there) and compares dynamically otherwise.
func equal(n *ast.BinaryNode) string {
	l, r := kind(n.Left.Type()), kind(n.Right.Type())
	simple := isSimpleType(n.Left) && isSimpleType(n.Right)
	switch {
	case l == r && l == reflect.Int && simple:
		return "lgEqI"
	case l == r && l == reflect.String && simple:
		return "lgEqS"
	}
	return "lgEq"
}

func kind(t reflect.Type) reflect.Kind {
	if t == nil {
		return reflect.Invalid
	}
	return t.Kind()
}

func isSimpleType(n ast.Node) bool {
	t := n.Type()
	return t != nil && t.PkgPath() == ""
}

func (p *printer) in(n *ast.BinaryNode) (string, error) {
	l, err := p.node(n.Left)
	if err != nil {
		return "", err
	}
	switch r := n.Right.(type) {
	case *ast.IdentifierNode:
		if r.Value == "vars" {
			p.use("vars")
			return "lgInVars(vars, " + l + ")", nil
		}
	case *ast.BinaryNode:
		if r.Operator == ".." {
			a, err := p.node(r.Left)
			if err != nil {
				return "", err
			}
			b, err := p.node(r.Right)
			if err != nil {
				return "", err
			}
			return "lgInR(" + l + ", " + a + ", " + b + ")", nil
		}
	case *ast.ConstantNode:
		// The optimizer's rewrite of x in [literals] into a map lookup.
		switch set := r.Value.(type) {
		case map[string]struct{}:
			keys := make([]string, 0, len(set))
			for k := range set {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			parts := make([]string, len(keys))
			for i, k := range keys {
				s, err := stringLit(k)
				if err != nil {
					return "", err
				}
				parts[i] = s
			}
			return "lgInS(" + l + ", [" + strings.Join(parts, ", ") + "])", nil
		case map[int]struct{}:
			keys := make([]int, 0, len(set))
			for k := range set {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			parts := make([]string, len(keys))
			for i, k := range keys {
				parts[i] = intLit(int64(k))
			}
			return "lgIn(" + l + ", [" + strings.Join(parts, ", ") + "])", nil
		}
	}
	r, err := p.node(n.Right)
	if err != nil {
		return "", err
	}
	return "lgIn(" + l + ", " + r + ")", nil
}

func (p *printer) matches(n *ast.BinaryNode) (string, error) {
	pat, ok := n.Right.(*ast.StringNode)
	if !ok {
		return "", refuse("matches with a pattern that is not a string literal")
	}
	l, err := p.node(n.Left)
	if err != nil {
		return "", err
	}
	re, err := javaRegexp(pat.Value)
	if err != nil {
		return "", refuse("pattern %q: %v", pat.Value, err)
	}
	lit, err := stringLit(re)
	if err != nil {
		return "", err
	}
	return "lgMatch(" + l + ", " + lit + ")", nil
}

func (p *printer) member(n *ast.MemberNode) (string, error) {
	if n.Method {
		return "", refuse("method call")
	}
	k, err := p.node(n.Property)
	if err != nil {
		return "", err
	}
	if isVars(n.Node) {
		p.use("vars")
		return "lgVar(vars, " + k + ")", nil
	}
	b, err := p.node(n.Node)
	if err != nil {
		return "", err
	}
	if n.Optional && p.chains > 0 {
		switch n.Property.(type) {
		case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NilNode:
			return "lgGetO(" + b + ", " + k + ")", nil
		}
		// expr skips the key when the base is nil.
		return "lgGetOL(" + b + ", { -> " + k + " })", nil
	}
	return "lgGet(" + b + ", " + k + ")", nil
}

func (p *printer) slice(n *ast.SliceNode) (string, error) {
	b, err := p.node(n.Node)
	if err != nil {
		return "", err
	}
	to, hasTo := "null", "false"
	if n.To != nil {
		if to, err = p.node(n.To); err != nil {
			return "", err
		}
		hasTo = "true"
	}
	from, hasFrom := "null", "false"
	if n.From != nil {
		if from, err = p.node(n.From); err != nil {
			return "", err
		}
		hasFrom = "true"
	}
	return "lgSlice(" + b + ", " + hasTo + ", " + to + ", " + hasFrom + ", " + from + ")", nil
}

// constant prints a value the optimizer folded.
func constant(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "null", nil
	case bool:
		return strconv.FormatBool(v), nil
	case int:
		return intLit(int64(v)), nil
	case float64:
		return floatLit(v), nil
	case string:
		return stringLit(v)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			s, err := constant(e)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	}
	return "", refuse("constant of type %T", v)
}

// intLit is a Groovy Long literal.
func intLit(v int64) string {
	switch {
	case v == math.MinInt64:
		return "Long.MIN_VALUE"
	case v < 0:
		return "(-(" + strconv.FormatInt(-v, 10) + "L))"
	}
	return strconv.FormatInt(v, 10) + "L"
}

// floatLit is a Groovy Double literal of exactly v. A negative literal is
// a negated positive one: Groovy reads -0.0d as +0.0.
func floatLit(v float64) string {
	switch {
	case math.IsNaN(v):
		return "Double.NaN"
	case math.IsInf(v, 1):
		return "Double.POSITIVE_INFINITY"
	case math.IsInf(v, -1):
		return "Double.NEGATIVE_INFINITY"
	case math.Signbit(v):
		return "(-(" + floatLit(-v) + "))"
	}
	return strconv.FormatFloat(v, 'g', -1, 64) + "d"
}

// stringLit is a single-quoted Groovy string (never interpolated) in plain
// ASCII: anything else is a \uXXXX escape.
func stringLit(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", refuse("string literal that is not valid UTF-8")
	}
	return Quote(s), nil
}

// Quote quotes a valid UTF-8 string as a single-quoted Groovy string (never
// interpolated) in plain ASCII: quotes, backslashes and control characters
// escaped, anything beyond ASCII as \uXXXX escapes.
func Quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\'':
			b.WriteString(`\'`)
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
			case r >= 0x20 && r < 0x7f:
				b.WriteRune(r)
			case r < 0x10000:
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				hi, lo := utf16Pair(r)
				fmt.Fprintf(&b, `\u%04x\u%04x`, hi, lo)
			}
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// utf16Pair is the surrogate pair of a supplementary code point.
func utf16Pair(r rune) (hi, lo rune) {
	r -= 0x10000
	return 0xD800 + (r>>10)&0x3FF, 0xDC00 + r&0x3FF
}
