package connector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Helpers for REST connectors. They work with the client from
// Runtime.HTTPClient, which already retries, rate-limits, refuses redirects
// to another host and records every call; these add what a listing needs on
// top: status checks, JSON decoding with a useful error, and bounded
// pagination that never sends the credentials to another host.

// HTTPPolicy tunes the Runtime's HTTP client for one connector. The zero
// value is sensible.
type HTTPPolicy struct {
	// RateLimit is the default number of requests per second for one
	// integration (an integration may set its own); 0 means 10.
	RateLimit float64
	// Throttle recognizes the provider's own throttling signal (beyond 429
	// and Retry-After, which the client always honours), so the client waits
	// it out within its bound instead of failing.
	Throttle ThrottleFunc
	// Redact returns the copy of a response body to store as provenance,
	// with the secrets the response itself carries replaced (an OAuth token
	// endpoint's access_token, which is no configured value the runtime
	// could know); nil stores bodies as received. The connector always
	// receives the body as received, and the integration's own secret values
	// are replaced in any case. It returns a new slice and leaves body as it
	// is. See RedactJSONFields.
	Redact func(req *http.Request, body []byte) []byte
}

// ThrottleFunc inspects a response and says whether the provider is
// throttling and until when. A zero until means the provider gives no
// reset time and asks clients to back off (Google's rateLimitExceeded): the
// client then waits as for a 429 without Retry-After, with exponential
// back-off and jitter, within its bounded attempts. The response body may be
// read; it must then be put back (resp.Body) for the caller.
type ThrottleFunc func(resp *http.Response, now time.Time) (until time.Time, throttled bool)

// RedactJSONFields returns an HTTPPolicy.Redact that replaces the string
// value of every JSON member with one of the names, at any depth, by
// "[redacted]", leaving the rest of the body byte for byte: for token
// endpoints, RedactJSONFields("access_token", "id_token", "refresh_token").
func RedactJSONFields(names ...string) func(req *http.Request, body []byte) []byte {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = regexp.QuoteMeta(n)
	}
	re := regexp.MustCompile(`("(?:` + strings.Join(quoted, "|") + `)"\s*:\s*)"(?:[^"\\]|\\.)*"`)
	return func(_ *http.Request, body []byte) []byte {
		return re.ReplaceAll(body, []byte(`${1}"[redacted]"`))
	}
}

// RateLimitReset recognizes the common "quota used up" headers: a remaining
// count of 0 plus a reset time in Unix seconds. GitHub uses
// X-RateLimit-Remaining / X-RateLimit-Reset, Okta X-Rate-Limit-Remaining /
// X-Rate-Limit-Reset.
func RateLimitReset(remainingHeader, resetHeader string) ThrottleFunc {
	return func(resp *http.Response, now time.Time) (time.Time, bool) {
		if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
			return time.Time{}, false
		}
		if strings.TrimSpace(resp.Header.Get(remainingHeader)) != "0" {
			return time.Time{}, false
		}
		secs, err := strconv.ParseInt(strings.TrimSpace(resp.Header.Get(resetHeader)), 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.Unix(secs, 0), true
	}
}

// HTTPError is an answer outside 2xx.
type HTTPError struct {
	Method string
	Host   string
	Path   string // without the query string
	Status int
}

func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("%s %s%s answered %d %s", e.Method, e.Host, e.Path, e.Status, http.StatusText(e.Status))
	switch {
	case e.Status == http.StatusUnauthorized:
		msg += ": the credentials were refused"
	case e.Status == http.StatusForbidden:
		msg += ": the credentials lack a permission this needs"
	case e.Status == http.StatusTooManyRequests || e.Status >= 500:
		msg += " (after the retries Assure allows)"
	}
	return msg
}

// MaxBody bounds a response body read by these helpers.
const MaxBody = 64 << 20

// Get sends a GET with header and returns the response and its body when
// the status is 2xx; otherwise an *HTTPError (the body is still returned).
func Get(ctx context.Context, c *http.Client, rawURL string, header http.Header) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot build request: %w", redactURLError(err))
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	return Do(c, req)
}

// Do sends req and reads the body (bounded by MaxBody).
func Do(c *http.Client, req *http.Request) (*http.Response, []byte, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s%s: %w", req.Method, req.URL.Host, req.URL.Path, redactURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return resp, nil, fmt.Errorf("cannot read the answer of %s %s%s: %w", req.Method, req.URL.Host, req.URL.Path, err)
	}
	if len(body) > MaxBody {
		return resp, nil, fmt.Errorf("the answer of %s %s%s is larger than %d MiB", req.Method, req.URL.Host, req.URL.Path, MaxBody>>20)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp, body, &HTTPError{Method: req.Method, Host: req.URL.Host, Path: req.URL.Path, Status: resp.StatusCode}
	}
	return resp, body, nil
}

// GetJSON sends a GET and decodes a 2xx JSON answer into v.
func GetJSON(ctx context.Context, c *http.Client, rawURL string, header http.Header, v any) (*http.Response, error) {
	resp, body, err := Get(ctx, c, rawURL, header)
	if err != nil {
		return resp, err
	}
	return resp, DecodeJSON(resp, body, v)
}

// DecodeJSON decodes a response body, naming the request when it is not
// the JSON expected.
func DecodeJSON(resp *http.Response, body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		where := "the response"
		if resp != nil && resp.Request != nil {
			where = fmt.Sprintf("the answer of %s %s%s", resp.Request.Method, resp.Request.URL.Host, resp.Request.URL.Path)
		}
		return fmt.Errorf("%s is not the JSON expected: %w", where, err)
	}
	return nil
}

// redactURLError drops the URL (which may carry a token in its query) from
// a *url.Error, keeping the cause.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// DefaultMaxPages bounds a pagination when the Pager does not say.
const DefaultMaxPages = 1000

// ErrCrossHost is returned when a next link points to another host.
var ErrCrossHost = errors.New("refusing to follow a link to another host: it would send the integration's credentials there")

// Pager walks a paginated listing: it fetches a page, lets fn read it and
// name the next page, and stops at the first of: no next page, an error,
// MaxPages pages, a page it has already fetched (a loop), or a next page on
// another host (which would receive the credentials).
type Pager struct {
	Client   *http.Client
	Header   http.Header
	MaxPages int
}

// Page is one fetched page.
type Page struct {
	URL      *url.URL
	Response *http.Response
	Body     []byte
	Number   int // 1 for the first page
}

// Each fetches first and every next page. fn returns the next page's URL
// (absolute, or relative to the page), or "" when there is none: use
// NextLink for Link headers, WithQuery for cursors.
func (p Pager) Each(ctx context.Context, first string, fn func(pg Page) (next string, err error)) error {
	max := p.MaxPages
	if max <= 0 {
		max = DefaultMaxPages
	}
	cur, err := url.Parse(first)
	if err != nil {
		return fmt.Errorf("cannot paginate: the first page URL is not valid")
	}
	origin := cur.Scheme + "://" + cur.Host
	seen := map[string]bool{}
	for n := 1; ; n++ {
		if n > max {
			return fmt.Errorf("stopped after %d pages of %s%s: the listing is longer than the page bound, or the API keeps answering with another page", max, cur.Host, cur.Path)
		}
		seen[cur.String()] = true
		resp, body, err := Get(ctx, p.Client, cur.String(), p.Header)
		if err != nil {
			return err
		}
		next, err := fn(Page{URL: cur, Response: resp, Body: body, Number: n})
		if err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		nu, err := cur.Parse(next)
		if err != nil {
			return fmt.Errorf("page %d of %s%s names a next page that is not a URL", n, cur.Host, cur.Path)
		}
		if nu.Scheme+"://"+nu.Host != origin {
			return fmt.Errorf("page %d of %s%s links to %s: %w", n, cur.Host, cur.Path, nu.Host, ErrCrossHost)
		}
		if seen[nu.String()] {
			return fmt.Errorf("page %d of %s%s links back to a page already read: the API's pagination loops", n, cur.Host, cur.Path)
		}
		cur = nu
	}
}

// NextLink returns the target of the rel="next" entry of a Link header, or "".
func NextLink(h http.Header) string {
	for _, line := range h.Values("Link") {
		for _, part := range strings.Split(line, ",") {
			target, params, ok := strings.Cut(part, ";")
			if !ok {
				continue
			}
			target = strings.TrimSpace(target)
			if !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			for _, prm := range strings.Split(params, ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(prm), "=")
				if strings.EqualFold(k, "rel") {
					for _, rel := range strings.Fields(strings.Trim(v, `"`)) {
						if strings.EqualFold(rel, "next") {
							return target[1 : len(target)-1]
						}
					}
				}
			}
		}
	}
	return ""
}

// WithQuery returns rawURL with query parameter key set to value (for
// cursor pagination: the next page is this URL with the cursor).
func WithQuery(rawURL, key, value string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}
