package guard

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fakeResolver(m map[string][]string) func(context.Context, string) ([]netip.Addr, error) {
	return func(_ context.Context, host string) ([]netip.Addr, error) {
		var out []netip.Addr
		for _, s := range m[host] {
			out = append(out, netip.MustParseAddr(s))
		}
		if out == nil {
			return nil, errors.New("no such host")
		}
		return out, nil
	}
}

func TestTargetsCheckURL(t *testing.T) {
	tg, err := ParseTargets([]string{"10.1.0.0/16, api.dev.test:8443", "192.0.2.7:8080"})
	if err != nil {
		t.Fatal(err)
	}
	tg.resolve = fakeResolver(map[string][]string{
		"localhost":       {"127.0.0.1", "::1"},
		"api.dev.test":    {"203.0.113.9"},
		"inside.test":     {"10.1.2.3"},
		"rebinding.test":  {"10.1.2.3", "198.51.100.1"},
		"elsewhere.test":  {"198.51.100.1"},
		"loopalias.test":  {"127.0.0.2"},
		"mapped-v4.test":  {"::ffff:10.1.0.5"},
		"metadata.test":   {"169.254.169.254"},
		"another.v6.test": {"2001:db8::1"},
	})
	tests := []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8080", true},
		{"http://127.9.9.9", true},
		{"http://[::1]:9000/x", true},
		{"http://localhost:3000", true},
		{"https://api.dev.test:8443/v1", true},
		{"https://api.dev.test/v1", false}, // port 443 is not the listed 8443
		{"http://10.1.200.1:1234", true},
		{"http://10.2.0.1", false},
		{"http://192.0.2.7:8080", true},
		{"http://192.0.2.7:8081", false},
		{"http://inside.test", true},
		{"http://rebinding.test", false}, // one address outside is enough to refuse
		{"http://elsewhere.test", false},
		{"http://loopalias.test:80", true},
		{"http://mapped-v4.test", true},
		{"http://metadata.test/latest/meta-data", false},
		{"http://169.254.169.254/", false},
		{"http://another.v6.test", false},
		{"http://no-such.test", false},
		{"ftp://127.0.0.1", false},
		{"127.0.0.1:8080", false},
		{"http://", false},
	}
	for _, tt := range tests {
		err := tg.CheckURL(context.Background(), tt.url)
		if (err == nil) != tt.ok {
			t.Errorf("CheckURL(%q) = %v, want ok=%v", tt.url, err, tt.ok)
		}
	}
	err = tg.CheckURL(context.Background(), "http://10.2.0.1")
	if !errors.Is(err, ErrNotAllowed) || !strings.Contains(err.Error(), "--allow-target") || !strings.Contains(err.Error(), "loopback, 10.1.0.0/16") {
		t.Errorf("refusal should wrap ErrNotAllowed and name the allowlist and the flag: %v", err)
	}
}

func TestParseTargetsErrors(t *testing.T) {
	for _, e := range []string{"http://x.test", "10.0.0.0/33", "x.test:0", "x.test:70000", "x.test:http", "a b"} {
		if _, err := ParseTargets([]string{e}); err == nil {
			t.Errorf("ParseTargets(%q) accepted", e)
		}
	}
}

func TestTargetsDial(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	tg, err := ParseTargets(nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := tg.Dial(context.Background(), "tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		t.Fatalf("loopback refused: %v", err)
	}
	c.Close()
	c, err = tg.Dial(context.Background(), "tcp", net.JoinHostPort("localhost", port))
	if err != nil {
		t.Fatalf("localhost refused: %v", err)
	}
	c.Close()
	// A documentation address: refused before any packet is sent.
	if _, err := tg.Dial(context.Background(), "tcp", "192.0.2.1:80"); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("Dial to 192.0.2.1 = %v, want ErrNotAllowed", err)
	}
	// A name resolving outside the list is refused, and the connection
	// goes to the checked address, never a second lookup.
	calls := 0
	tg.resolve = func(context.Context, string) ([]netip.Addr, error) {
		calls++
		if calls == 1 {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return []netip.Addr{netip.MustParseAddr("192.0.2.1")}, nil
	}
	c, err = tg.Dial(context.Background(), "tcp", net.JoinHostPort("flip.test", port))
	if err != nil || calls != 1 {
		t.Fatalf("first lookup of flip.test: err %v after %d lookups", err, calls)
	}
	c.Close()
	if _, err := tg.Dial(context.Background(), "tcp", net.JoinHostPort("flip.test", port)); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("after rebinding to 192.0.2.1: %v, want ErrNotAllowed", err)
	}
}

func TestRootsResolve(t *testing.T) {
	base := t.TempDir()
	docs := filepath.Join(base, "docs")
	other := filepath.Join(base, "other")
	for _, d := range []string{filepath.Join(docs, "svc"), other} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p string) {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(docs, "svc", "api.yaml"))
	write(filepath.Join(other, "secret.txt"))
	if err := os.Symlink(filepath.Join(other, "secret.txt"), filepath.Join(docs, "leak.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(other, filepath.Join(docs, "leakdir")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(docs, "svc", "api.yaml"), filepath.Join(docs, "alias.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/proc/self/environ", filepath.Join(docs, "env")); err != nil {
		t.Fatal(err)
	}
	r, err := NewRoots([]string{docs})
	if err != nil {
		t.Fatal(err)
	}
	realDocs, _ := filepath.EvalSymlinks(docs)
	tests := []struct {
		path    string
		want    string // relative to docs; "" means refused
		refusal bool   // an ErrNotAllowed refusal (else: not found)
	}{
		{"svc", "svc", false},
		{"svc/api.yaml", "svc/api.yaml", false},
		{filepath.Join(docs, "svc"), "svc", false},
		{"alias.yaml", "svc/api.yaml", false},
		{".", ".", false},
		{"../other/secret.txt", "", true},
		{"svc/../../other", "", true},
		{filepath.Join(other, "secret.txt"), "", true},
		{"leak.txt", "", true},
		{"leakdir", "", true},
		{"leakdir/secret.txt", "", true},
		{"env", "", true},
		{"/proc/self/environ", "", true},
		{"/proc/1/root/etc", "", true},
		{"/etc/passwd", "", true},
		{"missing.md", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, err := r.Resolve(tt.path)
		if tt.want == "" {
			if err == nil {
				t.Errorf("Resolve(%q) = %q, want a refusal", tt.path, got)
			} else if tt.refusal != errors.Is(err, ErrNotAllowed) {
				t.Errorf("Resolve(%q): %v (ErrNotAllowed %v, want %v)", tt.path, err, errors.Is(err, ErrNotAllowed), tt.refusal)
			}
			continue
		}
		if err != nil {
			t.Errorf("Resolve(%q): %v", tt.path, err)
			continue
		}
		if want := filepath.Join(realDocs, tt.want); got != want {
			t.Errorf("Resolve(%q) = %q, want %q", tt.path, got, want)
		}
	}
	if _, err := (&Roots{}).Resolve("svc"); !errors.Is(err, ErrNotAllowed) || !strings.Contains(err.Error(), "--docs-root") {
		t.Errorf("no roots: %v", err)
	}
}

func TestNewRootsRefusesSystemFolders(t *testing.T) {
	for _, d := range []string{"/", "/proc", "/proc/self", "/sys", "/dev"} {
		if _, err := NewRoots([]string{d}); err == nil {
			t.Errorf("NewRoots(%q) accepted", d)
		}
	}
	if _, err := NewRoots([]string{filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Error("a missing root was accepted")
	}
}
