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
