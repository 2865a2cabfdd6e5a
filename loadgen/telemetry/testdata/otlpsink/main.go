// Command otlpsink is a real OTLP receiver for the telemetry tests: the
// OpenTelemetry Collector's otlpreceiver (gRPC and HTTP/protobuf) with a
// consumer that appends every batch it receives to a file, one JSON
// document per line in the OTLP JSON encoding (the collector's pdata
// marshalers). It lives in its own module so that the collector's
// dependencies stay out of loadgen's go.mod.
//
//	otlpsink -grpc 127.0.0.1:4317 -http 127.0.0.1:4318 -out DIR
//
// It writes DIR/metrics.jsonl and DIR/traces.jsonl, prints "ready" once
// both listeners accept, and stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
)

func main() {
	grpcAddr := flag.String("grpc", "127.0.0.1:4317", "gRPC listen address")
	httpAddr := flag.String("http", "127.0.0.1:4318", "HTTP listen address")
	out := flag.String("out", ".", "folder for metrics.jsonl and traces.jsonl")
	flag.Parse()
	if err := run(*grpcAddr, *httpAddr, *out); err != nil {
		fmt.Fprintln(os.Stderr, "otlpsink:", err)
		os.Exit(1)
	}
}

// sink appends JSON lines to a file.
type sink struct {
	mu sync.Mutex
	f  *os.File
}

func (s *sink) write(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.f.Write(append(b, '\n')); err != nil {
		return err
	}
	return s.f.Sync()
}

func open(dir, name string) (*sink, error) {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	return &sink{f: f}, nil
}

func run(grpcAddr, httpAddr, dir string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ms, err := open(dir, "metrics.jsonl")
	if err != nil {
		return err
	}
	ts, err := open(dir, "traces.jsonl")
	if err != nil {
		return err
	}
	metrics, err := consumer.NewMetrics(func(_ context.Context, md pmetric.Metrics) error {
		b, err := (&pmetric.JSONMarshaler{}).MarshalMetrics(md)
		if err != nil {
			return err
		}
		return ms.write(b)
	})
	if err != nil {
		return err
	}
	traces, err := consumer.NewTraces(func(_ context.Context, td ptrace.Traces) error {
		b, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
		if err != nil {
			return err
		}
		return ts.write(b)
	})
	if err != nil {
		return err
	}

	f := otlpreceiver.NewFactory()
	cfg := f.CreateDefaultConfig().(*otlpreceiver.Config)
	cfg.Protocols.GRPC.GetOrInsertDefault().NetAddr.Endpoint = grpcAddr
	cfg.Protocols.HTTP.GetOrInsertDefault().ServerConfig.NetAddr.Endpoint = httpAddr
	set := receivertest.NewNopSettings(f.Type())
	// The factory shares one receiver between signals with the same config.
	mr, err := f.CreateMetrics(ctx, set, cfg, metrics)
	if err != nil {
		return fmt.Errorf("metrics receiver: %w", err)
	}
	tr, err := f.CreateTraces(ctx, set, cfg, traces)
	if err != nil {
		return fmt.Errorf("traces receiver: %w", err)
	}
	host := componenttest.NewNopHost()
	for _, c := range []component.Component{mr, tr} {
		if err := c.Start(ctx, host); err != nil {
			return fmt.Errorf("start receiver: %w", err)
		}
	}
	fmt.Println("ready")
	<-ctx.Done()
	for _, c := range []component.Component{tr, mr} {
		_ = c.Shutdown(context.Background())
	}
	return nil
}
