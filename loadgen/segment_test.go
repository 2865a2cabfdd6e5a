package loadgen

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgen/loadgen/planspec"
)

func TestSegmentArithmetic(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 7} {
		for _, q := range []int{0, 1, 2, 3, 5, 10, 11, 99, 100} {
			sum, iters := 0, 0
			for i := range n {
				s := Segment{Index: i, Count: n}
				sum += s.share(q)
				iters += s.sharedIterations(1003, max(q, 1))
				owned := 0
				for j := range int64(q) {
					if s.owns(j) {
						owned++
					}
				}
				if owned != s.share(q) {
					t.Errorf("segment %s of %d: owns %d items, share says %d", s, q, owned, s.share(q))
				}
				for k := range s.share(q) {
					if g := s.global(k); g >= q || !s.owns(int64(g)) {
						t.Errorf("segment %s: item %d → global %d, not owned or out of range %d", s, k, g, q)
					}
				}
			}
			if sum != q {
				t.Errorf("%d segments share %d items as %d", n, q, sum)
			}
			if iters != 1003 {
				t.Errorf("%d segments share 1003 iterations over %d VUs as %d", n, max(q, 1), iters)
			}
		}
	}
	for _, bad := range []string{"", "1", "4/4", "-1/4", "0/0", "a/b", "1/2/3"} {
		if _, err := ParseSegment(bad); err == nil {
			t.Errorf("ParseSegment(%q) accepted", bad)
		}
	}
	if s, err := ParseSegment("2/5"); err != nil || s != (Segment{2, 5}) || s.String() != "2/5" {
		t.Errorf("ParseSegment(2/5) = %v, %v", s, err)
	}
}

// runSegments runs a plan as n workers in this process, started together,
// and returns their summaries and output folders.
func runSegments(t *testing.T, src string, n int) ([]*Summary, []string) {
	t.Helper()
	p, err := planspec.Parse([]byte(src), "seg.yaml", planspec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(300 * time.Millisecond)
	sums := make([]*Summary, n)
	dirs := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		dirs[i] = t.TempDir()
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			sums[i], errs[i] = Run(ctx, p, Options{Out: dirs[i], Seed: 7, Segment: Segment{Index: i, Count: n}, StartAt: start})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("worker %d: %v", i, err)
		}
	}
	return sums, dirs
}

func TestSegmentsAddUpToThePlan(t *testing.T) {
	tg := newTarget(t)
	tests := []struct {
		name      string
		scenario  string
		wantCount int64 // requests of the whole plan
		wantVUs   int64
	}{
		{"per-vu-iterations", "executor: per-vu-iterations\n    vus: 7\n    iterations: 5", 35, 7},
		{"shared-iterations", "executor: shared-iterations\n    vus: 3\n    iterations: 101", 101, 3},
		{"constant-arrival-rate", "executor: constant-arrival-rate\n    rate: 50\n    duration: 2s\n    pre_allocated_vus: 4\n    max_vus: 8", 100, -1},
		{"ramping-arrival-rate", "executor: ramping-arrival-rate\n    start_rate: 10\n    stages: [{duration: 1s, target: 50}, {duration: 1s, target: 0}]\n    pre_allocated_vus: 4", 55, -1},
		{"poisson arrivals", "executor: constant-arrival-rate\n    rate: 40\n    duration: 2s\n    arrivals: poisson\n    pre_allocated_vus: 4", -1, -1},
		{"ramping-vus", "executor: ramping-vus\n    start_vus: 1\n    stages: [{duration: 1s, target: 9}, {duration: 500ms, target: 2}]\n    think_time: 100ms", -1, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := `
version: 1
name: seg
target: ` + tg.URL + `
scenarios:
  - name: s
    ` + tt.scenario + `
    steps:
      - name: a
        request: {url: /a}
`
			whole, _ := runSegments(t, src, 1)
			parts, dirs := runSegments(t, src, 4)
			var count, vus int64
			var states []*State
			for i, s := range parts {
				count += s.Total.Count
				vus += s.VUsMax
				st, err := ReadState(filepath.Join(dirs[i], StateFile))
				if err != nil {
					t.Fatal(err)
				}
				states = append(states, st)
			}
			if tt.wantCount >= 0 && (count != tt.wantCount || whole[0].Total.Count != tt.wantCount) {
				t.Errorf("requests: 4 workers %d, 1 worker %d, want %d", count, whole[0].Total.Count, tt.wantCount)
			}
			if tt.wantCount < 0 && count != whole[0].Total.Count {
				t.Errorf("requests: 4 workers %d, 1 worker %d (same seed: same arrivals)", count, whole[0].Total.Count)
			}
			if tt.wantVUs >= 0 && (vus != tt.wantVUs || whole[0].VUsMax != tt.wantVUs) {
				t.Errorf("VUs: 4 workers %d, 1 worker %d, want %d", vus, whole[0].VUsMax, tt.wantVUs)
			}
			p, _ := planspec.Parse([]byte(src), "seg.yaml", planspec.Options{})
			merged, err := MergeStates(p, tg.URL, states)
			if err != nil {
				t.Fatal(err)
			}
			if merged.Total.Count != count || merged.VUsMax != vus || merged.Steps[0].Count != count {
				t.Errorf("merged summary: %d requests, %d VUs; workers %d, %d", merged.Total.Count, merged.VUsMax, count, vus)
			}
			// VU numbers are the plan's: no two workers share one.
			seen := map[string]int{}
			for i, d := range dirs {
				for _, row := range jtlRows(t, d) {
					if w, ok := seen[row[5]]; ok && w != i {
						t.Fatalf("thread %q used by workers %d and %d", row[5], w, i)
					}
					seen[row[5]] = i
				}
			}
		})
	}
}

func TestSegmentArrivalScheduleIsThePlans(t *testing.T) {
	// Even arrivals at 20/s: arrival j is due at j*50 ms from the start;
	// worker i of 4 sends j ≡ i (mod 4), so its gaps are 200 ms.
	tg := newTarget(t)
	src := `
version: 1
name: seg
target: ` + tg.URL + `
scenarios:
  - name: s
    executor: constant-arrival-rate
    rate: 20
    duration: 1s
    pre_allocated_vus: 2
    steps:
      - name: a
        request: {url: /a}
`
	_, dirs := runSegments(t, src, 4)
	var starts [][]int64
	for _, d := range dirs {
		rows := jtlRows(t, d)
		var ts []int64
		for _, r := range rows {
			ts = append(ts, mustInt(t, r[0]))
		}
		starts = append(starts, ts)
		if len(ts) != 5 {
			t.Fatalf("worker sent %d requests, want 5", len(ts))
		}
	}
	base := starts[0][0]
	for i, ts := range starts {
		for k, v := range ts {
			want := base + int64(i*50+k*200)
			if d := v - want; d < -20 || d > 20 {
				t.Errorf("worker %d request %d at +%d ms, want +%d ms", i, k, v-base, want-base)
			}
		}
	}
}

func TestSharedFeederRowsArePartitioned(t *testing.T) {
	tg := newTarget(t)
	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString("user\n")
	for i := range 8 {
		csv.WriteString("u" + string(rune('0'+i)) + "\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "users.csv"), []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	src := `
version: 1
name: feed
target: ` + tg.URL + `
data:
  users: {file: users.csv}
scenarios:
  - name: s
    executor: shared-iterations
    vus: 4
    iterations: 16
    steps:
      - name: a
        request: {url: "/a?u=${users.user}"}
`
	plan := filepath.Join(dir, "plan.yaml")
	if err := os.WriteFile(plan, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := planspec.ParseFile(plan, planspec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckSegments(p, 9); err == nil || !strings.Contains(err.Error(), "8 rows") {
		t.Errorf("9 workers over 8 rows: %v", err)
	}
	used := map[string]int{}
	for i := range 4 {
		out := t.TempDir()
		if _, err := Run(context.Background(), p, Options{Out: out, Seed: 1, Segment: Segment{Index: i, Count: 4}}); err != nil {
			t.Fatal(err)
		}
		for _, row := range jtlRows(t, out) {
			u := row[13][strings.Index(row[13], "u=")+2:]
			if w, ok := used[u]; ok && w != i {
				t.Fatalf("row %s used by workers %d and %d", u, w, i)
			}
			used[u] = i
		}
	}
	if len(used) != 8 {
		t.Errorf("%d distinct rows used, want all 8", len(used))
	}
}

func TestStartAt(t *testing.T) {
	tg := newTarget(t)
	p, err := planspec.Parse([]byte(`
version: 1
name: late
target: `+tg.URL+`
scenarios:
  - {name: s, executor: per-vu-iterations, vus: 1, iterations: 1, steps: [{name: a, request: {url: /a}}]}
`), "late.yaml", planspec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	before := tg.requests.Load()
	out := t.TempDir()
	_, err = Run(context.Background(), p, Options{Out: out, StartAt: time.Now().Add(-5 * time.Second)})
	if !errors.Is(err, ErrLate) || tg.requests.Load() != before {
		t.Fatalf("5 s late: err %v, %d requests sent", err, tg.requests.Load()-before)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("a late run left %d files", len(entries))
	}
	at := time.Now().Add(400 * time.Millisecond)
	sum, err := Run(context.Background(), p, Options{Out: t.TempDir(), StartAt: at})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Run.Start.Before(at) || sum.Run.Start.Sub(at) > 50*time.Millisecond {
		t.Errorf("started at %s, want %s", sum.Run.Start, at)
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
