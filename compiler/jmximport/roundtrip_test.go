package jmximport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/loadgen/loadgen/compiler"
	"github.com/loadgen/loadgen/compiler/jmx"
	"github.com/loadgen/loadgen/compiler/jmxexport"
	"github.com/loadgen/loadgen/planspec"
)

// TestRoundTrip exports every example plan to a .jmx (jmxexport), imports
// it back and compares the meaningful fields, modulo the normalisation the
// package documentation lists:
//
//   - query parameters come back in the URL (as the exporter writes them);
//   - json bodies come back as body text with Content-Type: application/json
//     (compared as JSON);
//   - checks are compared as a set of conjuncts (a && b is split; native
//     assertions come before scripted ones), and `duration < N` as
//     `duration <= N-1`;
//   - think times are compared where the engine applies them (after every
//     step but the last of a group, and after the last step for closed
//     models), whether they sit on the step or the scenario;
//   - timeouts, cookies and keep-alive are compared after defaults;
//   - shared-iterations comes back as per-vu-iterations with the
//     iterations split over the VUs; arrival rates are compared per second;
//   - what the exporter does not write is not compared: feeder file paths
//     and order, pre_allocated_vus, max_vus, arrivals (even becomes
//     poisson), graceful_stop of closed models, graceful_ramp_down,
//     thresholds.
func TestRoundTrip(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "plans", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no example plans: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			orig, err := planspec.ParseFile(f, planspec.Options{})
			if err != nil {
				t.Fatal(err)
			}
			doc, _, err := jmxexport.Export(orig, jmxexport.Options{})
			if err != nil {
				t.Fatalf("export: %v", err)
			}
			var buf bytes.Buffer
			if err := jmx.Encode(&buf, doc); err != nil {
				t.Fatal(err)
			}
			res, err := Import(buf.Bytes(), filepath.Base(f)+".jmx", Options{Dir: filepath.Dir(f), PlanDir: t.TempDir()})
			if err != nil {
				t.Fatalf("import: %v\n%s", err, buf.Bytes())
			}
			if len(res.Unsupported) > 0 {
				t.Errorf("unsupported elements in an exported plan: %v", res.Unsupported)
			}
			want, got := canonical(orig), canonical(res.Plan)
			if !reflect.DeepEqual(want, got) {
				wj, _ := json.MarshalIndent(want, "", "  ")
				gj, _ := json.MarshalIndent(got, "", "  ")
				t.Errorf("round trip differs\nwant %s\n got %s\nimported:\n%s", wj, gj, res.YAML)
			}
		})
	}
}

// canonPlan is the comparable content of a plan.
type canonPlan struct {
	Name, Target string
	Vars         map[string]string
	Headers      map[string]string
	Cookies      bool
	Keepalive    bool
	Feeders      map[string]string // name → share
	Scenarios    []canonScenario
}

type canonScenario struct {
	Name, Executor string
	Params         string
	Steps          []canonStep
}

type canonStep struct {
	Label   string
	Group   bool
	Method  string
	URL     string
	Headers map[string]string
	Body    any
	Form    map[string]string
	Timeout string
	Checks  []string
	Extract map[string]planspec.Extractor
	Stop    bool
	Think   string
	Steps   []canonStep
}

func canonical(p *planspec.Plan) canonPlan {
	c := canonPlan{Name: p.Name, Target: strings.TrimRight(p.Target, "/"), Vars: p.Vars, Headers: p.HTTP.Headers,
		Cookies: *p.HTTP.Cookies, Keepalive: *p.HTTP.Keepalive, Feeders: map[string]string{}}
	for name, f := range p.Data {
		c.Feeders[name] = f.Share
	}
	for i := range p.Scenarios {
		sc := &p.Scenarios[i]
		cs := canonScenario{Name: sc.Name, Executor: sc.Executor}
		switch sc.Executor {
		case planspec.ConstantVUs:
			cs.Params = fmt.Sprintf("vus=%d duration=%s", *sc.VUs, sc.Duration)
		case planspec.PerVUIterations:
			cs.Params = fmt.Sprintf("vus=%d iterations=%d max=%s", *sc.VUs, *sc.Iterations, sc.MaxDuration)
		case planspec.SharedIterations:
			cs.Executor = planspec.PerVUIterations
			cs.Params = fmt.Sprintf("vus=%d iterations=%d max=%s", *sc.VUs, *sc.Iterations / *sc.VUs, sc.MaxDuration)
		case planspec.RampingVUs:
			cs.Params = fmt.Sprintf("start=%d stages=%v", *sc.StartVUs, sc.Stages)
		case planspec.ConstantArrivalRate, planspec.RampingArrivalRate:
			unit := sc.TimeUnit.D().Seconds()
			var b strings.Builder
			if sc.Executor == planspec.ConstantArrivalRate {
				fmt.Fprintf(&b, "rate=%g/s duration=%s", *sc.Rate/unit, sc.Duration)
			} else {
				fmt.Fprintf(&b, "start=%g/s", *sc.StartRate/unit)
				for _, st := range sc.Stages {
					fmt.Fprintf(&b, " %s→%g/s", st.Duration, st.Target/unit)
				}
			}
			fmt.Fprintf(&b, " graceful_stop=%s", sc.GracefulStop)
			cs.Params = b.String()
		}
		cs.Params += " start_time=" + sc.StartTime.String()
		cs.Steps = canonSteps(p, sc, sc.Steps, true)
		c.Scenarios = append(c.Scenarios, cs)
	}
	return c
}

func canonSteps(p *planspec.Plan, sc *planspec.Scenario, steps []planspec.Step, top bool) []canonStep {
	var out []canonStep
	for i := range steps {
		st := &steps[i]
		cs := canonStep{Label: st.Label(), Group: st.IsGroup(), Stop: st.OnFailure == "stop_iteration"}
		last := i == len(steps)-1
		if !last || (top && !planspec.IsArrivalRate(sc.Executor)) {
			if t := compiler.ThinkTime(sc, st); t != nil && t.Max > 0 {
				cs.Think = fmt.Sprintf("%s-%s", t.Min, t.Max)
			}
		}
		if st.IsGroup() {
			cs.Steps = canonSteps(p, sc, st.Steps, false)
			out = append(out, cs)
			continue
		}
		r := st.Request
		cs.Method = strings.ToUpper(r.Method)
		cs.URL = r.URL
		if len(r.Query) > 0 {
			var parts []string
			for _, k := range compiler.SortedKeys(r.Query) {
				v := r.Query[k]
				if !strings.Contains(v, "${") {
					v = url.QueryEscape(v)
				}
				parts = append(parts, url.QueryEscape(k)+"="+v)
			}
			sep := "?"
			if strings.Contains(cs.URL, "?") {
				sep = "&"
			}
			cs.URL += sep + strings.Join(parts, "&")
		}
		cs.Headers = map[string]string{}
		for k, v := range r.Headers {
			cs.Headers[k] = v
		}
		switch {
		case r.JSON != nil:
			cs.Body = normJSON(r.JSON)
			if _, ok := cs.Headers["Content-Type"]; !ok {
				cs.Headers["Content-Type"] = "application/json"
			}
		case r.Body != nil:
			var v any
			if json.Unmarshal([]byte(*r.Body), &v) == nil {
				cs.Body = normJSON(v)
			} else {
				cs.Body = *r.Body
			}
		}
		cs.Form = r.Form
		timeout := p.HTTP.Timeout
		if r.Timeout != nil {
			timeout = r.Timeout
		}
		cs.Timeout = timeout.String()
		for _, c := range st.Check {
			for _, a := range compiler.MapCheck(c) {
				if a.Kind == compiler.MaxDuration {
					cs.Checks = append(cs.Checks, fmt.Sprintf("duration <= %d", a.MaxMS))
					continue
				}
				cs.Checks = append(cs.Checks, a.Source)
			}
		}
		sort.Strings(cs.Checks)
		cs.Extract = st.Extract
		out = append(out, cs)
	}
	return out
}

// normJSON makes decoded JSON comparable with a YAML json: value (numbers
// as float64 either way; YAML integers decode as int).
func normJSON(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}
