package planspec

import "path/filepath"

// AllSteps returns every step of every scenario, depth first: a group comes
// before its children. The pointers point into the plan.
func (p *Plan) AllSteps() []*Step {
	var out []*Step
	var walk func([]Step)
	walk = func(steps []Step) {
		for i := range steps {
			out = append(out, &steps[i])
			walk(steps[i].Steps)
		}
	}
	for i := range p.Scenarios {
		walk(p.Scenarios[i].Steps)
	}
	return out
}

// ResolvePath resolves a path written in the plan (a feeder file) against
// Plan.Dir; absolute paths are returned unchanged.
func (p *Plan) ResolvePath(path string) string {
	if filepath.IsAbs(path) || p.Dir == "" {
		return path
	}
	return filepath.Join(p.Dir, path)
}
