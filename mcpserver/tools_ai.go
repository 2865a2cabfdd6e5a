package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/loadgen/loadgen/agents/arch"
	"github.com/loadgen/loadgen/agents/plangen"
	"github.com/loadgen/loadgen/agents/scenario"
	"github.com/loadgen/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/mcpserver/store"
)

// Limits on documents fetched from the artifact store.
const (
	maxDocFiles = 200
	maxDocBytes = 32 << 20
)

// AnalyzeArchitectureIn is analyze_architecture's input.
type AnalyzeArchitectureIn struct {
	DocumentsPath string `json:"documents_path" jsonschema:"folder or file of architecture documents (OpenAPI 3 or Swagger 2 YAML/JSON, Markdown, text, NFR YAML): a path inside one of this server's document roots (relative paths are looked up in each), or s3://bucket/prefix inside its S3 artifact store"`
	SessionID     string `json:"session_id,omitempty" jsonschema:"session to store the analysis in (letters, digits, '.', '_', '-'; at most 64); default: a new session"`
}

// AnalyzeArchitectureOut is analyze_architecture's result.
type AnalyzeArchitectureOut struct {
	SessionID string `json:"session_id"`
	Status    string `json:"status" jsonschema:"completed"`
	// Source is offline, model or offline-fallback.
	Source         string   `json:"source" jsonschema:"where the prose part came from: offline heuristics, the model, or offline-fallback"`
	Title          string   `json:"title,omitempty"`
	Servers        []string `json:"servers,omitempty"`
	Endpoints      []string `json:"endpoints" jsonschema:"METHOD path of every endpoint (at most 200 listed)"`
	EndpointCount  int      `json:"endpoint_count"`
	Components     []string `json:"components"`
	Workflows      any      `json:"workflows" jsonschema:"the user journeys found, as workflow_apis for generate_test_scenarios"`
	NFRSuggestions any      `json:"nfr_suggestions" jsonschema:"requirements the documents state"`
	Documents      []string `json:"documents"`
	Warnings       []string `json:"warnings,omitempty"`
	Artifact       Ref      `json:"artifact"`
}

func (s *Server) analyzeArchitecture(ctx context.Context, req *mcp.CallToolRequest, in AnalyzeArchitectureIn) (*mcp.CallToolResult, *AnalyzeArchitectureOut, error) {
	session := in.SessionID
	if session == "" {
		session = newID(time.Now())
	} else if err := checkID("session_id", session); err != nil {
		return nil, nil, err
	}
	if strings.TrimSpace(in.DocumentsPath) == "" {
		return nil, nil, errors.New("documents_path: required: a folder or file of architecture documents")
	}
	docs, cleanup, err := s.documents(ctx, in.DocumentsPath)
	if err != nil {
		return nil, nil, fmt.Errorf("documents_path: %w", err)
	}
	defer cleanup()
	notify(ctx, req, 0, 2, "analyzing the documents")
	m, err := arch.Analyze(ctx, []string{docs}, arch.Options{Provider: s.ai, Repairs: s.repairs})
	if err != nil {
		return nil, nil, fmt.Errorf("documents_path: %s: %w", in.DocumentsPath, err)
	}
	b, err := arch.Marshal(m)
	if err != nil {
		return nil, nil, err
	}
	key := sessionKey(session, ArchitectureKey)
	if err := s.store.Put(ctx, key, b); err != nil {
		return nil, nil, fmt.Errorf("storing %s: %w", key, err)
	}
	notify(ctx, req, 2, 2, "analysis stored")
	out := &AnalyzeArchitectureOut{
		SessionID: session, Status: "completed", Source: m.Source, Title: m.Title, Servers: m.Servers,
		EndpointCount: len(m.Endpoints), Workflows: m.Workflows, NFRSuggestions: m.NFRSuggestions,
		Documents: m.Documents, Warnings: m.Warnings, Artifact: s.ref(ctx, key),
		Endpoints: []string{}, Components: []string{},
	}
	for i, e := range m.Endpoints {
		if i == 200 {
			break
		}
		out.Endpoints = append(out.Endpoints, e.Method+" "+e.Path)
	}
	for _, c := range m.Components {
		out.Components = append(out.Components, c.Name)
	}
	text := fmt.Sprintf("Session %s: %d endpoints, %d workflows, %d components (%s); stored %s.",
		session, len(m.Endpoints), len(m.Workflows), len(m.Components), m.Source, key)
	return textResult(text, out), out, nil
}

// documents maps documents_path to a local path: a document root's file
// or folder, or a copy of an S3 prefix inside the artifact store.
func (s *Server) documents(ctx context.Context, p string) (string, func(), error) {
	nop := func() {}
	if strings.HasPrefix(p, "s3://") {
		loc := strings.TrimSuffix(s.store.String(), "/") + "/"
		if !strings.HasPrefix(s.store.String(), "s3://") || !strings.HasPrefix(strings.TrimSuffix(p, "/")+"/", loc) {
			return "", nop, fmt.Errorf("%s is outside this server's artifact store (%s): documents are read only from the store and the document roots", p, s.store.String())
		}
		prefix := strings.TrimPrefix(p, loc)
		if strings.Trim(prefix, "/") == "" {
			return "", nop, fmt.Errorf("%s is the whole artifact store: name the folder of the documents under it", p)
		}
		if !strings.HasSuffix(prefix, "/") {
			if _, err := s.store.Stat(ctx, prefix); err == nil {
				dir, cleanup, err := s.scratch("docs")
				if err != nil {
					return "", nop, err
				}
				dst := filepath.Join(dir, path.Base(prefix))
				if err := store.GetFile(ctx, s.store, prefix, dst); err != nil {
					cleanup()
					return "", nop, err
				}
				return dst, cleanup, nil
			}
			prefix += "/"
		}
		if err := store.CheckKey(strings.TrimSuffix(prefix, "/")); err != nil {
			return "", nop, err
		}
		dir, cleanup, err := s.scratch("docs")
		if err != nil {
			return "", nop, err
		}
		files, err := store.GetFolder(ctx, s.store, prefix, dir, store.FolderLimits{MaxFiles: maxDocFiles, MaxBytes: maxDocBytes})
		if err != nil {
			cleanup()
			return "", nop, err
		}
		if len(files) == 0 {
			cleanup()
			return "", nop, fmt.Errorf("no documents under %s", p)
		}
		return dir, cleanup, nil
	}
	real, err := s.roots.Resolve(p)
	if err != nil {
		return "", nop, err
	}
	return real, nop, nil
}

// WorkflowAPI is one step of the journey to test.
type WorkflowAPI struct {
	Endpoint string `json:"endpoint" jsonschema:"path as in the API (/orders/{id}), or 'METHOD /path'"`
	Method   string `json:"method,omitempty" jsonschema:"HTTP method (default: the endpoint's only one)"`
	Order    int    `json:"order,omitempty" jsonschema:"position in the journey (default: list order)"`
}

// NFRsIn are the requirements, in the NFR file's vocabulary.
type NFRsIn struct {
	ResponseTimeP95 flexString `json:"response_time_p95,omitempty" jsonschema:"95th percentile at most, e.g. 500ms (bare numbers are ms)"`
	Throughput      flexString `json:"throughput,omitempty" jsonschema:"requests per second at least, e.g. 100rps or 6000/min"`
	Availability    flexString `json:"availability,omitempty" jsonschema:"share of successful requests at least, e.g. 99.9%"`
	ErrorRate       flexString `json:"error_rate,omitempty" jsonschema:"share of failed requests at most, e.g. 1%"`
}

// spec parses the NFRs (nil when none is given); errors name the field.
func (n *NFRsIn) spec(field string) (*results.NFRSpec, error) {
	if n == nil {
		return nil, nil
	}
	spec := &results.NFRSpec{Name: field}
	for _, kv := range []struct {
		key string
		val flexString
	}{
		{results.NFRResponseTimeP95, n.ResponseTimeP95}, {results.NFRThroughput, n.Throughput},
		{results.NFRAvailability, n.Availability}, {results.NFRErrorRate, n.ErrorRate},
	} {
		if strings.TrimSpace(string(kv.val)) == "" {
			continue
		}
		v, _ := json.Marshal(string(kv.val))
		one, err := results.ParseNFR([]byte(kv.key+": "+string(v)), field)
		if err != nil {
			msg := err.Error()
			if _, after, ok := strings.Cut(msg, ": "); ok && strings.HasPrefix(msg, field+":") {
				msg = after
			}
			return nil, fmt.Errorf("%s.%s %q: %s", field, kv.key, string(kv.val), msg)
		}
		spec.NFRs = append(spec.NFRs, one.NFRs...)
	}
	if len(spec.NFRs) == 0 {
		return nil, nil
	}
	return spec, nil
}

// GenerateScenariosIn is generate_test_scenarios' input.
type GenerateScenariosIn struct {
	SessionID     string        `json:"session_id" jsonschema:"session holding the architecture analysis (from analyze_architecture)"`
	WorkflowAPIs  []WorkflowAPI `json:"workflow_apis,omitempty" jsonschema:"the journey to test, in order (default: the analysis's critical workflow)"`
	NFRs          *NFRsIn       `json:"nfrs,omitempty" jsonschema:"requirements (default: those the documents state, else defaults)"`
	ScenarioTypes []string      `json:"scenario_types,omitempty" jsonschema:"any of load, stress, spike, endurance, scalability (default: all)"`
	QuickDuration string        `json:"quick_duration,omitempty" jsonschema:"compress every scenario to about this long, e.g. 10s, for smoke tests (default: the documented shapes, minutes long)"`
}

// ScenarioSummary describes one scenario.
type ScenarioSummary struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Executor string `json:"executor"`
	Shape    string `json:"shape" jsonschema:"the load shape in words"`
	Steps    int    `json:"steps"`
}

// GenerateScenariosOut is generate_test_scenarios' result.
type GenerateScenariosOut struct {
	SessionID string            `json:"session_id"`
	Status    string            `json:"status"`
	Source    string            `json:"source"`
	Workflow  string            `json:"workflow" jsonschema:"where the journey came from"`
	NFRs      any               `json:"nfrs" jsonschema:"the requirements used, with where each came from"`
	Scenarios []ScenarioSummary `json:"scenarios"`
	Warnings  []string          `json:"warnings,omitempty"`
	Artifact  Ref               `json:"artifact"`
}

func (s *Server) generateScenarios(ctx context.Context, req *mcp.CallToolRequest, in GenerateScenariosIn) (*mcp.CallToolResult, *GenerateScenariosOut, error) {
	if err := checkID("session_id", in.SessionID); err != nil {
		return nil, nil, err
	}
	types, err := scenario.NormalizeTypes(in.ScenarioTypes)
	if err != nil {
		return nil, nil, fmt.Errorf("scenario_types: %w", err)
	}
	nfrs, err := in.NFRs.spec("nfrs")
	if err != nil {
		return nil, nil, err
	}
	var short time.Duration
	if in.QuickDuration != "" {
		if short, err = time.ParseDuration(in.QuickDuration); err != nil || short < time.Second || short > time.Hour {
			return nil, nil, fmt.Errorf("quick_duration %q: want a duration from 1s to 1h, such as 10s", in.QuickDuration)
		}
	}
	var workflow []arch.WorkflowStep
	for i, w := range in.WorkflowAPIs {
		if strings.TrimSpace(w.Endpoint) == "" {
			return nil, nil, fmt.Errorf("workflow_apis[%d].endpoint: required", i)
		}
		order := w.Order
		if order == 0 {
			order = i + 1
		}
		method, ep := scenario.ParseEndpointRef(w.Endpoint, w.Method)
		workflow = append(workflow, arch.WorkflowStep{Endpoint: ep, Method: method, Order: order})
	}
	sort.SliceStable(workflow, func(i, j int) bool { return workflow[i].Order < workflow[j].Order })
	m, err := s.architecture(ctx, in.SessionID)
	if errors.Is(err, fs.ErrNotExist) && len(workflow) > 0 {
		m, err = &arch.Model{}, nil // the original tool ran without an analysis too
	}
	if err != nil {
		return nil, nil, err
	}
	notify(ctx, req, 0, 1, "designing scenarios")
	set, err := scenario.Generate(ctx, m, workflow, nfrs, types, scenario.Options{Provider: s.ai, Repairs: s.repairs, Short: short})
	if err != nil {
		return nil, nil, fmt.Errorf("workflow_apis/nfrs: %w", err)
	}
	b, err := json.MarshalIndent(set, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	key := sessionKey(in.SessionID, ScenariosKey)
	if err := s.store.Put(ctx, key, append(b, '\n')); err != nil {
		return nil, nil, fmt.Errorf("storing %s: %w", key, err)
	}
	notify(ctx, req, 1, 1, "scenarios stored")
	out := &GenerateScenariosOut{SessionID: in.SessionID, Status: "completed", Source: set.Source,
		Workflow: set.Inputs.Workflow, NFRs: set.Inputs.NFRs, Warnings: set.Warnings, Artifact: s.ref(ctx, key)}
	var names []string
	for _, sc := range set.Scenarios {
		out.Scenarios = append(out.Scenarios, scenarioSummary(sc))
		names = append(names, sc.Name)
	}
	text := fmt.Sprintf("Session %s: %d scenarios (%s): %s; stored %s.", in.SessionID, len(set.Scenarios), set.Source, strings.Join(names, ", "), key)
	return textResult(text, out), out, nil
}

// architecture reads the session's architecture analysis.
func (s *Server) architecture(ctx context.Context, session string) (*arch.Model, error) {
	key := sessionKey(session, ArchitectureKey)
	b, err := s.readObject(ctx, key, 64<<20)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("session_id %q: no architecture analysis (%s); run analyze_architecture first or give workflow_apis: %w", session, key, err)
	}
	if err != nil {
		return nil, err
	}
	return arch.Unmarshal(b)
}

// GeneratePlansIn is generate_test_plans' input.
type GeneratePlansIn struct {
	SessionID    string `json:"session_id" jsonschema:"session holding the scenarios (from generate_test_scenarios)"`
	OutputFormat string `json:"output_format,omitempty" jsonschema:"yaml (loadgen plans only), java_dsl (plus jmeter-java-dsl Maven projects), jmx (plus JMeter .jmx files) or all; the YAML plans are always written (default all)"`
	TargetURL    string `json:"target_url,omitempty" jsonschema:"base URL the plans point at (default: the API's server, else http://127.0.0.1:8080); execute_performance_test can still override it"`
}

// PlanInfo describes one generated plan.
type PlanInfo struct {
	Name     string   `json:"name" jsonschema:"plan file name, as execute_performance_test's plans takes"`
	Scenario string   `json:"scenario"`
	Type     string   `json:"type"`
	Source   string   `json:"source"`
	Plan     Ref      `json:"plan"`
	JMX      *Ref     `json:"jmx,omitempty"`
	JavaDSL  *Ref     `json:"java_dsl,omitempty" jsonschema:"the Maven project's pom.xml"`
	Warnings []string `json:"warnings,omitempty" jsonschema:"what the JMeter exports cannot express exactly"`
}

// GeneratePlansOut is generate_test_plans' result.
type GeneratePlansOut struct {
	SessionID    string     `json:"session_id"`
	Status       string     `json:"status"`
	OutputFormat string     `json:"output_format"`
	Source       string     `json:"source"`
	Target       string     `json:"target"`
	Plans        []PlanInfo `json:"plans"`
	TotalPlans   int        `json:"total_plans"`
	Files        int        `json:"files" jsonschema:"objects written under plans/"`
	Warnings     []string   `json:"warnings,omitempty"`
}

var outputFormats = []any{"yaml", "java_dsl", "jmx", "all", "both"}

func (s *Server) generatePlans(ctx context.Context, req *mcp.CallToolRequest, in GeneratePlansIn) (*mcp.CallToolResult, *GeneratePlansOut, error) {
	if err := checkID("session_id", in.SessionID); err != nil {
		return nil, nil, err
	}
	format := in.OutputFormat
	switch format {
	case "":
		format = "all"
	case "both": // the original tool's name for java_dsl + jmx
		format = "all"
	case "yaml", "java_dsl", "jmx", "all":
	default:
		return nil, nil, fmt.Errorf("output_format %q: want yaml, java_dsl, jmx or all", in.OutputFormat)
	}
	if in.TargetURL != "" {
		if err := s.targets.CheckURL(ctx, in.TargetURL); err != nil {
			return nil, nil, fmt.Errorf("target_url: %w", err)
		}
	}
	key := sessionKey(in.SessionID, ScenariosKey)
	b, err := s.readObject(ctx, key, 64<<20)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("session_id %q: no scenarios (%s); run generate_test_scenarios first", in.SessionID, key)
	}
	if err != nil {
		return nil, nil, err
	}
	var set scenario.Set
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&set); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", key, err)
	}
	m, err := s.architecture(ctx, in.SessionID)
	if errors.Is(err, fs.ErrNotExist) {
		m, err = nil, nil // the analysis only checks the steps' endpoints
	}
	if err != nil {
		return nil, nil, err
	}
	notify(ctx, req, 0, 2, "writing plans")
	res, err := plangen.Plans(ctx, &set, m, plangen.Options{Provider: s.ai, Repairs: s.repairs, Target: in.TargetURL})
	if err != nil {
		return nil, nil, err
	}
	dir, cleanup, err := s.scratch("plans")
	if err != nil {
		return nil, nil, err
	}
	defer cleanup()
	written, err := res.Write(dir, plangen.WriteOptions{JMeter: format != "yaml"})
	if err != nil {
		return nil, nil, err
	}
	notify(ctx, req, 1, 2, "storing plans")
	keep := map[string]bool{}
	for _, f := range written.Files() {
		keep[f] = true
	}
	exports := map[string]*plangen.Export{}
	for _, ex := range written.JMeter {
		exports[ex.DSL] = ex
		if format == "jmx" || format == "all" {
			keep[plangen.JMeterDir+"/"+ex.JMX] = true
		}
		if format == "java_dsl" || format == "all" {
			for _, f := range ex.DSLFiles {
				keep[plangen.JMeterDir+"/"+f] = true
			}
		}
	}
	// Plans of an earlier generation must not linger beside the new ones.
	prefix := sessionKey(in.SessionID, PlansPrefix)
	if err := s.store.Delete(ctx, prefix); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("removing the old plans: %w", err)
	}
	var files []string
	for f := range keep {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		if err := s.store.PutFile(ctx, prefix+f, filepath.Join(dir, filepath.FromSlash(f))); err != nil {
			return nil, nil, fmt.Errorf("storing %s: %w", prefix+f, err)
		}
	}
	out := &GeneratePlansOut{SessionID: in.SessionID, Status: "completed", OutputFormat: format, Source: res.Source,
		Target: res.Target, TotalPlans: len(res.Plans), Files: len(files), Warnings: res.Warnings}
	var names []string
	for _, p := range res.Plans {
		info := PlanInfo{Name: p.File, Scenario: p.Scenario, Type: p.Type, Source: p.Source, Plan: s.ref(ctx, prefix+p.File)}
		base := strings.TrimSuffix(p.File, filepath.Ext(p.File))
		if ex := exports[base]; ex != nil {
			if keep[plangen.JMeterDir+"/"+ex.JMX] {
				r := s.ref(ctx, prefix+plangen.JMeterDir+"/"+ex.JMX)
				info.JMX = &r
			}
			if pom := plangen.JMeterDir + "/" + ex.DSL + "/pom.xml"; keep[pom] {
				r := s.ref(ctx, prefix+pom)
				info.JavaDSL = &r
			}
			info.Warnings = ex.Warnings
		}
		out.Plans = append(out.Plans, info)
		names = append(names, p.File)
	}
	notify(ctx, req, 2, 2, "plans stored")
	text := fmt.Sprintf("Session %s: %d plans (%s, format %s) for %s: %s; %d files under %s.",
		in.SessionID, len(res.Plans), res.Source, format, res.Target, strings.Join(names, ", "), len(files), prefix)
	return textResult(text, out), out, nil
}

func scenarioSummary(sc scenario.Scenario) ScenarioSummary {
	return ScenarioSummary{Name: sc.Name, Type: sc.Type, Executor: sc.Shape.Executor, Shape: sc.Shape.Summary, Steps: len(sc.Steps)}
}

// flexString is a string that also accepts a JSON number (an NFR value of
// 500 is "500").
type flexString string

// UnmarshalJSON accepts a string or a number.
func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a string such as \"500ms\" or a number, got %s", b)
	}
	*f = flexString(n.String())
	return nil
}
