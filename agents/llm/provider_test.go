package llm

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func TestNewLimiter(t *testing.T) {
	for _, tc := range []struct {
		rpm       int
		wantNil   bool
		wantEvery time.Duration
	}{
		{rpm: 0, wantEvery: 1200 * time.Millisecond}, // default 50/min
		{rpm: 600, wantEvery: 100 * time.Millisecond},
		{rpm: 1, wantEvery: time.Minute},
		{rpm: -1, wantNil: true},
	} {
		l := newLimiter(tc.rpm)
		if tc.wantNil {
			if l != nil {
				t.Errorf("rpm %d: limiter %v, want none", tc.rpm, l)
			}
			continue
		}
		if l.Limit() != rate.Every(tc.wantEvery) || l.Burst() != 1 {
			t.Errorf("rpm %d: limit %v burst %d, want every %v, burst 1", tc.rpm, l.Limit(), l.Burst(), tc.wantEvery)
		}
	}
}

func TestGateEnter(t *testing.T) {
	// One call a minute: the bucket starts full, so the first enter is
	// immediate; the second cannot happen within a second, which
	// rate.Limiter knows up front (no sleeping in this test).
	g := newGate(1, time.Minute)
	ctx, cancel, err := g.enter(context.Background())
	if err != nil {
		t.Fatalf("first enter: %v", err)
	}
	if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > time.Minute {
		t.Errorf("call context deadline %v, %v: want the gate's timeout", dl, ok)
	}
	cancel()

	short, cancelShort := context.WithTimeout(context.Background(), time.Second)
	defer cancelShort()
	if _, _, err := g.enter(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second enter: err = %v, want context.DeadlineExceeded", err)
	}

	done, cancelDone := context.WithCancel(context.Background())
	cancelDone()
	if _, _, err := g.enter(done); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: err = %v, want context.Canceled", err)
	}

	if got := newGate(-1, 0); got.limiter != nil || got.timeout != DefaultTimeout ||
		got.describeLimit() != "no client-side rate limit" {
		t.Errorf("unlimited gate = %+v", got)
	}
	if got := newGate(0, 0).describeLimit(); got != "50 requests/min" {
		t.Errorf("default gate: %q", got)
	}
}

func TestDefaultMaxTokens(t *testing.T) {
	for _, tc := range []struct {
		schemaLen, want int
	}{
		{0, 4096}, {100, 4096}, {2048, 4096}, {3000, 6000}, {4096, 8192}, {100000, 8192},
	} {
		schema := json.RawMessage(strings.Repeat(" ", tc.schemaLen))
		if got := DefaultMaxTokens(schema); got != tc.want {
			t.Errorf("DefaultMaxTokens(%d bytes) = %d, want %d", tc.schemaLen, got, tc.want)
		}
	}
	req := Request{Schema: json.RawMessage(testSchema)}
	if got := maxTokens(req, 0); got != 4096 {
		t.Errorf("schema default: %d", got)
	}
	if got := maxTokens(req, 2000); got != 2000 {
		t.Errorf("provider's MaxTokens: %d", got)
	}
	req.MaxTokens = 16000
	if got := maxTokens(req, 2000); got != 16000 {
		t.Errorf("Request.MaxTokens: %d", got)
	}
}

func TestClampTemperature(t *testing.T) {
	for in, want := range map[float64]float64{-1: 0, 0: 0, 0.2: 0.2, 1: 1, 1.5: 1} {
		if got := clampTemperature(in); got != want {
			t.Errorf("clampTemperature(%v) = %v, want %v", in, got, want)
		}
	}
}
