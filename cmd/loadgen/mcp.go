package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/loadgen/loadgen/loadgen/telemetry"
	"github.com/loadgen/loadgen/mcpserver"
)

func newMCPCmd() *cobra.Command {
	var f serverFlags
	var httpAddr string
	var withUI bool
	cmd := &cobra.Command{
		Use:   "mcp [--http 127.0.0.1:8765]",
		Short: "Serve the MCP tools over stdio (default) or streamable HTTP",
		Long: `Serves loadgen's MCP tools (analyze_architecture, generate_test_scenarios, generate_test_plans,
execute_performance_test, get_test_status, cancel_test, get_test_artifacts, analyze_test_results).
Over stdio by default (Claude Desktop, IDEs); with --http over streamable HTTP at /mcp. A
non-loopback --http address needs a bearer token in LOADGEN_MCP_TOKEN. Flags add to the
environment (LOADGEN_ARTIFACTS, LOADGEN_DOCS_ROOTS, LOADGEN_ALLOW_TARGETS, LOADGEN_MAX_*).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			stderr := cmd.ErrOrStderr()
			cfg, done, err := f.config(ctx, cmd)
			if err != nil {
				return err
			}
			defer done()
			srv, err := mcpserver.New(cfg)
			if err != nil {
				return exitWith(exitUsage, err)
			}
			defer srv.Close()
			where := storeWhere(cfg.Store)
			if httpAddr == "" {
				if withUI {
					return exitWith(exitUsage, errors.New("--ui needs --http"))
				}
				fmt.Fprintf(stderr, "loadgen mcp: stdio; artifacts in %s\n", where)
				err := srv.NewMCP().Run(ctx, &mcp.StdioTransport{})
				if err != nil && !errors.Is(err, context.Canceled) {
					return exitWith(exitRuntime, err)
				}
				return nil
			}
			if !withUI {
				return serveMCPHTTP(ctx, srv, httpAddr, where, stderr, nil)
			}
			return serveMCPHTTP(ctx, srv, httpAddr, where, stderr, func(mux *http.ServeMux, token string) (func(), error) {
				return mountUI(ctx, mux, srv, cfg.Store, token, stderr)
			})
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&httpAddr, "http", "", "serve streamable HTTP on this address (e.g. 127.0.0.1:8765) instead of stdio")
	fl.BoolVar(&withUI, "ui", false, "with --http, also serve the web dashboard at /ui/ (same token)")
	return cmd
}

// serverFlags are the MCP server's settings that `loadgen ui` shares with
// `loadgen mcp`: store, document roots, allowlist, caps and AI provider.
type serverFlags struct {
	ai        aiFlags
	artifacts string
	docsRoots []string
	allow     []string
	lim       mcpserver.Limits
	otlp      string
}

func (f *serverFlags) register(cmd *cobra.Command) {
	f.ai.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.artifacts, "artifacts", "", "artifact store: a folder or s3://bucket/prefix (default: $LOADGEN_ARTIFACTS, else ~/.local/share/loadgen/artifacts)")
	fl.StringArrayVar(&f.docsRoots, "docs-root", nil, "folder analyze_architecture may read documents from (repeatable)")
	fl.StringArrayVar(&f.allow, "allow-target", nil, "extra allowed target: HOST, HOST:PORT or CIDR (repeatable; loopback is always allowed)")
	fl.Float64Var(&f.lim.MaxRate, "max-rate", mcpserver.DefaultLimits.MaxRate, "highest arrival rate of a plan, per second")
	fl.IntVar(&f.lim.MaxVUs, "max-vus", mcpserver.DefaultLimits.MaxVUs, "most VUs of a plan")
	fl.DurationVar(&f.lim.MaxDuration, "max-duration", mcpserver.DefaultLimits.MaxDuration, "longest a plan may run")
	fl.IntVar(&f.lim.MaxRuns, "max-runs", mcpserver.DefaultLimits.MaxRuns, "runs in progress at once")
	fl.StringVar(&f.otlp, "otlp", "", "export spans of the tool and AI calls over OTLP to this collector (OTEL_EXPORTER_OTLP_* variables apply; OTEL_EXPORTER_OTLP_ENDPOINT alone also turns export on)")
}

// config reads the environment (mcpserver.ConfigFromEnv) and applies the
// flags given on top. With OTLP export on (--otlp or the OTEL_* variables)
// the tool and AI calls become spans; the returned function flushes them
// and must be called when the server is done.
func (f *serverFlags) config(ctx context.Context, cmd *cobra.Command) (mcpserver.Config, func(), error) {
	getenv := os.Getenv
	if f.artifacts != "" {
		getenv = func(k string) string {
			if k == mcpserver.ArtifactsEnv {
				return f.artifacts
			}
			return os.Getenv(k)
		}
	}
	cfg, err := mcpserver.ConfigFromEnv(ctx, getenv)
	if err != nil {
		return cfg, nil, exitWith(exitUsage, err)
	}
	if cmd.Flags().Changed("provider") || cmd.Flags().Changed("repairs") {
		if cfg.Provider, err = f.ai.model(ctx, cmd.ErrOrStderr()); err != nil {
			return cfg, nil, err
		}
		cfg.Repairs = f.ai.repairs
	}
	cfg.DocsRoots = append(cfg.DocsRoots, f.docsRoots...)
	cfg.AllowTargets = append(cfg.AllowTargets, f.allow...)
	for _, set := range []struct {
		flag string
		f    func()
	}{
		{"max-rate", func() { cfg.Limits.MaxRate = f.lim.MaxRate }},
		{"max-vus", func() { cfg.Limits.MaxVUs = f.lim.MaxVUs }},
		{"max-duration", func() { cfg.Limits.MaxDuration = f.lim.MaxDuration }},
		{"max-runs", func() { cfg.Limits.MaxRuns = f.lim.MaxRuns }},
	} {
		if cmd.Flags().Changed(set.flag) {
			set.f()
		}
	}
	cfg.Logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
	done := func() {}
	if tc := (telemetry.Config{OTLPEndpoint: f.otlp}); tc.Enabled() {
		if _, err := tc.Protocol(); err != nil {
			return cfg, nil, exitWith(exitUsage, err)
		}
		tel, err := telemetry.Start(ctx, tc)
		if err != nil {
			return cfg, nil, exitWith(exitUsage, fmt.Errorf("telemetry: %w", err))
		}
		cfg.TracerProvider = tel.TracerProvider()
		done = func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = tel.Shutdown(sctx)
		}
	}
	return cfg, done, nil
}

// serveMCPHTTP serves streamable HTTP at /mcp (and the dashboard, when
// mount is not nil) until ctx ends, then lets the runs in progress stop
// gracefully.
func serveMCPHTTP(ctx context.Context, srv *mcpserver.Server, addr, where string, stderr interface{ Write([]byte) (int, error) },
	mount func(*http.ServeMux, string) (func(), error)) error {
	token := os.Getenv(mcpserver.TokenEnv)
	if err := mcpserver.CheckListen(addr, token); err != nil {
		return exitWith(exitUsage, err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return exitWith(exitUsage, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", srv.HTTPHandler(mcpserver.HTTPOptions{Token: token}))
	if mount != nil {
		closeUI, err := mount(mux, token)
		if err != nil {
			ln.Close()
			return err
		}
		defer closeUI()
		fmt.Fprintf(stderr, "loadgen mcp: dashboard at http://%s%s\n", ln.Addr(), uiMount)
	}
	auth := "no token (loopback only)"
	if token != "" {
		auth = "bearer token required"
	}
	fmt.Fprintf(stderr, "loadgen mcp: streamable HTTP at http://%s/mcp (%s); artifacts in %s\n", ln.Addr(), auth, where)
	return serveUntilDone(ctx, ln, mux)
}
