package jmxexport_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgen/loadgen/compiler/internal/jmetertest"
	"github.com/loadgen/loadgen/compiler/jmx"
	"github.com/loadgen/loadgen/compiler/jmxexport"
	"github.com/loadgen/loadgen/examples/demo"
	"github.com/loadgen/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/planspec"
)

// exportFile parses a plan and writes its .jmx into dir, copying the
// plan's CSV files beside it. It returns the parsed plan and the .jmx path.
// slack lengthens the time limits that only bound a run (max_duration of
// iteration executors, graceful_stop of arrival rates): on a busy machine a
// cold JVM needs seconds before its first iteration ends, and the test
// checks the mapping, not JMeter's start-up.
func exportFile(t *testing.T, planPath, dir string, slack bool) (*planspec.Plan, string, []string) {
	t.Helper()
	p, err := planspec.ParseFile(planPath, planspec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if slack {
		long := planspec.Duration(2 * time.Minute)
		for i := range p.Scenarios {
			sc := &p.Scenarios[i]
			if sc.MaxDuration != nil {
				sc.MaxDuration = &long
			}
			if planspec.IsArrivalRate(sc.Executor) {
				g := planspec.Duration(30 * time.Second)
				sc.GracefulStop = &g
			}
		}
	}
	for _, f := range p.Data {
		src, err := os.ReadFile(filepath.Join(p.Dir, f.File))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f.File)), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	doc, warnings, err := jmxexport.Export(p, jmxexport.Options{CSVPath: filepath.Base})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := jmx.Encode(&buf, doc); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, strings.TrimSuffix(filepath.Base(planPath), ".yaml")+".jmx")
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var ws []string
	for _, w := range warnings {
		ws = append(ws, w.String())
	}
	return p, out, ws
}

// stepLabels returns the JTL labels of a plan's steps and of its groups.
func stepLabels(steps []planspec.Step) (samplers, groups []string) {
	for _, s := range steps {
		if s.IsGroup() {
			groups = append(groups, s.Group)
			a, b := stepLabels(s.Steps)
			samplers, groups = append(samplers, a...), append(groups, b...)
			continue
		}
		samplers = append(samplers, s.Name)
	}
	return samplers, groups
}

// TestExamplesRunInJMeter exports every example plan, runs the .jmx in
// JMeter 5.6.3 (non-GUI) against the demo target, and reads JMeter's JTL
// with our analyzer: every step and group label is there, with the counts
// the executor implies and no errors (the demo target is healthy and the
// flow carries its login token); and JMeter's own dashboard statistics
// count the same samples and errors per label as our analyzer.
func TestExamplesRunInJMeter(t *testing.T) {
	h := jmetertest.Harness(t)
	plans, err := filepath.Glob("../../examples/plans/*.yaml")
	if err != nil || len(plans) == 0 {
		t.Fatalf("no example plans: %v", err)
	}
	// Subtests run in parallel, after this function returns: cancel at
	// cleanup, not on return.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	t.Cleanup(cancel)
	target, stop, err := demo.Start(ctx, "127.0.0.1:0", demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop(context.Background()) })
	// jmetertest runs one JVM at a time machine-wide; the subtests still
	// export and analyse in parallel.
	var mu sync.Mutex
	for _, planPath := range plans {
		name := strings.TrimSuffix(filepath.Base(planPath), ".yaml")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			p, jmxPath, warnings := exportFile(t, planPath, dir, true)
			mu.Lock()
			t.Logf("warnings: %q", warnings)
			mu.Unlock()
			jtl := filepath.Join(dir, "results.jtl")
			if err := h.RunJMX(ctx, t, jmxPath, jtl, map[string]string{"target": target}); err != nil {
				t.Fatal(err)
			}
			a, err := results.Analyze(ctx, jtl, results.Options{})
			if err != nil {
				t.Fatal(err)
			}
			byLabel := map[string]results.LabelStats{}
			for _, l := range a.Labels {
				byLabel[l.Label] = l
			}
			// JMeter writes rows for the plan's labels only (the setUp
			// group that compiles the Groovy checks records nothing).
			known := map[string]bool{}
			for _, sc := range p.Scenarios {
				samplers, groups := stepLabels(sc.Steps)
				for _, l := range append(samplers, groups...) {
					known[l] = true
				}
			}
			for l := range byLabel {
				if !known[l] {
					t.Errorf("JMeter's JTL has rows labelled %q, which is no step or group of the plan", l)
				}
			}
			for _, sc := range p.Scenarios {
				samplers, groups := stepLabels(sc.Steps)
				for _, l := range samplers {
					st, ok := byLabel[l]
					if !ok || st.Transaction {
						t.Errorf("sampler %q: missing from JMeter's JTL (labels %v)", l, keys(byLabel))
						continue
					}
					if st.Failures != 0 {
						t.Errorf("sampler %q: %d of %d samples failed in JMeter; errors %+v", l, st.Failures, st.Samples, a.Errors)
					}
					checkCount(t, &sc, l, st.Samples)
				}
				for _, g := range groups {
					if st, ok := byLabel[g]; !ok || !st.Transaction || st.Samples == 0 {
						t.Errorf("group %q: no transaction rows in JMeter's JTL (%+v)", g, st)
					}
				}
			}
			// JMeter's dashboard on JMeter's JTL counts what we count.
			stats, err := h.Report(ctx, t, jtl, filepath.Join(dir, "dashboard"))
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range append(a.Labels, a.Total) {
				key := l.Label
				if l == a.Total {
					key = jmetertest.TotalLabel
				}
				js, ok := stats[key]
				if !ok {
					t.Errorf("label %q: not in JMeter's statistics.json", key)
					continue
				}
				if js.SampleCount != l.Samples || js.ErrorCount != l.Failures {
					t.Errorf("label %q: JMeter counts %d samples, %d errors; our analyzer %d, %d", key, js.SampleCount, js.ErrorCount, l.Samples, l.Failures)
				}
			}
		})
	}
}

func keys(m map[string]results.LabelStats) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// checkCount compares a sampler's sample count with what the executor
// implies.
func checkCount(t *testing.T, sc *planspec.Scenario, label string, n int64) {
	t.Helper()
	switch sc.Executor {
	case planspec.PerVUIterations:
		if want := int64(*sc.VUs * *sc.Iterations); n != want {
			t.Errorf("%q: %d samples, want %d (%d VUs × %d iterations)", label, n, want, *sc.VUs, *sc.Iterations)
		}
	case planspec.SharedIterations:
		if want := int64(*sc.Iterations); n != want {
			t.Errorf("%q: %d samples, want %d shared iterations", label, n, want)
		}
	case planspec.ConstantArrivalRate:
		// Poisson arrivals: within 25 % of rate × duration.
		want := *sc.Rate / sc.TimeUnit.D().Seconds() * sc.Duration.D().Seconds()
		if f := float64(n); f < 0.75*want || f > 1.25*want {
			t.Errorf("%q: %d samples, want about %.0f", label, n, want)
		}
	case planspec.RampingArrivalRate:
		// The area under the rate curve.
		want, cur := 0.0, *sc.StartRate
		for _, s := range sc.Stages {
			want += (cur + s.Target) / 2 * s.Duration.D().Seconds() / sc.TimeUnit.D().Seconds()
			cur = s.Target
		}
		if f := float64(n); f < 0.75*want || f > 1.25*want {
			t.Errorf("%q: %d samples, want about %.0f", label, n, want)
		}
	default:
		if n == 0 {
			t.Errorf("%q: no samples", label)
		}
	}
}
