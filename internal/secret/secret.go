// Package secret seals integration credentials at rest with AES-256-GCM.
//
// The 32-byte key comes from the operator (ASSURE_SECRET_KEY, base64 or hex,
// or a key file) or is generated on first need into <data>/secret.key with
// 0600 permissions. A sealed value is bound to a context string (the
// organization and field it belongs to), so a ciphertext copied into another
// row does not open. Sealed values never leave the collection service in
// clear, and this package never logs.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the key length in bytes (AES-256).
const KeySize = 32

// prefix marks the sealing format, so a future format can coexist.
const prefix = "v1:"

// ErrWrongKey is returned when a sealed value does not open with the key:
// the key is not the one it was sealed with, or the value was altered.
var ErrWrongKey = errors.New("the secret key does not open this sealed value")

// Box seals and opens values under one key.
type Box struct {
	aead cipher.AEAD
	// Origin says where the key came from (for messages; never the key).
	Origin string
}

// New returns a Box for a 32-byte key.
func New(key []byte, origin string) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("the secret key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("cannot use the secret key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("cannot use the secret key: %w", err)
	}
	return &Box{aead: aead, Origin: origin}, nil
}

// Seal encrypts plaintext bound to context ("org 3 / field token").
func (b *Box) Seal(plaintext, context string) (string, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("cannot seal secret: %w", err)
	}
	out := b.aead.Seal(nonce, nonce, []byte(plaintext), []byte(context))
	return prefix + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a value sealed with the same key and context.
func (b *Box) Open(sealed, context string) (string, error) {
	body, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return "", fmt.Errorf("the sealed value has an unknown format: %w", ErrWrongKey)
	}
	raw, err := base64.RawStdEncoding.DecodeString(body)
	if err != nil || len(raw) < b.aead.NonceSize()+b.aead.Overhead() {
		return "", fmt.Errorf("the sealed value is damaged: %w", ErrWrongKey)
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], []byte(context))
	if err != nil {
		return "", ErrWrongKey
	}
	return string(plain), nil
}

// ParseKey reads a key written as base64 (standard or URL alphabet, padded
// or not) or hex. Its error never repeats the input.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == KeySize {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, fmt.Errorf("a secret key must be %d random bytes written as base64 (44 characters) or hex (64 characters); generate one with: openssl rand -base64 32", KeySize)
}

// Source says where the key may come from, in order: Value (the
// ASSURE_SECRET_KEY variable), File (--secret-key-file), then the default
// file <DataDir>/secret.key.
type Source struct {
	Value   string
	File    string
	DataDir string
}

// DefaultFile is the key file inside the data directory.
func (s Source) DefaultFile() string { return filepath.Join(s.DataDir, "secret.key") }

// Load returns a Box for the configured key. When no key is configured and
// the default file does not exist, create decides: true generates a new
// random key into it (0600), false returns ErrNoKey.
func Load(src Source, create bool) (*Box, error) {
	if src.Value != "" {
		key, err := ParseKey(src.Value)
		if err != nil {
			return nil, fmt.Errorf("ASSURE_SECRET_KEY: %w", err)
		}
		return New(key, "ASSURE_SECRET_KEY")
	}
	if src.File != "" {
		return loadFile(src.File, "--secret-key-file "+src.File)
	}
	path := src.DefaultFile()
	if _, err := os.Stat(path); err == nil {
		return loadFile(path, path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("cannot read the secret key file %s: %w", path, err)
	}
	if !create {
		return nil, fmt.Errorf("no secret key: %w", ErrNoKey)
	}
	return generate(path)
}

// ErrNoKey is returned by Load(create=false) when no key exists yet.
var ErrNoKey = errors.New("no secret key is configured or generated yet")

func loadFile(path, origin string) (*Box, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the secret key file %s: %w", path, err)
	}
	key, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", path, err)
	}
	return New(key, origin)
}

// generate writes a new random key to path, refusing to overwrite one that
// appeared meanwhile (another process won the race: use its key).
func generate(path string) (*Box, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the directory of the secret key %s: %w", path, err)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("cannot generate a secret key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadFile(path, path)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot create the secret key file %s (choose a writable --data, or give ASSURE_SECRET_KEY): %w", path, err)
	}
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("cannot write the secret key file %s: %w", path, err)
	}
	return New(key, path+" (generated)")
}
