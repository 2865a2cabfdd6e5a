package jmetertest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// errNoProject is returned when the harness project cannot be found.
var errNoProject = errors.New("compiler/jmeterharness not found beside the go.mod above the working directory")

// buildTimeout bounds the harness build: a cold one downloads JMeter, its
// dependencies and Maven's plugins into ~/.m2.
const buildTimeout = 15 * time.Minute

// built is the harness of this test binary, built on first use.
var built struct {
	once sync.Once
	h    *H
	err  error
}

// Harness returns the JMeter harness, built on the first call of the test
// binary (later calls, concurrent ones included, wait for that build and
// share it). The test is skipped when java or mvn is missing, or fails when
// LOADGEN_REQUIRE_JMETER is set; a failed build fails it.
//
// The build runs
//
//	mvn -q -B compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
//
// in compiler/jmeterharness, under a file lock shared with other test
// binaries, and is skipped when target/build.stamp shows that pom.xml and
// src/ have not changed since the last build.
func Harness(t testing.TB) *H {
	t.Helper()
	requireTools(t)
	built.once.Do(func() {
		start := time.Now()
		h, ran, err := build(t)
		built.h, built.err = h, err
		how := "up to date"
		if ran {
			how = "built with mvn"
		}
		if err == nil {
			t.Logf("jmetertest: JMeter harness %s in %s", how, time.Since(start).Round(time.Millisecond))
		}
	})
	if built.err != nil {
		t.Fatalf("jmetertest: JMeter harness: %v", built.err)
	}
	return built.h
}

// build builds the harness unless it is up to date; ran reports whether
// Maven ran.
func build(t testing.TB) (h *H, ran bool, err error) {
	java, err := exec.LookPath("java")
	if err != nil {
		return nil, false, err
	}
	dir, err := projectDir()
	if err != nil {
		return nil, false, err
	}
	target := filepath.Join(dir, "target")
	if err := os.MkdirAll(target, 0o755); err != nil {
		return nil, false, err
	}
	unlock, err := lockFile(filepath.Join(target, ".build.lock"))
	if err != nil {
		return nil, false, err
	}
	defer unlock()

	sum, err := sourceHash(dir)
	if err != nil {
		return nil, false, fmt.Errorf("hash the harness sources: %w", err)
	}
	stamp := filepath.Join(target, "build.stamp")
	cp, ok := upToDate(dir, stamp, sum)
	if !ok {
		_ = os.Remove(stamp)
		ctx, cancel := withTestDeadline(context.Background(), t)
		defer cancel()
		ctx, cancel = context.WithTimeout(ctx, buildTimeout)
		defer cancel()
		if _, err := runMaven(ctx, dir, "compile", "dependency:build-classpath",
			"-Dmdep.outputFile=target/classpath.txt"); err != nil {
			return nil, false, err
		}
		if err := os.WriteFile(stamp, []byte(sum+"\n"), 0o644); err != nil {
			return nil, false, err
		}
		ran = true
		if cp, ok = upToDate(dir, stamp, sum); !ok {
			return nil, true, fmt.Errorf("mvn left no usable %s", filepath.Join(target, "classpath.txt"))
		}
	}
	h = &H{dir: dir, java: java,
		classpath: filepath.Join(target, "classes") + string(os.PathListSeparator) + cp}
	return h, ran, nil
}

// upToDate returns the dependencies' class path when the last build's stamp
// matches sum and its outputs are all there.
func upToDate(dir, stamp, sum string) (string, bool) {
	b, err := os.ReadFile(stamp)
	if err != nil || strings.TrimSpace(string(b)) != sum {
		return "", false
	}
	main := filepath.Join(dir, "target", "classes", "dev", "loadgen", "harness", "Main.class")
	if _, err := os.Stat(main); err != nil {
		return "", false
	}
	cp, err := os.ReadFile(filepath.Join(dir, "target", "classpath.txt"))
	if err != nil {
		return "", false
	}
	s := strings.TrimSpace(string(cp))
	for _, jar := range filepath.SplitList(s) {
		if _, err := os.Stat(jar); err != nil {
			return "", false
		}
	}
	return s, s != ""
}

// sourceHash hashes pom.xml and every file under src/.
func sourceHash(dir string) (string, error) {
	files := []string{"pom.xml"}
	err := filepath.WalkDir(filepath.Join(dir, "src"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		files = append(files, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	h := sha256.New()
	for _, name := range files {
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00", name)
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", err
		}
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// projectDir finds compiler/jmeterharness beside the go.mod above the
// working directory (a test's working directory is its package's folder).
func projectDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, "compiler", "jmeterharness")
			if _, err := os.Stat(filepath.Join(p, "pom.xml")); err != nil {
				return "", fmt.Errorf("%w: %w", errNoProject, err)
			}
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errNoProject
		}
		dir = parent
	}
}
