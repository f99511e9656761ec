package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestHostIntegrationInTheBrowser adds the host integration from the
// Integrations page, runs it, and follows a resource to its raw response.
func TestHostIntegrationInTheBrowser(t *testing.T) {
	ctx, cancel := browser(t)
	defer cancel()
	s := startServer(t, binary(t))
	err := chromedp.Do(ctx,
		signIn(s.base, s.email, s.password),
		chromedp.Navigate(s.base+"/integrations"),
		chromedp.WaitVisible(`a[href="/integrations/new?connector=host"]`),
		chromedp.Click(`a[href="/integrations/new?connector=host"]`),
		chromedp.WaitVisible(`#integration-form`),
		chromedp.SendKeys(`#name`, "this-host"),
		chromedp.Submit(`#name`),
		chromedp.WaitVisible(`#run-now`),
		chromedp.Click(`#test`),
		chromedp.WaitVisible(`#test-result`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if msg := text(ctx, t, `#test-result`); !strings.Contains(msg, "Connection works") {
		t.Fatalf("test connection: %q", msg)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`#run-now`), chromedp.WaitVisible(`#run-status`)); err != nil {
		t.Fatal(err)
	}
	// The run page refreshes itself while the run is going.
	deadline := time.Now().Add(30 * time.Second)
	for status := text(ctx, t, `#run-status`); strings.Contains(status, "running"); status = text(ctx, t, `#run-status`) {
		if time.Now().After(deadline) {
			t.Fatal("the run did not finish")
		}
		if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(`#run-status`)); err != nil {
			t.Fatal(err)
		}
	}
	if status := text(ctx, t, `#run-status`); !strings.Contains(status, "succeeded") {
		t.Fatalf("run: %q", status)
	}
	if listings := text(ctx, t, `#listings`); !strings.Contains(listings, "host.sshd") || !strings.Contains(listings, "host.listening_port") {
		t.Fatalf("listings: %q", listings)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(s.base+"/resources?type=host.machine"),
		chromedp.WaitVisible(`#resources a`),
		chromedp.Click(`#resources a`),
		chromedp.WaitVisible(`#attributes`),
	)
	if err != nil {
		t.Fatal(err)
	}
	attrs := text(ctx, t, `#attributes`)
	if !strings.Contains(attrs, "uid0_accounts") || !strings.Contains(attrs, "file /etc/passwd") {
		t.Fatalf("attributes: %q", attrs)
	}
	link, err := chromedp.Run(ctx, chromedp.AttributeValue(`article.version a[href^="/observations/"]`, "href"))
	if err != nil || !link.Exists {
		t.Fatalf("no raw response link: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+link.Value)); err != nil {
		t.Fatal(err)
	}
	if body := text(ctx, t, `body`); strings.TrimSpace(body) == "" {
		t.Fatal("the raw response is empty")
	}
}
