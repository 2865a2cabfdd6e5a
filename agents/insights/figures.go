package insights

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// sentence is one sentence of a text, with its unsupported figures.
type sentence struct {
	text string
	bad  []Number
}

// splitChecked splits text into sentences and finds each one's figures
// that the analysis does not support. A sentence ends at '.', '!' or '?'
// (after optional closing quotes or brackets) followed by white space, or
// at a line break; not inside a quoted analysis string, and not after
// "e.g.", "i.e.", "vs." and similar abbreviations.
func splitChecked(text string, ch *Checker) []sentence {
	m := ch.mask(text)
	masked := func(i int) bool { return m != nil && i < len(m) && m[i] }
	var spans [][2]int
	start := 0
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		end := -1
		switch {
		case r == '\n' && !masked(i):
			end = i
		case (r == '.' || r == '!' || r == '?') && !masked(i):
			j := i + size
			for j < len(text) {
				c, n := utf8.DecodeRuneInString(text[j:])
				if !strings.ContainsRune(`"')]”’»`, c) {
					break
				}
				j += n
			}
			if j >= len(text) || unicode.IsSpace(firstRune(text[j:])) {
				if r != '.' || !abbreviation(text[start:i]) {
					end = j
				}
			}
		}
		if end >= 0 {
			spans = append(spans, [2]int{start, end})
			start = end
			if end <= i {
				end = i + size
				start = end
			}
			i = end
			continue
		}
		i += size
	}
	spans = append(spans, [2]int{start, len(text)})

	// Figures and spans are both in text order.
	nums := ch.Unsupported(text)
	var out []sentence
	k := 0
	for _, sp := range spans {
		var bad []Number
		for k < len(nums) && nums[k].Start < sp[1] {
			if nums[k].Start >= sp[0] {
				bad = append(bad, nums[k])
			}
			k++
		}
		if s := strings.TrimSpace(text[sp[0]:sp[1]]); s != "" {
			out = append(out, sentence{text: s, bad: bad})
		}
	}
	return out
}

// abbreviations end with a dot that does not end a sentence.
var abbreviations = []string{"e.g", "i.e", "vs", "approx", "cf", "etc", "incl", "resp", "no", "ca"}

// abbreviation reports whether the text before a dot ends with one.
func abbreviation(before string) bool {
	i := strings.LastIndexFunc(before, func(r rune) bool { return unicode.IsSpace(r) || r == '(' })
	w := strings.ToLower(before[i+1:])
	for _, a := range abbreviations {
		if w == a {
			return true
		}
	}
	return false
}

// checkedText is one text field after the check.
type checkedText struct {
	path      string
	sentences []sentence
}

func newCheckedText(path, text string, ch *Checker) checkedText {
	return checkedText{path: path, sentences: splitChecked(text, ch)}
}

// hasBad reports whether some sentence has an unsupported figure.
func (c checkedText) hasBad() bool {
	for _, s := range c.sentences {
		if len(s.bad) > 0 {
			return true
		}
	}
	return false
}

// emptied reports whether dropping the bad sentences leaves nothing.
func (c checkedText) emptied() bool {
	for _, s := range c.sentences {
		if len(s.bad) == 0 {
			return false
		}
	}
	return c.hasBad()
}

// dropped is the text without its bad sentences, and their flags; note
// ends each flag's reason.
func (c checkedText) dropped(orig, note string) (string, []Flag) {
	if !c.hasBad() {
		return orig, nil
	}
	var keep []string
	var flags []Flag
	for _, s := range c.sentences {
		if len(s.bad) == 0 {
			keep = append(keep, s.text)
			continue
		}
		flags = append(flags, c.flag(s, ActionDropped, note))
	}
	return strings.Join(keep, " "), flags
}

// flagged is the text with its bad sentences kept and marked Unverified.
func (c checkedText) flagged(orig string) (string, []Flag) {
	if !c.hasBad() {
		return orig, nil
	}
	var out []string
	var flags []Flag
	for _, s := range c.sentences {
		if len(s.bad) == 0 {
			out = append(out, s.text)
			continue
		}
		out = append(out, Unverified+s.text)
		flags = append(flags, c.flag(s, ActionFlagged, "kept and marked "+strings.TrimSpace(Unverified)+" because dropping it would empty the section"))
	}
	return strings.Join(out, " "), flags
}

func (c checkedText) flag(s sentence, action, note string) Flag {
	f := Flag{Section: c.path, Sentence: s.text, Action: action}
	for _, n := range s.bad {
		f.Figures = append(f.Figures, n.Text)
	}
	f.Reason = "figures not found in the analysis: " + strings.Join(f.Figures, ", ")
	if note != "" {
		f.Reason += "; " + note
	}
	return f
}

// checkFigures applies the number check to every text of the document:
// sentences with a figure the analysis does not support are dropped; an
// item (finding, bottleneck, recommendation) left with an empty text is
// removed; when that would empty a section, the sentences are kept,
// marked Unverified, instead. Every such sentence goes to in.Flagged.
func checkFigures(in *Insights, ch *Checker) {
	if in.Flagged == nil {
		in.Flagged = []Flag{}
	}
	single := func(path string, s *string) {
		c := newCheckedText(path, *s, ch)
		var flags []Flag
		if c.emptied() {
			*s, flags = c.flagged(*s)
		} else {
			*s, flags = c.dropped(*s, "")
		}
		in.Flagged = append(in.Flagged, flags...)
	}

	single("executive_summary", &in.ExecutiveSummary)

	// Each list section: items are lists of text fields.
	type item struct {
		texts  []checkedText
		fields []*string
	}
	list := func(items []item, noun string) []bool {
		survivors := 0
		for _, it := range items {
			if !anyEmptied(it.texts) {
				survivors++
			}
		}
		keep := make([]bool, len(items))
		for i, it := range items {
			switch {
			case !anyEmptied(it.texts):
				keep[i] = true
				for k, c := range it.texts {
					var flags []Flag
					*it.fields[k], flags = c.dropped(*it.fields[k], "")
					in.Flagged = append(in.Flagged, flags...)
				}
			case survivors > 0:
				for _, c := range it.texts {
					_, flags := c.dropped("", fmt.Sprintf("the whole %s was removed, as its %s had no sentence left", noun, fieldName(c.path)))
					in.Flagged = append(in.Flagged, flags...)
				}
			default:
				keep[i] = true
				for k, c := range it.texts {
					var flags []Flag
					*it.fields[k], flags = c.flagged(*it.fields[k])
					in.Flagged = append(in.Flagged, flags...)
				}
			}
		}
		return keep
	}

	items := make([]item, len(in.KeyFindings))
	for i := range in.KeyFindings {
		p := fmt.Sprintf("key_findings[%d]", i)
		items[i] = item{texts: []checkedText{newCheckedText(p, in.KeyFindings[i], ch)}, fields: []*string{&in.KeyFindings[i]}}
	}
	in.KeyFindings = filter(in.KeyFindings, list(items, "finding"))

	items = make([]item, len(in.Bottlenecks))
	for i := range in.Bottlenecks {
		p := fmt.Sprintf("bottlenecks[%d].evidence", i)
		items[i] = item{texts: []checkedText{newCheckedText(p, in.Bottlenecks[i].Evidence, ch)}, fields: []*string{&in.Bottlenecks[i].Evidence}}
	}
	in.Bottlenecks = filter(in.Bottlenecks, list(items, "bottleneck"))

	items = make([]item, len(in.Recommendations))
	for i := range in.Recommendations {
		r := &in.Recommendations[i]
		items[i] = item{
			texts: []checkedText{
				newCheckedText(fmt.Sprintf("recommendations[%d].action", i), r.Action, ch),
				newCheckedText(fmt.Sprintf("recommendations[%d].rationale", i), r.Rationale, ch),
			},
			fields: []*string{&r.Action, &r.Rationale},
		}
	}
	in.Recommendations = filter(in.Recommendations, list(items, "recommendation"))

	single("risk_explanation", &in.RiskExplanation)
}

func anyEmptied(cs []checkedText) bool {
	for _, c := range cs {
		if c.emptied() {
			return true
		}
	}
	return false
}

// fieldName is the last part of a section path: "evidence", "action";
// "text" for a finding.
func fieldName(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return "text"
}

// filter keeps the elements whose keep flag is set.
func filter[T any](xs []T, keep []bool) []T {
	out := make([]T, 0, len(xs))
	for i, x := range xs {
		if keep[i] {
			out = append(out, x)
		}
	}
	return out
}
