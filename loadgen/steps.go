package loadgen

import (
	"fmt"
	"sort"
	"time"

	"github.com/loadgen/loadgen/loadgen/httpx"
	"github.com/loadgen/loadgen/loadgen/record"
	"github.com/loadgen/loadgen/planspec"
)

// step is a plan step ready to run: a request or a group of steps.
type step struct {
	idx       int32 // index into the label table
	label     string
	rt        *reqTmpl        // the request, compiled
	req       *httpx.Prepared // the request serialised once, when nothing in it changes
	checks    []checkProg
	needs     planspec.CheckNeeds // what the checks read, together
	extract   []extractor
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
	feeding   [][]bool   // per scenario: the feeders its templates read

	varSlots map[string]int // extracted variable -> slot in a VU's variables
	varNames []string
	feeders  []*feederRT
	uses     []bool      // feeders used by the scenario being compiled
	extra    [][2]string // headers added to every request, after the plan's
}

// compile prepares every request of the plan once: URL resolved against the
// target, headers merged, body serialised. extra headers are added to
// every request, replacing the plan's of the same name.
func compile(p *planspec.Plan, target string, extra ...[2]string) (*compiled, error) {
	c := &compiled{varSlots: map[string]int{}, feeders: newFeeders(p), extra: extra}
	if target == "" {
		target = p.Target
	}
	for _, ps := range p.AllSteps() {
		for _, name := range sortedKeys(ps.Extract) {
			if _, ok := c.varSlots[name]; !ok {
				c.varSlots[name] = len(c.varNames)
				c.varNames = append(c.varNames, name)
			}
		}
	}
	for _, sc := range p.Scenarios {
		c.uses = make([]bool, len(c.feeders))
		steps, err := c.compileSteps(p, sc, target, sc.Steps, nil)
		if err != nil {
			return nil, err
		}
		c.scenarios = append(c.scenarios, steps)
		c.feeding = append(c.feeding, c.uses)
	}
	c.uses = nil
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
		} else if err := c.compileRequest(p, target, ps, st); err != nil {
			return nil, fmt.Errorf("scenario %q step %q: %w", sc.Name, ps.Name, err)
		}
		out = append(out, st)
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
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
