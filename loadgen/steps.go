package loadgen

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/loadgen/loadgen/loadgen/httpx"
	"github.com/loadgen/loadgen/loadgen/record"
	"github.com/loadgen/loadgen/planspec"
)

// step is a plan step ready to run: a request or a group of steps.
type step struct {
	idx       int32 // index into the label table
	label     string
	req       *httpx.Prepared
	think     *planspec.ThinkTime
	stopOnErr bool
	children  []*step // group
}

// compiled is the runnable form of a plan.
type compiled struct {
	labels    []record.StepInfo
	groups    [][]string // enclosing groups of each label, outermost first
	isGroup   []bool     // the label is a group (transaction)
	scenarios [][]*step  // top-level steps per scenario
}

// compile prepares every request of the plan once: URL resolved against the
// target, headers merged, body serialised.
func compile(p *planspec.Plan, target string) (*compiled, error) {
	c := &compiled{}
	if target == "" {
		target = p.Target
	}
	for _, sc := range p.Scenarios {
		steps, err := c.compileSteps(p, sc, target, sc.Steps, nil)
		if err != nil {
			return nil, err
		}
		c.scenarios = append(c.scenarios, steps)
	}
	return c, nil
}

func (c *compiled) compileSteps(p *planspec.Plan, sc planspec.Scenario, target string, in []planspec.Step, groups []string) ([]*step, error) {
	group := ""
	if len(groups) > 0 {
		group = groups[len(groups)-1]
	}
	out := make([]*step, 0, len(in))
	for i := range in {
		ps := &in[i]
		st := &step{
			idx:       int32(len(c.labels)),
			label:     ps.Label(),
			think:     ps.ThinkTime,
			stopOnErr: ps.OnFailure == "stop_iteration",
		}
		c.labels = append(c.labels, record.StepInfo{
			Label:    st.label,
			Scenario: sc.Name,
			Group:    group,
			Arrival:  planspec.IsArrivalRate(sc.Executor),
		})
		c.groups = append(c.groups, groups)
		c.isGroup = append(c.isGroup, ps.IsGroup())
		if ps.IsGroup() {
			kids, err := c.compileSteps(p, sc, target, ps.Steps, append(groups[:len(groups):len(groups)], ps.Group))
			if err != nil {
				return nil, err
			}
			st.children = kids
		} else {
			req, err := prepare(p, target, ps)
			if err != nil {
				return nil, fmt.Errorf("scenario %q step %q: %w", sc.Name, ps.Name, err)
			}
			st.req = req
		}
		out = append(out, st)
	}
	return out, nil
}

// prepare serialises a step's request. Plan variables are substituted in
// the URL, headers and body; the rest of the templating language belongs to
// the flows runtime.
func prepare(p *planspec.Plan, target string, ps *planspec.Step) (*httpx.Prepared, error) {
	r := ps.Request
	subst := func(s string) string { return expandVars(s, p.Vars) }
	u := subst(r.URL)
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		if target == "" {
			return nil, fmt.Errorf("relative url %q and no target", u)
		}
		u = strings.TrimRight(target, "/") + "/" + strings.TrimLeft(u, "/")
	}
	if len(r.Query) > 0 {
		q := url.Values{}
		for k, v := range r.Query {
			q.Set(k, subst(v))
		}
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + q.Encode()
	}
	u = escapeTemplates(u)
	var hdr [][2]string
	for _, k := range sortedKeys(p.HTTP.Headers) {
		hdr = append(hdr, [2]string{k, subst(p.HTTP.Headers[k])})
	}
	var body []byte
	switch {
	case r.Body != nil:
		body = []byte(subst(*r.Body))
	case r.JSON != nil:
		b, err := json.Marshal(expandJSON(r.JSON, p.Vars))
		if err != nil {
			return nil, fmt.Errorf("json body: %w", err)
		}
		body = b
		hdr = append(hdr, [2]string{"Content-Type", "application/json"})
	case r.Form != nil:
		f := url.Values{}
		for k, v := range r.Form {
			f.Set(k, subst(v))
		}
		body = []byte(f.Encode())
		hdr = append(hdr, [2]string{"Content-Type", "application/x-www-form-urlencoded"})
	}
	for _, k := range sortedKeys(r.Headers) {
		hdr = append(hdr, [2]string{k, subst(r.Headers[k])})
	}
	timeout := p.HTTP.Timeout.D()
	if r.Timeout != nil {
		timeout = r.Timeout.D()
	}
	return httpx.Prepare(httpx.Spec{
		Method:    r.Method,
		URL:       u,
		Header:    hdr,
		Body:      body,
		Timeout:   timeout,
		KeepAlive: p.HTTP.Keepalive == nil || *p.HTTP.Keepalive,
		UserAgent: "loadgen/" + Version,
	})
}

// expandVars replaces ${name} with plan variables; unknown names stay.
func expandVars(s string, vars map[string]string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		name := s[i+2 : i+j]
		b.WriteString(s[:i])
		if v, ok := vars[name]; ok {
			b.WriteString(v)
		} else if env, ok := strings.CutPrefix(name, "env."); ok && os.Getenv(env) != "" {
			b.WriteString(os.Getenv(env))
		} else {
			b.WriteString(s[i : i+j+1])
		}
		s = s[i+j+1:]
	}
}

// escapeTemplates percent-encodes the braces of unresolved ${...}
// references so the URL stays valid on the wire.
func escapeTemplates(u string) string {
	if !strings.ContainsAny(u, "{}") {
		return u
	}
	return strings.NewReplacer("{", "%7B", "}", "%7D").Replace(u)
}

func expandJSON(v any, vars map[string]string) any {
	switch x := v.(type) {
	case string:
		return expandVars(x, vars)
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = expandJSON(e, vars)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = expandJSON(e, vars)
		}
		return a
	}
	return v
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// thinkDuration draws a think time.
func thinkDuration(t *planspec.ThinkTime, rnd func(int64) int64) time.Duration {
	if t == nil {
		return 0
	}
	lo, hi := t.Min.D(), t.Max.D()
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(rnd(int64(hi-lo)+1))
}
