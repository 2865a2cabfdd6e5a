package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newMCPProxyCmd is a placeholder until the command lands.
func newMCPProxyCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "mcp-proxy",
		Short:  "Relay stdio MCP to a deployed function URL (not yet available)",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return exitWith(exitUsage, errors.New("mcp-proxy: not yet available"))
		},
	}
}
