// Package agenttest holds what the tests of the agents packages share:
// the demo target's architecture model and the golden-file check. Only
// tests import it.
package agenttest

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/loadgen/loadgen/agents/arch"
)

// DemoModel is an architecture model of the demo target, as the
// architecture step describes it: a new one on every call.
func DemoModel() *arch.Model {
	return &arch.Model{
		Schema:  arch.Schema,
		Source:  "offline",
		Title:   "Demo Shop API",
		Servers: []string{"http://127.0.0.1:8080"},
		Components: []arch.Component{
			{Name: "shop-api", Kind: "service"},
		},
		Endpoints: []arch.Endpoint{
			{Method: "GET", Path: "/health", OperationID: "health", Responses: []int{200}},
			{Method: "GET", Path: "/api/products", OperationID: "listProducts", Responses: []int{200, 400},
				Parameters: []arch.Parameter{{Name: "page", In: "query", Type: "integer", Example: 1.0}}},
			{Method: "POST", Path: "/api/auth/login", OperationID: "login", Responses: []int{200, 400},
				RequestBody: &arch.Body{ContentType: "application/json", Example: map[string]any{"user": "alice", "password": "secret"}}},
			{Method: "POST", Path: "/api/cart", OperationID: "addToCart", Responses: []int{201, 400, 401}, Security: []string{"bearerAuth"},
				RequestBody: &arch.Body{ContentType: "application/json", Example: map[string]any{"sku": 42.0, "note": "gift ${wrap}"}}},
			{Method: "GET", Path: "/status/{code}", OperationID: "status", Responses: []int{200},
				Parameters: []arch.Parameter{{Name: "code", In: "path", Required: true, Type: "integer", Example: 200.0}}},
		},
		Security: []arch.SecurityScheme{{Name: "bearerAuth", Type: "http", Scheme: "bearer", HowToObtain: "POST /api/auth/login"}},
		Auth: &arch.Auth{Method: "POST", Path: "/api/auth/login", ContentType: "application/json",
			Body: map[string]any{"user": "alice", "password": "secret"}, TokenPath: "$.token", Header: "Authorization", Prefix: "Bearer ", Scheme: "bearerAuth"},
		Workflows: []arch.Workflow{
			{Name: "browse", Steps: []arch.WorkflowStep{{Endpoint: "/api/products", Method: "GET", Order: 1}}},
			{Name: "checkout", Critical: true, Steps: []arch.WorkflowStep{
				{Endpoint: "/api/cart", Method: "POST", Order: 3},
				{Endpoint: "/api/auth/login", Method: "POST", Order: 1},
				{Endpoint: "/api/products", Method: "GET", Order: 2},
			}},
		},
		NFRSuggestions: arch.NFRSuggestions{ResponseTimeP95: "300ms", Throughput: "50rps", ErrorRate: "1%"},
	}
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Golden compares got with the file testdata/name of the test's package,
// or rewrites the file when the test runs with -update.
func Golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}
