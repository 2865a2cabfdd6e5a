// Package examples ships the example plans and the demo target services
// they run against: package examples/demo (`loadgen demo`) and the fake API
// examples/fake-api (`loadgen demo-target`, `loadgen quickstart`).
package examples

import "embed"

// Plans holds the example plans: plans/NAME.yaml, one short plan per
// executor plus flow.yaml and quickstart.yaml, for the demo target; and
// plans/fake-api/NAME.yaml, load.yaml, stress.yaml, spike.yaml and
// endurance.yaml, for the fake API (they read plans/fake-api/users.csv).
// Their target is http://127.0.0.1:8080; runs against a demo target on
// another port override it.
//
//go:embed plans/*.yaml plans/fake-api/*.yaml
var Plans embed.FS
