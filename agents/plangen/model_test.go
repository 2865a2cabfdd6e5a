package plangen

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/loadgen/loadgen/agents/internal/agenttest"
	"github.com/loadgen/loadgen/agents/llm"
	"github.com/loadgen/loadgen/agents/llm/llmtest"
	"github.com/loadgen/loadgen/agents/scenario"
)

// offlineAnswer returns the request's offline plan as JSON, edited.
func offlineAnswer(t *testing.T, edit func(p map[string]any)) llmtest.Reply {
	return func(req llm.Request) (json.RawMessage, error) {
		_, js, _ := strings.Cut(req.Prompt, "\n\n")
		var in struct {
			OfflinePlan string `json:"offline_plan"`
		}
		if err := json.Unmarshal([]byte(js), &in); err != nil {
			t.Fatal(err)
		}
		var p map[string]any
		if err := yaml.Unmarshal([]byte(in.OfflinePlan), &p); err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			edit(p)
		}
		return json.Marshal(p)
	}
}

// firstScenario returns the plan's first scenario, as decoded JSON.
func firstScenario(p map[string]any) map[string]any {
	return p["scenarios"].([]any)[0].(map[string]any)
}

func planStep(p map[string]any, i int) map[string]any {
	return firstScenario(p)["steps"].([]any)[i].(map[string]any)
}

func onePlanSet(t *testing.T) *scenario.Set {
	set, err := scenario.Generate(context.Background(), agenttest.DemoModel(), nil, nil, []string{"load", "spike"}, scenario.Options{Short: scenario.DefaultShort})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestPlans_ModelValid(t *testing.T) {
	p := &llmtest.Scripted{Replies: []llmtest.Reply{
		offlineAnswer(t, func(plan map[string]any) {
			plan["name"] = "renamed-by-the-model"
			plan["target"] = "http://elsewhere.example"
			planStep(plan, 1)["check"] = []any{"status == 200", "len(json.items) == 10"}
		}),
	}}
	res, err := Plans(context.Background(), onePlanSet(t), agenttest.DemoModel(), Options{Provider: p})
	if err != nil {
		t.Fatal(err)
	}
	if res.Source != llm.SourceModel || res.Provider != "fake" || res.Prompt != PromptFile {
		t.Errorf("result %s %s", res.Source, res.Provider)
	}
	pl := res.Plans[0]
	if pl.Source != llm.SourceModel || pl.Attempts != 1 {
		t.Errorf("plan %s %d", pl.Source, pl.Attempts)
	}
	if pl.Parsed.Name != "demo-shop-api-load" || pl.Parsed.Target != "http://127.0.0.1:8080" {
		t.Errorf("name and target are the generator's: %q %q", pl.Parsed.Name, pl.Parsed.Target)
	}
	if got := pl.Parsed.Scenarios[0].Steps[1].Check; len(got) != 2 {
		t.Errorf("the model's checks were not kept: %v", got)
	}
	if !strings.Contains(string(pl.YAML), "(source: model)") || strings.Contains(string(pl.YAML), `{"`) {
		t.Errorf("the YAML is block style with a model header:\n%s", pl.YAML)
	}
	req := p.Calls()[0].Request
	if req.ToolName != "load_test_plan" || !strings.Contains(req.System, "load_test_plan") {
		t.Errorf("request %q", req.ToolName)
	}
	var schema map[string]any
	if err := json.Unmarshal(req.Schema, &schema); err != nil || schema["type"] != "object" || schema["properties"] == nil {
		t.Errorf("the tool schema's root must be the plan object: %v", err)
	}
}

func TestPlans_ModelRepaired(t *testing.T) {
	p := &llmtest.Scripted{Replies: []llmtest.Reply{
		offlineAnswer(t, func(plan map[string]any) {
			delete(firstScenario(plan), "pre_allocated_vus")
			planStep(plan, 2)["request"].(map[string]any)["url"] = "https://evil.example/api/cart"
		}),
		offlineAnswer(t, nil),
	}}
	res, err := Plans(context.Background(), onePlanSet(t), agenttest.DemoModel(), Options{Provider: p})
	if err != nil {
		t.Fatal(err)
	}
	if pl := res.Plans[0]; pl.Source != llm.SourceModel || pl.Attempts != 2 {
		t.Errorf("plan %s %d", pl.Source, pl.Attempts)
	}
	repair := p.Calls()[1].Conversation[2].Text
	if !strings.Contains(repair, "/scenarios/0/pre_allocated_vus: ") {
		t.Errorf("planspec's errors go back with JSON pointers:\n%s", repair)
	}
	// the absolute URL is rejected once the plan parses
	p2 := &llmtest.Scripted{Replies: []llmtest.Reply{
		offlineAnswer(t, func(plan map[string]any) {
			planStep(plan, 2)["request"].(map[string]any)["url"] = "https://evil.example/api/cart"
		}),
		offlineAnswer(t, func(plan map[string]any) {
			plan["data"] = map[string]any{"users": map[string]any{"file": "../../etc/passwd"}}
		}),
		offlineAnswer(t, nil),
	}}
	if _, err := Plans(context.Background(), onePlanSet(t), agenttest.DemoModel(), Options{Provider: p2, Repairs: 3}); err != nil {
		t.Fatal(err)
	}
	if r := p2.Calls()[1].Conversation[2].Text; !strings.Contains(r, "/scenarios/0/steps/2/request/url: ") || !strings.Contains(r, "target only") {
		t.Errorf("repair %q", r)
	}
	if r := p2.Calls()[2].Conversation[4].Text; !strings.Contains(r, "/data/users/file") {
		t.Errorf("repair %q", r)
	}
}

func TestPlans_ModelFallback(t *testing.T) {
	offline, err := Plans(context.Background(), onePlanSet(t), agenttest.DemoModel(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		answer   llmtest.Reply
		attempts int
		reason   string
	}{
		"never valid": {offlineAnswer(t, func(plan map[string]any) { firstScenario(plan)["executor"] = "ramping-arrival" }), 3, "unknown executor"},
		"not a plan":  {func(llm.Request) (json.RawMessage, error) { return json.RawMessage(`["version", 1]`), nil }, 3, "must be a JSON object"},
		"no nfrs": {offlineAnswer(t, func(plan map[string]any) {
			plan["thresholds"] = map[string]any{"checks": []any{"rate > 0.5"}}
		}), 3, "http_req_duration threshold"},
		"provider error": {func(llm.Request) (json.RawMessage, error) { return nil, errors.New("quota exceeded") }, 1, "quota exceeded"},
	} {
		t.Run(name, func(t *testing.T) {
			p := &llmtest.Scripted{Replies: []llmtest.Reply{tc.answer}}
			res, err := Plans(context.Background(), onePlanSet(t), agenttest.DemoModel(), Options{Provider: p})
			if err != nil {
				t.Fatal(err)
			}
			if res.Source != llm.SourceOfflineFallback {
				t.Errorf("result source %s", res.Source)
			}
			for i, pl := range res.Plans {
				if pl.Source != llm.SourceOfflineFallback || pl.Attempts != tc.attempts || !strings.Contains(pl.Fallback, tc.reason) {
					t.Errorf("plan %s: %s %d %q, want %q", pl.File, pl.Source, pl.Attempts, pl.Fallback, tc.reason)
				}
				y := string(pl.YAML)
				if !strings.Contains(y, "(source: offline-fallback)") || !strings.Contains(y, "# The model's plan was not used: ") {
					t.Errorf("header:\n%s", y)
				}
				// apart from the header, the offline plan
				body := func(s string) string { return s[strings.Index(s, "version: 1"):] }
				if body(y) != body(string(offline.Plans[i].YAML)) {
					t.Errorf("the fallback is not the offline plan")
				}
			}
		})
	}
}

func TestPlans_ModelCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := &llmtest.Scripted{Replies: []llmtest.Reply{offlineAnswer(t, nil)}}
	if _, err := Plans(ctx, onePlanSet(t), agenttest.DemoModel(), Options{Provider: p}); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v", err)
	}
}
