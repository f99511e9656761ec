package export

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
)

// Record is a package made of an audit, as the ledger recorded it.
type Record struct {
	LedgerSeq      int64     `json:"ledger_seq"`
	Time           time.Time `json:"time"`
	By             string    `json:"by"`
	ManifestSHA256 string    `json:"manifest_sha256"`
	Files          int64     `json:"files"`
	Bytes          int64     `json:"bytes"`
}

// Records lists the packages made of audit id, newest first, from the
// ledger's audit.exported entries: whoever holds a package can match its
// manifest's SHA-256 to one of them.
func (s *Service) Records(ctx context.Context, p model.Principal, id int64) ([]Record, error) {
	a, err := s.Audits.Audit(ctx, p, id)
	if err != nil {
		return nil, err
	}
	es, err := s.Store.Org(a.OrgID).LedgerEntriesFor(ctx, "audit:"+strconv.FormatInt(a.ID, 10))
	if err != nil {
		return nil, err
	}
	out := []Record{}
	for i := len(es) - 1; i >= 0; i-- {
		e := es[i]
		if e.Kind != KindExported {
			continue
		}
		var pl struct {
			Manifest string `json:"manifest_sha256"`
			Files    int64  `json:"files"`
			Bytes    int64  `json:"bytes"`
		}
		_ = json.Unmarshal(e.Payload, &pl)
		by := e.Actor.Email
		if by == "" {
			by = e.Actor.Via
		}
		out = append(out, Record{LedgerSeq: e.Seq, Time: e.Time, By: by, ManifestSHA256: pl.Manifest, Files: pl.Files, Bytes: pl.Bytes})
	}
	return out, nil
}

// KeyID is the fingerprint of the key packages are signed with.
func (s *Service) KeyID() string { return ledger.KeyID(s.Ledger.PublicKey()) }

// PublicKeyPEM is the key packages are signed with.
func (s *Service) PublicKeyPEM() string { return ledger.PublicKeyPEM(s.Ledger.PublicKey()) }
