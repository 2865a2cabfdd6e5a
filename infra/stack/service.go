package stack

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecspatterns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsservicediscovery"
	"github.com/aws/jsii-runtime-go"
)

// demoPort is the demo target's container port.
const demoPort = 8080

// base is what every internal service of the stack shares.
type base struct {
	vpc       awsec2.IVpc
	cluster   awsecs.ICluster
	image     awsecs.ContainerImage
	namespace awsservicediscovery.INamespace
	subnets   *awsec2.SubnetSelection
	publicIP  bool
	retention awslogs.RetentionDays
}

// service is one optional service: the loadgen image running command,
// listening on port, behind an internal ALB on port 80.
type service struct {
	id          string // construct id prefix, also the container and Cloud Map name (lower case)
	name        string // for descriptions
	command     []string
	port        float64
	healthPath  string
	healthCodes string
	count       float64
	env         map[string]*string
	secrets     map[string]awsecs.Secret
	taskRole    awsiam.IRole
	// from may reach the ALB on port 80.
	from   []awsec2.IPeer
	fromSG awsec2.ISecurityGroup // also reaches the tasks directly (Cloud Map)
}

// addService runs s as a Fargate service behind an internal ALB (no
// deletion protection: `cdk destroy` must succeed, which the original's
// UI stack could not) and returns the service and the ALB's URL.
func addService(stack awscdk.Stack, b base, s service, cloudMapName string) (awsecspatterns.ApplicationLoadBalancedFargateService, *string) {
	logs := awslogs.NewLogGroup(stack, jsii.String(s.id+"Logs"), &awslogs.LogGroupProps{
		Retention:     b.retention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	albSG := awsec2.NewSecurityGroup(stack, jsii.String(s.id+"AlbSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              b.vpc,
		Description:      jsii.String(s.name + " load balancer: HTTP from allowed sources only"),
		AllowAllOutbound: jsii.Bool(false),
	})
	for _, peer := range s.from {
		albSG.AddIngressRule(peer, awsec2.Port_Tcp(jsii.Number(80)), jsii.String("allowed clients of the "+s.name), jsii.Bool(false))
	}
	suppress(albSG, "CdkNagValidationFailure", "Ingress is port 80 from the configured peers only; the default peer, the VPC CIDR, is an intrinsic cdk-nag cannot resolve for AwsSolutions-EC23.")
	alb := awselasticloadbalancingv2.NewApplicationLoadBalancer(stack, jsii.String(s.id+"Alb"), &awselasticloadbalancingv2.ApplicationLoadBalancerProps{
		Vpc:                     b.vpc,
		InternetFacing:          jsii.Bool(false),
		SecurityGroup:           albSG,
		VpcSubnets:              &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC},
		DeletionProtection:      jsii.Bool(false),
		DropInvalidHeaderFields: jsii.Bool(true),
	})
	container := strings.ToLower(s.id)
	props := &awsecspatterns.ApplicationLoadBalancedFargateServiceProps{
		Cluster:            b.cluster,
		LoadBalancer:       alb,
		OpenListener:       jsii.Bool(false),
		PublicLoadBalancer: jsii.Bool(false),
		ListenerPort:       jsii.Number(80),
		DesiredCount:       jsii.Number(s.count),
		Cpu:                jsii.Number(256),
		MemoryLimitMiB:     jsii.Number(512),
		RuntimePlatform: &awsecs.RuntimePlatform{
			CpuArchitecture:       awsecs.CpuArchitecture_ARM64(),
			OperatingSystemFamily: awsecs.OperatingSystemFamily_LINUX(),
		},
		TaskSubnets:    b.subnets,
		AssignPublicIp: jsii.Bool(b.publicIP),
		TaskImageOptions: &awsecspatterns.ApplicationLoadBalancedTaskImageOptions{
			Image:         b.image,
			ContainerName: jsii.String(container),
			ContainerPort: jsii.Number(s.port),
			Command:       jsii.Strings(s.command...),
			Environment:   &s.env,
			Secrets:       &s.secrets,
			TaskRole:      s.taskRole,
			LogDriver: awsecs.LogDrivers_AwsLogs(&awsecs.AwsLogDriverProps{
				StreamPrefix: jsii.String(container),
				LogGroup:     logs,
			}),
		},
		CircuitBreaker: &awsecs.DeploymentCircuitBreaker{Rollback: jsii.Bool(true)},
	}
	if cloudMapName != "" {
		props.CloudMapOptions = &awsecs.CloudMapOptions{
			Name:              jsii.String(cloudMapName),
			CloudMapNamespace: b.namespace,
			DnsRecordType:     awsservicediscovery.DnsRecordType_A,
			ContainerPort:     jsii.Number(s.port),
		}
	}
	svc := awsecspatterns.NewApplicationLoadBalancedFargateService(stack, jsii.String(s.id), props)
	svc.TargetGroup().ConfigureHealthCheck(&awselasticloadbalancingv2.HealthCheck{
		Path:             jsii.String(s.healthPath),
		HealthyHttpCodes: jsii.String(s.healthCodes),
	})
	if s.fromSG != nil {
		s.fromSG.AddEgressRule(albSG, awsec2.Port_Tcp(jsii.Number(80)), jsii.String("the "+s.name+" load balancer"), jsii.Bool(false))
		svc.Service().Connections().AllowFrom(s.fromSG, awsec2.Port_Tcp(jsii.Number(s.port)), jsii.String("direct clients of the "+s.name))
	}
	if len(s.env) > 0 {
		suppress(svc.TaskDefinition(), "AwsSolutions-ECS2", "The environment holds only non-secret settings (bucket, stack name, allowed targets); secrets come from Secrets Manager.")
	}
	suppress(alb, "AwsSolutions-ELB2", "Access logs of an internal "+s.name+" load balancer carry no information worth their bucket.")
	suppress(svc.TaskDefinition(), "AwsSolutions-IAM5", "ecr:GetAuthorizationToken supports only Resource \"*\" (AWS requirement).", "Resource::*")
	return svc, jsii.String("http://" + *alb.LoadBalancerDnsName())
}
