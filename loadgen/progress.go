package loadgen

import (
	"fmt"
	"time"
)

// progress prints live status: on a TTY a line rewritten every second, else
// a plain line every 10 s.
type progress struct {
	e     *engine
	total time.Duration
	last  time.Time
	width int
}

func newProgress(e *engine, runs []*scenarioRun) *progress {
	p := &progress{e: e, last: e.base}
	for _, sr := range runs {
		if end := sr.plannedEnd(); end > p.total {
			p.total = end
		}
	}
	return p
}

func (p *progress) update(r *recorder, now time.Time) {
	if !p.e.opts.TTY && now.Sub(p.last) < 10*time.Second {
		return
	}
	secs := now.Sub(r.lastTick).Seconds()
	if !p.e.opts.TTY {
		// a plain line summarises the whole run so far
		secs = 0
	}
	line := p.line(r, now, secs)
	if p.e.opts.TTY {
		pad := p.width - len(line)
		p.width = len(line)
		if pad < 0 {
			pad = 0
		}
		fmt.Fprintf(p.e.opts.Progress, "\r%s%*s", line, pad, "")
	} else {
		fmt.Fprintln(p.e.opts.Progress, line)
	}
	p.last = now
}

func (p *progress) line(r *recorder, now time.Time, windowSecs float64) string {
	elapsed := now.Sub(p.e.base).Truncate(time.Second)
	var dropped, vus int64
	for _, sr := range r.runs {
		dropped += sr.dropped.Load()
	}
	vus = p.e.activeAll.Load()
	var rps, p95, errPct float64
	if windowSecs > 0 {
		rps = float64(r.winCount) / windowSecs
		p95 = usToMs(r.win.ValueAtPercentile(95))
		if r.winCount > 0 {
			errPct = float64(r.winErrors) * 100 / float64(r.winCount)
		}
	} else {
		if s := now.Sub(p.e.base).Seconds(); s > 0 {
			rps = float64(r.total.count) / s
		}
		p95 = usToMs(r.total.t.duration.ValueAtPercentile(95))
		if r.total.count > 0 {
			errPct = float64(r.total.errors) * 100 / float64(r.total.count)
		}
	}
	return fmt.Sprintf("%s/%s  %8.0f req/s  p95 %7.2f ms  err %5.2f%%  vus %d  dropped %d  requests %d",
		elapsed, p.total, rps, p95, errPct, vus, dropped, r.total.count)
}

func (p *progress) done(r *recorder) {
	if p.e.opts.TTY && p.width > 0 {
		fmt.Fprintln(p.e.opts.Progress)
	}
}
