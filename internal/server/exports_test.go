package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/assurehq/assure/internal/audit/export"
	"github.com/assurehq/assure/internal/model"
)

// Downloads of an audit through the API and the pages: the workbook opens,
// the package verifies offline with the installation's key and is listed
// among the packages made; the package is not made by a GET.
func TestAuditExports(t *testing.T) {
	af := newAuditFixture(t)
	id := af.mine.ID

	resp := af.do(t, "GET", fmt.Sprintf("/api/v1/audits/%d/export?format=xlsx", id), nil, af.asToken(model.RoleAuditor))
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "-audit-") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("xlsx: %d %v", resp.StatusCode, resp.Header)
	}
	sum := sha256.Sum256(body)
	if resp.Header.Get("Repr-Digest") != "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":" {
		t.Fatalf("digest %q", resp.Header.Get("Repr-Digest"))
	}
	x, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("the workbook does not open: %v", err)
	}
	x.Close()

	for _, bad := range []string{"package", "docx", ""} {
		resp := af.do(t, "GET", fmt.Sprintf("/api/v1/audits/%d/export?format=%s", id, bad), nil, af.asToken(model.RoleOwner))
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("format %q: %d", bad, resp.StatusCode)
		}
	}

	resp = af.do(t, "POST", fmt.Sprintf("/api/v1/audits/%d/package", id), nil, af.asToken(model.RoleAuditor))
	zipBody, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("package: %d %s", resp.StatusCode, zipBody)
	}
	p := filepath.Join(t.TempDir(), "p.zip")
	if err := os.WriteFile(p, zipBody, 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := export.OpenSource(p)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rep := export.Verify(src, export.VerifyOptions{TrustedKey: af.app.Ledger.PublicKey()})
	if !rep.OK || rep.Audit == nil || rep.Audit.ID != id {
		t.Fatalf("the downloaded package does not verify: %+v", rep.Faults)
	}
	var records []export.Record
	if s := af.apiJSON(t, model.RoleOwner, "GET", fmt.Sprintf("/api/v1/audits/%d/exports", id), "", &records); s != 200 ||
		len(records) != 1 || records[0].By != "auditor@example.com" || records[0].LedgerSeq != rep.ExportEntry {
		t.Fatalf("records: %d %+v", s, records)
	}

	// The page lists the downloads and the package made; the tab is on
	// every audit page.
	resp = af.do(t, "GET", fmt.Sprintf("/audits/%d/exports", id), nil, af.asSession(model.RoleAuditor))
	page, _ := io.ReadAll(resp.Body)
	for _, want := range []string{"Control matrix (Excel workbook)", "Report draft (PDF)", "not a SOC report", records[0].ManifestSHA256[:16],
		fmt.Sprintf(`action="/audits/%d/exports/package"`, id), "assure verify", `aria-current="page">Exports</a>`} {
		if resp.StatusCode != 200 || !strings.Contains(string(page), want) {
			t.Fatalf("exports page lacks %q (%d)", want, resp.StatusCode)
		}
	}
	resp = af.do(t, "GET", fmt.Sprintf("/audits/%d", id), nil, af.asSession(model.RoleAuditor))
	overview, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(overview), fmt.Sprintf(`href="/audits/%d/exports"`, id)) {
		t.Fatal("the audit overview has no Exports tab")
	}
	resp = af.do(t, "GET", fmt.Sprintf("/audits/%d/exports/pdf", id), nil, af.asSession(model.RoleAuditor))
	pdf, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.HasPrefix(pdf, []byte("%PDF-")) || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("pdf download: %d %v", resp.StatusCode, resp.Header)
	}
	form := url.Values{"csrf": {af.csrfOf(t, model.RoleOwner)}, "without_responses": {"on"}}
	resp = af.do(t, "POST", fmt.Sprintf("/audits/%d/exports/package", id), strings.NewReader(form.Encode()), func(r *http.Request) {
		af.asSession(model.RoleOwner)(r)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	})
	zip2, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.HasPrefix(zip2, []byte("PK")) {
		t.Fatalf("package from the page: %d", resp.StatusCode)
	}
	// Without the CSRF token the page refuses to make a package.
	resp = af.do(t, "POST", fmt.Sprintf("/audits/%d/exports/package", id), strings.NewReader(""), func(r *http.Request) {
		af.asSession(model.RoleOwner)(r)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a package without the CSRF token: %d", resp.StatusCode)
	}
}
