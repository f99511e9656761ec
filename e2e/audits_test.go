package e2e

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The owner opens a Type 2 audit and invites an auditor; the auditor signs
// in, lands on the audits it is invited to, opens a control's operation
// view with its chart, draws a sample with a seed and records an exception.
func TestAuditInTheBrowser(t *testing.T) {
	ctx, cancel := browser(t)
	defer cancel()
	bin := binary(t)
	s := startServer(t, bin)
	if out, err := exec.Command(bin, "--data", s.data, "controls", "adopt", "--all").CombinedOutput(); err != nil {
		t.Fatalf("adopt: %v %s", err, out)
	}
	err := chromedp.Do(ctx,
		signIn(s.base, s.email, s.password),
		chromedp.Navigate(s.base+"/audits"),
		chromedp.WaitVisible(`#new-audit`),
		chromedp.SendKeys(`#a-firm`, "Firm LLP"),
		chromedp.Submit(`#a-firm`),
		chromedp.WaitVisible(`#audit-controls`),
	)
	if err != nil {
		t.Fatal(err)
	}
	shot(ctx, t, "audit-overview")
	if flash := text(ctx, t, `.flash`); !strings.Contains(flash, "opened") || !strings.Contains(flash, "controls frozen") {
		t.Fatalf("flash: %q", flash)
	}
	if head := text(ctx, t, `main .page-head`); !strings.Contains(head, "Type 2") || !strings.Contains(head, "Firm LLP") {
		t.Fatalf("header: %q", head)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(`#m-email`, "ann@firm.test"),
		chromedp.Submit(`#m-email`),
		chromedp.WaitVisible(`#members table`),
	)
	if err != nil {
		t.Fatal(err)
	}
	flash := text(ctx, t, `.flash`)
	m := regexp.MustCompile(`password (\S+) —`).FindStringSubmatch(flash)
	if m == nil {
		t.Fatalf("no first password in %q", flash)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(`#sign-out`),
		chromedp.WaitVisible(`#email`),
		signIn(s.base, "ann@firm.test", m[1]),
		chromedp.WaitVisible(`#audits`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if list := text(ctx, t, `#audits`); !strings.Contains(list, "Firm LLP") {
		t.Fatalf("the auditor's audits: %q", list)
	}
	if rail := text(ctx, t, `nav.rail`); strings.Contains(rail, "Evidence") || strings.Contains(rail, "Controls") {
		t.Fatalf("the auditor sees other areas: %q", rail)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(`#audits a`),
		chromedp.WaitVisible(`#audit-controls`),
		chromedp.Navigate(s.base+"/audits/1/controls/IAM-08"),
		chromedp.WaitVisible(`#operation svg.chart`),
	)
	if err != nil {
		t.Fatal(err)
	}
	shot(ctx, t, "audit-control")
	err = chromedp.Do(ctx,
		chromedp.SendKeys(`#seed`, "42"),
		chromedp.Submit(`#seed`),
		chromedp.WaitVisible(`#sample-items`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if facts := text(ctx, t, `#sample-facts`); !strings.Contains(facts, "42") || !strings.Contains(facts, "quarterly") {
		t.Fatalf("sample: %q", facts)
	}
	err = chromedp.Do(ctx,
		chromedp.SetValue(`#r-1`, "exception"),
		chromedp.SendKeys(`#n-1`, "no sign-off on file"),
		chromedp.Submit(`#n-1`),
		chromedp.WaitVisible(`#item-1 .badge.bad`),
	)
	if err != nil {
		t.Fatal(err)
	}
	shot(ctx, t, "audit-sample")
	if row := text(ctx, t, `#item-1`); !strings.Contains(row, "exception") || !strings.Contains(row, "no sign-off on file") {
		t.Fatalf("item 1: %q", row)
	}
	// Another organization's pages stay closed.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/evidence"), chromedp.WaitVisible(`main h1`)); err != nil {
		t.Fatal(err)
	}
	if h := text(ctx, t, `main h1`); h != "Not allowed" {
		t.Fatalf("the auditor on the evidence page: %q", h)
	}
}
