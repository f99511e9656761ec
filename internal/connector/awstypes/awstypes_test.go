package awstypes

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/assurehq/assure/internal/connector"
)

func TestDeclarationsAreWellFormed(t *testing.T) {
	name := regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`)
	types := map[string]bool{}
	for _, typ := range AllTypes() {
		if types[typ.Name] {
			t.Errorf("%s declared twice", typ.Name)
		}
		types[typ.Name] = true
		if !strings.HasPrefix(typ.Name, "aws.") || typ.Description == "" {
			t.Errorf("%s: name must start with aws. and have a description", typ.Name)
		}
		seen := map[string]connector.Field{}
		for _, f := range typ.Fields {
			if !name.MatchString(f.Name) || f.Description == "" {
				t.Errorf("%s: field %q needs a snake_case name and a description", typ.Name, f.Name)
			}
			if _, dup := seen[f.Name]; dup {
				t.Errorf("%s: field %s declared twice", typ.Name, f.Name)
			}
			if i := strings.LastIndex(f.Name, "."); i > 0 {
				parent, ok := seen[f.Name[:i]]
				if !ok || (parent.Type != "object" && parent.Type != "list") {
					t.Errorf("%s: %s must follow its parent, an object or list", typ.Name, f.Name)
				}
			}
			if !typeMatchesAny(f.Type) {
				t.Errorf("%s: field %s has unknown type %q", typ.Name, f.Name, f.Type)
			}
			seen[f.Name] = f
		}
		for _, must := range []string{"account_id", "terraform_address"} {
			if _, ok := seen[must]; !ok {
				t.Errorf("%s lacks the common field %s", typ.Name, must)
			}
		}
	}
	// A connector declaring every type passes the registry's validation.
	list := func(context.Context, connector.Conn, connector.Emitter) error { return nil }
	reg := connector.Registration{ID: "shared", Name: "Shared", Category: connector.CategoryCloud,
		Open: func(context.Context, connector.Config, connector.Runtime) (connector.Conn, error) { return nil, nil }}
	for _, typ := range AllTypes() {
		reg.Resources = append(reg.Resources, typ.With(list))
	}
	if err := reg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func typeMatchesAny(t string) bool {
	switch t {
	case "string", "time", "bool", "int", "number", "list", "object":
		return true
	}
	return false
}

func TestCheck(t *testing.T) {
	typ := Type{Name: "aws.test.thing", Description: "d", Fields: fields(
		connector.Field{Name: "name", Type: "string", Description: "d"},
		connector.Field{Name: "size", Type: "int", Description: "d"},
		connector.Field{Name: "at", Type: "time", Description: "d"},
		connector.Field{Name: "enc", Type: "object", Description: "d"},
		connector.Field{Name: "enc.on", Type: "bool", Description: "d"},
		connector.Field{Name: "rules", Type: "list", Description: "d"},
		connector.Field{Name: "rules.port", Type: "int", Description: "d"},
		connector.Field{Name: "ids", Type: "list", Description: "d"},
	)}
	good := func() map[string]any {
		return map[string]any{"name": "a", "size": 3, "at": "2024-01-02T03:04:05Z",
			"enc": map[string]any{"on": true}, "rules": []map[string]any{{"port": 22}}, "ids": []string{"x"}}
	}
	tests := []struct {
		name   string
		change func(m map[string]any)
		want   string // "" means valid
	}{
		{"valid", func(map[string]any) {}, ""},
		{"null with reason", func(m map[string]any) { m["enc"] = nil; m[Unknown] = map[string]any{"enc": "not visible"} }, ""},
		{"nested unknown", func(m map[string]any) {
			m["enc"] = map[string]any{"on": nil}
			m[Unknown] = map[string]any{"enc.on": "not visible"}
			m[Sources] = map[string]any{"enc": "joined"}
		}, ""},
		{"missing field", func(m map[string]any) { delete(m, "size") }, "field size is missing"},
		{"null without reason", func(m map[string]any) { m["size"] = nil }, "field size is null without a reason"},
		{"undocumented field", func(m map[string]any) { m["colour"] = "red" }, "field colour is not documented"},
		{"wrong type", func(m map[string]any) { m["size"] = "3" }, "field size is string, documented as int"},
		{"fraction for int", func(m map[string]any) { m["size"] = 2.5 }, "documented as int"},
		{"bad time", func(m map[string]any) { m["at"] = "yesterday" }, "field at is string, documented as time"},
		{"nested undocumented", func(m map[string]any) { m["enc"] = map[string]any{"on": true, "off": false} }, "field enc.off is not documented"},
		{"nested missing", func(m map[string]any) { m["enc"] = map[string]any{} }, "field enc.on is missing"},
		{"list item wrong type", func(m map[string]any) { m["rules"] = []any{map[string]any{"port": "ssh"}} }, "field rules.port is string"},
		{"list item not object", func(m map[string]any) { m["rules"] = []any{"x"} }, "not an object"},
		{"unknown with value", func(m map[string]any) { m[Unknown] = map[string]any{"name": "why"} }, "name is marked unknown but has a value"},
		{"unknown without reason", func(m map[string]any) { m["name"] = nil; m[Unknown] = map[string]any{"name": ""} }, `unknown "name" has no reason`},
		{"unknown undocumented", func(m map[string]any) { m[Unknown] = map[string]any{"colour": "why"} }, `undocumented field "colour"`},
		{"sources undocumented", func(m map[string]any) { m[Sources] = map[string]any{"colour": "x"} }, `sources names undocumented field "colour"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := good()
			tt.change(m)
			err := typ.Check(m)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
