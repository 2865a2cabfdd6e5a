// Package planspec defines the YAML load-test plan (format v1): its types,
// parsing with source positions, defaults, validation and JSON Schema.
//
// The contract is PLAN_FORMAT.md. A plan is parsed with [Parse] or
// [ParseFile]; both return a fully defaulted, validated *Plan or an
// [ErrorList] whose entries carry file:line:col positions.
package planspec

import (
	"time"

	"github.com/expr-lang/expr/vm"
)

// Executor names, as users write them (k6 vocabulary).
const (
	ConstantVUs         = "constant-vus"
	RampingVUs          = "ramping-vus"
	PerVUIterations     = "per-vu-iterations"
	SharedIterations    = "shared-iterations"
	ConstantArrivalRate = "constant-arrival-rate"
	RampingArrivalRate  = "ramping-arrival-rate"
)

// Executors lists every executor name in documentation order.
var Executors = []string{ConstantVUs, RampingVUs, PerVUIterations, SharedIterations, ConstantArrivalRate, RampingArrivalRate}

// IsArrivalRate reports whether the executor schedules iterations from an
// arrival process (open model) rather than from VU loops (closed model).
func IsArrivalRate(executor string) bool {
	return executor == ConstantArrivalRate || executor == RampingArrivalRate
}

// Plan is a parsed, defaulted and validated plan.
type Plan struct {
	Version    int                     `yaml:"version" json:"version" jsonschema:"required,enum=1"`
	Name       string                  `yaml:"name" json:"name" jsonschema:"required,minLength=1"`
	Target     string                  `yaml:"target,omitempty" json:"target,omitempty" jsonschema:"description=base URL for relative request URLs"`
	Vars       map[string]string       `yaml:"vars,omitempty" json:"vars,omitempty"`
	HTTP       HTTPConfig              `yaml:"http,omitempty" json:"http,omitempty"`
	Data       map[string]Feeder       `yaml:"data,omitempty" json:"data,omitempty"`
	Scenarios  []Scenario              `yaml:"scenarios" json:"scenarios" jsonschema:"required,minItems=1"`
	Thresholds map[string][]*Threshold `yaml:"thresholds,omitempty" json:"thresholds,omitempty"`

	// File is the path the plan was read from ("" for in-memory plans).
	File string `yaml:"-" json:"-"`
	// Dir is the directory relative paths (feeder files) resolve against.
	Dir string `yaml:"-" json:"-"`
	// SHA256 is the hex digest of the plan's source bytes.
	SHA256 string `yaml:"-" json:"-"`
	// Source is the plan's original YAML.
	Source []byte `yaml:"-" json:"-"`
	// Pos maps JSON pointers ("/scenarios/0/rate") to their source position.
	Pos Positions `yaml:"-" json:"-"`
	// Feeders holds the loaded CSV of every feeder in Data, by name. It is
	// empty when the plan was parsed with Options.SkipFileChecks (the files
	// were not read). The rows are shared by every user of the plan and
	// must not be modified.
	Feeders map[string]*FeederData `yaml:"-" json:"-"`
	// Warnings are problems that do not make the plan invalid, sorted by
	// position. Today there is one kind: a template reference ${name} to a
	// variable that is neither a plan var nor extracted by any step of the
	// scenario (for http.headers: of any scenario). Such a plan still runs
	// (PLAN_FORMAT.md's own example uses an undefined ${page}), but a step
	// whose template needs the variable fails at run time with
	// "undefined variable: NAME". Every other template problem (syntax,
	// unknown feeder column, unset environment variable without a
	// default) is an error. `loadgen validate` and `run` print warnings
	// without failing.
	Warnings []*Error `yaml:"-" json:"-"`
}

// HTTPConfig holds transport defaults for every request of the plan.
type HTTPConfig struct {
	// Timeout bounds a whole request; a step's request timeout overrides it. Default 10s.
	Timeout *Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	// Keepalive reuses connections (default true).
	Keepalive *bool `yaml:"keepalive,omitempty" json:"keepalive,omitempty"`
	// Cookies gives every VU a cookie jar, as a browser has: cookies set by
	// responses (Set-Cookie) are sent back on the VU's later requests to
	// matching URLs. Default true; false sends only the Cookie headers the
	// plan writes.
	Cookies *bool `yaml:"cookies,omitempty" json:"cookies,omitempty"`
	// HTTP2 negotiates h2 over TLS.
	HTTP2 bool `yaml:"http2,omitempty" json:"http2,omitempty"`
	// InsecureTLS skips certificate verification.
	InsecureTLS bool `yaml:"insecure_tls,omitempty" json:"insecure_tls,omitempty"`
	// Headers are sent with every request; step headers win.
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
}

// Feeder is a named CSV data source, as written in the plan. Its loaded
// content is in Plan.Feeders.
type Feeder struct {
	File  string `yaml:"file" json:"file" jsonschema:"required"`
	Order string `yaml:"order,omitempty" json:"order,omitempty" jsonschema:"enum=sequential,enum=random"`
	Share string `yaml:"share,omitempty" json:"share,omitempty" jsonschema:"enum=all,enum=vu"`
}

// Scenario is one workload with its own executor. Parameters that do not
// belong to the executor are rejected at validation; after validation every
// parameter the executor uses is non-nil (defaults filled in).
type Scenario struct {
	Name     string `yaml:"name" json:"name" jsonschema:"required"`
	Executor string `yaml:"executor" json:"executor" jsonschema:"required,enum=constant-vus,enum=ramping-vus,enum=per-vu-iterations,enum=shared-iterations,enum=constant-arrival-rate,enum=ramping-arrival-rate"`

	VUs              *int      `yaml:"vus,omitempty" json:"vus,omitempty"`
	Duration         *Duration `yaml:"duration,omitempty" json:"duration,omitempty"`
	StartVUs         *int      `yaml:"start_vus,omitempty" json:"start_vus,omitempty"`
	Stages           []Stage   `yaml:"stages,omitempty" json:"stages,omitempty"`
	GracefulRampDown *Duration `yaml:"graceful_ramp_down,omitempty" json:"graceful_ramp_down,omitempty"`
	Iterations       *int      `yaml:"iterations,omitempty" json:"iterations,omitempty"`
	MaxDuration      *Duration `yaml:"max_duration,omitempty" json:"max_duration,omitempty"`
	Rate             *float64  `yaml:"rate,omitempty" json:"rate,omitempty"`
	StartRate        *float64  `yaml:"start_rate,omitempty" json:"start_rate,omitempty"`
	TimeUnit         *Duration `yaml:"time_unit,omitempty" json:"time_unit,omitempty"`
	PreAllocatedVUs  *int      `yaml:"pre_allocated_vus,omitempty" json:"pre_allocated_vus,omitempty"`
	MaxVUs           *int      `yaml:"max_vus,omitempty" json:"max_vus,omitempty"`
	Arrivals         string    `yaml:"arrivals,omitempty" json:"arrivals,omitempty" jsonschema:"enum=even,enum=poisson"`

	StartTime    Duration   `yaml:"start_time,omitempty" json:"start_time,omitempty"`
	GracefulStop *Duration  `yaml:"graceful_stop,omitempty" json:"graceful_stop,omitempty"`
	ThinkTime    *ThinkTime `yaml:"think_time,omitempty" json:"think_time,omitempty"`
	Steps        []Step     `yaml:"steps" json:"steps" jsonschema:"required,minItems=1"`
}

// Stage is one linear segment of a ramping executor: over Duration the VU
// count (or the rate) moves linearly to Target.
type Stage struct {
	Duration Duration `yaml:"duration" json:"duration" jsonschema:"required"`
	Target   float64  `yaml:"target" json:"target" jsonschema:"required"`
}

// Step is either a request step (Name + Request) or a group (Group + Steps),
// which becomes a JMeter transaction.
type Step struct {
	Name    string   `yaml:"name,omitempty" json:"name,omitempty"`
	Request *Request `yaml:"request,omitempty" json:"request,omitempty"`
	Check   []string `yaml:"check,omitempty" json:"check,omitempty"`
	// Programs are the Check expressions compiled by validation, in order,
	// so that the engine does not compile them again.
	Programs []*vm.Program        `yaml:"-" json:"-"`
	Extract  map[string]Extractor `yaml:"extract,omitempty" json:"extract,omitempty"`
	// OnFailure is "continue" (the default) or "stop_iteration": what the
	// iteration does when this request fails. Request steps only.
	OnFailure string     `yaml:"on_failure,omitempty" json:"on_failure,omitempty" jsonschema:"enum=continue,enum=stop_iteration"`
	ThinkTime *ThinkTime `yaml:"think_time,omitempty" json:"think_time,omitempty"`

	Group string `yaml:"group,omitempty" json:"group,omitempty"`
	Steps []Step `yaml:"steps,omitempty" json:"steps,omitempty"`
}

// IsGroup reports whether the step is a transaction of child steps.
func (s *Step) IsGroup() bool { return s.Group != "" }

// Label is the JTL label: the step name, or the group name for a group.
func (s *Step) Label() string {
	if s.IsGroup() {
		return s.Group
	}
	return s.Name
}

// Request describes one HTTP request. At most one of Body, JSON and Form is set.
type Request struct {
	Method  string            `yaml:"method,omitempty" json:"method,omitempty"`
	URL     string            `yaml:"url" json:"url" jsonschema:"required"`
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	Query   map[string]string `yaml:"query,omitempty" json:"query,omitempty"`
	Body    *string           `yaml:"body,omitempty" json:"body,omitempty"`
	JSON    any               `yaml:"json,omitempty" json:"json,omitempty"`
	Form    map[string]string `yaml:"form,omitempty" json:"form,omitempty"`
	Timeout *Duration         `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

// Extractor takes one value out of a response: exactly one of JSON, Regex
// or Header is set.
type Extractor struct {
	JSON   string `yaml:"json,omitempty" json:"json,omitempty"`
	Regex  string `yaml:"regex,omitempty" json:"regex,omitempty"`
	Group  int    `yaml:"group,omitempty" json:"group,omitempty"`
	Header string `yaml:"header,omitempty" json:"header,omitempty"`
}

// ThinkTime is a pause between steps: fixed when Min == Max, else uniform in
// [Min, Max]. YAML accepts a duration string or {min, max}.
type ThinkTime struct {
	Min Duration `yaml:"min" json:"min"`
	Max Duration `yaml:"max" json:"max"`
}

// Threshold is one pass/fail criterion on a metric. YAML accepts the bare
// expression string or {threshold, abort_on_fail, delay_abort_eval}.
type Threshold struct {
	Expr           string   `yaml:"threshold" json:"threshold" jsonschema:"required"`
	AbortOnFail    bool     `yaml:"abort_on_fail,omitempty" json:"abort_on_fail,omitempty"`
	DelayAbortEval Duration `yaml:"delay_abort_eval,omitempty" json:"delay_abort_eval,omitempty"`

	// Parsed form of Expr, filled by validation.
	Agg   Aggregation `yaml:"-" json:"-"`
	Op    string      `yaml:"-" json:"-"`
	Value float64     `yaml:"-" json:"-"`
}

// Aggregation is a threshold's aggregation method: avg, min, max, med,
// p(N), rate, count or value.
type Aggregation struct {
	Method     string  // "avg", "min", "max", "med", "p", "rate", "count", "value"
	Percentile float64 // for Method "p": 0..100
}

// String renders the aggregation as written in thresholds ("p(95)").
func (a Aggregation) String() string {
	if a.Method == "p" {
		return "p(" + formatFloat(a.Percentile) + ")"
	}
	return a.Method
}

// MetricRef is a threshold key: a metric name with optional tag filters,
// e.g. http_req_duration{step:login}.
type MetricRef struct {
	Metric string
	Tags   map[string]string
}

// Duration is a time.Duration written as a Go duration string ("1m30s").
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats the duration like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }
