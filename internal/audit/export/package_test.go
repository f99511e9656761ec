package export

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/blob"
	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
	"github.com/assurehq/assure/internal/store/storetest"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// fixture is a real organization with a real ledger, blob store and
// evidence of every kind, and the Data of a Type 2 audit over it.
type fixture struct {
	st    *store.Store
	blobs blob.Store
	log   *ledger.Log
	key   *ledger.Key
	clock *clock
	p     model.Principal
	data  Data
}

func newFixture(t *testing.T, st *store.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	c := &clock{t: time.Date(2025, 12, 20, 9, 0, 0, 0, time.UTC)}
	org, err := st.CreateOrganization(ctx, "acme", "Acme <Cloud> & Co", "UTC", c.t)
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := ledger.LoadOrCreateKey(filepath.Join(t.TempDir(), "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	log := ledger.NewLog(st, key, "inst-test", c.now)
	ev := evidence.New(evidence.Deps{Store: st, Blobs: blobs, Ledger: log, Now: c.now, MaxUpload: 1 << 20})
	p := model.Principal{Org: org, Role: model.RoleOwner, Via: "session", User: model.User{ID: 7, Email: "ann@example.com"}}
	f := &fixture{st: st, blobs: blobs, log: log, key: key, clock: c, p: p}

	// A checkpoint before the period begins.
	add := func(in evidence.NewItem) model.EvidenceItem {
		it, err := ev.Add(ctx, p, in)
		if err != nil {
			t.Fatal(err)
		}
		return it
	}
	policy := add(evidence.NewItem{Kind: model.EvidenceAttestation, Title: "Change policy approved", Controls: []string{"CHG-01"},
		Content: evidence.Content{Text: "The change policy was approved by the CTO on 2025-12-15.", EffectiveFrom: "2025-12-15"}})
	if _, _, err := log.Checkpoint(ctx, org.ID); err != nil {
		t.Fatal(err)
	}
	c.t = time.Date(2026, 4, 2, 10, 0, 0, 0, time.UTC)
	review := add(evidence.NewItem{Kind: model.EvidenceFile, Title: "Q1 access review", Controls: []string{"IAM-01"},
		Content: evidence.Content{File: strings.NewReader("user,decision\nann,keep\nbob,remove\n"), FileName: "Q1 review (final).csv",
			EffectiveFrom: "2026-03-31"}})
	_ = review
	c.t = time.Date(2026, 4, 3, 10, 0, 0, 0, time.UTC)
	review, err = ev.AddVersion(ctx, p, review.ID, evidence.Content{File: strings.NewReader("user,decision\nann,keep\nbob,removed 2026-04-01\n"),
		FileName: "Q1-review-v2.csv", EffectiveFrom: "2026-03-31"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := log.Checkpoint(ctx, org.ID); err != nil { // inside the period
		t.Fatal(err)
	}
	link := add(evidence.NewItem{Kind: model.EvidenceLink, Title: "Runbook", Controls: []string{"IAM-01", "CHG-01"},
		Content: evidence.Content{URL: "https://wiki.example.com/runbook?a=1&b=<2>", EffectiveFrom: "2026-04-01"}})
	// Automated evidence: a run with two raw responses.
	var obs []evidence.Observation
	for _, body := range []string{`{"users":[{"id":1}]}`, `{"repos":["api"]}`} {
		ref, err := blobs.Put(ctx, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		obs = append(obs, evidence.Observation{Method: "GET", Host: "api.example.com", Path: "/x", Status: 200, SHA256: ref.SHA256, Size: ref.Size})
	}
	run, err := ev.RecordRun(ctx, st, org.ID, evidence.Run{RunID: 1, IntegrationID: 1, Integration: "github", Connector: "github",
		StartedAt: c.t, FinishedAt: c.t, Controls: []string{"CHG-01"}, Resources: 2, Observations: obs})
	if err != nil {
		t.Fatal(err)
	}
	// A population, stored and recorded like the audit service does.
	popBody := `{"items":[{"key":"pr:1"},{"key":"pr:2"}]}`
	popRef, err := blobs.Put(ctx, strings.NewReader(popBody))
	if err != nil {
		t.Fatal(err)
	}
	popEntry, err := ledger.Append(ctx, st, org.ID, ledger.Record{Kind: "population.produced", Actor: p.Actor(), Subject: "population:3",
		Payload: map[string]any{"sha256": popRef.SHA256, "size": popRef.Size, "count": 2}, Time: c.t})
	if err != nil {
		t.Fatal(err)
	}
	c.t = time.Date(2026, 7, 2, 10, 0, 0, 0, time.UTC)
	if _, _, err := log.Checkpoint(ctx, org.ID); err != nil { // after the period's end: not a prefix worth proving
		t.Fatal(err)
	}
	c.t = time.Date(2026, 7, 10, 8, 0, 0, 0, time.UTC)

	versions := func(it model.EvidenceItem) []Evidence {
		vs, err := st.Org(org.ID).EvidenceVersions(ctx, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []Evidence
		for _, v := range vs {
			out = append(out, FromVersion(it, v))
		}
		return out
	}
	policyEv, reviewEv, linkEv, runEv := versions(policy), versions(review), versions(link), versions(run.Item)
	f.data = sampleData(org, c.t)
	f.data.Controls[0].Evidence = append(append([]Evidence{}, reviewEv...), linkEv...)
	f.data.Controls[1].Evidence = append(append(append([]Evidence{}, policyEv...), linkEv...), runEv...)
	f.data.Populations = []Population{{ID: 3, Name: "Production changes", Source: "github (github)", Query: "merged pull requests to default branches",
		ProducedAt: c.t, Count: 2, SHA256: popRef.SHA256, Size: popRef.Size, MediaType: "application/json", LedgerSeq: popEntry.Seq, Controls: []string{"CHG-01"}}}
	return f
}

// sampleData is a Type 2 audit's data without evidence.
func sampleData(org model.Organization, now time.Time) Data {
	return Data{
		GeneratedAt: now, Generator: "assure test", Org: org,
		Audit: AuditInfo{ID: 4, Name: "FY2026", Framework: model.SOC2, Type: 2, PeriodFrom: "2026-01-01", PeriodTo: "2026-06-30", Status: "fieldwork"},
		Scope: model.Scope{Framework: model.SOC2, Categories: []model.Category{model.CategorySecurity, model.CategoryAvailability},
			System: model.System{Services: "Acme hosts a payroll API for small businesses.", Boundary: "Production in AWS eu-west-1.",
				Commitments: []string{"99.9% monthly availability"}, SystemRequirements: []string{"Access is reviewed quarterly"},
				Components: model.Components{Infrastructure: "AWS EC2, RDS", Software: "Go services", People: "12 engineers", Procedures: "Change management", Data: "Payroll records"},
				Incidents:  []model.Incident{{Date: "2026-02-10", Description: "API outage of 2 hours", Resolution: "Failover runbook updated"}, {Date: "2025-11-01", Description: "Before the period"}},
				Changes:    []model.Change{{Date: "2026-03-01", Description: "Moved CI to GitHub Actions"}}},
			Subservice: []model.SubserviceOrg{{Name: "Amazon Web Services", Services: "Hosting", Method: model.CarveOut,
				CSOCs: []model.CSOC{{Control: "Physical access to data centres is restricted", Criteria: []string{"CC6.4"}}}}},
			CUECs:       []model.CUEC{{Control: "Customers remove access of their departed staff", Criteria: []string{"CC6.2"}}},
			NotRelevant: []model.NotRelevant{{Criterion: "A1.3", Reason: "No recovery infrastructure of our own: AWS provides it"}}},
		Criteria: []Criterion{
			{ID: "CC6.1", Title: "Logical access security", Group: "Logical and physical access", Controls: []string{"IAM-01"}},
			{ID: "CC8.1", Title: "Change management", Group: "Change management", Controls: []string{"CHG-01"}},
			{ID: "A1.3", Title: "Recovery plan testing", Group: "Availability", NotRelevant: "No recovery infrastructure of our own: AWS provides it"},
		},
		Controls: []Control{
			{Key: "IAM-01", Title: "Quarterly access review", Description: "Owners review access to production each quarter.", Owner: "Dana",
				Frequency: model.FrequencyQuarterly, Nature: model.NatureManual, Criteria: []string{"CC6.1"}, Status: "partial",
				StatusNote: "1 of 2 occurrences evidenced", Operation: &Operation{PeriodDays: 181, Expected: 2, Present: 1, Gaps: []string{"2026-01-01 to 2026-03-31"}}},
			{Key: "CHG-01", Title: "Changes are reviewed", Description: "=HYPERLINK(\"http://evil\") every pull request is approved by another engineer.", Owner: "Eve",
				Frequency: model.FrequencyEventDriven, Nature: model.NatureAutomated, Criteria: []string{"CC8.1"},
				Tests:  []Test{{ID: "github.branch_protection", Title: "Default branches require review", Status: "pass", DaysFailing: 3}},
				Status: "exceptions", StatusNote: "failing 3 days of 181",
				Exceptions: []Exception{{Control: "CHG-01", Source: "test_failure", From: "2026-02-01", To: "2026-02-04", Item: "github.branch_protection on acme/api", Note: "protection disabled during migration"},
					{Control: "CHG-01", Source: "sample", From: "2026-03-05", Item: "pr:2", Note: "merged without approval"}}},
		},
		Samples: []Sample{{ID: 9, Control: "CHG-01", Population: 3, Seed: "42", DrawnAt: now, Items: []SampleItem{
			{Ref: "pr:1", Date: "2026-02-01", Title: "Add login", Result: ResultPass},
			{Ref: "pr:2", Date: "2026-03-05", Title: "-1 hotfix", Result: ResultException, Note: "merged without approval"}}}},
		Changes: []Change{{Date: "2026-03-01", Description: "Moved CI to GitHub Actions"}},
		Bridge:  &Bridge{From: "2026-07-01", To: "2026-07-10", Changes: []Change{{Date: "2026-07-05", Description: "IAM-01 owner changed"}}, Failing: []string{"CHG-01"}},
	}
}

// write exports the fixture's package to a file.
func (f *fixture) write(t *testing.T) (string, PackageResult) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "package.zip")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	sealer := LedgerSealer{Store: f.st, Log: f.log, OrgID: f.p.Org.ID, Actor: f.p.Actor(), Audit: f.data.Audit, Now: f.clock.now}
	res, err := WritePackage(context.Background(), out, f.data, f.blobs, sealer, PackageOptions{Installation: "inst-test"})
	if err != nil {
		t.Fatal(err)
	}
	return path, res
}

func verifyFile(t *testing.T, path string, opt VerifyOptions) Report {
	t.Helper()
	src, err := OpenSource(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	return Verify(src, opt)
}

func TestPackageVerifies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		path, res := f.write(t)
		r := verifyFile(t, path, VerifyOptions{})
		if !r.OK {
			t.Fatalf("a fresh package does not verify: %v", r.Faults)
		}
		if r.Files != res.Files || r.Entries != res.Entries || r.ExportEntry != res.ExportEntry || r.Consistency != 2 {
			t.Fatalf("report %+v, result %+v", r, res)
		}
		if r.TrustedKey {
			t.Fatal("a package checked without --key claims a trusted key")
		}
		// The evidence is filed by control under generated names; the
		// original name (with its path) is metadata only.
		m := readManifest(t, path)
		var paths []string
		for _, mf := range m.Files {
			paths = append(paths, mf.Path)
			if mf.Evidence != nil && strings.Contains(mf.Path, "Q1") {
				t.Fatalf("a user-supplied name became a path: %s", mf.Path)
			}
		}
		for _, want := range []string{"README.txt", "control-matrix.csv", "control-matrix.xlsx", "report-draft.html",
			"evidence/IAM-01/E2-v1.csv", "evidence/IAM-01/E2-v2.csv", "evidence/IAM-01/E3-v1.uri", "evidence/CHG-01/E3-v1.uri",
			"evidence/CHG-01/E1-v1.txt", "evidence/CHG-01/E4-v1.json", "populations/P3.json", "samples/S9-CHG-01.csv"} {
			if !contains(paths, want) {
				t.Errorf("the package lacks %s (has %v)", want, paths)
			}
		}
		obs := 0
		for _, p := range paths {
			if strings.HasPrefix(p, "observations/") {
				obs++
			}
		}
		if obs != 2 {
			t.Errorf("the package holds %d raw responses, want 2", obs)
		}
		// The export is in the ledger, naming the manifest's hash.
		e, err := st.Org(f.p.Org.ID).LedgerEntry(context.Background(), res.ExportEntry)
		if err != nil || e.Kind != KindExported || !strings.Contains(string(e.Payload), res.ManifestSHA256) || e.Actor.Email != "ann@example.com" {
			t.Fatalf("export entry %+v (%v)", e, err)
		}

		// A trusted key: the right one passes, another fails naming the key file.
		if r := verifyFile(t, path, VerifyOptions{TrustedKey: f.key.Public}); !r.OK || !r.TrustedKey {
			t.Fatalf("with the right --key: %v", r.Faults)
		}
		other, _, _ := ed25519.GenerateKey(rand.Reader)
		r = verifyFile(t, path, VerifyOptions{TrustedKey: other})
		if r.OK || !named(r, PublicKeyName) || !named(r, CheckpointName) {
			t.Fatalf("a package checked with another trusted key: %v", r.Faults)
		}

		// The same package extracted into a folder verifies too.
		dir := extract(t, path)
		if r := verifyFile(t, dir, VerifyOptions{}); !r.OK {
			t.Fatalf("the extracted package does not verify: %v", r.Faults)
		}
	})
}

// TestPackageTamperEveryFile is the acceptance test: one changed byte in
// any file, any file removed, a file added, the manifest edited — each is
// found and the file is named.
func TestPackageTamperEveryFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		path, _ := f.write(t)
		files := readZip(t, path)
		if len(files) < 15 {
			t.Fatalf("the package holds only %d files", len(files))
		}
		for _, name := range order(files) {
			body := files[name]
			if len(body) == 0 {
				t.Fatalf("%s is empty: nothing to flip", name)
			}
			for _, at := range []int{0, len(body) / 3, len(body) / 2, len(body) - 1} {
				changed := cloneFiles(files)
				b := append([]byte(nil), body...)
				b[at] ^= 0x01
				changed[name] = b
				r := verifyFile(t, writeZip(t, changed), VerifyOptions{})
				if r.OK || !named(r, name) {
					t.Fatalf("a byte changed at %d of %s: ok=%v, faults %v", at, name, r.OK, r.Faults)
				}
			}
			removed := cloneFiles(files)
			delete(removed, name)
			if r := verifyFile(t, writeZip(t, removed), VerifyOptions{}); r.OK || !named(r, name) {
				t.Fatalf("%s removed: faults %v", name, r.Faults)
			}
		}
		added := cloneFiles(files)
		added["evidence/IAM-01/E99-v1.pdf"] = []byte("%PDF-1.7 planted")
		if r := verifyFile(t, writeZip(t, added), VerifyOptions{}); r.OK || !named(r, "evidence/IAM-01/E99-v1.pdf") {
			t.Fatalf("an added file: faults %v", r.Faults)
		}

		// A name that would write outside the folder when extracted.
		escaping := cloneFiles(files)
		escaping["../outside.txt"] = []byte("x")
		if r := verifyFile(t, writeZip(t, escaping), VerifyOptions{}); r.OK || !named(r, "../outside.txt") {
			t.Fatalf("an escaping name: faults %v", r.Faults)
		}

		// Change a file and edit the manifest to match: the manifest is then
		// named, because the ledger recorded the original manifest's hash.
		edited := cloneFiles(files)
		target := "evidence/IAM-01/E2-v2.csv"
		edited[target] = []byte("user,decision\nann,keep\nbob,keep\n")
		var m Manifest
		if err := json.Unmarshal(files[ManifestName], &m); err != nil {
			t.Fatal(err)
		}
		for i := range m.Files {
			if m.Files[i].Path == target {
				sum := sha256.Sum256(edited[target])
				m.Files[i].SHA256, m.Files[i].Size = hex.EncodeToString(sum[:]), int64(len(edited[target]))
			}
		}
		edited[ManifestName], _ = encodeManifest(m)
		r := verifyFile(t, writeZip(t, edited), VerifyOptions{})
		if r.OK || !named(r, ManifestName) || !named(r, target) {
			t.Fatalf("an edited manifest: faults %v", r.Faults)
		}

		// In an extracted folder too.
		dir := extract(t, path)
		if err := os.WriteFile(filepath.Join(dir, "control-matrix.csv"), append(files["control-matrix.csv"], ' '), 0o644); err != nil {
			t.Fatal(err)
		}
		if r := verifyFile(t, dir, VerifyOptions{}); r.OK || !named(r, "control-matrix.csv") {
			t.Fatalf("a changed file in a folder: faults %v", r.Faults)
		}
	})
}

// A blob whose content no longer has its recorded hash stops the export:
// nothing is packaged under a hash it does not have, and nothing is sealed.
func TestPackageRefusesCorruptBlob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		f.data.Controls[0].Evidence[0].SHA256 = strings.Repeat("ab", 32)
		before, _ := st.Org(f.p.Org.ID).LedgerSize(context.Background())
		sealer := LedgerSealer{Store: f.st, Log: f.log, OrgID: f.p.Org.ID, Actor: f.p.Actor(), Audit: f.data.Audit, Now: f.clock.now}
		_, err := WritePackage(context.Background(), io.Discard, f.data, f.blobs, sealer, PackageOptions{})
		if err == nil || !strings.Contains(err.Error(), "missing from the blob store") {
			t.Fatalf("err = %v", err)
		}
		after, _ := st.Org(f.p.Org.ID).LedgerSize(context.Background())
		if after != before {
			t.Fatalf("a failed export was sealed: ledger %d → %d", before, after)
		}
		f.data.Controls[0].Evidence[0].SHA256 = f.data.Controls[0].Evidence[1].SHA256 // another file's hash
		_, err = WritePackage(context.Background(), io.Discard, f.data, f.blobs, sealer, PackageOptions{Limits: Limits{Files: 3, Bytes: 1 << 20, Entries: 100}})
		if err == nil {
			t.Fatal("a package over its file limit was written")
		}
	})
}

func named(r Report, file string) bool {
	for _, f := range r.Faults {
		if f.File == file {
			return true
		}
	}
	return false
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func readManifest(t *testing.T, path string) Manifest {
	var m Manifest
	if err := json.Unmarshal(readZip(t, path)[ManifestName], &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func readZip(t *testing.T, path string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = b
	}
	return out
}

func order(files map[string][]byte) []string {
	var out []string
	for n := range files {
		out = append(out, n)
	}
	sortStrings(out)
	return out
}

func cloneFiles(files map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(files))
	for k, v := range files {
		out[k] = v
	}
	return out
}

func writeZip(t *testing.T, files map[string][]byte) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range order(files) {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(files[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "changed.zip")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func extract(t *testing.T, path string) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range readZip(t, path) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// The sealer streams exactly the wanted entries, in order, from a log
// longer than a page, and proves each against the new checkpoint.
func TestSealerStreamsWantedEntries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
		org, err := st.CreateOrganization(ctx, "big", "Big", "UTC", c.t)
		if err != nil {
			t.Fatal(err)
		}
		key, _, _ := ledger.LoadOrCreateKey(filepath.Join(t.TempDir(), "key.pem"))
		log := ledger.NewLog(st, key, "inst", c.now)
		err = st.InTx(ctx, func(tx *store.Store) error {
			for i := 0; i < 1203; i++ {
				if _, err := ledger.Append(ctx, tx, org.ID, ledger.Record{Kind: "test.status_changed", Actor: model.SystemActor("monitor"),
					Subject: "test:t", Payload: map[string]any{"n": i}, Time: c.t}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []int64{1, 2, 97, 500, 501, 502, 999, 1203}
		seal, err := LedgerSealer{Store: st, Log: log, OrgID: org.ID, Actor: model.SystemActor("test"), Audit: AuditInfo{ID: 1, Type: 1, AsOf: "2026-02-28"}, Now: c.now}.
			Seal(ctx, SealRequest{Audit: 1, ManifestSHA256: strings.Repeat("0", 64), Seqs: want})
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		if err := seal.Each(ctx, func(e model.LedgerEntry) error {
			l, err := entryLine(e, seal.Tree)
			if err != nil {
				return err
			}
			path, _ := parseHashes(l.Path)
			h, _ := ledger.ParseHash(l.Hash)
			root, _ := ledger.ParseHash(seal.Checkpoint.RootHash)
			if err := ledger.VerifyInclusion(uint64(l.LeafIndex), uint64(l.TreeSize), h, path, root); err != nil {
				return err
			}
			got = append(got, e.Seq)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(append(want, 1204)) || seal.Checkpoint.TreeSize != 1204 || seal.Export.Seq != 1204 {
			t.Fatalf("entries %v, checkpoint %d, export %d", got, seal.Checkpoint.TreeSize, seal.Export.Seq)
		}
		// A wanted entry past the log is an error, not a silent gap.
		seal, err = LedgerSealer{Store: st, Log: log, OrgID: org.ID, Actor: model.SystemActor("test"), Audit: AuditInfo{ID: 1, Type: 1, AsOf: "2026-02-28"}, Now: c.now}.
			Seal(ctx, SealRequest{Audit: 1, ManifestSHA256: strings.Repeat("0", 64), Seqs: []int64{5, 99999}})
		if err != nil {
			t.Fatal(err)
		}
		if err := seal.Each(ctx, func(model.LedgerEntry) error { return nil }); err == nil {
			t.Fatal("an entry past the checkpoint was not refused")
		}
	})
}
