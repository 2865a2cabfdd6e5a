package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/loadgen/loadgen/mcpserver/proxy"
)

// functionURLOutput is the stack output holding the MCP function URL
// (infra/stack: OutputFunctionURL).
const functionURLOutput = "FunctionUrl"

func newMCPProxyCmd() *cobra.Command {
	var rawURL, stack, region string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "mcp-proxy (--url FUNCTION_URL | --stack NAME)",
		Short: "Relay a stdio MCP client to the deployed MCP Lambda, signing each request with SigV4",
		Long: `Speaks MCP on stdin/stdout to a local client (Claude Desktop, an IDE, any stdio
MCP client) and forwards every message to the MCP server's function URL
(streamable HTTP), signing each request with AWS SigV4 for the function URL's
AWS_IAM auth. Credentials come from the AWS SDK's default chain (environment,
AWS_PROFILE, SSO, instance role); they need lambda:InvokeFunctionUrl on the
function. --stack reads the URL from the stack's FunctionUrl output.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			if (rawURL == "") == (stack == "") {
				return exitWith(exitUsage, errors.New("mcp-proxy: give one of --url or --stack"))
			}
			var opts []func(*config.LoadOptions) error
			if region != "" {
				opts = append(opts, config.WithRegion(region))
			}
			awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
			if err != nil {
				return exitWith(exitRuntime, fmt.Errorf("mcp-proxy: AWS configuration: %w", err))
			}
			if stack != "" {
				if rawURL, err = stackOutput(ctx, cloudformation.NewFromConfig(awsCfg), stack, functionURLOutput); err != nil {
					return exitWith(exitRuntime, fmt.Errorf("mcp-proxy: %w", err))
				}
			}
			u, err := proxy.CheckURL(rawURL)
			if err != nil {
				return exitWith(exitUsage, fmt.Errorf("mcp-proxy: --url: %w", err))
			}
			if r := proxy.RegionOf(u); r != "" && region == "" {
				awsCfg.Region = r
			}
			if awsCfg.Region == "" {
				return exitWith(exitUsage, errors.New("mcp-proxy: no AWS region: give --region or set AWS_REGION"))
			}
			remote := &mcp.StreamableClientTransport{
				Endpoint:   u.String(),
				HTTPClient: proxy.SignedClient(awsCfg.Credentials, "lambda", awsCfg.Region, timeout),
				// A stateless function has no stream to resume.
				DisableStandaloneSSE: true,
			}
			if err := proxy.Relay(ctx, &mcp.StdioTransport{}, remote); err != nil && ctx.Err() == nil {
				return exitWith(exitRuntime, fmt.Errorf("mcp-proxy: %w", err))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&rawURL, "url", "", "the MCP function URL (https://…lambda-url.REGION.on.aws/)")
	cmd.Flags().StringVar(&stack, "stack", "", "read the URL from this CloudFormation stack's FunctionUrl output")
	cmd.Flags().StringVar(&region, "region", "", "AWS region (default: from the URL, else the AWS configuration)")
	cmd.Flags().DurationVar(&timeout, "timeout", 15*time.Minute, "timeout per request (a function URL allows 15 min)")
	return cmd
}

// stackOutput is the value of a CloudFormation stack's output key.
func stackOutput(ctx context.Context, cfn *cloudformation.Client, stack, key string) (string, error) {
	out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		return "", fmt.Errorf("describe stack %s: %w", stack, err)
	}
	if len(out.Stacks) == 0 {
		return "", fmt.Errorf("stack %s not found", stack)
	}
	for _, o := range out.Stacks[0].Outputs {
		if aws.ToString(o.OutputKey) == key {
			return aws.ToString(o.OutputValue), nil
		}
	}
	return "", fmt.Errorf("stack %s has no %s output", stack, key)
}
