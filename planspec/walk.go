package planspec

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// maxNodes bounds the YAML values the walker visits (aliases expanded), so a
// small document cannot make validation explode.
const maxNodes = 200_000

var (
	planType      = reflect.TypeFor[Plan]()
	scenarioType  = reflect.TypeFor[Scenario]()
	durationType  = reflect.TypeFor[Duration]()
	thinkTimeType = reflect.TypeFor[ThinkTime]()
	thresholdType = reflect.TypeFor[Threshold]()
)

// walker checks a YAML node tree against the plan's Go types before it is
// decoded: unknown keys, duplicate keys and values of the wrong kind become
// positioned errors, and the position of every key is recorded.
type walker struct {
	r      *reporter
	budget int
}

func posOf(n *yaml.Node) Pos { return Pos{n.Line, n.Column} }

// fail reports a malformed value at node n and marks ptr bad, so that
// validation does not pile on ("duration is required" after "invalid
// duration").
func (w *walker) fail(n *yaml.Node, ptr string, cause error, format string, args ...any) {
	w.r.atPos(posOf(n), ptr, cause, format, args...)
	w.r.markBad(ptr)
}

func (w *walker) walkRoot(doc *yaml.Node) {
	root := resolve(doc.Content[0])
	w.r.pos[""] = posOf(root)
	if root.Kind != yaml.MappingNode {
		w.fail(root, "", nil, "a plan is a mapping of keys (version, name, scenarios, ...), not %s", describe(root))
		return
	}
	w.walk(root, planType, "", "", 0)
}

// where names a path for messages: "at the top level" or "in scenarios[0]".
func where(path string) string {
	if path == "" {
		return "at the top level"
	}
	return "in " + path
}

// subject prefixes a value's message with its path ("scenarios[0].vus: ").
func subject(path string) string {
	if path == "" {
		return "the plan: "
	}
	return path + ": "
}

func (w *walker) walk(n *yaml.Node, t reflect.Type, ptr, path string, depth int) {
	if !w.spend(n) {
		return
	}
	if depth > maxDepth {
		w.fail(n, ptr, nil, "%snested too deeply (or an alias refers to itself)", subject(path))
		return
	}
	n = resolve(n)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode {
		w.fail(n, ptr, nil, "%salias refers to itself", subject(path))
		return
	}
	if isNull(n) {
		return // as if absent; validation reports what is required
	}
	switch t {
	case durationType:
		if _, err := durationFromNode(n); err != nil {
			w.fail(n, ptr, err, "%s%v", subject(path), err)
		}
		return
	case thinkTimeType:
		w.walkThinkTime(n, ptr, path, depth)
		return
	case thresholdType:
		switch n.Kind {
		case yaml.ScalarNode:
		case yaml.MappingNode:
			w.walkStruct(n, t, ptr, path, depth)
		default:
			w.fail(n, ptr, nil, "%sexpected a threshold such as \"p(95) < 500\" or {threshold, abort_on_fail, delay_abort_eval}, got %s", subject(path), describe(n))
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			w.fail(n, ptr, nil, "%sexpected a mapping of keys (%s), got %s", subject(path), strings.Join(fieldsOf(t).keys, ", "), describe(n))
			return
		}
		w.walkStruct(n, t, ptr, path, depth)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			w.fail(n, ptr, nil, "%sexpected a mapping (name: value), got %s", subject(path), describe(n))
			return
		}
		m := w.readMapping(n, ptr, path)
		for _, p := range m.pairs {
			k := resolve(p.key)
			if k.Kind != yaml.ScalarNode {
				w.fail(p.key, ptr, nil, "%skeys must be strings, not %s", subject(path), describe(k))
				continue
			}
			kp := ptrKey(ptr, k.Value)
			w.r.pos[kp] = posOf(p.key)
			w.walk(p.val, t.Elem(), kp, pathKey(path, k.Value), depth+1)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			w.fail(n, ptr, nil, "%sexpected a list, got %s", subject(path), describe(n))
			return
		}
		for i, item := range n.Content {
			ip := ptrIndex(ptr, i)
			w.r.pos[ip] = posOf(item)
			w.walk(item, t.Elem(), ip, pathIndex(path, i), depth+1)
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			w.fail(n, ptr, nil, "%sexpected a string, got %s", subject(path), describe(n))
		}
	case reflect.Int:
		var v int
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
			w.fail(n, ptr, nil, "%sexpected a whole number, got %s", subject(path), describe(n))
		} else if err := n.Decode(&v); err != nil {
			w.fail(n, ptr, nil, "%snumber %s is out of range", subject(path), n.Value)
		}
	case reflect.Float64:
		var f float64
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" && n.ShortTag() != "!!float" {
			w.fail(n, ptr, nil, "%sexpected a number, got %s", subject(path), describe(n))
		} else if err := n.Decode(&f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			w.fail(n, ptr, nil, "%sexpected a finite number, got %s", subject(path), n.Value)
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			w.fail(n, ptr, nil, "%sexpected true or false, got %s", subject(path), describe(n))
		}
	case reflect.Interface:
		// Record positions first: it counts the values against the budget
		// before nodeToJSON materializes them.
		if !w.jsonPositions(n, ptr, depth) {
			return
		}
		if _, err := nodeToJSON(n, depth); err != nil {
			var ne *nodeError
			if errors.As(err, &ne) {
				w.fail(ne.node, ptr, nil, "%s%s", subject(path), ne.msg)
			}
		}
	}
}

// jsonPositions records the position of every member and item inside a
// free-form value (a request's json), so that problems in a leaf are
// reported where the leaf is written. It reports false when the walker's
// budget ran out.
func (w *walker) jsonPositions(n *yaml.Node, ptr string, depth int) bool {
	if depth > maxDepth {
		return true // nodeToJSON reports it
	}
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		for _, p := range readMapping(n).pairs {
			if !w.spend(p.val) {
				return false
			}
			k := resolve(p.key)
			if k.Kind != yaml.ScalarNode {
				continue
			}
			kp := ptrKey(ptr, k.Value)
			w.r.pos[kp] = posOf(p.key)
			if !w.jsonPositions(p.val, kp, depth+1) {
				return false
			}
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			if !w.spend(item) {
				return false
			}
			ip := ptrIndex(ptr, i)
			w.r.pos[ip] = posOf(item)
			if !w.jsonPositions(item, ip, depth+1) {
				return false
			}
		}
	}
	return true
}

// spend counts one value against the walker's budget; it reports false
// (after reporting the plan as too large) when the budget is exhausted.
func (w *walker) spend(n *yaml.Node) bool {
	if w.budget <= 0 {
		return false
	}
	if w.budget--; w.budget == 0 {
		w.fail(n, "", nil, "plan is too large: more than %d YAML values after expanding aliases", maxNodes)
		return false
	}
	return true
}

// readMapping reads a mapping's entries and reports duplicate keys and bad
// merge keys.
func (w *walker) readMapping(n *yaml.Node, ptr, path string) mapping {
	m := readMapping(n)
	for _, d := range m.dups {
		w.fail(d.key, ptrKey(ptr, d.key.Value), nil, "duplicate key `%s` %s (first at line %d)", d.key.Value, where(path), d.val.Line)
	}
	for _, b := range m.bad {
		w.fail(b, ptr, nil, "%sa merge key (<<) must name a mapping or a list of mappings, not %s", subject(path), describe(b))
	}
	return m
}

// walkStruct checks a mapping's keys against a struct's yaml fields and
// walks each value. It reports whether no error was found.
func (w *walker) walkStruct(n *yaml.Node, t reflect.Type, ptr, path string, depth int) bool {
	before := len(w.r.errs)
	info := fieldsOf(t)
	m := w.readMapping(n, ptr, path)
	for _, p := range m.pairs {
		k := resolve(p.key)
		if k.Kind != yaml.ScalarNode {
			w.fail(p.key, ptr, nil, "%skeys must be strings, not %s", subject(path), describe(k))
			continue
		}
		kp := ptrKey(ptr, k.Value)
		ft, ok := info.fields[k.Value]
		if !ok {
			w.fail(p.key, kp, nil, "unknown key `%s` %s%s", k.Value, where(path), didYouMean(k.Value, info.keys, "valid keys"))
			continue
		}
		w.r.pos[kp] = posOf(p.key)
		w.walk(p.val, ft, kp, pathKey(path, k.Value), depth+1)
	}
	return len(w.r.errs) == before
}

// walkThinkTime checks a think time: a duration or {min, max}.
func (w *walker) walkThinkTime(n *yaml.Node, ptr, path string, depth int) {
	switch n.Kind {
	case yaml.ScalarNode:
	case yaml.MappingNode:
		if !w.walkStruct(n, thinkTimeType, ptr, path, depth) {
			return
		}
	default:
		w.fail(n, ptr, nil, "%sexpected a duration such as 1s or {min: 500ms, max: 1500ms}, got %s", subject(path), describe(n))
		return
	}
	if _, err := thinkTimeFromNode(n); err != nil {
		at := n
		if errors.Is(err, errThinkTimeRange) {
			for _, p := range readMapping(n).pairs {
				if p.key.Value == "max" {
					at = p.key
				}
			}
		}
		w.fail(at, ptr, err, "%s%v", subject(path), err)
	}
}

// structInfo lists a struct type's YAML keys.
type structInfo struct {
	keys   []string // in declaration order
	fields map[string]reflect.Type
}

var structInfos sync.Map // reflect.Type -> *structInfo

func fieldsOf(t reflect.Type) *structInfo {
	if v, ok := structInfos.Load(t); ok {
		return v.(*structInfo)
	}
	info := &structInfo{fields: map[string]reflect.Type{}}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		info.keys = append(info.keys, name)
		info.fields[name] = f.Type
	}
	v, _ := structInfos.LoadOrStore(t, info)
	return v.(*structInfo)
}
