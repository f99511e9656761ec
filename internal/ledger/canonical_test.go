package ledger

import (
	"encoding/hex"
	"testing"

	"github.com/assurehq/assure/internal/model"
	"time"
)

func TestCanonical(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{
		{map[string]any{"b": 1, "a": []any{true, nil, "x"}}, `{"a":[true,null,"x"],"b":1}`},
		// RFC 8785 sorts by UTF-16 code units: U+1F600 (surrogates D83D…) sorts
		// before U+FB01 although its code point is larger.
		{map[string]any{"\ufb01": 1, "\U0001F600": 2, "a": 3}, "{\"a\":3,\"\U0001F600\":2,\"\ufb01\":1}"},
		{"tab\there \"quoted\" \\ <html> \u0001 é", `"tab\there \"quoted\" \\ <html> \u0001 é"`},
		{map[string]any{"n": -9007199254740991}, `{"n":-9007199254740991}`},
		{struct {
			B string `json:"b"`
			A int64  `json:"a"`
		}{"x", 2}, `{"a":2,"b":"x"}`},
	} {
		got, err := Canonical(tc.in)
		if err != nil || string(got) != tc.want {
			t.Errorf("Canonical(%v) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []any{1.5, map[string]any{"n": 9007199254740992}, 2.5e-3} {
		if _, err := Canonical(bad); err == nil {
			t.Errorf("Canonical(%v) accepted", bad)
		}
	}
}

// A golden entry: these exact bytes and this hash are what docs/ledger.md
// describes; a change here breaks every existing ledger.
func TestLeafBytesGolden(t *testing.T) {
	e := model.LedgerEntry{OrgID: 1, Seq: 2, Time: time.Date(2026, 10, 2, 9, 30, 0, 123456000, time.UTC), Kind: "evidence.added",
		Actor: model.Actor{UserID: 7, Email: "ann@example.com", Via: "session"}, Subject: "evidence:12",
		Payload: []byte(`{"sha256":"abc","title":"Restore test"}`), PrevHash: GenesisHash}
	b, err := LeafBytes(e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"actor":{"email":"ann@example.com","user_id":7,"via":"session"},"kind":"evidence.added","org":1,"payload":{"sha256":"abc","title":"Restore test"},"prev":"0000000000000000000000000000000000000000000000000000000000000000","seq":2,"subject":"evidence:12","time":"2026-10-02T09:30:00.123456Z","v":1}`
	if string(b) != want {
		t.Fatalf("leaf bytes:\n%s\nwant\n%s", b, want)
	}
	h, _ := EntryHash(e)
	if got := hex.EncodeToString(h[:]); got != hex.EncodeToString(func() []byte { x := LeafHash([]byte(want)); return x[:] }()) {
		t.Fatalf("hash %s", got)
	}
}
