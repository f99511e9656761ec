package blob_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/assurehq/assure/internal/blob"
	"github.com/assurehq/assure/internal/blob/blobtest"
)

// The same behaviour from every backend.
func TestBlobSuite(t *testing.T) {
	blobtest.Each(t, func(t *testing.T, st blob.Store) {
		ctx := context.Background()
		content := bytes.Repeat([]byte("board minutes, 2026-09-30\n"), 5000)
		ref, err := st.Put(ctx, bytes.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		if ref.SHA256 != blob.Digest(content) || ref.Size != int64(len(content)) {
			t.Fatalf("ref %+v", ref)
		}
		again, err := st.Put(ctx, bytes.NewReader(content))
		if err != nil || again != ref {
			t.Fatalf("second put: %+v %v", again, err)
		}
		if n := blobtest.CheckAll(t, st); n != 1 {
			t.Fatalf("%d blobs stored for one content", n)
		}
		got, err := st.Stat(ctx, ref.SHA256)
		if err != nil || got != ref {
			t.Fatalf("stat %+v %v", got, err)
		}
		rc, err := st.Open(ctx, ref.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(b, content) {
			t.Fatal("content differs")
		}
		if err := blob.Verify(ctx, st, ref.SHA256); err != nil {
			t.Fatal(err)
		}
		// Nothing names a path.
		for _, d := range []string{"../../etc/passwd", "", strings.Repeat("A", 64)} {
			if _, err := st.Open(ctx, d); err == nil || errors.Is(err, blob.ErrNotFound) {
				t.Errorf("Open(%q) = %v, want a refusal", d, err)
			}
		}
		missing := strings.Repeat("a", 64)
		if _, err := st.Stat(ctx, missing); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("stat missing: %v", err)
		}
		if _, err := st.Open(ctx, missing); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("open missing: %v", err)
		}
		// Tampering is detected and names the blob.
		blobtest.Flip(t, st, ref.SHA256)
		if err := blob.Verify(ctx, st, ref.SHA256); err == nil || !strings.Contains(err.Error(), ref.SHA256) {
			t.Fatalf("tampering not detected: %v", err)
		}
		// Delete is idempotent.
		if err := st.Delete(ctx, ref.SHA256); err != nil {
			t.Fatal(err)
		}
		if err := st.Delete(ctx, ref.SHA256); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Stat(ctx, ref.SHA256); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("deleted blob still there: %v", err)
		}
		// An empty blob is a blob.
		empty, err := st.Put(ctx, bytes.NewReader(nil))
		if err != nil || empty.Size != 0 || blob.Verify(ctx, st, empty.SHA256) != nil {
			t.Fatalf("empty blob: %+v %v", empty, err)
		}
	})
}

// With lock_mode and lock_days every object carries a retention the store
// enforces: its version cannot be deleted before the date.
func TestS3ObjectLock(t *testing.T) {
	ctx := context.Background()
	loc := blobtest.NewBucket(t, true)
	loc.LockMode, loc.LockDays = "GOVERNANCE", 30
	st, err := blob.OpenS3(ctx, loc, blob.S3Options{})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := st.Put(ctx, strings.NewReader("pentest report 2026"))
	if err != nil {
		t.Fatal(err)
	}
	c := blobtest.Client(t)
	key := blob.ObjectKey(loc.Prefix, ref.SHA256)
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	if head.ObjectLockMode != "GOVERNANCE" || head.ObjectLockRetainUntilDate == nil {
		t.Fatalf("no retention on the object: %q %v", head.ObjectLockMode, head.ObjectLockRetainUntilDate)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(key), VersionId: head.VersionId}); err == nil {
		t.Fatal("the store deleted a locked object version")
	}
	if err := blob.Verify(ctx, st, ref.SHA256); err != nil {
		t.Fatal(err)
	}
}

func TestS3RefusesAnUnreachableBucket(t *testing.T) {
	loc := blobtest.NewBucket(t, false)
	loc.Bucket += "-missing"
	if _, err := blob.OpenS3(context.Background(), loc, blob.S3Options{}); err == nil || !strings.Contains(err.Error(), "cannot reach bucket") {
		t.Fatalf("missing bucket: %v", err)
	}
}
