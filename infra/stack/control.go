package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
)

// control is what an MCP server (the Lambda, the dashboard's task) may
// do: run and follow the workers of this stack, keep sessions in the
// bucket, read the stack's outputs, invoke the configured models.
type control struct {
	stack      awscdk.Stack
	stackName  string
	cluster    awsecs.ICluster
	td         awsecs.TaskDefinition
	roles      []awsiam.IRole // the worker's execution and task roles
	workerLogs awslogs.ILogGroup
	bucket     awss3.IBucket
	models     []string
}

// grant adds the statements to role's policy.
func (c control) grant(role awsiam.IRole) {
	clusterCondition := &map[string]interface{}{
		"ArnEquals": map[string]interface{}{"ecs:cluster": c.cluster.ClusterArn()},
	}
	// Any revision of this task definition's family, in this cluster only.
	familyArn := c.stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("ecs"),
		Resource:     jsii.String("task-definition"),
		ResourceName: jsii.String(*c.td.Family() + ":*"),
	})
	taskArns := c.stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("ecs"),
		Resource:     jsii.String("task"),
		ResourceName: jsii.String(*c.cluster.ClusterName() + "/*"),
	})
	var roleArns []*string
	for _, r := range c.roles {
		roleArns = append(roleArns, r.RoleArn())
	}
	statements := []*awsiam.PolicyStatementProps{
		{Sid: jsii.String("RunWorkers"), Actions: jsii.Strings("ecs:RunTask"), Resources: &[]*string{familyArn}, Conditions: clusterCondition},
		{
			Sid: jsii.String("PassWorkerRoles"), Actions: jsii.Strings("iam:PassRole"), Resources: &roleArns,
			Conditions: &map[string]interface{}{
				"StringEquals": map[string]interface{}{"iam:PassedToService": "ecs-tasks.amazonaws.com"},
			},
		},
		// RunTask tags the tasks (run id, worker): tagging on create needs
		// ecs:TagResource, confined to RunTask's own tagging.
		{
			Sid: jsii.String("TagWorkers"), Actions: jsii.Strings("ecs:TagResource"), Resources: &[]*string{taskArns},
			Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"ecs:CreateAction": "RunTask"}},
		},
		{Sid: jsii.String("FollowWorkers"), Actions: jsii.Strings("ecs:DescribeTasks", "ecs:StopTask"), Resources: &[]*string{taskArns}, Conditions: clusterCondition},
		// ListTasks has no resource-level permission (AWS requires "*");
		// the ecs:cluster condition confines it to this cluster.
		{Sid: jsii.String("ListWorkers"), Actions: jsii.Strings("ecs:ListTasks"), Resources: jsii.Strings("*"), Conditions: clusterCondition},
		// The workers' logs, for the tools that show them.
		{Sid: jsii.String("ReadWorkerLogs"), Actions: jsii.Strings("logs:GetLogEvents", "logs:FilterLogEvents"), Resources: &[]*string{c.workerLogs.LogGroupArn()}},
		// The MCP server's artifacts live under perf-pipeline/ (sessions,
		// plans, runs and their workers' outputs, analyses); nothing else
		// in the bucket.
		{Sid: jsii.String("SessionObjects"), Actions: jsii.Strings("s3:GetObject", "s3:PutObject", "s3:DeleteObject"), Resources: &[]*string{c.bucket.ArnForObjects(jsii.String("perf-pipeline/*"))}},
		{
			Sid: jsii.String("ListSessions"), Actions: jsii.Strings("s3:ListBucket"), Resources: &[]*string{c.bucket.BucketArn()},
			Conditions: &map[string]interface{}{
				"StringLike": map[string]interface{}{"s3:prefix": []string{"perf-pipeline/", "perf-pipeline/*"}},
			},
		},
		{
			Sid: jsii.String("ReadOwnStack"), Actions: jsii.Strings("cloudformation:DescribeStacks"),
			Resources: &[]*string{c.stack.FormatArn(&awscdk.ArnComponents{
				Service:      jsii.String("cloudformation"),
				Resource:     jsii.String("stack"),
				ResourceName: jsii.String(c.stackName + "/*"),
			})},
		},
	}
	if len(c.models) > 0 {
		statements = append(statements, &awsiam.PolicyStatementProps{
			Sid:       jsii.String("InvokeModels"),
			Actions:   jsii.Strings("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"),
			Resources: jsii.Strings(c.models...),
		})
	}
	for _, st := range statements {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(st))
	}
}

func (control) wildcardReason() string {
	return "Wildcards only where names are chosen at run time or AWS requires them: ecs:ListTasks takes only \"*\" (confined by the ecs:cluster condition); task definition revisions, task ids, the stack's id suffix, session keys and log streams are not known at deploy time."
}

// wildcards are the cdk-nag IAM5 findings grant's statements raise.
func (control) wildcards() []string {
	return []string{
		"Resource::*",
		"regex:/^Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task-definition\\/.*:\\*$/",
		"regex:/^Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task\\/<Cluster[0-9A-F]*>\\/\\*$/",
		"regex:/^Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack\\/.*\\/\\*$/",
		"regex:/^Resource::<Artifacts[0-9A-F]*\\.Arn>\\/perf-pipeline\\/\\*$/",
	}
}
