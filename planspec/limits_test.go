package planspec

import (
	"testing"
	"time"
)

func TestScenarioLimits(t *testing.T) {
	p, err := Parse([]byte(`
version: 1
name: limits
target: http://127.0.0.1:1
scenarios:
  - {name: cv, executor: constant-vus, vus: 7, duration: 30s, steps: [{name: a, request: {url: /}}]}
  - {name: rv, executor: ramping-vus, start_vus: 2, start_time: 10s, stages: [{duration: 10s, target: 13}, {duration: 20s, target: 3}], steps: [{name: b, request: {url: /}}]}
  - {name: car, executor: constant-arrival-rate, rate: 120, time_unit: 1m, duration: 5s, pre_allocated_vus: 4, max_vus: 9, steps: [{name: c, request: {url: /}}]}
  - {name: rar, executor: ramping-arrival-rate, start_rate: 5, stages: [{duration: 1m, target: 40}, {duration: 1m, target: 0}], pre_allocated_vus: 20, steps: [{name: d, request: {url: /}}]}
  - {name: pvi, executor: per-vu-iterations, vus: 3, iterations: 10, max_duration: 2m30s, steps: [{name: e, request: {url: /}}]}
`), "limits.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		vus  int
		rate float64
		end  time.Duration
	}{
		{7, 0, 30 * time.Second},
		{13, 0, 40 * time.Second},
		{9, 2, 5 * time.Second},
		{20, 40, 2 * time.Minute},
		{3, 0, 150 * time.Second},
	}
	for i, tt := range tests {
		s := &p.Scenarios[i]
		if got := s.PeakVUs(); got != tt.vus {
			t.Errorf("%s: PeakVUs = %d, want %d", s.Name, got, tt.vus)
		}
		if got := s.PeakRate(); got != tt.rate {
			t.Errorf("%s: PeakRate = %g, want %g", s.Name, got, tt.rate)
		}
		if got := s.PlannedEnd(); got != tt.end {
			t.Errorf("%s: PlannedEnd = %s, want %s", s.Name, got, tt.end)
		}
	}
	if got := p.PlannedEnd(); got != 150*time.Second {
		t.Errorf("plan PlannedEnd = %s, want 2m30s", got)
	}
}
