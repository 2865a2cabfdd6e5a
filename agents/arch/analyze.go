package arch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/loadgen/loadgen/agents/llm"
	"github.com/loadgen/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/planspec"
)

// Defaults of Options.
const (
	DefaultRepairs          = 2
	DefaultMaxDocumentBytes = 8 << 20
	DefaultMaxFiles         = 500
	DefaultMaxPromptBytes   = 200_000
)

// Options tunes Analyze. The zero value analyses offline with the
// defaults.
type Options struct {
	// Provider is the model the prose goes to; nil analyses offline with
	// keyword heuristics.
	Provider llm.Provider
	// Repairs is how many times an answer that does not validate is sent
	// back with the validator's errors: 0 means DefaultRepairs (2), a
	// negative value none.
	Repairs int
	// MaxDocumentBytes skips larger files with a warning; 0 means
	// DefaultMaxDocumentBytes (8 MiB).
	MaxDocumentBytes int64
	// MaxFiles bounds the files read from folders; 0 means DefaultMaxFiles.
	MaxFiles int
	// MaxPromptBytes bounds the prose sent to the model (longer documents
	// are cut, with a warning); 0 means DefaultMaxPromptBytes.
	MaxPromptBytes int
}

// withDefaults fills in the defaults; it must be applied once.
func (o Options) withDefaults() Options {
	o.Repairs = llm.Repairs(o.Repairs, DefaultRepairs)
	if o.MaxDocumentBytes <= 0 {
		o.MaxDocumentBytes = DefaultMaxDocumentBytes
	}
	if o.MaxFiles <= 0 {
		o.MaxFiles = DefaultMaxFiles
	}
	if o.MaxPromptBytes <= 0 {
		o.MaxPromptBytes = DefaultMaxPromptBytes
	}
	return o
}

// Errors of Analyze, wrapped with the details.
var (
	// ErrNoInput: no path was given.
	ErrNoInput = errors.New("no input")
	// ErrNoDocuments: the paths hold no document that could be used (empty
	// folders, only binary, oversize or malformed files); the error lists
	// why each file was skipped.
	ErrNoDocuments = errors.New("no usable documents")
)

// Analyze reads the given folders and files and builds the architecture
// model. Folders are walked in lexical order; hidden files and folders
// (".name") are skipped, as are files of other types than OpenAPI/Swagger
// (.yaml, .yml, .json), NFR files (YAML with NFR keys only), Markdown and
// text (.md, .markdown, .txt, .text, .rst, .adoc, no extension). Files
// given by name are read whatever their extension. Each file is
// classified by content: a top-level `openapi:` or `swagger:` key makes a
// spec. Binary files (NUL bytes, invalid UTF-8), files over
// MaxDocumentBytes and symlinks leading outside the given paths are
// skipped with a warning; malformed or invalid specs are reported (file,
// line:col, JSON pointer) and the other files still used.
//
// Endpoints, security and servers come from the specs; components, data
// flows, workflows and NFR suggestions from the prose, through
// opts.Provider when set (falling back to the offline heuristics, with
// source "offline-fallback", when its answers do not validate or it
// fails), else through keyword heuristics. The same input and answers
// give the same model. The returned model always passes Validate.
func Analyze(ctx context.Context, paths []string, opts Options) (*Model, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("%w: give at least one folder or file", ErrNoInput)
	}
	c := &collector{ctx: ctx, opts: opts.withDefaults(), names: map[string]bool{}, seen: map[string]bool{}}
	type root struct {
		given, real string
		info        fs.FileInfo
	}
	var roots []root
	for _, p := range paths {
		if strings.TrimSpace(p) == "" {
			return nil, fmt.Errorf("%w: an empty path was given", ErrNoInput)
		}
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("reading input %s: %w", p, innerError(err))
		}
		real, err := filepath.EvalSymlinks(p)
		if err == nil {
			real, err = filepath.Abs(real)
		}
		if err != nil {
			return nil, fmt.Errorf("resolving input %s: %w", p, err)
		}
		roots = append(roots, root{p, real, info})
		c.roots = append(c.roots, real)
	}
	for _, r := range roots {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		switch {
		case r.info.IsDir():
			if err := c.walk(r.given, r.real); err != nil {
				return nil, err
			}
		case r.info.Mode().IsRegular():
			c.file(r.real, filepath.Base(filepath.Dir(r.real)), filepath.Base(r.given), r.info.Size(), false)
		default:
			c.warnf("%s: not a regular file or folder: skipped", filepath.Base(r.given))
		}
	}
	if len(c.sources) == 0 {
		return nil, fmt.Errorf("%w in %s%s", ErrNoDocuments, strings.Join(paths, ", "), listWarnings(c.warnings))
	}
	return analyzeSources(ctx, c.sources, c.warnings, opts)
}

// listWarnings formats warnings for an error message.
func listWarnings(ws []string) string {
	if len(ws) == 0 {
		return ""
	}
	return ":\n  " + strings.Join(ws, "\n  ")
}

// source is one file's content and the name it is reported under.
type source struct {
	name string
	data []byte
}

// collector gathers the files of the given paths.
type collector struct {
	ctx      context.Context
	opts     Options
	roots    []string // real, absolute
	sources  []source
	warnings []string
	names    map[string]bool // display names in use
	seen     map[string]bool // real paths read
	files    int
	full     bool
}

func (c *collector) warnf(format string, args ...any) {
	c.warnings = append(c.warnings, fmt.Sprintf(format, args...))
}

// Extensions read from folders: specs and NFR files, and prose.
var (
	structuredExts = []string{".yaml", ".yml", ".json"}
	proseExts      = []string{".md", ".markdown", ".txt", ".text", ".rst", ".adoc", ""}
)

// walk reads a folder's files in lexical order.
func (c *collector) walk(given, real string) error {
	before := len(c.sources) + len(c.warnings)
	base := filepath.Base(filepath.Clean(given))
	if base == "." || base == string(filepath.Separator) {
		base = filepath.Base(real)
	}
	err := filepath.WalkDir(real, func(path string, de fs.DirEntry, err error) error {
		if cerr := c.ctx.Err(); cerr != nil {
			return cerr
		}
		rel, rerr := filepath.Rel(real, path)
		if rerr != nil {
			rel = filepath.Base(path)
		}
		rel = filepath.ToSlash(rel)
		if err != nil {
			c.warnf("%s: cannot read: %v: skipped", displayRel(base, rel), innerError(err))
			if de != nil && de.IsDir() && path != real {
				return fs.SkipDir
			}
			return nil
		}
		if path == real {
			return nil
		}
		if strings.HasPrefix(de.Name(), ".") {
			if de.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if c.full {
			return fs.SkipAll
		}
		switch t := de.Type(); {
		case de.IsDir():
			return nil
		case t&fs.ModeSymlink != 0:
			c.symlink(path, base, rel)
		case t.IsRegular():
			info, err := de.Info()
			if err != nil {
				c.warnf("%s: cannot read: %v: skipped", rel, innerError(err))
				return nil
			}
			c.file(path, base, rel, info.Size(), true)
		default:
			c.warnf("%s: not a regular file: skipped", rel)
		}
		return nil
	})
	if err != nil {
		if cerr := c.ctx.Err(); cerr != nil {
			return cerr
		}
		return fmt.Errorf("walking %s: %w", given, err)
	}
	if len(c.sources)+len(c.warnings) == before {
		c.warnf("%s: empty folder: no documents", base)
	}
	return nil
}

// displayRel names a folder's entry, the folder itself by its base name.
func displayRel(base, rel string) string {
	if rel == "." || rel == "" {
		return base
	}
	return rel
}

// innerError drops the path from an *fs.PathError, which would put the
// machine's absolute paths into warnings.
func innerError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// symlink reads a symlinked file when its target is inside one of the
// roots; folders behind symlinks are not followed.
func (c *collector) symlink(path, base, rel string) {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		c.warnf("%s: broken symlink: skipped", rel)
		return
	}
	if !c.inside(target) {
		c.warnf("%s: symlink to outside the given folders: not followed", rel)
		return
	}
	info, err := os.Stat(target)
	switch {
	case err != nil:
		c.warnf("%s: cannot read: %v: skipped", rel, innerError(err))
	case info.IsDir():
		c.warnf("%s: symlink to a folder: not followed", rel)
	case !info.Mode().IsRegular():
		c.warnf("%s: not a regular file: skipped", rel)
	default:
		c.file(target, base, rel, info.Size(), true)
	}
}

// inside reports whether a real path is one of the roots or below one.
func (c *collector) inside(target string) bool {
	for _, r := range c.roots {
		if target == r || strings.HasPrefix(target, strings.TrimSuffix(r, string(filepath.Separator))+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// file reads one file. walked files are filtered by extension.
func (c *collector) file(path, base, rel string, size int64, walked bool) {
	if walked {
		ext := strings.ToLower(filepath.Ext(rel))
		if !slices.Contains(structuredExts, ext) && !slices.Contains(proseExts, ext) {
			c.warnf("%s: not an OpenAPI, NFR, Markdown or text file (%s): skipped", rel, ext)
			return
		}
		if c.files >= c.opts.MaxFiles {
			c.warnf("more than %d files: the rest skipped", c.opts.MaxFiles)
			c.full = true
			return
		}
		c.files++
	}
	if real, err := filepath.Abs(path); err == nil {
		if c.seen[real] {
			return // the same file through a symlink or a second path
		}
		c.seen[real] = true
	}
	if size > c.opts.MaxDocumentBytes {
		c.warnf("%s: %d bytes, more than the %d-byte limit: skipped", rel, size, c.opts.MaxDocumentBytes)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		c.warnf("%s: cannot read: %v: skipped", rel, innerError(err))
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, c.opts.MaxDocumentBytes+1))
	if err != nil {
		c.warnf("%s: cannot read: %v: skipped", rel, innerError(err))
		return
	}
	if int64(len(data)) > c.opts.MaxDocumentBytes {
		c.warnf("%s: more than the %d-byte limit: skipped", rel, c.opts.MaxDocumentBytes)
		return
	}
	c.sources = append(c.sources, source{name: c.uniqueName(base, rel), data: data})
}

// uniqueName is rel, or base/rel (base: the folder's name) when another
// path already has rel, or rel with a number.
func (c *collector) uniqueName(base, rel string) string {
	name := rel
	if c.names[name] {
		name = base + "/" + rel
	}
	for i := 2; c.names[name]; i++ {
		name = fmt.Sprintf("%s (%d)", rel, i)
	}
	c.names[name] = true
	return name
}

// docKind is what a document is.
type docKind int

const (
	kindProse docKind = iota
	kindOpenAPI
	kindSwagger
	kindNFR
)

// document is a classified source.
type document struct {
	name string
	data []byte
	kind docKind
	// root is the parsed YAML/JSON tree of a spec or NFR file, for
	// positions.
	root *yaml.Node
}

var (
	// specKeyYAMLRe finds a top-level openapi/swagger key in YAML.
	specKeyYAMLRe = regexp.MustCompile(`(?m)^["']?(openapi|swagger)["']?[ \t]*:`)
	// specKeyJSONRe finds an openapi/swagger key in JSON.
	specKeyJSONRe = regexp.MustCompile(`"(openapi|swagger)"\s*:`)
)

// classify decides what a source is. A nil document comes with the
// warning saying why the source is skipped.
func classify(s source) (d *document, warning string) {
	defer func() {
		if r := recover(); r != nil {
			d, warning = nil, fmt.Sprintf("%s: internal error while reading the document (%v): skipped", s.name, r)
		}
	}()
	data := bytes.TrimPrefix(s.data, []byte("\xef\xbb\xbf"))
	if bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data) {
		return nil, s.name + ": binary file (NUL bytes or invalid UTF-8): skipped"
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, s.name + ": empty file: skipped"
	}
	d = &document{name: s.name, data: data, kind: kindProse}
	ext := strings.ToLower(filepath.Ext(s.name))
	structured := slices.Contains(structuredExts, ext)
	if trimmed[0] == '{' || (trimmed[0] == '[' && structured) {
		if !structured && !specKeyJSONRe.Match(data) {
			return d, ""
		}
		var v any
		if err := decodeJSON(data, &v); err != nil {
			return nil, fmt.Sprintf("%s:%s: skipped", s.name, err)
		}
		d.root, _ = parseYAML(data) // positions only; JSON is YAML
		top, _ := v.(map[string]any)
		keys := make([]string, 0, len(top))
		for k := range top {
			keys = append(keys, k)
		}
		return classifyKeys(d, keys, func(k string) bool { _, ok := top[k].(string); return ok })
	}
	specKey := specKeyYAMLRe.Match(data)
	if !structured && !specKey {
		return d, ""
	}
	root, err := parseYAML(data)
	if err != nil {
		if structured || firstKeyIsSpec(data) {
			line, col, msg := planspec.YAMLErrorPosition(data, err)
			return nil, fmt.Sprintf("%s:%d:%d: %s: skipped", s.name, line, col, msg)
		}
		return d, ""
	}
	d.root = root
	var keys []string
	scalar := map[string]bool{}
	if m := nodeAt(root, nil); m != nil && m.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(m.Content); i += 2 {
			k := m.Content[i].Value
			keys = append(keys, k)
			scalar[k] = m.Content[i+1].Kind == yaml.ScalarNode
		}
	}
	return classifyKeys(d, keys, func(k string) bool { return scalar[k] })
}

// classifyKeys decides by the top-level keys: openapi or swagger makes a
// spec, only NFR keys an NFR file, anything else prose.
func classifyKeys(d *document, keys []string, isScalar func(string) bool) (*document, string) {
	switch {
	case slices.Contains(keys, "openapi"):
		if !isScalar("openapi") {
			return nil, d.name + ": `openapi` is not a version string such as \"3.0.3\": skipped"
		}
		d.kind = kindOpenAPI
	case slices.Contains(keys, "swagger"):
		if !isScalar("swagger") {
			return nil, d.name + ": `swagger` is not the version string \"2.0\": skipped"
		}
		d.kind = kindSwagger
	case len(keys) > 0 && !slices.ContainsFunc(keys, func(k string) bool {
		return k != "labels" && !slices.Contains(results.NFRKeys, k)
	}):
		d.kind = kindNFR
	}
	return d, ""
}

// firstKeyIsSpec reports whether the first line that is not blank or a
// comment is an openapi/swagger key.
func firstKeyIsSpec(data []byte) bool {
	for _, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") || t == "---" {
			continue
		}
		return specKeyYAMLRe.MatchString(line)
	}
	return false
}

// parseYAML parses the first YAML document into a node tree.
func parseYAML(data []byte) (*yaml.Node, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	return &root, nil
}

// decodeJSON decodes one JSON value; a syntax error says line:col.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); !errors.Is(terr, io.EOF) {
			off := dec.InputOffset()
			line, col := lineCol(data, off)
			return fmt.Errorf("%d:%d: invalid JSON: data after the top-level value", line, col)
		}
		return nil
	}
	var se *json.SyntaxError
	off := int64(len(data))
	if errors.As(err, &se) {
		off = se.Offset - 1 // the offending byte
	}
	line, col := lineCol(data, off)
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if errors.Is(err, io.ErrUnexpectedEOF) {
		msg = "unexpected end of the document"
	}
	return fmt.Errorf("%d:%d: invalid JSON: %s", line, col, msg)
}

// lineCol converts a byte offset to a 1-based line and column (in runes).
func lineCol(data []byte, off int64) (int, int) {
	off = max(0, min(off, int64(len(data))))
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	start := bytes.LastIndexByte(before, '\n') + 1
	return line, utf8.RuneCount(before[start:]) + 1
}

// analyzeSources classifies and analyses the sources: the whole step after
// reading files. opts are as given to Analyze (defaults not yet applied).
func analyzeSources(ctx context.Context, sources []source, warnings []string, opts Options) (*Model, error) {
	opts = opts.withDefaults()
	m := &Model{
		Schema:     Schema,
		Source:     llm.SourceOffline,
		Components: []Component{},
		Endpoints:  []Endpoint{},
		DataFlows:  []DataFlow{},
		Workflows:  []Workflow{},
		Documents:  []string{},
	}
	m.Warnings = append(m.Warnings, warnings...)
	var specs []*specResult
	var specNames []string
	var prose []*document
	var nfrs []nfrFile
	for _, s := range sources {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d, warn := classify(s)
		if warn != "" {
			m.Warnings = append(m.Warnings, warn)
		}
		if d == nil {
			continue
		}
		switch d.kind {
		case kindOpenAPI, kindSwagger:
			res, err := parseSpec(ctx, d, d.kind == kindSwagger)
			if cerr := ctx.Err(); cerr != nil {
				return nil, cerr
			}
			if err != nil {
				var pe *positionedError
				if !errors.As(err, &pe) {
					err = fmt.Errorf("%s: %w", d.name, err)
				}
				m.Warnings = append(m.Warnings, fmt.Sprintf("%v: skipped", err))
				continue
			}
			m.Warnings = append(m.Warnings, res.warnings...)
			specs = append(specs, res)
			specNames = append(specNames, d.name)
		case kindNFR:
			spec, err := results.ParseNFR(d.data, d.name)
			if err != nil {
				m.Warnings = append(m.Warnings, fmt.Sprintf("%v: NFR file skipped", err))
				continue
			}
			nfrs = append(nfrs, nfrFile{d.name, spec})
		default:
			prose = append(prose, d)
		}
		m.Documents = append(m.Documents, d.name)
	}
	if len(m.Documents) == 0 {
		return nil, fmt.Errorf("%w%s", ErrNoDocuments, listWarnings(m.Warnings))
	}
	mergeSpecs(m, specs, specNames)

	offline, warns := offlineProse(prose, m.Endpoints, m.Auth)
	m.Warnings = append(m.Warnings, warns...)
	answer := offline
	if opts.Provider != nil {
		a, err := askModel(ctx, opts, prose, m)
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
		m.Provider, m.ModelID, m.Prompt = opts.Provider.Name(), opts.Provider.Model(), promptName
		if err != nil {
			m.Source = llm.SourceOfflineFallback
			m.Warnings = append(m.Warnings, fmt.Sprintf("model: %v; the prose part is the offline heuristics' result (source %q)", err, llm.SourceOfflineFallback))
		} else {
			m.Source = llm.SourceModel
			answer = *a
		}
	}
	applyNFRFiles(&answer.NFRSuggestions, nfrs)
	m.Components = nonNil(answer.Components)
	m.DataFlows = nonNil(answer.DataFlows)
	m.Workflows = nonNil(answer.Workflows)
	m.NFRSuggestions = answer.NFRSuggestions
	sortProse(m)
	normalizeExamples(m)
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("internal error: the architecture model does not validate: %w", err)
	}
	return m, nil
}

// normalizeExamples gives the example values the types they have after a
// JSON round trip (numbers float64, objects map[string]any, lists []any),
// so a model from Analyze and one read back with ReadFile are equal.
func normalizeExamples(m *Model) {
	for i := range m.Endpoints {
		e := &m.Endpoints[i]
		for j := range e.Parameters {
			e.Parameters[j].Example = jsonValue(e.Parameters[j].Example)
		}
		if e.RequestBody != nil {
			e.RequestBody.Example = jsonValue(e.RequestBody.Example)
		}
	}
	if m.Auth != nil {
		m.Auth.Body = jsonValue(m.Auth.Body)
	}
}

// jsonValue round-trips a value through encoding/json.
func jsonValue(v any) any {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return nil
	}
	return out
}

// nonNil turns a nil slice into an empty one, so it encodes as [].
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// sortProse puts components and data flows in their canonical order;
// workflows keep theirs (most important first, as found).
func sortProse(m *Model) {
	slices.SortStableFunc(m.Components, func(a, b Component) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	slices.SortStableFunc(m.DataFlows, func(a, b DataFlow) int {
		if c := strings.Compare(strings.ToLower(a.From), strings.ToLower(b.From)); c != 0 {
			return c
		}
		return strings.Compare(strings.ToLower(a.To), strings.ToLower(b.To))
	})
}

// nfrFile is a parsed NFR file of the input.
type nfrFile struct {
	name string
	spec *results.NFRSpec
}

// applyNFRFiles overrides suggestions with the NFR files' whole-run
// requirements: stated requirements win over inferred ones.
func applyNFRFiles(n *NFRSuggestions, files []nfrFile) {
	for _, f := range files {
		var set []string
		labels := false
		for _, r := range f.spec.NFRs {
			if r.Label != "" {
				labels = true
				continue
			}
			for _, fld := range nfrFields(n) {
				if fld.key == r.Key {
					*fld.val = r.Target
					set = append(set, r.Key+": "+r.Target)
				}
			}
		}
		note := f.name + ": " + strings.Join(set, ", ")
		if labels {
			note += " (per-label requirements are not suggestions here)"
		}
		if len(set) > 0 || labels {
			n.Notes = append(n.Notes, truncate(note, maxTextLen))
		}
	}
	if len(n.Notes) > maxNotes {
		n.Notes = n.Notes[len(n.Notes)-maxNotes:]
	}
}

// mergeSpecs puts the specs' endpoints, servers and security into m: the
// first document wins on duplicates.
func mergeSpecs(m *Model, specs []*specResult, names []string) {
	seen := map[string]string{}
	schemes := map[string]*schemeInfo{}
	var logins []loginCandidate
	for i, s := range specs {
		if m.Title == "" {
			m.Title = s.title
		}
		for _, u := range s.servers {
			if !slices.Contains(m.Servers, u) {
				m.Servers = append(m.Servers, u)
			}
		}
		for _, e := range s.endpoints {
			key := e.Method + " " + e.Path
			if first, dup := seen[key]; dup {
				m.Warnings = append(m.Warnings, fmt.Sprintf("%s: %s is also in %s: kept the first", names[i], key, first))
				continue
			}
			seen[key] = names[i]
			m.Endpoints = append(m.Endpoints, e)
		}
		for _, k := range slices.Sorted(maps.Keys(s.schemes)) {
			if _, dup := schemes[k]; !dup {
				schemes[k] = &schemeInfo{name: k, s: s.schemes[k]}
			}
		}
		logins = append(logins, s.logins...)
	}
	slices.SortFunc(m.Endpoints, compareEndpoints)
	m.Auth = chooseAuth(logins, m.Endpoints, schemes)
	for _, k := range slices.Sorted(maps.Keys(schemes)) {
		m.Security = append(m.Security, securityScheme(schemes[k], m.Auth))
	}
}
