package api

import (
	"net/http"
	"strconv"

	"github.com/assurehq/assure/internal/audit/export"
	"github.com/assurehq/assure/internal/httpx"
	"github.com/assurehq/assure/internal/model"
)

// ExportAudit sends an audit's control matrix or report draft:
// ?format=xlsx|csv|pdf|html.
func (h *Handlers) ExportAudit(r *http.Request, p model.Principal) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	if err := h.Exports.Access(r.Context(), p, id); err != nil {
		return nil, err
	}
	f, err := export.ParseFormat(r.URL.Query().Get("format"))
	if err != nil {
		return nil, err
	}
	if f == export.FormatPackage {
		return nil, model.Invalid("format", "the evidence package is recorded in the ledger when it is made: POST /api/v1/audits/{id}/package")
	}
	return h.spoolExport(r, p, f, export.Options{})
}

// ExportPackage makes an audit's evidence package, records it in the
// ledger (audit.exported with the manifest's SHA-256) and sends it
// (?without_responses=true leaves out the raw API responses).
func (h *Handlers) ExportPackage(r *http.Request, p model.Principal) (any, error) {
	var opt export.Options
	if v := r.URL.Query().Get("without_responses"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, model.Invalid("without_responses", "%q is not true or false", v)
		}
		opt.WithoutResponses = b
	}
	return h.spoolExport(r, p, export.FormatPackage, opt)
}

func (h *Handlers) spoolExport(r *http.Request, p model.Principal, f export.Format, opt export.Options) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	sp, err := h.Exports.Spool(r.Context(), p, id, f, opt, "")
	if err != nil {
		return nil, err
	}
	return httpx.File{Name: sp.FileName, MediaType: sp.MediaType, Size: sp.Size, SHA256: sp.SHA256, Body: sp.Body}, nil
}

// ListExports lists the packages made of an audit, from the ledger.
func (h *Handlers) ListExports(r *http.Request, p model.Principal) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	return h.Exports.Records(r.Context(), p, id)
}
