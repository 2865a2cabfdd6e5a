package planspec

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

const durationHint = "use a Go duration such as 500ms, 30s or 1m30s"

// ParseDuration parses a plan duration: a Go duration string ("1m30s") or
// "0". Negative durations are rejected.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		if isNumber(s) {
			return 0, fmt.Errorf("invalid duration %q: a duration needs a unit, e.g. %sms or %ss", s, s, s)
		}
		return 0, fmt.Errorf("invalid duration %q: %s", s, durationHint)
	}
	if d < 0 {
		return 0, fmt.Errorf("invalid duration %q: must not be negative", s)
	}
	return Duration(d), nil
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	dot := false
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
		case c == '.' && !dot:
			dot = true
		case (c == '-' || c == '+') && i == 0 && len(s) > 1:
		default:
			return false
		}
	}
	return true
}

// durationFromNode parses a YAML duration node: a duration string or the
// integer 0.
func durationFromNode(n *yaml.Node) (Duration, error) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || isNull(n) {
		return 0, fmt.Errorf("expected a duration such as 30s, got %s", describe(n))
	}
	return ParseDuration(n.Value)
}

// UnmarshalYAML accepts a duration string ("500ms", "1m30s") or 0.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := durationFromNode(n)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	*d = v
	return nil
}

// MarshalText formats the duration as a Go duration string; YAML and JSON
// encoders use it.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses a Go duration string or "0".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// UnmarshalJSON accepts a duration string or the number 0.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if string(b) == "0" {
		*d = 0
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("expected a duration string such as \"30s\", got %s", b)
	}
	return d.UnmarshalText([]byte(s))
}

// errThinkTimeRange is returned when a think time's max is below its min.
var errThinkTimeRange = errors.New("think_time max must be >= min")

// thinkTimeFromNode parses a think time: a duration string (fixed) or
// {min, max}. Keys are checked by the walker; here only values matter.
func thinkTimeFromNode(n *yaml.Node) (ThinkTime, error) {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode {
		d, err := durationFromNode(n)
		return ThinkTime{Min: d, Max: d}, err
	}
	if n.Kind != yaml.MappingNode {
		return ThinkTime{}, fmt.Errorf("expected a duration or {min, max}, got %s", describe(n))
	}
	var t ThinkTime
	var hasMin, hasMax bool
	for _, p := range readMapping(n).pairs {
		switch p.key.Value {
		case "min":
			d, err := durationFromNode(p.val)
			if err != nil {
				return ThinkTime{}, err
			}
			t.Min, hasMin = d, true
		case "max":
			d, err := durationFromNode(p.val)
			if err != nil {
				return ThinkTime{}, err
			}
			t.Max, hasMax = d, true
		}
	}
	if !hasMin || !hasMax {
		return ThinkTime{}, errors.New("think_time needs both min and max (or a fixed duration such as 1s)")
	}
	if t.Max < t.Min {
		return ThinkTime{}, fmt.Errorf("%w, but max is %s and min %s", errThinkTimeRange, t.Max, t.Min)
	}
	return t, nil
}

// UnmarshalYAML accepts a fixed duration ("1s") or {min, max}.
func (t *ThinkTime) UnmarshalYAML(n *yaml.Node) error {
	v, err := thinkTimeFromNode(n)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	*t = v
	return nil
}

// IsFixed reports whether the think time is a constant pause.
func (t ThinkTime) IsFixed() bool { return t.Min == t.Max }

// MarshalYAML writes a fixed think time as a duration string, else {min, max}.
func (t ThinkTime) MarshalYAML() (any, error) {
	if t.IsFixed() {
		return t.Min.String(), nil
	}
	return map[string]string{"min": t.Min.String(), "max": t.Max.String()}, nil
}

// MarshalJSON writes a fixed think time as a duration string, else {min, max}.
func (t ThinkTime) MarshalJSON() ([]byte, error) {
	v, _ := t.MarshalYAML()
	return json.Marshal(v)
}

// UnmarshalJSON accepts a duration string or {"min": ..., "max": ...}.
func (t *ThinkTime) UnmarshalJSON(b []byte) error {
	var n yaml.Node
	// JSON is YAML; reuse the YAML rules so both forms mean the same.
	if err := yaml.Unmarshal(b, &n); err != nil {
		return err
	}
	if len(n.Content) == 0 {
		return errors.New("empty think_time")
	}
	v, err := thinkTimeFromNode(n.Content[0])
	if err != nil {
		return err
	}
	*t = v
	return nil
}
