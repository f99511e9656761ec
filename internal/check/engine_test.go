package check

import (
	"errors"
	"strings"
	"testing"

	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/model"
)

// fixtureChecker knows two types and two controls.
func fixtureChecker() Checker {
	types := map[string]connector.TypeInfo{
		"fx.account": {Name: "fx.account", Fields: []connector.Field{{Name: "email"}, {Name: "active"}, {Name: "mfa"}, {Name: "settings"}, {Name: "settings.level"}}},
		"fx.person":  {Name: "fx.person", Fields: []connector.Field{{Name: "email"}, {Name: "left_on"}, {Name: "terminated"}}},
	}
	return Checker{
		Type:    func(n string) (connector.TypeInfo, bool) { ti, ok := types[n]; return ti, ok },
		Control: func(k string) bool { return k == "IAM-02" || k == "IAM-07" },
	}
}

const fixtureTests = `tests:
  - id: fx.account.mfa
    title: Accounts have MFA
    resource_type: fx.account
    where: resource.active
    assert: resource.mfa != false
    severity: high
    controls: [IAM-02]
  - id: fx.account.level
    title: Level is at least 2
    resource_type: [fx.account]
    assert: resource.settings.level >= 2
    severity: low
    controls: [IAM-02]
  - id: fx.account.leaver
    title: No account of a leaver
    resource_type: fx.account
    where: resource.email != null
    assert: '!lookup("fx.person", "email", resource.email).exists(p, days_since(p.left_on) > 1)'
    severity: critical
    controls: [IAM-07]
`

func fixtureEngine(t *testing.T) *Engine {
	t.Helper()
	eng, err := Compile([]Source{{File: "fixture.yaml", Data: []byte(fixtureTests), Origin: OriginDirectory}}, fixtureChecker())
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func TestUnknownValuesNeverPass(t *testing.T) {
	eng := fixtureEngine(t)
	cases := []struct {
		name  string
		test  string
		attrs map[string]any
		want  model.TestStatus
		msg   string
	}{
		{"known true", "fx.account.mfa", map[string]any{"active": true, "mfa": true}, model.TestPass, ""},
		{"known false", "fx.account.mfa", map[string]any{"active": true, "mfa": false}, model.TestFail, "mfa = false"},
		// "mfa != false" is true for null: the guard makes it an error.
		{"null is unknown", "fx.account.mfa", map[string]any{"active": true, "mfa": nil, "unknown": map[string]any{"mfa": "no permission to read MFA devices"}},
			model.TestError, "mfa is unknown (no permission to read MFA devices)"},
		{"null in where", "fx.account.mfa", map[string]any{"active": nil, "mfa": true}, model.TestError, "active is unknown"},
		{"nested null", "fx.account.level", map[string]any{"settings": map[string]any{"level": nil}}, model.TestError, "settings.level is unknown"},
		{"null parent", "fx.account.level", map[string]any{"settings": nil}, model.TestError, "settings is unknown"},
		{"missing field", "fx.account.level", map[string]any{}, model.TestError, "cannot evaluate"},
		{"wrong type", "fx.account.level", map[string]any{"settings": map[string]any{"level": "high"}}, model.TestError, "cannot evaluate"},
		{"null compared explicitly", "fx.account.leaver", map[string]any{"email": nil}, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := evalOne(eng, mustResource(t, "fx.account", "a", c.attrs), nil, c.test)
			if got.Status != c.want || !strings.Contains(got.Message, c.msg) {
				t.Fatalf("got %q %q, want %q containing %q", got.Status, got.Message, c.want, c.msg)
			}
		})
	}
}

func TestLookupAcrossTypes(t *testing.T) {
	eng := fixtureEngine(t)
	people := []*Resource{
		mustResource(t, "fx.person", "p1", map[string]any{"email": "left@acme.test", "left_on": "2026-05-01"}),
		mustResource(t, "fx.person", "p2", map[string]any{"email": "today@acme.test", "left_on": "2026-06-01"}),
		mustResource(t, "fx.person", "p3", map[string]any{"email": "unknown@acme.test", "left_on": nil}),
	}
	for _, c := range []struct {
		email string
		want  model.TestStatus
	}{
		{"left@acme.test", model.TestFail},
		{"today@acme.test", model.TestPass}, // left less than a day ago
		{"stays@acme.test", model.TestPass},
		{"unknown@acme.test", model.TestError}, // days_since(null) cannot pass
	} {
		acct := mustResource(t, "fx.account", c.email, map[string]any{"email": c.email})
		got := evalOne(eng, acct, NewWorld(append(people, acct)), "fx.account.leaver")
		if got.Status != c.want {
			t.Errorf("%s: %s (%s), want %s", c.email, got.Status, got.Message, c.want)
		}
	}
	if by, _ := eng.lookupTypes(); len(by["fx.person"]) != 1 {
		t.Fatalf("lookup types: %v", by)
	}
}

func TestHeldResourcesAreNotJudged(t *testing.T) {
	eng := fixtureEngine(t)
	r := mustResource(t, "fx.account", "a", map[string]any{"active": true, "mfa": true})
	r.Hold, r.HoldReason = string(model.TestError), "the latest collection failed"
	if got := evalOne(eng, r, nil, "fx.account.mfa"); got.Status != model.TestError || got.Message != "the latest collection failed" {
		t.Fatalf("held: %+v", got)
	}
	r2 := mustResource(t, "fx.account", "b", map[string]any{"active": false, "mfa": true})
	r2.Hold = string(model.TestSkipped)
	if got := evalOne(eng, r2, nil, "fx.account.mfa"); got.Status != "" {
		t.Fatalf("a resource outside the test's where is not judged even when held: %+v", got)
	}
}

func TestDefinitionProblemsNameTheLine(t *testing.T) {
	cases := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"syntax error in a block scalar", "tests:\n  - id: fx.a.b\n    title: T\n    resource_type: fx.account\n    severity: low\n    controls: [IAM-02]\n    assert: |\n      resource.active &&\n      resource.mfa ==\n", 9, "assert: Syntax error"},
		{"syntax error inline", "tests:\n  - id: fx.a.b\n    title: T\n    resource_type: fx.account\n    severity: low\n    controls: [IAM-02]\n    assert: resource.active &&& true\n", 7, "Syntax error"},
		{"unknown type", "tests:\n  - id: fx.a.b\n    title: T\n    resource_type: fx.nope\n    severity: low\n    controls: [IAM-02]\n    assert: true\n", 4, `unknown resource type "fx.nope"`},
		{"unknown control", "tests:\n  - id: fx.a.b\n    title: T\n    resource_type: fx.account\n    severity: low\n    controls: [NOPE-1]\n    assert: true\n", 6, `unknown control "NOPE-1"`},
		{"unknown field", "tests:\n  - id: fx.a.b\n    title: T\n    resource_type: fx.account\n    severity: low\n    controls: [IAM-02]\n    assert: resource.mfa_enabled\n", 7, "resource.mfa_enabled, which fx.account does not have"},
		{"not a boolean", "tests:\n  - id: fx.a.b\n    title: T\n    resource_type: fx.account\n    severity: low\n    controls: [IAM-02]\n    assert: size(resource.email)\n", 7, "must be true or false"},
		{"unknown key", "tests:\n  - id: fx.a.b\n    title: T\n    resource_type: fx.account\n    severity: low\n    controls: [IAM-02]\n    assert: true\n    sevrity: high\n", 8, `unknown key "sevrity"`},
		{"bad severity", "tests:\n  - id: fx.a.b\n    title: T\n    resource_type: fx.account\n    severity: urgent\n    controls: [IAM-02]\n    assert: true\n", 5, "severity must be"},
		{"YAML error", "tests:\n  - id: fx.a.b\n    title: T: x\n", 3, "YAML"},
		{"missing assert", "tests:\n  - id: fx.a.b\n    title: T\n    resource_type: fx.account\n    severity: low\n    controls: [IAM-02]\n", 2, "assert is required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Compile([]Source{{File: "custom.yaml", Data: []byte(c.src)}}, fixtureChecker())
			var de *DefinitionError
			if !errors.As(err, &de) {
				t.Fatalf("want a DefinitionError, got %v", err)
			}
			p := de.Problems[0]
			if p.File != "custom.yaml" || p.Line != c.line || !strings.Contains(p.Message, c.msg) {
				t.Fatalf("got %s, want line %d with %q", p, c.line, c.msg)
			}
		})
	}
	// A duplicate id is refused, naming where the first one is.
	dup := fixtureTests + "  - id: fx.account.mfa\n    title: Again\n    resource_type: fx.account\n    assert: true\n    severity: low\n    controls: [IAM-02]\n"
	if _, err := Compile([]Source{{File: "d.yaml", Data: []byte(dup)}}, fixtureChecker()); err == nil || !strings.Contains(err.Error(), "already defined") {
		t.Fatalf("duplicate id: %v", err)
	}
}

func TestOfflineEvaluation(t *testing.T) {
	eng := fixtureEngine(t)
	rs := []*Resource{
		mustResource(t, "fx.account", "a1", map[string]any{"email": "left@acme.test", "active": true, "mfa": false, "settings": map[string]any{"level": 3}}),
		mustResource(t, "fx.person", "p1", map[string]any{"email": "left@acme.test", "left_on": "2026-01-01", "terminated": true}),
	}
	res := EvaluateOffline(eng, rs, caseNow)
	got := map[string]model.TestStatus{}
	for _, r := range res {
		got[r.Test] = r.Status
	}
	want := map[string]model.TestStatus{"fx.account.mfa": model.TestFail, "fx.account.level": model.TestPass, "fx.account.leaver": model.TestFail}
	if len(got) != len(want) {
		t.Fatalf("results: %+v", res)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
	if res[0].Status != model.TestFail || res[len(res)-1].Status != model.TestPass {
		t.Fatalf("failing results come first: %+v", res)
	}
	s := summarize(res, 3)
	if s.Fail != 2 || s.Pass != 1 || s.Resources != 1 || s.FailingBySeverity[model.SeverityCritical] != 1 {
		t.Fatalf("summary: %+v", s)
	}
}
