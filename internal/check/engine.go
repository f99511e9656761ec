package check

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"

	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/model"
)

// Source is one definitions file to compile.
type Source struct {
	File   string
	Data   []byte
	Origin string
}

// Engine holds compiled tests: each program is compiled once and reused for
// every resource and every evaluation. It is safe for concurrent use.
type Engine struct {
	env    *cel.Env
	tests  []*compiled
	byID   map[string]*compiled
	byType map[string][]*compiled

	sigOnce sync.Once
	sig     string
}

// Signature identifies what the tests judge: a SHA-256 over each test's id,
// resource types, where and assert, in id order. Titles, severities and
// remediation do not change a result, so they are left out. Incremental
// evaluation starts over when it differs from the one it last used.
func (e *Engine) Signature() string {
	e.sigOnce.Do(func() {
		ids := make([]string, 0, len(e.byID))
		for id := range e.byID {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		h := sha256.New()
		for _, id := range ids {
			c := e.byID[id]
			fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00", id, strings.Join(c.ResourceTypes, ","), c.Where, c.Assert)
		}
		e.sig = hex.EncodeToString(h.Sum(nil))
	})
	return e.sig
}

// Compile parses, checks and compiles definitions. Every problem in every
// file is reported at once, each with its file and line.
func Compile(sources []Source, chk Checker) (*Engine, error) {
	env, err := newEnv()
	if err != nil {
		return nil, fmt.Errorf("cannot build the CEL environment: %w", err)
	}
	e := &Engine{env: env, byID: map[string]*compiled{}, byType: map[string][]*compiled{}}
	if err := e.add(sources, chk); err != nil {
		return nil, err
	}
	return e, nil
}

// With returns an engine with the tests of e and more (an organization's
// own tests); e is unchanged and its compiled programs are shared.
func (e *Engine) With(more []Source, chk Checker) (*Engine, error) {
	n := &Engine{env: e.env, byID: map[string]*compiled{}, byType: map[string][]*compiled{}}
	for _, c := range e.tests {
		n.put(c)
	}
	if err := n.add(more, chk); err != nil {
		return nil, err
	}
	return n, nil
}

func (e *Engine) put(c *compiled) {
	e.tests = append(e.tests, c)
	e.byID[c.ID] = c
	for _, t := range c.ResourceTypes {
		e.byType[t] = append(e.byType[t], c)
	}
}

func (e *Engine) add(sources []Source, chk Checker) error {
	var probs []Problem
	for _, src := range sources {
		ps, pp := ParseFile(src.File, src.Data, src.Origin)
		probs = append(probs, pp...)
		for _, p := range ps {
			if prev, dup := e.byID[p.ID]; dup {
				probs = append(probs, Problem{File: p.File, Line: p.Line, Message: fmt.Sprintf("test id %q is already defined (%s)", p.ID, where(prev.Test))})
				continue
			}
			c, cp := compile(e.env, p, chk)
			probs = append(probs, cp...)
			if len(cp) == 0 {
				e.put(c)
			}
		}
	}
	if len(probs) > 0 {
		return &DefinitionError{Problems: probs}
	}
	return nil
}

func where(t *Test) string {
	if t.Origin == OriginBuiltin {
		return "a built-in test"
	}
	if t.Line > 0 {
		return fmt.Sprintf("%s:%d", t.File, t.Line)
	}
	return t.File
}

// Tests returns the definitions, sorted by id.
func (e *Engine) Tests() []Test {
	out := make([]Test, 0, len(e.tests))
	for _, c := range e.tests {
		out = append(out, *c.Test)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Test returns one definition.
func (e *Engine) Test(id string) (Test, bool) {
	c, ok := e.byID[id]
	if !ok {
		return Test{}, false
	}
	return *c.Test, true
}

// Types lists the resource types some test applies to.
func (e *Engine) Types() []string {
	out := make([]string, 0, len(e.byType))
	for t := range e.byType {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// LookupTypes lists the types the tests of resourceTypes look up (nil and
// true when some lookup's type is not a constant).
func (e *Engine) lookupTypes() (map[string][]*compiled, []*compiled) {
	by := map[string][]*compiled{}
	var any []*compiled
	for _, c := range e.tests {
		for _, t := range c.lookupTypes {
			by[t] = append(by[t], c)
		}
		if c.lookupAny {
			any = append(any, c)
		}
	}
	return by, any
}

// emptyWorld serves lookups when no world is given: they find nothing.
var emptyWorld = NewWorld(nil)

// Outcome is a test's result for one resource.
type Outcome struct {
	Test    *Test
	Status  model.TestStatus
	Message string
}

// Evaluate runs every test that applies to r's type (only tests when
// non-nil) and calls fn with each outcome; a test whose where is false gives
// no outcome. w serves lookup() (nil: lookups find nothing).
func (e *Engine) Evaluate(r *Resource, w *World, now time.Time, only map[string]bool, fn func(Outcome)) {
	tests := e.byType[r.Type]
	if len(tests) == 0 {
		return
	}
	if w == nil {
		w = emptyWorld
	}
	act := &activation{resource: r.value(), now: types.Timestamp{Time: now}, world: w}
	for _, c := range tests {
		if only != nil && !only[c.ID] {
			continue
		}
		if st, msg, ok := c.run(r, act); ok {
			fn(Outcome{Test: c.Test, Status: st, Message: msg})
		}
	}
}

// run judges one resource; ok is false when the test does not apply.
func (c *compiled) run(r *Resource, act *activation) (model.TestStatus, string, bool) {
	nulls := r.hasNull()
	if c.where != nil {
		if nulls {
			if msg, unknown := unknownPath(r.Attrs, c.wherePaths); unknown {
				return model.TestError, msg, true
			}
		}
		v, _, err := c.where.Eval(act)
		if err != nil {
			return model.TestError, "where: " + evalError(err), true
		}
		b, ok := v.(types.Bool)
		if !ok {
			return model.TestError, fmt.Sprintf("where gave %s, not true or false", v.Type().TypeName()), true
		}
		if !b {
			return "", "", false
		}
	}
	if r.Hold != "" {
		return model.TestStatus(r.Hold), r.HoldReason, true
	}
	if nulls {
		if msg, unknown := unknownPath(r.Attrs, c.assertPaths); unknown {
			return model.TestError, msg, true
		}
	}
	v, _, err := c.assert.Eval(act)
	if err != nil {
		return model.TestError, evalError(err), true
	}
	b, ok := v.(types.Bool)
	if !ok {
		return model.TestError, fmt.Sprintf("the assertion gave %s, not true or false", valueType(v)), true
	}
	if b {
		return model.TestPass, "", true
	}
	return model.TestFail, failMessage(r.Attrs, c.assertPaths), true
}

func valueType(v ref.Val) string {
	if v == nil {
		return "nothing"
	}
	return v.Type().TypeName()
}

func evalError(err error) string {
	msg := err.Error()
	var e interface{ Unwrap() error }
	if errors.As(err, &e) && e.Unwrap() != nil {
		msg = e.Unwrap().Error()
	}
	return "cannot evaluate: " + msg
}

// unknownPath reports the first path that is null on the resource: its
// value could not be determined, so the test cannot pass.
func unknownPath(attrs map[string]any, paths [][]string) (string, bool) {
	for _, p := range paths {
		var cur any = attrs
		for i, f := range p {
			m, ok := cur.(map[string]any)
			if !ok {
				break // a list or a scalar: CEL reports misuse itself
			}
			v, present := m[f]
			if !present {
				break // absent: CEL reports "no such key" unless has() guards it
			}
			if v == nil {
				name := strings.Join(p[:i+1], ".")
				return fmt.Sprintf("cannot judge: %s is unknown (%s)", name, unknownReason(attrs, p[:i+1])), true
			}
			cur = v
		}
	}
	return "", false
}

func unknownReason(attrs map[string]any, path []string) string {
	u, _ := attrs[connector.AttrUnknown].(map[string]any)
	for i := len(path); i > 0; i-- {
		if r, ok := u[strings.Join(path[:i], ".")].(string); ok && r != "" {
			return r
		}
	}
	return "the connector could not determine it"
}

// failMessage shows the values the assertion read, so a person sees why.
func failMessage(attrs map[string]any, paths [][]string) string {
	var parts []string
	for _, p := range paths {
		if len(parts) == 4 {
			break
		}
		var cur any = attrs
		ok := true
		for _, f := range p {
			m, isMap := cur.(map[string]any)
			if !isMap {
				ok = false
				break
			}
			if cur, ok = m[f]; !ok {
				break
			}
		}
		if ok {
			if _, isMap := cur.(map[string]any); isMap {
				continue // the leaf paths say it better
			}
			parts = append(parts, strings.Join(p, ".")+" = "+describe(cur))
		}
	}
	if len(parts) == 0 {
		return "the condition is not met"
	}
	return "not met: " + strings.Join(parts, ", ")
}
