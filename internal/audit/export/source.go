package export

import (
	"archive/zip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Source is a package to verify: the ZIP as exported, or the folder it was
// extracted into.
type Source interface {
	// Names lists every file, slash-separated, relative to the package root.
	Names() []string
	Open(name string) (io.ReadCloser, error)
	// Problems are what was wrong with the container itself (a name that
	// escapes the folder, a duplicate, a link), each naming the file.
	Problems() []Fault
	Close() error
}

// OpenSource opens a package file (ZIP) or an extracted package folder.
func OpenSource(p string) (Source, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("cannot open the package: %w", err)
	}
	if st.IsDir() {
		return openDir(p)
	}
	zr, err := zip.OpenReader(p)
	if err != nil {
		return nil, fmt.Errorf("cannot open the package %s: it is not a ZIP file (%v)", p, err)
	}
	z := &zipSource{r: zr, files: map[string]*zip.File{}}
	for _, f := range zr.File {
		name := f.Name
		switch {
		case strings.HasSuffix(name, "/") && f.UncompressedSize64 == 0:
			continue // a folder entry
		case !fs.ValidPath(name) || strings.Contains(name, `\`):
			z.problems = append(z.problems, Fault{File: name, Problem: "the name is not a plain relative path (it could write outside the folder when extracted)"})
			continue
		case f.Mode()&fs.ModeType != 0:
			z.problems = append(z.problems, Fault{File: name, Problem: "not a regular file (a link or a device): Assure never writes one"})
			continue
		case z.files[name] != nil:
			z.problems = append(z.problems, Fault{File: name, Problem: "the package holds two files of this name"})
			continue
		}
		z.files[name] = f
		z.names = append(z.names, name)
	}
	sort.Strings(z.names)
	return z, nil
}

type zipSource struct {
	r        *zip.ReadCloser
	files    map[string]*zip.File
	names    []string
	problems []Fault
}

func (z *zipSource) Names() []string   { return z.names }
func (z *zipSource) Problems() []Fault { return z.problems }
func (z *zipSource) Close() error      { return z.r.Close() }
func (z *zipSource) Open(name string) (io.ReadCloser, error) {
	f := z.files[name]
	if f == nil {
		return nil, fs.ErrNotExist
	}
	return f.Open() // checks the CRC-32 at the end of the file
}

type dirSource struct {
	root     string
	names    []string
	problems []Fault
}

func openDir(root string) (Source, error) {
	d := &dirSource{root: root}
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		switch {
		case e.IsDir():
			return nil
		case e.Type()&fs.ModeType != 0:
			d.problems = append(d.problems, Fault{File: rel, Problem: "not a regular file (a link or a device): Assure never writes one"})
			return nil
		}
		d.names = append(d.names, rel)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read the package folder %s: %w", root, err)
	}
	sort.Strings(d.names)
	return d, nil
}

func (d *dirSource) Names() []string   { return d.names }
func (d *dirSource) Problems() []Fault { return d.problems }
func (d *dirSource) Close() error      { return nil }
func (d *dirSource) Open(name string) (io.ReadCloser, error) {
	if !fs.ValidPath(name) {
		return nil, fs.ErrNotExist
	}
	return os.Open(filepath.Join(d.root, filepath.FromSlash(path.Clean(name))))
}
