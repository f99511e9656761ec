package check

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/assurehq/assure/internal/model"

	"github.com/assurehq/assure/internal/catalog"
	"github.com/assurehq/assure/internal/connector/builtin"
)

// builtinChecker checks names against the real connectors and library.
func builtinChecker(t testing.TB) Checker {
	t.Helper()
	reg, err := builtin.Registry()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	return LibraryChecker(reg, catalog.NewService(nil, cat, nil, nil))
}

func builtinEngine(t testing.TB) *Engine {
	t.Helper()
	srcs, err := BuiltinSources()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := Compile(srcs, builtinChecker(t))
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func TestBuiltinsCompile(t *testing.T) {
	eng := builtinEngine(t)
	if n := len(eng.Tests()); n == 0 {
		t.Fatal("no built-in tests")
	}
}

// caseEntry is a passing and a failing resource for one built-in test
// (testdata/cases/*.yaml). Type picks the resource type when the test has
// several; World holds resources lookup() finds.
type caseEntry struct {
	Test  string         `yaml:"test"`
	Type  string         `yaml:"type"`
	Pass  map[string]any `yaml:"pass"`
	Fail  map[string]any `yaml:"fail"`
	World []struct {
		Type       string         `yaml:"type"`
		ID         string         `yaml:"id"`
		Attributes map[string]any `yaml:"attributes"`
	} `yaml:"world"`
}

// caseNow is the clock the cases are written for.
var caseNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// TestBuiltinCases runs every built-in test on its passing and its failing
// case, and fails for a built-in test without both.
func TestBuiltinCases(t *testing.T) {
	eng := builtinEngine(t)
	files, err := filepath.Glob("testdata/cases/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cases []caseEntry
		if err := yaml.Unmarshal(b, &cases); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range cases {
			def, ok := eng.Test(c.Test)
			if !ok {
				t.Errorf("%s: case for unknown test %s", f, c.Test)
				continue
			}
			if c.Pass == nil || c.Fail == nil {
				t.Errorf("%s: %s needs both a pass and a fail case", f, c.Test)
			}
			covered[c.Test] = true
			typ := c.Type
			if typ == "" {
				typ = def.ResourceTypes[0]
			}
			for _, want := range []struct {
				status model.TestStatus
				attrs  map[string]any
			}{{model.TestPass, c.Pass}, {model.TestFail, c.Fail}} {
				var rs []*Resource
				for i, w := range c.World {
					rs = append(rs, mustResource(t, w.Type, w.ID+fmt.Sprint(i), w.Attributes))
				}
				r := mustResource(t, typ, "case", want.attrs)
				got := evalOne(eng, r, NewWorld(append(rs, r)), c.Test)
				if got.Status != want.status {
					t.Errorf("%s (%s case): got %s (%s)", c.Test, want.status, got.Status, got.Message)
				}
			}
		}
	}
	for _, def := range eng.Tests() {
		if !covered[def.ID] {
			t.Errorf("built-in test %s has no case in testdata/cases", def.ID)
		}
	}
	if n := len(eng.Tests()); n < 80 {
		t.Errorf("%d built-in tests; the product promises at least 80", n)
	}
}

// mustResource builds a resource from YAML-decoded attributes (through
// JSON, as stored attributes are).
func mustResource(t testing.TB, typ, id string, attrs map[string]any) *Resource {
	t.Helper()
	b, err := json.Marshal(attrs)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewResource(0, typ, id, id, b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// evalOne runs one test on one resource; a test that does not apply gives
// an empty status.
func evalOne(eng *Engine, r *Resource, w *World, test string) Outcome {
	var got Outcome
	eng.Evaluate(r, w, caseNow, map[string]bool{test: true}, func(o Outcome) { got = o })
	return got
}

var updateDocs = flag.Bool("update", false, "rewrite the generated section of docs/tests.md")

// docs/tests.md lists every built-in test. Regenerate the list with:
// go test ./internal/check -run TestTestsDocIsCurrent -update
func TestTestsDocIsCurrent(t *testing.T) {
	const path = "../../docs/tests.md"
	const begin, end = "<!-- BEGIN GENERATED: go test ./internal/check -run TestTestsDocIsCurrent -update -->\n", "<!-- END GENERATED -->"
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i, j := bytes.Index(doc, []byte(begin)), bytes.Index(doc, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("%s lacks the generated section markers", path)
	}
	want := append(append(append([]byte{}, doc[:i+len(begin)]...), builtinEngine(t).ReferenceDoc()+"\n"...), doc[j:]...)
	if *updateDocs {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(doc, want) {
		t.Errorf("%s is stale: regenerate it with `go test ./internal/check -run TestTestsDocIsCurrent -update`", path)
	}
}

// TestBuiltinCasesUnknownNeverPass makes every field a built-in test reads
// unknown (null) in its passing case, one at a time: the test must then not
// pass (error, or not apply), whatever its CEL does with a null.
func TestBuiltinCasesUnknownNeverPass(t *testing.T) {
	eng := builtinEngine(t)
	files, err := filepath.Glob("testdata/cases/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cases []caseEntry
		if err := yaml.Unmarshal(b, &cases); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range cases {
			def, ok := eng.Test(c.Test)
			if !ok {
				continue
			}
			typ := c.Type
			if typ == "" {
				typ = def.ResourceTypes[0]
			}
			read := map[string]bool{}
			cp := eng.byID[c.Test]
			for _, p := range append(append([][]string{}, cp.wherePaths...), cp.assertPaths...) {
				read[p[0]] = true
			}
			for key := range c.Pass {
				if !read[key] {
					continue
				}
				attrs := map[string]any{}
				for k, v := range c.Pass {
					attrs[k] = v
				}
				attrs[key] = nil
				var rs []*Resource
				for i, w := range c.World {
					rs = append(rs, mustResource(t, w.Type, w.ID+fmt.Sprint(i), w.Attributes))
				}
				r := mustResource(t, typ, "case", attrs)
				if got := evalOne(eng, r, NewWorld(append(rs, r)), c.Test); got.Status == model.TestPass {
					t.Errorf("%s passes with %s unknown", c.Test, key)
				}
			}
		}
	}
}

// The joiner tests leave out service accounts named by the convention in
// docs/tests.md, and only them.
func TestJoinerTestsSkipServiceAccounts(t *testing.T) {
	eng := builtinEngine(t)
	for _, c := range []struct {
		typ, test string
		attrs     map[string]any
		applies   bool
	}{
		{"okta.user", "okta.user.in_hr_roster", map[string]any{"enabled": true, "email": "svc-deploy@acme.test"}, false},
		{"okta.user", "okta.user.in_hr_roster", map[string]any{"enabled": true, "email": "bot.ci@acme.test"}, false},
		{"okta.user", "okta.user.in_hr_roster", map[string]any{"enabled": true, "email": "service_backup@acme.test"}, false},
		{"okta.user", "okta.user.in_hr_roster", map[string]any{"enabled": true, "email": "svcadmin@acme.test"}, true},
		{"okta.user", "okta.user.in_hr_roster", map[string]any{"enabled": true, "email": "robot-1@acme.test"}, true},
		{"google_workspace.user", "google_workspace.user.in_hr_roster", map[string]any{"active": true, "email": "svc.mailer@acme.test"}, false},
		{"google_workspace.user", "google_workspace.user.in_hr_roster", map[string]any{"active": true, "email": "anna@acme.test"}, true},
		{"github.member", "github.member.in_hr_roster", map[string]any{"type": "User", "login": "SVC-release", "email": "x@acme.test"}, false},
		{"github.member", "github.member.in_hr_roster", map[string]any{"type": "Bot", "login": "renovate", "email": "x@acme.test"}, false},
		{"github.member", "github.member.in_hr_roster", map[string]any{"type": "User", "login": "botanist", "email": "x@acme.test"}, true},
	} {
		got := evalOne(eng, mustResource(t, c.typ, "acct", c.attrs), NewWorld(nil), c.test)
		if applies := got.Status != ""; applies != c.applies {
			t.Errorf("%s on %v: applies %v, want %v (%s %s)", c.test, c.attrs, applies, c.applies, got.Status, got.Message)
		}
		if c.applies && got.Status != model.TestFail {
			t.Errorf("%s on %v with an empty roster: %s, want fail", c.test, c.attrs, got.Status)
		}
	}
}
