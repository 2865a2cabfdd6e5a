package loadgen

import (
	"context"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// timerfdSleeper waits on a Linux timerfd through the runtime's network
// poller: the kernel wakes the poller when the timer fires, with
// microsecond precision, where a runtime timer would round an idle wait up
// to a whole millisecond. It needs no spinning and no extra thread.
type timerfdSleeper struct {
	e      *engine
	ctx    context.Context
	fd     int
	f      *os.File
	stop   func() bool
	backup *timerSleeper
	buf    [8]byte
}

// newSleeper returns the most precise sleeper the platform offers.
func newSleeper(ctx context.Context, e *engine) sleeper {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return newTimerSleeper(ctx, e)
	}
	// a non-blocking descriptor makes a pollable *os.File
	s := &timerfdSleeper{e: e, ctx: ctx, fd: fd, f: os.NewFile(uintptr(fd), "timerfd"), backup: newTimerSleeper(ctx, e)}
	// when ctx ends, a deadline in the past fails the wait in progress and
	// every later one
	s.stop = context.AfterFunc(ctx, func() { _ = s.f.SetReadDeadline(time.Unix(1, 0)) })
	return s
}

func (s *timerfdSleeper) sleepUntil(t int64) bool {
	wait := t - s.e.clock()
	if wait <= 0 {
		return s.ctx.Err() == nil
	}
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(wait)}
	if err := unix.TimerfdSettime(s.fd, 0, &spec, nil); err != nil {
		return s.backup.sleepUntil(t)
	}
	if _, err := s.f.Read(s.buf[:]); err != nil {
		if s.ctx.Err() != nil {
			return false
		}
		return s.backup.sleepUntil(t)
	}
	return true
}

func (s *timerfdSleeper) close() {
	s.stop()
	s.backup.close()
	_ = s.f.Close()
}
