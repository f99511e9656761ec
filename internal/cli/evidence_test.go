package cli_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/blob"
	"github.com/assurehq/assure/internal/blob/blobtest"
	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
	"github.com/assurehq/assure/internal/store/storetest"
)

// installation is a data directory (+ PostgreSQL schema) and blob store
// driven through the command line.
type installation struct {
	args    []string // global flags
	dialect store.Dialect
	db      *sql.DB
	blobs   blob.Store
}

func (in *installation) run(t *testing.T, args ...string) result {
	t.Helper()
	return run(t, append(append([]string{}, in.args...), args...)...)
}

func (in *installation) must(t *testing.T, args ...string) string {
	t.Helper()
	r := in.run(t, args...)
	if r.code != 0 {
		t.Fatalf("%v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// eachInstallation runs fn on every database engine with every blob backend.
func eachInstallation(t *testing.T, fn func(t *testing.T, in *installation)) {
	for _, b := range blobtest.Backends() {
		for _, e := range storetest.Engines() {
			t.Run(b.Name+"/"+e.Name, func(t *testing.T) {
				st, dir, u := e.Open(t)
				st.Close()
				blobs, blobURL := b.Open(t)
				in := &installation{args: []string{"--data", dir, "--blob-url", blobURL}, dialect: store.SQLite, blobs: blobs}
				if u != "" {
					in.args = append(in.args, "--database-url", u)
					in.dialect = store.Postgres
				}
				in.must(t, "migrate")
				// Evidence links only to the organization's own controls.
				in.must(t, "controls", "adopt", "--all")
				in.db = storetest.RawDB(t, dir, u)
				fn(t, in)
			})
		}
	}
}

func writeFile(t *testing.T, name string, body []byte) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, body, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

var minimalPDF = []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")

type addedItem struct {
	ID      int64 `json:"id"`
	Current struct {
		SHA256    string `json:"sha256"`
		LedgerSeq int64  `json:"ledger_seq"`
	} `json:"current"`
}

func (in *installation) add(t *testing.T, args ...string) addedItem {
	t.Helper()
	var it addedItem
	out := in.must(t, append(append([]string{"evidence", "add"}, args...), "--json")...)
	if err := json.Unmarshal([]byte(out), &it); err != nil || it.ID == 0 {
		t.Fatalf("evidence add output: %s (%v)", out, err)
	}
	return it
}

func TestEvidenceCommands(t *testing.T) {
	eachInstallation(t, func(t *testing.T, in *installation) {
		f := in.add(t, writeFile(t, "access-review.pdf", minimalPDF), "--control", "IAM-01", "--control", "IAM-02", "--period", "2026-07-01..2026-09-30", "--expires", "2027-01-01")
		in.add(t, "https://wiki.example.com/policies/backup", "--control", "OPS-03", "--title", "Backup policy")
		in.add(t, "--kind", "attestation", "--text", "Restore test performed on 2026-10-02, ticket OPS-412", "--control", "OPS-07", "--effective", "2026-10-02")

		var items []struct {
			ID       int64
			Kind     string
			Controls []string
		}
		if err := json.Unmarshal([]byte(in.must(t, "evidence", "list", "--control", "IAM-02", "--json")), &items); err != nil || len(items) != 1 || items[0].ID != f.ID {
			t.Fatalf("list by control: %+v %v", items, err)
		}
		v2 := append(append([]byte{}, minimalPDF...), "% Q4\n"...)
		in.must(t, "evidence", "version", fmt.Sprint(f.ID), writeFile(t, "access-review-q4.pdf", v2), "--period", "2026-10-01..2026-12-31")
		var d struct {
			Versions []struct {
				Version      int
				SHA256       string
				SupersededAt *time.Time `json:"superseded_at"`
			}
			Ledger []struct {
				Entry struct{ Seq int64 }
				Proof *struct {
					Checkpoint *struct{ TreeSize int64 } `json:"checkpoint"`
				}
			}
			Verification struct{ OK bool }
		}
		in.must(t, "ledger", "checkpoint")
		if err := json.Unmarshal([]byte(in.must(t, "evidence", "show", fmt.Sprint(f.ID), "--json")), &d); err != nil {
			t.Fatal(err)
		}
		if len(d.Versions) != 2 || d.Versions[0].SupersededAt == nil || d.Versions[1].SHA256 != blob.Digest(v2) || len(d.Ledger) != 2 ||
			d.Ledger[1].Proof == nil || d.Ledger[1].Proof.Checkpoint == nil || !d.Verification.OK {
			t.Fatalf("show: %+v", d)
		}
		out := filepath.Join(t.TempDir(), "v1.pdf")
		in.must(t, "evidence", "download", fmt.Sprint(f.ID), "--version", "1", "--output", out)
		if b, _ := os.ReadFile(out); string(b) != string(minimalPDF) {
			t.Fatal("downloaded version 1 differs")
		}
		if r := in.run(t, "ledger", "verify"); r.code != 0 || !strings.Contains(r.stdout, "The ledger verifies") {
			t.Fatalf("verify: %d %s %s", r.code, r.stdout, r.stderr)
		}
		var key struct {
			KeyID        string `json:"key_id"`
			PublicKeyPEM string `json:"public_key_pem"`
		}
		json.Unmarshal([]byte(in.must(t, "ledger", "key", "--json")), &key)
		if pub, err := ledger.ParsePublicKey([]byte(key.PublicKeyPEM)); err != nil || ledger.KeyID(pub) != key.KeyID {
			t.Fatalf("exported key: %+v %v", key, err)
		}
	})
}

// Upload limits, a wrong media type and a name that is not a plain file
// name are refused with errors that say what to do.
func TestEvidenceAddRefusals(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, "--data", dir, "controls", "adopt", "IAM-01"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	big := writeFile(t, "big.pdf", append(append([]byte{}, minimalPDF...), make([]byte, 4096)...))
	for _, tc := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{"--max-upload-size", "2KB", "evidence", "add", big, "--control", "IAM-01"}, "larger than the upload limit of 2 KB", 1},
		{[]string{"evidence", "add", writeFile(t, "setup.pdf", append([]byte("MZ\x90\x00"), make([]byte, 64)...)), "--control", "IAM-01"}, "is not accepted: upload PDF", 1},
		{[]string{"evidence", "add", writeFile(t, "shot.pdf", append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 64)...)), "--control", "IAM-01"}, "named like a PDF but its content is a PNG image", 1},
		{[]string{"evidence", "add", writeFile(t, "..pdf", minimalPDF), "--control", "bad key"}, "may contain only letters", 1},
		{[]string{"evidence", "add", writeFile(t, "a.pdf", minimalPDF), "--control", "ZZZ-99"}, `"ZZZ-99" is not one of the organization's controls`, 1},
		{[]string{"evidence", "add", big}, "name at least one control", 2},
		{[]string{"evidence", "add", big, "--control", "IAM-01", "--effective", "2026-01-01", "--period", "2026-01-01..2026-02-01"}, "not both", 2},
		{[]string{"evidence", "add", "--kind", "attestation", "--control", "IAM-01"}, "write what was done", 1},
	} {
		r := run(t, append([]string{"--data", dir}, tc.args...)...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d %q, want %d and %q", tc.args, r.code, r.stderr, tc.code, tc.want)
		}
	}
	var items []any
	json.Unmarshal([]byte(run(t, "--data", dir, "evidence", "list", "--json").stdout), &items)
	if len(items) != 0 {
		t.Fatalf("refused evidence was stored: %v", items)
	}
}

// The acceptance checks of `assure ledger verify`, on every database engine
// and blob backend.
func TestLedgerVerifyFindsTampering(t *testing.T) {
	t.Run("flipped blob", func(t *testing.T) {
		eachInstallation(t, func(t *testing.T, in *installation) {
			in.add(t, writeFile(t, "a.pdf", minimalPDF), "--control", "IAM-01")
			b := in.add(t, writeFile(t, "b.txt", []byte("Quarterly access review completed.")), "--control", "IAM-02")
			blobtest.Flip(t, in.blobs, b.Current.SHA256)
			r := in.run(t, "ledger", "verify")
			if r.code != 1 || !strings.Contains(r.stdout, "blob "+b.Current.SHA256) || !strings.Contains(r.stdout, fmt.Sprintf("evidence item %d", b.ID)) {
				t.Fatalf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
			}
			var rep struct {
				OK            bool
				Organizations []struct {
					Faults []ledger.Fault
				}
			}
			r = in.run(t, "ledger", "verify", "--json")
			if err := json.Unmarshal([]byte(r.stdout), &rep); r.code != 1 || err != nil || rep.OK || rep.Organizations[0].Faults[0].Blob != b.Current.SHA256 || rep.Organizations[0].Faults[0].EvidenceID != b.ID {
				t.Fatalf("--json: %d %s %v", r.code, r.stdout, err)
			}
		})
	})
	t.Run("changed or deleted ledger row", func(t *testing.T) {
		eachInstallation(t, func(t *testing.T, in *installation) {
			in.add(t, writeFile(t, "a.pdf", minimalPDF), "--control", "IAM-01")
			second := in.add(t, writeFile(t, "b.txt", []byte("Vendor review done.")), "--control", "IAM-02")
			in.add(t, writeFile(t, "c.txt", []byte("Pen test remediation closed.")), "--control", "IAM-03")
			storetest.DropLedgerTriggers(t, in.db, in.dialect)
			seq := second.Current.LedgerSeq
			if _, err := in.db.Exec(`UPDATE ledger_entries SET payload = replace(payload, 'IAM-02', 'IAM-09') WHERE seq = $1`, seq); err != nil {
				t.Fatal(err)
			}
			r := in.run(t, "ledger", "verify")
			if r.code != 1 || !strings.Contains(r.stdout, fmt.Sprintf("first bad entry: %d", seq)) {
				t.Fatalf("changed row: exit %d\n%s", r.code, r.stdout)
			}
			if _, err := in.db.Exec(`DELETE FROM ledger_entries WHERE seq = $1`, seq-1); err != nil {
				t.Fatal(err)
			}
			r = in.run(t, "ledger", "verify")
			if r.code != 1 || !strings.Contains(r.stdout, fmt.Sprintf("first bad entry: %d", seq-1)) || !strings.Contains(r.stdout, fmt.Sprintf("entry %d is missing", seq-1)) {
				t.Fatalf("deleted row: exit %d\n%s", r.code, r.stdout)
			}
		})
	})
	t.Run("foreign checkpoint and truncation", func(t *testing.T) {
		eachInstallation(t, func(t *testing.T, in *installation) {
			in.add(t, writeFile(t, "a.pdf", minimalPDF), "--control", "IAM-01")
			kept := writeFile(t, "checkpoint.txt", []byte(in.must(t, "ledger", "checkpoint")))
			in.add(t, writeFile(t, "b.txt", []byte("DR exercise held.")), "--control", "IAM-02")
			// A checkpoint signed by a key that is not the installation's.
			_, priv, _ := ed25519.GenerateKey(rand.Reader)
			other := ledger.NewKeyForTest(priv)
			var size int64
			in.db.QueryRow(`SELECT MAX(seq) FROM ledger_entries`).Scan(&size)
			forged := model.LedgerCheckpoint{OrgID: 1, TreeSize: size, RootHash: strings.Repeat("0", 64), Time: time.Now().UTC().Truncate(time.Microsecond), KeyID: other.ID()}
			forged.Signature = base64.StdEncoding.EncodeToString(other.Sign(ledger.SignedBody(forged)))
			if _, err := in.db.Exec(`INSERT INTO ledger_checkpoints (org_id, tree_size, root_hash, created_at, installation_id, key_id, signature) VALUES (1, $1, $2, $3, 'x', $4, $5)`,
				size, forged.RootHash, forged.Time.Format("2006-01-02T15:04:05.000000Z"), forged.KeyID, forged.Signature); err != nil {
				t.Fatal(err)
			}
			r := in.run(t, "ledger", "verify")
			if r.code != 1 || !strings.Contains(r.stdout, "not signed by the installation key") {
				t.Fatalf("foreign key: exit %d\n%s", r.code, r.stdout)
			}
			// Truncation: every checkpoint and the entries after the first
			// one removed; the copy kept outside still catches it.
			storetest.DropLedgerTriggers(t, in.db, in.dialect)
			var first int64
			in.db.QueryRow(`SELECT MIN(tree_size) FROM ledger_checkpoints`).Scan(&first)
			in.db.Exec(`DELETE FROM ledger_checkpoints`)
			if _, err := in.db.Exec(`DELETE FROM ledger_entries WHERE seq >= $1`, first-1); err != nil {
				t.Fatal(err)
			}
			in.db.Exec(`DELETE FROM evidence_versions`)
			in.db.Exec(`DELETE FROM evidence_controls`)
			in.db.Exec(`DELETE FROM evidence_items`)
			if r := in.run(t, "ledger", "verify"); r.code != 0 {
				t.Fatalf("the truncated log alone looks consistent, as expected without checkpoints: %d %s", r.code, r.stdout)
			}
			r = in.run(t, "ledger", "verify", "--checkpoint", kept)
			if r.code != 1 || !strings.Contains(r.stdout, "truncated") {
				t.Fatalf("truncation against a kept checkpoint: exit %d\n%s", r.code, r.stdout)
			}
		})
	})
}

// A server given another signing key than the installation's refuses to start.
func TestAnotherSigningKeyIsRefused(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, "--data", dir, "ledger", "key"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	r := run(t, "--data", dir, "--signing-key-file", filepath.Join(t.TempDir(), "other.pem"), "ledger", "key")
	if r.code != 1 || !strings.Contains(r.stderr, "is not this installation's key") {
		t.Fatalf("%d %s", r.code, r.stderr)
	}
	if st, err := os.Stat(filepath.Join(dir, "ledger-signing-key.pem")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
}
