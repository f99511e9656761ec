package evidence

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/assurehq/assure/internal/model"
)

// Accepted upload types. Content decides, never the name or the browser's
// claim: PDF, PNG/JPEG/GIF/WebP images, plain text, CSV, JSON, Office Open
// XML (docx, xlsx, pptx) and OpenDocument (odt, ods, odp) documents without
// macros, and zip archives. Everything else (executables, HTML, SVG, legacy
// binary Office files, macro-enabled documents) is refused.
const (
	typePDF  = "application/pdf"
	typePNG  = "image/png"
	typeJPEG = "image/jpeg"
	typeGIF  = "image/gif"
	typeWebP = "image/webp"
	typeText = "text/plain; charset=utf-8"
	typeCSV  = "text/csv; charset=utf-8"
	typeJSON = "application/json"
	typeDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	typeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	typePPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	typeODT  = "application/vnd.oasis.opendocument.text"
	typeODS  = "application/vnd.oasis.opendocument.spreadsheet"
	typeODP  = "application/vnd.oasis.opendocument.presentation"
	typeZip  = "application/zip"
	typeURI  = "text/uri-list"
)

// AcceptedTypes describes the allow-list for people (errors, the upload form).
const AcceptedTypes = "PDF, PNG, JPEG, GIF or WebP images, plain text, CSV, JSON, Word/Excel/PowerPoint (docx, xlsx, pptx), OpenDocument (odt, ods, odp) or zip"

// extensionTypes maps the file extensions we know to the type their
// content must have; a file whose name promises one type and whose content
// is another is refused.
var extensionTypes = map[string]string{
	".pdf": typePDF, ".png": typePNG, ".jpg": typeJPEG, ".jpeg": typeJPEG, ".gif": typeGIF, ".webp": typeWebP,
	".txt": typeText, ".log": typeText, ".md": typeText, ".csv": typeCSV, ".json": typeJSON,
	".docx": typeDOCX, ".xlsx": typeXLSX, ".pptx": typePPTX, ".odt": typeODT, ".ods": typeODS, ".odp": typeODP, ".zip": typeZip,
}

var typeNames = map[string]string{
	typePDF: "a PDF", typePNG: "a PNG image", typeJPEG: "a JPEG image", typeGIF: "a GIF image", typeWebP: "a WebP image",
	typeText: "plain text", typeCSV: "CSV", typeJSON: "JSON", typeDOCX: "a Word document", typeXLSX: "an Excel workbook",
	typePPTX: "a PowerPoint presentation", typeODT: "an OpenDocument text", typeODS: "an OpenDocument spreadsheet",
	typeODP: "an OpenDocument presentation", typeZip: "a zip archive",
}

// CleanFileName checks an uploaded file's name. It is kept as metadata
// only (files are stored under their hash), but a name that carries a path
// or control characters is refused rather than silently changed.
func CleanFileName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", nil
	}
	if strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return "", model.Invalid("file_name", "%q is not a plain file name: it contains a path; send only the file's own name", name)
	}
	if !utf8.ValidString(name) {
		return "", model.Invalid("file_name", "the file name is not valid UTF-8")
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == '\u202e' || r == '\u202d' {
			return "", model.Invalid("file_name", "%q contains control characters", name)
		}
	}
	if len(name) > 200 {
		return "", model.Invalid("file_name", "is longer than 200 bytes: rename the file")
	}
	return name, nil
}

// spooled is an upload written to a temporary file while it was hashed.
type spooled struct {
	f      *os.File
	size   int64
	sha256 string
}

func (s *spooled) Close() {
	if s.f != nil {
		s.f.Close()
		os.Remove(s.f.Name())
	}
}

func (s *spooled) reader() (io.Reader, error) {
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("cannot rewind the upload: %w", err)
	}
	return s.f, nil
}

// spool copies r into a temporary file, refusing more than limit bytes.
func spool(r io.Reader, limit int64) (*spooled, error) {
	f, err := os.CreateTemp("", "assure-upload-*")
	if err != nil {
		return nil, fmt.Errorf("cannot store the upload temporarily: %w", err)
	}
	sp := &spooled{f: f}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, limit+1))
	if err != nil {
		sp.Close()
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(limit)
		}
		return nil, fmt.Errorf("cannot read the upload: %w", err)
	}
	if n > limit {
		sp.Close()
		return nil, tooLarge(limit)
	}
	sp.size, sp.sha256 = n, hex.EncodeToString(h.Sum(nil))
	return sp, nil
}

func tooLarge(limit int64) error {
	return model.Invalid("file", "the file is larger than the upload limit of %s: split it, compress it, or ask the operator to raise --max-upload-size", HumanSize(limit))
}

// HumanSize writes a byte count for people, in the units it was most
// likely configured in (100MB, 64KiB).
func HumanSize(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"GB", 1e9}, {"MiB", 1 << 20}, {"MB", 1e6}, {"KiB", 1 << 10}, {"KB", 1e3}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d %s", n/u.size, u.name)
		}
	}
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// sniff decides an upload's media type from its content, and refuses it
// when the type is not accepted or contradicts the file's extension.
func sniff(sp *spooled, name string) (string, error) {
	if sp.size == 0 {
		return "", model.Invalid("file", "the file is empty")
	}
	head := make([]byte, 512)
	n, _ := sp.f.ReadAt(head, 0)
	head = head[:n]
	got, err := detect(sp, head)
	if err != nil {
		return "", err
	}
	if want, ok := extensionTypes[strings.ToLower(path.Ext(name))]; ok && !compatible(want, got) {
		return "", model.Invalid("file", "%s is named like %s but its content is %s: upload the right file or rename it", name, typeNames[want], typeNames[got])
	}
	return got, nil
}

// compatible allows the text family to share names (a .txt holding CSV).
func compatible(want, got string) bool {
	text := map[string]bool{typeText: true, typeCSV: true, typeJSON: true}
	return want == got || (text[want] && text[got])
}

func refused(what string) error {
	return model.Invalid("file", "%s is not accepted: upload %s", what, AcceptedTypes)
}

func detect(sp *spooled, head []byte) (string, error) {
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return typePDF, nil
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return detectZip(sp)
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		return "", model.Invalid("file", "legacy binary Office files (doc, xls, ppt) are not accepted: save it as docx, xlsx, pptx or PDF")
	}
	switch ct := http.DetectContentType(head); {
	case ct == typePNG, ct == typeJPEG, ct == typeGIF, ct == typeWebP:
		return ct, nil
	case strings.HasPrefix(ct, "text/html"), strings.HasPrefix(ct, "text/xml"):
		return "", refused("an HTML or XML page")
	case strings.HasPrefix(ct, "text/plain"):
		return detectText(sp)
	default:
		return "", refused("this kind of file (" + strings.Split(ct, ";")[0] + ")")
	}
}

func detectText(sp *spooled) (string, error) {
	b := make([]byte, sp.size)
	if _, err := sp.f.ReadAt(b, 0); err != nil && err != io.EOF {
		return "", fmt.Errorf("cannot read the upload: %w", err)
	}
	if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
		return "", refused("binary data")
	}
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') && json.Valid(trimmed) {
		return typeJSON, nil
	}
	lower := bytes.ToLower(trimmed[:min(len(trimmed), 256)])
	if bytes.HasPrefix(lower, []byte("<svg")) || bytes.HasPrefix(lower, []byte("<?xml")) || bytes.Contains(lower, []byte("<script")) {
		return "", refused("an SVG, XML or HTML document")
	}
	if looksLikeCSV(b) {
		return typeCSV, nil
	}
	return typeText, nil
}

// looksLikeCSV: at least two lines with the same number (>1) of commas.
func looksLikeCSV(b []byte) bool {
	lines := strings.SplitN(string(b), "\n", 6)
	if len(lines) < 2 {
		return false
	}
	want := strings.Count(lines[0], ",")
	if want == 0 {
		return false
	}
	for _, l := range lines[1 : len(lines)-1] {
		if strings.Count(l, ",") != want {
			return false
		}
	}
	return true
}

func detectZip(sp *spooled) (string, error) {
	zr, err := zip.NewReader(sp.f, sp.size)
	if err != nil {
		return "", model.Invalid("file", "the file starts like a zip archive but is damaged: %v", err)
	}
	names := map[string]*zip.File{}
	for _, f := range zr.File {
		names[f.Name] = f
	}
	if ct, ok := names["[Content_Types].xml"]; ok {
		b, err := readSmall(ct)
		if err != nil {
			return "", model.Invalid("file", "the Office document is damaged: %v", err)
		}
		if bytes.Contains(bytes.ToLower(b), []byte("macroenabled")) || names["word/vbaProject.bin"] != nil || names["xl/vbaProject.bin"] != nil || names["ppt/vbaProject.bin"] != nil {
			return "", model.Invalid("file", "documents with macros are not accepted: save it without macros (docx, xlsx, pptx) or as PDF")
		}
		switch {
		case names["word/document.xml"] != nil:
			return typeDOCX, nil
		case names["xl/workbook.xml"] != nil:
			return typeXLSX, nil
		case names["ppt/presentation.xml"] != nil:
			return typePPTX, nil
		}
	}
	if mt, ok := names["mimetype"]; ok {
		b, _ := readSmall(mt)
		switch strings.TrimSpace(string(b)) {
		case typeODT:
			return typeODT, nil
		case typeODS:
			return typeODS, nil
		case typeODP:
			return typeODP, nil
		}
	}
	return typeZip, nil
}

func readSmall(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, 1<<20))
}

// extensionFor picks a download name's extension from a media type.
func extensionFor(mediaType string) string {
	for ext, t := range extensionTypes {
		if t == mediaType && ext != ".jpeg" && ext != ".log" && ext != ".md" {
			return ext
		}
	}
	if mediaType == typeURI {
		return ".uri"
	}
	return ".bin"
}
