package scenario

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/loadgen/loadgen/agents/arch"
	"github.com/loadgen/loadgen/agents/internal/jsonobj"
	"github.com/loadgen/loadgen/agents/llm"
	"github.com/loadgen/loadgen/agents/prompts"
	"github.com/loadgen/loadgen/loadgen/results"
)

// PromptFile is the prompt of the scenario step (package agents/prompts).
const PromptFile = "scenarios.v1.md"

// DefaultRepairs is how many times an invalid model answer is sent back
// with the validator's errors when Options.Repairs is 0.
const DefaultRepairs = 2

// MaxTokens bounds the model's answer: five scenarios with their steps and
// test data are larger than the schema-sized default.
const MaxTokens = 16384

// DefaultShort is a good Options.Short for quick runs and CI: every
// scenario then lasts about 10 s.
const DefaultShort = 10 * time.Second

// Options tune Generate.
type Options struct {
	// Provider is the model; nil generates offline.
	Provider llm.Provider
	// Repairs is how many times an invalid answer goes back to the model:
	// 0 means DefaultRepairs, a negative value none.
	Repairs int
	// DurationScale multiplies every duration of the shapes and the think
	// times (0 means 1): 0.1 makes a 6 m load test last 36 s.
	DurationScale float64
	// Short, when > 0, compresses each scenario to last about Short in
	// total (think times alike), whatever its type; it overrides
	// DurationScale. Rates and thresholds are unchanged.
	Short time.Duration
}

// Generate designs one scenario per type (all five when types is empty;
// "breakpoint" and "soak" name scalability and endurance) for the workflow
// (ordered by Order; when empty, the model's critical workflow, else one
// derived from its endpoints) under the NFRs (nil: the model's
// suggestions, else the defaults, key by key).
//
// Without a provider the result is the offline design (source "offline").
// With one, the model refines that design; its answer is validated and
// repaired, and when it never validates or the provider fails, the
// offline design is returned with source "offline-fallback" and the reason
// in Warnings. Errors are for bad input only: no model, an unknown type,
// nothing to request, invalid options; or ctx ending.
func Generate(ctx context.Context, m *arch.Model, workflow []arch.WorkflowStep, nfrs *results.NFRSpec, types []string, opts Options) (*Set, error) {
	set, err := offline(m, workflow, nfrs, types, opts)
	if err != nil {
		return nil, err
	}
	if opts.Provider == nil {
		return set, nil
	}
	return withModel(ctx, m, set, opts)
}

// NormalizeTypes lower-cases and de-duplicates scenario types, maps the
// aliases, and rejects unknown ones; empty means every type.
func NormalizeTypes(types []string) ([]string, error) {
	if len(types) == 0 {
		return slices.Clone(Types), nil
	}
	var out []string
	for _, t := range types {
		n := strings.ToLower(strings.TrimSpace(t))
		switch n {
		case "breakpoint":
			n = TypeScalability
		case "soak":
			n = TypeEndurance
		}
		if !slices.Contains(Types, n) {
			return nil, fmt.Errorf("scenario: unknown scenario type %q (known: %s)", oneLine(t, 40), strings.Join(Types, ", "))
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// offline is the deterministic design, validated.
func offline(m *arch.Model, workflow []arch.WorkflowStep, nfrs *results.NFRSpec, types []string, opts Options) (*Set, error) {
	if m == nil {
		return nil, errors.New("scenario: no architecture model")
	}
	if math.IsNaN(opts.DurationScale) || math.IsInf(opts.DurationScale, 0) || opts.DurationScale < 0 {
		return nil, fmt.Errorf("scenario: duration scale %v must be a number >= 0", opts.DurationScale)
	}
	if opts.Short < 0 {
		return nil, fmt.Errorf("scenario: short %s must not be negative", opts.Short)
	}
	ts, err := NormalizeTypes(types)
	if err != nil {
		return nil, err
	}
	wf, origin, err := resolveWorkflow(m, workflow)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	b := &builder{m: m}
	if len(wf) > MaxSteps-1 {
		b.warn("the workflow has %d steps; the first %d are used", len(wf), MaxSteps-1)
		wf = wf[:MaxSteps-1] // room for a login step
	}
	steps := b.build(wf)
	if len(steps) == 0 {
		return nil, fmt.Errorf("scenario: %w (every workflow step was dropped)", ErrNoWorkflow)
	}
	reqs := len(steps)
	loadThink := (baseShapes[TypeLoad].thinkMin + baseShapes[TypeLoad].thinkMax) / 2
	n, nw := resolveNFRs(nfrs, m.NFRSuggestions, reqs, func(p95 float64) float64 {
		return iterationSeconds(reqs, p95, loadThink)
	})
	var data []DataNeed
	if b.users != nil {
		data = []DataNeed{*b.users}
	}
	sc := scaling{scale: opts.DurationScale, short: opts.Short}
	set := &Set{
		Schema: Schema,
		Source: llm.SourceOffline,
		Title:  oneLine(m.Title, 200),
		Inputs: Inputs{
			WorkflowAPIs:  wf,
			Workflow:      origin,
			NFRs:          n,
			ScenarioTypes: ts,
		},
	}
	if opts.Short > 0 {
		set.Inputs.Short = FormatDuration(opts.Short)
	} else if opts.DurationScale > 0 && opts.DurationScale != 1 {
		set.Inputs.DurationScale = opts.DurationScale
	}
	warns := append(b.warns, nw...)
	for _, t := range ts {
		s, w := design(t, cloneSteps(steps), n, sc, cloneData(data))
		set.Scenarios = append(set.Scenarios, s)
		warns = append(warns, w...)
	}
	set.Warnings = dedupe(warns)
	if err := Validate(set, m); err != nil {
		return nil, fmt.Errorf("scenario: the offline scenarios do not validate: %w", err)
	}
	return set, nil
}

// withModel asks the model to refine the offline set, falling back to it.
func withModel(ctx context.Context, m *arch.Model, base *Set, opts Options) (*Set, error) {
	repairs := llm.Repairs(opts.Repairs, DefaultRepairs)
	p := &llm.Counter{Provider: opts.Provider}
	prompt, err := userPrompt(m, base)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	req := llm.Request{
		System:          prompts.Get(PromptFile),
		Prompt:          prompt,
		ToolName:        "scenario_set",
		ToolDescription: "The load-test scenarios: one per requested type, each with its load shape (k6 executor), think time, steps, test data and thresholds.",
		Schema:          AnswerSchema(),
		MaxTokens:       MaxTokens,
		Temperature:     0.2,
	}
	var got *Set
	res, err := llm.Generate(ctx, p, req, repairs, func(raw json.RawMessage) error {
		s, err := decodeAnswer(raw, base, m)
		if err == nil {
			got = s
		}
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("scenario: %w", ctx.Err())
		}
		fb := *base
		fb.Source = llm.SourceOfflineFallback
		fb.Provider, fb.ModelID, fb.Prompt = opts.Provider.Name(), opts.Provider.Model(), PromptFile
		fb.Attempts = p.Calls()
		fb.Warnings = append(slices.Clone(base.Warnings), "the model's scenarios were not used (offline design instead): "+oneLine(firstLine(err), 300))
		return &fb, nil
	}
	got.Source = llm.SourceModel
	got.Provider, got.ModelID, got.Prompt = opts.Provider.Name(), opts.Provider.Model(), PromptFile
	got.Attempts = res.Attempts
	return got, nil
}

// decodeAnswer strictly decodes the model's answer into a copy of base
// and validates it.
func decodeAnswer(raw json.RawMessage, base *Set, m *arch.Model) (*Set, error) {
	var a answer
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("the answer does not match the schema: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("the answer has data after the JSON object")
	}
	s := *base
	s.Scenarios = a.Scenarios
	s.Source = llm.SourceModel
	if err := Validate(&s, m); err != nil {
		return nil, err
	}
	return &s, nil
}

// userPrompt is the step's input, as data.
func userPrompt(m *arch.Model, base *Set) (string, error) {
	eps := m.Endpoints
	if len(eps) > 300 {
		eps = eps[:300]
	}
	in := struct {
		Architecture any             `json:"architecture"`
		Inputs       Inputs          `json:"inputs"`
		Limits       any             `json:"limits"`
		Draft        []Scenario      `json:"offline_draft"`
		Documented   []string        `json:"documented_shapes"`
		Auth         *arch.Auth      `json:"auth,omitempty"`
		Workflows    []arch.Workflow `json:"workflows,omitempty"`
	}{
		Architecture: struct {
			Title          string                `json:"title,omitempty"`
			Components     []arch.Component      `json:"components"`
			Endpoints      []arch.Endpoint       `json:"endpoints"`
			Security       []arch.SecurityScheme `json:"security,omitempty"`
			DataFlows      []arch.DataFlow       `json:"dataFlows"`
			NFRSuggestions arch.NFRSuggestions   `json:"nfrSuggestions"`
		}{m.Title, m.Components, eps, m.Security, m.DataFlows, m.NFRSuggestions},
		Inputs: base.Inputs,
		Limits: map[string]any{
			"max_peak_factor_of_nfr_throughput": MaxPeakFactor,
			"peak_range_by_type":                "load 0.5–1.5×, stress ≥ 1.2×, spike ≥ 0.5×, endurance 0.3–1.05×, scalability ≥ 1.5× the NFR throughput (requests/s = iterations/s × steps)",
			"max_length":                        "twice the offline draft's length for the type",
			"max_steps":                         MaxSteps,
		},
		Draft:     base.Scenarios,
		Auth:      m.Auth,
		Workflows: m.Workflows,
	}
	return jsonobj.Prompt(in)
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

func cloneSteps(steps []Step) []Step {
	raw, err := json.Marshal(steps)
	if err != nil {
		return slices.Clone(steps)
	}
	var out []Step
	if json.Unmarshal(raw, &out) != nil {
		return slices.Clone(steps)
	}
	return out
}

func cloneData(data []DataNeed) []DataNeed {
	if data == nil {
		return nil
	}
	out := make([]DataNeed, len(data))
	for i, d := range data {
		d.Columns = slices.Clone(d.Columns)
		rows := make([][]string, len(d.Rows))
		for j, r := range d.Rows {
			rows[j] = slices.Clone(r)
		}
		d.Rows = rows
		out[i] = d
	}
	return out
}

func dedupe(s []string) []string {
	var out []string
	for _, x := range s {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
