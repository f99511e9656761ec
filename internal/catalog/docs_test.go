package catalog_test

import (
	"bytes"
	"flag"
	"os"
	"testing"

	"github.com/assurehq/assure/internal/catalog"
)

var update = flag.Bool("update", false, "rewrite the generated reference pages in docs/")

// The generated reference pages must match the embedded catalog. Regenerate
// them with: go test ./internal/catalog -run TestReferenceDocsAreCurrent -update
func TestReferenceDocsAreCurrent(t *testing.T) {
	c, err := catalog.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string][]byte{"../../docs/controls.md": c.ControlsDoc(), "../../docs/criteria.md": c.CriteriaDoc()} {
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is stale or missing (%v): regenerate it with `go test ./internal/catalog -run TestReferenceDocsAreCurrent -update`", path, err)
		}
	}
}

func TestReferenceDocsNameEveryControlAndCriterion(t *testing.T) {
	c, err := catalog.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	controls, criteria := c.ControlsDoc(), c.CriteriaDoc()
	for _, lc := range c.Library.Controls {
		if !bytes.Contains(controls, []byte("### "+lc.Key+" — ")) {
			t.Errorf("controls.md lacks %s", lc.Key)
		}
	}
	for _, cr := range c.SOC2.Criteria {
		if !bytes.Contains(criteria, []byte("### "+cr.ID+"\n")) {
			t.Errorf("criteria.md lacks %s", cr.ID)
		}
	}
}
