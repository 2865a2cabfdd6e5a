package loadgen

import (
	"context"
	"testing"
	"time"
)

func TestSleepers(t *testing.T) {
	e := &engine{base: time.Now()}
	kinds := map[string]func(context.Context) sleeper{
		"platform": func(ctx context.Context) sleeper { return newSleeper(ctx, e) },
		"timer":    func(ctx context.Context) sleeper { return newTimerSleeper(ctx, e) },
	}
	for name, mk := range kinds {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			s := mk(ctx)
			defer s.close()
			for _, d := range []time.Duration{0, 200 * time.Microsecond, 3 * time.Millisecond} {
				due := e.clock() + int64(d)
				if !s.sleepUntil(due) {
					t.Fatalf("sleep %s reported a cancelled context", d)
				}
				if now := e.clock(); now < due {
					t.Fatalf("woke %s early", time.Duration(due-now))
				}
			}
			// cancelling ends the wait in progress promptly, and every later one
			time.AfterFunc(20*time.Millisecond, cancel)
			begin := time.Now()
			if s.sleepUntil(e.clock() + int64(10*time.Second)) {
				t.Fatal("a cancelled wait reported success")
			}
			if d := time.Since(begin); d > 5*time.Second {
				t.Fatalf("cancel took %s", d)
			}
			if s.sleepUntil(e.clock() + int64(time.Second)) {
				t.Fatal("a wait after the cancel reported success")
			}
		})
	}
}
