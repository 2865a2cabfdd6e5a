package planspec

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics and that every failure is an
// ErrorList of positioned errors.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, tc := range badPlans {
		f.Add([]byte(tc.src))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Parse(src, "fuzz.yaml", Options{Dir: "testdata", LookupEnv: env})
		if err == nil {
			if p == nil {
				t.Fatal("nil plan and nil error")
			}
			p.AllSteps()
			return
		}
		if p != nil {
			t.Fatal("plan and error both returned")
		}
		var list ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("error %T %v is not a non-empty ErrorList", err, err)
		}
		for _, e := range list {
			if e.Line < 1 || e.Col < 1 || e.Msg == "" {
				t.Fatalf("error without a position or message: %#v", e)
			}
		}
	})
}
