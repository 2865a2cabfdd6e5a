package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/mcpserver"
)

// e2eDir holds the Playwright script (dashboard.mjs) and its
// package-lock.json; `npm ci` there installs node_modules.
const e2eDir = "testdata/e2e"

// e2eSummary is the line dashboard.mjs prints last.
type e2eSummary struct {
	OK          bool             `json:"ok"`
	Session     string           `json:"session"`
	Runs        []string         `json:"runs"`
	Reports     []string         `json:"reports"`
	Grade       string           `json:"grade"`
	Readings    []map[string]any `json:"readings"`
	Rows        int              `json:"comparison_rows"`
	Verdict     string           `json:"verdict"`
	Screenshots int              `json:"screenshots"`
	Problems    []string         `json:"problems"`
}

// needBrowser returns the paths of node and Chromium, skipping the test
// when node, playwright-core or Chromium is missing (failing instead under
// LOADGEN_REQUIRE_NODE).
func needBrowser(t *testing.T) (node, browser string) {
	t.Helper()
	missing := func(why string) {
		if os.Getenv("LOADGEN_REQUIRE_NODE") != "" {
			t.Fatalf("%s (LOADGEN_REQUIRE_NODE is set): install Node.js 18+ and Chromium, and run `npm ci` in mcpserver/ui/%s", why, e2eDir)
		}
		t.Skipf("%s: install Node.js 18+ and Chromium, and run `npm ci` in mcpserver/ui/%s", why, e2eDir)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node not found")
	}
	if _, err := os.Stat(filepath.Join(e2eDir, "node_modules", "playwright-core", "package.json")); err != nil {
		missing("playwright-core is not installed")
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if browser, err = exec.LookPath(name); err == nil {
			return node, browser
		}
	}
	missing("chromium not found")
	return "", ""
}

// screenshotDir is where the browser test's screenshots go: under
// LOADGEN_ARTIFACTS_DIR when set (CI keeps them), else a temporary folder.
func screenshotDir(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("LOADGEN_ARTIFACTS_DIR"); dir != "" {
		abs, err := filepath.Abs(filepath.Join(dir, "ui-e2e"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.RemoveAll(abs); err != nil {
			t.Fatal(err)
		}
		return abs
	}
	return t.TempDir()
}

// TestUIBrowser drives the dashboard with Chromium: a session from the
// architecture documents, scenarios and plans from the forms, two runs
// against the demo target followed live, their analyses and HTML reports,
// and their comparison. Any console or page error fails it.
func TestUIBrowser(t *testing.T) {
	node, browser := needBrowser(t)
	f := newFixture(t, nil)
	shots := screenshotDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "dashboard.mjs")
	cmd.Dir = e2eDir
	cmd.Env = append(os.Environ(), "DASHBOARD_URL="+f.http.URL+"/", "TARGET_URL="+f.target,
		"CHROMIUM="+browser, "SCREENSHOTS="+shots)
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	begin := time.Now()
	runErr := cmd.Run()
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var sum e2eSummary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
		t.Fatalf("node dashboard.mjs: %v (summary: %v) after %s\n--- stdout ---\n%s\n--- stderr ---\n%s",
			runErr, err, time.Since(begin).Round(time.Millisecond), stdout.String(), stderr.String())
	}
	t.Logf("dashboard.mjs in %s: %d screenshots in %s; live readings %v; comparison %q",
		time.Since(begin).Round(time.Millisecond), sum.Screenshots, shots, sum.Readings, sum.Verdict)
	if runErr != nil || !sum.OK {
		t.Fatalf("browser test failed (%v):\n%s\n--- stderr ---\n%s", runErr, strings.Join(sum.Problems, "\n"), stderr.String())
	}

	// What the browser did is in the store.
	if len(sum.Runs) != 2 || len(sum.Reports) != 2 || sum.Rows < 2 {
		t.Fatalf("summary %+v", sum)
	}
	for _, run := range sum.Runs {
		var st mcpserver.RunStatus
		if err := json.Unmarshal(f.stored(t, sessionPrefix(sum.Session)+mcpserver.RunsPrefix+run+"/"+mcpserver.StatusFile), &st); err != nil {
			t.Fatal(err)
		}
		if st.State != mcpserver.StateCompleted || len(st.Plans) != 1 || st.Plans[0].Result == nil || st.Plans[0].Result.Requests == 0 {
			t.Errorf("run %s: %+v", run, st)
		}
		f.stored(t, sessionPrefix(sum.Session)+mcpserver.AnalysisPrefix+run+"/load/report.html")
	}
	pngs, err := filepath.Glob(filepath.Join(shots, "*.png"))
	if err != nil || len(pngs) != sum.Screenshots || len(pngs) < 8 {
		t.Fatalf("%d screenshots in %s, the script reported %d (%v)", len(pngs), shots, sum.Screenshots, err)
	}
	for _, p := range pngs {
		b, err := os.ReadFile(p)
		if err != nil || len(b) < 1000 || !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("%s: not a PNG screenshot (%d bytes, %v)", p, len(b), err)
		}
	}
}
