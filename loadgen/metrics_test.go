package loadgen

import (
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen/record"
	"github.com/loadgen/loadgen/planspec"
)

// TestHistogramBuckets checks that a duration lands in the bucket whose
// upper bound is the first one at or above it, bounds included.
func TestHistogramBuckets(t *testing.T) {
	tests := []struct {
		ns     int64
		bucket int
	}{
		{0, 0},
		{-5, 0},
		{int64(DurationBounds[0] * 1e9), 0},
		{int64(DurationBounds[0]*1e9) + 1, 1},
		{int64(0.001 * 1e9), 4},
		{int64(0.0011 * 1e9), 5},
		{int64(60 * 1e9), len(DurationBounds) - 1},
		{int64(61 * 1e9), len(DurationBounds)},
	}
	for _, tt := range tests {
		var h histNs
		h.add(tt.ns)
		snap := h.snapshot()
		if len(snap.Counts) != len(DurationBounds)+1 || snap.Counts[tt.bucket] != 1 || snap.Count() != 1 {
			t.Errorf("%d ns: counts %v, want 1 in bucket %d", tt.ns, snap.Counts, tt.bucket)
		}
		if want := float64(max(tt.ns, 0)) / 1e9; snap.Sum != want || snap.Min != want || snap.Max != want {
			t.Errorf("%d ns: sum %g min %g max %g, want %g", tt.ns, snap.Sum, snap.Min, snap.Max, want)
		}
	}
	for i := 1; i < len(DurationBounds); i++ {
		if DurationBounds[i] <= DurationBounds[i-1] {
			t.Fatalf("DurationBounds not increasing at %d", i)
		}
	}
}

// TestPlannedRate follows a ramping-arrival-rate profile, with start_time,
// and a worker's share of it.
func TestPlannedRate(t *testing.T) {
	start, unit, d := 0.0, planspec.Duration(time.Second), planspec.Duration(10*time.Second)
	sc := &planspec.Scenario{Executor: planspec.RampingArrivalRate, StartRate: &start, TimeUnit: &unit,
		StartTime: planspec.Duration(2 * time.Second),
		Stages:    []planspec.Stage{{Duration: d, Target: 100}, {Duration: d, Target: 100}}}
	tests := []struct {
		at      time.Duration
		workers int
		want    float64
	}{
		{time.Second, 0, 0},        // before start_time
		{2 * time.Second, 0, 0},    // the ramp starts at 0
		{7 * time.Second, 0, 50},   // half way up
		{15 * time.Second, 0, 100}, // the plateau
		{15 * time.Second, 4, 25},  // one worker of four
		{23 * time.Second, 0, 0},   // after the profile
	}
	for _, tt := range tests {
		sr := &scenarioRun{cfg: sc, e: &engine{opts: Options{Segment: Segment{Count: tt.workers}}}}
		if got := sr.plannedRate(tt.at); got != tt.want {
			t.Errorf("at %s with %d workers: %g, want %g", tt.at, tt.workers, got, tt.want)
		}
	}
}

// BenchmarkLiveMetricsAdd is the per-request cost of live metrics on the
// recorder goroutine.
func BenchmarkLiveMetricsAdd(b *testing.B) {
	infos := []record.StepInfo{{Label: "a", Scenario: "s"}, {Label: "b", Scenario: "s"}}
	m := newLiveMetrics(len(infos), 1, time.Now())
	samples := []record.Sample{
		{Step: 0, Status: 200, Success: true, Elapsed: 300_000, Corrected: 350_000, Sent: 80, Received: 200},
		{Step: 1, Status: 404, Elapsed: 2_000_000, Corrected: 2_000_000, Sent: 80, Received: 150},
		{Step: 0, Status: 503, Elapsed: 45_000_000, Corrected: 90_000_000, Sent: 80, Received: 100},
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s := &samples[i%len(samples)]
		m.add(s, &infos[s.Step])
	}
}
