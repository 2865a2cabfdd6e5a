package loadgen

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgen/loadgen/planspec"
)

// StateFile is the worker state a segment run writes beside its summary.
const StateFile = "state.json"

// StateSchema names the state document's version.
const StateSchema = "loadgen.state/v1"

// State is what one worker's run leaves for an exact merge: every count and
// histogram the summary and the thresholds are computed from. MergeStates
// adds the states of a run's workers into the summary one process running
// the whole plan would have written.
type State struct {
	Schema     string          `json:"schema"`
	Segment    string          `json:"segment"`
	PlanSHA256 string          `json:"plan_sha256"`
	Start      time.Time       `json:"start"`
	End        time.Time       `json:"end"`
	StopReason string          `json:"stop_reason,omitempty"`
	StartupMs  float64         `json:"startup_ms,omitempty"`
	Host       string          `json:"host,omitempty"`
	Steps      []StepState     `json:"steps"`
	Total      StepState       `json:"total"`
	Scenarios  []ScenarioStats `json:"scenarios"`
	Sinks      []SinkState     `json:"sinks,omitempty"`
	Aborted    []string        `json:"aborted,omitempty"`
	JTLRows    int64           `json:"jtl_rows"`
	JTLSkipped int64           `json:"jtl_skipped"`
	// CPUSeconds is the worker process's CPU time (user + system).
	CPUSeconds float64 `json:"cpu_s"`
}

// StepState is one label's statistics; histograms are HdrHistogram V2
// compressed, base64 (microseconds).
type StepState struct {
	Count        int64            `json:"count"`
	Errors       int64            `json:"errors"`
	Checks       int64            `json:"checks"`
	ChecksFailed int64            `json:"checks_failed"`
	Sent         int64            `json:"sent"`
	Received     int64            `json:"received"`
	First        int64            `json:"first"`
	Last         int64            `json:"last"`
	Duration     string           `json:"duration"`
	Corrected    string           `json:"corrected"`
	Waiting      string           `json:"waiting"`
	Connecting   string           `json:"connecting"`
	Status       map[string]int64 `json:"status,omitempty"`
	ErrorCodes   map[string]int64 `json:"error_codes,omitempty"`
}

// SinkState is one threshold key's accumulator.
type SinkState struct {
	Key       string  `json:"key"`
	Count     int64   `json:"count"`
	Trues     int64   `json:"trues"`
	GaugeSeen bool    `json:"gauge_seen,omitempty"`
	Gauge     float64 `json:"gauge,omitempty"`
	GaugeMin  float64 `json:"gauge_min,omitempty"`
	GaugeMax  float64 `json:"gauge_max,omitempty"`
	Hist      string  `json:"hist,omitempty"`
}

// state captures the recorder's statistics (call after counters()).
func (r *recorder) state(end time.Time) (*State, error) {
	info := r.runInfo(end)
	t := r.tally()
	st := &State{Schema: StateSchema, Segment: r.e.opts.Segment.String(), PlanSHA256: r.e.plan.SHA256,
		Start: info.Start, End: info.End, StopReason: info.StopReason, StartupMs: info.StartupMs, Host: info.Host,
		Scenarios: t.scenarios, Aborted: t.aborted, JTLRows: t.jtlRows, JTLSkipped: t.jtlSkipped, CPUSeconds: round3(processCPU())}
	var err error
	for _, s := range t.steps {
		x, e := s.export()
		err = errors.Join(err, e)
		st.Steps = append(st.Steps, x)
	}
	var e error
	st.Total, e = t.total.export()
	err = errors.Join(err, e)
	for _, k := range t.sinks {
		x := SinkState{Key: k.key, Count: k.count, Trues: k.trues, GaugeSeen: k.gaugeSeen, Gauge: k.gaugeValue, GaugeMin: k.gaugeMin, GaugeMax: k.gaugeMax}
		if k.hist != nil {
			x.Hist, e = encodeHist(k.hist)
			err = errors.Join(err, e)
		}
		st.Sinks = append(st.Sinks, x)
	}
	return st, err
}

func (st *stepStats) export() (StepState, error) {
	x := StepState{Count: st.count, Errors: st.errors, Checks: st.checks, ChecksFailed: st.failed,
		Sent: st.sent, Received: st.received, First: st.first, Last: st.last, ErrorCodes: st.errorsByCode}
	if len(st.status) > 0 {
		x.Status = map[string]int64{}
		for code, n := range st.status {
			x.Status[strconv.Itoa(int(code))] = n
		}
	}
	var errs [4]error
	x.Duration, errs[0] = encodeHist(st.t.duration)
	x.Corrected, errs[1] = encodeHist(st.t.corrected)
	x.Waiting, errs[2] = encodeHist(st.t.waiting)
	x.Connecting, errs[3] = encodeHist(st.t.connecting)
	return x, errors.Join(errs[:]...)
}

// add merges a worker's statistics into st.
func (st *stepStats) merge(x *StepState) error {
	st.count += x.Count
	st.errors += x.Errors
	st.checks += x.Checks
	st.failed += x.ChecksFailed
	st.sent += x.Sent
	st.received += x.Received
	if x.First != 0 && (st.first == 0 || x.First < st.first) {
		st.first = x.First
	}
	st.last = max(st.last, x.Last)
	for code, n := range x.Status {
		c, err := strconv.Atoi(code)
		if err != nil {
			return fmt.Errorf("status %q: %w", code, err)
		}
		st.status[int32(c)] += n
	}
	for code, n := range x.ErrorCodes {
		st.errorsByCode[code] += n
	}
	for _, h := range []struct {
		dst *hdr.Histogram
		src string
	}{{st.t.duration, x.Duration}, {st.t.corrected, x.Corrected}, {st.t.waiting, x.Waiting}, {st.t.connecting, x.Connecting}} {
		if err := mergeHist(h.dst, h.src); err != nil {
			return err
		}
	}
	return nil
}

func encodeHist(h *hdr.Histogram) (string, error) {
	b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	return string(b), err
}

// mergeHist adds an encoded histogram into dst.
func mergeHist(dst *hdr.Histogram, enc string) error {
	if enc == "" {
		return nil
	}
	h, err := hdr.Decode([]byte(enc))
	if err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	if dropped := dst.Merge(h); dropped > 0 {
		return fmt.Errorf("histogram: %d values outside the range", dropped)
	}
	return nil
}

// ReadState reads a worker's state.json.
func ReadState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if s.Schema != StateSchema {
		return nil, fmt.Errorf("%s: not a loadgen worker state (schema %q)", path, s.Schema)
	}
	return &s, nil
}

// MergeStates adds the states of a run's workers (each from the same plan)
// into one summary, with the thresholds evaluated on the merged numbers:
// counts and histograms are exact. Gauges (vus, vus_max) are added, so
// their min and max are bounds rather than exact values. target is the
// run's effective target, for the summary.
func MergeStates(p *planspec.Plan, target string, states []*State) (*Summary, error) {
	if len(states) == 0 {
		return nil, errors.New("merge: no worker states")
	}
	comp, err := compile(p, target)
	if err != nil {
		return nil, err
	}
	t := &tally{total: newStepStats(), sinks: newSinks(p, comp)}
	for range comp.labels {
		t.steps = append(t.steps, newStepStats())
	}
	for i := range p.Scenarios {
		t.scenarios = append(t.scenarios, ScenarioStats{Name: p.Scenarios[i].Name, Executor: p.Scenarios[i].Executor})
	}
	info := RunInfo{PlanFile: p.File, PlanSHA256: p.SHA256, Version: Version, GoVersion: runtime.Version(), Target: target}
	seenAbort := map[string]bool{}
	for wi, st := range states {
		where := fmt.Sprintf("worker %s", st.Segment)
		if st.PlanSHA256 != p.SHA256 {
			return nil, fmt.Errorf("merge: %s ran another plan (sha256 %s, want %s)", where, st.PlanSHA256, p.SHA256)
		}
		if len(st.Steps) != len(t.steps) || len(st.Scenarios) != len(t.scenarios) || len(st.Sinks) != len(t.sinks) {
			return nil, fmt.Errorf("merge: %s has %d labels, %d scenarios, %d threshold keys; the plan has %d, %d, %d",
				where, len(st.Steps), len(st.Scenarios), len(st.Sinks), len(t.steps), len(t.scenarios), len(t.sinks))
		}
		for i := range st.Steps {
			if err := t.steps[i].merge(&st.Steps[i]); err != nil {
				return nil, fmt.Errorf("merge: %s: label %q: %w", where, comp.labels[i].Label, err)
			}
		}
		if err := t.total.merge(&st.Total); err != nil {
			return nil, fmt.Errorf("merge: %s: total: %w", where, err)
		}
		for i, sc := range st.Scenarios {
			t.scenarios[i].Iterations += sc.Iterations
			t.scenarios[i].DroppedIterations += sc.DroppedIterations
			t.scenarios[i].VUsMax += sc.VUsMax
		}
		for i, x := range st.Sinks {
			k := t.sinks[i]
			if x.Key != k.key {
				return nil, fmt.Errorf("merge: %s: threshold key %q, want %q", where, x.Key, k.key)
			}
			k.count += x.Count
			k.trues += x.Trues
			if x.GaugeSeen {
				if !k.gaugeSeen {
					k.gaugeMin, k.gaugeMax = 0, 0
				}
				k.gaugeSeen = true
				k.gaugeValue += x.Gauge
				k.gaugeMin += x.GaugeMin
				k.gaugeMax += x.GaugeMax
			}
			if k.hist != nil {
				if err := mergeHist(k.hist, x.Hist); err != nil {
					return nil, fmt.Errorf("merge: %s: %s: %w", where, k.key, err)
				}
			}
		}
		for _, a := range st.Aborted {
			if !seenAbort[a] {
				seenAbort[a] = true
				t.aborted = append(t.aborted, a)
			}
		}
		t.jtlRows += st.JTLRows
		t.jtlSkipped += st.JTLSkipped
		if wi == 0 || st.Start.Before(info.Start) {
			info.Start = st.Start
		}
		if st.End.After(info.End) {
			info.End = st.End
		}
		if st.StopReason != "" && info.StopReason == "" {
			info.StopReason = st.StopReason
		}
		info.StartupMs = max(info.StartupMs, st.StartupMs)
	}
	info.DurationS = round3(info.End.Sub(info.Start).Seconds())
	info.Interrupted = info.StopReason == "interrupted"
	info.Host = fmt.Sprintf("%d workers", len(states))
	return buildSummary(p, comp, info, t), nil
}
