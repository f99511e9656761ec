package okta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/assurehq/assure/internal/connector"
)

// pacer sits above the Runtime's HTTP client transport (which retries,
// rate-limits, records, and waits out 429s). It adds two things Okta calls
// for:
//
//   - When a successful answer says X-Rate-Limit-Remaining: 0, the next
//     request would be refused: the pacer holds every further request until
//     X-Rate-Limit-Reset, when that is within max (beyond, it lets the
//     request go, and the HTTP discipline reports the 429 with the reason).
//     Okta counts refused requests as rate-limit violations and warns the
//     org's admins; waiting avoids them.
//   - It keeps the last refused answer (status, headers, body) for the
//     context that asked (keepRefusal), so the error can quote Okta's
//     error code and the WWW-Authenticate scope it names.
type pacer struct {
	next  http.RoundTripper
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
	max   time.Duration

	mu    sync.Mutex
	until time.Time
}

func (p *pacer) RoundTrip(req *http.Request) (*http.Response, error) {
	p.mu.Lock()
	until := p.until
	p.mu.Unlock()
	if wait := until.Sub(p.now()); wait > 0 && wait <= p.max {
		if err := p.sleep(req.Context(), wait); err != nil {
			return nil, err
		}
	}
	resp, err := p.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 300 && strings.TrimSpace(resp.Header.Get("X-Rate-Limit-Remaining")) == "0" {
		if secs, perr := strconv.ParseInt(strings.TrimSpace(resp.Header.Get("X-Rate-Limit-Reset")), 10, 64); perr == nil {
			reset := time.Unix(secs, 0).Add(time.Second)
			p.mu.Lock()
			if reset.After(p.until) {
				p.until = reset
			}
			p.mu.Unlock()
		}
	}
	if resp.StatusCode >= 400 {
		if slot, ok := req.Context().Value(refusalKey{}).(*refusalSlot); ok {
			body, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			resp.Body = io.NopCloser(bytes.NewReader(body))
			if rerr == nil {
				slot.set(&refusal{status: resp.StatusCode, header: resp.Header.Clone(), body: body})
			}
		}
	}
	return resp, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// refusal is an answer outside 2xx, kept to explain it.
type refusal struct {
	status int
	header http.Header
	body   []byte
}

type refusalKey struct{}

type refusalSlot struct {
	mu sync.Mutex
	r  *refusal
}

func (s *refusalSlot) set(r *refusal) { s.mu.Lock(); s.r = r; s.mu.Unlock() }
func (s *refusalSlot) get() *refusal  { s.mu.Lock(); defer s.mu.Unlock(); return s.r }

// keepRefusal returns a context under which the pacer keeps the last
// refused answer in the returned slot.
func keepRefusal(ctx context.Context) (context.Context, *refusalSlot) {
	s := &refusalSlot{}
	return context.WithValue(ctx, refusalKey{}, s), s
}

// oktaError is the body of an Okta API error.
type oktaError struct {
	Code        string `json:"errorCode"`
	Summary     string `json:"errorSummary"`
	ErrorCauses []struct {
		Summary string `json:"errorSummary"`
	} `json:"errorCauses"`
}

// explain turns a refused call into an error that says what to fix:
// Okta's error code and summary, and advice for the credential in use.
// It wraps err, so errors.As still finds the *connector.HTTPError.
func (c *client) explain(err error, r *refusal, what string) error {
	var he *connector.HTTPError
	if !errors.As(err, &he) || r == nil || r.status != he.Status {
		return fmt.Errorf("cannot %s: %w", what, err)
	}
	var oe oktaError
	_ = json.Unmarshal(r.body, &oe)
	detail := ""
	if oe.Code != "" {
		detail = fmt.Sprintf(" (Okta %s: %s", oe.Code, strings.TrimSpace(oe.Summary))
		for _, cause := range oe.ErrorCauses {
			if s := strings.TrimSpace(cause.Summary); s != "" {
				detail += "; " + s
			}
		}
		detail += ")"
	}
	challenge := wwwAuthenticate(r.header.Get("WWW-Authenticate"))
	var advice string
	switch {
	case he.Status == http.StatusUnauthorized:
		advice = c.auth.refused()
	case he.Status == http.StatusForbidden && challenge["error"] == "insufficient_scope":
		scope := challenge["scope"]
		if scope == "" {
			scope = "needed here"
		}
		advice = fmt.Sprintf("the service app's access token lacks the scope %s: grant it on the app's Okta API Scopes tab", scope)
	case he.Status == http.StatusForbidden:
		advice = c.auth.forbidden()
	case he.Status == http.StatusTooManyRequests:
		advice = "Okta's rate limit for this endpoint stayed used up: lower lookup_concurrency or the integration's rate limit, " +
			"or collect at a quieter time (the Rate Limits dashboard in the Admin Console shows who uses the quota)"
	}
	if advice != "" {
		advice = ": " + advice
	}
	return fmt.Errorf("cannot %s: %w%s%s", what, err, detail, advice)
}

// wwwAuthenticate parses the parameters of a Bearer challenge:
// error="insufficient_scope", scope="okta.users.read", ….
func wwwAuthenticate(v string) map[string]string {
	out := map[string]string{}
	_, params, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok {
		return out
	}
	for params != "" {
		params = strings.TrimLeft(params, " ,")
		key, rest, ok := strings.Cut(params, "=")
		if !ok {
			break
		}
		var val string
		if strings.HasPrefix(rest, `"`) {
			end := strings.Index(rest[1:], `"`)
			if end < 0 {
				break
			}
			val, params = rest[1:end+1], rest[end+2:]
		} else {
			val, params, _ = strings.Cut(rest, ",")
		}
		out[strings.ToLower(strings.TrimSpace(key))] = strings.TrimSpace(val)
	}
	return out
}

// notFound reports whether err is Okta's 404 (the object went away while
// the run was reading it).
func notFound(err error) bool {
	var he *connector.HTTPError
	return errors.As(err, &he) && he.Status == http.StatusNotFound
}
