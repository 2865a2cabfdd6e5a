package dist

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/loadgen/loadgen/mcpserver/store"
	"github.com/loadgen/loadgen/planspec"
)

// ECS limits the backend respects.
const (
	// MaxOverrideChars is the most characters of JSON a RunTask's
	// container overrides may hold.
	MaxOverrideChars = 8192
	// maxClientToken is the longest RunTask client token.
	maxClientToken = 64
	// describeBatch is the most tasks one DescribeTasks call may name.
	describeBatch = 100
	// runTaskConcurrency is how many RunTask calls are in flight at once.
	runTaskConcurrency = 10
	// maxStopReason is the longest StopTask reason.
	maxStopReason = 255
)

// StartedBy is the startedBy value of every task the ECS backend starts.
const StartedBy = "loadgen"

// Tags the ECS backend puts on every task.
const (
	TagRun    = "loadgen:run"    // the run id
	TagWorker = "loadgen:worker" // the worker's segment, i/N
)

// ECSConfig says where the ECS backend starts its workers.
type ECSConfig struct {
	// Cluster is the ECS cluster's name or ARN.
	Cluster string
	// TaskDefinition is the worker's task definition (family[:revision]
	// or ARN): a FARGATE, awsvpc task whose container runs `loadgen
	// worker` (the container reads its spec from LOADGEN_WORKER_*).
	TaskDefinition string
	// Container is the worker container's name (default "worker").
	Container string
	// Subnets and SecurityGroups place the tasks' network interfaces.
	Subnets, SecurityGroups []string
	// AssignPublicIP gives each task a public IP (needed in public
	// subnets without a NAT gateway, to pull the image and reach S3).
	AssignPublicIP bool
	// LogGroup and LogStreamPrefix are the container's awslogs settings,
	// used for the CloudWatch Logs links (no links when LogGroup is "").
	LogGroup, LogStreamPrefix string
	// Region is the tasks' region (default: the ECS client's).
	Region string
	// Artifacts is where plans and worker outputs go: s3://bucket/prefix.
	Artifacts string
}

// ECSBackend runs workers as ECS Fargate tasks, one task per worker.
// The plan goes to S3 (Artifacts) and every task gets its WorkerSpec as
// environment variables in its container overrides; a worker uploads its
// outputs, its progress (live.json) and its exit record (exit.json) beside
// each other under Artifacts/runs/<run id>/workers/<i>/.
//
// One poller per backend follows every started task with DescribeTasks and
// reads the workers' live.json; a task is over when ECS reports it STOPPED.
type ECSBackend struct {
	// PollInterval is how often the tasks are described (default 5 s).
	PollInterval time.Duration
	// Delay, when set, replaces the default start delay (90 s plus 50 ms
	// per worker: Fargate tasks take about 30–60 s to start).
	Delay time.Duration
	// ThrottleTimeout bounds how long a throttled RunTask is retried
	// after the SDK's own retries (default 2 min).
	ThrottleTimeout time.Duration
	// Log receives notes about retries and lost calls (nil: discarded).
	Log io.Writer

	client *ecs.Client
	st     store.Store
	cfg    ECSConfig
	bucket string
	prefix string // the store's key prefix in the bucket: "" or ends with "/"

	mu      sync.Mutex
	tasks   map[string]*ecsWorker // by ARN, until STOPPED
	polling bool
	wake    chan struct{}
}

// NewECSBackend returns a backend starting tasks with client and keeping
// plans and outputs in st, the S3 store at cfg.Artifacts. Workers open
// their own store from the s3:// locations in their spec.
func NewECSBackend(client *ecs.Client, st store.Store, cfg ECSConfig) (*ECSBackend, error) {
	if client == nil {
		return nil, errors.New("ecs backend: no ECS client")
	}
	if cfg.Container == "" {
		cfg.Container = "worker"
	}
	if cfg.Region == "" {
		cfg.Region = client.Options().Region
	}
	var missing []string
	for _, f := range []struct {
		name string
		ok   bool
	}{
		{"cluster", cfg.Cluster != ""},
		{"task definition", cfg.TaskDefinition != ""},
		{"subnets", len(cfg.Subnets) > 0},
		{"security groups", len(cfg.SecurityGroups) > 0},
		{"artifacts (s3://bucket/prefix)", cfg.Artifacts != ""},
	} {
		if !f.ok {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("ecs backend: missing %s", strings.Join(missing, ", "))
	}
	for _, l := range [][]string{cfg.Subnets, cfg.SecurityGroups} {
		if slices.Contains(l, "") {
			return nil, fmt.Errorf("ecs backend: empty subnet or security group in %q", l)
		}
	}
	bucket, prefix, err := parseArtifacts(cfg.Artifacts)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, fmt.Errorf("ecs backend: no store for %s", cfg.Artifacts)
	}
	want := "s3://" + bucket
	if prefix != "" {
		want += "/" + strings.TrimSuffix(prefix, "/")
	}
	if st.String() != want {
		return nil, fmt.Errorf("ecs backend: the store is %s but the artifacts are %s", st.String(), want)
	}
	return &ECSBackend{client: client, st: st, cfg: cfg, bucket: bucket, prefix: prefix,
		tasks: map[string]*ecsWorker{}, wake: make(chan struct{}, 1)}, nil
}

// parseArtifacts splits s3://bucket/prefix; the prefix is "" or ends with "/".
func parseArtifacts(loc string) (bucket, prefix string, err error) {
	if !isS3(loc) {
		return "", "", fmt.Errorf("ecs backend: artifacts %q: want s3://bucket/prefix (the tasks read the plan and write their results there)", loc)
	}
	bucket, prefix = splitS3(loc)
	prefix = strings.Trim(prefix, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("ecs backend: artifacts %q: no bucket", loc)
	}
	if prefix != "" {
		if err := store.CheckKey(prefix); err != nil {
			return "", "", fmt.Errorf("ecs backend: artifacts %q: %w", loc, err)
		}
		prefix += "/"
	}
	return bucket, prefix, nil
}

// Config is the backend's configuration, defaults filled in.
func (b *ECSBackend) Config() ECSConfig { return b.cfg }

// Name is "ecs".
func (b *ECSBackend) Name() string { return "ecs" }

// StartDelay leaves time for Fargate to place the tasks, pull the image
// and start them: 90 s plus 50 ms per worker, unless Delay is set.
func (b *ECSBackend) StartDelay(n int) time.Duration {
	if b.Delay > 0 {
		return b.Delay
	}
	return 90*time.Second + time.Duration(n)*50*time.Millisecond
}

// runKey is the store folder of a run.
func runKey(runID string) string { return "runs/" + runID + "/" }

// s3URL is the s3:// location of a store key.
func (b *ECSBackend) s3URL(key string) string { return "s3://" + b.bucket + "/" + b.prefix + key }

// Locate uploads the plan and the data files its feeders read to
// runs/<runID>/plan/ in the store, keeping their layout relative to the
// plan, and gives worker i the output s3://…/runs/<runID>/workers/<i>/.
func (b *ECSBackend) Locate(ctx context.Context, planFile, runID, _ string, n int) (string, []string, error) {
	folder := runKey(runID)
	if err := store.CheckKey(strings.TrimSuffix(folder, "/")); err != nil {
		return "", nil, fmt.Errorf("run id %q: %w", runID, err)
	}
	if used, err := b.st.List(ctx, folder); err != nil {
		return "", nil, err
	} else if len(used) > 0 {
		return "", nil, fmt.Errorf("run id %q is already used in %s: pick another", runID, b.s3URL(folder))
	}
	// Only the data section matters here: the coordinator has validated
	// the plan with the run's real target, which the workers get too.
	p, err := planspec.ParseFile(planFile, planspec.Options{SkipFileChecks: true, Target: "http://loadgen.invalid"})
	if err != nil {
		return "", nil, fmt.Errorf("plan %s: %w", planFile, err)
	}
	planDir, err := filepath.Abs(filepath.Dir(planFile))
	if err != nil {
		return "", nil, err
	}
	planName := filepath.Base(planFile)
	files := map[string]string{planName: planFile} // key below plan/ → local path
	for _, name := range slices.Sorted(maps.Keys(p.Data)) {
		local, err := filepath.Abs(p.ResolvePath(p.Data[name].File))
		if err != nil {
			return "", nil, err
		}
		rel, err := filepath.Rel(planDir, local)
		if err != nil || !filepath.IsLocal(rel) {
			return "", nil, fmt.Errorf("data feeder %q: %s is outside the plan's folder %s; the ecs backend uploads the plan's folder layout, so keep data files beside the plan or below it", name, p.Data[name].File, planDir)
		}
		files[filepath.ToSlash(rel)] = local
	}
	for _, rel := range slices.Sorted(maps.Keys(files)) {
		if err := b.st.PutFile(ctx, folder+"plan/"+rel, files[rel]); err != nil {
			return "", nil, fmt.Errorf("uploading %s: %w", files[rel], err)
		}
	}
	outs := make([]string, n)
	for i := range outs {
		outs[i] = b.s3URL(folder + "workers/" + strconv.Itoa(i) + "/")
	}
	return b.s3URL(folder + "plan/" + planName), outs, nil
}

// outKey is the store key (a folder ending in "/") of a worker's output.
func (b *ECSBackend) outKey(out string) (string, error) {
	base := "s3://" + b.bucket + "/" + b.prefix
	if !strings.HasPrefix(out, base) || len(out) == len(base) {
		return "", fmt.Errorf("output %s is not under %s", out, base)
	}
	key := strings.TrimPrefix(out, base)
	if !strings.HasSuffix(key, "/") {
		key += "/"
	}
	return key, nil
}

// Collect downloads every object under the worker's output into dir
// (nothing, for a worker that never ran: the coordinator reports it).
func (b *ECSBackend) Collect(ctx context.Context, spec WorkerSpec, dir string) error {
	key, err := b.outKey(spec.Out)
	if err != nil {
		return err
	}
	_, err = store.GetFolder(ctx, b.st, key, dir, store.FolderLimits{})
	return err
}

// Start starts one task per worker (Count 1: each task gets its own
// segment in its environment), at most 10 RunTask calls at a time. Every
// call carries a client token derived from the run and the worker, so a
// retried call does not start a second task; a throttled call is retried
// with backoff for up to ThrottleTimeout.
func (b *ECSBackend) Start(ctx context.Context, specs []WorkerSpec) ([]Worker, error) {
	inputs := make([]*ecs.RunTaskInput, len(specs))
	var errs []error
	for i, s := range specs {
		in, err := b.runTaskInput(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("worker %s: %w", s.Segment, err))
		}
		inputs[i] = in
	}
	if len(errs) > 0 {
		return make([]Worker, len(specs)), errors.Join(errs...)
	}
	arns := make([]string, len(specs))
	failed := make([]error, len(specs))
	sem := make(chan struct{}, runTaskConcurrency)
	var wg sync.WaitGroup
	for i := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			arns[i], failed[i] = b.runTask(ctx, inputs[i])
		}()
	}
	wg.Wait()
	out := make([]Worker, len(specs))
	var started []*ecsWorker
	for i, s := range specs {
		if failed[i] != nil {
			errs = append(errs, fmt.Errorf("worker %s: %w", s.Segment, failed[i]))
			continue
		}
		w := &ecsWorker{b: b, arn: arns[i], spec: s, logs: b.logsURL(arns[i]), done: make(chan struct{})}
		if key, err := b.outKey(s.Out); err == nil {
			w.outKey = key
		} // otherwise exit.json and live.json cannot be read; ECS still tells the end
		out[i] = w
		started = append(started, w)
	}
	b.follow(started)
	return out, errors.Join(errs...)
}

// runTaskInput builds worker s's RunTask request.
func (b *ECSBackend) runTaskInput(s WorkerSpec) (*ecs.RunTaskInput, error) {
	env := s.Env()
	var kv []ecstypes.KeyValuePair
	for _, k := range slices.Sorted(maps.Keys(env)) {
		kv = append(kv, ecstypes.KeyValuePair{Name: aws.String(k), Value: aws.String(env[k])})
	}
	ov := &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{{Name: aws.String(b.cfg.Container), Environment: kv}}}
	if n := overrideChars(ov); n > MaxOverrideChars {
		return nil, fmt.Errorf("its container overrides are %d characters of JSON, over ECS's limit of %d (a shorter target URL or run id helps)", n, MaxOverrideChars)
	}
	assign := ecstypes.AssignPublicIpDisabled
	if b.cfg.AssignPublicIP {
		assign = ecstypes.AssignPublicIpEnabled
	}
	return &ecs.RunTaskInput{
		Cluster:        aws.String(b.cfg.Cluster),
		TaskDefinition: aws.String(b.cfg.TaskDefinition),
		LaunchType:     ecstypes.LaunchTypeFargate,
		Count:          aws.Int32(1),
		ClientToken:    aws.String(ClientToken(s)),
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets: b.cfg.Subnets, SecurityGroups: b.cfg.SecurityGroups, AssignPublicIp: assign}},
		Overrides: ov,
		StartedBy: aws.String(StartedBy),
		Tags: []ecstypes.Tag{
			{Key: aws.String(TagRun), Value: aws.String(tagValue(s.RunID))},
			{Key: aws.String(TagWorker), Value: aws.String(s.Segment.String())},
		},
	}, nil
}

// overrideChars is the length of the overrides' JSON as ECS counts it.
func overrideChars(ov *ecstypes.TaskOverride) int {
	type pair struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	type container struct {
		Name        string `json:"name"`
		Environment []pair `json:"environment"`
	}
	var cs []container
	for _, c := range ov.ContainerOverrides {
		ct := container{Name: aws.ToString(c.Name)}
		for _, kv := range c.Environment {
			ct.Environment = append(ct.Environment, pair{aws.ToString(kv.Name), aws.ToString(kv.Value)})
		}
		cs = append(cs, ct)
	}
	b, _ := json.Marshal(map[string]any{"containerOverrides": cs})
	return len(b)
}

// ClientToken is worker s's RunTask idempotency token:
// <run id>-<i>-<start time>, at most 64 characters of ASCII 33–126. The
// start time (milliseconds, base 36) tells apart two runs that reuse a
// run id, so that ECS never answers a new run with an old task.
func ClientToken(s WorkerSpec) string {
	suffix := "-" + strconv.Itoa(s.Segment.Index) + "-" + strconv.FormatInt(s.StartAt.UnixMilli(), 36)
	var sb strings.Builder
	for _, r := range s.RunID {
		if r >= 33 && r <= 126 {
			sb.WriteRune(r)
		} else {
			sb.WriteByte('_')
		}
	}
	base := sb.String()
	if len(base)+len(suffix) > maxClientToken {
		sum := sha256.Sum256([]byte(s.RunID))
		h := hex.EncodeToString(sum[:4])
		base = base[:maxClientToken-len(suffix)-len(h)-1] + "~" + h
	}
	return base + suffix
}

// tagValue keeps the characters ECS allows in a tag value.
func tagValue(s string) string {
	var sb strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsLetter(r), unicode.IsNumber(r), unicode.IsSpace(r), strings.ContainsRune("_.:/=+-@", r):
			sb.WriteRune(r)
		default:
			sb.WriteByte('_')
		}
	}
	v := sb.String()
	if len(v) > 256 {
		v = v[:256]
	}
	if v == "" {
		v = "-"
	}
	return v
}

// runTask starts one task and returns its ARN.
func (b *ECSBackend) runTask(ctx context.Context, in *ecs.RunTaskInput) (string, error) {
	limit := b.ThrottleTimeout
	if limit <= 0 {
		limit = 2 * time.Minute
	}
	deadline := time.Now().Add(limit)
	wait := 500 * time.Millisecond
	for attempt := 1; ; attempt++ {
		out, err := b.client.RunTask(ctx, in)
		if err == nil {
			if len(out.Tasks) > 0 && out.Tasks[0].TaskArn != nil {
				return *out.Tasks[0].TaskArn, nil
			}
			var why []string
			for _, f := range out.Failures {
				msg := aws.ToString(f.Reason)
				if f.Arn != nil {
					msg += " (" + *f.Arn + ")"
				}
				if f.Detail != nil {
					msg += ": " + *f.Detail
				}
				why = append(why, msg)
			}
			if len(why) == 0 {
				why = append(why, "ECS returned neither a task nor a failure")
			}
			return "", fmt.Errorf("RunTask failed: %s", strings.Join(why, "; "))
		}
		if !isThrottle(err) || ctx.Err() != nil {
			return "", fmt.Errorf("RunTask: %w", err)
		}
		if time.Now().Add(wait).After(deadline) {
			return "", fmt.Errorf("RunTask still throttled after %s (%d calls, each with the SDK's retries): %w", limit, attempt, err)
		}
		b.logf("RunTask %s throttled, retrying in %s: %v", aws.ToString(in.ClientToken), wait, err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return "", fmt.Errorf("RunTask: %w (after throttling: %v)", ctx.Err(), err)
		}
		wait = min(wait*2, 10*time.Second)
	}
}

// isThrottle says whether err is ECS's throttling (a ThrottlingException
// or an HTTP 429), also when the SDK has given up retrying it.
func isThrottle(err error) bool {
	return retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary
}

func (b *ECSBackend) logf(format string, args ...any) {
	if b.Log != nil {
		fmt.Fprintf(b.Log, "ecs: "+format+"\n", args...)
	}
}

// taskID is the last part of a task ARN.
func taskID(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

// logsURL is the CloudWatch Logs console page of a task's log stream
// (<prefix>/<container>/<task id>), or "" without a log group.
func (b *ECSBackend) logsURL(arn string) string {
	if b.cfg.LogGroup == "" {
		return ""
	}
	stream := b.cfg.Container + "/" + taskID(arn)
	if b.cfg.LogStreamPrefix != "" {
		stream = b.cfg.LogStreamPrefix + "/" + stream
	}
	r := b.cfg.Region
	return "https://" + r + ".console.aws.amazon.com/cloudwatch/home?region=" + r +
		"#logsV2:log-groups/log-group/" + consoleEscape(b.cfg.LogGroup) + "/log-events/" + consoleEscape(stream)
}

// consoleEscape escapes a path segment the way the CloudWatch console's
// fragment does: URL-escaped as by encodeURIComponent, then every % as $25 ("/" becomes $252F).
func consoleEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(url.QueryEscape(s), "+", "%20"), "%", "$25")
}

// follow adds started tasks to the poller, starting it if needed.
func (b *ECSBackend) follow(ws []*ecsWorker) {
	if len(ws) == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, w := range ws {
		b.tasks[w.arn] = w
	}
	if !b.polling {
		b.polling = true
		go b.poll()
	}
}

// poll describes the followed tasks every PollInterval until none is left.
func (b *ECSBackend) poll() {
	every := b.PollInterval
	if every <= 0 {
		every = 5 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	var failingSince time.Time
	for {
		b.mu.Lock()
		if len(b.tasks) == 0 {
			b.polling = false
			b.mu.Unlock()
			return
		}
		var ws []*ecsWorker
		for _, w := range b.tasks {
			ws = append(ws, w)
		}
		b.mu.Unlock()
		slices.SortFunc(ws, func(a, c *ecsWorker) int { return strings.Compare(a.arn, c.arn) })
		if err := b.pollOnce(ws); err != nil {
			if failingSince.IsZero() {
				failingSince = time.Now()
			}
			b.logf("DescribeTasks: %v", err)
			if time.Since(failingSince) > lostAfter {
				for _, w := range ws {
					b.finish(w, Exit{Code: -1, Reason: fmt.Sprintf("lost track of the task: DescribeTasks has failed for %s: %v", lostAfter, err)})
				}
			}
		} else {
			failingSince = time.Time{}
		}
		select {
		case <-t.C:
		case <-b.wake:
		}
	}
}

// lostAfter is how long DescribeTasks may fail before the tasks are given up.
const lostAfter = 10 * time.Minute

// missingPolls is how many polls in a row a task may be MISSING.
const missingPolls = 3

// pollOnce describes the tasks in batches, ends the stopped ones and
// refreshes the others' live state.
func (b *ECSBackend) pollOnce(ws []*ecsWorker) error {
	byARN := make(map[string]*ecsWorker, len(ws))
	for _, w := range ws {
		byARN[w.arn] = w
	}
	var errs []error
	var jobs []func()
	for batch := range slices.Chunk(ws, describeBatch) {
		arns := make([]string, len(batch))
		for i, w := range batch {
			arns[i] = w.arn
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		out, err := b.client.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(b.cfg.Cluster), Tasks: arns})
		cancel()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, t := range out.Tasks {
			w := byARN[aws.ToString(t.TaskArn)]
			if w == nil {
				continue
			}
			w.missing = 0
			if aws.ToString(t.LastStatus) == "STOPPED" {
				jobs = append(jobs, func() { b.finish(w, b.exitOf(w, t)) })
			} else {
				jobs = append(jobs, w.refreshLive)
			}
		}
		for _, f := range out.Failures {
			w := byARN[aws.ToString(f.Arn)]
			if w == nil {
				continue
			}
			if w.missing++; w.missing >= missingPolls {
				jobs = append(jobs, func() {
					e := b.exitFromStore(w)
					if e == nil {
						e = &Exit{Code: -1, Reason: "ECS no longer knows the task: " + aws.ToString(f.Reason)}
					}
					b.finish(w, *e)
				})
			}
		}
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, job := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			job()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// exitOf tells how a stopped task's worker ended: the container's exit
// code when ECS has one, otherwise the worker's exit.json, otherwise -1
// with ECS's stop code and reasons.
func (b *ECSBackend) exitOf(w *ecsWorker, t ecstypes.Task) Exit {
	var c *ecstypes.Container
	for i := range t.Containers {
		if aws.ToString(t.Containers[i].Name) == b.cfg.Container {
			c = &t.Containers[i]
		}
	}
	why := string(t.StopCode)
	if r := aws.ToString(t.StoppedReason); r != "" {
		why = joinReason(why, r, ": ")
	}
	if c != nil && aws.ToString(c.Reason) != "" {
		why = joinReason(why, "container: "+aws.ToString(c.Reason), "; ")
	}
	rec := b.exitFromStore(w)
	// An exit code counts only once the container has stopped: moto, for
	// one, reports 0 for containers that never ran.
	if c != nil && c.ExitCode != nil && aws.ToString(c.LastStatus) == "STOPPED" {
		e := Exit{Code: int(*c.ExitCode)}
		if e.Code != 0 {
			e.Reason = why
			if rec != nil {
				e.Reason = withCause(rec.Reason, why)
			}
		}
		return e
	}
	if rec != nil {
		if rec.Code != 0 {
			rec.Reason = withCause(rec.Reason, why)
		}
		return *rec
	}
	if why == "" {
		why = "the task stopped without an exit code or exit record"
	}
	return Exit{Code: -1, Reason: why}
}

// withCause adds ECS's stop reason to a worker's own error.
func withCause(err, why string) string {
	switch {
	case err == "":
		return why
	case why == "":
		return err
	}
	return err + " (" + why + ")"
}

func joinReason(a, b, sep string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return a + sep + b
}

// exitFromStore reads the worker's exit.json (nil when there is none).
func (b *ECSBackend) exitFromStore(w *ecsWorker) *Exit {
	if w.outKey == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rc, err := b.st.Get(ctx, w.outKey+ExitFile)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			b.logf("reading %s: %v", w.spec.Out+ExitFile, err)
		}
		return nil
	}
	defer rc.Close()
	var rec ExitRecord
	if err := json.NewDecoder(io.LimitReader(rc, 1<<20)).Decode(&rec); err != nil {
		b.logf("reading %s: %v", w.spec.Out+ExitFile, err)
		return nil
	}
	return &Exit{Code: rec.Code, Reason: rec.Error}
}

// finish records a worker's end and stops following its task.
func (b *ECSBackend) finish(w *ecsWorker, e Exit) {
	b.mu.Lock()
	_, following := b.tasks[w.arn]
	delete(b.tasks, w.arn)
	b.mu.Unlock()
	if !following {
		return
	}
	w.refreshLive()
	w.exit = e
	close(w.done)
}

// ecsWorker is one task.
type ecsWorker struct {
	b       *ECSBackend
	arn     string
	spec    WorkerSpec
	outKey  string
	logs    string
	done    chan struct{}
	exit    Exit
	missing int // polls in a row in DescribeTasks' failures (poller only)

	mu   sync.Mutex
	live Live
	seen bool
}

// ID is the task ARN.
func (w *ecsWorker) ID() string { return w.arn }

// Logs is the task's CloudWatch Logs console link ("" without a log group).
func (w *ecsWorker) Logs() string { return w.logs }

// Live is the worker's latest live.json.
func (w *ecsWorker) Live() (Live, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.live, w.seen
}

// refreshLive reads the worker's live.json from the store.
func (w *ecsWorker) refreshLive() {
	if w.outKey == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rc, err := w.b.st.Get(ctx, w.outKey+LiveFile)
	if err != nil {
		return
	}
	defer rc.Close()
	var l Live
	if json.NewDecoder(io.LimitReader(rc, 1<<20)).Decode(&l) != nil {
		return
	}
	w.mu.Lock()
	w.live, w.seen = l, true
	w.mu.Unlock()
}

// Wait blocks until ECS reports the task STOPPED.
func (w *ecsWorker) Wait(ctx context.Context) Exit {
	select {
	case <-w.done:
		return w.exit
	case <-ctx.Done():
		return Exit{Code: -1, Reason: ctx.Err().Error()}
	}
}

// Stop calls StopTask (ECS sends SIGTERM, the worker flushes its results
// within the task's stopTimeout, then SIGKILL) and waits until the task
// is STOPPED.
func (w *ecsWorker) Stop(ctx context.Context, reason string) error {
	select {
	case <-w.done:
		return nil
	default:
	}
	if reason == "" {
		reason = "stopped by loadgen"
	}
	if len(reason) > maxStopReason {
		reason = reason[:maxStopReason]
	}
	_, err := w.b.client.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(w.b.cfg.Cluster), Task: aws.String(w.arn), Reason: aws.String(reason)})
	if err != nil {
		return fmt.Errorf("StopTask %s: %w", w.arn, err)
	}
	select {
	case w.b.wake <- struct{}{}:
	default:
	}
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Compile-time checks.
var (
	_ Backend = (*ECSBackend)(nil)
	_ Worker  = (*ecsWorker)(nil)
)
