package cli_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// The whole path an auditor takes: export every format from the command
// line, take the public key, verify the package offline; then change one
// byte of one evidence file, and verify names that file.
func TestAuditExportAndVerify(t *testing.T) {
	eachInstallation(t, func(t *testing.T, in *installation) {
		dir := t.TempDir()
		in.must(t, "controls", "adopt", "--all")
		review := filepath.Join(dir, "q1-review.csv")
		os.WriteFile(review, []byte("user,decision\nann,keep\n"), 0o644)
		in.must(t, "evidence", "add", review, "--control", "IAM-08", "--effective", "2026-02-15")
		var created struct{ ID int64 }
		if err := json.Unmarshal([]byte(in.must(t, "audit", "create", "--framework", "soc2", "--type", "2", "--from", "2026-01-01", "--to", "2026-06-30", "--json")), &created); err != nil || created.ID == 0 {
			t.Fatalf("create: %v", err)
		}
		id := fmt.Sprint(created.ID)

		xlsx := filepath.Join(dir, "matrix.xlsx")
		in.must(t, "audit", "export", id, "--format", "xlsx", "-o", xlsx)
		f, err := excelize.OpenFile(xlsx)
		if err != nil {
			t.Fatalf("the workbook does not open: %v", err)
		}
		f.Close()
		for _, format := range []string{"csv", "pdf", "html"} {
			out := in.must(t, "audit", "export", id, "--format", format, "-o", filepath.Join(dir, "out."+format))
			if !strings.Contains(out, "Wrote ") {
				t.Fatalf("%s: %s", format, out)
			}
		}
		pkg := filepath.Join(dir, "package.zip")
		var res struct {
			Path    string
			Size    int64
			SHA256  string
			Package struct {
				ManifestSHA256 string `json:"manifest_sha256"`
				ExportEntry    int64  `json:"export_entry"`
			}
		}
		if err := json.Unmarshal([]byte(in.must(t, "audit", "export", id, "--format", "package", "-o", pkg, "--json")), &res); err != nil ||
			res.Path != pkg || res.Package.ExportEntry == 0 || len(res.Package.ManifestSHA256) != 64 {
			t.Fatalf("package export: %+v (%v)", res, err)
		}
		if st, err := os.Stat(pkg); err != nil || st.Size() != res.Size || st.Mode().Perm() != 0o600 {
			t.Fatalf("package file: %v %v", st, err)
		}
		leftovers, _ := filepath.Glob(filepath.Join(dir, "assure-export-*"))
		if len(leftovers) != 0 {
			t.Fatalf("temporary files left: %v", leftovers)
		}
		key := filepath.Join(dir, "key.pem")
		os.WriteFile(key, []byte(in.must(t, "ledger", "key")), 0o644)

		// verify needs nothing but the package and the key.
		r := run(t, "verify", pkg, "--key", key)
		if r.code != 0 || !strings.Contains(r.stdout, "✓ The package verifies") || !strings.Contains(r.stdout, "signed with the trusted key") {
			t.Fatalf("verify: %d %s %s", r.code, r.stdout, r.stderr)
		}
		r = run(t, "verify", pkg, "--json")
		var rep struct {
			OK          bool  `json:"ok"`
			Files       int   `json:"files"`
			ExportEntry int64 `json:"export_entry"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 || !rep.OK || rep.ExportEntry != res.Package.ExportEntry || rep.Files < 5 {
			t.Fatalf("verify --json: %d %s (%v)", r.code, r.stdout, err)
		}

		// One changed byte in the evidence file.
		bad := filepath.Join(dir, "changed.zip")
		changed := rewriteZip(t, pkg, bad, func(name string, b []byte) []byte {
			if strings.HasPrefix(name, "evidence/IAM-08/") {
				b[0] ^= 0x20
			}
			return b
		})
		if changed == "" {
			t.Fatal("the package holds no evidence for IAM-08")
		}
		r = run(t, "verify", bad, "--key", key)
		if r.code != 1 || !strings.Contains(r.stdout, changed+": has been changed") || !strings.Contains(r.stderr, "does not verify") {
			t.Fatalf("verify of a changed package: %d %s %s", r.code, r.stdout, r.stderr)
		}
		// Another installation's key.
		other := filepath.Join(dir, "other.pem")
		ok := run(t, "--data", t.TempDir(), "ledger", "key") // a separate installation on SQLite
		os.WriteFile(other, []byte(ok.stdout), 0o644)
		if r := run(t, "verify", pkg, "--key", other); r.code != 1 || !strings.Contains(r.stdout, "ledger/public-key.pem") {
			t.Fatalf("verify with another key: %d %s", r.code, r.stdout)
		}
		// Wrong invocations.
		if r := in.run(t, "audit", "export", id, "--format", "docx"); r.code != 2 {
			t.Fatalf("unknown format: %d %s", r.code, r.stderr)
		}
		if r := in.run(t, "audit", "export", "999", "--format", "csv", "-o", filepath.Join(dir, "x.csv")); r.code != 1 || !strings.Contains(r.stderr, "not found") {
			t.Fatalf("unknown audit: %d %s", r.code, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "x.csv")); !os.IsNotExist(err) {
			t.Fatal("a failed export left a file")
		}
	})
}

// rewriteZip copies a ZIP through fn and returns the name of the first
// file fn changed.
func rewriteZip(t *testing.T, from, to string, fn func(name string, b []byte) []byte) string {
	t.Helper()
	zr, err := zip.OpenReader(from)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	changed := ""
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		orig := append([]byte(nil), b...)
		b = fn(f.Name, b)
		if changed == "" && !bytes.Equal(orig, b) {
			changed = f.Name
		}
		w, _ := zw.Create(f.Name)
		w.Write(b)
	}
	zw.Close()
	if err := os.WriteFile(to, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return changed
}
