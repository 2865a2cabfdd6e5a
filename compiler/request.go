package compiler

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/loadgen/loadgen/compiler/groovy"
	"github.com/loadgen/loadgen/planspec"
)

// TargetProperty is the JMeter property (and Java system property, for the
// jmeter-java-dsl project) that overrides the plan's target at run time:
// jmeter -Jtarget=http://host:port, mvn test -Dtarget=http://host:port.
const TargetProperty = "target"

// IsAbsolute reports whether a request URL names its own origin (or is
// wholly templated, which the engine also leaves alone).
func IsAbsolute(u string) bool {
	return strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "${")
}

// JoinTarget joins a relative request URL to the target as the engine does
// (one slash between them). targetRef is what stands for the target in the
// rendering (a JMeter ${__P(target,...)} call, or a Java expression's
// result); the URL itself must already be rendered.
func JoinTarget(targetRef, renderedURL string) string {
	return targetRef + "/" + strings.TrimLeft(renderedURL, "/")
}

// TargetDefault returns the plan's target without a trailing slash, as the
// default of the target property.
func TargetDefault(p *planspec.Plan) string { return strings.TrimRight(p.Target, "/") }

// JSONBody renders a request's json: value as a JMeter string: keys sorted
// (as the engine sends them), template references inside string values
// rendered as JMeter references. Variable, feeder and environment values
// are JSON-escaped when inserted, as the engine does: JMeter has no core
// function for it, so they go through ${__groovy()} with Groovy's
// JsonOutput (built-ins need no escaping: their values are plain).
func JSONBody(v any, scope Scope) (string, error) {
	t := &planspec.Template{}
	escaped := map[int]bool{} // parts inside JSON strings
	lit := func(s string) { t.Parts = append(t.Parts, planspec.Part{Kind: planspec.PartLiteral, Lit: s}) }
	var walk func(v any) error
	walk = func(v any) error {
		switch x := v.(type) {
		case string:
			st, err := planspec.ParseTemplate(x, scope.IsFeeder)
			if err != nil {
				return fmt.Errorf("json string %q: %w", x, err)
			}
			lit(`"`)
			for _, p := range st.Parts {
				if p.Kind == planspec.PartLiteral {
					lit(jsonEscape(p.Lit))
				} else {
					escaped[len(t.Parts)] = true
					t.Parts = append(t.Parts, p)
				}
			}
			lit(`"`)
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			lit("{")
			for i, k := range keys {
				if i > 0 {
					lit(",")
				}
				lit(`"` + jsonEscape(k) + `":`)
				if err := walk(x[k]); err != nil {
					return err
				}
			}
			lit("}")
		case []any:
			lit("[")
			for i, e := range x {
				if i > 0 {
					lit(",")
				}
				if err := walk(e); err != nil {
					return err
				}
			}
			lit("]")
		default:
			b, err := json.Marshal(x)
			if err != nil {
				return fmt.Errorf("json value: %w", err)
			}
			lit(string(b))
		}
		return nil
	}
	if err := walk(v); err != nil {
		return "", err
	}
	return render(t, scope, func(i int, p planspec.Part) (string, bool) {
		if !escaped[i] {
			return "", false
		}
		var value string
		switch p.Kind {
		case planspec.PartVar:
			value = "vars.get(" + groovy.Quote(p.Name) + ")"
		case planspec.PartFeeder:
			value = "vars.get(" + groovy.Quote(FeederVar(p.Name, p.Field)) + ")"
		case planspec.PartEnv:
			value = "props.getProperty(" + groovy.Quote(p.Name) + ", " + groovy.Quote(p.Field) + ")"
		default:
			return "", false
		}
		// toJson quotes the string; [1..-2] drops the quotes.
		return "${__groovy(" + escapeArg("groovy.json.JsonOutput.toJson(String.valueOf("+value+"))[1..-2]") + ")}", true
	}), nil
}

func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// SortedKeys returns a map's keys in order: the order the engine sends
// headers, query and form parameters in.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ThinkTime returns the pause after a step: its own think_time, else the
// scenario's (nil: none).
func ThinkTime(sc *planspec.Scenario, st *planspec.Step) *planspec.ThinkTime {
	if st.ThinkTime != nil {
		return st.ThinkTime
	}
	return sc.ThinkTime
}
