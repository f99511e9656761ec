package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// shot saves a full-page screenshot when ASSURE_E2E_SHOTS names a directory
// (to look at the pages while working on them; tests pass without it).
func shot(ctx context.Context, t *testing.T, name string) {
	dir := os.Getenv("ASSURE_E2E_SHOTS")
	if dir == "" {
		return
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 1100)); err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	_ = os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644)
}

// A compliance officer picks SOC 2 categories (Security locked), asks the
// scoping assistant, adopts the library, edits a control and reads coverage.
func TestFrameworksControlsAndCoverageInTheBrowser(t *testing.T) {
	ctx, cancel := browser(t)
	defer cancel()
	bin := binary(t)
	s := startServer(t, bin)
	if err := chromedp.Do(ctx, signIn(s.base, s.email, s.password),
		chromedp.Click(`nav.rail a[href="/frameworks"]`),
		chromedp.WaitVisible(`#cat-security`),
	); err != nil {
		t.Fatal(err)
	}
	disabled, err := chromedp.Run(ctx, chromedp.AttributeValue(`#cat-security`, "disabled"))
	if err != nil || !disabled.Exists {
		t.Fatalf("the Security checkbox can be unticked: %v", err)
	}
	shot(ctx, t, "frameworks-soc2")
	// Tick Availability and save.
	if err := chromedp.Do(ctx,
		chromedp.Click(`#cat-availability`),
		chromedp.Click(`#save-categories`),
		chromedp.WaitVisible(`.flash`),
	); err != nil {
		t.Fatal(err)
	}
	if msg := text(ctx, t, `.flash`); !strings.Contains(msg, "Security, Availability") {
		t.Fatalf("after saving categories: %q", msg)
	}
	if sum := text(ctx, t, `#soc2-summary`); !strings.Contains(sum, "36 criteria in scope") {
		t.Fatalf("summary after adding availability: %q", sum)
	}
	// The scoping assistant.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.base+"/frameworks/scoping"),
		chromedp.WaitVisible(`#scoping-form`),
		chromedp.SendKeys(`#q-services`, "hosted secrets manager"),
		chromedp.Click(`input[name="previously_audited"][value="yes"]`),
		chromedp.Click(`input[name="commitments"][value="availability"]`),
		chromedp.Click(`input[name="commitments"][value="confidentiality"]`),
		chromedp.Click(`#recommend`),
		chromedp.WaitVisible(`#recommendation`),
	); err != nil {
		t.Fatal(err)
	}
	rec := text(ctx, t, `#recommendation`)
	if !strings.Contains(rec, "SOC 2 Type 2") || !strings.Contains(rec, "availability, confidentiality") || !strings.Contains(rec, "uptime") {
		t.Fatalf("recommendation: %q", rec)
	}
	shot(ctx, t, "scoping")
	// Adopt the library and edit a control.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.base+"/controls"),
		chromedp.WaitVisible(`#adopt-all`),
		chromedp.Click(`#adopt-all`),
		chromedp.WaitVisible(`#controls`),
	); err != nil {
		t.Fatal(err)
	}
	if sum := text(ctx, t, `#controls-summary`); !strings.Contains(sum, "planned") || strings.HasPrefix(sum, "0 ") {
		t.Fatalf("controls summary: %q", sum)
	}
	shot(ctx, t, "controls")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.base+"/controls/IAM-01"),
		chromedp.WaitVisible(`#c-owner`),
		chromedp.SetValue(`#c-owner`, "Dana (IT)"),
		chromedp.Click(`#save-control`),
		chromedp.WaitVisible(`.flash`),
	); err != nil {
		t.Fatal(err)
	}
	if page := text(ctx, t, `main`); !strings.Contains(page, "Dana (IT)") || !strings.Contains(page, "edited: owner") {
		t.Fatalf("control after edit: %.500q", page)
	}
	shot(ctx, t, "control")
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/frameworks/soc2/coverage"), chromedp.WaitVisible(`#matrix`)); err != nil {
		t.Fatal(err)
	}
	if sum := text(ctx, t, `#coverage-summary`); !strings.Contains(sum, "In scope") {
		t.Fatalf("coverage: %q", sum)
	}
	shot(ctx, t, "coverage")
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/frameworks/soc2/scope"), chromedp.WaitVisible(`#save-system`)); err != nil {
		t.Fatal(err)
	}
	shot(ctx, t, "scope")
	// SOC 1: an objective from a template; the adopted library maps to it.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.base+"/frameworks/soc1"),
		chromedp.WaitVisible(`#tpl`),
		chromedp.SetValue(`#tpl`, "ITGC-LA-1"),
		chromedp.Submit(`#tpl`),
		chromedp.WaitVisible(`#objectives`),
	); err != nil {
		t.Fatal(err)
	}
	if row := text(ctx, t, `tr[id="ITGC-LA-1"]`); !strings.Contains(row, "covered") || !strings.Contains(row, "IAM-") {
		t.Fatalf("objective row: %q", row)
	}
	shot(ctx, t, "soc1")
}
