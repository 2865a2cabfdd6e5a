package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"
)

// dashboardPort is the dashboard's container port.
const dashboardPort = 8780

// addDashboard runs `loadgen mcp --http --ui` (one task: the MCP server at
// /mcp and the web dashboard at /ui/) behind an internal ALB open to
// p.DashboardCIDRs (default: the VPC), with a generated token in Secrets
// Manager and the MCP Lambda's permissions on its task role.
func addDashboard(stack awscdk.Stack, b base, ctl control, p Props, bucket awss3.IBucket, stackName string, out func(string, *string, string)) {
	token := awssecretsmanager.NewSecret(stack, jsii.String("DashboardToken"), &awssecretsmanager.SecretProps{
		Description: jsii.String("loadgen dashboard login token (LOADGEN_MCP_TOKEN)"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength:     jsii.Number(48),
			ExcludePunctuation: jsii.Bool(true),
		},
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	suppress(token, "AwsSolutions-SMG4", "A static bearer token for the dashboard login; rotate it by putting a new value and restarting the service.")
	role := awsiam.NewRole(stack, jsii.String("DashboardTaskRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("ecs-tasks.amazonaws.com"), nil),
	})
	ctl.grant(role)
	suppress(role, "AwsSolutions-IAM5", ctl.wildcardReason(), ctl.wildcards()...)

	var from []awsec2.IPeer
	for _, c := range p.DashboardCIDRs {
		from = append(from, awsec2.Peer_Ipv4(jsii.String(c)))
	}
	if len(from) == 0 {
		from = []awsec2.IPeer{awsec2.Peer_Ipv4(b.vpc.VpcCidrBlock())}
	}
	_, url := addService(stack, b, service{
		id: "Dashboard", name: "web dashboard", count: 1, port: dashboardPort,
		// The dashboard's login page answers 200 without a token.
		healthPath: "/ui/login", healthCodes: "200",
		// A stateful MCP server (streamable HTTP at /mcp, bearer token)
		// with the dashboard at /ui/: unlike the Lambda it can follow ECS
		// runs to their end.
		command: []string{"mcp", "--http", "0.0.0.0:8780", "--ui"},
		env: map[string]*string{
			"LOADGEN_ARTIFACTS": jsii.String("s3://" + *bucket.BucketName()),
			"LOADGEN_ECS_STACK": jsii.String(stackName),
			// Runs started from the dashboard may load targets in the VPC
			// (the demo target) besides loopback.
			"LOADGEN_ALLOW_TARGETS": b.vpc.VpcCidrBlock(),
		},
		secrets:  map[string]awsecs.Secret{"LOADGEN_MCP_TOKEN": awsecs.Secret_FromSecretsManager(token, nil)},
		taskRole: role,
		from:     from,
	}, "")
	out(OutputDashboardURL, jsii.String(*url+"/ui/"), "web dashboard (internal ALB; log in with the token secret)")
	out(OutputDashboardMCP, jsii.String(*url+"/mcp"), "stateful MCP server, streamable HTTP (internal ALB; Authorization: Bearer <token secret>)")
	out(OutputDashboardToken, token.SecretArn(), "Secrets Manager secret holding the dashboard's login token")
}
