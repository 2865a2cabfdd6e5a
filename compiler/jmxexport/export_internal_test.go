package jmxexport

import (
	"reflect"
	"testing"
	"time"

	"github.com/loadgen/loadgen/planspec"
)

func TestJavaHash(t *testing.T) {
	// Values JMeter itself saved (reference: a Response Assertion's "200"
	// is named 49586).
	for s, want := range map[string]string{"200": "49586", "": "0", "10": "1567", "0": "48"} {
		if got := javaHash(s); got != want {
			t.Errorf("javaHash(%q) = %s, want %s", s, got, want)
		}
	}
}

func stages(spec ...float64) []planspec.Stage {
	var out []planspec.Stage
	for i := 0; i < len(spec); i += 2 {
		out = append(out, planspec.Stage{Duration: planspec.Duration(time.Duration(spec[i]) * time.Second), Target: spec[i+1]})
	}
	return out
}

// vusAt integrates the rows: how many threads run at time t (seconds),
// counting a ramp linearly.
func vusAt(rows []utgRow, t float64) float64 {
	n := 0.0
	for _, r := range rows {
		up, down := r.delay+r.startup, r.delay+r.startup+r.hold
		switch {
		case t < r.delay:
		case t < up:
			n += r.threads * (t - r.delay) / r.startup
		case t <= down:
			n += r.threads
		case t < down+r.shutdown:
			n += r.threads * (1 - (t-down)/r.shutdown)
		}
	}
	return n
}

// curveAt is the ramping-vus VU curve itself.
func curveAt(start float64, st []planspec.Stage, t float64) float64 {
	cur, at := start, 0.0
	for _, s := range st {
		d := s.Duration.D().Seconds()
		if t <= at+d {
			return cur + (s.Target-cur)*(t-at)/d
		}
		cur, at = s.Target, at+d
	}
	return cur
}

func TestUTGRowsFollowTheCurve(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start float64
		st    []planspec.Stage
	}{
		{"up hold down", 0, stages(3, 20, 4, 20, 3, 0)},
		{"start vus", 5, stages(10, 15, 10, 15)},
		{"partial ramp down", 0, stages(10, 10, 10, 30, 5, 25, 5, 5, 10, 5)},
		{"down from start", 10, stages(4, 2, 4, 8)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := utgRows(tc.start, tc.st)
			total := 0.0
			for _, s := range tc.st {
				total += s.Duration.D().Seconds()
			}
			for at := 0.25; at < total; at += 0.5 {
				got, want := vusAt(rows, at), curveAt(tc.start, tc.st, at)
				if d := got - want; d > 1e-9 || d < -1e-9 {
					t.Fatalf("at %.2fs: rows run %.3f threads, the plan %.3f\nrows %+v", at, got, want, rows)
				}
			}
			for _, r := range rows {
				if r.hold < 0 || r.threads <= 0 {
					t.Errorf("bad row %+v", r)
				}
			}
		})
	}
	if !reflect.DeepEqual(utgRows(0, nil), []utgRow(nil)) {
		t.Error("no stages: want no rows")
	}
}
