package guard

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// systemDirs are never document roots nor inside one: kernel and device
// views hold credentials and secrets (the process environment among them).
var systemDirs = []string{"/proc", "/sys", "/dev"}

// Roots are the local folders documents may be read from.
type Roots struct {
	dirs []string // absolute, symlink-free
}

// NewRoots checks each folder (it must exist and must not be / or a
// system folder) and keeps its real path.
func NewRoots(dirs []string) (*Roots, error) {
	r := &Roots{}
	for _, d := range dirs {
		if strings.TrimSpace(d) == "" {
			continue
		}
		real, err := realPath(d)
		if err != nil {
			return nil, fmt.Errorf("document root %s: %w", d, err)
		}
		fi, err := os.Stat(real)
		if err != nil {
			return nil, fmt.Errorf("document root %s: %w", d, err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("document root %s: not a folder", d)
		}
		if real == string(filepath.Separator) || filepath.Dir(real) == real {
			return nil, fmt.Errorf("document root %s: the file system root would expose every file", d)
		}
		if system(real) {
			return nil, fmt.Errorf("document root %s: a system folder", d)
		}
		r.dirs = append(r.dirs, real)
	}
	return r, nil
}

// Len is the number of roots.
func (r *Roots) Len() int { return len(r.dirs) }

// Resolve maps a documents path to a real path inside a root. Relative
// paths are looked up in each root in turn; absolute paths must lie in
// one. A path with a ".." element, one that leaves the roots through a
// symlink, or one in /proc, /sys or /dev is refused.
func (r *Roots) Resolve(p string) (string, error) {
	if strings.TrimSpace(p) == "" {
		return "", errors.New("empty path")
	}
	if strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("%w: path contains a NUL byte", ErrNotAllowed)
	}
	for _, el := range strings.FieldsFunc(p, func(c rune) bool { return c == '/' || c == '\\' }) {
		if el == ".." {
			return "", fmt.Errorf("%w: %q contains \"..\"", ErrNotAllowed, p)
		}
	}
	if len(r.dirs) == 0 {
		return "", fmt.Errorf("%w: %s: this server has no document roots (start it with --docs-root DIR or LOADGEN_DOCS_ROOTS)", ErrNotAllowed, p)
	}
	var candidates []string
	if filepath.IsAbs(p) {
		candidates = []string{filepath.Clean(p)}
	} else {
		for _, d := range r.dirs {
			candidates = append(candidates, filepath.Join(d, p))
		}
	}
	var firstErr error
	for _, c := range candidates {
		if system(filepath.Clean(c)) {
			return "", fmt.Errorf("%w: %s is a system path", ErrNotAllowed, p)
		}
		real, err := realPath(c)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if system(real) {
			return "", fmt.Errorf("%w: %s leads to a system path", ErrNotAllowed, p)
		}
		if !r.inside(real) {
			return "", fmt.Errorf("%w: %s is outside the document roots (or a symlink leads out of them)", ErrNotAllowed, p)
		}
		return real, nil
	}
	if errors.Is(firstErr, os.ErrNotExist) {
		return "", fmt.Errorf("%s: not found in the document roots", p)
	}
	return "", fmt.Errorf("%s: %w", p, firstErr)
}

// Inside reports whether a real path is a root or lies below one.
func (r *Roots) inside(real string) bool {
	for _, d := range r.dirs {
		if within(d, real) {
			return true
		}
	}
	return false
}

// within reports whether p is dir or below it (both clean and absolute).
func within(dir, p string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, string(filepath.Separator))+string(filepath.Separator))
}

func system(p string) bool {
	for _, s := range systemDirs {
		if within(s, p) {
			return true
		}
	}
	return false
}

func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return "", pe.Err
		}
		return "", err
	}
	return real, nil
}
