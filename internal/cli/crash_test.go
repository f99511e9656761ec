package cli_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/blob/blobtest"
	"github.com/assurehq/assure/internal/store/storetest"
)

// buildAssure builds the real binary once per test.
func buildAssure(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "assure")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/assure")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func randomDuration(max time.Duration) time.Duration {
	n, _ := rand.Int(rand.Reader, big.NewInt(int64(max)+1))
	return time.Duration(n.Int64())
}

// Killing the process (SIGKILL) at random points during uploads never
// leaves a ledger entry whose file is missing, nor a partial file under a
// final name: content is stored completely first, then the rows and the
// ledger entry commit in one transaction. After the kills, a restarted
// process verifies the whole ledger and every stored file.
func TestKilledUploadsLeaveNoBrokenRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it repeatedly")
	}
	bin := buildAssure(t)
	for _, b := range blobtest.Backends() {
		for _, e := range storetest.Engines() {
			t.Run(b.Name+"/"+e.Name, func(t *testing.T) {
				st, dir, u := e.Open(t)
				st.Close()
				blobs, blobURL := b.Open(t)
				args := []string{"--data", dir, "--blob-url", blobURL, "--max-upload-size", "64MB", "--log-level", "error"}
				if u != "" {
					args = append(args, "--database-url", u)
				}
				runBin := func(extra ...string) *exec.Cmd {
					cmd := exec.Command(bin, append(append([]string{}, args...), extra...)...)
					cmd.Stdout, cmd.Stderr = nil, nil
					return cmd
				}
				if out, err := runBin("migrate").CombinedOutput(); err != nil {
					t.Fatalf("migrate: %v %s", err, out)
				}
				if out, err := runBin("controls", "adopt", "IAM-01").CombinedOutput(); err != nil {
					t.Fatalf("adopt: %v %s", err, out)
				}
				upload := func(i int) string {
					// Random content: every upload is a new blob of a few MB.
					body := make([]byte, 3<<20+i*4096)
					rand.Read(body[6:])
					copy(body, "%PDF-1")
					return writeFile(t, "scan.pdf", body)
				}
				// One complete upload tells how long an upload takes here.
				start := time.Now()
				if out, err := runBin("evidence", "add", upload(0), "--control", "IAM-01").CombinedOutput(); err != nil {
					t.Fatalf("upload: %v %s", err, out)
				}
				full := time.Since(start)
				killed := 0
				for i := 1; i <= 12; i++ {
					cmd := runBin("evidence", "add", upload(i), "--control", "IAM-01")
					if err := cmd.Start(); err != nil {
						t.Fatal(err)
					}
					time.Sleep(randomDuration(full + full/4))
					if cmd.Process.Signal(syscall.SIGKILL) == nil {
						killed++
					}
					cmd.Wait()
				}
				t.Logf("%d uploads killed at random points within %v", killed, full)
				// Restart: the ledger and every referenced file verify ...
				out, err := runBin("ledger", "verify").CombinedOutput()
				if err != nil || !strings.Contains(string(out), "The ledger verifies") {
					t.Fatalf("verify after kills: %v\n%s", err, out)
				}
				// ... and no file under a final name is partial.
				n := blobtest.CheckAll(t, blobs)
				if n < 1 {
					t.Fatal("no blob stored at all")
				}
				// Temporary files left by killed writers are not blobs.
				if b.Name == "local" {
					tmp, _ := os.ReadDir(filepath.Join(blobURL, "tmp"))
					t.Logf("%d blobs, %d temporary files left by killed writers", n, len(tmp))
				}
			})
		}
	}
}

// The same holds for collection: killing `assure scan` at random points
// while it fetches and stores raw responses never leaves a run record, a
// ledger entry or an observation whose blob is missing or partial. Each
// attempt uses its own integration, since a killed run keeps its
// integration marked running until the run is declared interrupted.
func TestKilledCollectionsLeaveNoBrokenRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it repeatedly")
	}
	bin := buildAssure(t)
	state, err := os.ReadFile("../connector/terraform/testdata/states/prod/terraform.tfstate")
	if err != nil {
		t.Fatal(err)
	}
	// A slow state server: each answer takes a little while, so a run of
	// several state URLs spends time between and inside its writes.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(40 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		// Each URL answers a different body, so every run stores new blobs.
		w.Write(bytes.Replace(state, []byte(`"serial": `), []byte(`"lineage_note": "`+r.URL.Path+`", "serial": `), 1))
	}))
	defer srv.Close()
	for _, b := range blobtest.Backends() {
		for _, e := range storetest.Engines() {
			t.Run(b.Name+"/"+e.Name, func(t *testing.T) {
				st, dir, u := e.Open(t)
				st.Close()
				blobs, blobURL := b.Open(t)
				args := []string{"--data", dir, "--blob-url", blobURL, "--log-level", "error"}
				if u != "" {
					args = append(args, "--database-url", u)
				}
				runBin := func(extra ...string) *exec.Cmd {
					return exec.Command(bin, append(append([]string{}, args...), extra...)...)
				}
				urls := func(i int) string {
					var us []string
					for j := range 6 {
						us = append(us, fmt.Sprintf("%s/state/%d/%d", srv.URL, i, j))
					}
					return "urls=" + strings.Join(us, ",")
				}
				for i := 0; i <= 10; i++ {
					if out, err := runBin("integrations", "add", "--connector", "terraform", "--name", fmt.Sprintf("tf%d", i), "--config", urls(i)).CombinedOutput(); err != nil {
						t.Fatalf("add: %v %s", err, out)
					}
				}
				start := time.Now()
				if out, err := runBin("scan", "--integration", "tf0").CombinedOutput(); err != nil {
					t.Fatalf("scan: %v %s", err, out)
				}
				full := time.Since(start)
				for i := 1; i <= 10; i++ {
					cmd := runBin("scan", "--integration", fmt.Sprintf("tf%d", i))
					if err := cmd.Start(); err != nil {
						t.Fatal(err)
					}
					time.Sleep(randomDuration(full))
					cmd.Process.Signal(syscall.SIGKILL)
					cmd.Wait()
				}
				var runs []struct{ Status string }
				if out, err := runBin("runs", "list", "--json").Output(); err == nil {
					json.Unmarshal(out, &runs)
				}
				byStatus := map[string]int{}
				for _, r := range runs {
					byStatus[r.Status]++
				}
				t.Logf("runs after the kills, by status: %v", byStatus)
				out, err := runBin("ledger", "verify").CombinedOutput()
				if err != nil || !strings.Contains(string(out), "The ledger verifies") {
					t.Fatalf("verify after kills: %v\n%s", err, out)
				}
				if n := blobtest.CheckAll(t, blobs); n < 6 {
					t.Fatalf("only %d blobs stored", n)
				}
			})
		}
	}
}
