//go:build !unix

package loadgen

// processCPU is not measured on this system.
func processCPU() float64 { return 0 }
