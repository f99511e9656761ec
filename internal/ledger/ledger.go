// Package ledger is Assure's tamper-evident record: one append-only,
// hash-chained log per organization of every evidence item and version,
// every collection run, every test status change and exception, and every
// user action that changes something. Every service appends in the same
// transaction as its change (Append), so the record and the change commit
// together or not at all.
//
// Each entry is hashed as a leaf of an RFC 9162 Merkle tree (merkle.go);
// checkpoints sign the tree head with the installation's Ed25519 key
// (checkpoint.go), so inclusion and consistency can be proved to anyone
// holding the public key, and Verify recomputes everything from the rows.
// docs/ledger.md gives the exact bytes so the checks can be reimplemented.
package ledger

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// Entry kinds. Kinds are lower-case dotted names; services may add their
// own (exception.*), and these are the ones Assure writes today.
const (
	// Evidence (package evidence).
	KindEvidenceAdded    = "evidence.added"    // a new item with its first version
	KindEvidenceVersion  = "evidence.version"  // a new version superseding the previous
	KindEvidenceDeleted  = "evidence.deleted"  // a version removed by the retention policy
	KindEvidenceHold     = "evidence.hold_set" // legal hold on an item
	KindEvidenceRelease  = "evidence.hold_released"
	KindRetentionUpdated = "retention.updated" // the organization's retention policy changed

	// Collection and monitoring (wired by the collection and test services).
	KindRunFinished       = "run.finished"        // a collection run ended; payload holds its response hashes' manifest
	KindTestStatusChanged = "test.status_changed" // a test's result for a resource changed

	// Exceptions (audit work): exception.created, exception.updated, exception.closed.
	KindExceptionCreated = "exception.created"
	KindExceptionUpdated = "exception.updated"
	KindExceptionClosed  = "exception.closed"

	// User actions (package account).
	KindOrgCreated      = "org.created"
	KindOrgUpdated      = "org.updated"
	KindMemberAdded     = "member.added"
	KindRoleChanged     = "role.changed"
	KindMemberRemoved   = "member.removed"
	KindTokenCreated    = "token.created"
	KindTokenRevoked    = "token.revoked"
	KindPasswordChanged = "user.password_changed" // by the user
	KindPasswordReset   = "user.password_reset"   // by the operator
)

// Record is what a service appends: the entry without its place in the log.
type Record struct {
	Kind    string      // one of the Kind constants (or another dotted name)
	Actor   model.Actor // who: a user, or model.SystemActor("…")
	Subject string      // what it is about, "noun:id": "evidence:12", "member:4", "run:88"
	// Payload is the change itself, without secrets: any value that encodes
	// to JSON objects, arrays, strings, booleans, null and integers.
	Payload any
	// Time is when it happened; zero means now.
	Time time.Time
}

var (
	kindPattern    = regexp.MustCompile(`^[a-z][a-z_]*(\.[a-z][a-z_]*)+$`)
	subjectPattern = regexp.MustCompile(`^[a-z][a-z_]*:[^\s]+$`)
)

// GenesisHash is the prev_hash of an organization's first entry.
var GenesisHash = strings.Repeat("0", 64)

// TimeLayout is how an entry's time appears in its leaf: UTC with
// microseconds, the precision both databases keep.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// Append adds rec to the organization's ledger. Call it with the
// transaction that makes the change it records (st inside Store.InTx), so
// both commit together; outside a transaction it opens its own. Appends to
// one organization are serialized until the transaction ends.
func Append(ctx context.Context, st *store.Store, orgID int64, rec Record) (model.LedgerEntry, error) {
	if !kindPattern.MatchString(rec.Kind) {
		return model.LedgerEntry{}, fmt.Errorf("cannot append to the ledger: kind %q is not a dotted lower-case name", rec.Kind)
	}
	if !subjectPattern.MatchString(rec.Subject) {
		return model.LedgerEntry{}, fmt.Errorf("cannot append to the ledger: subject %q is not noun:id", rec.Subject)
	}
	if rec.Actor.Via == "" {
		return model.LedgerEntry{}, fmt.Errorf("cannot append to the ledger: the actor says nothing about who acted")
	}
	payload := rec.Payload
	if payload == nil {
		payload = map[string]any{}
	}
	canon, err := Canonical(payload)
	if err != nil {
		return model.LedgerEntry{}, fmt.Errorf("cannot append to the ledger: %w", err)
	}
	if rec.Time.IsZero() {
		rec.Time = time.Now()
	}
	var e model.LedgerEntry
	err = st.InTx(ctx, func(tx *store.Store) error {
		o := tx.Org(orgID)
		if err := o.LockLedger(ctx); err != nil {
			return err
		}
		seq, head, err := o.LedgerHead(ctx)
		if err != nil {
			return err
		}
		if seq == 0 {
			head = GenesisHash
		}
		e = model.LedgerEntry{OrgID: orgID, Seq: seq + 1, Time: rec.Time.UTC().Truncate(time.Microsecond), Kind: rec.Kind,
			Actor: rec.Actor, Subject: rec.Subject, Payload: canon, PrevHash: head}
		h, err := EntryHash(e)
		if err != nil {
			return err
		}
		e.Hash = hex.EncodeToString(h[:])
		return o.AppendLedgerEntry(ctx, e)
	})
	if err != nil {
		return model.LedgerEntry{}, fmt.Errorf("cannot append %s to the ledger: %w", rec.Kind, err)
	}
	return e, nil
}

// LeafBytes is the exact byte string hashed for an entry: the canonical
// JSON (RFC 8785) of
//
//	{"actor":{"email":…,"user_id":…,"via":…},"kind":…,"org":…,"payload":{…},
//	 "prev":"<hex>","seq":…,"subject":…,"time":"<TimeLayout>","v":1}
func LeafBytes(e model.LedgerEntry) ([]byte, error) {
	var payload any
	if err := json.Unmarshal(e.Payload, &payload); err != nil {
		return nil, fmt.Errorf("entry %d: the payload is not JSON: %w", e.Seq, err)
	}
	return Canonical(map[string]any{
		"v":       1,
		"org":     e.OrgID,
		"seq":     e.Seq,
		"time":    e.Time.UTC().Format(TimeLayout),
		"kind":    e.Kind,
		"actor":   map[string]any{"user_id": e.Actor.UserID, "email": e.Actor.Email, "via": e.Actor.Via},
		"subject": e.Subject,
		"payload": json.RawMessage(e.Payload),
		"prev":    e.PrevHash,
	})
}

// EntryHash is the entry's Merkle leaf hash, SHA-256(0x00 || LeafBytes):
// both its own hash in the chain and its leaf in the tree.
func EntryHash(e model.LedgerEntry) (Hash, error) {
	b, err := LeafBytes(e)
	if err != nil {
		return Hash{}, err
	}
	return LeafHash(b), nil
}

// ParseHash decodes a hex hash.
func ParseHash(s string) (Hash, error) {
	var h Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("%q is not a hex SHA-256 hash", s)
	}
	copy(h[:], b)
	return h, nil
}

func hexHashes(hs []Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = hex.EncodeToString(h[:])
	}
	return out
}
