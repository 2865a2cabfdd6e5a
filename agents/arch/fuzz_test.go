package arch

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzExts are the file names a fuzzed document is tried under.
var fuzzExts = []string{".yaml", ".json", ".md", ".txt", ""}

// FuzzAnalyzeDocument feeds arbitrary bytes, under several file names,
// through classification, the OpenAPI/Swagger loader, example generation
// and the prose heuristics: Analyze must never panic, and what it returns
// must validate and encode.
func FuzzAnalyzeDocument(f *testing.F) {
	for _, name := range []string{"openapi.yaml", "architecture.md", "nfrs.yaml"} {
		if b, err := os.ReadFile(filepath.Join(exampleDir, name)); err == nil {
			f.Add(b, uint8(0))
		}
	}
	if b, err := os.ReadFile("testdata/swagger.json"); err == nil {
		f.Add(b, uint8(1))
	}
	for _, s := range []string{
		validSpec,
		"openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a/{id}:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: {$ref: '#/components/schemas/N'}\n      responses: {'200': {description: ok}}\ncomponents:\n  schemas:\n    N: {type: object, required: [n], properties: {n: {$ref: '#/components/schemas/N'}, l: {type: array, items: {$ref: '#/components/schemas/N'}}}}\n",
		"openapi: 3.0.0\npaths: {/x: {get: {responses: [1]}}}\n",
		"swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {/x: {get: {parameters: [{in: body, name: b, schema: {$ref: '#/definitions/X'}}], responses: {'200': {description: ok}}}}}\ndefinitions: {X: {allOf: [{$ref: '#/definitions/X'}]}}\n",
		"{\"openapi\": \"3.0.3\", \"paths\": {\"/a\": null}}",
		"a: &a [*a, *a]\nopenapi: *a\n",
		"response_time_p95: fast\n",
		injection,
		"checkout: log in → browse → pay\n1. POST /a\n2. GET /b?x=1\n",
		"The Cart Service writes to PostgreSQL and reads Redis. p95 under 1 s, 99.9% availability, 10 rps.",
		"\xff\xfe\x00binary",
		"",
	} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(2))
	}
	f.Fuzz(func(t *testing.T, data []byte, ext uint8) {
		if len(data) > 1<<16 {
			return
		}
		name := "doc" + fuzzExts[int(ext)%len(fuzzExts)]
		m, err := analyzeSources(context.Background(), []source{{name, data}}, nil, Options{})
		if err != nil {
			if !errors.Is(err, ErrNoDocuments) {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("the model does not validate: %v", err)
		}
		if _, err := Marshal(m); err != nil {
			t.Fatal(err)
		}
		for _, w := range m.Warnings {
			if strings.Contains(w, "internal error") {
				t.Logf("recovered: %s", w)
			}
		}
	})
}
