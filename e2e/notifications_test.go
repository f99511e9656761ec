package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// An administrator adds a webhook channel on Settings → Notifications,
// copies the signing secret shown once, sends a test message, and reads
// it in the delivery log.
func TestNotificationChannelInTheBrowser(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
	}))
	defer hook.Close()
	ctx, cancel := browser(t)
	defer cancel()
	s := startServer(t, binary(t))
	var secret string
	err := chromedp.Do(ctx,
		signIn(s.base, s.email, s.password),
		chromedp.Navigate(s.base+"/settings/notifications"),
		chromedp.WaitVisible(`#n-name`),
		chromedp.SendKeys(`#n-name`, "siem"),
		chromedp.Click(`input[name="kind"][value="webhook"]`),
		chromedp.SendKeys(`#n-url`, hook.URL+"/in"),
		chromedp.SetValue(`#n-sev`, "high"),
		chromedp.Submit(`#n-name`),
		chromedp.WaitVisible(`#signing-secret`),
	)
	if err != nil {
		t.Fatal(err)
	}
	secret = text(ctx, t, `#signing-secret`)
	if len(strings.TrimSpace(secret)) != 64 {
		t.Fatalf("signing secret %q", secret)
	}
	shot(ctx, t, "notifications-added")
	err = chromedp.Do(ctx,
		chromedp.Click(`form[action$="/test"] button`),
		chromedp.WaitVisible(`.flash`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if flash := text(ctx, t, `.flash`); !strings.Contains(flash, "Test message sent through") {
		t.Fatalf("flash: %q", flash)
	}
	if log := text(ctx, t, `main`); !strings.Contains(log, "✓ sent") || !strings.Contains(log, "high and above") || strings.Contains(log, hook.URL+"/in") {
		t.Fatalf("page after the test: %s", log)
	}
	shot(ctx, t, "notifications-log")
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 1 || !strings.Contains(bodies[0], `"type":"test"`) {
		t.Fatalf("received %v", bodies)
	}
}
