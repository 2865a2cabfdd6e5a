package planspec

import (
	"time"
)

// Length is the scenario's regular duration, from its own start: the
// duration, the sum of the stages, or max_duration for the iteration
// executors (an upper bound). Graceful stops are not included. The
// scenario must be validated (defaults filled in).
func (s *Scenario) Length() time.Duration {
	switch s.Executor {
	case ConstantVUs, ConstantArrivalRate:
		return s.Duration.D()
	case PerVUIterations, SharedIterations:
		return s.MaxDuration.D()
	}
	var d time.Duration
	for _, st := range s.Stages {
		d += st.Duration.D()
	}
	return d
}

// PlannedEnd is when the scenario is planned to end, from the start of
// the run (start_time + Length).
func (s *Scenario) PlannedEnd() time.Duration { return s.StartTime.D() + s.Length() }

// PeakVUs is the most VUs the scenario can run at once: vus, the largest
// of start_vus and the stage targets, or max_vus for arrival rates.
func (s *Scenario) PeakVUs() int {
	switch s.Executor {
	case ConstantVUs, PerVUIterations, SharedIterations:
		return deref(s.VUs)
	case RampingVUs:
		n := deref(s.StartVUs)
		for _, st := range s.Stages {
			n = max(n, int(st.Target))
		}
		return n
	}
	return max(deref(s.MaxVUs), deref(s.PreAllocatedVUs))
}

// PeakRate is the highest arrival rate of an arrival-rate scenario, in
// iterations per second (0 for the closed-model executors, whose rate
// only their VUs and the target's speed bound).
func (s *Scenario) PeakRate() float64 {
	if !IsArrivalRate(s.Executor) {
		return 0
	}
	r := 0.0
	if s.Executor == ConstantArrivalRate {
		r = derefF(s.Rate)
	} else {
		r = derefF(s.StartRate)
		for _, st := range s.Stages {
			r = max(r, st.Target)
		}
	}
	unit := time.Second
	if s.TimeUnit != nil && s.TimeUnit.D() > 0 {
		unit = s.TimeUnit.D()
	}
	return r / unit.Seconds()
}

// PlannedEnd is when the plan's last scenario is planned to end.
func (p *Plan) PlannedEnd() time.Duration {
	var d time.Duration
	for i := range p.Scenarios {
		d = max(d, p.Scenarios[i].PlannedEnd())
	}
	return d
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func derefF(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// ThresholdExprs maps each threshold key to its expressions as written,
// the form results.CheckThresholds takes.
func (p *Plan) ThresholdExprs() map[string][]string {
	m := map[string][]string{}
	for k, ts := range p.Thresholds {
		for _, t := range ts {
			m[k] = append(m[k], t.Expr)
		}
	}
	return m
}
