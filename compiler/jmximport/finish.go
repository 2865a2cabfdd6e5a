package jmximport

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/loadgen/loadgen/planspec"
)

// finish assembles the plan, writes it and validates it.
func (im *importer) finish() error {
	p := &planspec.Plan{Version: 1, Name: im.planName}
	for _, sc := range im.scenarios {
		im.thinkTimes(sc)
	}
	im.target(p)
	im.headers(p)
	im.httpSettings(p)

	// Variables and feeders.
	for _, v := range im.vars {
		if v.dynamic {
			continue
		}
		if p.Vars == nil {
			p.Vars = map[string]string{}
		}
		p.Vars[v.name] = v.text()
	}
	if im.needDollar {
		if p.Vars == nil {
			p.Vars = map[string]string{}
		}
		p.Vars[dollarVar] = "$"
	}
	for _, f := range im.feeders {
		if p.Data == nil {
			p.Data = map[string]planspec.Feeder{}
		}
		fd := planspec.Feeder{File: f.file}
		if f.share == "vu" {
			fd.Share = "vu"
		}
		p.Data[f.name] = fd
	}

	im.uniqueLabels()
	// Scenarios and steps.
	for _, sc := range im.scenarios {
		s := sc.sc
		s.Steps = im.steps(sc.items)
		p.Scenarios = append(p.Scenarios, s)
	}

	var rw *hostRewriter
	if im.opts.Target != "" {
		rw = im.hostRewriter(p)
		rw.plan(p)
	}
	uniqueNames(p, im)

	out, err := im.encode(p, rw)
	if err != nil {
		return fmt.Errorf("writing the plan: %w", err)
	}
	im.res.YAML = out
	parsed, err := im.validate(out)
	if err != nil {
		return fmt.Errorf("internal error: the imported plan does not validate: %w", err)
	}
	im.res.Plan = parsed
	return nil
}

// target picks the plan's target and makes the matching URLs relative.
func (im *importer) target(p *planspec.Plan) {
	reqs := []*reqStep{}
	for _, sc := range im.scenarios {
		reqs = append(reqs, requestsOf(sc.items)...)
	}
	norm := func(o string) string { return strings.ToLower(strings.TrimRight(o, "/")) }
	if im.opts.Target != "" {
		p.Target = strings.TrimRight(im.opts.Target, "/")
		for _, r := range reqs {
			r.req.URL = r.pathq
		}
		return
	}
	var target string
	for _, r := range reqs {
		if r.targetProp && !strings.Contains(r.origin, "${") {
			target = r.origin
			break
		}
	}
	if target == "" {
		count := map[string]int{}
		best := 0
		for _, r := range reqs {
			if r.origin == "" || strings.Contains(r.origin, "${") {
				continue
			}
			k := norm(r.origin)
			count[k]++
			if count[k] > best {
				best, target = count[k], r.origin
			}
		}
	}
	relative := false
	for _, r := range reqs {
		relative = relative || r.origin == ""
	}
	if target == "" && relative {
		target = "http://localhost"
		im.warn(nil, im.testPlan, "no sampler names a server; target set to %s (pass --target to choose)", target)
	}
	p.Target = target
	for _, r := range reqs {
		if r.origin == "" || norm(r.origin) == norm(target) {
			r.req.URL = r.pathq
		} else {
			r.req.URL = r.origin + r.pathq
		}
	}
}

// headers places the header managers' headers: plan level (and thread-group
// level when there is one scenario) in http.headers, the rest on the steps.
func (im *importer) headers(p *planspec.Plan) {
	global := im.planHeaders
	single := len(im.scenarios) == 1
	if single {
		global.merge(im.scenarios[0].tgHeaders)
	}
	p.HTTP.Headers = global.toMap()
	for _, sc := range im.scenarios {
		for _, r := range requestsOf(sc.items) {
			var h headerMap
			if !single {
				h.merge(r.tgHeaders)
			}
			h.merge(r.headers)
			if ct, ok := h.get("Content-Type"); ok && r.req.Form != nil && strings.EqualFold(strings.TrimSpace(ct), "application/x-www-form-urlencoded") {
				h.del("Content-Type") // the plan sends form bodies with it
			}
			r.req.Headers = h.toMap()
		}
	}
}

// httpSettings sets cookies and timeouts, and reports redirects.
func (im *importer) httpSettings(p *planspec.Plan) {
	cookies := im.cookieSteps > 0
	p.HTTP.Cookies = &cookies
	if im.cookieSteps > 0 && im.noCookieSteps > 0 {
		im.warn(nil, im.testPlan, "%d samplers have a Cookie Manager in scope and %d do not; the plan keeps cookies for all", im.cookieSteps, im.noCookieSteps)
	}
	if im.redirects > 0 {
		r := im.firstRedirect
		im.warn(r.anc, r.elem, "%d sampler(s) follow redirects in JMeter (this is the first); loadgen does not follow redirects: a 3xx response is the step's response (a success unless checked), and checks and extractors see it instead of the final page", im.redirects)
	}
	var reqs []*reqStep
	for _, sc := range im.scenarios {
		reqs = append(reqs, requestsOf(sc.items)...)
	}
	switch {
	case im.noKeepalive == len(reqs):
		p.HTTP.Keepalive = ptr(false)
	case im.noKeepalive > 0:
		im.warn(nil, im.testPlan, "%d of %d samplers do not use keep-alive; the plan keeps connections alive for all", im.noKeepalive, len(reqs))
	}
	same := true
	for _, r := range reqs {
		same = same && r.timeout != nil && *r.timeout == *reqs[0].timeout
	}
	switch {
	case same:
		p.HTTP.Timeout = reqs[0].timeout
	default:
		none := true
		for _, r := range reqs {
			r.req.Timeout = r.timeout
			none = none && r.timeout == nil
		}
		if none {
			im.info(nil, im.testPlan, "JMeter's requests have no timeout; the plan's default is %s (set http.timeout to change it)", planspec.DefaultHTTPTimeout)
		}
	}
}

// steps converts items to plan steps.
func (im *importer) steps(items []*item) []planspec.Step {
	var out []planspec.Step
	for _, it := range items {
		switch {
		case it.req != nil:
			r := it.req
			req := r.req
			st := planspec.Step{Name: r.name, Request: &req, Check: r.checks, Extract: r.extract, OnFailure: r.onFailure, ThinkTime: r.think}
			out = append(out, st)
		case it.group != nil:
			out = append(out, planspec.Step{Group: it.group.name, Steps: im.steps(it.group.items), ThinkTime: it.group.think})
		}
	}
	return out
}

// uniqueLabels makes the labels of requests and transactions unique in
// the plan, reporting each renamed element.
func (im *importer) uniqueLabels() {
	used := map[string]bool{}
	unique := func(name string) string {
		if !used[name] {
			used[name] = true
			return name
		}
		for n := 2; ; n++ {
			alt := fmt.Sprintf("%s (%d)", name, n)
			if !used[alt] {
				used[alt] = true
				return alt
			}
		}
	}
	var walk func(items []*item)
	walk = func(items []*item) {
		for _, it := range items {
			switch {
			case it.req != nil:
				if n := unique(it.req.name); n != it.req.name {
					im.warn(it.req.anc, it.req.elem, "label %q is taken (labels are unique in a plan; JMeter aggregates same-named samples); renamed %q", it.req.name, n)
					it.req.name = n
				}
			case it.group != nil:
				if n := unique(it.group.name); n != it.group.name {
					im.warn(it.group.anc, it.group.elem, "label %q is taken (labels are unique in a plan; JMeter aggregates same-named samples); renamed %q", it.group.name, n)
					it.group.name = n
				}
				walk(it.group.items)
			}
		}
	}
	for _, sc := range im.scenarios {
		walk(sc.items)
	}
}

// uniqueNames makes step labels (plan-wide) and scenario names unique.
func uniqueNames(p *planspec.Plan, im *importer) {
	used := map[string]bool{}
	unique := func(name string) string {
		if !used[name] {
			used[name] = true
			return name
		}
		for n := 2; ; n++ {
			alt := fmt.Sprintf("%s (%d)", name, n)
			if !used[alt] {
				used[alt] = true
				return alt
			}
		}
	}
	renamed := 0
	var walk func(steps []planspec.Step)
	walk = func(steps []planspec.Step) {
		for i := range steps {
			s := &steps[i]
			if s.IsGroup() {
				if n := unique(s.Group); n != s.Group {
					s.Group, renamed = n, renamed+1
				}
				walk(s.Steps)
				continue
			}
			if n := unique(s.Name); n != s.Name {
				s.Name, renamed = n, renamed+1
			}
		}
	}
	for i := range p.Scenarios {
		walk(p.Scenarios[i].Steps)
	}
	if renamed > 0 {
		im.warn(nil, im.testPlan, "%d sampler or transaction names repeat; labels must be unique in a plan, so repeats get a \" (2)\", \" (3)\"… suffix (JMeter aggregates same-named samples, loadgen reports them apart)", renamed)
	}
	used = map[string]bool{}
	for i := range p.Scenarios {
		p.Scenarios[i].Name = unique(p.Scenarios[i].Name)
	}
}

// hostRewriter rewrites every host the plan names to the --target origin.
type hostRewriter struct {
	origins []string // scheme://host[:port], longest first
	hosts   []string // host[:port] and host, longest first
	target  *url.URL
}

var urlRe = regexp.MustCompile(`(?i)\bhttps?://[^/\s"'<>?#\\{}$]+`)

// hostRewriter collects the hosts of the plan: the requests' origins and
// every absolute URL in its strings.
func (im *importer) hostRewriter(p *planspec.Plan) *hostRewriter {
	t, _ := url.Parse(strings.TrimRight(im.opts.Target, "/"))
	rw := &hostRewriter{target: t}
	seenO, seenH := map[string]bool{}, map[string]bool{}
	addOrigin := func(o string) {
		u, err := url.Parse(o)
		if err != nil || u.Host == "" || strings.Contains(o, "${") {
			return
		}
		k := strings.ToLower(u.Scheme + "://" + u.Host)
		if !seenO[k] {
			seenO[k] = true
			rw.origins = append(rw.origins, u.Scheme+"://"+u.Host)
		}
		for _, h := range []string{u.Host, u.Hostname()} {
			if k := strings.ToLower(h); !seenH[k] && (strings.Contains(h, ".") || strings.EqualFold(h, "localhost")) {
				seenH[k] = true
				rw.hosts = append(rw.hosts, h)
			}
		}
	}
	for _, sc := range im.scenarios {
		for _, r := range requestsOf(sc.items) {
			addOrigin(r.origin)
		}
	}
	visitStrings(p, func(s *string) {
		for _, m := range urlRe.FindAllString(*s, -1) {
			addOrigin(m)
		}
	})
	for _, v := range im.vars {
		addOrigin("http://" + strings.TrimSpace(v.text()))
	}
	byLen := func(list []string) {
		for i := 1; i < len(list); i++ {
			for j := i; j > 0 && len(list[j]) > len(list[j-1]); j-- {
				list[j], list[j-1] = list[j-1], list[j]
			}
		}
	}
	byLen(rw.origins)
	byLen(rw.hosts)
	return rw
}

// rewrite replaces the known origins and hosts in s.
func (rw *hostRewriter) rewrite(s string) string {
	if rw == nil || s == "" {
		return s
	}
	origin := rw.target.Scheme + "://" + rw.target.Host
	for _, o := range rw.origins {
		s = replaceFold(s, o, origin, false)
	}
	for _, h := range rw.hosts {
		s = replaceFold(s, h, rw.target.Host, true)
	}
	return s
}

// replaceFold replaces old by repl, ignoring case; bounded requires that
// the match is not part of a longer host name.
func replaceFold(s, old, repl string, bounded bool) string {
	lower, lold := strings.ToLower(s), strings.ToLower(old)
	if len(lower) != len(s) {
		return s // non-ASCII case folding changed lengths: leave it
	}
	var b strings.Builder
	i := 0
	for {
		j := strings.Index(lower[i:], lold)
		if j < 0 {
			break
		}
		j += i
		end := j + len(old)
		ok := true
		if bounded {
			if j > 0 && isHostChar(s[j-1]) {
				ok = false
			}
			if end < len(s) && (isHostChar(s[end]) && s[end] != '.' || s[end] == '.' && end+1 < len(s) && isHostChar(s[end+1])) {
				ok = false
			}
		} else if end < len(s) && (isHostChar(s[end]) || s[end] == ':') {
			ok = false
		}
		if !ok {
			b.WriteString(s[i : j+1])
			i = j + 1
			continue
		}
		b.WriteString(s[i:j])
		b.WriteString(repl)
		i = end
		if bounded && i < len(s) && s[i] == ':' {
			// A port after a bare host name is the target's.
			k := i + 1
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			if k > i+1 {
				i = k
			}
		}
	}
	b.WriteString(s[i:])
	return b.String()
}

func isHostChar(c byte) bool {
	return c == '.' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// plan rewrites every string of the plan.
func (rw *hostRewriter) plan(p *planspec.Plan) {
	visitStrings(p, func(s *string) { *s = rw.rewrite(*s) })
}

// visitStrings calls fn on every user-visible string of the plan (names,
// variables, headers, URLs, bodies, parameters, checks, extractors).
func visitStrings(p *planspec.Plan, fn func(*string)) {
	mapVals := func(m map[string]string) map[string]string {
		if m == nil {
			return nil
		}
		out := make(map[string]string, len(m))
		for k, v := range m {
			fn(&k)
			fn(&v)
			out[k] = v
		}
		return out
	}
	fn(&p.Name)
	p.Vars = mapVals(p.Vars)
	p.HTTP.Headers = mapVals(p.HTTP.Headers)
	var steps func([]planspec.Step)
	steps = func(list []planspec.Step) {
		for i := range list {
			s := &list[i]
			fn(&s.Name)
			fn(&s.Group)
			for j := range s.Check {
				fn(&s.Check[j])
			}
			if s.Request != nil {
				r := s.Request
				fn(&r.URL)
				r.Headers = mapVals(r.Headers)
				r.Query = mapVals(r.Query)
				r.Form = mapVals(r.Form)
				if r.Body != nil {
					b := *r.Body
					fn(&b)
					r.Body = &b
				}
			}
			for k, ex := range s.Extract {
				fn(&ex.Regex)
				s.Extract[k] = ex
			}
			steps(s.Steps)
		}
	}
	for i := range p.Scenarios {
		fn(&p.Scenarios[i].Name)
		steps(p.Scenarios[i].Steps)
	}
}

// encode writes the plan YAML with its header comment.
func (im *importer) encode(p *planspec.Plan, rw *hostRewriter) ([]byte, error) {
	var doc yaml.Node
	if err := doc.Encode(p); err != nil {
		return nil, err
	}
	tidy(&doc, "")
	var body bytes.Buffer
	enc := yaml.NewEncoder(&body)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	line := func(format string, args ...any) {
		s := fmt.Sprintf(format, args...)
		s = strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
		if rw != nil {
			s = rw.rewrite(s)
		}
		b.WriteString(strings.TrimRight("# "+s, " ") + "\n")
	}
	line("imported from %s by loadgen import jmx", filepath.Base(im.file))
	ver := im.doc.JMeter
	if ver == "" {
		ver = "unknown"
	}
	steps := 0
	for _, sc := range im.scenarios {
		steps += len(requestsOf(sc.items))
	}
	line("JMeter %s; %d scenario(s), %d request step(s); %d warning(s), %d unsupported element(s), %d disabled element(s) skipped",
		ver, len(im.scenarios), steps, len(im.res.Warnings), len(im.res.Unsupported), len(im.res.Skipped))
	if im.opts.Target != "" {
		line("every host is rewritten to %s", im.opts.Target)
	}
	for _, f := range im.res.Files {
		line("data file %s: converted from %s (write it next to this plan)", f.Name, f.Source)
	}
	for _, is := range im.res.Report() {
		if is.Severity != SevWarning && is.Severity != SevUnsupported {
			continue
		}
		line("%s: %s (line %d): %s", is.Severity, is.Path, is.Line, is.Msg)
	}
	b.WriteString("\n")
	b.Write(body.Bytes())
	return b.Bytes(), nil
}

// durationKeys are the plan keys whose values are durations.
var durationKeys = map[string]bool{
	"duration": true, "max_duration": true, "time_unit": true, "start_time": true, "graceful_stop": true,
	"graceful_ramp_down": true, "timeout": true, "think_time": true, "min": true, "max": true,
}

// tidy puts "group" first in group steps and writes durations in their
// shortest form.
func tidy(n *yaml.Node, key string) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			tidy(c, key)
		}
	case yaml.MappingNode:
		if hasKey(n, "executor") {
			orderKeys(n, scenarioKeyOrder)
		}
		isStep := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			isStep = isStep || n.Content[i].Value == "steps"
		}
		for i := 0; isStep && i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "group" && i > 0 {
				k, v := n.Content[i], n.Content[i+1]
				copy(n.Content[2:i+2], n.Content[0:i])
				n.Content[0], n.Content[1] = k, v
			}
		}
		if key == "think_time" && len(n.Content) == 4 && n.Content[0].Value == "max" {
			n.Content[0], n.Content[1], n.Content[2], n.Content[3] = n.Content[2], n.Content[3], n.Content[0], n.Content[1]
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			tidy(n.Content[i+1], n.Content[i].Value)
		}
	case yaml.ScalarNode:
		if durationKeys[key] {
			if d, err := time.ParseDuration(n.Value); err == nil {
				n.Value = prettyDuration(d)
			}
		}
	}
}

// scenarioKeyOrder is the order scenario keys are written in.
var scenarioKeyOrder = []string{"name", "executor", "vus", "iterations", "rate", "start_vus", "start_rate", "time_unit",
	"stages", "duration", "max_duration", "graceful_ramp_down", "pre_allocated_vus", "max_vus", "arrivals",
	"start_time", "graceful_stop", "think_time", "steps"}

func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

// orderKeys sorts a mapping's keys by their index in order (unknown keys
// last, in their order).
func orderKeys(n *yaml.Node, order []string) {
	rank := func(k string) int {
		for i, o := range order {
			if o == k {
				return i
			}
		}
		return len(order)
	}
	type kv struct{ k, v *yaml.Node }
	var pairs []kv
	for i := 0; i+1 < len(n.Content); i += 2 {
		pairs = append(pairs, kv{n.Content[i], n.Content[i+1]})
	}
	sort.SliceStable(pairs, func(a, b int) bool { return rank(pairs[a].k.Value) < rank(pairs[b].k.Value) })
	n.Content = n.Content[:0]
	for _, p := range pairs {
		n.Content = append(n.Content, p.k, p.v)
	}
}

// prettyDuration writes a duration without zero units ("1m", not "1m0s").
func prettyDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// validate parses the plan as `loadgen validate` would, with the converted
// CSV files in place (a missing CSV skips the file checks); environment
// variables are taken as unset so that the result does not depend on the
// importing machine.
func (im *importer) validate(src []byte) (*planspec.Plan, error) {
	opts := planspec.Options{LookupEnv: func(string) (string, bool) { return "", false }}
	missing := false
	for _, f := range im.feeders {
		missing = missing || f.missing
	}
	if missing {
		opts.SkipFileChecks = true
	} else if len(im.res.Files) > 0 {
		dir, err := os.MkdirTemp("", "jmximport-*")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		for _, f := range im.res.Files {
			if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(f.Name)), f.Data, 0o600); err != nil {
				return nil, err
			}
		}
		opts.Dir = dir
	}
	return planspec.Parse(src, "imported.yaml", opts)
}
