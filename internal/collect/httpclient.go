package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/assurehq/assure/internal/connector"
)

// HTTPOptions is the HTTP discipline every REST connector runs under. The
// zero value of each field takes the default shown.
type HTTPOptions struct {
	// Timeout bounds one attempt, body included (30s).
	Timeout time.Duration
	// MaxAttempts bounds the tries of one request: the first plus retries (5).
	MaxAttempts int
	// BaseDelay and MaxDelay shape the exponential back-off with full
	// jitter between retries (500ms, 30s).
	BaseDelay, MaxDelay time.Duration
	// MaxWait is the longest Retry-After or provider throttling Assure waits
	// out before giving up with the reason (2m).
	MaxWait time.Duration
	// MaxBody bounds one response body (64 MiB).
	MaxBody int64
	// Transport is the network below the discipline (http.DefaultTransport).
	Transport http.RoundTripper
	// Sleep waits between attempts (tests replace it; default honours ctx).
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a random number in [0,1) (tests fix it).
	Jitter func() float64
}

func (o HTTPOptions) withDefaults() HTTPOptions {
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = 500 * time.Millisecond
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = 30 * time.Second
	}
	if o.MaxWait <= 0 {
		o.MaxWait = 2 * time.Minute
	}
	if o.MaxBody <= 0 {
		o.MaxBody = connector.MaxBody
	}
	if o.Transport == nil {
		o.Transport = http.DefaultTransport
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	return o
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// DefaultRateLimit is the requests per second of an integration whose
// connector and configuration do not say.
const DefaultRateLimit = 10

// callRecorder stores one observed HTTP attempt and returns its reference;
// redacted says the body was already changed to leave a secret out.
type callRecorder func(ctx context.Context, o connector.Observation, body []byte, errText string, redacted bool) (connector.CallRef, error)

// disciplined is the transport under every connector's client.
type disciplined struct {
	opts     HTTPOptions
	limiter  *rate.Limiter
	throttle connector.ThrottleFunc
	redact   func(req *http.Request, body []byte) []byte
	record   callRecorder
	now      func() time.Time
}

// newHTTPClient builds the client a connector gets from Runtime.HTTPClient.
func newHTTPClient(opts HTTPOptions, rps float64, policy connector.HTTPPolicy, now func() time.Time, rec callRecorder) *http.Client {
	opts = opts.withDefaults()
	if rps <= 0 {
		rps = DefaultRateLimit
	}
	burst := int(rps)
	if burst < 1 {
		burst = 1
	}
	t := &disciplined{opts: opts, limiter: rate.NewLimiter(rate.Limit(rps), burst), throttle: policy.Throttle,
		redact: policy.Redact, record: rec, now: now}
	return &http.Client{
		Transport: t,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			if from := via[0].URL; req.URL.Host != from.Host || req.URL.Scheme != from.Scheme {
				return fmt.Errorf("refusing the redirect from %s to %s://%s: it would send the integration's credentials to another host", from.Host, req.URL.Scheme, req.URL.Host)
			}
			return nil
		},
	}
}

// RoundTrip sends req under the discipline: rate limit, per-attempt
// timeout, bounded retries with back-off, Retry-After and provider
// throttling honoured up to MaxWait, every attempt recorded.
func (t *disciplined) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	what := req.Method + " " + req.URL.Host + req.URL.Path
	for attempt := 1; ; attempt++ {
		if err := t.limiter.Wait(ctx); err != nil {
			return nil, fmt.Errorf("%s: waiting for the rate limit: %w", what, err)
		}
		resp, err := t.attempt(ctx, req, attempt)
		last := attempt >= t.opts.MaxAttempts || !replayable
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if !retryableError(err) || last {
				return nil, fmt.Errorf("%s failed after %d attempt(s): %w", what, attempt, err)
			}
			if err := t.opts.Sleep(ctx, t.backoff(attempt)); err != nil {
				return nil, err
			}
			continue
		}
		wait, retry, reason := t.decide(resp, attempt)
		if !retry {
			return resp, nil
		}
		if wait > t.opts.MaxWait {
			return nil, fmt.Errorf("%s: %s, longer than the %s Assure waits: collect again later or lower the integration's rate limit", what, reason, t.opts.MaxWait)
		}
		if last {
			return resp, nil // the caller sees the final status (connector.HTTPError says "after the retries")
		}
		if err := t.opts.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// attempt makes one try and records it.
func (t *disciplined) attempt(ctx context.Context, req *http.Request, n int) (*http.Response, error) {
	actx, cancel := context.WithTimeout(ctx, t.opts.Timeout)
	defer cancel()
	r := req.Clone(actx)
	if n > 1 && req.GetBody != nil {
		b, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		r.Body = b
	}
	start := t.now()
	resp, err := t.opts.Transport.RoundTrip(r)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(resp.Body, t.opts.MaxBody+1))
		resp.Body.Close()
		if err == nil && int64(len(body)) > t.opts.MaxBody {
			err = fmt.Errorf("the answer is larger than %d MiB", t.opts.MaxBody>>20)
			body = nil
		}
	}
	if err != nil && actx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
		err = &timeoutError{after: t.opts.Timeout}
	}
	o := connector.Observation{Method: req.Method, Host: req.URL.Host, Path: req.URL.Path, StartedAt: start, Duration: t.now().Sub(start)}
	if err != nil {
		if ctx.Err() == nil {
			_, _ = t.record(ctx, o, nil, err.Error(), false)
		}
		return nil, err
	}
	o.Status = resp.StatusCode
	o.ContentType = resp.Header.Get("Content-Type")
	stored, redacted := body, false
	if t.redact != nil && len(body) > 0 {
		if r := t.redact(req, body); !bytes.Equal(r, body) {
			stored, redacted = r, true
		}
	}
	if ref, rerr := t.record(ctx, o, stored, "", redacted); rerr != nil {
		return nil, rerr // provenance is not optional: a call that cannot be recorded is not used
	} else {
		connector.Note(ctx, ref)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Request = req
	return resp, nil
}

type timeoutError struct{ after time.Duration }

func (e *timeoutError) Error() string { return fmt.Sprintf("no complete answer within %s", e.after) }
func (e *timeoutError) Timeout() bool { return true }

// retryableError reports whether a failed attempt may succeed if repeated:
// timeouts, refused or reset connections, a connection closed early.
func retryableError(err error) bool {
	var te interface{ Timeout() bool }
	if errors.As(err, &te) && te.Timeout() {
		return true
	}
	var ne *net.OpError
	if errors.As(err, &ne) {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// decide says whether a response calls for another attempt, after how
// long, and why.
func (t *disciplined) decide(resp *http.Response, attempt int) (time.Duration, bool, string) {
	now := t.now()
	if t.throttle != nil {
		if until, ok := t.throttle(resp, now); ok {
			if until.IsZero() { // no reset time given: back off as for a 429
				if d, ok := retryAfter(resp.Header.Get("Retry-After"), now); ok {
					return d, true, fmt.Sprintf("the API is throttling and asks to retry after %s (Retry-After)", d.Round(time.Second))
				}
				return t.backoff(attempt), true, fmt.Sprintf("the API is throttling (%d)", resp.StatusCode)
			}
			return until.Sub(now) + time.Second, true, fmt.Sprintf("the API's quota is used up until %s", until.UTC().Format(time.RFC3339))
		}
	}
	s := resp.StatusCode
	if s != http.StatusTooManyRequests && (s < 500 || s == http.StatusNotImplemented || s == http.StatusHTTPVersionNotSupported) {
		return 0, false, ""
	}
	if d, ok := retryAfter(resp.Header.Get("Retry-After"), now); ok {
		return d, true, fmt.Sprintf("the API asks to retry after %s (Retry-After)", d.Round(time.Second))
	}
	return t.backoff(attempt), true, fmt.Sprintf("the API answered %d", s)
}

// backoff is exponential back-off with full jitter: a random wait between
// zero and min(MaxDelay, BaseDelay·2^(attempt-1)).
func (t *disciplined) backoff(attempt int) time.Duration {
	ceiling := t.opts.BaseDelay << min(attempt-1, 20)
	if ceiling > t.opts.MaxDelay || ceiling <= 0 {
		ceiling = t.opts.MaxDelay
	}
	return time.Duration(t.opts.Jitter() * float64(ceiling))
}

// retryAfter parses Retry-After: seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		d := at.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}
