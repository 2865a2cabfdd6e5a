// Package jmximport reads an Apache JMeter test plan (.jmx) into a loadgen
// plan (PLAN_FORMAT.md): the inverse of the export mapping in package
// compiler.
//
// [Import] keeps what it understands and reports everything else: each
// unsupported element with its path, tag and position, each approximation
// as a warning, disabled elements as skipped and ignored elements (listeners)
// as information. The YAML it returns always validates; an import with no
// HTTP sampler at all is an error.
//
// # Mapping
//
//	TestPlan user-defined variables, Arguments → vars (functions folded in, see below)
//	ThreadGroup (loops, no duration)            → per-vu-iterations {vus, iterations, max_duration}
//	ThreadGroup (scheduler + duration)          → constant-vus, or ramping-vus when ramp_time > 0
//	                                              (start_vus 1: JMeter starts its first thread at once;
//	                                              ramp to N over ramp_time, then hold)
//	ThreadGroup (infinite, no scheduler)        → constant-vus for 10m (warning)
//	ThreadGroup delay (scheduler)               → start_time
//	ConstantThroughputTimer in a closed group   → constant-arrival-rate, max_vus = the group's threads
//	OpenModelThreadGroup schedule               → ramping-arrival-rate (constant-arrival-rate when flat)
//	ConcurrencyThreadGroup, UltimateThreadGroup,
//	SteppingThreadGroup (jmeter-plugins)        → ramping-vus stages
//	ArrivalsThreadGroup, FreeFormArrivals…      → ramping-arrival-rate stages
//	setUp / tearDown thread groups              → unsupported (see below)
//	HTTPSamplerProxy (HTTPSampler, HTTPSampler2)→ a request step: method, url, query/form/body,
//	                                              timeout (the larger of connect/response timeout)
//	HTTP Request Defaults (scoped)              → fill the samplers' empty fields
//	the most common origin                      → target; samplers of other origins keep absolute URLs
//	HeaderManager at plan level                 → http.headers (also at thread-group level when
//	                                              there is one scenario); elsewhere → step headers
//	CookieManager present / absent              → http.cookies true / false
//	CSVDataSet                                  → data feeder (a converted CSV next to the plan);
//	                                              ${var} → ${feeder.var}
//	JSONPostProcessor, JMESPathExtractor        → extract {json}
//	RegexExtractor, BoundaryExtractor           → extract {regex, group} or {header}
//	ResponseAssertion, DurationAssertion        → check expressions
//	JSR223Assertion "loadgen check: EXPR"       → the check EXPR (round trip of the exporter)
//	TransactionController                       → group
//	Simple, Recording, Loop(1) controllers      → flattened
//	Loop Controller (2..10)                     → its steps repeated (labels suffixed " #2"…)
//	other controllers                           → children flattened, each reported
//	Constant/Uniform/Gaussian/Poisson timers,
//	Flow Control Action pauses                  → think_time (the pause before a sampler is the
//	                                              think time after the step before it)
//	ResultAction "start next thread loop",
//	on_sample_error startnextloop               → on_failure: stop_iteration
//	listeners, WorkBench, recorder              → ignored (info)
//
// JMeter functions: ${var} stays ${var} (sanitized to an identifier);
// ${__P(name,default)} and ${__property(name,,default)} become
// ${env.NAME:-default}; ${__threadNum} ${__vu}; ${__Random(a,b)}
// ${__randInt(a,b)}; ${__UUID()} ${__uuid}; ${__time()} ${__timestamp};
// ${__jm__GROUP__idx} ${__iter}; ${__char(36)}{ a literal "${" (written
// "$${"); ${__TestPlanName} and ${__threadGroupName} their text. Any other
// function is kept as literal text, with a warning.
//
// # Decisions
//
//   - setUp/tearDown thread groups are reported unsupported, not imported:
//     scenarios run concurrently, so a setUp group would race the load it
//     prepares and a tearDown group would run during it.
//   - A closed thread group paced by a ConstantThroughputTimer becomes
//     constant-arrival-rate at the timer's rate (per minute, divided by the
//     samplers it paces per iteration; times the threads for "this thread
//     only") with pre_allocated_vus = max_vus = the group's threads: JMeter
//     delays threads to hold the rate, and never runs more threads than the
//     group has; an arrival no VU is free for is counted as a dropped
//     iteration, where JMeter would fall behind.
//   - Open-model groups get pre_allocated_vus = the peak rate per second
//     (at least 1) and max_vus = ten times that: JMeter starts a thread per
//     arrival without a cap; ten seconds' worth of arrivals covers requests
//     up to the default 10s timeout.
//   - Children of unsupported controllers (If, While, Switch, Random…) are
//     imported flattened, in order, and each controller is reported: a plan
//     holding every request is easier to trim than one missing some.
//   - Loop Controllers with 2 to 10 loops repeat their steps (labels must be
//     unique, so repetitions are suffixed " #2"…); other counts run once.
//   - CSV files are converted to comma-separated UTF-8 with a header row
//     (JMeter's variableNames) and returned in Result.Files, to be written
//     next to the plan; a missing CSV is reported and its feeder still
//     declared, so the plan validates once the file is supplied.
//   - Request bodies stay `body` (a JSON body too) with the Content-Type of
//     the header managers.
//   - A sampler with imported assertions, none of which ignores the status
//     (assume_success), gets the check `status >= 200 && status < 400`
//     first: JMeter fails non-2xx/3xx samples whatever the assertions say,
//     loadgen judges a step with checks by its checks alone.
//   - Think time: the pause JMeter takes before a sampler (its timers, and
//     Flow Control Action pauses) is the think time after the step before
//     it (the last step's, for the first sampler). The most common pause is
//     the scenario's think_time; steps whose pause differs carry their own.
//     Timer sums are approximated by a uniform range of the same bounds;
//     Gaussian and Poisson timers by a uniform range of the same mean.
//
// # Normalisation (plan → jmxexport → Import)
//
// Importing what compiler/jmxexport wrote gives back an equal plan (tested
// over examples/plans by TestRoundTrip) except for:
//   - query parameters come back as part of the URL, as the exporter
//     writes them;
//   - json bodies come back as body text plus Content-Type:
//     application/json (the exporter's JSON escaping of variables,
//     ${__groovy(...toJson(vars.get('x'))...)}, becomes ${x} again);
//   - a check written as a conjunction (a && b) comes back as separate
//     checks, native assertions before scripted ones; `duration < N` comes
//     back as `duration <= N-1`;
//   - a think time common to every step moves to the scenario;
//   - timeouts, cookies and http.timeout are written explicitly (the
//     exporter writes the defaults into every sampler);
//   - shared-iterations comes back as per-vu-iterations (the exporter
//     splits the iterations over the threads);
//   - arrival rates come back per second (time_unit 1s), as Poisson
//     arrivals, with this package's pre_allocated_vus and max_vus (the
//     exporter writes neither; JMeter's open model has no cap);
//   - graceful_stop of closed models, graceful_ramp_down, feeder order
//     and thresholds are not in the .jmx and come back as defaults;
//     feeder files come back as converted copies named <feeder>.csv;
//   - durations are written in their shortest form.
package jmximport

import (
	"errors"
	"fmt"
	"sort"

	"github.com/loadgen/loadgen/compiler/jmx"
	"github.com/loadgen/loadgen/planspec"
)

// Options tune the import.
type Options struct {
	// Target, when set, replaces the origin of every request, and every
	// host name the plan mentions (headers such as Origin or Referer,
	// variables, bodies, labels) is rewritten to it: real-world plans name
	// public hosts that tests must never contact.
	Target string
	// Dir is the directory relative CSV paths resolve against, as JMeter
	// resolves them against the test plan's directory. Default: the
	// directory of the file name given to Import.
	Dir string
	// PlanDir is the directory the plan will be written to: Result.Files
	// are named relative to it and never clash with a different existing
	// file there. Default: Dir.
	PlanDir string
}

// Result is an imported plan and the report of what could not be imported.
type Result struct {
	// YAML is the plan, with a header comment naming the source and
	// listing the warnings and unsupported elements.
	YAML []byte
	// Plan is YAML parsed and validated.
	Plan *planspec.Plan
	// Files are the converted CSV files the plan's feeders read; write them
	// under Options.PlanDir before running the plan.
	Files []File
	// Warnings are approximations: what was imported but behaves
	// differently from JMeter.
	Warnings []Issue
	// Unsupported lists the elements that were not imported.
	Unsupported []Issue
	// Info lists elements that were ignored on purpose (listeners,
	// recorders) and other remarks.
	Info []Issue
	// Skipped lists the disabled elements (enabled="false"), which JMeter
	// does not run either.
	Skipped []Issue
}

// File is a data file produced by the import.
type File struct {
	// Name is the path relative to Options.PlanDir, with forward slashes.
	Name string
	// Data is the file's content.
	Data []byte
	// Source is the CSV path the .jmx names.
	Source string
}

// Severity classifies an Issue.
type Severity string

// Issue severities.
const (
	SevWarning     Severity = "warning"
	SevUnsupported Severity = "unsupported"
	SevInfo        Severity = "info"
	SevSkipped     Severity = "skipped"
)

// Issue is one entry of the import report.
type Issue struct {
	Severity Severity
	// File, Line and Col locate the element in the .jmx.
	File      string
	Line, Col int
	// Path is the element's path of test names (jmx.Path).
	Path string
	// Element is the element's tag (and test class when it differs).
	Element string
	Msg     string
}

// String formats the issue as "file:line:col: element path: severity: message".
func (i Issue) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s: %s", i.File, i.Line, i.Col, i.Path, i.Severity, i.Msg)
}

// Report returns every issue in document order.
func (r *Result) Report() []Issue {
	var all []Issue
	all = append(all, r.Unsupported...)
	all = append(all, r.Warnings...)
	all = append(all, r.Info...)
	all = append(all, r.Skipped...)
	sort.SliceStable(all, func(a, b int) bool {
		if all[a].Line != all[b].Line {
			return all[a].Line < all[b].Line
		}
		return all[a].Col < all[b].Col
	})
	return all
}

// InputError is a .jmx that cannot be imported: malformed XML, not a
// JMeter test plan, or one with nothing importable.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }

func (e *InputError) Unwrap() error { return e.Err }

// ErrNothingImportable is returned (inside an InputError) when the test
// plan has no HTTP sampler in an importable thread group.
var ErrNothingImportable = errors.New("nothing to import: no HTTP sampler in an importable thread group")

// Import converts a .jmx (file names it in messages and resolves relative
// CSV paths). A bad .jmx is an *InputError; any other error is a bug.
func Import(src []byte, file string, opts Options) (res *Result, err error) {
	doc, err := jmx.Decode(src, file)
	if err != nil {
		return nil, &InputError{err}
	}
	im := newImporter(doc, file, opts)
	if err := im.run(); err != nil {
		return nil, err
	}
	return im.res, nil
}
