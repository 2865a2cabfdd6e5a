// Command infra is the loadgen CDK app (cdk.json: `go run ./cmd/infra`).
//
// Context flags (cdk deploy -c key=value):
//
//	stackName         stack name (default LoadgenPerf); deploy twice with
//	                  two names to get two independent stacks
//	workerCpu         worker task CPU units (default 512)
//	workerMemory      worker task memory in MiB (default 1024)
//	natGateways       NAT gateways (default 0: workers in public subnets)
//	targetPorts       TCP ports workers may reach, comma-separated
//	                  (default 80,443,8080)
//	logRetentionDays  log retention (default 14)
//	bedrockModelArns  models the MCP Lambda may invoke, comma-separated
//	lambdaAssetDir    directory holding the Lambda's bootstrap
//	                  (default ../build/lambda, relative to infra/)
//	workerImageDir    worker image build context (default .., the
//	                  repository root)
//	workerDockerfile  the Dockerfile inside it (default
//	                  infra/worker.Dockerfile)
//	accessLogs        true: server access logs for the artifacts bucket
//	flowLogs          true: the VPC's rejected flows in CloudWatch Logs
//	privateWorkers    true: workers in the private subnets even without NAT
//	                  (VPC-internal targets only; endpoints for ECR, Logs)
//	dashboard         true: the web dashboard (loadgen ui) on Fargate
//	                  behind an internal ALB (output DashboardUrl)
//	dashboardCidrs    who may reach it, comma-separated (default: the VPC)
//	demo              true: the demo target on Fargate behind an internal
//	                  ALB (output DemoTargetUrl)
//
// The account and region come from CDK_DEFAULT_ACCOUNT/CDK_DEFAULT_REGION
// (set by the cdk CLI from the current credentials).
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/loadgen/loadgen/infra/stack"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	ctx := func(key, def string) string {
		if v, ok := app.Node().TryGetContext(jsii.String(key)).(string); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
		if v, ok := app.Node().TryGetContext(jsii.String(key)).(float64); ok {
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
		return def
	}
	num := func(key string, def int) int {
		s := ctx(key, strconv.Itoa(def))
		n, err := strconv.Atoi(s)
		if err != nil {
			fmt.Fprintf(os.Stderr, "infra: context %s=%q: not an integer\n", key, s)
			jsii.Close()
			os.Exit(2)
		}
		return n
	}
	list := func(key string) []string {
		var out []string
		for v := range strings.SplitSeq(ctx(key, ""), ",") {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
		return out
	}
	var ports []int
	for _, v := range list("targetPorts") {
		n, err := strconv.Atoi(v)
		if err != nil {
			fmt.Fprintf(os.Stderr, "infra: context targetPorts: %q is not a port\n", v)
			jsii.Close()
			os.Exit(2)
		}
		ports = append(ports, n)
	}

	var env *awscdk.Environment
	if acct, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION"); acct != "" || region != "" {
		env = &awscdk.Environment{}
		if acct != "" {
			env.Account = jsii.String(acct)
		}
		if region != "" {
			env.Region = jsii.String(region)
		}
	}

	stack.NewPerformanceTestingStack(app, ctx("stackName", "LoadgenPerf"), &stack.Props{
		StackProps: awscdk.StackProps{
			Env:         env,
			Description: jsii.String("loadgen: distributed load-testing workers on ECS Fargate and the MCP server"),
		},
		WorkerCPU:        num("workerCpu", 512),
		WorkerMemoryMiB:  num("workerMemory", 1024),
		TargetPorts:      ports,
		NATGateways:      num("natGateways", 0),
		LogRetentionDays: num("logRetentionDays", 14),
		BedrockModelArns: list("bedrockModelArns"),
		LambdaAssetDir:   ctx("lambdaAssetDir", "../build/lambda"),
		WorkerImageDir:   ctx("workerImageDir", ".."),
		WorkerDockerfile: ctx("workerDockerfile", "infra/worker.Dockerfile"),
		AccessLogs:       ctx("accessLogs", "false") == "true",
		FlowLogs:         ctx("flowLogs", "false") == "true",
		DemoTarget:       ctx("demo", "false") == "true",
		PrivateWorkers:   ctx("privateWorkers", "false") == "true",
		Dashboard:        ctx("dashboard", "false") == "true",
		DashboardCIDRs:   list("dashboardCidrs"),
	})
	// cdk-nag's AWS Solutions rules: synth fails on any finding the stack
	// neither fixes nor suppresses with a reason.
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	app.Synth(nil)
}
