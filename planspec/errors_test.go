package planspec

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// env is the environment the tests parse plans with.
func env(name string) (string, bool) {
	if name == "API_KEY" {
		return "k-123", true
	}
	return "", false
}

var testOpts = Options{Dir: "testdata", LookupEnv: env}

const (
	head = "version: 1\nname: t\ntarget: http://127.0.0.1:8080\nscenarios:\n"
	// steps is a minimal step list at scenario level (two lines).
	steps = "    steps:\n      - name: a\n        request: {url: /a}\n"
)

// badPlans are invalid plans with every error they must produce, each as
// "line:col: message substring", in order.
var badPlans = []struct {
	name string
	src  string
	want []string
}{
	{"empty", "", []string{"1:1: plan is empty"}},
	{"comments only", "# nothing\n", []string{"1:1: plan is empty"}},
	{"not a mapping", "- a\n- b\n", []string{"1:1: a plan is a mapping of keys (version, name, scenarios, ...), not a list"}},
	{"yaml syntax, scanner", "version: 1\nname: t\n  bad: indent\n", []string{"3:1: invalid YAML: mapping values are not allowed in this context"}},
	{"yaml syntax, parser", "version: 1\nname: t\nscenarios: [a, b\n", []string{"3:1: invalid YAML: did not find expected ',' or ']'"}},
	{"yaml syntax, unknown anchor", "version: 1\nname: *nope\n", []string{"2:7: invalid YAML: unknown anchor 'nope' referenced"}},
	{"second document", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n" + steps + "---\nversion: 1\n", []string{"12:1: a plan is a single YAML document"}},
	{"unknown key with hint", head + "  - name: s\n    executor: constant-vus\n    duraton: 1s\n" + steps, []string{
		"5:5: scenario \"s\": `duration` is required for constant-vus",
		"7:5: unknown key `duraton` in scenarios[0]; did you mean `duration`?",
	}},
	{"unknown top-level key without hint", "version: 1\nname: t\ncolour: red\n", []string{
		"1:1: scenarios is required",
		"3:1: unknown key `colour` at the top level (valid keys: version, name, target, vars, http, data, scenarios, thresholds)",
	}},
	{"unknown key in step", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n      - name: a\n        requests: {url: /a}\n", []string{
		"9:9: a step needs either `request`",
		"10:9: unknown key `requests` in scenarios[0].steps[0]; did you mean `request`?",
	}},
	{"duplicate key", "version: 1\nname: t\nname: u\n", []string{
		"1:1: scenarios is required",
		"3:1: duplicate key `name` at the top level (first at line 2)",
	}},
	{"wrong type: string for int", head + "  - name: s\n    executor: constant-vus\n    vus: many\n    duration: 1s\n" + steps, []string{
		`7:10: scenarios[0].vus: expected a whole number, got string "many"`,
	}},
	{"wrong type: float for int", head + "  - name: s\n    executor: per-vu-iterations\n    iterations: 1.5\n" + steps, []string{
		`7:17: scenarios[0].iterations: expected a whole number, got number 1.5`,
	}},
	{"wrong type: list for mapping", "version: 1\nname: t\ntarget: http://127.0.0.1:8080\nhttp: [a, b]\nscenarios:\n  - name: s\n    executor: constant-vus\n    duration: 1s\n" + steps, []string{
		"4:7: http: expected a mapping of keys (timeout, keepalive, cookies, http2, insecure_tls, headers), got a list",
	}},
	{"wrong type: string for list", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps: home\n", []string{
		`8:12: scenarios[0].steps: expected a list, got string "home"`,
	}},
	{"wrong type: bool", "version: 1\nname: t\nhttp: {keepalive: yes}\nscenarios: []\n", []string{
		`3:19: http.keepalive: expected true or false, got string "yes"`,
		"4:1: scenarios is required",
	}},
	{"wrong type: infinite rate", head + "  - name: s\n    executor: constant-arrival-rate\n    rate: .inf\n    duration: 1s\n    pre_allocated_vus: 1\n" + steps, []string{
		"7:11: scenarios[0].rate: expected a finite number, got .inf",
	}},
	{"json body not encodable", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n      - name: a\n        request:\n          url: /a\n          json: {a: [1, .nan]}\n", []string{
		"12:25: scenarios[0].steps[0].request.json: .nan cannot be written in JSON",
	}},
	{"version", "version: 2\nname: t\ntarget: http://127.0.0.1:8080\nscenarios:\n  - name: s\n    executor: constant-vus\n    duration: 1s\n" + steps, []string{
		"1:1: unsupported version 2 (this loadgen reads version 1)",
	}},
	{"version missing", "name: t\ntarget: http://127.0.0.1:8080\nscenarios:\n  - name: s\n    executor: constant-vus\n    duration: 1s\n" + steps, []string{
		"1:1: version is required",
	}},
	{"name empty", "version: 1\nname: \"\"\ntarget: http://127.0.0.1:8080\nscenarios:\n  - name: s\n    executor: constant-vus\n    duration: 1s\n" + steps, []string{
		"2:1: name is required",
	}},
	{"target not absolute", "version: 1\nname: t\ntarget: 127.0.0.1:8080\nscenarios:\n  - name: s\n    executor: constant-vus\n    duration: 1s\n" + steps, []string{
		`3:1: target "127.0.0.1:8080": must be an absolute http:// or https:// URL`,
	}},
	{"relative url without target", "version: 1\nname: t\nscenarios:\n  - name: s\n    executor: constant-vus\n    duration: 1s\n" + steps, []string{
		"9:19: step \"a\": url \"/a\" is relative, but the plan has no `target`",
	}},
	{"url from a relative var without target", "version: 1\nname: t\nvars: {base: /api}\nscenarios:\n  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n      - name: a\n        request: {url: \"${base}/a\"}\n", []string{
		"10:19: step \"a\": url \"${base}/a\" is relative",
	}},
	{"env var missing", "version: 1\nname: t\ntarget: http://127.0.0.1:8080\nvars:\n  tenant: acme\n  secret: x-${env.SECRET}\nscenarios:\n  - name: s\n    executor: constant-vus\n    duration: 1s\n" + steps, []string{
		"6:3: environment variable SECRET is not set (vars.secret); set it or write ${env.SECRET:-default}",
	}},
	{"env ref malformed", "version: 1\nname: t\ntarget: http://127.0.0.1:8080\nvars:\n  a: ${env.API-KEY}\n  b: ${env.X\nscenarios:\n  - name: s\n    executor: constant-vus\n    duration: 1s\n" + steps, []string{
		`5:3: vars.a: malformed environment reference "${env.API-KEY}"`,
		"6:3: vars.b: unterminated ${env.",
	}},
	{"var names", "version: 1\nname: t\ntarget: http://127.0.0.1:8080\nvars: {my-var: 1, __vu: 2, users: 3}\ndata:\n  users: {file: users.csv}\nscenarios:\n  - name: s\n    executor: constant-vus\n    duration: 1s\n" + steps, []string{
		`4:8: var "my-var" is not an identifier`,
		`4:19: var "__vu" shadows the built-in ${__vu}`,
		`4:28: var "users" has the same name as data feeder "users"`,
	}},
	{"invalid duration", head + "  - name: s\n    executor: constant-vus\n    duration: 5x\n" + steps, []string{
		`7:15: scenarios[0].duration: invalid duration "5x": use a Go duration such as 500ms, 30s or 1m30s`,
	}},
	{"duration without unit", head + "  - name: s\n    executor: constant-vus\n    duration: 30\n" + steps, []string{
		`7:15: scenarios[0].duration: invalid duration "30": a duration needs a unit, e.g. 30ms or 30s`,
	}},
	{"negative duration", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n    graceful_stop: -1s\n" + steps, []string{
		`8:20: scenarios[0].graceful_stop: invalid duration "-1s": must not be negative`,
	}},
	{"zero duration", head + "  - name: s\n    executor: constant-vus\n    duration: 0\n" + steps, []string{
		`7:5: scenario "s": duration must be greater than 0s`,
	}},
	{"http timeout zero", "version: 1\nname: t\ntarget: http://127.0.0.1:8080\nhttp: {timeout: 0s}\nscenarios:\n  - name: s\n    executor: constant-vus\n    duration: 1s\n" + steps, []string{
		"4:8: http.timeout must be greater than 0s",
	}},
	{"unknown executor", head + "  - name: s\n    executor: constant-vu\n    duration: 1s\n" + steps, []string{
		"6:5: scenario \"s\": unknown executor \"constant-vu\"; did you mean `constant-vus`?",
	}},
	{"missing executor", head + "  - name: s\n    duration: 1s\n" + steps, []string{
		"5:5: scenario \"s\" needs an `executor` (one of constant-vus, ramping-vus, per-vu-iterations, shared-iterations, constant-arrival-rate, ramping-arrival-rate)",
	}},
	{"parameter of another executor", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n    rate: 5\n    arrivals: poisson\n" + steps, []string{
		"8:5: `rate` is not a parameter of constant-vus (it takes: vus, duration)",
		"9:5: `arrivals` is not a parameter of constant-vus (it takes: vus, duration)",
	}},
	{"negative rate", head + "  - name: s\n    executor: constant-arrival-rate\n    rate: -5\n    duration: 1s\n    pre_allocated_vus: 1\n" + steps, []string{
		`7:5: scenario "s": rate must be greater than 0, but is -5`,
	}},
	{"zero rate", head + "  - name: s\n    executor: constant-arrival-rate\n    rate: 0\n    duration: 1s\n    pre_allocated_vus: 1\n" + steps, []string{
		`7:5: scenario "s": rate must be greater than 0, but is 0`,
	}},
	{"rate missing", head + "  - name: s\n    executor: constant-arrival-rate\n    duration: 1s\n    pre_allocated_vus: 1\n" + steps, []string{
		"5:5: scenario \"s\": `rate` is required for constant-arrival-rate",
	}},
	{"max_vus below pre_allocated_vus", head + "  - name: s\n    executor: constant-arrival-rate\n    rate: 5\n    duration: 1s\n    pre_allocated_vus: 50\n    max_vus: 10\n" + steps, []string{
		`10:5: scenario "s": max_vus (10) must be >= pre_allocated_vus (50)`,
	}},
	{"pre_allocated_vus negative", head + "  - name: s\n    executor: ramping-arrival-rate\n    pre_allocated_vus: -1\n    stages: [{duration: 1s, target: 1}]\n" + steps, []string{
		`7:5: scenario "s": pre_allocated_vus must be at least 0, but is -1`,
	}},
	{"pre_allocated_vus missing", head + "  - name: s\n    executor: ramping-arrival-rate\n    stages: [{duration: 1s, target: 1}]\n" + steps, []string{
		"5:5: scenario \"s\": `pre_allocated_vus` is required for ramping-arrival-rate",
	}},
	{"no VU at all", head + "  - name: s\n    executor: constant-arrival-rate\n    rate: 1\n    duration: 1s\n    pre_allocated_vus: 0\n" + steps, []string{
		`9:5: scenario "s": no VU could run an iteration`,
	}},
	{"stages missing", head + "  - name: s\n    executor: ramping-vus\n" + steps, []string{
		"5:5: scenario \"s\": `stages` is required for ramping-vus",
	}},
	{"stages empty", head + "  - name: s\n    executor: ramping-arrival-rate\n    pre_allocated_vus: 1\n    stages: []\n" + steps, []string{
		"8:5: scenario \"s\": `stages` is required for ramping-arrival-rate",
	}},
	{"stage values", head + "  - name: s\n    executor: ramping-vus\n    stages:\n      - {duration: 0s, target: -1}\n      - {duration: 0s, target: 1.5}\n      - {target: 1}\n" + steps, []string{
		"7:5: scenario \"s\": the stages last 0s in total",
		"8:24: scenario \"s\": stage target must be at least 0, but is -1",
		"9:24: scenario \"s\": stage target 1.5 is not a whole number of VUs",
		"10:9: scenario \"s\": stages[2] needs a `duration`",
	}},
	{"zero peak", head + "  - name: s\n    executor: ramping-vus\n    start_vus: 0\n    stages: [{duration: 1s, target: 0}]\n" + steps, []string{
		"8:5: scenario \"s\": start_vus and every stage target are 0: no VU would run",
	}},
	{"vus zero", head + "  - name: s\n    executor: constant-vus\n    vus: 0\n    duration: 1s\n" + steps, []string{
		`7:5: scenario "s": vus must be at least 1, but is 0`,
	}},
	{"iterations zero", head + "  - name: s\n    executor: per-vu-iterations\n    iterations: 0\n" + steps, []string{
		`7:5: scenario "s": iterations must be at least 1, but is 0`,
	}},
	{"shared iterations below vus", head + "  - name: s\n    executor: shared-iterations\n    vus: 5\n" + steps, []string{
		`5:5: scenario "s": iterations (1) must be >= vus (5)`,
	}},
	{"arrivals enum", head + "  - name: s\n    executor: constant-arrival-rate\n    rate: 1\n    duration: 1s\n    pre_allocated_vus: 1\n    arrivals: poison\n" + steps, []string{
		"10:5: arrivals \"poison\" is not one of even, poisson; did you mean `poisson`?",
	}},
	{"think time range", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n    think_time: {min: 2s, max: 1s}\n" + steps, []string{
		"8:27: scenarios[0].think_time: think_time max must be >= min, but max is 1s and min 2s",
	}},
	{"think time half", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n    think_time: {min: 2s}\n" + steps, []string{
		"8:17: scenarios[0].think_time: think_time needs both min and max",
	}},
	{"think time list", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n    think_time: [1s]\n" + steps, []string{
		"8:17: scenarios[0].think_time: expected a duration such as 1s or {min: 500ms, max: 1500ms}, got a list",
	}},
	{"duplicate scenario names", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n      - name: a\n        request: {url: /a}\n  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n      - name: b\n        request: {url: /b}\n", []string{
		`11:5: duplicate scenario name "s" (first at line 5)`,
	}},
	{"scenario without steps", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n", []string{
		`5:5: scenario "s" has no steps`,
	}},
	{"duplicate step labels", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n" + steps + "      - group: a\n        steps:\n          - name: b\n            request: {url: /b}\n", []string{
		`11:9: duplicate step label "a" (first used at line 9)`,
	}},
	{"step both request and group", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n      - name: a\n        request: {url: /a}\n        group: g\n        steps: [{name: b, request: {url: /b}}]\n", []string{
		"11:9: a step is either a request or a group, not both",
	}},
	{"step neither", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n      - name: a\n", []string{
		"9:9: a step needs either `request` (with a `name`) or `group` (with `steps`)",
	}},
	{"request step without name", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n      - request: {url: /a}\n", []string{
		"9:9: a request step needs a `name`",
	}},
	{"group without steps", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n      - group: g\n", []string{
		`9:9: group "g" has no steps`,
	}},
	{"group with empty steps and request-only keys", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n      - group: g\n        name: n\n        check: [status == 200]\n        steps: []\n", []string{
		"10:9: group \"g\" is labeled by `group`; `name` belongs to request steps",
		"11:9: `check` applies to request steps only, not to group \"g\"",
		`12:9: group "g" has no steps`,
	}},
	{"steps without group name", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n      - steps: [{name: b, request: {url: /b}}]\n", []string{
		"9:9: a group step needs a `group` name",
	}},
	{"on_failure enum", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n      - name: a\n        request: {url: /a}\n        on_failure: stop\n", []string{
		`11:9: on_failure "stop" is not one of continue, stop_iteration (allowed: continue, stop_iteration)`,
	}},
	{"method not a token", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n      - name: a\n        request: {url: /a, method: \"GE T\"}\n", []string{
		`10:28: step "a": method "GE T" is not a valid HTTP method`,
	}},
	{"header name not a token", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n      - name: a\n        request: {url: /a, headers: {\"X Y\": z}}\n", []string{
		`10:38: headers: "X Y" is not a valid header name`,
	}},
	{"two bodies", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n      - name: a\n        request: {url: /a, body: x, json: {a: 1}}\n", []string{
		"10:37: step \"a\": request has both `body` and `json`; use only one of body, json, form",
	}},
	{"url missing", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n      - name: a\n        request: {method: GET}\n", []string{
		"10:9: step \"a\": request needs a `url`",
	}},
	{"bad check expression", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n      - name: a\n        request: {url: /a}\n        check:\n          - status == 200\n          - \"status == \"\n", []string{
		`13:13: step "a": check "status == ": unexpected token EOF (1:10)`,
	}},
	{"check not boolean", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n      - name: a\n        request: {url: /a}\n        check: [status, foo == 1]\n", []string{
		`11:17: step "a": check "status": expected bool, but got int`,
		`11:25: step "a": check "foo == 1": unknown name foo (1:1)`,
	}},
	{"extract on a step without request", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n      - group: g\n        extract: {x: {header: X}}\n        steps: [{name: b, request: {url: /b}}]\n", []string{
		"10:9: `extract` applies to request steps only, not to group \"g\"",
	}},
	{"extractors", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n      - name: a\n        request: {url: /a}\n        extract:\n          none: {group: 1}\n          two: {json: $.a, header: X}\n          re: {regex: 'a(b'}\n          grp: {regex: 'a(b)', group: 2}\n          path: {json: a.b}\n          hdr: {header: 'X Y', group: 1}\n          __vu: {header: X}\n          my-var: {header: X}\n", []string{
		`12:11: step "a": extract "none" needs one of json, regex or header`,
		"13:28: step \"a\": extract \"two\" has both json and header; use exactly one",
		`14:16: step "a": extract "re": invalid regex: error parsing regexp: missing closing ): ` + "`a(b`",
		`15:32: step "a": extract "grp": group 2, but the regex has 1 capture group(s)`,
		`16:18: step "a": extract "path": invalid JSONPath "a.b": it must start with $`,
		`17:17: step "a": extract "hdr": "X Y" is not a valid header name`,
		"17:32: step \"a\": extract \"hdr\": `group` applies to regex extractors only",
		`18:11: step "a": extract variable "__vu" shadows the built-in ${__vu}`,
		`19:11: step "a": extract variable "my-var" is not an identifier`,
	}},
	{"extract shadows a feeder", "version: 1\nname: t\ntarget: http://127.0.0.1:8080\ndata: {users: {file: users.csv}}\nscenarios:\n  - name: s\n    executor: constant-vus\n    duration: 1s\n    steps:\n      - name: a\n        request: {url: /a}\n        extract: {users: {header: X}}\n", []string{
		`12:19: step "a": extract variable "users" has the same name as data feeder "users"`,
	}},
	{"feeders", "version: 1\nname: t\ntarget: http://127.0.0.1:8080\ndata:\n  gone: {file: nope.csv}\n  odd: {file: users.csv, order: randm, share: everyone}\n  none: {order: random}\n  dir: {file: .}\nscenarios:\n  - name: s\n    executor: constant-vus\n    duration: 1s\n" + steps, []string{
		`5:10: data feeder "gone": cannot read "nope.csv": no such file or directory`,
		"6:26: order \"randm\" is not one of sequential, random; did you mean `random`?",
		`6:40: share "everyone" is not one of all, vu (allowed: all, vu)`,
		"7:3: data feeder \"none\" needs a `file`",
		`8:9: data feeder "dir": cannot read ".": it is a directory`,
	}},
	{"threshold grammar", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n" + steps + "thresholds:\n  http_req_duration: [\"p(95) = 500\", \"p95 < 500\", \"p(101) < 1\", \"avg < fast\", \"\", \"mean < 3\", {threshold: \"avg < 1 parsec\"}]\n", []string{
		`12:23: invalid threshold "p(95) = 500": missing comparison operator (<, <=, >, >=, ==, !=) after p(95)`,
		`12:38: invalid threshold "p95 < 500": p needs a percentile, as in p(95)`,
		`12:51: invalid threshold "p(101) < 1": percentile "101" must be a number from 0 to 100`,
		`12:65: invalid threshold "avg < fast": missing number after <`,
		`12:79: empty threshold for http_req_duration`,
		"12:83: invalid threshold \"mean < 3\": unknown aggregation \"mean\"; did you mean `avg`?",
		`12:96: invalid threshold "avg < 1 parsec": unexpected "parsec" after the number`,
	}},
	{"threshold keys", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n" + steps + "thresholds:\n  http_req_duraton: [\"p(95) < 500\"]\n  http_req_duration{step:b}: [\"p(95) < 500\"]\n  http_req_duration{scenario:x, stp:a}: [\"p(95) < 500\"]\n  http_req_duration{status:700}: [\"p(95) < 500\"]\n  \"http_req_duration{step:a\": [\"p(95) < 500\"]\n  http_reqs{group:g}: [\"count > 1\"]\n", []string{
		"12:3: unknown metric \"http_req_duraton\" in thresholds; did you mean `http_req_duration`?",
		`13:3: threshold "http_req_duration{step:b}": no step or group is labeled "b"`,
		`14:3: threshold "http_req_duration{scenario:x, stp:a}": no scenario is named "x"`,
		"14:3: threshold \"http_req_duration{scenario:x, stp:a}\": unknown tag \"stp\"; did you mean `step`?",
		`15:3: threshold "http_req_duration{status:700}": status "700" is not an HTTP status code (100 to 599)`,
		`16:3: threshold key "http_req_duration{step:a": tag filter must end with }`,
		`17:3: threshold "http_reqs{group:g}": no group is named "g"`,
	}},
	{"threshold aggregation and unit", head + "  - name: s\n    executor: constant-vus\n    duration: 1s\n" + steps + "thresholds:\n  http_req_duration: [\"rate < 1\"]\n  http_reqs: [\"count < 5s\", \"p(95) < 1\"]\n  checks: [{threshold: \"avg > 0.9\"}]\n  vus: [[1]]\n", []string{
		"12:23: `rate` is not an aggregation of trend metric http_req_duration (use avg, min, max, med, p(N), count)",
		`13:15: threshold "count < 5s": a time unit applies to durations; count of http_reqs is not one`,
		"13:29: `p` is not an aggregation of counter metric http_reqs (use count, rate)",
		"14:13: `avg` is not an aggregation of rate metric checks (use rate, count)",
		`15:9: thresholds.vus[0]: expected a threshold such as "p(95) < 500" or {threshold, abort_on_fail, delay_abort_eval}, got a list`,
	}},
	{"target override is validated", "", nil}, // placeholder, see TestTargetOverride
}

func TestParseErrors(t *testing.T) {
	lineCol := regexp.MustCompile(`^(\d+):(\d+): (.*)$`)
	for _, tc := range badPlans {
		if tc.want == nil {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := Parse([]byte(tc.src), "plan.yaml", testOpts)
			if err == nil {
				t.Fatalf("Parse succeeded (%+v); want errors %q", p, tc.want)
			}
			if p != nil {
				t.Errorf("Parse returned a plan with an error")
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error is %T, want ErrorList", err)
			}
			for i, e := range list {
				if i >= len(tc.want) {
					t.Errorf("unexpected error %s", e)
					continue
				}
				m := lineCol.FindStringSubmatch(tc.want[i])
				if m == nil {
					t.Fatalf("bad want %q", tc.want[i])
				}
				got := e.Error()
				prefix := "plan.yaml:" + m[1] + ":" + m[2] + ": "
				if !strings.HasPrefix(got, prefix) || !strings.Contains(got[len(prefix)-1:], m[3]) {
					t.Errorf("error %d = %q\nwant  %s%s...", i, got, prefix, m[3])
				}
			}
			for _, w := range tc.want[min(len(list), len(tc.want)):] {
				t.Errorf("missing error %s", w)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	format := regexp.MustCompile(`^bad\.yaml:[1-9][0-9]*:[1-9][0-9]*: [^\s].*$`)
	for _, tc := range badPlans {
		_, err := Parse([]byte(tc.src), "bad.yaml", testOpts)
		if err == nil {
			continue
		}
		list, ok := err.(ErrorList)
		if !ok {
			t.Fatalf("%s: error is %T, want ErrorList", tc.name, err)
		}
		lines := strings.Split(err.Error(), "\n")
		if len(lines) != len(list) {
			t.Errorf("%s: ErrorList.Error() has %d lines for %d errors", tc.name, len(lines), len(list))
		}
		for i, line := range lines {
			if !format.MatchString(line) {
				t.Errorf("%s: %q is not file:line:col: message", tc.name, line)
			}
			if i > 0 && (list[i].Line < list[i-1].Line || list[i].Line == list[i-1].Line && list[i].Col < list[i-1].Col) {
				t.Errorf("%s: errors not sorted by position: %q", tc.name, err)
			}
			if m := list[i].Msg; m != "" && m[0] >= 'A' && m[0] <= 'Z' && !strings.HasPrefix(m, "API") {
				t.Errorf("%s: message %q is not lowercase", tc.name, m)
			}
		}
	}
}

func TestErrorWithoutFile(t *testing.T) {
	e := &Error{Line: 3, Col: 7, Msg: "boom"}
	if got, want := e.Error(), "3:7: boom"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
	if (ErrorList{}).Err() != nil {
		t.Error("empty ErrorList.Err() != nil")
	}
}

func TestPositionsLookup(t *testing.T) {
	pos := Positions{"": {1, 1}, "/scenarios": {4, 1}, "/scenarios/0": {5, 5}}
	for ptr, want := range map[string]Pos{
		"/scenarios/0":       {5, 5},
		"/scenarios/0/rate":  {5, 5},
		"/scenarios/1/steps": {4, 1},
		"/thresholds":        {1, 1},
	} {
		if got := pos.Lookup(ptr); got != want {
			t.Errorf("Lookup(%q) = %v; want %v", ptr, got, want)
		}
	}
	if got := (Positions{}).Lookup("/x"); got.IsValid() {
		t.Errorf("Lookup in empty Positions = %v; want invalid", got)
	}
}
