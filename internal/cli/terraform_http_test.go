package cli_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A Terraform state fetched over HTTP is kept as provenance without the
// secrets inside it, exactly like a state read from a file: the raw body
// stored in the blob store and served by `observations body` never holds
// the database password the state carries.
func TestTerraformHTTPStateIsStoredWithoutItsSecrets(t *testing.T) {
	state, err := os.ReadFile("../connector/terraform/testdata/states/prod/terraform.tfstate")
	if err != nil {
		t.Fatal(err)
	}
	const password = "r4nd0m-Pa55-w0rd"
	if !strings.Contains(string(state), password) {
		t.Fatal("the fixture no longer holds the secret this test looks for")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(state)
	}))
	defer srv.Close()

	dir := t.TempDir()
	in := &installation{args: []string{"--data", dir}}
	in.must(t, "integrations", "add", "--connector", "terraform", "--name", "remote", "--config", "urls="+srv.URL+"/state")
	if out := in.must(t, "scan", "--json"); !strings.Contains(out, `"status": "succeeded"`) {
		t.Fatalf("scan: %s", out)
	}
	found := 0
	err = filepath.Walk(filepath.Join(dir, "blobs", "sha256"), func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		if strings.Contains(string(b), `"terraform_version"`) {
			found++
		}
		if strings.Contains(string(b), password) {
			t.Errorf("blob %s holds the state's secret", filepath.Base(p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found == 0 {
		t.Fatal("the fetched state was not kept as provenance at all")
	}
	if body := in.must(t, "observations", "body", "1"); strings.Contains(body, password) {
		t.Fatal("observations body shows the state's secret")
	}
}
