package jmximport

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/loadgen/loadgen/planspec"
)

// FuzzImport checks that no input panics and that every successful import
// yields a plan that validates (Import validates it before returning).
// The corpus is every .jmx of the testdata. Real-world seeds are ~30 KB:
// run with -fuzzminimizetime=1s or so, or minimizing an interesting input
// takes the default minute per input.
func FuzzImport(f *testing.F) {
	for _, pattern := range []string{"testdata/realworld/*.jmx", "../jmx/testdata/*.jmx"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			src, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src)
		}
	}
	f.Add(jmxPlan(threadGroup("", sampler("x", get("/${__P(a,b)}"), assertion("response_data", 2, false, "a(b")))))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, src []byte) {
		res, err := Import(src, "fuzz.jmx", Options{Dir: dir, PlanDir: dir})
		if err != nil {
			return
		}
		if _, err := planspec.Parse(res.YAML, "fuzz.yaml", planspec.Options{SkipFileChecks: true,
			LookupEnv: func(string) (string, bool) { return "", false }}); err != nil {
			t.Fatalf("imported plan does not validate: %v\n%s", err, res.YAML)
		}
	})
}
