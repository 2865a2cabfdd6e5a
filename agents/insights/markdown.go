package insights

import (
	"fmt"
	"strings"

	"github.com/loadgen/loadgen/agents/llm"
	"github.com/loadgen/loadgen/loadgen/results"
)

// Markdown renders the document for reports and the CLI: the grade line,
// the summary, findings, bottlenecks, recommendations, risk and the
// flagged sentences. Text is escaped so that it renders as written (no
// links, HTML or code from the analysis or the model); a nil document
// renders as "".
func Markdown(in *Insights) string {
	if in == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("## Insights\n\n")
	g := in.Grade
	fmt.Fprintf(&b, "**Grade %s** · score %s · risk %s · %s\n\n", mdEscape(g.Letter), fmtNum(g.Score, 2), mdEscape(g.Risk), mdEscape(sourceLine(in)))

	b.WriteString("### Executive summary\n\n")
	b.WriteString(mdEscape(in.ExecutiveSummary) + "\n\n")

	b.WriteString("### Key findings\n\n")
	for _, f := range in.KeyFindings {
		b.WriteString("- " + mdEscape(f) + "\n")
	}
	b.WriteString("\n### Bottlenecks\n\n")
	for _, bn := range in.Bottlenecks {
		label := "whole run"
		if bn.Label != "" {
			label = "“" + mdEscape(bn.Label) + "”"
		}
		fmt.Fprintf(&b, "- **%s** · %s: %s\n", mdEscape(bn.Severity), label, mdEscape(bn.Evidence))
	}
	b.WriteString("\n### Recommendations\n\n")
	for i, r := range in.Recommendations {
		fmt.Fprintf(&b, "%d. **%s** · %s  \n   %s\n", i+1, mdEscape(r.Priority), mdEscape(r.Action), mdEscape(r.Rationale))
	}
	b.WriteString("\n### Risk\n\n")
	b.WriteString(mdEscape(in.RiskExplanation) + "\n")
	if len(in.Flagged) > 0 {
		b.WriteString("\n### Flagged sentences\n\n")
		b.WriteString("Sentences quoting figures that are not in the analysis:\n\n")
		for _, f := range in.Flagged {
			fmt.Fprintf(&b, "- %s, %s: “%s” (%s)\n", mdEscape(f.Section), mdEscape(f.Action), mdEscape(f.Sentence), mdEscape(strings.Join(f.Figures, ", ")))
		}
	}
	return b.String()
}

// sourceLine says where the text came from.
func sourceLine(in *Insights) string {
	switch in.Source {
	case llm.SourceModel:
		return fmt.Sprintf("written by %s %s (prompt %s)", in.Provider, in.Model, in.Prompt)
	case llm.SourceOfflineFallback:
		s := fmt.Sprintf("offline rules (the model %s %s failed", in.Provider, in.Model)
		if in.FallbackReason != "" {
			s += ": " + cutN(firstLine(in.FallbackReason), 160)
		}
		return s + ")"
	}
	return "offline rules"
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// mdEscaper escapes the characters that would make text into Markdown or
// HTML markup; line breaks become spaces so a text stays one paragraph or
// list item.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`<`, `\<`, `>`, `\>`, `#`, `\#`, `|`, `\|`, `~`, `\~`,
	"\r\n", " ", "\n", " ", "\r", " ", "\t", " ",
)

// mdEscape escapes text for Markdown.
func mdEscape(s string) string { return mdEscaper.Replace(s) }

// ReportSection renders the insights as a section of the HTML report
// (results.ReportOptions.Sections): the summary and risk as paragraphs,
// findings, bottlenecks and recommendations as items.
func ReportSection(in *Insights) results.ReportSection {
	sec := results.ReportSection{ID: "insights", Title: "Insights"}
	if in == nil {
		return sec
	}
	sec.Note = sourceLine(in)
	sec.Paragraphs = []string{in.ExecutiveSummary}
	if in.RiskExplanation != "" {
		sec.Paragraphs = append(sec.Paragraphs, "Risk "+in.Grade.Risk+": "+in.RiskExplanation)
	}
	sec.Items = append(sec.Items, in.KeyFindings...)
	for _, bn := range in.Bottlenecks {
		label := "whole run"
		if bn.Label != "" {
			label = "“" + bn.Label + "”"
		}
		sec.Items = append(sec.Items, fmt.Sprintf("Bottleneck (%s) %s: %s", bn.Severity, label, bn.Evidence))
	}
	for _, r := range in.Recommendations {
		sec.Items = append(sec.Items, fmt.Sprintf("Recommendation (%s): %s — %s", r.Priority, r.Action, r.Rationale))
	}
	return sec
}
