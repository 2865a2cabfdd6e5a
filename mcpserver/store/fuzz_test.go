package store

import (
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLocalKey checks that every key CheckKey accepts maps to a path
// inside the local store's folder.
func FuzzLocalKey(f *testing.F) {
	for _, s := range []string{"a", "a/b.json", "../x", "a/../../b", "/abs", "a//b", "a\\b", ".", "perf-pipeline/s1/runs/r1/results.jtl", "a/\x00", "..", "...", "a/./b"} {
		f.Add(s)
	}
	l, err := NewLocal(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if CheckKey(key) != nil {
			return
		}
		for _, seg := range strings.Split(key, "/") {
			if seg == "" || seg == "." || seg == ".." {
				t.Fatalf("CheckKey accepted %q", key)
			}
		}
		p, err := l.Dir(key)
		if err != nil {
			return
		}
		rel, err := filepath.Rel(l.Root(), p)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
			t.Fatalf("key %q maps to %q, outside %q", key, p, l.Root())
		}
	})
}
