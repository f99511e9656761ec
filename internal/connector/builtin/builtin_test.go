package builtin

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated sections of the connector docs")

func TestBuiltinRegistryIsValid(t *testing.T) {
	r, err := Registry()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Get("host"); !ok {
		t.Fatal("the host connector is not built in")
	}
}

// TestDocsAreCurrent keeps the reference tables in docs/ in step with the
// registrations. After changing a connector, run:
//
//	go test ./internal/connector/builtin -update
func TestDocsAreCurrent(t *testing.T) {
	docs := filepath.Join("..", "..", "..", "docs")
	// A connector page without the markers documents its tables by hand
	// (and checks them its own way); it must exist all the same.
	check := func(path, body string, markersRequired bool) {
		t.Helper()
		cur, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%v: every connector needs its page (docs/connectors/<id>.md)", err)
			return
		}
		if !markersRequired && !strings.Contains(string(cur), BeginGenerated) {
			t.Logf("%s has no generated section; not checked here", path)
			return
		}
		want := ReplaceGenerated(string(cur), body)
		if *update {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		if want != string(cur) {
			t.Errorf("%s is stale: run go test ./internal/connector/builtin -update and commit the result", path)
		}
	}
	regs := Registrations()
	check(filepath.Join(docs, "connectors.md"), IndexDoc(regs), true)
	for _, reg := range regs {
		check(filepath.Join(docs, "connectors", reg.ID+".md"), ConnectorDoc(reg), reg.ID == "host")
	}
}
