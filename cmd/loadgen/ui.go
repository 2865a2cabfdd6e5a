package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newUICmd is a placeholder until the command lands.
func newUICmd() *cobra.Command {
	return &cobra.Command{
		Use:    "ui",
		Short:  "Serve the web dashboard (not yet available)",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return exitWith(exitUsage, errors.New("ui: not yet available"))
		},
	}
}
