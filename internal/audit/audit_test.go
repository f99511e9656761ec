package audit

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/catalog"
	"github.com/assurehq/assure/internal/check"
	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
	"github.com/assurehq/assure/internal/store/storetest"
)

// Type 1: a control failing on the as-of date shows failing in the Type 1
// view, although it passes today.
func TestType1ShowsTheStateOnTheAsOfDate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st, day("2026-03-01").Add(9*time.Hour))
		host := w.integration("host", "web-1")
		w.collect(host, sshd(true)) // fails from 1 March
		w.now = day("2026-03-20").Add(10 * time.Hour)
		w.collect(host, sshd(false)) // fixed on 20 March
		w.now = day("2026-04-01").Add(8 * time.Hour)
		w.collect(host, sshd(false))

		a := w.create(CreateInput{Framework: model.SOC2, Type: model.AuditType1, AsOf: "2026-03-10"})
		r := w.control(a.ID, "IAM-04")
		if r.AsOf == nil || r.Operation != nil {
			t.Fatalf("a Type 1 result carries the as-of state only: %+v", r)
		}
		if r.AsOf.State != check.ControlFailing || r.Result != check.ControlFailing {
			t.Fatalf("IAM-04 as of 2026-03-10: %s (%s), want failing", r.AsOf.State, r.AsOf.Reason)
		}
		if !r.AsOf.At.Equal(day("2026-03-11").Add(-time.Microsecond)) {
			t.Fatalf("read at %v, want the end of the as-of day", r.AsOf.At)
		}
		var failing []ResourceAt
		for _, ta := range r.AsOf.Tests {
			if ta.ID == pwTest {
				failing = ta.Failing
			}
		}
		if len(failing) != 1 || failing[0].ResourceName != "sshd" || !failing[0].Since.Equal(day("2026-03-01").Add(9*time.Hour)) {
			t.Fatalf("failing resources as of the date: %+v", failing)
		}
		// Today it passes.
		live, err := w.checks.ControlStatus(ctx, w.owner, "IAM-04")
		if err != nil || live.Status != check.ControlPassing {
			t.Fatalf("live status: %s %v", live.Status, err)
		}
		// As of a day after the fix, the same control passes.
		pit, err := w.svc.ControlAsOf(ctx, w.owner, a.ID, "IAM-04", day("2026-03-25"))
		if err != nil || pit.State != check.ControlPassing {
			t.Fatalf("as of 2026-03-25: %s %v", pit.State, err)
		}
		// The organization-wide view as of a moment agrees.
		snap, err := w.svc.AsOf(ctx, w.owner, day("2026-03-11").Add(-time.Microsecond), "IAM-04")
		if err != nil || len(snap.Controls) != 1 || snap.Controls[0].State != check.ControlFailing || len(snap.Tests) == 0 {
			t.Fatalf("snapshot: %+v %v", snap, err)
		}
		// The design is frozen: a later edit shows as a change, not in the view.
		owner := "Dana (IT)"
		if _, err := w.cat.EditControl(ctx, w.owner, "IAM-04", catalog.ControlPatch{Owner: &owner}); err != nil {
			t.Fatal(err)
		}
		r = w.control(a.ID, "IAM-04")
		if r.Control.Owner == owner || len(r.Changes) != 1 || r.Changes[0].Fields[0].Field != "owner" || r.Changes[0].Fields[0].Live != owner ||
			r.Changes[0].ChangedBy != "owner@acme.test" || r.Changes[0].DuringPeriod {
			t.Fatalf("frozen design and changes: owner %q, %+v", r.Control.Owner, r.Changes)
		}
	})
}

// Type 2: a control failing for 3 days inside a 90-day period shows 3 days
// failing and one candidate exception.
func TestType2ThreeDaysFailingIsOneCandidateException(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st, day("2025-12-15"))
		host := w.integration("host", "web-1")
		w.collect(host, sshd(false))
		w.now = day("2026-02-10")
		w.collect(host, sshd(true))
		w.now = day("2026-02-13")
		w.collect(host, sshd(false))
		w.now = day("2026-04-05")
		w.collect(host, sshd(false))

		a := w.create(CreateInput{Framework: model.SOC2, Type: model.AuditType2, From: "2026-01-01", To: "2026-03-31"})
		if len(a.Warnings) != 0 {
			t.Fatalf("a 90-day period is usual: %v", a.Warnings)
		}
		r := w.control(a.ID, "IAM-04")
		op := r.Operation
		if op == nil || r.AsOf != nil {
			t.Fatalf("a Type 2 result carries the operation: %+v", r)
		}
		if op.TimeFailing.Std() != 72*time.Hour || op.TimeFailingSeconds != 3*86400 || op.TimeFailingAny.Std() != 72*time.Hour {
			t.Fatalf("time failing: %v (any %v)", op.TimeFailing, op.TimeFailingAny)
		}
		if len(op.CandidateExceptions) != 1 {
			t.Fatalf("candidate exceptions: %+v", op.CandidateExceptions)
		}
		ce := op.CandidateExceptions[0]
		if ce.TestID != pwTest || !ce.From.Equal(day("2026-02-10")) || !ce.To.Equal(day("2026-02-13")) || ce.State != CandidateOpen || ce.Ongoing {
			t.Fatalf("candidate: %+v", ce)
		}
		if r.Result != OperationExceptions || op.Unaccepted != 1 || !strings.Contains(r.Reason, "3 d") {
			t.Fatalf("result: %s (%s)", r.Result, r.Reason)
		}
		if !op.From.Equal(day("2026-01-01")) || !op.To.Equal(day("2026-04-01")) || !op.ObservedTo.Equal(op.To) {
			t.Fatalf("period: %v – %v observed to %v", op.From, op.To, op.ObservedTo)
		}
		var row *OperationRow
		for i := range op.Rows {
			if op.Rows[i].TestID == pwTest {
				row = &op.Rows[i]
			}
		}
		if row == nil || len(row.Segments) != 3 || row.Segments[1].Status != model.TestFail {
			t.Fatalf("timeline row: %+v", row)
		}
		// The criteria it maps to carry the exception.
		crit, err := w.svc.Criteria(ctx, w.owner, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, cr := range crit {
			if slices.Contains(r.MappedTo, cr.ID) && (cr.Result != OperationExceptions || !slices.Contains(cr.WithExceptions, "IAM-04") || cr.Candidates == 0) {
				t.Fatalf("criterion %s: %+v", cr.ID, cr)
			}
		}
	})
}

// A check exception active during the failure shows the candidate as
// accepted for the part it covered.
func TestType2AcceptedExceptionsShowAsSuch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st, day("2025-12-15"))
		host := w.integration("host", "web-1")
		w.collect(host, sshd(false))
		w.now = day("2026-02-10")
		w.collect(host, sshd(true))
		w.now = day("2026-02-11")
		if _, err := w.checks.AddException(ctx, w.owner, check.ExceptionInput{Test: pwTest, Resource: "sshd", Reason: "jump host replaced this week",
			Approver: "ciso@acme.test", Expires: "2026-02-12"}); err != nil {
			t.Fatal(err)
		}
		w.now = day("2026-02-13")
		w.collect(host, sshd(false))
		w.now = day("2026-04-05")
		a := w.create(CreateInput{Framework: model.SOC2, Type: model.AuditType2, From: "2026-01-01", To: "2026-03-31"})
		op := w.control(a.ID, "IAM-04").Operation
		if len(op.CandidateExceptions) != 1 {
			t.Fatalf("candidates: %+v", op.CandidateExceptions)
		}
		ce := op.CandidateExceptions[0]
		if ce.State != CandidatePartly || ce.Accepted.Std() != 24*time.Hour || len(ce.Exceptions) != 1 || ce.Exceptions[0].Approver != "ciso@acme.test" {
			t.Fatalf("partly accepted: %+v", ce)
		}
		// The Type 1 view on the day the exception was active counts the
		// failure as excepted.
		pit, err := w.svc.AsOf(ctx, w.owner, day("2026-02-11").Add(12*time.Hour), "IAM-04")
		if err != nil {
			t.Fatal(err)
		}
		for _, ta := range pit.Controls[0].Tests {
			if ta.ID == pwTest && (ta.Counts.Excepted != 1 || ta.Failing[0].ExceptionID == 0) {
				t.Fatalf("excepted at T: %+v", ta)
			}
		}
	})
}

// A quarterly control with one piece of evidence in a 6-month period shows
// 1 of 2 occurrences.
func TestQuarterlyControlOccurrences(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st, day("2026-07-10"))
		if _, err := w.ev.Add(ctx, w.owner, evidence.NewItem{Kind: model.EvidenceAttestation, Controls: []string{"IAM-08"},
			Content: evidence.Content{Text: "Q1 access review done, ticket SEC-12", EffectiveFrom: "2026-02-15"}}); err != nil {
			t.Fatal(err)
		}
		// Evidence for another control does not count.
		if _, err := w.ev.Add(ctx, w.owner, evidence.NewItem{Kind: model.EvidenceAttestation, Controls: []string{"IAM-09"},
			Content: evidence.Content{Text: "Privileged access reviewed", EffectiveFrom: "2026-05-02"}}); err != nil {
			t.Fatal(err)
		}
		a := w.create(CreateInput{Framework: model.SOC2, Type: model.AuditType2, From: "2026-01-01", To: "2026-06-30"})
		r := w.control(a.ID, "IAM-08")
		oc := r.Operation.Occurrences
		if !oc.Periodic || oc.Expected != 2 || oc.Present != 1 || oc.Due != 2 || oc.Gaps != 1 || len(oc.Windows) != 2 {
			t.Fatalf("occurrences: %+v", oc)
		}
		if !oc.Windows[0].Present || oc.Windows[1].Present || !oc.Windows[1].From.Equal(day("2026-04-01")) || len(oc.Windows[0].Evidence) != 1 {
			t.Fatalf("windows: %+v", oc.Windows)
		}
		if r.Result != OperationGaps || !strings.Contains(r.Reason, "1 of 2") {
			t.Fatalf("result: %s (%s)", r.Result, r.Reason)
		}
	})
}

func TestCreateValidatesTypeAndPeriod(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st, day("2026-07-10"))
		for _, in := range []CreateInput{
			{Framework: "soc3", Type: model.AuditType1, AsOf: "2026-06-30"},
			{Framework: model.SOC2, Type: 3, AsOf: "2026-06-30"},
			{Framework: model.SOC2, Type: model.AuditType1},
			{Framework: model.SOC2, Type: model.AuditType1, AsOf: "2026-06-31"},
			{Framework: model.SOC2, Type: model.AuditType1, AsOf: "2026-06-30", From: "2026-01-01"},
			{Framework: model.SOC2, Type: model.AuditType2, From: "2026-06-30", To: "2026-01-01"},
			{Framework: model.SOC2, Type: model.AuditType2, From: "2026-06-30", To: "2026-06-30"},
			{Framework: model.SOC2, Type: model.AuditType2, From: "2026-01-01"},
			{Framework: model.SOC2, Type: model.AuditType2, From: "2026-01-01", To: "2026-06-30", AsOf: "2026-06-30"},
		} {
			if _, err := w.svc.Create(ctx, w.owner, in); !model.IsValidation(err) {
				t.Errorf("%+v: %v, want a validation error", in, err)
			}
		}
		short := w.create(CreateInput{Framework: model.SOC2, Type: model.AuditType2, From: "2026-05-01", To: "2026-06-15"})
		long := w.create(CreateInput{Framework: model.SOC2, Type: model.AuditType2, From: "2025-01-01", To: "2026-06-30"})
		if len(short.Warnings) != 1 || !strings.Contains(short.Warnings[0], "shorter than 3 months") ||
			len(long.Warnings) != 1 || !strings.Contains(long.Warnings[0], "longer than 12 months") {
			t.Fatalf("warnings: %v / %v", short.Warnings, long.Warnings)
		}
		// The control set is the active controls mapped into the scope,
		// frozen with their mappings.
		a := w.create(CreateInput{Framework: model.SOC2, Type: model.AuditType1, AsOf: "2026-06-30"})
		if len(a.Controls) < 50 || a.Scope.Framework != model.SOC2 || !slices.Contains(a.Scope.Categories, model.CategorySecurity) || a.Status != model.AuditPlanning {
			t.Fatalf("frozen: %d controls, scope %+v", len(a.Controls), a.Scope)
		}
		c, ok := a.Control("IAM-08")
		if !ok || c.Frequency != model.FrequencyQuarterly || len(c.Criteria) == 0 || c.Criteria[0].Rationale == "" {
			t.Fatalf("IAM-08 frozen: %+v", c)
		}
		entries, _ := w.o.LedgerEntriesFor(ctx, subject(a.ID))
		if len(entries) != 1 || entries[0].Kind != KindAuditCreated {
			t.Fatalf("ledger: %+v", entries)
		}
		// Issued is final.
		st1 := model.AuditIssued
		if _, err := w.svc.UpdateAudit(ctx, w.owner, a.ID, Update{Status: &st1}); err != nil {
			t.Fatal(err)
		}
		st2 := model.AuditFieldwork
		if _, err := w.svc.UpdateAudit(ctx, w.owner, a.ID, Update{Status: &st2}); !errors.Is(err, model.ErrConflict) {
			t.Fatalf("reopening an issued audit: %v", err)
		}
		if _, err := w.svc.Comment(ctx, w.owner, a.ID, "", "late remark"); !errors.Is(err, model.ErrConflict) {
			t.Fatalf("commenting on an issued audit: %v", err)
		}
	})
}

// The auditor sees only its audits, works in them within its rights, and
// cannot run them.
func TestAuditorIsScopedToItsAudits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st, day("2026-07-10"))
		mine := w.create(CreateInput{Framework: model.SOC2, Type: model.AuditType2, From: "2026-01-01", To: "2026-06-30"})
		other := w.create(CreateInput{Framework: model.SOC2, Type: model.AuditType1, AsOf: "2026-06-30"})
		inv, err := w.svc.Invite(ctx, w.owner, mine.ID, "ann@firm.test", "Ann")
		if err != nil || !inv.AddedToOrganization || inv.InitialPassword == "" || inv.Member.Role != model.RoleAuditor {
			t.Fatalf("invite: %+v %v", inv, err)
		}
		m, err := w.acc.MemberByEmail(ctx, w.owner, "ann@firm.test")
		if err != nil {
			t.Fatal(err)
		}
		ann := model.Principal{User: m.User, Org: w.org, Role: model.RoleAuditor, Via: "token"}
		list, err := w.svc.List(ctx, ann)
		if err != nil || len(list) != 1 || list[0].ID != mine.ID {
			t.Fatalf("auditor's list: %+v %v", list, err)
		}
		if _, err := w.svc.Audit(ctx, ann, other.ID); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("reading another audit: %v", err)
		}
		for name, fn := range map[string]func() error{
			"controls":    func() error { _, err := w.svc.Controls(ctx, ann, other.ID); return err },
			"populations": func() error { _, err := w.svc.Populations(ctx, ann, other.ID); return err },
			"samples":     func() error { _, err := w.svc.Samples(ctx, ann, other.ID); return err },
			"requests":    func() error { _, err := w.svc.Requests(ctx, ann, other.ID); return err },
			"comment":     func() error { _, err := w.svc.Comment(ctx, ann, other.ID, "", "hello"); return err },
		} {
			if err := fn(); !errors.Is(err, model.ErrNotFound) {
				t.Errorf("%s of another audit: %v", name, err)
			}
		}
		// Running audits is for owners and admins.
		review := model.AuditReview
		if _, err := w.svc.UpdateAudit(ctx, ann, mine.ID, Update{Status: &review}); !errors.Is(err, model.ErrForbidden) {
			t.Fatalf("auditor changing the status: %v", err)
		}
		if _, err := w.svc.Create(ctx, ann, CreateInput{Framework: model.SOC2, Type: model.AuditType1, AsOf: "2026-06-30"}); !errors.Is(err, model.ErrForbidden) {
			t.Fatalf("auditor creating an audit: %v", err)
		}
		if _, err := w.svc.Invite(ctx, ann, mine.ID, "friend@firm.test", ""); !errors.Is(err, model.ErrForbidden) {
			t.Fatalf("auditor inviting: %v", err)
		}
		// Working in its audit: requests, comments, samples.
		req, err := w.svc.CreateRequest(ctx, ann, mine.ID, RequestInput{Title: "Q1 access review", Control: "IAM-08", Due: "2026-07-31"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Comment(ctx, ann, mine.ID, "request:"+itoa(req.ID), "Please include the sign-off"); err != nil {
			t.Fatal(err)
		}
		sm, err := w.svc.DrawSample(ctx, ann, mine.ID, SampleInput{Control: "IAM-08"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.RecordResult(ctx, ann, mine.ID, sm.ID, 1, ResultInput{Result: model.ResultException}); !model.IsValidation(err) {
			t.Fatalf("an exception without a note: %v", err)
		}
		if _, err := w.svc.RecordResult(ctx, ann, mine.ID, sm.ID, 1, ResultInput{Result: model.ResultException, Note: "no sign-off"}); err != nil {
			t.Fatal(err)
		}
		// Attaching evidence answers for the organization: not the auditor.
		it, err := w.ev.Add(ctx, w.owner, evidence.NewItem{Kind: model.EvidenceAttestation, Controls: []string{"IAM-08"},
			Content: evidence.Content{Text: "Review minutes", EffectiveFrom: "2026-03-01"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.AttachEvidence(ctx, ann, mine.ID, req.ID, it.ID); !errors.Is(err, model.ErrForbidden) {
			t.Fatalf("auditor attaching evidence: %v", err)
		}
		got, err := w.svc.AttachEvidence(ctx, w.owner, mine.ID, req.ID, it.ID)
		if err != nil || got.Status != model.RequestSubmitted || len(got.Attachments) != 1 || got.Attachments[0].SHA256 == "" {
			t.Fatalf("attached: %+v %v", got, err)
		}
		// The auditor reads the attached evidence through the audit, and
		// nothing outside its scope.
		if _, err := w.svc.EvidenceDetail(ctx, ann, mine.ID, it.ID); err != nil {
			t.Fatalf("in-scope evidence: %v", err)
		}
		if _, err := w.svc.EvidenceDetail(ctx, ann, other.ID, it.ID); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("evidence through another audit: %v", err)
		}
		outside, err := w.ev.Add(ctx, w.owner, evidence.NewItem{Kind: model.EvidenceAttestation, Controls: []string{"IAM-08"},
			Content: evidence.Content{Text: "Last year's review", EffectiveFrom: "2025-03-01"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.OpenEvidence(ctx, ann, mine.ID, outside.ID, 0); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("evidence outside the period: %v", err)
		}
		// Exceptions roll up to the control.
		r, err := w.svc.Control(ctx, ann, mine.ID, "IAM-08")
		if err != nil || r.Samples.Exceptions != 1 || r.Result != OperationExceptions {
			t.Fatalf("roll-up: %+v %v", r.Samples, err)
		}
		// Without an invitation, an auditor sees nothing.
		bob := w.member("bob@firm.test", model.RoleAuditor)
		if list, err := w.svc.List(ctx, bob); err != nil || len(list) != 0 {
			t.Fatalf("uninvited auditor's list: %+v %v", list, err)
		}
		viewer := w.member("vic@acme.test", model.RoleViewer)
		if _, err := w.svc.List(ctx, viewer); !errors.Is(err, model.ErrForbidden) {
			t.Fatalf("viewer: %v", err)
		}
		if err := w.svc.Uninvite(ctx, w.owner, mine.ID, m.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Audit(ctx, ann, mine.ID); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("after the invitation is withdrawn: %v", err)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
