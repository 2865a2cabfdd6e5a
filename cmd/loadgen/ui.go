package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/loadgen/loadgen/mcpserver"
	"github.com/loadgen/loadgen/mcpserver/store"
	"github.com/loadgen/loadgen/mcpserver/ui"
)

// uiMount is where `loadgen mcp --http ADDR --ui` serves the dashboard.
const uiMount = "/ui/"

// serverFlags are the MCP server's settings that `loadgen ui` shares with
// `loadgen mcp`: store, document roots, allowlist, caps and AI provider.
type serverFlags struct {
	ai        aiFlags
	artifacts string
	docsRoots []string
	allow     []string
	lim       mcpserver.Limits
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
}

// config reads the environment (mcpserver.ConfigFromEnv) and applies the
// flags given on top, as `loadgen mcp` does.
func (f *serverFlags) config(ctx context.Context, cmd *cobra.Command) (mcpserver.Config, error) {
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
		return cfg, exitWith(exitUsage, err)
	}
	if cmd.Flags().Changed("provider") || cmd.Flags().Changed("repairs") {
		if cfg.Provider, err = f.ai.model(ctx, cmd.ErrOrStderr()); err != nil {
			return cfg, err
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
	return cfg, nil
}

// storeWhere describes a store for the startup line.
func storeWhere(st store.Store) string {
	if l, ok := st.(*store.Local); ok {
		return l.Root()
	}
	return st.String()
}

func newUICmd() *cobra.Command {
	var f serverFlags
	var addr string
	cmd := &cobra.Command{
		Use:   "ui [--addr 127.0.0.1:8780]",
		Short: "Serve the web dashboard: sessions, artifacts, tool forms, live runs, reports, comparisons",
		Long: `Serves loadgen's web dashboard: the artifact store's sessions with their plans (YAML, Java DSL,
JMX), runs and analyses; a form for every MCP tool; a live view of a run with a cancel button; the
HTML reports; and a comparison of two analysed runs. Tools run through the MCP server in this process,
with the same safety checks as ` + "`loadgen mcp`" + ` (target allowlist, document roots, caps). A
non-loopback --addr needs a token in LOADGEN_MCP_TOKEN, asked for by a login form. Flags add to the
environment (LOADGEN_ARTIFACTS, LOADGEN_DOCS_ROOTS, LOADGEN_ALLOW_TARGETS, LOADGEN_MAX_*).
` + "`loadgen mcp --http ADDR --ui`" + ` serves the same dashboard at /ui/ beside /mcp.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			stderr := cmd.ErrOrStderr()
			token := os.Getenv(mcpserver.TokenEnv)
			if err := mcpserver.CheckListen(addr, token); err != nil {
				return exitWith(exitUsage, err)
			}
			cfg, err := f.config(ctx, cmd)
			if err != nil {
				return err
			}
			srv, err := mcpserver.New(cfg)
			if err != nil {
				return exitWith(exitUsage, err)
			}
			defer srv.Close()
			dash, err := ui.New(ctx, srv, ui.Options{Store: cfg.Store, Token: token, Logger: cfg.Logger})
			if err != nil {
				return exitWith(exitRuntime, err)
			}
			defer dash.Close()
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return exitWith(exitUsage, err)
			}
			auth := "no token (loopback only)"
			if token != "" {
				auth = "token required"
			}
			fmt.Fprintf(stderr, "loadgen ui: dashboard at http://%s/ (%s); artifacts in %s\n", ln.Addr(), auth, storeWhere(cfg.Store))
			return serveUntilDone(ctx, ln, dash)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8780", "address to serve the dashboard on")
	return cmd
}

// serveUntilDone serves h on ln until ctx ends, then shuts the server
// down within 5 seconds.
func serveUntilDone(ctx context.Context, ln net.Listener, h http.Handler) error {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
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

// mountUI adds the dashboard to the mux of `loadgen mcp --http` at
// uiMount and returns the function that closes it.
func mountUI(ctx context.Context, mux *http.ServeMux, srv *mcpserver.Server, st store.Store, token string, stderr io.Writer) (func(), error) {
	dash, err := ui.New(ctx, srv, ui.Options{Store: st, Token: token, Base: uiMount,
		Logger: slog.New(slog.NewTextHandler(stderr, nil))})
	if err != nil {
		return nil, exitWith(exitRuntime, err)
	}
	mux.Handle(uiMount, http.StripPrefix(uiMount[:len(uiMount)-1], dash))
	return func() { _ = dash.Close() }, nil
}
