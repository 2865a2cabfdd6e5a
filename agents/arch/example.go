package arch

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

// Bounds of a generated example: nesting depth (which also bounds $ref
// cycles) and the number of values in one example.
const (
	maxExampleDepth = 8
	maxExampleNodes = 2000
)

// exampleGen generates example values from schemas, deterministically.
type exampleGen struct {
	// request drops readOnly properties (a request body never sends them).
	request bool
	// stack holds the schemas being expanded: a schema met again on its
	// own path is a $ref cycle.
	stack []*openapi3.Schema
	nodes int
}

// schemaExample returns an example for a schema: the spec's own value
// (const, example, examples, default, first enum value) or one generated
// from the schema. request drops readOnly properties. nil for no schema.
func schemaExample(ref *openapi3.SchemaRef, name string, request bool) any {
	if ref == nil || ref.Value == nil {
		return nil
	}
	g := &exampleGen{request: request}
	v, ok := g.value(ref.Value, name, 0)
	if !ok {
		return emptyFor(ref.Value)
	}
	return v
}

// value generates an example for s; ok is false when s cannot be expanded
// here (a cycle, too deep, too big), and the caller leaves it out.
func (g *exampleGen) value(s *openapi3.Schema, name string, depth int) (any, bool) {
	if s == nil {
		return nil, false
	}
	if v, ok := specifiedValue(s); ok {
		return v, true
	}
	if depth > maxExampleDepth || g.nodes >= maxExampleNodes || slices.Contains(g.stack, s) {
		return nil, false
	}
	g.nodes++
	g.stack = append(g.stack, s)
	defer func() { g.stack = g.stack[:len(g.stack)-1] }()

	if len(s.AllOf) > 0 {
		return g.allOf(s, name, depth)
	}
	for _, alts := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf} {
		for _, alt := range alts {
			if alt != nil && alt.Value != nil {
				if v, ok := g.value(alt.Value, name, depth+1); ok {
					return v, true
				}
			}
		}
	}
	switch schemaType(s) {
	case openapi3.TypeObject:
		return g.object(s, depth), true
	case openapi3.TypeArray:
		return g.array(s, name, depth), true
	case openapi3.TypeString:
		return stringExample(s, name), true
	case openapi3.TypeInteger:
		return integerExample(s), true
	case openapi3.TypeNumber:
		return numberExample(s), true
	case openapi3.TypeBoolean:
		return true, true
	case openapi3.TypeNull:
		return nil, true
	}
	return stringExample(s, name), true // no type: any value; a string is the safest
}

// specifiedValue returns the value the schema itself gives: const,
// example, examples[0], default, or the first enum value.
func specifiedValue(s *openapi3.Schema) (any, bool) {
	switch {
	case s.Const != nil:
		return sanitize(s.Const), true
	case s.Example != nil:
		return sanitize(s.Example), true
	case len(s.Examples) > 0 && s.Examples[0] != nil:
		return sanitize(s.Examples[0]), true
	case s.Default != nil:
		return sanitize(s.Default), true
	}
	for _, e := range s.Enum {
		if e != nil {
			return sanitize(e), true
		}
	}
	return nil, false
}

// schemaType is the schema's type, the first non-null one for a list of
// types (OpenAPI 3.1), or the one its keywords imply.
func schemaType(s *openapi3.Schema) string {
	for _, t := range s.Type.Slice() {
		if t != openapi3.TypeNull {
			return t
		}
	}
	switch {
	case s.Type.Includes(openapi3.TypeNull):
		return openapi3.TypeNull
	case len(s.Properties) > 0 || s.AdditionalProperties.Schema != nil:
		return openapi3.TypeObject
	case s.Items != nil:
		return openapi3.TypeArray
	case s.Min != nil || s.Max != nil:
		return openapi3.TypeNumber
	}
	return ""
}

// allOf merges the examples of the schema's own properties and of every
// allOf element; a non-object element gives the value when nothing else
// does.
func (g *exampleGen) allOf(s *openapi3.Schema, name string, depth int) (any, bool) {
	merged := map[string]any{}
	var scalar any
	haveScalar := false
	if len(s.Properties) > 0 {
		addMissing(merged, g.object(s, depth))
	}
	for _, part := range s.AllOf {
		if part == nil || part.Value == nil {
			continue
		}
		v, ok := g.value(part.Value, name, depth+1)
		if !ok {
			continue
		}
		if m, isMap := v.(map[string]any); isMap {
			addMissing(merged, m)
		} else if !haveScalar {
			scalar, haveScalar = v, true
		}
	}
	if len(merged) == 0 && haveScalar {
		return scalar, true
	}
	return merged, true
}

// addMissing copies src's keys into dst, keeping dst's existing values.
func addMissing(dst, src map[string]any) {
	for k, v := range src {
		if _, ok := dst[k]; !ok {
			dst[k] = v
		}
	}
}

// object generates every property, required and optional; a property
// that cannot be expanded (a cycle) is left out, or given an empty value
// when it is required.
func (g *exampleGen) object(s *openapi3.Schema, depth int) map[string]any {
	out := map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(s.Properties)) {
		p := s.Properties[k]
		if p == nil || p.Value == nil || (g.request && p.Value.ReadOnly) {
			continue
		}
		v, ok := g.value(p.Value, k, depth+1)
		if !ok {
			if slices.Contains(s.Required, k) {
				out[k] = emptyFor(p.Value)
			}
			continue
		}
		out[k] = v
	}
	if len(s.Properties) == 0 {
		if ap := s.AdditionalProperties.Schema; ap != nil && ap.Value != nil {
			if v, ok := g.value(ap.Value, "value", depth+1); ok {
				out["key"] = v
			}
		}
	}
	return out
}

// array generates one item, or minItems items (at most 3).
func (g *exampleGen) array(s *openapi3.Schema, name string, depth int) []any {
	if s.Items == nil || s.Items.Value == nil {
		return []any{}
	}
	v, ok := g.value(s.Items.Value, singular(name), depth+1)
	if !ok {
		return []any{}
	}
	n := min(max(1, int(min(s.MinItems, 3))), 3)
	out := make([]any, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// emptyFor is the empty value of a schema's type: what a required
// property that cannot be expanded gets.
func emptyFor(s *openapi3.Schema) any {
	switch schemaType(s) {
	case openapi3.TypeObject:
		return map[string]any{}
	case openapi3.TypeArray:
		return []any{}
	case openapi3.TypeString:
		return ""
	case openapi3.TypeInteger, openapi3.TypeNumber:
		return 0
	case openapi3.TypeBoolean:
		return false
	}
	return nil
}

// singular drops a plural "s" from a property name, for array items.
func singular(name string) string {
	if len(name) > 3 && strings.HasSuffix(name, "s") && !strings.HasSuffix(name, "ss") {
		return name[:len(name)-1]
	}
	return name
}

// formatExamples are the string examples of the common formats.
var formatExamples = map[string]string{
	"date-time":     "2024-01-01T00:00:00Z",
	"date":          "2024-01-01",
	"time":          "12:00:00",
	"duration":      "PT1M",
	"email":         "user@example.com",
	"idn-email":     "user@example.com",
	"uuid":          "00000000-0000-4000-8000-000000000000",
	"uri":           "https://example.com",
	"url":           "https://example.com",
	"iri":           "https://example.com",
	"uri-reference": "/example",
	"hostname":      "example.com",
	"idn-hostname":  "example.com",
	"ipv4":          "192.0.2.1",
	"ipv6":          "2001:db8::1",
	"byte":          "ZXhhbXBsZQ==",
	"binary":        "example",
	"password":      "secret",
	"int32":         "1",
	"int64":         "1",
}

// stringExample is a string that fits the schema's format and length, or
// one suggested by the property name.
func stringExample(s *openapi3.Schema, name string) string {
	v, ok := formatExamples[s.Format]
	if !ok {
		v = nameHint(name)
	}
	if n := utf8.RuneCountInString(v); uint64(n) < s.MinLength {
		v += strings.Repeat("x", int(min(s.MinLength-uint64(n), 1000)))
	}
	if s.MaxLength != nil && uint64(utf8.RuneCountInString(v)) > *s.MaxLength {
		v = string([]rune(v)[:*s.MaxLength])
	}
	return v
}

// nameHint suggests a string by the property name.
func nameHint(name string) string {
	n := strings.ToLower(name)
	switch {
	case strings.Contains(n, "email"):
		return "user@example.com"
	case strings.Contains(n, "password") || strings.Contains(n, "secret"):
		return "secret"
	case n == "user" || n == "username" || n == "login" || n == "user_name" || n == "username_or_email":
		return "user1"
	case strings.HasSuffix(n, "url") || strings.HasSuffix(n, "uri"):
		return "https://example.com"
	case strings.Contains(n, "phone"):
		return "+15550100"
	}
	return "string"
}

// bounds returns the inclusive numeric bounds of a schema, exclusive ones
// moved inward by step (1 for integers).
func bounds(s *openapi3.Schema, step float64) (lo, hi float64, hasLo, hasHi bool) {
	if s.Min != nil {
		lo, hasLo = *s.Min, true
		if s.ExclusiveMin.IsTrue() {
			lo += step
		}
	}
	if v := s.ExclusiveMin.Value; v != nil && (!hasLo || *v+step > lo) {
		lo, hasLo = *v+step, true
	}
	if s.Max != nil {
		hi, hasHi = *s.Max, true
		if s.ExclusiveMax.IsTrue() {
			hi -= step
		}
	}
	if v := s.ExclusiveMax.Value; v != nil && (!hasHi || *v-step < hi) {
		hi, hasHi = *v-step, true
	}
	return lo, hi, hasLo, hasHi
}

// integerExample is 1, moved into [minimum, maximum] and onto multipleOf.
func integerExample(s *openapi3.Schema) int64 {
	lo, hi, hasLo, hasHi := bounds(s, 1)
	v := 1.0
	if hasLo && v < lo {
		v = math.Ceil(lo)
	}
	if hasHi && v > hi {
		v = math.Floor(hi)
	}
	if m := s.MultipleOf; m != nil && *m >= 1 && !math.IsInf(*m, 0) {
		step := math.Round(*m)
		up := math.Ceil(v/step) * step
		if !hasHi || up <= hi {
			v = up
		} else {
			v = math.Floor(v/step) * step
		}
	}
	if math.IsNaN(v) || v > 1<<53 || v < -(1<<53) {
		return 1
	}
	return int64(v)
}

// numberExample is 1.5, moved into [minimum, maximum] and onto multipleOf.
func numberExample(s *openapi3.Schema) float64 {
	lo, hi, hasLo, hasHi := bounds(s, 0)
	exLo := s.ExclusiveMin.IsTrue() || s.ExclusiveMin.Value != nil
	exHi := s.ExclusiveMax.IsTrue() || s.ExclusiveMax.Value != nil
	v := 1.5
	switch {
	case hasLo && hasHi && (v < lo || v > hi || (exLo && v == lo) || (exHi && v == hi)):
		v = lo + (hi-lo)/2
	case hasLo && (v < lo || (exLo && v == lo)):
		v = lo + 1
	case hasHi && (v > hi || (exHi && v == hi)):
		v = hi - 1
	}
	if m := s.MultipleOf; m != nil && *m > 0 && !math.IsInf(*m, 0) {
		up := math.Ceil(v / *m) * *m
		if !hasHi || up <= hi {
			v = up
		}
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 1.5
	}
	return v
}

// parameterExample returns a parameter's example and type: the
// parameter's own example or examples, else its schema's (or its
// content's schema's) example.
func parameterExample(p *openapi3.Parameter) (any, string) {
	schema := p.Schema
	if schema == nil && len(p.Content) > 0 {
		if mt := p.Content[slices.Sorted(maps.Keys(p.Content))[0]]; mt != nil {
			schema = mt.Schema
		}
	}
	typ := ""
	if schema != nil && schema.Value != nil {
		typ = schemaType(schema.Value)
	}
	if p.Example != nil {
		return sanitize(p.Example), typ
	}
	if v, ok := firstExample(p.Examples); ok {
		return v, typ
	}
	return schemaExample(schema, p.Name, true), typ
}

// firstExample returns the value of the first named example, by name.
func firstExample(ex openapi3.Examples) (any, bool) {
	for _, k := range slices.Sorted(maps.Keys(ex)) {
		if r := ex[k]; r != nil && r.Value != nil && r.Value.Value != nil {
			return sanitize(r.Value.Value), true
		}
	}
	return nil, false
}

// preferredContentTypes are the request body media types a load test
// sends most easily, best first.
var preferredContentTypes = []string{"application/json", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}

// requestBody picks the body's media type (JSON first) and its example.
func requestBody(rb *openapi3.RequestBody) *Body {
	if rb == nil || len(rb.Content) == 0 {
		return nil
	}
	keys := slices.Sorted(maps.Keys(rb.Content))
	ct := keys[0]
	best := len(preferredContentTypes) + 1
	for _, k := range keys {
		base := strings.ToLower(strings.TrimSpace(strings.Split(k, ";")[0]))
		rank := slices.Index(preferredContentTypes, base)
		if rank < 0 && (strings.HasSuffix(base, "+json") || strings.HasSuffix(base, "/json")) {
			rank = 0
		}
		if rank >= 0 && rank < best {
			ct, best = k, rank
		}
	}
	mt := rb.Content[ct]
	b := &Body{ContentType: ct, Required: rb.Required}
	if mt == nil {
		return b
	}
	switch v, ok := firstExample(mt.Examples); {
	case mt.Example != nil:
		b.Example = sanitize(mt.Example)
	case ok:
		b.Example = v
	default:
		b.Example = schemaExample(mt.Schema, "", true)
	}
	return b
}

// sanitize turns a value decoded from YAML or JSON into one that encodes
// as JSON deterministically: maps with string keys, no NaN or infinities,
// timestamps as RFC 3339 strings. It bounds the value's size.
func sanitize(v any) any {
	budget := maxExampleNodes
	return sanitizeValue(v, 0, &budget)
}

func sanitizeValue(v any, depth int, budget *int) any {
	*budget--
	if *budget < 0 || depth > 32 {
		return nil
	}
	switch x := v.(type) {
	case nil, bool, string, json.Number:
		return x
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	case float32:
		return sanitizeValue(float64(x), depth, budget)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return string(x)
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			out = append(out, sanitizeValue(e, depth+1, budget))
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for _, k := range slices.Sorted(maps.Keys(x)) {
			out[k] = sanitizeValue(x[k], depth+1, budget)
		}
		return out
	case map[any]any:
		type entry struct {
			key, typ string
			val      any
		}
		entries := make([]entry, 0, len(x))
		for k, e := range x {
			entries = append(entries, entry{fmt.Sprint(k), fmt.Sprintf("%T", k), e})
		}
		slices.SortFunc(entries, func(a, b entry) int {
			if c := strings.Compare(a.key, b.key); c != 0 {
				return c
			}
			return strings.Compare(a.typ, b.typ)
		})
		out := make(map[string]any, len(x))
		for _, e := range entries {
			if _, dup := out[e.key]; !dup {
				out[e.key] = sanitizeValue(e.val, depth+1, budget)
			}
		}
		return out
	}
	return fmt.Sprint(v)
}
