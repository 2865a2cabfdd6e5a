package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// deleteBatch is the most keys one DeleteObjects call may carry.
const deleteBatch = 1000

// maxPresignTTL is the longest validity a SigV4 presigned URL can have.
const maxPresignTTL = 7 * 24 * time.Hour

// S3 is a Store in an S3 bucket under a key prefix. Every object it writes
// carries server-side encryption and a content type guessed from the key.
type S3 struct {
	client  *s3.Client
	presign *s3.PresignClient
	bucket  string
	prefix  string // "" or ends with "/"
	sse     types.ServerSideEncryption
	kmsKey  string
}

// S3Options tune NewS3.
type S3Options struct {
	// SSE is the server-side encryption header value: "" means "AES256";
	// "aws:kms" (or "aws:kms:dsse") uses KMSKeyID, if set, as the key.
	SSE string
	// KMSKeyID is the KMS key for SSE "aws:kms"; empty means the bucket's
	// or account's default KMS key.
	KMSKeyID string
}

// NewS3 returns a Store in bucket under prefix, using client for every
// call. The prefix is normalised: no leading "/", a trailing "/" added
// unless it is empty; it must otherwise be a valid key (CheckKey).
func NewS3(client *s3.Client, bucket, prefix string, opts S3Options) (*S3, error) {
	if client == nil {
		return nil, errors.New("store: s3: nil client")
	}
	if bucket == "" || strings.ContainsAny(bucket, "/\\") {
		return nil, fmt.Errorf("store: s3: invalid bucket name %q", bucket)
	}
	prefix = strings.TrimLeft(prefix, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	if err := checkFolder(prefix, true); err != nil {
		return nil, fmt.Errorf("store: s3: %w", err)
	}
	s := &S3{
		client:  client,
		presign: s3.NewPresignClient(client),
		bucket:  bucket,
		prefix:  prefix,
	}
	switch sse := types.ServerSideEncryption(opts.SSE); sse {
	case "", types.ServerSideEncryptionAes256:
		if opts.KMSKeyID != "" {
			return nil, fmt.Errorf("store: s3: KMSKeyID is set but SSE is %q, not aws:kms", types.ServerSideEncryptionAes256)
		}
		s.sse = types.ServerSideEncryptionAes256
	case types.ServerSideEncryptionAwsKms, types.ServerSideEncryptionAwsKmsDsse:
		s.sse, s.kmsKey = sse, opts.KMSKeyID
	default:
		return nil, fmt.Errorf("store: s3: unsupported SSE %q (want AES256, aws:kms or aws:kms:dsse)", opts.SSE)
	}
	return s, nil
}

// String returns "s3://bucket/prefix" (without the prefix's trailing "/").
func (s *S3) String() string {
	if s.prefix == "" {
		return "s3://" + s.bucket
	}
	return "s3://" + s.bucket + "/" + strings.TrimSuffix(s.prefix, "/")
}

// fullKey validates key and returns the bucket key for it.
func (s *S3) fullKey(key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	full := s.prefix + key
	if len(full) > MaxKeyLen {
		return "", fmt.Errorf("store: invalid key %q: with prefix %q it is %d bytes, the limit is %d", key, s.prefix, len(full), MaxKeyLen)
	}
	return full, nil
}

// loc names a bucket key in error messages.
func (s *S3) loc(full string) string { return "s3://" + s.bucket + "/" + full }

// notFound reports whether err says the object (not the bucket) is missing.
func notFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return true
		case "NoSuchBucket":
			return false
		}
	}
	var re *smithyhttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound
}

// wrap adds context to an SDK error and makes a missing object match
// fs.ErrNotExist.
func (s *S3) wrap(op, full string, err error) error {
	if notFound(err) {
		return fmt.Errorf("store: %s %s: %w (%w)", op, s.loc(full), fs.ErrNotExist, err)
	}
	return fmt.Errorf("store: %s %s: %w", op, s.loc(full), err)
}

// put sends one PutObject with encryption and content type set.
func (s *S3) put(ctx context.Context, key string, body io.Reader, size int64) error {
	full, err := s.fullKey(key)
	if err != nil {
		return err
	}
	in := &s3.PutObjectInput{
		Bucket:               aws.String(s.bucket),
		Key:                  aws.String(full),
		Body:                 body,
		ContentLength:        aws.Int64(size),
		ContentType:          aws.String(contentType(key)),
		ServerSideEncryption: s.sse,
	}
	if s.kmsKey != "" {
		in.SSEKMSKeyId = aws.String(s.kmsKey)
	}
	if _, err := s.client.PutObject(ctx, in); err != nil {
		return s.wrap("put", full, err)
	}
	return nil
}

// Put writes data under key with one PutObject.
func (s *S3) Put(ctx context.Context, key string, data []byte) error {
	return s.put(ctx, key, bytes.NewReader(data), int64(len(data)))
}

// PutFile streams the file at path under key with one PutObject carrying
// the file's size as ContentLength.
func (s *S3) PutFile(ctx context.Context, key, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("store: put %q: %w", key, err)
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("store: put %q: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("store: put %q: %s is not a regular file", key, path)
	}
	return s.put(ctx, key, f, fi.Size())
}

// Get opens the object under key; the caller closes the body.
func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	full, err := s.fullKey(key)
	if err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(full)})
	if err != nil {
		return nil, s.wrap("get", full, err)
	}
	return out.Body, nil
}

// Stat returns the object's size and last-modified time (HeadObject).
func (s *S3) Stat(ctx context.Context, key string) (Object, error) {
	full, err := s.fullKey(key)
	if err != nil {
		return Object{}, err
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(full)})
	if err != nil {
		return Object{}, s.wrap("stat", full, err)
	}
	return Object{Key: key, Size: aws.ToInt64(out.ContentLength), Modified: aws.ToTime(out.LastModified)}, nil
}

// List pages through ListObjectsV2 and returns every object whose key
// starts with prefix, keys relative to the store prefix, sorted. Folder
// markers (keys ending in "/") are skipped.
func (s *S3) List(ctx context.Context, prefix string) ([]Object, error) {
	if err := checkListPrefix(prefix); err != nil {
		return nil, err
	}
	full := s.prefix + prefix
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket),
		Prefix: aws.String(full),
	})
	out := []Object{}
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.wrap("list", full, err)
		}
		for _, o := range page.Contents {
			k := aws.ToString(o.Key)
			if !strings.HasPrefix(k, s.prefix) || strings.HasSuffix(k, "/") {
				continue
			}
			out = append(out, Object{
				Key:      strings.TrimPrefix(k, s.prefix),
				Size:     aws.ToInt64(o.Size),
				Modified: aws.ToTime(o.LastModified),
			})
		}
	}
	slices.SortFunc(out, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// Children pages through ListObjectsV2 with Delimiter "/" and returns the
// names of the common prefixes, i.e. the immediate sub-folders of the
// folder prefix ("" is the root; a missing trailing "/" is added), sorted.
func (s *S3) Children(ctx context.Context, prefix string) ([]string, error) {
	prefix = folderOf(prefix)
	if err := checkFolder(prefix, true); err != nil {
		return nil, err
	}
	full := s.prefix + prefix
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket:    aws.String(s.bucket),
		Prefix:    aws.String(full),
		Delimiter: aws.String("/"),
	})
	names := []string{}
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.wrap("children", full, err)
		}
		for _, cp := range page.CommonPrefixes {
			name := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), full), "/")
			if name != "" {
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// Delete lists every object under the folder prefix (which must end in
// "/"; the whole store, "", is refused) and removes them with DeleteObjects
// in batches of at most 1000 keys. Per-key failures are reported.
func (s *S3) Delete(ctx context.Context, prefix string) error {
	if err := checkFolder(prefix, false); err != nil {
		return err
	}
	full := s.prefix + prefix
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket),
		Prefix: aws.String(full),
	})
	// Collect first, delete after: deleting while paging could disturb the
	// continuation tokens of some S3-compatible servers.
	var ids []types.ObjectIdentifier
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return s.wrap("delete: list", full, err)
		}
		for _, o := range page.Contents {
			ids = append(ids, types.ObjectIdentifier{Key: o.Key})
		}
	}
	for batch := range slices.Chunk(ids, deleteBatch) {
		out, err := s.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(s.bucket),
			Delete: &types.Delete{Objects: batch, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return s.wrap("delete", full, err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return fmt.Errorf("store: delete %s: %d of %d objects failed, first %s: %s: %s",
				s.loc(full), len(out.Errors), len(batch), aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message))
		}
	}
	return nil
}

// URL returns a presigned GET URL for key, valid for ttl (more than zero,
// at most 7 days). The object need not exist yet.
func (s *S3) URL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	full, err := s.fullKey(key)
	if err != nil {
		return "", err
	}
	if ttl <= 0 || ttl > maxPresignTTL {
		return "", fmt.Errorf("store: url %s: ttl %v out of range (0, %v]", s.loc(full), ttl, maxPresignTTL)
	}
	req, err := s.presign.PresignGetObject(ctx,
		&s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(full)},
		s3.WithPresignExpires(ttl))
	if err != nil {
		return "", s.wrap("url", full, err)
	}
	return req.URL, nil
}
