package planspec

import (
	"errors"
	"strings"

	"github.com/expr-lang/expr"
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
