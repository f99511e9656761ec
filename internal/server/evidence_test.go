package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/assurehq/assure/internal/model"
)

var testPDF = []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")

// multipartBody builds a form with fields and one file part.
func multipartBody(t *testing.T, fields map[string][]string, fileName string, file []byte) (io.Reader, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	if file != nil {
		fw, err := mw.CreateFormFile("file", fileName)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(file)
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func (f *fixture) upload(t *testing.T, role model.Role, path string, fields map[string][]string, name string, file []byte) (*http.Response, string) {
	t.Helper()
	body, ct := multipartBody(t, fields, name, file)
	resp := f.do(t, http.MethodPost, path, body, func(r *http.Request) {
		f.asToken(role)(r)
		r.Header.Set("Content-Type", ct)
	})
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestEvidenceAPI(t *testing.T) {
	f := newFixture(t)
	f.adoptLibrary(t)
	resp, body := f.upload(t, model.RoleEditor, "/api/v1/evidence", map[string][]string{"control": {"IAM-01", "IAM-02"}, "effective_from": {"2026-01-01"}}, "access-review.pdf", testPDF)
	if resp.StatusCode != 201 {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	var it model.EvidenceItem
	json.Unmarshal([]byte(body), &it)
	sum := sha256.Sum256(testPDF)
	if it.Current == nil || it.Current.SHA256 != fmt.Sprintf("%x", sum) || len(it.Controls) != 2 || it.CreatedBy.Email != "editor@example.com" {
		t.Fatalf("created: %s", body)
	}
	// JSON for an attestation.
	r := f.do(t, http.MethodPost, "/api/v1/evidence", strings.NewReader(`{"kind":"attestation","controls":["OPS-07"],"text":"Restore test done, ticket OPS-412"}`), func(r *http.Request) {
		f.asToken(model.RoleEditor)(r)
		r.Header.Set("Content-Type", "application/json")
	})
	if r.StatusCode != 201 {
		b, _ := io.ReadAll(r.Body)
		t.Fatalf("attestation: %d %s", r.StatusCode, b)
	}
	// Refusals say what is wrong.
	for _, tc := range []struct {
		name, file string
		body       []byte
		status     int
		want       string
	}{
		{"path traversal", "../../../etc/cron.d/evil", testPDF, 400, "not a plain file name"},
		{"wrong type", "invoice.pdf", append([]byte("MZ\x90\x00"), make([]byte, 100)...), 400, "is not accepted"},
		{"too large", "big.pdf", append(append([]byte{}, testPDF...), make([]byte, 3<<20)...), 413, "larger than"},
	} {
		resp, body := f.upload(t, model.RoleEditor, "/api/v1/evidence", map[string][]string{"control": {"IAM-01"}}, tc.file, tc.body)
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s, want %d %q", tc.name, resp.StatusCode, body, tc.status, tc.want)
		}
	}
	if resp, _ := f.upload(t, model.RoleViewer, "/api/v1/evidence", map[string][]string{"control": {"IAM-01"}}, "a.pdf", testPDF); resp.StatusCode != 403 {
		t.Fatalf("viewer upload: %d", resp.StatusCode)
	}
	// Download: an attachment, never sniffed, with its digest.
	resp = f.do(t, http.MethodGet, fmt.Sprintf("/api/v1/evidence/%d/file", it.ID), nil, f.asToken(model.RoleViewer))
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.Equal(got, testPDF) || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Repr-Digest") != "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":" {
		t.Fatalf("download: %d %v", resp.StatusCode, resp.Header)
	}
	if resp := f.do(t, http.MethodGet, fmt.Sprintf("/api/v1/evidence/%d/file", it.ID), nil, f.asToken(model.RoleAuditor)); resp.StatusCode != 403 {
		t.Fatalf("auditor outside an audit downloads evidence: %d", resp.StatusCode)
	}
	// A new version, the detail with proofs, a checkpoint, verification.
	resp, body = f.upload(t, model.RoleEditor, fmt.Sprintf("/api/v1/evidence/%d/versions", it.ID), map[string][]string{"effective_from": {"2026-04-01"}}, "access-review-q2.pdf", append(append([]byte{}, testPDF...), "%Q2\n"...))
	if resp.StatusCode != 201 || !strings.Contains(body, `"version": 2`) {
		t.Fatalf("version: %d %s", resp.StatusCode, body)
	}
	if resp := f.do(t, http.MethodPost, "/api/v1/ledger/checkpoints", nil, f.asToken(model.RoleAdmin)); resp.StatusCode != 201 {
		t.Fatalf("checkpoint: %d", resp.StatusCode)
	}
	resp = f.do(t, http.MethodGet, fmt.Sprintf("/api/v1/evidence/%d", it.ID), nil, f.asToken(model.RoleViewer))
	var d struct {
		Versions []model.EvidenceVersion
		Ledger   []struct {
			Proof *struct{ Checkpoint *model.LedgerCheckpoint }
		}
		Verification struct{ OK bool }
	}
	json.NewDecoder(resp.Body).Decode(&d)
	if len(d.Versions) != 2 || len(d.Ledger) != 2 || d.Ledger[0].Proof == nil || d.Ledger[0].Proof.Checkpoint == nil || !d.Verification.OK {
		t.Fatalf("detail: %+v", d)
	}
	resp = f.do(t, http.MethodGet, "/api/v1/ledger/verify", nil, f.asToken(model.RoleViewer))
	var rep struct{ OK bool }
	if json.NewDecoder(resp.Body).Decode(&rep); !rep.OK {
		t.Fatal("ledger does not verify over the API")
	}
	resp = f.do(t, http.MethodGet, "/api/v1/ledger/key", nil, f.asToken(model.RoleViewer))
	var key struct {
		PEM string `json:"public_key_pem"`
	}
	if json.NewDecoder(resp.Body).Decode(&key); !strings.Contains(key.PEM, "BEGIN PUBLIC KEY") {
		t.Fatalf("key: %+v", key)
	}
}

func TestEvidencePages(t *testing.T) {
	f := newFixture(t)
	f.adoptLibrary(t)
	b := newBrowser(t, f.ts.URL)
	b.post("/login", url.Values{"email": {f.app.Bootstrap.Email}, "password": {f.app.Bootstrap.Password}})
	_, page := b.get("/evidence")
	if !strings.Contains(page, "No evidence yet") {
		t.Fatal("the empty state is missing")
	}
	_, page = b.get("/evidence/new")
	csrf := csrfOf(t, page)
	post := func(fields map[string][]string, name string, file []byte) (*http.Response, string) {
		fields["csrf"] = []string{csrf}
		body, ct := multipartBody(t, fields, name, file)
		req, _ := http.NewRequest(http.MethodPost, f.ts.URL+"/evidence", body)
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp, string(out)
	}
	resp, page := post(map[string][]string{"kind": {"file"}, "controls": {"POL-01"}}, "../secret.pdf", testPDF)
	if resp.StatusCode != 400 || !strings.Contains(page, "not a plain file name") || !strings.Contains(page, `value="POL-01"`) {
		t.Fatalf("refused upload: %d", resp.StatusCode)
	}
	resp, _ = post(map[string][]string{"kind": {"file"}, "controls": {"POL-01, POL-02"}, "effective_from": {"2026-01-01"}, "expires_on": {"2026-12-31"}}, "infosec-policy.pdf", testPDF)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/evidence/") {
		t.Fatalf("upload: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page = b.get(resp.Header.Get("Location"))
	if !strings.Contains(page, "Evidence added") || !strings.Contains(page, "✓ verified") || !strings.Contains(page, "infosec-policy.pdf") {
		t.Fatalf("detail page:\n%s", page)
	}
	_, page = b.get("/evidence?control=POL-02")
	if !strings.Contains(page, "infosec-policy.pdf") {
		t.Fatal("list by control misses the item")
	}
	_, page = b.get("/settings/signing-key")
	if !strings.Contains(page, "BEGIN PUBLIC KEY") {
		t.Fatal("the signing key page shows no key")
	}
	resp, _ = b.post("/settings/checkpoints", url.Values{"csrf": {csrfOf(t, page)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("checkpoint: %d", resp.StatusCode)
	}
	_, page = b.get("/settings/signing-key?verify=1")
	if !strings.Contains(page, "✓ verified") {
		t.Fatalf("verification on the settings page:\n%s", page)
	}
	resp, page = b.post("/settings/retention", url.Values{"csrf": {csrf}, "retention_days": {"2555"}, "legal_hold": {"on"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("retention: %d %s", resp.StatusCode, page)
	}
	_, page = b.get("/settings/retention")
	if !strings.Contains(page, `value="2555"`) || !strings.Contains(page, "checked") {
		t.Fatal("retention not saved")
	}
}
