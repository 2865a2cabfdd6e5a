package planspec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Options adjusts how a plan is parsed and validated.
type Options struct {
	// Target, when set, replaces the plan's `target` (the --target flag). It
	// is validated like the plan's own.
	Target string
	// LookupEnv resolves ${env.NAME} in vars, and checks that the
	// environment variables request templates read without a default are
	// set. Default: os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Dir is the directory relative feeder paths resolve against. Default:
	// the directory of the file name given to Parse (the working directory
	// when that is "").
	Dir string
	// SkipFileChecks skips reading feeder files, for plans validated away
	// from their data (an MCP server storing a draft): their existence and
	// CSV content are not checked, Plan.Feeders stays empty, and
	// ${feeder.column} references are not checked against the header.
	SkipFileChecks bool
}

// ParseFile reads, parses and validates the plan at path. Plan.File is path
// and Plan.Dir its directory (unless opts.Dir is set). A read failure is
// returned as is; problems in the plan as an [ErrorList].
func ParseFile(path string, opts Options) (*Plan, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading plan: %w", err)
	}
	return Parse(src, path, opts)
}

// Parse parses and validates a plan's YAML source, fills in defaults and
// returns it. file names the source in error messages and Plan.File. The
// error, if any, is an [ErrorList] holding every problem found, sorted by
// position; a YAML syntax error is a one-entry list. Problems that do not
// make the plan invalid are in Plan.Warnings. Feeder files are read (see
// Plan.Feeders) unless opts.SkipFileChecks.
func Parse(src []byte, file string, opts Options) (*Plan, error) {
	r := &reporter{file: file, pos: Positions{}}
	doc, err := parseYAML(src)
	if err != nil {
		r.errs = append(r.errs, syntaxError(file, src, err))
		return nil, r.errs
	}
	if doc == nil {
		r.atPos(Pos{1, 1}, "", nil, "plan is empty (it needs at least version, name and scenarios)")
		return nil, r.errs
	}

	w := &walker{r: r, budget: maxNodes}
	w.walkRoot(doc)

	dropDuplicateKeys(doc)
	var p Plan
	if err := doc.Decode(&p); err != nil && len(r.errs) == 0 {
		// The walker accepts what decoding accepts, so this is not expected;
		// report it rather than return a half-decoded plan.
		r.decodeError(err)
	}
	if !r.bad[""] { // the document is a mapping
		p.File = file
		p.Dir = opts.Dir
		if p.Dir == "" && file != "" {
			p.Dir = filepath.Dir(file)
		}
		p.Source = bytes.Clone(src)
		sum := sha256.Sum256(src)
		p.SHA256 = hex.EncodeToString(sum[:])
		p.Pos = r.pos
		v := &validator{r: r, p: &p, opts: opts}
		v.validate()
	}
	if len(r.errs) > 0 {
		r.errs.Sort()
		return nil, r.errs
	}
	r.warns.Sort()
	p.Warnings = r.warns
	setDefaults(&p)
	return &p, nil
}

// parseYAML reads exactly one YAML document. It returns nil for an empty
// source.
func parseYAML(src []byte) (*yaml.Node, error) {
	doc, err := decodeSingle(src)
	if err == nil {
		return doc, nil
	}
	// PLAN_FORMAT.md writes check lists in flow style with expr-lang list
	// literals inside (`check: [status in [200, 201]]`), which YAML cannot
	// parse: a plain scalar in a flow sequence may not contain brackets or
	// commas. Quote such items and try again; positions are mapped back.
	if fixed, shifts, ok := quoteFlowChecks(src); ok {
		if doc2, err2 := decodeSingle(fixed); err2 == nil {
			unshift(doc2, shifts)
			return doc2, nil
		}
	}
	return nil, err
}

// SecondDocumentError says that a YAML source holds more than one document
// where one is expected; Line and Col are where the second one starts.
type SecondDocumentError struct {
	Line, Col int
	// What names the file with its article ("a plan", "an NFR file").
	What string
}

func (e *SecondDocumentError) Error() string {
	return e.What + " is a single YAML document, but a second one starts here"
}

func decodeSingle(src []byte) (*yaml.Node, error) { return DecodeSingleYAML(src, "a plan") }

// DecodeSingleYAML decodes exactly one YAML document and returns its
// document node (nil, nil for an empty source). A second document is a
// *SecondDocumentError naming the file as what.
func DecodeSingleYAML(src []byte, what string) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, err
	default:
		line, col := next.Line, next.Column
		if len(next.Content) > 0 {
			line, col = next.Content[0].Line, next.Content[0].Column
		}
		return nil, &SecondDocumentError{Line: line, Col: col, What: what}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return &doc, nil
}

var (
	yamlLineRe   = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	yamlAnchorRe = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)
)

// yamlParserProblems are the messages of yaml.v3's parser (not scanner)
// errors, whose "line N" is 0-based.
var yamlParserProblems = []string{
	"did not find expected <stream-start>",
	"did not find expected <document start>",
	"found undefined tag handle",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found duplicate %TAG directive",
}

// syntaxError turns a yaml.v3 parse error into a positioned Error.
func syntaxError(file string, src []byte, err error) *Error {
	line, col, msg := YAMLErrorPosition(src, err)
	return &Error{File: file, Line: line, Col: col, Msg: msg, Err: err}
}

// YAMLErrorPosition finds where in src a go.yaml.in/yaml/v3 decoding error
// (or a *SecondDocumentError) is, and words it as an "invalid YAML: …"
// message. yaml.v3 reports only a line ("yaml: line N: ..."), 0-based for
// its parser errors, so the column is 1 unless the error names an alias.
func YAMLErrorPosition(src []byte, err error) (line, col int, msg string) {
	line, col = 1, 1
	var second *SecondDocumentError
	if errors.As(err, &second) {
		return max(second.Line, 1), max(second.Col, 1), second.Error()
	}
	msg = strings.TrimSpace(err.Error())
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		msg = m[2]
		if slices.Contains(yamlParserProblems, msg) {
			n++
		}
		line = max(n, 1)
	} else if m := yamlAnchorRe.FindStringSubmatch(msg); m != nil {
		if pos, ok := findAlias(src, m[1]); ok {
			line, col = pos.Line, pos.Col
		}
		msg = strings.TrimPrefix(msg, "yaml: ")
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	if lines := bytes.Count(src, []byte("\n")) + 1; line > lines {
		line = lines
	}
	return line, col, "invalid YAML: " + msg
}

// findAlias locates the first "*name" alias in src.
func findAlias(src []byte, name string) (Pos, bool) {
	for i, line := range strings.Split(string(src), "\n") {
		for off := 0; ; {
			j := strings.Index(line[off:], "*"+name)
			if j < 0 {
				break
			}
			end := off + j + 1 + len(name)
			if end == len(line) || strings.ContainsRune(" \t,]}#", rune(line[end])) {
				return Pos{i + 1, len([]rune(line[:off+j])) + 1}, true
			}
			off = end
		}
	}
	return Pos{}, false
}

// decodeError records the errors of a failed node.Decode; yaml.v3 gives them
// as "line N: message".
func (r *reporter) decodeError(err error) {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		r.atPos(Pos{1, 1}, "", err, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		return
	}
	for _, s := range te.Errors {
		pos := Pos{1, 1}
		if rest, ok := strings.CutPrefix(s, "line "); ok {
			if num, msg, ok := strings.Cut(rest, ": "); ok {
				if n, err := strconv.Atoi(num); err == nil {
					pos.Line, s = n, msg
				}
			}
		}
		r.atPos(pos, "", err, "%s", s)
	}
}

// insertion is a character inserted into a source line: Line is 1-based and
// Col the 1-based column (in runes) of the inserted character in the fixed
// line.
type insertion struct{ Line, Col int }

// flowCheckRe finds a `check:` key at the start of a line (after the
// indentation and an optional list dash) followed by a flow sequence.
var flowCheckRe = regexp.MustCompile(`^(\s*(?:-\s+)?check:[ \t]*)\[`)

// quoteFlowChecks rewrites `check: [a in [1, 2], b]` lines into
// `check: ["a in [1, 2]", "b"]`. It reports whether anything changed and
// where quotes were inserted.
func quoteFlowChecks(src []byte) ([]byte, []insertion, bool) {
	lines := strings.Split(string(src), "\n")
	var ins []insertion
	changed := false
	for i, line := range lines {
		m := flowCheckRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		prefix := m[1]
		fixed, cols, ok := quoteFlowItems(line[len(prefix):])
		if !ok || len(cols) == 0 {
			continue
		}
		base := len([]rune(prefix))
		for _, c := range cols {
			ins = append(ins, insertion{i + 1, base + c})
		}
		lines[i] = prefix + fixed
		changed = true
	}
	if !changed {
		return nil, nil, false
	}
	return []byte(strings.Join(lines, "\n")), ins, true
}

// quoteFlowItems quotes the unquoted items of "[item, item] # comment".
// It returns the new text and the 1-based rune columns (within it) of the
// quotes it inserted.
func quoteFlowItems(s string) (string, []int, bool) {
	rs := []rune(s)
	depth, end := 0, -1
	var quote rune
	var cuts []int // rune offsets of top-level commas
scan:
	for i, c := range rs {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '[' || c == '(' || c == '{':
			depth++
		case c == ']' || c == ')' || c == '}':
			depth--
			if depth == 0 {
				end = i
				break scan
			}
		case c == ',' && depth == 1:
			cuts = append(cuts, i)
		}
	}
	if end < 0 {
		return "", nil, false
	}
	if rest := strings.TrimSpace(string(rs[end+1:])); rest != "" && !strings.HasPrefix(rest, "#") {
		return "", nil, false
	}
	var b strings.Builder
	var cols []int
	b.WriteRune('[')
	written := 1 // runes written so far
	bounds := append([]int{0}, cuts...)
	bounds = append(bounds, end)
	for k := 0; k+1 < len(bounds); k++ {
		if k > 0 {
			b.WriteRune(',')
			written++
		}
		item := rs[bounds[k]+1 : bounds[k+1]]
		lead := 0
		for lead < len(item) && (item[lead] == ' ' || item[lead] == '\t') {
			lead++
		}
		trail := len(item)
		for trail > lead && (item[trail-1] == ' ' || item[trail-1] == '\t') {
			trail--
		}
		body := string(item[lead:trail])
		b.WriteString(string(item[:lead]))
		written += lead
		q := rune(0)
		if body != "" && body[0] != '"' && body[0] != '\'' {
			switch {
			case !strings.ContainsAny(body, "\"\\"):
				q = '"'
			case !strings.ContainsRune(body, '\''):
				q = '\''
			default:
				return "", nil, false
			}
		}
		if q != 0 {
			b.WriteRune(q)
			written++
			cols = append(cols, written)
		}
		b.WriteString(body)
		written += len([]rune(body))
		if q != 0 {
			b.WriteRune(q)
			written++
			cols = append(cols, written)
		}
		b.WriteString(string(item[trail:]))
		written += len(item) - trail
	}
	b.WriteString(string(rs[end:]))
	return b.String(), cols, true
}

// unshift maps node columns on rewritten lines back to the original source.
func unshift(n *yaml.Node, ins []insertion) {
	if n == nil || len(ins) == 0 {
		return
	}
	byLine := map[int][]int{}
	for _, in := range ins {
		byLine[in.Line] = append(byLine[in.Line], in.Col)
	}
	var visit func(*yaml.Node)
	visit = func(n *yaml.Node) {
		d := 0
		for _, c := range byLine[n.Line] {
			if c < n.Column {
				d++
			}
		}
		n.Column -= d
		for _, c := range n.Content {
			visit(c)
		}
	}
	visit(n)
}
