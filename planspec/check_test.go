package planspec

import (
	"reflect"
	"testing"
)

func TestCheckUses(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want CheckNeeds
	}{
		{"status == 200", CheckNeeds{Status: true}},
		{"status in [200, 201]", CheckNeeds{Status: true}},
		{"json.items != nil && len(json.items) > 0", CheckNeeds{JSON: true}},
		{`body contains "ok"`, CheckNeeds{Body: true}},
		{`headers["Content-Type"] startsWith "application/json"`, CheckNeeds{Headers: true}},
		{"duration < 250 && size > 0", CheckNeeds{Duration: true, Size: true}},
		{`vars.token != ""`, CheckNeeds{Vars: true}},
		// Member names and string keys are not environment variables.
		{`json.status == 200 && headers.Body == "x" && vars["size"] == "1"`, CheckNeeds{JSON: true, Headers: true, Vars: true}},
		// Predicates: .field and # refer to the element, bare names to the env.
		{"all(json.items, .price > 0 && # != nil)", CheckNeeds{JSON: true}},
		{"any(json.items, {.id == size})", CheckNeeds{JSON: true, Size: true}},
		{"let s = status; s == 200 || s == 204", CheckNeeds{Status: true}},
		{"status == 200 ? json.ok : body == \"\"", CheckNeeds{Status: true, JSON: true, Body: true}},
		{"true", CheckNeeds{}},
		{"len(foo) > 0", CheckNeeds{}}, // unknown names compile-fail later, not here
		{"$env.status == 200", allNeeds},
		{`$env["json"] != nil`, allNeeds},
	} {
		got, err := CheckUses(tc.src)
		if err != nil || got != tc.want {
			t.Errorf("CheckUses(%q) = %+v, %v; want %+v", tc.src, got, err, tc.want)
		}
	}
	for _, src := range []string{"", "  ", "status ==", "(status", "status == 200)"} {
		if _, err := CheckUses(src); err == nil {
			t.Errorf("CheckUses(%q): no error", src)
		}
	}
	a := CheckNeeds{Status: true}
	b := CheckNeeds{JSON: true, Vars: true}
	if got := a.Or(b); got != (CheckNeeds{Status: true, JSON: true, Vars: true}) || !got.Any() || (CheckNeeds{}).Any() {
		t.Errorf("Or/Any: %+v", got)
	}
}

// Every variable of CheckEnv is recognised by CheckUses, as the CheckNeeds
// field of the same name.
func TestCheckUsesCoversEnv(t *testing.T) {
	env := reflect.TypeFor[CheckEnv]()
	for i := 0; i < env.NumField(); i++ {
		f := env.Field(i)
		name := f.Tag.Get("expr")
		n, err := CheckUses(name + " != nil")
		if err != nil {
			t.Fatal(err)
		}
		v := reflect.ValueOf(n)
		for j := 0; j < v.NumField(); j++ {
			if got, want := v.Field(j).Bool(), v.Type().Field(j).Name == f.Name; got != want {
				t.Errorf("CheckUses(%q).%s = %v", name, v.Type().Field(j).Name, got)
			}
		}
	}
	if n := reflect.TypeFor[CheckNeeds]().NumField(); n != env.NumField() {
		t.Errorf("CheckNeeds has %d fields, CheckEnv %d", n, env.NumField())
	}
	if allNeeds != (CheckNeeds{Status: true, Body: true, JSON: true, Headers: true, Duration: true, Size: true, Vars: true}) {
		t.Error("allNeeds is not everything")
	}
}
