package arch

import (
	"encoding/json"
	"reflect"
	"slices"
	"sync"

	"github.com/invopop/jsonschema"
)

// JSONSchema returns the JSON Schema (draft 2020-12) of Model, the
// architecture.json document. README.md in this package explains it.
func JSONSchema() []byte { return slices.Clone(modelSchema()) }

var modelSchema = sync.OnceValue(func() []byte {
	r := &jsonschema.Reflector{Anonymous: true, ExpandedStruct: true, LookupComment: describe}
	s := r.Reflect(&Model{})
	s.Title = "loadgen architecture model (" + Schema + ")"
	return mustMarshal(s)
})

// proseSchema is the JSON Schema of the model's answer (the tool input):
// the prose part only, inlined, as providers take tool schemas.
var proseSchema = sync.OnceValue(func() []byte {
	r := &jsonschema.Reflector{Anonymous: true, ExpandedStruct: true, DoNotReference: true, LookupComment: describe}
	s := r.Reflect(&proseAnswer{})
	s.Version = "" // providers take a bare object schema
	s.Description = "The architecture read from the documents: components, data flows between them, critical workflows as ordered calls of the given endpoints, and NFR suggestions."
	return mustMarshal(s)
})

func mustMarshal(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic("arch: encoding a JSON Schema: " + err.Error()) // static types: a programming error
	}
	return append(b, '\n')
}

// describe gives the schema's descriptions, keyed by "Type.Field".
func describe(t reflect.Type, field string) string {
	key := t.Name()
	if field != "" {
		key += "." + field
	}
	return descriptions[key]
}

var descriptions = map[string]string{
	"Model":                "The architecture model: endpoints and security from OpenAPI/Swagger documents, components, data flows, workflows and NFR suggestions from prose.",
	"Model.Schema":         "Document version: " + Schema + ".",
	"Model.Source":         "Where the prose part came from: offline (keyword heuristics), model (a validated model answer) or offline-fallback (the model failed or never validated; the heuristics' result is used and a warning says why).",
	"Model.Provider":       "The model provider used (bedrock, anthropic), if any.",
	"Model.ModelID":        "The model id used, if any.",
	"Model.Prompt":         "The prompt file the model was given (architecture.v1.md), if any.",
	"Model.Title":          "The API title of the first OpenAPI document.",
	"Model.Servers":        "Server URLs of the OpenAPI documents, variables set to their defaults.",
	"Model.Components":     "Parts of the system, sorted by name.",
	"Model.Endpoints":      "Every operation of the OpenAPI documents, sorted by path then method. Never from the model.",
	"Model.Security":       "Security schemes of the OpenAPI documents, sorted by name, with how a test obtains each credential.",
	"Model.Auth":           "How a virtual user logs in, when the documents have a login operation.",
	"Model.DataFlows":      "Data moving between components, sorted by from then to.",
	"Model.Workflows":      "Critical user journeys as ordered endpoint calls, most important first.",
	"Model.NFRSuggestions": "Non-functional requirements stated or implied by the documents, in the NFR file's vocabulary.",
	"Model.Documents":      "The files used, as named in warnings and sources.",
	"Model.Warnings":       "Files skipped and problems found (file:line:col, JSON pointer), and model fallbacks.",

	"Component":             "A part of the system.",
	"Component.Name":        "Unique name, e.g. \"Cart Service\", \"PostgreSQL\".",
	"Component.Kind":        "service, database, cache, queue, gateway, external or frontend.",
	"Component.Description": "What it does, in one sentence.",

	"Endpoint":             "One operation of the API.",
	"Endpoint.Method":      "HTTP method, upper case.",
	"Endpoint.Path":        "Path template as in the spec, e.g. /status/{code}.",
	"Endpoint.Parameters":  "Path, query, header and cookie parameters with example values.",
	"Endpoint.RequestBody": "The request body's media type and an example.",
	"Endpoint.Responses":   "Documented status codes, ascending.",
	"Endpoint.Security":    "Names of the security schemes the operation needs; empty when public.",
	"Endpoint.Source":      "Document and JSON pointer of the operation.",

	"Parameter":                  "A parameter with an example value.",
	"Parameter.In":               "path, query, header or cookie.",
	"Parameter.Type":             "The schema type (string, integer, number, boolean, array, object).",
	"Parameter.Example":          "The spec's example, default or first enum value, else one generated from the schema.",
	"Body":                       "A request body.",
	"Body.ContentType":           "The media type chosen (JSON first).",
	"Body.Example":               "The spec's example, else one generated from the schema.",
	"SecurityScheme":             "A security scheme and how a load test obtains its credential.",
	"SecurityScheme.Type":        "http, apiKey, oauth2, openIdConnect or mutualTLS.",
	"SecurityScheme.Scheme":      "For http: bearer, basic...",
	"SecurityScheme.In":          "For apiKey: header, query or cookie.",
	"SecurityScheme.Param":       "For apiKey: the header, query parameter or cookie name.",
	"SecurityScheme.HowToObtain": "How a test gets the credential: the login operation or an environment variable to set.",

	"Auth":             "How a virtual user logs in.",
	"Auth.Method":      "The login operation's method (POST).",
	"Auth.Path":        "The login operation's path.",
	"Auth.ContentType": "The login body's media type.",
	"Auth.Body":        "An example login body.",
	"Auth.TokenPath":   "JSONPath of the token in the login response, e.g. $.token.",
	"Auth.Header":      "The request header that carries the token.",
	"Auth.Prefix":      "The text before the token in that header, e.g. \"Bearer \".",
	"Auth.Scheme":      "The security scheme the token satisfies.",

	"DataFlow":             "Data moving between two components.",
	"DataFlow.From":        "The component that initiates (calls, sends, writes, reads, publishes); a name in components.",
	"DataFlow.To":          "The component it talks to; a name in components.",
	"DataFlow.Description": "What moves, in one sentence.",

	"Workflow":              "A critical user journey.",
	"Workflow.Name":         "Unique, short, lower-case-hyphenated name, e.g. checkout.",
	"Workflow.Description":  "What the user does.",
	"Workflow.Steps":        "The calls in order.",
	"Workflow.Critical":     "True for journeys the documents call critical or business-critical (checkout, payment...).",
	"WorkflowStep":          "One call of a workflow.",
	"WorkflowStep.Endpoint": "The path template of one of the endpoints, e.g. /api/cart.",
	"WorkflowStep.Method":   "The HTTP method of that endpoint.",
	"WorkflowStep.Order":    "1 for the first step, then 2, 3...",

	"NFRSuggestions":                    "Requirements in the NFR file's vocabulary; leave a field out when the documents say nothing about it.",
	"NFRSuggestions.ResponseTimeP50":    "Median response time, at most, e.g. 200ms.",
	"NFRSuggestions.ResponseTimeP90":    "90th percentile response time, at most, e.g. 400ms.",
	"NFRSuggestions.ResponseTimeP95":    "95th percentile response time, at most, e.g. 500ms (units us, ms, s).",
	"NFRSuggestions.ResponseTimeP99":    "99th percentile response time, at most, e.g. 1s.",
	"NFRSuggestions.ResponseTimeAvg":    "Mean response time, at most.",
	"NFRSuggestions.ResponseTimeMax":    "Maximum response time, at most.",
	"NFRSuggestions.Throughput":         "Throughput, at least, e.g. 200rps or 3000/min.",
	"NFRSuggestions.Availability":       "Share of successful requests, at least, e.g. 99.9%.",
	"NFRSuggestions.ErrorRate":          "Share of failed requests, at most, e.g. 1%.",
	"NFRSuggestions.MaxConcurrentUsers": "Peak concurrent users the documents state.",
	"NFRSuggestions.Notes":              "The sentences the suggestions come from.",
}
