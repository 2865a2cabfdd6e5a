package loadgen

import (
	"fmt"
	"time"
)

// progress prints live status: on a TTY a line rewritten every second, else
// a plain line every 10 s.
type progress struct {
	e     *engine
	last  time.Time
	width int
}

func newProgress(e *engine) *progress { return &progress{e: e, last: e.base} }

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
	l := r.live(now, windowSecs)
	return fmt.Sprintf("%s/%s  %8.0f req/s  p95 %7.2f ms  err %5.2f%%  vus %d  dropped %d  requests %d",
		l.Elapsed.Truncate(time.Second), l.Planned, l.RPS, l.P95Ms, l.ErrorPct, l.VUs, l.Dropped, l.Requests)
}

func (p *progress) done(r *recorder) {
	if p.e.opts.TTY && p.width > 0 {
		fmt.Fprintln(p.e.opts.Progress)
	}
}

// Live is a running test's state, handed to Options.OnTick once a second.
type Live struct {
	// Elapsed is the time since the run's clock started; Planned is when
	// the last scenario is planned to end (graceful stops not counted).
	Elapsed, Planned time.Duration
	// Requests and Errors count every request so far (not transactions).
	Requests, Errors int64
	// RPS, P95Ms and ErrorPct describe the last second.
	RPS, P95Ms, ErrorPct float64
	// VUs are active now; Dropped counts iterations an arrival-rate
	// executor could not start so far.
	VUs, Dropped int64
}

// live describes the run at now: over the last windowSecs seconds, or
// the whole run so far when windowSecs is 0.
func (r *recorder) live(now time.Time, windowSecs float64) Live {
	l := Live{
		Elapsed:  now.Sub(r.e.base),
		Planned:  r.planned,
		Requests: r.total.count,
		Errors:   r.total.errors,
		VUs:      r.e.activeAll.Load(),
	}
	for _, sr := range r.runs {
		l.Dropped += sr.dropped.Load()
	}
	if windowSecs > 0 {
		l.RPS = float64(r.winCount) / windowSecs
		l.P95Ms = usToMs(r.win.ValueAtPercentile(95))
		if r.winCount > 0 {
			l.ErrorPct = float64(r.winErrors) * 100 / float64(r.winCount)
		}
		return l
	}
	if s := l.Elapsed.Seconds(); s > 0 {
		l.RPS = float64(r.total.count) / s
	}
	l.P95Ms = usToMs(r.total.t.duration.ValueAtPercentile(95))
	if r.total.count > 0 {
		l.ErrorPct = float64(r.total.errors) * 100 / float64(r.total.count)
	}
	return l
}
