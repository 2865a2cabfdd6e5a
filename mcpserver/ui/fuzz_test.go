package ui

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzFormArgs feeds arbitrary form values and raw JSON to formArgs: it
// must never panic, and what it accepts must be a JSON object carrying the
// raw object's top-level members.
func FuzzFormArgs(f *testing.F) {
	sc := &schema{Type: "object", Properties: map[string]*schema{
		"session_id":   {Type: "string"},
		"wait_seconds": {Type: "integer"},
		"ratio":        {Type: "number"},
		"flag":         {Type: "boolean"},
		"types":        {Type: []any{"null", "array"}, Items: &schema{Type: "string"}},
		"apis":         {Type: []any{"null", "array"}, Items: &schema{Type: "object"}},
		"nfrs": {Type: []any{"null", "object"}, Properties: map[string]*schema{
			"throughput": {Type: []any{"string", "number"}},
		}},
	}}
	groups := formFields(sc)
	f.Add("s1", "5", "0.5", "on", "a,b\nc", `[{"endpoint":"/x"}]`, "100", `{"nfrs":{"error_rate":1}}`)
	f.Add("", "x", "1e999", "", "", "{", "", `[]`)
	f.Add(" ", "-1", "NaN", "true", ",,", "null", "fast", `{"session_id":null}`)
	f.Fuzz(func(t *testing.T, session, wait, ratio, flag, types, apis, throughput, raw string) {
		vals := map[string]string{"session_id": session, "wait_seconds": wait, "ratio": ratio, "flag": flag,
			"types": types, "apis": apis, "nfrs.throughput": throughput}
		args, err := formArgs(groups, func(k string) string { return vals[k] }, raw)
		if err != nil {
			return
		}
		if _, err := json.Marshal(args); err != nil && !strings.Contains(err.Error(), "unsupported value") {
			t.Fatalf("arguments do not marshal: %v", err)
		}
		var over map[string]any
		if strings.TrimSpace(raw) != "" && json.Unmarshal([]byte(raw), &over) == nil {
			for k := range over {
				if _, ok := args[k]; !ok {
					t.Fatalf("raw member %q lost", k)
				}
			}
		}
	})
}
