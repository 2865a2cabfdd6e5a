package compiler

import (
	"regexp"

	"go.yaml.in/yaml/v3"

	"github.com/loadgen/loadgen/planspec"
)

// VarTemplates returns the plan's vars as templates to export: each var's
// text as the plan's source writes it, with its ${env.NAME} and
// ${env.NAME:-default} references kept as references and everything else
// literal, as the engine takes a var. Parsing has already replaced those
// references by the exporting machine's environment (an API key, say),
// which must not end up in an exported test plan. Without a source (an
// in-memory plan) the parsed values are used as literals.
func VarTemplates(p *planspec.Plan) map[string]*planspec.Template {
	raw := rawVars(p)
	out := make(map[string]*planspec.Template, len(p.Vars))
	for name, val := range p.Vars {
		if r, ok := raw[name]; ok {
			val = r
		}
		out[name] = envTemplate(val)
	}
	return out
}

var envRef = regexp.MustCompile(`\$\{env\.([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}`)

// envTemplate splits a var's text into literal parts and env references.
func envTemplate(val string) *planspec.Template {
	t := &planspec.Template{Src: val}
	for val != "" {
		loc := envRef.FindStringSubmatchIndex(val)
		if loc == nil {
			t.Parts = append(t.Parts, planspec.Part{Kind: planspec.PartLiteral, Lit: val})
			break
		}
		if loc[0] > 0 {
			t.Parts = append(t.Parts, planspec.Part{Kind: planspec.PartLiteral, Lit: val[:loc[0]]})
		}
		part := planspec.Part{Kind: planspec.PartEnv, Name: val[loc[2]:loc[3]]}
		if loc[4] >= 0 {
			part.Field, part.HasDefault = val[loc[4]:loc[5]], true
		}
		t.Parts = append(t.Parts, part)
		val = val[loc[1]:]
	}
	return t
}

// rawVars reads the vars mapping from the plan's source.
func rawVars(p *planspec.Plan) map[string]string {
	var doc struct {
		Vars map[string]string `yaml:"vars"`
	}
	if len(p.Source) == 0 || yaml.Unmarshal(p.Source, &doc) != nil {
		return nil
	}
	return doc.Vars
}
