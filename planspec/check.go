package planspec

import (
	"errors"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// CheckEnv is the environment check expressions are compiled against and
// run with: expr.Run(program, CheckEnv{...}).
type CheckEnv struct {
	Status   int               `expr:"status"`   // HTTP status code; 0 when there was no response
	Body     string            `expr:"body"`     // response body
	JSON     any               `expr:"json"`     // body parsed as JSON; nil when it is not JSON
	Headers  map[string]string `expr:"headers"`  // response headers, canonical keys
	Duration float64           `expr:"duration"` // http_req_duration in milliseconds
	Size     int               `expr:"size"`     // body size in bytes
	Vars     map[string]string `expr:"vars"`     // the iteration's variables
}

// CompileCheck compiles a check expression against [CheckEnv]; the program
// returns a bool.
func CompileCheck(src string) (*vm.Program, error) {
	if strings.TrimSpace(src) == "" {
		return nil, errors.New("check expression is empty")
	}
	return expr.Compile(src, expr.Env(CheckEnv{}), expr.AsBool())
}

// firstLine returns the first line of an error message: expr errors carry a
// source snippet on the following lines.
func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// CheckNeeds says which parts of [CheckEnv] a set of check expressions
// reads, so the engine builds only those (parsing the body as JSON only
// when JSON is needed, copying headers only when Headers is).
type CheckNeeds struct {
	Status, Body, JSON, Headers, Duration, Size, Vars bool
}

// Any reports whether anything is needed.
func (n CheckNeeds) Any() bool {
	return n.Status || n.Body || n.JSON || n.Headers || n.Duration || n.Size || n.Vars
}

// Or returns what either n or o needs: the needs of a step's checks
// together.
func (n CheckNeeds) Or(o CheckNeeds) CheckNeeds {
	return CheckNeeds{
		Status:   n.Status || o.Status,
		Body:     n.Body || o.Body,
		JSON:     n.JSON || o.JSON,
		Headers:  n.Headers || o.Headers,
		Duration: n.Duration || o.Duration,
		Size:     n.Size || o.Size,
		Vars:     n.Vars || o.Vars,
	}
}

// allNeeds is what an expression that reads the environment as a whole ($env)
// needs.
var allNeeds = CheckNeeds{true, true, true, true, true, true, true}

// CheckUses parses a check expression with expr's parser and reports which
// environment variables it references. It over-approximates, never
// under: a name shadowed by a let binding counts as used, and `$env`
// (the whole environment) needs everything. It returns the parse error of
// an expression that does not parse; CompileCheck remains the full check.
func CheckUses(src string) (CheckNeeds, error) {
	if strings.TrimSpace(src) == "" {
		return CheckNeeds{}, errors.New("check expression is empty")
	}
	tree, err := parser.Parse(src)
	if err != nil {
		return CheckNeeds{}, err
	}
	var v needsVisitor
	ast.Walk(&tree.Node, &v)
	return v.needs, nil
}

// needsVisitor collects the environment identifiers of an expression.
type needsVisitor struct{ needs CheckNeeds }

// Visit implements ast.Visitor.
func (v *needsVisitor) Visit(node *ast.Node) {
	id, ok := (*node).(*ast.IdentifierNode)
	if !ok {
		return
	}
	switch id.Value {
	case "status":
		v.needs.Status = true
	case "body":
		v.needs.Body = true
	case "json":
		v.needs.JSON = true
	case "headers":
		v.needs.Headers = true
	case "duration":
		v.needs.Duration = true
	case "size":
		v.needs.Size = true
	case "vars":
		v.needs.Vars = true
	case "$env":
		v.needs = allNeeds
	}
}
