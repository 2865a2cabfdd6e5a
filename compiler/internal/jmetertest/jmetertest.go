// Package jmetertest runs the real Apache JMeter 5.6.3 from Go tests, to
// prove interop with it: JMX plans we write, JTL files we write, dashboards
// JMeter computes from them.
//
// JMeter comes from Maven Central (org.apache.jmeter 5.6.3 through
// us.abstracta.jmeter:jmeter-java-dsl:2.2, not a distribution's jmeter
// package) and is driven by the small Java harness in compiler/jmeterharness.
// [Harness] builds it with Maven once per test binary, into that project's
// target/ folder, and skips the test when java or mvn is missing unless
// LOADGEN_REQUIRE_JMETER is set (then it fails).
//
// Every JMeter action goes through JMeter's own entry point
// (org.apache.jmeter.JMeter#start) with the arguments of the jmeter script,
// in a temporary JMETER_HOME holding the stock bin/ files:
//
//   - [H.RunJMX] is `jmeter -n -t PLAN.jmx -l OUT.jtl -Jname=value ...`;
//   - [H.Report] is `jmeter -g RESULTS.jtl -o DIR` (the dashboard's
//     ReportGenerator), returning DIR/statistics.json;
//   - [H.LoadJMX] loads a plan with JMeter's SaveService without running it.
//
// Every process is killed when its context ends; its output is part of the
// returned errors.
package jmetertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// RequireEnv names the environment variable that turns a missing java or mvn
// from a skipped test into a failed one.
const RequireEnv = "LOADGEN_REQUIRE_JMETER"

// JMeterVersion is the Apache JMeter version the harness runs.
const JMeterVersion = "5.6.3"

// H runs the built harness. It is safe for concurrent use: every call starts
// its own JVM.
type H struct {
	dir       string // the Maven project (compiler/jmeterharness)
	java      string
	classpath string // target/classes plus the dependencies' jars
}

// Dir is the harness's Maven project folder.
func (h *H) Dir() string { return h.dir }

// RunJMX runs the plan at jmxPath in JMeter's non-GUI mode, as
// `jmeter -n -t jmxPath -l jtlPath -Jname=value ...` does with a stock
// install, and waits for the test to end. The JTL therefore has
// jmeter.properties' defaults: the 17-column CSV header and start
// timestamps. props are JMeter properties (read by ${__P(name,default)}).
//
// jtlPath must not exist: JMeter would append to it without a header. The
// error reports a plan that does not load, a run that logged an ERROR and a
// run that wrote no JTL, with JMeter's output and the log's errors.
func (h *H) RunJMX(ctx context.Context, t testing.TB, jmxPath, jtlPath string, props map[string]string) error {
	t.Helper()
	args := append([]string{"run", jmxPath, "--jtl", jtlPath}, propArgs(props)...)
	out, err := h.exec(ctx, t, "jmeter -n -t "+filepath.Base(jmxPath), args...)
	if err == nil {
		t.Logf("jmetertest: JMeter's output:\n%s", strings.TrimSpace(out))
	}
	return err
}

// Report generates JMeter's HTML dashboard from the JTL at jtlPath into
// outDir, which must be absent or empty, as `jmeter -g jtlPath -o outDir`
// does (org.apache.jmeter.report.dashboard.ReportGenerator), and returns the
// dashboard's statistics (outDir/statistics.json), read by
// [ReadStatistics].
func (h *H) Report(ctx context.Context, t testing.TB, jtlPath, outDir string) (Statistics, error) {
	t.Helper()
	if _, err := h.exec(ctx, t, "jmeter -g "+filepath.Base(jtlPath), "report", jtlPath, "--out", outDir); err != nil {
		return nil, err
	}
	return ReadStatistics(filepath.Join(outDir, "statistics.json"))
}

// LoadJMX loads the plan at jmxPath with JMeter's SaveService, as a run
// does before it starts, without running it, and returns the loaded tree:
// one line per element, `class "name"`, indented by depth.
func (h *H) LoadJMX(ctx context.Context, t testing.TB, jmxPath string) (string, error) {
	t.Helper()
	return h.exec(ctx, t, "load "+filepath.Base(jmxPath), "load", jmxPath)
}

// Version returns the version of the JMeter the harness runs.
func (h *H) Version(ctx context.Context, t testing.TB) (string, error) {
	t.Helper()
	out, err := h.exec(ctx, t, "version", "version")
	return strings.TrimSpace(out), err
}

// exec runs the harness with args; what names the action in logs and errors.
// It returns the harness's stdout. The JVM's temporary files (JMETER_HOME)
// and JMeter's log go to a test temporary folder, removed even when the
// process had to be killed.
func (h *H) exec(ctx context.Context, t testing.TB, what string, args ...string) (string, error) {
	t.Helper()
	ctx, unlock, err := lockJVM(ctx, t)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	defer unlock()
	ctx, cancel := withTestDeadline(ctx, t)
	defer cancel()
	tmp := t.TempDir()
	// The jmeter script's locale options.
	jargs := []string{"-Duser.language=en", "-Duser.region=EN", "-Djava.io.tmpdir=" + tmp,
		"-cp", h.classpath, "dev.loadgen.harness.Main"}
	jargs = append(jargs, args...)
	jargs = append(jargs, "--log", filepath.Join(tmp, "jmeter.log"))
	cmd := exec.CommandContext(ctx, h.java, jargs...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	start := time.Now()
	err = runProcess(ctx, cmd)
	t.Logf("jmetertest: %s: %s", what, time.Since(start).Round(time.Millisecond))
	if err != nil {
		return stdout.String(), fmt.Errorf("%s: %w\n--- stdout\n%s--- stderr\n%s", what, err, stdout.String(), stderr.String())
	}
	if s := strings.TrimSpace(stderr.String()); s != "" {
		t.Logf("jmetertest: %s: stderr:\n%s", what, s)
	}
	return stdout.String(), nil
}

// lockJVM takes the machine-wide lock that lets one JMeter or Maven JVM
// run at a time, whichever test binary starts it: go test runs packages in
// parallel, and JVMs starting together on a small machine slow each other
// down so much (JIT, Groovy compilation) that time-bound test plans end
// before their first iteration does.
//
// The wait does not count against ctx's deadline: the returned context has
// the budget ctx had when the wait began, from the moment the lock is held
// (a test giving an action 60 s means 60 s of running it). It still ends
// when ctx is cancelled, and the wait itself is bounded by the test
// binary's deadline.
func lockJVM(ctx context.Context, t testing.TB) (context.Context, func(), error) {
	start := time.Now()
	deadline, hasDeadline := ctx.Deadline()
	waitCtx, cancelWait := withTestDeadline(context.WithoutCancel(ctx), t)
	stopWait := context.AfterFunc(ctx, func() {
		if ctx.Err() == context.Canceled {
			cancelWait()
		}
	})
	unlock, err := lockFileCtx(waitCtx, filepath.Join(os.TempDir(), "loadgen-jmetertest-jvm.lock"))
	stopWait()
	cancelWait()
	if err != nil {
		return nil, nil, err
	}
	if waited := time.Since(start); waited > time.Second {
		t.Logf("jmetertest: waited %s for another JVM to finish", waited.Round(time.Millisecond))
	}
	if !hasDeadline {
		return ctx, unlock, nil
	}
	runCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deadline.Sub(start))
	stop := context.AfterFunc(ctx, func() {
		if ctx.Err() == context.Canceled {
			cancel()
		}
	})
	return runCtx, func() { stop(); cancel(); unlock() }, nil
}

// propArgs turns props into sorted -Jname=value arguments.
func propArgs(props map[string]string) []string {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, "-J"+k+"="+props[k])
	}
	return out
}

// RunMaven runs `mvn -q -B -Dstyle.color=never args...` in projectDir (a
// generated Maven project, e.g. a jmeter-java-dsl test) and returns its
// combined output. Maven uses the local repository (~/.m2) as usual, so
// cached artifacts need no network. The process is killed when ctx ends,
// or shortly before the test binary's deadline when ctx has none. The test
// is skipped (or failed, with LOADGEN_REQUIRE_JMETER set) without java or
// mvn.
func RunMaven(ctx context.Context, t testing.TB, projectDir string, args ...string) (string, error) {
	t.Helper()
	requireTools(t)
	ctx, unlock, err := lockJVM(ctx, t)
	if err != nil {
		return "", fmt.Errorf("mvn %s: %w", strings.Join(args, " "), err)
	}
	defer unlock()
	ctx, cancel := withTestDeadline(ctx, t)
	defer cancel()
	start := time.Now()
	out, err := runMaven(ctx, projectDir, args...)
	t.Logf("jmetertest: mvn %s: %s", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	return out, err
}

// ansiEscape matches the colour resets Maven 3.8 prints even in batch mode.
var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// runMaven runs mvn quietly in batch mode in dir.
func runMaven(ctx context.Context, dir string, args ...string) (string, error) {
	full := append([]string{"-q", "-B", "-Dstyle.color=never"}, args...)
	cmd := exec.CommandContext(ctx, "mvn", full...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := runProcess(ctx, cmd)
	text := ansiEscape.ReplaceAllString(out.String(), "")
	if err != nil {
		return text, fmt.Errorf("mvn %s in %s: %w\n%s", strings.Join(args, " "), dir, err, text)
	}
	return text, nil
}

// runProcess runs cmd in its own process group, killed as a whole when ctx
// ends, and reports a context end as the cause.
func runProcess(ctx context.Context, cmd *exec.Cmd) error {
	setProcessGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	return err
}

// withTestDeadline bounds ctx by the test binary's deadline (less a margin
// to report the failure) when ctx has no deadline of its own.
func withTestDeadline(ctx context.Context, t testing.TB) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if end, ok := d.Deadline(); ok {
			return context.WithDeadline(ctx, end.Add(-10*time.Second))
		}
	}
	return context.WithCancel(ctx)
}

// requireTools skips (or, with RequireEnv set, fails) the test when java or
// mvn is not in PATH.
func requireTools(t testing.TB) {
	t.Helper()
	var missing []string
	for _, tool := range []string{"java", "mvn"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("jmetertest: %s not in PATH: Apache JMeter %s cannot run", strings.Join(missing, " and "), JMeterVersion)
	if os.Getenv(RequireEnv) != "" {
		t.Fatalf("%s, and %s is set", msg, RequireEnv)
	}
	t.Skipf("%s (set %s=1 to fail instead of skipping)", msg, RequireEnv)
}

// Statistics is JMeter's dashboard statistics.json: one entry per label,
// transaction controllers included, and "Total" (TotalLabel), which leaves
// out transaction controller rows.
type Statistics map[string]LabelStatistics

// TotalLabel is the key of the overall entry of statistics.json.
const TotalLabel = "Total"

// LabelStatistics is one entry of statistics.json (the dashboard's
// Statistics table). Times are in ms; Pct1/2/3 are the 90th, 95th and 99th
// percentiles by default; throughput is per second; a zero time span gives
// +Inf throughputs.
type LabelStatistics struct {
	Transaction          string
	SampleCount          int64
	ErrorCount           int64
	ErrorPct             float64
	MeanResTime          float64
	MedianResTime        float64
	MinResTime           float64
	MaxResTime           float64
	Pct1ResTime          float64
	Pct2ResTime          float64
	Pct3ResTime          float64
	Throughput           float64
	ReceivedKBytesPerSec float64
	SentKBytesPerSec     float64
}

// jsonNumber is a number of statistics.json: JMeter's Jackson writes NaN and
// ±Infinity as strings.
type jsonNumber float64

func (n *jsonNumber) UnmarshalJSON(b []byte) error {
	s := string(b)
	if uq, err := strconv.Unquote(s); err == nil {
		s = uq
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("not a number: %s", b)
	}
	*n = jsonNumber(f)
	return nil
}

// ReadStatistics reads a dashboard's statistics.json.
func ReadStatistics(path string) (Statistics, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var raw map[string]struct {
		Transaction          string     `json:"transaction"`
		SampleCount          jsonNumber `json:"sampleCount"`
		ErrorCount           jsonNumber `json:"errorCount"`
		ErrorPct             jsonNumber `json:"errorPct"`
		MeanResTime          jsonNumber `json:"meanResTime"`
		MedianResTime        jsonNumber `json:"medianResTime"`
		MinResTime           jsonNumber `json:"minResTime"`
		MaxResTime           jsonNumber `json:"maxResTime"`
		Pct1ResTime          jsonNumber `json:"pct1ResTime"`
		Pct2ResTime          jsonNumber `json:"pct2ResTime"`
		Pct3ResTime          jsonNumber `json:"pct3ResTime"`
		Throughput           jsonNumber `json:"throughput"`
		ReceivedKBytesPerSec jsonNumber `json:"receivedKBytesPerSec"`
		SentKBytesPerSec     jsonNumber `json:"sentKBytesPerSec"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if _, ok := raw[TotalLabel]; !ok {
		return nil, fmt.Errorf("%s: no %q entry", path, TotalLabel)
	}
	st := make(Statistics, len(raw))
	for label, r := range raw {
		st[label] = LabelStatistics{
			Transaction:          r.Transaction,
			SampleCount:          int64(r.SampleCount),
			ErrorCount:           int64(r.ErrorCount),
			ErrorPct:             float64(r.ErrorPct),
			MeanResTime:          float64(r.MeanResTime),
			MedianResTime:        float64(r.MedianResTime),
			MinResTime:           float64(r.MinResTime),
			MaxResTime:           float64(r.MaxResTime),
			Pct1ResTime:          float64(r.Pct1ResTime),
			Pct2ResTime:          float64(r.Pct2ResTime),
			Pct3ResTime:          float64(r.Pct3ResTime),
			Throughput:           float64(r.Throughput),
			ReceivedKBytesPerSec: float64(r.ReceivedKBytesPerSec),
			SentKBytesPerSec:     float64(r.SentKBytesPerSec),
		}
	}
	return st, nil
}
