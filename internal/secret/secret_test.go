package secret

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func key(b byte) []byte { k := make([]byte, KeySize); k[0] = b; return k }

func TestSealOpen(t *testing.T) {
	box, err := New(key(1), "test")
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := box.Seal("ghp_hunter2", "org 1 / token")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "hunter2") || !strings.HasPrefix(sealed, "v1:") {
		t.Fatalf("sealed value %q", sealed)
	}
	again, _ := box.Seal("ghp_hunter2", "org 1 / token")
	if again == sealed {
		t.Fatal("two seals of one value are identical: the nonce is not random")
	}
	if got, err := box.Open(sealed, "org 1 / token"); err != nil || got != "ghp_hunter2" {
		t.Fatalf("open: %q %v", got, err)
	}
	// Another context, another key, or one flipped byte: refused.
	if _, err := box.Open(sealed, "org 2 / token"); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("other context: %v", err)
	}
	other, _ := New(key(2), "other")
	if _, err := other.Open(sealed, "org 1 / token"); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("other key: %v", err)
	}
	raw, _ := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, "v1:"))
	raw[len(raw)-1] ^= 1
	if _, err := box.Open("v1:"+base64.RawStdEncoding.EncodeToString(raw), "org 1 / token"); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("tampered: %v", err)
	}
	for _, bad := range []string{"", "v1:", "v1:!!!", "v2:abc"} {
		if _, err := box.Open(bad, "x"); !errors.Is(err, ErrWrongKey) {
			t.Errorf("Open(%q): %v", bad, err)
		}
	}
}

func TestParseKey(t *testing.T) {
	k := key(7)
	for _, s := range []string{base64.StdEncoding.EncodeToString(k), base64.RawURLEncoding.EncodeToString(k), hex.EncodeToString(k), "  " + hex.EncodeToString(k) + "\n"} {
		got, err := ParseKey(s)
		if err != nil || string(got) != string(k) {
			t.Errorf("ParseKey(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "short", base64.StdEncoding.EncodeToString(k[:16]), "my-secret-passphrase-that-is-long-enough!!"} {
		_, err := ParseKey(s)
		if err == nil {
			t.Errorf("ParseKey(%q) accepted", s)
		} else if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("the error repeats the key: %v", err)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	src := Source{DataDir: dir}
	if _, err := Load(src, false); !errors.Is(err, ErrNoKey) {
		t.Fatalf("no key, no create: %v", err)
	}
	box, err := Load(src, true)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "secret.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("generated key file: %v %v", st, err)
	}
	sealed, _ := box.Seal("v", "c")
	again, err := Load(src, true)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := again.Open(sealed, "c"); err != nil || got != "v" {
		t.Fatalf("second load uses another key: %v", err)
	}
	// The variable beats the file; a key file given explicitly beats the default.
	k := base64.StdEncoding.EncodeToString(key(9))
	env, err := Load(Source{Value: k, DataDir: dir}, true)
	if err != nil || env.Origin != "ASSURE_SECRET_KEY" {
		t.Fatalf("env key: %v", err)
	}
	if _, err := env.Open(sealed, "c"); !errors.Is(err, ErrWrongKey) {
		t.Fatal("the variable did not take precedence")
	}
	file := filepath.Join(t.TempDir(), "k")
	os.WriteFile(file, []byte(hex.EncodeToString(key(9))), 0o600)
	fromFile, err := Load(Source{File: file, DataDir: dir}, true)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := env.Seal("x", "c")
	if got, err := fromFile.Open(s2, "c"); err != nil || got != "x" {
		t.Fatalf("key file: %v", err)
	}
	if _, err := Load(Source{Value: "nope"}, true); err == nil || !strings.Contains(err.Error(), "ASSURE_SECRET_KEY") {
		t.Fatalf("bad variable: %v", err)
	}
	if _, err := Load(Source{File: filepath.Join(dir, "missing")}, true); err == nil {
		t.Fatal("a missing key file was accepted")
	}
}
