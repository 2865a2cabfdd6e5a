package jmximport

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/loadgen/loadgen/compiler/jmx"
)

// importer holds the state of one import.
type importer struct {
	file string
	opts Options
	doc  *jmx.Document
	res  *Result
	seen map[string]bool // reported issues, against duplicates
	// propNoted records the properties reported as read at import time.
	propNoted map[string]bool

	testPlan *jmx.Element
	planName string

	// vars are the user-defined variables in order; varByName indexes them
	// by JMeter name.
	vars      []*udv
	varByName map[string]*udv
	// feeders are the CSV data sets; csvVars maps a JMeter variable to the
	// feeder column that sets it.
	feeders []*feeder
	csvVars map[string]feederCol
	// extracted maps an extractor's JMeter variable to its plan name.
	extracted map[string]string
	// taken holds the identifiers in use (vars, feeders, extracted).
	taken map[string]bool
	// needDollar is set when a template needs the dollarVar variable.
	needDollar bool

	scenarios []*scenario
	// planHeaders are the TestPlan-level header managers' headers.
	planHeaders headerMap
	// redirects counts samplers following redirects; firstRedirect is the
	// first of them.
	redirects     int
	firstRedirect *reqStep
	// cookieSteps and noCookieSteps count samplers with and without a
	// Cookie Manager in scope.
	cookieSteps, noCookieSteps int
	// noKeepalive counts samplers that do not keep connections alive.
	noKeepalive int
	// tgCount is the number of enabled thread groups, for scoping.
	tgCount int
	// curTG is the name of the thread group being imported.
	curTG string
}

// udv is a user-defined variable.
type udv struct {
	jname string // JMeter name
	name  string // plan name
	// value is the JMeter text.
	value string
	// tb is the value converted (set once converted).
	tb *tmplBuilder
	// dynamic marks a value holding references other than ${env.X}: it
	// is inlined where used rather than declared in vars.
	dynamic bool
	// converted is set once value holds the plan text.
	converted bool
	elem      *jmx.Element
	anc       []*jmx.Element
}

func newImporter(doc *jmx.Document, file string, opts Options) *importer {
	if opts.Dir == "" {
		opts.Dir = filepath.Dir(file)
	}
	if opts.PlanDir == "" {
		opts.PlanDir = opts.Dir
	}
	return &importer{
		file: file, opts: opts, doc: doc,
		res:       &Result{},
		seen:      map[string]bool{},
		propNoted: map[string]bool{},
		varByName: map[string]*udv{},
		csvVars:   map[string]feederCol{},
		extracted: map[string]string{},
		taken:     map[string]bool{dollarVar: true},
	}
}

// elemLabel names an element's kind in the report.
func elemLabel(e *jmx.Element) string {
	if e.TestClass != "" && e.TestClass != e.Tag {
		return e.Tag + " (" + e.TestClass + ")"
	}
	return e.Tag
}

// class is the element's test class (its tag when the class is missing).
func class(e *jmx.Element) string {
	if e.TestClass != "" {
		return e.TestClass
	}
	return e.Tag
}

func (im *importer) add(sev Severity, anc []*jmx.Element, e *jmx.Element, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	is := Issue{Severity: sev, File: im.file, Path: jmx.Path(anc, e), Msg: msg}
	if e != nil {
		is.Line, is.Col, is.Element = e.Line, e.Col, elemLabel(e)
	}
	key := fmt.Sprintf("%s|%d|%d|%s|%s", sev, is.Line, is.Col, is.Path, msg)
	if im.seen[key] {
		return
	}
	im.seen[key] = true
	switch sev {
	case SevWarning:
		im.res.Warnings = append(im.res.Warnings, is)
	case SevUnsupported:
		im.res.Unsupported = append(im.res.Unsupported, is)
	case SevInfo:
		im.res.Info = append(im.res.Info, is)
	case SevSkipped:
		im.res.Skipped = append(im.res.Skipped, is)
	}
}

func (im *importer) warn(anc []*jmx.Element, e *jmx.Element, format string, args ...any) {
	im.add(SevWarning, anc, e, format, args...)
}

func (im *importer) unsupported(anc []*jmx.Element, e *jmx.Element, format string, args ...any) {
	im.add(SevUnsupported, anc, e, format, args...)
}

func (im *importer) info(anc []*jmx.Element, e *jmx.Element, format string, args ...any) {
	im.add(SevInfo, anc, e, format, args...)
}

func (im *importer) skipped(anc []*jmx.Element, e *jmx.Element) {
	im.add(SevSkipped, anc, e, "disabled (enabled=\"false\"): not imported, as JMeter does not run it")
}

// knownVersions is the range of JMeter releases whose files the importer
// was written against.
const knownVersions = "3.0 to 5.6"

var versionRe = regexp.MustCompile(`^(\d+)\.(\d+)`)

// checkVersion warns about files saved by JMeter releases outside
// knownVersions (they are imported all the same).
func (im *importer) checkVersion() {
	v := strings.TrimSpace(im.doc.JMeter)
	if v == "" {
		im.info(nil, im.testPlan, "the file does not say which JMeter saved it (no jmeter attribute); importing it as a JMeter %s file", knownVersions)
		return
	}
	m := versionRe.FindStringSubmatch(v)
	if m == nil {
		im.warn(nil, im.testPlan, "unrecognised JMeter version %q; importing it as a JMeter %s file", v, knownVersions)
		return
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	if major < 3 || major > 5 || (major == 5 && minor > 6) {
		im.warn(nil, im.testPlan, "saved by JMeter %s, outside the versions this importer knows (%s); importing it all the same", v, knownVersions)
	}
}

// run imports the document into im.res.
func (im *importer) run() error {
	for _, e := range im.doc.Elements {
		switch {
		case class(e) == "TestPlan" && im.testPlan == nil:
			if e.Disabled {
				return &InputError{fmt.Errorf("%s:%d:%d: the TestPlan element is disabled", im.file, e.Line, e.Col)}
			}
			im.testPlan = e
		case class(e) == "WorkBench":
			im.info(nil, e, "WorkBench ignored (JMeter does not run it)")
		default:
			im.info(nil, e, "top-level %s ignored (only the TestPlan runs)", elemLabel(e))
		}
	}
	if im.testPlan == nil {
		return &InputError{fmt.Errorf("%s: no TestPlan element: not a JMeter test plan", im.file)}
	}
	im.checkVersion()
	im.planName = strings.TrimSpace(im.testPlan.TestName)
	if im.planName == "" || im.planName == "Test Plan" {
		base := filepath.Base(im.file)
		im.planName = strings.TrimSuffix(base, filepath.Ext(base))
	}
	if im.planName == "" || im.planName == "." {
		im.planName = "imported"
	}
	im.prepass()
	im.threadGroups()
	if countRequests(im.scenarios) == 0 {
		return &InputError{fmt.Errorf("%s: %w", im.file, ErrNothingImportable)}
	}
	return im.finish()
}

// prepass collects what JMeter treats as global whatever its position:
// user-defined variables, CSV data sets and extractor variable names. It
// names them (plan identifiers) before any string is converted.
func (im *importer) prepass() {
	if p := im.testPlan.Prop("TestPlan.user_defined_variables"); p != nil {
		im.collectArgs(nil, im.testPlan, p)
	}
	var csvs []*jmx.Element
	var csvAnc [][]*jmx.Element
	var extractors []*jmx.Element
	jmx.Walk(im.testPlan.Children, func(anc []*jmx.Element, e *jmx.Element) bool {
		if e.Disabled {
			return false
		}
		anc = append([]*jmx.Element{im.testPlan}, anc...)
		switch class(e) {
		case "TestFragmentController", "WorkBench":
			return false
		case "Arguments":
			if p := e.Prop("Arguments.arguments"); p != nil {
				im.collectArgs(anc, e, &jmx.Prop{Props: []*jmx.Prop{p}})
			}
		case "CSVDataSet":
			csvs = append(csvs, e)
			csvAnc = append(csvAnc, append([]*jmx.Element(nil), anc...))
		case "JSONPostProcessor", "RegexExtractor", "BoundaryExtractor", "JMESPathExtractor",
			"com.atlantbh.jmeter.plugins.jsonutils.jsonpathextractor.JSONPathExtractor":
			extractors = append(extractors, e)
		}
		return true
	})
	// Names: variables first (users write them), then feeders, then
	// extracted variables.
	im.nameVars()
	for i, e := range csvs {
		im.loadFeeder(csvAnc[i], e)
	}
	for _, e := range extractors {
		for _, name := range extractorVars(e) {
			if _, ok := im.extracted[name]; ok || name == "" {
				continue
			}
			if _, isCSV := im.csvVars[name]; isCSV {
				continue
			}
			if v := im.varByName[name]; v != nil {
				// An extractor overwrites the variable at run time: the
				// plan variable becomes the extracted one.
				im.extracted[name] = v.name
				continue
			}
			im.extracted[name] = im.claim(sanitizeIdent(name))
		}
	}
}

// claim returns a free identifier based on want and marks it taken.
func (im *importer) claim(want string) string {
	name := want
	for n := 2; im.taken[name]; n++ {
		name = fmt.Sprintf("%s_%d", want, n)
	}
	im.taken[name] = true
	return name
}

// collectArgs records the Argument members of an Arguments property
// (a TestPlan's user-defined variables or an Arguments element's list).
func (im *importer) collectArgs(anc []*jmx.Element, e *jmx.Element, p *jmx.Prop) {
	for _, coll := range p.Props {
		if coll.Name != "Arguments.arguments" {
			continue
		}
		for _, arg := range coll.Props {
			name := arg.String("Argument.name")
			if name == "" {
				name = arg.Name
			}
			if name == "" {
				continue
			}
			v := &udv{jname: name, value: arg.String("Argument.value"), elem: e, anc: anc}
			if old := im.varByName[name]; old != nil {
				// A later definition wins, as in JMeter.
				old.value, old.elem, old.anc = v.value, e, anc
				continue
			}
			im.vars = append(im.vars, v)
			im.varByName[name] = v
		}
	}
}

// nameVars gives the user-defined variables plan names and converts their
// values. JMeter evaluates them once, in order, at the start of the test:
// a value using earlier variables gets their values; a value holding
// functions other than properties is inlined where used (and evaluated per
// use), with a warning.
func (im *importer) nameVars() {
	for _, v := range im.vars {
		v.name = im.claim(sanitizeIdent(v.jname))
		if v.name != v.jname {
			im.info(v.anc, v.elem, "variable %q is named %q in the plan (plan variables are identifiers)", v.jname, v.name)
		}
	}
	for _, v := range im.vars {
		tb := im.convert(v.anc, v.elem, v.value, "value of variable "+strconv.Quote(v.jname), convVar)
		v.tb = tb
		v.converted = true
		v.dynamic = hasNonEnvRef(tb)
		if v.dynamic {
			out, _ := tb.build()
			im.warn(v.anc, v.elem, "variable %q = %q holds functions or run-time variables, which JMeter evaluates once at the start; the plan evaluates them wherever the variable is used", v.jname, out)
		}
	}
}

// hasNonEnvRef reports whether a template refers to anything but the
// environment.
func hasNonEnvRef(tb *tmplBuilder) bool {
	for _, p := range tb.parts {
		if !p.lit && !strings.HasPrefix(p.s, "${env.") {
			return true
		}
	}
	return false
}

// extractorVars returns the JMeter variables an extractor sets.
func extractorVars(e *jmx.Element) []string {
	switch class(e) {
	case "JSONPostProcessor":
		return splitList(e.String("JSONPostProcessor.referenceNames"))
	case "RegexExtractor":
		return []string{strings.TrimSpace(e.String("RegexExtractor.refname"))}
	case "BoundaryExtractor":
		return []string{strings.TrimSpace(e.String("BoundaryExtractor.refname"))}
	case "JMESPathExtractor":
		return []string{strings.TrimSpace(e.String("JMESExtractor.referenceName"))}
	case "com.atlantbh.jmeter.plugins.jsonutils.jsonpathextractor.JSONPathExtractor":
		return []string{strings.TrimSpace(e.String("VAR"))}
	}
	return nil
}

// splitList splits a JMeter ";"-separated list, trimming each item.
func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	parts := strings.Split(s, ";")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// countRequests counts the request steps of the scenarios.
func countRequests(scs []*scenario) int {
	n := 0
	for _, sc := range scs {
		n += len(requestsOf(sc.items))
	}
	return n
}
