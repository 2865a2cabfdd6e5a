package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestImportJMXCommand(t *testing.T) {
	jmx := filepath.Join("..", "..", "compiler", "jmximport", "testdata", "realworld", "build-adv-web-test-plan.jmx")
	dir := t.TempDir()
	plan := filepath.Join(dir, "plan.yaml")

	code, _, stderr := cli(t, "import", "jmx", jmx, "-o", plan, "--target", "http://127.0.0.1:9")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"build-adv-web-test-plan.jmx:66:7: build-adv-web-test-plan/loginData: warning: CSV file",
		"build-adv-web-test-plan.jmx:232:9: build-adv-web-test-plan/JMeter Users/Login: skipped",
		"imported 1 scenario(s), 3 step(s)",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	y, err := os.ReadFile(plan)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(y), "# imported from build-adv-web-test-plan.jmx by loadgen import jmx") || strings.Contains(string(y), "apache.org") {
		t.Errorf("plan:\n%s", y)
	}

	// stdout when -o is absent.
	code, stdout, _ := cli(t, "import", "jmx", jmx)
	if code != exitOK || !strings.Contains(stdout, "name: build-adv-web-test-plan") {
		t.Errorf("exit %d, stdout:\n%s", code, stdout)
	}
}

func TestImportJMXCommandBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jmx")
	if err := os.WriteFile(bad, []byte("<jmeterTestPlan><hashTree>"), 0o600); err != nil {
		t.Fatal(err)
	}
	notJMX := filepath.Join(dir, "pom.xml")
	if err := os.WriteFile(notJMX, []byte("<project/>"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join("..", "..", "compiler", "jmximport", "testdata", "realworld", "recorded.jmx")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"malformed", []string{"jmx", bad}, exitUsage, "bad.jmx:1:"},
		{"not a test plan", []string{"jmx", notJMX}, exitUsage, "not a JMeter test plan"},
		{"missing file", []string{"jmx", filepath.Join(dir, "none.jmx")}, exitUsage, "reading the test plan"},
		{"bad target", []string{"jmx", good, "--target", "ftp://x"}, exitUsage, "--target"},
		{"no format", []string{}, exitUsage, "needs a format"},
		{"unwritable output", []string{"jmx", good, "-o", filepath.Join(dir, "no", "such", "dir", "p.yaml")}, exitRuntime, "writing the plan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := cli(t, append([]string{"import"}, tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", code, tt.code, stderr, tt.want)
			}
		})
	}
}
