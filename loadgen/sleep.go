package loadgen

import (
	"context"
	"time"
)

// sleeper waits until an offset on the engine clock. The arrival scheduler
// uses it to start iterations at their intended times. A sleeper is bound
// to one context: once it ends, every wait returns false at once.
type sleeper interface {
	// sleepUntil waits until the engine clock reads t; it returns false
	// when the sleeper's context ended first.
	sleepUntil(t int64) bool
	close()
}

// timerSleeper sleeps on a runtime timer. When the process is otherwise
// idle the Go runtime rounds such waits up to whole milliseconds, so an
// arrival can start up to ~1 ms late (the lateness shows in
// http_req_duration_corrected).
type timerSleeper struct {
	e     *engine
	ctx   context.Context
	timer *time.Timer
}

func newTimerSleeper(ctx context.Context, e *engine) *timerSleeper {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &timerSleeper{e: e, ctx: ctx, timer: t}
}

func (s *timerSleeper) sleepUntil(t int64) bool {
	wait := t - s.e.clock()
	if wait <= 0 {
		return s.ctx.Err() == nil
	}
	s.timer.Reset(time.Duration(wait))
	select {
	case <-s.timer.C:
		return true
	case <-s.ctx.Done():
		s.timer.Stop()
		return false
	}
}

func (s *timerSleeper) close() { s.timer.Stop() }
