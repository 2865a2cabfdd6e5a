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
	"github.com/loadgen/loadgen/agents/llm"
	"github.com/loadgen/loadgen/agents/scenario"
	"github.com/loadgen/loadgen/compiler/jmx"
	"github.com/loadgen/loadgen/planspec"
)

func scenarios(t *testing.T, m *arch.Model, opts scenario.Options) *scenario.Set {
	t.Helper()
	set, err := scenario.Generate(context.Background(), m, nil, nil, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestPlans_OfflineGolden(t *testing.T) {
	m := agenttest.DemoModel()
	res, err := Plans(context.Background(), scenarios(t, m, scenario.Options{}), m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Source != llm.SourceOffline || res.Target != "http://127.0.0.1:8080" || len(res.Plans) != 5 {
		t.Fatalf("result %s %s %d plans", res.Source, res.Target, len(res.Plans))
	}
	for _, p := range res.Plans {
		if p.Source != llm.SourceOffline || p.Parsed == nil || p.File != p.Scenario+".yaml" {
			t.Errorf("plan %+v", p)
		}
		agenttest.Golden(t, "demo/"+p.File, p.YAML)
	}
	if len(res.Files) != 1 || res.Files[0].Name != "users.csv" {
		t.Fatalf("files %+v", res.Files)
	}
	agenttest.Golden(t, "demo/users.csv", res.Files[0].Data)
	manifest, _ := json.MarshalIndent(res, "", "  ")
	agenttest.Golden(t, "demo/plans.json", append(manifest, '\n'))

	load := res.Plans[0].Parsed
	sc := load.Scenarios[0]
	if sc.Executor != planspec.RampingArrivalRate || len(sc.Steps) != 3 || sc.Steps[0].Extract["token"].JSON != "$.token" ||
		sc.Steps[2].Request.Headers["Authorization"] != "Bearer ${token}" || sc.Steps[0].OnFailure != "stop_iteration" {
		t.Errorf("load plan %+v", sc)
	}
	abort := res.Plans[4].Parsed.Thresholds["http_req_duration"][0]
	if !abort.AbortOnFail || abort.DelayAbortEval.D() != time.Minute {
		t.Errorf("scalability threshold %+v", abort)
	}
}

func TestPlans_Write(t *testing.T) {
	m := agenttest.DemoModel()
	res, err := Plans(context.Background(), scenarios(t, m, scenario.Options{Short: scenario.DefaultShort}), m, Options{Target: "http://127.0.0.1:9/"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	w, err := res.Write(dir, WriteOptions{JMeter: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Plans) != 5 || len(w.Data) != 1 || len(w.JMeter) != 5 {
		t.Fatalf("written %+v", w)
	}
	for _, name := range w.Plans {
		p, err := planspec.ParseFile(filepath.Join(dir, name), planspec.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p.Target != "http://127.0.0.1:9" || len(p.Feeders["users"].Rows) != scenario.DefaultTestUsers {
			t.Errorf("%s: target %q", name, p.Target)
		}
	}
	for _, ex := range w.JMeter {
		src, err := os.ReadFile(filepath.Join(dir, JMeterDir, ex.JMX))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jmx.Decode(src, ex.JMX); err != nil {
			t.Errorf("%s: %v", ex.JMX, err)
		}
		if !strings.Contains(string(src), "users.csv") {
			t.Errorf("%s does not read the users.csv", ex.JMX)
		}
		if _, err := os.Stat(filepath.Join(dir, JMeterDir, ex.DSL, "pom.xml")); err != nil {
			t.Error(err)
		}
	}
	var leftovers []string
	_ = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && strings.Contains(info.Name(), ".tmp-") {
			leftovers = append(leftovers, path)
		}
		return nil
	})
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
	var back Result
	raw, _ := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err := json.Unmarshal(raw, &back); err != nil || len(back.Plans) != 5 || back.Plans[0].DataFiles[0] != "users.csv" {
		t.Errorf("manifest %v %+v", err, back)
	}
}

// TestPlans_RunAgainstDemo runs two short generated plans with the engine
// against the demo target: the login, the token and the bodies must make
// every request succeed.
func TestPlans_RunAgainstDemo(t *testing.T) {
	ctx, url := startDemo(t)
	m := agenttest.DemoModel()
	set := scenarios(t, m, scenario.Options{Short: 3 * time.Second})
	res, err := Plans(ctx, set, m, Options{Target: url})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := res.Write(dir, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	runPlans(ctx, t, dir, "load.yaml", "spike.yaml")
}

func TestPlans_BadInput(t *testing.T) {
	m := agenttest.DemoModel()
	ctx := context.Background()
	if _, err := Plans(ctx, nil, m, Options{}); err == nil {
		t.Error("nil set: no error")
	}
	set := scenarios(t, m, scenario.Options{})
	bad := *set
	bad.Scenarios = append([]scenario.Scenario(nil), set.Scenarios...)
	bad.Scenarios[0].Steps = append([]scenario.Step(nil), bad.Scenarios[0].Steps...)
	bad.Scenarios[0].Steps[1].Checks = []string{"status =="}
	res, err := Plans(ctx, &bad, m, Options{})
	if err == nil || res != nil || !strings.Contains(err.Error(), "/scenarios/0/steps/1/checks/0") {
		t.Errorf("invalid set: %v %v", res, err)
	}
	if _, err := Plans(ctx, set, m, Options{Target: "ftp://x"}); err == nil {
		t.Error("bad target: no error")
	}
	// No model: the endpoints are not checked; the target is the default.
	res, err = Plans(ctx, set, nil, Options{})
	if err != nil || res.Target != DefaultTarget {
		t.Errorf("%v %+v", err, res)
	}
}

func TestPickTarget(t *testing.T) {
	for _, tc := range []struct {
		servers []string
		want    string
	}{
		{nil, DefaultTarget},
		{[]string{"/v1"}, DefaultTarget + "/v1"},
		{[]string{"{scheme}://x", "https://api.example.com/v2/"}, "https://api.example.com/v2"},
	} {
		got, err := pickTarget("", &arch.Model{Servers: tc.servers})
		if err != nil || got != tc.want {
			t.Errorf("%v: %q %v, want %q", tc.servers, got, err, tc.want)
		}
	}
}

// TestPlans_PromptInjection: text from the documents (descriptions,
// notes, names) cannot break out of the plan's comments or strings.
func TestPlans_PromptInjection(t *testing.T) {
	m := agenttest.DemoModel()
	evil := "x\n# injected comment\nthresholds: {}\n---\ntarget: http://evil.example\r\n\u2028version: 2"
	m.Title = evil
	m.Endpoints[1].OperationID = "list: " + evil
	set := scenarios(t, m, scenario.Options{Short: scenario.DefaultShort})
	set.Scenarios[0].Description = evil
	set.Scenarios[0].Steps[1].Note = evil
	set.Scenarios[0].Thresholds[0].Why = evil
	res, err := Plans(context.Background(), set, m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Plans {
		if p.Parsed.Target != DefaultTarget && p.Parsed.Target != "http://127.0.0.1:8080" {
			t.Errorf("%s: target %q", p.File, p.Parsed.Target)
		}
		if _, ok := p.Parsed.Thresholds["http_req_failed"]; !ok {
			t.Errorf("%s: thresholds replaced", p.File)
		}
		for _, line := range strings.Split(string(p.YAML), "\n") {
			if strings.HasPrefix(line, "thresholds: {}") || strings.HasPrefix(line, "target: http://evil") || line == "---" {
				t.Errorf("%s: injected line %q", p.File, line)
			}
		}
		if got := p.Parsed.Scenarios[0].Steps[1].Name; !strings.HasPrefix(got, "GET /api/products") {
			t.Errorf("step name %q", got)
		}
	}
}
