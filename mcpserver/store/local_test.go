package store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func newLocal(t *testing.T) *Local {
	t.Helper()
	l, err := NewLocal(filepath.Join(t.TempDir(), "store", "nested"))
	if err != nil {
		t.Fatalf("NewLocal: %v", err)
	}
	return l
}

func readKey(t *testing.T, st Store, key string) string {
	t.Helper()
	rc, err := st.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer func() { _ = rc.Close() }()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Get(%q): read: %v", key, err)
	}
	return string(b)
}

func keysOf(objs []Object) []string {
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = o.Key
	}
	return keys
}

// tempFiles returns every leftover temp file under dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), tempPrefix) {
			found = append(found, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func TestNewLocal(t *testing.T) {
	if _, err := NewLocal(""); err == nil {
		t.Error("NewLocal(\"\") succeeded")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewLocal(file); err == nil {
		t.Error("NewLocal(regular file) succeeded")
	}

	// The root is absolute and symlink-resolved.
	base := t.TempDir()
	real := filepath.Join(base, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Skipf("symlinks unsupported: %v", err)
	}
	l, err := NewLocal(link)
	if err != nil {
		t.Fatal(err)
	}
	want, err := filepath.EvalSymlinks(real)
	if err != nil {
		t.Fatal(err)
	}
	if l.Root() != want || l.String() != want || !filepath.IsAbs(l.Root()) {
		t.Errorf("Root() = %q, String() = %q, want %q", l.Root(), l.String(), want)
	}
}

func TestLocalRoundTrip(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t)

	files := map[string]string{
		"perf-pipeline/s1/scenarios.json": `{"a":1}`,
		"perf-pipeline/s1/results.jtl":    "t,elapsed\n1,2\n",
		"perf-pipeline/s2/deep/x.hlog":    "hist",
		"perf-pipeline.txt":               "sibling, not inside the folder",
		"other/y":                         "y",
		"top":                             "top-level",
	}
	before := time.Now().Add(-time.Minute)
	for k, v := range files {
		if err := l.Put(ctx, k, []byte(v)); err != nil {
			t.Fatalf("Put(%q): %v", k, err)
		}
	}
	// PutFile copies and leaves the source in place.
	src := filepath.Join(t.TempDir(), "src.bin")
	if err := os.WriteFile(src, []byte("from a file"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := l.PutFile(ctx, "perf-pipeline/s2/copy.bin", src); err != nil {
		t.Fatalf("PutFile: %v", err)
	}
	files["perf-pipeline/s2/copy.bin"] = "from a file"
	if b, err := os.ReadFile(src); err != nil || string(b) != "from a file" {
		t.Errorf("PutFile source after copy: %q, %v", b, err)
	}
	if err := l.PutFile(ctx, "x", filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("PutFile(missing source) = %v, want ErrNotExist", err)
	}
	if err := l.PutFile(ctx, "x", t.TempDir()); err == nil {
		t.Error("PutFile(folder) succeeded")
	}

	for k, v := range files {
		if got := readKey(t, l, k); got != v {
			t.Errorf("Get(%q) = %q, want %q", k, got, v)
		}
		obj, err := l.Stat(ctx, k)
		if err != nil {
			t.Fatalf("Stat(%q): %v", k, err)
		}
		if obj.Key != k || obj.Size != int64(len(v)) || obj.Modified.Before(before) {
			t.Errorf("Stat(%q) = %+v, want size %d, recent", k, obj, len(v))
		}
	}

	listTests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"other/y", "perf-pipeline.txt", "perf-pipeline/s1/results.jtl", "perf-pipeline/s1/scenarios.json", "perf-pipeline/s2/copy.bin", "perf-pipeline/s2/deep/x.hlog", "top"}},
		{"perf-pipeline/", []string{"perf-pipeline/s1/results.jtl", "perf-pipeline/s1/scenarios.json", "perf-pipeline/s2/copy.bin", "perf-pipeline/s2/deep/x.hlog"}},
		{"perf-pipeline", []string{"perf-pipeline.txt", "perf-pipeline/s1/results.jtl", "perf-pipeline/s1/scenarios.json", "perf-pipeline/s2/copy.bin", "perf-pipeline/s2/deep/x.hlog"}},
		{"perf-pipeline/s1/s", []string{"perf-pipeline/s1/scenarios.json"}},
		{"perf-pipeline/s2/deep/", []string{"perf-pipeline/s2/deep/x.hlog"}},
		{"nope/", nil},
		{"top/", nil},
	}
	for _, tt := range listTests {
		objs, err := l.List(ctx, tt.prefix)
		if err != nil {
			t.Errorf("List(%q): %v", tt.prefix, err)
			continue
		}
		if got := keysOf(objs); !slices.Equal(got, tt.want) {
			t.Errorf("List(%q) = %q, want %q", tt.prefix, got, tt.want)
		}
		for _, o := range objs {
			if o.Size != int64(len(files[o.Key])) || o.Modified.IsZero() {
				t.Errorf("List(%q): %+v has wrong size or no time", tt.prefix, o)
			}
		}
	}
	for _, bad := range []string{"../", "/abs", "a//b"} {
		if _, err := l.List(ctx, bad); err == nil {
			t.Errorf("List(%q) succeeded", bad)
		}
	}

	childTests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"other", "perf-pipeline"}},
		{"perf-pipeline/", []string{"s1", "s2"}},
		{"perf-pipeline", []string{"s1", "s2"}},
		{"perf-pipeline/s2/", []string{"deep"}},
		{"perf-pipeline/s1/", []string{}},
		{"missing/", []string{}},
	}
	for _, tt := range childTests {
		got, err := l.Children(ctx, tt.prefix)
		if err != nil {
			t.Errorf("Children(%q): %v", tt.prefix, err)
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Children(%q) = %q, want %q", tt.prefix, got, tt.want)
		}
	}

	u, err := l.URL(ctx, "perf-pipeline/s1/scenarios.json", time.Hour)
	if err != nil {
		t.Fatalf("URL: %v", err)
	}
	parsed, err := url.Parse(u)
	if err != nil || parsed.Scheme != "file" {
		t.Fatalf("URL = %q (%v), want a file:// URL", u, err)
	}
	if b, err := os.ReadFile(filepath.FromSlash(parsed.Path)); err != nil || string(b) != files["perf-pipeline/s1/scenarios.json"] {
		t.Errorf("reading %s from URL %q: %q, %v", parsed.Path, u, b, err)
	}
	if _, err := l.URL(ctx, "../etc/passwd", time.Hour); err == nil {
		t.Error("URL(../etc/passwd) succeeded")
	}

	// Delete: refused without a trailing slash or for the whole store.
	for _, bad := range []string{"", "perf-pipeline", "perf-pipeline/s1", "../", "/"} {
		if err := l.Delete(ctx, bad); err == nil {
			t.Errorf("Delete(%q) succeeded", bad)
		}
	}
	if err := l.Delete(ctx, "perf-pipeline/s1/"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	objs, err := l.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"other/y", "perf-pipeline.txt", "perf-pipeline/s2/copy.bin", "perf-pipeline/s2/deep/x.hlog", "top"}
	if got := keysOf(objs); !slices.Equal(got, want) {
		t.Errorf("after Delete: List = %q, want %q", got, want)
	}
	if err := l.Delete(ctx, "perf-pipeline/s1/"); err != nil {
		t.Errorf("Delete of a missing folder: %v", err)
	}
	if _, err := l.Stat(ctx, "perf-pipeline/s1/results.jtl"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat after Delete = %v, want ErrNotExist", err)
	}
}

func TestLocalMissing(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t)
	if err := l.Put(ctx, "dir/file", []byte("x")); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"nope", "dir/nope", "nope/deeper/still", "dir/file/under-a-file", "dir"} {
		if _, err := l.Get(ctx, key); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Get(%q) = %v, want ErrNotExist", key, err)
		}
		if _, err := l.Stat(ctx, key); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat(%q) = %v, want ErrNotExist", key, err)
		}
	}
	// An invalid key is an error, but not "missing".
	if _, err := l.Get(ctx, "../x"); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Get(../x) = %v, want a validation error", err)
	}
}

func TestLocalAtomicity(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t)
	const key = "run/results.jtl"

	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<14) // 256 KiB
	if err := l.Put(ctx, key, big); err != nil {
		t.Fatal(err)
	}
	// A shorter write replaces the old content whole, with no tail left.
	if err := l.Put(ctx, key, []byte("short")); err != nil {
		t.Fatal(err)
	}
	if got := readKey(t, l, key); got != "short" {
		t.Errorf("after overwrite Get = %d bytes %.20q, want %q", len(got), got, "short")
	}
	if obj, err := l.Stat(ctx, key); err != nil || obj.Size != 5 {
		t.Errorf("Stat after overwrite = %+v, %v", obj, err)
	}

	// A reader holding the old version keeps reading it whole.
	rc, err := l.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Put(ctx, key, big); err != nil {
		t.Fatal(err)
	}
	old, err := io.ReadAll(rc)
	_ = rc.Close()
	if err != nil || string(old) != "short" {
		t.Errorf("reader opened before overwrite read %d bytes, %v; want the old 5", len(old), err)
	}
	if got := readKey(t, l, key); got != string(big) {
		t.Errorf("after second overwrite Get = %d bytes, want %d", len(got), len(big))
	}

	// A failed write (cancelled mid-copy, or before starting) leaves the
	// key untouched and no temp file behind.
	src := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(src, []byte("new content"), 0o644); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := l.PutFile(cancelled, key, src); !errors.Is(err, context.Canceled) {
		t.Errorf("PutFile(cancelled) = %v, want context.Canceled", err)
	}
	if err := l.Put(cancelled, "run/other", []byte("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("Put(cancelled) = %v, want context.Canceled", err)
	}
	failing := func(w io.Writer) error {
		if _, err := w.Write([]byte("half")); err != nil {
			return err
		}
		return errors.New("disk on fire")
	}
	if err := l.write(ctx, key, failing); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("write(failing) = %v", err)
	}
	if got := readKey(t, l, key); got != string(big) {
		t.Errorf("after failed writes Get = %d bytes, want the previous %d", len(got), len(big))
	}
	if _, err := l.Stat(ctx, "run/other"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a cancelled Put created its key: %v", err)
	}
	// Writing over a folder fails cleanly too.
	if err := l.Put(ctx, "run", []byte("x")); err == nil {
		t.Error("Put over a folder succeeded")
	}
	if left := tempFiles(t, l.Root()); len(left) > 0 {
		t.Errorf("temp files left behind: %q", left)
	}

	// A crash mid-write leaves only a temp file, which List never shows.
	if err := os.WriteFile(filepath.Join(l.Root(), "run", tempPrefix+"12345"), []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	objs, err := l.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := keysOf(objs); !slices.Equal(got, []string{key}) {
		t.Errorf("List with a stale temp file = %q, want [%q]", got, key)
	}
	if info, err := os.Stat(filepath.Join(l.Root(), filepath.FromSlash(key))); err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("stored file mode = %v, %v; want 0644", info.Mode(), err)
	}
}

func TestLocalConcurrentPuts(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t)
	const key = "same/key"
	values := []string{strings.Repeat("a", 100_000), strings.Repeat("b", 10), strings.Repeat("c", 50_000)}
	errs := make(chan error, 30)
	for i := range 30 {
		go func() { errs <- l.Put(ctx, key, []byte(values[i%len(values)])) }()
	}
	for range 30 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := readKey(t, l, key); !slices.Contains(values, got) {
		t.Errorf("after concurrent Puts the key holds a mix: %d bytes", len(got))
	}
	if left := tempFiles(t, l.Root()); len(left) > 0 {
		t.Errorf("temp files left behind: %q", left)
	}
}

func TestLocalSymlinkEscape(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t)
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, []byte("top secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(l.Root(), "escape")); err != nil {
		t.Skipf("symlinks unsupported: %v", err)
	}
	if err := os.Symlink(secret, filepath.Join(l.Root(), "secret-link")); err != nil {
		t.Fatal(err)
	}
	// A symlink that stays inside the root is fine.
	if err := l.Put(ctx, "inner/real", []byte("inside")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(l.Root(), "inner"), filepath.Join(l.Root(), "inner-link")); err != nil {
		t.Fatal(err)
	}

	for _, key := range []string{"escape/new", "escape/deeper/new", "secret-link"} {
		if err := l.Put(ctx, key, []byte("pwned")); err == nil {
			t.Errorf("Put(%q) through a symlink out of the root succeeded", key)
		}
		if _, err := l.Dir(key); err == nil {
			t.Errorf("Dir(%q) succeeded", key)
		}
	}
	for _, key := range []string{"escape/secret", "secret-link"} {
		rc, err := l.Get(ctx, key)
		if err == nil {
			_ = rc.Close()
			t.Errorf("Get(%q) through a symlink out of the root succeeded", key)
		}
		if _, err := l.Stat(ctx, key); err == nil {
			t.Errorf("Stat(%q) succeeded", key)
		}
		if _, err := l.URL(ctx, key, time.Minute); err == nil {
			t.Errorf("URL(%q) succeeded", key)
		}
	}
	src := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(src, []byte("pwned"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := l.PutFile(ctx, "escape/new", src); err == nil {
		t.Error("PutFile through a symlink out of the root succeeded")
	}
	if _, err := l.List(ctx, "escape/"); err == nil {
		t.Error("List(escape/) succeeded")
	}
	if _, err := l.Children(ctx, "escape/"); err == nil {
		t.Error("Children(escape/) succeeded")
	}
	if err := l.Delete(ctx, "escape/"); err == nil {
		t.Error("Delete(escape/) succeeded")
	}

	entries, err := os.ReadDir(outside)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "secret" {
		t.Errorf("outside folder was written to: %v", entries)
	}
	if b, err := os.ReadFile(secret); err != nil || string(b) != "top secret" {
		t.Errorf("secret changed: %q, %v", b, err)
	}

	if got := readKey(t, l, "inner-link/real"); got != "inside" {
		t.Errorf("Get through an inner symlink = %q", got)
	}
}

func TestLocalDir(t *testing.T) {
	l := newLocal(t)
	tests := []struct {
		key  string
		want string // relative to the root; "" means an error
	}{
		{"a/b/c.jtl", filepath.Join("a", "b", "c.jtl")},
		{"run/", "run"},
		{"single", "single"},
		{"", ""},
		{"../x", ""},
		{"a//b", ""},
		{"/abs", ""},
	}
	for _, tt := range tests {
		got, err := l.Dir(tt.key)
		if tt.want == "" {
			if err == nil {
				t.Errorf("Dir(%q) = %q, want an error", tt.key, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("Dir(%q): %v", tt.key, err)
			continue
		}
		if want := filepath.Join(l.Root(), tt.want); got != want {
			t.Errorf("Dir(%q) = %q, want %q", tt.key, got, want)
		}
	}

	// A file written in place at Dir's path is a stored object.
	p, err := l.Dir("engine/out.jtl")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("in place"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := readKey(t, l, "engine/out.jtl"); got != "in place" {
		t.Errorf("Get of a file written at Dir = %q", got)
	}
}

func TestOpenLocal(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "new")
	st, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	l, ok := st.(*Local)
	if !ok {
		t.Fatalf("Open(folder) = %T, want *Local", st)
	}
	if fi, err := os.Stat(l.Root()); err != nil || !fi.IsDir() {
		t.Errorf("Open did not create %s: %v", l.Root(), err)
	}
	for _, bad := range []string{"", "   ", "gs://bucket/x", "s3://", "s3:///prefix"} {
		if st, err := Open(ctx, bad); err == nil {
			t.Errorf("Open(%q) = %v, want an error", bad, st)
		}
	}
}
