package agents

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/loadgen/loadgen/agents/arch"
	"github.com/loadgen/loadgen/agents/internal/atomicfile"
	"github.com/loadgen/loadgen/agents/llm"
	"github.com/loadgen/loadgen/agents/plangen"
	"github.com/loadgen/loadgen/agents/scenario"
	"github.com/loadgen/loadgen/loadgen/results"
)

// Output file names, in the output folder.
const (
	ArchitectureFile = "architecture.json"
	ScenariosFile    = "scenarios.json"
	PlansDir         = "plans"
)

// Options tune Generate.
type Options struct {
	// Provider is the model; nil runs every step offline.
	Provider llm.Provider
	// Repairs is how many times an invalid answer goes back to the model
	// (0: the steps' default, 2).
	Repairs int
	// Types are the scenario types (empty: all five).
	Types []string
	// Workflow is the journey to test (empty: the model's critical one).
	Workflow []arch.WorkflowStep
	// NFRs are the requirements (nil: those the documents state, else the
	// defaults).
	NFRs *results.NFRSpec
	// Target is the plans' base URL (empty: the spec's server, else the
	// default).
	Target string
	// Short compresses every scenario to about this long (0: the
	// documented shapes, minutes long).
	Short time.Duration
	// JMeter also writes each plan's .jmx and jmeter-java-dsl project.
	JMeter bool
	// Progress, when set, is told when each step starts and ends.
	Progress func(Progress)
}

// Progress is one step's start (Done false) or end.
type Progress struct {
	Step   string // "analyze", "scenarios", "plans"
	Done   bool
	Detail string // on Done: what was produced and where it came from
}

// Output is what Generate produced and where it wrote it.
type Output struct {
	Architecture *arch.Model
	Scenarios    *scenario.Set
	Plans        *plangen.Result
	// Files are the written files, relative to the output folder.
	Files []string
}

// Generate runs analysis → scenarios → plans over the documents and writes
// architecture.json, scenarios.json and plans/ (with plans.json, the plans,
// their test data and, with opts.JMeter, plans/jmeter/) into outDir. Every
// file is written whole (temporary file, then rename); a step that fails
// leaves the files of the steps before it.
func Generate(ctx context.Context, docs []string, outDir string, opts Options) (*Output, error) {
	progress := opts.Progress
	if progress == nil {
		progress = func(Progress) {}
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	out := &Output{}

	progress(Progress{Step: "analyze"})
	m, err := arch.Analyze(ctx, docs, arch.Options{Provider: opts.Provider, Repairs: opts.Repairs})
	if err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	if err := arch.WriteFile(filepath.Join(outDir, ArchitectureFile), m); err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	out.Architecture, out.Files = m, append(out.Files, ArchitectureFile)
	progress(Progress{Step: "analyze", Done: true, Detail: fmt.Sprintf("%d endpoints, %d workflows, %d components (%s) → %s",
		len(m.Endpoints), len(m.Workflows), len(m.Components), m.Source, ArchitectureFile)})

	progress(Progress{Step: "scenarios"})
	set, err := scenario.Generate(ctx, m, opts.Workflow, opts.NFRs, opts.Types,
		scenario.Options{Provider: opts.Provider, Repairs: opts.Repairs, Short: opts.Short})
	if err != nil {
		return out, fmt.Errorf("scenarios: %w", err)
	}
	if err := WriteJSON(filepath.Join(outDir, ScenariosFile), set); err != nil {
		return out, fmt.Errorf("scenarios: %w", err)
	}
	out.Scenarios, out.Files = set, append(out.Files, ScenariosFile)
	progress(Progress{Step: "scenarios", Done: true, Detail: fmt.Sprintf("%s (%s) → %s", count(len(set.Scenarios), "scenario"), set.Source, ScenariosFile)})

	progress(Progress{Step: "plans"})
	res, err := plangen.Plans(ctx, set, m, plangen.Options{Provider: opts.Provider, Repairs: opts.Repairs, Target: opts.Target})
	if err != nil {
		return out, fmt.Errorf("plans: %w", err)
	}
	written, err := res.Write(filepath.Join(outDir, PlansDir), plangen.WriteOptions{JMeter: opts.JMeter})
	if err != nil {
		return out, fmt.Errorf("plans: %w", err)
	}
	out.Plans = res
	for _, f := range written.Files() {
		out.Files = append(out.Files, filepath.ToSlash(filepath.Join(PlansDir, f)))
	}
	detail := fmt.Sprintf("%s (%s) → %s/", count(len(res.Plans), "plan"), res.Source, PlansDir)
	if opts.JMeter {
		detail += ", with " + count(len(written.JMeter), "JMeter export")
	}
	progress(Progress{Step: "plans", Done: true, Detail: detail})
	return out, nil
}

// ReadWorkflow reads a workflow file: a YAML (or JSON) list of
// {endpoint, method, order}, the original tool's workflow_apis.
func ReadWorkflow(path string) ([]arch.WorkflowStep, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var steps []arch.WorkflowStep
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&steps); err != nil {
		return nil, fmt.Errorf("%s: %w (want a list of {endpoint, method, order})", path, err)
	}
	for i, s := range steps {
		if s.Endpoint == "" {
			return nil, fmt.Errorf("%s: step %d: endpoint is required", path, i+1)
		}
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].Order < steps[j].Order })
	return steps, nil
}

// ReadAnalysis reads a run's results_analysis.json (a file, or a run
// folder holding one).
func ReadAnalysis(path string) (*results.Analysis, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, "results_analysis.json")
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var a results.Analysis
	if err := json.Unmarshal(src, &a); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if a.Schema == "" {
		return nil, fmt.Errorf("%s: not a results analysis (no schema field; run loadgen analyze first)", path)
	}
	return &a, nil
}

// ReadScenarios reads a scenarios.json written by Generate or
// `loadgen ai scenarios`.
func ReadScenarios(path string) (*scenario.Set, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var set scenario.Set
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&set); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if set.Schema != "loadgen.scenarios/v1" {
		return nil, fmt.Errorf("%s: not a scenarios document (schema %q)", path, set.Schema)
	}
	return &set, nil
}

// WriteJSON writes v as indented JSON, whole or not at all (a temporary
// file in the same folder, then rename).
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(b, '\n'))
}

// WriteText writes text to path, whole or not at all.
func WriteText(path, text string) error { return atomicfile.Write(path, []byte(text)) }

// count is "1 plan", "2 plans".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
