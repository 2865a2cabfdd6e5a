//go:build !unix

package mototest

import "os/exec"

// inOwnProcessGroup is a no-op where process groups are not available.
func inOwnProcessGroup(*exec.Cmd) {}

// killGroup kills cmd's process.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
