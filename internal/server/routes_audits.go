package server

import (
	"net/http"

	"github.com/assurehq/assure/internal/api"
	"github.com/assurehq/assure/internal/audit"
	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/model"
)

// auditRoutes are the pages and API of audits. Every one needs the audit
// permission (owners, admins, auditors); the audit service then checks
// that the caller may see that audit (an auditor: only those it is invited
// to) and may do the action (running an audit: owners and admins).
func (s *Server) auditRoutes() []Route {
	w, a := s.Web, s.API
	const get, post, put, patch, del = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete
	aud := model.PermAudit
	return []Route{
		{Method: get, Path: "/audits", Perm: aud, Page: w.AuditList},
		{Method: post, Path: "/audits", Perm: aud, Page: w.CreateAudit},
		{Method: get, Path: "/audits/{id}", Perm: aud, Page: w.AuditOverview},
		{Method: post, Path: "/audits/{id}", Perm: aud, Page: w.UpdateAudit},
		{Method: post, Path: "/audits/{id}/members", Perm: aud, Page: w.InviteToAudit},
		{Method: post, Path: "/audits/{id}/members/{user}/remove", Perm: aud, Page: w.RemoveFromAudit},
		{Method: post, Path: "/audits/{id}/sampling", Perm: aud, Page: w.SetAuditSampling},
		{Method: get, Path: "/audits/{id}/controls/{key}", Perm: aud, Page: w.AuditControl},
		{Method: get, Path: "/audits/{id}/populations", Perm: aud, Page: w.AuditPopulations},
		{Method: post, Path: "/audits/{id}/populations", Perm: aud, Page: w.CreatePopulation},
		{Method: get, Path: "/audits/{id}/populations/{pop}", Perm: aud, Page: w.AuditPopulation},
		{Method: get, Path: "/audits/{id}/populations/{pop}/file", Perm: aud, Page: w.DownloadPopulation},
		{Method: get, Path: "/audits/{id}/samples", Perm: aud, Page: w.AuditSamples},
		{Method: post, Path: "/audits/{id}/samples", Perm: aud, Page: w.CreateSample},
		{Method: get, Path: "/audits/{id}/samples/{sample}", Perm: aud, Page: w.AuditSample},
		{Method: post, Path: "/audits/{id}/samples/{sample}/items/{position}", Perm: aud, Page: w.SetSampleResult},
		{Method: get, Path: "/audits/{id}/requests", Perm: aud, Page: w.AuditRequests},
		{Method: post, Path: "/audits/{id}/requests", Perm: aud, Page: w.CreateRequest},
		{Method: get, Path: "/audits/{id}/requests/{req}", Perm: aud, Page: w.AuditRequest},
		{Method: post, Path: "/audits/{id}/requests/{req}", Perm: aud, Page: w.UpdateRequest},
		{Method: post, Path: "/audits/{id}/requests/{req}/attachments", Perm: aud, Page: w.AttachToRequest, Upload: true},
		{Method: post, Path: "/audits/{id}/comments", Perm: aud, Page: w.CreateComment},
		{Method: get, Path: "/audits/{id}/evidence/{ev}/file", Perm: aud, Page: w.DownloadAuditEvidence},

		{Method: get, Path: "/api/v1/audits", Perm: aud, API: a.ListAudits, Summary: "The audits you may see (an auditor: those it is invited to), newest first", Returns: []model.Audit{}},
		{Method: post, Path: "/api/v1/audits", Perm: aud, API: a.CreateAudit, Summary: "Open an audit (owners, admins): framework, type 1 with as_of or type 2 with from and to; freezes the scope and the control set", Body: audit.CreateInput{}, Returns: audit.Created{}, Status: 201},
		{Method: get, Path: "/api/v1/audits/{id}", Perm: aud, API: a.GetAudit, Summary: "An audit: frozen scope and controls, sampling table, members, status", Returns: model.Audit{}},
		{Method: patch, Path: "/api/v1/audits/{id}", Perm: aud, API: a.UpdateAudit, Summary: "Change an audit's name, firm or status (planning, fieldwork, review, issued; issued is final) — owners, admins", Body: audit.Update{}, Returns: model.Audit{}},
		{Method: put, Path: "/api/v1/audits/{id}/sampling", Perm: aud, API: a.SetSampling, Summary: "Replace the audit's sample size table (sizes per frequency, the event-driven rule)", Body: model.SampleTable{}, Returns: model.Audit{}},
		{Method: post, Path: "/api/v1/audits/{id}/members", Perm: aud, API: a.InviteAuditMember, Summary: "Invite a person to the audit (added to the organization as an auditor if new; a first password is returned once) — owners, admins", Body: api.MemberInvite{}, Returns: audit.Invitation{}, Status: 201},
		{Method: del, Path: "/api/v1/audits/{id}/members/{user}", Perm: aud, API: a.RemoveAuditMember, Summary: "Withdraw a member's invitation to the audit — owners, admins", Status: 204},
		{Method: get, Path: "/api/v1/audits/{id}/controls", Perm: aud, API: a.ListAuditControls, Summary: "The audit's controls as frozen, each with its state as of the Type 1 date or its Type 2 operation (time failing, candidate exceptions, occurrences), samples and changes", Returns: []audit.ControlResult{}},
		{Method: get, Path: "/api/v1/audits/{id}/controls/{key}", Perm: aud, API: a.GetAuditControl, Summary: "One control of the audit with its state or operation", Returns: audit.ControlResult{}},
		{Method: get, Path: "/api/v1/audits/{id}/controls/{key}/as-of", Perm: aud, API: a.AuditControlAsOf, Summary: "One control of the audit judged at ?at= (YYYY-MM-DD: the end of that day, UTC; or RFC 3339)", Returns: audit.PointInTime{}},
		{Method: get, Path: "/api/v1/audits/{id}/criteria", Perm: aud, API: a.ListAuditCriteria, Summary: "Control results and exceptions rolled up to the criteria (SOC 2) or objectives (SOC 1) in scope", Returns: []audit.CriterionResult{}},
		{Method: get, Path: "/api/v1/audits/{id}/changes", Perm: aud, API: a.ListAuditChanges, Summary: "Changes to the controls since the audit froze them: edited, retired, added, with when and who", Returns: []audit.ControlChange{}},
		{Method: get, Path: "/api/v1/audits/{id}/populations", Perm: aud, API: a.ListPopulations, Summary: "The audit's populations with source, query, time produced, count and SHA-256", Returns: []model.Population{}},
		{Method: post, Path: "/api/v1/audits/{id}/populations", Perm: aud, API: a.CreatePopulation, Summary: "Pull a population for the period now (production_changes, new_hires, terminations, new_accounts, removed_accounts, test_failures); stored as evidence", Body: audit.PopulationInput{}, Returns: model.Population{}, Status: 201},
		{Method: get, Path: "/api/v1/audits/{id}/populations/{pop}", Perm: aud, API: a.GetPopulation, Summary: "A population with its items (the file is checked against its SHA-256 first)", Returns: api.PopulationView{}},
		{Method: get, Path: "/api/v1/audits/{id}/populations/{pop}/file", Perm: aud, API: a.DownloadPopulation, Summary: "A population's file, exactly the bytes hashed", File: true},
		{Method: get, Path: "/api/v1/audits/{id}/samples", Perm: aud, API: a.ListSamples, Summary: "The audit's samples with their items and results (?control=KEY)", Returns: []model.Sample{}},
		{Method: post, Path: "/api/v1/audits/{id}/samples", Perm: aud, API: a.CreateSample, Summary: "Draw a sample for a control: size from the audit's table, spread across the period, reproducible from the seed (random and stored when omitted)", Body: audit.SampleInput{}, Returns: model.Sample{}, Status: 201},
		{Method: get, Path: "/api/v1/audits/{id}/samples/{sample}", Perm: aud, API: a.GetSample, Summary: "A sample with its items and results", Returns: model.Sample{}},
		{Method: put, Path: "/api/v1/audits/{id}/samples/{sample}/items/{position}", Perm: aud, API: a.SetSampleResult, Summary: "Record a sampled item's result: pass, exception (with a note) or pending", Body: audit.ResultInput{}, Returns: model.Sample{}},
		{Method: get, Path: "/api/v1/audits/{id}/requests", Perm: aud, API: a.ListRequests, Summary: "The audit's request list with attachments", Returns: []model.Request{}},
		{Method: post, Path: "/api/v1/audits/{id}/requests", Perm: aud, API: a.CreateRequest, Summary: "Request an item: title, description, control, owner, due day", Body: audit.RequestInput{}, Returns: model.Request{}, Status: 201},
		{Method: get, Path: "/api/v1/audits/{id}/requests/{req}", Perm: aud, API: a.GetRequest, Summary: "A request with its attachments", Returns: model.Request{}},
		{Method: patch, Path: "/api/v1/audits/{id}/requests/{req}", Perm: aud, API: a.UpdateRequest, Summary: "Change a request: text, owner, due day, status (open, submitted, accepted)", Body: audit.RequestPatch{}, Returns: model.Request{}},
		{Method: post, Path: "/api/v1/audits/{id}/requests/{req}/attachments", Perm: aud, API: a.AttachToRequest, Summary: "Answer a request with evidence: an existing item ({\"evidence_id\"}) or a new file, link or attestation as for POST /evidence — owners, admins", Body: api.AttachmentCreate{}, Returns: model.Request{}, Upload: true},
		{Method: get, Path: "/api/v1/audits/{id}/comments", Perm: aud, API: a.ListComments, Summary: "The audit's comments (?subject=audit|control:KEY|request:ID|sample:ID|population:ID)", Returns: []model.Comment{}},
		{Method: post, Path: "/api/v1/audits/{id}/comments", Perm: aud, API: a.CreateComment, Summary: "Comment on the audit or something in it", Body: api.CommentCreate{}, Returns: model.Comment{}, Status: 201},
		{Method: get, Path: "/api/v1/audits/{id}/evidence", Perm: aud, API: a.ListAuditEvidence, Summary: "The evidence in the audit's scope: its controls' items effective in the period, request attachments, population files", Returns: []model.EvidenceItem{}},
		{Method: get, Path: "/api/v1/audits/{id}/evidence/{ev}", Perm: aud, API: a.GetAuditEvidence, Summary: "An in-scope evidence item with its versions, ledger entries and inclusion proofs", Returns: evidence.Detail{}},
		{Method: get, Path: "/api/v1/audits/{id}/evidence/{ev}/file", Perm: aud, API: a.DownloadAuditEvidence, Summary: "Download a version (?version=N) of an in-scope evidence item", File: true},
		{Method: get, Path: "/api/v1/as-of", Perm: model.PermView, API: a.GetAsOf, Summary: "The organization as of ?at= (YYYY-MM-DD: the end of that day, UTC; or RFC 3339): control status, test results and effective evidence rebuilt from history (default now; ?control=KEY for one)", Returns: audit.Snapshot{}},
	}
}
