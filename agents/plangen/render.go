package plangen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/loadgen/loadgen/agents/scenario"
)

// feederRef is a test-data file of a plan: the feeder name the steps use
// and the file it reads.
type feederRef struct {
	Name, File string
	Columns    []string
}

// render writes a scenario as a plan: a readable YAML document with
// comments, checks, extractors, think time and the NFR thresholds.
func render(sc *scenario.Scenario, planName, target string, feeders []feederRef, header []string) ([]byte, error) {
	root := mapping()
	add(root, "version", intNode(1))
	add(root, "name", str(planName))
	add(root, "target", str(target))
	if len(feeders) > 0 {
		data := mapping()
		for _, f := range feeders {
			fm := flow(mapping())
			add(fm, "file", str(f.File))
			add(fm, "order", str("sequential"))
			add(fm, "share", str("all"))
			add(data, f.Name, fm)
		}
		add(root, "data", data)
		keyOf(root, "data").HeadComment = "test data: " + oneLine(strings.Join(dataNotes(sc), "; "), 300)
	}
	s := mapping()
	add(s, "name", str(sc.Name))
	if err := shape(s, &sc.Shape); err != nil {
		return nil, err
	}
	if t := sc.ThinkTime; t != nil {
		tt := flow(mapping())
		add(tt, "min", str(t.Min))
		add(tt, "max", str(t.Max))
		add(s, "think_time", tt)
	}
	steps := seq()
	for i := range sc.Steps {
		n, err := step(&sc.Steps[i])
		if err != nil {
			return nil, err
		}
		steps.Content = append(steps.Content, n)
	}
	add(s, "steps", steps)
	scs := seq()
	scs.Content = append(scs.Content, s)
	add(root, "scenarios", scs)
	if len(sc.Thresholds) > 0 {
		add(root, "thresholds", thresholds(sc.Thresholds))
		keyOf(root, "thresholds").HeadComment = "from the NFRs: " + oneLine(thresholdNotes(sc.Thresholds), 400)
	}
	keyOf(root, "scenarios").HeadComment = oneLine("load shape: "+sc.Shape.Summary, 400)
	return encode(root, header)
}

// encode writes a document with a header comment.
func encode(root *yaml.Node, header []string) ([]byte, error) {
	var buf bytes.Buffer
	for _, h := range header {
		buf.WriteString("# " + h + "\n")
	}
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, fmt.Errorf("encoding the plan: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encoding the plan: %w", err)
	}
	return buf.Bytes(), nil
}

// shape writes the executor and its parameters.
func shape(s *yaml.Node, sh *scenario.Shape) error {
	add(s, "executor", str(sh.Executor))
	num := func(k string, f float64) { add(s, k, floatNode(f)) }
	integer := func(k string, n int) { add(s, k, intNode(n)) }
	text := func(k, v string) {
		if v != "" {
			add(s, k, str(v))
		}
	}
	if sh.Rate != 0 {
		num("rate", sh.Rate)
	}
	if sh.StartRate != 0 {
		num("start_rate", sh.StartRate)
	}
	text("time_unit", sh.TimeUnit)
	if sh.VUs != 0 {
		integer("vus", sh.VUs)
	}
	if sh.StartVUs != 0 {
		integer("start_vus", sh.StartVUs)
	}
	if sh.Iterations != 0 {
		integer("iterations", sh.Iterations)
	}
	text("duration", sh.Duration)
	text("max_duration", sh.MaxDuration)
	if len(sh.Stages) > 0 {
		st := seq()
		for _, g := range sh.Stages {
			m := flow(mapping())
			add(m, "duration", str(g.Duration))
			add(m, "target", floatNode(g.Target))
			st.Content = append(st.Content, m)
		}
		add(s, "stages", st)
	}
	if sh.PreAllocatedVUs != 0 || (sh.Executor == "constant-arrival-rate" || sh.Executor == "ramping-arrival-rate") {
		integer("pre_allocated_vus", sh.PreAllocatedVUs)
	}
	if sh.MaxVUs != 0 {
		integer("max_vus", sh.MaxVUs)
	}
	text("graceful_stop", sh.GracefulStop)
	return nil
}

// step writes a request step.
func step(st *scenario.Step) (*yaml.Node, error) {
	n := mapping()
	add(n, "name", str(st.Name))
	if st.Note != "" {
		keyOf(n, "name").HeadComment = oneLine(st.Note, 200)
	}
	req := mapping()
	add(req, "method", str(st.Method))
	add(req, "url", str(st.URL))
	headers := map[string]string{}
	for k, v := range st.Headers {
		headers[k] = v
	}
	ct := strings.ToLower(st.ContentType)
	var bodyKey string
	var body *yaml.Node
	switch {
	case st.Body == nil:
	case strings.Contains(ct, "x-www-form-urlencoded"):
		form := map[string]string{}
		if m, ok := st.Body.(map[string]any); ok {
			for k, v := range m {
				form[k] = scalarString(v)
			}
		}
		bodyKey, body = "form", stringMap(form, false)
	case ct == "" || strings.Contains(ct, "json"):
		var v yaml.Node
		if err := v.Encode(st.Body); err != nil {
			return nil, fmt.Errorf("step %q: encoding the body: %w", st.Name, err)
		}
		bodyKey, body = "json", &v
		if ct != "" && ct != "application/json" {
			setDefault(headers, "Content-Type", st.ContentType)
		}
	default:
		bodyKey, body = "body", str(scalarString(st.Body))
		setDefault(headers, "Content-Type", st.ContentType)
	}
	if len(headers) > 0 {
		add(req, "headers", stringMap(headers, len(headers) <= 2))
	}
	if body != nil {
		add(req, bodyKey, body)
	}
	add(n, "request", req)
	if len(st.Extract) > 0 {
		ex := mapping()
		for _, name := range slices.Sorted(maps.Keys(st.Extract)) {
			e := st.Extract[name]
			m := flow(mapping())
			switch {
			case e.JSON != "":
				add(m, "json", str(e.JSON))
			case e.Header != "":
				add(m, "header", str(e.Header))
			default:
				add(m, "regex", str(e.Regex))
				if e.Group != 0 {
					add(m, "group", intNode(e.Group))
				}
			}
			add(ex, name, m)
		}
		add(n, "extract", ex)
	}
	checks := seq()
	for _, c := range st.Checks {
		checks.Content = append(checks.Content, str(c))
	}
	add(n, "check", checks)
	if st.StopOnFailure {
		add(n, "on_failure", str("stop_iteration"))
	}
	return n, nil
}

// thresholds writes the thresholds map, keys in order of first use.
func thresholds(ts []scenario.Threshold) *yaml.Node {
	m := mapping()
	var keys []string
	by := map[string][]scenario.Threshold{}
	for _, t := range ts {
		if _, ok := by[t.Metric]; !ok {
			keys = append(keys, t.Metric)
		}
		by[t.Metric] = append(by[t.Metric], t)
	}
	for _, k := range keys {
		list := seq()
		simple := true
		for _, t := range by[k] {
			if t.AbortOnFail || t.DelayAbortEval != "" {
				simple = false
				o := flow(mapping())
				add(o, "threshold", str(t.Expr))
				if t.AbortOnFail {
					add(o, "abort_on_fail", boolNode(true))
				}
				if t.DelayAbortEval != "" {
					add(o, "delay_abort_eval", str(t.DelayAbortEval))
				}
				list.Content = append(list.Content, o)
			} else {
				list.Content = append(list.Content, str(t.Expr))
			}
		}
		if simple {
			list.Style = yaml.FlowStyle
		}
		add(m, k, list)
	}
	return m
}

// dataNotes describes the scenario's test data.
func dataNotes(sc *scenario.Scenario) []string {
	var out []string
	for _, d := range sc.TestData {
		out = append(out, d.File+": "+d.Description)
	}
	return out
}

// thresholdNotes lists why each threshold is there.
func thresholdNotes(ts []scenario.Threshold) string {
	var parts []string
	for _, t := range ts {
		if t.Why != "" {
			parts = append(parts, t.Metric+" "+t.Expr+" ← "+t.Why)
		}
	}
	return strings.Join(parts, "; ")
}

// scalarString formats a body value as text.
func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(raw)
}

func setDefault(h map[string]string, key, val string) {
	for k := range h {
		if strings.EqualFold(k, key) {
			return
		}
	}
	h[key] = val
}

func mapping() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode} }
func seq() *yaml.Node     { return &yaml.Node{Kind: yaml.SequenceNode} }

func flow(n *yaml.Node) *yaml.Node {
	n.Style = yaml.FlowStyle
	return n
}

func str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func intNode(n int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(n)}
}

func floatNode(f float64) *yaml.Node {
	if f == float64(int64(f)) && f < 1e15 && f > -1e15 {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(int64(f), 10)}
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: strconv.FormatFloat(f, 'f', -1, 64)}
}

func boolNode(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

func add(m *yaml.Node, key string, val *yaml.Node) {
	m.Content = append(m.Content, str(key), val)
}

// keyOf returns the key node of a mapping entry (for its comment).
func keyOf(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i]
		}
	}
	return &yaml.Node{}
}

// stringMap writes a map of strings, keys sorted.
func stringMap(m map[string]string, asFlow bool) *yaml.Node {
	n := mapping()
	if asFlow {
		n.Style = yaml.FlowStyle
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		add(n, k, str(m[k]))
	}
	return n
}

var slugRe = regexp.MustCompile(`[^a-z0-9]+`)

// slug makes a file-name-safe lower-case name ("Demo Shop" → "demo-shop").
func slug(s string) string {
	s = strings.Trim(slugRe.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 60 {
		s = strings.TrimRight(s[:60], "-")
	}
	return s
}

// oneLine makes untrusted text safe for a YAML comment: one line, no
// control characters, at most n runes.
func oneLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 32 || r == 127 || r == '\u2028' || r == '\u2029' || r == '\u0085' || r == '\ufeff' {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		s = string(r[:n]) + "…"
	}
	return s
}
