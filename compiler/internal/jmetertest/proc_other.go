//go:build !unix

package jmetertest

import "os/exec"

// setProcessGroup leaves cmd as it is: its context kills the process itself.
func setProcessGroup(*exec.Cmd) {}

// lockFile does not lock: concurrent builds from several test binaries are
// not serialised on this platform.
func lockFile(string) (func(), error) { return func() {}, nil }
