package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/loadgen/dist"
)

// backendFlags choose where the workers of a distributed run go.
type backendFlags struct {
	name string
}

func (b *backendFlags) register(fl *pflag.FlagSet, workers *int) {
	fl.StringVar(&b.name, "backend", "local", "where workers run: local (processes of this machine) or ecs (Fargate tasks)")
}

// open returns the chosen backend.
func (b *backendFlags) open(_ context.Context, stderr io.Writer) (dist.Backend, error) {
	switch b.name {
	case "local":
		return &dist.LocalBackend{Log: stderr}, nil
	}
	return nil, fmt.Errorf("--backend %q: want local or ecs", b.name)
}
