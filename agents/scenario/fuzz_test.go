package scenario

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/loadgen/loadgen/agents/arch"
	"github.com/loadgen/loadgen/agents/internal/agenttest"
)

// FuzzGenerate feeds random-ish architecture models (JSON) and workflows
// to the offline design: it never panics, and what it returns validates.
func FuzzGenerate(f *testing.F) {
	for _, m := range []*arch.Model{agenttest.DemoModel(), injected()} {
		raw, _ := json.Marshal(m)
		f.Add(raw, []byte(`[]`), 0.0)
		f.Add(raw, []byte(`[{"endpoint":"/api/cart","method":"POST","order":2},{"endpoint":"GET /x/{y}","order":1}]`), 0.5)
	}
	f.Add([]byte(`{"endpoints":[{"method":"get","path":"a b/{x}/{"}],"auth":{"path":"/l"}}`), []byte(`null`), 2.0)
	f.Add([]byte(`{"endpoints":[{"method":"POST","path":"/f","requestBody":{"contentType":"application/x-www-form-urlencoded","example":{"a":[1]}}}],"nfrSuggestions":{"throughput":"0.001rps","availability":"100%"}}`), []byte(`[]`), 0.0)
	f.Fuzz(func(t *testing.T, model, workflow []byte, scale float64) {
		var m arch.Model
		if json.Unmarshal(model, &m) != nil {
			return
		}
		var wf []arch.WorkflowStep
		_ = json.Unmarshal(workflow, &wf)
		set, err := Generate(context.Background(), &m, wf, nil, nil, Options{DurationScale: scale, Short: time.Duration(len(model)%3) * time.Second})
		if err != nil {
			return
		}
		if err := Validate(set, &m); err != nil {
			t.Fatalf("Generate returned a set that does not validate: %v", err)
		}
		if _, err := json.Marshal(set); err != nil {
			t.Fatal(err)
		}
	})
}
