package store

import (
	"strings"
	"testing"
)

func TestCheckKey(t *testing.T) {
	tests := []struct {
		key string
		ok  bool
	}{
		{"a", true},
		{"perf-pipeline/s1/scenarios.json", true},
		{"a/b/c.d.e", true},
		{"..a/b..", true},
		{".hidden/x", true},
		{"spaces are fine/ü.txt", true},
		{strings.Repeat("k", MaxKeyLen), true},
		{"", false},
		{".", false},
		{"..", false},
		{"../x", false},
		{"a/../b", false},
		{"a/./b", false},
		{"a/..", false},
		{"/abs", false},
		{"a//b", false},
		{"a/", false},
		{`a\b`, false},
		{"a\x00b", false},
		{"a\nb", false},
		{"a\x7fb", false},
		{"a\u0085b", false},
		{"\xff", false},
		{strings.Repeat("k", MaxKeyLen+1), false},
	}
	for _, tt := range tests {
		err := CheckKey(tt.key)
		if (err == nil) != tt.ok {
			t.Errorf("CheckKey(%q) = %v, want ok=%v", tt.key, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "invalid key") {
			t.Errorf("CheckKey(%q) error %q lacks context", tt.key, err)
		}
	}
}

func TestCheckFolderAndListPrefix(t *testing.T) {
	tests := []struct {
		prefix            string
		folder, root, lst bool // valid for checkFolder(…, false), checkFolder(…, true), checkListPrefix
	}{
		{"", false, true, true},
		{"a/", true, true, true},
		{"a/b/", true, true, true},
		{"a/b", false, false, true},
		{"a//", false, false, false},
		{"/", false, false, false},
		{"../", false, false, false},
		{"a/../", false, false, false},
		{"/a/", false, false, false},
	}
	for _, tt := range tests {
		if got := checkFolder(tt.prefix, false) == nil; got != tt.folder {
			t.Errorf("checkFolder(%q, false) ok=%v, want %v", tt.prefix, got, tt.folder)
		}
		if got := checkFolder(tt.prefix, true) == nil; got != tt.root {
			t.Errorf("checkFolder(%q, true) ok=%v, want %v", tt.prefix, got, tt.root)
		}
		if got := checkListPrefix(tt.prefix) == nil; got != tt.lst {
			t.Errorf("checkListPrefix(%q) ok=%v, want %v", tt.prefix, got, tt.lst)
		}
	}
}

func TestContentType(t *testing.T) {
	tests := map[string]string{
		"run/results.jtl":      "text/csv",
		"run/latency.HLOG":     "text/plain",
		"plan.yaml":            "application/yaml",
		"plan.yml":             "application/yaml",
		"a/scenarios.json":     "application/json",
		"report.html":          "text/html; charset=utf-8",
		"blob.nosuchextension": "application/octet-stream",
		"Makefile":             "application/octet-stream",
	}
	for key, want := range tests {
		if got := contentType(key); got != want {
			t.Errorf("contentType(%q) = %q, want %q", key, got, want)
		}
	}
}
