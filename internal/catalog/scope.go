package catalog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// Scope returns the organization's scope for a framework. A SOC 2 scope
// never recorded is Security alone.
func (s *Service) Scope(ctx context.Context, p model.Principal, fw model.Framework) (model.Scope, error) {
	if err := canView(p); err != nil {
		return model.Scope{}, err
	}
	if _, err := model.ParseFramework(string(fw)); err != nil {
		return model.Scope{}, err
	}
	return s.scope(ctx, s.st.Org(p.Org.ID), fw)
}

func (s *Service) scope(ctx context.Context, os *store.OrgStore, fw model.Framework) (model.Scope, error) {
	sc, ok, err := os.Scope(ctx, fw)
	if err != nil {
		return sc, err
	}
	if !ok && fw == model.SOC2 {
		sc.Categories = []model.Category{model.CategorySecurity}
	}
	normalizeLists(&sc)
	return sc, nil
}

func normalizeLists(sc *model.Scope) {
	sc.Categories = nonNilSlice(sc.Categories)
	sc.Subservice = nonNilSlice(sc.Subservice)
	sc.CUECs = nonNilSlice(sc.CUECs)
	sc.NotRelevant = nonNilSlice(sc.NotRelevant)
	sc.System.Commitments = nonNilSlice(sc.System.Commitments)
	sc.System.SystemRequirements = nonNilSlice(sc.System.SystemRequirements)
	sc.System.Incidents = nonNilSlice(sc.System.Incidents)
	sc.System.Changes = nonNilSlice(sc.System.Changes)
	for i := range sc.Subservice {
		sc.Subservice[i].CSOCs = nonNilSlice(sc.Subservice[i].CSOCs)
		for j := range sc.Subservice[i].CSOCs {
			sc.Subservice[i].CSOCs[j].Criteria = nonNilSlice(sc.Subservice[i].CSOCs[j].Criteria)
		}
	}
	for i := range sc.CUECs {
		sc.CUECs[i].Criteria = nonNilSlice(sc.CUECs[i].Criteria)
	}
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// UpdateScope reads the scope, lets change modify it, validates the result
// and saves it, in one transaction. Every scope change goes through here.
func (s *Service) UpdateScope(ctx context.Context, p model.Principal, fw model.Framework, change func(*model.Scope) error) (model.Scope, error) {
	if err := canEdit(p, "changing the scope"); err != nil {
		return model.Scope{}, err
	}
	if _, err := model.ParseFramework(string(fw)); err != nil {
		return model.Scope{}, err
	}
	var out model.Scope
	err := s.st.Org(p.Org.ID).InTx(ctx, func(tx *store.OrgStore) error {
		if err := tx.LockCatalog(ctx); err != nil {
			return err
		}
		sc, err := s.scope(ctx, tx, fw)
		if err != nil {
			return err
		}
		if err := change(&sc); err != nil {
			return err
		}
		sc.Framework = fw
		if err := s.validateScope(ctx, tx, &sc); err != nil {
			return err
		}
		if err := tx.SaveScope(ctx, sc, actorName(p.Actor()), s.now()); err != nil {
			return err
		}
		out, err = s.scope(ctx, tx, fw)
		return err
	})
	return out, err
}

// ReplaceScope replaces the whole scope (an import, or PUT on the API).
func (s *Service) ReplaceScope(ctx context.Context, p model.Principal, sc model.Scope) (model.Scope, error) {
	fw, err := model.ParseFramework(string(sc.Framework))
	if err != nil {
		return model.Scope{}, err
	}
	return s.UpdateScope(ctx, p, fw, func(cur *model.Scope) error { *cur = sc; return nil })
}

// SetCategories sets the SOC 2 categories in scope. Security cannot be removed.
func (s *Service) SetCategories(ctx context.Context, p model.Principal, cats []model.Category) (model.Scope, error) {
	return s.UpdateScope(ctx, p, model.SOC2, func(sc *model.Scope) error { sc.Categories = cats; return nil })
}

// MarkNotRelevant marks a criterion (SOC 2) or objective (SOC 1) not
// relevant to the system; the reason is required.
func (s *Service) MarkNotRelevant(ctx context.Context, p model.Principal, fw model.Framework, id, reason string) (model.Scope, error) {
	return s.UpdateScope(ctx, p, fw, func(sc *model.Scope) error {
		sc.NotRelevant = slices.DeleteFunc(sc.NotRelevant, func(n model.NotRelevant) bool { return n.Criterion == id })
		sc.NotRelevant = append(sc.NotRelevant, model.NotRelevant{Criterion: id, Reason: reason})
		return nil
	})
}

// MarkRelevant removes a not-relevant mark.
func (s *Service) MarkRelevant(ctx context.Context, p model.Principal, fw model.Framework, id string) (model.Scope, error) {
	return s.UpdateScope(ctx, p, fw, func(sc *model.Scope) error {
		n := len(sc.NotRelevant)
		sc.NotRelevant = slices.DeleteFunc(sc.NotRelevant, func(n model.NotRelevant) bool { return n.Criterion == id })
		if len(sc.NotRelevant) == n {
			return fmt.Errorf("%s is not marked not relevant: %w", id, model.ErrNotFound)
		}
		return nil
	})
}

// validateScope checks and tidies a scope before it is saved.
func (s *Service) validateScope(ctx context.Context, os *store.OrgStore, sc *model.Scope) error {
	normalizeLists(sc)
	// Categories.
	switch sc.Framework {
	case model.SOC2:
		cats, err := model.NormalizeCategories(sc.Categories)
		if err != nil {
			return err
		}
		if err := model.CheckSOC2Categories(cats); err != nil {
			return err
		}
		sc.Categories = cats
	case model.SOC1:
		if len(sc.Categories) > 0 {
			return model.Invalid("categories", "SOC 1 has no trust services categories: its scope is the organization's control objectives (leave categories empty)")
		}
	}
	// A reference is a criterion in a category in scope (SOC 2) or one of
	// the organization's active objectives (SOC 1).
	var objectives map[string]bool
	if sc.Framework == model.SOC1 {
		obs, err := os.Objectives(ctx, false)
		if err != nil {
			return err
		}
		objectives = map[string]bool{}
		for _, ob := range obs {
			objectives[ob.Key] = true
		}
	}
	checkRef := func(field, id string) error {
		if sc.Framework == model.SOC1 {
			if !objectives[id] {
				return model.Invalid(field, "%q is not one of the organization's active SOC 1 objectives (list them with `assure objectives list`)", id)
			}
			return nil
		}
		if err := s.cat.CheckCriterion(id); err != nil {
			var ve *model.ValidationError
			if errors.As(err, &ve) {
				ve.Field = field
			}
			return err
		}
		cr, _ := s.cat.Criterion(id)
		if !slices.Contains(sc.Categories, cr.Category) {
			return model.Invalid(field, "%s belongs to the %s category, which is not in scope: add the category, or take %s out of the %s list", id, cr.Category, id, field)
		}
		return nil
	}
	seen := map[string]bool{}
	for i := range sc.NotRelevant {
		n := &sc.NotRelevant[i]
		n.Criterion, n.Reason = strings.TrimSpace(n.Criterion), strings.TrimSpace(n.Reason)
		if err := checkRef("not_relevant", n.Criterion); err != nil {
			return err
		}
		if n.Reason == "" {
			return model.Invalid("reason", "marking %s not relevant needs a reason: the system description must say why it does not apply (for example \"no company-operated facilities; data center security is carved out to the cloud provider\")", n.Criterion)
		}
		if seen[n.Criterion] {
			return model.Invalid("not_relevant", "%s is marked not relevant twice", n.Criterion)
		}
		seen[n.Criterion] = true
	}
	slices.SortFunc(sc.NotRelevant, func(a, b model.NotRelevant) int { return strings.Compare(a.Criterion, b.Criterion) })
	names := map[string]bool{}
	for i := range sc.Subservice {
		so := &sc.Subservice[i]
		so.Name, so.Services = strings.TrimSpace(so.Name), strings.TrimSpace(so.Services)
		if so.Name == "" {
			return model.Invalid("subservice_organizations", "each subservice organization needs a name")
		}
		if names[strings.ToLower(so.Name)] {
			return model.Invalid("subservice_organizations", "subservice organization %q is listed twice", so.Name)
		}
		names[strings.ToLower(so.Name)] = true
		m, err := model.ParseSubserviceMethod(string(so.Method))
		if err != nil {
			return model.Invalid("method", "subservice organization %q: method %q: use carve_out (its controls are excluded and listed as CSOCs) or inclusive (its controls are described and tested in this report)", so.Name, so.Method)
		}
		so.Method = m
		for j := range so.CSOCs {
			c := &so.CSOCs[j]
			c.Control = strings.TrimSpace(c.Control)
			if c.Control == "" {
				return model.Invalid("csocs", "a CSOC of %q has no text: say what the subservice organization is assumed to do", so.Name)
			}
			for _, id := range c.Criteria {
				if err := checkRef("csocs", id); err != nil {
					return err
				}
			}
		}
	}
	for i := range sc.CUECs {
		c := &sc.CUECs[i]
		c.Control = strings.TrimSpace(c.Control)
		if c.Control == "" {
			return model.Invalid("cuecs", "a CUEC has no text: say what each customer is assumed to do")
		}
		for _, id := range c.Criteria {
			if err := checkRef("cuecs", id); err != nil {
				return err
			}
		}
	}
	sys := &sc.System
	sys.Services, sys.Boundary = strings.TrimSpace(sys.Services), strings.TrimSpace(sys.Boundary)
	sys.Commitments = trimLines(sys.Commitments)
	sys.SystemRequirements = trimLines(sys.SystemRequirements)
	for _, in := range sys.Incidents {
		if err := model.ValidateDate("incidents", in.Date); err != nil {
			return err
		}
		if strings.TrimSpace(in.Description) == "" {
			return model.Invalid("incidents", "the incident of %s has no description", in.Date)
		}
	}
	for _, ch := range sys.Changes {
		if err := model.ValidateDate("significant_changes", ch.Date); err != nil {
			return err
		}
		if strings.TrimSpace(ch.Description) == "" {
			return model.Invalid("significant_changes", "the change of %s has no description", ch.Date)
		}
	}
	return nil
}

func trimLines(in []string) []string {
	out := []string{}
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ExportScope renders the scope as the YAML scope file (docs/scoping.md).
func (s *Service) ExportScope(ctx context.Context, p model.Principal, fw model.Framework) ([]byte, error) {
	sc, err := s.Scope(ctx, p, fw)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# Assure scope for %s (%s). Edit and import with: assure scope import --framework %s FILE\n", fw, p.Org.Slug, fw)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(sc); err != nil {
		return nil, fmt.Errorf("cannot export the scope: %w", err)
	}
	return buf.Bytes(), enc.Close()
}

// ParseScopeFile reads a scope file (YAML or JSON), refusing unknown keys.
func ParseScopeFile(b []byte) (model.Scope, error) {
	var sc model.Scope
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&sc); err != nil {
		return sc, model.Invalid("scope", "the scope file is not valid YAML with the documented keys (see docs/scoping.md): %v", err)
	}
	return sc, nil
}

// ImportScope replaces the scope of fw with a scope file's content.
func (s *Service) ImportScope(ctx context.Context, p model.Principal, fw model.Framework, b []byte) (model.Scope, error) {
	sc, err := ParseScopeFile(b)
	if err != nil {
		return model.Scope{}, err
	}
	if sc.Framework == "" {
		sc.Framework = fw
	}
	if sc.Framework != fw {
		return model.Scope{}, model.Invalid("framework", "the file is a %s scope; import it with --framework %s", sc.Framework, sc.Framework)
	}
	return s.ReplaceScope(ctx, p, sc)
}
