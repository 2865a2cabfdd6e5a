package dist

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Backend starts workers somewhere and makes their outputs readable.
type Backend interface {
	// Name is "local" or "ecs".
	Name() string
	// Locate makes the plan file (with its data files beside it) reachable
	// by the workers and says where the plan is and where worker i writes.
	Locate(ctx context.Context, planFile, runID, out string, n int) (plan string, outs []string, err error)
	// Start launches one worker per spec. When some could not start, it
	// returns the handles of those that did (nil for the others) with an
	// error that names the failed workers and why.
	Start(ctx context.Context, specs []WorkerSpec) ([]Worker, error)
	// Collect copies worker i's outputs into the local folder dir (a no-op
	// when they are already there).
	Collect(ctx context.Context, spec WorkerSpec, dir string) error
	// StartDelay is how far ahead the start time is set so that every
	// worker is ready by then.
	StartDelay(n int) time.Duration
}

// Worker is a started worker.
type Worker interface {
	// ID names it: a process id, a task ARN.
	ID() string
	// Wait blocks until it has ended.
	Wait(ctx context.Context) Exit
	// Stop asks it to stop: gracefully, then for good.
	Stop(ctx context.Context, reason string) error
	// Live is its latest progress, if any arrived.
	Live() (Live, bool)
	// Logs says where its logs are (a file, a CloudWatch link).
	Logs() string
}

// Exit is how a worker ended.
type Exit struct {
	// Code is the worker's exit code; -1 when it never ran or was killed.
	Code int `json:"code"`
	// Reason explains a stop: a signal, ECS's stop code and reason.
	Reason string `json:"reason,omitempty"`
}

// LocalBackend runs workers as processes of this machine: the loadgen
// executable's `worker` command, one process per segment, so that a run
// scales past one core.
type LocalBackend struct {
	// Executable is the loadgen binary (default: this process's own).
	Executable string
	// Log receives the workers' standard error, each line prefixed with
	// the worker's segment (nil: discarded).
	Log io.Writer
	// Env is added to the workers' environment.
	Env []string
	// Grace is how long a stopped worker gets before it is killed
	// (default 30 s: graceful_stop plus the flush).
	Grace time.Duration
}

// Name is "local".
func (b *LocalBackend) Name() string { return "local" }

// StartDelay leaves time to start n processes and connect their VUs.
func (b *LocalBackend) StartDelay(n int) time.Duration {
	return 2*time.Second + time.Duration(n)*100*time.Millisecond
}

// Locate keeps the plan where it is; worker i writes to out/workers/i.
func (b *LocalBackend) Locate(_ context.Context, planFile, _, out string, n int) (string, []string, error) {
	abs, err := filepath.Abs(planFile)
	if err != nil {
		return "", nil, err
	}
	outs := make([]string, n)
	for i := range outs {
		outs[i] = filepath.Join(out, "workers", strconv.Itoa(i))
	}
	return abs, outs, nil
}

// Collect is a no-op: local workers write into the run folder.
func (b *LocalBackend) Collect(context.Context, WorkerSpec, string) error { return nil }

// Start starts the processes.
func (b *LocalBackend) Start(ctx context.Context, specs []WorkerSpec) ([]Worker, error) {
	exe := b.Executable
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	out := make([]Worker, len(specs))
	var errs []error
	for i, s := range specs {
		w, err := b.start(exe, s)
		if err != nil {
			errs = append(errs, fmt.Errorf("worker %s: %w", s.Segment, err))
			continue
		}
		out[i] = w
	}
	return out, errors.Join(errs...)
}

func (b *LocalBackend) start(exe string, s WorkerSpec) (*localWorker, error) {
	if err := os.MkdirAll(s.Out, 0o755); err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "worker")
	cmd.Env = append(os.Environ(), b.Env...)
	for k, v := range s.Env() {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(s.Out, "worker.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	var stderr io.Writer = logf
	if b.Log != nil {
		stderr = io.MultiWriter(logf, &prefixWriter{w: b.Log, prefix: "worker " + s.Segment.String() + ": "})
	}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	grace := b.Grace
	if grace <= 0 {
		grace = 30 * time.Second
	}
	w := &localWorker{cmd: cmd, log: logPath, grace: grace, done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var l Live
			if json.Unmarshal(sc.Bytes(), &l) == nil {
				w.mu.Lock()
				w.live, w.seen = l, true
				w.mu.Unlock()
			}
		}
		err := cmd.Wait()
		logf.Close()
		code, reason := 0, ""
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			code = ee.ExitCode()
			if st, ok := ee.Sys().(syscall.WaitStatus); ok && st.Signaled() {
				code, reason = -1, fmt.Sprintf("killed by signal %d (%s)", int(st.Signal()), st.Signal())
			}
		case err != nil:
			code, reason = -1, err.Error()
		}
		w.exit = Exit{Code: code, Reason: reason}
		close(w.done)
	}()
	return w, nil
}

type localWorker struct {
	cmd   *exec.Cmd
	log   string
	grace time.Duration
	done  chan struct{}
	exit  Exit

	mu   sync.Mutex
	live Live
	seen bool
}

func (w *localWorker) ID() string   { return "pid " + strconv.Itoa(w.cmd.Process.Pid) }
func (w *localWorker) Logs() string { return w.log }

func (w *localWorker) Live() (Live, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.live, w.seen
}

func (w *localWorker) Wait(ctx context.Context) Exit {
	select {
	case <-w.done:
		return w.exit
	case <-ctx.Done():
		return Exit{Code: -1, Reason: ctx.Err().Error()}
	}
}

// Stop sends SIGTERM (the worker stops gracefully and flushes), then
// SIGKILL after the grace period.
func (w *localWorker) Stop(ctx context.Context, _ string) error {
	select {
	case <-w.done:
		return nil
	default:
	}
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	t := time.NewTimer(w.grace)
	defer t.Stop()
	select {
	case <-w.done:
		return nil
	case <-t.C:
	case <-ctx.Done():
	}
	return w.cmd.Process.Kill()
}

// prefixWriter prefixes every line.
type prefixWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	mid    bool
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(b)
	for len(b) > 0 {
		if !p.mid {
			if _, err := io.WriteString(p.w, p.prefix); err != nil {
				return 0, err
			}
		}
		i := 0
		for i < len(b) && b[i] != '\n' {
			i++
		}
		if i < len(b) {
			i++
			p.mid = false
		} else {
			p.mid = true
		}
		if _, err := p.w.Write(b[:i]); err != nil {
			return 0, err
		}
		b = b[i:]
	}
	return n, nil
}
