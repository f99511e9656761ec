package connector

import (
	"bytes"
	"context"
)

// WithBodyFilter returns a context under which the Runtime stores every
// body it records (HTTP answers, and bodies given to Record) passed through
// filter first. It is for answers that carry secrets the integration's
// configuration does not know, and so the Runtime cannot redact by itself:
// an access token from a token endpoint, a factor's activation secret. The
// connector itself still receives the answer as it came. An observation
// whose body the filter changed says redacted, and its SHA-256 is that of
// the stored body, as for any redaction.
//
// Filters nest: under several, the innermost runs first.
func WithBodyFilter(ctx context.Context, filter func(body []byte) []byte) context.Context {
	if prev := bodyFilterOf(ctx); prev != nil {
		inner := filter
		filter = func(b []byte) []byte { return prev(inner(b)) }
	}
	return context.WithValue(ctx, bodyFilterKey{}, filter)
}

// FilterBody applies the body filter of ctx, if any, and reports whether
// it changed the body. Runtimes call it on every body they record;
// connectors do not.
func FilterBody(ctx context.Context, body []byte) ([]byte, bool) {
	f := bodyFilterOf(ctx)
	if f == nil || len(body) == 0 {
		return body, false
	}
	out := f(append([]byte(nil), body...))
	return out, !bytes.Equal(out, body)
}

type bodyFilterKey struct{}

func bodyFilterOf(ctx context.Context) func([]byte) []byte {
	f, _ := ctx.Value(bodyFilterKey{}).(func([]byte) []byte)
	return f
}
