package ledger

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Key is the installation's Ed25519 signing key. Checkpoints are signed with
// it; its public half is what an auditor needs to check them.
type Key struct {
	private ed25519.PrivateKey
	Public  ed25519.PublicKey
}

// LoadOrCreateKey reads the PKCS #8 PEM private key at path, or, when the
// file does not exist, generates a key and writes it there with 0600
// permissions (created is then true). Several servers sharing one database
// must be given the same file.
func LoadOrCreateKey(path string) (k *Key, created bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		k, err := generateKey(path)
		return k, err == nil, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("cannot read the ledger signing key %s: %w", path, err)
	}
	k, err = parsePrivateKey(b)
	if err != nil {
		return nil, false, fmt.Errorf("the ledger signing key %s: %w", path, err)
	}
	return k, false, nil
}

func generateKey(path string) (*Key, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("cannot generate the ledger signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("cannot encode the ledger signing key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the directory of the ledger signing key %s: %w", path, err)
	}
	// O_EXCL: a second process starting at the same moment loses the race
	// and reads the winner's key instead of overwriting it.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		k, _, err := LoadOrCreateKey(path)
		return k, err
	}
	if err != nil {
		return nil, fmt.Errorf("cannot create the ledger signing key %s (check permissions or set --signing-key-file): %w", path, err)
	}
	werr := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return nil, fmt.Errorf("cannot write the ledger signing key %s: %w", path, werr)
	}
	return &Key{private: priv, Public: pub}, nil
}

func parsePrivateKey(b []byte) (*Key, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("not a PEM \"PRIVATE KEY\" block (PKCS #8 Ed25519 expected)")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("cannot parse the private key: %w", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("the key is %T, not Ed25519", k)
	}
	return &Key{private: priv, Public: priv.Public().(ed25519.PublicKey)}, nil
}

// NewKeyForTest wraps a generated private key (tests only need it to sign
// with a key that is not the installation's).
func NewKeyForTest(priv ed25519.PrivateKey) *Key {
	return &Key{private: priv, Public: priv.Public().(ed25519.PublicKey)}
}

// Sign signs msg.
func (k *Key) Sign(msg []byte) []byte { return ed25519.Sign(k.private, msg) }

// ID is the key's fingerprint.
func (k *Key) ID() string { return KeyID(k.Public) }

// KeyID is the fingerprint of a public key: the hex SHA-256 of its 32 raw bytes.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:])
}

// PublicKeyPEM encodes a public key as a PEM "PUBLIC KEY" (SubjectPublicKeyInfo) block.
func PublicKeyPEM(pub ed25519.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic(err) // an Ed25519 key always encodes
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// ParsePublicKey reads a public key given as PEM "PUBLIC KEY" or as the
// base64 of its 32 raw bytes.
func ParsePublicKey(b []byte) (ed25519.PublicKey, error) {
	if block, _ := pem.Decode(b); block != nil {
		if block.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("the PEM block is %q, not \"PUBLIC KEY\"", block.Type)
		}
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("cannot parse the public key: %w", err)
		}
		pub, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("the public key is %T, not Ed25519", k)
		}
		return pub, nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, errors.New("not a PEM public key nor the base64 of 32 raw Ed25519 bytes")
	}
	return ed25519.PublicKey(raw), nil
}
