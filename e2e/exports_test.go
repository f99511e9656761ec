package e2e

import (
	"archive/zip"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// The owner opens an audit's Exports tab, makes the evidence package in the
// browser, and the downloaded file verifies offline with the installation's
// public key; one byte changed and it does not, naming the file.
func TestExportPackageInTheBrowser(t *testing.T) {
	ctx, cancel := browser(t)
	defer cancel()
	bin := binary(t)
	s := startServer(t, bin)
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, append([]string{"--data", s.data}, args...)...).Output()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return string(out)
	}
	run("controls", "adopt", "--all")
	ev := filepath.Join(t.TempDir(), "review.csv")
	os.WriteFile(ev, []byte("user,decision\nann,keep\n"), 0o644)
	run("evidence", "add", ev, "--control", "IAM-08", "--effective", "2026-02-15")
	var a struct{ ID int64 }
	if err := json.Unmarshal([]byte(run("audit", "create", "--framework", "soc2", "--type", "2", "--from", "2026-01-01", "--to", "2026-06-30", "--json")), &a); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(t.TempDir(), "key.pem")
	os.WriteFile(key, []byte(run("ledger", "key")), 0o644)

	downloads := t.TempDir()
	progress := chromedp.Events(ctx, cdpbrowser.DownloadProgress)
	exports := s.base + "/audits/" + strconv.FormatInt(a.ID, 10) + "/exports"
	err := chromedp.Do(ctx,
		signIn(s.base, s.email, s.password),
		chromedp.Navigate(s.base+"/audits/"+strconv.FormatInt(a.ID, 10)),
		chromedp.WaitVisible(`nav.tabs`),
		chromedp.Click(chromedp.CSS(`nav.tabs a[href$="/exports"]`)),
		chromedp.WaitVisible(`#export-choices`),
	)
	if err != nil {
		t.Fatal(err)
	}
	shot(ctx, t, "audit-exports")
	if page := text(ctx, t, `main`); !strings.Contains(page, "not a SOC report") || !strings.Contains(page, "No package made yet") {
		t.Fatalf("exports page: %q", page)
	}
	err = chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
				Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: ptr(true)})
			return err
		}),
		chromedp.Click(chromedp.CSS(`form[action$="/exports/package"] button`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	var file string
	for ev, err := range progress {
		if err != nil {
			t.Fatal(err)
		}
		if ev.State == cdpbrowser.DownloadProgressStateCompleted {
			file = filepath.Join(downloads, ev.GUID)
			break
		}
		if ev.State == cdpbrowser.DownloadProgressStateCanceled {
			t.Fatal("the download was cancelled")
		}
	}
	out, err := exec.Command(bin, "verify", file, "--key", key).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "✓ The package verifies") {
		t.Fatalf("the downloaded package does not verify: %v\n%s", err, out)
	}
	// The page now lists the package made.
	if err := chromedp.Do(ctx, chromedp.Navigate(exports), chromedp.WaitVisible(`#export-records`)); err != nil {
		t.Fatal(err)
	}
	if rec := text(ctx, t, `#export-records tbody`); !strings.Contains(rec, s.email) {
		t.Fatalf("packages made: %q", rec)
	}
	shot(ctx, t, "audit-exports-made")

	// Extract it, change one byte of the evidence, verify the folder.
	dir := t.TempDir()
	zr, err := zip.OpenReader(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, b, 0o644)
	}
	zr.Close()
	matches, _ := filepath.Glob(filepath.Join(dir, "evidence", "IAM-08", "*"))
	if len(matches) == 0 {
		t.Fatal("no evidence for IAM-08 in the package")
	}
	b, _ := os.ReadFile(matches[0])
	b[0] ^= 0x20
	os.WriteFile(matches[0], b, 0o644)
	out, err = exec.Command(bin, "verify", dir, "--key", key).CombinedOutput()
	rel, _ := filepath.Rel(dir, matches[0])
	if err == nil || !strings.Contains(string(out), filepath.ToSlash(rel)+": has been changed") {
		t.Fatalf("a changed file in the extracted package: %v\n%s", err, out)
	}
}

func ptr[T any](v T) *T { return &v }
