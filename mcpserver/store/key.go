package store

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxKeyLen is the longest key CheckKey accepts, in bytes (S3's limit).
const MaxKeyLen = 1024

// tempPrefix starts the name of every temporary file the local store writes;
// such files are never listed.
const tempPrefix = ".tmp-"

// CheckKey validates an object key: non-empty, relative, slash-separated,
// valid UTF-8, no "" / "." / ".." segments, no backslash, no NUL or other
// control characters, at most MaxKeyLen bytes.
//
// Folder prefixes passed to List, Children and Delete may also end with "/"
// (and List and Children accept ""); they are checked by the methods
// themselves, with the trailing slash removed.
func CheckKey(key string) error {
	if err := checkKey(key); err != nil {
		return fmt.Errorf("store: invalid key %q: %w", key, err)
	}
	return nil
}

func checkKey(key string) error {
	switch {
	case key == "":
		return errors.New("empty")
	case len(key) > MaxKeyLen:
		return fmt.Errorf("%d bytes long, the limit is %d", len(key), MaxKeyLen)
	case !utf8.ValidString(key):
		return errors.New("not valid UTF-8")
	case strings.HasPrefix(key, "/"):
		return errors.New("absolute (starts with /)")
	case strings.Contains(key, `\`):
		return errors.New("contains a backslash (use / as separator)")
	}
	for _, r := range key {
		if unicode.IsControl(r) {
			return fmt.Errorf("contains control character %U", r)
		}
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch seg {
		case "":
			return errors.New("has an empty segment (// or trailing /)")
		case ".", "..":
			return fmt.Errorf("has a %q segment", seg)
		}
	}
	return nil
}

// checkFolder validates a folder prefix: "" (only if allowRoot) or a valid
// key followed by "/".
func checkFolder(prefix string, allowRoot bool) error {
	if prefix == "" {
		if allowRoot {
			return nil
		}
		return errors.New("store: the empty prefix (whole store) is not allowed here")
	}
	if !strings.HasSuffix(prefix, "/") {
		return fmt.Errorf("store: invalid folder prefix %q: must end with /", prefix)
	}
	if err := checkKey(strings.TrimSuffix(prefix, "/")); err != nil {
		return fmt.Errorf("store: invalid folder prefix %q: %w", prefix, err)
	}
	return nil
}

// checkListPrefix validates a List prefix: "", a folder ("a/b/") or a key
// prefix ("a/b" matching "a/b.json" and "a/b/c").
func checkListPrefix(prefix string) error {
	if prefix == "" || strings.HasSuffix(prefix, "/") {
		return checkFolder(prefix, true)
	}
	if err := checkKey(prefix); err != nil {
		return fmt.Errorf("store: invalid prefix %q: %w", prefix, err)
	}
	return nil
}

// folderOf normalises a Children prefix: "" stays the root, anything else
// gets a trailing "/" if it lacks one.
func folderOf(prefix string) string {
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		return prefix + "/"
	}
	return prefix
}
