package insights

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/loadgen/loadgen/agents/internal/jsonobj"
	"github.com/loadgen/loadgen/loadgen/results"
)

// Limits of the model's answer (also in ModelSchema).
const (
	maxFindings        = 10
	maxBottlenecks     = 8
	maxRecommendations = 8
	maxSummaryLen      = 2000
	maxFindingLen      = 600
	maxLabelLen        = 2000
	maxEvidenceLen     = 800
	maxActionLen       = 400
	maxRationaleLen    = 800
	maxRiskLen         = 1200
)

// modelSchema is the JSON Schema (draft 2020-12) of the model's answer:
// the text parts of Insights. The grade is not part of it.
const modelSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "performance_insights",
  "description": "Insights about a load-test run, written only from the analysis data given. Quote only figures present in the data (rounding and ms/s or fraction/percent conversion allowed); do not compute new figures. The grade and risk are set by a deterministic rubric: explain them, never change them.",
  "type": "object",
  "additionalProperties": false,
  "required": ["executive_summary", "key_findings", "bottlenecks", "recommendations", "risk_explanation"],
  "properties": {
    "executive_summary": {
      "type": "string", "minLength": 1, "maxLength": 2000,
      "description": "Two to four sentences for a decision maker: what was tested, how it went, the grade and risk and the main reason."
    },
    "key_findings": {
      "type": "array", "minItems": 1, "maxItems": 10,
      "description": "The most important observations, most important first, each one or two sentences citing figures from the data.",
      "items": {"type": "string", "minLength": 1, "maxLength": 600}
    },
    "bottlenecks": {
      "type": "array", "minItems": 1, "maxItems": 8,
      "description": "What limits the system, worst first.",
      "items": {
        "type": "object",
        "additionalProperties": false,
        "required": ["label", "evidence", "severity"],
        "properties": {
          "label": {"type": "string", "maxLength": 2000, "description": "A label copied exactly from the data's labels, or \"\" for the whole run."},
          "evidence": {"type": "string", "minLength": 1, "maxLength": 800, "description": "The figures from the data that show the bottleneck."},
          "severity": {"type": "string", "enum": ["high", "medium", "low"]}
        }
      }
    },
    "recommendations": {
      "type": "array", "minItems": 1, "maxItems": 8,
      "description": "Concrete next steps, highest priority first.",
      "items": {
        "type": "object",
        "additionalProperties": false,
        "required": ["priority", "action", "rationale"],
        "properties": {
          "priority": {"type": "string", "enum": ["high", "medium", "low"]},
          "action": {"type": "string", "minLength": 1, "maxLength": 400, "description": "What to do, as an imperative sentence."},
          "rationale": {"type": "string", "minLength": 1, "maxLength": 800, "description": "Why, citing figures from the data."}
        }
      }
    },
    "risk_explanation": {
      "type": "string", "minLength": 1, "maxLength": 1200,
      "description": "Explains the rubric's risk level (name it) and what it means for going live."
    }
  }
}`

// ModelSchema returns the JSON Schema of the model's answer (the text
// parts of Insights; the grade is not the model's).
func ModelSchema() json.RawMessage { return json.RawMessage(modelSchema) }

// modelAnswer is the model's answer: the fields of ModelSchema.
type modelAnswer struct {
	ExecutiveSummary string           `json:"executive_summary"`
	KeyFindings      []string         `json:"key_findings"`
	Bottlenecks      []Bottleneck     `json:"bottlenecks"`
	Recommendations  []Recommendation `json:"recommendations"`
	RiskExplanation  string           `json:"risk_explanation"`
}

// answerFields are the answer's fields, in schema order.
var answerFields = []string{"executive_summary", "key_findings", "bottlenecks", "recommendations", "risk_explanation"}

// validator checks model answers against one analysis.
type validator struct {
	labels  map[string]string // label as shown (full or cut) → label
	letter  string
	risk    string
	riskRe  *regexp.Regexp // the risk level as a word
	checker *Checker
}

func newValidator(a *results.Analysis, ch *Checker) *validator {
	g := gradeOf(a)
	v := &validator{labels: map[string]string{}, letter: g.Letter, risk: g.Risk, checker: ch,
		riskRe: regexp.MustCompile(`(?i)\b` + regexp.QuoteMeta(g.Risk) + `\b`)}
	// Labels of the results and of NFRs (an NFR may name a label absent
	// from the results); cut forms as the model saw them, then full ones.
	var names []string
	for _, l := range a.Labels {
		names = append(names, l.Label)
	}
	for _, n := range a.NFRs {
		if n.Label != "" {
			names = append(names, n.Label)
		}
	}
	for _, l := range names {
		v.labels[cut(l)] = l
	}
	for _, l := range names {
		v.labels[l] = l
	}
	return v
}

// wholeRun are the names a model may give the whole run as a bottleneck's
// label; they mean "".
var wholeRun = []string{"", "total", "whole run", "(whole run)", "overall", "all", "all labels"}

// label maps a bottleneck label of the answer to the analysis's label
// ("" for the whole run); ok is false for a label not in the analysis.
func (v *validator) label(s string) (string, bool) {
	if l, ok := v.labels[s]; ok {
		return l, true
	}
	if t := strings.TrimSpace(s); slices.Contains(wholeRun, strings.ToLower(t)) {
		return "", true
	}
	// Quoted: “search”, "search".
	if l, ok := v.labels[strings.Trim(s, " \t“”\"'`")]; ok {
		return l, true
	}
	return "", false
}

// validate returns nil or an error listing every problem, one a line, for
// the repair prompt.
func (v *validator) validate(raw json.RawMessage) error {
	var probs []string
	add := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }

	var obj map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&obj); err != nil {
		return fmt.Errorf("the answer is not a JSON object: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("the answer has data after the JSON object")
	}
	if obj == nil {
		return errors.New("the answer is not a JSON object: null")
	}
	for _, k := range jsonobj.UnknownKeys(obj, answerFields) {
		switch k {
		case "grade", "performance_grade", "letter", "score", "risk", "risk_level":
			add("field %q is not allowed: the grade and the risk are set by the deterministic rubric, not by you", k)
		default:
			add("unknown field %q (allowed: %s)", k, strings.Join(answerFields, ", "))
		}
	}
	var ans modelAnswer
	decoded := true
	for _, k := range answerFields {
		r, ok := obj[k]
		if !ok {
			add("missing required field %q", k)
			decoded = false
			continue
		}
		var err error
		switch k {
		case "executive_summary":
			err = strictDecode(r, &ans.ExecutiveSummary)
		case "key_findings":
			err = strictDecode(r, &ans.KeyFindings)
		case "bottlenecks":
			err = strictDecode(r, &ans.Bottlenecks)
		case "recommendations":
			err = strictDecode(r, &ans.Recommendations)
		case "risk_explanation":
			err = strictDecode(r, &ans.RiskExplanation)
		}
		if err != nil {
			add("%s: %v", k, err)
			decoded = false
		}
	}
	if !decoded {
		return errors.New(strings.Join(probs, "\n"))
	}

	text := func(path, s string, maxLen int) {
		switch n := utf8.RuneCountInString(s); {
		case strings.TrimSpace(s) == "":
			add("%s is empty", path)
			return
		case n > maxLen:
			add("%s is too long: %d characters, at most %d", path, n, maxLen)
		}
		probs = append(probs, v.contradictions(path, s)...)
	}
	items := func(path string, n, maxItems int) {
		switch {
		case n == 0:
			add("%s must have at least 1 item", path)
		case n > maxItems:
			add("%s has %d items, at most %d", path, n, maxItems)
		}
	}
	text("executive_summary", ans.ExecutiveSummary, maxSummaryLen)
	items("key_findings", len(ans.KeyFindings), maxFindings)
	for i, f := range ans.KeyFindings {
		text(fmt.Sprintf("key_findings[%d]", i), f, maxFindingLen)
	}
	items("bottlenecks", len(ans.Bottlenecks), maxBottlenecks)
	for i, b := range ans.Bottlenecks {
		p := fmt.Sprintf("bottlenecks[%d]", i)
		if utf8.RuneCountInString(b.Label) > maxLabelLen {
			add("%s.label is too long", p)
		} else if _, ok := v.label(b.Label); !ok {
			add("%s.label %q is not a label of the analysis: copy one from \"labels\" exactly, or use \"\" for the whole run", p, cutN(b.Label, 80))
		}
		text(p+".evidence", b.Evidence, maxEvidenceLen)
		if !validLevel(b.Severity) {
			add("%s.severity %q must be one of high, medium, low", p, cutN(b.Severity, 40))
		}
	}
	items("recommendations", len(ans.Recommendations), maxRecommendations)
	for i, r := range ans.Recommendations {
		p := fmt.Sprintf("recommendations[%d]", i)
		if !validLevel(r.Priority) {
			add("%s.priority %q must be one of high, medium, low", p, cutN(r.Priority, 40))
		}
		text(p+".action", r.Action, maxActionLen)
		text(p+".rationale", r.Rationale, maxRationaleLen)
	}
	text("risk_explanation", ans.RiskExplanation, maxRiskLen)
	if v.risk != "" && strings.TrimSpace(ans.RiskExplanation) != "" && !v.riskRe.MatchString(v.checker.masked(ans.RiskExplanation)) {
		add("risk_explanation must name the rubric's risk level %q", v.risk)
	}
	if len(probs) > 0 {
		return errors.New(strings.Join(probs, "\n"))
	}
	return nil
}

// strictDecode decodes JSON into v, rejecting unknown fields.
func strictDecode(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	return nil
}

func validLevel(s string) bool { return s == High || s == Medium || s == Low }

// Patterns of a grade or a risk level asserted in the model's text; the
// letter is case-sensitive, the words are not.
var (
	gradePatterns = []*regexp.Regexp{
		// "grade is B", "grade: C", "grade of an F", "grade remains A-".
		regexp.MustCompile(`(?i:\bgrade(?:\s+(?:is|was|of|remains|stays|would\s+be|should\s+be|becomes)|\s*[:=])\s*(?:(?:an?|the|letter)\s+)?)["'“‘]?([A-F][+-]?)(?:$|[^A-Za-z0-9])`),
		// "graded B", "graded as an F".
		regexp.MustCompile(`(?i:\bgraded\s+(?:as\s+)?(?:(?:an?|the)\s+)?)["'“‘]?([A-F][+-]?)(?:$|[^A-Za-z0-9])`),
		// "earned an A grade", "deserves an A+ grade".
		regexp.MustCompile(`(?i:\b(?:earn(?:s|ed)?|receiv(?:es|ed)|gets?|got|scor(?:es|ed)|deserves?|merits?|achiev(?:es|ed))\s+(?:(?:an?|the)\s+)?)["'“‘]?([A-F][+-]?)["'”’]?(?i:[\s-]+grade)`),
		// "grade A+": a letter with a sign is never the rubric's.
		regexp.MustCompile(`(?i:\bgrade\s+)["'“‘]?([A-F][+-])(?:$|[^A-Za-z0-9])`),
	}
	riskPatterns = []*regexp.Regexp{
		// "risk is low", "risk level: high", "risk remains medium".
		regexp.MustCompile(`(?i)\brisk(?:\s+level)?(?:\s+(?:is|was|remains|stays|of)|\s*[:=])\s*(?:(?:an?|the|rated|considered|assessed\s+as)\s+)*["'“‘]?(low|medium|moderate|high|critical|minimal|severe)\b`),
		// "a low-risk run", "high risk rating".
		regexp.MustCompile(`(?i)\b(low|medium|moderate|high|critical|minimal|severe)[\s-]+risk\s+(?:run|test|result|rating|level|assessment|overall)\b`),
	}
	riskSynonyms = map[string]string{"moderate": Medium, "critical": High, "severe": High, "minimal": Low}
)

// contradictions lists the places where text states a grade or a risk
// level other than the rubric's. Quoted analysis strings (a label saying
// "grade A+") are masked first: they are data.
func (v *validator) contradictions(path, s string) []string {
	m := v.checker.masked(s)
	var out []string
	for _, re := range gradePatterns {
		for _, sub := range re.FindAllStringSubmatch(m, -1) {
			if sub[1] != v.letter {
				out = append(out, fmt.Sprintf("%s states grade %q, but the rubric's grade is %q: do not grade the run, explain the rubric's grade", path, sub[1], v.letter))
			}
		}
	}
	if v.risk == "" {
		return out
	}
	for _, re := range riskPatterns {
		for _, sub := range re.FindAllStringSubmatch(m, -1) {
			level := strings.ToLower(sub[1])
			if syn, ok := riskSynonyms[level]; ok {
				level = syn
			}
			if level != v.risk {
				out = append(out, fmt.Sprintf("%s states risk %q, but the rubric's risk is %q", path, sub[1], v.risk))
			}
		}
	}
	return out
}

// fill copies a validated answer into the document, mapping bottleneck
// labels to the analysis's own.
func (ans *modelAnswer) fill(in *Insights, v *validator) {
	in.ExecutiveSummary = strings.TrimSpace(ans.ExecutiveSummary)
	in.KeyFindings = make([]string, 0, len(ans.KeyFindings))
	for _, f := range ans.KeyFindings {
		in.KeyFindings = append(in.KeyFindings, strings.TrimSpace(f))
	}
	in.Bottlenecks = make([]Bottleneck, 0, len(ans.Bottlenecks))
	for _, b := range ans.Bottlenecks {
		l, _ := v.label(b.Label)
		in.Bottlenecks = append(in.Bottlenecks, Bottleneck{Label: l, Evidence: strings.TrimSpace(b.Evidence), Severity: b.Severity})
	}
	in.Recommendations = make([]Recommendation, 0, len(ans.Recommendations))
	for _, r := range ans.Recommendations {
		in.Recommendations = append(in.Recommendations, Recommendation{Priority: r.Priority, Action: strings.TrimSpace(r.Action), Rationale: strings.TrimSpace(r.Rationale)})
	}
	in.RiskExplanation = strings.TrimSpace(ans.RiskExplanation)
}
