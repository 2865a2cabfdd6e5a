package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/loadgen/dist"
	"github.com/loadgen/loadgen/mcpserver/store"
)

// backendFlags choose where the workers of a distributed run go.
type backendFlags struct {
	name string
	fl   *pflag.FlagSet

	stack          string
	cluster        string
	taskDefinition string
	container      string
	subnets        []string
	securityGroups []string
	artifacts      string
	assignPublicIP bool
	logGroup       string
}

func (b *backendFlags) register(fl *pflag.FlagSet, workers *int) {
	b.fl = fl
	fl.StringVar(&b.name, "backend", "local", "where workers run: local (processes of this machine) or ecs (one ECS Fargate task per worker; AWS settings from the standard AWS_* environment and config files)")
	fl.IntVar(workers, "tasks", *workers, "the same as --workers (the number of ECS tasks with --backend ecs)")
	fl.StringVar(&b.stack, "stack", "", "ecs: read the ECS settings from this CloudFormation stack's outputs (ClusterName, TaskDefinitionArn, WorkerContainerName, Subnets, SecurityGroupId, ArtifactsBucket, LogGroupName); --cluster, --subnets etc. override them")
	fl.StringVar(&b.cluster, "cluster", "", "ecs: the ECS cluster")
	fl.StringVar(&b.taskDefinition, "task-definition", "", "ecs: the worker task definition (family[:revision] or ARN; FARGATE, awsvpc)")
	fl.StringVar(&b.container, "container", "", "ecs: the worker container's name in the task definition (default worker)")
	fl.StringSliceVar(&b.subnets, "subnets", nil, "ecs: the tasks' subnets, comma-separated")
	fl.StringSliceVar(&b.securityGroups, "security-groups", nil, "ecs: the tasks' security groups, comma-separated")
	fl.StringVar(&b.artifacts, "artifacts", "", "ecs: s3://bucket/prefix for the plan and the workers' outputs (the run's files go under runs/<run id>/)")
	fl.BoolVar(&b.assignPublicIP, "assign-public-ip", false, "ecs: give the tasks public IPs (public subnets without a NAT gateway)")
	fl.StringVar(&b.logGroup, "log-group", "", "ecs: the container's awslogs log group, for log links")
}

// open returns the chosen backend.
func (b *backendFlags) open(ctx context.Context, stderr io.Writer) (dist.Backend, error) {
	switch b.name {
	case "local":
		return &dist.LocalBackend{Log: stderr}, nil
	case "ecs":
		return b.openECS(ctx, stderr)
	}
	return nil, fmt.Errorf("--backend %q: want local or ecs", b.name)
}

func (b *backendFlags) changed(name string) bool { return b.fl != nil && b.fl.Changed(name) }

// openECS builds the ECS backend from the stack's outputs and the flags.
func (b *backendFlags) openECS(ctx context.Context, stderr io.Writer) (dist.Backend, error) {
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("--backend ecs: loading the AWS configuration: %w", err)
	}
	var cfg dist.ECSConfig
	if b.stack != "" {
		if cfg, err = dist.ECSConfigFromStack(ctx, cloudformation.NewFromConfig(awsCfg), b.stack); err != nil {
			return nil, fmt.Errorf("--stack: %w", err)
		}
	}
	set := func(flag string, dst *string, v string) {
		if b.changed(flag) || v != "" {
			*dst = v
		}
	}
	set("cluster", &cfg.Cluster, b.cluster)
	set("task-definition", &cfg.TaskDefinition, b.taskDefinition)
	set("container", &cfg.Container, b.container)
	set("artifacts", &cfg.Artifacts, strings.TrimSuffix(b.artifacts, "/"))
	set("log-group", &cfg.LogGroup, b.logGroup)
	if b.changed("subnets") || len(b.subnets) > 0 {
		cfg.Subnets = b.subnets
	}
	if b.changed("security-groups") || len(b.securityGroups) > 0 {
		cfg.SecurityGroups = b.securityGroups
	}
	if b.changed("assign-public-ip") {
		cfg.AssignPublicIP = b.assignPublicIP
	}
	if cfg.Region == "" {
		cfg.Region = awsCfg.Region
	}
	if b.stack == "" && cfg.Cluster == "" && cfg.TaskDefinition == "" {
		return nil, fmt.Errorf("--backend ecs needs --stack NAME, or --cluster, --task-definition, --subnets, --security-groups and --artifacts")
	}
	if !strings.HasPrefix(cfg.Artifacts, "s3://") {
		return nil, fmt.Errorf("--artifacts %q: want s3://bucket/prefix", cfg.Artifacts)
	}
	st, err := store.Open(ctx, cfg.Artifacts)
	if err != nil {
		return nil, fmt.Errorf("--artifacts: %w", err)
	}
	backend, err := dist.NewECSBackend(ecs.NewFromConfig(awsCfg), st, cfg)
	if err != nil {
		return nil, err
	}
	backend.Log = stderr
	return backend, nil
}
