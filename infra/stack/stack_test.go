package stack

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestMain(m *testing.M) {
	// Node 20 is EOL for jsii; it still works but prints a banner per run.
	// The jsii client (and the environment its node child will get) is
	// created by the CDK packages' init functions, before TestMain: close
	// that not yet started client so that the next call starts a new one
	// with this environment.
	if os.Getenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION") == "" {
		os.Setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
		jsii.Close()
	}
	code := m.Run()
	jsii.Close() // stops the node child and removes its temp dir
	os.Exit(code)
}

// synth builds the stack with props (asset directories filled in) and
// returns its template.
func synth(t *testing.T, props Props) assertions.Template {
	t.Helper()
	dir := t.TempDir()
	props.LambdaAssetDir, props.WorkerImageDir = assetDirs(t, dir)
	var tpl assertions.Template
	check(t, func() {
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(filepath.Join(dir, "cdk.out"))})
		s := NewPerformanceTestingStack(app, "Perf", &props)
		tpl = assertions.Template_FromStack(s, nil)
	})
	return tpl
}

// check runs f, turning a panic (failed assertions panic) into t.Fatal.
func check(t *testing.T, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Helper()
			t.Fatalf("%v", r)
		}
	}()
	f()
}

func count(t *testing.T, tpl assertions.Template, typ string, n int) {
	t.Helper()
	check(t, func() { tpl.ResourceCountIs(jsii.String(typ), jsii.Number(float64(n))) })
}

func has(t *testing.T, tpl assertions.Template, typ string, props map[string]interface{}) {
	t.Helper()
	check(t, func() { tpl.HasResourceProperties(jsii.String(typ), props) })
}

// template returns the synthesized template as plain JSON values.
func template(t *testing.T, tpl assertions.Template) map[string]any {
	t.Helper()
	var m map[string]any
	check(t, func() {
		b, err := json.Marshal(tpl.ToJSON())
		if err != nil {
			panic(err)
		}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(err)
		}
	})
	return m
}

func resources(t *testing.T, tpl assertions.Template, typ string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for id, r := range template(t, tpl)["Resources"].(map[string]any) {
		if r := r.(map[string]any); r["Type"] == typ {
			out[id] = r
		}
	}
	return out
}

func arr(vs ...interface{}) *[]interface{} { return &vs }

func obj(m map[string]interface{}) interface{} { return assertions.Match_ObjectLike(&m) }

func TestDefaults(t *testing.T) {
	tpl := synth(t, Props{})

	count(t, tpl, "AWS::EC2::VPC", 1)
	count(t, tpl, "AWS::ECS::Cluster", 1)
	count(t, tpl, "AWS::ECS::TaskDefinition", 1)
	count(t, tpl, "AWS::S3::Bucket", 1)
	count(t, tpl, "AWS::Lambda::Url", 1)
	count(t, tpl, "AWS::EC2::NatGateway", 0)
	count(t, tpl, "AWS::ServiceDiscovery::PrivateDnsNamespace", 1)
	// Without NAT, workers use public subnets and need no interface
	// endpoints; the S3 gateway endpoint is always there.
	count(t, tpl, "AWS::EC2::VPCEndpoint", 1)
	has(t, tpl, "AWS::EC2::VPCEndpoint", map[string]interface{}{"VpcEndpointType": "Gateway"})

	// Artifacts bucket.
	has(t, tpl, "AWS::S3::Bucket", map[string]interface{}{
		"BucketEncryption": map[string]interface{}{
			"ServerSideEncryptionConfiguration": arr(obj(map[string]interface{}{
				"ServerSideEncryptionByDefault": map[string]interface{}{"SSEAlgorithm": "AES256"},
			})),
		},
		"PublicAccessBlockConfiguration": map[string]interface{}{
			"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
		},
		"VersioningConfiguration": map[string]interface{}{"Status": "Enabled"},
		"LifecycleConfiguration": map[string]interface{}{
			"Rules": assertions.Match_ArrayWith(arr(obj(map[string]interface{}{
				"ExpirationInDays":            30,
				"NoncurrentVersionExpiration": map[string]interface{}{"NoncurrentDays": 7},
				"Status":                      "Enabled",
			}))),
		},
	})
	for id, b := range resources(t, tpl, "AWS::S3::Bucket") {
		if _, named := b["Properties"].(map[string]any)["BucketName"]; named {
			t.Errorf("bucket %s has a fixed name", id)
		}
	}
	has(t, tpl, "AWS::S3::BucketPolicy", map[string]interface{}{
		"PolicyDocument": obj(map[string]interface{}{
			"Statement": assertions.Match_ArrayWith(arr(obj(map[string]interface{}{
				"Effect":    "Deny",
				"Action":    "s3:*",
				"Condition": map[string]interface{}{"Bool": map[string]interface{}{"aws:SecureTransport": "false"}},
			}))),
		}),
	})

	// Function URL and Lambda.
	has(t, tpl, "AWS::Lambda::Url", map[string]interface{}{"AuthType": "AWS_IAM", "InvokeMode": "RESPONSE_STREAM"})
	has(t, tpl, "AWS::Lambda::Function", map[string]interface{}{
		"Runtime": "provided.al2023", "Architectures": arr("arm64"), "Handler": "bootstrap",
		"MemorySize": 1024, "Timeout": 900,
		"Environment": map[string]interface{}{"Variables": obj(map[string]interface{}{
			"LOADGEN_ECS_STACK": "Perf",
			"LOADGEN_ARTIFACTS": assertions.Match_AnyValue(),
		})},
	})

	// Worker task.
	has(t, tpl, "AWS::ECS::TaskDefinition", map[string]interface{}{
		"Cpu": "512", "Memory": "1024",
		"RequiresCompatibilities": arr("FARGATE"),
		"RuntimePlatform":         map[string]interface{}{"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"},
		"ContainerDefinitions": arr(obj(map[string]interface{}{
			"Name":        "worker",
			"Command":     arr("worker"),
			"StopTimeout": 120,
			"LogConfiguration": obj(map[string]interface{}{
				"LogDriver": "awslogs",
				"Options":   obj(map[string]interface{}{"awslogs-stream-prefix": "loadgen"}),
			}),
		})),
	})
	has(t, tpl, "AWS::Logs::LogGroup", map[string]interface{}{"RetentionInDays": 14})

	// Security group: no ingress, egress exactly to the target ports.
	if got, want := egress(t, tpl), []int{80, 443, 8080}; !slices.Equal(got, want) {
		t.Errorf("egress ports = %v, want %v", got, want)
	}

	// Outputs the ECS backend and the MCP server read.
	outs := template(t, tpl)["Outputs"].(map[string]any)
	for _, k := range []string{
		OutputCluster, OutputTaskDefinition, OutputContainer, OutputSubnets, OutputSecurityGroup,
		OutputArtifactsBucket, OutputLogGroup, OutputLogStreamPrefix, OutputAssignPublicIP,
		OutputFunctionURL, OutputVpcID,
	} {
		if _, ok := outs[k]; !ok {
			t.Errorf("output %s missing (have %v)", k, keys(outs))
		}
	}
	if v := outs[OutputContainer].(map[string]any)["Value"]; v != "worker" {
		t.Errorf("%s = %v", OutputContainer, v)
	}
	if v := outs[OutputLogStreamPrefix].(map[string]any)["Value"]; v != "loadgen" {
		t.Errorf("%s = %v", OutputLogStreamPrefix, v)
	}
	if v := outs[OutputAssignPublicIP].(map[string]any)["Value"]; v != "ENABLED" {
		t.Errorf("%s = %v, want ENABLED without NAT", OutputAssignPublicIP, v)
	}

	// The Lambda may tag the tasks it starts (RunTask with tags), only then.
	has(t, tpl, "AWS::IAM::Policy", map[string]interface{}{
		"PolicyDocument": obj(map[string]interface{}{
			"Statement": assertions.Match_ArrayWith(arr(obj(map[string]interface{}{
				"Action":    "ecs:TagResource",
				"Condition": map[string]interface{}{"StringEquals": map[string]interface{}{"ecs:CreateAction": "RunTask"}},
			}))),
		}),
	})
	// No AWS managed policy on any role (the Lambda's role is explicit).
	for id, r := range resources(t, tpl, "AWS::IAM::Role") {
		if m, ok := r["Properties"].(map[string]any)["ManagedPolicyArns"]; ok {
			t.Errorf("role %s has managed policies %v", id, m)
		}
	}
	count(t, tpl, "AWS::EC2::FlowLog", 0)

	checkIAM(t, tpl)
	checkNoBedrock(t, tpl)
}

func TestOptionalLogs(t *testing.T) {
	tpl := synth(t, Props{AccessLogs: true, FlowLogs: true})
	count(t, tpl, "AWS::S3::Bucket", 2)
	has(t, tpl, "AWS::S3::Bucket", map[string]interface{}{
		"LoggingConfiguration": obj(map[string]interface{}{"LogFilePrefix": "artifacts/"}),
	})
	count(t, tpl, "AWS::EC2::FlowLog", 1)
	has(t, tpl, "AWS::EC2::FlowLog", map[string]interface{}{"TrafficType": "REJECT", "LogDestinationType": "cloud-watch-logs"})
	checkIAM(t, tpl)
}

func TestNATAndCustomProps(t *testing.T) {
	tpl := synth(t, Props{
		NATGateways: 2, TargetPorts: []int{3000, 8443}, WorkerCPU: 1024, WorkerMemoryMiB: 2048,
		LogRetentionDays: 7,
		BedrockModelArns: []string{"arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-x"},
	})
	count(t, tpl, "AWS::EC2::NatGateway", 2)
	// S3 gateway + ECR api, ECR dkr and Logs interface endpoints.
	count(t, tpl, "AWS::EC2::VPCEndpoint", 4)
	if got, want := egress(t, tpl), []int{443, 3000, 8443}; !slices.Equal(got, want) {
		t.Errorf("egress ports = %v, want %v", got, want)
	}
	has(t, tpl, "AWS::ECS::TaskDefinition", map[string]interface{}{"Cpu": "1024", "Memory": "2048"})
	has(t, tpl, "AWS::Logs::LogGroup", map[string]interface{}{"RetentionInDays": 7})
	outs := template(t, tpl)["Outputs"].(map[string]any)
	if v := outs[OutputAssignPublicIP].(map[string]any)["Value"]; v != "DISABLED" {
		t.Errorf("%s = %v, want DISABLED behind NAT", OutputAssignPublicIP, v)
	}
	has(t, tpl, "AWS::IAM::Policy", map[string]interface{}{
		"PolicyDocument": obj(map[string]interface{}{
			"Statement": assertions.Match_ArrayWith(arr(obj(map[string]interface{}{
				"Action":   arr("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"),
				"Resource": "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-x",
			}))),
		}),
	})
	checkIAM(t, tpl)
}

func TestTwoStacksCoexist(t *testing.T) {
	// No fixed physical names: properties that would name a resource are
	// absent everywhere.
	tpl := template(t, synth(t, Props{}))
	names := []string{"BucketName", "ClusterName", "FunctionName", "LogGroupName", "RoleName", "GroupName", "Family"}
	for id, r := range tpl["Resources"].(map[string]any) {
		props, _ := r.(map[string]any)["Properties"].(map[string]any)
		for _, n := range names {
			if v, ok := props[n]; ok {
				if _, literal := v.(string); literal && n != "Family" {
					t.Errorf("%s has a fixed %s %v", id, n, v)
				}
				if s, literal := v.(string); literal && n == "Family" && !strings.HasPrefix(s, "Perf") {
					t.Errorf("%s family %q does not derive from the stack", id, s)
				}
			}
		}
	}
}

// egress returns the worker security group's egress ports, failing on
// any ingress or non-TCP rule.
func egress(t *testing.T, tpl assertions.Template) []int {
	t.Helper()
	var ports []int
	for id, sg := range resources(t, tpl, "AWS::EC2::SecurityGroup") {
		props := sg["Properties"].(map[string]any)
		if !strings.Contains(fmt.Sprint(props["GroupDescription"]), "loadgen workers") {
			continue
		}
		if in, ok := props["SecurityGroupIngress"]; ok {
			t.Errorf("worker security group %s has ingress %v", id, in)
		}
		for _, r := range props["SecurityGroupEgress"].([]any) {
			r := r.(map[string]any)
			if r["IpProtocol"] != "tcp" || r["CidrIp"] != "0.0.0.0/0" || r["FromPort"] != r["ToPort"] {
				t.Errorf("unexpected egress rule %v", r)
				continue
			}
			ports = append(ports, int(r["FromPort"].(float64)))
		}
	}
	sort.Ints(ports)
	return ports
}

// starAllowed lists the actions that may have Resource "*", and why.
var starAllowed = map[string]string{
	// ECR auth tokens are account-wide: AWS has no resource-level
	// permission for it (added by CDK to the execution role).
	"ecr:GetAuthorizationToken": "",
	// ListTasks has no resource-level permission; allowed only under an
	// ecs:cluster condition (checked below).
	"ecs:ListTasks": "ecs:cluster",
}

// checkIAM fails on any statement of an AWS::IAM::Policy (or a role's
// inline policy) with Resource "*"
// whose actions are not all in starAllowed (with their condition).
func checkIAM(t *testing.T, tpl assertions.Template) {
	t.Helper()
	docs := map[string]map[string]any{}
	for id, p := range resources(t, tpl, "AWS::IAM::Policy") {
		docs[id] = p["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)
	}
	if len(docs) == 0 {
		t.Fatal("no IAM policies")
	}
	// Inline policies of roles too (CDK's custom-resource providers use them).
	for id, r := range resources(t, tpl, "AWS::IAM::Role") {
		inline, _ := r["Properties"].(map[string]any)["Policies"].([]any)
		for i, p := range inline {
			docs[fmt.Sprintf("%s/%d", id, i)] = p.(map[string]any)["PolicyDocument"].(map[string]any)
		}
	}
	for id, doc := range docs {
		for _, s := range doc["Statement"].([]any) {
			s := s.(map[string]any)
			if s["Effect"] != "Allow" {
				continue
			}
			for _, a := range strs(s["Action"]) {
				if strings.Contains(a, "*") {
					t.Errorf("policy %s: wildcard action %s", id, a)
				}
			}
			if !hasStar(s["Resource"]) {
				continue
			}
			for _, a := range strs(s["Action"]) {
				cond, ok := starAllowed[a]
				if !ok {
					t.Errorf("policy %s: %s on Resource \"*\"", id, a)
					continue
				}
				if cond != "" && !strings.Contains(fmt.Sprint(s["Condition"]), cond) {
					t.Errorf("policy %s: %s on Resource \"*\" without a %s condition", id, a, cond)
				}
			}
		}
	}
}

func checkNoBedrock(t *testing.T, tpl assertions.Template) {
	t.Helper()
	b, _ := json.Marshal(resources(t, tpl, "AWS::IAM::Policy"))
	if strings.Contains(string(b), "bedrock:") {
		t.Error("bedrock permission without BedrockModelArns")
	}
}

func hasStar(v any) bool { return slices.Contains(strs(v), "*") }

// strs returns a string or the strings of a list (other values ignored).
func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestDemoTarget(t *testing.T) {
	tpl := synth(t, Props{DemoTarget: true})
	count(t, tpl, "AWS::ElasticLoadBalancingV2::LoadBalancer", 1)
	has(t, tpl, "AWS::ElasticLoadBalancingV2::LoadBalancer", map[string]interface{}{"Scheme": "internal"})
	has(t, tpl, "AWS::ElasticLoadBalancingV2::Listener", map[string]interface{}{"Port": 80, "Protocol": "HTTP"})
	has(t, tpl, "AWS::ElasticLoadBalancingV2::TargetGroup", map[string]interface{}{"HealthCheckPath": "/health", "Port": 80})
	count(t, tpl, "AWS::ECS::Service", 1)
	has(t, tpl, "AWS::ECS::Service", map[string]interface{}{"DesiredCount": 2, "LaunchType": "FARGATE"})
	count(t, tpl, "AWS::ECS::TaskDefinition", 2)
	has(t, tpl, "AWS::ECS::TaskDefinition", map[string]interface{}{
		"ContainerDefinitions": arr(obj(map[string]interface{}{
			"Name":         "demo",
			"Command":      arr("demo-target", "--addr", "0.0.0.0:8080", "--allow-non-loopback"),
			"PortMappings": arr(obj(map[string]interface{}{"ContainerPort": 8080})),
		})),
		"RuntimePlatform": map[string]interface{}{"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"},
	})
	count(t, tpl, "AWS::ServiceDiscovery::Service", 1)
	// The load balancer admits the workers' security group on port 80 and
	// nothing else.
	for id, r := range resources(t, tpl, "AWS::EC2::SecurityGroupIngress") {
		p := r["Properties"].(map[string]any)
		if _, cidr := p["CidrIp"]; cidr {
			t.Errorf("ingress %s from a CIDR: %v", id, p)
		}
	}
	ports := map[string]int{}
	for _, r := range resources(t, tpl, "AWS::EC2::SecurityGroupIngress") {
		p := r["Properties"].(map[string]any)
		if p["SourceSecurityGroupId"] != nil {
			ports[fmt.Sprint(p["FromPort"])]++
		}
	}
	// 80: workers → load balancer; 8080: load balancer → tasks and
	// workers → tasks by Cloud Map name.
	if ports["80"] != 1 || ports["8080"] != 2 || len(ports) != 2 {
		t.Errorf("ingress rules by port = %v, want 80 from the workers and 8080 from the ALB and the workers", ports)
	}
	// Nothing blocks `cdk destroy`.
	for id, r := range resources(t, tpl, "AWS::ElasticLoadBalancingV2::LoadBalancer") {
		attrs, _ := r["Properties"].(map[string]any)["LoadBalancerAttributes"].([]any)
		for _, a := range attrs {
			if a := a.(map[string]any); a["Key"] == "deletion_protection.enabled" && a["Value"] != "false" {
				t.Errorf("load balancer %s: deletion protection %v", id, a["Value"])
			}
		}
	}
	outs := template(t, tpl)["Outputs"].(map[string]any)
	if _, ok := outs[OutputDemoTargetURL]; !ok {
		t.Errorf("output %s missing", OutputDemoTargetURL)
	}
	checkIAM(t, tpl)
}

func TestPrivateWorkersWithoutNAT(t *testing.T) {
	tpl := synth(t, Props{PrivateWorkers: true, DemoTarget: true})
	count(t, tpl, "AWS::EC2::NatGateway", 0)
	// S3 gateway + ECR api, ECR dkr and Logs interface endpoints: the
	// isolated workers pull their image and write logs through them.
	count(t, tpl, "AWS::EC2::VPCEndpoint", 4)
	outs := template(t, tpl)["Outputs"].(map[string]any)
	if v := outs[OutputAssignPublicIP].(map[string]any)["Value"]; v != "DISABLED" {
		t.Errorf("%s = %v, want DISABLED in private subnets", OutputAssignPublicIP, v)
	}
	checkIAM(t, tpl)
}

func TestDashboard(t *testing.T) {
	tpl := synth(t, Props{Dashboard: true, DashboardCIDRs: []string{"192.168.10.0/24"}})
	has(t, tpl, "AWS::ElasticLoadBalancingV2::LoadBalancer", map[string]interface{}{"Scheme": "internal"})
	has(t, tpl, "AWS::ElasticLoadBalancingV2::TargetGroup", map[string]interface{}{"HealthCheckPath": "/ui/login"})
	count(t, tpl, "AWS::SecretsManager::Secret", 1)
	has(t, tpl, "AWS::ECS::TaskDefinition", map[string]interface{}{
		"ContainerDefinitions": arr(obj(map[string]interface{}{
			"Name":    "dashboard",
			"Command": arr("mcp", "--http", "0.0.0.0:8780", "--ui"),
			"Secrets": arr(obj(map[string]interface{}{"Name": "LOADGEN_MCP_TOKEN"})),
			"Environment": assertions.Match_ArrayWith(arr(
				obj(map[string]interface{}{"Name": "LOADGEN_ECS_STACK", "Value": "Perf"}),
			)),
		})),
	})
	// Only the given range reaches the dashboard's load balancer.
	var cidrs []string
	for _, r := range resources(t, tpl, "AWS::EC2::SecurityGroup") {
		p := r["Properties"].(map[string]any)
		if strings.Contains(fmt.Sprint(p["GroupDescription"]), "web dashboard load balancer") {
			in, _ := p["SecurityGroupIngress"].([]any)
			for _, rule := range in {
				cidrs = append(cidrs, fmt.Sprint(rule.(map[string]any)["CidrIp"], ":", rule.(map[string]any)["FromPort"]))
			}
		}
	}
	if !slices.Equal(cidrs, []string{"192.168.10.0/24:80"}) {
		t.Errorf("dashboard ingress = %v, want 192.168.10.0/24 on 80 only", cidrs)
	}
	// The token never appears in the template, only the secret's reference.
	b, _ := json.Marshal(template(t, tpl))
	if strings.Contains(string(b), "SecretString\":\"") {
		t.Error("a secret value in the template")
	}
	outs := template(t, tpl)["Outputs"].(map[string]any)
	for _, k := range []string{OutputDashboardURL, OutputDashboardToken, OutputDashboardMCP} {
		if _, ok := outs[k]; !ok {
			t.Errorf("output %s missing", k)
		}
	}
	checkIAM(t, tpl)
}
