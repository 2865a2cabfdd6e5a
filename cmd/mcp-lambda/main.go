// Command mcp-lambda is the loadgen MCP server as an AWS Lambda function
// behind a function URL (AWS_IAM auth, invoke mode RESPONSE_STREAM). Build
// the `bootstrap` of a provided.al2023 arm64 function with
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -o bootstrap ./cmd/mcp-lambda
//
// It is configured by the environment (see mcpserver.ConfigFromEnv):
// LOADGEN_ARTIFACTS=s3://bucket/prefix (or S3_BUCKET_NAME),
// LOADGEN_ALLOW_TARGETS, LOADGEN_DOCS_ROOTS, the LOADGEN_MAX_* caps and the
// AI provider's variables. Stateless: runs go to ECS, not to the function.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/loadgen/loadgen/mcpserver"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	cfg, err := mcpserver.ConfigFromEnv(context.Background(), os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mcp-lambda:", err)
		os.Exit(1)
	}
	cfg.Stateless, cfg.Logger = true, log
	srv, err := mcpserver.New(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mcp-lambda:", err)
		os.Exit(1)
	}
	lambda.Start(srv.Lambda())
}
