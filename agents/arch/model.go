// Package arch is the architecture analysis step: OpenAPI 3.x and Swagger
// 2.0 documents are parsed deterministically into endpoints with example
// bodies and security schemes; prose (Markdown, text) goes to the model,
// or to keyword heuristics offline, for components, data flows, critical
// workflows and NFR hints. The result is a [Model], the input of scenario
// generation.
//
// [Analyze] builds the model, [Model.Validate] checks one, [Marshal] and
// [WriteFile] write it (byte-identical for the same input; atomically), and
// [JSONSchema] is its JSON Schema. README.md in this package documents
// every field.
package arch

// Schema is the Model document version.
const Schema = "loadgen.architecture/v1"

// Component kinds.
const (
	KindService  = "service"
	KindDatabase = "database"
	KindCache    = "cache"
	KindQueue    = "queue"
	KindGateway  = "gateway"
	KindExternal = "external"
	KindFrontend = "frontend"
)

// ComponentKinds lists the valid Component.Kind values.
var ComponentKinds = []string{KindService, KindDatabase, KindCache, KindQueue, KindGateway, KindExternal, KindFrontend}

// Methods lists the HTTP methods an Endpoint or WorkflowStep may have.
var Methods = []string{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"}

// Model is the architecture model (architecture.json). Its JSON Schema is
// [JSONSchema]; README.md in this package documents it.
type Model struct {
	Schema string `json:"schema" jsonschema:"enum=loadgen.architecture/v1"`
	// Source says where the prose part came from: "offline", "model" or
	// "offline-fallback" (llm.Source*); Provider and ModelID name the model
	// when one was used, Prompt the prompt file it was given. Endpoints and
	// security always come from the OpenAPI documents, never from the model.
	Source   string `json:"source" jsonschema:"enum=offline,enum=model,enum=offline-fallback"`
	Provider string `json:"provider,omitempty"`
	ModelID  string `json:"model_id,omitempty"`
	Prompt   string `json:"prompt,omitempty"`

	// Title and Servers come from the OpenAPI documents (servers[].url with
	// variables set to their defaults, or Swagger's scheme://host/basePath).
	Title   string   `json:"title,omitempty"`
	Servers []string `json:"servers,omitempty"`

	Components     []Component      `json:"components"`
	Endpoints      []Endpoint       `json:"endpoints"`
	Security       []SecurityScheme `json:"security,omitempty"`
	Auth           *Auth            `json:"auth,omitempty"`
	DataFlows      []DataFlow       `json:"dataFlows"`
	Workflows      []Workflow       `json:"workflows"`
	NFRSuggestions NFRSuggestions   `json:"nfrSuggestions"`

	// Documents lists the files read, Warnings what was skipped or could
	// not be parsed (with file and line:col or JSON pointer).
	Documents []string `json:"documents"`
	Warnings  []string `json:"warnings,omitempty"`
}

// Component is a part of the system (a service, a database, a cache, a
// queue, a gateway, an external dependency, a frontend).
type Component struct {
	Name        string `json:"name" jsonschema:"minLength=1,maxLength=200"`
	Kind        string `json:"kind" jsonschema:"enum=service,enum=database,enum=cache,enum=queue,enum=gateway,enum=external,enum=frontend"`
	Description string `json:"description,omitempty"`
}

// Endpoint is one operation of the API.
type Endpoint struct {
	Method      string      `json:"method" jsonschema:"enum=DELETE,enum=GET,enum=HEAD,enum=OPTIONS,enum=PATCH,enum=POST,enum=PUT,enum=TRACE"` // upper case
	Path        string      `json:"path"`                                                                                                     // as in the spec, with {params}
	OperationID string      `json:"operationId,omitempty"`
	Summary     string      `json:"summary,omitempty"`
	Tags        []string    `json:"tags,omitempty"`
	Parameters  []Parameter `json:"parameters,omitempty"`
	RequestBody *Body       `json:"requestBody,omitempty"`
	// Responses are the documented status codes, ascending.
	Responses []int `json:"responses,omitempty"`
	// Security names the schemes the operation needs (empty: public).
	Security []string `json:"security,omitempty"`
	// Source is the document and JSON pointer it came from
	// ("openapi.yaml#/paths/~1api~1cart/post").
	Source string `json:"source,omitempty"`
}

// Parameter is a path, query, header or cookie parameter with an example
// value.
type Parameter struct {
	Name     string `json:"name"`
	In       string `json:"in" jsonschema:"enum=path,enum=query,enum=header,enum=cookie"`
	Required bool   `json:"required,omitempty"`
	Type     string `json:"type,omitempty"`
	Example  any    `json:"example,omitempty"`
}

// Body is a request body: its content type and an example generated from
// its schema (or the spec's own example).
type Body struct {
	ContentType string `json:"contentType"`
	Required    bool   `json:"required,omitempty"`
	Example     any    `json:"example,omitempty"`
}

// SecurityScheme is a security scheme of the spec and how a load test
// obtains its credential.
type SecurityScheme struct {
	Name   string `json:"name"`
	Type   string `json:"type"`             // http, apiKey, oauth2, openIdConnect
	Scheme string `json:"scheme,omitempty"` // bearer, basic (http)
	In     string `json:"in,omitempty"`     // header, query, cookie (apiKey)
	Param  string `json:"param,omitempty"`  // the apiKey's header/query/cookie name
	// HowToObtain says how a test gets the credential: the login endpoint
	// that issues the token, or an environment variable to set.
	HowToObtain string `json:"howToObtain"`
}

// Auth is how a virtual user logs in: the operation that issues a token,
// the body it takes, where the token is in the answer and how later
// requests carry it. Found from the spec (a POST whose 2xx response has a
// token field, on a path like /login or /auth/token).
type Auth struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	// ContentType and Body are the login request's body (an example).
	ContentType string `json:"contentType,omitempty"`
	Body        any    `json:"body,omitempty"`
	// TokenPath is the JSONPath of the token in the response ($.token).
	TokenPath string `json:"tokenPath"`
	// Header and Prefix are how requests carry it (Authorization, "Bearer ").
	Header string `json:"header"`
	Prefix string `json:"prefix,omitempty"`
	// Scheme names the security scheme the token satisfies, if any.
	Scheme string `json:"scheme,omitempty"`
}

// DataFlow is data moving between components: From is the component that
// initiates (calls, sends, writes, reads, publishes), To the one it talks
// to. Both name entries of Model.Components.
type DataFlow struct {
	From        string `json:"from"`
	To          string `json:"to"`
	Description string `json:"description,omitempty"`
}

// Workflow is a critical user journey: endpoints in order.
type Workflow struct {
	Name        string         `json:"name" jsonschema:"minLength=1,maxLength=200"`
	Description string         `json:"description,omitempty"`
	Steps       []WorkflowStep `json:"steps" jsonschema:"minItems=1,maxItems=50"`
	// Critical marks the journeys the documents call critical or
	// business-critical (checkout, payment, purchase...).
	Critical bool `json:"critical,omitempty"`
}

// WorkflowStep is one call of a workflow, in the original tool's
// workflow_apis vocabulary. When the model has endpoints, Endpoint and
// Method name one of them exactly (the path template, "/status/{code}").
type WorkflowStep struct {
	Endpoint string `json:"endpoint"`
	Method   string `json:"method" jsonschema:"enum=DELETE,enum=GET,enum=HEAD,enum=OPTIONS,enum=PATCH,enum=POST,enum=PUT,enum=TRACE"`
	Order    int    `json:"order" jsonschema:"minimum=1"`
}

// NFRSuggestions are requirements the documents state or imply, in the
// NFR file's vocabulary (values as written there: "500ms", "200rps",
// "99.9%", "1%"; see results.ParseNFR). Empty fields: nothing found.
type NFRSuggestions struct {
	ResponseTimeP50    string `json:"response_time_p50,omitempty"`
	ResponseTimeP90    string `json:"response_time_p90,omitempty"`
	ResponseTimeP95    string `json:"response_time_p95,omitempty"`
	ResponseTimeP99    string `json:"response_time_p99,omitempty"`
	ResponseTimeAvg    string `json:"response_time_avg,omitempty"`
	ResponseTimeMax    string `json:"response_time_max,omitempty"`
	Throughput         string `json:"throughput,omitempty"`
	Availability       string `json:"availability,omitempty"`
	ErrorRate          string `json:"error_rate,omitempty"`
	MaxConcurrentUsers int    `json:"max_concurrent_users,omitempty" jsonschema:"minimum=0"`
	// Notes are the sentences the suggestions were read from.
	Notes []string `json:"notes,omitempty"`
}
