package export

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/assurehq/assure/internal/model"
)

// Spooled is an export written to a temporary file, ready to be sent: an
// HTTP response can then say its size and digest, and an export that fails
// halfway becomes an error instead of a truncated download.
type Spooled struct {
	Result
	Size   int64
	SHA256 string
	// Body reads the file; closing it removes the file.
	Body io.ReadCloser
}

// Spool writes the export into a temporary file (in dir, or the system's
// temporary directory when dir is "") and returns it opened for reading.
func (s *Service) Spool(ctx context.Context, p model.Principal, id int64, f Format, opt Options, dir string) (Spooled, error) {
	tmp, err := os.CreateTemp(dir, "assure-export-*")
	if err != nil {
		return Spooled{}, fmt.Errorf("cannot create a temporary file for the export: %w", err)
	}
	fail := func(err error) (Spooled, error) {
		tmp.Close()
		os.Remove(tmp.Name())
		return Spooled{}, err
	}
	h := sha256.New()
	res, err := s.Write(ctx, p, id, f, io.MultiWriter(tmp, h), opt)
	if err != nil {
		return fail(err)
	}
	size, err := tmp.Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err != nil {
		return fail(fmt.Errorf("cannot read the export back: %w", err))
	}
	return Spooled{Result: res, Size: size, SHA256: hex.EncodeToString(h.Sum(nil)), Body: removeOnClose{tmp}}, nil
}

type removeOnClose struct{ *os.File }

func (r removeOnClose) Close() error {
	err := r.File.Close()
	if rerr := os.Remove(r.File.Name()); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
		err = rerr
	}
	return err
}

// WriteFile writes the export to path through a temporary file in the same
// folder, renamed into place only when complete: a failed export leaves no
// partial file under the name asked for.
func (s *Service) WriteFile(ctx context.Context, p model.Principal, id int64, f Format, opt Options, path string) (Spooled, error) {
	sp, err := s.Spool(ctx, p, id, f, opt, filepath.Dir(path))
	if err != nil {
		return sp, err
	}
	tmp := sp.Body.(removeOnClose).File
	if err := tmp.Sync(); err != nil {
		sp.Body.Close()
		return sp, fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		sp.Body.Close()
		return sp, fmt.Errorf("cannot write %s: %w", path, err)
	}
	tmp.Close()
	sp.Body = nil
	return sp, nil
}
