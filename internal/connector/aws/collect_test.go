package aws

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/blob"
	"github.com/assurehq/assure/internal/collect"
	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/secret"
	"github.com/assurehq/assure/internal/store/storetest"
)

// These tests run the connector through the real collection runtime: the
// HTTP discipline (retries, throttling, rate limit, recording with secrets
// redacted), the store and the blob store, as `assure scan` does.

type collectEnv struct {
	svc     *collect.Service
	p       model.Principal
	db      *sql.DB
	blobDir string
	replay  *replay

	mu     sync.Mutex
	sleeps []time.Duration
}

func newCollectEnv(t *testing.T, overlays ...string) *collectEnv {
	t.Helper()
	ctx := context.Background()
	r := newReplay(t, overlays...)
	awsEnv(t, r.URL())
	// The integration carries its own keys: none in the environment.
	os.Unsetenv("AWS_ACCESS_KEY_ID")
	os.Unsetenv("AWS_SECRET_ACCESS_KEY")
	engine := storetest.Engines()[0] // SQLite: the collection code is engine-neutral and tested on both in internal/collect
	st, dir, u := engine.Open(t)
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	e := &collectEnv{blobDir: t.TempDir(), replay: r, db: storetest.RawDB(t, dir, u)}
	blobs, err := blob.OpenLocal(e.blobDir)
	if err != nil {
		t.Fatal(err)
	}
	org, err := st.CreateOrganization(ctx, "acme", "Acme", "UTC", now)
	if err != nil {
		t.Fatal(err)
	}
	e.p = model.Principal{Org: org, Role: model.RoleEditor, User: model.User{ID: 1, Email: "ed@example.com"}, Via: "cli"}
	box, err := secret.New(make([]byte, secret.KeySize), "test")
	if err != nil {
		t.Fatal(err)
	}
	registry, err := connector.NewRegistry(fast())
	if err != nil {
		t.Fatal(err)
	}
	e.svc = collect.New(collect.Options{Store: st, Blobs: blobs, Registry: registry,
		Secrets: func() (*secret.Box, error) { return box, nil },
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		HTTP: collect.HTTPOptions{Transport: r.transport(), Jitter: func() float64 { return 0.5 },
			Sleep: func(ctx context.Context, d time.Duration) error {
				e.mu.Lock()
				e.sleeps = append(e.sleeps, d)
				e.mu.Unlock()
				return ctx.Err()
			}},
	})
	return e
}

func (e *collectEnv) run(t *testing.T, cfg map[string]string) collect.RunView {
	t.Helper()
	ctx := context.Background()
	base := map[string]string{"access_key_id": testAccessKey, "secret_access_key": testSecretKey, "s3_use_path_style": "true", "regions": "eu-west-1"}
	for k, v := range cfg {
		base[k] = v
	}
	fastRate := 1000.0 // the replay needs no rate limit
	in, err := e.svc.CreateIntegration(ctx, e.p, collect.IntegrationInput{Connector: "aws", Name: "prod", Config: base, RateLimit: &fastRate})
	if err != nil {
		t.Fatal(err)
	}
	rv, err := e.svc.Run(ctx, e.p, in.ID, model.TriggerCLI)
	if err != nil {
		t.Fatal(err)
	}
	return rv
}

func listingOf(t *testing.T, rv collect.RunView, typ string) model.Listing {
	t.Helper()
	for _, l := range rv.Listings {
		if l.ResourceType == typ {
			return l
		}
	}
	t.Fatalf("run has no listing of %s", typ)
	return model.Listing{}
}

func throttlingAnswer(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprint(w, `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>3d0e7f2a-9c1b-4e5d-8f6a-7b2c1d0e9f8a</RequestId></ErrorResponse>`)
}

// AWS's throttling (a 400 with code Throttling, which the generic client
// would not retry) is waited out within the Runtime's bound; when it does
// not stop, the listing is partial with the reason and the rest of the run
// is stored.
func TestThrottlingThroughTheRuntime(t *testing.T) {
	t.Run("waited out", func(t *testing.T) {
		e := newCollectEnv(t)
		var n atomic.Int32
		e.replay.setHook(func(w http.ResponseWriter, c call) bool {
			if c.Operation == "ListUsers" && c.Selector == "" && n.Add(1) <= 2 {
				throttlingAnswer(w)
				return true
			}
			return false
		})
		rv := e.run(t, nil)
		l := listingOf(t, rv, "aws.iam.user")
		if rv.Status != model.RunSucceeded || l.Status != model.RunSucceeded || l.Resources != 4 {
			t.Fatalf("run %s, users %+v", rv.Status, l)
		}
		if len(e.sleeps) != 2 || e.sleeps[0] != throttleWait || e.sleeps[1] != throttleWait {
			t.Errorf("waits %v, want two of %s", e.sleeps, throttleWait)
		}
	})
	t.Run("past the bound", func(t *testing.T) {
		e := newCollectEnv(t)
		e.replay.setHook(func(w http.ResponseWriter, c call) bool {
			if c.Operation == "ListUsers" {
				throttlingAnswer(w)
				return true
			}
			return false
		})
		rv := e.run(t, nil)
		l := listingOf(t, rv, "aws.iam.user")
		if rv.Status != model.RunPartial || l.Status != model.RunPartial {
			t.Fatalf("run %s, users %+v", rv.Status, l)
		}
		if why := l.FailedScopes[Global]; !strings.Contains(why, "kept throttling iam:ListUsers") {
			t.Errorf("failed scopes %v", l.FailedScopes)
		}
		if n := e.replay.count("iam", "ListUsers"); n != 5 {
			t.Errorf("ListUsers tried %d times, want the Runtime's 5 (the SDK's retryer is off)", n)
		}
		if len(e.sleeps) != 4 {
			t.Errorf("waits %v, want 4", e.sleeps)
		}
		// The other listings were stored.
		if l := listingOf(t, rv, "aws.s3.bucket"); l.Status != model.RunSucceeded || l.Resources != 2 {
			t.Errorf("buckets %+v", l)
		}
	})
}

// A denied Region makes its types partial, not the run failed.
func TestDeniedRegionThroughTheRuntime(t *testing.T) {
	e := newCollectEnv(t)
	rv := e.run(t, map[string]string{"regions": "eu-west-1,ap-southeast-2"})
	if rv.Status != model.RunPartial {
		t.Fatalf("run %s", rv.Status)
	}
	for _, l := range rv.Listings {
		denied := strings.HasPrefix(l.ResourceType, "aws.ec2.") || l.ResourceType == "aws.kms.key"
		if denied != (l.Status == model.RunPartial) || (denied && l.FailedScopes["ap-southeast-2"] == "") {
			t.Errorf("%s: %s %v", l.ResourceType, l.Status, l.FailedScopes)
		}
		if l.Status == model.RunFailed {
			t.Errorf("%s failed: %s", l.ResourceType, l.Error)
		}
	}
}

// With an assumed role, the keys of the integration, the assumed role's
// keys and session token (in the AssumeRole answer) are stored nowhere:
// not in the database, not in the recorded bodies. Every call after
// AssumeRole is signed with the role's key.
func TestAssumeRoleStoresNoSecret(t *testing.T) {
	e := newCollectEnv(t, "replay-assumed")
	rv := e.run(t, map[string]string{"role_arn": "arn:aws:iam::111122223333:role/assure-audit", "external_id": "acme-assure-7f3c"})
	if rv.Status != model.RunSucceeded {
		t.Fatalf("run %s: %s", rv.Status, rv.Error)
	}
	var assumed bool
	for _, c := range e.replay.Calls() {
		if c.Operation == "AssumeRole" {
			assumed = true
			if c.Key != testAccessKey || c.Params.Get("ExternalId") != "acme-assure-7f3c" || c.Params.Get("RoleSessionName") != "assure" ||
				c.Params.Get("RoleArn") != "arn:aws:iam::111122223333:role/assure-audit" {
				t.Errorf("AssumeRole %+v", c)
			}
			continue
		}
		if c.Key != assumedAccessKey {
			t.Errorf("%s %s was signed with %s, not the assumed role's key", c.Service, c.Operation, c.Key)
		}
	}
	if !assumed {
		t.Fatal("no AssumeRole call")
	}
	var places []string
	for _, table := range []string{"integrations", "collection_runs", "run_listings", "observations", "resources", "resource_versions"} {
		places = append(places, dumpTable(t, e.db, table))
	}
	filepath.Walk(e.blobDir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, _ := os.ReadFile(p)
			places = append(places, string(b))
		}
		return nil
	})
	all := strings.Join(places, "\n")
	for _, s := range []string{testSecretKey, "9drTJvcXLB89EXAMPLELB8923FB892xMFIassumed", "EXAMPLESESSIONTOKENassumed"} {
		if strings.Contains(all, s) {
			t.Errorf("a secret (%.8s…) is stored", s)
		}
	}
	if !strings.Contains(all, WithheldBody) || !strings.Contains(all, "AROA3XFRBF535PLBIFPI4:assure") {
		t.Error("the AssumeRole call or the assumed identity was not recorded")
	}
}

func dumpTable(t *testing.T, db *sql.DB, table string) string {
	t.Helper()
	rows, err := db.Query(`SELECT * FROM ` + table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if bs, ok := v.([]byte); ok {
				v = string(bs)
			}
			fmt.Fprintf(&b, "%v\t", v)
		}
		b.WriteString("\n")
	}
	return b.String()
}
