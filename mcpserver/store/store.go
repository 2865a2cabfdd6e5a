// Package store keeps run artifacts (plans, results, logs, reports) behind
// one interface, Store, with two implementations: Local, a folder on disk,
// and S3, a key prefix in an S3 bucket. Keys are slash-separated paths
// relative to the store root (see CheckKey); every write is atomic, so a
// reader never sees half an artifact under its real key.
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Object is one stored artifact.
type Object struct {
	// Key is slash-separated and relative to the store root, e.g.
	// "perf-pipeline/s1/scenarios.json".
	Key string `json:"key"`
	// Size is the object's length in bytes.
	Size int64 `json:"size"`
	// Modified is the time the object was last written.
	Modified time.Time `json:"modified"`
}

// Store keeps artifacts under keys.
type Store interface {
	// Put writes data under key, whole or not at all (local: temp file in
	// the same folder + rename; S3: one PutObject).
	Put(ctx context.Context, key string, data []byte) error
	// PutFile uploads the file at path under key; the source file stays
	// where it is (local: copy to a temp file + rename; S3: one PutObject
	// streaming the file with its ContentLength).
	PutFile(ctx context.Context, key, path string) error
	// Get opens the object. A missing key returns an error for which
	// errors.Is(err, fs.ErrNotExist) is true. The caller closes the reader.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Stat returns one object's metadata (missing: fs.ErrNotExist).
	Stat(ctx context.Context, key string) (Object, error)
	// List returns every object whose key starts with prefix (prefix "" or
	// ending in "/" is a folder; the listing is recursive), sorted by key.
	List(ctx context.Context, prefix string) ([]Object, error)
	// Children returns the sorted names of the immediate sub-folders of the
	// folder prefix ("" for the root, otherwise ending in "/").
	Children(ctx context.Context, prefix string) ([]string, error)
	// Delete removes every object under the folder prefix, which must end
	// in "/"; "" (the whole store) is refused.
	Delete(ctx context.Context, prefix string) error
	// URL returns a download URL for key valid for ttl: a presigned GET for
	// S3, a file:// URL with the absolute path for the local store.
	URL(ctx context.Context, key string, ttl time.Duration) (string, error)
	// String describes the location: the local folder's absolute path, or
	// "s3://bucket/prefix".
	String() string
}

// Compile-time checks that both implementations satisfy Store.
var (
	_ Store = (*Local)(nil)
	_ Store = (*S3)(nil)
)

// Open parses a location and returns the Store for it.
//
// "s3://bucket[/prefix]" gives an S3 store whose client comes from
// config.LoadDefaultConfig(ctx), so the standard AWS environment variables
// and shared config files apply, including AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_S3; when either endpoint variable is set the client uses
// path-style addressing so that S3-compatible servers (moto, MinIO) work.
// Objects are written with SSE AES256 (see S3Options for KMS).
//
// Any other location is a local folder path, created if missing (NewLocal),
// except that a URL with another scheme ("gs://...", "http://...") is
// refused rather than taken as a folder name. An empty location is an error.
func Open(ctx context.Context, location string) (Store, error) {
	if strings.TrimSpace(location) == "" {
		return nil, errors.New("store: open: empty location")
	}
	scheme, rest, isURL := strings.Cut(location, "://")
	if !isURL || strings.ContainsAny(scheme, `/\`) {
		return NewLocal(location)
	}
	if !strings.EqualFold(scheme, "s3") {
		return nil, fmt.Errorf("store: open %q: unsupported scheme %q (want s3:// or a folder path)", location, scheme)
	}
	bucket, prefix, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return nil, fmt.Errorf("store: open %q: missing bucket name", location)
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: open %q: load AWS config: %w", location, err)
	}
	pathStyle := os.Getenv("AWS_ENDPOINT_URL") != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != ""
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		// S3-compatible servers rarely return checksums; the SDK would log
		// that on every GetObject, on the MCP server's stderr.
		o.DisableLogOutputChecksumValidationSkipped = true
		if pathStyle {
			o.UsePathStyle = true
		}
	})
	st, err := NewS3(client, bucket, prefix, S3Options{})
	if err != nil {
		return nil, fmt.Errorf("store: open %q: %w", location, err)
	}
	return st, nil
}

// contentType guesses the MIME type of an artifact from its key's
// extension. A few load-testing formats the mime package does not know are
// mapped explicitly; anything unknown is application/octet-stream.
func contentType(key string) string {
	ext := strings.ToLower(path.Ext(key))
	switch ext {
	case "":
		return "application/octet-stream"
	case ".jtl":
		return "text/csv"
	case ".hlog":
		return "text/plain"
	case ".yaml", ".yml":
		return "application/yaml"
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// ctxReader makes a long copy stop soon after its context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

// Read returns the context's error once it is done, otherwise reads from r.
func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// GetFile copies the object at key into the local file path, creating
// its folder.
func GetFile(ctx context.Context, st Store, key, path string) error {
	rc, err := st.Get(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, rc); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", key, err)
	}
	return f.Close()
}

// FolderLimits bound GetFolder (zero: unbounded).
type FolderLimits struct {
	// Keep selects the keys to copy (nil: all).
	Keep     func(key string) bool
	MaxFiles int
	MaxBytes int64
}

// GetFolder copies every object under the folder prefix into dir, keeping
// the key paths below prefix, and returns them. A key that would land
// outside dir (a "../" segment written by someone else) is skipped.
func GetFolder(ctx context.Context, st Store, prefix, dir string, lim FolderLimits) ([]string, error) {
	objs, err := st.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var files []string
	var total int64
	for _, o := range objs {
		rel := strings.TrimPrefix(o.Key, prefix)
		if !filepath.IsLocal(filepath.FromSlash(rel)) || lim.Keep != nil && !lim.Keep(o.Key) {
			continue
		}
		if lim.MaxFiles > 0 && len(files) >= lim.MaxFiles {
			return nil, fmt.Errorf("more than %d files under %s", lim.MaxFiles, prefix)
		}
		if total += o.Size; lim.MaxBytes > 0 && total > lim.MaxBytes {
			return nil, fmt.Errorf("more than %d bytes under %s", lim.MaxBytes, prefix)
		}
		if err := GetFile(ctx, st, o.Key, filepath.Join(dir, filepath.FromSlash(rel))); err != nil {
			return nil, err
		}
		files = append(files, rel)
	}
	return files, nil
}
