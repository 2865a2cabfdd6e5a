package planspec

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/invopop/jsonschema"
	orderedmap "github.com/pb33f/ordered-map/v2"
)

// Schema returns the JSON Schema (draft 2020-12) of a plan, indented, for
// editors' completion and checking of plan YAML (yaml-language-server reads
// it). The schema describes the shape; Parse remains the authority on
// semantics (executor parameters, thresholds, check expressions).
func Schema() []byte {
	return bytes.Clone(schemaOnce())
}

var schemaOnce = sync.OnceValue(func() []byte {
	r := &jsonschema.Reflector{
		RequiredFromJSONSchemaTags: true,
		Mapper:                     schemaMapper,
		BaseSchemaID:               "https://github.com/loadgen/loadgen/planspec",
	}
	s := r.Reflect(&Plan{})
	s.Title = "loadgen plan"
	s.Description = "A load-test plan, format v1 (PLAN_FORMAT.md)."
	for name, def := range customSchemas() {
		s.Definitions[name] = def
	}
	decorateSchema(s.Definitions)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		panic("planspec: encoding the plan schema: " + err.Error())
	}
	return buf.Bytes()
})

// durationPattern matches what ParseDuration accepts.
const durationPattern = `^(0|([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))*)$`

func props(kv ...any) *orderedmap.OrderedMap[string, *jsonschema.Schema] {
	m := orderedmap.New[string, *jsonschema.Schema]()
	for i := 0; i+1 < len(kv); i += 2 {
		m.Set(kv[i].(string), kv[i+1].(*jsonschema.Schema))
	}
	return m
}

// customSchemas are the schemas of the types with custom YAML forms; they
// are stored in $defs and referenced.
func customSchemas() map[string]*jsonschema.Schema {
	expr := &jsonschema.Schema{
		Type:        "string",
		Description: `k6 threshold: aggregation operator number, e.g. "p(95) < 500" (ms) or "rate < 0.01"`,
		Pattern:     `^\s*(avg|min|max|med|rate|count|value|p\(\s*[0-9.]+\s*\))\s*(<=?|>=?|===?|!=)\s*[-+0-9.eE]+\s*(us|µs|μs|ms|s|m|h)?\s*$`,
		Examples:    []any{"p(95) < 500", "rate < 0.01", "count == 0"},
	}
	return map[string]*jsonschema.Schema{
		"Duration": {
			Description: "a Go duration such as 500ms, 30s or 1m30s",
			AnyOf: []*jsonschema.Schema{
				{Type: "string", Pattern: durationPattern},
				{Type: "integer", Const: 0},
			},
		},
		"ThinkTime": {
			Description: "pause between steps: a fixed duration, or {min, max} for a uniform random pause",
			OneOf: []*jsonschema.Schema{
				ref("Duration"),
				{
					Type:                 "object",
					Properties:           props("min", ref("Duration"), "max", ref("Duration")),
					Required:             []string{"min", "max"},
					AdditionalProperties: jsonschema.FalseSchema,
				},
			},
		},
		"Threshold": {
			Description: "a threshold expression, or {threshold, abort_on_fail, delay_abort_eval}",
			OneOf: []*jsonschema.Schema{
				expr,
				{
					Type: "object",
					Properties: props(
						"threshold", expr,
						"abort_on_fail", &jsonschema.Schema{Type: "boolean", Description: "stop the run as soon as the threshold fails"},
						"delay_abort_eval", ref("Duration"),
					),
					Required:             []string{"threshold"},
					AdditionalProperties: jsonschema.FalseSchema,
				},
			},
		},
	}
}

func ref(def string) *jsonschema.Schema { return &jsonschema.Schema{Ref: "#/$defs/" + def} }

// schemaMapper points the custom types at their $defs entries.
func schemaMapper(t reflect.Type) *jsonschema.Schema {
	switch t {
	case durationType:
		return ref("Duration")
	case thinkTimeType:
		return ref("ThinkTime")
	case thresholdType:
		return ref("Threshold")
	}
	return nil
}

// schemaDescriptions documents the plan's keys for editors' hovers.
var schemaDescriptions = map[string]string{
	"Plan.version":    "plan format version; must be 1",
	"Plan.name":       "plan name, used in reports and artifact names",
	"Plan.target":     "base URL for relative request URLs; --target overrides it",
	"Plan.vars":       "plan-wide variables, templated as ${NAME}; ${env.X} and ${env.X:-default} read the environment",
	"Plan.http":       "transport defaults",
	"Plan.data":       "named CSV feeders; ${feeder.column} reads the current row",
	"Plan.scenarios":  "workloads, run concurrently, each with its own executor",
	"Plan.thresholds": "pass/fail criteria (k6 grammar) by metric, optionally filtered by {step:, scenario:, group:, status:}",

	"HTTPConfig.timeout":      "whole-request timeout (default 10s); a request's timeout overrides it",
	"HTTPConfig.keepalive":    "reuse connections (default true)",
	"HTTPConfig.cookies":      "keep a cookie jar per VU: cookies set by responses are sent back on later requests (default true)",
	"HTTPConfig.http2":        "negotiate HTTP/2 over TLS",
	"HTTPConfig.insecure_tls": "skip TLS certificate verification",
	"HTTPConfig.headers":      "headers sent with every request; step headers win",

	"Feeder.file":  "CSV file with a header row, relative to the plan file",
	"Feeder.order": "row order (default sequential, which wraps around)",
	"Feeder.share": "all: VUs share one cursor (default); vu: each VU has its own",

	"Scenario.name":               "scenario name, unique within the plan",
	"Scenario.executor":           "how iterations are scheduled (k6 executors)",
	"Scenario.vus":                "number of VUs (default 1)",
	"Scenario.duration":           "how long the scenario runs",
	"Scenario.start_vus":          "VUs at the start of ramping-vus (default 1)",
	"Scenario.stages":             "linear ramps: over duration, move to target (VUs or rate)",
	"Scenario.graceful_ramp_down": "time in-flight iterations get when ramping-vus scales down (default 30s)",
	"Scenario.iterations":         "iterations per VU (per-vu-iterations) or in total (shared-iterations); default 1",
	"Scenario.max_duration":       "upper bound on the scenario's run time (default 10m)",
	"Scenario.rate":               "iterations started per time_unit",
	"Scenario.start_rate":         "rate at the start of ramping-arrival-rate (default 0)",
	"Scenario.time_unit":          "period of rate and stage targets (default 1s)",
	"Scenario.pre_allocated_vus":  "VUs started before the test",
	"Scenario.max_vus":            "most VUs the scenario may use (default pre_allocated_vus); arrivals with no free VU are dropped",
	"Scenario.arrivals":           "even (default) or poisson inter-arrival times",
	"Scenario.start_time":         "offset from the start of the test (default 0s)",
	"Scenario.graceful_stop":      "how long in-flight iterations may finish after the scenario ends (default 30s)",
	"Scenario.think_time":         "pause between steps",
	"Scenario.steps":              "what one iteration does, in order",

	"Step.name":       "request step label (the JTL label); unique within the plan",
	"Step.request":    "the HTTP request",
	"Step.check":      "expr-lang boolean expressions over status, body, json, headers, duration, size, vars; all must hold",
	"Step.extract":    "variables taken from the response for later steps of the iteration",
	"Step.on_failure": "continue (default) or stop_iteration when the request fails",
	"Step.think_time": "pause after this step (overrides the scenario's)",
	"Step.group":      "group (transaction) name; its steps are reported together",
	"Step.steps":      "the group's steps",

	"Request.method":  "HTTP method (default GET)",
	"Request.url":     "absolute URL, or a path relative to target",
	"Request.headers": "request headers",
	"Request.query":   "query parameters added to the URL",
	"Request.body":    "raw request body",
	"Request.json":    "body encoded as JSON",
	"Request.form":    "body encoded as application/x-www-form-urlencoded",
	"Request.timeout": "request timeout (overrides http.timeout)",

	"Extractor.json":   "JSONPath subset: $.a.b, $.a[0].b, $.a[*].b (first match), $['a b']",
	"Extractor.regex":  "Go regular expression",
	"Extractor.group":  "regex capture group (default 0, the whole match)",
	"Extractor.header": "response header name",

	"Stage.duration": "length of the stage",
	"Stage.target":   "VUs (ramping-vus) or rate (ramping-arrival-rate) at the end of the stage",
}

// decorateSchema adds what reflection cannot see: descriptions, the step
// and extractor alternatives, each executor's required and foreign
// parameters, and the metric names thresholds take.
func decorateSchema(defs jsonschema.Definitions) {
	for key, desc := range schemaDescriptions {
		typ, prop, _ := strings.Cut(key, ".")
		if d := defs[typ]; d != nil && d.Properties != nil {
			if p, ok := d.Properties.Get(prop); ok && p.Description == "" {
				p.Description = desc
			}
		}
	}
	required := func(keys ...string) *jsonschema.Schema { return &jsonschema.Schema{Required: keys} }

	if d := defs["Step"]; d != nil {
		d.OneOf = []*jsonschema.Schema{required("name", "request"), required("group", "steps")}
	}
	if d := defs["Extractor"]; d != nil {
		d.OneOf = []*jsonschema.Schema{required("json"), required("regex"), required("header")}
	}
	if d := defs["Request"]; d != nil {
		d.Not = &jsonschema.Schema{AnyOf: []*jsonschema.Schema{
			required("body", "json"), required("body", "form"), required("json", "form"),
		}}
	}
	if d := defs["Scenario"]; d != nil {
		need := map[string][]string{
			ConstantVUs:         {"duration"},
			RampingVUs:          {"stages"},
			ConstantArrivalRate: {"rate", "duration", "pre_allocated_vus"},
			RampingArrivalRate:  {"stages", "pre_allocated_vus"},
		}
		all := fieldsOf(scenarioType).keys
		for _, ex := range Executors {
			then := &jsonschema.Schema{Required: need[ex]}
			var foreign []*jsonschema.Schema
			for _, k := range all {
				if !slices.Contains(executorParams[ex], k) && !slices.Contains(commonParams, k) {
					foreign = append(foreign, required(k))
				}
			}
			then.Not = &jsonschema.Schema{AnyOf: foreign}
			d.AllOf = append(d.AllOf, &jsonschema.Schema{
				If:   &jsonschema.Schema{Properties: props("executor", &jsonschema.Schema{Const: ex}), Required: []string{"executor"}},
				Then: then,
			})
		}
	}
	if d := defs["Plan"]; d != nil && d.Properties != nil {
		if th, ok := d.Properties.Get("thresholds"); ok && th.AdditionalProperties != nil {
			names := make([]string, 0, len(Metrics))
			for m := range Metrics {
				names = append(names, m)
			}
			sort.Strings(names)
			th.Properties = orderedmap.New[string, *jsonschema.Schema]()
			for _, m := range names {
				th.Properties.Set(m, th.AdditionalProperties)
			}
			th.PropertyNames = &jsonschema.Schema{
				Pattern: `^(` + strings.Join(names, "|") + `)(\{[^}]*\})?$`,
			}
		}
	}
}
