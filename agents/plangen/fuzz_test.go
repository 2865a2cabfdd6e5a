package plangen

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/loadgen/loadgen/agents/internal/agenttest"
	"github.com/loadgen/loadgen/agents/scenario"
	"github.com/loadgen/loadgen/planspec"
)

// FuzzPlans feeds random-ish scenario sets (JSON) to the offline plan
// generation: it never panics, and every plan it returns validates.
func FuzzPlans(f *testing.F) {
	m := agenttest.DemoModel()
	for _, opts := range []scenario.Options{{}, {Short: scenario.DefaultShort}} {
		set, err := scenario.Generate(context.Background(), m, nil, nil, nil, opts)
		if err != nil {
			f.Fatal(err)
		}
		raw, _ := json.Marshal(set)
		f.Add(raw, true)
		f.Add(raw, false)
	}
	f.Add([]byte(`{"schema":"loadgen.scenarios/v1","source":"offline","inputs":{"nfrs":{"rps":1,"p95_ms":1}},"scenarios":[{"name":"a","type":"load","description":"d","shape":{"executor":"constant-vus","vus":1,"duration":"1s"},"steps":[{"name":"s","method":"GET","path":"/x/{y}","url":"/x/${__uuid}","checks":["status == 200"],"body":"${a"}],"thresholds":[{"metric":"http_req_duration","expr":"p(95) < 1"},{"metric":"http_req_failed","expr":"rate < 0.1"}]}]}`), false)
	f.Fuzz(func(t *testing.T, raw []byte, withModel bool) {
		var set scenario.Set
		if json.Unmarshal(raw, &set) != nil {
			return
		}
		mm := m
		if !withModel {
			mm = nil
		}
		res, err := Plans(context.Background(), &set, mm, Options{})
		if err != nil {
			return
		}
		files := map[string][]byte{}
		for _, fl := range res.Files {
			files[fl.Name] = fl.Data
		}
		for _, p := range res.Plans {
			if _, err := validatePlan(p.YAML, p.File, files); err != nil {
				t.Fatalf("%s does not validate: %v\n%s", p.File, err, p.YAML)
			}
			if _, err := planspec.Parse(p.YAML, p.File, planspec.Options{SkipFileChecks: true}); err != nil {
				t.Fatal(err)
			}
		}
	})
}
