// Package check runs tests: declarative definitions (YAML with CEL
// conditions, docs/tests.md) evaluated against collected resources right
// after each collection. Results are kept as status intervals — a run that
// changes nothing writes nothing — and every change of status is recorded
// as a model.StatusChange (the outbox notifications read) and on the
// ledger, in the same transaction. The package also rolls results up into
// control status and readiness, and keeps exceptions.
package check

import (
	"cmp"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/assurehq/assure/internal/catalog"
	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// BuiltinSources returns the embedded definitions.
func BuiltinSources() ([]Source, error) {
	files, err := fs.Glob(builtinFS, "builtin/*.yaml")
	if err != nil {
		return nil, err
	}
	var out []Source
	for _, f := range files {
		b, err := builtinFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, Source{File: f, Data: b, Origin: OriginBuiltin})
	}
	return out, nil
}

// DirSources reads every *.yaml and *.yml file under dir (recursively).
func DirSources(dir string) ([]Source, error) {
	var out []Source
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out = append(out, Source{File: path, Data: b, Origin: OriginDirectory})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read the tests directory %s (check --tests-dir / ASSURE_TESTS_DIR): %w", dir, err)
	}
	return out, nil
}

// Deps are what the service needs.
type Deps struct {
	Store    *store.Store
	Registry *connector.Registry
	// Catalog knows the control library and the organizations' controls
	// and scope.
	Catalog *catalog.Service
	// Evidence gives evidence freshness for control status (nil: controls
	// are judged on tests alone).
	Evidence *evidence.Service
	Now      func() time.Time
	Log      *slog.Logger
	// TestsDir holds custom definitions (empty: none).
	TestsDir string
}

// Service evaluates tests and answers questions about their results.
type Service struct {
	Deps
	base *Engine

	mu      sync.Mutex
	engines map[int64]orgEngine
	evalMu  map[int64]*sync.Mutex
	// cache keeps decoded resources between evaluations.
	cache resourceCache
}

type orgEngine struct {
	sig string
	eng *Engine
}

// New compiles the built-in tests and those of the tests directory; a
// definition that does not compile, or names an unknown resource type or
// control, is an error naming its file and line.
func New(d Deps) (*Service, error) {
	if d.Now == nil {
		d.Now = func() time.Time { return time.Now().UTC() }
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	srcs, err := BuiltinSources()
	if err != nil {
		return nil, err
	}
	// Built-in tests are checked against every built-in connector by their
	// own test (TestBuiltinCases); here they only need to compile, so an
	// installation built with fewer connectors keeps the others' tests idle.
	chk := LibraryChecker(d.Registry, d.Catalog)
	eng, err := Compile(srcs, Checker{Control: chk.Control})
	if err != nil {
		return nil, err
	}
	if d.TestsDir != "" {
		more, err := DirSources(d.TestsDir)
		if err != nil {
			return nil, err
		}
		if eng, err = eng.With(more, chk); err != nil {
			return nil, err
		}
	}
	return &Service{Deps: d, base: eng, engines: map[int64]orgEngine{}, evalMu: map[int64]*sync.Mutex{}}, nil
}

// LibraryChecker checks types against the connector registry and controls
// against the control library.
func LibraryChecker(reg *connector.Registry, cat *catalog.Service) Checker {
	var chk Checker
	if reg != nil {
		chk.Type = reg.Type
	}
	if cat != nil {
		chk.Control = func(k string) bool { _, ok := cat.Catalog().LibraryControl(k); return ok }
	}
	return chk
}

// orgChecker also accepts the organization's own control keys.
func (s *Service) orgChecker(ctx context.Context, orgID int64) (Checker, error) {
	chk := LibraryChecker(s.Registry, s.Catalog)
	controls, err := s.Store.Org(orgID).Controls(ctx)
	if err != nil {
		return chk, err
	}
	own := map[string]bool{}
	for _, c := range controls {
		own[c.Key] = true
	}
	lib := chk.Control
	chk.Control = func(k string) bool { return own[k] || (lib != nil && lib(k)) }
	return chk, nil
}

// Base is the engine of the built-in and directory tests.
func (s *Service) Base() *Engine { return s.base }

// engine returns the organization's engine: the base tests and the tests it
// wrote, recompiled only when those change.
func (s *Service) engine(ctx context.Context, orgID int64) (*Engine, error) {
	custom, err := s.Store.Org(orgID).CustomTests(ctx)
	if err != nil {
		return nil, err
	}
	if len(custom) == 0 {
		return s.base, nil
	}
	h := sha256.New()
	for _, c := range custom {
		fmt.Fprintf(h, "%s\x00%s\x00", c.TestID, c.Source)
	}
	sig := hex.EncodeToString(h.Sum(nil))
	s.mu.Lock()
	cached, ok := s.engines[orgID]
	s.mu.Unlock()
	if ok && cached.sig == sig {
		return cached.eng, nil
	}
	chk, err := s.orgChecker(ctx, orgID)
	if err != nil {
		return nil, err
	}
	var srcs []Source
	for _, c := range custom {
		srcs = append(srcs, Source{File: "custom:" + c.TestID, Data: []byte(c.Source), Origin: OriginCustom})
	}
	eng, err := s.base.With(srcs, chk)
	if err != nil {
		// A stored test that no longer compiles (a control was removed, a
		// connector went away) must not stop every other test: leave it out
		// and say so.
		s.Log.Warn("an organization's custom test no longer compiles; it is not evaluated", "org_id", orgID, "err", err)
		var good []Source
		for _, src := range srcs {
			if _, err := s.base.With([]Source{src}, chk); err == nil {
				good = append(good, src)
			}
		}
		if eng, err = s.base.With(good, chk); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	s.engines[orgID] = orgEngine{sig: sig, eng: eng}
	s.mu.Unlock()
	return eng, nil
}

// Result is one test's result for one resource.
type Result struct {
	Test         string           `json:"test"`
	Resource     string           `json:"resource"` // the resource's external id
	ResourceType string           `json:"resource_type"`
	Status       model.TestStatus `json:"status"`
	Message      string           `json:"message"`
	ResourceID   int64            `json:"resource_id,omitempty"`
	ResourceName string           `json:"resource_name"`
	Integration  string           `json:"integration,omitempty"`
	Severity     model.Severity   `json:"severity"`
	// ExceptionID is set when the failure is accepted by an unexpired
	// exception: it does not count against controls or --fail-on.
	ExceptionID int64 `json:"exception_id,omitempty"`
}

// Summary counts an evaluation's results.
type Summary struct {
	Tests       int `json:"tests"`
	Resources   int `json:"resources"`
	Evaluations int `json:"evaluations"`
	Pass        int `json:"pass"`
	Fail        int `json:"fail"`
	Error       int `json:"error"`
	Skipped     int `json:"skipped"`
	// Excepted counts failures accepted by an exception (also in Fail or Error).
	Excepted int `json:"excepted"`
	// FailingBySeverity counts fail and error results not excepted.
	FailingBySeverity map[model.Severity]int `json:"failing_by_severity"`
	// Changes is how many statuses changed (StatusChanges written).
	Changes int `json:"changes"`
}

// Evaluation is what one evaluation did.
type Evaluation struct {
	OrgID   int64     `json:"org_id"`
	RunID   int64     `json:"run_id,omitempty"`
	At      time.Time `json:"at"`
	Results []Result  `json:"results"`
	Summary Summary   `json:"summary"`
	// Changes are the status changes this evaluation wrote, oldest first.
	Changes []model.StatusChange `json:"changes"`
	// Incremental is set when the evaluation judged only what could have
	// changed since the integration's last one (EvaluateRun): Results are
	// then those it judged, not every result in its scope.
	Incremental bool `json:"incremental"`
}

// FailingAtLeast reports whether a result not excepted fails (fail or
// error) with a severity of min or more.
func (ev Evaluation) FailingAtLeast(min model.Severity) bool {
	for _, r := range ev.Results {
		if r.Status.Failing() && r.ExceptionID == 0 && r.Severity.AtLeast(min) {
			return true
		}
	}
	return false
}

// Summarize counts results (of an evaluation, or of several merged).
func Summarize(results []Result, tests int) Summary { return summarize(results, tests) }

func summarize(results []Result, tests int) Summary {
	s := Summary{Tests: tests, Evaluations: len(results), FailingBySeverity: map[model.Severity]int{}}
	res := map[string]bool{}
	for _, r := range results {
		res[r.ResourceType+"\x00"+r.Resource] = true
		switch r.Status {
		case model.TestPass:
			s.Pass++
		case model.TestFail:
			s.Fail++
		case model.TestError:
			s.Error++
		case model.TestSkipped:
			s.Skipped++
		}
		if r.Status.Failing() {
			if r.ExceptionID != 0 {
				s.Excepted++
			} else {
				s.FailingBySeverity[r.Severity]++
			}
		}
	}
	s.Resources = len(res)
	return s
}

// SortResults orders results failing first, then by test and resource.
func SortResults(rs []Result) { sortResults(rs) }

func sortResults(rs []Result) {
	rank := func(s model.TestStatus) int {
		switch s {
		case model.TestFail:
			return 0
		case model.TestError:
			return 1
		case model.TestSkipped:
			return 2
		}
		return 3
	}
	slices.SortFunc(rs, func(a, b Result) int {
		if ra, rb := rank(a.Status), rank(b.Status); ra != rb {
			return ra - rb
		}
		if c := strings.Compare(a.Test, b.Test); c != 0 {
			return c
		}
		if c := strings.Compare(a.ResourceType, b.ResourceType); c != 0 {
			return c
		}
		return strings.Compare(a.Resource, b.Resource)
	})
}

// EvaluateOffline evaluates tests over resources given directly (`assure
// tests eval`): nothing is read or written, lookups search the same
// resources, and no collection state holds any resource back.
func EvaluateOffline(eng *Engine, rs []*Resource, now time.Time) []Result {
	w := NewWorld(rs)
	var out []Result
	for _, r := range rs {
		eng.Evaluate(r, w, now, nil, func(o Outcome) {
			out = append(out, Result{Test: o.Test.ID, Resource: r.ExternalID, ResourceType: r.Type, ResourceName: r.Name,
				Integration: r.Integration, Status: o.Status, Message: o.Message, Severity: o.Test.Severity})
		})
	}
	if out == nil {
		out = []Result{}
	}
	sortResults(out)
	return out
}

// EvaluateRun evaluates the tests after a collection run: every test over
// the run's integration's resources, and the tests that look up the types
// that integration collects over their own resources. It stores what
// changed. The scheduler and the server call it right after each run.
//
// It is incremental: when the integration was evaluated before with the
// same tests, it judges again only what could have changed since (the
// resources runs added, changed or removed, the types whose collection now
// holds resources back differently, and the tests that read the clock or
// look resources up), and writes exactly what a full evaluation would.
// Its Results are then the results it judged (Incremental is set); use
// EvaluateRunFull for every result.
func (s *Service) EvaluateRun(ctx context.Context, orgID, runID int64) (Evaluation, error) {
	return s.evaluateRun(ctx, orgID, runID, true)
}

// EvaluateRunFull is EvaluateRun judging every resource in the run's scope
// and returning every result (`assure scan` prints them all).
func (s *Service) EvaluateRunFull(ctx context.Context, orgID, runID int64) (Evaluation, error) {
	return s.evaluateRun(ctx, orgID, runID, false)
}

func (s *Service) evaluateRun(ctx context.Context, orgID, runID int64, incremental bool) (Evaluation, error) {
	run, err := s.Store.Org(orgID).Run(ctx, runID)
	if err != nil {
		return Evaluation{}, err
	}
	ev, err := s.evaluate(ctx, orgID, run.IntegrationID, incremental)
	ev.RunID = runID
	return ev, err
}

// EvaluateOrg evaluates every test over every resource of the organization
// now: after tests change, or to judge staleness by the clock.
func (s *Service) EvaluateOrg(ctx context.Context, orgID int64) (Evaluation, error) {
	return s.evaluate(ctx, orgID, 0, false)
}

func (s *Service) orgLock(orgID int64) *sync.Mutex {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.evalMu[orgID]
	if !ok {
		m = &sync.Mutex{}
		s.evalMu[orgID] = m
	}
	return m
}

type pairKey struct {
	test     string
	resource int64
}

type judged struct {
	status  model.TestStatus
	message string
	test    *Test
	res     *Resource
}

// selection is the tests one loaded resource is judged with: every test of
// its type (all), or some of them.
type selection struct {
	res  *Resource
	all  bool
	only map[string]bool
}

// evaluate judges the resources of one integration (0: all) and stores the
// changes; incrementally when asked and the integration's mark allows.
func (s *Service) evaluate(ctx context.Context, orgID, integrationID int64, incremental bool) (Evaluation, error) {
	lock := s.orgLock(orgID)
	lock.Lock()
	defer lock.Unlock()
	now := s.Now().UTC()
	ev := Evaluation{OrgID: orgID, At: now, Results: []Result{}, Changes: []model.StatusChange{}}
	eng, err := s.engine(ctx, orgID)
	if err != nil {
		return ev, err
	}
	ost := s.Store.Org(orgID)
	// Read before any resource: every change of these runs is stored, so a
	// mark that records them has seen them.
	finished, err := ost.FinishedRuns(ctx)
	if err != nil {
		return ev, err
	}
	states, err := ost.ListingStates(ctx)
	if err != nil {
		return ev, err
	}
	type lkey struct {
		in  int64
		typ string
	}
	stateOf := map[lkey]store.ListingState{}
	intTypes := map[string]bool{} // types the integration collects
	for _, l := range states {
		stateOf[lkey{l.IntegrationID, l.ResourceType}] = l
		if l.IntegrationID == integrationID {
			intTypes[l.ResourceType] = true
		}
	}
	tested := map[string]bool{}
	for _, t := range eng.Types() {
		tested[t] = true
	}
	byLookup, lookupAny := eng.lookupTypes()

	// The tests to run beyond the integration's own resources: those that
	// look up a type it collects.
	var dependent map[string]bool
	if integrationID != 0 {
		dependent = map[string]bool{}
		for t := range intTypes {
			for _, c := range byLookup[t] {
				dependent[c.ID] = true
			}
		}
		for _, c := range lookupAny {
			dependent[c.ID] = true
		}
	}
	depTypes := map[string]bool{}
	for id := range dependent {
		c := eng.byID[id]
		for _, t := range c.ResourceTypes {
			depTypes[t] = true
		}
	}

	// Incremental when the integration's mark was made with these tests
	// under this name.
	var mark store.EvaluationMark
	inc := false
	intName := ""
	if integrationID != 0 {
		in, _, err := ost.Integration(ctx, integrationID)
		if err != nil {
			return ev, err
		}
		intName = in.Name
		if incremental && in.RemovedAt == nil {
			m, ok, err := ost.EvaluationMark(ctx, integrationID)
			if err != nil {
				return ev, err
			}
			mark = m
			inc = ok && m.Tests == eng.Signature() && m.Integration == in.Name && m.RunID <= finished[integrationID]
		}
	}
	ev.Incremental = inc

	// Volatile tests, and the types read on every evaluation (kept decoded
	// between evaluations).
	volatile := map[string]bool{}
	cacheable := map[string]bool{}
	for _, c := range eng.tests {
		if c.volatile {
			volatile[c.ID] = true
			for _, t := range c.ResourceTypes {
				cacheable[t] = true
			}
		}
	}
	for t := range byLookup {
		cacheable[t] = true
	}

	seq := s.cache.begin()
	defer s.cache.trim(maxCachedResources)
	sel := map[int64]*selection{}
	var order []*selection
	// decode gives a resource of this evaluation's own (a copy when cached).
	decode := func(r store.EvalResource) (*Resource, error) {
		if cacheable[r.Type] {
			if res := s.cache.get(r, seq); res != nil {
				res.IntegrationID, res.Scope = r.IntegrationID, r.Scope
				return res, nil
			}
		}
		res, err := NewResource(r.ID, r.Type, r.ExternalID, r.Name, r.Attributes)
		if err != nil {
			return nil, fmt.Errorf("resource %d: %w", r.ID, err)
		}
		res.SetIntegration(r.Integration)
		if cacheable[r.Type] {
			res = s.cache.put(r, res, seq)
		}
		res.IntegrationID, res.Scope = r.IntegrationID, r.Scope
		return res, nil
	}
	load := func(r store.EvalResource) (*Resource, error) {
		if got, ok := sel[r.ID]; ok {
			return got.res, nil
		}
		res, err := decode(r)
		if err != nil {
			return nil, err
		}
		if l, ok := stateOf[lkey{r.IntegrationID, r.Type}]; ok {
			hold(res, l, r.LastSeenAt, now)
		}
		x := &selection{res: res}
		sel[r.ID] = x
		order = append(order, x)
		return res, nil
	}
	// judgeAll judges a resource with every test of its type; judgeWith
	// with some (ids; the engine keeps those of its type).
	judgeAll := func(r store.EvalResource) error {
		if !tested[r.Type] {
			return nil
		}
		if _, err := load(r); err != nil {
			return err
		}
		x := sel[r.ID]
		x.all, x.only = true, nil
		return nil
	}
	judgeWith := func(ids map[string]bool) func(store.EvalResource) error {
		return func(r store.EvalResource) error {
			if !tested[r.Type] {
				return nil
			}
			if _, err := load(r); err != nil {
				return err
			}
			x := sel[r.ID]
			if x.all {
				return nil
			}
			if x.only == nil {
				x.only = map[string]bool{}
			}
			for id := range ids {
				x.only[id] = true
			}
			return nil
		}
	}

	var open []store.OpenStatus
	seenOpen := map[int64]bool{}
	addOpen := func(list []store.OpenStatus, keep func(store.OpenStatus) bool) {
		for _, o := range list {
			if !seenOpen[o.ID] && (keep == nil || keep(o)) {
				seenOpen[o.ID] = true
				open = append(open, o)
			}
		}
	}
	var changed map[int64]bool
	switch {
	case integrationID == 0:
		if err := ost.EvalResources(ctx, 0, "", judgeAll); err != nil {
			return ev, err
		}
		got, err := ost.OpenStatuses(ctx)
		if err != nil {
			return ev, err
		}
		addOpen(got, nil)
	case !inc:
		if err := ost.EvalResources(ctx, integrationID, "", judgeAll); err != nil {
			return ev, err
		}
		got, err := ost.OpenStatusesOfIntegration(ctx, integrationID)
		if err != nil {
			return ev, err
		}
		addOpen(got, nil)
	default:
		// Resources changed since the mark, with every test; removed ones
		// only close their intervals.
		changed = map[int64]bool{}
		err := ost.ChangedEvalResources(ctx, integrationID, mark.RunID, func(r store.EvalResource) error {
			changed[r.ID] = true
			if r.Removed {
				s.cache.drop(r.ID)
				return nil
			}
			return judgeAll(r)
		})
		if err != nil {
			return ev, err
		}
		got, err := ost.OpenStatusesOfChanged(ctx, integrationID, mark.RunID)
		if err != nil {
			return ev, err
		}
		// A resource a run changed after the read above is judged next time.
		addOpen(got, func(o store.OpenStatus) bool { return changed[o.ResourceID] })
		// Types whose collection holds resources back differently than at
		// the mark, or per resource, with every test.
		classes := holdClassesOf(states, integrationID, now)
		types := map[string]bool{}
		for t := range classes {
			types[t] = true
		}
		for t := range mark.Holds {
			types[t] = true
		}
		for _, t := range sortedKeys(types) {
			class, ok := classes[t]
			if !ok {
				class = holdNone // no listing: nothing holds it back
			}
			if !tested[t] || (class != holdMixed && class == mark.Holds[t]) {
				continue
			}
			if err := ost.EvalResources(ctx, integrationID, t, judgeAll); err != nil {
				return ev, err
			}
			got, err := ost.OpenStatusesOfType(ctx, integrationID, t)
			if err != nil {
				return ev, err
			}
			addOpen(got, nil)
		}
		// Volatile tests on every resource of the integration they apply to.
		volTypes := map[string]bool{}
		var volTests []string
		for _, c := range eng.tests {
			if !c.volatile {
				continue
			}
			applies := false
			for _, t := range c.ResourceTypes {
				if intTypes[t] {
					applies, volTypes[t] = true, true
				}
			}
			if applies {
				volTests = append(volTests, c.ID)
			}
		}
		sort.Strings(volTests)
		for _, t := range sortedKeys(volTypes) {
			if err := ost.EvalResources(ctx, integrationID, t, judgeWith(volatile)); err != nil {
				return ev, err
			}
		}
		for _, id := range volTests {
			got, err := ost.OpenStatusesOfTestIn(ctx, id, integrationID)
			if err != nil {
				return ev, err
			}
			addOpen(got, nil)
		}
	}
	if integrationID != 0 {
		// The tests that look up what the integration collects, on their
		// resources in other integrations.
		for _, t := range sortedKeys(depTypes) {
			err := ost.EvalResources(ctx, 0, t, func(r store.EvalResource) error {
				if r.IntegrationID == integrationID {
					return nil
				}
				return judgeWith(dependent)(r)
			})
			if err != nil {
				return ev, err
			}
		}
		for _, id := range sortedKeys(dependent) {
			got, err := ost.OpenStatusesOfTest(ctx, id)
			if err != nil {
				return ev, err
			}
			addOpen(got, nil)
		}
	}

	// The world lookups search: every present resource of a looked-up type,
	// read only when a test that will run looks something up.
	world := NewWorld(nil)
	if needsWorld(eng, order) {
		var lookupTypes []string
		for t := range byLookup {
			lookupTypes = append(lookupTypes, t)
		}
		sort.Strings(lookupTypes)
		if len(lookupAny) > 0 {
			lookupTypes = []string{""}
		}
		for _, t := range lookupTypes {
			err := ost.EvalResources(ctx, 0, t, func(r store.EvalResource) error {
				if x, ok := sel[r.ID]; ok {
					world.Add(x.res)
					return nil
				}
				res, err := decode(r)
				if err == nil {
					world.Add(res)
				}
				return err
			})
			if err != nil {
				return ev, err
			}
		}
	}

	results := map[pairKey]judged{}
	for _, x := range order {
		r := x.res
		only := x.only
		if x.all {
			only = nil
		}
		eng.Evaluate(r, world, now, only, func(o Outcome) {
			results[pairKey{o.Test.ID, r.ID}] = judged{status: o.Status, message: o.Message, test: o.Test, res: r}
		})
	}

	exceptions, err := ost.Exceptions(ctx, store.ExceptionFilter{})
	if err != nil {
		return ev, err
	}
	for k, j := range results {
		r := Result{Test: k.test, Resource: j.res.ExternalID, ResourceID: j.res.ID, ResourceType: j.res.Type, ResourceName: j.res.Name,
			Integration: j.res.Integration, Status: j.status, Message: j.message, Severity: j.test.Severity}
		if r.Status.Failing() {
			r.ExceptionID = activeException(exceptions, k.test, j.res.ID, now)
		}
		ev.Results = append(ev.Results, r)
	}
	sortResults(ev.Results)

	// The marks this evaluation makes: of every integration it judged whole.
	old, err := ost.EvaluationMarks(ctx)
	if err != nil {
		return ev, err
	}
	var marks []store.EvaluationMark
	markOf := func(id int64, name string) store.EvaluationMark {
		return store.EvaluationMark{IntegrationID: id, Tests: eng.Signature(), Integration: name, RunID: finished[id],
			Holds: holdClassesOf(states, id, now), EvaluatedAt: now}
	}
	switch {
	case integrationID == 0:
		names := map[int64]string{}
		for _, l := range states {
			names[l.IntegrationID] = l.Integration
		}
		for _, id := range sortedKeys(names) {
			if m := markOf(id, names[id]); !sameMark(old[id], m) {
				marks = append(marks, m)
			}
		}
	case !inc:
		if m := markOf(integrationID, intName); !sameMark(old[integrationID], m) {
			marks = append(marks, m)
		}
	default:
		// Unchanged runs leave the mark alone (nothing is written): the
		// resources changed after its run are the same set.
		m := markOf(integrationID, intName)
		if !maps.Equal(m.Holds, mark.Holds) || (len(changed) > 0 && m.RunID != mark.RunID) {
			marks = append(marks, m)
		}
	}

	changes, err := s.store(ctx, ost, eng, results, open, marks, now)
	if err != nil {
		return ev, err
	}
	ev.Changes = changes
	if err := s.recordExpiries(ctx, ost, exceptions, now); err != nil {
		return ev, err
	}
	ev.Summary = summarize(ev.Results, len(eng.tests))
	ev.Summary.Changes = len(changes)
	s.Log.Debug("evaluated tests", "org_id", orgID, "integration_id", integrationID, "incremental", inc,
		"evaluations", len(ev.Results), "changes", len(changes), "cached_resources", s.cache.size())
	return ev, nil
}

// needsWorld reports whether a test that will run looks resources up.
func needsWorld(eng *Engine, order []*selection) bool {
	memo := map[string]bool{}
	for _, x := range order {
		if x.all {
			v, ok := memo[x.res.Type]
			if !ok {
				for _, c := range eng.byType[x.res.Type] {
					v = v || c.lookupAny || len(c.lookupTypes) > 0
				}
				memo[x.res.Type] = v
			}
			if v {
				return true
			}
			continue
		}
		for _, c := range eng.byType[x.res.Type] {
			if x.only[c.ID] && (c.lookupAny || len(c.lookupTypes) > 0) {
				return true
			}
		}
	}
	return false
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}

// hold keeps a resource from passing when its data cannot be trusted: its
// latest listing (or the listing's part holding it) failed → error; it has
// not been refreshed within two collection intervals → skipped.
func hold(r *Resource, l store.ListingState, lastSeen, now time.Time) {
	switch {
	case l.LastStatus == model.RunFailed:
		r.Hold = string(model.TestError)
		r.HoldReason = fmt.Sprintf("the latest collection of %s by %s failed (%s): %s", r.Type, l.Integration,
			l.LastAttemptAt.Format(time.RFC3339), short(l.Error, 300))
		return
	case l.LastStatus == model.RunPartial:
		if why, failed := l.FailedScopes[r.Scope]; failed {
			r.Hold = string(model.TestError)
			r.HoldReason = fmt.Sprintf("the latest collection of %s by %s could not read %s (%s): %s", r.Type, l.Integration,
				scopeLabel(r.Scope), l.LastAttemptAt.Format(time.RFC3339), short(why, 300))
			return
		}
	}
	fresh := lastSeen
	if l.LastCompleteAt != nil && l.LastCompleteAt.After(fresh) {
		fresh = *l.LastCompleteAt
	}
	interval := l.Interval
	if interval <= 0 {
		interval = model.DefaultInterval
	}
	if now.Sub(fresh) > 2*interval {
		r.Hold = string(model.TestSkipped)
		r.HoldReason = fmt.Sprintf("stale: last refreshed %s, more than two collection intervals (%s each) ago; %s is not judged on old data",
			fresh.Format(time.RFC3339), interval, r.Type)
	}
}

func scopeLabel(s string) string {
	if s == "" {
		return "its part of the system"
	}
	return s
}

func activeException(es []model.Exception, test string, resourceID int64, now time.Time) int64 {
	for _, e := range es {
		if e.Covers(test, resourceID) && e.ActiveAt(now) {
			return e.ID
		}
	}
	return 0
}

// store writes what changed, in one transaction: closes and opens
// intervals, records the transitions, puts them on the ledger, and records
// the evaluation's marks.
func (s *Service) store(ctx context.Context, ost *store.OrgStore, eng *Engine, results map[pairKey]judged, open []store.OpenStatus,
	marks []store.EvaluationMark, now time.Time) ([]model.StatusChange, error) {
	type change struct {
		close   int64 // interval to close, 0 for none
		openNew bool
		key     pairKey
		j       judged
		from    model.TestStatus
		record  bool
	}
	var todo []change
	seen := map[pairKey]bool{}
	for _, o := range open {
		k := pairKey{o.TestID, o.ResourceID}
		seen[k] = true
		j, ok := results[k]
		switch {
		case !ok:
			// No longer judged: the resource was removed, its where is now
			// false, or the test is gone. A failure that ends so is news.
			todo = append(todo, change{close: o.ID, key: k, from: o.Status, record: o.Status.Failing(), j: judged{message: "no longer judged: the resource was removed, or the test no longer applies to it"}})
		case j.status != o.Status:
			todo = append(todo, change{close: o.ID, openNew: true, key: k, j: j, from: o.Status, record: true})
		}
	}
	for k, j := range results {
		if !seen[k] {
			todo = append(todo, change{openNew: true, key: k, j: j, record: j.status != model.TestPass})
		}
	}
	if len(todo) == 0 && len(marks) == 0 {
		return []model.StatusChange{}, nil // an unchanged system writes nothing
	}
	sort.Slice(todo, func(i, j int) bool {
		if todo[i].key.test != todo[j].key.test {
			return todo[i].key.test < todo[j].key.test
		}
		return todo[i].key.resource < todo[j].key.resource
	})
	// Resources no longer judged still need their names for the record.
	var missing []int64
	for _, c := range todo {
		if c.record && c.j.res == nil {
			missing = append(missing, c.key.resource)
		}
	}
	names := map[int64]model.Resource{}
	for _, id := range missing {
		r, err := ost.Resource(ctx, id)
		if err != nil && !errors.Is(err, model.ErrNotFound) {
			return nil, err
		}
		names[id] = r
	}
	var out []model.StatusChange
	err := ost.InTx(ctx, func(tx *store.OrgStore) error {
		out = out[:0]
		for _, m := range marks {
			if err := tx.SaveEvaluationMark(ctx, m); err != nil {
				return err
			}
		}
		if len(todo) == 0 {
			return nil
		}
		w, err := tx.StatusWriter(ctx)
		if err != nil {
			return err
		}
		defer w.Close()
		for _, c := range todo {
			if c.close != 0 {
				if err := w.CloseStatus(ctx, c.close, now); err != nil {
					return err
				}
			}
			if c.openNew {
				if err := w.OpenStatus(ctx, c.key.test, c.key.resource, c.j.status, short(c.j.message, 1000), now); err != nil {
					return err
				}
			}
			if !c.record {
				continue
			}
			sc := model.StatusChange{TestID: c.key.test, ResourceID: c.key.resource, From: c.from, To: c.j.status, Message: short(c.j.message, 1000), At: now}
			t := c.j.test
			if t == nil {
				if got, ok := eng.byID[c.key.test]; ok {
					t = got.Test
				}
			}
			if t != nil {
				sc.TestTitle, sc.Severity, sc.Controls = t.Title, t.Severity, append([]string{}, t.Controls...)
			} else {
				sc.TestTitle, sc.Severity, sc.Controls = c.key.test+" (removed)", model.SeverityLow, []string{}
			}
			if r := c.j.res; r != nil {
				sc.ResourceType, sc.ResourceName, sc.IntegrationID, sc.Integration = r.Type, r.Name, r.IntegrationID, r.Integration
			} else {
				r := names[c.key.resource]
				sc.ResourceType, sc.ResourceName, sc.IntegrationID, sc.Integration = r.Type, r.Name, r.IntegrationID, r.Integration
			}
			got, err := w.InsertStatusChange(ctx, sc)
			if err != nil {
				return err
			}
			out = append(out, got)
		}
		if len(out) == 0 {
			return nil
		}
		return appendChanges(ctx, tx, out, now)
	})
	if err != nil {
		return nil, fmt.Errorf("cannot store test results: %w", err)
	}
	if out == nil {
		out = []model.StatusChange{}
	}
	return out, nil
}

// inlineChanges is how many changes a ledger entry lists in full; all of
// them are covered by its digest.
const inlineChanges = 100

// appendChanges puts one evaluation's status changes on the ledger as one
// entry: their id range, count and the SHA-256 of their canonical JSON
// (docs/tests.md says how to recompute it), with the first 100 inline.
func appendChanges(ctx context.Context, tx *store.OrgStore, cs []model.StatusChange, now time.Time) error {
	type rec struct {
		ID         int64  `json:"id"`
		Test       string `json:"test"`
		ResourceID int64  `json:"resource_id"`
		From       string `json:"from"`
		To         string `json:"to"`
		At         string `json:"at"`
	}
	all := make([]rec, len(cs))
	for i, c := range cs {
		all[i] = rec{ID: c.ID, Test: c.TestID, ResourceID: c.ResourceID, From: string(c.From), To: string(c.To), At: c.At.UTC().Format(ledger.TimeLayout)}
	}
	canon, err := ledger.Canonical(all)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(canon)
	inline := all
	if len(inline) > inlineChanges {
		inline = inline[:inlineChanges]
	}
	_, err = ledger.Append(ctx, tx.Store(), tx.ID(), ledger.Record{
		Kind:    ledger.KindTestStatusChanged,
		Actor:   model.SystemActor("tests"),
		Subject: fmt.Sprintf("status_changes:%d-%d", cs[0].ID, cs[len(cs)-1].ID),
		Payload: map[string]any{"count": len(cs), "first_id": cs[0].ID, "last_id": cs[len(cs)-1].ID,
			"sha256": hex.EncodeToString(sum[:]), "changes": inline},
		Time: now,
	})
	return err
}

// recordExpiries puts each exception that has expired since the last look
// on the ledger, once.
func (s *Service) recordExpiries(ctx context.Context, ost *store.OrgStore, es []model.Exception, now time.Time) error {
	for _, e := range es {
		if e.RevokedAt != nil || e.ExpiryRecorded != nil || now.Before(e.ExpiresAt) {
			continue
		}
		err := ost.InTx(ctx, func(tx *store.OrgStore) error {
			first, err := tx.RecordExceptionExpiry(ctx, e.ID, now)
			if err != nil || !first {
				return err
			}
			_, err = ledger.Append(ctx, tx.Store(), tx.ID(), ledger.Record{Kind: ledger.KindExceptionClosed, Actor: model.SystemActor("tests"),
				Subject: fmt.Sprintf("exception:%d", e.ID), Time: now,
				Payload: map[string]any{"test": e.TestID, "resource_id": e.ResourceID, "reason": "expired",
					"expires_at": e.ExpiresAt.UTC().Format(ledger.TimeLayout)}})
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}
