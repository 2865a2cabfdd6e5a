package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/loadgen/loadgen/agents"
	"github.com/loadgen/loadgen/agents/arch"
	"github.com/loadgen/loadgen/agents/insights"
	"github.com/loadgen/loadgen/agents/llm"
	"github.com/loadgen/loadgen/agents/plangen"
	"github.com/loadgen/loadgen/agents/scenario"
	"github.com/loadgen/loadgen/loadgen/results"
)

// aiFlags are the flags shared by the AI commands.
type aiFlags struct {
	provider string
	repairs  int
}

func (f *aiFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.provider, "provider", "", "offline, bedrock or anthropic (default: from the environment, offline when nothing is configured)")
	cmd.Flags().IntVar(&f.repairs, "repairs", 0, "times an invalid model answer is sent back for repair (default 2)")
}

// start returns the command's context, ended by Ctrl-C or SIGTERM, and the
// configured provider (nil: offline), which it names on stderr.
func (f *aiFlags) start(cmd *cobra.Command) (context.Context, context.CancelFunc, llm.Provider, error) {
	ctx, stop := signalContext(cmd.Context())
	p, err := f.model(ctx, cmd.ErrOrStderr())
	if err != nil {
		stop()
		return nil, nil, nil, err
	}
	return ctx, stop, p, nil
}

// model returns the configured provider (nil: offline) and says which on
// stderr.
func (f *aiFlags) model(ctx context.Context, stderr io.Writer) (llm.Provider, error) {
	getenv := os.Getenv
	if f.provider != "" {
		name := strings.ToLower(f.provider)
		if name != "offline" && name != "bedrock" && name != "anthropic" {
			return nil, exitWith(exitUsage, fmt.Errorf("--provider %q: want offline, bedrock or anthropic", f.provider))
		}
		getenv = func(k string) string {
			if k == "LOADGEN_AI_PROVIDER" {
				return name
			}
			return os.Getenv(k)
		}
	}
	p, err := llm.FromEnv(ctx, getenv)
	if err != nil {
		return nil, exitWith(exitUsage, fmt.Errorf("AI provider: %w", err))
	}
	if p == nil {
		fmt.Fprintln(stderr, "ai: offline (no model configured: deterministic heuristics)")
	} else {
		fmt.Fprintln(stderr, "ai:", llm.Describe(p))
	}
	return p, nil
}

// scenarioFlags are the inputs of scenario design.
type scenarioFlags struct {
	nfr, workflow, types string
	quick                bool
}

func (f *scenarioFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.nfr, "nfr", "", "NFR file (response_time_p95: 500ms, throughput: 100rps, ...); default: what the documents state")
	cmd.Flags().StringVar(&f.workflow, "workflow", "", "workflow file: a list of {endpoint, method, order} (default: the documents' critical journey)")
	cmd.Flags().StringVar(&f.types, "types", "", "scenario types, comma-separated: load, stress, spike, endurance, scalability (default: all)")
	cmd.Flags().BoolVar(&f.quick, "quick", false, "compress every scenario to about 10 s (smoke tests, CI)")
}

func (f *scenarioFlags) inputs() (types []string, workflow []arch.WorkflowStep, nfrs *results.NFRSpec, short time.Duration, err error) {
	for _, t := range strings.Split(f.types, ",") {
		if t = strings.TrimSpace(t); t != "" {
			types = append(types, t)
		}
	}
	if _, err := scenario.NormalizeTypes(types); err != nil {
		return nil, nil, nil, 0, exitWith(exitUsage, fmt.Errorf("--types: %w", err))
	}
	if f.workflow != "" {
		if workflow, err = agents.ReadWorkflow(f.workflow); err != nil {
			return nil, nil, nil, 0, exitWith(exitUsage, err)
		}
	}
	if f.nfr != "" {
		if nfrs, err = results.ParseNFRFile(f.nfr); err != nil {
			return nil, nil, nil, 0, exitWith(exitUsage, err)
		}
	}
	if f.quick {
		short = scenario.DefaultShort
	}
	return types, workflow, nfrs, short, nil
}

func newGenerateCmd() *cobra.Command {
	var ai aiFlags
	var sf scenarioFlags
	var out, target string
	var noJMeter bool
	cmd := &cobra.Command{
		Use:   "generate DOCS... --out DIR",
		Short: "Architecture docs and NFRs → architecture.json, scenarios.json, plans/ (+ JMeter exports)",
		Long: `Runs the AI pipeline: analyze the documents (OpenAPI 3.x / Swagger 2.0, Markdown, text),
design scenarios from the NFRs, write one validated plan per scenario and derive its JMeter
exports. Offline (deterministic heuristics) unless a model is configured (see README "AI steps").`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return exitWith(exitUsage, errors.New("--out DIR is required"))
			}
			types, workflow, nfrs, short, err := sf.inputs()
			if err != nil {
				return err
			}
			ctx, stop, p, err := ai.start(cmd)
			if err != nil {
				return err
			}
			defer stop()
			stderr := cmd.ErrOrStderr()
			res, err := agents.Generate(ctx, args, out, agents.Options{
				Provider: p, Repairs: ai.repairs, Types: types, Workflow: workflow, NFRs: nfrs,
				Target: target, Short: short, JMeter: !noJMeter,
				Progress: func(pr agents.Progress) {
					if pr.Done {
						fmt.Fprintf(stderr, "  %-9s done: %s\n", pr.Step, pr.Detail)
					} else {
						fmt.Fprintf(stderr, "%s...\n", pr.Step)
					}
				},
			})
			if err != nil {
				return aiError(err)
			}
			printWarningsOf(stderr, "architecture", res.Architecture.Warnings)
			printWarningsOf(stderr, "scenarios", res.Scenarios.Warnings)
			printWarningsOf(stderr, "plans", res.Plans.Warnings)
			for _, f := range res.Files {
				fmt.Fprintln(cmd.OutOrStdout(), filepath.Join(out, f))
			}
			return nil
		},
	}
	ai.register(cmd)
	sf.register(cmd)
	cmd.Flags().StringVar(&out, "out", "", "output folder")
	cmd.Flags().StringVar(&target, "target", "", "base URL of the plans (default: the spec's server)")
	cmd.Flags().BoolVar(&noJMeter, "no-jmeter", false, "do not write the JMeter exports")
	return cmd
}

func newAICmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ai",
		Short: "Run one AI step alone: analyze, scenarios, plans, insights",
	}
	cmd.AddCommand(newAIAnalyzeCmd(), newAIScenariosCmd(), newAIPlansCmd(), newAIInsightsCmd())
	return cmd
}

func newAIAnalyzeCmd() *cobra.Command {
	var ai aiFlags
	var out string
	cmd := &cobra.Command{
		Use:   "analyze DOCS... [-o architecture.json]",
		Short: "Architecture analysis: documents → architecture model (JSON)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop, p, err := ai.start(cmd)
			if err != nil {
				return err
			}
			defer stop()
			m, err := arch.Analyze(ctx, args, arch.Options{Provider: p, Repairs: ai.repairs})
			if err != nil {
				return aiError(err)
			}
			printWarningsOf(cmd.ErrOrStderr(), "architecture", m.Warnings)
			if out == "" || out == "-" {
				b, err := arch.Marshal(m)
				if err != nil {
					return exitWith(exitRuntime, err)
				}
				_, err = cmd.OutOrStdout().Write(b)
				return err
			}
			if err := arch.WriteFile(out, m); err != nil {
				return exitWith(exitRuntime, err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s: %d endpoints, %d workflows (%s)\n", out, len(m.Endpoints), len(m.Workflows), m.Source)
			return nil
		},
	}
	ai.register(cmd)
	cmd.Flags().StringVarP(&out, "out", "o", "", "file to write (default: standard output)")
	return cmd
}

func newAIScenariosCmd() *cobra.Command {
	var ai aiFlags
	var sf scenarioFlags
	var archPath, out string
	cmd := &cobra.Command{
		Use:   "scenarios --architecture architecture.json [-o scenarios.json]",
		Short: "Scenario design: architecture model + workflow + NFRs → scenarios (JSON)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if archPath == "" {
				return exitWith(exitUsage, errors.New("--architecture FILE is required (loadgen ai analyze writes it)"))
			}
			m, err := arch.ReadFile(archPath)
			if err != nil {
				return exitWith(exitUsage, err)
			}
			types, workflow, nfrs, short, err := sf.inputs()
			if err != nil {
				return err
			}
			ctx, stop, p, err := ai.start(cmd)
			if err != nil {
				return err
			}
			defer stop()
			set, err := scenario.Generate(ctx, m, workflow, nfrs, types, scenario.Options{Provider: p, Repairs: ai.repairs, Short: short})
			if err != nil {
				return aiError(err)
			}
			printWarningsOf(cmd.ErrOrStderr(), "scenarios", set.Warnings)
			return writeJSONOut(cmd, out, set, fmt.Sprintf("%d scenarios (%s)", len(set.Scenarios), set.Source))
		},
	}
	ai.register(cmd)
	sf.register(cmd)
	cmd.Flags().StringVar(&archPath, "architecture", "", "architecture model (from loadgen ai analyze)")
	cmd.Flags().StringVarP(&out, "out", "o", "", "file to write (default: standard output)")
	return cmd
}

func newAIPlansCmd() *cobra.Command {
	var ai aiFlags
	var scenariosPath, archPath, out, target string
	var jmeter bool
	cmd := &cobra.Command{
		Use:   "plans --scenarios scenarios.json --out DIR",
		Short: "Plan generation: scenarios → one validated plan per scenario (+ JMeter exports)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if scenariosPath == "" || out == "" {
				return exitWith(exitUsage, errors.New("--scenarios FILE and --out DIR are required"))
			}
			set, err := agents.ReadScenarios(scenariosPath)
			if err != nil {
				return exitWith(exitUsage, err)
			}
			var m *arch.Model
			if archPath != "" {
				if m, err = arch.ReadFile(archPath); err != nil {
					return exitWith(exitUsage, err)
				}
			}
			ctx, stop, p, err := ai.start(cmd)
			if err != nil {
				return err
			}
			defer stop()
			res, err := plangen.Plans(ctx, set, m, plangen.Options{Provider: p, Repairs: ai.repairs, Target: target})
			if err != nil {
				return aiError(err)
			}
			printWarningsOf(cmd.ErrOrStderr(), "plans", res.Warnings)
			w, err := res.Write(out, plangen.WriteOptions{JMeter: jmeter})
			if err != nil {
				return exitWith(exitRuntime, err)
			}
			for _, f := range w.Files() {
				fmt.Fprintln(cmd.OutOrStdout(), filepath.Join(out, f))
			}
			return nil
		},
	}
	ai.register(cmd)
	cmd.Flags().StringVar(&scenariosPath, "scenarios", "", "scenarios (from loadgen ai scenarios)")
	cmd.Flags().StringVar(&archPath, "architecture", "", "architecture model, to check the steps' endpoints (optional)")
	cmd.Flags().StringVar(&out, "out", "", "output folder")
	cmd.Flags().StringVar(&target, "target", "", "base URL of the plans (default: the spec's server)")
	cmd.Flags().BoolVar(&jmeter, "jmeter", true, "also write each plan's .jmx and jmeter-java-dsl project")
	return cmd
}

func newAIInsightsCmd() *cobra.Command {
	var ai aiFlags
	var out string
	var markdown bool
	cmd := &cobra.Command{
		Use:   "insights RUN_DIR|results_analysis.json [-o insights.json] [--markdown]",
		Short: "Insights: a run's analysis → summary, findings, bottlenecks, recommendations",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := agents.ReadAnalysis(args[0])
			if err != nil {
				return exitWith(exitUsage, err)
			}
			ctx, stop, p, err := ai.start(cmd)
			if err != nil {
				return err
			}
			defer stop()
			in, err := insights.Generate(ctx, a, insights.Options{Provider: p, Repairs: ai.repairs})
			if err != nil {
				return aiError(err)
			}
			if markdown {
				if out == "" || out == "-" {
					_, err = io.WriteString(cmd.OutOrStdout(), insights.Markdown(in))
					return err
				}
				if err := agents.WriteText(out, insights.Markdown(in)); err != nil {
					return exitWith(exitRuntime, err)
				}
				return nil
			}
			if out != "" && out != "-" {
				if err := insights.WriteFile(out, in); err != nil {
					return exitWith(exitRuntime, err)
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%s)\n", out, in.Source)
				return nil
			}
			return writeJSONOut(cmd, "", in, "")
		},
	}
	ai.register(cmd)
	cmd.Flags().StringVarP(&out, "out", "o", "", "file to write (default: standard output)")
	cmd.Flags().BoolVar(&markdown, "markdown", false, "write Markdown instead of JSON")
	return cmd
}

// writeJSONOut writes v to out (a file, whole or not at all) or to stdout.
func writeJSONOut(cmd *cobra.Command, out string, v any, what string) error {
	if out == "" || out == "-" {
		enc := jsonEncoder(cmd.OutOrStdout())
		return enc.Encode(v)
	}
	if err := agents.WriteJSON(out, v); err != nil {
		return exitWith(exitRuntime, err)
	}
	if what != "" {
		fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s: %s\n", out, what)
	}
	return nil
}

func printWarningsOf(w io.Writer, step string, warnings []string) {
	for _, s := range warnings {
		fmt.Fprintf(w, "%s: warning: %s\n", step, s)
	}
}

// aiError maps a step's error to an exit code: cancelled → 130, bad input
// (no documents, unknown types...) → 2, anything else → 1.
func aiError(err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return exitWith(exitInterrupted, err)
	case errors.Is(err, arch.ErrNoInput), errors.Is(err, arch.ErrNoDocuments):
		return exitWith(exitUsage, err)
	}
	return exitWith(exitRuntime, err)
}

// signalContext ends on Ctrl-C or SIGTERM.
func signalContext(parent context.Context) (context.Context, context.CancelFunc) {
	if parent == nil {
		parent = context.Background()
	}
	return signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
}

func jsonEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc
}
