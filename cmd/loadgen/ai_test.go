package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGenerateAndAISteps runs the offline AI pipeline from the CLI on the
// example architecture, then each step alone, and checks that what they
// write validates, and that insights come from a real run's analysis.
func TestGenerateAndAISteps(t *testing.T) {
	docs := filepath.Join("..", "..", "examples", "architecture")
	out := t.TempDir()
	code, stdout, stderr := cli(t, "generate", docs, "--out", out, "--quick", "--types", "load,spike", "--provider", "offline", "--no-jmeter")
	if code != 0 {
		t.Fatalf("generate: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, step := range []string{"analyze", "scenarios", "plans"} {
		if !strings.Contains(stderr, step+"...") || !strings.Contains(stderr, step) {
			t.Errorf("no progress for %s in:\n%s", step, stderr)
		}
	}
	for _, f := range []string{"architecture.json", "scenarios.json", "plans/plans.json", "plans/load.yaml", "plans/spike.yaml"} {
		if !strings.Contains(stdout, filepath.Join(out, f)) || !fileExists(filepath.Join(out, f)) {
			t.Errorf("%s not written (stdout %q)", f, stdout)
		}
	}
	if code, o, e := cli(t, "validate", filepath.Join(out, "plans", "load.yaml"), filepath.Join(out, "plans", "spike.yaml")); code != 0 {
		t.Fatalf("generated plans do not validate: exit %d\n%s%s", code, o, e)
	}

	// The steps alone, chained through their files.
	archFile := filepath.Join(t.TempDir(), "architecture.json")
	if code, o, e := cli(t, "ai", "analyze", docs, "-o", archFile, "--provider", "offline"); code != 0 {
		t.Fatalf("ai analyze: exit %d\n%s%s", code, o, e)
	}
	scen := filepath.Join(t.TempDir(), "scenarios.json")
	if code, o, e := cli(t, "ai", "scenarios", "--architecture", archFile, "--types", "stress", "--quick", "-o", scen, "--provider", "offline"); code != 0 {
		t.Fatalf("ai scenarios: exit %d\n%s%s", code, o, e)
	}
	var set struct {
		Source    string
		Scenarios []struct{ Type string }
	}
	readJSON(t, scen, &set)
	if set.Source != "offline" || len(set.Scenarios) != 1 || set.Scenarios[0].Type != "stress" {
		t.Errorf("scenarios: %+v", set)
	}
	plans := t.TempDir()
	if code, o, e := cli(t, "ai", "plans", "--scenarios", scen, "--architecture", archFile, "--out", plans, "--jmeter=false", "--provider", "offline"); code != 0 {
		t.Fatalf("ai plans: exit %d\n%s%s", code, o, e)
	}
	if code, o, e := cli(t, "validate", filepath.Join(plans, "stress.yaml")); code != 0 {
		t.Fatalf("ai plans output does not validate: exit %d\n%s%s", code, o, e)
	}

	// Insights from a real run's analysis.
	srv, _ := server(t)
	run := t.TempDir()
	plan := writePlan(t, strings.NewReplacer("TARGET", srv.URL, "PATH", "/ok").Replace(shortPlan))
	if code, o, e := cli(t, "run", plan, "--out", run, "--quiet"); code != 0 {
		t.Fatalf("run: exit %d\n%s%s", code, o, e)
	}
	insightsFile := filepath.Join(t.TempDir(), "insights.json")
	if code, o, e := cli(t, "ai", "insights", run, "-o", insightsFile, "--provider", "offline"); code != 0 {
		t.Fatalf("ai insights: exit %d\n%s%s", code, o, e)
	}
	var in struct {
		Source           string
		ExecutiveSummary string `json:"executive_summary"`
		Grade            struct{ Letter string }
	}
	readJSON(t, insightsFile, &in)
	var an struct{ Grade struct{ Letter string } }
	readJSON(t, filepath.Join(run, analysisFile), &an)
	if in.Source != "offline" || in.ExecutiveSummary == "" || in.Grade.Letter != an.Grade.Letter {
		t.Errorf("insights %+v, analysis grade %q", in, an.Grade.Letter)
	}
	if code, o, _ := cli(t, "ai", "insights", run, "--markdown", "--provider", "offline"); code != 0 || !strings.Contains(o, "## Insights") {
		t.Errorf("insights --markdown: exit %d\n%s", code, o)
	}
}

func TestAICommandsBadInput(t *testing.T) {
	empty := t.TempDir()
	docs := filepath.Join("..", "..", "examples", "architecture")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no documents", []string{"generate", empty, "--out", t.TempDir(), "--provider", "offline"}, "analyze"},
		{"unknown type", []string{"generate", docs, "--out", t.TempDir(), "--types", "soakk"}, "--types"},
		{"unknown provider", []string{"ai", "analyze", docs, "--provider", "gpt"}, "--provider"},
		{"no out", []string{"generate", docs}, "--out"},
		{"not an analysis", []string{"ai", "insights", filepath.Join(docs, "nfrs.yaml")}, "nfrs.yaml"},
		{"missing architecture", []string{"ai", "scenarios"}, "--architecture"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := cli(t, tc.args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d (want %d), stderr:\n%s", code, exitUsage, stderr)
			}
		})
	}
	// Nothing was left behind by the failed generate.
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("empty input folder changed: %v", entries)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
