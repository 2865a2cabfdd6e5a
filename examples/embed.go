// Package examples ships the example plans and the demo target service
// (package examples/demo) they run against.
package examples

import "embed"

// Plans holds the example plans as plans/NAME.yaml: quickstart.yaml, used by
// `loadgen quickstart`, and one short plan per executor. Their target is
// http://127.0.0.1:8080; runs against the demo service override it.
//
//go:embed plans/*.yaml
var Plans embed.FS
