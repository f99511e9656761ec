package cli_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assurehq/assure/internal/ledger"
)

// `assure verify` on a package that is not there, or not a package, says
// so and exits 1; a bad --key is refused before anything is read. (The
// package itself is verified end to end in audit_export_test.go and in
// internal/audit/export.)
func TestVerifyRefusesWhatIsNotAPackage(t *testing.T) {
	dir := t.TempDir()
	notZip := filepath.Join(dir, "notes.txt")
	os.WriteFile(notZip, []byte("hello"), 0o644)
	r := run(t, "verify", filepath.Join(dir, "missing.zip"))
	if r.code != 1 || !strings.Contains(r.stderr, "cannot open the package") {
		t.Fatalf("missing package: %d %s", r.code, r.stderr)
	}
	r = run(t, "verify", notZip)
	if r.code != 1 || !strings.Contains(r.stderr, "not a ZIP file") {
		t.Fatalf("not a zip: %d %s", r.code, r.stderr)
	}
	r = run(t, "verify", notZip, "--key", notZip)
	if r.code != 1 || !strings.Contains(r.stderr, "the trusted key") {
		t.Fatalf("bad key: %d %s", r.code, r.stderr)
	}
	// An empty folder is a package with nothing in it: every required file
	// is named as missing, in JSON too.
	empty := t.TempDir()
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	keyFile := filepath.Join(dir, "key.pem")
	os.WriteFile(keyFile, []byte(ledger.PublicKeyPEM(pub)), 0o644)
	r = run(t, "verify", empty, "--json", "--key", keyFile)
	var rep struct {
		OK     bool `json:"ok"`
		Faults []struct {
			File    string `json:"file"`
			Problem string `json:"problem"`
		} `json:"faults"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 1 || rep.OK {
		t.Fatalf("empty folder: %d %s %s (%v)", r.code, r.stdout, r.stderr, err)
	}
	missing := map[string]bool{}
	for _, f := range rep.Faults {
		missing[f.File] = strings.HasPrefix(f.Problem, "missing")
	}
	for _, f := range []string{"manifest.json", "ledger/entries.jsonl", "ledger/checkpoint.txt", "ledger/public-key.pem", "ledger/consistency.jsonl"} {
		if !missing[f] {
			t.Errorf("%s is not reported missing: %+v", f, rep.Faults)
		}
	}
}
