package plangen

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/agents/arch"
	"github.com/loadgen/loadgen/agents/internal/agenttest"
	"github.com/loadgen/loadgen/agents/scenario"
	"github.com/loadgen/loadgen/examples/demo"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/planspec"
)

// exampleDir is the example architecture: the demo target's OpenAPI, its
// prose and its NFRs.
var exampleDir = filepath.Join("..", "..", "examples", "architecture")

// examplePipeline runs the offline pipeline on examples/architecture:
// architecture → scenarios (every type) → plans.
func examplePipeline(t *testing.T, sopts scenario.Options, target string) (*arch.Model, *scenario.Set, *Result) {
	t.Helper()
	ctx := context.Background()
	m, err := arch.Analyze(ctx, []string{exampleDir}, arch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	nfrs, err := results.ParseNFRFile(filepath.Join(exampleDir, "nfrs.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := scenario.Generate(ctx, m, nil, nfrs, scenario.Types, sopts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Plans(ctx, set, m, Options{Target: target})
	if err != nil {
		t.Fatal(err)
	}
	return m, set, res
}

// TestExample_Golden pins the offline outputs of the example
// architecture: the scenarios and the plans.
func TestExample_Golden(t *testing.T) {
	_, set, res := examplePipeline(t, scenario.Options{}, "")
	raw, _ := json.MarshalIndent(set, "", "  ")
	agenttest.Golden(t, "example/scenarios.json", append(raw, '\n'))
	for _, p := range res.Plans {
		agenttest.Golden(t, "example/"+p.File, p.YAML)
	}
	for _, f := range res.Files {
		agenttest.Golden(t, "example/"+f.Name, f.Data)
	}
	// The architecture reached the scenarios: the critical journey with
	// its login, token and bodies, and the NFR file's thresholds.
	steps := set.Scenarios[0].Steps
	var calls []string
	for _, s := range steps {
		calls = append(calls, s.Method+" "+s.Path+" "+s.Auth)
	}
	if got := strings.Join(calls, ", "); got != "POST /api/auth/login login, GET /api/products , POST /api/cart bearer" {
		t.Errorf("journey %s", got)
	}
	if n := set.Inputs.NFRs; n.P95Ms != 500 || n.RPS != 50 || n.ErrorBudget != 0.001 || n.Origin["throughput"] != scenario.OriginFile {
		t.Errorf("nfrs %+v", n)
	}
}

// TestExample_RunAgainstDemo is the offline pipeline end to end: the
// example architecture's plans validate, and two of them, shortened, run
// against the demo target with no failed request.
func TestExample_RunAgainstDemo(t *testing.T) {
	ctx, url := startDemo(t)
	_, _, res := examplePipeline(t, scenario.Options{Short: 3 * time.Second}, url)
	dir := t.TempDir()
	w, err := res.Write(dir, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range w.Plans {
		if _, err := planspec.ParseFile(filepath.Join(dir, name), planspec.Options{}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	runPlans(ctx, t, dir, "load.yaml", "stress.yaml")
}

// startDemo starts the demo target for the test, which it skips with
// -short. It returns the target's URL and a context that bounds the
// test's load runs; both end with the test.
func startDemo(t *testing.T) (context.Context, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs load for a few seconds")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	url, stop, err := demo.Start(ctx, "127.0.0.1:0", demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop(context.Background()) })
	return ctx, url
}

// runPlans runs the named plans of dir (as Result.Write wrote them) with
// the engine: every request, check and threshold must pass.
func runPlans(ctx context.Context, t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, name := range names {
		p, err := planspec.ParseFile(filepath.Join(dir, name), planspec.Options{})
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "out-"+strings.TrimSuffix(name, ".yaml"))
		sum, err := loadgen.Run(ctx, p, loadgen.Options{Out: out, Seed: 1})
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if sum == nil {
			continue
		}
		if sum.Total.Count == 0 || sum.Total.Errors != 0 || sum.Total.ChecksFailed != 0 {
			raw, _ := os.ReadFile(filepath.Join(out, loadgen.SummaryFile))
			t.Errorf("%s: %d requests, %d failed, %d checks failed:\n%s", name, sum.Total.Count, sum.Total.Errors, sum.Total.ChecksFailed, raw)
		}
		for _, th := range sum.Thresholds {
			if !th.OK {
				t.Errorf("%s: threshold %s %q failed (actual %g)", name, th.Metric, th.Threshold, th.Actual)
			}
		}
	}
}
