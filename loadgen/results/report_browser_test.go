package results

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// rptChromium returns the Chromium binary, or "" when there is none.
func rptChromium() string {
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// rptBrowserLog collects what the page reports: console errors, uncaught
// exceptions, browser log errors (CSP violations land there) and every
// request the page makes.
type rptBrowserLog struct {
	mu       sync.Mutex
	problems []string
	requests []string
}

func (l *rptBrowserLog) listen(ev any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert || e.Type == runtime.ConsoleAPICalledTypeWarning {
			var args []string
			for _, a := range e.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			l.problems = append(l.problems, fmt.Sprintf("console.%s: %s", e.Type, strings.Join(args, " ")))
		}
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		l.problems = append(l.problems, fmt.Sprintf("exception at %d:%d: %s", d.LineNumber, d.ColumnNumber, msg))
	case *log.EventEntryAdded:
		if e.Entry.Level == log.EntryLevelError || e.Entry.Level == log.EntryLevelWarning {
			l.problems = append(l.problems, fmt.Sprintf("log %s (%s): %s", e.Entry.Level, e.Entry.Source, e.Entry.Text))
		}
	case *network.EventRequestWillBeSent:
		l.requests = append(l.requests, e.Request.URL)
	}
}

func (l *rptBrowserLog) snapshot() (problems, requests []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.problems...), append([]string(nil), l.requests...)
}

// rptChartBox is the rendered size of one chart's SVG.
type rptChartBox struct {
	ID     string  `json:"id"`
	Width  float64 `json:"w"`
	Height float64 `json:"h"`
	Lines  int     `json:"lines"`
}

// TestWriteHTML_Browser opens the report and the comparison from disk in
// headless Chromium: no console error or exception, no request beyond the
// file itself, every chart drawn at a non-zero size, the sorting script
// working, and a full-page screenshot that is a real PNG.
func TestWriteHTML_Browser(t *testing.T) {
	bin := rptChromium()
	if bin == "" {
		t.Skip("no Chromium binary (looked for /usr/bin/chromium, chromium, chromium-browser, google-chrome); test.sh installs it with apt-get")
	}
	dir := t.TempDir()
	reportPath := filepath.Join(dir, "report.html")
	var buf bytes.Buffer
	if err := WriteHTML(&buf, rptAnalysis(), ReportOptions{Title: "Browser check"}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(reportPath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	comparePath := filepath.Join(dir, "compare.html")
	base := rptAnalysis()
	slower := rptAnalysis()
	slower.Labels[1].P95 *= 2
	slower.Total.P95 *= 2
	buf.Reset()
	if err := WriteComparisonHTML(&buf, Compare(base, slower, Tolerances{})); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(comparePath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(filepath.Join(dir, "chromium-profile")),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	var blog rptBrowserLog
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithListener(blog.listen))
	defer cancel()

	// Start the browser without a deadline (a deadline on the first Run
	// would stop the browser), then bound the steps.
	start := make(chan error, 1)
	go func() { start <- chromedp.Do(ctx) }()
	select {
	case err := <-start:
		if err != nil {
			t.Fatalf("starting %s: %v", bin, err)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not start within 60 s", bin)
	}
	step, cancelStep := context.WithTimeout(ctx, 90*time.Second)
	defer cancelStep()

	reportURL := (&url.URL{Scheme: "file", Path: filepath.ToSlash(reportPath)}).String()
	if err := chromedp.Do(step, chromedp.Navigate(reportURL)); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	boxes, err := chromedp.Run(step, chromedp.Evaluate[[]rptChartBox](`Array.from(document.querySelectorAll("figure.chart")).map(f => {
		const svg = f.querySelector("svg");
		const r = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
		return {id: f.id, w: r.width, h: r.height, lines: svg ? svg.querySelectorAll("polyline").length : 0};
	})`))
	if err != nil {
		t.Fatalf("measuring the charts: %v", err)
	}
	if len(boxes) != 5 {
		t.Fatalf("%d charts rendered, want 5: %+v", len(boxes), boxes)
	}
	for _, b := range boxes {
		if b.Width < 100 || b.Height < 30 || b.Lines == 0 {
			t.Errorf("chart %s rendered %gx%g with %d lines", b.ID, b.Width, b.Height, b.Lines)
		}
	}

	// Sorting: the Average column ascending, then descending; Total stays
	// in the footer.
	sorted, err := chromedp.Run(step, chromedp.Evaluate[[]string](`(() => {
		const th = document.querySelector('#stats-table th[data-col="4"]');
		const avg = () => Array.from(document.querySelectorAll("#stats-table tbody tr")).map(r => Math.round(Number(r.cells[4].getAttribute("data-v")))).join(",");
		th.click();
		const up = avg();
		th.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", bubbles: true}));
		const down = avg();
		document.querySelector('#nfr-table th[data-col="5"]').click();
		document.querySelector('#errors-table th[data-col="0"]').click();
		document.querySelector('#top-errors-table th[data-col="2"]').click();
		return [up, down, th.getAttribute("aria-sort"), document.querySelector("#stats-table tfoot td").textContent];
	})()`))
	if err != nil {
		t.Fatalf("sorting: %v", err)
	}
	if want := []string{"22,33,44,99", "99,44,33,22", "descending", "Total"}; fmt.Sprint(sorted) != fmt.Sprint(want) {
		t.Errorf("sorting gave %q, want %q", sorted, want)
	}

	shot, err := chromedp.Run(step, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	shotPath := filepath.Join(dir, "report.png")
	if err := os.WriteFile(shotPath, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 1000 || b.Dy() < 2000 || len(shot) < 50_000 {
		t.Errorf("screenshot %dx%d, %d bytes: too small for the whole report", b.Dx(), b.Dy(), len(shot))
	}
	t.Logf("screenshot %s: %dx%d, %d bytes", shotPath, img.Bounds().Dx(), img.Bounds().Dy(), len(shot))

	compareURL := (&url.URL{Scheme: "file", Path: filepath.ToSlash(comparePath)}).String()
	if err := chromedp.Do(step, chromedp.Navigate(compareURL)); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	regressed, err := chromedp.Run(step, chromedp.Evaluate[int](`(() => {
		document.querySelector('#compare-table th[data-col="8"]').click();
		return document.querySelectorAll("#compare-table tr.regressed").length;
	})()`))
	if err != nil {
		t.Fatalf("comparison page: %v", err)
	}
	if regressed != 2 {
		t.Errorf("%d regressed rows in the comparison, want the label and Total", regressed)
	}

	// A probe proves the listener sees console errors: it must be the only
	// problem reported.
	if _, err := chromedp.Run(step, chromedp.Evaluate[chromedp.Void](`console.error("rpt-probe")`)); err != nil {
		t.Fatalf("probe: %v", err)
	}
	problems, requests := blog.snapshot()
	probed := false
	for _, p := range problems {
		if strings.Contains(p, "rpt-probe") {
			probed = true
			continue
		}
		t.Errorf("browser reported: %s", p)
	}
	if !probed {
		t.Error("the console listener missed the probe console.error")
	}
	for _, r := range requests {
		if r != reportURL && r != compareURL {
			t.Errorf("the page requested %s", r)
		}
	}
	if len(requests) == 0 {
		t.Error("no request seen at all: the listener did not work")
	}
}
