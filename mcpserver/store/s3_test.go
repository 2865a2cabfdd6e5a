package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/loadgen/loadgen/mcpserver/store/mototest"
)

const testBucket = "loadgen-store-test"

func newTestS3(t *testing.T, client *s3.Client, prefix string, opts S3Options) *S3 {
	t.Helper()
	st, err := NewS3(client, testBucket, prefix, opts)
	if err != nil {
		t.Fatalf("NewS3: %v", err)
	}
	return st
}

func TestNewS3(t *testing.T) {
	client := s3.New(s3.Options{Region: "us-east-1"})
	tests := []struct {
		bucket, prefix string
		opts           S3Options
		wantString     string // "" means NewS3 must fail
	}{
		{"b", "", S3Options{}, "s3://b"},
		{"b", "runs", S3Options{}, "s3://b/runs"},
		{"b", "/runs/", S3Options{}, "s3://b/runs"},
		{"b", "a/b", S3Options{SSE: "AES256"}, "s3://b/a/b"},
		{"b", "", S3Options{SSE: "aws:kms"}, "s3://b"},
		{"b", "", S3Options{SSE: "aws:kms", KMSKeyID: "alias/k"}, "s3://b"},
		{"", "x", S3Options{}, ""},
		{"b/c", "", S3Options{}, ""},
		{"b", "a//b", S3Options{}, ""},
		{"b", "../x", S3Options{}, ""},
		{"b", "", S3Options{SSE: "rot13"}, ""},
		{"b", "", S3Options{KMSKeyID: "alias/k"}, ""},
	}
	for _, tt := range tests {
		st, err := NewS3(client, tt.bucket, tt.prefix, tt.opts)
		if tt.wantString == "" {
			if err == nil {
				t.Errorf("NewS3(%q, %q, %+v) = %v, want an error", tt.bucket, tt.prefix, tt.opts, st)
			}
			continue
		}
		if err != nil {
			t.Errorf("NewS3(%q, %q, %+v): %v", tt.bucket, tt.prefix, tt.opts, err)
			continue
		}
		if st.String() != tt.wantString {
			t.Errorf("NewS3(%q, %q).String() = %q, want %q", tt.bucket, tt.prefix, st.String(), tt.wantString)
		}
	}
	if _, err := NewS3(nil, "b", "", S3Options{}); err == nil {
		t.Error("NewS3(nil client) succeeded")
	}
}

func TestNotFound(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&types.NoSuchKey{}, true},
		{fmt.Errorf("op: %w", &types.NotFound{}), true},
		{&types.NoSuchBucket{}, false},
		{errors.New("boom"), false},
	}
	for _, tt := range tests {
		if got := notFound(tt.err); got != tt.want {
			t.Errorf("notFound(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// TestS3 runs the S3 store against moto's S3 server.
func TestS3(t *testing.T) {
	endpoint := mototest.Start(t)
	client := mototest.S3Client(endpoint)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(testBucket)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}

	t.Run("RoundTrip", func(t *testing.T) { testS3RoundTrip(ctx, t, client) })
	t.Run("Encryption", func(t *testing.T) { testS3Encryption(ctx, t, client) })
	t.Run("Missing", func(t *testing.T) { testS3Missing(ctx, t, client) })
	t.Run("PresignedURL", func(t *testing.T) { testS3URL(ctx, t, client) })
	t.Run("Pagination", func(t *testing.T) { testS3Pagination(ctx, t, client) })
	t.Run("Open", func(t *testing.T) { testS3Open(ctx, t, client, endpoint) })
	t.Run("GetFolder", func(t *testing.T) { testS3GetFolder(ctx, t, client) })
}

func testS3RoundTrip(ctx context.Context, t *testing.T, client *s3.Client) {
	st := newTestS3(t, client, "roundtrip", S3Options{})
	files := map[string]string{
		"perf-pipeline/s1/scenarios.json": `{"a":1}`,
		"perf-pipeline/s1/results.jtl":    "t,elapsed\n1,2\n",
		"perf-pipeline/s2/deep/x.hlog":    "hist",
		"perf-pipeline.txt":               "sibling",
		"other/y":                         "y",
		"top":                             "top-level",
	}
	before := time.Now().Add(-time.Minute)
	for k, v := range files {
		if err := st.Put(ctx, k, []byte(v)); err != nil {
			t.Fatalf("Put(%q): %v", k, err)
		}
	}
	src := filepath.Join(t.TempDir(), "src.bin")
	if err := os.WriteFile(src, []byte("from a file"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := st.PutFile(ctx, "perf-pipeline/s2/copy.bin", src); err != nil {
		t.Fatalf("PutFile: %v", err)
	}
	files["perf-pipeline/s2/copy.bin"] = "from a file"
	if _, err := os.Stat(src); err != nil {
		t.Errorf("PutFile removed its source: %v", err)
	}
	if err := st.PutFile(ctx, "x", filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("PutFile(missing source) = %v, want ErrNotExist", err)
	}
	for _, bad := range []string{"../x", "a//b", "/abs", ""} {
		if err := st.Put(ctx, bad, []byte("x")); err == nil {
			t.Errorf("Put(%q) succeeded", bad)
		}
	}

	for k, v := range files {
		if got := readKey(t, st, k); got != v {
			t.Errorf("Get(%q) = %q, want %q", k, got, v)
		}
		obj, err := st.Stat(ctx, k)
		if err != nil {
			t.Fatalf("Stat(%q): %v", k, err)
		}
		if obj.Key != k || obj.Size != int64(len(v)) || obj.Modified.Before(before) {
			t.Errorf("Stat(%q) = %+v, want size %d, recent", k, obj, len(v))
		}
	}
	// The bucket key carries the prefix.
	if _, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(testBucket), Key: aws.String("roundtrip/top")}); err != nil {
		t.Errorf("HeadObject(roundtrip/top): %v", err)
	}

	listTests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"other/y", "perf-pipeline.txt", "perf-pipeline/s1/results.jtl", "perf-pipeline/s1/scenarios.json", "perf-pipeline/s2/copy.bin", "perf-pipeline/s2/deep/x.hlog", "top"}},
		{"perf-pipeline/", []string{"perf-pipeline/s1/results.jtl", "perf-pipeline/s1/scenarios.json", "perf-pipeline/s2/copy.bin", "perf-pipeline/s2/deep/x.hlog"}},
		{"perf-pipeline", []string{"perf-pipeline.txt", "perf-pipeline/s1/results.jtl", "perf-pipeline/s1/scenarios.json", "perf-pipeline/s2/copy.bin", "perf-pipeline/s2/deep/x.hlog"}},
		{"perf-pipeline/s2/deep/", []string{"perf-pipeline/s2/deep/x.hlog"}},
		{"nope/", nil},
	}
	for _, tt := range listTests {
		objs, err := st.List(ctx, tt.prefix)
		if err != nil {
			t.Errorf("List(%q): %v", tt.prefix, err)
			continue
		}
		if got := keysOf(objs); !slices.Equal(got, tt.want) {
			t.Errorf("List(%q) = %q, want %q", tt.prefix, got, tt.want)
		}
		for _, o := range objs {
			if o.Size != int64(len(files[o.Key])) || o.Modified.Before(before) {
				t.Errorf("List(%q): %+v has wrong size or time", tt.prefix, o)
			}
		}
	}

	childTests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"other", "perf-pipeline"}},
		{"perf-pipeline/", []string{"s1", "s2"}},
		{"perf-pipeline/s2/", []string{"deep"}},
		{"perf-pipeline/s1/", []string{}},
		{"missing/", []string{}},
	}
	for _, tt := range childTests {
		got, err := st.Children(ctx, tt.prefix)
		if err != nil {
			t.Errorf("Children(%q): %v", tt.prefix, err)
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Children(%q) = %q, want %q", tt.prefix, got, tt.want)
		}
	}

	for _, bad := range []string{"", "perf-pipeline", "../"} {
		if err := st.Delete(ctx, bad); err == nil {
			t.Errorf("Delete(%q) succeeded", bad)
		}
	}
	if err := st.Delete(ctx, "perf-pipeline/"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	objs, err := st.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := keysOf(objs), []string{"other/y", "perf-pipeline.txt", "top"}; !slices.Equal(got, want) {
		t.Errorf("after Delete: List = %q, want %q", got, want)
	}
	if err := st.Delete(ctx, "perf-pipeline/"); err != nil {
		t.Errorf("Delete of an empty folder: %v", err)
	}
}

func testS3Encryption(ctx context.Context, t *testing.T, client *s3.Client) {
	st := newTestS3(t, client, "enc/", S3Options{})
	tests := []struct {
		key, contentType string
	}{
		{"r/results.jtl", "text/csv"},
		{"r/latency.hlog", "text/plain"},
		{"r/plan.yaml", "application/yaml"},
		{"r/scenarios.json", "application/json"},
		{"r/blob.nosuchextension", "application/octet-stream"},
	}
	for _, tt := range tests {
		if err := st.Put(ctx, tt.key, []byte("data")); err != nil {
			t.Fatalf("Put(%q): %v", tt.key, err)
		}
		head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(testBucket), Key: aws.String("enc/" + tt.key)})
		if err != nil {
			t.Fatalf("HeadObject(%q): %v", tt.key, err)
		}
		if head.ServerSideEncryption != types.ServerSideEncryptionAes256 {
			t.Errorf("%s: ServerSideEncryption = %q, want AES256", tt.key, head.ServerSideEncryption)
		}
		if got := aws.ToString(head.ContentType); got != tt.contentType {
			t.Errorf("%s: ContentType = %q, want %q", tt.key, got, tt.contentType)
		}
	}

	// PutFile sets them too.
	src := filepath.Join(t.TempDir(), "f.jtl")
	if err := os.WriteFile(src, []byte("a,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := st.PutFile(ctx, "r/file.jtl", src); err != nil {
		t.Fatal(err)
	}
	head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(testBucket), Key: aws.String("enc/r/file.jtl")})
	if err != nil {
		t.Fatal(err)
	}
	if head.ServerSideEncryption != types.ServerSideEncryptionAes256 || aws.ToString(head.ContentType) != "text/csv" || aws.ToInt64(head.ContentLength) != 4 {
		t.Errorf("PutFile: SSE %q, type %q, length %d", head.ServerSideEncryption, aws.ToString(head.ContentType), aws.ToInt64(head.ContentLength))
	}
}

func testS3Missing(ctx context.Context, t *testing.T, client *s3.Client) {
	st := newTestS3(t, client, "missing", S3Options{})
	if err := st.Put(ctx, "present/x", []byte("x")); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"nope", "present/nope", "present"} {
		if _, err := st.Get(ctx, key); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Get(%q) = %v, want ErrNotExist", key, err)
		}
		if _, err := st.Stat(ctx, key); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat(%q) = %v, want ErrNotExist", key, err)
		}
	}
	// A missing bucket is a configuration error, not a missing object.
	other, err := NewS3(client, "no-such-bucket-here", "", S3Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Get(ctx, "x"); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Get from a missing bucket = %v, want a non-ErrNotExist error", err)
	}
}

func testS3URL(ctx context.Context, t *testing.T, client *s3.Client) {
	st := newTestS3(t, client, "share", S3Options{})
	const body = "<html>report</html>"
	if err := st.Put(ctx, "run/report.html", []byte(body)); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, "run/other.txt", []byte("other")); err != nil {
		t.Fatal(err)
	}
	u, err := st.URL(ctx, "run/report.html", 15*time.Minute)
	if err != nil {
		t.Fatalf("URL: %v", err)
	}
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := parsed.Query()
	if q.Get("X-Amz-Expires") != "900" || q.Get("X-Amz-Signature") == "" || !strings.HasSuffix(parsed.Path, "/share/run/report.html") {
		t.Errorf("URL %q is not a 15-minute presigned GET of share/run/report.html", u)
	}
	get := func(u string) (int, string, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b), resp.Header.Get("Content-Type")
	}
	if code, got, ctype := get(u); code != http.StatusOK || got != body || ctype != "text/html; charset=utf-8" {
		t.Errorf("GET presigned URL = %d %q (%s), want 200 %q", code, got, ctype, body)
	}
	other, err := st.URL(ctx, "run/other.txt", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if other == u {
		t.Error("two keys got the same URL")
	}
	if code, got, _ := get(other); code != http.StatusOK || got != "other" {
		t.Errorf("GET other URL = %d %q, want 200 %q", code, got, "other")
	}
	for _, ttl := range []time.Duration{0, -time.Second, 8 * 24 * time.Hour} {
		if _, err := st.URL(ctx, "run/report.html", ttl); err == nil {
			t.Errorf("URL with ttl %v succeeded", ttl)
		}
	}
	if _, err := st.URL(ctx, "../x", time.Minute); err == nil {
		t.Error("URL(../x) succeeded")
	}
}

func testS3Pagination(ctx context.Context, t *testing.T, client *s3.Client) {
	st := newTestS3(t, client, "paged", S3Options{})
	const n = 1050
	// One object per sub-folder, so Children has more than 1000 common
	// prefixes to page through as well.
	want := make([]string, n)
	folders := make([]string, n)
	for i := range n {
		folders[i] = fmt.Sprintf("f%04d", i)
		want[i] = "many/" + folders[i] + "/obj"
	}
	// A neighbour outside the folder, which must survive the Delete.
	if err := st.Put(ctx, "many.txt", []byte("keep")); err != nil {
		t.Fatal(err)
	}

	keys := make(chan string)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for k := range keys {
				if err := st.Put(ctx, k, []byte(k)); err != nil {
					errs <- err
				}
			}
		})
	}
	for _, k := range want {
		keys <- k
	}
	close(keys)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Put: %v", err)
	}

	// The server really pages: one ListObjectsV2 call does not hold them all.
	first, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(testBucket), Prefix: aws.String("paged/many/")})
	if err != nil {
		t.Fatal(err)
	}
	if !aws.ToBool(first.IsTruncated) || len(first.Contents) >= n {
		t.Errorf("first ListObjectsV2 page: truncated=%v with %d keys; the test needs more than one page", aws.ToBool(first.IsTruncated), len(first.Contents))
	}

	objs, err := st.List(ctx, "many/")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if got := keysOf(objs); !slices.Equal(got, want) {
		t.Fatalf("List returned %d keys (first %q), want exactly the %d put", len(got), got[:min(3, len(got))], n)
	}
	names, err := st.Children(ctx, "many/")
	if err != nil {
		t.Fatalf("Children: %v", err)
	}
	if !slices.Equal(names, folders) {
		t.Errorf("Children returned %d names, want %d", len(names), n)
	}

	if err := st.Delete(ctx, "many/"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	objs, err = st.List(ctx, "many/")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 0 {
		t.Errorf("after Delete List returned %d objects, first %q", len(objs), objs[0].Key)
	}
	if got := readKey(t, st, "many.txt"); got != "keep" {
		t.Errorf("Delete(many/) touched many.txt: %q", got)
	}
}

func testS3Open(ctx context.Context, t *testing.T, client *s3.Client, endpoint string) {
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_S3":         endpoint,
		"AWS_ACCESS_KEY_ID":           "test",
		"AWS_SECRET_ACCESS_KEY":       "test",
		"AWS_REGION":                  "us-east-1",
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	} {
		t.Setenv(k, v)
	}
	// Variables that would change where or as whom the client talks.
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_DEFAULT_REGION"} {
		t.Setenv(k, "")
		if err := os.Unsetenv(k); err != nil {
			t.Fatal(err)
		}
	}

	st, err := Open(ctx, "s3://"+testBucket+"/opened/prefix")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if _, ok := st.(*S3); !ok {
		t.Fatalf("Open(s3://...) = %T, want *S3", st)
	}
	if got, want := st.String(), "s3://"+testBucket+"/opened/prefix"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if err := st.Put(ctx, "run/a.json", []byte(`{"ok":true}`)); err != nil {
		t.Fatalf("Put via Open: %v", err)
	}
	if got := readKey(t, st, "run/a.json"); got != `{"ok":true}` {
		t.Errorf("Get via Open = %q", got)
	}
	head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(testBucket), Key: aws.String("opened/prefix/run/a.json")})
	if err != nil {
		t.Fatalf("the object is not at opened/prefix/run/a.json in the bucket: %v", err)
	}
	if head.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Errorf("ServerSideEncryption = %q, want AES256", head.ServerSideEncryption)
	}
	objs, err := st.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := keysOf(objs); !slices.Equal(got, []string{"run/a.json"}) {
		t.Errorf("List via Open = %q, want [run/a.json]", got)
	}

	// A bucket root works too.
	root, err := Open(ctx, "s3://"+testBucket)
	if err != nil {
		t.Fatal(err)
	}
	if got := readKey(t, root, "opened/prefix/run/a.json"); got != `{"ok":true}` {
		t.Errorf("Get from the bucket root = %q", got)
	}
}

// testS3GetFolder copies a folder and skips a key that would land outside
// the destination (keys in a bucket are not checked by anyone).
func testS3GetFolder(ctx context.Context, t *testing.T, client *s3.Client) {
	st := newTestS3(t, client, "getfolder", S3Options{})
	for _, k := range []string{"docs/a.md", "docs/sub/b.yaml", "other/c.md"} {
		if err := st.Put(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(testBucket),
		Key: aws.String("getfolder/docs/../../../escape.md"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	if objs, err := st.List(ctx, "docs/"); err != nil || len(objs) != 3 {
		t.Fatalf("the bucket should hold the hostile key under docs/: %v %v", objs, err)
	}
	base := t.TempDir()
	dir := filepath.Join(base, "in")
	files, err := GetFolder(ctx, st, "docs/", dir, FolderLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(files) != "[a.md sub/b.yaml]" {
		t.Errorf("GetFolder copied %v", files)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "sub", "b.yaml")); err != nil || string(b) != "docs/sub/b.yaml" {
		t.Errorf("sub/b.yaml: %q %v", b, err)
	}
	for _, p := range []string{filepath.Join(base, "escape.md"), filepath.Join(filepath.Dir(base), "escape.md")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("a key with .. segments was written to %s", p)
		}
	}
	if _, err := GetFolder(ctx, st, "docs/", t.TempDir(), FolderLimits{MaxFiles: 1}); err == nil || !strings.Contains(err.Error(), "more than 1 files") {
		t.Errorf("MaxFiles: %v", err)
	}
}
