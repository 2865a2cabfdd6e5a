package jmximport

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/compiler/jmx"
	"github.com/loadgen/loadgen/planspec"
)

// jmxPlan wraps test-plan children in a .jmx document.
func jmxPlan(children string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<jmeterTestPlan version="1.2" properties="5.0" jmeter="5.6.3">
  <hashTree>
    <TestPlan guiclass="TestPlanGui" testclass="TestPlan" testname="plan"/>
    <hashTree>` + children + `</hashTree>
  </hashTree>
</jmeterTestPlan>`)
}

// threadGroup is a ThreadGroup element with its children; props replace
// the default (1 thread, 1 loop).
func threadGroup(props, children string) string {
	if props == "" {
		props = `<intProp name="ThreadGroup.num_threads">1</intProp>
      <elementProp name="ThreadGroup.main_controller" elementType="LoopController"><intProp name="LoopController.loops">1</intProp></elementProp>`
	}
	return `<ThreadGroup guiclass="ThreadGroupGui" testclass="ThreadGroup" testname="users">` + props + `</ThreadGroup>
    <hashTree>` + children + `</hashTree>`
}

// sampler is an HTTP Request with its children.
func sampler(name, props, children string) string {
	return `<HTTPSamplerProxy guiclass="HttpTestSampleGui" testclass="HTTPSamplerProxy" testname="` + name + `">` +
		props + `</HTTPSamplerProxy><hashTree>` + children + `</hashTree>`
}

func str(name, value string) string {
	return `<stringProp name="` + name + `">` + value + `</stringProp>`
}

func get(path string) string {
	return str("HTTPSampler.domain", "api.example.com") + str("HTTPSampler.path", path)
}

func assertion(field string, typ int, assume bool, values ...string) string {
	var s strings.Builder
	s.WriteString(`<ResponseAssertion guiclass="AssertionGui" testclass="ResponseAssertion" testname="a"><collectionProp name="Asserion.test_strings">`)
	for i, v := range values {
		fmt.Fprintf(&s, `<stringProp name="%d">%s</stringProp>`, i, v)
	}
	fmt.Fprintf(&s, `</collectionProp>%s<boolProp name="Assertion.assume_success">%t</boolProp><intProp name="Assertion.test_type">%d</intProp></ResponseAssertion><hashTree/>`,
		str("Assertion.test_field", "Assertion."+field), assume, typ)
	return s.String()
}

func mustImport(t *testing.T, src []byte, opts Options) *Result {
	t.Helper()
	res, err := Import(src, "test.jmx", opts)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	return res
}

func firstStep(t *testing.T, res *Result) *planspec.Step {
	t.Helper()
	steps := res.Plan.AllSteps()
	for _, s := range steps {
		if !s.IsGroup() {
			return s
		}
	}
	t.Fatal("no request step")
	return nil
}

func hasIssue(list []Issue, sub string) bool {
	for _, is := range list {
		if strings.Contains(is.String(), sub) {
			return true
		}
	}
	return false
}

func TestImportRequests(t *testing.T) {
	tests := []struct {
		name  string
		jmx   string
		check func(t *testing.T, res *Result, st *planspec.Step)
	}{
		{
			name: "query parameters of a GET",
			jmx: threadGroup("", sampler("list", get("/items")+`<elementProp name="HTTPsampler.Arguments" elementType="Arguments"><collectionProp name="Arguments.arguments">
				<elementProp name="q" elementType="HTTPArgument"><boolProp name="HTTPArgument.always_encode">false</boolProp>`+str("Argument.name", "q")+str("Argument.value", "a%20b")+`</elementProp>
				<elementProp name="page" elementType="HTTPArgument"><boolProp name="HTTPArgument.always_encode">true</boolProp>`+str("Argument.name", "page")+str("Argument.value", "${__Random(1,5)}")+`</elementProp>
				</collectionProp></elementProp>`, "")),
			check: func(t *testing.T, res *Result, st *planspec.Step) {
				want := map[string]string{"q": "a b", "page": "${__randInt(1,5)}"}
				if !equalMaps(st.Request.Query, want) || st.Request.URL != "/items" || res.Plan.Target != "http://api.example.com" {
					t.Errorf("got url %q query %v target %q", st.Request.URL, st.Request.Query, res.Plan.Target)
				}
			},
		},
		{
			name: "form parameters of a POST, urlencoded content type dropped",
			jmx: threadGroup("", sampler("login", get("/login")+str("HTTPSampler.method", "POST")+`<elementProp name="HTTPsampler.Arguments" elementType="Arguments"><collectionProp name="Arguments.arguments">
				<elementProp name="user" elementType="HTTPArgument">`+str("Argument.name", "user")+str("Argument.value", "${__threadNum}")+`</elementProp>
				</collectionProp></elementProp>`, `<HeaderManager guiclass="HeaderPanel" testclass="HeaderManager" testname="h"><collectionProp name="HeaderManager.headers">
				<elementProp name="" elementType="Header">`+str("Header.name", "Content-Type")+str("Header.value", "application/x-www-form-urlencoded")+`</elementProp></collectionProp></HeaderManager><hashTree/>`)),
			check: func(t *testing.T, res *Result, st *planspec.Step) {
				if st.Request.Method != "POST" || st.Request.Form["user"] != "${__vu}" || len(st.Request.Headers) != 0 {
					t.Errorf("got %+v", st.Request)
				}
			},
		},
		{
			name: "raw JSON body keeps its content type",
			jmx: threadGroup("", sampler("order", get("/orders")+str("HTTPSampler.method", "POST")+`<boolProp name="HTTPSampler.postBodyRaw">true</boolProp>
				<elementProp name="HTTPsampler.Arguments" elementType="Arguments"><collectionProp name="Arguments.arguments">
				<elementProp name="" elementType="HTTPArgument">`+str("Argument.value", `{"id":"${__UUID()}","t":${__time()}}`)+`</elementProp>
				</collectionProp></elementProp>`, `<HeaderManager guiclass="HeaderPanel" testclass="HeaderManager" testname="h"><collectionProp name="HeaderManager.headers">
				<elementProp name="" elementType="Header">`+str("Header.name", "Content-Type")+str("Header.value", "application/json")+`</elementProp></collectionProp></HeaderManager><hashTree/>`)),
			check: func(t *testing.T, res *Result, st *planspec.Step) {
				if st.Request.Body == nil || *st.Request.Body != `{"id":"${__uuid}","t":${__timestamp}}` || st.Request.Headers["Content-Type"] != "application/json" {
					t.Errorf("got %+v", st.Request)
				}
			},
		},
		{
			name: "full URL in the path and timeouts",
			jmx: threadGroup("", sampler("x", str("HTTPSampler.path", "https://other.example.org:8443/a?b=1")+
				str("HTTPSampler.connect_timeout", "2000")+str("HTTPSampler.response_timeout", "5000"), "")),
			check: func(t *testing.T, res *Result, st *planspec.Step) {
				if res.Plan.Target != "https://other.example.org:8443" || st.Request.URL != "/a?b=1" || res.Plan.HTTP.Timeout.D() != 5*time.Second {
					t.Errorf("target %q url %q timeout %v", res.Plan.Target, st.Request.URL, res.Plan.HTTP.Timeout)
				}
			},
		},
		{
			name: "HTTP Request Defaults fill empty fields, inner scope first",
			jmx: `<ConfigTestElement guiclass="HttpDefaultsGui" testclass="ConfigTestElement" testname="outer">` + str("HTTPSampler.domain", "outer.example.com") + str("HTTPSampler.protocol", "https") + `</ConfigTestElement><hashTree/>` +
				threadGroup("", `<ConfigTestElement guiclass="HttpDefaultsGui" testclass="ConfigTestElement" testname="inner">`+str("HTTPSampler.domain", "inner.example.com")+str("HTTPSampler.port", "8080")+`</ConfigTestElement><hashTree/>`+
					sampler("x", str("HTTPSampler.path", "x"), "")),
			check: func(t *testing.T, res *Result, st *planspec.Step) {
				if res.Plan.Target != "https://inner.example.com:8080" || st.Request.URL != "/x" {
					t.Errorf("target %q url %q", res.Plan.Target, st.Request.URL)
				}
			},
		},
		{
			name: "target from the exporter's ${__P(target,...)}",
			jmx:  threadGroup("", sampler("x", str("HTTPSampler.path", "${__P(target,http://127.0.0.1:8080)}/api/x"), "")),
			check: func(t *testing.T, res *Result, st *planspec.Step) {
				if res.Plan.Target != "http://127.0.0.1:8080" || st.Request.URL != "/api/x" {
					t.Errorf("target %q url %q", res.Plan.Target, st.Request.URL)
				}
			},
		},
		{
			name: "headers: plan level global, sampler level on the step",
			jmx: `<HeaderManager guiclass="HeaderPanel" testclass="HeaderManager" testname="g"><collectionProp name="HeaderManager.headers">
				<elementProp name="" elementType="Header">` + str("Header.name", "Accept") + str("Header.value", "text/html") + `</elementProp></collectionProp></HeaderManager><hashTree/>` +
				threadGroup("", sampler("x", get("/"), `<HeaderManager guiclass="HeaderPanel" testclass="HeaderManager" testname="s"><collectionProp name="HeaderManager.headers">
				<elementProp name="" elementType="Header">`+str("Header.name", "accept")+str("Header.value", "application/json")+`</elementProp></collectionProp></HeaderManager><hashTree/>`)),
			check: func(t *testing.T, res *Result, st *planspec.Step) {
				if res.Plan.HTTP.Headers["Accept"] != "text/html" || st.Request.Headers["accept"] != "application/json" || *res.Plan.HTTP.Cookies {
					t.Errorf("http %+v step %+v", res.Plan.HTTP, st.Request.Headers)
				}
			},
		},
		{
			name: "JSON and regex extractors, renamed variable",
			jmx: threadGroup("", sampler("login", get("/login"), `<JSONPostProcessor guiclass="JSONPostProcessorGui" testclass="JSONPostProcessor" testname="j">`+
				str("JSONPostProcessor.referenceNames", "auth-token;uid")+str("JSONPostProcessor.jsonPathExprs", "$.token;user.id")+str("JSONPostProcessor.match_numbers", "1;1")+`</JSONPostProcessor><hashTree/>
				<RegexExtractor guiclass="RegexExtractorGui" testclass="RegexExtractor" testname="r">`+str("RegexExtractor.useHeaders", "false")+str("RegexExtractor.refname", "sid")+
				str("RegexExtractor.regex", `sid=(\w+)`)+str("RegexExtractor.template", "$1$")+str("RegexExtractor.match_number", "1")+`</RegexExtractor><hashTree/>
				<RegexExtractor guiclass="RegexExtractorGui" testclass="RegexExtractor" testname="h">`+str("RegexExtractor.useHeaders", "true")+str("RegexExtractor.refname", "loc")+
				str("RegexExtractor.regex", `Location: (.+)`)+str("RegexExtractor.template", "$1$")+str("RegexExtractor.match_number", "1")+`</RegexExtractor><hashTree/>`)+
				sampler("use", get("/me?u=${uid}")+`<elementProp name="HTTPsampler.Arguments" elementType="Arguments"/>`, `<HeaderManager guiclass="HeaderPanel" testclass="HeaderManager" testname="s"><collectionProp name="HeaderManager.headers">
				<elementProp name="" elementType="Header">`+str("Header.name", "Authorization")+str("Header.value", "Bearer ${auth-token}")+`</elementProp></collectionProp></HeaderManager><hashTree/>`)),
			check: func(t *testing.T, res *Result, st *planspec.Step) {
				want := map[string]planspec.Extractor{"auth_token": {JSON: "$.token"}, "uid": {JSON: "$.user.id"}, "sid": {Regex: `sid=(\w+)`, Group: 1}, "loc": {Header: "Location"}}
				if len(st.Extract) != len(want) {
					t.Fatalf("extract %+v", st.Extract)
				}
				for k, v := range want {
					if st.Extract[k] != v {
						t.Errorf("extract %s = %+v, want %+v", k, st.Extract[k], v)
					}
				}
				use := res.Plan.AllSteps()[1]
				if use.Request.Headers["Authorization"] != "Bearer ${auth_token}" || use.Request.URL != "/me?u=${uid}" {
					t.Errorf("use %+v", use.Request)
				}
			},
		},
		{
			name: "assertions: status OR, substring, regex match, NOT, duration",
			jmx: threadGroup("", sampler("x", get("/"), assertion("response_code", 8|32, false, "200", "201")+
				assertion("response_data", 16, false, `"ok"`)+
				assertion("response_data", 1, false, `\{.*\}`)+
				assertion("response_data", 2|4, false, "error")+
				`<DurationAssertion guiclass="DurationAssertionGui" testclass="DurationAssertion" testname="d">`+str("DurationAssertion.duration", "1500")+`</DurationAssertion><hashTree/>`)),
			check: func(t *testing.T, res *Result, st *planspec.Step) {
				want := []string{`status in [200, 201]`, `body contains "\"ok\""`, `body matches "^(?:\\{.*\\})$"`, `not (body matches "error")`, `duration <= 1500`}
				if !slices.Equal(st.Check, want) {
					t.Errorf("checks\n got %q\nwant %q", st.Check, want)
				}
			},
		},
		{
			name: "assertion without a status check gets JMeter's success rule",
			jmx:  threadGroup("", sampler("x", get("/"), assertion("response_data", 16, false, "x"))),
			check: func(t *testing.T, res *Result, st *planspec.Step) {
				if !slices.Equal(st.Check, []string{successCheck, `body contains "x"`}) {
					t.Errorf("checks %q", st.Check)
				}
			},
		},
		{
			name: "assume success ignores the status",
			jmx:  threadGroup("", sampler("x", get("/"), assertion("response_code", 8, true, "404"))),
			check: func(t *testing.T, res *Result, st *planspec.Step) {
				if !slices.Equal(st.Check, []string{"status == 404"}) {
					t.Errorf("checks %q", st.Check)
				}
			},
		},
		{
			name: "Java-only regex is reported",
			jmx:  threadGroup("", sampler("x", get("/"), assertion("response_data", 2, false, `(?=a)b`))),
			check: func(t *testing.T, res *Result, st *planspec.Step) {
				if len(st.Check) != 0 || !hasIssue(res.Warnings, "Java-only") {
					t.Errorf("checks %q warnings %v", st.Check, res.Warnings)
				}
			},
		},
		{
			name: "loadgen checks from a JSR223 assertion",
			jmx: threadGroup("", sampler("x", get("/"), `<JSR223Assertion guiclass="TestBeanGUI" testclass="JSR223Assertion" testname="checks">`+
				str("TestElement.comments", "loadgen check: len(json.items) > 0\nheaders[\"X\"] == \"y\"")+`</JSR223Assertion><hashTree/>`)),
			check: func(t *testing.T, res *Result, st *planspec.Step) {
				if !slices.Equal(st.Check, []string{`len(json.items) > 0`, `headers["X"] == "y"`}) {
					t.Errorf("checks %q", st.Check)
				}
			},
		},
		{
			name: "transaction, flattened simple controller, repeated loop controller",
			jmx: threadGroup("", `<TransactionController guiclass="TransactionControllerGui" testclass="TransactionController" testname="checkout"/><hashTree>
				<GenericController guiclass="LogicControllerGui" testclass="GenericController" testname="simple"/><hashTree>`+sampler("a", get("/a"), "")+`</hashTree>
				<LoopController guiclass="LoopControlPanel" testclass="LoopController" testname="loop"><intProp name="LoopController.loops">2</intProp></LoopController><hashTree>`+sampler("b", get("/b"), "")+`</hashTree>
				</hashTree>`),
			check: func(t *testing.T, res *Result, st *planspec.Step) {
				g := res.Plan.Scenarios[0].Steps[0]
				var names []string
				for _, s := range g.Steps {
					names = append(names, s.Name)
				}
				if g.Group != "checkout" || !slices.Equal(names, []string{"a", "b", "b #2"}) {
					t.Errorf("group %q steps %q", g.Group, names)
				}
			},
		},
		{
			name: "timers become think times after the step before",
			jmx: threadGroup("", `<ConstantTimer guiclass="ConstantTimerGui" testclass="ConstantTimer" testname="t">`+str("ConstantTimer.delay", "1000")+`</ConstantTimer><hashTree/>`+
				sampler("a", get("/a"), "")+
				sampler("b", get("/b"), `<UniformRandomTimer guiclass="UniformRandomTimerGui" testclass="UniformRandomTimer" testname="u">`+str("ConstantTimer.delay", "500")+str("RandomTimer.range", "1000")+`</UniformRandomTimer><hashTree/>`)+
				sampler("c", get("/c"), "")),
			check: func(t *testing.T, res *Result, st *planspec.Step) {
				sc := res.Plan.Scenarios[0]
				a := sc.Steps[0]
				if sc.ThinkTime == nil || sc.ThinkTime.Min.D() != time.Second || a.ThinkTime == nil ||
					a.ThinkTime.Min.D() != 1500*time.Millisecond || a.ThinkTime.Max.D() != 2500*time.Millisecond {
					t.Errorf("scenario %+v step a %+v", sc.ThinkTime, a.ThinkTime)
				}
			},
		},
		{
			name: "on failure stop iteration from the exporter's If Controller",
			jmx: threadGroup("", sampler("a", get("/a"), "")+`<IfController guiclass="IfControllerPanel" testclass="IfController" testname="stop">`+
				str("IfController.condition", `${__jexl3("${JMeterThread.last_sample_ok}" == "false")}`)+`</IfController><hashTree>
				<TestAction guiclass="TestActionGui" testclass="TestAction" testname="next"><intProp name="ActionProcessor.action">3</intProp></TestAction><hashTree/></hashTree>`+
				sampler("b", get("/b"), "")),
			check: func(t *testing.T, res *Result, st *planspec.Step) {
				if st.OnFailure != "stop_iteration" || res.Plan.AllSteps()[1].OnFailure != "continue" || len(res.Unsupported) != 0 {
					t.Errorf("on_failure %q %q; unsupported %v", st.OnFailure, res.Plan.AllSteps()[1].OnFailure, res.Unsupported)
				}
			},
		},
		{
			name: "duplicate labels are renamed",
			jmx:  threadGroup("", sampler("same", get("/a"), "")+sampler("same", get("/b"), "")),
			check: func(t *testing.T, res *Result, st *planspec.Step) {
				if n := res.Plan.AllSteps()[1].Name; n != "same (2)" || !hasIssue(res.Warnings, `renamed "same (2)"`) {
					t.Errorf("second step %q", n)
				}
			},
		},
		{
			name: "unsupported elements are reported with path and position",
			jmx: threadGroup("", sampler("a", get("/a"), `<XPathAssertion guiclass="XPathAssertionGui" testclass="XPathAssertion" testname="xp"/><hashTree/>`)+
				`<JSR223Sampler guiclass="TestBeanGUI" testclass="JSR223Sampler" testname="script"/><hashTree/>
				<IfController guiclass="IfControllerPanel" testclass="IfController" testname="maybe"/><hashTree>`+sampler("b", get("/b"), "")+`</hashTree>
				<ResultCollector guiclass="ViewResultsFullVisualizer" testclass="ResultCollector" testname="tree"/><hashTree/>
				<DebugSampler guiclass="TestBeanGUI" testclass="DebugSampler" testname="off" enabled="false"/><hashTree/>`),
			check: func(t *testing.T, res *Result, st *planspec.Step) {
				for _, want := range []string{"plan/users/a/xp: unsupported", "plan/users/script: unsupported", "plan/users/maybe: unsupported: If Controller"} {
					if !hasIssue(res.Unsupported, want) {
						t.Errorf("missing %q in %v", want, res.Unsupported)
					}
				}
				if !hasIssue(res.Info, "plan/users/tree: info") || !hasIssue(res.Skipped, "plan/users/off: skipped") {
					t.Errorf("info %v skipped %v", res.Info, res.Skipped)
				}
				if len(res.Plan.AllSteps()) != 2 {
					t.Errorf("steps %d", len(res.Plan.AllSteps()))
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustImport(t, jmxPlan(tt.jmx), Options{Dir: t.TempDir()})
			tt.check(t, res, firstStep(t, res))
		})
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestImportExecutors(t *testing.T) {
	loops := func(n string) string {
		return `<elementProp name="ThreadGroup.main_controller" elementType="LoopController"><stringProp name="LoopController.loops">` + n + `</stringProp></elementProp>`
	}
	s := sampler("x", get("/"), "")
	tests := []struct {
		name string
		jmx  string
		want string // YAML fragment of the scenario
	}{
		{"finite loops", threadGroup(`<intProp name="ThreadGroup.num_threads">5</intProp>`+loops("3"), s),
			"executor: per-vu-iterations\n    vus: 5\n    iterations: 3\n    max_duration: 10m"},
		{"scheduler, no ramp", threadGroup(`<intProp name="ThreadGroup.num_threads">${__P(threads,4)}</intProp>`+loops("-1")+
			`<boolProp name="ThreadGroup.scheduler">true</boolProp>`+str("ThreadGroup.duration", "90")+str("ThreadGroup.delay", "5"), s),
			"executor: constant-vus\n    vus: 4\n    duration: 1m30s\n    start_time: 5s"},
		{"scheduler with ramp", threadGroup(`<intProp name="ThreadGroup.num_threads">10</intProp><intProp name="ThreadGroup.ramp_time">20</intProp>`+loops("-1")+
			`<boolProp name="ThreadGroup.scheduler">true</boolProp>`+str("ThreadGroup.duration", "60"), s),
			"executor: ramping-vus\n    start_vus: 1\n    stages:\n      - duration: 20s\n        target: 10\n      - duration: 40s\n        target: 10"},
		{"throughput timer", threadGroup(`<intProp name="ThreadGroup.num_threads">8</intProp>`+loops("-1")+
			`<boolProp name="ThreadGroup.scheduler">true</boolProp>`+str("ThreadGroup.duration", "60"),
			`<ConstantThroughputTimer guiclass="TestBeanGUI" testclass="ConstantThroughputTimer" testname="ctt"><intProp name="calcMode">2</intProp><doubleProp><name>throughput</name><value>120.0</value><savedValue>0.0</savedValue></doubleProp></ConstantThroughputTimer><hashTree/>`+
				s+sampler("y", get("/y"), "")),
			"executor: constant-arrival-rate\n    rate: 60\n    time_unit: 1m\n    duration: 1m\n    pre_allocated_vus: 8\n    max_vus: 8"},
		{"open model", `<OpenModelThreadGroup guiclass="OpenModelThreadGroupGui" testclass="OpenModelThreadGroup" testname="users">` +
			str("OpenModelThreadGroup.schedule", "/* warm up */ rate(0/s) random_arrivals(1 min) rate(10/s) random_arrivals(1 min 30 s) rate(10/s) pause(5s)") + `</OpenModelThreadGroup><hashTree>` + s + `</hashTree>`,
			"executor: ramping-arrival-rate\n    start_rate: 0\n    time_unit: 1s\n    stages:\n      - duration: 1m\n        target: 10\n      - duration: 1m30s\n        target: 10\n    pre_allocated_vus: 10\n    max_vus: 100\n    arrivals: poisson\n    graceful_stop: 5s"},
		{"open model flat", `<OpenModelThreadGroup guiclass="OpenModelThreadGroupGui" testclass="OpenModelThreadGroup" testname="users">` +
			str("OpenModelThreadGroup.schedule", "pause(2 s) rate(30/min) even_arrivals(10 min) rate(30 per min)") + `</OpenModelThreadGroup><hashTree>` + s + `</hashTree>`,
			"executor: constant-arrival-rate\n    rate: 30\n    time_unit: 1m\n    duration: 10m\n    pre_allocated_vus: 1\n    max_vus: 5\n    start_time: 2s\n    graceful_stop: 0s"},
		{"ultimate thread group", `<kg.apc.jmeter.threads.UltimateThreadGroup guiclass="kg.apc.jmeter.threads.UltimateThreadGroupGui" testclass="kg.apc.jmeter.threads.UltimateThreadGroup" testname="users">
			<collectionProp name="ultimatethreadgroupdata"><collectionProp name="1">` + str("a", "10") + str("b", "5") + str("c", "10") + str("d", "30") + str("e", "10") + `</collectionProp></collectionProp></kg.apc.jmeter.threads.UltimateThreadGroup><hashTree>` + s + `</hashTree>`,
			"executor: ramping-vus\n    start_vus: 0\n    stages:\n      - duration: 10s\n        target: 10\n      - duration: 30s\n        target: 10\n      - duration: 10s\n        target: 0\n    start_time: 5s"},
		{"concurrency thread group", `<com.blazemeter.jmeter.threads.concurrency.ConcurrencyThreadGroup guiclass="com.blazemeter.jmeter.threads.concurrency.ConcurrencyThreadGroupGui" testclass="com.blazemeter.jmeter.threads.concurrency.ConcurrencyThreadGroup" testname="users">` +
			str("TargetLevel", "20") + str("RampUp", "1") + str("Steps", "") + str("Hold", "2") + str("Unit", "M") + `</com.blazemeter.jmeter.threads.concurrency.ConcurrencyThreadGroup><hashTree>` + s + `</hashTree>`,
			"executor: ramping-vus\n    start_vus: 0\n    stages:\n      - duration: 1m\n        target: 20\n      - duration: 2m\n        target: 20"},
		{"arrivals thread group", `<com.blazemeter.jmeter.threads.arrivals.ArrivalsThreadGroup guiclass="com.blazemeter.jmeter.threads.arrivals.ArrivalsThreadGroupGui" testclass="com.blazemeter.jmeter.threads.arrivals.ArrivalsThreadGroup" testname="users">` +
			str("TargetLevel", "5") + str("RampUp", "10") + str("Hold", "20") + str("ConcurrencyLimit", "50") + `</com.blazemeter.jmeter.threads.arrivals.ArrivalsThreadGroup><hashTree>` + s + `</hashTree>`,
			"executor: ramping-arrival-rate\n    start_rate: 0\n    time_unit: 1s\n    stages:\n      - duration: 10s\n        target: 5\n      - duration: 20s\n        target: 5\n    pre_allocated_vus: 5\n    max_vus: 50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustImport(t, jmxPlan(tt.jmx), Options{Dir: t.TempDir()})
			if !strings.Contains(string(res.YAML), tt.want) {
				t.Errorf("want\n%s\nin\n%s", tt.want, res.YAML)
			}
		})
	}
}

func TestImportCSV(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "users.csv"), []byte("alice;s1\nbob;s2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	csv := func(file, names, share string) string {
		return `<CSVDataSet guiclass="TestBeanGUI" testclass="CSVDataSet" testname="` + file + `">` + str("filename", file) + str("variableNames", names) +
			str("delimiter", ";") + str("shareMode", share) + `<boolProp name="recycle">false</boolProp></CSVDataSet><hashTree/>`
	}
	src := jmxPlan(csv("users.csv", "USER,PASS", "shareMode.thread") + csv("missing.csv", "a", "shareMode.group") +
		threadGroup("", sampler("login", get("/login?u=${USER}&amp;p=${PASS}&amp;a=${a}"), "")))
	out := t.TempDir()
	res := mustImport(t, src, Options{Dir: dir, PlanDir: out})
	st := firstStep(t, res)
	if st.Request.URL != "/login?u=${users.USER}&p=${users.PASS}&a=${missing.a}" {
		t.Errorf("url %q", st.Request.URL)
	}
	if f := res.Plan.Data["users"]; f.File != "users.csv" || f.Share != "vu" {
		t.Errorf("feeder %+v", f)
	}
	if len(res.Files) != 1 || string(res.Files[0].Data) != "USER,PASS\nalice,s1\nbob,s2\n" {
		t.Fatalf("files %+v", res.Files)
	}
	for _, want := range []string{"missing.csv\" not found", "sharing mode", "recycle is off"} {
		if !hasIssue(res.Warnings, want) {
			t.Errorf("no warning %q in %v", want, res.Warnings)
		}
	}
	// Written next to the plan, with the missing file supplied, the plan
	// validates with its files.
	if err := os.WriteFile(filepath.Join(out, "users.csv"), res.Files[0].Data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "missing.csv"), []byte("a\n1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "plan.yaml"), res.YAML, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := planspec.ParseFile(filepath.Join(out, "plan.yaml"), planspec.Options{}); err != nil {
		t.Errorf("validate: %v", err)
	}
}

func TestImportTargetRewritesHosts(t *testing.T) {
	src := jmxPlan(`<Arguments guiclass="ArgumentsPanel" testclass="Arguments" testname="v"><collectionProp name="Arguments.arguments">
		<elementProp name="host" elementType="Argument">` + str("Argument.name", "host") + str("Argument.value", "shop.example.com") + `</elementProp></collectionProp></Arguments><hashTree/>` +
		threadGroup("", sampler("https://shop.example.com/", str("HTTPSampler.domain", "${host}")+str("HTTPSampler.path", "/"), `<HeaderManager guiclass="HeaderPanel" testclass="HeaderManager" testname="s"><collectionProp name="HeaderManager.headers">
		<elementProp name="" elementType="Header">`+str("Header.name", "Referer")+str("Header.value", "https://shop.example.com/home")+`</elementProp></collectionProp></HeaderManager><hashTree/>`)+
			sampler("cdn", str("HTTPSampler.path", "http://cdn.example.net:8080/a.js"), "")))
	res := mustImport(t, src, Options{Target: "http://127.0.0.1:9", Dir: t.TempDir()})
	y := string(res.YAML)
	for _, host := range []string{"example.com", "example.net"} {
		if strings.Contains(y, host) {
			t.Errorf("%s left in\n%s", host, y)
		}
	}
	steps := res.Plan.AllSteps()
	if res.Plan.Target != "http://127.0.0.1:9" || steps[0].Request.URL != "/" || steps[1].Request.URL != "/a.js" ||
		steps[0].Request.Headers["Referer"] != "http://127.0.0.1:9/home" || res.Plan.Vars["host"] != "127.0.0.1:9" {
		t.Errorf("plan\n%s", y)
	}
}

func TestImportErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"malformed XML", `<jmeterTestPlan><hashTree><TestPlan>`, "test.jmx:1:"},
		{"not a JMeter file", `<?xml version="1.0"?><project/>`, "not a JMeter test plan"},
		{"no TestPlan", `<jmeterTestPlan version="1.2"><hashTree><WorkBench testclass="WorkBench"/><hashTree/></hashTree></jmeterTestPlan>`, "no TestPlan"},
		{"no HTTP sampler", string(jmxPlan(threadGroup("", `<JSR223Sampler testclass="JSR223Sampler" testname="s"/><hashTree/>`))), "nothing to import"},
		{"only in setUp", string(jmxPlan(`<SetupThreadGroup testclass="SetupThreadGroup" testname="setup"/><hashTree>` + sampler("x", get("/"), "") + `</hashTree>`)), "nothing to import"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Import([]byte(tt.src), "test.jmx", Options{Dir: t.TempDir()})
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an InputError with %q", err, tt.want)
			}
		})
	}
}

func TestImportVersionWarning(t *testing.T) {
	for _, v := range []string{"2.13", "6.0"} {
		src := strings.Replace(string(jmxPlan(threadGroup("", sampler("x", get("/"), "")))), `jmeter="5.6.3"`, `jmeter="`+v+`"`, 1)
		res := mustImport(t, []byte(src), Options{Dir: t.TempDir()})
		if !hasIssue(res.Warnings, "saved by JMeter "+v) {
			t.Errorf("%s: no version warning in %v", v, res.Warnings)
		}
	}
}

// TestImportDecodesWithPositions checks that report lines carry the
// element's position as jmx.Decode gives it.
func TestImportDecodesWithPositions(t *testing.T) {
	src := jmxPlan(threadGroup("", sampler("x", get("/"), `<XPathAssertion testclass="XPathAssertion" testname="xp"/><hashTree/>`)))
	doc, err := jmx.Decode(src, "test.jmx")
	if err != nil {
		t.Fatal(err)
	}
	var line, col int
	jmx.Walk(doc.Elements, func(_ []*jmx.Element, e *jmx.Element) bool {
		if e.TestName == "xp" {
			line, col = e.Line, e.Col
		}
		return true
	})
	res := mustImport(t, src, Options{Dir: t.TempDir()})
	if len(res.Unsupported) != 1 || res.Unsupported[0].Line != line || res.Unsupported[0].Col != col {
		t.Errorf("unsupported %+v, want %d:%d", res.Unsupported, line, col)
	}
}
