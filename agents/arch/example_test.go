package arch

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// loadSchema parses a schema, resolving $refs to components/schemas of
// the given components YAML.
func loadSchema(t *testing.T, components, schema string) *openapi3.SchemaRef {
	t.Helper()
	src := "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: " +
		schema + "\n      responses:\n        '200': {description: ok}\n"
	if components != "" {
		src += "components:\n  schemas:\n" + indent(components, "    ")
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData([]byte(src))
	if err != nil {
		t.Fatalf("loading schema: %v\n%s", err, src)
	}
	return doc.Paths.Value("/x").Post.RequestBody.Value.Content["application/json"].Schema
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestSchemaExample(t *testing.T) {
	tests := []struct {
		name       string
		components string
		schema     string
		want       string // JSON
	}{
		{"string", "", "{type: string}", `"string"`},
		{"date-time", "", "{type: string, format: date-time}", `"2024-01-01T00:00:00Z"`},
		{"date", "", "{type: string, format: date}", `"2024-01-01"`},
		{"email", "", "{type: string, format: email}", `"user@example.com"`},
		{"uuid", "", "{type: string, format: uuid}", `"00000000-0000-4000-8000-000000000000"`},
		{"uri", "", "{type: string, format: uri}", `"https://example.com"`},
		{"minLength pads", "", "{type: string, minLength: 10}", `"stringxxxx"`},
		{"maxLength cuts", "", "{type: string, maxLength: 3}", `"str"`},
		{"integer", "", "{type: integer}", `1`},
		{"integer minimum", "", "{type: integer, minimum: 200, maximum: 599}", `200`},
		{"integer maximum below 1", "", "{type: integer, maximum: -5}", `-5`},
		{"integer exclusive minimum 3.1", "", "{type: integer, exclusiveMinimum: 10}", `11`},
		{"integer multipleOf", "", "{type: integer, minimum: 3, multipleOf: 5}", `5`},
		{"number", "", "{type: number}", `1.5`},
		{"number range", "", "{type: number, minimum: 10, maximum: 20}", `15`},
		{"number exclusive max", "", "{type: number, exclusiveMaximum: 1}", `0`},
		{"boolean", "", "{type: boolean}", `true`},
		{"enum first", "", "{type: string, enum: [red, green]}", `"red"`},
		{"example wins", "", "{type: integer, example: 7, default: 3}", `7`},
		{"default", "", "{type: integer, default: 3, enum: [1, 3]}", `3`},
		{"const", "", "{const: fixed}", `"fixed"`},
		{"examples 3.1", "", "{type: string, examples: [first, second]}", `"first"`},
		{"null or string", "", "{type: [\"null\", string]}", `"string"`},
		{"array of one", "", "{type: array, items: {type: integer}}", `[1]`},
		{"array minItems", "", "{type: array, minItems: 2, items: {type: boolean}}", `[true,true]`},
		{"array without items", "", "{type: array}", `[]`},
		{"object required and optional", "", "{type: object, required: [a], properties: {a: {type: string}, b: {type: integer}}}", `{"a":"string","b":1}`},
		{"object readOnly dropped", "", "{type: object, properties: {id: {type: integer, readOnly: true}, name: {type: string}}}", `{"name":"string"}`},
		{"object name hints", "", "{type: object, properties: {email: {type: string}, password: {type: string}, user: {type: string}}}", `{"email":"user@example.com","password":"secret","user":"user1"}`},
		{"additionalProperties", "", "{type: object, additionalProperties: {type: integer}}", `{"key":1}`},
		{"no type, properties", "", "{properties: {a: {type: boolean}}}", `{"a":true}`},
		{"allOf merge", "", "{allOf: [{type: object, properties: {a: {type: string}}}, {type: object, properties: {b: {type: integer}}}]}", `{"a":"string","b":1}`},
		{"oneOf first", "", "{oneOf: [{type: integer}, {type: string}]}", `1`},
		{"anyOf first", "", "{anyOf: [{type: string, format: email}, {type: integer}]}", `"user@example.com"`},
		{"ref", "Item: {type: object, properties: {sku: {type: integer, minimum: 1}}}", "{$ref: '#/components/schemas/Item'}", `{"sku":1}`},
		{"ref cycle optional", "Node: {type: object, properties: {name: {type: string}, next: {$ref: '#/components/schemas/Node'}}}", "{$ref: '#/components/schemas/Node'}", `{"name":"string"}`},
		{"ref cycle required", "Node: {type: object, required: [parent], properties: {parent: {$ref: '#/components/schemas/Node'}}}", "{$ref: '#/components/schemas/Node'}", `{"parent":{}}`},
		{"ref cycle in array", "Tree: {type: object, properties: {children: {type: array, items: {$ref: '#/components/schemas/Tree'}}}}", "{$ref: '#/components/schemas/Tree'}", `{"children":[]}`},
		{"nested example object", "", "{type: object, properties: {when: {type: string, example: '2024-05-06'}}}", `{"when":"2024-05-06"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ref := loadSchema(t, tc.components, tc.schema)
			got, err := json.Marshal(schemaExample(ref, "", true))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("example of %s = %s, want %s", tc.schema, got, tc.want)
			}
			again, _ := json.Marshal(schemaExample(ref, "", true))
			if string(again) != string(got) {
				t.Errorf("not deterministic: %s then %s", got, again)
			}
		})
	}
}

func TestSchemaExampleDeepNesting(t *testing.T) {
	// 20 levels of nested objects: generation stops at maxExampleDepth.
	schema := "{type: string}"
	for range 20 {
		schema = "{type: object, properties: {x: " + schema + "}}"
	}
	got, err := json.Marshal(schemaExample(loadSchema(t, "", schema), "", true))
	if err != nil {
		t.Fatal(err)
	}
	if depth := strings.Count(string(got), "{"); depth > maxExampleDepth+2 || depth < 2 {
		t.Errorf("nesting depth %d in %s", depth, got)
	}
}

func TestParameterExample(t *testing.T) {
	one := 1.0
	tests := []struct {
		name string
		p    *openapi3.Parameter
		want string
		typ  string
	}{
		{"own example", &openapi3.Parameter{Name: "q", Example: "shoes", Schema: openapi3.NewStringSchema().NewRef()}, `"shoes"`, "string"},
		{"named examples by name", &openapi3.Parameter{Name: "q", Examples: openapi3.Examples{
			"b": {Value: openapi3.NewExample("second")}, "a": {Value: openapi3.NewExample("first")},
		}}, `"first"`, ""},
		{"schema default", &openapi3.Parameter{Name: "page", Schema: &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{"integer"}, Default: 2.0, Min: &one}}}, `2`, "integer"},
		{"generated", &openapi3.Parameter{Name: "id", Schema: openapi3.NewUUIDSchema().NewRef()}, `"00000000-0000-4000-8000-000000000000"`, "string"},
		{"content schema", &openapi3.Parameter{Name: "filter", Content: openapi3.NewContentWithJSONSchema(openapi3.NewObjectSchema().WithProperty("k", openapi3.NewBoolSchema()))}, `{"k":true}`, "object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, typ := parameterExample(tc.p)
			got, _ := json.Marshal(v)
			if string(got) != tc.want || typ != tc.typ {
				t.Errorf("got %s (%s), want %s (%s)", got, typ, tc.want, tc.typ)
			}
		})
	}
}

func TestRequestBodyPrefersJSON(t *testing.T) {
	rb := &openapi3.RequestBody{Content: openapi3.Content{
		"application/xml":                   &openapi3.MediaType{Schema: openapi3.NewStringSchema().NewRef()},
		"application/x-www-form-urlencoded": &openapi3.MediaType{Schema: openapi3.NewObjectSchema().WithProperty("a", openapi3.NewStringSchema()).NewRef()},
		"application/vnd.api+json":          &openapi3.MediaType{Example: map[string]any{"x": 1}},
	}}
	b := requestBody(rb)
	if b.ContentType != "application/vnd.api+json" {
		t.Errorf("content type %q, want the JSON one", b.ContentType)
	}
	if got, _ := json.Marshal(b.Example); string(got) != `{"x":1}` {
		t.Errorf("example %s", got)
	}
}

func TestSanitize(t *testing.T) {
	in := map[any]any{1: "one", "b": []any{map[any]any{"c": 2.5}}}
	got, err := json.Marshal(sanitize(in))
	if err != nil || string(got) != `{"1":"one","b":[{"c":2.5}]}` {
		t.Errorf("sanitize = %s, %v", got, err)
	}
}
