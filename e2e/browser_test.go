// Package e2e drives the real assure binary in headless Chromium. It needs
// Debian's chromium: set ASSURE_TEST_CHROMIUM=/usr/bin/chromium to run it.
package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumEnv names the variable that enables the browser tests.
const ChromiumEnv = "ASSURE_TEST_CHROMIUM"

// binary builds cmd/assure once per test run.
func binary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "assure")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/assure")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// server is a running `assure serve`.
type server struct {
	cmd             *exec.Cmd
	base            string
	email, password string
	data            string
}

func startServer(t *testing.T, bin string) *server {
	t.Helper()
	s := &server{data: t.TempDir()}
	s.cmd = exec.Command(bin, "serve", "--data", s.data, "--addr", "127.0.0.1:0")
	s.cmd.Stderr = os.Stderr
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.cmd.Process.Kill(); s.cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if m := regexp.MustCompile(`E-mail\s+(\S+)`).FindStringSubmatch(line); m != nil {
			s.email = m[1]
		}
		if m := regexp.MustCompile(`Password\s+(\S+)`).FindStringSubmatch(line); m != nil {
			s.password = m[1]
		}
		if m := regexp.MustCompile(`listening on (\S+)\)`).FindStringSubmatch(line); m != nil {
			s.base = "http://" + m[1]
			break
		}
	}
	go io.Copy(io.Discard, out)
	if s.base == "" || s.password == "" {
		t.Fatal("assure serve printed no address or no first-start password")
	}
	return s
}

func browser(t *testing.T) (context.Context, context.CancelFunc) {
	t.Helper()
	exe := os.Getenv(ChromiumEnv)
	if exe == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI must run the browser tests: .ci/run sets %s", ChromiumEnv)
		}
		t.Skipf("browser tests skipped: set %s=/usr/bin/chromium (Debian package chromium) to run them", ChromiumEnv)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	return ctx, func() { cancelT(); cancelC(); cancelA() }
}

func signIn(base, email, password string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(`#email`),
		chromedp.SendKeys(`#email`, email),
		chromedp.SendKeys(`#password`, password),
		chromedp.Submit(`#password`),
		chromedp.WaitVisible(`nav.rail`),
	)
}

// text reads an element's visible text.
func text(ctx context.Context, t *testing.T, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func TestSignInShellSignOut(t *testing.T) {
	ctx, cancel := browser(t)
	defer cancel()
	bin := binary(t)
	s := startServer(t, bin)

	// A wrong password is refused on the page.
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.base+"/login"),
		chromedp.WaitVisible(`#email`),
		chromedp.SendKeys(`#email`, s.email),
		chromedp.SendKeys(`#password`, "not the password"),
		chromedp.Submit(`#password`),
		chromedp.WaitVisible(`.error`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if msg := text(ctx, t, `.error`); !strings.Contains(msg, "not right") {
		t.Fatalf("wrong-password message: %q", msg)
	}

	if err := chromedp.Do(ctx, signIn(s.base, s.email, s.password)); err != nil {
		t.Fatal(err)
	}
	nav, heading := text(ctx, t, `nav.rail ul`), text(ctx, t, `main h1`)
	for _, area := range []string{"Dashboard", "Frameworks", "Controls", "Tests", "Integrations", "Resources", "Evidence", "Audits", "Settings"} {
		if !strings.Contains(nav, area) {
			t.Errorf("navigation lacks %s: %q", area, nav)
		}
	}
	if heading != "Dashboard" {
		t.Fatalf("after sign-in the page is %q", heading)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(`#sign-out`),
		chromedp.WaitVisible(`#email`),
		chromedp.Navigate(s.base+"/settings/account"),
		chromedp.WaitVisible(`#email`),
	)
	if err != nil {
		t.Fatal(err)
	}
	url, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(url, "/login") {
		t.Fatalf("after sign-out a page still opens: %s", url)
	}

	// SIGTERM shuts the server down cleanly.
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop after SIGTERM")
	}
}

func TestViewerCannotReachAdminPages(t *testing.T) {
	ctx, cancel := browser(t)
	defer cancel()
	bin := binary(t)
	s := startServer(t, bin)
	// Add a viewer with the CLI, beside the running server.
	out, err := exec.Command(bin, "--data", s.data, "user", "create", "viewer@example.com", "--role", "viewer", "--json").Output()
	if err != nil {
		t.Fatalf("user create: %v", err)
	}
	var nm struct {
		InitialPassword string `json:"initial_password"`
	}
	if err := json.Unmarshal(out, &nm); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		signIn(s.base, "viewer@example.com", nm.InitialPassword),
		chromedp.Navigate(s.base+"/settings/account"),
		chromedp.WaitVisible(`nav.tabs`),
	)
	if err != nil {
		t.Fatal(err)
	}
	tabs := text(ctx, t, `nav.tabs`)
	if err := chromedp.Do(ctx, chromedp.Navigate(s.base+"/settings/members"), chromedp.WaitVisible(`main h1`)); err != nil {
		t.Fatal(err)
	}
	heading := text(ctx, t, `main h1`)
	if strings.Contains(tabs, "Members") {
		t.Errorf("a viewer is offered the Members tab: %q", tabs)
	}
	if heading != "Not allowed" {
		t.Fatalf("a viewer opened /settings/members: %q", heading)
	}
}
