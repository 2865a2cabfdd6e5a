package fakeapi

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/loadgen/loadgen/examples/demo"
)

// loadSpec loads and validates architecture/openapi.yaml.
func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	src, err := Docs.ReadFile("architecture/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(src)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	return doc
}

// TestSpecMatchesHandler checks the OpenAPI spec against the handler both
// ways: every route served (catalogue and demo paths) is in the spec with
// its auth and error statuses, and every operation of the spec is served.
func TestSpecMatchesHandler(t *testing.T) {
	doc := loadSpec(t)
	ops := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops[method+" "+path] = op
		}
	}
	served := map[string]bool{}
	for _, r := range Catalogue() {
		key := r.Method + " " + r.Path
		served[key] = true
		op := ops[key]
		if op == nil {
			t.Errorf("%s is served but not in the spec", key)
			continue
		}
		if secured := op.Security != nil && len(*op.Security) > 0; secured != r.Auth {
			t.Errorf("%s: spec security %v, catalogue auth %v", key, secured, r.Auth)
		}
		codes := []int{}
		for c := range op.Responses.Map() {
			if n, err := strconv.Atoi(c); err == nil {
				codes = append(codes, n)
			}
		}
		if r.ErrorStatus != 0 && !slices.Contains(codes, r.ErrorStatus) {
			t.Errorf("%s: injected %d not documented (%v)", key, r.ErrorStatus, codes)
		}
		if r.Auth && !slices.Contains(codes, 401) {
			t.Errorf("%s: 401 not documented", key)
		}
	}
	for _, r := range DemoRoutes() {
		key := r.Method + " " + r.Path
		served[key] = true
		if ops[key] == nil {
			t.Errorf("demo route %s is not in the spec", key)
		}
	}
	for key := range ops {
		if !served[key] {
			t.Errorf("%s is in the spec but not served", key)
		}
	}

	// Every operation answers through the handler, with its examples: not
	// the mux's text 404 or a 405.
	h := Handler(Options{})
	for key, op := range ops {
		method, path, _ := strings.Cut(key, " ")
		if path == "/reset" {
			continue // resets the connection by design
		}
		for _, p := range op.Parameters {
			if p.Value.In == "path" {
				ex := "1"
				if p.Value.Example != nil {
					ex = toString(p.Value.Example)
				}
				path = strings.ReplaceAll(path, "{"+p.Value.Name+"}", ex)
			}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		if rec.Code == http.StatusMethodNotAllowed || rec.Code == http.StatusNotFound && !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			t.Errorf("%s (as %s): %d %q", key, path, rec.Code, rec.Body.String())
		}
	}
}

// TestDemoRoutesAreServed checks DemoRoutes against the demo target itself.
func TestDemoRoutesAreServed(t *testing.T) {
	ts := httptest.NewServer(demo.Handler(demo.Options{}))
	defer ts.Close()
	for _, r := range DemoRoutes() {
		if r.Path == "/reset" {
			continue
		}
		path := strings.ReplaceAll(r.Path, "{code}", "200")
		req, _ := http.NewRequest(r.Method, ts.URL+path, strings.NewReader("{}"))
		res, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode == 404 || res.StatusCode == 405 {
			t.Errorf("demo target: %s %s answers %d", r.Method, r.Path, res.StatusCode)
		}
	}
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	}
	return "1"
}
