package dist

// The ECS backend is tested two ways.
//
// Against moto's server mode (mototest.Start): real ECS, EC2, S3 and
// CloudFormation APIs on 127.0.0.1. Moto accepts RunTask for an awsvpc
// FARGATE task definition, echoes the container overrides in DescribeTasks,
// records StopTask's reason, but runs nothing: a goroutine of the test plays
// the ECS agent, starting the real loadgen binary's `worker` command with
// exactly the environment DescribeTasks reports, and then calls StopTask to
// mark the container's end. Moto also reports a stopped task at once on
// StopTask, where ECS sends SIGTERM and says STOPPED only once the container
// has exited; so the backend's ECS calls go through a recording proxy that
// holds a StopTask until the agent has sent SIGTERM to the worker and the
// worker has exited, then forwards it. Moto 5.2 also reports the containers'
// cpu and memory as numbers where ECS's API has strings, which the Go SDK
// refuses: the proxies (the agent has one too) turn them into strings.
//
// Against fakeECS, an httptest server speaking ECS's JSON 1.1 wire protocol,
// for what moto cannot do: partial RunTask failures, throttling, container
// exit codes and tasks that never ran (moto reports exit code 0 for every
// container). Its tasks run the real RunWorker in-process, or write what a
// failing worker leaves behind, into moto's S3, where the coordinator reads
// them through the store.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/mcpserver/store"
	"github.com/loadgen/loadgen/mcpserver/store/mototest"
	"github.com/loadgen/loadgen/planspec"
)

const (
	testRegion  = "us-east-1"
	testBucket  = "loadgen-ecs-test"
	testPrefix  = "arts"
	testCluster = "loadgen"
	testGroup   = "/ecs/loadgen"
)

var testCreds = credentials.NewStaticCredentialsProvider("test", "test", "")

// motoEnv is a moto server with the S3 bucket created.
type motoEnv struct {
	endpoint string
	s3       *s3.Client
	st       store.Store // s3://testBucket/testPrefix
}

func startMoto(t *testing.T) *motoEnv {
	t.Helper()
	endpoint := mototest.Start(t)
	m := &motoEnv{endpoint: endpoint, s3: mototest.S3Client(endpoint)}
	if _, err := m.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(testBucket)}); err != nil {
		t.Fatal(err)
	}
	st, err := store.NewS3(m.s3, testBucket, testPrefix, store.S3Options{})
	if err != nil {
		t.Fatal(err)
	}
	m.st = st
	return m
}

// openStore opens s3:// locations in moto (WorkerOptions.OpenStore).
func (m *motoEnv) openStore(_ context.Context, loc string) (store.Store, error) {
	bucket, prefix := splitS3(loc)
	return store.NewS3(m.s3, bucket, prefix, store.S3Options{})
}

// ecsClient is an ECS client for endpoint.
func ecsClient(endpoint string, maxAttempts int) *ecs.Client {
	return ecs.New(ecs.Options{Region: testRegion, Credentials: testCreds, BaseEndpoint: aws.String(endpoint), RetryMaxAttempts: maxAttempts})
}

// setupECS creates in moto what the CDK stack would: a VPC, a subnet and a
// security group, the cluster and a FARGATE awsvpc task definition with a
// container "worker"; tasks stay RUNNING until StopTask.
func (m *motoEnv) setupECS(t *testing.T) ECSConfig {
	t.Helper()
	ctx := context.Background()
	ec := ec2.New(ec2.Options{Region: testRegion, Credentials: testCreds, BaseEndpoint: aws.String(m.endpoint)})
	vpc, err := ec.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	// moto's ENI for an awsvpc task needs DNS host names in its VPC
	if _, err := ec.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: vpc.Vpc.VpcId,
		EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	sn, err := ec.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.0.1.0/24")})
	if err != nil {
		t.Fatal(err)
	}
	sg, err := ec.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: vpc.Vpc.VpcId, GroupName: aws.String("loadgen-workers"), Description: aws.String("workers")})
	if err != nil {
		t.Fatal(err)
	}
	c := ecsClient(m.endpoint, 0)
	if _, err := c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(testCluster)}); err != nil {
		t.Fatal(err)
	}
	td, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("loadgen-worker"), NetworkMode: ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate}, Cpu: aws.String("1024"), Memory: aws.String("2048"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("worker"), Image: aws.String("loadgen:test"), Essential: aws.Bool(true), Memory: aws.Int32(2048)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"model_name":"ecs::task","transition":{"progression":"manual","times":1000000}}`
	resp, err := http.Post(m.endpoint+"/moto-api/state-manager/set-transition", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		t.Fatalf("set-transition: %s", resp.Status)
	}
	return ECSConfig{Cluster: testCluster, TaskDefinition: aws.ToString(td.TaskDefinition.TaskDefinitionArn),
		Subnets: []string{aws.ToString(sn.Subnet.SubnetId)}, SecurityGroups: []string{aws.ToString(sg.GroupId)},
		LogGroup: testGroup, LogStreamPrefix: "loadgen", Artifacts: "s3://" + testBucket + "/" + testPrefix}
}

// writePlanDir writes a plan and the files beside it and parses it.
func writePlanDir(t *testing.T, src string, files map[string]string) *planspec.Plan {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "plan.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := planspec.ParseFile(path, planspec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ecsCall is one request the backend made.
type ecsCall struct {
	Op   string
	Body map[string]any
}

// recorder is a proxy in front of moto's ECS API recording the backend's
// calls. A StopTask is held until onStop (the agent's SIGTERM) returns.
type recorder struct {
	srv    *httptest.Server
	onStop func(arn string)

	mu    sync.Mutex
	calls []ecsCall
}

func newRecorder(t *testing.T, endpoint string) *recorder {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.ModifyResponse = fixMotoContainers
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		call := ecsCall{Op: strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "AmazonEC2ContainerServiceV20141113.")}
		_ = json.Unmarshal(body, &call.Body)
		r.mu.Lock()
		r.calls = append(r.calls, call)
		r.mu.Unlock()
		if call.Op == "StopTask" && r.onStop != nil {
			r.onStop(fmt.Sprint(call.Body["task"]))
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.Header.Del("Accept-Encoding")
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// fixMotoContainers turns the numbers moto 5.2 reports as the containers'
// cpu and memory into the strings of ECS's API (the Go SDK refuses them).
func fixMotoContainers(resp *http.Response) error {
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	var doc map[string]any
	if json.Unmarshal(body, &doc) == nil {
		var tasks []any
		if l, ok := doc["tasks"].([]any); ok {
			tasks = l
		}
		if one, ok := doc["task"]; ok {
			tasks = append(tasks, one)
		}
		fixed := false
		for _, task := range tasks {
			tm, _ := task.(map[string]any)
			cs, _ := tm["containers"].([]any)
			for _, c := range cs {
				cm, _ := c.(map[string]any)
				for _, k := range []string{"cpu", "memory", "memoryReservation"} {
					if n, ok := cm[k].(float64); ok {
						cm[k], fixed = strconv.FormatFloat(n, 'f', -1, 64), true
					}
				}
			}
		}
		if fixed {
			body, _ = json.Marshal(doc)
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}

func (r *recorder) ops(op string) []ecsCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []ecsCall
	for _, c := range r.calls {
		if c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

// agent plays the ECS agent for moto's tasks: it runs the loadgen binary's
// worker command for every new task with the environment DescribeTasks
// reports, sends it SIGTERM when the backend stops the task, and calls
// StopTask once a worker it was not asked to stop has exited.
type agent struct {
	t        *testing.T
	ecs      *ecs.Client // straight to moto
	endpoint string

	mu    sync.Mutex
	tasks map[string]*agentTask
	wg    sync.WaitGroup
}

type agentTask struct {
	env     map[string]string // as DescribeTasks reported the overrides
	cmd     *exec.Cmd
	stopped bool // the backend called StopTask
	done    chan struct{}
	code    int
	stderr  bytes.Buffer
}

// startAgent starts the agent: its ECS calls go to ecsEndpoint (moto
// through a proxy fixing its containers), its workers use moto's S3.
func startAgent(t *testing.T, endpoint, ecsEndpoint string) *agent {
	a := &agent{t: t, ecs: ecsClient(ecsEndpoint, 0), endpoint: endpoint, tasks: map[string]*agentTask{}}
	ctx, cancel := context.WithCancel(context.Background())
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		for ctx.Err() == nil {
			a.scan(ctx)
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-loopDone
		a.mu.Lock()
		for _, at := range a.tasks {
			if at.cmd != nil && at.cmd.Process != nil {
				_ = at.cmd.Process.Kill()
			}
		}
		a.mu.Unlock()
		a.wg.Wait()
	})
	return a
}

// scan starts a worker for every task it has not seen yet.
func (a *agent) scan(ctx context.Context) {
	list, err := a.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(testCluster), StartedBy: aws.String(StartedBy)})
	if err != nil {
		return
	}
	var fresh []string
	a.mu.Lock()
	for _, arn := range list.TaskArns {
		if _, seen := a.tasks[arn]; !seen {
			fresh = append(fresh, arn)
		}
	}
	a.mu.Unlock()
	if len(fresh) == 0 {
		return
	}
	desc, err := a.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(testCluster), Tasks: fresh})
	if err != nil {
		return
	}
	for _, task := range desc.Tasks {
		arn := aws.ToString(task.TaskArn)
		env := map[string]string{}
		if task.Overrides != nil {
			for _, co := range task.Overrides.ContainerOverrides {
				if aws.ToString(co.Name) == "worker" {
					for _, kv := range co.Environment {
						env[aws.ToString(kv.Name)] = aws.ToString(kv.Value)
					}
				}
			}
		}
		a.mu.Lock()
		if _, seen := a.tasks[arn]; seen || aws.ToString(task.LastStatus) != "RUNNING" {
			a.mu.Unlock()
			continue
		}
		at := &agentTask{env: env, done: make(chan struct{})}
		a.tasks[arn] = at
		a.mu.Unlock()
		a.run(arn, at)
	}
}

// run starts the worker process of one task.
func (a *agent) run(arn string, at *agentTask) {
	cmd := exec.Command(binary, "worker")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "LOADGEN_WORKER_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "AWS_ENDPOINT_URL="+a.endpoint, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_REGION="+testRegion, "AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull, "AWS_EC2_METADATA_DISABLED=true")
	for k, v := range at.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stderr = &at.stderr
	a.mu.Lock()
	at.cmd = cmd
	err := cmd.Start()
	a.mu.Unlock()
	if err != nil {
		a.t.Errorf("starting the worker of %s: %v", arn, err)
		close(at.done)
		return
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		_ = cmd.Wait()
		a.mu.Lock()
		at.code = cmd.ProcessState.ExitCode()
		stopped := at.stopped
		a.mu.Unlock()
		close(at.done)
		if !stopped { // the container exited by itself
			_, err := a.ecs.StopTask(context.Background(), &ecs.StopTaskInput{Cluster: aws.String(testCluster), Task: aws.String(arn),
				Reason: aws.String("Essential container in task exited")})
			if err != nil {
				a.t.Errorf("agent StopTask: %v", err)
			}
		}
	}()
}

// sigterm is ECS's answer to StopTask: SIGTERM to the container, and the
// task is STOPPED once it has exited.
func (a *agent) sigterm(arn string) {
	a.mu.Lock()
	at := a.tasks[arn]
	if at == nil { // not started yet: it never will be
		at = &agentTask{stopped: true, done: make(chan struct{})}
		close(at.done)
		a.tasks[arn] = at
	}
	at.stopped = true
	if at.cmd != nil && at.cmd.Process != nil {
		_ = at.cmd.Process.Signal(syscall.SIGTERM)
	}
	a.mu.Unlock()
	select {
	case <-at.done:
	case <-time.After(time.Minute):
		a.t.Errorf("worker of %s did not exit within a minute of SIGTERM", arn)
	}
}

func (a *agent) task(arn string) *agentTask {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.tasks[arn]
}

// motoRun is a run of the ECS backend against moto with the agent.
type motoRun struct {
	m     *motoEnv
	cfg   ECSConfig
	rec   *recorder
	agent *agent
	b     *ECSBackend
}

func newMotoRun(t *testing.T) *motoRun {
	m := startMoto(t)
	cfg := m.setupECS(t)
	r := &motoRun{m: m, cfg: cfg, rec: newRecorder(t, m.endpoint), agent: startAgent(t, m.endpoint, newRecorder(t, m.endpoint).srv.URL)}
	r.rec.onStop = r.agent.sigterm
	b, err := NewECSBackend(ecsClient(r.rec.srv.URL, 0), m.st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b.PollInterval = 200 * time.Millisecond
	r.b = b
	return r
}

// envOf reads a RunTask request's worker environment.
func envOf(t *testing.T, body map[string]any) map[string]string {
	t.Helper()
	var in struct {
		Overrides struct {
			ContainerOverrides []struct {
				Name        string `json:"name"`
				Environment []struct{ Name, Value string }
			} `json:"containerOverrides"`
		} `json:"overrides"`
	}
	b, _ := json.Marshal(body)
	if err := json.Unmarshal(b, &in); err != nil {
		t.Fatal(err)
	}
	if len(in.Overrides.ContainerOverrides) != 1 || in.Overrides.ContainerOverrides[0].Name != "worker" {
		t.Fatalf("container overrides: %+v", in.Overrides)
	}
	env := map[string]string{}
	for _, kv := range in.Overrides.ContainerOverrides[0].Environment {
		env[kv.Name] = kv.Value
	}
	return env
}

func TestECSRunOnMoto(t *testing.T) {
	r := newMotoRun(t)
	target := startDemo(t)
	var users strings.Builder
	users.WriteString("user\n")
	for i := range 9 {
		fmt.Fprintf(&users, "u%d\n", i)
	}
	p := writePlanDir(t, `version: 1
name: ecs
target: `+target+`
data:
  users: {file: data/users.csv}
scenarios:
  - name: s
    executor: per-vu-iterations
    vus: 6
    iterations: 5
    steps:
      - name: health
        request: {url: "/health?u=${users.user}"}
        check: ["status == 200"]
thresholds:
  checks: ["rate == 1"]
`, map[string]string{"data/users.csv": users.String()})
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	var mu sync.Mutex
	var last Status
	res, err := Run(ctx, p, Options{Workers: 3, Backend: r.b, Out: out, Seed: 11, RunID: "ecs-moto", StartDelay: 3 * time.Second,
		OnUpdate: func(st Status) { mu.Lock(); last = st; mu.Unlock() }})
	if err != nil {
		t.Fatalf("run: %v (result %+v)", err, res)
	}
	t.Logf("3 ECS workers on moto: %s", time.Since(start).Round(time.Millisecond))

	if got := res.Summary.Total.Count; got != 30 {
		t.Errorf("requests %d, want 6 VUs × 5 iterations = 30", got)
	}
	var sum int64
	for i, h := range res.Workers {
		sum += h.Requests
		if h.State != WorkerDone || !h.Merged || h.Exit == nil || h.Exit.Code != 0 {
			t.Errorf("worker %d: %+v", i, h)
		}
		dir := filepath.Join(out, "workers", strconv.Itoa(i))
		for _, f := range []string{loadgen.JTLFile, loadgen.HLogFile, loadgen.SummaryFile, loadgen.StateFile, ExitFile, LiveFile} {
			if !fileExists(filepath.Join(dir, f)) {
				t.Errorf("worker %d: no %s in %s", i, f, dir)
			}
		}
	}
	if sum != 30 || res.Rows != 30 {
		t.Errorf("workers sent %d requests, merged JTL %d rows; want 30", sum, res.Rows)
	}
	for _, f := range []string{loadgen.SummaryFile, loadgen.JTLFile, loadgen.HLogFile, WorkersFile} {
		if !fileExists(filepath.Join(out, f)) {
			t.Errorf("no %s in the run folder", f)
		}
	}
	if rows := jtlElapsed(t, filepath.Join(out, loadgen.JTLFile)); len(rows) != 30 {
		t.Errorf("merged results.jtl has %d rows", len(rows))
	}
	if !res.Summary.ThresholdsOK {
		t.Errorf("thresholds: %+v", res.Summary.Thresholds)
	}

	// The plan and its data file went to the run's plan folder.
	for _, key := range []string{"runs/ecs-moto/plan/plan.yaml", "runs/ecs-moto/plan/data/users.csv"} {
		if _, err := r.m.st.Stat(context.Background(), key); err != nil {
			t.Errorf("%s: %v", key, err)
		}
	}

	// One RunTask per worker, each with its own segment and the same start
	// time and seed; DescribeTasks echoed them to the agent.
	runs := r.rec.ops("RunTask")
	if len(runs) != 3 {
		t.Fatalf("%d RunTask calls, want 3", len(runs))
	}
	segs := map[string]bool{}
	tokens := map[string]bool{}
	var startAt, seed string
	for _, c := range runs {
		env := envOf(t, c.Body)
		seg := env[EnvSegment]
		segs[seg] = true
		i, _, _ := strings.Cut(seg, "/")
		if startAt == "" {
			startAt, seed = env[EnvStart], env[EnvSeed]
		}
		want := map[string]string{
			EnvPlan:  "s3://" + testBucket + "/" + testPrefix + "/runs/ecs-moto/plan/plan.yaml",
			EnvOut:   "s3://" + testBucket + "/" + testPrefix + "/runs/ecs-moto/workers/" + i + "/",
			EnvStart: startAt, EnvSeed: seed, EnvRunID: "ecs-moto",
		}
		for k, v := range want {
			if env[k] != v {
				t.Errorf("RunTask %s: %s=%q, want %q", seg, k, env[k], v)
			}
		}
		if seed != "11" {
			t.Errorf("seed %q", seed)
		}
		b := c.Body
		tok := fmt.Sprint(b["clientToken"])
		tokens[tok] = true
		if len(tok) > 64 || !strings.HasPrefix(tok, "ecs-moto-"+i+"-") {
			t.Errorf("client token %q", tok)
		}
		if b["count"] != float64(1) || b["launchType"] != "FARGATE" || b["startedBy"] != "loadgen" || b["cluster"] != testCluster {
			t.Errorf("RunTask %s: %v", seg, b)
		}
		nc := fmt.Sprint(b["networkConfiguration"])
		if !strings.Contains(nc, r.cfg.Subnets[0]) || !strings.Contains(nc, r.cfg.SecurityGroups[0]) || !strings.Contains(nc, "DISABLED") {
			t.Errorf("network configuration %s", nc)
		}
	}
	if len(segs) != 3 || !segs["0/3"] || !segs["1/3"] || !segs["2/3"] || len(tokens) != 3 {
		t.Errorf("segments %v, tokens %v", segs, tokens)
	}
	mu.Lock()
	for _, w := range last.Workers {
		if r.agent.task(w.ID) == nil || !strings.HasSuffix(w.Logs, "log-events/loadgen$252Fworker$252F"+taskID(w.ID)) {
			t.Errorf("worker %d: id %q, logs %q", w.Index, w.ID, w.Logs)
		}
	}
	mu.Unlock()
	seen := 0
	for _, w := range r.agent.snapshot() {
		if w.env[EnvStart] != startAt || w.env[EnvSeed] != seed {
			t.Errorf("agent saw env %v", w.env)
		}
		if w.code != 0 {
			t.Errorf("worker exited %d: %s", w.code, w.stderr.String())
		}
		seen++
	}
	if seen != 3 {
		t.Errorf("the agent ran %d workers", seen)
	}

	// One poller describes every task at once; nobody was stopped.
	most := 0
	for _, c := range r.rec.ops("DescribeTasks") {
		n := len(c.Body["tasks"].([]any))
		most = max(most, n)
		if n > 100 {
			t.Errorf("DescribeTasks with %d tasks", n)
		}
	}
	if most != 3 {
		t.Errorf("DescribeTasks named at most %d tasks, want all 3 in one call", most)
	}
	if n := len(r.rec.ops("StopTask")); n != 0 {
		t.Errorf("%d StopTask calls in a run that ended by itself", n)
	}

	// IDs are the task ARNs, logs links point at their streams.
	b, err := os.ReadFile(filepath.Join(out, WorkersFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "#logsV2:log-groups/log-group/$252Fecs$252Floadgen/log-events/loadgen$252Fworker$252F") {
		t.Errorf("workers.json lacks the logs links: %s", b)
	}
}

func (a *agent) snapshot() []*agentTask {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []*agentTask
	for _, at := range a.tasks {
		out = append(out, at)
	}
	return out
}

func TestECSCancelStopsEveryTask(t *testing.T) {
	r := newMotoRun(t)
	target := startDemo(t)
	p := writePlan(t, `version: 1
name: cancel
target: `+target+`
scenarios:
  - {name: s, executor: constant-vus, vus: 6, duration: 1m, think_time: 20ms, steps: [{name: health, request: {url: /health}}]}
`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	start := time.Now()
	res, err := Run(ctx, p, Options{Workers: 3, Backend: r.b, Out: t.TempDir(), Seed: 5, RunID: "ecs-cancel", StartDelay: 3 * time.Second,
		OnUpdate: func(st Status) {
			if time.Since(st.StartAt) > 2*time.Second {
				once.Do(cancel)
			}
		}})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	took := time.Since(start)
	t.Logf("cancelled ECS run: %s", took.Round(time.Millisecond))
	if took > 40*time.Second {
		t.Errorf("a cancelled run took %s", took)
	}
	if !res.Summary.Run.Interrupted || res.Summary.Total.Count == 0 {
		t.Errorf("summary: interrupted %v, %d requests", res.Summary.Run.Interrupted, res.Summary.Total.Count)
	}
	arns := map[string]bool{}
	for i, h := range res.Workers {
		if h.State != WorkerStopped || !h.Merged || h.Exit == nil || h.Exit.Code != ExitCancelled {
			t.Errorf("worker %d: %+v", i, h)
		}
	}
	list, err := r.agent.ecs.ListTasks(context.Background(), &ecs.ListTasksInput{Cluster: aws.String(testCluster)})
	if err != nil {
		t.Fatal(err)
	}
	for _, arn := range list.TaskArns {
		arns[arn] = true
	}
	stops := r.rec.ops("StopTask")
	stopped := map[string]bool{}
	for _, c := range stops {
		if c.Body["reason"] != "cancelled" {
			t.Errorf("StopTask reason %v", c.Body["reason"])
		}
		stopped[fmt.Sprint(c.Body["task"])] = true
	}
	if len(stops) != 3 || len(stopped) != 3 {
		t.Errorf("%d StopTask calls for %d tasks, want one for each of 3", len(stops), len(stopped))
	}
	for arn := range arns {
		if !stopped[arn] {
			t.Errorf("task %s got no StopTask", arn)
		}
	}
	desc, err := r.agent.ecs.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{Cluster: aws.String(testCluster), Tasks: slices.Collect(maps.Keys(arns))})
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range desc.Tasks {
		if aws.ToString(task.LastStatus) != "STOPPED" || aws.ToString(task.StoppedReason) != "cancelled" {
			t.Errorf("task %s: %s, %q", aws.ToString(task.TaskArn), aws.ToString(task.LastStatus), aws.ToString(task.StoppedReason))
		}
	}
}

// fakeECS is an in-process ECS speaking the real JSON 1.1 wire protocol
// (POST /, X-Amz-Target AmazonEC2ContainerServiceV20141113.<Op>,
// application/x-amz-json-1.1, errors as {"__type": …, "message": …}), for
// what moto cannot do: partial RunTask failures, throttling, container exit
// codes, tasks that never ran.
type fakeECS struct {
	t   *testing.T
	srv *httptest.Server
	// answer decides the n-th RunTask call (from 1) for the worker with
	// segment seg: "" starts a task, "throttle" throttles with HTTP 400,
	// "throttle429" with HTTP 429, anything else fails with that reason.
	answer func(call int, seg string) string
	// behave is what a started task's container does (nil: it idles until
	// StopTask); ctx ends on StopTask (ECS's SIGTERM).
	behave func(ctx context.Context, env map[string]string) fakeEnd
	// runDelay is how long a RunTask takes.
	runDelay time.Duration

	mu        sync.Mutex
	calls     map[string]int
	inFlight  int      // RunTask calls being served
	mostRuns  int      // the most RunTask calls served at once
	described []int    // tasks named by each DescribeTasks
	tokens    []string // RunTask client tokens, in call order
	byToken   map[string]*fakeTask
	tasks     map[string]*fakeTask
	stops     []ecsCall
	wg        sync.WaitGroup
}

type fakeTask struct {
	arn        string
	env        map[string]string
	cancel     context.CancelFunc
	stopReason string // from StopTask
	stopped    bool
	end        fakeEnd
}

// fakeEnd is how a task ends.
type fakeEnd struct {
	ExitCode                                 *int // nil: the container never ran
	StopCode, StoppedReason, ContainerReason string
}

func newFakeECS(t *testing.T) *fakeECS {
	f := &fakeECS{t: t, calls: map[string]int{}, byToken: map[string]*fakeTask{}, tasks: map[string]*fakeTask{}}
	f.srv = httptest.NewServer(f)
	t.Cleanup(func() {
		f.mu.Lock()
		for _, task := range f.tasks {
			task.cancel()
		}
		f.mu.Unlock()
		f.wg.Wait()
		f.srv.Close()
	})
	return f
}

func (f *fakeECS) reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", "fake-"+strconv.Itoa(int(time.Now().UnixNano()%1e6)))
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeECS) fail(w http.ResponseWriter, status int, typ, msg string) {
	f.reply(w, status, map[string]string{"__type": typ, "message": msg})
}

func (f *fakeECS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AmazonEC2ContainerServiceV20141113.")
	if r.Method != http.MethodPost || !ok || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" ||
		!strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		f.t.Errorf("not an ECS JSON 1.1 call: %s %s %v", r.Method, r.URL, r.Header)
		f.fail(w, http.StatusBadRequest, "SerializationException", "bad request")
		return
	}
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		f.fail(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	f.mu.Lock()
	f.calls[op]++
	n := f.calls[op]
	f.mu.Unlock()
	switch op {
	case "RunTask":
		f.runTask(w, n, in)
	case "DescribeTasks":
		f.mu.Lock()
		f.described = append(f.described, len(in["tasks"].([]any)))
		tasks, failures := []any{}, []any{}
		for _, a := range in["tasks"].([]any) {
			if task := f.tasks[a.(string)]; task != nil {
				tasks = append(tasks, f.taskJSON(task))
			} else {
				failures = append(failures, map[string]any{"arn": a, "reason": "MISSING"})
			}
		}
		f.mu.Unlock()
		f.reply(w, http.StatusOK, map[string]any{"tasks": tasks, "failures": failures})
	case "StopTask":
		arn, _ := in["task"].(string)
		f.mu.Lock()
		f.stops = append(f.stops, ecsCall{Op: op, Body: in})
		task := f.tasks[arn]
		if task != nil && !task.stopped && task.stopReason == "" {
			task.stopReason, _ = in["reason"].(string)
			task.cancel()
		}
		f.mu.Unlock()
		if task == nil {
			f.fail(w, http.StatusBadRequest, "InvalidParameterException", "The referenced task was not found.")
			return
		}
		f.mu.Lock()
		out := map[string]any{"task": f.taskJSON(task)}
		f.mu.Unlock()
		f.reply(w, http.StatusOK, out)
	default:
		f.fail(w, http.StatusBadRequest, "InvalidParameterException", "unsupported by the fake: "+op)
	}
}

func (f *fakeECS) runTask(w http.ResponseWriter, call int, in map[string]any) {
	env := envOf(f.t, in)
	token, _ := in["clientToken"].(string)
	f.mu.Lock()
	f.tokens = append(f.tokens, token)
	f.inFlight++
	f.mostRuns = max(f.mostRuns, f.inFlight)
	f.mu.Unlock()
	time.Sleep(f.runDelay)
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()
	ans := ""
	if f.answer != nil {
		ans = f.answer(call, env[EnvSegment])
	}
	switch ans {
	case "throttle":
		f.fail(w, http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
		return
	case "throttle429":
		f.fail(w, http.StatusTooManyRequests, "ThrottlingException", "Rate exceeded")
		return
	case "":
	default:
		f.reply(w, http.StatusOK, map[string]any{"tasks": []any{}, "failures": []any{map[string]any{
			"arn": in["taskDefinition"], "reason": ans, "detail": "no free IP address left in subnet-1"}}})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if task := f.byToken[token]; task != nil { // idempotent retry
		f.reply(w, http.StatusOK, map[string]any{"tasks": []any{f.taskJSON(task)}, "failures": []any{}})
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	task := &fakeTask{arn: fmt.Sprintf("arn:aws:ecs:%s:123456789012:task/%s/%032x", testRegion, testCluster, len(f.tasks)+1), env: env, cancel: cancel}
	f.tasks[task.arn], f.byToken[token] = task, task
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		var end fakeEnd
		if f.behave != nil {
			end = f.behave(ctx, env)
		} else {
			<-ctx.Done()
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if task.stopReason != "" {
			end.StopCode, end.StoppedReason = "UserInitiated", task.stopReason
		} else if end.StopCode == "" {
			end.StopCode, end.StoppedReason = "EssentialContainerExited", "Essential container in task exited"
		}
		task.end, task.stopped = end, true
	}()
	f.reply(w, http.StatusOK, map[string]any{"tasks": []any{f.taskJSON(task)}, "failures": []any{}})
}

// taskJSON is a task as DescribeTasks shows it (f.mu held).
func (f *fakeECS) taskJSON(task *fakeTask) map[string]any {
	var envs []any
	for k, v := range task.env {
		envs = append(envs, map[string]any{"name": k, "value": v})
	}
	c := map[string]any{"name": "worker", "containerArn": task.arn + "/worker", "taskArn": task.arn, "lastStatus": "RUNNING"}
	m := map[string]any{"taskArn": task.arn, "clusterArn": "arn:aws:ecs:" + testRegion + ":123456789012:cluster/" + testCluster,
		"lastStatus": "RUNNING", "desiredStatus": "RUNNING", "launchType": "FARGATE", "startedBy": StartedBy, "containers": []any{c},
		"overrides": map[string]any{"containerOverrides": []any{map[string]any{"name": "worker", "environment": envs}}}}
	if task.stopReason != "" {
		m["desiredStatus"] = "STOPPED"
	}
	if task.stopped {
		m["lastStatus"], m["desiredStatus"], c["lastStatus"] = "STOPPED", "STOPPED", "STOPPED"
		m["stopCode"], m["stoppedReason"] = task.end.StopCode, task.end.StoppedReason
		if task.end.ExitCode != nil {
			c["exitCode"] = *task.end.ExitCode
		}
		if task.end.ContainerReason != "" {
			c["reason"] = task.end.ContainerReason
		}
	}
	return m
}

func (f *fakeECS) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

// runWorker is a container running the real worker in-process, its store
// moto's S3.
func (m *motoEnv) runWorker(ctx context.Context, env map[string]string) fakeEnd {
	spec, err := SpecFromEnv(func(k string) string { return env[k] })
	code := ExitUsage
	if err == nil {
		code, _ = RunWorker(ctx, spec, WorkerOptions{OpenStore: m.openStore})
	}
	return fakeEnd{ExitCode: &code}
}

// newFakeBackend is an ECS backend calling f, with its store in moto.
func newFakeBackend(t *testing.T, m *motoEnv, f *fakeECS, attempts int) *ECSBackend {
	t.Helper()
	cfg := ECSConfig{Cluster: testCluster, TaskDefinition: "loadgen-worker:1", Subnets: []string{"subnet-1"}, SecurityGroups: []string{"sg-1"},
		LogGroup: testGroup, LogStreamPrefix: "loadgen", Artifacts: "s3://" + testBucket + "/" + testPrefix}
	b, err := NewECSBackend(ecsClient(f.srv.URL, attempts), m.st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b.PollInterval = 100 * time.Millisecond
	return b
}

func TestECSPartialRunTaskFailure(t *testing.T) {
	m := startMoto(t)
	f := newFakeECS(t)
	f.runDelay = 20 * time.Millisecond
	f.answer = func(_ int, seg string) string {
		if seg == "7/150" {
			return "RESOURCE:ENI"
		}
		return ""
	}
	// 150 workers: RunTask 10 at a time, DescribeTasks 100 tasks at most.
	p := writePlan(t, `version: 1
name: partial
target: http://127.0.0.1:9
scenarios:
  - {name: s, executor: per-vu-iterations, vus: 150, iterations: 1, steps: [{name: a, request: {url: /a}}]}
`)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := Run(ctx, p, Options{Workers: 150, Backend: newFakeBackend(t, m, f, 0), Out: t.TempDir(), RunID: "ecs-partial", StartDelay: time.Minute})
	if err == nil || res != nil {
		t.Fatalf("run with a failed RunTask: %v, %+v", err, res)
	}
	for _, want := range []string{"worker 7/150: RunTask failed: RESOURCE:ENI", "no free IP address left in subnet-1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if n := strings.Count(err.Error(), "worker "); n != 1 {
		t.Errorf("error %q names %d workers, want the one that failed", err, n)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.tasks) != 149 || f.calls["RunTask"] != 150 {
		t.Errorf("%d tasks from %d RunTask calls", len(f.tasks), f.calls["RunTask"])
	}
	if f.mostRuns > 10 || f.mostRuns < 2 {
		t.Errorf("%d RunTask calls at once, want at most 10", f.mostRuns)
	}
	stopped := map[string]bool{}
	for _, c := range f.stops {
		stopped[fmt.Sprint(c.Body["task"])] = true
		if c.Body["reason"] != "another worker failed to start" {
			t.Errorf("StopTask reason %v", c.Body["reason"])
		}
	}
	for arn, task := range f.tasks {
		if !stopped[arn] || !task.stopped {
			t.Errorf("task %s (worker %s) was not stopped", arn, task.env[EnvSegment])
		}
	}
	if len(f.stops) != 149 {
		t.Errorf("%d StopTask calls, want 149", len(f.stops))
	}
	if most := slices.Max(f.described); most != 100 {
		t.Errorf("DescribeTasks named up to %d tasks, want batches of 100 (%v)", most, f.described)
	}
}

func TestECSThrottledRunTaskIsRetried(t *testing.T) {
	m := startMoto(t)
	target := startDemo(t)
	f := newFakeECS(t)
	f.answer = func(call int, _ string) string {
		switch call {
		case 1:
			return "throttle"
		case 2:
			return "throttle429"
		}
		return ""
	}
	f.behave = m.runWorker
	p := writePlan(t, `version: 1
name: throttled
target: `+target+`
scenarios:
  - {name: s, executor: shared-iterations, vus: 4, iterations: 20, steps: [{name: health, request: {url: /health}}]}
`)
	// One attempt per SDK call: the backend's own retries do the work.
	b := newFakeBackend(t, m, f, 1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := Run(ctx, p, Options{Workers: 2, Backend: b, Out: t.TempDir(), RunID: "ecs-throttled", Seed: 3, StartDelay: 4 * time.Second})
	if err != nil {
		t.Fatalf("throttled run: %v", err)
	}
	if res.Summary.Total.Count != 20 {
		t.Errorf("%d requests, want 20", res.Summary.Total.Count)
	}
	for i, h := range res.Workers {
		if h.State != WorkerDone || !h.Merged {
			t.Errorf("worker %d: %+v", i, h)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	perToken := map[string]int{}
	for _, tok := range f.tokens {
		perToken[tok]++
	}
	if f.calls["RunTask"] != 4 || len(f.tasks) != 2 || len(perToken) != 2 {
		t.Errorf("%d RunTask calls with tokens %v started %d tasks; want 4 calls, 2 tokens, 2 tasks", f.calls["RunTask"], perToken, len(f.tasks))
	}
}

func TestECSThrottlingGivesUpWithinItsBound(t *testing.T) {
	m := startMoto(t)
	f := newFakeECS(t)
	f.answer = func(int, string) string { return "throttle" }
	p := writePlan(t, `version: 1
name: throttled
target: http://127.0.0.1:9
scenarios:
  - {name: s, executor: per-vu-iterations, vus: 1, iterations: 1, steps: [{name: a, request: {url: /a}}]}
`)
	b := newFakeBackend(t, m, f, 1)
	b.ThrottleTimeout = 1500 * time.Millisecond
	start := time.Now()
	_, err := Run(context.Background(), p, Options{Workers: 1, Backend: b, Out: t.TempDir(), RunID: "ecs-throttled-out", StartDelay: time.Minute})
	if err == nil || !strings.Contains(err.Error(), "still throttled") || !strings.Contains(err.Error(), "ThrottlingException") {
		t.Fatalf("err %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("gave up after %s with a 1.5 s bound", took)
	}
	if n := f.count("RunTask"); n < 2 {
		t.Errorf("%d RunTask calls", n)
	}
}

func TestECSFailedTasksAreReported(t *testing.T) {
	m := startMoto(t)
	target := startDemo(t)
	f := newFakeECS(t)
	const pull = "CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/loadgen:missing: not found"
	f.behave = func(ctx context.Context, env map[string]string) fakeEnd {
		switch env[EnvSegment] {
		case "1/3": // the worker fails: exit code 1, its exit.json says why
			bucket, key := splitS3(env[EnvOut])
			st, _ := m.openStore(ctx, "s3://"+bucket)
			if err := st.Put(ctx, key+ExitFile, []byte(`{"code":1,"error":"connecting to the target: boom"}`)); err != nil {
				t.Error(err)
			}
			one := 1
			return fakeEnd{ExitCode: &one}
		case "2/3": // the image cannot be pulled: the container never ran
			return fakeEnd{StopCode: "TaskFailedToStart", StoppedReason: pull, ContainerReason: "CannotPullContainerError: not found"}
		}
		return m.runWorker(ctx, env)
	}
	p := writePlan(t, `version: 1
name: failing
target: `+target+`
scenarios:
  - {name: s, executor: per-vu-iterations, vus: 3, iterations: 4, steps: [{name: health, request: {url: /health}}]}
`)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := Run(ctx, p, Options{Workers: 3, Backend: newFakeBackend(t, m, f, 0), Out: t.TempDir(), RunID: "ecs-failing", StartDelay: 4 * time.Second})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Summary.Total.Count != 4 || !strings.Contains(res.Summary.Run.StopReason, "2 of 3 workers have no results") {
		t.Errorf("summary: %d requests, stop reason %q", res.Summary.Total.Count, res.Summary.Run.StopReason)
	}
	if len(res.Failed) != 2 {
		t.Fatalf("failures %q", res.Failed)
	}
	f.mu.Lock()
	logs := map[string]string{}
	for arn, task := range f.tasks {
		logs[task.env[EnvSegment]] = "(logs: https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups/log-group/$252Fecs$252Floadgen/log-events/loadgen$252Fworker$252F" + taskID(arn) + ")"
	}
	f.mu.Unlock()
	for _, want := range [][]string{
		{"worker 1/3: exit code 1: ", "connecting to the target: boom", "EssentialContainerExited: Essential container in task exited", logs["1/3"]},
		{"worker 2/3: exit code -1: ", "TaskFailedToStart: " + pull, "container: CannotPullContainerError: not found", logs["2/3"]},
	} {
		msg := ""
		for _, f := range res.Failed {
			if strings.HasPrefix(f, want[0]) {
				msg = f
			}
		}
		for _, w := range want {
			if !strings.Contains(msg, w) {
				t.Errorf("failure %q lacks %q (failures %q)", msg, w, res.Failed)
			}
		}
	}
	if h := res.Workers[0]; h.State != WorkerDone || !h.Merged || h.Requests != 4 {
		t.Errorf("worker 0: %+v", h)
	}
	if h := res.Workers[1]; h.State != WorkerFailed || h.Exit == nil || h.Exit.Code != 1 {
		t.Errorf("worker 1: %+v", h)
	}
	if h := res.Workers[2]; h.State != WorkerFailed || h.Exit == nil || h.Exit.Code != -1 {
		t.Errorf("worker 2: %+v", h)
	}
}

func TestECSConfigFromStack(t *testing.T) {
	endpoint := mototest.Start(t)
	cfn := cloudformation.New(cloudformation.Options{Region: "eu-west-1", Credentials: testCreds, BaseEndpoint: aws.String(endpoint)})
	ctx := context.Background()
	stack := func(name string, outputs map[string]string) {
		t.Helper()
		outs := map[string]any{}
		for k, v := range outputs {
			outs[k] = map[string]any{"Value": v}
		}
		tpl, _ := json.Marshal(map[string]any{
			"Resources": map[string]any{"Handle": map[string]any{"Type": "AWS::CloudFormation::WaitConditionHandle"}},
			"Outputs":   outs,
		})
		if _, err := cfn.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String(name), TemplateBody: aws.String(string(tpl))}); err != nil {
			t.Fatal(err)
		}
	}
	stack("loadgen", map[string]string{
		OutputCluster: "loadgen-cluster", OutputTaskDefinition: "arn:aws:ecs:eu-west-1:123456789012:task-definition/loadgen-worker:7",
		OutputContainer: "loadgen", OutputSubnets: "subnet-a, subnet-b", OutputSecurityGroup: "sg-1",
		OutputArtifactsBucket: "loadgen-artifacts", OutputLogGroup: "/ecs/loadgen-workers",
		OutputLogStreamPrefix: "w", OutputAssignPublicIP: "ENABLED",
	})
	cfg, err := ECSConfigFromStack(ctx, cfn, "loadgen")
	if err != nil {
		t.Fatal(err)
	}
	want := ECSConfig{Cluster: "loadgen-cluster", TaskDefinition: "arn:aws:ecs:eu-west-1:123456789012:task-definition/loadgen-worker:7",
		Container: "loadgen", Subnets: []string{"subnet-a", "subnet-b"}, SecurityGroups: []string{"sg-1"}, AssignPublicIP: true,
		LogGroup: "/ecs/loadgen-workers", LogStreamPrefix: "w", Region: "eu-west-1", Artifacts: "s3://loadgen-artifacts"}
	if fmt.Sprintf("%+v", cfg) != fmt.Sprintf("%+v", want) {
		t.Errorf("config\n got %+v\nwant %+v", cfg, want)
	}

	stack("partial", map[string]string{OutputCluster: "c", OutputSubnets: "subnet-a", OutputArtifactsBucket: "b"})
	_, err = ECSConfigFromStack(ctx, cfn, "partial")
	if err == nil {
		t.Fatal("a stack without most outputs was accepted")
	}
	for _, k := range []string{OutputTaskDefinition, OutputContainer, OutputSecurityGroup, OutputLogGroup} {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("error %q does not name %s", err, k)
		}
	}
	if strings.Contains(err.Error(), OutputCluster+",") || strings.Contains(err.Error(), OutputSubnets) {
		t.Errorf("error %q names outputs that are there", err)
	}
	if _, err := ECSConfigFromStack(ctx, cfn, "no-such-stack"); err == nil || !strings.Contains(err.Error(), "no-such-stack") {
		t.Errorf("missing stack: %v", err)
	}
}

func TestECSBackendChecks(t *testing.T) {
	client := ecs.New(ecs.Options{Region: "eu-west-1", Credentials: testCreds, BaseEndpoint: aws.String("http://127.0.0.1:1")})
	st, err := store.NewS3(s3.New(s3.Options{Region: "eu-west-1"}), "bucket", "pre/fix", store.S3Options{})
	if err != nil {
		t.Fatal(err)
	}
	good := ECSConfig{Cluster: "c", TaskDefinition: "td", Subnets: []string{"s"}, SecurityGroups: []string{"g"}, Artifacts: "s3://bucket/pre/fix/",
		LogGroup: "/ecs/loadgen", LogStreamPrefix: "loadgen"}
	b, err := NewECSBackend(client, st, good)
	if err != nil {
		t.Fatal(err)
	}
	if c := b.Config(); c.Container != "worker" || c.Region != "eu-west-1" {
		t.Errorf("defaults: %+v", c)
	}
	if d := b.StartDelay(100); d != 95*time.Second {
		t.Errorf("start delay for 100 workers %s", d)
	}
	arn := "arn:aws:ecs:eu-west-1:123456789012:task/c/0123456789abcdef"
	if got, want := b.logsURL(arn), "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Fecs$252Floadgen/log-events/loadgen$252Fworker$252F0123456789abcdef"; got != want {
		t.Errorf("logs link\n got %s\nwant %s", got, want)
	}
	for _, bad := range []struct {
		cfg  func(*ECSConfig)
		want string
	}{
		{func(c *ECSConfig) { c.Cluster, c.Subnets = "", nil }, "missing cluster, subnets"},
		{func(c *ECSConfig) { c.Artifacts = "results/x" }, "want s3://bucket/prefix"},
		{func(c *ECSConfig) { c.Artifacts = "s3://other/pre/fix" }, "the store is s3://bucket/pre/fix"},
		{func(c *ECSConfig) { c.SecurityGroups = []string{""} }, "empty subnet or security group"},
	} {
		cfg := good
		bad.cfg(&cfg)
		if _, err := NewECSBackend(client, st, cfg); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v: err %v, want %q", cfg, err, bad.want)
		}
	}

	// Client tokens: ≤ 64 printable ASCII characters, distinct per worker
	// and per run.
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	long := WorkerSpec{RunID: strings.Repeat("run id é ", 20), StartAt: at, Segment: loadgen.Segment{Index: 123, Count: 200}}
	tok := ClientToken(long)
	if len(tok) > 64 || strings.ContainsFunc(tok, func(r rune) bool { return r < 33 || r > 126 }) || !strings.Contains(tok, "-123-") {
		t.Errorf("token %q", tok)
	}
	other := long
	other.RunID += "x"
	if ClientToken(other) == tok {
		t.Error("two long run ids share a token")
	}
	later := long
	later.StartAt = at.Add(time.Second)
	if ClientToken(later) == tok {
		t.Error("a reused run id gets the same token")
	}
	if got := ClientToken(WorkerSpec{RunID: "r1", StartAt: at, Segment: loadgen.Segment{Index: 2, Count: 3}}); !strings.HasPrefix(got, "r1-2-") {
		t.Errorf("token %q", got)
	}

	// Overrides past ECS's 8192 characters fail before any call.
	specs := []WorkerSpec{{Segment: loadgen.Segment{Index: 0, Count: 1}, Plan: "s3://bucket/pre/fix/runs/r/plan/p.yaml", Out: "s3://bucket/pre/fix/runs/r/workers/0/",
		StartAt: at, RunID: "r", Target: "http://example.com/" + strings.Repeat("x", 9000)}}
	ws, err := b.Start(context.Background(), specs)
	if err == nil || !strings.Contains(err.Error(), "8192") || !strings.Contains(err.Error(), "worker 0/1") || len(ws) != 1 || ws[0] != nil {
		t.Errorf("oversized overrides: %v", err)
	}
	if errors.Is(err, context.Canceled) {
		t.Error(err)
	}
}
