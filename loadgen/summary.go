package loadgen

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/loadgen/loadgen/planspec"
)

// Summary is the content of summary.json.
type Summary struct {
	Name              string            `json:"name"`
	Run               RunInfo           `json:"run"`
	Total             Stats             `json:"total"`
	Steps             []Stats           `json:"steps"`
	Scenarios         []ScenarioStats   `json:"scenarios"`
	Iterations        int64             `json:"iterations"`
	DroppedIterations int64             `json:"dropped_iterations"`
	VUsMax            int64             `json:"vus_max"`
	Thresholds        []ThresholdResult `json:"thresholds"`
	ThresholdsOK      bool              `json:"thresholds_ok"`
	Outputs           Outputs           `json:"outputs"`
}

// RunInfo is the run's metadata.
type RunInfo struct {
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	DurationS   float64   `json:"duration_s"`
	PlanFile    string    `json:"plan_file,omitempty"`
	PlanSHA256  string    `json:"plan_sha256"`
	Version     string    `json:"version"`
	Host        string    `json:"host"`
	GoVersion   string    `json:"go_version"`
	Target      string    `json:"target,omitempty"`
	StartupMs   float64   `json:"startup_ms"`
	Interrupted bool      `json:"interrupted"`
	StopReason  string    `json:"stop_reason,omitempty"`
	// RunID is Options.RunID (empty when none was given).
	RunID string `json:"run_id,omitempty"`
}

// Stats are the statistics of one label or of all requests. Durations are
// in milliseconds; Rps is requests per second over the label's active span.
type Stats struct {
	Label         string           `json:"label,omitempty"`
	Scenario      string           `json:"scenario,omitempty"`
	Group         string           `json:"group,omitempty"`
	Transaction   bool             `json:"transaction,omitempty"`
	Count         int64            `json:"count"`
	Errors        int64            `json:"errors"`
	ErrorPct      float64          `json:"error_pct"`
	Rps           float64          `json:"rps"`
	BytesReceived int64            `json:"bytes_received"`
	BytesSent     int64            `json:"bytes_sent"`
	Checks        int64            `json:"checks"`
	ChecksFailed  int64            `json:"checks_failed"`
	Duration      TrendStats       `json:"http_req_duration"`
	Corrected     TrendStats       `json:"http_req_duration_corrected"`
	Waiting       TrendStats       `json:"http_req_waiting"`
	Connecting    TrendStats       `json:"http_req_connecting"`
	Status        map[string]int64 `json:"status,omitempty"`
	ErrorCodes    map[string]int64 `json:"error_codes,omitempty"`
}

// ScenarioStats are per-scenario counters.
type ScenarioStats struct {
	Name              string `json:"name"`
	Executor          string `json:"executor"`
	Iterations        int64  `json:"iterations"`
	DroppedIterations int64  `json:"dropped_iterations"`
	VUsMax            int64  `json:"vus_max"`
}

// Outputs names the run's files.
type Outputs struct {
	JTL        string `json:"jtl"`
	HLog       string `json:"hlog"`
	Summary    string `json:"summary"`
	JTLRows    int64  `json:"jtl_rows"`
	JTLSkipped int64  `json:"jtl_sampled_out"`
}

func (st *stepStats) stats() Stats {
	s := Stats{
		Count:         st.count,
		Errors:        st.errors,
		BytesReceived: st.received,
		BytesSent:     st.sent,
		Checks:        st.checks,
		ChecksFailed:  st.failed,
		Duration:      trendStats(st.t.duration),
		Corrected:     trendStats(st.t.corrected),
		Waiting:       trendStats(st.t.waiting),
		Connecting:    trendStats(st.t.connecting),
	}
	if st.count > 0 {
		s.ErrorPct = round3(float64(st.errors) * 100 / float64(st.count))
		if span := float64(st.last-st.first) / 1e9; span > 0 {
			s.Rps = round3(float64(st.count) / span)
		}
	}
	if len(st.status) > 0 {
		s.Status = map[string]int64{}
		for code, n := range st.status {
			s.Status[fmt.Sprint(code)] = n
		}
	}
	if len(st.errorsByCode) > 0 {
		s.ErrorCodes = st.errorsByCode
	}
	return s
}

// summary builds the run summary and evaluates the thresholds.
func (r *recorder) summary(end time.Time) *Summary {
	r.counters()
	return buildSummary(r.e.plan, r.e.comp, r.runInfo(end), r.tally())
}

// runInfo is the run's metadata at its end.
func (r *recorder) runInfo(end time.Time) RunInfo {
	e := r.e
	host, _ := os.Hostname()
	info := RunInfo{
		Start:      e.base.UTC(),
		End:        end.UTC(),
		DurationS:  round3(end.Sub(e.base).Seconds()),
		PlanFile:   e.plan.File,
		PlanSHA256: e.plan.SHA256,
		Version:    Version,
		Host:       host,
		GoVersion:  runtime.Version(),
		Target:     e.target(),
		RunID:      e.opts.RunID,
	}
	if first := e.firstReq.Load(); first > 0 && !e.opts.ProcessStart.IsZero() {
		info.StartupMs = round3(float64(e.base.Add(time.Duration(first)).Sub(e.opts.ProcessStart)) / 1e6)
	}
	if why, ok := e.stopWhy.Load().(string); ok {
		info.StopReason = why
		info.Interrupted = why == "interrupted"
	}
	return info
}

// tally is every statistic a summary is computed from: one process's, or
// the exact merge of several workers' (see MergeStates).
type tally struct {
	steps               []*stepStats
	total               *stepStats
	sinks               []*sink
	scenarios           []ScenarioStats
	aborted             []string
	jtlRows, jtlSkipped int64
}

func (r *recorder) tally() *tally {
	t := &tally{steps: r.steps, total: r.total, sinks: r.sinks, aborted: r.aborted,
		jtlRows: r.jtl.Rows(), jtlSkipped: r.jtl.Dropped()}
	for _, sr := range r.runs {
		t.scenarios = append(t.scenarios, ScenarioStats{
			Name:              sr.cfg.Name,
			Executor:          sr.cfg.Executor,
			Iterations:        sr.iterations.Load(),
			DroppedIterations: sr.dropped.Load(),
			VUsMax:            sr.vus.Load(),
		})
	}
	return t
}

// buildSummary computes the summary and evaluates the thresholds.
func buildSummary(p *planspec.Plan, comp *compiled, info RunInfo, t *tally) *Summary {
	s := &Summary{
		Name:  p.Name,
		Run:   info,
		Total: t.total.stats(),
		Outputs: Outputs{
			JTL: JTLFile, HLog: HLogFile, Summary: SummaryFile,
			JTLRows: t.jtlRows, JTLSkipped: t.jtlSkipped,
		},
		ThresholdsOK: true,
	}
	for i, st := range t.steps {
		x := st.stats()
		l := comp.labels[i]
		x.Label, x.Scenario, x.Group, x.Transaction = l.Label, l.Scenario, l.Group, comp.isGroup[i]
		s.Steps = append(s.Steps, x)
	}
	for _, ss := range t.scenarios {
		s.Iterations += ss.Iterations
		s.DroppedIterations += ss.DroppedIterations
		s.VUsMax += ss.VUsMax
		s.Scenarios = append(s.Scenarios, ss)
	}
	secs := info.End.Sub(info.Start).Seconds()
	if t.total.count > 0 {
		if span := float64(t.total.last-t.total.first) / 1e9; span > 0 {
			secs = span
		}
	}
	for _, k := range t.sinks {
		for _, res := range k.evaluate(secs) {
			for _, a := range t.aborted {
				if a == k.key+": "+res.Threshold {
					res.Aborted = true
				}
			}
			if !res.OK {
				s.ThresholdsOK = false
			}
			s.Thresholds = append(s.Thresholds, res)
		}
	}
	return s
}

// WriteJSONFile writes v as indented JSON to path, whole or not at all (a
// temporary file beside it, then rename).
func WriteJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return os.Rename(tmp, path)
}

// Text renders the summary for the terminal.
func (s *Summary) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s: %d requests, %.2f%% errors, %.1f req/s over %.1fs", s.Name, s.Total.Count, s.Total.ErrorPct, s.Total.Rps, s.Run.DurationS)
	if s.DroppedIterations > 0 {
		fmt.Fprintf(&b, ", %d dropped iterations", s.DroppedIterations)
	}
	if s.Run.StopReason != "" {
		fmt.Fprintf(&b, " (stopped: %s)", s.Run.StopReason)
	}
	if s.Total.Checks > 0 {
		fmt.Fprintf(&b, "\nchecks: %d of %d held", s.Total.Checks-s.Total.ChecksFailed, s.Total.Checks)
	}
	b.WriteString("\n\n")
	fmt.Fprintf(&b, "  %-28s %8s %7s %9s %9s %9s %9s %9s\n", "label", "count", "err%", "p50 ms", "p95 ms", "p99 ms", "max ms", "p99 corr")
	row := func(name string, x Stats) {
		if len(name) > 28 {
			name = name[:25] + "..."
		}
		fmt.Fprintf(&b, "  %-28s %8d %7.2f %9.2f %9.2f %9.2f %9.2f %9.2f\n", name, x.Count, x.ErrorPct,
			x.Duration.P50, x.Duration.P95, x.Duration.P99, x.Duration.Max, x.Corrected.P99)
	}
	steps := append([]Stats(nil), s.Steps...)
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].Scenario < steps[j].Scenario })
	for _, x := range steps {
		row(strings.ReplaceAll(x.Label, "\n", " "), x)
	}
	row("TOTAL", s.Total)
	if len(s.Thresholds) > 0 {
		b.WriteString("\nthresholds:\n")
		for _, t := range s.Thresholds {
			mark := "ok  "
			switch {
			case t.NoData:
				mark = "n/a "
			case !t.OK:
				mark = "FAIL"
			}
			fmt.Fprintf(&b, "  %s %s %s (actual %g)\n", mark, t.Metric, t.Threshold, t.Actual)
		}
	}
	return b.String()
}
