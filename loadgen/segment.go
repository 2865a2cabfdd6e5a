package loadgen

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/loadgen/loadgen/planspec"
)

// Segment is one worker's share of a plan split over Count workers, in the
// manner of k6's execution segments, striped: global VU number j (0-based,
// in start order) and global arrival number j belong to worker j mod
// Count. VU counts, iteration counts and arrival schedules of the workers
// therefore add up exactly to the plan's, at every moment of a ramp, and
// every worker keeps the plan's timing. The zero Segment is the whole plan.
type Segment struct {
	Index, Count int
}

// ParseSegment reads "i/N" (0 ≤ i < N).
func ParseSegment(s string) (Segment, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Segment{}, fmt.Errorf("segment %q: want i/N with 0 <= i < N, such as 0/4", s)
	}
	return Segment{Index: i, Count: n}, nil
}

// String is "i/N".
func (s Segment) String() string { return fmt.Sprintf("%d/%d", s.Index, max(s.Count, 1)) }

// split reports whether the plan is split over several workers.
func (s Segment) split() bool { return s.Count > 1 }

// owns reports whether global item j (0-based) is this segment's.
func (s Segment) owns(j int64) bool { return !s.split() || j%int64(s.Count) == int64(s.Index) }

// share is how many of the first n global items this segment owns.
func (s Segment) share(n int) int {
	if !s.split() {
		return n
	}
	if n <= s.Index {
		return 0
	}
	return (n - s.Index + s.Count - 1) / s.Count
}

// global is the global number (0-based) of this segment's k-th item.
func (s Segment) global(k int) int {
	if !s.split() {
		return k
	}
	return s.Index + k*s.Count
}

// sharedIterations is this segment's part of a shared-iterations count:
// the iterations are spread over the VUs as evenly as one process would
// (the first iterations mod vus VUs get one more), and a segment gets its
// own VUs' parts.
func (s Segment) sharedIterations(iterations, vus int) int {
	if !s.split() || vus <= 0 {
		return iterations
	}
	base, extra := iterations/vus, iterations%vus
	n := 0
	for k := 0; s.global(k) < vus; k++ {
		n += base
		if s.global(k) < extra {
			n++
		}
	}
	return n
}

// CheckSegments reports what keeps a plan from being split over n
// workers: a `share: all` feeder needs at least n rows, since its rows are
// partitioned between the workers (row r goes to worker r mod n) so that
// no row is used by two workers at once.
func CheckSegments(p *planspec.Plan, n int) error {
	if n <= 1 {
		return nil
	}
	for name, f := range p.Data {
		fd := p.Feeders[name]
		if fd == nil || f.Share == "vu" {
			continue
		}
		if len(fd.Rows) < n {
			return fmt.Errorf("feeder %q has %d rows: %d workers need at least %d to partition a share: all feeder (use fewer workers or share: vu)",
				name, len(fd.Rows), n, n)
		}
	}
	return nil
}

// partition returns the rows of a share: all feeder this segment uses.
func (s Segment) partition(rows [][]string) [][]string {
	if !s.split() {
		return rows
	}
	out := make([][]string, 0, len(rows)/s.Count+1)
	for r := s.Index; r < len(rows); r += s.Count {
		out = append(out, rows[r])
	}
	return out
}
