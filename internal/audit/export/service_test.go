package export_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/assurehq/assure/internal/account"
	"github.com/assurehq/assure/internal/audit"
	"github.com/assurehq/assure/internal/audit/export"
	"github.com/assurehq/assure/internal/blob"
	"github.com/assurehq/assure/internal/catalog"
	"github.com/assurehq/assure/internal/check"
	"github.com/assurehq/assure/internal/connector/builtin"
	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
	"github.com/assurehq/assure/internal/store/storetest"
)

// world is an organization with the library controls adopted and every
// service an export reads, on a clock the test moves.
type world struct {
	t      *testing.T
	st     *store.Store
	o      *store.OrgStore
	org    model.Organization
	owner  model.Principal
	now    time.Time
	key    *ledger.Key
	ev     *evidence.Service
	checks *check.Service
	acc    *account.Service
	audits *audit.Service
	svc    *export.Service
}

func day(s string) time.Time {
	t, err := time.Parse(model.DateLayout, s)
	if err != nil {
		panic(err)
	}
	return t
}

func newWorld(t *testing.T, st *store.Store, start time.Time) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, st: st, now: start}
	clock := func() time.Time { return w.now }
	org, err := st.CreateOrganization(ctx, "acme", "Acme", "UTC", start)
	if err != nil {
		t.Fatal(err)
	}
	w.org, w.o = org, st.Org(org.ID)
	w.acc = account.New(st, clock)
	u, err := st.CreateUser(ctx, "owner@acme.test", "Olga Owner", "x", start)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.o.AddMember(ctx, u.ID, model.RoleOwner, start); err != nil {
		t.Fatal(err)
	}
	w.owner = model.Principal{User: u, Org: org, Role: model.RoleOwner, Via: "session"}
	cat, err := catalog.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	cs := catalog.NewService(st, cat, clock, nil)
	if _, err := cs.Adopt(ctx, w.owner, nil, true); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	blobs, err := blob.OpenLocal(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	if w.key, _, err = ledger.LoadOrCreateKey(filepath.Join(dir, "key.pem")); err != nil {
		t.Fatal(err)
	}
	log := ledger.NewLog(st, w.key, "test-installation", clock)
	w.ev = evidence.New(evidence.Deps{Store: st, Blobs: blobs, Ledger: log, Controls: cs, Now: clock, MaxUpload: 1 << 20})
	reg, err := builtin.Registry()
	if err != nil {
		t.Fatal(err)
	}
	if w.checks, err = check.New(check.Deps{Store: st, Registry: reg, Catalog: cs, Evidence: w.ev, Now: clock}); err != nil {
		t.Fatal(err)
	}
	w.audits = audit.New(audit.Deps{Store: st, Blobs: blobs, Catalog: cs, Checks: w.checks, Evidence: w.ev, Accounts: w.acc, Now: clock})
	w.svc = export.New(export.Deps{Store: st, Blobs: blobs, Ledger: log, Audits: w.audits, Checks: w.checks, Now: clock, Generator: "assure test"})
	return w
}

// collectSSHD stores a run of a host integration whose SSH server accepts
// passwords or not, and evaluates the tests on it.
func (w *world) collectSSHD(in model.Integration, password bool) {
	w.t.Helper()
	ctx := context.Background()
	run, err := w.o.StartRun(ctx, in.ID, model.TriggerCLI, "test", w.now)
	if err != nil {
		w.t.Fatal(err)
	}
	const typ = "host.sshd"
	attrs := map[string]any{"installed": true, "password_authentication": password, "permit_root_login": "no",
		"permit_empty_passwords": false, "kbd_interactive_authentication": false, "max_auth_tries": 3, "caveats": []any{}}
	b, _ := json.Marshal(attrs)
	sum := sha256.Sum256(b)
	v := store.NewVersion{Name: "sshd", ContentHash: hex.EncodeToString(sum[:]), Attributes: b, RunID: run.ID, ObservedAt: w.now}
	states, err := w.o.ResourceStates(ctx, in.ID, typ)
	if err != nil {
		w.t.Fatal(err)
	}
	if st, ok := states["sshd"]; !ok {
		_, err = w.o.InsertResource(ctx, in.ID, typ, "sshd", v)
	} else if st.ContentHash != v.ContentHash {
		_, err = w.o.AddVersion(ctx, st.ID, v)
	}
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.o.InsertListing(ctx, model.Listing{RunID: run.ID, ResourceType: typ, Status: model.RunSucceeded, StartedAt: w.now, FinishedAt: w.now}); err != nil {
		w.t.Fatal(err)
	}
	c := w.now
	if err := w.o.RecordFreshness(ctx, in.ID, typ, run.ID, model.RunSucceeded, w.now, &c); err != nil {
		w.t.Fatal(err)
	}
	fin := w.now
	run.FinishedAt, run.Status = &fin, model.RunSucceeded
	if err := w.o.FinishRun(ctx, run); err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.checks.EvaluateRun(ctx, w.o.ID(), run.ID); err != nil {
		w.t.Fatal(err)
	}
}

// typeTwo builds a Type 2 audit over the first half of 2026: an SSH server
// accepting passwords for 3 days in February, one quarterly access review,
// a population of test failures, and a sample of the quarterly control with
// one exception.
func typeTwo(t *testing.T, st *store.Store) (*world, model.Audit) {
	ctx := context.Background()
	w := newWorld(t, st, day("2025-12-15"))
	host, err := w.o.CreateIntegration(ctx, store.IntegrationRecord{Connector: "host", Name: "web-1", Enabled: true, Interval: time.Hour}, w.now)
	if err != nil {
		t.Fatal(err)
	}
	w.collectSSHD(host, false)
	w.now = day("2026-02-10")
	w.collectSSHD(host, true)
	w.now = day("2026-02-13")
	w.collectSSHD(host, false)
	w.now = day("2026-03-20")
	if _, err := w.ev.Add(ctx, w.owner, evidence.NewItem{Kind: model.EvidenceFile, Title: "Q1 access review", Controls: []string{"IAM-08"},
		Content: evidence.Content{File: strings.NewReader("user,decision\nann,keep\n"), FileName: "../../etc/q1.csv", EffectiveFrom: "2026-02-15"}}); err == nil {
		t.Fatal("a file name with a path was accepted")
	}
	if _, err := w.ev.Add(ctx, w.owner, evidence.NewItem{Kind: model.EvidenceFile, Title: "Q1 access review", Controls: []string{"IAM-08"},
		Content: evidence.Content{File: strings.NewReader("user,decision\nann,keep\n"), FileName: "Q1 review.csv", EffectiveFrom: "2026-02-15"}}); err != nil {
		t.Fatal(err)
	}
	w.now = day("2026-07-10")
	w.collectSSHD(host, false)
	c, err := w.audits.Create(ctx, w.owner, audit.CreateInput{Name: "FY26 H1", Framework: model.SOC2, Type: model.AuditType2, From: "2026-01-01", To: "2026-06-30"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.audits.ProducePopulation(ctx, w.owner, c.ID, audit.PopulationInput{Kind: model.PopulationTestFailures}); err != nil {
		t.Fatal(err)
	}
	seed := int64(7)
	sm, err := w.audits.DrawSample(ctx, w.owner, c.ID, audit.SampleInput{Control: "IAM-08", Seed: &seed})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.audits.RecordResult(ctx, w.owner, c.ID, sm.ID, 1, audit.ResultInput{Result: model.ResultException, Note: "no sign-off by the owner"}); err != nil {
		t.Fatal(err)
	}
	w.now = day("2026-07-12")
	return w, c.Audit
}

func TestExportDataFromTheAudit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w, a := typeTwo(t, st)
		d, err := w.svc.Data(ctx, w.owner, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Audit.Type != 2 || d.Audit.PeriodFrom != "2026-01-01" || len(d.Controls) == 0 || len(d.Criteria) == 0 || d.Scope.Framework != model.SOC2 {
			t.Fatalf("data %+v", d.Audit)
		}
		iam04, ok := d.ControlByKey("IAM-04")
		if !ok || iam04.Operation == nil || iam04.Operation.DaysFailing != 3 || len(iam04.Exceptions) != 1 ||
			iam04.Exceptions[0].Source != "test_failure" || iam04.Exceptions[0].From != "2026-02-10" || iam04.Exceptions[0].To != "2026-02-12" {
			t.Fatalf("IAM-04: %+v (%+v)", iam04, iam04.Operation)
		}
		iam08, _ := d.ControlByKey("IAM-08")
		if iam08.Operation == nil || iam08.Operation.Expected != 2 || iam08.Operation.Present != 1 || len(iam08.Operation.Gaps) != 1 ||
			len(iam08.Evidence) != 1 || iam08.Evidence[0].OriginalName != "Q1 review.csv" {
			t.Fatalf("IAM-08: %+v (%+v)", iam08, iam08.Operation)
		}
		var sampled bool
		for _, x := range iam08.Exceptions {
			sampled = sampled || (x.Source == "sample" && x.Note == "no sign-off by the owner")
		}
		if !sampled || len(d.Samples) != 1 || d.Samples[0].Seed != "7" || d.Samples[0].Exceptions() != 1 {
			t.Fatalf("samples: %+v, IAM-08 exceptions %+v", d.Samples, iam08.Exceptions)
		}
		if len(d.Populations) != 1 || d.Populations[0].LedgerSeq == 0 || d.Populations[0].SHA256 == "" {
			t.Fatalf("populations: %+v", d.Populations)
		}
		if d.Bridge == nil || d.Bridge.From != "2026-07-01" || d.Bridge.To != "2026-07-12" {
			t.Fatalf("bridge: %+v", d.Bridge)
		}
		if len(d.Entries) == 0 {
			t.Fatal("the audit's own ledger entries are not carried")
		}
	})
}

// Every format exports; the package verifies offline with the
// installation's key and is recorded in the ledger; the workbook opens.
func TestExportEveryFormat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w, a := typeTwo(t, st)
		for _, f := range export.Formats() {
			var buf bytes.Buffer
			res, err := w.svc.Write(ctx, w.owner, a.ID, f, &buf, export.Options{})
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if buf.Len() == 0 || res.FileName != export.FileName(w.org, a.ID, f) || !strings.HasPrefix(res.FileName, "acme-audit-") {
				t.Fatalf("%s: %d bytes, %+v", f, buf.Len(), res)
			}
			switch f {
			case export.FormatXLSX:
				x, err := excelize.OpenReader(&buf)
				if err != nil {
					t.Fatal(err)
				}
				rows, _ := x.GetRows(export.SheetControls)
				if len(rows) < 10 {
					t.Fatalf("the workbook lists %d rows", len(rows))
				}
				x.Close()
			case export.FormatPDF:
				if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
					t.Fatal("not a PDF")
				}
			case export.FormatPackage:
				p := filepath.Join(t.TempDir(), "p.zip")
				os.WriteFile(p, buf.Bytes(), 0o644)
				src, err := export.OpenSource(p)
				if err != nil {
					t.Fatal(err)
				}
				r := export.Verify(src, export.VerifyOptions{TrustedKey: w.key.Public})
				src.Close()
				if !r.OK || r.Files != 7 || r.Entries < 3 || res.Package == nil || r.ExportEntry != res.Package.ExportEntry {
					t.Fatalf("package: %+v %+v", r, res.Package)
				}
				e, err := w.o.LedgerEntry(ctx, r.ExportEntry)
				if err != nil || e.Kind != export.KindExported || e.Subject != "audit:"+itoa(a.ID) || e.Actor.Email != "owner@acme.test" {
					t.Fatalf("export entry %+v %v", e, err)
				}
			}
		}
	})
}

// Exports follow the audit's access rule: an auditor exports the audit it
// is invited to and cannot even see another; a viewer has no audits.
func TestExportAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w, mine := typeTwo(t, st)
		other, err := w.audits.Create(ctx, w.owner, audit.CreateInput{Framework: model.SOC2, Type: model.AuditType1, AsOf: "2026-06-30"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.audits.Invite(ctx, w.owner, mine.ID, "ann@firm.test", "Ann"); err != nil {
			t.Fatal(err)
		}
		m, err := w.acc.MemberByEmail(ctx, w.owner, "ann@firm.test")
		if err != nil {
			t.Fatal(err)
		}
		ann := model.Principal{User: m.User, Org: w.org, Role: model.RoleAuditor, Via: "token"}
		var buf bytes.Buffer
		if _, err := w.svc.Write(ctx, ann, mine.ID, export.FormatPackage, &buf, export.Options{}); err != nil {
			t.Fatalf("the invited auditor cannot export: %v", err)
		}
		for _, f := range export.Formats() {
			if _, err := w.svc.Write(ctx, ann, other.ID, f, &bytes.Buffer{}, export.Options{}); !errors.Is(err, model.ErrNotFound) {
				t.Fatalf("an auditor exporting another audit as %s: %v", f, err)
			}
		}
		viewer := model.Principal{User: model.User{ID: 99, Email: "v@acme.test"}, Org: w.org, Role: model.RoleViewer, Via: "token"}
		if _, err := w.svc.Write(ctx, viewer, mine.ID, export.FormatCSV, &bytes.Buffer{}, export.Options{}); !errors.Is(err, model.ErrForbidden) {
			t.Fatalf("a viewer exporting: %v", err)
		}
		// A Type 1 audit exports too (no bridge before its date has passed).
		if _, err := w.svc.Write(ctx, w.owner, other.ID, export.FormatPackage, &bytes.Buffer{}, export.Options{}); err != nil {
			t.Fatalf("type 1 package: %v", err)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
