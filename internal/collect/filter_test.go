package collect_test

import (
	"context"
	"strings"
	"testing"

	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/model"
)

// A connector's body filter (connector.WithBodyFilter) shapes what is
// stored of an answer carrying a secret the configuration does not know;
// the connector still reads the answer whole, and the observation says it
// was redacted.
func TestBodyFilterShapesStoredAnswers(t *testing.T) {
	reg := fakeRegistration(nil)
	var seen string
	for i, typ := range reg.Resources {
		if typ.Name != "fakeapi.repo" {
			continue
		}
		reg.Resources[i].List = connector.As(func(ctx context.Context, c *fakeConn, out connector.Emitter) error {
			ctx = connector.WithBodyFilter(ctx, func(b []byte) []byte {
				return []byte(strings.ReplaceAll(string(b), "minted-credential-42", "[withheld]"))
			})
			_, body, err := connector.Get(ctx, c.client, c.base+"/repos", c.hdr)
			if err != nil {
				return err
			}
			seen = string(body)
			return out.Emit(ctx, connector.Resource{ExternalID: "r1", Attributes: map[string]any{"private": true}})
		})
	}
	e := newEnv(t, sqliteOnly(), envOpts{regs: []connector.Registration{reg}})
	e.api.set("/repos", jsonBody(`[{"id":"r1","name":"api","private":true,"grant":"minted-credential-42"}]`))
	in := e.addFake(t, nil)
	if rv := e.run(t, in.ID); rv.Status != model.RunSucceeded {
		t.Fatalf("run: %+v", rv)
	}
	if !strings.Contains(seen, "minted-credential-42") {
		t.Fatalf("the connector did not get the answer whole: %s", seen)
	}
	stored := 0
	for _, b := range e.blobFiles(t) {
		if strings.Contains(string(b), "minted-credential-42") {
			t.Fatal("the filtered value was stored")
		}
		if strings.Contains(string(b), `"grant":"[withheld]"`) {
			stored++
		}
	}
	if stored != 1 {
		t.Fatalf("%d stored answers carry the filtered body, want 1", stored)
	}
	var redacted int
	if err := e.db(t).QueryRow(`SELECT count(*) FROM observations WHERE path = '/repos' AND redacted`).Scan(&redacted); err != nil {
		t.Fatal(err)
	}
	if redacted != 1 {
		t.Fatalf("%d observations of /repos say redacted, want 1", redacted)
	}
}
