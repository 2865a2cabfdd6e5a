package compiler

import (
	"fmt"
	"strings"

	"github.com/loadgen/loadgen/planspec"
)

// Warning is something of the plan that the JMeter rendering cannot express
// exactly. Exporters print warnings and list them at the top of what they
// write; nothing is dropped silently.
type Warning struct {
	// Where is a JSON pointer into the plan ("/scenarios/0/steps/1/check/0").
	Where string
	Msg   string
}

func (w Warning) String() string {
	if w.Where == "" {
		return w.Msg
	}
	return w.Where + ": " + w.Msg
}

// Warnings collects warnings while a plan is exported.
type Warnings struct{ List []Warning }

// Add records a warning at a JSON pointer.
func (w *Warnings) Add(where, format string, args ...any) {
	w.List = append(w.List, Warning{Where: where, Msg: fmt.Sprintf(format, args...)})
}

// Scope says what a template is rendered for.
type Scope struct {
	// ThreadGroup is the JMeter thread group name (for ${__iter}, which
	// becomes JMeter's loop index variable __jm__<name>__idx).
	ThreadGroup string
	// Env renders ${env.NAME} and ${env.NAME:-default}. The default,
	// [PropertyEnv], reads a JMeter property of the same name.
	Env func(name, def string, hasDefault bool) string
	// IsFeeder tells feeder names from variables (Plan.IsFeeder).
	IsFeeder func(name string) bool
}

// PropertyEnv renders an environment reference as the JMeter property of
// the same name: ${__P(NAME,default)}. JMeter has no core function that
// reads the environment, so users pass -JNAME=value (or -DNAME=value to a
// jmeter-java-dsl project). A reference without a default gets an empty one
// (a bare ${__P(NAME)} would read "1" when the property is unset).
func PropertyEnv(name, def string, _ bool) string {
	return "${__P(" + escapeArg(name) + "," + escapeArg(def) + ")}"
}

// JMeterString renders a plan template as a JMeter string with the same
// meaning:
//
//	${name}, ${feeder.column}  → ${name}, ${feeder.column} (JMeter variables;
//	                             CSV Data Set variables are named feeder.column)
//	${env.NAME:-default}       → ${__P(NAME,default)} (see [PropertyEnv])
//	${__vu}                    → ${__threadNum}
//	${__iter}                  → ${__jm__<thread group>__idx}
//	${__uuid}                  → ${__UUID()}
//	${__timestamp}             → ${__time()}
//	${__randInt(a,b)}          → ${__Random(a,b)}
//
// JMeter processes backslash escapes in any string that holds a function or
// variable, so literal text is escaped then: "\" becomes "\\" and a literal
// "${" becomes "${__char(36)}{" (a string with only a literal "${" is made
// such a string by that function, so the escape is always applied).
func JMeterString(src string, scope Scope) (string, error) {
	t, err := planspec.ParseTemplate(src, scope.IsFeeder)
	if err != nil {
		return "", err
	}
	return RenderTemplate(t, scope), nil
}

// RenderTemplate is [JMeterString] for a parsed template.
func RenderTemplate(t *planspec.Template, scope Scope) string { return render(t, scope, nil) }

// render renders t; ref, when not nil, may render a reference part itself
// (returning ok).
func render(t *planspec.Template, scope Scope, ref func(i int, p planspec.Part) (string, bool)) string {
	compiled := false
	for _, p := range t.Parts {
		if p.Kind != planspec.PartLiteral || strings.Contains(p.Lit, "${") {
			compiled = true
			break
		}
	}
	if !compiled {
		var b strings.Builder
		for _, p := range t.Parts {
			b.WriteString(p.Lit)
		}
		return b.String()
	}
	env := scope.Env
	if env == nil {
		env = PropertyEnv
	}
	var b strings.Builder
	for i, p := range t.Parts {
		if ref != nil && p.Kind != planspec.PartLiteral {
			if s, ok := ref(i, p); ok {
				b.WriteString(s)
				continue
			}
		}
		switch p.Kind {
		case planspec.PartLiteral:
			lit := strings.ReplaceAll(p.Lit, `\`, `\\`)
			b.WriteString(strings.ReplaceAll(lit, "${", "${__char(36)}{"))
		case planspec.PartVar:
			b.WriteString("${" + p.Name + "}")
		case planspec.PartFeeder:
			b.WriteString("${" + FeederVar(p.Name, p.Field) + "}")
		case planspec.PartEnv:
			b.WriteString(env(p.Name, p.Field, p.HasDefault))
		case planspec.PartBuiltin:
			b.WriteString(builtin(p, scope))
		}
	}
	return b.String()
}

// FeederVar is the JMeter variable a CSV Data Set sets for a feeder column.
func FeederVar(feeder, column string) string { return feeder + "." + column }

func builtin(p planspec.Part, scope Scope) string {
	switch p.Name {
	case planspec.BuiltinVU:
		return "${__threadNum}"
	case planspec.BuiltinIter:
		return "${__jm__" + scope.ThreadGroup + "__idx}"
	case planspec.BuiltinUUID:
		return "${__UUID()}"
	case planspec.BuiltinTimestamp:
		return "${__time()}"
	case planspec.BuiltinRandInt:
		return fmt.Sprintf("${__Random(%d,%d)}", p.Min, p.Max)
	}
	panic("compiler: unknown built-in " + p.Name)
}

// escapeArg escapes a JMeter function argument: "\" and "," are written
// "\\" and "\,".
func escapeArg(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return strings.ReplaceAll(s, ",", `\,`)
}

// JMeterLiteral renders literal text (no plan references) as a JMeter
// string that JMeter reads back unchanged: a "${" in it is escaped so that
// JMeter does not take it for a variable or function.
func JMeterLiteral(s string) string {
	return RenderTemplate(&planspec.Template{Parts: []planspec.Part{{Kind: planspec.PartLiteral, Lit: s}}}, Scope{})
}
