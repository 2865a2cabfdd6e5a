// Command loadgen is the one CLI of the loadgen platform: it validates and
// runs load-test plans, prints the plan's JSON Schema, and runs a quick
// demo against a built-in target.
//
// Exit codes: 0 ok; 99 thresholds failed; 2 invalid plan or arguments;
// 1 runtime error; 130 interrupted (results flushed).
package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
)

// processStart is taken as early as the program can: it measures the time
// from start to the first request.
var processStart = time.Now()

// Exit codes.
const (
	exitOK          = 0
	exitRuntime     = 1
	exitUsage       = 2
	exitThresholds  = 99
	exitInterrupted = 130
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func exitWith(code int, err error) error { return &exitError{code: code, err: err} }

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	root := newRoot()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", ee.err)
		}
		return ee.code
	}
	// cobra usage errors (unknown flag, wrong arg count)
	fmt.Fprintln(os.Stderr, "loadgen:", err)
	return exitUsage
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "loadgen",
		Short:         "Native Go load generator with JMeter-compatible results",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newRunCmd(), newValidateCmd(), newSchemaCmd(), newQuickstartCmd(), newDemoCmd(), newVersionCmd(),
		newAnalyzeCmd(), newReportCmd(), newCompareCmd(), newMergeCmd(), newExportCmd(), newImportCmd(), newGenerateCmd(), newAICmd(), newMCPCmd(), newWorkerCmd(),
		newDemoTargetCmd(), newUICmd(), newMCPProxyCmd())
	return root
}
