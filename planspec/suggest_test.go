package planspec

import "testing"

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "abc", 3},
		{"duration", "duration", 0},
		{"duraton", "duration", 1},   // deletion
		{"durration", "duration", 1}, // insertion
		{"durstion", "duration", 1},  // substitution
		{"duraiton", "duration", 1},  // transposition
		{"kitten", "sitting", 3},
		{"µs", "us", 1},
	} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d; want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestClosest(t *testing.T) {
	keys := []string{"vus", "duration", "pre_allocated_vus", "max_vus", "graceful_ramp_down"}
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"Duration", "duration", true},
		{"preallocated_vus", "pre_allocated_vus", true},
		{"graceful_rampdown", "graceful_ramp_down", true},
		{"maxvus", "max_vus", true},
		{"vu", "vus", true},
		{"x", "", false},
		{"colour", "", false},
		{"timeout", "", false},
	} {
		got, ok := closest(tc.in, keys)
		if got != tc.want || ok != tc.ok {
			t.Errorf("closest(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
