// Package plangen is the plan generation step: scenarios (package
// agents/scenario) become load-test plans in the YAML plan format, one
// plan per scenario, each validated by planspec. The plan is the single
// source of truth: the engine runs it and the compiler derives the JMeter
// renderings from it ([ExportJMeter]); the model never writes JMeter.
//
// Offline, each plan is rendered deterministically from its scenario:
// the login step extracts the token and later steps send it as a bearer
// header, bodies come from the examples, checks from the documented
// status codes, thresholds from the NFRs, and the test data becomes CSV
// files beside the plans. With a model ([llm.Provider]), Claude drafts each
// plan as JSON matching the plan's JSON Schema; planspec validates it, the
// errors (with the JSON pointers of the offending values) go back for
// repair, and a plan that never validates is replaced by the offline one,
// with source "offline-fallback" in its header comment and in the Result.
// README.md in this package documents the layout and the rules.
package plangen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/loadgen/loadgen/agents/arch"
	"github.com/loadgen/loadgen/agents/llm"
	"github.com/loadgen/loadgen/agents/scenario"
	"github.com/loadgen/loadgen/planspec"
)

// Schema is the version of the Result document (plans.json).
const Schema = "loadgen.plans/v1"

// PromptFile is the prompt of the plan step (package agents/prompts).
const PromptFile = "plans.v1.md"

// DefaultRepairs is how many times an invalid model plan is sent back with
// planspec's errors when Options.Repairs is 0.
const DefaultRepairs = 2

// MaxTokens bounds the model's answer, a plan.
const MaxTokens = 8192

// DefaultTarget is the plans' target when neither Options.Target nor the
// architecture model's servers give an absolute http(s) URL.
const DefaultTarget = "http://127.0.0.1:8080"

// Options tune Plans.
type Options struct {
	// Provider is the model; nil renders offline.
	Provider llm.Provider
	// Repairs is how many times an invalid plan goes back to the model: 0
	// means DefaultRepairs, a negative value none.
	Repairs int
	// Target is the plans' base URL; default: the model's first absolute
	// http(s) server, else DefaultTarget. `loadgen run --target`
	// overrides it at run time.
	Target string
}

// Result is the generated plans and their test data. Write stores them.
type Result struct {
	Schema string `json:"schema"`
	// Source is "offline" (no model), "model" (every plan from the model)
	// or "offline-fallback" (at least one plan fell back; Plans say which).
	Source   string `json:"source"`
	Provider string `json:"provider,omitempty"`
	ModelID  string `json:"model_id,omitempty"`
	Prompt   string `json:"prompt,omitempty"`
	Target   string `json:"target"`
	// Plans are one per scenario, in the set's order.
	Plans []Plan `json:"plans"`
	// Files are the test-data CSV files the plans read, beside them.
	Files    []File   `json:"files,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// Plan is one generated plan.
type Plan struct {
	Scenario string `json:"scenario"`
	Type     string `json:"type"`
	// File is the plan's file name ("load.yaml").
	File string `json:"file"`
	// Source is "offline", "model" or "offline-fallback"; Attempts the
	// model calls made, Fallback why the model's plan was not used.
	Source   string `json:"source"`
	Attempts int    `json:"attempts,omitempty"`
	Fallback string `json:"fallback,omitempty"`
	// DataFiles are the names of the Files the plan reads.
	DataFiles []string `json:"data_files,omitempty"`
	// YAML is the plan; Parsed its validated form (feeders loaded; File is
	// the plan's file name, Dir empty).
	YAML   []byte         `json:"-"`
	Parsed *planspec.Plan `json:"-"`
}

// File is a data file of the plans.
type File struct {
	Name string `json:"name"`
	Data []byte `json:"-"`
}

// Plans renders one plan per scenario of the set. The set must be valid
// (scenario.Validate against m; m may be nil, which skips the endpoint
// checks), else an error says why and no plan is returned. With a
// provider, each plan is drafted by the model and falls back to the
// offline rendering on its own; a cancelled ctx is an error. Every plan
// returned validates.
func Plans(ctx context.Context, set *scenario.Set, m *arch.Model, opts Options) (*Result, error) {
	if set == nil || len(set.Scenarios) == 0 {
		return nil, errors.New("plangen: no scenarios")
	}
	if err := scenario.Validate(set, m); err != nil {
		return nil, fmt.Errorf("plangen: the scenarios are not valid: %w", err)
	}
	target, err := pickTarget(opts.Target, m)
	if err != nil {
		return nil, err
	}
	res := &Result{Schema: Schema, Source: llm.SourceOffline, Target: target}
	files, refs, warns := dataFiles(set)
	res.Files, res.Warnings = files, warns
	fileData := map[string][]byte{}
	for _, f := range files {
		fileData[f.Name] = f.Data
	}
	used := map[string]bool{}
	for i := range set.Scenarios {
		sc := &set.Scenarios[i]
		name := uniqueFile(slug(sc.Name), used)
		p := Plan{Scenario: sc.Name, Type: sc.Type, File: name + ".yaml", Source: llm.SourceOffline}
		for _, r := range refs[i] {
			p.DataFiles = append(p.DataFiles, r.File)
		}
		planName := name
		if t := slug(set.Title); t != "" {
			planName = t + "-" + name
		}
		g := &gen{set: set, sc: sc, m: m, target: target, planName: planName, file: p.File, feeders: refs[i], files: fileData}
		src, parsed, err := g.offline(llm.SourceOffline, "")
		if err != nil {
			return nil, fmt.Errorf("plangen: scenario %q: the offline plan does not validate: %w", sc.Name, err)
		}
		p.YAML, p.Parsed = src, parsed
		if opts.Provider != nil {
			if err := g.withModel(ctx, opts, &p); err != nil {
				return nil, err
			}
		}
		res.Plans = append(res.Plans, p)
	}
	if opts.Provider != nil {
		res.Provider, res.ModelID, res.Prompt = opts.Provider.Name(), opts.Provider.Model(), PromptFile
		res.Source = llm.SourceModel
		if slices.ContainsFunc(res.Plans, func(p Plan) bool { return p.Source != llm.SourceModel }) {
			res.Source = llm.SourceOfflineFallback
		}
	}
	return res, nil
}

// gen renders and validates one scenario's plan.
type gen struct {
	set      *scenario.Set
	sc       *scenario.Scenario
	m        *arch.Model
	target   string
	planName string
	file     string
	feeders  []feederRef
	files    map[string][]byte
}

// header is the comment at the top of a plan.
func (g *gen) header(source, why string) []string {
	h := []string{
		oneLine(fmt.Sprintf("%s plan %q generated by loadgen from scenario %q (source: %s).", titleCase(g.sc.Type), g.planName, g.sc.Name, source), 300),
	}
	if why != "" {
		h = append(h, oneLine("The model's plan was not used: "+why, 300))
	}
	h = append(h, oneLine(g.sc.Description, 600))
	h = append(h, "Run: loadgen run "+g.file+" --target http://HOST:PORT   (JMeter: loadgen export jmx "+g.file+")")
	return h
}

// offline renders the scenario and validates the plan.
func (g *gen) offline(source, why string) ([]byte, *planspec.Plan, error) {
	src, err := render(g.sc, g.planName, g.target, g.feeders, g.header(source, why))
	if err != nil {
		return nil, nil, err
	}
	p, err := validatePlan(src, g.file, g.files)
	if err != nil {
		return nil, nil, err
	}
	return src, p, nil
}

// pickTarget is the plans' target.
func pickTarget(target string, m *arch.Model) (string, error) {
	if target != "" {
		u, err := url.Parse(target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", fmt.Errorf("plangen: target %q is not an http:// or https:// URL", target)
		}
		return strings.TrimRight(target, "/"), nil
	}
	if m != nil {
		for _, s := range m.Servers {
			u, err := url.Parse(s)
			if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && !strings.ContainsAny(s, "{}$ \t\r\n") {
				return strings.TrimRight(s, "/"), nil
			}
		}
		for _, s := range m.Servers {
			if strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") && !strings.ContainsAny(s, "{}$ \t\r\n?#") {
				return DefaultTarget + strings.TrimRight(s, "/"), nil
			}
		}
	}
	return DefaultTarget, nil
}

// dataFiles makes the CSV files of the scenarios' test data. Scenarios
// that declare the same file with other content get their own copy,
// named after the scenario.
func dataFiles(set *scenario.Set) ([]File, [][]feederRef, []string) {
	var files []File
	var warns []string
	byName := map[string][]byte{}
	refs := make([][]feederRef, len(set.Scenarios))
	for i, sc := range set.Scenarios {
		for _, d := range sc.TestData {
			data := csvBytes(d.Columns, d.Rows)
			name := d.File
			if old, ok := byName[strings.ToLower(name)]; ok && string(old) != string(data) {
				name = slug(sc.Name) + "-" + d.File
				warns = append(warns, fmt.Sprintf("scenario %q: its %s differs from another scenario's; written as %s", sc.Name, d.File, name))
			}
			if _, ok := byName[strings.ToLower(name)]; !ok {
				byName[strings.ToLower(name)] = data
				files = append(files, File{Name: name, Data: data})
			}
			refs[i] = append(refs[i], feederRef{Name: d.Name, File: name, Columns: d.Columns})
		}
	}
	return files, refs, warns
}

// uniqueFile makes a plan file name unique (case-insensitively).
func uniqueFile(name string, used map[string]bool) string {
	if name == "" {
		name = "plan"
	}
	n := name
	for i := 2; used[n]; i++ {
		n = fmt.Sprintf("%s-%d", name, i)
	}
	used[n] = true
	return n
}

// validatePlan parses a plan with its data files in a temporary folder,
// so that feeders are read and checked like on disk. The environment is
// not consulted: ${env.X} needs a default.
func validatePlan(src []byte, file string, files map[string][]byte) (*planspec.Plan, error) {
	dir, err := os.MkdirTemp("", "loadgen-plangen-*")
	if err != nil {
		return nil, fmt.Errorf("validating the plan: %w", err)
	}
	defer os.RemoveAll(dir)
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(name)), data, 0o644); err != nil {
			return nil, fmt.Errorf("validating the plan: %w", err)
		}
	}
	p, err := planspec.Parse(src, file, planspec.Options{Dir: dir, LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		return nil, err
	}
	p.Dir = ""
	return p, nil
}

// toolSchema is planspec's schema with the Plan definition at the root,
// as model tools require an object schema there.
var toolSchema = sync.OnceValue(func() json.RawMessage {
	raw := planspec.Schema()
	var s map[string]any
	if err := json.Unmarshal(raw, &s); err != nil {
		return raw
	}
	defs, _ := s["$defs"].(map[string]any)
	ref, _ := s["$ref"].(string)
	root, ok := defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
	if !ok {
		return raw
	}
	out := map[string]any{"$defs": defs}
	for k, v := range root {
		out[k] = v
	}
	for _, k := range []string{"$schema", "title", "description"} {
		if v, ok := s[k]; ok {
			out[k] = v
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return raw
	}
	return b
})

// PlanToolSchema returns the JSON Schema of the model's answer: a plan, as
// planspec.Schema describes it, with the Plan definition at the root.
func PlanToolSchema() json.RawMessage { return slices.Clone(toolSchema()) }

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
