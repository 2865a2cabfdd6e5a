package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecspatterns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsservicediscovery"
	"github.com/aws/jsii-runtime-go"
)

// demoPort is the demo target's container port.
const demoPort = 8080

type demoProps struct {
	vpc       awsec2.IVpc
	cluster   awsecs.ICluster
	image     awsecs.ContainerImage
	namespace awsservicediscovery.INamespace
	workers   awsec2.ISecurityGroup
	subnets   *awsec2.SubnetSelection
	publicIP  bool
	retention awslogs.RetentionDays
}

// addDemoTarget runs `loadgen demo-target` (the image's binary) as a
// two-task Fargate service behind an internal ALB on port 80 that admits
// the workers only, and returns the ALB's URL.
func addDemoTarget(stack awscdk.Stack, d demoProps) *string {
	logs := awslogs.NewLogGroup(stack, jsii.String("DemoLogs"), &awslogs.LogGroupProps{
		Retention:     d.retention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	albSG := awsec2.NewSecurityGroup(stack, jsii.String("DemoAlbSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              d.vpc,
		Description:      jsii.String("demo target load balancer: HTTP from the loadgen workers only"),
		AllowAllOutbound: jsii.Bool(false),
	})
	albSG.AddIngressRule(d.workers, awsec2.Port_Tcp(jsii.Number(80)), jsii.String("loadgen workers"), jsii.Bool(false))
	alb := awselasticloadbalancingv2.NewApplicationLoadBalancer(stack, jsii.String("DemoAlb"), &awselasticloadbalancingv2.ApplicationLoadBalancerProps{
		Vpc:            d.vpc,
		InternetFacing: jsii.Bool(false),
		SecurityGroup:  albSG,
		VpcSubnets:     &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC},
		// No deletion protection: `cdk destroy` must succeed (the
		// original's UI stack could not be destroyed).
		DeletionProtection:      jsii.Bool(false),
		DropInvalidHeaderFields: jsii.Bool(true),
	})
	svc := awsecspatterns.NewApplicationLoadBalancedFargateService(stack, jsii.String("Demo"), &awsecspatterns.ApplicationLoadBalancedFargateServiceProps{
		Cluster:            d.cluster,
		LoadBalancer:       alb,
		OpenListener:       jsii.Bool(false),
		PublicLoadBalancer: jsii.Bool(false),
		ListenerPort:       jsii.Number(80),
		DesiredCount:       jsii.Number(2),
		Cpu:                jsii.Number(256),
		MemoryLimitMiB:     jsii.Number(512),
		RuntimePlatform: &awsecs.RuntimePlatform{
			CpuArchitecture:       awsecs.CpuArchitecture_ARM64(),
			OperatingSystemFamily: awsecs.OperatingSystemFamily_LINUX(),
		},
		TaskSubnets:    d.subnets,
		AssignPublicIp: jsii.Bool(d.publicIP),
		TaskImageOptions: &awsecspatterns.ApplicationLoadBalancedTaskImageOptions{
			Image:         d.image,
			ContainerName: jsii.String("demo"),
			ContainerPort: jsii.Number(demoPort),
			Command:       jsii.Strings("demo-target", "--addr", "0.0.0.0:8080", "--allow-non-loopback"),
			LogDriver: awsecs.LogDrivers_AwsLogs(&awsecs.AwsLogDriverProps{
				StreamPrefix: jsii.String("demo"),
				LogGroup:     logs,
			}),
		},
		CloudMapOptions: &awsecs.CloudMapOptions{
			Name:              jsii.String("demo"),
			CloudMapNamespace: d.namespace,
			DnsRecordType:     awsservicediscovery.DnsRecordType_A,
			ContainerPort:     jsii.Number(demoPort),
		},
		CircuitBreaker: &awsecs.DeploymentCircuitBreaker{Rollback: jsii.Bool(true)},
	})
	svc.TargetGroup().ConfigureHealthCheck(&awselasticloadbalancingv2.HealthCheck{
		Path: jsii.String("/health"),
	})
	// The workers reach the tasks directly by Cloud Map name too.
	svc.Service().Connections().AllowFrom(d.workers, awsec2.Port_Tcp(jsii.Number(demoPort)), jsii.String("loadgen workers by Cloud Map name"))
	d.workers.AddEgressRule(awsec2.Peer_Ipv4(d.vpc.VpcCidrBlock()), awsec2.Port_Tcp(jsii.Number(demoPort)), jsii.String("demo target tasks"), jsii.Bool(false))
	suppress(alb, "AwsSolutions-ELB2", "Access logs of a demo target's load balancer carry no information worth their bucket.")
	suppress(svc.TaskDefinition(), "AwsSolutions-IAM5", "ecr:GetAuthorizationToken supports only Resource \"*\" (AWS requirement).", "Resource::*")
	return jsii.String("http://" + *alb.LoadBalancerDnsName())
}
