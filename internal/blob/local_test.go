package blob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLocalPutOpenVerify(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, err := OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	content := []byte("restore test performed on 2026-10-02")
	ref, err := l.Put(ctx, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	if ref.SHA256 != Digest(content) || ref.Size != int64(len(content)) {
		t.Fatalf("ref %+v", ref)
	}
	// The same content again is the same blob, stored once.
	ref2, err := l.Put(ctx, bytes.NewReader(content))
	if err != nil || ref2 != ref {
		t.Fatalf("second put: %+v %v", ref2, err)
	}
	n := 0
	filepath.Walk(filepath.Join(dir, "sha256"), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n++
		}
		return nil
	})
	if n != 1 {
		t.Fatalf("%d files stored for one content", n)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(entries) != 0 {
		t.Fatalf("temporary files left behind: %d", len(entries))
	}
	rc, err := l.Open(ctx, ref.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, content) {
		t.Fatal("content differs")
	}
	if err := Verify(ctx, l, ref.SHA256); err != nil {
		t.Fatal(err)
	}
	// Flip one byte on disk: Verify names the blob.
	p := l.path(ref.SHA256)
	os.Chmod(p, 0o600)
	b, _ := os.ReadFile(p)
	b[0] ^= 1
	os.WriteFile(p, b, 0o600)
	if err := Verify(ctx, l, ref.SHA256); err == nil || !strings.Contains(err.Error(), ref.SHA256) {
		t.Fatalf("tampering not detected: %v", err)
	}
}

func TestLocalRefusesPathsAsDigests(t *testing.T) {
	l, _ := OpenLocal(t.TempDir())
	for _, d := range []string{"../../etc/passwd", "", strings.Repeat("A", 64), strings.Repeat("a", 63)} {
		if _, err := l.Open(context.Background(), d); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("Open(%q) = %v, want a refusal", d, err)
		}
	}
	missing := strings.Repeat("a", 64)
	if _, err := l.Stat(context.Background(), missing); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing blob: %v", err)
	}
}

func TestLocalPutStopsWithContext(t *testing.T) {
	l, _ := OpenLocal(t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Put(ctx, strings.NewReader("x")); err == nil {
		t.Fatal("put with a cancelled context succeeded")
	}
}

func TestStaleTemporariesAreRemoved(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	old, fresh := filepath.Join(dir, "assure-test-spool-old"), filepath.Join(dir, "assure-test-spool-new")
	for _, p := range []string{old, fresh} {
		os.WriteFile(p, []byte("x"), 0o600)
	}
	past := time.Now().Add(-48 * time.Hour)
	os.Chtimes(old, past, past)
	RemoveStaleTemp("assure-test-spool-", 24*time.Hour)
	if _, err := os.Stat(old); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a stale spool file was kept")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatal("a recent spool file was removed")
	}
	// Local blob directories clean their own tmp/ the same way.
	bdir := t.TempDir()
	l, _ := OpenLocal(bdir)
	stale := filepath.Join(bdir, "tmp", "put-1")
	os.WriteFile(stale, []byte("partial"), 0o600)
	os.Chtimes(stale, past, past)
	l.removeStaleTemporaries(24 * time.Hour)
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a stale temporary blob was kept")
	}
}
