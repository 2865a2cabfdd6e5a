package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newDemoTargetCmd is a placeholder until the command lands.
func newDemoTargetCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "demo-target",
		Short:  "Serve the demo fake API (not yet available)",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return exitWith(exitUsage, errors.New("demo-target: not yet available"))
		},
	}
}
