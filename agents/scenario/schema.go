package scenario

import (
	"bytes"
	"encoding/json"
	"sync"

	"github.com/invopop/jsonschema"
)

// answer is what the model returns through its tool: the scenarios only;
// everything else of the Set is filled in by Generate.
type answer struct {
	Scenarios []Scenario `json:"scenarios" jsonschema:"required,minItems=1"`
}

// JSONSchema returns the JSON Schema (draft 2020-12) of a Set
// (scenarios.json), indented. Validate checks what the schema cannot.
func JSONSchema() []byte { return bytes.Clone(setSchema()) }

// AnswerSchema returns the JSON Schema of the model's answer: an object
// with the scenarios. It is the input schema of the tool the model is
// forced to call.
func AnswerSchema() json.RawMessage { return bytes.Clone(answerSchema()) }

var (
	setSchema = sync.OnceValue(func() []byte {
		return reflectSchema(&Set{}, "loadgen scenarios", "Load-test scenarios derived from an architecture model, a workflow and NFRs (loadgen.scenarios/v1).")
	})
	answerSchema = sync.OnceValue(func() []byte {
		return reflectSchema(&answer{}, "scenario_set", "The scenarios: one per requested type, each with its load shape, think time, steps, test data and thresholds.")
	})
)

// reflectSchema is the schema of v's type with every definition inlined
// (the types are not recursive), so that the root is an object schema, as
// model tools require.
func reflectSchema(v any, title, desc string) []byte {
	r := &jsonschema.Reflector{
		RequiredFromJSONSchemaTags: true,
		ExpandedStruct:             true,
		DoNotReference:             true,
	}
	s := r.Reflect(v)
	s.ID = ""
	s.Title = title
	s.Description = desc
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		panic("scenario: encoding a schema: " + err.Error())
	}
	return buf.Bytes()
}
