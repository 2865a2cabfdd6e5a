package loadgen

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/loadgen/loadgen/planspec"
)

// segment is a stretch of time over which a quantity (a rate in
// iterations per second, or a VU count) moves linearly from From to To.
type segment struct {
	Dur      time.Duration
	From, To float64
}

// rateSegments returns the arrival-rate profile of an arrival-rate
// scenario in iterations per second.
func rateSegments(sc *planspec.Scenario) []segment {
	unit := sc.TimeUnit.D().Seconds()
	if sc.Executor == planspec.ConstantArrivalRate {
		r := *sc.Rate / unit
		return []segment{{Dur: sc.Duration.D(), From: r, To: r}}
	}
	segs := make([]segment, 0, len(sc.Stages))
	prev := *sc.StartRate / unit
	for _, st := range sc.Stages {
		to := st.Target / unit
		segs = append(segs, segment{Dur: st.Duration.D(), From: prev, To: to})
		prev = to
	}
	return segs
}

// arrivals yields the intended start times of an arrival process whose
// cumulative count is N(t) = ∫ rate. The i-th arrival of an even process
// starts where N(t) = i (i = 0, 1, …), as k6 spaces iterations evenly; a
// poisson process draws unit-exponential gaps in N and so has exponential
// inter-arrival times at the current rate (a non-homogeneous Poisson process
// by time transformation). Times are exact: no arrival depends on when an
// earlier one was dispatched.
type arrivals struct {
	segs    []segment
	poisson bool
	rng     *rand.Rand

	seg      int           // current segment
	segStart time.Duration // start of current segment
	segBase  float64       // N at the start of the current segment
	u        float64       // N value of the next arrival
	first    bool
}

func newArrivals(segs []segment, poisson bool, seed uint64) *arrivals {
	a := &arrivals{segs: segs, poisson: poisson, first: true}
	if poisson {
		a.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	}
	return a
}

// Total is the scheduled length of the process.
func (a *arrivals) Total() time.Duration {
	var d time.Duration
	for _, s := range a.segs {
		d += s.Dur
	}
	return d
}

// Next returns the offset of the next arrival, or ok=false when the
// schedule is over.
func (a *arrivals) Next() (time.Duration, bool) {
	switch {
	case a.first:
		a.first = false
		if a.poisson {
			a.u = a.rng.ExpFloat64()
		}
	case a.poisson:
		a.u += a.rng.ExpFloat64()
	default:
		a.u++
	}
	for a.seg < len(a.segs) {
		s := a.segs[a.seg]
		D := s.Dur.Seconds()
		area := (s.From + s.To) / 2 * D
		need := a.u - a.segBase
		if area > 0 && need <= area {
			tau := invertLinear(s.From, s.To, D, need)
			off := a.segStart + time.Duration(tau*float64(time.Second))
			if off >= a.segStart+s.Dur && a.seg == len(a.segs)-1 {
				return 0, false // exactly at the end: not part of [0, total)
			}
			return off, true
		}
		a.segBase += area
		a.segStart += s.Dur
		a.seg++
	}
	return 0, false
}

// invertLinear solves ∫₀^τ (r0 + (r1-r0)·t/D) dt = n for τ in [0, D].
func invertLinear(r0, r1, D, n float64) float64 {
	if n <= 0 {
		if r0 > 0 {
			return 0
		}
		// rate starts at 0: the first arrival happens when the ramp begins
		return 0
	}
	a := (r1 - r0) / (2 * D)
	if math.Abs(a) < 1e-12 {
		return n / r0
	}
	// a τ² + r0 τ − n = 0, stable form of the positive root
	disc := r0*r0 + 4*a*n
	if disc < 0 {
		disc = 0
	}
	tau := 2 * n / (r0 + math.Sqrt(disc))
	if tau > D {
		tau = D
	}
	return tau
}

// vuSegments returns the VU-count profile of a ramping-vus scenario.
func vuSegments(sc *planspec.Scenario) []segment {
	segs := make([]segment, 0, len(sc.Stages))
	prev := float64(*sc.StartVUs)
	for _, st := range sc.Stages {
		segs = append(segs, segment{Dur: st.Duration.D(), From: prev, To: st.Target})
		prev = st.Target
	}
	return segs
}

// vuChange is a point where a ramping-vus scenario's VU count changes.
type vuChange struct {
	At  time.Duration
	VUs int
}

// vuChanges lists when the VU count of a linear profile changes: rising, a
// VU starts when the line reaches its number; falling, one stops when the
// line drops below its number (k6 ramping-vus).
func vuChanges(start int, segs []segment) []vuChange {
	var out []vuChange
	cur := start
	var t0 time.Duration
	for _, s := range segs {
		if s.Dur == 0 {
			if to := int(math.Round(s.To)); to != cur {
				out = append(out, vuChange{At: t0, VUs: to})
				cur = to
			}
			continue
		}
		from, to := s.From, s.To
		at := func(v float64) time.Duration {
			return t0 + time.Duration((v-from)/(to-from)*float64(s.Dur))
		}
		switch {
		case to > from:
			for v := math.Floor(from) + 1; v <= to+1e-9; v++ {
				if int(v) > cur {
					out = append(out, vuChange{At: at(v), VUs: int(v)})
					cur = int(v)
				}
			}
		case to < from:
			for v := math.Ceil(from) - 1; v >= to-1e-9; v-- {
				if int(v) < cur {
					out = append(out, vuChange{At: at(v), VUs: int(v)})
					cur = int(v)
				}
			}
		}
		t0 += s.Dur
	}
	return out
}
