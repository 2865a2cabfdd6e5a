// Package scenario is the scenario generation step: from the architecture
// model ([arch.Model]), the workflow to exercise (the original tool's
// workflow_apis), the NFRs (response_time_p95, throughput, availability,
// error_rate) and the scenario types asked for (load, stress, spike,
// endurance, scalability), it designs one scenario per type: a load shape
// in k6 executor terms derived from the NFRs, think time, the steps of the
// user journey (bodies, path parameters, login and bearer token taken from
// the model), test-data needs and thresholds.
//
// Offline, the shapes follow fixed formulas (README.md in this package
// documents them); with a model ([llm.Provider]) Claude refines the offline
// draft, and its answer is validated (strict decoding and [Validate]) with
// repairs, or dropped for the offline result with source
// "offline-fallback". The result is a [Set] (scenarios.json), the input of
// plan generation (package agents/plangen).
package scenario

import "github.com/loadgen/loadgen/agents/arch"

// Schema is the Set document version.
const Schema = "loadgen.scenarios/v1"

// Scenario types, as the original tool named them. "breakpoint" is
// accepted as another name of scalability.
const (
	TypeLoad        = "load"
	TypeStress      = "stress"
	TypeSpike       = "spike"
	TypeEndurance   = "endurance"
	TypeScalability = "scalability"
)

// Types lists every scenario type, in the order scenarios are generated.
var Types = []string{TypeLoad, TypeStress, TypeSpike, TypeEndurance, TypeScalability}

// Step.Auth values: the role a step plays in authentication.
const (
	AuthLogin  = "login"   // the step logs in and extracts the token
	AuthBearer = "bearer"  // the step sends the extracted token
	AuthAPIKey = "api-key" // the step sends a credential read from the environment
)

// Set is the scenario document (scenarios.json). Its JSON Schema is
// [JSONSchema].
type Set struct {
	Schema string `json:"schema" jsonschema:"required,enum=loadgen.scenarios/v1"`
	// Source is "offline", "model" or "offline-fallback" (llm.Source*);
	// Provider and ModelID name the model when one was asked (also for a
	// fallback), Prompt the prompt file and Attempts the calls made.
	Source   string `json:"source" jsonschema:"required,enum=offline,enum=model,enum=offline-fallback"`
	Provider string `json:"provider,omitempty"`
	ModelID  string `json:"model_id,omitempty"`
	Prompt   string `json:"prompt,omitempty"`
	Attempts int    `json:"attempts,omitempty"`
	// Title is the architecture model's title.
	Title string `json:"title,omitempty"`
	// Inputs echoes what the scenarios were derived from.
	Inputs    Inputs     `json:"inputs" jsonschema:"required"`
	Scenarios []Scenario `json:"scenarios" jsonschema:"required,minItems=1"`
	// Warnings are what was guessed, skipped or fell back, one per line.
	Warnings []string `json:"warnings,omitempty"`
}

// Inputs are the step's inputs as resolved: the workflow in order, the
// NFRs with where each value came from, the scenario types and the
// duration scaling.
type Inputs struct {
	// WorkflowAPIs is the workflow exercised, ordered by Order.
	WorkflowAPIs []arch.WorkflowStep `json:"workflow_apis" jsonschema:"required"`
	// Workflow says where it came from: "workflow_apis", `model workflow
	// "NAME"` or "derived from endpoints".
	Workflow      string   `json:"workflow" jsonschema:"required"`
	NFRs          NFRs     `json:"nfrs" jsonschema:"required"`
	ScenarioTypes []string `json:"scenario_types" jsonschema:"required"`
	// DurationScale and Short are Options.DurationScale and Options.Short
	// (as a duration string) when set.
	DurationScale float64 `json:"duration_scale,omitempty"`
	Short         string  `json:"short,omitempty"`
}

// NFRs are the requirements the shapes and thresholds derive from, in the
// NFR file's vocabulary, with their values parsed.
type NFRs struct {
	ResponseTimeP95    string `json:"response_time_p95" jsonschema:"required"`
	ResponseTimeP99    string `json:"response_time_p99,omitempty"`
	Throughput         string `json:"throughput" jsonschema:"required"`
	Availability       string `json:"availability,omitempty"`
	ErrorRate          string `json:"error_rate" jsonschema:"required"`
	MaxConcurrentUsers int    `json:"max_concurrent_users,omitempty"`

	// P95Ms and P99Ms are the response-time targets in milliseconds (P99Ms
	// 0: none), RPS the throughput in requests per second, ErrorBudget the
	// share of requests allowed to fail (0..1): the smaller of error_rate
	// and 100 % − availability.
	P95Ms       float64 `json:"p95_ms" jsonschema:"required"`
	P99Ms       float64 `json:"p99_ms,omitempty"`
	RPS         float64 `json:"rps" jsonschema:"required"`
	ErrorBudget float64 `json:"error_budget" jsonschema:"required"`

	// Origin says where each key's value came from: "nfr-file",
	// "architecture", "default", or "derived from max_concurrent_users".
	Origin map[string]string `json:"origin" jsonschema:"required"`
	// Labels are per-step response-time requirements of the NFR file.
	Labels []LabelNFR `json:"labels,omitempty"`
}

// LabelNFR is a per-label response-time requirement of the NFR file
// ("labels: {login: {response_time_p95: 300ms}}").
type LabelNFR struct {
	Label  string  `json:"label"`
	Key    string  `json:"key"`
	Target string  `json:"target"`
	Ms     float64 `json:"ms"`
}

// Scenario is one test: a type, a load shape, the journey each iteration
// runs and the thresholds that decide pass or fail.
type Scenario struct {
	// Name is unique within the set, made of letters, digits, '-', '_'
	// and '.'; plan files are named after it ("load.yaml").
	Name        string `json:"name" jsonschema:"required"`
	Type        string `json:"type" jsonschema:"required,enum=load,enum=stress,enum=spike,enum=endurance,enum=scalability"`
	Description string `json:"description" jsonschema:"required"`
	Shape       Shape  `json:"shape" jsonschema:"required"`
	// ThinkTime is the pause between steps (none when nil).
	ThinkTime *ThinkTime `json:"think_time,omitempty"`
	// Steps run in order, once per iteration.
	Steps []Step `json:"steps" jsonschema:"required,minItems=1"`
	// TestData are the CSV feeders the steps read (${users.user}).
	TestData   []DataNeed  `json:"test_data,omitempty"`
	Thresholds []Threshold `json:"thresholds" jsonschema:"required,minItems=1"`
}

// Shape is a load shape in k6 executor terms: the executor and the
// parameters it takes (planspec's executor table). Durations are Go
// duration strings ("1m30s"); rates are iterations per TimeUnit (an
// iteration runs every step once).
type Shape struct {
	Executor string `json:"executor" jsonschema:"required,enum=constant-vus,enum=ramping-vus,enum=per-vu-iterations,enum=shared-iterations,enum=constant-arrival-rate,enum=ramping-arrival-rate"`
	// Summary describes the shape in words.
	Summary         string  `json:"summary,omitempty"`
	Rate            float64 `json:"rate,omitempty"`
	StartRate       float64 `json:"start_rate,omitempty"`
	TimeUnit        string  `json:"time_unit,omitempty"`
	Stages          []Stage `json:"stages,omitempty"`
	VUs             int     `json:"vus,omitempty"`
	StartVUs        int     `json:"start_vus,omitempty"`
	Iterations      int     `json:"iterations,omitempty"`
	Duration        string  `json:"duration,omitempty"`
	MaxDuration     string  `json:"max_duration,omitempty"`
	PreAllocatedVUs int     `json:"pre_allocated_vus,omitempty"`
	MaxVUs          int     `json:"max_vus,omitempty"`
	GracefulStop    string  `json:"graceful_stop,omitempty"`
	// PeakRPS is the request rate at the peak of the shape (iteration rate
	// × requests per iteration), for readers; validation recomputes it.
	PeakRPS float64 `json:"peak_rps,omitempty"`
}

// Stage is one linear segment of a ramping shape: over Duration the rate
// (or VU count) moves to Target.
type Stage struct {
	Duration string  `json:"duration" jsonschema:"required"`
	Target   float64 `json:"target" jsonschema:"required"`
}

// ThinkTime is a pause between steps, uniform in [Min, Max].
type ThinkTime struct {
	Min string `json:"min" jsonschema:"required"`
	Max string `json:"max" jsonschema:"required"`
}

// Step is one request of the journey. Strings (URL, header values, string
// leaves of Body) are plan templates: ${token} is a value extracted by an
// earlier step, ${users.user} a test-data column, ${__uuid} a built-in.
type Step struct {
	// Name is the step's label in results, unique within the scenario.
	Name   string `json:"name" jsonschema:"required"`
	Method string `json:"method" jsonschema:"required"`
	// Path is the endpoint's path as in the model ("/api/orders/{id}");
	// URL is what is requested: the path with parameters filled in and
	// the query string, relative to the plan's target.
	Path    string            `json:"path" jsonschema:"required"`
	URL     string            `json:"url" jsonschema:"required"`
	Headers map[string]string `json:"headers,omitempty"`
	// ContentType is the body's media type; Body the example body (JSON
	// value; a string for non-JSON types, a map for forms).
	ContentType string `json:"content_type,omitempty"`
	Body        any    `json:"body,omitempty"`
	// Auth is the step's role in authentication: "login" (issues the
	// token, which Extract takes), "bearer" (sends it), "api-key" (sends a
	// credential from the environment) or "".
	Auth string `json:"auth,omitempty" jsonschema:"enum=,enum=login,enum=bearer,enum=api-key"`
	// Checks are expr-lang expressions that must all hold ("status == 200").
	Checks  []string           `json:"checks" jsonschema:"required,minItems=1"`
	Extract map[string]Extract `json:"extract,omitempty"`
	// StopOnFailure ends the iteration when the step fails (a login whose
	// token later steps need).
	StopOnFailure bool `json:"stop_on_failure,omitempty"`
	// Note says what was guessed about the step.
	Note string `json:"note,omitempty"`
}

// Extract takes one value out of a response: exactly one of JSON (a
// JSONPath such as $.token), Header or Regex (with its capture Group).
type Extract struct {
	JSON   string `json:"json,omitempty"`
	Header string `json:"header,omitempty"`
	Regex  string `json:"regex,omitempty"`
	Group  int    `json:"group,omitempty"`
}

// DataNeed is test data the steps read: a CSV feeder with its columns, the
// placeholder rows generated offline, and what real data it stands for.
type DataNeed struct {
	// Name is the feeder name (${Name.column}); File the CSV file name.
	Name        string     `json:"name" jsonschema:"required"`
	File        string     `json:"file" jsonschema:"required"`
	Columns     []string   `json:"columns" jsonschema:"required,minItems=1"`
	Rows        [][]string `json:"rows" jsonschema:"required,minItems=1"`
	Description string     `json:"description" jsonschema:"required"`
}

// Threshold is one pass/fail criterion in the plan's k6 grammar: Metric is
// the threshold key ("http_req_duration", "http_req_duration{step:login}"),
// Expr the expression ("p(95) < 500"). AbortOnFail stops the run as soon as
// it fails, after DelayAbortEval. Why names the NFR it comes from.
type Threshold struct {
	Metric         string `json:"metric" jsonschema:"required"`
	Expr           string `json:"expr" jsonschema:"required"`
	AbortOnFail    bool   `json:"abort_on_fail,omitempty"`
	DelayAbortEval string `json:"delay_abort_eval,omitempty"`
	Why            string `json:"why,omitempty"`
}
