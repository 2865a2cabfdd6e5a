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

	"github.com/loadgen/loadgen/mcpserver"
	"github.com/loadgen/loadgen/mcpserver/store"
)

func newMCPCmd() *cobra.Command {
	var ai aiFlags
	var httpAddr, artifacts string
	var withUI bool
	var docsRoots, allow []string
	var lim mcpserver.Limits
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
			getenv := os.Getenv
			if artifacts != "" {
				getenv = func(k string) string {
					if k == mcpserver.ArtifactsEnv {
						return artifacts
					}
					return os.Getenv(k)
				}
			}
			cfg, err := mcpserver.ConfigFromEnv(ctx, getenv)
			if err != nil {
				return exitWith(exitUsage, err)
			}
			if cmd.Flags().Changed("provider") || cmd.Flags().Changed("repairs") {
				if cfg.Provider, err = ai.model(ctx, stderr); err != nil {
					return err
				}
				cfg.Repairs = ai.repairs
			}
			cfg.DocsRoots = append(cfg.DocsRoots, docsRoots...)
			cfg.AllowTargets = append(cfg.AllowTargets, allow...)
			for _, set := range []struct {
				flag string
				f    func()
			}{
				{"max-rate", func() { cfg.Limits.MaxRate = lim.MaxRate }},
				{"max-vus", func() { cfg.Limits.MaxVUs = lim.MaxVUs }},
				{"max-duration", func() { cfg.Limits.MaxDuration = lim.MaxDuration }},
				{"max-runs", func() { cfg.Limits.MaxRuns = lim.MaxRuns }},
			} {
				if cmd.Flags().Changed(set.flag) {
					set.f()
				}
			}
			cfg.Logger = slog.New(slog.NewTextHandler(stderr, nil))
			srv, err := mcpserver.New(cfg)
			if err != nil {
				return exitWith(exitUsage, err)
			}
			defer srv.Close()
			where := cfg.Store.String()
			if l, ok := cfg.Store.(*store.Local); ok {
				where = l.Root()
			}
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
	ai.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&httpAddr, "http", "", "serve streamable HTTP on this address (e.g. 127.0.0.1:8765) instead of stdio")
	fl.BoolVar(&withUI, "ui", false, "with --http, also serve the web dashboard at /ui/ (same token)")
	fl.StringVar(&artifacts, "artifacts", "", "artifact store: a folder or s3://bucket/prefix (default: $LOADGEN_ARTIFACTS, else ~/.local/share/loadgen/artifacts)")
	fl.StringArrayVar(&docsRoots, "docs-root", nil, "folder analyze_architecture may read documents from (repeatable)")
	fl.StringArrayVar(&allow, "allow-target", nil, "extra allowed target: HOST, HOST:PORT or CIDR (repeatable; loopback is always allowed)")
	fl.Float64Var(&lim.MaxRate, "max-rate", mcpserver.DefaultLimits.MaxRate, "highest arrival rate of a plan, per second")
	fl.IntVar(&lim.MaxVUs, "max-vus", mcpserver.DefaultLimits.MaxVUs, "most VUs of a plan")
	fl.DurationVar(&lim.MaxDuration, "max-duration", mcpserver.DefaultLimits.MaxDuration, "longest a plan may run")
	fl.IntVar(&lim.MaxRuns, "max-runs", mcpserver.DefaultLimits.MaxRuns, "runs in progress at once")
	return cmd
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
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	auth := "no token (loopback only)"
	if token != "" {
		auth = "bearer token required"
	}
	fmt.Fprintf(stderr, "loadgen mcp: streamable HTTP at http://%s/mcp (%s); artifacts in %s\n", ln.Addr(), auth, where)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return exitWith(exitRuntime, err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(shut)
	return nil
}
