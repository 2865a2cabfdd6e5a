package jmximport

import (
	"strconv"
	"strings"
	"testing"

	"github.com/loadgen/loadgen/compiler/jmx"
	"github.com/loadgen/loadgen/planspec"
)

// convertOne converts a JMeter string as a request template, with a plan
// variable "host" and a CSV variable "USER" defined.
func convertOne(s string) (string, *Result) {
	im := newImporter(&jmx.Document{}, "t.jmx", Options{Dir: "."})
	im.testPlan = &jmx.Element{Tag: "TestPlan", TestName: "plan"}
	im.curTG = "users"
	v := &udv{jname: "host", name: "host", value: "example.com", elem: im.testPlan}
	v.tb = &tmplBuilder{}
	v.tb.lit("example.com")
	v.converted = true
	im.vars = append(im.vars, v)
	im.varByName["host"] = v
	im.csvVars["USER"] = feederCol{feeder: &feeder{name: "users"}, column: "USER"}
	im.extracted["auth-token"] = "auth_token"
	out := im.tmpl(nil, im.testPlan, s, "s")
	if im.needDollar {
		out += " [dollar]"
	}
	return out, im.res
}

func TestConvertJMeterStrings(t *testing.T) {
	tests := []struct {
		in, want string
		warn     string // a substring of a warning, when one is expected
	}{
		{"plain text", "plain text", ""},
		{`C:\data\x.csv`, `C:\data\x.csv`, ""},            // no reference: taken raw
		{`a\,b \\ \x ${host}`, `a,b \ \x ${host}`, ""},    // escapes undone in compiled strings
		{`\${x} ${host}`, "$${x} ${host}", ""},            // escaped reference is literal
		{"${__char(36)}{x} ${host}", "$${x} ${host}", ""}, // the exporter's literal ${
		{"${__P(host,example.com)}", "${env.host:-example.com}", ""},
		{"${__P(threads)}", "${env.threads:-1}", ""},
		{"${__P(target.host,a)}", "${env.target_host:-a}", ""},
		{"${__property(x,,d)}", "${env.x:-d}", ""},
		{"${__property(x)}", "${env.x:-x}", ""},
		{"${__P(h,${host})}", "${env.h:-example.com}", ""},
		{"${__P(h,${__time()})}", "${env.h:-}", "not plain text"},
		{"${__threadNum}", "${__vu}", ""},
		{"${__Random(1,10)}", "${__randInt(1,10)}", ""},
		{"${__Random(1,10,r)}", "${__randInt(1,10)}", "stores the number"},
		{"${__Random(a,10)}", "$${__Random(a,10)}", "integer bounds"},
		{"${__UUID()}${__UUID}", "${__uuid}${__uuid}", ""},
		{"${__time()}", "${__timestamp}", ""},
		{"${__time(yyyy)}", "$${__time(yyyy)}", "with a format"},
		{"${__jm__Thread Group__idx}", "${__iter}", ""},
		{"${USER}:${auth-token}", "${users.USER}:${auth_token}", ""},
		{"${my-var}", "${my_var}", "not defined by the plan"},
		{"${__counter(TRUE,)}", "$${__counter(TRUE,)}", "__counter is not supported"},
		{"${__urlencode(a b)}", "a+b", ""},
		{"${__TestPlanName}/${__threadGroupName}", "t.jmx/users", ""},
		{"price $${host}", "price ${jmeter_dollar}${host} [dollar]", ""},
		{"a ${unclosed", "a unclosed", ""},
		{"${__P(x,1}", "$${__P(x,1}", "JMeter uses the text as written"},
		{"${__groovy(groovy.json.JsonOutput.toJson(String.valueOf(vars.get('USER')))[1..-2])}", "${users.USER}", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, res := convertOne(tt.in)
			if got != tt.want {
				t.Errorf("convert(%q) = %q, want %q", tt.in, got, tt.want)
			}
			warned := false
			for _, w := range res.Warnings {
				warned = warned || strings.Contains(w.Msg, tt.warn)
			}
			if tt.warn != "" && !warned {
				t.Errorf("no warning %q in %v", tt.warn, res.Warnings)
			}
			if tt.warn == "" && len(res.Warnings) > 0 {
				t.Errorf("unexpected warnings %v", res.Warnings)
			}
			out := strings.TrimSuffix(got, " [dollar]")
			if _, err := planspec.ParseTemplate(out, func(n string) bool { return n == "users" }); err != nil {
				t.Errorf("%q is not a valid template: %v", out, err)
			}
		})
	}
}

func TestParseSchedule(t *testing.T) {
	tests := []struct {
		in      string
		want    string // start/unit stages
		poisson bool
		err     string
	}{
		{"rate(10/s) random_arrivals(1 min) rate(10/s)", "10/1s [{1m0s 10}]", true, ""},
		{"rate(0) random_arrivals(10s) rate(5 per sec) even_arrivals(1m30s)", "0/1s [{10s 5} {1m30s 5}]", true, ""}, // one mode per scenario: random wins
		{"rate(60/min) random_arrivals(2 min) rate(120/min) // up", "60/1m0s [{2m0s 120}]", true, ""},
		{"rate(1/s) random_arrivals(10s) pause(5s) rate(2/s) random_arrivals(10s) pause(1s)", "1/1s [{10s 1} {0s 0} {5s 0} {0s 2} {10s 2}]", true, ""},
		{"RATE(5/s) /* c */ RANDOM_ARRIVALS(1h)", "5/1s [{1h0m0s 5}]", true, ""},
		{"rate(5/s)", "", false, "no random_arrivals"},
		{"rate(5/fortnight) random_arrivals(1s)", "", false, "unknown rate unit"},
		{"rate(0/s) random_arrivals(1s)", "", false, "every rate is 0"},
		{"foo(1)", "", false, "unknown schedule element"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, poisson, err := parseSchedule(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var stages []string
			for _, s := range p.stages {
				stages = append(stages, "{"+s.Duration.String()+" "+trimFloat(s.Target)+"}")
			}
			got := trimFloat(p.start) + "/" + p.unit.String() + " [" + strings.Join(stages, " ") + "]"
			if got != tt.want || poisson != tt.poisson {
				t.Errorf("got %s poisson=%v, want %s poisson=%v", got, poisson, tt.want, tt.poisson)
			}
		})
	}
}

func trimFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
