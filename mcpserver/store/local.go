package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Local is a Store in a folder on disk. Keys map to paths under the folder
// (filepath.FromSlash); no key can reach outside it, not even through a
// symlink inside the folder. Dir gives the filesystem path of a key so that
// a producer (the load engine) can write large files in place.
type Local struct {
	root string // absolute, symlinks resolved, cleaned
}

// NewLocal returns a Local store in dir, creating the folder (and its
// parents) if it does not exist. The store remembers dir's absolute,
// symlink-resolved path.
func NewLocal(dir string) (*Local, error) {
	if dir == "" {
		return nil, errors.New("store: local: empty folder path")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: local: create folder: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("store: local: absolute path of %q: %w", dir, err)
	}
	root, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("store: local: resolve %q: %w", abs, err)
	}
	fi, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("store: local: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("store: local: %s is not a folder", root)
	}
	return &Local{root: root}, nil
}

// Root returns the store's folder: absolute, symlinks resolved.
func (l *Local) Root() string { return l.root }

// String returns the store's folder (same as Root).
func (l *Local) String() string { return l.root }

// Dir returns the filesystem path for key, which may not exist yet. The key
// is validated with CheckKey (a trailing "/" naming a folder is allowed),
// and a path that would leave the store through a symlink is refused.
func (l *Local) Dir(key string) (string, error) {
	k := strings.TrimSuffix(key, "/")
	if err := CheckKey(k); err != nil {
		return "", err
	}
	return l.resolve(k)
}

// resolve maps an already validated key ("" for the root) to its path and
// checks that the deepest existing part of that path, with symlinks
// resolved, is still inside the root.
func (l *Local) resolve(key string) (string, error) {
	if key == "" {
		return l.root, nil
	}
	rel := filepath.FromSlash(key)
	if !filepath.IsLocal(rel) {
		return "", fmt.Errorf("store: invalid key %q: not a local path on this system", key)
	}
	p := filepath.Join(l.root, rel)
	for cur := p; ; {
		_, err := os.Lstat(cur)
		if err == nil {
			real, err := filepath.EvalSymlinks(cur)
			if err != nil {
				return "", fmt.Errorf("store: key %q: resolve %s: %w", key, cur, err)
			}
			if !within(l.root, real) {
				return "", fmt.Errorf("store: key %q: %s leads outside the store (to %s)", key, cur, real)
			}
			return p, nil
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return "", fmt.Errorf("store: key %q: %w", key, err)
		}
		if cur == l.root {
			return "", fmt.Errorf("store: key %q: store folder %s: %w", key, l.root, err)
		}
		cur = filepath.Dir(cur)
	}
}

// within reports whether p is root or inside it (both clean and absolute).
func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && (rel == "." || filepath.IsLocal(rel))
}

// Put writes data under key atomically: a temp file in the key's folder,
// synced, then renamed over the key.
func (l *Local) Put(ctx context.Context, key string, data []byte) error {
	return l.write(ctx, key, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// PutFile copies the file at src under key atomically (temp file + rename);
// src is left untouched.
func (l *Local) PutFile(ctx context.Context, key, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("store: put %q: %w", key, err)
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("store: put %q: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("store: put %q: %s is not a regular file", key, src)
	}
	return l.write(ctx, key, func(w io.Writer) error {
		_, err := io.Copy(w, ctxReader{ctx: ctx, r: f})
		return err
	})
}

// write runs fill on a temp file next to key's path and renames it over
// the key once fill, Sync and Close all succeeded; on any failure the temp
// file is removed and the key is left as it was.
func (l *Local) write(ctx context.Context, key string, fill func(io.Writer) error) (err error) {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: put %q: %w", key, err)
	}
	p, err := l.resolve(key)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("store: put %q: %w", key, err)
	}
	// MkdirAll followed whatever existed; check again now that the folders
	// are there, in case one appeared as a symlink in the meantime.
	if _, err := l.resolve(key); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return fmt.Errorf("store: put %q: %w", key, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := fill(tmp); err != nil {
		return fmt.Errorf("store: put %q: write: %w", key, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("store: put %q: %w", key, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("store: put %q: sync: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("store: put %q: close: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: put %q: %w", key, err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("store: put %q: %w", key, err)
	}
	return nil
}

// objectPath validates key and returns its path; a folder or anything but
// a regular file under that path counts as missing.
func (l *Local) objectPath(ctx context.Context, op, key string) (string, fs.FileInfo, error) {
	if err := CheckKey(key); err != nil {
		return "", nil, err
	}
	if err := ctx.Err(); err != nil {
		return "", nil, fmt.Errorf("store: %s %q: %w", op, key, err)
	}
	p, err := l.resolve(key)
	if err != nil {
		return "", nil, err
	}
	fi, err := os.Stat(p)
	if errors.Is(err, syscall.ENOTDIR) { // a parent is a file: just as missing
		return "", nil, fmt.Errorf("store: %s %q: %w (%w)", op, key, fs.ErrNotExist, err)
	}
	if err != nil {
		return "", nil, fmt.Errorf("store: %s %q: %w", op, key, err)
	}
	if !fi.Mode().IsRegular() {
		return "", nil, fmt.Errorf("store: %s %q: not a file: %w", op, key, fs.ErrNotExist)
	}
	return p, fi, nil
}

// Get opens the file stored under key.
func (l *Local) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	p, _, err := l.objectPath(ctx, "get", key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("store: get %q: %w", key, err)
	}
	return f, nil
}

// Stat returns the size and modification time of the file under key.
func (l *Local) Stat(ctx context.Context, key string) (Object, error) {
	_, fi, err := l.objectPath(ctx, "stat", key)
	if err != nil {
		return Object{}, err
	}
	return Object{Key: key, Size: fi.Size(), Modified: fi.ModTime()}, nil
}

// List walks the folder part of prefix recursively and returns the regular
// files whose keys start with prefix, sorted by key. Temp files of
// unfinished writes are skipped; a missing folder lists as empty.
func (l *Local) List(ctx context.Context, prefix string) ([]Object, error) {
	if err := checkListPrefix(prefix); err != nil {
		return nil, err
	}
	folder := ""
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		folder = prefix[:i]
	}
	dir, err := l.resolve(folder)
	if err != nil {
		return nil, err
	}
	var out []Object
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)) {
				return fs.SkipAll
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), tempPrefix) {
			return nil
		}
		rel, err := filepath.Rel(l.root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted while walking
		}
		if err != nil {
			return err
		}
		out = append(out, Object{Key: key, Size: fi.Size(), Modified: fi.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: list %q: %w", prefix, err)
	}
	slices.SortFunc(out, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// Children returns the sorted names of the folders directly inside the
// folder prefix ("" is the root; a missing trailing "/" is added). A
// missing folder has no children.
func (l *Local) Children(ctx context.Context, prefix string) ([]string, error) {
	prefix = folderOf(prefix)
	if err := checkFolder(prefix, true); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: children %q: %w", prefix, err)
	}
	dir, err := l.resolve(strings.TrimSuffix(prefix, "/"))
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return []string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: children %q: %w", prefix, err)
	}
	names := []string{}
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), tempPrefix) {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names, nil
}

// Delete removes the folder for prefix and everything in it. The prefix
// must end with "/"; the store root ("") cannot be deleted. Deleting a
// missing folder is not an error.
func (l *Local) Delete(ctx context.Context, prefix string) error {
	if err := checkFolder(prefix, false); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: delete %q: %w", prefix, err)
	}
	dir, err := l.resolve(strings.TrimSuffix(prefix, "/"))
	if err != nil {
		return err
	}
	if fi, err := os.Lstat(dir); err == nil && !fi.IsDir() {
		return fmt.Errorf("store: delete %q: %s is not a folder", prefix, dir)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("store: delete %q: %w", prefix, err)
	}
	return nil
}

// URL returns a file:// URL with the absolute path of key. The file need
// not exist yet; ttl is ignored since a local path does not expire.
func (l *Local) URL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("store: url %q: %w", key, err)
	}
	p, err := l.resolve(key)
	if err != nil {
		return "", err
	}
	slashed := filepath.ToSlash(p)
	if !strings.HasPrefix(slashed, "/") { // Windows: C:/x → /C:/x
		slashed = "/" + slashed
	}
	return (&url.URL{Scheme: "file", Path: path.Clean(slashed)}).String(), nil
}
