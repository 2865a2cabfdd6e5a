// Command fake-api serves the demo fake API (package examples/fake-api)
// until SIGINT or SIGTERM, then shuts down gracefully.
//
//	fake-api [--addr 127.0.0.1:8080] [--delay-min 100ms] [--delay-max 500ms]
//	         [--error-rate 0.05] [--decline-rate 0.02] [--latency-scale 1]
//	         [--seed N] [--token-ttl 1h] [--allow-non-loopback]
//
// The environment sets the defaults the flags override: RESPONSE_DELAY_MIN,
// RESPONSE_DELAY_MAX (seconds, "0.1", or durations, "100ms"), ERROR_RATE,
// RANDOM_SEED, LATENCY_SCALE, and ADDR for the listen address. It listens
// on loopback only unless --allow-non-loopback is given.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	fakeapi "github.com/loadgen/loadgen/examples/fake-api"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run parses the arguments, serves until a signal and returns the exit
// code: 0 after a clean shutdown, 2 for bad arguments, 1 otherwise.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	opts, err := fakeapi.OptionsFromEnv(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "fake-api:", err)
		return 2
	}
	addr := "127.0.0.1:8080"
	if a := getenv("ADDR"); a != "" {
		addr = a
	}
	fs := flag.NewFlagSet("fake-api", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&addr, "addr", addr, "listen address (loopback unless --allow-non-loopback; env ADDR)")
	opts.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "fake-api: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if err := opts.Validate(); err != nil {
		fmt.Fprintln(stderr, "fake-api:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	url, shutdown, err := fakeapi.Start(context.Background(), addr, opts) // not ctx: a signal shuts down gracefully below
	if err != nil {
		fmt.Fprintln(stderr, "fake-api:", err)
		return 1
	}
	fmt.Fprintln(stdout, "fake API listening on", url)
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := shutdown(sctx); err != nil {
		fmt.Fprintln(stderr, "fake-api: shutdown:", err)
		return 1
	}
	return 0
}
