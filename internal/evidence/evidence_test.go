package evidence_test

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/blob"
	"github.com/assurehq/assure/internal/blob/blobtest"
	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
	"github.com/assurehq/assure/internal/store/storetest"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

type env struct {
	st    *store.Store
	blobs blob.Store
	svc   *evidence.Service
	log   *ledger.Log
	key   *ledger.Key
	clock *clock
	p     model.Principal
	db    *sql.DB
}

func newEnv(t *testing.T, st *store.Store, blobs blob.Store) *env {
	t.Helper()
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC)}
	org, err := st.CreateOrganization(ctx, "acme", "Acme", "UTC", c.t)
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := ledger.LoadOrCreateKey(filepath.Join(t.TempDir(), "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	log := ledger.NewLog(st, key, "inst-test", c.now)
	svc := evidence.New(evidence.Deps{Store: st, Blobs: blobs, Ledger: log, Now: c.now, MaxUpload: 64 << 10})
	p := model.Principal{Org: org, Role: model.RoleEditor, Via: "session", User: model.User{ID: 7, Email: "ann@example.com"}}
	return &env{st: st, blobs: blobs, svc: svc, log: log, key: key, clock: c, p: p}
}

func localBlobs(t *testing.T) blob.Store {
	l, err := blob.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// eachEnv runs fn on SQLite and PostgreSQL with the local blob store.
func eachEnv(t *testing.T, fn func(t *testing.T, e *env)) {
	storetest.EachWithDB(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		e := newEnv(t, st, localBlobs(t))
		e.db = db
		fn(t, e)
	})
}

// eachFull runs fn on every database engine with every blob backend.
func eachFull(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, b := range blobtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			storetest.EachWithDB(t, func(t *testing.T, st *store.Store, db *sql.DB) {
				blobs, _ := b.Open(t)
				e := newEnv(t, st, blobs)
				e.db = db
				fn(t, e)
			})
		})
	}
}

var pdf = []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

func (e *env) addFile(t *testing.T, name string, body []byte, c evidence.Content, controls ...string) model.EvidenceItem {
	t.Helper()
	if len(controls) == 0 {
		controls = []string{"IAM-01"}
	}
	c.File, c.FileName = bytes.NewReader(body), name
	it, err := e.svc.Add(context.Background(), e.p, evidence.NewItem{Kind: model.EvidenceFile, Controls: controls, Content: c})
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func TestAddEachKind(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		f := e.addFile(t, "access-review-q3.pdf", pdf, evidence.Content{EffectiveFrom: "2026-07-01", EffectiveTo: "2026-09-30", ExpiresOn: "2027-01-01"}, "IAM-02", "IAM-01", "IAM-01")
		if f.Kind != model.EvidenceFile || f.Title != "access-review-q3.pdf" || strings.Join(f.Controls, ",") != "IAM-01,IAM-02" || f.Versions != 1 {
			t.Fatalf("file item: %+v", f)
		}
		v := f.Current
		if v.SHA256 != blob.Digest(pdf) || v.MediaType != "application/pdf" || v.EffectiveFrom != "2026-07-01" || v.EffectiveTo != "2026-09-30" || v.ExpiresOn != "2027-01-01" || v.LedgerSeq != 1 {
			t.Fatalf("file version: %+v", v)
		}
		if f.CreatedBy.Email != "ann@example.com" || !v.CapturedAt.Equal(e.clock.t) {
			t.Fatalf("who and when: %+v", f)
		}
		l, err := e.svc.Add(ctx, e.p, evidence.NewItem{Kind: model.EvidenceLink, Controls: []string{"POL-01"}, Content: evidence.Content{URL: "https://wiki.example.com/policies/infosec"}})
		if err != nil || l.Title != "wiki.example.com/policies/infosec" || l.Current.MediaType != "text/uri-list" || l.Current.EffectiveFrom != "2026-10-05" {
			t.Fatalf("link: %+v %v", l, err)
		}
		a, err := e.svc.Add(ctx, e.p, evidence.NewItem{Kind: model.EvidenceAttestation, Controls: []string{"OPS-07"},
			Content: evidence.Content{Text: "Restore test performed on 2026-10-02, ticket OPS-412", EffectiveFrom: "2026-10-02"}})
		if err != nil || a.Current.SHA256 != blob.Digest([]byte("Restore test performed on 2026-10-02, ticket OPS-412")) || !strings.HasPrefix(a.Title, "Restore test") {
			t.Fatalf("attestation: %+v %v", a, err)
		}
		items, err := e.svc.List(ctx, e.p, "")
		if err != nil || len(items) != 3 || items[0].ID != f.ID {
			t.Fatalf("list (expiring first): %+v %v", items, err)
		}
		if items, _ := e.svc.List(ctx, e.p, "OPS-07"); len(items) != 1 || items[0].ID != a.ID {
			t.Fatalf("list by control: %+v", items)
		}
		// The ledger recorded each with its hash.
		es, _ := e.st.Org(e.p.Org.ID).LedgerEntries(ctx, 0, 10)
		if len(es) != 3 || es[0].Kind != ledger.KindEvidenceAdded || !strings.Contains(string(es[0].Payload), blob.Digest(pdf)) {
			t.Fatalf("ledger: %+v", es)
		}
		rep, err := e.svc.Verify(ctx, nil, evidence.VerifyOptions{})
		if err != nil || !rep.OK || rep.Orgs[0].Blobs != 3 {
			t.Fatalf("verify: %+v %v", rep, err)
		}
	})
}

func TestAddRefusals(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		viewer := e.p
		viewer.Role = model.RoleViewer
		if _, err := e.svc.Add(ctx, viewer, evidence.NewItem{Kind: model.EvidenceLink, Controls: []string{"A-1"}, Content: evidence.Content{URL: "https://x"}}); !errors.Is(err, model.ErrForbidden) {
			t.Fatalf("viewer: %v", err)
		}
		for _, tc := range []struct {
			in   evidence.NewItem
			want string
		}{
			{evidence.NewItem{Kind: model.EvidenceLink, Content: evidence.Content{URL: "https://x"}}, "at least one control"},
			{evidence.NewItem{Kind: model.EvidenceLink, Controls: []string{"not a key!"}, Content: evidence.Content{URL: "https://x"}}, "may contain only letters"},
			{evidence.NewItem{Kind: model.EvidenceLink, Controls: []string{"A-1"}, Content: evidence.Content{URL: "javascript:alert(1)"}}, "not a web address"},
			{evidence.NewItem{Kind: model.EvidenceLink, Controls: []string{"A-1"}, Content: evidence.Content{URL: "https://u:p@x.com"}}, "password"},
			{evidence.NewItem{Kind: model.EvidenceAttestation, Controls: []string{"A-1"}}, "write what was done"},
			{evidence.NewItem{Kind: model.EvidenceAutomated, Controls: []string{"A-1"}}, "automated evidence comes from collection runs"},
			{evidence.NewItem{Kind: model.EvidenceLink, Controls: []string{"A-1"}, Content: evidence.Content{URL: "https://x", EffectiveFrom: "2026-13-01"}}, "YYYY-MM-DD"},
			{evidence.NewItem{Kind: model.EvidenceLink, Controls: []string{"A-1"}, Content: evidence.Content{URL: "https://x", EffectiveFrom: "2027-01-01"}}, "in the future"},
			{evidence.NewItem{Kind: model.EvidenceLink, Controls: []string{"A-1"}, Content: evidence.Content{URL: "https://x", EffectiveFrom: "2026-05-01", EffectiveTo: "2026-04-01"}}, "before the start"},
			{evidence.NewItem{Kind: model.EvidenceLink, Controls: []string{"A-1"}, Content: evidence.Content{URL: "https://x", EffectiveFrom: "2026-05-01", ExpiresOn: "2026-05-01"}}, "must be after"},
		} {
			if _, err := e.svc.Add(ctx, e.p, tc.in); err == nil || !model.IsValidation(err) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%+v: %v, want %q", tc.in, err, tc.want)
			}
		}
		if items, _ := e.svc.List(ctx, e.p, ""); len(items) != 0 {
			t.Fatalf("refused evidence was stored: %+v", items)
		}
	})
}

func docx(t *testing.T, macro bool) []byte {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	ct := `<Types><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`
	if macro {
		ct = `<Types><Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>`
	}
	for name, body := range map[string]string{"[Content_Types].xml": ct, "word/document.xml": "<w:document/>"} {
		w, _ := z.Create(name)
		w.Write([]byte(body))
	}
	z.Close()
	return buf.Bytes()
}

// Uploads are stored under their hash only; names carrying a path, files
// over the limit and content outside the allow-list are refused with an
// error that says what to do.
func TestUploadChecks(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 64)...)
		for _, tc := range []struct {
			name string
			body []byte
			want string // "" accepted; else the error contains it
			mt   string
		}{
			{"../../etc/passwd", []byte("root:x:0:0"), "not a plain file name", ""},
			{`..\..\windows\system.ini`, []byte("x"), "not a plain file name", ""},
			{"evil\x00.pdf", pdf, "control characters", ""},
			{"big.pdf", append(append([]byte{}, pdf...), make([]byte, 70<<10)...), "larger than the upload limit of 64 KiB", ""},
			{"tool.exe", append([]byte("MZ\x90\x00"), make([]byte, 100)...), "is not accepted: upload PDF", ""},
			{"report.pdf", append([]byte("\x7fELF"), make([]byte, 100)...), "is not accepted", ""},
			{"report.pdf", png, "report.pdf is named like a PDF but its content is a PNG image", ""},
			{"page.html", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), "HTML", ""},
			{"logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "not accepted", ""},
			{"minutes.docm", docx(t, true), "macros", ""},
			{"legacy.doc", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 100)...), "legacy binary Office", ""},
			{"empty.txt", nil, "empty", ""},
			{"policy.docx", docx(t, false), "", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
			{"users.csv", []byte("email,role\nann@example.com,admin\nbob@example.com,viewer\n"), "", "text/csv; charset=utf-8"},
			{"export.json", []byte(`{"users": [1, 2]}`), "", "application/json"},
			{"screenshot.png", png, "", "image/png"},
			{"notes.txt", []byte("Quarterly access review done."), "", "text/plain; charset=utf-8"},
			{"", pdf, "", "application/pdf"},
		} {
			it, err := e.svc.Add(ctx, e.p, evidence.NewItem{Kind: model.EvidenceFile, Controls: []string{"IAM-01"}, Content: evidence.Content{File: bytes.NewReader(tc.body), FileName: tc.name}})
			if tc.want == "" {
				if err != nil || it.Current.MediaType != tc.mt || it.Current.SHA256 != blob.Digest(tc.body) {
					t.Errorf("%q: %v %+v, want %s", tc.name, err, it.Current, tc.mt)
				}
				continue
			}
			if err == nil || !model.IsValidation(err) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%q: %v, want an error containing %q", tc.name, err, tc.want)
			}
		}
		// Nothing refused reached the blob store, and stored files are named by hash only.
		if l, ok := e.blobs.(*blob.Local); ok {
			if n := blobtest.CheckAll(t, l); n != 6 {
				t.Fatalf("%d blobs stored, want the 6 accepted files", n)
			}
		}
	})
}

func TestVersionsSupersedeAndRemain(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		it := e.addFile(t, "pentest-2025.pdf", pdf, evidence.Content{EffectiveFrom: "2025-11-01", ExpiresOn: "2026-11-01"})
		e.clock.t = e.clock.t.Add(time.Hour)
		v2 := append(append([]byte{}, pdf...), []byte("% 2026 report\n")...)
		it2, err := e.svc.AddVersion(ctx, e.p, it.ID, evidence.Content{File: bytes.NewReader(v2), FileName: "pentest-2026.pdf", EffectiveFrom: "2026-10-01", ExpiresOn: "2027-10-01"})
		if err != nil {
			t.Fatal(err)
		}
		if it2.Versions != 2 || it2.Current.Version != 2 || it2.Current.SHA256 != blob.Digest(v2) {
			t.Fatalf("after new version: %+v", it2)
		}
		d, err := e.svc.Detail(ctx, e.p, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Versions) != 2 || d.Versions[0].SupersededAt == nil || d.Versions[0].SHA256 != blob.Digest(pdf) || d.Versions[1].SupersededAt != nil {
			t.Fatalf("versions: %+v", d.Versions)
		}
		if len(d.Ledger) != 2 || d.Ledger[1].Entry.Kind != ledger.KindEvidenceVersion || !d.Verification.OK {
			t.Fatalf("detail: %+v", d)
		}
		// Both files are still there to download.
		for v, want := range map[int][]byte{1: pdf, 2: v2} {
			f, err := e.svc.Open(ctx, e.p, it.ID, v)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			buf.ReadFrom(f.Body)
			f.Body.Close()
			if !bytes.Equal(buf.Bytes(), want) {
				t.Fatalf("version %d content differs", v)
			}
		}
		// Proofs against a signed checkpoint verify offline.
		if _, _, err := e.log.Checkpoint(ctx, e.p.Org.ID); err != nil {
			t.Fatal(err)
		}
		d, _ = e.svc.Detail(ctx, e.p, it.ID)
		for _, pe := range d.Ledger {
			if pe.Proof == nil || pe.Proof.Checkpoint == nil || pe.Proof.Verify(e.key.Public) != nil {
				t.Fatalf("entry %d has no verifiable proof: %+v", pe.Entry.Seq, pe.Proof)
			}
		}
		if d.Verification.Checkpoint != 2 || !d.Verification.OK {
			t.Fatalf("verification: %+v", d.Verification)
		}
	})
}

func fault(t *testing.T, e *env) ledger.Fault {
	t.Helper()
	rep, err := e.svc.Verify(context.Background(), nil, evidence.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fs := rep.Faults()
	if rep.OK || len(fs) == 0 {
		t.Fatal("verification passed after tampering")
	}
	return fs[0]
}

// The acceptance checks of verification, on every engine and blob backend.
func TestVerifyFindsTampering(t *testing.T) {
	eachFull(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		a := e.addFile(t, "a.pdf", pdf, evidence.Content{})
		b := e.addFile(t, "b.txt", []byte("Change approved by CAB on 2026-10-01."), evidence.Content{})
		if _, _, err := e.log.Checkpoint(ctx, e.p.Org.ID); err != nil {
			t.Fatal(err)
		}
		if rep, err := e.svc.Verify(ctx, nil, evidence.VerifyOptions{}); err != nil || !rep.OK {
			t.Fatalf("clean: %+v %v", rep, err)
		}

		// Flip one byte of a stored blob: the fault names the blob and the item.
		blobtest.Flip(t, e.blobs, b.Current.SHA256)
		f := fault(t, e)
		if f.Blob != b.Current.SHA256 || f.EvidenceID != b.ID || !strings.Contains(f.Problem, b.Current.SHA256) ||
			!strings.Contains(f.Problem, fmt.Sprintf("evidence item %d", b.ID)) || !strings.Contains(f.Problem, "altered") {
			t.Fatalf("flipped blob: %+v", f)
		}
		// A missing blob too.
		blobtest.Remove(t, e.blobs, a.Current.SHA256)
		rep, _ := e.svc.Verify(ctx, nil, evidence.VerifyOptions{})
		missing := false
		for _, f := range rep.Faults() {
			missing = missing || (f.Blob == a.Current.SHA256 && f.EvidenceID == a.ID && strings.Contains(f.Problem, "missing"))
		}
		if !missing {
			t.Fatalf("missing blob not named: %+v", rep.Faults())
		}
	})
}

func TestVerifyFindsChangedRows(t *testing.T) {
	for _, tc := range []struct {
		name, sql, want string
	}{
		{"ledger payload", `UPDATE ledger_entries SET payload = '{"item_id":1}' WHERE seq = 2`, "entry 2"},
		{"ledger row deleted", `DELETE FROM ledger_entries WHERE seq = 2`, "entry 2 is missing"},
		{"evidence hash swapped", `UPDATE evidence_versions SET sha256 = (SELECT sha256 FROM evidence_versions WHERE item_id = 1) WHERE item_id = 2`, "no longer matches ledger entry 2"},
		{"evidence hidden as deleted", `UPDATE evidence_versions SET deleted_at = created_at WHERE item_id = 2`, "no ledger entry records its deletion"},
		{"evidence row deleted", `DELETE FROM evidence_versions WHERE item_id = 2`, "missing from the evidence table"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachEnv(t, func(t *testing.T, e *env) {
				e.addFile(t, "a.pdf", pdf, evidence.Content{})
				e.addFile(t, "b.txt", []byte("Firewall rules reviewed."), evidence.Content{})
				e.addFile(t, "c.txt", []byte("Backups tested."), evidence.Content{})
				storetest.DropLedgerTriggers(t, e.db, e.st.Dialect())
				if _, err := e.db.Exec(tc.sql); err != nil {
					t.Fatal(err)
				}
				if f := fault(t, e); !strings.Contains(f.Problem, tc.want) {
					t.Fatalf("first fault %+v, want %q", f, tc.want)
				}
			})
		})
	}
}

func TestRecordRun(t *testing.T) {
	eachFull(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		resp := func(s string) evidence.Observation {
			ref, err := e.blobs.Put(ctx, strings.NewReader(s))
			if err != nil {
				t.Fatal(err)
			}
			return evidence.Observation{Method: "GET", Host: "api.github.com", Path: "/orgs/acme/members", Status: 200, SHA256: ref.SHA256, Size: ref.Size}
		}
		r1 := resp(`[{"login":"ann"}]`)
		run := evidence.Run{RunID: 1, IntegrationID: 4, Integration: "GitHub acme", Connector: "github", StartedAt: e.clock.t, FinishedAt: e.clock.t.Add(time.Minute),
			Controls: []string{"IAM-01", "CHG-02"}, Resources: 1, Observations: []evidence.Observation{r1}}
		rec, err := e.svc.RecordRun(ctx, e.st, e.p.Org.ID, run)
		if err != nil {
			t.Fatal(err)
		}
		if !rec.NewVersion || rec.Item.Kind != model.EvidenceAutomated || rec.Item.Versions != 1 || rec.Entry.Kind != ledger.KindRunFinished ||
			!strings.Contains(string(rec.Entry.Payload), rec.Manifest.SHA256) || strings.Join(rec.Item.Controls, ",") != "CHG-02,IAM-01" {
			t.Fatalf("first run: %+v", rec)
		}
		// The same observations: no new version, but observed again.
		run.RunID, run.FinishedAt = 2, run.FinishedAt.Add(time.Hour)
		rec2, err := e.svc.RecordRun(ctx, e.st, e.p.Org.ID, run)
		if err != nil || rec2.NewVersion || rec2.Item.Versions != 1 || rec2.Manifest != rec.Manifest || !rec2.Item.LastObservedAt.Equal(run.FinishedAt) {
			t.Fatalf("unchanged run: %+v %v", rec2, err)
		}
		// A change: a new version.
		run.RunID, run.Observations = 3, []evidence.Observation{r1, resp(`[{"login":"bob"}]`)}
		rec3, err := e.svc.RecordRun(ctx, e.st, e.p.Org.ID, run)
		if err != nil || !rec3.NewVersion || rec3.Item.Versions != 2 || rec3.Item.ID != rec.Item.ID {
			t.Fatalf("changed run: %+v %v", rec3, err)
		}
		// A failed run is in the ledger but is not evidence.
		run.RunID, run.Status, run.Observations = 4, "failed", nil
		rec4, err := e.svc.RecordRun(ctx, e.st, e.p.Org.ID, run)
		if err != nil || rec4.Item.ID != 0 || rec4.Entry.Seq != 6 {
			t.Fatalf("failed run: %+v %v", rec4, err)
		}
		if rep, err := e.svc.Verify(ctx, nil, evidence.VerifyOptions{}); err != nil || !rep.OK || rep.Orgs[0].Blobs != 5 {
			t.Fatalf("verify: %+v %v", rep, err)
		}
		// A raw response altered behind Assure's back is named, with the evidence.
		blobtest.Flip(t, e.blobs, r1.SHA256)
		f := fault(t, e)
		if f.Blob != r1.SHA256 || f.EvidenceID != rec.Item.ID || !strings.Contains(f.Problem, "raw response "+r1.SHA256) {
			t.Fatalf("altered response: %+v", f)
		}
	})
}

func TestFreshness(t *testing.T) {
	now := time.Date(2026, 10, 5, 12, 0, 0, 0, time.UTC)
	item := func(id int64, kind model.EvidenceKind, from, to, expires string) model.EvidenceItem {
		return model.EvidenceItem{ID: id, Kind: kind, Controls: []string{"C-1"}, Current: &model.EvidenceVersion{EffectiveFrom: from, EffectiveTo: to, ExpiresOn: expires, CapturedAt: now}}
	}
	observed := func(it model.EvidenceItem, at time.Time) model.EvidenceItem { it.LastObservedAt = &at; return it }
	for _, tc := range []struct {
		name  string
		freq  model.Frequency
		items []model.EvidenceItem
		state string
		until string
	}{
		{"nothing", model.FrequencyQuarterly, nil, evidence.FreshNeeded, ""},
		{"quarterly review last quarter", model.FrequencyQuarterly, []model.EvidenceItem{item(1, model.EvidenceFile, "2026-07-01", "2026-09-30", "")}, evidence.FreshCurrent, "2027-01-01"},
		{"quarterly review two quarters ago", model.FrequencyQuarterly, []model.EvidenceItem{item(1, model.EvidenceFile, "2026-04-01", "2026-06-30", "")}, evidence.FreshNeeded, ""},
		{"annual pentest expiring", model.FrequencyAnnual, []model.EvidenceItem{item(1, model.EvidenceFile, "2025-10-10", "", "")}, evidence.FreshExpiring, "2026-10-11"},
		{"explicit expiry passed", model.FrequencyAnnual, []model.EvidenceItem{item(1, model.EvidenceFile, "2026-09-01", "", "2026-10-01")}, evidence.FreshNeeded, ""},
		{"effective in the future", model.FrequencyAnnual, []model.EvidenceItem{item(1, model.EvidenceFile, "2026-11-01", "", "")}, evidence.FreshNeeded, ""},
		{"event driven never ages", model.FrequencyEventDriven, []model.EvidenceItem{item(1, model.EvidenceAttestation, "2020-01-01", "", "")}, evidence.FreshCurrent, ""},
		{"continuous, observed an hour ago", model.FrequencyContinuous, []model.EvidenceItem{observed(item(1, model.EvidenceAutomated, "2026-01-01", "", ""), now.Add(-time.Hour))}, evidence.FreshCurrent, "2026-10-06"},
		{"continuous, integration silent for two days", model.FrequencyContinuous, []model.EvidenceItem{observed(item(1, model.EvidenceAutomated, "2026-01-01", "", ""), now.Add(-48*time.Hour))}, evidence.FreshNeeded, ""},
		{"the freshest of several", model.FrequencyMonthly, []model.EvidenceItem{item(1, model.EvidenceFile, "2026-08-01", "", ""), item(2, model.EvidenceFile, "2026-10-01", "", "")}, evidence.FreshCurrent, "2026-11-02"},
	} {
		f := evidence.FreshnessOf("C-1", tc.freq, tc.items, now, 14*24*time.Hour)
		until := ""
		if f.ValidUntil != nil {
			until = f.ValidUntil.Format("2006-01-02")
		}
		if f.State != tc.state || until != tc.until || f.NeedsEvidence() != (tc.state == evidence.FreshNeeded) {
			t.Errorf("%s: %s until %q (%s), want %s until %q", tc.name, f.State, until, f.Reason, tc.state, tc.until)
		}
	}
}

func TestExpiringSoonAndFreshnessFromTheStore(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		soon := e.addFile(t, "soon.pdf", pdf, evidence.Content{EffectiveFrom: "2026-01-01", ExpiresOn: "2026-10-20"})
		e.addFile(t, "later.txt", []byte("later"), evidence.Content{EffectiveFrom: "2026-01-01", ExpiresOn: "2027-06-01"})
		gone := e.addFile(t, "gone.txt", []byte("gone"), evidence.Content{EffectiveFrom: "2026-01-01", ExpiresOn: "2026-10-01"})
		ex, err := e.svc.ExpiringSoon(ctx, e.p.Org.ID, 30*24*time.Hour)
		if err != nil || len(ex) != 2 || ex[0].Item.ID != gone.ID || !ex[0].Expired || ex[1].Item.ID != soon.ID || ex[1].Expired {
			t.Fatalf("expiring: %+v %v", ex, err)
		}
		f, err := e.svc.Freshness(ctx, e.p.Org.ID, "IAM-01", model.FrequencyAnnual)
		if err != nil || f.State != evidence.FreshCurrent || len(f.Effective) != 2 {
			t.Fatalf("freshness: %+v %v", f, err)
		}
		if f, _ := e.svc.Freshness(ctx, e.p.Org.ID, "NOPE-01", model.FrequencyAnnual); !f.NeedsEvidence() {
			t.Fatalf("a control without evidence: %+v", f)
		}
	})
}

func TestRetention(t *testing.T) {
	eachFull(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		admin := e.p
		admin.Role = model.RoleAdmin
		old := e.addFile(t, "q1.pdf", pdf, evidence.Content{EffectiveFrom: "2026-01-01", EffectiveTo: "2026-03-31"})
		shared := e.addFile(t, "q1-copy.pdf", pdf, evidence.Content{EffectiveFrom: "2026-01-01"}) // same content, still current
		held := e.addFile(t, "q2.txt", []byte("Q2 access review"), evidence.Content{EffectiveFrom: "2026-04-01", EffectiveTo: "2026-06-30"})
		current := e.addFile(t, "policy.txt", []byte("Information security policy"), evidence.Content{EffectiveFrom: "2026-01-01"})
		if _, _, err := e.svc.SetPolicy(ctx, e.p, 30, false); !errors.Is(err, model.ErrForbidden) {
			t.Fatalf("editor sets the policy: %v", err)
		}
		if _, _, err := e.svc.SetHold(ctx, admin, held.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.SetPolicy(ctx, admin, 90, false); err != nil {
			t.Fatal(err)
		}
		e.clock.t = time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC) // q1 ended 187 days ago, q2 97 days ago
		dels, err := e.svc.ApplyRetention(ctx, e.p.Org.ID, evidence.ReasonRetention)
		if err != nil || len(dels) != 1 || dels[0].ItemID != old.ID || dels[0].BlobDeleted || dels[0].BlobKept == "" {
			t.Fatalf("retention: %+v %v", dels, err)
		}
		// The shared content stays; the deletion is in the ledger; the hash stays.
		if _, err := e.blobs.Stat(ctx, old.Current.SHA256); err != nil {
			t.Fatalf("a blob another item uses was deleted: %v", err)
		}
		it, _ := e.svc.Item(ctx, e.p, old.ID)
		if it.DeletedAt == nil || it.Current.DeletedAt == nil || it.Current.SHA256 != old.Current.SHA256 || it.Current.DeletionReason != "retention" {
			t.Fatalf("deleted item: %+v", it)
		}
		if _, err := e.svc.Open(ctx, e.p, old.ID, 1); !errors.Is(err, model.ErrNotFound) || !strings.Contains(err.Error(), old.Current.SHA256) {
			t.Fatalf("download of a deleted version: %v", err)
		}
		// Releasing the hold applies the policy to the held item; its own blob goes.
		_, dels, err = e.svc.SetHold(ctx, admin, held.ID, false)
		if err != nil || len(dels) != 1 || dels[0].ItemID != held.ID || dels[0].Reason != evidence.ReasonLegalHoldRelief || !dels[0].BlobDeleted {
			t.Fatalf("release: %+v %v", dels, err)
		}
		if _, err := e.blobs.Stat(ctx, held.Current.SHA256); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("released item's blob still there: %v", err)
		}
		for _, id := range []int64{shared.ID, current.ID} {
			if it, _ := e.svc.Item(ctx, e.p, id); it.DeletedAt != nil {
				t.Fatalf("item %d without an end was deleted", id)
			}
		}
		kinds := map[string]int{}
		es, _ := e.st.Org(e.p.Org.ID).LedgerEntries(ctx, 0, 100)
		for _, en := range es {
			kinds[en.Kind]++
		}
		if kinds[ledger.KindEvidenceDeleted] != 2 || kinds[ledger.KindEvidenceHold] != 1 || kinds[ledger.KindEvidenceRelease] != 1 || kinds[ledger.KindRetentionUpdated] != 1 {
			t.Fatalf("ledger kinds: %v", kinds)
		}
		// Verification still passes: deleted versions need no blob.
		if rep, err := e.svc.Verify(ctx, nil, evidence.VerifyOptions{}); err != nil || !rep.OK {
			t.Fatalf("verify after retention: %+v %v", rep.Faults(), err)
		}
	})
}
