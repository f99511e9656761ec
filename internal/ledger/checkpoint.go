package ledger

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// CheckpointHeader starts every signed checkpoint body.
const CheckpointHeader = "assure-ledger-checkpoint v1"

// SignedBody is the exact text a checkpoint's signature covers: six lines,
// each ending in "\n":
//
//	assure-ledger-checkpoint v1
//	installation <installation id>
//	organization <organization id>
//	size <tree size>
//	root <hex SHA-256 tree head>
//	time <UTC time, TimeLayout>
func SignedBody(c model.LedgerCheckpoint) []byte {
	return []byte(CheckpointHeader + "\n" +
		"installation " + c.InstallationID + "\n" +
		"organization " + strconv.FormatInt(c.OrgID, 10) + "\n" +
		"size " + strconv.FormatInt(c.TreeSize, 10) + "\n" +
		"root " + c.RootHash + "\n" +
		"time " + c.Time.UTC().Format(TimeLayout) + "\n")
}

// CheckSignature verifies a checkpoint's signature with pub.
func CheckSignature(c model.LedgerCheckpoint, pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return errors.New("no trusted public key was given to check its signature")
	}
	sig, err := base64.StdEncoding.DecodeString(c.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return errors.New("its signature is not a base64 Ed25519 signature")
	}
	if !ed25519.Verify(pub, SignedBody(c), sig) {
		if c.KeyID != KeyID(pub) {
			return fmt.Errorf("it is not signed by the installation key %s (it names key %s)", short(KeyID(pub)), short(c.KeyID))
		}
		return fmt.Errorf("its signature does not verify with the installation key %s", short(KeyID(pub)))
	}
	return nil
}

func short(id string) string {
	if len(id) > 16 {
		return id[:16]
	}
	return id
}

// Log gives the installation's view of the ledgers: checkpoints and proofs.
// Appends go through the package-level Append, which needs no key.
type Log struct {
	st             *store.Store
	key            *Key
	installationID string
	now            func() time.Time
}

// NewLog returns the ledger over st, signing with key.
func NewLog(st *store.Store, key *Key, installationID string, now func() time.Time) *Log {
	return &Log{st: st, key: key, installationID: installationID, now: now}
}

// PublicKey is the installation's public key.
func (l *Log) PublicKey() ed25519.PublicKey { return l.key.Public }

// InstallationID names this installation in checkpoints.
func (l *Log) InstallationID() string { return l.installationID }

// Checkpoint signs the organization's ledger at its current size. The
// entries are re-hashed first: a ledger that does not verify is not signed.
// When the latest checkpoint already covers every entry it is returned with
// created false; an empty ledger has nothing to sign (ok false).
func (l *Log) Checkpoint(ctx context.Context, orgID int64) (c model.LedgerCheckpoint, created bool, err error) {
	err = l.st.InTx(ctx, func(tx *store.Store) error {
		o := tx.Org(orgID)
		if err := o.LockLedger(ctx); err != nil {
			return err
		}
		latest, ok, err := o.LatestCheckpoint(ctx)
		if err != nil {
			return err
		}
		leaves, faults, err := recompute(ctx, o)
		if err != nil {
			return err
		}
		if len(faults) > 0 {
			return fmt.Errorf("the ledger of organization %d fails verification (%s): run `assure ledger verify`: %w", orgID, faults[0].Problem, model.ErrConflict)
		}
		if len(leaves) == 0 {
			return fmt.Errorf("the ledger is empty: nothing to sign yet: %w", model.ErrNotFound)
		}
		if ok && latest.TreeSize == int64(len(leaves)) {
			c = latest
			return nil
		}
		root := Root(leaves)
		c = model.LedgerCheckpoint{OrgID: orgID, TreeSize: int64(len(leaves)), RootHash: hex.EncodeToString(root[:]),
			Time: l.now().UTC().Truncate(time.Microsecond), InstallationID: l.installationID, KeyID: l.key.ID()}
		c.Signature = base64.StdEncoding.EncodeToString(l.key.Sign(SignedBody(c)))
		created = true
		return o.AddCheckpoint(ctx, c)
	})
	if err != nil {
		return c, false, fmt.Errorf("cannot create a checkpoint: %w", err)
	}
	return c, created, nil
}

// Checkpoints lists an organization's checkpoints, smallest first.
func (l *Log) Checkpoints(ctx context.Context, orgID int64) ([]model.LedgerCheckpoint, error) {
	return l.st.Org(orgID).Checkpoints(ctx)
}

// InclusionProof proves that an entry is in the tree of a checkpoint. With
// size 0 it uses the latest checkpoint that covers the entry, or the
// current tree when none does yet (Checkpoint is then nil).
type InclusionProof struct {
	OrgID      int64                   `json:"org_id"`
	Seq        int64                   `json:"seq"`
	LeafIndex  int64                   `json:"leaf_index"` // seq − 1
	TreeSize   int64                   `json:"tree_size"`
	LeafHash   string                  `json:"leaf_hash"`
	RootHash   string                  `json:"root_hash"`
	Path       []string                `json:"path"`
	Checkpoint *model.LedgerCheckpoint `json:"checkpoint,omitempty"`
}

// ConsistencyProof proves that the tree of size First is a prefix of the
// tree of size Second.
type ConsistencyProof struct {
	OrgID      int64    `json:"org_id"`
	First      int64    `json:"first"`
	Second     int64    `json:"second"`
	FirstRoot  string   `json:"first_root"`
	SecondRoot string   `json:"second_root"`
	Path       []string `json:"path"`
}

func (l *Log) storedLeaves(ctx context.Context, orgID, size int64) ([]Hash, error) {
	hs, err := l.st.Org(orgID).LedgerHashes(ctx, size)
	if err != nil {
		return nil, err
	}
	out := make([]Hash, len(hs))
	for i, s := range hs {
		if out[i], err = ParseHash(s); err != nil {
			return nil, fmt.Errorf("ledger entry %d: %w", i+1, err)
		}
	}
	return out, nil
}

// ProveInclusion returns the inclusion proof of entry seq (see InclusionProof).
func (l *Log) ProveInclusion(ctx context.Context, orgID, seq, size int64) (InclusionProof, error) {
	o := l.st.Org(orgID)
	p := InclusionProof{OrgID: orgID, Seq: seq, LeafIndex: seq - 1}
	if size == 0 {
		cps, err := o.Checkpoints(ctx)
		if err != nil {
			return p, err
		}
		if n := len(cps); n > 0 && cps[n-1].TreeSize >= seq {
			cp := cps[n-1]
			p.Checkpoint, size = &cp, cp.TreeSize
		} else if size, err = o.LedgerSize(ctx); err != nil {
			return p, err
		}
	}
	if seq < 1 || seq > size {
		return p, fmt.Errorf("ledger entry %d is not in a tree of size %d: %w", seq, size, model.ErrNotFound)
	}
	leaves, err := l.storedLeaves(ctx, orgID, size)
	if err != nil {
		return p, err
	}
	path, err := InclusionPath(uint64(seq-1), leaves)
	if err != nil {
		return p, err
	}
	root := Root(leaves)
	p.TreeSize, p.LeafHash, p.RootHash, p.Path = size, hex.EncodeToString(leaves[seq-1][:]), hex.EncodeToString(root[:]), hexHashes(path)
	if p.Checkpoint != nil && p.Checkpoint.RootHash != p.RootHash {
		return p, fmt.Errorf("the ledger no longer matches its checkpoint at size %d: run `assure ledger verify`: %w", size, model.ErrConflict)
	}
	return p, nil
}

// ProveConsistency returns the consistency proof between two sizes
// (second 0: the current size).
func (l *Log) ProveConsistency(ctx context.Context, orgID, first, second int64) (ConsistencyProof, error) {
	p := ConsistencyProof{OrgID: orgID, First: first, Second: second}
	if second == 0 {
		n, err := l.st.Org(orgID).LedgerSize(ctx)
		if err != nil {
			return p, err
		}
		second, p.Second = n, n
	}
	if first < 0 || first > second {
		return p, model.Invalid("first", "must be between 0 and %d (the larger size)", second)
	}
	leaves, err := l.storedLeaves(ctx, orgID, second)
	if err != nil {
		return p, err
	}
	path, err := ConsistencyPath(uint64(first), leaves)
	if err != nil {
		return p, err
	}
	r1, r2 := Root(leaves[:first]), Root(leaves)
	p.FirstRoot, p.SecondRoot, p.Path = hex.EncodeToString(r1[:]), hex.EncodeToString(r2[:]), hexHashes(path)
	return p, nil
}

// Verify checks an inclusion proof as an auditor would, offline.
func (p InclusionProof) Verify(pub ed25519.PublicKey) error {
	leaf, err := ParseHash(p.LeafHash)
	if err != nil {
		return err
	}
	root, err := ParseHash(p.RootHash)
	if err != nil {
		return err
	}
	path := make([]Hash, len(p.Path))
	for i, s := range p.Path {
		if path[i], err = ParseHash(s); err != nil {
			return err
		}
	}
	if err := VerifyInclusion(uint64(p.LeafIndex), uint64(p.TreeSize), leaf, path, root); err != nil {
		return err
	}
	if p.Checkpoint != nil {
		if p.Checkpoint.RootHash != p.RootHash || p.Checkpoint.TreeSize != p.TreeSize {
			return fmt.Errorf("%w: the proof's root is not the checkpoint's", ErrProof)
		}
		if err := CheckSignature(*p.Checkpoint, pub); err != nil {
			return fmt.Errorf("the checkpoint: %s", err)
		}
	}
	return nil
}

// ParseSignedCheckpoint reads a checkpoint exported as JSON (the output of
// `assure ledger checkpoint --json`) or as its signed body followed by a
// blank line and "signature <base64>" (the text form).
func ParseSignedCheckpoint(b []byte) (model.LedgerCheckpoint, error) {
	var c model.LedgerCheckpoint
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	if !strings.HasPrefix(strings.TrimSpace(text), CheckpointHeader) {
		return c, errors.New("not a checkpoint: it must start with " + CheckpointHeader)
	}
	for _, line := range strings.Split(text, "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), " ")
		var err error
		switch k {
		case "installation":
			c.InstallationID = v
		case "organization":
			c.OrgID, err = strconv.ParseInt(v, 10, 64)
		case "size":
			c.TreeSize, err = strconv.ParseInt(v, 10, 64)
		case "root":
			c.RootHash = v
		case "time":
			c.Time, err = time.Parse(TimeLayout, v)
		case "key":
			c.KeyID = v
		case "signature":
			c.Signature = v
		}
		if err != nil {
			return c, fmt.Errorf("checkpoint line %q: %w", line, err)
		}
	}
	if c.TreeSize <= 0 || c.RootHash == "" || c.Signature == "" {
		return c, errors.New("the checkpoint lacks its size, root or signature")
	}
	return c, nil
}

// FormatSignedCheckpoint writes the text form: the signed body, a blank
// line, the key id and the signature.
func FormatSignedCheckpoint(c model.LedgerCheckpoint) string {
	return string(SignedBody(c)) + "\nkey " + c.KeyID + "\nsignature " + c.Signature + "\n"
}

// Entries lists an organization's entries after seq (at most limit).
func (l *Log) Entries(ctx context.Context, orgID, after int64, limit int) ([]model.LedgerEntry, error) {
	return l.st.Org(orgID).LedgerEntries(ctx, after, limit)
}
