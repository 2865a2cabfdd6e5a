package dist

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

// CloudFormation outputs the loadgen CDK stack exports for the ECS
// backend (ECSConfigFromStack reads them; `loadgen run --backend ecs
// --stack NAME` uses them). The required ones:
const (
	// OutputCluster is the ECS cluster's name.
	OutputCluster = "ClusterName"
	// OutputTaskDefinition is the worker task definition's ARN (FARGATE,
	// awsvpc, its container running `loadgen worker`).
	OutputTaskDefinition = "TaskDefinitionArn"
	// OutputContainer is the worker container's name in it.
	OutputContainer = "WorkerContainerName"
	// OutputSubnets lists the tasks' subnets, comma-separated.
	OutputSubnets = "Subnets"
	// OutputSecurityGroup is the tasks' security group id.
	OutputSecurityGroup = "SecurityGroupId"
	// OutputArtifactsBucket is the S3 bucket for plans and worker outputs
	// (the task role may read and write it).
	OutputArtifactsBucket = "ArtifactsBucket"
	// OutputLogGroup is the container's awslogs log group.
	OutputLogGroup = "LogGroupName"
)

// Optional outputs.
const (
	// OutputLogStreamPrefix is the container's awslogs-stream-prefix
	// (default DefaultLogStreamPrefix).
	OutputLogStreamPrefix = "LogStreamPrefix"
	// OutputArtifactsPrefix is the key prefix in the bucket (default none).
	OutputArtifactsPrefix = "ArtifactsPrefix"
	// OutputAssignPublicIP is ENABLED when the subnets are public ones
	// without a NAT gateway, so that tasks get a public IP (default
	// DISABLED).
	OutputAssignPublicIP = "AssignPublicIp"
)

// DefaultLogStreamPrefix is the awslogs stream prefix assumed when the
// stack does not export LogStreamPrefix.
const DefaultLogStreamPrefix = "loadgen"

// StackOutputs lists the outputs ECSConfigFromStack requires.
var StackOutputs = []string{OutputCluster, OutputTaskDefinition, OutputContainer, OutputSubnets,
	OutputSecurityGroup, OutputArtifactsBucket, OutputLogGroup}

// ECSConfigFromStack reads the ECS backend's settings from the outputs of
// the CloudFormation stack (see the Output* constants); the region is the
// client's. A stack lacking outputs is an error that lists them.
func ECSConfigFromStack(ctx context.Context, cfn *cloudformation.Client, stack string) (ECSConfig, error) {
	var cfg ECSConfig
	if stack == "" {
		return cfg, fmt.Errorf("no stack name")
	}
	out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		return cfg, fmt.Errorf("stack %s: %w", stack, err)
	}
	if len(out.Stacks) == 0 {
		return cfg, fmt.Errorf("stack %s: not found", stack)
	}
	s := out.Stacks[0]
	o := map[string]string{}
	for _, v := range s.Outputs {
		o[aws.ToString(v.OutputKey)] = strings.TrimSpace(aws.ToString(v.OutputValue))
	}
	var missing []string
	for _, k := range StackOutputs {
		if o[k] == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return cfg, fmt.Errorf("stack %s (%s) lacks the output(s) %s that the ecs backend needs", stack, s.StackStatus, strings.Join(missing, ", "))
	}
	cfg = ECSConfig{
		Cluster:         o[OutputCluster],
		TaskDefinition:  o[OutputTaskDefinition],
		Container:       o[OutputContainer],
		Subnets:         splitList(o[OutputSubnets]),
		SecurityGroups:  splitList(o[OutputSecurityGroup]),
		LogGroup:        o[OutputLogGroup],
		LogStreamPrefix: DefaultLogStreamPrefix,
		Region:          cfn.Options().Region,
		Artifacts:       "s3://" + o[OutputArtifactsBucket],
	}
	if v, ok := o[OutputLogStreamPrefix]; ok {
		cfg.LogStreamPrefix = v
	}
	if p := strings.Trim(o[OutputArtifactsPrefix], "/"); p != "" {
		cfg.Artifacts += "/" + p
	}
	switch v := strings.ToUpper(o[OutputAssignPublicIP]); v {
	case "", "DISABLED":
	case "ENABLED":
		cfg.AssignPublicIP = true
	default:
		return cfg, fmt.Errorf("stack %s: output %s is %q: want ENABLED or DISABLED", stack, OutputAssignPublicIP, o[OutputAssignPublicIP])
	}
	return cfg, nil
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(s string) []string {
	var out []string
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
