package jmximport

import (
	"math"
	"time"

	"github.com/loadgen/loadgen/compiler/jmx"
	"github.com/loadgen/loadgen/planspec"
)

// timer imports a Constant, Uniform, Gaussian or Poisson timer as a pause.
func (im *importer) timer(anc []*jmx.Element, e *jmx.Element) (pause, bool) {
	ms := func(name string) float64 {
		v, ok := im.numProp(anc, e, name)
		if !ok || v < 0 {
			return 0
		}
		return math.Min(v, maxSeconds*1000)
	}
	d := func(v float64) time.Duration { return time.Duration(math.Round(v)) * time.Millisecond }
	delay := ms("ConstantTimer.delay")
	switch class(e) {
	case "ConstantTimer":
		return pause{d(delay), d(delay)}, true
	case "UniformRandomTimer":
		return pause{d(delay), d(delay + ms("RandomTimer.range"))}, true
	case "GaussianRandomTimer":
		// Same mean and standard deviation: a uniform range of
		// half-width √3·σ.
		half := math.Sqrt(3) * ms("RandomTimer.range")
		p := pause{d(math.Max(delay-half, 0)), d(delay + half)}
		im.warn(anc, e, "Gaussian timer (%gms ± %gms) approximated by a uniform think time of %s to %s", delay, ms("RandomTimer.range"), p.min, p.max)
		return p, true
	case "PoissonRandomTimer":
		lambda := ms("RandomTimer.range")
		p := pause{d(delay), d(delay + 2*lambda)}
		im.warn(anc, e, "Poisson timer (offset %gms, λ %gms) approximated by a uniform think time of %s to %s (same mean)", delay, lambda, p.min, p.max)
		return p, true
	}
	return pause{}, false
}

// slot is an item that carries a think time: a request or a group.
type slot struct {
	req   *reqStep
	group *groupItem
}

func (s slot) set(t *planspec.ThinkTime) {
	if s.req != nil {
		s.req.think = t
	} else {
		s.group.think = t
	}
}

// event is a request (with the items containing it, outermost first, the
// request itself last) or a pause, in flow order.
type event struct {
	chain []slot
	req   *reqStep
	pause pause
}

// flatten lists the events of items and removes the pause items.
func flatten(items []*item, prefix []slot, out *[]event) []*item {
	var kept []*item
	for _, it := range items {
		switch {
		case it.pause != nil:
			*out = append(*out, event{pause: *it.pause})
		case it.req != nil:
			ch := append(prefix[:len(prefix):len(prefix)], slot{req: it.req})
			*out = append(*out, event{chain: ch, req: it.req})
			kept = append(kept, it)
		case it.group != nil:
			ch := append(prefix[:len(prefix):len(prefix)], slot{group: it.group})
			it.group.items = flatten(it.group.items, ch, out)
			kept = append(kept, it)
		}
	}
	return kept
}

// thinkTimes turns the pauses JMeter takes before samplers into think
// times after steps (see the package documentation).
func (im *importer) thinkTimes(sc *scenario) {
	var evs []event
	sc.items = flatten(sc.items, nil, &evs)
	var reqs []int
	for i, ev := range evs {
		if ev.req != nil {
			reqs = append(reqs, i)
		}
	}
	if len(reqs) == 0 {
		return
	}
	arrival := planspec.IsArrivalRate(sc.sc.Executor)
	type gap struct {
		s    slot
		p    pause
		wrap bool
	}
	var gaps []gap
	for k, i := range reqs {
		var p pause
		j := i + 1
		wrap := k == len(reqs)-1
		for ; j < len(evs) && evs[j].req == nil; j++ {
			p = p.add(evs[j].pause)
		}
		next := reqs[0]
		if wrap {
			for j := 0; j < next; j++ {
				p = p.add(evs[j].pause)
			}
		} else {
			next = reqs[k+1]
		}
		p = p.add(evs[next].req.pre)
		a, b := evs[i].chain, evs[next].chain
		c := 0
		if !wrap {
			for c < len(a) && c < len(b) && a[c] == b[c] {
				c++
			}
		}
		gaps = append(gaps, gap{s: a[c], p: p, wrap: wrap})
	}
	// The most common pause is the scenario's think time.
	count := map[pause]int{}
	var order []pause
	for _, g := range gaps {
		if g.wrap && arrival {
			if !g.p.zero() {
				im.warn(sc.anc, sc.elem, "JMeter pauses %s before the first sampler; an arrival-rate iteration starts with its first step, so that pause is not imported", fmtPause(g.p))
			}
			continue
		}
		if count[g.p] == 0 {
			order = append(order, g.p)
		}
		count[g.p]++
	}
	var mode pause
	best := 0
	for _, p := range order {
		if count[p] > best {
			mode, best = p, count[p]
		}
	}
	if !mode.zero() {
		sc.sc.ThinkTime = thinkOf(mode)
	}
	for _, g := range gaps {
		if g.wrap && arrival || g.p == mode {
			continue
		}
		g.s.set(thinkOf(g.p))
	}
}

func thinkOf(p pause) *planspec.ThinkTime {
	return &planspec.ThinkTime{Min: planspec.Duration(p.min), Max: planspec.Duration(p.max)}
}

func fmtPause(p pause) string {
	if p.min == p.max {
		return p.min.String()
	}
	return p.min.String() + " to " + p.max.String()
}
