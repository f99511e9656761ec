package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// An editor uploads a file through the form, is refused a wrong type with a
// message, lands on the item's page with its hash and verification state,
// and finds it in the list by control; the signing key is in Settings.
func TestUploadEvidenceInTheBrowser(t *testing.T) {
	ctx, cancel := browser(t)
	defer cancel()
	bin := binary(t)
	s := startServer(t, bin)
	if out, err := exec.Command(bin, "--data", s.data, "controls", "adopt", "POL-01", "POL-02").CombinedOutput(); err != nil {
		t.Fatalf("adopt: %v %s", err, out)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "infosec-policy.pdf")
	os.WriteFile(good, []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"), 0o600)
	bad := filepath.Join(dir, "setup.pdf")
	os.WriteFile(bad, append([]byte("MZ\x90\x00"), make([]byte, 64)...), 0o600)

	err := chromedp.Do(ctx,
		signIn(s.base, s.email, s.password),
		chromedp.Navigate(s.base+"/evidence"),
		chromedp.WaitVisible(`main h1`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if empty := text(ctx, t, `main`); !strings.Contains(empty, "No evidence yet") {
		t.Fatalf("evidence page: %q", empty)
	}
	fill := func(file string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.Navigate(s.base+"/evidence/new"),
			chromedp.WaitVisible(`#evidence-form`),
			chromedp.SendKeys(`#e-controls`, "POL-01, POL-02"),
			chromedp.SetUploadFiles(`#e-file`, []string{file}),
			chromedp.Submit(`#evidence-form`),
		)
	}
	if err := chromedp.Do(ctx, fill(bad), chromedp.WaitVisible(`#form-error`)); err != nil {
		t.Fatal(err)
	}
	if msg := text(ctx, t, `#form-error`); !strings.Contains(msg, "is not accepted") {
		t.Fatalf("wrong type message: %q", msg)
	}
	if err := chromedp.Do(ctx, fill(good), chromedp.WaitVisible(`#verification`)); err != nil {
		t.Fatal(err)
	}
	if v, sha := text(ctx, t, `#verification`), text(ctx, t, `#current-sha`); !strings.Contains(v, "verified") || len(sha) != 64 {
		t.Fatalf("item page: %q %q", v, sha)
	}
	if h := text(ctx, t, `main h1`); h != "infosec-policy.pdf" {
		t.Fatalf("item title %q", h)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/evidence?control=POL-02"), chromedp.WaitVisible(`#evidence-list`)); err != nil {
		t.Fatal(err)
	}
	if list := text(ctx, t, `#evidence-list`); !strings.Contains(list, "infosec-policy.pdf") {
		t.Fatalf("list: %q", list)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/settings/signing-key"), chromedp.WaitVisible(`#public-key`)); err != nil {
		t.Fatal(err)
	}
	if key := text(ctx, t, `#public-key`); !strings.Contains(key, "BEGIN PUBLIC KEY") {
		t.Fatalf("signing key: %q", key)
	}
}
