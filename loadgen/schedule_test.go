package loadgen

import (
	"math"
	"testing"
	"time"
)

func collect(a *arrivals) []time.Duration {
	var out []time.Duration
	for {
		t, ok := a.Next()
		if !ok {
			return out
		}
		out = append(out, t)
	}
}

func TestArrivalsEven(t *testing.T) {
	tests := []struct {
		name  string
		segs  []segment
		count int
		check func(t *testing.T, ts []time.Duration)
	}{
		{
			name:  "constant 10/s for 1s starts every 100ms from 0",
			segs:  []segment{{Dur: time.Second, From: 10, To: 10}},
			count: 10,
			check: func(t *testing.T, ts []time.Duration) {
				for i, v := range ts {
					if want := time.Duration(i) * 100 * time.Millisecond; absDur(v-want) > time.Microsecond {
						t.Errorf("arrival %d at %s, want %s", i, v, want)
					}
				}
			},
		},
		{
			name:  "ramp 0 to 100/s over 1s has area 50",
			segs:  []segment{{Dur: time.Second, From: 0, To: 100}},
			count: 50,
			check: func(t *testing.T, ts []time.Duration) {
				// N(t) = 50 t², so arrival i is at sqrt(i/50)
				for i, v := range ts {
					want := time.Duration(math.Sqrt(float64(i)/50) * float64(time.Second))
					if absDur(v-want) > 10*time.Microsecond {
						t.Errorf("arrival %d at %s, want %s", i, v, want)
					}
				}
			},
		},
		{
			name:  "ramp then plateau then down",
			segs:  []segment{{Dur: time.Second, From: 0, To: 100}, {Dur: time.Second, From: 100, To: 100}, {Dur: time.Second, From: 100, To: 0}},
			count: 200,
		},
		{
			name:  "zero rate segment skipped",
			segs:  []segment{{Dur: time.Second, From: 0, To: 0}, {Dur: time.Second, From: 20, To: 20}},
			count: 20, // the first arrival waits for a positive rate
		},
		{
			name:  "fractional rate",
			segs:  []segment{{Dur: 10 * time.Second, From: 0.5, To: 0.5}},
			count: 5,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := collect(newArrivals(tt.segs, false, 1))
			if len(ts) != tt.count {
				t.Fatalf("%d arrivals, want %d", len(ts), tt.count)
			}
			for i := 1; i < len(ts); i++ {
				if ts[i] < ts[i-1] {
					t.Fatalf("arrival %d at %s before %s", i, ts[i], ts[i-1])
				}
			}
			if tt.check != nil {
				tt.check(t, ts)
			}
		})
	}
}

func TestArrivalsPoisson(t *testing.T) {
	ts := collect(newArrivals([]segment{{Dur: 100 * time.Second, From: 100, To: 100}}, true, 7))
	// 10,000 expected; Poisson sd 100
	if n := len(ts); n < 9500 || n > 10500 {
		t.Fatalf("%d arrivals, want ~10000", n)
	}
	// exponential gaps: coefficient of variation ~1 (even arrivals: 0)
	var sum, sq float64
	for i := 1; i < len(ts); i++ {
		g := (ts[i] - ts[i-1]).Seconds()
		sum += g
		sq += g * g
	}
	n := float64(len(ts) - 1)
	mean := sum / n
	cv := math.Sqrt(sq/n-mean*mean) / mean
	if cv < 0.9 || cv > 1.1 {
		t.Errorf("coefficient of variation %.3f, want ~1", cv)
	}
}

func TestVUChanges(t *testing.T) {
	got := vuChanges(0, []segment{
		{Dur: 4 * time.Second, From: 0, To: 4},
		{Dur: 2 * time.Second, From: 4, To: 4},
		{Dur: 2 * time.Second, From: 4, To: 2},
		{Dur: 0, From: 2, To: 5},
	})
	want := []vuChange{
		{time.Second, 1}, {2 * time.Second, 2}, {3 * time.Second, 3}, {4 * time.Second, 4},
		{7 * time.Second, 3}, {8 * time.Second, 2}, {8 * time.Second, 5},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("change %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
