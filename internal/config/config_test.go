package config

import (
	"os"
	"strings"
	"testing"
	"time"
)

func resolve(flags, env map[string]string) (Config, error) {
	return Resolve(func(n string) (string, bool) { v, ok := flags[n]; return v, ok },
		func(n string) (string, bool) { v, ok := env[n]; return v, ok })
}

func TestPrecedence(t *testing.T) {
	c, err := resolve(nil, nil)
	if err != nil || c.DataDir != "./assure-data" || c.Addr != "127.0.0.1:8080" || c.BaseURL != "http://127.0.0.1:8080" {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, _ = resolve(nil, map[string]string{"ASSURE_DATA": "/env"})
	if c.DataDir != "/env" {
		t.Fatalf("env ignored: %s", c.DataDir)
	}
	c, _ = resolve(map[string]string{"data": "/flag"}, map[string]string{"ASSURE_DATA": "/env"})
	if c.DataDir != "/flag" {
		t.Fatalf("flag does not beat env: %s", c.DataDir)
	}
	c, _ = resolve(map[string]string{"addr": "0.0.0.0:9000"}, nil)
	if c.BaseURL != "http://127.0.0.1:9000" {
		t.Fatalf("base url from a wildcard address: %s", c.BaseURL)
	}
}

func TestValidation(t *testing.T) {
	for _, tc := range []struct {
		flags map[string]string
		want  string
	}{
		{map[string]string{"database-url": "mysql://x/y"}, "must be a PostgreSQL URL"},
		{map[string]string{"database-url": "postgres://u:hunter2@/db"}, "must be a PostgreSQL URL"},
		{map[string]string{"addr": "8080"}, "must be host:port"},
		{map[string]string{"blob-url": "gs://bucket"}, "use a directory path, a file:// URL or an s3:// URL"},
		{map[string]string{"blob-url": "s3://"}, "name the bucket"},
		{map[string]string{"blob-url": "s3://key:secret@bucket"}, "do not put credentials in the URL"},
		{map[string]string{"blob-url": "s3://b?endpoint=ftp://x"}, "endpoint must be an http(s) URL"},
		{map[string]string{"blob-url": "s3://b?lock_mode=governance"}, "lock_mode and lock_days go together"},
		{map[string]string{"blob-url": "s3://b?bucket_style=x"}, "unknown option"},
		{map[string]string{"checkpoint-interval": "often"}, "--checkpoint-interval"},
		{map[string]string{"checkpoint-interval": "5s"}, "at least 1m"},
		{map[string]string{"max-upload-size": "lots"}, "--max-upload-size"},
		{map[string]string{"base-url": "ftp://x"}, "must be an http(s) URL"},
		{map[string]string{"log-level": "verbose"}, "--log-level"},
	} {
		_, err := resolve(tc.flags, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want %q", tc.flags, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("the error shows the database password: %v", err)
		}
	}
}

func TestBlobAndLedgerSettings(t *testing.T) {
	c, err := resolve(map[string]string{"blob-url": "s3://evidence/assure/prod?endpoint=http://127.0.0.1:7070&region=eu-west-1&path_style=true&lock_mode=governance&lock_days=400",
		"max-upload-size": "25MiB", "checkpoint-interval": "0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := S3Location{Bucket: "evidence", Prefix: "assure/prod/", Endpoint: "http://127.0.0.1:7070", Region: "eu-west-1", PathStyle: true, LockMode: "GOVERNANCE", LockDays: 400}
	if c.S3 == nil || *c.S3 != want {
		t.Fatalf("s3 location %+v", c.S3)
	}
	if c.MaxUploadBytes != 25<<20 || c.CheckpointEvery != 0 {
		t.Fatalf("derived: %d %v", c.MaxUploadBytes, c.CheckpointEvery)
	}
	c, _ = resolve(map[string]string{"data": "/d"}, nil)
	if c.S3 != nil || c.MaxUploadBytes != 100_000_000 || c.CheckpointEvery != time.Hour || c.SigningKeyPath() != "/d/ledger-signing-key.pem" {
		t.Fatalf("defaults: %+v", c)
	}
	for in, want := range map[string]int64{"2048": 2048, "1KB": 1000, "3 MiB": 3 << 20, "1GB": 1e9} {
		if n, err := ParseSize(in); err != nil || n != want {
			t.Errorf("ParseSize(%q) = %d %v", in, n, err)
		}
	}
}

func TestSecureCookies(t *testing.T) {
	for base, want := range map[string]bool{
		"http://127.0.0.1:8080": true, "http://localhost:8080": true, "https://assure.example.com": true,
		"http://assure.internal:8080": false,
	} {
		c := Config{BaseURL: base}
		if got := c.SecureCookies(); got != want {
			t.Errorf("%s: %v, want %v", base, got, want)
		}
	}
}

// The README's configuration table lists every setting with its variable.
func TestREADMEListsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Settings() {
		row := "| `--" + s.Flag + "` | `" + s.Env + "` |"
		if s.EnvOnly {
			row = "| (none) | `" + s.Env + "` |"
		}
		if !strings.Contains(string(readme), row) {
			t.Errorf("README configuration table lacks the row for --%s / %s", s.Flag, s.Env)
		}
	}
}

func TestSecretKeySettings(t *testing.T) {
	good := "q0mYy0sQ3C7Gx5s0mJ0xg4y1jv6r8o0fUu7cR2mZ6Xk="
	c, err := resolve(nil, map[string]string{"ASSURE_SECRET_KEY": good, "ASSURE_SECRET_KEY_FILE": "/k"})
	if err != nil || c.SecretKey != good || c.SecretKeyFile != "/k" {
		t.Fatalf("from the environment: %+v %v", c, err)
	}
	// The key has no flag: a flag of that name is ignored.
	c, _ = resolve(map[string]string{"": "x"}, nil)
	if c.SecretKey != "" {
		t.Fatal("the secret key was read from a flag")
	}
	for _, s := range Settings() {
		if s.Env == "ASSURE_SECRET_KEY" && (!s.EnvOnly || s.Flag != "") {
			t.Fatal("ASSURE_SECRET_KEY must be environment-only")
		}
	}
	_, err = resolve(nil, map[string]string{"ASSURE_SECRET_KEY": "correct-horse-battery-staple"})
	if err == nil || !strings.Contains(err.Error(), "ASSURE_SECRET_KEY must be 32 random bytes") {
		t.Fatalf("bad key: %v", err)
	}
	if strings.Contains(err.Error(), "correct-horse") {
		t.Fatal("the error repeats the key")
	}
}
