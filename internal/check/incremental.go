package check

import (
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// Incremental evaluation (docs/tests.md, "When tests run").
//
// A result is a function of the test's definition, the resource's
// attributes and labels (name, scope, integration name), whether its
// collection holds it back (hold), and — for volatile tests only — the
// clock and the resources lookup() finds. After an evaluation that judged
// every resource of an integration, its mark (store.EvaluationMark)
// records the tests' signature, the integration's name, the latest
// finished run whose changes it saw, and each resource type's hold class.
// Only an evaluation that also writes the mark judges the non-volatile
// tests on the integration's resources, so their open intervals are the
// results of that moment. A later evaluation with the same signature and
// name judges again:
//
//   - every resource a run after the mark's added, changed, relabeled,
//     removed or brought back (resources.changed_run_id), with every test;
//   - every resource of a type whose hold class is mixed now, or differs
//     from the mark's, with every test;
//   - every resource of the integration with the volatile tests;
//   - the tests that look up a type the integration collects, on their
//     resources elsewhere (as a full evaluation of the run does).
//
// For any other pair of test and resource nothing its result depends on
// changed since the mark: its open interval is already the result a full
// evaluation would give, so leaving it alone writes exactly what the full
// evaluation would (TestIncrementalEqualsFull checks it on random runs).

// A hold class says how a resource type's latest collection by one
// integration holds its resources back at a moment.
const (
	holdNone  = "none"  // none of them: the listing succeeded and is fresh
	holdError = "error" // all of them, as error: the listing failed
	holdMixed = "mixed" // it depends on each resource (a partial or stale listing)
)

// holdClassOf is hold()'s decision for a whole type at once, where it is
// the same for every resource.
func holdClassOf(l store.ListingState, now time.Time) string {
	switch l.LastStatus {
	case model.RunFailed:
		return holdError
	case model.RunSucceeded:
		interval := l.Interval
		if interval <= 0 {
			interval = model.DefaultInterval
		}
		// Every resource's freshness is at least the listing's last
		// complete run, so none of them is stale.
		if l.LastCompleteAt != nil && now.Sub(*l.LastCompleteAt) <= 2*interval {
			return holdNone
		}
	}
	return holdMixed
}

// holdClassesOf gives the class of each type an integration has listed.
func holdClassesOf(states []store.ListingState, integrationID int64, now time.Time) map[string]string {
	out := map[string]string{}
	for _, l := range states {
		if l.IntegrationID == integrationID {
			out[l.ResourceType] = holdClassOf(l, now)
		}
	}
	return out
}

// sameMark reports whether writing m over old would change nothing.
func sameMark(old, m store.EvaluationMark) bool {
	return old.Tests == m.Tests && old.Integration == m.Integration && old.RunID == m.RunID && maps.Equal(old.Holds, m.Holds)
}

// maxCachedResources bounds the decoded resources kept between
// evaluations (about 2–5 KB each).
const maxCachedResources = 100_000

// resourceCache keeps decoded resources between evaluations, by resource
// id, valid for one version and one name and integration name (which the
// attributes carry). Only the types read on every evaluation are kept:
// those of volatile tests, and those lookup() searches. Entries are never
// changed once stored; each evaluation works on copies.
type resourceCache struct {
	mu   sync.Mutex
	seq  uint64
	byID map[int64]*cachedResource
}

type cachedResource struct {
	versionID         int64
	name, integration string
	res               *Resource
	used              uint64
}

// begin starts an evaluation's use of the cache.
func (c *resourceCache) begin() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	if c.byID == nil {
		c.byID = map[int64]*cachedResource{}
	}
	return c.seq
}

// get returns a copy of the cached resource, or nil.
func (c *resourceCache) get(r store.EvalResource, seq uint64) *Resource {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byID[r.ID]
	if !ok || e.versionID != r.VersionID || e.name != r.Name || e.integration != r.Integration {
		return nil
	}
	e.used = seq
	cp := *e.res
	return &cp
}

// put keeps res (converted to CEL values first) and returns a copy.
func (c *resourceCache) put(r store.EvalResource, res *Resource, seq uint64) *Resource {
	res.value()
	res.hasNull()
	c.mu.Lock()
	c.byID[r.ID] = &cachedResource{versionID: r.VersionID, name: r.Name, integration: r.Integration, res: res, used: seq}
	c.mu.Unlock()
	cp := *res
	return &cp
}

func (c *resourceCache) drop(id int64) {
	c.mu.Lock()
	delete(c.byID, id)
	c.mu.Unlock()
}

// trim drops the least recently used entries beyond the bound.
func (c *resourceCache) trim(limit int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.byID) <= limit {
		return
	}
	type aged struct {
		id   int64
		used uint64
	}
	all := make([]aged, 0, len(c.byID))
	for id, e := range c.byID {
		all = append(all, aged{id, e.used})
	}
	slices.SortFunc(all, func(a, b aged) int {
		switch {
		case a.used < b.used:
			return -1
		case a.used > b.used:
			return 1
		}
		return 0
	})
	for _, a := range all[:len(all)-limit*3/4] {
		delete(c.byID, a.id)
	}
}

func (c *resourceCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byID)
}
