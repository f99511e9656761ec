package collect_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/assurehq/assure/internal/model"
)

// The token reaches the API (header and query string) and comes back in
// bodies and errors, yet is stored nowhere: not in the database, the blobs,
// the logs, nor anything the service returns.
func TestSecretsAreStoredNowhere(t *testing.T) {
	e := newEnv(t, sqliteOnly(), envOpts{})
	e.api.set("/repos", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("access_token") != fakeToken {
			t.Error("the token was not sent in the query string")
		}
		jsonBody(`[{"id":"r1","name":"api","private":true,"note":"authorized by `+fakeToken+`"}]`)(w, r)
	})
	e.api.set("/regions/us/items", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) })
	in := e.addFake(t, map[string]string{"token_in_query": "true"})
	ctx := context.Background()
	rv := e.run(t, in.ID)
	if rv.Status != model.RunPartial {
		t.Fatalf("run: %+v", rv)
	}
	if _, err := e.svc.TestIntegration(ctx, e.p, in.ID); err != nil {
		t.Fatal(err)
	}
	var returned []any
	add := func(v any, err error) {
		if err != nil {
			t.Fatal(err)
		}
		returned = append(returned, v)
	}
	add(e.svc.Integrations(ctx, e.p))
	add(e.svc.Integration(ctx, e.p, in.ID))
	add(e.svc.RunDetail(ctx, e.p, rv.ID))
	add(e.svc.Resources(ctx, e.p, resourceQueryAll()))
	add(e.svc.Resource(ctx, e.p, e.resource(t, "fakeapi.repo", "r1").ID))
	out, _ := json.Marshal(returned)

	places := map[string]string{"database": e.dump(t), "log": e.logs.String(), "service output": string(out)}
	redacted := 0
	for name, b := range e.blobFiles(t) {
		places["blob "+name] = string(b)
		if strings.Contains(string(b), "authorized by [redacted]") {
			redacted++
		}
	}
	for where, text := range places {
		for _, form := range []string{fakeToken, "S3CRET-value"} {
			if strings.Contains(text, form) {
				t.Errorf("the secret appears in the %s", where)
			}
		}
	}
	if redacted != 1 {
		t.Fatalf("the body with the echoed token was not stored redacted (%d)", redacted)
	}
	// The sealed value is there, and what the caller sees names the field only.
	if !strings.Contains(places["database"], `"token":"v1:`) || !strings.Contains(string(out), `"secret_fields":["token"]`) {
		t.Fatal("the secret is not stored sealed or not listed by name")
	}
	if !strings.Contains(places["service output"], "[redacted]") {
		t.Fatal("the failed scope's error was not redacted")
	}
}
