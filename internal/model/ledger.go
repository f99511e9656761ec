package model

import (
	"encoding/json"
	"time"
)

// LedgerEntry is one record of the append-only ledger of an organization:
// what happened (Kind, Subject, Payload), when, by whom, and the hashes that
// chain it to the entry before. docs/ledger.md gives the exact bytes hashed.
type LedgerEntry struct {
	OrgID   int64     `json:"org_id"`
	Seq     int64     `json:"seq"`
	Time    time.Time `json:"time"`
	Kind    string    `json:"kind"`
	Actor   Actor     `json:"actor"`
	Subject string    `json:"subject"`
	// Payload is canonical JSON (RFC 8785), exactly the bytes hashed.
	Payload  json.RawMessage `json:"payload"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

// LedgerCheckpoint is a signed statement of an organization's ledger at a
// size: the Merkle tree head over its first TreeSize entries.
type LedgerCheckpoint struct {
	OrgID          int64     `json:"org_id"`
	TreeSize       int64     `json:"tree_size"`
	RootHash       string    `json:"root_hash"`
	Time           time.Time `json:"time"`
	InstallationID string    `json:"installation_id"`
	KeyID          string    `json:"key_id"`
	Signature      string    `json:"signature"`
}
