package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// rssFileKB reads the process's resident file-backed memory.
func rssFileKB(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "RssFile:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Skip("no RssFile in /proc/self/status")
	return 0
}

func TestReleaseStartupPages(t *testing.T) {
	before := rssFileKB(t)
	releaseStartupPages()
	after := rssFileKB(t)
	t.Logf("resident file pages: %d kB before, %d kB after", before, after)
	if after >= before {
		t.Errorf("releasing the executable's read-only pages did not lower RssFile (%d kB → %d kB)", before, after)
	}
	// The process still runs code from those pages: it faults them back.
	if got := strings.Repeat("ab", 3); got != "ababab" {
		t.Fatal(got)
	}
}
