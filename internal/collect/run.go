package collect

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// RunView is a run with its integration and its per-type listings.
type RunView struct {
	model.Run
	Integration RunIntegration  `json:"integration"`
	Listings    []model.Listing `json:"listings"`
}

// RunIntegration names the integration of a run.
type RunIntegration struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Connector string `json:"connector"`
}

// Run collects one integration now and returns the finished run. Nothing
// collected before is lost whatever happens: a failed probe fails the run
// without touching resources; a failed listing leaves its type untouched.
func (s *Service) Run(ctx context.Context, p model.Principal, integrationID int64, trigger string) (RunView, error) {
	j, err := s.begin(ctx, p, integrationID, trigger)
	if err != nil {
		return RunView{}, err
	}
	s.execute(ctx, j)
	return s.RunView(ctx, p, j.run.ID)
}

// Start starts a run in the background ("run now") and returns it running.
// Shutdown cancels it; it then records itself failed.
func (s *Service) Start(ctx context.Context, p model.Principal, integrationID int64, trigger string) (RunView, error) {
	j, err := s.begin(ctx, p, integrationID, trigger)
	if err != nil {
		return RunView{}, err
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		s.execute(s.bgCtx, j)
	}()
	return s.RunView(ctx, p, j.run.ID)
}

// job is a started run and what it needs.
type job struct {
	org    int64
	in     model.Integration
	sealed map[string]string
	reg    connector.Registration
	run    model.Run
}

func (s *Service) begin(ctx context.Context, p model.Principal, integrationID int64, trigger string) (job, error) {
	if err := need(p, model.PermEdit, "collecting an integration"); err != nil {
		return job{}, err
	}
	ost := s.opts.Store.Org(p.Org.ID)
	in, sealed, err := ost.Integration(ctx, integrationID)
	if err != nil {
		return job{}, err
	}
	if in.RemovedAt != nil {
		return job{}, fmt.Errorf("integration %q was removed: %w", in.Name, model.ErrNotFound)
	}
	if !in.Enabled {
		return job{}, fmt.Errorf("integration %q is disabled: enable it before collecting: %w", in.Name, model.ErrConflict)
	}
	reg, ok := s.opts.Registry.Get(in.Connector)
	if !ok {
		return job{}, fmt.Errorf("integration %q uses connector %q, which this Assure does not know: %w", in.Name, in.Connector, model.ErrConflict)
	}
	// A run left running by a crashed process would block this one forever.
	if err := s.RecoverInterrupted(ctx); err != nil {
		return job{}, err
	}
	run, err := ost.StartRun(ctx, in.ID, trigger, s.runner, s.now())
	if err != nil {
		if errors.Is(err, model.ErrConflict) {
			return job{}, fmt.Errorf("integration %q is being collected already: wait for that run to finish: %w", in.Name, model.ErrConflict)
		}
		return job{}, err
	}
	return job{org: p.Org.ID, in: in, sealed: sealed, reg: reg, run: run}, nil
}

// execute runs a started job to its end and records it; it never returns
// with the run still marked running (unless the database is gone, in which
// case the next process declares it interrupted).
func (s *Service) execute(parent context.Context, j job) {
	ctx, cancel := context.WithTimeout(parent, s.opts.RunTimeout)
	defer cancel()
	ost := s.opts.Store.Org(j.org)
	log := s.log.With("org_id", j.org, "integration_id", j.in.ID, "connector", j.in.Connector, "run_id", j.run.ID)
	log.Info("collection started", "trigger", j.run.Trigger)

	hbDone := make(chan struct{})
	defer close(hbDone)
	go s.heartbeat(ost, j.run.ID, hbDone)

	secrets, err := s.unseal(j.org, j.sealed)
	rt := newRuntime(s, j.reg, j.in.RateLimit, secretValues(secrets), log, s.sinkFor(ost, j.run.ID))
	c := &collection{s: s, ost: ost, j: j, rt: rt, log: log}
	if err != nil {
		c.finish(ctx, fmt.Errorf("cannot read the integration's secrets: %w", err))
		return
	}
	conn, err := openAndProbe(ctx, j.reg, mergeConfig(j.reg, j.in.Config, secrets), rt)
	if err != nil {
		c.finish(ctx, err)
		return
	}
	defer conn.Close()
	for _, typ := range j.reg.Resources {
		if err := c.list(ctx, conn, typ); err != nil {
			c.finish(ctx, err)
			return
		}
	}
	c.finish(ctx, nil)
}

func (s *Service) heartbeat(ost *store.OrgStore, runID int64, done <-chan struct{}) {
	t := time.NewTicker(s.opts.HeartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := ost.HeartbeatRun(ctx, runID, s.now()); err != nil {
				s.log.Warn("cannot record run heartbeat", "run_id", runID, "err", err)
			}
			cancel()
		}
	}
}

// openAndProbe opens the connection and checks it answers; a panic in
// connector code is an error, not a crash.
func openAndProbe(ctx context.Context, reg connector.Registration, cfg connector.Config, rt *runtime) (conn connector.Conn, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("connector bug while connecting: %v", v)
		}
	}()
	conn, err = reg.Open(ctx, cfg, rt)
	if err != nil {
		return nil, fmt.Errorf("the configuration was refused: %w", err)
	}
	if err := conn.Probe(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("the connection test failed: %w", err)
	}
	return conn, nil
}

// collection is one run in progress.
type collection struct {
	s        *Service
	ost      *store.OrgStore
	j        job
	rt       *runtime
	log      *slog.Logger
	listings []model.Listing
	changed  []int64
}

// list runs one resource type's listing and stores what it observed. Its
// error is only for failures of Assure itself (the database); a failing
// connector fails the listing, not the run.
func (c *collection) list(ctx context.Context, conn connector.Conn, typ connector.ResourceType) error {
	c.rt.setListing(typ.Name)
	defer c.rt.setListing("")
	started := c.s.now()
	em := &emitter{redact: c.rt.redact, byID: map[string]int{}, failed: map[string]string{}}
	listErr := safeList(ctx, typ, conn, em)
	em.close()
	if listErr == nil && ctx.Err() != nil {
		listErr = ctx.Err()
	}
	if errors.Is(listErr, context.DeadlineExceeded) {
		listErr = fmt.Errorf("the run took longer than %s and was stopped: %w", c.s.opts.RunTimeout, listErr)
	}
	finished := c.s.now()
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	var l model.Listing
	var changed []int64
	err := c.ost.InTx(wctx, func(tx *store.OrgStore) error {
		var err error
		l, changed, err = storeListing(wctx, tx, c.j, typ.Name, em, c.rt.redact.errorOf(listErr), started, finished)
		return err
	})
	if err != nil {
		return fmt.Errorf("cannot store the listing of %s: %w", typ.Name, err)
	}
	c.listings = append(c.listings, l)
	c.changed = append(c.changed, changed...)
	c.log.Debug("listed", "resource_type", typ.Name, "status", l.Status, "resources", l.Resources,
		"added", l.Added, "changed", l.Changed, "removed", l.Removed)
	return nil
}

func safeList(ctx context.Context, typ connector.ResourceType, conn connector.Conn, em *emitter) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("connector bug while listing %s: %v", typ.Name, v)
		}
	}()
	return typ.List(ctx, conn, em)
}

// storeListing writes one listing's outcome in one transaction:
// new resources and changed ones get a version, unchanged ones no write
// (their freshness is the listing's), absent ones are marked removed, but
// only when the listing succeeded and not in a failed scope.
func storeListing(ctx context.Context, tx *store.OrgStore, j job, typ string, em *emitter, listErr error,
	started, finished time.Time) (model.Listing, []int64, error) {
	l := model.Listing{RunID: j.run.ID, ResourceType: typ, Status: model.RunSucceeded, StartedAt: started, FinishedAt: finished,
		FailedScopes: em.failed, Resources: len(em.items)}
	var changed []int64
	switch {
	case listErr != nil:
		l.Status, l.Error = model.RunFailed, listErr.Error()
	case len(em.failed) > 0:
		l.Status = model.RunPartial
		var scopes []string
		for sc, why := range em.failed {
			scopes = append(scopes, fmt.Sprintf("%s: %s", scopeName(sc), why))
		}
		sort.Strings(scopes)
		l.Error = strings.Join(scopes, "; ")
	}
	if l.Status != model.RunFailed {
		states, err := tx.ResourceStates(ctx, j.in.ID, typ)
		if err != nil {
			return l, nil, err
		}
		seen := map[string]bool{}
		for _, it := range em.items {
			seen[it.ExternalID] = true
			v := store.NewVersion{Name: it.Name, Scope: it.Scope, ContentHash: it.Hash, Attributes: it.JSON,
				RunID: j.run.ID, ObservedAt: finished, ObservationIDs: it.Calls}
			st, ok := states[it.ExternalID]
			switch {
			case !ok:
				id, err := tx.InsertResource(ctx, j.in.ID, typ, it.ExternalID, v)
				if err != nil {
					return l, nil, err
				}
				l.Added++
				changed = append(changed, id)
			case st.Removed:
				// Back after a removal: a new version records when.
				if _, err := tx.AddVersion(ctx, st.ID, v); err != nil {
					return l, nil, err
				}
				l.Added++
				changed = append(changed, st.ID)
			case st.ContentHash != it.Hash:
				if _, err := tx.AddVersion(ctx, st.ID, v); err != nil {
					return l, nil, err
				}
				l.Changed++
				changed = append(changed, st.ID)
			default:
				l.Unchanged++
				switch {
				case st.Name != it.Name || st.Scope != it.Scope:
					if err := tx.RelabelResource(ctx, st.ID, it.Name, it.Scope, j.run.ID, finished); err != nil {
						return l, nil, err
					}
				case l.Status == model.RunPartial:
					// The listing will not stand for freshness: say so per resource.
					if err := tx.TouchResource(ctx, st.ID, finished); err != nil {
						return l, nil, err
					}
				}
			}
		}
		var gone []string
		for ext, st := range states {
			if st.Removed || seen[ext] {
				continue
			}
			if _, failed := em.failed[st.Scope]; failed {
				continue // its scope could not be read: absent is not removed
			}
			gone = append(gone, ext)
		}
		sort.Strings(gone)
		for _, ext := range gone {
			st := states[ext]
			if err := tx.MarkResourceRemoved(ctx, st.ID, j.run.ID, finished); err != nil {
				return l, nil, err
			}
			l.Removed++
			changed = append(changed, st.ID)
		}
	}
	if err := tx.InsertListing(ctx, l); err != nil {
		return l, nil, err
	}
	var complete *time.Time
	if l.Status == model.RunSucceeded {
		complete = &finished
	}
	if err := tx.RecordFreshness(ctx, j.in.ID, typ, j.run.ID, l.Status, finished, complete); err != nil {
		return l, nil, err
	}
	return l, changed, nil
}

func scopeName(sc string) string {
	if sc == "" {
		return "(no scope)"
	}
	return sc
}

// finish records the run's end: its status from its listings (or runErr,
// a failure before any listing), its counts, and hands it on.
func (c *collection) finish(ctx context.Context, runErr error) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	r := c.j.run
	now := c.s.now()
	r.FinishedAt = &now
	r.Calls = int(c.rt.calls.Load())
	var failed, ok []string
	for _, l := range c.listings {
		r.Resources += l.Resources
		r.Added += l.Added
		r.Changed += l.Changed
		r.Removed += l.Removed
		switch l.Status {
		case model.RunFailed:
			failed = append(failed, l.ResourceType+": "+l.Error)
		case model.RunPartial:
			failed = append(failed, l.ResourceType+" (partly): "+l.Error)
		default:
			ok = append(ok, l.ResourceType)
		}
	}
	switch {
	case runErr != nil:
		r.Status, r.Error = model.RunFailed, c.rt.redact.err(runErr)
	case len(failed) == 0:
		r.Status = model.RunSucceeded
	case len(ok) == 0 && allFailed(c.listings):
		r.Status, r.Error = model.RunFailed, "every listing failed: "+strings.Join(failed, "; ")
	default:
		r.Status, r.Error = model.RunPartial, strings.Join(failed, "; ")
	}
	if len(r.Error) > 4000 {
		r.Error = r.Error[:4000] + "…"
	}
	fr := FinishedRun{Run: r, Integration: c.j.in, Listings: c.listings, Changed: c.changed}
	err := c.ost.InTx(wctx, func(tx *store.OrgStore) error {
		if err := tx.FinishRun(wctx, r); err != nil {
			return err
		}
		if c.s.opts.OnRunFinished == nil {
			return nil
		}
		digests, err := tx.ObservationDigests(wctx, r.ID)
		if err != nil {
			return err
		}
		fr.ObservationDigests = digests
		return c.s.opts.OnRunFinished(wctx, tx, fr)
	})
	if err != nil {
		c.log.Error("cannot record the end of the run", "err", err)
		r.Status, r.Error = model.RunFailed, "the run could not be handed on: "+c.rt.redact.err(err)
		if err := c.ost.FinishRun(wctx, r); err != nil {
			c.log.Error("cannot record the run as failed", "err", err)
			return
		}
		fr.Run, fr.ObservationDigests = r, nil
	}
	c.log.Info("collection finished", "status", r.Status, "resources", r.Resources, "added", r.Added,
		"changed", r.Changed, "removed", r.Removed, "calls", r.Calls)
	if c.s.opts.AfterRun != nil {
		c.s.opts.AfterRun(ctx, fr)
	}
}

func allFailed(ls []model.Listing) bool {
	for _, l := range ls {
		if l.Status != model.RunFailed {
			return false
		}
	}
	return len(ls) > 0
}

// emitter keeps what one listing emits, canonicalized and hashed at once
// (so a large listing holds bytes, not decoded maps). It is safe for
// concurrent use: a connector may list scopes in parallel.
type emitter struct {
	mu     sync.Mutex
	redact *redactor
	items  []emitted
	byID   map[string]int
	failed map[string]string
	closed bool
}

type emitted struct {
	ExternalID, Name, Scope string
	Hash                    string
	JSON                    []byte
	Calls                   []int64
}

// Emit implements connector.Emitter.
func (e *emitter) Emit(ctx context.Context, r connector.Resource) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ext := strings.TrimSpace(r.ExternalID)
	if ext == "" {
		return fmt.Errorf("connector bug: a resource named %q has no external id", r.Name)
	}
	b, err := canonicalJSON(r.Attributes)
	if err != nil {
		return fmt.Errorf("connector bug: the attributes of %s cannot be stored as JSON: %w", ext, err)
	}
	b, _ = e.redact.bytes(b) // a secret never becomes an attribute
	if !json.Valid(b) {
		return fmt.Errorf("the attributes of %s contain a secret value in a form that cannot be redacted", ext)
	}
	sum := sha256.Sum256(b)
	it := emitted{ExternalID: ext, Name: strings.TrimSpace(r.Name), Scope: r.Scope, Hash: hex.EncodeToString(sum[:]), JSON: b}
	if it.Name == "" {
		it.Name = ext
	}
	for _, c := range r.Calls {
		if c.ID > 0 {
			it.Calls = append(it.Calls, c.ID)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return errors.New("connector bug: a resource was emitted after its listing returned")
	}
	if i, dup := e.byID[ext]; dup {
		e.items[i] = it // the last observation of an object wins
		return nil
	}
	e.byID[ext] = len(e.items)
	e.items = append(e.items, it)
	return nil
}

// FailScope implements connector.Emitter.
func (e *emitter) FailScope(scope string, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	msg := "failed"
	if err != nil {
		msg = e.redact.err(err)
	}
	e.failed[scope] = msg
}

func (e *emitter) close() {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
}

// canonicalJSON encodes attributes so that equal content gives equal bytes:
// keys sorted, numbers as written, no HTML escaping.
func canonicalJSON(attrs map[string]any) ([]byte, error) {
	if attrs == nil {
		attrs = map[string]any{}
	}
	raw, err := json.Marshal(attrs)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
