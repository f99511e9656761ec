package server

import (
	"net/http"

	"github.com/assurehq/assure/internal/audit/export"
	"github.com/assurehq/assure/internal/model"
)

// exportRoutes are the downloads of an audit: the control matrix, the
// report draft and the evidence package. They need the audit permission;
// the export service reads the audit through the audit service, so an
// auditor exports only the audits it is invited to. The package is a POST:
// making one appends an audit.exported entry to the ledger.
func (s *Server) exportRoutes() []Route {
	w, a := s.Web, s.API
	aud := model.PermAudit
	return []Route{
		{Method: http.MethodGet, Path: "/api/v1/audits/{id}/exports", Perm: aud, API: a.ListExports, Returns: []export.Record{},
			Summary: "The evidence packages made of the audit (from the ledger's audit.exported entries): when, by whom, the manifest's SHA-256"},
		{Method: http.MethodGet, Path: "/audits/{id}/exports", Perm: aud, Page: w.AuditExports},
		{Method: http.MethodGet, Path: "/audits/{id}/exports/{format}", Perm: aud, Page: w.DownloadAuditExport},
		{Method: http.MethodPost, Path: "/audits/{id}/exports/package", Perm: aud, Page: w.DownloadAuditPackage},

		{Method: http.MethodGet, Path: "/api/v1/audits/{id}/export", Perm: aud, API: a.ExportAudit, File: true,
			Summary: "Download the audit's control matrix (?format=xlsx or csv) or report draft (?format=pdf or html): a draft for the service auditor, not a report"},
		{Method: http.MethodPost, Path: "/api/v1/audits/{id}/package", Perm: aud, API: a.ExportPackage, File: true,
			Summary: "Make and download the audit's evidence package (ZIP): evidence by control, populations, samples, the control matrix, a manifest of SHA-256 hashes sealed in the ledger, inclusion proofs and the signed checkpoint; verify it offline with `assure verify` (?without_responses=true leaves out raw API responses)"},
	}
}
