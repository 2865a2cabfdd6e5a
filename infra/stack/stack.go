// Package stack defines the loadgen performance-testing CDK stack: a VPC,
// an ECS cluster with the Fargate worker task definition, the artifacts
// bucket, the workers' log group and the MCP Lambda behind an IAM-signed
// function URL. Its CloudFormation outputs are the ones the ECS backend
// reads (loadgen/dist/ecs_stack.go).
//
// No resource gets a fixed physical name: every name derives from the
// stack, so two deployments (two stack names) coexist in one account and
// region.
package stack

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecrassets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsservicediscovery"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// CloudFormation output keys. The first ones mirror the constants of
// loadgen/dist/ecs_stack.go (kept as literals: the infra module does not
// import the main module, so that each builds on its own).
const (
	OutputCluster         = "ClusterName"
	OutputTaskDefinition  = "TaskDefinitionArn"
	OutputContainer       = "WorkerContainerName"
	OutputSubnets         = "Subnets"
	OutputSecurityGroup   = "SecurityGroupId"
	OutputArtifactsBucket = "ArtifactsBucket"
	OutputLogGroup        = "LogGroupName"
	OutputLogStreamPrefix = "LogStreamPrefix"
	OutputAssignPublicIP  = "AssignPublicIp"
	OutputFunctionURL     = "FunctionUrl"
	OutputVpcID           = "VpcId"
	OutputDemoTargetURL   = "DemoTargetUrl"
	OutputDashboardURL    = "DashboardUrl"
	OutputDashboardToken  = "DashboardTokenSecretArn"
	OutputDashboardMCP    = "DashboardMcpUrl"
)

// workerImageExcludes are left out of the worker image's build context.
var workerImageExcludes = []string{".git", "**/node_modules", "**/cdk.out", "**/testdata", "bench", "build", "infra/*", "!infra/worker.Dockerfile"}

// WorkerContainer is the worker container's name in the task definition.
const WorkerContainer = "worker"

// LogStreamPrefix is the workers' awslogs stream prefix.
const LogStreamPrefix = "loadgen"

// Props configures the stack; zero fields take the defaults below.
type Props struct {
	awscdk.StackProps
	// WorkerCPU is the worker task's CPU units (default 512).
	WorkerCPU int
	// WorkerMemoryMiB is the worker task's memory (default 1024).
	WorkerMemoryMiB int
	// TargetPorts are the TCP ports workers may connect to, anywhere
	// (default 80, 443, 8080).
	TargetPorts []int
	// NATGateways is the number of NAT gateways (default 0). With none,
	// the workers run in the public subnets with a public IP (no NAT
	// cost); with some, they run in private subnets behind them.
	NATGateways int
	// LogRetentionDays is the log groups' retention (default 14); it must
	// be one CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, …).
	LogRetentionDays int
	// BedrockModelArns are the models (or inference profiles) the MCP
	// Lambda may invoke; none: no Bedrock permission.
	BedrockModelArns []string
	// LambdaAssetDir is a directory holding the MCP Lambda's `bootstrap`
	// (built for linux/arm64 before synth). Required.
	LambdaAssetDir string
	// WorkerImageDir is the Docker build context of the worker image (a
	// directory with a Dockerfile whose entrypoint is the loadgen binary).
	// Synth only stages it; deploy builds it. Required.
	WorkerImageDir string
	// WorkerDockerfile is the Dockerfile's path inside WorkerImageDir
	// (default "Dockerfile").
	WorkerDockerfile string
	// AccessLogs adds a bucket for the artifacts bucket's server access
	// logs (off by default: every worker upload is a logged request).
	AccessLogs bool
	// PrivateWorkers runs the workers in the private subnets even without
	// NAT gateways (isolated: they reach only targets inside the VPC, such
	// as the demo target, and AWS services through the VPC endpoints).
	PrivateWorkers bool
	// DemoTarget adds the demo target (`loadgen demo-target`) as a Fargate
	// service behind an internal load balancer on port 80, which only the
	// workers may reach, registered as demo.<namespace> too.
	DemoTarget bool
	// Dashboard adds a stateful MCP server with the web dashboard
	// (`loadgen mcp --http --ui`) as a Fargate service behind an internal
	// load balancer on port 80, open to DashboardCIDRs (default: the VPC),
	// its token in a Secrets Manager secret. It has the Lambda's
	// permissions (sessions in the bucket, runs on the workers) and, being
	// a process that stays, follows ECS runs to their end.
	Dashboard bool
	// DashboardCIDRs may reach the dashboard (e.g. a VPN's range).
	DashboardCIDRs []string
	// FlowLogs records the VPC's rejected flows in CloudWatch Logs (off
	// by default; accepted flows are never logged: they are the load).
	FlowLogs bool
}

func (p *Props) withDefaults() Props {
	var q Props
	if p != nil {
		q = *p
	}
	if q.WorkerCPU == 0 {
		q.WorkerCPU = 512
	}
	if q.WorkerMemoryMiB == 0 {
		q.WorkerMemoryMiB = 1024
	}
	if len(q.TargetPorts) == 0 {
		q.TargetPorts = []int{80, 443, 8080}
	}
	if q.LogRetentionDays == 0 {
		q.LogRetentionDays = 14
	}
	return q
}

var retentions = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS,
	5: awslogs.RetentionDays_FIVE_DAYS, 7: awslogs.RetentionDays_ONE_WEEK,
	14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS,
	120: awslogs.RetentionDays_FOUR_MONTHS, 150: awslogs.RetentionDays_FIVE_MONTHS,
	180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS,
	731: awslogs.RetentionDays_TWO_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS,
}

// NewPerformanceTestingStack defines the stack. It panics on invalid
// props (missing asset directories, an unsupported retention, ports out
// of range), as CDK constructs do.
func NewPerformanceTestingStack(scope constructs.Construct, id string, props *Props) awscdk.Stack {
	p := props.withDefaults()
	if p.LambdaAssetDir == "" {
		panic("stack: LambdaAssetDir is required (a directory holding the MCP Lambda's bootstrap)")
	}
	if p.WorkerImageDir == "" {
		panic("stack: WorkerImageDir is required (the worker image's Docker build context)")
	}
	retention, ok := retentions[p.LogRetentionDays]
	if !ok {
		panic(fmt.Sprintf("stack: LogRetentionDays %d is not a CloudWatch Logs retention", p.LogRetentionDays))
	}
	if p.NATGateways < 0 {
		panic("stack: NATGateways < 0")
	}
	for _, port := range p.TargetPorts {
		if port < 1 || port > 65535 {
			panic(fmt.Sprintf("stack: target port %d out of range", port))
		}
	}

	stack := awscdk.NewStack(scope, &id, &p.StackProps)
	stackName := *stack.StackName()

	// Network. Two AZs; NAT gateways only when asked for (the original
	// deployed two by default, the largest fixed cost of the stack).
	// Without NAT the workers run in the public subnets with a public IP:
	// load targets are on the internet, and isolated subnets could reach
	// only VPC-internal ones.
	privateType := awsec2.SubnetType_PRIVATE_ISOLATED
	if p.NATGateways > 0 {
		privateType = awsec2.SubnetType_PRIVATE_WITH_EGRESS
	}
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs:      jsii.Number(2),
		NatGateways: jsii.Number(float64(p.NATGateways)),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String("public"), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(24)},
			{Name: jsii.String("private"), SubnetType: privateType, CidrMask: jsii.Number(22)},
		},
		// No ALL-traffic flow logs: they would record every load-test
		// connection (a cost the original paid). Rejected flows only, on
		// request (FlowLogs).
	})
	if p.FlowLogs {
		vpc.AddFlowLog(jsii.String("RejectedFlows"), &awsec2.FlowLogOptions{
			TrafficType: awsec2.FlowLogTrafficType_REJECT,
			Destination: awsec2.FlowLogDestination_ToCloudWatchLogs(awslogs.NewLogGroup(stack, jsii.String("FlowLogs"), &awslogs.LogGroupProps{
				Retention:     retention,
				RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
			}), nil),
		})
	} else {
		suppress(vpc, "AwsSolutions-VPC7", "Flow logs are optional (context flowLogs=true logs rejected flows); logging all flows would record every load-test connection.")
	}
	// S3 through a gateway endpoint (free): plans and results, and the
	// ECR image layers, which ECR serves from S3.
	vpc.AddGatewayEndpoint(jsii.String("S3Endpoint"), &awsec2.GatewayVpcEndpointOptions{
		Service: awsec2.GatewayVpcEndpointAwsService_S3(),
	})
	taskSubnets := &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC}
	assignPublicIP := "ENABLED"
	if p.NATGateways > 0 || p.PrivateWorkers {
		taskSubnets = &awsec2.SubnetSelection{SubnetType: privateType}
		assignPublicIP = "DISABLED"
		// Tasks in private subnets pull the image and write logs through
		// interface endpoints: without NAT there is no other way, and with
		// NAT they save its data processing (charged per GB). In public subnets with a public
		// IP the tasks reach these services directly, so the endpoints
		// (charged per hour and AZ) are not created.
		for _, e := range []struct {
			id  string
			svc awsec2.InterfaceVpcEndpointAwsService
		}{
			{"EcrApiEndpoint", awsec2.InterfaceVpcEndpointAwsService_ECR()},
			{"EcrDkrEndpoint", awsec2.InterfaceVpcEndpointAwsService_ECR_DOCKER()},
			{"LogsEndpoint", awsec2.InterfaceVpcEndpointAwsService_CLOUDWATCH_LOGS()},
		} {
			ep := vpc.AddInterfaceEndpoint(jsii.String(e.id), &awsec2.InterfaceVpcEndpointOptions{
				Service: e.svc,
				Subnets: taskSubnets,
			})
			// cdk-nag cannot resolve the VPC CIDR the endpoint's security
			// group admits (443 from inside the VPC only).
			suppress(ep, "CdkNagValidationFailure", "The endpoint security group admits TCP 443 from the VPC CIDR only (an intrinsic cdk-nag cannot resolve for AwsSolutions-EC23).")
		}
	}
	subnetIDs := vpc.SelectSubnets(taskSubnets).SubnetIds

	// The workers' security group: no ingress (workers only connect out);
	// egress to the target ports anywhere, since targets may be anywhere
	// (the original allowed only 80 inside the VPC, making 8080/3000
	// targets unreachable), plus 443 for the AWS APIs (S3, ECR, CloudWatch
	// Logs, directly or through the endpoints). DNS to the VPC resolver
	// needs no rule: security groups do not filter it.
	sg := awsec2.NewSecurityGroup(stack, jsii.String("WorkerSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              vpc,
		Description:      jsii.String("loadgen workers: egress to the target ports and AWS APIs only"),
		AllowAllOutbound: jsii.Bool(false),
	})
	for _, port := range egressPorts(p.TargetPorts) {
		desc := fmt.Sprintf("load-test targets on TCP %d", port)
		if port == 443 {
			desc = "load-test targets and AWS APIs on TCP 443"
		}
		sg.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(float64(port))), jsii.String(desc), jsii.Bool(false))
	}

	// A private DNS namespace for services the workers may address by name
	// (e.g. a demo target); its name derives from the stack.
	namespace := awsservicediscovery.NewPrivateDnsNamespace(stack, jsii.String("Namespace"), &awsservicediscovery.PrivateDnsNamespaceProps{
		Name:        jsii.String(dnsLabel(stackName) + ".loadgen.internal"),
		Vpc:         vpc,
		Description: jsii.String("loadgen private namespace of stack " + stackName),
	})

	// No Container Insights: per-task metrics cost more than they tell
	// about short-lived load workers (the summary comes from the workers).
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{Vpc: vpc})
	suppress(cluster, "AwsSolutions-ECS4", "Container Insights is off on purpose: load workers are short-lived and report their own metrics (summary, live status).")

	logGroup := awslogs.NewLogGroup(stack, jsii.String("WorkerLogs"), &awslogs.LogGroupProps{
		Retention:     retention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})

	// Artifacts: plans and worker outputs. Kept on `cdk destroy`
	// (RETAIN): it holds the run results, and deleting them should be a
	// decision, not a side effect. DESTROY without auto-delete would make
	// `cdk destroy` fail on a non-empty bucket, and auto-delete adds a
	// custom-resource Lambda able to empty the bucket. A retained bucket
	// blocks nothing: its name is generated, so a redeploy gets a new one,
	// and the lifecycle rules below empty it within about 40 days.
	var accessLogs awss3.Bucket
	var accessLogsPrefix *string
	if p.AccessLogs {
		accessLogsPrefix = jsii.String("artifacts/")
		accessLogs = awss3.NewBucket(stack, jsii.String("AccessLogs"), &awss3.BucketProps{
			Encryption:        awss3.BucketEncryption_S3_MANAGED,
			BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
			EnforceSSL:        jsii.Bool(true),
			ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_PREFERRED,
			RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
			LifecycleRules: &[]*awss3.LifecycleRule{
				{Id: jsii.String("expire-logs"), Expiration: awscdk.Duration_Days(jsii.Number(90))},
			},
		})
		suppress(accessLogs, "AwsSolutions-S1", "This is the access-log bucket; logging its own accesses would loop.")
	}
	bucket := awss3.NewBucket(stack, jsii.String("Artifacts"), &awss3.BucketProps{
		ServerAccessLogsBucket: accessLogs,
		ServerAccessLogsPrefix: accessLogsPrefix,
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		Versioned:              jsii.Bool(true),
		RemovalPolicy:          awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{
			{
				Id:                                  jsii.String("expire-runs"),
				Expiration:                          awscdk.Duration_Days(jsii.Number(30)),
				NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(7)),
				AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
			},
			{
				Id:                        jsii.String("expired-delete-markers"),
				ExpiredObjectDeleteMarker: jsii.Bool(true),
			},
		},
	})
	if !p.AccessLogs {
		suppress(bucket, "AwsSolutions-S1", "Server access logs are optional (context accessLogs=true); every worker upload would be a logged request.")
	}

	// Worker task. Both roles are explicit so that the Lambda may pass
	// exactly these two.
	execRole := awsiam.NewRole(stack, jsii.String("WorkerExecutionRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("ecs-tasks.amazonaws.com"), nil),
	})
	taskRole := awsiam.NewRole(stack, jsii.String("WorkerTaskRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("ecs-tasks.amazonaws.com"), nil),
	})
	// One image for the workers and the optional demo target: the loadgen
	// binary.
	image := awsecs.ContainerImage_FromAsset(jsii.String(p.WorkerImageDir), &awsecs.AssetImageProps{
		Platform: awsecrassets.Platform_LINUX_ARM64(),
		File:     jsii.String(p.dockerfile()),
		// The context is usually the repository root, which holds the
		// cloud assembly (infra/cdk.out) and .git: stage only what the
		// build needs (as infra/worker.Dockerfile.dockerignore does).
		Exclude: jsii.Strings(workerImageExcludes...),
	})
	td := awsecs.NewFargateTaskDefinition(stack, jsii.String("WorkerTask"), &awsecs.FargateTaskDefinitionProps{
		Cpu:            jsii.Number(float64(p.WorkerCPU)),
		MemoryLimitMiB: jsii.Number(float64(p.WorkerMemoryMiB)),
		RuntimePlatform: &awsecs.RuntimePlatform{
			CpuArchitecture:       awsecs.CpuArchitecture_ARM64(),
			OperatingSystemFamily: awsecs.OperatingSystemFamily_LINUX(),
		},
		ExecutionRole: execRole,
		TaskRole:      taskRole,
	})
	td.AddContainer(jsii.String(WorkerContainer), &awsecs.ContainerDefinitionOptions{
		ContainerName: jsii.String(WorkerContainer),
		Image:         image,
		// The image's entrypoint is the loadgen binary.
		Command:   jsii.Strings("worker"),
		Essential: jsii.Bool(true),
		// Time for a worker to flush and upload its outputs on StopTask
		// (Fargate's maximum is 120 s).
		StopTimeout: awscdk.Duration_Seconds(jsii.Number(120)),
		Logging: awsecs.LogDrivers_AwsLogs(&awsecs.AwsLogDriverProps{
			StreamPrefix: jsii.String(LogStreamPrefix),
			LogGroup:     logGroup,
		}),
	})

	// (After AddContainer, which adds the pull permissions.)
	// ecr:GetAuthorizationToken, which the execution role needs to pull
	// the image, has no resource-level permission: AWS requires "*".
	suppress(execRole, "AwsSolutions-IAM5", "ecr:GetAuthorizationToken supports only Resource \"*\" (AWS requirement); image pulls are scoped to the asset repository.", "Resource::*")

	// The workers read their plan and write their outputs under runs/
	// (and perf-pipeline/<name>/runs/ when a pipeline prefix is used);
	// nothing else in the bucket. The object ARNs carry wildcards because
	// run ids are chosen at run time.
	prefixes := []string{"runs/*", "perf-pipeline/*/runs/*"}
	var objectArns []*string
	for _, pre := range prefixes {
		objectArns = append(objectArns, bucket.ArnForObjects(jsii.String(pre)))
	}
	taskRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("WorkerRunObjects"),
		Actions:   jsii.Strings("s3:GetObject", "s3:PutObject"),
		Resources: &objectArns,
	}))
	taskRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("WorkerListRuns"),
		Actions:   jsii.Strings("s3:ListBucket"),
		Resources: &[]*string{bucket.BucketArn()},
		Conditions: &map[string]interface{}{
			"StringLike": map[string]interface{}{"s3:prefix": prefixes},
		},
	}))
	suppress(taskRole, "AwsSolutions-IAM5", "Run ids are chosen at run time: workers may read and write objects under the run prefixes only.",
		"regex:/^Resource::<Artifacts[0-9A-F]*\\.Arn>\\/(perf-pipeline\\/\\*\\/)?runs\\/\\*$/")

	// The MCP Lambda (outside the VPC: it calls AWS APIs and Bedrock only).
	fnLogs := awslogs.NewLogGroup(stack, jsii.String("McpLogs"), &awslogs.LogGroupProps{
		Retention:     retention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	// An explicit role, so that it carries no AWS managed policy: the
	// function may write only its own log group.
	fnRole := awsiam.NewRole(stack, jsii.String("McpRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
	})
	fnRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("WriteOwnLogs"),
		Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: &[]*string{fnLogs.LogGroupArn()},
	}))
	fn := awslambda.NewFunction(stack, jsii.String("McpFunction"), &awslambda.FunctionProps{
		Role:         fnRole,
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(p.LambdaAssetDir), nil),
		MemorySize:   jsii.Number(1024),
		Timeout:      awscdk.Duration_Minutes(jsii.Number(15)),
		LogGroup:     fnLogs,
		Environment: &map[string]*string{
			"LOADGEN_ARTIFACTS": jsii.String("s3://" + *bucket.BucketName()),
			"LOADGEN_ECS_STACK": jsii.String(stackName),
		},
		Description: jsii.String("loadgen MCP server"),
	})
	url := fn.AddFunctionUrl(&awslambda.FunctionUrlOptions{
		AuthType:   awslambda.FunctionUrlAuthType_AWS_IAM,
		InvokeMode: awslambda.InvokeMode_RESPONSE_STREAM,
	})

	ctl := control{
		stack: stack, stackName: stackName, cluster: cluster, td: td, roles: []awsiam.IRole{execRole, taskRole},
		workerLogs: logGroup, bucket: bucket, models: p.BedrockModelArns,
	}
	ctl.grant(fnRole)
	suppress(fnRole, "AwsSolutions-IAM5", ctl.wildcardReason(), append(ctl.wildcards(), "regex:/^Resource::<McpLogs[0-9A-F]*\\.Arn>:\\*$/")...)

	out := func(key string, value *string, desc string) {
		awscdk.NewCfnOutput(stack, jsii.String(key), &awscdk.CfnOutputProps{
			Value:       value,
			Description: jsii.String(desc),
		})
	}
	out(OutputCluster, cluster.ClusterName(), "ECS cluster of the workers")
	out(OutputTaskDefinition, td.TaskDefinitionArn(), "worker task definition")
	out(OutputContainer, jsii.String(WorkerContainer), "worker container name")
	out(OutputSubnets, awscdk.Fn_Join(jsii.String(","), subnetIDs), "worker subnets, comma-separated")
	out(OutputSecurityGroup, sg.SecurityGroupId(), "worker security group")
	out(OutputArtifactsBucket, bucket.BucketName(), "artifacts bucket (plans and worker outputs)")
	out(OutputLogGroup, logGroup.LogGroupName(), "worker log group")
	out(OutputLogStreamPrefix, jsii.String(LogStreamPrefix), "worker awslogs stream prefix")
	out(OutputAssignPublicIP, jsii.String(assignPublicIP), "whether worker tasks get a public IP")
	out(OutputFunctionURL, url.Url(), "MCP server URL (IAM-signed requests)")
	out(OutputVpcID, vpc.VpcId(), "VPC of the workers")
	svcBase := base{
		vpc: vpc, cluster: cluster, image: image, namespace: namespace,
		subnets: taskSubnets, publicIP: assignPublicIP == "ENABLED", retention: retention,
	}
	if p.DemoTarget {
		// Two tasks of `loadgen demo-target`; only the workers reach them.
		_, url := addService(stack, svcBase, service{
			id: "Demo", name: "demo target", count: 2, port: demoPort, healthPath: "/health", healthCodes: "200",
			command: []string{"demo-target", "--addr", "0.0.0.0:8080", "--allow-non-loopback"},
			from:    []awsec2.IPeer{sg}, fromSG: sg,
		}, "demo")
		sg.AddEgressRule(awsec2.Peer_Ipv4(vpc.VpcCidrBlock()), awsec2.Port_Tcp(jsii.Number(demoPort)), jsii.String("demo target tasks (Cloud Map)"), jsii.Bool(false))
		out(OutputDemoTargetURL, url, "demo target (internal ALB; reachable from the workers)")
	}
	if p.Dashboard {
		addDashboard(stack, svcBase, ctl, p, bucket, stackName, out)
	}
	return stack
}

// suppress records a cdk-nag suppression of rule id on c and its
// children, with the reason; appliesTo narrows it to those findings
// ("regex:/…/" entries are regular expressions).
func suppress(c constructs.IConstruct, id, reason string, appliesTo ...string) {
	s := &cdknag.NagPackSuppression{Id: jsii.String(id), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		var at []interface{}
		for _, a := range appliesTo {
			if re, ok := strings.CutPrefix(a, "regex:"); ok {
				at = append(at, &cdknag.RegexAppliesTo{Regex: jsii.String(re)})
			} else {
				at = append(at, a)
			}
		}
		s.AppliesTo = &at
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(true))
}

// dockerfile is the worker Dockerfile's path in WorkerImageDir.
func (p Props) dockerfile() string {
	if p.WorkerDockerfile == "" {
		return "Dockerfile"
	}
	return p.WorkerDockerfile
}

// egressPorts is ports plus 443 (AWS APIs), deduplicated and sorted.
func egressPorts(ports []int) []int {
	seen := map[int]bool{443: true}
	out := []int{443}
	for _, p := range ports {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Ints(out)
	return out
}

// dnsLabel turns a stack name into a DNS label: lower case, letters,
// digits and hyphens.
func dnsLabel(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	l := strings.Trim(b.String(), "-")
	if len(l) > 63 {
		l = l[:63]
	}
	if l == "" {
		l = "loadgen"
	}
	return l
}
