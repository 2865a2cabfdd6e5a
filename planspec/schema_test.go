package planspec

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func schemaMap(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(Schema(), &m); err != nil {
		t.Fatalf("Schema() is not JSON: %v", err)
	}
	return m
}

// dig follows keys through nested JSON objects.
func dig(t *testing.T, v any, keys ...string) any {
	t.Helper()
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("at %q: not an object", k)
		}
		if v, ok = m[k]; !ok {
			t.Fatalf("schema has no %q (in %s)", k, strings.Join(keys, "."))
		}
	}
	return v
}

func TestSchemaIsJSONAndRoundTrips(t *testing.T) {
	raw := Schema()
	if !json.Valid(raw) {
		t.Fatal("Schema() is not valid JSON")
	}
	m := schemaMap(t)
	again, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var m2 map[string]any
	if err := json.Unmarshal(again, &m2); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m, m2) {
		t.Error("schema changed in an encoding/json round trip")
	}
	if !bytes.Contains(raw, []byte("\n  \"")) {
		t.Error("schema is not indented")
	}
	raw[0] = 'x'
	if !json.Valid(Schema()) {
		t.Error("Schema() returns a shared slice")
	}
}

func TestSchemaContent(t *testing.T) {
	m := schemaMap(t)
	if got := m["$schema"]; got != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v", got)
	}
	plan := dig(t, m, "$defs", "Plan")
	if req := dig(t, plan, "required"); !reflect.DeepEqual(req, []any{"version", "name", "scenarios"}) {
		t.Errorf("Plan required = %v", req)
	}
	if got := dig(t, plan, "properties", "scenarios", "items", "$ref"); got != "#/$defs/Scenario" {
		t.Errorf("scenarios items = %v", got)
	}
	enum := dig(t, m, "$defs", "Scenario", "properties", "executor", "enum").([]any)
	var names []string
	for _, e := range enum {
		names = append(names, e.(string))
	}
	if !slices.Equal(names, Executors) {
		t.Errorf("executor enum = %v; want %v", names, Executors)
	}
	if got := dig(t, m, "$defs", "Scenario", "additionalProperties"); got != false {
		t.Errorf("Scenario additionalProperties = %v", got)
	}
	if got := dig(t, m, "$defs", "Scenario", "properties", "rate", "description"); got != "iterations started per time_unit" {
		t.Errorf("rate description = %v", got)
	}
	if len(dig(t, m, "$defs", "Scenario", "allOf").([]any)) != len(Executors) {
		t.Error("Scenario allOf lacks a branch per executor")
	}
	if got := dig(t, plan, "properties", "thresholds", "properties", "http_req_duration", "items", "$ref"); got != "#/$defs/Threshold" {
		t.Errorf("thresholds.http_req_duration items = %v", got)
	}
	for _, def := range []string{"Duration", "ThinkTime", "Threshold", "Step", "Request", "Extractor", "Stage", "Feeder", "HTTPConfig"} {
		dig(t, m, "$defs", def)
	}
}

// Every key the plan types accept appears in the schema, with no extras.
func TestSchemaCoversTypes(t *testing.T) {
	m := schemaMap(t)
	for name, typ := range map[string]any{"Plan": Plan{}, "Scenario": Scenario{}, "Step": Step{}, "Request": Request{}, "Extractor": Extractor{}, "Stage": Stage{}, "Feeder": Feeder{}, "HTTPConfig": HTTPConfig{}} {
		props := dig(t, m, "$defs", name, "properties").(map[string]any)
		keys := fieldsOf(reflect.TypeOf(typ)).keys
		if len(props) != len(keys) {
			t.Errorf("%s: schema has %d properties, type %d keys", name, len(props), len(keys))
		}
		for _, k := range keys {
			if _, ok := props[k]; !ok {
				t.Errorf("%s: schema lacks %q", name, k)
			}
		}
	}
	for key := range schemaDescriptions {
		typ, prop, _ := strings.Cut(key, ".")
		dig(t, m, "$defs", typ, "properties", prop)
	}
}

func TestSchemaDurationPattern(t *testing.T) {
	re := regexp.MustCompile(durationPattern)
	for _, s := range []string{"0", "0s", "500ms", "1m30s", "1.5s", "250us", "250µs", "2h", "1h2m3.5s", ".5s", "5x", "30", "-1s", "", "1s2", "ms"} {
		_, err := ParseDuration(s)
		if got, want := re.MatchString(s), err == nil; got != want {
			t.Errorf("pattern matches %q = %v, ParseDuration accepts it = %v", s, got, want)
		}
	}
}

func TestSchemaThresholdPattern(t *testing.T) {
	var pattern string
	{
		m := schemaMap(t)
		pattern = dig(t, m, "$defs", "Threshold", "oneOf").([]any)[0].(map[string]any)["pattern"].(string)
	}
	re := regexp.MustCompile(pattern)
	for _, s := range []string{"p(95) < 500", "p(99.9)<=1.5s", "rate < 0.01", "count === 0", "avg < 250ms", "value != -1", "p95 < 1", "avg = 5", "avg < 1 2", "mean < 3"} {
		_, _, _, err := ParseThresholdExpr(s)
		if got, want := re.MatchString(s), err == nil; got != want {
			t.Errorf("pattern matches %q = %v, ParseThresholdExpr accepts it = %v", s, got, want)
		}
	}
}
