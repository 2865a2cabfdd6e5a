package main

import (
	"bufio"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// releaseStartupPages drops from the process's resident set the read-only
// pages of its own executable (code and constants). Package initialisation
// touches code of every subsystem linked in — the AI SDKs, OpenAPI and JMeter
// support among them — and the kernel maps whole runs of neighbouring
// pages with each fault, so a load test would otherwise carry many
// megabytes of pages it never uses. The pages stay in the page cache; the
// few the run needs fault back in. Writable mappings are left alone, as
// dropping them would lose their contents.
func releaseStartupPages() {
	exe, err := os.Executable()
	if err != nil {
		return
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 00400000-00452000 r-xp 00000000 08:02 173521 /usr/bin/dbus-daemon
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[5] != exe || strings.Contains(fields[1], "w") {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		// madvise(2) on the range as it is mapped; the x/sys wrapper takes a
		// []byte, which an address from /proc cannot be turned into safely.
		_, _, _ = unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_DONTNEED)
	}
}
