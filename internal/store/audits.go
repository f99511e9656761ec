package store

import (
	"context"
	"fmt"
	"time"

	"github.com/assurehq/assure/internal/model"
)

// Audits: engagements with their frozen scope and control set, members,
// populations, samples and their items, requests with attachments, and
// comments. Dates of an audit (as-of day, period days, request due days)
// are 'YYYY-MM-DD' text on both engines.

const auditColumns = `id, org_id, name, framework, audit_type, COALESCE(as_of, ''), COALESCE(period_from, ''), COALESCE(period_to, ''),
	status, firm, scope, controls, sampling, catalog_version, created_at, created_by, updated_at, updated_by`

func scanAudit(row interface{ Scan(...any) error }) (model.Audit, error) {
	var a model.Audit
	var created, updated timeCol
	err := row.Scan(&a.ID, &a.OrgID, &a.Name, &a.Framework, &a.Type, &a.AsOf, &a.PeriodFrom, &a.PeriodTo, &a.Status, &a.Firm,
		jsonCol[model.Scope]{&a.Scope}, jsonCol[[]model.AuditControl]{&a.Controls}, jsonCol[model.SampleTable]{&a.Sampling},
		&a.CatalogVersion, &created, &a.CreatedBy, &updated, &a.UpdatedBy)
	a.CreatedAt, a.UpdatedAt = created.T, updated.T
	if a.Controls == nil {
		a.Controls = []model.AuditControl{}
	}
	a.Members = []model.AuditMember{}
	return a, err
}

func textOrNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CreateAudit stores a new audit (without members) and returns its id.
func (o *OrgStore) CreateAudit(ctx context.Context, a model.Audit) (int64, error) {
	var id int64
	err := o.s.write.QueryRowContext(ctx,
		`INSERT INTO audits (org_id, name, framework, audit_type, as_of, period_from, period_to, status, firm, scope, controls, sampling,
		   catalog_version, created_at, created_by, updated_at, updated_by)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $14, $15) RETURNING id`,
		o.org, a.Name, string(a.Framework), int(a.Type), textOrNull(a.AsOf), textOrNull(a.PeriodFrom), textOrNull(a.PeriodTo),
		string(a.Status), a.Firm, jsonText(a.Scope), jsonText(a.Controls), jsonText(a.Sampling), a.CatalogVersion,
		ts(a.CreatedAt), a.CreatedBy).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("cannot create the audit: %w", err)
	}
	return id, nil
}

// Audit reads one audit with its members.
func (o *OrgStore) Audit(ctx context.Context, id int64) (model.Audit, error) {
	a, err := scanAudit(o.s.read.QueryRowContext(ctx, `SELECT `+auditColumns+` FROM audits WHERE org_id = $1 AND id = $2`, o.org, id))
	if err != nil {
		return a, notFound(err, fmt.Sprintf("audit %d", id))
	}
	if a.Members, err = o.AuditMembers(ctx, id); err != nil {
		return a, err
	}
	return a, nil
}

// Audits lists the organization's audits, newest first, with their
// members; memberOf (a user id, not 0) keeps only the audits that user is
// invited to.
func (o *OrgStore) Audits(ctx context.Context, memberOf int64) ([]model.Audit, error) {
	rows, err := o.s.read.QueryContext(ctx, `SELECT `+auditColumns+` FROM audits a
		WHERE org_id = $1 AND ($2 = 0 OR EXISTS (SELECT 1 FROM audit_members m WHERE m.audit_id = a.id AND m.user_id = $2))
		ORDER BY id DESC`, o.org, memberOf)
	if err != nil {
		return nil, fmt.Errorf("cannot list audits: %w", err)
	}
	out := []model.Audit{}
	for rows.Next() {
		a, err := scanAudit(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("cannot list audits: %w", err)
		}
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Members, err = o.AuditMembers(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// UpdateAudit changes an audit's name, firm, status and sample size table.
func (o *OrgStore) UpdateAudit(ctx context.Context, a model.Audit, by string, now time.Time) error {
	res, err := o.s.write.ExecContext(ctx,
		`UPDATE audits SET name = $1, firm = $2, status = $3, sampling = $4, updated_at = $5, updated_by = $6 WHERE org_id = $7 AND id = $8`,
		a.Name, a.Firm, string(a.Status), jsonText(a.Sampling), ts(now), by, o.org, a.ID)
	return exactlyOne(res, err, fmt.Sprintf("audit %d", a.ID))
}

// LockAudit serializes changes to one audit until the transaction ends
// (the row's write lock; SQLite's writer lock already does).
func (o *OrgStore) LockAudit(ctx context.Context, id int64) error {
	q := `SELECT id FROM audits WHERE org_id = $1 AND id = $2`
	if o.s.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	var got int64
	if err := o.s.write.QueryRowContext(ctx, q, o.org, id).Scan(&got); err != nil {
		return notFound(err, fmt.Sprintf("audit %d", id))
	}
	return nil
}

// ---- Members ----------------------------------------------------------------

// AuditMembers lists an audit's invited members with their current role
// in the organization ("" once they left it).
func (o *OrgStore) AuditMembers(ctx context.Context, auditID int64) ([]model.AuditMember, error) {
	rows, err := o.s.read.QueryContext(ctx,
		`SELECT am.user_id, u.email, u.name, COALESCE(m.role, ''), am.added_at, am.added_by
		 FROM audit_members am JOIN users u ON u.id = am.user_id
		 LEFT JOIN memberships m ON m.org_id = am.org_id AND m.user_id = am.user_id
		 WHERE am.org_id = $1 AND am.audit_id = $2 ORDER BY u.email`, o.org, auditID)
	if err != nil {
		return nil, fmt.Errorf("cannot list audit members: %w", err)
	}
	defer rows.Close()
	out := []model.AuditMember{}
	for rows.Next() {
		var m model.AuditMember
		var added timeCol
		if err := rows.Scan(&m.UserID, &m.Email, &m.Name, &m.Role, &added, &m.AddedBy); err != nil {
			return nil, fmt.Errorf("cannot list audit members: %w", err)
		}
		m.AddedAt = added.T
		out = append(out, m)
	}
	return out, rows.Err()
}

// AddAuditMember invites a user to an audit; an existing invitation is ErrConflict.
func (o *OrgStore) AddAuditMember(ctx context.Context, auditID, userID int64, by string, now time.Time) error {
	_, err := o.s.write.ExecContext(ctx,
		`INSERT INTO audit_members (audit_id, org_id, user_id, added_at, added_by) VALUES ($1, $2, $3, $4, $5)`,
		auditID, o.org, userID, ts(now), by)
	if err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("the user is already a member of audit %d: %w", auditID, model.ErrConflict)
		}
		return fmt.Errorf("cannot invite to the audit: %w", err)
	}
	return nil
}

// RemoveAuditMember withdraws an invitation.
func (o *OrgStore) RemoveAuditMember(ctx context.Context, auditID, userID int64) error {
	res, err := o.s.write.ExecContext(ctx, `DELETE FROM audit_members WHERE org_id = $1 AND audit_id = $2 AND user_id = $3`, o.org, auditID, userID)
	return exactlyOne(res, err, "audit member")
}

// ---- Populations ------------------------------------------------------------

const populationColumns = `id, audit_id, kind, title, source, query, period_from, period_to, produced_at, produced_by, item_count, sha256, size,
	COALESCE(evidence_id, 0), controls`

func scanPopulation(row interface{ Scan(...any) error }) (model.Population, error) {
	var p model.Population
	var produced timeCol
	err := row.Scan(&p.ID, &p.AuditID, &p.Kind, &p.Title, jsonCol[model.PopulationSource]{&p.Source}, jsonCol[model.PopulationQuery]{&p.Query},
		&p.PeriodFrom, &p.PeriodTo, &produced, &p.ProducedBy, &p.Count, &p.SHA256, &p.Size, &p.EvidenceID, jsonCol[[]string]{&p.Controls})
	p.ProducedAt = produced.T
	if p.Controls == nil {
		p.Controls = []string{}
	}
	return p, err
}

// InsertPopulation stores a population (its evidence item is set after,
// with SetPopulationEvidence) and returns its id.
func (o *OrgStore) InsertPopulation(ctx context.Context, p model.Population) (int64, error) {
	var id int64
	err := o.s.write.QueryRowContext(ctx,
		`INSERT INTO audit_populations (org_id, audit_id, kind, title, source, query, period_from, period_to, produced_at, produced_by,
		   item_count, sha256, size, controls)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
		o.org, p.AuditID, string(p.Kind), p.Title, jsonText(p.Source), jsonText(p.Query), p.PeriodFrom, p.PeriodTo, ts(p.ProducedAt),
		p.ProducedBy, p.Count, p.SHA256, p.Size, jsonText(nonNil(p.Controls))).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("cannot store the population: %w", err)
	}
	return id, nil
}

// SetPopulationEvidence links a population to the evidence item holding its file.
func (o *OrgStore) SetPopulationEvidence(ctx context.Context, id, evidenceID int64) error {
	res, err := o.s.write.ExecContext(ctx, `UPDATE audit_populations SET evidence_id = $1 WHERE org_id = $2 AND id = $3`, evidenceID, o.org, id)
	return exactlyOne(res, err, "population")
}

// Populations lists an audit's populations, newest first.
func (o *OrgStore) Populations(ctx context.Context, auditID int64) ([]model.Population, error) {
	rows, err := o.s.read.QueryContext(ctx, `SELECT `+populationColumns+` FROM audit_populations WHERE org_id = $1 AND audit_id = $2 ORDER BY id DESC`,
		o.org, auditID)
	if err != nil {
		return nil, fmt.Errorf("cannot list populations: %w", err)
	}
	defer rows.Close()
	out := []model.Population{}
	for rows.Next() {
		p, err := scanPopulation(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot list populations: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Population reads one of an audit's populations.
func (o *OrgStore) Population(ctx context.Context, auditID, id int64) (model.Population, error) {
	p, err := scanPopulation(o.s.read.QueryRowContext(ctx, `SELECT `+populationColumns+` FROM audit_populations WHERE org_id = $1 AND audit_id = $2 AND id = $3`,
		o.org, auditID, id))
	if err != nil {
		return p, notFound(err, fmt.Sprintf("population %d of audit %d", id, auditID))
	}
	return p, nil
}

// ---- Samples ----------------------------------------------------------------

const sampleColumns = `id, audit_id, control_key, frequency, basis, COALESCE(population_id, 0), population_sha256, population_size, seed, size, rule,
	created_at, created_by`

func scanSample(row interface{ Scan(...any) error }) (model.Sample, error) {
	var s model.Sample
	var created timeCol
	err := row.Scan(&s.ID, &s.AuditID, &s.ControlKey, &s.Frequency, &s.Basis, &s.PopulationID, &s.PopulationSHA256, &s.PopulationSize,
		&s.Seed, &s.Size, &s.Rule, &created, &s.CreatedBy)
	s.CreatedAt = created.T
	s.Items = []model.SampleItem{}
	return s, err
}

func idOrNull(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// InsertSample stores a sample with its items and returns its id. Call it
// inside InTx.
func (o *OrgStore) InsertSample(ctx context.Context, s model.Sample) (int64, error) {
	var id int64
	err := o.s.write.QueryRowContext(ctx,
		`INSERT INTO audit_samples (org_id, audit_id, control_key, frequency, basis, population_id, population_sha256, population_size, seed, size, rule,
		   created_at, created_by)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
		o.org, s.AuditID, s.ControlKey, string(s.Frequency), string(s.Basis), idOrNull(s.PopulationID), s.PopulationSHA256, s.PopulationSize,
		s.Seed, s.Size, s.Rule, ts(s.CreatedAt), s.CreatedBy).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("cannot store the sample: %w", err)
	}
	for _, it := range s.Items {
		if _, err := o.s.write.ExecContext(ctx,
			`INSERT INTO audit_sample_items (sample_id, org_id, position, population_index, stratum, item_key, label, at, window_to, resource_id)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			id, o.org, it.Position, it.PopulationIndex, it.Stratum, it.Key, it.Label, ts(it.At), tsPtr(it.To), it.ResourceID); err != nil {
			return 0, fmt.Errorf("cannot store the sample's items: %w", err)
		}
	}
	return id, nil
}

// Samples lists an audit's samples (of one control, or all for ""),
// newest first, with their items.
func (o *OrgStore) Samples(ctx context.Context, auditID int64, control string) ([]model.Sample, error) {
	rows, err := o.s.read.QueryContext(ctx, `SELECT `+sampleColumns+` FROM audit_samples
		WHERE org_id = $1 AND audit_id = $2 AND ($3 = '' OR control_key = $3) ORDER BY id DESC`, o.org, auditID, control)
	if err != nil {
		return nil, fmt.Errorf("cannot list samples: %w", err)
	}
	out := []model.Sample{}
	byID := map[int64]int{}
	for rows.Next() {
		s, err := scanSample(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("cannot list samples: %w", err)
		}
		byID[s.ID] = len(out)
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	return out, o.sampleItems(ctx, auditID, 0, func(id int64) *model.Sample {
		if i, ok := byID[id]; ok {
			return &out[i]
		}
		return nil
	})
}

// Sample reads one of an audit's samples with its items.
func (o *OrgStore) Sample(ctx context.Context, auditID, id int64) (model.Sample, error) {
	s, err := scanSample(o.s.read.QueryRowContext(ctx, `SELECT `+sampleColumns+` FROM audit_samples WHERE org_id = $1 AND audit_id = $2 AND id = $3`,
		o.org, auditID, id))
	if err != nil {
		return s, notFound(err, fmt.Sprintf("sample %d of audit %d", id, auditID))
	}
	err = o.sampleItems(ctx, auditID, id, func(got int64) *model.Sample {
		if got == id {
			return &s
		}
		return nil
	})
	return s, err
}

func (o *OrgStore) sampleItems(ctx context.Context, auditID, sampleID int64, get func(int64) *model.Sample) error {
	rows, err := o.s.read.QueryContext(ctx,
		`SELECT i.sample_id, i.position, i.population_index, i.stratum, i.item_key, i.label, i.at, i.window_to, i.resource_id, i.result, i.note,
		        i.tested_by, i.tested_at
		 FROM audit_sample_items i JOIN audit_samples s ON s.id = i.sample_id
		 WHERE i.org_id = $1 AND s.audit_id = $2 AND ($3 = 0 OR i.sample_id = $3) ORDER BY i.sample_id, i.position`, o.org, auditID, sampleID)
	if err != nil {
		return fmt.Errorf("cannot read sample items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var it model.SampleItem
		var at, to, tested timeCol
		if err := rows.Scan(&id, &it.Position, &it.PopulationIndex, &it.Stratum, &it.Key, &it.Label, &at, &to, &it.ResourceID, &it.Result,
			&it.Note, &it.TestedBy, &tested); err != nil {
			return fmt.Errorf("cannot read sample items: %w", err)
		}
		it.At, it.To, it.TestedAt = at.T, to.Ptr(), tested.Ptr()
		if s := get(id); s != nil {
			s.Items = append(s.Items, it)
		}
	}
	return rows.Err()
}

// SetSampleResult records the result of one sampled item.
func (o *OrgStore) SetSampleResult(ctx context.Context, sampleID int64, position int, result model.SampleResult, note, by string, at time.Time) error {
	var testedAt any
	if result != model.ResultPending {
		testedAt = ts(at)
	} else {
		by = ""
	}
	res, err := o.s.write.ExecContext(ctx,
		`UPDATE audit_sample_items SET result = $1, note = $2, tested_by = $3, tested_at = $4 WHERE org_id = $5 AND sample_id = $6 AND position = $7`,
		string(result), note, by, testedAt, o.org, sampleID, position)
	return exactlyOne(res, err, fmt.Sprintf("item %d of sample %d", position, sampleID))
}

// ---- Requests ---------------------------------------------------------------

const requestColumns = `id, audit_id, title, description, control_key, COALESCE(sample_id, 0), owner, due_on, status, created_at, created_by, updated_at, updated_by`

func scanRequest(row interface{ Scan(...any) error }) (model.Request, error) {
	var r model.Request
	var created, updated timeCol
	err := row.Scan(&r.ID, &r.AuditID, &r.Title, &r.Description, &r.ControlKey, &r.SampleID, &r.Owner, &r.Due, &r.Status,
		&created, &r.CreatedBy, &updated, &r.UpdatedBy)
	r.CreatedAt, r.UpdatedAt = created.T, updated.T
	r.Attachments = []model.RequestAttachment{}
	return r, err
}

// InsertRequest stores a request and returns its id.
func (o *OrgStore) InsertRequest(ctx context.Context, r model.Request) (int64, error) {
	var id int64
	err := o.s.write.QueryRowContext(ctx,
		`INSERT INTO audit_requests (org_id, audit_id, title, description, control_key, sample_id, owner, due_on, status, created_at, created_by, updated_at, updated_by)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10, $11) RETURNING id`,
		o.org, r.AuditID, r.Title, r.Description, r.ControlKey, idOrNull(r.SampleID), r.Owner, r.Due, string(r.Status), ts(r.CreatedAt), r.CreatedBy).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("cannot store the request: %w", err)
	}
	return id, nil
}

// UpdateRequest replaces a request's fields.
func (o *OrgStore) UpdateRequest(ctx context.Context, r model.Request) error {
	res, err := o.s.write.ExecContext(ctx,
		`UPDATE audit_requests SET title = $1, description = $2, control_key = $3, sample_id = $4, owner = $5, due_on = $6, status = $7,
		   updated_at = $8, updated_by = $9 WHERE org_id = $10 AND audit_id = $11 AND id = $12`,
		r.Title, r.Description, r.ControlKey, idOrNull(r.SampleID), r.Owner, r.Due, string(r.Status), ts(r.UpdatedAt), r.UpdatedBy, o.org, r.AuditID, r.ID)
	return exactlyOne(res, err, fmt.Sprintf("request %d", r.ID))
}

// Requests lists an audit's requests, oldest first, with their attachments.
func (o *OrgStore) Requests(ctx context.Context, auditID int64) ([]model.Request, error) {
	rows, err := o.s.read.QueryContext(ctx, `SELECT `+requestColumns+` FROM audit_requests WHERE org_id = $1 AND audit_id = $2 ORDER BY id`, o.org, auditID)
	if err != nil {
		return nil, fmt.Errorf("cannot list requests: %w", err)
	}
	out := []model.Request{}
	byID := map[int64]int{}
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("cannot list requests: %w", err)
		}
		byID[r.ID] = len(out)
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, o.attachments(ctx, auditID, 0, func(id int64) *model.Request {
		if i, ok := byID[id]; ok {
			return &out[i]
		}
		return nil
	})
}

// Request reads one of an audit's requests with its attachments.
func (o *OrgStore) Request(ctx context.Context, auditID, id int64) (model.Request, error) {
	r, err := scanRequest(o.s.read.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM audit_requests WHERE org_id = $1 AND audit_id = $2 AND id = $3`,
		o.org, auditID, id))
	if err != nil {
		return r, notFound(err, fmt.Sprintf("request %d of audit %d", id, auditID))
	}
	err = o.attachments(ctx, auditID, id, func(got int64) *model.Request {
		if got == id {
			return &r
		}
		return nil
	})
	return r, err
}

func (o *OrgStore) attachments(ctx context.Context, auditID, requestID int64, get func(int64) *model.Request) error {
	rows, err := o.s.read.QueryContext(ctx,
		`SELECT a.request_id, a.evidence_id, e.title, e.kind, a.attached_at, a.attached_by
		 FROM audit_request_attachments a JOIN audit_requests r ON r.id = a.request_id JOIN evidence_items e ON e.id = a.evidence_id
		 WHERE a.org_id = $1 AND r.audit_id = $2 AND ($3 = 0 OR a.request_id = $3) ORDER BY a.request_id, a.attached_at, a.evidence_id`,
		o.org, auditID, requestID)
	if err != nil {
		return fmt.Errorf("cannot read request attachments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var at model.RequestAttachment
		var attached timeCol
		if err := rows.Scan(&id, &at.EvidenceID, &at.Title, &at.Kind, &attached, &at.AttachedBy); err != nil {
			return fmt.Errorf("cannot read request attachments: %w", err)
		}
		at.AttachedAt = attached.T
		if r := get(id); r != nil {
			r.Attachments = append(r.Attachments, at)
		}
	}
	return rows.Err()
}

// AttachToRequest links an evidence item to a request; attaching it twice
// is ErrConflict.
func (o *OrgStore) AttachToRequest(ctx context.Context, requestID, evidenceID int64, by string, at time.Time) error {
	_, err := o.s.write.ExecContext(ctx,
		`INSERT INTO audit_request_attachments (request_id, org_id, evidence_id, attached_at, attached_by) VALUES ($1, $2, $3, $4, $5)`,
		requestID, o.org, evidenceID, ts(at), by)
	if err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("evidence %d is already attached to request %d: %w", evidenceID, requestID, model.ErrConflict)
		}
		return fmt.Errorf("cannot attach evidence %d: %w", evidenceID, err)
	}
	return nil
}

// ---- Comments ---------------------------------------------------------------

// InsertComment stores a comment and returns it with its id.
func (o *OrgStore) InsertComment(ctx context.Context, c model.Comment) (model.Comment, error) {
	err := o.s.write.QueryRowContext(ctx,
		`INSERT INTO audit_comments (org_id, audit_id, subject, body, author, author_role, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		o.org, c.AuditID, c.Subject, c.Body, c.Author, string(c.AuthorRole), ts(c.CreatedAt)).Scan(&c.ID)
	if err != nil {
		return c, fmt.Errorf("cannot store the comment: %w", err)
	}
	return c, nil
}

// Comments lists an audit's comments (about one subject, or all for ""),
// oldest first.
func (o *OrgStore) Comments(ctx context.Context, auditID int64, subject string) ([]model.Comment, error) {
	rows, err := o.s.read.QueryContext(ctx,
		`SELECT id, audit_id, subject, body, author, author_role, created_at FROM audit_comments
		 WHERE org_id = $1 AND audit_id = $2 AND ($3 = '' OR subject = $3) ORDER BY id`, o.org, auditID, subject)
	if err != nil {
		return nil, fmt.Errorf("cannot list comments: %w", err)
	}
	defer rows.Close()
	out := []model.Comment{}
	for rows.Next() {
		var c model.Comment
		var created timeCol
		if err := rows.Scan(&c.ID, &c.AuditID, &c.Subject, &c.Body, &c.Author, &c.AuthorRole, &created); err != nil {
			return nil, fmt.Errorf("cannot list comments: %w", err)
		}
		c.CreatedAt = created.T
		out = append(out, c)
	}
	return out, rows.Err()
}
