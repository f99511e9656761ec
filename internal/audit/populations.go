package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/check"
	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// Populations are complete lists of one kind of event in an audit's
// period, produced from what the integrations collected (resources and
// their versions, including removed ones) or from the monitor's status
// changes. Each is written as one canonical JSON file (RFC 8785), hashed,
// stored as automated evidence (so the ledger records it), and described
// by its source, its query in words and exact parameters, when it was
// produced and by whom, and its count.

// PopulationFile is the content of a population's file, exactly as hashed
// (its canonical JSON).
type PopulationFile struct {
	V          int                    `json:"v"`
	AuditID    int64                  `json:"audit_id"`
	Kind       model.PopulationKind   `json:"kind"`
	Title      string                 `json:"title"`
	PeriodFrom string                 `json:"period_from"`
	PeriodTo   string                 `json:"period_to"`
	ProducedAt string                 `json:"produced_at"`
	ProducedBy string                 `json:"produced_by"`
	Source     model.PopulationSource `json:"source"`
	Query      model.PopulationQuery  `json:"query"`
	Count      int                    `json:"count"`
	Items      []model.PopulationItem `json:"items"`
}

// PopulationInput asks for a population.
type PopulationInput struct {
	Kind model.PopulationKind `json:"kind"`
	// Controls it supports, in addition to those Assure links by default
	// (docs/audits.md); keys of the audit's control set.
	Controls []string `json:"controls,omitempty"`
}

// kindInfo describes each population kind: its title, the resource types
// it reads, and the library controls it supports by default.
var kindInfo = map[model.PopulationKind]struct {
	title    string
	types    []string
	controls []string
}{
	model.PopulationProductionChanges: {"Production changes: pull requests merged into the default branch", []string{"github.pull_request"},
		[]string{"CHG-01", "CHG-02", "CHG-03", "CHG-05", "CHG-07"}},
	model.PopulationNewHires:        {"New hires: people who started", []string{"hr.person"}, []string{"HR-01", "HR-02", "HR-03", "HR-05", "IAM-06"}},
	model.PopulationTerminations:    {"Terminations: people who left", []string{"hr.person"}, []string{"HR-09", "IAM-07"}},
	model.PopulationNewAccounts:     {"New accounts in the identity providers", []string{"okta.user", "google_workspace.user"}, []string{"IAM-05", "IAM-06"}},
	model.PopulationRemovedAccounts: {"Removed accounts: deactivated, suspended or deleted in the identity providers", []string{"okta.user", "google_workspace.user"}, []string{"IAM-07", "HR-09", "IAM-11"}},
	model.PopulationTestFailures:    {"Test failures: results that turned to fail or error", nil, []string{"MON-01", "MON-03"}},
}

// ProducePopulation pulls a population for the audit's period now.
func (s *Service) ProducePopulation(ctx context.Context, p model.Principal, auditID int64, in PopulationInput) (model.Population, error) {
	a, err := s.work(ctx, p, auditID)
	if err != nil {
		return model.Population{}, err
	}
	if a.Type != model.AuditType2 {
		return model.Population{}, model.Invalid("audit", "populations list the events of a period: they belong to Type 2 audits (audit %d is a Type 1 as of %s)", a.ID, a.AsOf)
	}
	kind, err := model.ParsePopulationKind(string(in.Kind))
	if err != nil {
		return model.Population{}, err
	}
	info := kindInfo[kind]
	now := s.now()
	from, to := a.Window()
	pop := model.Population{AuditID: a.ID, Kind: kind, Title: info.title, PeriodFrom: a.PeriodFrom, PeriodTo: a.PeriodTo,
		ProducedAt: now, ProducedBy: actorName(p.Actor())}
	var items []model.PopulationItem
	switch kind {
	case model.PopulationTestFailures:
		items, pop.Source, pop.Query, err = s.testFailures(ctx, a.OrgID, from, to)
	default:
		items, pop.Source, pop.Query, err = s.resourceEvents(ctx, a.OrgID, kind, info.types, from, to, now)
	}
	if err != nil {
		return model.Population{}, err
	}
	if pop.Controls, err = s.populationControls(ctx, a, kind, info.types, info.controls, in.Controls, items); err != nil {
		return model.Population{}, err
	}
	sort.SliceStable(items, func(i, j int) bool {
		if !items[i].OccurredAt.Equal(items[j].OccurredAt) {
			return items[i].OccurredAt.Before(items[j].OccurredAt)
		}
		return items[i].Key < items[j].Key
	})
	if items == nil {
		items = []model.PopulationItem{}
	}
	pop.Count = len(items)
	file := PopulationFile{V: 1, AuditID: a.ID, Kind: kind, Title: pop.Title, PeriodFrom: pop.PeriodFrom, PeriodTo: pop.PeriodTo,
		ProducedAt: now.Format(ledger.TimeLayout), ProducedBy: pop.ProducedBy, Source: pop.Source, Query: pop.Query, Count: pop.Count, Items: items}
	body, err := canonicalFile(file)
	if err != nil {
		return model.Population{}, err
	}
	sum := sha256.Sum256(body)
	pop.SHA256, pop.Size = hex.EncodeToString(sum[:]), int64(len(body))
	effTo := a.PeriodTo
	if today := now.Format(model.DateLayout); today < effTo {
		effTo = today
	}
	err = s.Store.Org(a.OrgID).InTx(ctx, func(tx *store.OrgStore) error {
		if pop.ID, err = tx.InsertPopulation(ctx, pop); err != nil {
			return err
		}
		it, err := s.Evidence.RecordGenerated(ctx, tx.Store(), tx.ID(), evidence.Generated{
			SourceKey: "population:" + strconv.FormatInt(pop.ID, 10), Title: fmt.Sprintf("Population: %s (audit %d)", strings.ReplaceAll(string(kind), "_", " "), a.ID),
			Description: fmt.Sprintf("%s, %s to %s: %d item(s). %s Supports %s.", pop.Title, a.PeriodFrom, a.PeriodTo, pop.Count, pop.Query.Description,
				strings.Join(pop.Controls, ", ")),
			Body: body, FileName: fmt.Sprintf("population-%d-%s.json", pop.ID, kind), MediaType: "application/json",
			EffectiveFrom: a.PeriodFrom, EffectiveTo: effTo, Actor: p.Actor(), At: now,
			Source: map[string]any{"population_id": pop.ID, "audit_id": a.ID, "kind": string(kind), "count": pop.Count, "sha256": pop.SHA256,
				"controls": pop.Controls, "produced_at": now.Format(ledger.TimeLayout)},
		})
		if err != nil {
			return err
		}
		pop.EvidenceID = it.ID
		if err := tx.SetPopulationEvidence(ctx, pop.ID, it.ID); err != nil {
			return err
		}
		return s.record(ctx, tx.Store(), tx.ID(), p, KindPopulationProduced, a.ID, now, map[string]any{
			"population_id": pop.ID, "kind": string(kind), "count": pop.Count, "sha256": pop.SHA256, "evidence_id": it.ID,
			"period_from": a.PeriodFrom, "period_to": a.PeriodTo, "controls": pop.Controls,
		})
	})
	if err != nil {
		return model.Population{}, err
	}
	return s.Store.Org(a.OrgID).Population(ctx, a.ID, pop.ID)
}

// canonicalFile is the population file as stored and hashed: RFC 8785
// canonical JSON, so anyone can recompute its SHA-256.
func canonicalFile(f PopulationFile) ([]byte, error) {
	b, err := ledger.Canonical(f)
	if err != nil {
		return nil, fmt.Errorf("cannot encode the population: %w", err)
	}
	return b, nil
}

// populationControls links a population to the frozen controls it supports:
// those adopted from the kind's default library controls, those whose
// tests read the population's resource types (or, for test failures, whose
// tests failed in it), and those asked for.
func (s *Service) populationControls(ctx context.Context, a model.Audit, kind model.PopulationKind, types, defaults, asked []string, items []model.PopulationItem) ([]string, error) {
	out := []string{}
	add := func(k string) {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	for _, k := range asked {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		if _, ok := a.Control(k); !ok {
			return nil, model.Invalid("controls", "%q is not in the audit's control set", k)
		}
		add(k)
	}
	failed := map[string]bool{}
	for _, it := range items {
		if kind == model.PopulationTestFailures {
			if cs, ok := it.Attributes["controls"].([]string); ok {
				for _, c := range cs {
					failed[c] = true
				}
			}
		}
	}
	for _, c := range a.Controls {
		if slices.Contains(defaults, c.Key) || (c.LibraryKey != "" && slices.Contains(defaults, c.LibraryKey)) ||
			failed[c.Key] || (c.LibraryKey != "" && failed[c.LibraryKey]) {
			add(c.Key)
		}
	}
	if s.Checks != nil && len(types) > 0 {
		if eng, err := s.Checks.Engine(ctx, a.OrgID); err == nil {
			for _, c := range a.Controls {
				for _, t := range check.TestsFor(eng, c.AsControl()) {
					for _, rt := range t.ResourceTypes {
						if slices.Contains(types, rt) {
							add(c.Key)
						}
					}
				}
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// resourceEvents reads the events of a resource-based population kind.
func (s *Service) resourceEvents(ctx context.Context, orgID int64, kind model.PopulationKind, types []string, from, to, now time.Time) (
	[]model.PopulationItem, model.PopulationSource, model.PopulationQuery, error) {
	o := s.Store.Org(orgID)
	src := model.PopulationSource{Integrations: []model.PopulationIntegration{}, ResourceTypes: types}
	q := model.PopulationQuery{Parameters: map[string]string{
		"from": from.Format(time.RFC3339), "to": to.Format(time.RFC3339), "resource_types": strings.Join(types, ","),
		"resources": "present and removed", "versions": "every stored version",
	}}
	states, err := o.ListingStates(ctx)
	if err != nil {
		return nil, src, q, err
	}
	ins := map[int64]*model.PopulationIntegration{}
	addIntegration := func(id int64, name, connector string, through *time.Time, removed bool) {
		pi := ins[id]
		if pi == nil {
			pi = &model.PopulationIntegration{ID: id, Name: name, Connector: connector, Removed: removed}
			ins[id] = pi
		}
		if through != nil && (pi.DataThrough == nil || through.Before(*pi.DataThrough)) {
			t := *through
			pi.DataThrough = &t
		}
	}
	for _, l := range states {
		if slices.Contains(types, l.ResourceType) {
			in, _, err := o.Integration(ctx, l.IntegrationID)
			if err != nil {
				return nil, src, q, err
			}
			addIntegration(in.ID, in.Name, in.Connector, l.LastCompleteAt, false)
		}
	}
	var resources []model.Resource
	for _, t := range types {
		rs, _, err := o.Resources(ctx, store.ResourceFilter{Type: t, Status: "all", Limit: -1})
		if err != nil {
			return nil, src, q, err
		}
		resources = append(resources, rs...)
	}
	if len(ins) == 0 && len(resources) == 0 {
		return nil, src, q, model.Invalid("kind", "no integration collects %s yet, so this population cannot be shown complete: add one (%s) and collect, then pull it again",
			strings.Join(types, " or "), connectorHint(types))
	}
	var items []model.PopulationItem
	in := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	for _, r := range resources {
		if _, ok := ins[r.IntegrationID]; !ok {
			addIntegration(r.IntegrationID, r.Integration, r.Connector, nil, true)
		}
		base := func(at time.Time, label string, attrs map[string]any, versionID int64, suffix string) model.PopulationItem {
			return model.PopulationItem{Key: r.Type + ":" + r.ExternalID + suffix, OccurredAt: at.UTC(), Label: label, ResourceID: r.ID,
				ResourceVersionID: versionID, ResourceType: r.Type, Integration: r.Integration, Attributes: attrs}
		}
		a := r.Attributes
		switch kind {
		case model.PopulationProductionChanges:
			merged, ok := timeAttr(a, "merged_at")
			if !ok || !in(merged) || a["into_default_branch"] != true {
				continue
			}
			label := fmt.Sprintf("%s#%s %s", str(a, "repository"), str(a, "number"), str(a, "title"))
			items = append(items, base(merged, label, pick(a, "repository", "number", "title", "author", "base_branch", "merged_at", "merged_by",
				"self_merged", "approved", "approvers", "approved_after_last_commit", "html_url", "merge_commit_sha"), r.VersionID, ""))
		case model.PopulationNewHires, model.PopulationTerminations:
			field := "start_date"
			if kind == model.PopulationTerminations {
				field = "termination_date"
			}
			d, ok := timeAttr(a, field)
			if !ok || !in(d) {
				continue
			}
			label := strings.TrimSpace(str(a, "name") + " <" + str(a, "email") + ">")
			items = append(items, base(d, label, pick(a, "employee_id", "email", "name", "department", "manager", "employment_type", "status",
				"start_date", "termination_date"), r.VersionID, ""))
		case model.PopulationNewAccounts:
			field := "created"
			if r.Type == "google_workspace.user" {
				field = "created_at"
			}
			c, ok := timeAttr(a, field)
			if !ok || !in(c) {
				continue
			}
			items = append(items, base(c, accountLabel(r), accountAttrs(r.Type, a), r.VersionID, ""))
		case model.PopulationRemovedAccounts:
			evs, err := s.accountRemovals(ctx, o, r, from, to)
			if err != nil {
				return nil, src, q, err
			}
			for _, ev := range evs {
				attrs := accountAttrs(r.Type, ev.attrs)
				attrs["removal"] = ev.how
				items = append(items, base(ev.at, accountLabel(r)+" — "+ev.how, attrs, ev.versionID, "@"+ev.at.Format(time.RFC3339)))
			}
		}
	}
	switch kind {
	case model.PopulationProductionChanges:
		q.Description = "Every github.pull_request collected (present or since removed from the lookback window) whose into_default_branch is true and whose merged_at falls in the period."
		q.Parameters["condition"] = "into_default_branch == true && from <= merged_at < to"
	case model.PopulationNewHires:
		q.Description = "Every hr.person collected (present or since removed from the roster) whose start_date falls in the period."
		q.Parameters["condition"] = "from <= start_date < to"
	case model.PopulationTerminations:
		q.Description = "Every hr.person collected (present or since removed from the roster) whose termination_date falls in the period."
		q.Parameters["condition"] = "from <= termination_date < to"
	case model.PopulationNewAccounts:
		q.Description = "Every okta.user whose created time, and every google_workspace.user whose created_at, falls in the period (present or since deleted)."
		q.Parameters["condition"] = "from <= created (okta.user) or created_at (google_workspace.user) < to"
	case model.PopulationRemovedAccounts:
		q.Description = "Every account that stopped being usable in the period: an okta.user whose status became SUSPENDED or DEPROVISIONED (at its status_changed time), a google_workspace.user that became suspended or archived (at the first collection that saw it so), or an account that disappeared from its system (at the first collection that no longer listed it)."
		q.Parameters["condition"] = "transition to SUSPENDED|DEPROVISIONED (okta) or suspended|archived (google_workspace) between stored versions, or removed_at, within [from, to)"
	}
	q.Parameters["data_as_of"] = now.Format(time.RFC3339)
	for _, pi := range ins {
		src.Integrations = append(src.Integrations, *pi)
		if pi.DataThrough != nil && !pi.Removed && (src.DataThrough == nil || pi.DataThrough.Before(*src.DataThrough)) {
			t := *pi.DataThrough
			src.DataThrough = &t
		}
	}
	sort.Slice(src.Integrations, func(i, j int) bool { return src.Integrations[i].ID < src.Integrations[j].ID })
	return items, src, q, nil
}

func connectorHint(types []string) string {
	switch {
	case slices.Contains(types, "github.pull_request"):
		return "assure integrations add --connector github"
	case slices.Contains(types, "hr.person"):
		return "assure integrations add --connector hr_csv"
	default:
		return "assure integrations add --connector okta or google_workspace"
	}
}

type removal struct {
	at        time.Time
	how       string
	versionID int64
	attrs     map[string]any
}

// accountRemovals finds when an identity account stopped being usable in
// [from, to): each transition from usable to not usable between its stored
// versions, and its disappearance from the system.
func (s *Service) accountRemovals(ctx context.Context, o *store.OrgStore, r model.Resource, from, to time.Time) ([]removal, error) {
	in := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	inactive := func(a map[string]any) (bool, string) {
		if r.Type == "okta.user" {
			st := str(a, "status")
			return st == "SUSPENDED" || st == "DEPROVISIONED", "status " + st
		}
		switch {
		case a["suspended"] == true:
			return true, "suspended"
		case a["archived"] == true:
			return true, "archived"
		}
		return false, ""
	}
	vs, err := o.ResourceVersions(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	slices.Reverse(vs) // oldest first
	var out []removal
	prevActive := false
	for i, v := range vs {
		off, how := inactive(v.Attributes)
		if off && (i == 0 || prevActive) {
			at := v.ObservedAt
			how += " (first collected so at " + at.UTC().Format(time.RFC3339) + ")"
			if changed, ok := timeAttr(v.Attributes, "status_changed"); ok && r.Type == "okta.user" {
				at, how = changed, "status "+str(v.Attributes, "status")+" since status_changed "+changed.UTC().Format(time.RFC3339)
			}
			// An account first seen already off was not removed in the
			// period unless its own timestamp says so.
			if (i > 0 || r.Type == "okta.user") && in(at) {
				out = append(out, removal{at: at, how: how, versionID: v.ID, attrs: v.Attributes})
			}
		}
		prevActive = !off
	}
	if r.RemovedAt != nil && in(*r.RemovedAt) {
		last := map[string]any{}
		var vid int64
		if len(vs) > 0 {
			last, vid = vs[len(vs)-1].Attributes, vs[len(vs)-1].ID
		}
		out = append(out, removal{at: *r.RemovedAt, how: "deleted (no longer listed from " + r.RemovedAt.UTC().Format(time.RFC3339) + ")", versionID: vid, attrs: last})
	}
	return out, nil
}

func accountLabel(r model.Resource) string {
	e := str(r.Attributes, "email")
	if e == "" {
		e = str(r.Attributes, "login")
	}
	if e == "" {
		e = r.Name
	}
	return e + " (" + r.Integration + ")"
}

func accountAttrs(typ string, a map[string]any) map[string]any {
	if typ == "okta.user" {
		return pick(a, "id", "login", "email", "name", "status", "created", "activated", "status_changed", "last_login", "admin")
	}
	return pick(a, "id", "email", "name", "suspended", "archived", "is_admin", "created_at", "last_login_at", "org_unit_path")
}

// testFailures lists the status changes into fail or error in [from, to).
func (s *Service) testFailures(ctx context.Context, orgID int64, from, to time.Time) ([]model.PopulationItem, model.PopulationSource, model.PopulationQuery, error) {
	src := model.PopulationSource{Integrations: []model.PopulationIntegration{}, ResourceTypes: []string{}}
	q := model.PopulationQuery{
		Description: "Every status change recorded by the monitor whose new status is fail or error and whose time falls in the period (each change is also on the ledger as test.status_changed).",
		Parameters: map[string]string{"from": from.Format(time.RFC3339), "to": to.Format(time.RFC3339), "table": "status_changes",
			"condition": "to_status in (fail, error) && from <= at < to"},
	}
	changes, err := s.Store.Org(orgID).StatusChanges(ctx, store.StatusChangeFilter{From: from, To: to, Limit: 10_000_000})
	if err != nil {
		return nil, src, q, err
	}
	var items []model.PopulationItem
	ins := map[int64]bool{}
	for _, c := range changes {
		if !c.To.Failing() {
			continue
		}
		if !ins[c.IntegrationID] {
			ins[c.IntegrationID] = true
			src.Integrations = append(src.Integrations, model.PopulationIntegration{ID: c.IntegrationID, Name: c.Integration})
		}
		if !slices.Contains(src.ResourceTypes, c.ResourceType) {
			src.ResourceTypes = append(src.ResourceTypes, c.ResourceType)
		}
		from := string(c.From)
		if from == "" {
			from = "none"
		}
		items = append(items, model.PopulationItem{Key: "status_change:" + strconv.FormatInt(c.ID, 10), OccurredAt: c.At,
			Label: fmt.Sprintf("%s on %s: %s → %s", c.TestID, c.ResourceName, from, c.To), ResourceID: c.ResourceID, ResourceType: c.ResourceType,
			Integration: c.Integration, Attributes: map[string]any{"test": c.TestID, "test_title": c.TestTitle, "severity": string(c.Severity),
				"from": string(c.From), "to": string(c.To), "message": c.Message, "controls": c.Controls, "resource_name": c.ResourceName}})
	}
	sort.Slice(src.Integrations, func(i, j int) bool { return src.Integrations[i].ID < src.Integrations[j].ID })
	slices.Sort(src.ResourceTypes)
	q.Parameters["data_as_of"] = s.now().Format(time.RFC3339)
	return items, src, q, nil
}

// ---- Reading populations ----------------------------------------------------

// Populations lists an audit's populations, newest first.
func (s *Service) Populations(ctx context.Context, p model.Principal, id int64) ([]model.Population, error) {
	a, err := s.access(ctx, p, id)
	if err != nil {
		return nil, err
	}
	return s.Store.Org(a.OrgID).Populations(ctx, a.ID)
}

// Population reads one population with its items, after checking that the
// stored file still has the SHA-256 recorded for it.
func (s *Service) Population(ctx context.Context, p model.Principal, auditID, id int64) (model.Population, PopulationFile, error) {
	pop, body, err := s.PopulationBytes(ctx, p, auditID, id)
	if err != nil {
		return pop, PopulationFile{}, err
	}
	var f PopulationFile
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&f); err != nil {
		return pop, f, fmt.Errorf("cannot read population %d: %w", id, err)
	}
	return pop, f, nil
}

// PopulationBytes reads a population's file exactly as stored and hashed.
func (s *Service) PopulationBytes(ctx context.Context, p model.Principal, auditID, id int64) (model.Population, []byte, error) {
	a, err := s.access(ctx, p, auditID)
	if err != nil {
		return model.Population{}, nil, err
	}
	pop, err := s.Store.Org(a.OrgID).Population(ctx, a.ID, id)
	if err != nil {
		return pop, nil, err
	}
	rc, err := s.Blobs.Open(ctx, pop.SHA256)
	if err != nil {
		return pop, nil, fmt.Errorf("the file of population %d (blob %s) cannot be opened: run `assure ledger verify`: %w", id, pop.SHA256, err)
	}
	defer rc.Close()
	body, err := io.ReadAll(rc)
	if err != nil {
		return pop, nil, fmt.Errorf("cannot read population %d: %w", id, err)
	}
	sum := sha256.Sum256(body)
	if hex.EncodeToString(sum[:]) != pop.SHA256 {
		return pop, nil, errors.New("the stored file of population " + strconv.FormatInt(id, 10) + " does not match its SHA-256: run `assure ledger verify`")
	}
	return pop, body, nil
}

// ---- Attribute helpers ------------------------------------------------------

func str(a map[string]any, k string) string {
	switch v := a[k].(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	default:
		return fmt.Sprint(v)
	}
}

// timeAttr reads an RFC 3339 time or a YYYY-MM-DD day (as midnight UTC).
func timeAttr(a map[string]any, k string) (time.Time, bool) {
	s := str(a, k)
	if s == "" {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	if t, err := time.Parse(model.DateLayout, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// pick copies the named attributes that are present.
func pick(a map[string]any, keys ...string) map[string]any {
	out := map[string]any{}
	for _, k := range keys {
		if v, ok := a[k]; ok && v != nil {
			out[k] = v
		}
	}
	return out
}
