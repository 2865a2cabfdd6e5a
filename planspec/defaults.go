package planspec

import (
	"strings"
	"time"
)

// Default values filled in by Parse (PLAN_FORMAT.md, "Executors").
const (
	DefaultHTTPTimeout      = Duration(10 * time.Second)
	DefaultGracefulStop     = Duration(30 * time.Second)
	DefaultGracefulRampDown = Duration(30 * time.Second)
	DefaultMaxDuration      = Duration(10 * time.Minute)
	DefaultTimeUnit         = Duration(time.Second)
)

// setDefaults fills every optional value the engine reads, so that after
// Parse the pointers an executor uses are non-nil. It runs on a valid plan.
func setDefaults(p *Plan) {
	setPtr(&p.HTTP.Timeout, DefaultHTTPTimeout)
	setPtr(&p.HTTP.Keepalive, true)
	setPtr(&p.HTTP.Cookies, true)
	for name, f := range p.Data {
		if f.Order == "" {
			f.Order = "sequential"
		}
		if f.Share == "" {
			f.Share = "all"
		}
		p.Data[name] = f
	}
	for i := range p.Scenarios {
		s := &p.Scenarios[i]
		setPtr(&s.GracefulStop, DefaultGracefulStop)
		switch s.Executor {
		case ConstantVUs:
			setPtr(&s.VUs, 1)
		case RampingVUs:
			setPtr(&s.StartVUs, 1)
			setPtr(&s.GracefulRampDown, DefaultGracefulRampDown)
		case PerVUIterations, SharedIterations:
			setPtr(&s.VUs, 1)
			setPtr(&s.Iterations, 1)
			setPtr(&s.MaxDuration, DefaultMaxDuration)
		case ConstantArrivalRate, RampingArrivalRate:
			if s.Executor == RampingArrivalRate {
				setPtr(&s.StartRate, 0)
			}
			setPtr(&s.TimeUnit, DefaultTimeUnit)
			setPtr(&s.MaxVUs, *s.PreAllocatedVUs)
			if s.Arrivals == "" {
				s.Arrivals = "even"
			}
		}
		stepDefaults(s.Steps)
	}
}

func stepDefaults(steps []Step) {
	for i := range steps {
		s := &steps[i]
		if s.Request != nil {
			if s.OnFailure == "" {
				s.OnFailure = "continue"
			}
			if s.Request.Method == "" {
				s.Request.Method = "GET"
			}
			s.Request.Method = strings.ToUpper(s.Request.Method)
		}
		stepDefaults(s.Steps)
	}
}

// setPtr points *p at v unless it is already set.
func setPtr[T any](p **T, v T) {
	if *p == nil {
		*p = &v
	}
}
