package export

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
)

// EntryLine is one line of ledger/entries.jsonl: a ledger entry with the
// fields its hash covers (docs/ledger.md) and its RFC 9162 inclusion proof
// in the tree of the package's checkpoint.
type EntryLine struct {
	OrgID     int64           `json:"org_id"`
	Seq       int64           `json:"seq"`
	Time      string          `json:"time"` // exactly as hashed: YYYY-MM-DDThh:mm:ss.ffffffZ
	Kind      string          `json:"kind"`
	Actor     LineActor       `json:"actor"`
	Subject   string          `json:"subject"`
	Payload   json.RawMessage `json:"payload"` // canonical JSON, exactly as hashed
	PrevHash  string          `json:"prev_hash"`
	Hash      string          `json:"hash"`
	LeafIndex int64           `json:"leaf_index"`
	TreeSize  int64           `json:"tree_size"`
	Path      []string        `json:"path"`
}

// LineActor is the actor exactly as the leaf holds it: all three fields,
// always.
type LineActor struct {
	Email  string `json:"email"`
	UserID int64  `json:"user_id"`
	Via    string `json:"via"`
}

// entry rebuilds the ledger entry the line describes.
func (l EntryLine) entry() (model.LedgerEntry, error) {
	t, err := time.Parse(ledger.TimeLayout, l.Time)
	if err != nil {
		return model.LedgerEntry{}, fmt.Errorf("its time %q is not in the ledger's form", l.Time)
	}
	return model.LedgerEntry{OrgID: l.OrgID, Seq: l.Seq, Time: t, Kind: l.Kind, Actor: model.Actor{UserID: l.Actor.UserID, Email: l.Actor.Email, Via: l.Actor.Via},
		Subject: l.Subject, Payload: l.Payload, PrevHash: l.PrevHash, Hash: l.Hash}, nil
}

func entryLine(e model.LedgerEntry, tree *ledger.Tree) (EntryLine, error) {
	path, err := tree.InclusionPath(uint64(e.Seq - 1))
	if err != nil {
		return EntryLine{}, err
	}
	return EntryLine{OrgID: e.OrgID, Seq: e.Seq, Time: e.Time.UTC().Format(ledger.TimeLayout), Kind: e.Kind,
		Actor:   LineActor{Email: e.Actor.Email, UserID: e.Actor.UserID, Via: e.Actor.Via},
		Subject: e.Subject, Payload: e.Payload, PrevHash: e.PrevHash, Hash: e.Hash,
		LeafIndex: e.Seq - 1, TreeSize: int64(tree.Size()), Path: hexAll(path)}, nil
}

// ConsistencyLine is one line of ledger/consistency.jsonl: an earlier
// signed checkpoint (the last before the audit's period began, the last by
// its end) and the RFC 9162 consistency proof that its tree is a prefix of
// the package's checkpoint's tree, so nothing recorded by then has changed
// since. Every field is covered by the signature or the proof.
type ConsistencyLine struct {
	Checkpoint CheckpointJSON `json:"checkpoint"`
	Path       []string       `json:"path"`
}

// CheckpointJSON is a signed checkpoint with its time as signed.
type CheckpointJSON struct {
	Installation string `json:"installation"`
	Organization int64  `json:"organization"`
	Size         int64  `json:"size"`
	Root         string `json:"root"`
	Time         string `json:"time"`
	KeyID        string `json:"key_id"`
	Signature    string `json:"signature"`
}

func checkpointJSON(c model.LedgerCheckpoint) CheckpointJSON {
	return CheckpointJSON{Installation: c.InstallationID, Organization: c.OrgID, Size: c.TreeSize, Root: c.RootHash,
		Time: c.Time.UTC().Format(ledger.TimeLayout), KeyID: c.KeyID, Signature: c.Signature}
}

func (c CheckpointJSON) model() (model.LedgerCheckpoint, error) {
	t, err := time.Parse(ledger.TimeLayout, c.Time)
	if err != nil {
		return model.LedgerCheckpoint{}, fmt.Errorf("its time %q is not in the ledger's form", c.Time)
	}
	return model.LedgerCheckpoint{OrgID: c.Organization, TreeSize: c.Size, RootHash: c.Root, Time: t,
		InstallationID: c.Installation, KeyID: c.KeyID, Signature: c.Signature}, nil
}

// jsonLine encodes v on one line, without HTML escaping (payloads must stay
// byte for byte as hashed), ending in a line feed.
func jsonLine(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// decodeExact decodes one line into v and checks that encoding v again
// gives the same bytes: a line Assure did not write exactly (a changed
// letter case in a field name, added spaces, an unknown field) is refused,
// so any change to any byte of a ledger file is noticed.
func decodeExact(line []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("it is not a valid line: %v", err)
	}
	again, err := jsonLine(v)
	if err != nil {
		return err
	}
	if !bytes.Equal(bytes.TrimSuffix(again, []byte("\n")), bytes.TrimSuffix(line, []byte("\n"))) {
		return fmt.Errorf("it is not byte for byte the line Assure wrote (changed or reformatted)")
	}
	return nil
}

func hexAll(hs []ledger.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = hex.EncodeToString(h[:])
	}
	return out
}

func parseHashes(ss []string) ([]ledger.Hash, error) {
	out := make([]ledger.Hash, len(ss))
	for i, s := range ss {
		h, err := ledger.ParseHash(s)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}
