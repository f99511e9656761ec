package blob

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/assurehq/assure/internal/config"
)

// S3 keeps blobs in an S3-compatible bucket as <prefix>sha256/ab/cd/<digest>.
// Content is spooled to a local temporary file while it is hashed, so the
// key is known before the upload; the upload carries the SHA-256 checksum,
// which the store verifies before the object exists, and a HEAD afterwards
// checks size and checksum. S3 makes an object visible only once it is
// complete, so a crash never leaves a partial blob under its key. With
// lock_mode and lock_days every object gets an object-lock retention.
type S3 struct {
	client *s3.Client
	loc    config.S3Location
	now    func() time.Time
}

// S3Options are what OpenS3 needs besides the location.
type S3Options struct {
	// AccessKey and SecretKey, when set, replace the AWS SDK's credential
	// chain (tests; operators use the chain).
	AccessKey, SecretKey string
	// HTTPClient overrides the SDK's HTTP client (nil: the SDK default).
	HTTPClient *http.Client
	Now        func() time.Time
}

// OpenS3 connects to the bucket and checks that it answers.
func OpenS3(ctx context.Context, loc config.S3Location, opts S3Options) (*S3, error) {
	cfgOpts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(loc.Region)}
	if opts.AccessKey != "" {
		cfgOpts = append(cfgOpts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(opts.AccessKey, opts.SecretKey, "")))
	}
	if opts.HTTPClient != nil {
		cfgOpts = append(cfgOpts, awsconfig.WithHTTPClient(opts.HTTPClient))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, cfgOpts...)
	if err != nil {
		return nil, fmt.Errorf("cannot configure the S3 client: %w", err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = loc.PathStyle
		if loc.Endpoint != "" {
			o.BaseEndpoint = aws.String(loc.Endpoint)
		}
		// Checksums only where the operation requires them: we send our own
		// SHA-256 on every upload, and not every S3-compatible store
		// understands the SDK's default CRC trailers.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	RemoveStaleTemp("assure-blob-", 24*time.Hour)
	s := &S3{client: client, loc: loc, now: opts.Now}
	if s.now == nil {
		s.now = time.Now
	}
	hctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := client.HeadBucket(hctx, &s3.HeadBucketInput{Bucket: aws.String(loc.Bucket)}); err != nil {
		return nil, fmt.Errorf("cannot reach bucket %q%s (check --blob-url and the AWS credentials): %w", loc.Bucket, at(loc), apiError(err))
	}
	return s, nil
}

func at(loc config.S3Location) string {
	if loc.Endpoint == "" {
		return ""
	}
	return " at " + loc.Endpoint
}

// apiError shortens the SDK's long error chains to the service's code and message.
func apiError(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return fmt.Errorf("%s: %s", ae.ErrorCode(), ae.ErrorMessage())
	}
	return err
}

// ObjectKey is where a blob lives in the bucket.
func ObjectKey(prefix, digest string) string {
	return prefix + "sha256/" + digest[:2] + "/" + digest[2:4] + "/" + digest
}

// Location is the bucket this store writes to.
func (s *S3) Location() config.S3Location { return s.loc }

// Describe names the bucket.
func (s *S3) Describe() string {
	return "S3 bucket " + s.loc.Bucket + "/" + s.loc.Prefix + at(s.loc)
}

// Put spools r to a temporary file while hashing it, then uploads it under
// its digest unless an object of that size is already there.
func (s *S3) Put(ctx context.Context, r io.Reader) (Ref, error) {
	tmp, err := os.CreateTemp("", "assure-blob-*")
	if err != nil {
		return Ref{}, fmt.Errorf("cannot create temporary blob file: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx, r})
	if err != nil {
		return Ref{}, fmt.Errorf("cannot spool blob: %w", err)
	}
	sum := h.Sum(nil)
	ref := Ref{SHA256: hex.EncodeToString(sum), Size: n}
	key := ObjectKey(s.loc.Prefix, ref.SHA256)
	if got, err := s.Stat(ctx, ref.SHA256); err == nil && got.Size == n {
		return ref, nil // identical content is already stored
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return Ref{}, fmt.Errorf("cannot rewind blob: %w", err)
	}
	checksum := base64.StdEncoding.EncodeToString(sum)
	in := &s3.PutObjectInput{
		Bucket: aws.String(s.loc.Bucket), Key: aws.String(key), Body: tmp, ContentLength: aws.Int64(n),
		ChecksumSHA256: aws.String(checksum), ContentType: aws.String("application/octet-stream"),
		Metadata: map[string]string{"sha256": ref.SHA256},
	}
	if s.loc.LockMode != "" {
		in.ObjectLockMode = types.ObjectLockMode(s.loc.LockMode)
		in.ObjectLockRetainUntilDate = aws.Time(s.now().UTC().AddDate(0, 0, s.loc.LockDays))
	}
	if _, err := s.client.PutObject(ctx, in); err != nil {
		return Ref{}, fmt.Errorf("cannot upload blob %s to bucket %s: %w", ref.SHA256, s.loc.Bucket, apiError(err))
	}
	// Check what the store now holds before anything refers to it.
	head, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.loc.Bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		return Ref{}, fmt.Errorf("cannot check uploaded blob %s: %w", ref.SHA256, apiError(err))
	}
	if aws.ToInt64(head.ContentLength) != n {
		return Ref{}, fmt.Errorf("uploaded blob %s has %d bytes in the bucket, %d were sent", ref.SHA256, aws.ToInt64(head.ContentLength), n)
	}
	if c := aws.ToString(head.ChecksumSHA256); c != "" && c != checksum {
		return Ref{}, fmt.Errorf("uploaded blob %s has SHA-256 checksum %s in the bucket, %s was sent", ref.SHA256, c, checksum)
	}
	return ref, nil
}

func notFoundErr(err error) bool {
	var nk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nk) || errors.As(err, &nf) {
		return true
	}
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "NotFound" || ae.ErrorCode() == "NoSuchKey")
}

// Open streams a blob.
func (s *S3) Open(ctx context.Context, digest string) (io.ReadCloser, error) {
	if err := checkDigest(digest); err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.loc.Bucket), Key: aws.String(ObjectKey(s.loc.Prefix, digest))})
	if notFoundErr(err) {
		return nil, fmt.Errorf("blob %s: %w", digest, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read blob %s: %w", digest, apiError(err))
	}
	return out.Body, nil
}

// Stat reports a blob's size.
func (s *S3) Stat(ctx context.Context, digest string) (Ref, error) {
	if err := checkDigest(digest); err != nil {
		return Ref{}, err
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.loc.Bucket), Key: aws.String(ObjectKey(s.loc.Prefix, digest))})
	if notFoundErr(err) {
		return Ref{}, fmt.Errorf("blob %s: %w", digest, ErrNotFound)
	}
	if err != nil {
		return Ref{}, fmt.Errorf("cannot stat blob %s: %w", digest, apiError(err))
	}
	return Ref{SHA256: digest, Size: aws.ToInt64(out.ContentLength)}, nil
}

// Delete removes a blob's object. In a versioned bucket the data stays as a
// noncurrent version until the bucket's own lifecycle (and any object lock)
// lets it go; the blob is gone for Assure either way.
func (s *S3) Delete(ctx context.Context, digest string) error {
	if err := checkDigest(digest); err != nil {
		return err
	}
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.loc.Bucket), Key: aws.String(ObjectKey(s.loc.Prefix, digest))})
	if err != nil && !notFoundErr(err) {
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "AccessDenied" && s.loc.LockMode != "" {
			return fmt.Errorf("blob %s: %w (%s)", digest, ErrRetained, ae.ErrorMessage())
		}
		return fmt.Errorf("cannot delete blob %s: %w", digest, apiError(err))
	}
	return nil
}
