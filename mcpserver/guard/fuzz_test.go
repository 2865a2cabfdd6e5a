package guard

import (
	"context"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// FuzzResolve checks that whatever path is given, Resolve either refuses
// it or returns a real path inside the root.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"a", "a/b.md", "../x", "/etc/passwd", "/proc/self/environ", ".", "a/../../b", "link", "link/x", "a//b", "./a", "%2e%2e/x", "a\\..\\..\\x", "\x00"} {
		f.Add(s)
	}
	base := f.TempDir()
	root := filepath.Join(base, "root")
	if err := os.MkdirAll(filepath.Join(root, "a"), 0o755); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "a", "b.md"), []byte("x"), 0o644); err != nil {
		f.Fatal(err)
	}
	if err := os.Symlink(base, filepath.Join(root, "link")); err != nil {
		f.Fatal(err)
	}
	r, err := NewRoots([]string{root})
	if err != nil {
		f.Fatal(err)
	}
	real, _ := filepath.EvalSymlinks(root)
	f.Fuzz(func(t *testing.T, p string) {
		got, err := r.Resolve(p)
		if err != nil {
			return
		}
		if !within(real, got) {
			t.Fatalf("Resolve(%q) = %q, outside %q", p, got, real)
		}
	})
}

// FuzzTargets checks that parsing never panics and that every accepted
// URL's address is on the list: a literal address inside an allowed
// network, or a name that is listed or resolves inside one.
func FuzzTargets(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "api.test:8080", "[::1]:80", "192.0.2.1", "x", ":", "/", "1.2.3.4/40", "::ffff:10.0.0.1", "192.0.2.0/24"} {
		f.Add(s, "http://10.1.2.3:8080/x")
		f.Add(s, "https://api.test:8080")
	}
	fake := netip.MustParseAddr("198.51.100.99")
	f.Fuzz(func(t *testing.T, entry, raw string) {
		tg, err := ParseTargets([]string{entry})
		if err != nil {
			return
		}
		tg.resolve = func(context.Context, string) ([]netip.Addr, error) { return []netip.Addr{fake}, nil }
		if tg.CheckURL(context.Background(), raw) != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("accepted an unparsable URL %q", raw)
		}
		port, _ := strconv.Atoi(u.Port())
		if port == 0 {
			port = map[string]int{"http": 80, "https": 443}[u.Scheme]
		}
		if a, err := netip.ParseAddr(u.Hostname()); err == nil {
			if !tg.ipAllowed(a.Unmap(), port) {
				t.Fatalf("allowlist %q accepted %q (%s:%d)", tg, raw, a, port)
			}
			return
		}
		name := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
		for _, h := range tg.hosts {
			if h.name == name && (h.port == 0 || h.port == port) {
				return
			}
		}
		if !tg.ipAllowed(fake, port) {
			t.Fatalf("allowlist %q accepted %q, whose name resolves to %s", tg, raw, fake)
		}
	})
}
