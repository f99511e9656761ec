package ledger_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
	"github.com/assurehq/assure/internal/store/storetest"
)

var t0 = time.Date(2026, 10, 2, 9, 30, 0, 123456789, time.UTC)

func newOrg(t *testing.T, st *store.Store, slug string) int64 {
	t.Helper()
	org, err := st.CreateOrganization(context.Background(), slug, slug, "UTC", t0)
	if err != nil {
		t.Fatal(err)
	}
	return org.ID
}

func appendN(t *testing.T, st *store.Store, org int64, n int) []model.LedgerEntry {
	t.Helper()
	var out []model.LedgerEntry
	for i := 0; i < n; i++ {
		e, err := ledger.Append(context.Background(), st, org, ledger.Record{
			Kind: ledger.KindMemberAdded, Actor: model.Actor{UserID: 7, Email: "ann@example.com", Via: "session"},
			Subject: fmt.Sprintf("member:%d", i+1), Payload: map[string]any{"email": fmt.Sprintf("m%d@example.com", i), "role": "viewer", "n": i},
			Time: t0.Add(time.Duration(i) * time.Minute),
		})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func newKey(t *testing.T) *ledger.Key {
	t.Helper()
	k, created, err := ledger.LoadOrCreateKey(filepath.Join(t.TempDir(), "k.pem"))
	if err != nil || !created {
		t.Fatalf("key: %v %v", created, err)
	}
	return k
}

func verify(t *testing.T, st *store.Store, org int64, pub ed25519.PublicKey) ledger.OrgReport {
	t.Helper()
	r, err := ledger.VerifyOrg(context.Background(), st, org, pub, "inst-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAppendChainsAndVerifies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		org, other := newOrg(t, st, "a"), newOrg(t, st, "b")
		es := appendN(t, st, org, 5)
		appendN(t, st, other, 2) // another organization's log is separate
		for i, e := range es {
			if e.Seq != int64(i+1) {
				t.Fatalf("entry %d has seq %d", i, e.Seq)
			}
			if i == 0 && e.PrevHash != ledger.GenesisHash {
				t.Fatalf("first entry's prev %s", e.PrevHash)
			}
			if i > 0 && e.PrevHash != es[i-1].Hash {
				t.Fatalf("entry %d does not chain", e.Seq)
			}
		}
		// What the store returns hashes to what was appended (times keep microseconds).
		got, err := st.Org(org).LedgerEntry(context.Background(), 3)
		if err != nil {
			t.Fatal(err)
		}
		h, err := ledger.EntryHash(got)
		if err != nil || fmt.Sprintf("%x", h) != es[2].Hash || !got.Time.Equal(t0.Add(2*time.Minute).Truncate(time.Microsecond)) {
			t.Fatalf("stored entry does not re-hash: %+v %v", got, err)
		}
		if r := verify(t, st, org, newKey(t).Public); len(r.Faults) != 0 || r.Entries != 5 {
			t.Fatalf("clean ledger: %+v", r)
		}
		if _, err := ledger.Append(context.Background(), st, org, ledger.Record{Kind: "Bad Kind", Actor: model.SystemActor("x"), Subject: "x:1"}); err == nil {
			t.Fatal("a malformed kind was accepted")
		}
		if _, err := ledger.Append(context.Background(), st, org, ledger.Record{Kind: "x.y", Actor: model.SystemActor("x"), Subject: "x:1", Payload: map[string]any{"f": 1.5}}); err == nil {
			t.Fatal("a fraction in the payload was accepted")
		}
	})
}

func TestDatabaseRefusesChangingTheLedger(t *testing.T) {
	storetest.EachWithDB(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		org := newOrg(t, st, "a")
		appendN(t, st, org, 2)
		k := newKey(t)
		log := ledger.NewLog(st, k, "inst-1", func() time.Time { return t0 })
		if _, _, err := log.Checkpoint(context.Background(), org); err != nil {
			t.Fatal(err)
		}
		stmts := []string{
			`UPDATE ledger_entries SET payload = '{}' WHERE seq = 1`,
			`DELETE FROM ledger_entries WHERE seq = 2`,
			`UPDATE ledger_checkpoints SET root_hash = 'x'`,
			`DELETE FROM ledger_checkpoints`,
		}
		if st.Dialect() == store.Postgres {
			stmts = append(stmts, `TRUNCATE ledger_entries CASCADE`, `TRUNCATE ledger_checkpoints`)
		}
		for _, s := range stmts {
			if _, err := db.Exec(s); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v, want a refusal", s, err)
			}
		}
		if r := verify(t, st, org, k.Public); len(r.Faults) != 0 {
			t.Fatalf("faults after refused changes: %+v", r.Faults)
		}
	})
}

func TestVerifyNamesTheFirstBadEntry(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sql   string
		first int64
		want  string
	}{
		{"changed payload", `UPDATE ledger_entries SET payload = '{"email":"evil@example.com","n":2,"role":"owner"}' WHERE seq = 3`, 3, "entry 3"},
		{"changed actor", `UPDATE ledger_entries SET actor_email = 'someone@else.com' WHERE seq = 4`, 4, "entry 4"},
		{"deleted row", `DELETE FROM ledger_entries WHERE seq = 2`, 2, "entry 2 is missing"},
		{"deleted rows", `DELETE FROM ledger_entries WHERE seq IN (2, 3)`, 2, "entries 2 to 3 are missing"},
		{"replaced hash", `UPDATE ledger_entries SET payload = '{}', hash = prev_hash WHERE seq = 2`, 2, "entry 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.EachWithDB(t, func(t *testing.T, st *store.Store, db *sql.DB) {
				org := newOrg(t, st, "a")
				appendN(t, st, org, 6)
				storetest.DropLedgerTriggers(t, db, st.Dialect())
				if _, err := db.Exec(tc.sql); err != nil {
					t.Fatal(err)
				}
				r := verify(t, st, org, newKey(t).Public)
				if len(r.Faults) == 0 {
					t.Fatal("tampering not detected")
				}
				if r.FirstBadEntry() != tc.first || !strings.Contains(r.Faults[0].Problem, tc.want) {
					t.Fatalf("first bad entry %d, faults %+v; want %d and %q", r.FirstBadEntry(), r.Faults, tc.first, tc.want)
				}
			})
		})
	}
}

// A rewritten entry whose hash and successor were rewritten too passes the
// chain walk; only a checkpoint signed before the rewrite catches it.
func TestCheckpointsCatchRewritesTruncationAndForeignKeys(t *testing.T) {
	storetest.EachWithDB(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		org := newOrg(t, st, "a")
		appendN(t, st, org, 5)
		k := newKey(t)
		log := ledger.NewLog(st, k, "inst-1", func() time.Time { return t0 })
		cp, created, err := log.Checkpoint(ctx, org)
		if err != nil || !created || cp.TreeSize != 5 {
			t.Fatalf("checkpoint: %+v %v %v", cp, created, err)
		}
		if again, created, _ := log.Checkpoint(ctx, org); created || again.TreeSize != 5 {
			t.Fatal("a second checkpoint at the same size was created")
		}
		if err := ledger.CheckSignature(cp, k.Public); err != nil {
			t.Fatal(err)
		}
		appendN(t, st, org, 3)
		if r := verify(t, st, org, k.Public); len(r.Faults) != 0 || r.Checkpoints != 1 {
			t.Fatalf("clean: %+v", r)
		}

		// Inclusion and consistency proofs verify offline.
		p, err := log.ProveInclusion(ctx, org, 4, 0)
		if err != nil || p.Checkpoint == nil || p.TreeSize != 5 {
			t.Fatalf("inclusion proof: %+v %v", p, err)
		}
		if err := p.Verify(k.Public); err != nil {
			t.Fatal(err)
		}
		if err := p.Verify(newKey(t).Public); err == nil {
			t.Fatal("a proof verified against another key")
		}
		cpf, err := log.ProveConsistency(ctx, org, 5, 0)
		if err != nil || cpf.Second != 8 || cpf.FirstRoot != cp.RootHash {
			t.Fatalf("consistency proof: %+v %v", cpf, err)
		}
		path := make([]ledger.Hash, len(cpf.Path))
		for i, s := range cpf.Path {
			path[i], _ = ledger.ParseHash(s)
		}
		r1, _ := ledger.ParseHash(cpf.FirstRoot)
		r2, _ := ledger.ParseHash(cpf.SecondRoot)
		if err := ledger.VerifyConsistency(5, 8, path, r1, r2); err != nil {
			t.Fatal(err)
		}

		// A checkpoint signed by another key.
		other := ledger.NewKeyForTest(func() ed25519.PrivateKey { _, p, _ := ed25519.GenerateKey(rand.Reader); return p }())
		forged := model.LedgerCheckpoint{OrgID: org, TreeSize: 8, RootHash: verify(t, st, org, k.Public).Root, Time: t0, InstallationID: "inst-1", KeyID: other.ID()}
		forged.Signature = base64.StdEncoding.EncodeToString(other.Sign(ledger.SignedBody(forged)))
		if err := st.Org(org).AddCheckpoint(ctx, forged); err != nil {
			t.Fatal(err)
		}
		r := verify(t, st, org, k.Public)
		if len(r.Faults) != 1 || r.Faults[0].Checkpoint != 8 || !strings.Contains(r.Faults[0].Problem, "not signed by the installation key") {
			t.Fatalf("foreign key: %+v", r.Faults)
		}

		// Rewrite entry 2 consistently (content, hash and entry 3's link):
		// the chain walk alone cannot tell, the checkpoint can.
		storetest.DropLedgerTriggers(t, db, st.Dialect())
		if _, err := db.Exec(`DELETE FROM ledger_checkpoints WHERE tree_size = 8`); err != nil {
			t.Fatal(err)
		}
		rewrite(t, st, db, org)
		r = verify(t, st, org, k.Public)
		if len(r.Faults) == 0 || !strings.Contains(r.Faults[0].Problem, "does not match the log") {
			t.Fatalf("consistent rewrite: %+v", r.Faults)
		}

		// Truncation: the last entries (and the rewrite) gone.
		if _, err := db.Exec(`DELETE FROM ledger_entries WHERE seq >= 4`); err != nil {
			t.Fatal(err)
		}
		r = verify(t, st, org, k.Public)
		found := false
		for _, f := range r.Faults {
			found = found || (strings.Contains(f.Problem, "truncated") && f.Seq == 4)
		}
		if !found {
			t.Fatalf("truncation not detected: %+v", r.Faults)
		}
	})
}

// rewrite replaces entry 2 and re-chains every later entry, as someone who
// knows the format but not the signing key would.
func rewrite(t *testing.T, st *store.Store, db *sql.DB, org int64) {
	ctx := context.Background()
	es, err := st.Org(org).LedgerEntries(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	prev := es[0].Hash
	for _, e := range es[1:] {
		if e.Seq == 2 {
			e.Payload = []byte(`{"email":"evil@example.com","n":1,"role":"owner"}`)
		}
		e.PrevHash = prev
		h, _ := ledger.EntryHash(e)
		e.Hash = fmt.Sprintf("%x", h)
		if _, err := db.Exec(`UPDATE ledger_entries SET payload = $1, prev_hash = $2, hash = $3 WHERE org_id = $4 AND seq = $5`, string(e.Payload), e.PrevHash, e.Hash, org, e.Seq); err != nil {
			t.Fatal(err)
		}
		prev = e.Hash
	}
	if r := verifyNoCheckpoint(t, st, org); len(r) != 0 {
		t.Fatalf("the rewrite is not self-consistent: %+v", r)
	}
}

func verifyNoCheckpoint(t *testing.T, st *store.Store, org int64) []ledger.Fault {
	r, err := ledger.VerifyOrg(context.Background(), st, org, nil, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []ledger.Fault
	for _, f := range r.Faults {
		if f.Checkpoint == 0 {
			out = append(out, f)
		}
	}
	return out
}

// Concurrent appends to one organization never share a sequence number.
func TestConcurrentAppends(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		org := newOrg(t, st, "a")
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 10; i++ {
					_, err := ledger.Append(context.Background(), st, org, ledger.Record{Kind: ledger.KindTokenCreated, Actor: model.SystemActor("test"), Subject: "token:1", Time: t0})
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if r := verify(t, st, org, newKey(t).Public); len(r.Faults) != 0 || r.Entries != 40 {
			t.Fatalf("after concurrent appends: %d entries, %+v", r.Entries, r.Faults)
		}
	})
}

// An append inside a transaction that rolls back leaves no entry.
func TestAppendJoinsTheCallersTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		org := newOrg(t, st, "a")
		err := st.InTx(context.Background(), func(tx *store.Store) error {
			if _, err := ledger.Append(context.Background(), tx, org, ledger.Record{Kind: ledger.KindOrgUpdated, Actor: model.SystemActor("test"), Subject: "org:1"}); err != nil {
				return err
			}
			return fmt.Errorf("the change failed")
		})
		if err == nil {
			t.Fatal("no error")
		}
		if n, _ := st.Org(org).LedgerSize(context.Background()); n != 0 {
			t.Fatalf("%d entries survived a rollback", n)
		}
	})
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "key.pem")
	k1, created, err := ledger.LoadOrCreateKey(path)
	if err != nil || !created {
		t.Fatal(err)
	}
	k2, created, err := ledger.LoadOrCreateKey(path)
	if err != nil || created || k2.ID() != k1.ID() {
		t.Fatalf("reload: %v %v", created, err)
	}
	pub, err := ledger.ParsePublicKey([]byte(ledger.PublicKeyPEM(k1.Public)))
	if err != nil || !pub.Equal(k1.Public) {
		t.Fatalf("PEM round trip: %v", err)
	}
	pub, err = ledger.ParsePublicKey([]byte(base64.StdEncoding.EncodeToString(k1.Public)))
	if err != nil || !pub.Equal(k1.Public) {
		t.Fatalf("base64 round trip: %v", err)
	}
	if _, err := ledger.ParsePublicKey([]byte("nonsense")); err == nil {
		t.Fatal("nonsense parsed as a key")
	}
}

func TestCheckpointTextRoundTrip(t *testing.T) {
	k := newKey(t)
	c := model.LedgerCheckpoint{OrgID: 3, TreeSize: 42, RootHash: strings.Repeat("ab", 32), Time: t0.Truncate(time.Microsecond), InstallationID: "inst-1", KeyID: k.ID()}
	c.Signature = base64.StdEncoding.EncodeToString(k.Sign(ledger.SignedBody(c)))
	back, err := ledger.ParseSignedCheckpoint([]byte(ledger.FormatSignedCheckpoint(c)))
	if err != nil || back != c {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	if err := ledger.CheckSignature(back, k.Public); err != nil {
		t.Fatal(err)
	}
	back.TreeSize = 43
	if ledger.CheckSignature(back, k.Public) == nil {
		t.Fatal("a changed size still verifies")
	}
	want := "assure-ledger-checkpoint v1\ninstallation inst-1\norganization 3\nsize 42\nroot " + strings.Repeat("ab", 32) + "\ntime 2026-10-02T09:30:00.123456Z\n"
	if got := string(ledger.SignedBody(c)); got != want {
		t.Fatalf("signed body:\n%s\nwant:\n%s", got, want)
	}
}
