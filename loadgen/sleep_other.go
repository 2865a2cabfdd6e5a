//go:build !linux

package loadgen

import "context"

// newSleeper returns the most precise sleeper the platform offers.
func newSleeper(ctx context.Context, e *engine) sleeper { return newTimerSleeper(ctx, e) }
