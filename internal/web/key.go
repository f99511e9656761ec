package web

import (
	"crypto/ed25519"

	"github.com/assurehq/assure/internal/ledger"
)

// keyInfo is the public signing key as the settings page shows it.
type keyInfo struct {
	ID, Short, PEM, Installation string
}

func keyView(pub ed25519.PublicKey, installation string) keyInfo {
	id := ledger.KeyID(pub)
	return keyInfo{ID: id, Short: id[:16], PEM: ledger.PublicKeyPEM(pub), Installation: installation}
}
