package export

import (
	"archive/zip"
	"bytes"
	"io"
	"sort"
)

func sortStrings(s []string) { sort.Strings(s) }

func readZipBytes(t interface {
	Helper()
	Fatal(...any)
}, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		out[f.Name] = data
	}
	return out
}
