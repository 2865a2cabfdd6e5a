package telemetry_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/dist"
	"github.com/loadgen/loadgen/loadgen/telemetry"
)

var (
	sinkOnce sync.Once
	sinkBin  string
	sinkErr  error
	sinkDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if sinkDir != "" {
		_ = os.RemoveAll(sinkDir)
	}
	os.Exit(code)
}

// otlpSink builds testdata/otlpsink (the OpenTelemetry Collector's
// otlpreceiver, in its own module) once per test binary. Without the Go
// toolchain or the collector's modules the tests skip, unless
// LOADGEN_REQUIRE_OTELCOL=1 (test.sh sets it once the modules are
// downloaded).
func otlpSink(t *testing.T) string {
	t.Helper()
	sinkOnce.Do(func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			sinkErr = fmt.Errorf("no go toolchain: %w", err)
			return
		}
		if sinkDir, sinkErr = os.MkdirTemp("", "otlpsink-"); sinkErr != nil {
			return
		}
		sinkBin = filepath.Join(sinkDir, "otlpsink")
		cmd := exec.Command(goBin, "build", "-o", sinkBin, ".")
		cmd.Dir = filepath.Join("testdata", "otlpsink")
		if out, err := cmd.CombinedOutput(); err != nil {
			sinkErr = fmt.Errorf("go build testdata/otlpsink: %v\n%s", err, out)
		}
	})
	if sinkErr != nil {
		if os.Getenv("LOADGEN_REQUIRE_OTELCOL") == "1" {
			t.Fatal(sinkErr)
		}
		t.Skip(sinkErr)
	}
	return sinkBin
}

// num reads an OTLP JSON number, which int64 values encode as strings.
type num float64

func (n *num) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(strings.Trim(string(b), `"`), 64)
	*n = num(f)
	return err
}

type otlpAttr struct {
	Key   string `json:"key"`
	Value struct {
		String *string `json:"stringValue"`
		Int    *num    `json:"intValue"`
	} `json:"value"`
}

func attrs(list []otlpAttr) map[string]string {
	m := map[string]string{}
	for _, a := range list {
		switch {
		case a.Value.String != nil:
			m[a.Key] = *a.Value.String
		case a.Value.Int != nil:
			m[a.Key] = strconv.FormatFloat(float64(*a.Value.Int), 'f', -1, 64)
		}
	}
	return m
}

type otlpPoint struct {
	Attributes []otlpAttr `json:"attributes"`
	Time       num        `json:"timeUnixNano"`
	AsInt      *num       `json:"asInt"`
	AsDouble   *num       `json:"asDouble"`
	Count      num        `json:"count"`
	Sum        num        `json:"sum"`
	Buckets    []num      `json:"bucketCounts"`
	Bounds     []float64  `json:"explicitBounds"`
}

func (p otlpPoint) value() float64 {
	if p.AsInt != nil {
		return float64(*p.AsInt)
	}
	if p.AsDouble != nil {
		return float64(*p.AsDouble)
	}
	return 0
}

type otlpMetrics struct {
	ResourceMetrics []struct {
		Resource struct {
			Attributes []otlpAttr `json:"attributes"`
		} `json:"resource"`
		ScopeMetrics []struct {
			Metrics []struct {
				Name      string                            `json:"name"`
				Sum       *struct{ DataPoints []otlpPoint } `json:"sum"`
				Gauge     *struct{ DataPoints []otlpPoint } `json:"gauge"`
				Histogram *struct{ DataPoints []otlpPoint } `json:"histogram"`
			} `json:"metrics"`
		} `json:"scopeMetrics"`
	} `json:"resourceMetrics"`
}

type otlpTraces struct {
	ResourceSpans []struct {
		Resource struct {
			Attributes []otlpAttr `json:"attributes"`
		} `json:"resource"`
		ScopeSpans []struct {
			Spans []struct {
				TraceID    string     `json:"traceId"`
				SpanID     string     `json:"spanId"`
				Name       string     `json:"name"`
				Kind       int        `json:"kind"`
				Attributes []otlpAttr `json:"attributes"`
			} `json:"spans"`
		} `json:"scopeSpans"`
	} `json:"resourceSpans"`
}

// readLines decodes each JSON line of a sink file into a new T.
func readLines[T any](t *testing.T, path string) []T {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []T
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, v)
	}
	return out
}

// TestOTLPExportToCollector runs a real load with OTLP export to the
// collector's otlpreceiver over each protocol and checks what it received
// against the run's summary: the last export's counters, the resource's
// run id and worker index, and one span per traceparent the target saw.
func TestOTLPExportToCollector(t *testing.T) {
	bin := otlpSink(t)
	cases := []struct {
		protocol string
		worker   loadgen.Segment
	}{
		{telemetry.ProtocolGRPC, loadgen.Segment{}},
		{telemetry.ProtocolHTTP, loadgen.Segment{Index: 1, Count: 2}},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.protocol, "/", "-"), func(t *testing.T) {
			out := t.TempDir()
			grpcAddr, httpAddr := freeAddr(t), freeAddr(t)
			stopSink := startProcess(t, "ready", bin, "-grpc", grpcAddr, "-http", httpAddr, "-out", out)
			endpoint := "http://" + httpAddr
			if c.protocol == telemetry.ProtocolGRPC {
				endpoint = "http://" + grpcAddr
			}
			runID := "otlp-" + strconv.FormatInt(time.Now().UnixNano()%1e6, 10)
			tel, err := telemetry.Start(context.Background(), telemetry.Config{OTLPEndpoint: endpoint, OTLPProtocol: c.protocol,
				Interval: 500 * time.Millisecond, RunID: runID, Plan: "telemetry-test", Worker: c.worker})
			if err != nil {
				t.Fatal(err)
			}
			tg := newTarget(t)
			const sample = 0.2
			sum := runLoad(t, testPlan(t, tg.URL, 100, "3s"), tel,
				loadgen.Options{RunID: runID, TraceSample: sample, Segment: c.worker, Seed: 7})
			if err := tel.Shutdown(context.Background()); err != nil {
				t.Fatalf("shutdown (final export): %v", err)
			}
			stopSink() // the files are complete once it exited

			// metrics: the last point of each series is the final snapshot
			type key struct{ metric, step, status string }
			last := map[key]otlpPoint{}
			exports := 0
			for _, md := range readLines[otlpMetrics](t, filepath.Join(out, "metrics.jsonl")) {
				for _, rm := range md.ResourceMetrics {
					res := attrs(rm.Resource.Attributes)
					if res[telemetry.AttrRunID] != runID || res["service.name"] != "loadgen" {
						t.Errorf("resource %v: want run id %s and service loadgen", res, runID)
					}
					if c.worker.Count > 0 && res[telemetry.AttrWorkerIndex] != strconv.Itoa(c.worker.Index) {
						t.Errorf("resource %v: want worker index %d", res, c.worker.Index)
					}
					exports++
					for _, sm := range rm.ScopeMetrics {
						for _, m := range sm.Metrics {
							var pts []otlpPoint
							switch {
							case m.Sum != nil:
								pts = m.Sum.DataPoints
							case m.Gauge != nil:
								pts = m.Gauge.DataPoints
							case m.Histogram != nil:
								pts = m.Histogram.DataPoints
							}
							for _, p := range pts {
								a := attrs(p.Attributes)
								k := key{m.Name, a[telemetry.AttrStep], a[telemetry.AttrStatus]}
								if p.Time >= last[k].Time {
									last[k] = p
								}
							}
						}
					}
				}
			}
			if exports < 3 {
				t.Errorf("%d exports received during a 3 s run at a 500 ms interval, want at least 3", exports)
			}
			got := map[[2]string]int64{}
			var histCount, failed float64
			for k, p := range last {
				switch k.metric {
				case "loadgen.http_reqs":
					got[[2]string{k.step, k.status}] = int64(p.value())
				case "loadgen.http_req_duration":
					histCount += float64(p.Count)
					var inBuckets float64
					for _, b := range p.Buckets {
						inBuckets += float64(b)
					}
					if inBuckets != float64(p.Count) || len(p.Bounds) != len(loadgen.DurationBounds) {
						t.Errorf("histogram %v: bucket counts add to %g of %g, %d bounds", k, inBuckets, float64(p.Count), len(p.Bounds))
					}
				case "loadgen.http_req_failed":
					failed += p.value()
				}
			}
			if want := stepCounts(sum); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("requests by step and status: received %v, summary %v", got, want)
			}
			if histCount != float64(sum.Total.Count) || failed != float64(sum.Total.Errors) {
				t.Errorf("received %g durations and %g failures, summary %d and %d", histCount, failed, sum.Total.Count, sum.Total.Errors)
			}
			if p, ok := last[key{"loadgen.iterations", "", ""}]; !ok || int64(p.value()) != sum.Iterations {
				t.Errorf("loadgen.iterations %v, summary %d", p.value(), sum.Iterations)
			}

			// traces: one client span per traceparent the target received
			tg.mu.Lock()
			sent := map[string]bool{}
			for _, tp := range tg.traceparent {
				parts := strings.Split(tp, "-")
				if len(parts) != 4 || parts[0] != "00" || parts[3] != "01" {
					t.Errorf("traceparent %q: want 00-<trace>-<span>-01", tp)
					continue
				}
				sent[parts[1]+"-"+parts[2]] = true
			}
			received := tg.requests
			tg.mu.Unlock()
			if exp := sample * float64(received); float64(len(sent)) < exp/2 || float64(len(sent)) > exp*2 {
				t.Errorf("%d of %d requests carried a traceparent, want about %g (sample %g)", len(sent), received, exp, sample)
			}
			spans := 0
			for _, td := range readLines[otlpTraces](t, filepath.Join(out, "traces.jsonl")) {
				for _, rs := range td.ResourceSpans {
					if res := attrs(rs.Resource.Attributes); res[telemetry.AttrRunID] != runID {
						t.Errorf("span resource %v: want run id %s", res, runID)
					}
					for _, ss := range rs.ScopeSpans {
						for _, sp := range ss.Spans {
							spans++
							id := strings.ToLower(sp.TraceID) + "-" + strings.ToLower(sp.SpanID)
							if !sent[id] {
								t.Errorf("span %s %q: no request carried its traceparent", id, sp.Name)
							}
							delete(sent, id)
							a := attrs(sp.Attributes)
							if a[telemetry.AttrStep] == "" || a["http.response.status_code"] == "" || sp.Kind != 3 { // 3: client
								t.Errorf("span %q: attributes %v, kind %d", sp.Name, a, sp.Kind)
							}
						}
					}
				}
			}
			if len(sent) > 0 || spans == 0 {
				t.Errorf("%d spans received; %d traceparents sent without a span", spans, len(sent))
			}
		})
	}
}

// TestWorkerExportsWithItsIndex runs one distributed worker (dist.RunWorker,
// as `loadgen worker` does) with its telemetry settings from the
// environment encoding: its exports carry the run id and its index, and
// its requests the run header.
func TestWorkerExportsWithItsIndex(t *testing.T) {
	bin := otlpSink(t)
	out := t.TempDir()
	grpcAddr, httpAddr := freeAddr(t), freeAddr(t)
	stopSink := startProcess(t, "ready", bin, "-grpc", grpcAddr, "-http", httpAddr, "-out", out)
	tg := newTarget(t)
	planFile := filepath.Join(t.TempDir(), "plan.yaml")
	if err := os.WriteFile(planFile, []byte(testPlanSource(tg.URL, 50, "2s")), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := dist.WorkerSpec{Segment: loadgen.Segment{Index: 1, Count: 3}, Plan: planFile, Out: t.TempDir(),
		StartAt: time.Now().Add(500 * time.Millisecond), Seed: 3, RunID: "worker-run-1",
		Telemetry: dist.Telemetry{OTLP: "http://" + httpAddr, OTLPProtocol: telemetry.ProtocolHTTP,
			MetricsInterval: 500 * time.Millisecond, RunHeader: true}}
	env := spec.Env()
	spec, err := dist.SpecFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	code, err := dist.RunWorker(context.Background(), spec, dist.WorkerOptions{})
	if code != dist.ExitOK || err != nil {
		t.Fatalf("worker exit %d: %v", code, err)
	}
	stopSink()
	var reqs float64
	var lastTime num
	for _, md := range readLines[otlpMetrics](t, filepath.Join(out, "metrics.jsonl")) {
		for _, rm := range md.ResourceMetrics {
			res := attrs(rm.Resource.Attributes)
			if res[telemetry.AttrRunID] != "worker-run-1" || res[telemetry.AttrWorkerIndex] != "1" || res[telemetry.AttrWorkerCount] != "3" {
				t.Errorf("resource %v: want run id worker-run-1, worker 1 of 3", res)
			}
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					if m.Name != "loadgen.http_reqs" || m.Sum == nil || len(m.Sum.DataPoints) == 0 || m.Sum.DataPoints[0].Time < lastTime {
						continue
					}
					lastTime, reqs = m.Sum.DataPoints[0].Time, 0
					for _, p := range m.Sum.DataPoints {
						reqs += p.value()
					}
				}
			}
		}
	}
	tg.mu.Lock()
	defer tg.mu.Unlock()
	if reqs == 0 || reqs != float64(tg.requests) || tg.runHeaders["worker-run-1"] != tg.requests {
		t.Errorf("exported %g requests; the target saw %d, %d with the run header", reqs, tg.requests, tg.runHeaders["worker-run-1"])
	}
}
