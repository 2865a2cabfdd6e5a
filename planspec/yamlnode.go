package planspec

import (
	"fmt"
	"math"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// maxDepth bounds the nesting the walker and the JSON conversion follow;
// it also stops alias cycles (an anchor that contains an alias to itself).
const maxDepth = 64

// nodeError is a problem with one YAML node; its message names no path.
type nodeError struct {
	node *yaml.Node
	msg  string
}

func (e *nodeError) Error() string { return e.msg }

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxDepth; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge"
}

// pair is one key/value entry of a mapping.
type pair struct{ key, val *yaml.Node }

// mapping is a mapping node's entries after merge keys (<<) are applied:
// explicit keys win over merged ones, earlier merge sources over later ones.
type mapping struct {
	pairs []pair
	dups  []pair       // key: the repeated key; val: the first occurrence's key
	bad   []*yaml.Node // merge values that are not mappings
}

func readMapping(n *yaml.Node) mapping {
	var m mapping
	readMappingInto(&m, n, map[string]bool{}, 0)
	return m
}

func readMappingInto(m *mapping, n *yaml.Node, seen map[string]bool, depth int) {
	if depth > maxDepth {
		m.bad = append(m.bad, n)
		return
	}
	first := map[string]*yaml.Node{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			merges = append(merges, v)
			continue
		}
		if k.Kind == yaml.ScalarNode {
			if f, ok := first[k.Value]; ok {
				m.dups = append(m.dups, pair{k, f})
				continue
			}
			first[k.Value] = k
			if seen[k.Value] {
				continue // set by the including mapping
			}
			seen[k.Value] = true
		}
		m.pairs = append(m.pairs, pair{k, v})
	}
	for _, v := range merges {
		v = resolve(v)
		switch v.Kind {
		case yaml.MappingNode:
			readMappingInto(m, v, seen, depth+1)
		case yaml.SequenceNode:
			for _, item := range v.Content {
				if item = resolve(item); item.Kind == yaml.MappingNode {
					readMappingInto(m, item, seen, depth+1)
				} else {
					m.bad = append(m.bad, item)
				}
			}
		default:
			m.bad = append(m.bad, v)
		}
	}
}

// dropDuplicateKeys removes the second and later occurrences of a key from
// every mapping under n. yaml.v3 refuses to decode a mapping with duplicate
// keys at all; once they are reported, the rest should still decode.
func dropDuplicateKeys(n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		seen := map[string]bool{}
		kept := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.ScalarNode && !isMergeKey(k) {
				if seen[k.Value] {
					continue
				}
				seen[k.Value] = true
			}
			kept = append(kept, k, n.Content[i+1])
		}
		n.Content = kept
	}
	for _, c := range n.Content {
		dropDuplicateKeys(c)
	}
}

// describe names a node's kind and value for error messages
// ("a list", `string "abc"`, "number 1.5").
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:37] + "..."
		}
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!int", "!!float":
			return "number " + v
		case "!!bool":
			return "boolean " + v
		default:
			return "string " + strconv.Quote(v)
		}
	}
	return "an unsupported YAML node"
}

// nodeToJSON converts a YAML value to the types encoding/json marshals:
// map[string]any, []any, string, int, int64, uint64, float64, bool and nil.
// Unlike yaml's own decoding into any, timestamps stay strings and mapping
// keys are always strings.
func nodeToJSON(n *yaml.Node, depth int) (any, error) {
	if depth > maxDepth {
		return nil, &nodeError{n, "value is nested too deeply"}
	}
	n = resolve(n)
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return nodeToJSON(n.Content[0], depth+1)
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			v, err := nodeToJSON(item, depth+1)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	case yaml.MappingNode:
		m := readMapping(n)
		if len(m.dups) > 0 {
			d := m.dups[0]
			return nil, &nodeError{d.key, fmt.Sprintf("duplicate key %q (first at line %d)", d.key.Value, d.val.Line)}
		}
		if len(m.bad) > 0 {
			return nil, &nodeError{m.bad[0], "a merge key (<<) must name a mapping or a list of mappings"}
		}
		obj := make(map[string]any, len(m.pairs))
		for _, p := range m.pairs {
			k := resolve(p.key)
			if k.Kind != yaml.ScalarNode {
				return nil, &nodeError{p.key, "object keys must be strings, not " + describe(k)}
			}
			v, err := nodeToJSON(p.val, depth+1)
			if err != nil {
				return nil, err
			}
			obj[k.Value] = v
		}
		return obj, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool", "!!int":
			var v any
			if err := n.Decode(&v); err != nil {
				return nil, &nodeError{n, "invalid " + describe(n)}
			}
			return v, nil
		case "!!float":
			var f float64
			if err := n.Decode(&f); err != nil {
				return nil, &nodeError{n, "invalid " + describe(n)}
			}
			if math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, &nodeError{n, fmt.Sprintf("%s cannot be written in JSON", n.Value)}
			}
			return f, nil
		default:
			return n.Value, nil
		}
	}
	return nil, &nodeError{n, "unsupported YAML node"}
}

// UnmarshalYAML decodes a request, converting `json` with the rules of
// nodeToJSON so that encoding/json can marshal it as written.
func (r *Request) UnmarshalYAML(n *yaml.Node) error {
	type plain Request
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	p.JSON = nil
	if n = resolve(n); n.Kind == yaml.MappingNode {
		for _, kv := range readMapping(n).pairs {
			if kv.key.Value != "json" {
				continue
			}
			v, err := nodeToJSON(kv.val, 0)
			if err != nil {
				// Keep the rest of the request: the error is about json only.
				*r = Request(p)
				line := kv.val.Line
				if ne, ok := err.(*nodeError); ok {
					line = ne.node.Line
				}
				return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", line, err)}}
			}
			p.JSON = v
		}
	}
	*r = Request(p)
	return nil
}
