// Package blob is the content-addressed store for raw bytes: evidence files,
// raw API responses, exports. A blob's name is the SHA-256 of its content, so
// identical content is stored once and any reader can check what it got. A
// blob is written completely (and synced) before its name exists, so nothing
// can refer to a half-written blob.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// ErrNotFound is returned when no blob has the requested digest.
var ErrNotFound = errors.New("blob not found")

// ErrRetained is returned by Delete when the store keeps the blob under a
// retention it enforces (S3 object lock) until that retention ends.
var ErrRetained = errors.New("blob is under retention")

// Ref identifies stored content.
type Ref struct {
	SHA256 string `json:"sha256"` // lower-case hex
	Size   int64  `json:"size"`
}

// Store is a content-addressed blob store.
type Store interface {
	// Put stores everything r yields and returns its digest and size. Storing
	// content that already exists is cheap and returns the same Ref.
	Put(ctx context.Context, r io.Reader) (Ref, error)
	// Open returns the content of a blob. The caller closes it.
	Open(ctx context.Context, sha256hex string) (io.ReadCloser, error)
	// Stat reports whether a blob exists and its size.
	Stat(ctx context.Context, sha256hex string) (Ref, error)
	// Delete removes a blob (retention policy only: evidence is otherwise
	// never destroyed). Deleting a missing blob is not an error.
	Delete(ctx context.Context, sha256hex string) error
	// Describe says where blobs live, for logs and the settings page.
	Describe() string
}

var digestPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ValidDigest reports whether s is a lower-case hex SHA-256. Every method that
// turns a digest into a location checks it first, so no input can name a path.
func ValidDigest(s string) bool { return digestPattern.MatchString(s) }

func checkDigest(s string) error {
	if !ValidDigest(s) {
		return fmt.Errorf("%q is not a SHA-256 hex digest", s)
	}
	return nil
}

// Digest returns the SHA-256 hex digest of b.
func Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Verify reads a blob completely and checks that its content still has the
// digest it is stored under.
func Verify(ctx context.Context, s Store, sha256hex string) error {
	rc, err := s.Open(ctx, sha256hex)
	if err != nil {
		return err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return fmt.Errorf("cannot read blob %s: %w", sha256hex, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha256hex {
		return fmt.Errorf("blob %s has been altered: its content hashes to %s", sha256hex, got)
	}
	return nil
}

// RemoveStaleTemp deletes files named <prefix>* in the system temporary
// directory that are older than age: spool files of uploads whose process
// was killed. Nothing refers to them.
func RemoveStaleTemp(prefix string, age time.Duration) {
	matches, _ := filepath.Glob(filepath.Join(os.TempDir(), prefix+"*"))
	for _, m := range matches {
		if st, err := os.Stat(m); err == nil && !st.IsDir() && time.Since(st.ModTime()) > age {
			os.Remove(m)
		}
	}
}
