package ledger

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// Fault is one thing verification found wrong, naming what it is about.
type Fault struct {
	OrgID int64 `json:"org_id"`
	// Seq is the ledger entry at fault (0: none).
	Seq int64 `json:"seq,omitempty"`
	// Checkpoint is the size of the checkpoint at fault (0: none).
	Checkpoint int64 `json:"checkpoint,omitempty"`
	// Blob, EvidenceID and Version name a stored file and the evidence it belongs to.
	Blob       string `json:"blob,omitempty"`
	EvidenceID int64  `json:"evidence_id,omitempty"`
	Version    int    `json:"version,omitempty"`
	Problem    string `json:"problem"`
}

func (f Fault) String() string { return f.Problem }

// OrgReport is the verification result for one organization's ledger.
type OrgReport struct {
	OrgID       int64                   `json:"org_id"`
	Entries     int64                   `json:"entries"`
	Root        string                  `json:"root"`
	Checkpoints int                     `json:"checkpoints"`
	Latest      *model.LedgerCheckpoint `json:"latest_checkpoint,omitempty"`
	Faults      []Fault                 `json:"faults"`
}

// FirstBadEntry is the lowest entry named by a fault (0: none).
func (r OrgReport) FirstBadEntry() int64 {
	var first int64
	for _, f := range r.Faults {
		if f.Seq > 0 && (first == 0 || f.Seq < first) {
			first = f.Seq
		}
	}
	return first
}

const page = 1000

// recompute walks the organization's entries in order, recomputing each
// hash from its content and checking the chain. It returns the recomputed
// leaf hashes (a zero hash stands in for a missing entry) and the faults.
func recompute(ctx context.Context, o *store.OrgStore) ([]Hash, []Fault, error) {
	var leaves []Hash
	var faults []Fault
	org := o.ID()
	fault := func(seq int64, format string, args ...any) {
		faults = append(faults, Fault{OrgID: org, Seq: seq, Problem: fmt.Sprintf(format, args...)})
	}
	prevStored := GenesisHash
	var after int64
	for {
		entries, err := o.LedgerEntries(ctx, after, page)
		if err != nil {
			return nil, nil, err
		}
		for _, e := range entries {
			expected := int64(len(leaves)) + 1
			if e.Seq != expected {
				if e.Seq-1 == expected {
					fault(expected, "entry %d is missing: the log goes from entry %d to entry %d", expected, expected-1, e.Seq)
				} else {
					fault(expected, "entries %d to %d are missing: the log goes from entry %d to entry %d", expected, e.Seq-1, expected-1, e.Seq)
				}
				for int64(len(leaves)) < e.Seq-1 {
					leaves = append(leaves, Hash{})
				}
				prevStored = e.PrevHash // the gap is reported; do not report it twice
			}
			h, err := EntryHash(e)
			if err != nil {
				fault(e.Seq, "entry %d has been altered: %v", e.Seq, err)
			} else {
				if canon, err := Canonical(jsonValue(e.Payload)); err != nil || !bytes.Equal(canon, e.Payload) {
					fault(e.Seq, "entry %d has been altered: its payload is no longer in the canonical form it was written in", e.Seq)
				}
				if got := hex.EncodeToString(h[:]); got != e.Hash {
					fault(e.Seq, "entry %d (%s, %s) has been altered: its content hashes to %s but it was recorded as %s", e.Seq, e.Kind, e.Subject, short(got), short(e.Hash))
				}
			}
			if e.PrevHash != prevStored {
				if e.Seq == 1 {
					fault(1, "entry 1 has been altered: it must start the chain with %s…", GenesisHash[:16])
				} else {
					fault(e.Seq-1, "the chain breaks between entries %d and %d: entry %d records the previous hash as %s but entry %d is stored as %s (one of them was changed or replaced)",
						e.Seq-1, e.Seq, e.Seq, short(e.PrevHash), e.Seq-1, short(prevStored))
				}
			}
			prevStored = e.Hash
			leaves = append(leaves, h)
			after = e.Seq
		}
		if len(entries) < page {
			return leaves, faults, nil
		}
	}
}

func jsonValue(raw []byte) any {
	var v any
	_ = jsonUnmarshal(raw, &v)
	return v
}

// VerifyOrg recomputes an organization's chain and checks every stored
// checkpoint, plus any supplied from outside (an auditor's earlier copy),
// against it and against the trusted public key.
func VerifyOrg(ctx context.Context, st *store.Store, orgID int64, pub ed25519.PublicKey, installationID string, supplied []model.LedgerCheckpoint) (OrgReport, error) {
	o := st.Org(orgID)
	r := OrgReport{OrgID: orgID, Faults: []Fault{}}
	leaves, faults, err := recompute(ctx, o)
	if err != nil {
		return r, fmt.Errorf("cannot verify the ledger of organization %d: %w", orgID, err)
	}
	r.Faults = append(r.Faults, faults...)
	r.Entries = int64(len(leaves))
	root := Root(leaves)
	r.Root = hex.EncodeToString(root[:])
	cps, err := o.Checkpoints(ctx)
	if err != nil {
		return r, err
	}
	r.Checkpoints = len(cps)
	if len(cps) > 0 {
		latest := cps[len(cps)-1]
		r.Latest = &latest
	}
	check := func(c model.LedgerCheckpoint, what string) {
		fault := func(seq int64, format string, args ...any) {
			r.Faults = append(r.Faults, Fault{OrgID: orgID, Seq: seq, Checkpoint: c.TreeSize, Problem: what + " " + fmt.Sprintf(format, args...)})
		}
		if c.OrgID != orgID {
			fault(0, "belongs to organization %d, not %d", c.OrgID, orgID)
			return
		}
		if err := CheckSignature(c, pub); err != nil {
			fault(0, "is not trustworthy: %s", err)
		}
		if installationID != "" && c.InstallationID != installationID {
			fault(0, "names installation %s, not this installation (%s)", c.InstallationID, installationID)
		}
		if c.TreeSize > int64(len(leaves)) {
			fault(int64(len(leaves))+1, "covers %d entries but the log holds only %d: the log has been truncated (entries %d to %d are gone)",
				c.TreeSize, len(leaves), len(leaves)+1, c.TreeSize)
			return
		}
		got := Root(leaves[:c.TreeSize])
		if hex.EncodeToString(got[:]) != c.RootHash {
			fault(0, "does not match the log: entries 1 to %d now have root %s, the signed root is %s", c.TreeSize, short(hex.EncodeToString(got[:])), short(c.RootHash))
		}
	}
	for _, c := range cps {
		check(c, fmt.Sprintf("the checkpoint at size %d (signed %s)", c.TreeSize, c.Time.UTC().Format("2006-01-02 15:04:05 UTC")))
	}
	for _, c := range supplied {
		if c.OrgID == orgID {
			check(c, fmt.Sprintf("the supplied checkpoint at size %d (signed %s)", c.TreeSize, c.Time.UTC().Format("2006-01-02 15:04:05 UTC")))
		}
	}
	return r, nil
}
