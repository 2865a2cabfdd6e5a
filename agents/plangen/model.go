package plangen

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/loadgen/loadgen/agents/arch"
	"github.com/loadgen/loadgen/agents/internal/jsonobj"
	"github.com/loadgen/loadgen/agents/llm"
	"github.com/loadgen/loadgen/agents/prompts"
	"github.com/loadgen/loadgen/agents/scenario"
	"github.com/loadgen/loadgen/planspec"
)

// Problems is every problem found in a model's plan, one per line, each
// starting with the JSON pointer of the offending value.
type Problems []string

// Error joins the problems, one per line.
func (p Problems) Error() string { return strings.Join(p, "\n") }

// withModel asks the model for the plan and replaces p's offline plan with
// it when it validates; otherwise p becomes the offline fallback.
func (g *gen) withModel(ctx context.Context, opts Options, p *Plan) error {
	repairs := llm.Repairs(opts.Repairs, DefaultRepairs)
	prov := &llm.Counter{Provider: opts.Provider}
	prompt, err := g.prompt(p.YAML)
	if err != nil {
		return fmt.Errorf("plangen: %w", err)
	}
	req := llm.Request{
		System:          prompts.Get(PromptFile),
		Prompt:          prompt,
		ToolName:        "load_test_plan",
		ToolDescription: "The load-test plan for the scenario, in the plan format (version 1), as JSON.",
		Schema:          PlanToolSchema(),
		MaxTokens:       MaxTokens,
		Temperature:     0.2,
	}
	var src []byte
	var parsed *planspec.Plan
	res, err := llm.Generate(ctx, prov, req, repairs, func(raw json.RawMessage) error {
		s, pp, err := g.fromModel(raw)
		if err == nil {
			src, parsed = s, pp
		}
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("plangen: %w", ctx.Err())
		}
		why := oneLine(firstLine(err), 300)
		s, pp, oerr := g.offline(llm.SourceOfflineFallback, why)
		if oerr != nil {
			return fmt.Errorf("plangen: scenario %q: %w", g.sc.Name, oerr)
		}
		p.YAML, p.Parsed = s, pp
		p.Source, p.Attempts, p.Fallback = llm.SourceOfflineFallback, prov.Calls(), why
		return nil
	}
	p.YAML, p.Parsed = src, parsed
	p.Source, p.Attempts = llm.SourceModel, res.Attempts
	return nil
}

// prompt is the plan step's input, as data.
func (g *gen) prompt(offline []byte) (string, error) {
	type dataFile struct {
		Feeder  string   `json:"feeder"`
		File    string   `json:"file"`
		Columns []string `json:"columns"`
	}
	in := struct {
		PlanName    string            `json:"plan_name"`
		Target      string            `json:"target"`
		Scenario    scenario.Scenario `json:"scenario"`
		DataFiles   []dataFile        `json:"data_files"`
		Endpoints   []arch.Endpoint   `json:"endpoints"`
		Auth        *arch.Auth        `json:"auth,omitempty"`
		OfflinePlan string            `json:"offline_plan"`
	}{PlanName: g.planName, Target: g.target, Scenario: *g.sc, OfflinePlan: string(offline)}
	for _, f := range g.feeders {
		in.DataFiles = append(in.DataFiles, dataFile{f.Name, f.File, f.Columns})
	}
	if g.m != nil {
		in.Auth = g.m.Auth
		for _, st := range g.sc.Steps {
			if e := scenario.FindEndpoint(g.m, st.Method, st.Path); e != nil {
				in.Endpoints = append(in.Endpoints, *e)
			}
		}
	}
	return jsonobj.Prompt(in)
}

// fromModel turns the model's JSON plan into YAML (block style, the name
// and target forced to the generator's), validates it with planspec and
// the plan step's own rules, and returns it.
func (g *gen) fromModel(raw json.RawMessage) ([]byte, *planspec.Plan, error) {
	if !json.Valid(raw) {
		return nil, nil, errors.New("/: the answer is not valid JSON")
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil, errors.New("/: the answer must be a JSON object: the plan")
	}
	root := doc.Content[0]
	setKey(root, "name", g.planName)
	setKey(root, "target", g.target)
	blockStyle(root, 0)
	src, err := encode(root, g.header(llm.SourceModel, ""))
	if err != nil {
		return nil, nil, err
	}
	p, err := validatePlan(src, g.file, g.files)
	if err != nil {
		var list planspec.ErrorList
		if errors.As(err, &list) {
			probs := make(Problems, 0, len(list))
			for _, e := range list {
				probs = append(probs, or(e.Pointer, "/")+": "+e.Msg)
			}
			return nil, nil, probs
		}
		return nil, nil, err
	}
	if err := g.rules(p); err != nil {
		return nil, nil, err
	}
	return src, p, nil
}

// rules are the plan step's checks beyond planspec: requests go to the
// target only, to endpoints of the scenario or the model; data files are
// the generated ones; the NFR thresholds are there.
func (g *gen) rules(p *planspec.Plan) error {
	var probs Problems
	for i := range p.Scenarios {
		g.stepRules(p.Scenarios[i].Steps, "/scenarios/"+strconv.Itoa(i)+"/steps", &probs)
	}
	for _, name := range slices.Sorted(maps.Keys(p.Data)) {
		f := p.Data[name].File
		if _, ok := g.files[f]; !ok || filepath.Base(f) != f {
			have := slices.Sorted(maps.Keys(g.files))
			probs = append(probs, fmt.Sprintf("/data/%s/file: %q is not a provided data file (provided: %s)", name, f, strings.Join(have, ", ")))
		}
	}
	for _, k := range []string{planspec.MetricReqDuration, planspec.MetricReqFailed} {
		if _, ok := p.Thresholds[k]; !ok {
			probs = append(probs, fmt.Sprintf("/thresholds: a %s threshold from the NFRs is required", k))
		}
	}
	if len(probs) > 0 {
		return probs
	}
	return nil
}

func (g *gen) stepRules(steps []planspec.Step, ptr string, probs *Problems) {
	for j := range steps {
		s := &steps[j]
		sp := ptr + "/" + strconv.Itoa(j)
		if s.IsGroup() {
			g.stepRules(s.Steps, sp+"/steps", probs)
			continue
		}
		if s.Request == nil {
			continue
		}
		u := strings.TrimSpace(s.Request.URL)
		method := strings.ToUpper(or(s.Request.Method, "GET"))
		switch {
		case !strings.HasPrefix(u, "/") || strings.HasPrefix(u, "//") || strings.Contains(u, "://"):
			*probs = append(*probs, sp+"/request/url: "+strconv.Quote(u)+": requests go to the plan's target only: write a path starting with /")
		case !g.known(method, u):
			*probs = append(*probs, sp+"/request: "+method+" "+strconv.Quote(u)+" is not an endpoint of the scenario or the architecture")
		}
	}
}

// known reports whether a request is one of the scenario's steps or an
// endpoint of the model.
func (g *gen) known(method, u string) bool {
	for _, st := range g.sc.Steps {
		if st.Method == method && scenario.MatchPath(st.Path, u) {
			return true
		}
	}
	return g.m != nil && scenario.FindEndpoint(g.m, method, u) != nil
}

// setKey sets a top-level key of a mapping to a string.
func setKey(m *yaml.Node, key, val string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = str(val)
			return
		}
	}
	add(m, key, str(val))
}

// blockStyle clears the JSON flow style and quoting, so the encoder writes
// block YAML and quotes only what needs it.
func blockStyle(n *yaml.Node, depth int) {
	if n == nil || depth > 200 {
		return
	}
	switch n.Kind {
	case yaml.MappingNode, yaml.SequenceNode:
		n.Style = 0
	case yaml.ScalarNode:
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 && !strings.ContainsAny(n.Value, "\n\r\t") {
			n.Style = 0
		}
	}
	for _, c := range n.Content {
		blockStyle(c, depth+1)
	}
}

// csvBytes writes a CSV file with a header row.
func csvBytes(columns []string, rows [][]string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(columns)
	_ = w.WriteAll(rows) // a bytes.Buffer does not fail
	return b.Bytes()
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
