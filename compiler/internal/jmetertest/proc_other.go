//go:build !unix

package jmetertest

import "context"

import "os/exec"

// setProcessGroup leaves cmd as it is: its context kills the process itself.
func setProcessGroup(*exec.Cmd) {}

// lockFile does not lock: concurrent builds from several test binaries are
// not serialised on this platform.
func lockFile(string) (func(), error) { return func() {}, nil }

// lockFileCtx does not lock either.
func lockFileCtx(context.Context, string) (func(), error) { return func() {}, nil }
