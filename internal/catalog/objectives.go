package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// Objectives lists the organization's SOC 1 objectives (retired ones too
// when includeRetired).
func (s *Service) Objectives(ctx context.Context, p model.Principal, includeRetired bool) ([]model.Objective, error) {
	if err := canView(p); err != nil {
		return nil, err
	}
	return s.st.Org(p.Org.ID).Objectives(ctx, includeRetired)
}

// ObjectiveInput creates an objective: from a template (Template set; the
// other fields, when given, override the template's text) or written from
// scratch.
type ObjectiveInput struct {
	Key         string              `json:"key"`
	Template    string              `json:"template,omitempty"`
	Kind        model.ObjectiveKind `json:"kind,omitempty"`
	Family      string              `json:"family,omitempty"`
	Title       string              `json:"title,omitempty"`
	Objective   string              `json:"objective,omitempty"`
	Description string              `json:"description,omitempty"`
}

// AddObjective creates one of the organization's SOC 1 objectives. Created
// from a template, it picks up the mappings of adopted library controls that
// support that template (unless the control's mappings were edited).
func (s *Service) AddObjective(ctx context.Context, p model.Principal, in ObjectiveInput) (model.Objective, error) {
	if err := canEdit(p, "adding objectives"); err != nil {
		return model.Objective{}, err
	}
	ob := model.Objective{Key: strings.TrimSpace(in.Key), Kind: in.Kind, Family: in.Family, Title: in.Title, Objective: in.Objective,
		Description: in.Description, UpdatedBy: actorName(p.Actor())}
	if in.Template != "" {
		t, ok := s.cat.ObjectiveTemplate(in.Template)
		if !ok {
			return ob, model.Invalid("template", "%q is not an objective template (see `assure objectives templates`)", in.Template)
		}
		ob.TemplateKey = t.Key
		if ob.Key == "" {
			ob.Key = t.Key
		}
		ob.Kind = or(ob.Kind, t.Kind)
		ob.Family, ob.Title, ob.Objective, ob.Description = or(ob.Family, t.Family), or(ob.Title, t.Title), or(ob.Objective, t.Objective), or(ob.Description, t.Description)
	}
	if err := validateObjective(&ob); err != nil {
		return ob, err
	}
	var out model.Objective
	err := s.st.Org(p.Org.ID).InTx(ctx, func(tx *store.OrgStore) error {
		if err := tx.LockCatalog(ctx); err != nil {
			return err
		}
		var err error
		out, err = tx.CreateObjective(ctx, ob, s.now())
		if err != nil || ob.TemplateKey == "" {
			return err
		}
		controls, err := tx.Controls(ctx)
		if err != nil {
			return err
		}
		for _, c := range controls {
			lc, ok := s.cat.LibraryControl(c.LibraryKey)
			if c.LibraryKey == "" || !ok || c.IsEdited(model.FieldMappings) {
				continue
			}
			for _, m := range lc.SOC1 {
				if m.Objective == ob.TemplateKey {
					c.Objectives = append(c.Objectives, model.ObjectiveMapping{ObjectiveKey: ob.Key, Rationale: m.Rationale})
					c.UpdatedBy = actorName(p.Actor())
					if _, err := tx.UpdateControl(ctx, c, s.now()); err != nil {
						return err
					}
					break
				}
			}
		}
		return nil
	})
	if errors.Is(err, model.ErrConflict) {
		return out, fmt.Errorf("the organization already has an objective %s: give this one another key: %w", ob.Key, model.ErrConflict)
	}
	return out, err
}

func or[T ~string](a, b T) T {
	if strings.TrimSpace(string(a)) != "" {
		return a
	}
	return b
}

func validateObjective(ob *model.Objective) error {
	if err := model.ValidateControlKey(ob.Key); err != nil {
		return model.Invalid("key", "%s", strings.TrimPrefix(err.Error(), "key: "))
	}
	var err error
	if ob.Kind, err = model.ParseObjectiveKind(string(ob.Kind)); err != nil {
		return err
	}
	ob.Family, ob.Title, ob.Objective, ob.Description = strings.TrimSpace(ob.Family), strings.TrimSpace(ob.Title), strings.TrimSpace(ob.Objective), strings.TrimSpace(ob.Description)
	if ob.Title == "" {
		return model.Invalid("title", "is required")
	}
	if ob.Objective == "" {
		return model.Invalid("objective", "is required: one sentence, usually \"Controls provide reasonable assurance that …\"")
	}
	return nil
}

// ObjectivePatch changes some fields of an objective; nil fields stay.
type ObjectivePatch struct {
	Kind        *model.ObjectiveKind `json:"kind,omitempty"`
	Family      *string              `json:"family,omitempty"`
	Title       *string              `json:"title,omitempty"`
	Objective   *string              `json:"objective,omitempty"`
	Description *string              `json:"description,omitempty"`
}

// EditObjective changes an active objective's text.
func (s *Service) EditObjective(ctx context.Context, p model.Principal, key string, patch ObjectivePatch) (model.Objective, error) {
	if err := canEdit(p, "editing objectives"); err != nil {
		return model.Objective{}, err
	}
	var out model.Objective
	err := s.st.Org(p.Org.ID).InTx(ctx, func(tx *store.OrgStore) error {
		if err := tx.LockCatalog(ctx); err != nil {
			return err
		}
		ob, err := tx.Objective(ctx, key)
		if err != nil {
			return err
		}
		if ob.RetiredAt != nil {
			return fmt.Errorf("objective %s is retired and kept as it was for the record: %w", key, model.ErrConflict)
		}
		for _, f := range []struct {
			dst *string
			src *string
		}{{&ob.Family, patch.Family}, {&ob.Title, patch.Title}, {&ob.Objective, patch.Objective}, {&ob.Description, patch.Description}} {
			if f.src != nil {
				*f.dst = *f.src
			}
		}
		if patch.Kind != nil {
			ob.Kind = *patch.Kind
		}
		ob.UpdatedBy = actorName(p.Actor())
		if err := validateObjective(&ob); err != nil {
			return err
		}
		if err := tx.UpdateObjective(ctx, ob, s.now()); err != nil {
			return err
		}
		out, err = tx.Objective(ctx, key)
		return err
	})
	return out, err
}

// RetireObjective retires an objective: it leaves the scope and coverage but
// stays, with its mappings, for the record.
func (s *Service) RetireObjective(ctx context.Context, p model.Principal, key string) (model.Objective, error) {
	if err := canEdit(p, "retiring objectives"); err != nil {
		return model.Objective{}, err
	}
	os := s.st.Org(p.Org.ID)
	var out model.Objective
	err := os.InTx(ctx, func(tx *store.OrgStore) error {
		if err := tx.LockCatalog(ctx); err != nil {
			return err
		}
		ob, err := tx.Objective(ctx, key)
		if err != nil {
			return err
		}
		if ob.RetiredAt != nil {
			return fmt.Errorf("objective %s is already retired: %w", key, model.ErrConflict)
		}
		sc, err := s.scope(ctx, tx, model.SOC1)
		if err != nil {
			return err
		}
		refs := slices.ContainsFunc(sc.NotRelevant, func(n model.NotRelevant) bool { return n.Criterion == key }) ||
			slices.ContainsFunc(sc.CUECs, func(c model.CUEC) bool { return slices.Contains(c.Criteria, key) })
		for _, so := range sc.Subservice {
			refs = refs || slices.ContainsFunc(so.CSOCs, func(c model.CSOC) bool { return slices.Contains(c.Criteria, key) })
		}
		if refs {
			return model.Invalid("key", "the SOC 1 scope still names %s (a not-relevant mark, a CUEC or a CSOC): remove it from the scope first", key)
		}
		if err := tx.RetireObjective(ctx, key, actorName(p.Actor()), s.now()); err != nil {
			return err
		}
		out, err = tx.Objective(ctx, key)
		return err
	})
	return out, err
}
