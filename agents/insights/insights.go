// Package insights is the AI insights step: from a run's analysis
// (results_analysis.json) it writes an executive summary, key findings,
// bottlenecks, recommendations and an explanation of the risk, as an
// [Insights] document (insights.json).
//
// The grade and the risk are the analyzer's deterministic ones
// (results.GradeRun), copied, never the model's. With a model
// ([Options.Provider]) the text is the model's, validated and repaired
// through llm.Generate; without one, or when the model fails, it is the
// offline rule-based text ([Offline]). Either way the text may quote only
// figures found in the analysis: [Checker] extracts every figure of every
// sentence and drops (or, when dropping would empty a section, flags) the
// sentences with a figure the analysis does not contain, recording each in
// [Insights.Flagged].
package insights

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/loadgen/loadgen/agents/internal/atomicfile"
	"github.com/loadgen/loadgen/agents/llm"
	"github.com/loadgen/loadgen/agents/prompts"
	"github.com/loadgen/loadgen/loadgen/results"
)

// Schema is the Insights document version.
const Schema = "loadgen.insights/v1"

// PromptFile is the prompt the model path uses (agents/prompts).
const PromptFile = "insights.v1.md"

// DefaultRepairs is how many times an invalid model answer is sent back
// with the validator's errors before falling back to the offline text.
const DefaultRepairs = 2

// Tool name and description of the forced tool call.
const (
	toolName        = "performance_insights"
	toolDescription = "Record the insights about the load-test run: executive summary, key findings, bottlenecks, recommendations and risk explanation."
	// maxTokens bounds the model's answer.
	maxTokens = 4096
	// temperature is low: the answer should follow the data.
	temperature = 0.2
)

// Severities of a bottleneck and priorities of a recommendation.
const (
	High   = "high"
	Medium = "medium"
	Low    = "low"
)

// Actions of a flagged sentence.
const (
	// ActionDropped: the sentence was removed from the text.
	ActionDropped = "dropped"
	// ActionFlagged: the sentence was kept, prefixed with Unverified,
	// because dropping it would have emptied its section.
	ActionFlagged = "flagged"
)

// Unverified prefixes a sentence kept with an unsupported figure.
const Unverified = "[unverified] "

// ErrNoAnalysis is returned by Generate when given no analysis.
var ErrNoAnalysis = errors.New("insights: no analysis")

// Insights is the insights document (insights.json).
type Insights struct {
	// Schema is "loadgen.insights/v1".
	Schema string `json:"schema"`
	// Source is "offline", "model" or "offline-fallback" (llm.Source*).
	Source string `json:"source"`
	// Provider and Model name the model when one was called (also on
	// fallback); Prompt is the prompt file used and Attempts the number of
	// calls made.
	Provider string `json:"provider,omitempty"`
	Model    string `json:"model,omitempty"`
	Prompt   string `json:"prompt,omitempty"`
	Attempts int    `json:"attempts,omitempty"`
	// FallbackReason says why the model's answer was not used.
	FallbackReason string `json:"fallback_reason,omitempty"`

	// Grade is the analysis's grade, copied (computed with
	// results.GradeRun when the analysis has none). Never the model's.
	Grade results.Grade `json:"grade"`

	ExecutiveSummary string           `json:"executive_summary"`
	KeyFindings      []string         `json:"key_findings"`
	Bottlenecks      []Bottleneck     `json:"bottlenecks"`
	Recommendations  []Recommendation `json:"recommendations"`
	RiskExplanation  string           `json:"risk_explanation"`

	// Flagged lists the sentences with figures not found in the analysis:
	// dropped, or kept and marked when dropping would empty a section.
	Flagged []Flag `json:"flagged"`
}

// Bottleneck is one label (or the whole run, label "") that limits the
// system, with the evidence from the analysis.
type Bottleneck struct {
	Label    string `json:"label"`
	Evidence string `json:"evidence"`
	Severity string `json:"severity"` // high, medium, low
}

// Recommendation is one action, with its priority and why.
type Recommendation struct {
	Priority  string `json:"priority"` // high, medium, low
	Action    string `json:"action"`
	Rationale string `json:"rationale"`
}

// Flag is one sentence the number check removed or marked.
type Flag struct {
	// Section locates the text: "executive_summary", "key_findings[2]",
	// "bottlenecks[0].evidence", "recommendations[1].rationale",
	// "risk_explanation" (indices as in the text before the check).
	Section string `json:"section"`
	// Sentence is the sentence as written.
	Sentence string `json:"sentence"`
	// Figures are the figures not found in the analysis ("734 ms").
	Figures []string `json:"figures"`
	// Action is ActionDropped or ActionFlagged.
	Action string `json:"action"`
	// Reason says why, in words.
	Reason string `json:"reason"`
}

// Options configures Generate.
type Options struct {
	// Provider is the model; nil means offline (rule-based text).
	Provider llm.Provider
	// Repairs is how many times an invalid answer is sent back for repair:
	// 0 means DefaultRepairs, a negative value none.
	Repairs int
}

// Generate writes the insights of an analysis. Offline (no provider) it is
// [Offline]. With a provider it asks the model (prompt PromptFile, the
// analysis trimmed to what matters as delimited data, the answer's JSON
// Schema [ModelSchema]), validates the answer (schema, non-empty sections,
// known bottleneck labels, grade and risk not contradicted), sends the
// problems back at most Repairs times, and falls back to the offline text
// with source "offline-fallback" when no answer validates, the provider
// fails or panics. Either way the number check then drops or flags the
// sentences with figures the analysis does not contain.
//
// The error is ErrNoAnalysis for a nil analysis, or the context's error
// when ctx ended during the model call; there is no partial result.
func Generate(ctx context.Context, a *results.Analysis, opts Options) (*Insights, error) {
	if a == nil {
		return nil, ErrNoAnalysis
	}
	if opts.Provider == nil {
		return Offline(a), nil
	}
	repairs := llm.Repairs(opts.Repairs, DefaultRepairs)
	p := opts.Provider
	ch := NewChecker(a)
	v := newValidator(a, ch)
	req := llm.Request{
		System:          prompts.Get(PromptFile),
		Prompt:          UserPrompt(a),
		ToolName:        toolName,
		ToolDescription: toolDescription,
		Schema:          ModelSchema(),
		MaxTokens:       maxTokens,
		Temperature:     temperature,
	}
	res, err := callModel(ctx, p, req, repairs, v.validate)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("insights: %w", ctx.Err())
		}
		in := offlineInsights(a, ch)
		in.Source = llm.SourceOfflineFallback
		in.Provider, in.Model, in.Prompt = p.Name(), p.Model(), PromptFile
		in.Attempts = attemptsOf(err, repairs)
		in.FallbackReason = err.Error()
		return in, nil
	}
	var ans modelAnswer
	if err := json.Unmarshal(res.JSON, &ans); err != nil {
		// The validator decoded it already; this cannot fail.
		in := offlineInsights(a, ch)
		in.Source = llm.SourceOfflineFallback
		in.Provider, in.Model, in.Prompt, in.Attempts = p.Name(), p.Model(), PromptFile, res.Attempts
		in.FallbackReason = fmt.Sprintf("decoding the validated answer: %v", err)
		return in, nil
	}
	in := newInsights(a)
	in.Source = llm.SourceModel
	in.Provider, in.Model, in.Prompt, in.Attempts = p.Name(), p.Model(), PromptFile, res.Attempts
	ans.fill(in, v)
	checkFigures(in, ch)
	return in, nil
}

// callModel runs llm.Generate, turning a panic of the provider into an
// error so that the step falls back instead of crashing.
func callModel(ctx context.Context, p llm.Provider, req llm.Request, repairs int, validate func(json.RawMessage) error) (res *llm.Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("provider panicked: %v", r)
		}
	}()
	res, err = llm.Generate(ctx, p, req, repairs, validate)
	if err == nil && res == nil {
		err = errors.New("provider returned no result")
	}
	return res, err
}

// attemptsOf is the number of calls behind a failed generation: all of
// them when no answer validated, otherwise unknown (0).
func attemptsOf(err error, repairs int) int {
	if errors.Is(err, llm.ErrNotValid) {
		return repairs + 1
	}
	return 0
}

// newInsights starts a document with the analysis's grade.
func newInsights(a *results.Analysis) *Insights {
	return &Insights{Schema: Schema, Grade: gradeOf(a), Flagged: []Flag{}}
}

// gradeOf is the analysis's grade, deep-copied; GradeRun's when the
// analysis has none (the same deterministic rubric).
func gradeOf(a *results.Analysis) results.Grade {
	g := a.Grade
	if g.Letter == "" {
		g = results.GradeRun(a)
	}
	g.Components = append([]results.GradeComponent(nil), g.Components...)
	return g
}

// WriteFile writes the document as indented JSON to path, atomically: a
// temporary file in the same directory renamed over path, so a reader
// never sees a partial file.
func WriteFile(path string, in *Insights) error {
	if in == nil {
		return errors.New("insights: write: no document")
	}
	b, err := json.MarshalIndent(in, "", "  ")
	if err != nil {
		return fmt.Errorf("insights: encoding: %w", err)
	}
	return atomicfile.Write(path, append(b, '\n'))
}
