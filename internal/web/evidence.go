package web

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/httpx"
	"github.com/assurehq/assure/internal/model"
)

// evidenceRow is one line of the evidence list.
type evidenceRow struct {
	Item   model.EvidenceItem
	Expiry string // expired, expiring, ok, none
	Source string
}

func expiryState(v *model.EvidenceVersion, today, soon string) string {
	switch {
	case v == nil || v.ExpiresOn == "":
		return "none"
	case v.ExpiresOn <= today:
		return "expired"
	case v.ExpiresOn <= soon:
		return "expiring"
	}
	return "ok"
}

func source(it model.EvidenceItem) string {
	if it.Kind == model.EvidenceAutomated {
		if it.Current != nil && it.Current.Source != nil {
			return fmt.Sprintf("collected by %v", it.Current.Source["integration"])
		}
		return "collected automatically"
	}
	if it.CreatedBy.Email != "" {
		return "added by " + it.CreatedBy.Email
	}
	return "added by the operator"
}

// EvidenceList shows the evidence, expired and expiring first.
func (h *Handlers) EvidenceList(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	q := r.URL.Query()
	control, kind, state := strings.TrimSpace(q.Get("control")), q.Get("kind"), q.Get("state")
	items, err := h.Evidence.List(r.Context(), p, control)
	if err != nil {
		return err
	}
	now := h.Now().UTC()
	today, soon := now.Format(model.DateLayout), now.AddDate(0, 0, 30).Format(model.DateLayout)
	var rows []evidenceRow
	counts := map[string]int{}
	for _, it := range items {
		row := evidenceRow{Item: it, Expiry: expiryState(it.Current, today, soon), Source: source(it)}
		counts[row.Expiry]++
		if (kind != "" && string(it.Kind) != kind) || (state != "" && row.Expiry != state) {
			continue
		}
		rows = append(rows, row)
	}
	return h.render(w, r, http.StatusOK, "evidence_list", "Evidence", "evidence", map[string]any{
		"Rows": rows, "Total": len(items), "Counts": counts, "Control": control, "Kind": kind, "State": state,
		"Kinds": model.EvidenceKinds(),
	})
}

type evidenceForm struct {
	Kind, Title, Description, Controls, EffectiveFrom, EffectiveTo, ExpiresOn, URL, Text string
}

func (h *Handlers) evidenceFormPage(w http.ResponseWriter, r *http.Request, status int, f evidenceForm, msg string) error {
	if f.Kind == "" {
		f.Kind = "file"
	}
	return h.render(w, r, status, "evidence_new", "Add evidence", "evidence", map[string]any{
		"Form": f, "Error": msg, "MaxUpload": evidence.HumanSize(h.MaxUpload), "Accepted": evidence.AcceptedTypes,
	})
}

// EvidenceNew shows the form to add evidence.
func (h *Handlers) EvidenceNew(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	return h.evidenceFormPage(w, r, http.StatusOK, evidenceForm{Controls: r.URL.Query().Get("control")}, "")
}

func evidenceFormOf(r *http.Request) evidenceForm {
	v := r.PostFormValue
	return evidenceForm{Kind: v("kind"), Title: v("title"), Description: v("description"), Controls: v("controls"),
		EffectiveFrom: v("effective_from"), EffectiveTo: v("effective_to"), ExpiresOn: v("expires_on"), URL: v("url"), Text: v("text")}
}

func splitControls(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == ';' })
}

// formFile returns the uploaded file, if one was chosen.
func formFile(r *http.Request) (multipart.File, string, error) {
	f, fh, err := r.FormFile("file")
	if errors.Is(err, http.ErrMissingFile) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("cannot read the uploaded file: %w", err)
	}
	if fh.Size == 0 && fh.Filename == "" {
		f.Close()
		return nil, "", nil
	}
	return f, httpx.UploadedFileName(fh), nil
}

func (f evidenceForm) content(file io.Reader, name string) evidence.Content {
	c := evidence.Content{FileName: name, URL: f.URL, Text: f.Text, EffectiveFrom: f.EffectiveFrom, EffectiveTo: f.EffectiveTo, ExpiresOn: f.ExpiresOn}
	if file != nil {
		c.File = file
	}
	return c
}

// EvidenceCreate adds evidence from the form.
func (h *Handlers) EvidenceCreate(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	f := evidenceFormOf(r)
	kind, err := model.ParseEvidenceKind(f.Kind)
	if err != nil || kind == model.EvidenceAutomated {
		return h.evidenceFormPage(w, r, http.StatusBadRequest, f, "Choose what you are adding: a file, a link or an attestation.")
	}
	file, name, err := formFile(r)
	if err != nil {
		return err
	}
	if file != nil {
		defer file.Close()
	}
	it, err := h.Evidence.Add(r.Context(), p, evidence.NewItem{Kind: kind, Title: f.Title, Description: f.Description,
		Controls: splitControls(f.Controls), Content: f.content(file, name)})
	if s := httpx.Status(err); err != nil && s < 500 && s != http.StatusForbidden {
		return h.evidenceFormPage(w, r, s, f, err.Error())
	}
	if err != nil {
		return err
	}
	return h.flashAndRedirect(w, r, fmt.Sprintf("Evidence added: %s (SHA-256 %s…).", it.Title, it.Current.SHA256[:12]), "/evidence/"+strconv.FormatInt(it.ID, 10))
}

func (h *Handlers) evidenceDetailPage(w http.ResponseWriter, r *http.Request, p model.Principal, id int64, status int, f evidenceForm, msg string) error {
	d, err := h.Evidence.Detail(r.Context(), p, id)
	if err != nil {
		return err
	}
	now := h.Now().UTC()
	return h.render(w, r, status, "evidence_detail", d.Item.Title, "evidence", map[string]any{
		"D": d, "Source": source(d.Item), "Expiry": expiryState(d.Item.Current, now.Format(model.DateLayout), now.AddDate(0, 0, 30).Format(model.DateLayout)),
		"Form": f, "Error": msg, "MaxUpload": evidence.HumanSize(h.MaxUpload), "Accepted": evidence.AcceptedTypes,
	})
}

// EvidenceDetail shows an item: versions, provenance, ledger entries and
// verification state.
func (h *Handlers) EvidenceDetail(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	return h.evidenceDetailPage(w, r, p, id, http.StatusOK, evidenceForm{}, "")
}

// EvidenceAddVersion adds a version from the form on the detail page.
func (h *Handlers) EvidenceAddVersion(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	f := evidenceFormOf(r)
	file, name, err := formFile(r)
	if err != nil {
		return err
	}
	if file != nil {
		defer file.Close()
	}
	it, err := h.Evidence.AddVersion(r.Context(), p, id, f.content(file, name))
	if s := httpx.Status(err); err != nil && s < 500 && s != http.StatusForbidden && s != http.StatusNotFound {
		return h.evidenceDetailPage(w, r, p, id, s, f, err.Error())
	}
	if err != nil {
		return err
	}
	return h.flashAndRedirect(w, r, fmt.Sprintf("Version %d added; version %d remains in the history.", it.Current.Version, it.Current.Version-1), "/evidence/"+strconv.FormatInt(id, 10))
}

// EvidenceDownload sends a version's file as an attachment.
func (h *Handlers) EvidenceDownload(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	version, _ := strconv.Atoi(r.URL.Query().Get("version"))
	f, err := h.Evidence.Open(r.Context(), p, id, version)
	if err != nil {
		return err
	}
	httpx.WriteFile(w, httpx.File{Name: f.Name, MediaType: f.Version.MediaType, Size: f.Version.Size, SHA256: f.Version.SHA256, Body: f.Body})
	return nil
}

// EvidenceHold puts an item on legal hold.
func (h *Handlers) EvidenceHold(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	return h.setHold(w, r, p, true)
}

// EvidenceRelease releases an item's legal hold.
func (h *Handlers) EvidenceRelease(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	return h.setHold(w, r, p, false)
}

func (h *Handlers) setHold(w http.ResponseWriter, r *http.Request, p model.Principal, hold bool) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	_, dels, err := h.Evidence.SetHold(r.Context(), p, id, hold)
	if err != nil {
		return err
	}
	msg := "Legal hold set: the retention policy will not delete this evidence."
	if !hold {
		msg = fmt.Sprintf("Legal hold released; %d version(s) past retention were deleted.", len(dels))
	}
	return h.flashAndRedirect(w, r, msg, "/evidence/"+strconv.FormatInt(id, 10))
}

// SigningKey shows the installation's public signing key, the checkpoints,
// and (with ?verify=1) a verification of the organization's ledger.
func (h *Handlers) SigningKey(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	pub := h.Ledger.PublicKey()
	cps, err := h.Ledger.Checkpoints(r.Context(), p.Org.ID)
	if err != nil {
		return err
	}
	for i, j := 0, len(cps)-1; i < j; i, j = i+1, j-1 {
		cps[i], cps[j] = cps[j], cps[i]
	}
	if len(cps) > 20 {
		cps = cps[:20]
	}
	data := map[string]any{"Tab": "signing-key", "Key": keyView(pub, h.Ledger.InstallationID()), "Checkpoints": cps}
	if r.URL.Query().Get("verify") == "1" {
		rep, err := h.Evidence.Verify(r.Context(), []model.Organization{p.Org}, evidence.VerifyOptions{})
		if err != nil {
			return err
		}
		data["Report"] = rep.Orgs[0]
		data["Verified"] = true
		data["VerifiedAt"] = h.Now()
	}
	return h.render(w, r, http.StatusOK, "settings_signing_key", "Signing key", "settings", data)
}

// SigningKeyPEM downloads the public key.
func (h *Handlers) SigningKeyPEM(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	k := keyView(h.Ledger.PublicKey(), h.Ledger.InstallationID())
	httpx.WriteFile(w, httpx.File{Name: "assure-ledger-" + k.ID[:16] + ".pem", MediaType: "application/x-pem-file",
		Size: int64(len(k.PEM)), Body: io.NopCloser(strings.NewReader(k.PEM))})
	return nil
}

// CreateCheckpoint signs a checkpoint now.
func (h *Handlers) CreateCheckpoint(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	c, created, err := h.Ledger.Checkpoint(r.Context(), p.Org.ID)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Signed a checkpoint at size %d.", c.TreeSize)
	if !created {
		msg = fmt.Sprintf("The latest checkpoint (size %d) already covers every entry.", c.TreeSize)
	}
	return h.flashAndRedirect(w, r, msg, "/settings/signing-key")
}

// Retention shows the retention policy (editable by admins).
func (h *Handlers) Retention(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	pol, err := h.Evidence.Policy(r.Context(), p)
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "settings_retention", "Data retention", "settings", map[string]any{"Tab": "retention", "Policy": pol})
}

// UpdateRetention saves the retention policy.
func (h *Handlers) UpdateRetention(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	days, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("retention_days")))
	if err != nil {
		pol, _ := h.Evidence.Policy(r.Context(), p)
		return h.render(w, r, http.StatusBadRequest, "settings_retention", "Data retention", "settings",
			map[string]any{"Tab": "retention", "Policy": pol, "Error": "Retention days must be a whole number (0 keeps evidence forever)."})
	}
	_, dels, err := h.Evidence.SetPolicy(r.Context(), p, days, r.PostFormValue("legal_hold") == "on")
	if model.IsValidation(err) {
		pol, _ := h.Evidence.Policy(r.Context(), p)
		return h.render(w, r, http.StatusBadRequest, "settings_retention", "Data retention", "settings", map[string]any{"Tab": "retention", "Policy": pol, "Error": err.Error()})
	}
	if err != nil {
		return err
	}
	msg := "Retention policy saved."
	if len(dels) > 0 {
		msg += fmt.Sprintf(" %d version(s) held past retention were deleted.", len(dels))
	}
	return h.flashAndRedirect(w, r, msg, "/settings/retention")
}
