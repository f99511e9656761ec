package connector

import (
	"bytes"
	"context"
	"testing"
)

func TestBodyFilter(t *testing.T) {
	body := []byte(`{"token":"abc","n":1}`)
	if out, changed := FilterBody(context.Background(), body); changed || !bytes.Equal(out, body) {
		t.Fatal("without a filter the body changed")
	}
	strip := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("abc"), []byte("[redacted]")) }
	ctx := WithBodyFilter(context.Background(), strip)
	out, changed := FilterBody(ctx, body)
	if !changed || string(out) != `{"token":"[redacted]","n":1}` || string(body) != `{"token":"abc","n":1}` {
		t.Fatalf("filtered %s (changed %v), original now %s", out, changed, body)
	}
	if _, changed := FilterBody(ctx, []byte(`{"n":2}`)); changed {
		t.Fatal("an untouched body is reported changed")
	}
	// Nested: the inner filter runs first, then the outer.
	inner := WithBodyFilter(ctx, func(b []byte) []byte { return append(b, []byte(" abc")...) })
	if out, _ := FilterBody(inner, []byte("x")); string(out) != "x [redacted]" {
		t.Fatalf("nested filters gave %q", out)
	}
}
