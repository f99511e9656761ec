package web

import (
	"net/http"

	"github.com/assurehq/assure/internal/audit/export"
	"github.com/assurehq/assure/internal/httpx"
	"github.com/assurehq/assure/internal/model"
)

// The exports section of an audit: the control matrix and the report
// draft to download, the evidence package to make (recorded in the
// ledger), the packages made so far, and how to verify one.

// exportChoice is one download offered on the page.
type exportChoice struct {
	Format   export.Format
	Label    string
	FileName string
}

// AuditExports shows the exports of an audit.
func (h *Handlers) AuditExports(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	pg, err := h.auditOf(r, p, "exports")
	if err != nil {
		return err
	}
	records, err := h.Exports.Records(r.Context(), p, pg.Audit.ID)
	if err != nil {
		return err
	}
	var choices []exportChoice
	for _, f := range export.Formats() {
		if f != export.FormatPackage {
			choices = append(choices, exportChoice{Format: f, Label: f.Describe(), FileName: export.FileName(p.Org, pg.Audit.ID, f)})
		}
	}
	pg.V = map[string]any{"Choices": choices, "Records": records, "KeyID": h.Exports.KeyID(), "PublicKey": h.Exports.PublicKeyPEM(),
		"PackageName": export.FileName(p.Org, pg.Audit.ID, export.FormatPackage)}
	return h.render(w, r, http.StatusOK, "audit_exports", "Exports · "+pg.Audit.Name, "audits", pg)
}

// DownloadAuditExport sends the control matrix or the report draft.
func (h *Handlers) DownloadAuditExport(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.Exports.Access(r.Context(), p, id); err != nil {
		return err
	}
	f, err := export.ParseFormat(r.PathValue("format"))
	if err != nil {
		return err
	}
	if f == export.FormatPackage {
		return model.Invalid("format", "make the evidence package with the button on the Exports page: it is recorded in the ledger")
	}
	return h.sendExport(w, r, p, f, export.Options{})
}

// DownloadAuditPackage makes the evidence package and sends it.
func (h *Handlers) DownloadAuditPackage(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	return h.sendExport(w, r, p, export.FormatPackage, export.Options{WithoutResponses: r.PostFormValue("without_responses") == "on"})
}

func (h *Handlers) sendExport(w http.ResponseWriter, r *http.Request, p model.Principal, f export.Format, opt export.Options) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	sp, err := h.Exports.Spool(r.Context(), p, id, f, opt, "")
	if err != nil {
		return err
	}
	httpx.WriteFile(w, httpx.File{Name: sp.FileName, MediaType: sp.MediaType, Size: sp.Size, SHA256: sp.SHA256, Body: sp.Body})
	return nil
}
