package github

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/connector"
)

// GitHub throttles in two ways (docs.github.com, "Rate limits for the REST
// API"), both answered with 403 or 429:
//
//   - the primary rate limit: X-RateLimit-Remaining: 0, and X-RateLimit-Reset
//     the Unix time when the quota comes back;
//   - secondary rate limits (too many requests at once or per minute): a
//     Retry-After header in seconds, or when there is none, a message naming
//     the secondary rate limit, after which GitHub asks to wait at least a
//     minute.
//
// Throttle recognizes both, so the Runtime's client waits them out within
// its bound (and otherwise fails the call saying until when).

var primaryLimit = connector.RateLimitReset("X-RateLimit-Remaining", "X-RateLimit-Reset")

// secondaryWait is how long GitHub asks to wait after a secondary rate
// limit answered without Retry-After.
const secondaryWait = time.Minute

// Throttle is the connector's connector.ThrottleFunc.
func Throttle(resp *http.Response, now time.Time) (time.Time, bool) {
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
		return time.Time{}, false
	}
	if v := strings.TrimSpace(resp.Header.Get("Retry-After")); v != "" {
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 {
			return now.Add(time.Duration(secs) * time.Second), true
		}
		if at, err := http.ParseTime(v); err == nil {
			return at, true
		}
	}
	if until, ok := primaryLimit(resp, now); ok {
		return until, true
	}
	if resp.Body != nil {
		// Peek at the message; the body stays readable for the caller.
		body, _ := io.ReadAll(resp.Body) // already bounded by the Runtime's client
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if throttledBody(body) {
			return now.Add(secondaryWait), true
		}
	}
	return time.Time{}, false
}

// throttledBody reports whether an error message is GitHub's secondary
// rate limit ("You have exceeded a secondary rate limit…").
func throttledBody(body []byte) bool {
	return bytes.Contains(bytes.ToLower(body), []byte("secondary rate limit"))
}
