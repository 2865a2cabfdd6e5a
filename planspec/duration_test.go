package planspec

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"0":       0,
		"0s":      0,
		"500ms":   500 * time.Millisecond,
		"1m30s":   90 * time.Second,
		" 2h ":    2 * time.Hour,
		"1.5s":    1500 * time.Millisecond,
		"250us":   250 * time.Microsecond,
		"250µs":   250 * time.Microsecond,
		"1h2m3s4": 0, // invalid: see below
	} {
		got, err := ParseDuration(in)
		if in == "1h2m3s4" {
			if err == nil {
				t.Errorf("ParseDuration(%q) succeeded", in)
			}
			continue
		}
		if err != nil || got.D() != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{
		"5x":  `invalid duration "5x": use a Go duration such as 500ms, 30s or 1m30s`,
		"30":  `invalid duration "30": a duration needs a unit, e.g. 30ms or 30s`,
		"1.5": `a duration needs a unit`,
		"-1s": `invalid duration "-1s": must not be negative`,
		"":    `invalid duration ""`,
	} {
		if _, err := ParseDuration(in); err == nil || err.Error() != msg && !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseDuration(%q) error = %v; want %q", in, err, msg)
		}
	}
}

func TestDurationYAMLAndJSON(t *testing.T) {
	var v struct {
		A Duration  `yaml:"a"`
		B *Duration `yaml:"b"`
		C Duration  `yaml:"c"`
	}
	if err := yaml.Unmarshal([]byte("a: 1m30s\nb: 0\nc: 0s\n"), &v); err != nil {
		t.Fatal(err)
	}
	if v.A.D() != 90*time.Second || v.B == nil || *v.B != 0 || v.C != 0 {
		t.Errorf("decoded %+v", v)
	}
	if err := yaml.Unmarshal([]byte("a: 7\n"), &v); err == nil {
		t.Error("a bare non-zero number decoded as a duration")
	}
	out, err := yaml.Marshal(struct {
		D Duration `yaml:"d"`
	}{Duration(90 * time.Second)})
	if err != nil || string(out) != "d: 1m30s\n" {
		t.Errorf("yaml.Marshal = %q, %v", out, err)
	}

	var d Duration
	for in, want := range map[string]time.Duration{`"2s"`: 2 * time.Second, `0`: 0, `"0"`: 0} {
		if err := json.Unmarshal([]byte(in), &d); err != nil || d.D() != want {
			t.Errorf("json %s = %v, %v; want %v", in, d, err, want)
		}
	}
	for _, in := range []string{`5`, `"5x"`, `true`} {
		if err := json.Unmarshal([]byte(in), &d); err == nil {
			t.Errorf("json %s decoded as a duration", in)
		}
	}
	if b, _ := json.Marshal(Duration(1500 * time.Millisecond)); string(b) != `"1.5s"` {
		t.Errorf("json.Marshal = %s", b)
	}
}

func TestThinkTimeForms(t *testing.T) {
	ms := func(n int) Duration { return Duration(time.Duration(n) * time.Millisecond) }
	for in, want := range map[string]ThinkTime{
		"1s":                       {ms(1000), ms(1000)},
		"{min: 100ms, max: 300ms}": {ms(100), ms(300)},
		"{min: 1s, max: 1s}":       {ms(1000), ms(1000)},
	} {
		var got ThinkTime
		if err := yaml.Unmarshal([]byte(in), &got); err != nil || got != want {
			t.Errorf("yaml %s = %+v, %v; want %+v", in, got, err, want)
		}
		b, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		var back ThinkTime
		if err := json.Unmarshal(b, &back); err != nil || back != want {
			t.Errorf("json round trip of %+v via %s = %+v, %v", want, b, back, err)
		}
	}
	if b, _ := json.Marshal(ThinkTime{ms(1000), ms(1000)}); string(b) != `"1s"` {
		t.Errorf("fixed think time marshals as %s", b)
	}
	for _, in := range []string{"{min: 2s, max: 1s}", "{min: 1s}", "[1s]", "x"} {
		var got ThinkTime
		if err := yaml.Unmarshal([]byte(in), &got); err == nil {
			t.Errorf("yaml %s decoded as %+v", in, got)
		}
	}
}

func TestThresholdForms(t *testing.T) {
	for _, tc := range []struct {
		th   Threshold
		json string
	}{
		{Threshold{Expr: "p(95) < 500"}, `"p(95) \u003c 500"`}, // encoding/json escapes <
		{Threshold{Expr: "rate < 0.01", AbortOnFail: true, DelayAbortEval: Duration(10 * time.Second)},
			`{"threshold":"rate \u003c 0.01","abort_on_fail":true,"delay_abort_eval":"10s"}`},
	} {
		b, err := json.Marshal(&tc.th)
		if err != nil || string(b) != tc.json {
			t.Errorf("json.Marshal(%+v) = %s, %v; want %s", tc.th, b, err, tc.json)
		}
		var back Threshold
		if err := json.Unmarshal(b, &back); err != nil || back != tc.th {
			t.Errorf("json round trip = %+v, %v", back, err)
		}
		y, err := yaml.Marshal(&tc.th)
		if err != nil {
			t.Fatal(err)
		}
		back = Threshold{}
		if err := yaml.Unmarshal(y, &back); err != nil || back != tc.th {
			t.Errorf("yaml round trip via %q = %+v, %v", y, back, err)
		}
	}
}
