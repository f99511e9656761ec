package catalog

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// ControlView is a control as the CLI and the API show it: the control with
// its mappings (and their rationales), plus the ids of the criteria and the
// keys of the objectives it maps to.
type ControlView struct {
	model.Control
	CriterionIDs  []string `json:"criteria"`
	ObjectiveKeys []string `json:"objectives"`
}

// View wraps a control for output.
func View(c model.Control) ControlView {
	v := ControlView{Control: c, CriterionIDs: c.CriterionIDs(), ObjectiveKeys: []string{}}
	for _, m := range c.Objectives {
		v.ObjectiveKeys = append(v.ObjectiveKeys, m.ObjectiveKey)
	}
	return v
}

// Views wraps controls for output.
func Views(cs []model.Control) []ControlView {
	out := make([]ControlView, 0, len(cs))
	for _, c := range cs {
		out = append(out, View(c))
	}
	return out
}

// Controls lists the organization's controls.
func (s *Service) Controls(ctx context.Context, p model.Principal) ([]model.Control, error) {
	if err := canView(p); err != nil {
		return nil, err
	}
	return s.st.Org(p.Org.ID).Controls(ctx)
}

// Control reads one control by key.
func (s *Service) Control(ctx context.Context, p model.Principal, key string) (model.Control, error) {
	if err := canView(p); err != nil {
		return model.Control{}, err
	}
	return s.st.Org(p.Org.ID).Control(ctx, key)
}

// AdoptResult says what an adoption did.
type AdoptResult struct {
	Adopted []string `json:"adopted"`
	// Skipped lists keys the organization already has a control for.
	Skipped []string `json:"skipped"`
}

// Adopt copies library controls into the organization: the given keys, or
// the whole library when all. A key the organization already uses is
// skipped, never overwritten. SOC 1 mappings attach to the organization's
// objectives created from the templates the library names.
func (s *Service) Adopt(ctx context.Context, p model.Principal, keys []string, all bool) (AdoptResult, error) {
	res := AdoptResult{Adopted: []string{}, Skipped: []string{}}
	if err := canEdit(p, "adopting controls"); err != nil {
		return res, err
	}
	if all {
		keys = nil
		for _, lc := range s.cat.Library.Controls {
			keys = append(keys, lc.Key)
		}
	}
	if len(keys) == 0 {
		return res, model.Invalid("keys", "name the library controls to adopt (for example IAM-01 CHG-02), or adopt them all")
	}
	var lcs []LibraryControl
	for _, k := range keys {
		lc, ok := s.cat.LibraryControl(strings.TrimSpace(k))
		if !ok {
			return res, model.Invalid("keys", "%q is not a control in library version %s (see `assure controls library`)", k, s.cat.Library.Version)
		}
		lcs = append(lcs, lc)
	}
	now := s.now()
	err := s.st.Org(p.Org.ID).InTx(ctx, func(tx *store.OrgStore) error {
		if err := tx.LockCatalog(ctx); err != nil {
			return err
		}
		byTemplate, err := s.objectivesByTemplate(ctx, tx)
		if err != nil {
			return err
		}
		existing, err := tx.Controls(ctx)
		if err != nil {
			return err
		}
		taken := map[string]bool{}
		for _, c := range existing {
			taken[c.Key] = true
		}
		for _, lc := range lcs {
			if taken[lc.Key] {
				res.Skipped = append(res.Skipped, lc.Key)
				continue
			}
			taken[lc.Key] = true
			c := model.Control{Key: lc.Key, Title: lc.Title, Description: lc.Description, Owner: lc.OwnerRole,
				Frequency: lc.Frequency, Nature: lc.Nature, Status: model.ControlPlanned, Evidence: slices.Clone(lc.Evidence),
				LibraryKey: lc.Key, LibraryVersion: s.cat.Library.Version, LibraryText: librarySnapshot(lc), UpdatedBy: actorName(p.Actor()),
				Criteria: libraryCriteria(lc), Objectives: libraryObjectives(lc, byTemplate)}
			if _, err := tx.CreateControl(ctx, c, now); err != nil {
				return err
			}
			res.Adopted = append(res.Adopted, lc.Key)
		}
		return nil
	})
	if err != nil {
		return AdoptResult{Adopted: []string{}, Skipped: []string{}}, err
	}
	return res, nil
}

// objectivesByTemplate maps template keys to the organization's active
// objectives created from them.
func (s *Service) objectivesByTemplate(ctx context.Context, tx *store.OrgStore) (map[string][]string, error) {
	obs, err := tx.Objectives(ctx, false)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, ob := range obs {
		if ob.TemplateKey != "" {
			out[ob.TemplateKey] = append(out[ob.TemplateKey], ob.Key)
		}
	}
	return out, nil
}

func libraryCriteria(lc LibraryControl) []model.CriterionMapping {
	out := []model.CriterionMapping{}
	for _, m := range lc.SOC2 {
		out = append(out, model.CriterionMapping{CriterionID: m.Criterion, Rationale: m.Rationale})
	}
	return out
}

func libraryObjectives(lc LibraryControl, byTemplate map[string][]string) []model.ObjectiveMapping {
	out := []model.ObjectiveMapping{}
	for _, m := range lc.SOC1 {
		for _, key := range byTemplate[m.Objective] {
			out = append(out, model.ObjectiveMapping{ObjectiveKey: key, Rationale: m.Rationale})
		}
	}
	return out
}

// ControlInput is a control the organization writes itself.
type ControlInput struct {
	Key         string                   `json:"key"`
	Title       string                   `json:"title"`
	Description string                   `json:"description"`
	Owner       string                   `json:"owner"`
	Frequency   model.Frequency          `json:"frequency"`
	Nature      model.Nature             `json:"nature"`
	Status      model.ControlStatus      `json:"status,omitempty"`
	Evidence    []string                 `json:"evidence"`
	Criteria    []model.CriterionMapping `json:"criteria"`
	Objectives  []model.ObjectiveMapping `json:"objectives"`
}

// AddControl creates one of the organization's own controls.
func (s *Service) AddControl(ctx context.Context, p model.Principal, in ControlInput) (model.Control, error) {
	if err := canEdit(p, "adding controls"); err != nil {
		return model.Control{}, err
	}
	c := model.Control{Key: strings.TrimSpace(in.Key), Title: in.Title, Description: in.Description, Owner: in.Owner,
		Frequency: in.Frequency, Nature: in.Nature, Status: in.Status, Evidence: in.Evidence, Criteria: in.Criteria, Objectives: in.Objectives,
		UpdatedBy: actorName(p.Actor())}
	if c.Status == "" {
		c.Status = model.ControlPlanned
	}
	if err := model.ValidateControlKey(c.Key); err != nil {
		return model.Control{}, err
	}
	if err := s.validateControl(&c); err != nil {
		return model.Control{}, err
	}
	var out model.Control
	err := s.st.Org(p.Org.ID).InTx(ctx, func(tx *store.OrgStore) error {
		if err := tx.LockCatalog(ctx); err != nil {
			return err
		}
		var err error
		out, err = tx.CreateControl(ctx, c, s.now())
		return err
	})
	if errors.Is(err, model.ErrConflict) {
		return out, fmt.Errorf("the organization already has a control %s: choose another key or edit it: %w", c.Key, model.ErrConflict)
	}
	return out, err
}

// validateControl tidies and checks a control's fields and mappings. Unknown
// criterion ids are refused.
func (s *Service) validateControl(c *model.Control) error {
	c.Title, c.Description, c.Owner = strings.TrimSpace(c.Title), strings.TrimSpace(c.Description), strings.TrimSpace(c.Owner)
	if c.Title == "" {
		return model.Invalid("title", "is required: say what the control does in a few words")
	}
	var err error
	if c.Frequency, err = model.ParseFrequency(string(c.Frequency)); err != nil {
		return err
	}
	if c.Nature, err = model.ParseNature(string(c.Nature)); err != nil {
		return err
	}
	if c.Status, err = model.ParseControlStatus(string(c.Status)); err != nil {
		return err
	}
	c.Evidence = trimLines(c.Evidence)
	seen := map[string]bool{}
	for i := range c.Criteria {
		m := &c.Criteria[i]
		m.CriterionID, m.Rationale = strings.TrimSpace(m.CriterionID), strings.TrimSpace(m.Rationale)
		if err := s.cat.CheckCriterion(m.CriterionID); err != nil {
			return err
		}
		if seen[m.CriterionID] {
			return model.Invalid("criteria", "%s is mapped twice", m.CriterionID)
		}
		seen[m.CriterionID] = true
		if m.Rationale == "" {
			return model.Invalid("rationale", "the mapping to %s needs a one-line rationale: why does this control address it?", m.CriterionID)
		}
	}
	c.Criteria = nonNilSlice(c.Criteria)
	seen = map[string]bool{}
	for i := range c.Objectives {
		m := &c.Objectives[i]
		m.ObjectiveKey, m.Rationale = strings.TrimSpace(m.ObjectiveKey), strings.TrimSpace(m.Rationale)
		if seen[m.ObjectiveKey] {
			return model.Invalid("objectives", "objective %s is mapped twice", m.ObjectiveKey)
		}
		seen[m.ObjectiveKey] = true
		if m.Rationale == "" {
			return model.Invalid("rationale", "the mapping to objective %s needs a one-line rationale", m.ObjectiveKey)
		}
	}
	c.Objectives = nonNilSlice(c.Objectives)
	return nil
}

// ControlPatch changes some fields of a control; nil fields stay. Reset
// takes the library's current text for the named fields and clears their
// edited mark (for controls adopted from the library).
type ControlPatch struct {
	Title       *string                   `json:"title,omitempty"`
	Description *string                   `json:"description,omitempty"`
	Owner       *string                   `json:"owner,omitempty"`
	Frequency   *model.Frequency          `json:"frequency,omitempty"`
	Nature      *model.Nature             `json:"nature,omitempty"`
	Status      *model.ControlStatus      `json:"status,omitempty"`
	Evidence    *[]string                 `json:"evidence,omitempty"`
	Criteria    *[]model.CriterionMapping `json:"criteria,omitempty"`
	Objectives  *[]model.ObjectiveMapping `json:"objectives,omitempty"`
	Reset       []model.ControlField      `json:"reset,omitempty"`
}

// EditControl changes a control. A changed field of an adopted control is
// marked edited, so that a newer library version never overwrites it.
func (s *Service) EditControl(ctx context.Context, p model.Principal, key string, patch ControlPatch) (model.Control, error) {
	if err := canEdit(p, "editing controls"); err != nil {
		return model.Control{}, err
	}
	var out model.Control
	err := s.st.Org(p.Org.ID).InTx(ctx, func(tx *store.OrgStore) error {
		if err := tx.LockCatalog(ctx); err != nil {
			return err
		}
		cur, err := tx.Control(ctx, key)
		if err != nil {
			return err
		}
		c := cur
		c.Edited = slices.Clone(cur.Edited)
		c.UpdatedBy = actorName(p.Actor())
		set := func(f model.ControlField, changed bool) {
			if changed && c.LibraryKey != "" && !slices.Contains(c.Edited, f) {
				c.Edited = append(c.Edited, f)
			}
		}
		if patch.Title != nil {
			c.Title = *patch.Title
			set(model.FieldTitle, strings.TrimSpace(c.Title) != cur.Title)
		}
		if patch.Description != nil {
			c.Description = *patch.Description
			set(model.FieldDescription, strings.TrimSpace(c.Description) != cur.Description)
		}
		if patch.Owner != nil {
			c.Owner = *patch.Owner
			set(model.FieldOwner, strings.TrimSpace(c.Owner) != cur.Owner)
		}
		if patch.Frequency != nil {
			c.Frequency = *patch.Frequency
			set(model.FieldFrequency, c.Frequency != cur.Frequency)
		}
		if patch.Nature != nil {
			c.Nature = *patch.Nature
			set(model.FieldNature, c.Nature != cur.Nature)
		}
		if patch.Status != nil {
			c.Status = *patch.Status
		}
		if patch.Evidence != nil {
			c.Evidence = *patch.Evidence
			set(model.FieldEvidence, !slices.Equal(trimLines(c.Evidence), cur.Evidence))
		}
		if patch.Criteria != nil {
			c.Criteria = *patch.Criteria
		}
		if patch.Objectives != nil {
			c.Objectives = *patch.Objectives
		}
		set(model.FieldMappings, fieldValue(c, model.FieldMappings) != fieldValue(cur, model.FieldMappings))
		if len(patch.Reset) > 0 {
			if c.LibraryKey == "" {
				return model.Invalid("reset", "%s is the organization's own control: there is no library text to reset to", key)
			}
			lc, ok := s.cat.LibraryControl(c.LibraryKey)
			if !ok {
				return model.Invalid("reset", "%s is no longer in library version %s", c.LibraryKey, s.cat.Library.Version)
			}
			byTemplate, err := s.objectivesByTemplate(ctx, tx)
			if err != nil {
				return err
			}
			for _, f := range patch.Reset {
				if !applyLibraryField(&c, lc, f, byTemplate) {
					return model.Invalid("reset", "unknown field %q (use title, description, owner, frequency, nature, evidence or mappings)", f)
				}
				c.Edited = slices.DeleteFunc(c.Edited, func(e model.ControlField) bool { return e == f })
			}
		}
		if err := s.validateControl(&c); err != nil {
			return err
		}
		out, err = tx.UpdateControl(ctx, c, s.now())
		return err
	})
	return out, err
}

// applyLibraryField sets field f of c to the library's text; false for an
// unknown field.
func applyLibraryField(c *model.Control, lc LibraryControl, f model.ControlField, byTemplate map[string][]string) bool {
	switch f {
	case model.FieldTitle:
		c.Title = lc.Title
	case model.FieldDescription:
		c.Description = lc.Description
	case model.FieldOwner:
		c.Owner = lc.OwnerRole
	case model.FieldFrequency:
		c.Frequency = lc.Frequency
	case model.FieldNature:
		c.Nature = lc.Nature
	case model.FieldEvidence:
		c.Evidence = slices.Clone(lc.Evidence)
	case model.FieldMappings:
		c.Criteria, c.Objectives = libraryCriteria(lc), libraryObjectives(lc, byTemplate)
	default:
		return false
	}
	return true
}

// fieldValue renders field f of a control, for comparison and review.
func fieldValue(c model.Control, f model.ControlField) string {
	switch f {
	case model.FieldTitle:
		return c.Title
	case model.FieldDescription:
		return c.Description
	case model.FieldOwner:
		return c.Owner
	case model.FieldFrequency:
		return string(c.Frequency)
	case model.FieldNature:
		return string(c.Nature)
	case model.FieldEvidence:
		return strings.Join(c.Evidence, "\n")
	case model.FieldMappings:
		var parts []string
		for _, m := range c.Criteria {
			parts = append(parts, strings.TrimSpace(m.CriterionID)+": "+strings.TrimSpace(m.Rationale))
		}
		for _, m := range c.Objectives {
			parts = append(parts, "objective "+strings.TrimSpace(m.ObjectiveKey)+": "+strings.TrimSpace(m.Rationale))
		}
		slices.Sort(parts)
		return strings.Join(parts, "\n")
	}
	return ""
}

// librarySnapshot records the library's text of every field, with SOC 1
// mappings by template key (so that it does not depend on which objectives
// the organization has).
func librarySnapshot(lc LibraryControl) map[model.ControlField]string {
	out := map[model.ControlField]string{}
	var c model.Control
	for _, f := range libraryFields {
		applyLibraryField(&c, lc, f, nil)
		out[f] = fieldValue(c, f)
	}
	var tpl []string
	for _, m := range lc.SOC1 {
		tpl = append(tpl, "template "+m.Objective+": "+strings.TrimSpace(m.Rationale))
	}
	slices.Sort(tpl)
	if len(tpl) > 0 {
		out[model.FieldMappings] = strings.TrimPrefix(out[model.FieldMappings]+"\n"+strings.Join(tpl, "\n"), "\n")
	}
	return out
}

var libraryFields = []model.ControlField{model.FieldTitle, model.FieldDescription, model.FieldOwner, model.FieldFrequency,
	model.FieldNature, model.FieldEvidence, model.FieldMappings}

// UpgradeReport says what a library upgrade did.
type UpgradeReport struct {
	LibraryVersion string `json:"library_version"`
	// Updated: adopted controls whose unedited fields took the new text.
	Updated []UpgradedControl `json:"updated"`
	// Review: fields the organization edited where the library's text has
	// changed; the organization's text was kept. Take the library's with
	// `assure controls edit KEY --reset FIELD`.
	Review []FieldReview `json:"review"`
	// Removed: adopted controls no longer in the library (left as they are).
	Removed []string `json:"removed"`
	// Available: library controls the organization has not adopted.
	Available []string `json:"available"`
}

// UpgradedControl lists the fields an upgrade changed on one control.
type UpgradedControl struct {
	Key         string               `json:"key"`
	FromVersion string               `json:"from_version"`
	Fields      []model.ControlField `json:"fields"`
}

// FieldReview is an edited field whose library text changed.
type FieldReview struct {
	Key     string             `json:"key"`
	Field   model.ControlField `json:"field"`
	Yours   string             `json:"yours"`
	Library string             `json:"library"`
}

// UpgradeLibrary brings the organization's adopted controls to the
// catalog's library version. The rule: a field the organization edited is
// never overwritten — if the library changed that field since the version
// the control was adopted or last upgraded at, the upgrade lists it for
// review; every other field takes the library's current text.
func (s *Service) UpgradeLibrary(ctx context.Context, p model.Principal) (UpgradeReport, error) {
	rep := UpgradeReport{LibraryVersion: s.cat.Library.Version, Updated: []UpgradedControl{}, Review: []FieldReview{}, Removed: []string{}, Available: []string{}}
	if err := canEdit(p, "upgrading controls"); err != nil {
		return rep, err
	}
	now := s.now()
	err := s.st.Org(p.Org.ID).InTx(ctx, func(tx *store.OrgStore) error {
		if err := tx.LockCatalog(ctx); err != nil {
			return err
		}
		controls, err := tx.Controls(ctx)
		if err != nil {
			return err
		}
		byTemplate, err := s.objectivesByTemplate(ctx, tx)
		if err != nil {
			return err
		}
		have := map[string]bool{}
		for _, c := range controls {
			have[c.Key] = true
			if c.LibraryKey == "" {
				continue
			}
			lc, ok := s.cat.LibraryControl(c.LibraryKey)
			if !ok {
				rep.Removed = append(rep.Removed, c.Key)
				continue
			}
			next := c
			up := UpgradedControl{Key: c.Key, FromVersion: c.LibraryVersion, Fields: []model.ControlField{}}
			snap := librarySnapshot(lc)
			for _, f := range libraryFields {
				lib := c
				applyLibraryField(&lib, lc, f, byTemplate)
				if c.IsEdited(f) {
					if old, ok := c.LibraryText[f]; (!ok || old != snap[f]) && fieldValue(lib, f) != fieldValue(c, f) {
						rep.Review = append(rep.Review, FieldReview{Key: c.Key, Field: f, Yours: fieldValue(c, f), Library: fieldValue(lib, f)})
					}
					continue
				}
				if fieldValue(lib, f) == fieldValue(c, f) {
					continue
				}
				applyLibraryField(&next, lc, f, byTemplate)
				up.Fields = append(up.Fields, f)
			}
			if len(up.Fields) == 0 && c.LibraryVersion == s.cat.Library.Version && maps.Equal(c.LibraryText, snap) {
				continue
			}
			next.LibraryVersion, next.LibraryText, next.UpdatedBy = s.cat.Library.Version, snap, actorName(p.Actor())
			if _, err := tx.UpdateControl(ctx, next, now); err != nil {
				return err
			}
			if len(up.Fields) > 0 {
				rep.Updated = append(rep.Updated, up)
			}
		}
		for _, lc := range s.cat.Library.Controls {
			if !have[lc.Key] {
				rep.Available = append(rep.Available, lc.Key)
			}
		}
		return nil
	})
	return rep, err
}

// CheckControl says whether key names one of the organization's controls.
// Evidence and tests link to controls by key; they call this (through the
// interface they define) so that a link never names a control that does not
// exist.
func (s *Service) CheckControl(ctx context.Context, orgID int64, key string) error {
	if err := model.ValidateControlKey(key); err != nil {
		return err
	}
	_, err := s.st.Org(orgID).Control(ctx, key)
	if errors.Is(err, model.ErrNotFound) {
		return model.Invalid("control", "%q is not one of the organization's controls: adopt it from the library (assure controls adopt %s) or add it first", key, key)
	}
	return err
}
