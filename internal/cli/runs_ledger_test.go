package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A collection run is put on the ledger with the hash of every raw response
// and kept as the integration's automated evidence; an unchanged second run
// adds no evidence version; a raw response changed on disk is caught by
// `ledger verify`, which names it.
func TestCollectionRunsAreOnTheLedger(t *testing.T) {
	dir := t.TempDir()
	states, _ := filepath.Abs("../connector/terraform/testdata/states")
	in := &installation{args: []string{"--data", dir}}
	in.must(t, "integrations", "add", "--connector", "terraform", "--name", "tf", "--config", "paths="+states)
	in.must(t, "scan", "--json")
	in.must(t, "scan", "--json")

	var entries []struct {
		Kind    string `json:"kind"`
		Subject string `json:"subject"`
	}
	if err := json.Unmarshal([]byte(in.must(t, "ledger", "entries", "--json")), &entries); err != nil {
		t.Fatal(err)
	}
	runs := 0
	for _, e := range entries {
		if e.Kind == "run.finished" {
			runs++
		}
	}
	if runs != 2 {
		t.Fatalf("%d run.finished entries for two runs: %+v", runs, entries)
	}
	var items []struct {
		Kind     string `json:"kind"`
		Versions int    `json:"versions"`
	}
	if err := json.Unmarshal([]byte(in.must(t, "evidence", "list", "--json")), &items); err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Kind != "automated" || items[0].Versions != 1 {
		t.Fatalf("automated evidence after two identical runs: %+v", items)
	}
	if r := in.run(t, "ledger", "verify"); r.code != 0 {
		t.Fatalf("verify on an intact installation: %d\n%s", r.code, r.stdout)
	}

	var run struct {
		Observations []struct{ SHA256 string } `json:"observations"`
	}
	if err := json.Unmarshal([]byte(in.must(t, "runs", "show", "1", "--json")), &run); err != nil || len(run.Observations) == 0 {
		t.Fatalf("run 1: %v", err)
	}
	sha := run.Observations[0].SHA256
	p := filepath.Join(dir, "blobs", "sha256", sha[:2], sha[2:4], sha)
	os.Chmod(p, 0o600)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	os.WriteFile(p, b, 0o600)
	r := in.run(t, "ledger", "verify")
	if r.code != 1 || !strings.Contains(r.stdout, sha) {
		t.Fatalf("a changed raw response is not caught: %d\n%s", r.code, r.stdout)
	}
}
