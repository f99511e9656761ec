package export

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/assurehq/assure/internal/model"
)

// Limits bound what one package may hold, so that an export cannot fill
// the disk or run for hours unnoticed. Exceeding one stops the export with
// a message naming the limit.
type Limits struct {
	Files   int   // content files
	Bytes   int64 // content bytes, before compression
	Entries int   // ledger entries proven
}

// DefaultLimits are generous for a year of evidence of a mid-sized company.
var DefaultLimits = Limits{Files: 50_000, Bytes: 8 << 30, Entries: 200_000}

// ErrTooLarge is wrapped when a package would exceed its limits.
var ErrTooLarge = fmt.Errorf("the package is too large: %w", model.ErrConflict)

// zipWriter streams files into a ZIP, hashing each on the way: no file is
// ever held whole in memory.
type zipWriter struct {
	zw      *zip.Writer
	modTime time.Time
	limits  Limits
	names   map[string]bool
	files   []ManifestFile
	bytes   int64
}

func newZipWriter(w io.Writer, modTime time.Time, limits Limits) *zipWriter {
	return &zipWriter{zw: zip.NewWriter(w), modTime: modTime.UTC(), limits: limits, names: map[string]bool{}}
}

// storedTypes are already compressed: deflating them again costs time for nothing.
var storedTypes = map[string]bool{
	"application/pdf": true, "image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true,
	"application/zip": true, mediaXLSX: true,
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   true,
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": true,
}

func (z *zipWriter) create(name, mediaType string) (io.Writer, error) {
	if err := checkPath(name); err != nil {
		return nil, err
	}
	if z.names[name] {
		return nil, fmt.Errorf("the package already holds %s", name)
	}
	z.names[name] = true
	method := zip.Deflate
	if storedTypes[mediaType] {
		method = zip.Store
	}
	return z.zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: z.modTime})
}

// add streams a content file into the package and lists it in the
// manifest. When f.SHA256 is set (the hash the ledger holds for stored
// content), the bytes read must hash to it: a corrupted blob stops the
// export instead of being packaged under a hash it does not have.
func (z *zipWriter) add(f ManifestFile, r io.Reader) error {
	if len(z.files) >= z.limits.Files {
		return fmt.Errorf("%w: it would hold more than %d files (try without the raw responses, or ask for a narrower audit)", ErrTooLarge, z.limits.Files)
	}
	w, err := z.create(f.Path, f.MediaType)
	if err != nil {
		return err
	}
	h := sha256.New()
	budget := z.limits.Bytes - z.bytes
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(r, budget+1))
	if err != nil {
		return fmt.Errorf("cannot write %s into the package: %w", f.Path, err)
	}
	if n > budget {
		return fmt.Errorf("%w: its files would take more than %d bytes (try without the raw responses)", ErrTooLarge, z.limits.Bytes)
	}
	z.bytes += n
	sum := hex.EncodeToString(h.Sum(nil))
	if f.SHA256 != "" && f.SHA256 != sum {
		return fmt.Errorf("cannot package %s: the stored content hashes to %s, not to the %s recorded for it: run `assure ledger verify`", f.Path, sum, f.SHA256)
	}
	if f.Size > 0 && f.Size != n {
		return fmt.Errorf("cannot package %s: the stored content has %d bytes, not the %d recorded for it: run `assure ledger verify`", f.Path, n, f.Size)
	}
	f.SHA256, f.Size = sum, n
	z.files = append(z.files, f)
	return nil
}

// addBytes adds a content file held in memory (a generated report).
func (z *zipWriter) addBytes(f ManifestFile, b []byte) error {
	f.SHA256, f.Size = "", 0
	return z.add(f, bytes.NewReader(b))
}

// addRaw writes a file the manifest does not list (the manifest itself and
// the ledger files).
func (z *zipWriter) addRaw(name string, b []byte) error {
	w, err := z.create(name, "")
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("cannot write %s into the package: %w", name, err)
	}
	return nil
}

// rawWriter opens a file the manifest does not list for streaming into
// (the ledger entries, one line at a time).
func (z *zipWriter) rawWriter(name string) (io.Writer, error) {
	return z.create(name, "")
}

func (z *zipWriter) close() error {
	if err := z.zw.Close(); err != nil {
		return fmt.Errorf("cannot finish the package: %w", err)
	}
	return nil
}
