package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Local keeps blobs in a directory as <dir>/sha256/ab/cd/<digest>. Writes go
// to a temporary file in <dir>/tmp, are synced, then renamed into place: a
// crash leaves at most an orphaned temporary file, never a partial blob under
// a final name.
type Local struct {
	dir string
}

// OpenLocal opens (creating if needed) a local blob directory.
func OpenLocal(dir string) (*Local, error) {
	for _, d := range []string{dir, filepath.Join(dir, "tmp"), filepath.Join(dir, "sha256")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("cannot create blob directory %s: %w", d, err)
		}
	}
	probe, err := os.CreateTemp(filepath.Join(dir, "tmp"), "probe-*")
	if err != nil {
		return nil, fmt.Errorf("blob directory %s is not writable (check permissions or choose another --data / --blob-url): %w", dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	l := &Local{dir: dir}
	l.removeStaleTemporaries(24 * time.Hour)
	return l, nil
}

// removeStaleTemporaries deletes temporary files a crashed writer left
// behind. They never had a final name, so nothing refers to them; a day's
// grace keeps a write in progress in another process safe.
func (l *Local) removeStaleTemporaries(age time.Duration) {
	entries, err := os.ReadDir(filepath.Join(l.dir, "tmp"))
	if err != nil {
		return
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > age {
			os.Remove(filepath.Join(l.dir, "tmp", e.Name()))
		}
	}
}

// Path is where a blob lives on disk (for operators and tests; digest must
// be valid).
func (l *Local) Path(digest string) string { return l.path(digest) }

func (l *Local) path(digest string) string {
	return filepath.Join(l.dir, "sha256", digest[:2], digest[2:4], digest)
}

// Describe names the directory.
func (l *Local) Describe() string { return "directory " + l.dir }

// Put writes r to a temporary file while hashing it, then moves it into place.
func (l *Local) Put(ctx context.Context, r io.Reader) (Ref, error) {
	tmp, err := os.CreateTemp(filepath.Join(l.dir, "tmp"), "put-*")
	if err != nil {
		return Ref{}, fmt.Errorf("cannot create temporary blob file: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx, r})
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Ref{}, fmt.Errorf("cannot write blob: %w", err)
	}
	ref := Ref{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}
	final := l.path(ref.SHA256)
	if st, err := os.Stat(final); err == nil && st.Size() == n {
		return ref, nil // identical content is already stored
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return Ref{}, fmt.Errorf("cannot create blob directory: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o400); err != nil {
		return Ref{}, fmt.Errorf("cannot protect blob: %w", err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return Ref{}, fmt.Errorf("cannot move blob into place: %w", err)
	}
	if err := syncDir(filepath.Dir(final)); err != nil {
		return Ref{}, err
	}
	return ref, nil
}

// Open opens a blob for reading.
func (l *Local) Open(ctx context.Context, digest string) (io.ReadCloser, error) {
	if err := checkDigest(digest); err != nil {
		return nil, err
	}
	f, err := os.Open(l.path(digest))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob %s: %w", digest, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot open blob %s: %w", digest, err)
	}
	return f, nil
}

// Stat reports a blob's size.
func (l *Local) Stat(ctx context.Context, digest string) (Ref, error) {
	if err := checkDigest(digest); err != nil {
		return Ref{}, err
	}
	st, err := os.Stat(l.path(digest))
	if errors.Is(err, fs.ErrNotExist) {
		return Ref{}, fmt.Errorf("blob %s: %w", digest, ErrNotFound)
	}
	if err != nil {
		return Ref{}, fmt.Errorf("cannot stat blob %s: %w", digest, err)
	}
	return Ref{SHA256: digest, Size: st.Size()}, nil
}

// Delete removes a blob's file.
func (l *Local) Delete(ctx context.Context, digest string) error {
	if err := checkDigest(digest); err != nil {
		return err
	}
	err := os.Remove(l.path(digest))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot delete blob %s: %w", digest, err)
	}
	return syncDir(filepath.Dir(l.path(digest)))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("cannot sync blob directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("cannot sync blob directory: %w", err)
	}
	return nil
}

// ctxReader stops a long copy when the context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
