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
	"strings"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/loadgen/loadgen/agents/insights"
	"github.com/loadgen/loadgen/agents/scenario"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/mcpserver/store"
	"github.com/loadgen/loadgen/planspec"
)

// Content limits of get_test_artifacts.
const (
	maxInlineFile  = 64 << 10
	maxInlineTotal = 1 << 20
)

// ArtifactsIn is get_test_artifacts' input.
type ArtifactsIn struct {
	SessionID      string `json:"session_id,omitempty" jsonschema:"the session (empty: list the sessions instead)"`
	ArtifactType   string `json:"artifact_type,omitempty" jsonschema:"all (default), architecture, scenarios, plans, results (the runs' outputs), analysis or reports (HTML)"`
	IncludeContent bool   `json:"include_content,omitempty" jsonschema:"also return the content of small text files (up to 64 KiB each, 1 MiB in all)"`
}

// Artifact is one stored file of a session.
type Artifact struct {
	Name         string    `json:"name" jsonschema:"path inside the session"`
	Key          string    `json:"key"`
	Size         int64     `json:"size"`
	LastModified time.Time `json:"last_modified"`
	URL          string    `json:"url,omitempty"`
	Content      string    `json:"content,omitempty"`
	// ContentOmitted says why content was not included.
	ContentOmitted string `json:"content_omitted,omitempty"`
}

// ArtifactsOut is get_test_artifacts' result.
type ArtifactsOut struct {
	SessionID    string     `json:"session_id,omitempty"`
	ArtifactType string     `json:"artifact_type,omitempty"`
	Artifacts    []Artifact `json:"artifacts"`
	TotalCount   int        `json:"total_count"`
	TotalBytes   int64      `json:"total_bytes"`
	Sessions     []string   `json:"sessions,omitempty" jsonschema:"the store's sessions, when no session_id was given"`
	Store        string     `json:"store" jsonschema:"where the artifacts are kept"`
}

var artifactTypes = []any{"all", "architecture", "scenarios", "plans", "results", "analysis", "reports"}

func (s *Server) artifacts(ctx context.Context, req *mcp.CallToolRequest, in ArtifactsIn) (*mcp.CallToolResult, *ArtifactsOut, error) {
	if in.SessionID == "" {
		sessions, err := s.Sessions(ctx)
		if err != nil {
			return nil, nil, err
		}
		out := &ArtifactsOut{Sessions: sessions, Artifacts: []Artifact{}, Store: s.store.String()}
		if out.Sessions == nil {
			out.Sessions = []string{}
		}
		return textResult(fmt.Sprintf("%d sessions: %s", len(sessions), strings.Join(sessions, ", ")), out), out, nil
	}
	if err := checkID("session_id", in.SessionID); err != nil {
		return nil, nil, err
	}
	typ := orDefault(in.ArtifactType, "all")
	match, ok := artifactFilter(typ)
	if !ok {
		return nil, nil, fmt.Errorf("artifact_type %q: want all, architecture, scenarios, plans, results, analysis or reports", in.ArtifactType)
	}
	prefix := sessionKey(in.SessionID, "")
	objs, err := s.store.List(ctx, prefix)
	if err != nil {
		return nil, nil, err
	}
	if len(objs) == 0 {
		return nil, nil, fmt.Errorf("session_id %q: no such session (call get_test_artifacts without session_id to list them)", in.SessionID)
	}
	out := &ArtifactsOut{SessionID: in.SessionID, ArtifactType: typ, Artifacts: []Artifact{}, Store: s.store.String()}
	var inlined int64
	for _, o := range objs {
		name := strings.TrimPrefix(o.Key, prefix)
		if !match(name) {
			continue
		}
		a := Artifact{Name: name, Key: o.Key, Size: o.Size, LastModified: o.Modified.UTC()}
		if u, err := s.store.URL(ctx, o.Key, urlTTL); err == nil {
			a.URL = u
		}
		if in.IncludeContent {
			switch {
			case !textFile(name):
				a.ContentOmitted = "not a text file"
			case o.Size > maxInlineFile:
				a.ContentOmitted = fmt.Sprintf("larger than %d bytes: download it from url", maxInlineFile)
			case inlined+o.Size > maxInlineTotal:
				a.ContentOmitted = fmt.Sprintf("the response already carries %d bytes of content: ask for fewer artifacts", inlined)
			default:
				b, err := s.readObject(ctx, o.Key, maxInlineFile)
				switch {
				case err != nil:
					a.ContentOmitted = err.Error()
				case !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0:
					a.ContentOmitted = "not valid UTF-8 text"
				default:
					a.Content = string(b)
					inlined += int64(len(b))
				}
			}
		}
		out.Artifacts = append(out.Artifacts, a)
		out.TotalBytes += o.Size
	}
	out.TotalCount = len(out.Artifacts)
	var b strings.Builder
	fmt.Fprintf(&b, "Session %s: %d %s artifacts, %d bytes", in.SessionID, out.TotalCount, typ, out.TotalBytes)
	for i, a := range out.Artifacts {
		if i == 20 {
			fmt.Fprintf(&b, "\n… and %d more", len(out.Artifacts)-20)
			break
		}
		fmt.Fprintf(&b, "\n%s (%d bytes)", a.Name, a.Size)
	}
	return textResult(b.String(), out), out, nil
}

// artifactFilter matches names inside a session by artifact type.
func artifactFilter(typ string) (func(string) bool, bool) {
	switch typ {
	case "all":
		return func(string) bool { return true }, true
	case "architecture":
		return func(n string) bool { return n == ArchitectureKey }, true
	case "scenarios":
		return func(n string) bool { return n == ScenariosKey }, true
	case "plans":
		return func(n string) bool { return strings.HasPrefix(n, PlansPrefix) }, true
	case "results", "runs":
		return func(n string) bool { return strings.HasPrefix(n, RunsPrefix) }, true
	case "analysis":
		return func(n string) bool { return strings.HasPrefix(n, AnalysisPrefix) }, true
	case "reports":
		return func(n string) bool { return strings.HasSuffix(n, ".html") }, true
	}
	return nil, false
}

func textFile(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".json", ".yaml", ".yml", ".md", ".txt", ".csv", ".java", ".xml", ".jmx", ".html", ".jtl", ".hlog", ".properties":
		return true
	}
	return false
}

// AnalyzeIn is analyze_test_results' input.
type AnalyzeIn struct {
	SessionID string  `json:"session_id"`
	RunID     string  `json:"run_id,omitempty" jsonschema:"default: the session's latest run"`
	NFRs      *NFRsIn `json:"nfrs,omitempty" jsonschema:"requirements to check (default: the session's scenario NFRs); the plans' thresholds are always checked"`
}

// NFRRow is one line of the NFR table.
type NFRRow struct {
	Name     string  `json:"name"`
	Label    string  `json:"label,omitempty"`
	Target   string  `json:"target"`
	Measured float64 `json:"measured"`
	Unit     string  `json:"unit"`
	Pass     bool    `json:"pass"`
	NoData   bool    `json:"no_data,omitempty"`
}

// GradeOut is the A–F grade.
type GradeOut struct {
	Letter string  `json:"letter"`
	Score  float64 `json:"score"`
	Risk   string  `json:"risk"`
	Why    string  `json:"why"`
}

// InsightsOut are the insights in short.
type InsightsOut struct {
	Source           string   `json:"source" jsonschema:"offline, model or offline-fallback"`
	ExecutiveSummary string   `json:"executive_summary"`
	KeyFindings      []string `json:"key_findings"`
	Recommendations  []string `json:"recommendations"`
	RiskExplanation  string   `json:"risk_explanation"`
}

// PlanAnalysis is one plan's analysis.
type PlanAnalysis struct {
	Plan       string      `json:"plan"`
	Grade      GradeOut    `json:"grade"`
	Requests   int64       `json:"requests"`
	Errors     int64       `json:"errors"`
	ErrorPct   float64     `json:"error_pct"`
	RPS        float64     `json:"rps"`
	P50Ms      float64     `json:"p50_ms"`
	P95Ms      float64     `json:"p95_ms"`
	P99Ms      float64     `json:"p99_ms"`
	DurationS  float64     `json:"duration_s"`
	NFRs       []NFRRow    `json:"nfrs"`
	NFRsPassed bool        `json:"nfrs_passed"`
	Insights   InsightsOut `json:"insights"`
	Report     Ref         `json:"report"`
	Analysis   Ref         `json:"analysis"`
}

// AnalyzeOut is analyze_test_results' result.
type AnalyzeOut struct {
	SessionID string         `json:"session_id"`
	RunID     string         `json:"run_id"`
	Status    string         `json:"status"`
	Grade     string         `json:"grade" jsonschema:"the worst plan's letter"`
	Plans     []PlanAnalysis `json:"plans"`
	Summary   Ref            `json:"summary" jsonschema:"analysis/results_analysis.json"`
	Skipped   []string       `json:"skipped,omitempty" jsonschema:"plans without results, and why"`
}

func (s *Server) analyzeResults(ctx context.Context, req *mcp.CallToolRequest, in AnalyzeIn) (*mcp.CallToolResult, *AnalyzeOut, error) {
	if err := checkID("session_id", in.SessionID); err != nil {
		return nil, nil, err
	}
	nfrs, err := in.NFRs.spec("nfrs")
	if err != nil {
		return nil, nil, err
	}
	_, st, err := s.lookupRun(ctx, in.SessionID, in.RunID)
	if err != nil {
		return nil, nil, err
	}
	if st.State == StateQueued || st.State == StateRunning {
		return nil, nil, fmt.Errorf("run_id %q is still %s; wait with get_test_status {wait_seconds} first", st.RunID, st.State)
	}
	if nfrs == nil {
		nfrs = s.sessionNFRs(ctx, in.SessionID)
	}
	out := &AnalyzeOut{SessionID: in.SessionID, RunID: st.RunID, Status: "completed", Plans: []PlanAnalysis{}}
	for i, p := range st.Plans {
		notify(ctx, req, float64(i), float64(len(st.Plans)), "analysing "+p.Name)
		pa, err := s.analyzePlan(ctx, st, p, nfrs)
		if errors.Is(err, fs.ErrNotExist) {
			out.Skipped = append(out.Skipped, p.Name+": no results ("+p.State+")")
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("plan %s: %w", p.Name, err)
		}
		out.Plans = append(out.Plans, *pa)
		if pa.Grade.Letter > out.Grade {
			out.Grade = pa.Grade.Letter // A < B < … < F
		}
	}
	if len(out.Plans) == 0 {
		return nil, nil, fmt.Errorf("run_id %q: no plan has results to analyse (%s)", st.RunID, strings.Join(out.Skipped, "; "))
	}
	summary := map[string]any{"schema": "loadgen.session-analysis/v1", "session_id": in.SessionID, "run_id": st.RunID,
		"analysis_timestamp": time.Now().UTC(), "performance_grade": out.Grade, "plans": out.Plans}
	b, err := json.MarshalIndent(summary, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	key := sessionKey(in.SessionID, SummaryKey)
	if err := s.store.Put(ctx, key, append(b, '\n')); err != nil {
		return nil, nil, fmt.Errorf("storing %s: %w", key, err)
	}
	out.Summary = s.ref(ctx, key)
	notify(ctx, req, float64(len(st.Plans)), float64(len(st.Plans)), "analysis stored")
	var t strings.Builder
	fmt.Fprintf(&t, "Run %s: grade %s.", st.RunID, out.Grade)
	for _, p := range out.Plans {
		failed := 0
		for _, n := range p.NFRs {
			if !n.Pass {
				failed++
			}
		}
		fmt.Fprintf(&t, "\n%s: grade %s (%.0f), %d requests, %.2f%% errors, p95 %.1f ms, %d of %d NFRs met. %s Report: %s",
			p.Plan, p.Grade.Letter, p.Grade.Score, p.Requests, p.ErrorPct, p.P95Ms, len(p.NFRs)-failed, len(p.NFRs), p.Insights.ExecutiveSummary, p.Report.Key)
	}
	return textResult(t.String(), out), out, nil
}

// sessionNFRs are the NFRs the session's scenarios were designed for.
func (s *Server) sessionNFRs(ctx context.Context, session string) *results.NFRSpec {
	b, err := s.readObject(ctx, sessionKey(session, ScenariosKey), 64<<20)
	if err != nil {
		return nil
	}
	var set scenario.Set
	if json.Unmarshal(b, &set) != nil {
		return nil
	}
	n := set.Inputs.NFRs
	spec, err := (&NFRsIn{ResponseTimeP95: flexString(n.ResponseTimeP95), Throughput: flexString(n.Throughput),
		Availability: flexString(n.Availability), ErrorRate: flexString(n.ErrorRate)}).spec("scenarios.json nfrs")
	if err != nil {
		return nil
	}
	return spec
}

// analyzePlan analyses one plan's outputs and stores the analysis, the
// insights and the HTML report.
func (s *Server) analyzePlan(ctx context.Context, st *RunStatus, p PlanRun, nfrs *results.NFRSpec) (*PlanAnalysis, error) {
	prefix := p.Outputs
	if _, err := s.store.Stat(ctx, prefix+loadgen.JTLFile); err != nil {
		return nil, err
	}
	dir, cleanup, err := s.scratch("analyze")
	if err != nil {
		return nil, err
	}
	defer cleanup()
	jtl, hlog := filepath.Join(dir, loadgen.JTLFile), filepath.Join(dir, loadgen.HLogFile)
	if l, ok := s.store.(*store.Local); ok {
		if jtl, err = l.Dir(prefix + loadgen.JTLFile); err != nil {
			return nil, err
		}
		if hlog, err = l.Dir(prefix + loadgen.HLogFile); err != nil {
			return nil, err
		}
	} else {
		if err := store.GetFile(ctx, s.store, prefix+loadgen.JTLFile, jtl); err != nil {
			return nil, err
		}
		if err := store.GetFile(ctx, s.store, prefix+loadgen.HLogFile, hlog); err != nil {
			hlog = ""
		}
	}
	opts := results.Options{}
	if _, err := s.store.Stat(ctx, prefix+loadgen.HLogFile); err == nil && hlog != "" {
		opts.HLog = hlog
	}
	a, err := results.Analyze(ctx, jtl, opts)
	if err != nil {
		return nil, err
	}
	if nfrs != nil {
		a.NFRs = nfrs.Check(a)
	}
	if src, err := s.readObject(ctx, prefix+"plan.yaml", 16<<20); err == nil {
		if plan, err := planspec.Parse(src, p.Name, planspec.Options{SkipFileChecks: true}); err == nil {
			a.NFRs = append(a.NFRs, results.CheckThresholds(plan.ThresholdExprs(), a)...)
		}
	}
	a.Grade = results.GradeRun(a)
	in, err := insights.Generate(ctx, a, insights.Options{Provider: s.ai, Repairs: s.repairs})
	if err != nil {
		return nil, fmt.Errorf("insights: %w", err)
	}
	base := sessionKey(st.SessionID, AnalysisPrefix+st.RunID+"/"+planDir(p.Name)+"/")
	ab, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return nil, err
	}
	ib, err := json.MarshalIndent(in, "", "  ")
	if err != nil {
		return nil, err
	}
	var report bytes.Buffer
	if err := results.WriteHTML(&report, a, results.ReportOptions{Title: planDir(p.Name) + " — run " + st.RunID,
		Sections: []results.ReportSection{insights.ReportSection(in)}}); err != nil {
		return nil, err
	}
	for name, data := range map[string][]byte{
		"results_analysis.json": append(ab, '\n'), "insights.json": append(ib, '\n'),
		"insights.md": []byte(insights.Markdown(in)), "report.html": report.Bytes(),
	} {
		if err := s.store.Put(ctx, base+name, data); err != nil {
			return nil, fmt.Errorf("storing %s: %w", base+name, err)
		}
	}
	pa := &PlanAnalysis{
		Plan: p.Name, Requests: a.Total.Samples, Errors: a.Total.Failures, ErrorPct: round2(a.Total.ErrorPct),
		RPS: round2(a.Total.Throughput), P50Ms: a.Total.Median, P95Ms: a.Total.P95, P99Ms: a.Total.P99, DurationS: round2(a.DurationS),
		Grade:      GradeOut{Letter: a.Grade.Letter, Score: a.Grade.Score, Risk: a.Grade.Risk, Why: a.Grade.RiskWhy},
		NFRs:       []NFRRow{},
		NFRsPassed: true,
		Insights: InsightsOut{Source: in.Source, ExecutiveSummary: in.ExecutiveSummary, KeyFindings: in.KeyFindings,
			RiskExplanation: in.RiskExplanation, Recommendations: []string{}},
		Report:   s.ref(ctx, base+"report.html"),
		Analysis: s.ref(ctx, base+"results_analysis.json"),
	}
	for _, n := range a.NFRs {
		pa.NFRs = append(pa.NFRs, NFRRow{Name: n.Name, Label: n.Label, Target: n.Target, Measured: n.Measured, Unit: n.Unit, Pass: n.Pass, NoData: n.NoData})
		pa.NFRsPassed = pa.NFRsPassed && n.Pass
	}
	for _, r := range in.Recommendations {
		pa.Insights.Recommendations = append(pa.Insights.Recommendations, r.Priority+": "+r.Action)
	}
	if pa.Insights.KeyFindings == nil {
		pa.Insights.KeyFindings = []string{}
	}
	return pa, nil
}
