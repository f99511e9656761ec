// Package blobtest runs tests against every blob backend: the local
// directory always, and a real S3-compatible server when
// ASSURE_TEST_S3_ENDPOINT names one (CI starts versitygw for this). Each test
// gets an empty store: a temporary directory, or a bucket of its own with
// object lock enabled.
package blobtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/assurehq/assure/internal/blob"
	"github.com/assurehq/assure/internal/config"
)

// The variables that enable the S3 tests.
const (
	EndpointEnv  = "ASSURE_TEST_S3_ENDPOINT"   // e.g. http://127.0.0.1:17070
	AccessKeyEnv = "ASSURE_TEST_S3_ACCESS_KEY" // the server's access key id
	SecretKeyEnv = "ASSURE_TEST_S3_SECRET_KEY" // and secret
)

// Backend is one blob store a test can run on.
type Backend struct {
	Name string
	// Open returns an empty store and the --blob-url that names it. For S3
	// it also puts the credentials in AWS_ACCESS_KEY_ID and
	// AWS_SECRET_ACCESS_KEY for the rest of the test, so the CLI (in process
	// or as a child) reaches the same bucket.
	Open func(t *testing.T) (blob.Store, string)
}

// Backends lists the local directory and S3.
func Backends() []Backend {
	return []Backend{
		{Name: "local", Open: func(t *testing.T) (blob.Store, string) {
			dir := filepath.Join(t.TempDir(), "blobs")
			l, err := blob.OpenLocal(dir)
			if err != nil {
				t.Fatal(err)
			}
			return l, dir
		}},
		{Name: "s3", Open: func(t *testing.T) (blob.Store, string) {
			loc := NewBucket(t, true)
			st, err := blob.OpenS3(context.Background(), loc, blob.S3Options{})
			if err != nil {
				t.Fatal(err)
			}
			return st, BlobURL(loc)
		}},
	}
}

// Each runs fn as a subtest per backend.
func Each(t *testing.T, fn func(t *testing.T, st blob.Store)) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) {
			st, _ := b.Open(t)
			fn(t, st)
		})
	}
}

// endpoint returns the S3 test server, skipping (or failing in CI) without one.
func endpoint(t testing.TB) (string, string, string) {
	t.Helper()
	ep := os.Getenv(EndpointEnv)
	if ep == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI must run the S3 tests: .ci/run sets %s", EndpointEnv)
		}
		t.Skipf("S3 tests skipped: set %s=http://host:port (and %s, %s) to run them against an S3-compatible server", EndpointEnv, AccessKeyEnv, SecretKeyEnv)
	}
	return ep, os.Getenv(AccessKeyEnv), os.Getenv(SecretKeyEnv)
}

// Client is a plain S3 client on the test server.
func Client(t testing.TB) *s3.Client {
	t.Helper()
	ep, key, secret := endpoint(t)
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRegion("us-east-1"),
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(key, secret, "")))
	if err != nil {
		t.Fatal(err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle, o.BaseEndpoint = true, aws.String(ep)
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
}

// NewBucket creates a bucket of the test's own (with object lock enabled
// when lock is true) and returns its location with a prefix.
func NewBucket(t *testing.T, lock bool) config.S3Location {
	t.Helper()
	ep, key, secret := endpoint(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "assure-test-" + hex.EncodeToString(b)
	in := &s3.CreateBucketInput{Bucket: aws.String(name)}
	if lock {
		in.ObjectLockEnabledForBucket = aws.Bool(true)
	}
	if _, err := Client(t).CreateBucket(context.Background(), in); err != nil {
		t.Fatalf("cannot create a test bucket on %s: %v", ep, err)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", key)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_REGION", "us-east-1")
	return config.S3Location{Bucket: name, Prefix: "evidence/", Endpoint: ep, Region: "us-east-1", PathStyle: true}
}

// BlobURL writes a location as an s3:// --blob-url.
func BlobURL(loc config.S3Location) string {
	q := url.Values{"endpoint": {loc.Endpoint}, "region": {loc.Region}, "path_style": {fmt.Sprint(loc.PathStyle)}}
	if loc.LockMode != "" {
		q.Set("lock_mode", strings.ToLower(loc.LockMode))
		q.Set("lock_days", fmt.Sprint(loc.LockDays))
	}
	return "s3://" + loc.Bucket + "/" + strings.TrimSuffix(loc.Prefix, "/") + "?" + q.Encode()
}

// Flip changes one byte of a stored blob in place, behind the store's back,
// as someone with access to the disk or the bucket could.
func Flip(t *testing.T, st blob.Store, digest string) {
	t.Helper()
	switch s := st.(type) {
	case *blob.Local:
		p := s.Path(digest)
		if err := os.Chmod(p, 0o600); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 0x01
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	case *blob.S3:
		rc, err := st.Open(context.Background(), digest)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		b[len(b)/2] ^= 0x01
		loc := s.Location()
		if _, err := Client(t).PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(loc.Bucket),
			Key: aws.String(blob.ObjectKey(loc.Prefix, digest)), Body: bytes.NewReader(b)}); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("cannot flip a byte in a %T", st)
	}
}

// Remove deletes a blob behind the store's back.
func Remove(t *testing.T, st blob.Store, digest string) {
	t.Helper()
	if err := st.Delete(context.Background(), digest); err != nil {
		t.Fatal(err)
	}
}

// CheckAll reads every blob the store holds under a final name and fails
// the test if one does not hash to its name (a half-written blob); it
// returns how many there are.
func CheckAll(t *testing.T, st blob.Store) int {
	t.Helper()
	var digests []string
	switch s := st.(type) {
	case *blob.Local:
		root := filepath.Dir(filepath.Dir(filepath.Dir(s.Path(strings.Repeat("0", 64)))))
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				digests = append(digests, d.Name())
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	case *blob.S3:
		loc := s.Location()
		p := s3.NewListObjectsV2Paginator(Client(t), &s3.ListObjectsV2Input{Bucket: aws.String(loc.Bucket), Prefix: aws.String(loc.Prefix + "sha256/")})
		for p.HasMorePages() {
			out, err := p.NextPage(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range out.Contents {
				digests = append(digests, filepath.Base(aws.ToString(o.Key)))
			}
		}
	}
	for _, d := range digests {
		if err := blob.Verify(context.Background(), st, d); err != nil {
			t.Errorf("a blob under a final name is not what its name says: %v", err)
		}
	}
	return len(digests)
}
