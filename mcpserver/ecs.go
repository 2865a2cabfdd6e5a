package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/loadgen/loadgen/loadgen/dist"
	"github.com/loadgen/loadgen/mcpserver/store"
)

// Environment variables of the ECS backend.
const (
	// ECSStackEnv names the CloudFormation stack whose outputs hold the
	// ECS settings (dist.StackOutputs).
	ECSStackEnv = "LOADGEN_ECS_STACK"
	// ECSClusterEnv, ECSTaskDefinitionEnv, ECSSubnetsEnv (comma-separated),
	// ECSSecurityGroupsEnv (comma-separated), ECSLogGroupEnv and
	// ECSContainerEnv give or override them.
	ECSClusterEnv        = "LOADGEN_ECS_CLUSTER"
	ECSTaskDefinitionEnv = "LOADGEN_ECS_TASK_DEFINITION"
	ECSSubnetsEnv        = "LOADGEN_ECS_SUBNETS"
	ECSSecurityGroupsEnv = "LOADGEN_ECS_SECURITY_GROUPS"
	ECSLogGroupEnv       = "LOADGEN_ECS_LOG_GROUP"
	ECSContainerEnv      = "LOADGEN_ECS_CONTAINER"
)

// ecsSettings are the ECS settings from the environment.
type ecsSettings struct {
	stack, cluster, taskDefinition, logGroup, container string
	subnets, securityGroups                             []string
}

func ecsSettingsFromEnv(getenv func(string) string) ecsSettings {
	return ecsSettings{
		stack: getenv(ECSStackEnv), cluster: getenv(ECSClusterEnv), taskDefinition: getenv(ECSTaskDefinitionEnv),
		logGroup: getenv(ECSLogGroupEnv), container: getenv(ECSContainerEnv),
		subnets: splitComma(getenv(ECSSubnetsEnv)), securityGroups: splitComma(getenv(ECSSecurityGroupsEnv)),
	}
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ecsBackend builds the ECS backend for one plan of a run: its tasks read
// the plan from, and write their outputs to, the run's folder in the S3
// artifact store (runs/{run_id}/{plan}/plan/ and …/workers/<i>/).
// cluster and taskDefinition override the configured ones.
func (s *Server) ecsBackend(ctx context.Context, session, cluster, taskDefinition string) (*dist.ECSBackend, error) {
	if !strings.HasPrefix(s.store.String(), "s3://") {
		return nil, fmt.Errorf("backend ecs: this server's artifact store is %s; ECS tasks need an S3 store (--artifacts s3://bucket/prefix)", s.store.String())
	}
	var cfg dist.ECSConfig
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("backend ecs: the AWS configuration: %w", err)
	}
	e := s.ecs
	if e.stack != "" {
		if cfg, err = dist.ECSConfigFromStack(ctx, cloudformation.NewFromConfig(awsCfg), e.stack); err != nil {
			return nil, fmt.Errorf("backend ecs: %s=%s: %w", ECSStackEnv, e.stack, err)
		}
	}
	for _, o := range []struct {
		dst *string
		v   string
	}{{&cfg.Cluster, e.cluster}, {&cfg.TaskDefinition, e.taskDefinition}, {&cfg.LogGroup, e.logGroup}, {&cfg.Container, e.container},
		{&cfg.Cluster, cluster}, {&cfg.TaskDefinition, taskDefinition}} {
		if o.v != "" {
			*o.dst = o.v
		}
	}
	if len(e.subnets) > 0 {
		cfg.Subnets = e.subnets
	}
	if len(e.securityGroups) > 0 {
		cfg.SecurityGroups = e.securityGroups
	}
	if cfg.Region == "" {
		cfg.Region = awsCfg.Region
	}
	if cfg.Cluster == "" || cfg.TaskDefinition == "" || len(cfg.Subnets) == 0 || len(cfg.SecurityGroups) == 0 {
		return nil, errors.New("backend ecs: not configured: start the server with " + ECSStackEnv +
			" (the CDK stack's name) or " + ECSClusterEnv + ", " + ECSTaskDefinitionEnv + ", " + ECSSubnetsEnv + " and " + ECSSecurityGroupsEnv +
			" (execution_environment.cluster_name and task_definition may override the first two)")
	}
	// The run's files live in the session; the backend puts them under
	// runs/<its run id>/ of the store it gets.
	cfg.Artifacts = strings.TrimSuffix(s.store.String(), "/") + "/" + strings.TrimSuffix(sessionKey(session, ""), "/")
	st, err := store.Open(ctx, cfg.Artifacts)
	if err != nil {
		return nil, fmt.Errorf("backend ecs: %w", err)
	}
	return dist.NewECSBackend(ecs.NewFromConfig(awsCfg), st, cfg)
}
