// Package config holds the settings every command shares. They are parsed
// once (flags, then ASSURE_* environment variables, then defaults), validated,
// and passed down as a value: no package keeps configuration in a global.
package config

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is the validated set of global settings.
type Config struct {
	// DataDir holds the SQLite database and, unless BlobURL says otherwise,
	// the blob directory.
	DataDir string
	// DatabaseURL selects PostgreSQL when set (postgres:// or postgresql://).
	DatabaseURL string
	// BlobURL is where content-addressed blobs live. Empty means DataDir/blobs.
	BlobURL string
	// Addr is the listen address of `assure serve`.
	Addr string
	// BaseURL is the address people use to reach this server; it decides
	// links in messages and whether cookies are marked Secure.
	BaseURL string
	// Org is the slug of the organization a command acts on; empty means the
	// installation's first organization.
	Org string
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// LogFormat is text or json.
	LogFormat string
	// SigningKeyFile is the installation's Ed25519 ledger signing key (PKCS #8
	// PEM). Empty means <data>/ledger-signing-key.pem, generated on first start.
	SigningKeyFile string
	// CheckpointInterval is how often `serve` signs a ledger checkpoint for
	// every organization whose ledger grew ("0" turns it off).
	CheckpointInterval string
	// MaxUploadSize bounds one evidence upload ("100MB", "1GiB", bytes).
	MaxUploadSize string
	// SecretKey seals integration secrets (32 bytes, base64 or hex). It is
	// read from the environment only, never from a flag (which other users
	// of the machine could see in the process list).
	SecretKey string
	// SecretKeyFile names a file holding the secret key; when neither is
	// given the key is <data>/secret.key, generated on first need.
	SecretKeyFile string
	// TestsDir holds custom test definitions (*.yaml) evaluated beside the
	// built-in ones; empty means none.
	TestsDir string

	// Derived by Validate.

	// S3 is set when BlobURL names an S3-compatible bucket.
	S3 *S3Location
	// CheckpointEvery is CheckpointInterval parsed (0: off).
	CheckpointEvery time.Duration
	// MaxUploadBytes is MaxUploadSize parsed.
	MaxUploadBytes int64
}

// S3Location is an S3-compatible bucket given as
// s3://bucket/prefix?endpoint=URL&region=R&path_style=true&lock_mode=governance&lock_days=N.
// Credentials come from the AWS SDK's standard chain (AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, AWS_PROFILE and the shared files, or an instance role).
type S3Location struct {
	Bucket string
	// Prefix is prepended to every object key ("" or ending in "/").
	Prefix string
	// Endpoint is the store's URL (empty: AWS S3 itself).
	Endpoint string
	Region   string
	// PathStyle addresses buckets as endpoint/bucket/key instead of
	// bucket.endpoint/key (most self-hosted stores need it).
	PathStyle bool
	// LockMode (GOVERNANCE or COMPLIANCE) and LockDays set an object-lock
	// retention on every blob written; the bucket must have object lock on.
	LockMode string
	LockDays int
	// SecretKey seals integration secrets (32 bytes, base64 or hex). It is
	// read from the environment only, never from a flag (which other users
	// of the machine could see in the process list).
	SecretKey string
	// SecretKeyFile names a file holding the secret key; when neither is
	// given the key is <data>/secret.key, generated on first need.
	SecretKeyFile string
}

// Setting describes one global setting: its flag, its environment variable,
// its default and its help text. The CLI and the README table are built from
// this list so the three never disagree.
type Setting struct {
	Flag    string
	Env     string
	Default string
	Help    string
	// EnvOnly settings have no flag: they are read from the environment only.
	EnvOnly bool
	field   func(*Config) *string
}

// Settings lists every global setting in the order the README shows them.
func Settings() []Setting {
	return []Setting{
		{"data", "ASSURE_DATA", "./assure-data", "data directory: the SQLite database and the blob directory", false, func(c *Config) *string { return &c.DataDir }},
		{"database-url", "ASSURE_DATABASE_URL", "", "PostgreSQL URL (postgres://…); empty uses SQLite in the data directory", false, func(c *Config) *string { return &c.DatabaseURL }},
		{"blob-url", "ASSURE_BLOB_URL", "", "blob store: a directory path, a file:// URL, or s3://bucket/prefix?endpoint=…&region=…&path_style=true; empty uses <data>/blobs", false, func(c *Config) *string { return &c.BlobURL }},
		{"addr", "ASSURE_ADDR", "127.0.0.1:8080", "listen address of the web UI and API", false, func(c *Config) *string { return &c.Addr }},
		{"base-url", "ASSURE_BASE_URL", "", "external URL of the server (https://… behind a proxy); empty derives http://<addr>", false, func(c *Config) *string { return &c.BaseURL }},
		{"org", "ASSURE_ORG", "", "organization slug to act on; empty uses the first organization", false, func(c *Config) *string { return &c.Org }},
		{"log-level", "ASSURE_LOG_LEVEL", "info", "log level: debug, info, warn, error", false, func(c *Config) *string { return &c.LogLevel }},
		{"log-format", "ASSURE_LOG_FORMAT", "text", "log format: text or json", false, func(c *Config) *string { return &c.LogFormat }},
		{"signing-key-file", "ASSURE_SIGNING_KEY_FILE", "", "Ed25519 ledger signing key (PKCS #8 PEM); empty uses <data>/ledger-signing-key.pem, generated on first start", false, func(c *Config) *string { return &c.SigningKeyFile }},
		{"checkpoint-interval", "ASSURE_CHECKPOINT_INTERVAL", "1h", "how often serve signs a ledger checkpoint (a Go duration; 0 turns it off)", false, func(c *Config) *string { return &c.CheckpointInterval }},
		{"max-upload-size", "ASSURE_MAX_UPLOAD_SIZE", "100MB", "largest evidence file accepted (e.g. 25MB, 1GiB)", false, func(c *Config) *string { return &c.MaxUploadSize }},
		{"secret-key-file", "ASSURE_SECRET_KEY_FILE", "", "file holding the key that seals integration secrets; empty uses <data>/secret.key (generated on first need)", false, func(c *Config) *string { return &c.SecretKeyFile }},
		{"tests-dir", "ASSURE_TESTS_DIR", "", "directory of custom test definitions (*.yaml, see docs/tests.md) evaluated with the built-in tests; empty: none", false, func(c *Config) *string { return &c.TestsDir }},
		{"", "ASSURE_SECRET_KEY", "", "the key that seals integration secrets: 32 bytes as base64 or hex (environment only)", true, func(c *Config) *string { return &c.SecretKey }},
	}
}

// Field returns the pointer a setting writes to in c.
func (s Setting) Field(c *Config) *string { return s.field(c) }

// Resolve fills c from explicitly given flag values, then the environment,
// then defaults. flagSet reports whether the user gave a flag on the command
// line; lookupEnv is os.LookupEnv in production.
func Resolve(flagValue func(name string) (string, bool), lookupEnv func(string) (string, bool)) (Config, error) {
	var c Config
	for _, s := range Settings() {
		v := s.Default
		if e, ok := lookupEnv(s.Env); ok {
			v = e
		}
		if f, ok := flagValue(s.Flag); ok && !s.EnvOnly {
			v = f
		}
		*s.Field(&c) = strings.TrimSpace(v)
	}
	return c, c.Validate()
}

// Validate checks the settings and fills derived values (BaseURL).
func (c *Config) Validate() error {
	var errs []error
	if c.DatabaseURL == "" && c.DataDir == "" {
		errs = append(errs, errors.New("--data (ASSURE_DATA) must name a directory"))
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			errs = append(errs, fmt.Errorf("--database-url (ASSURE_DATABASE_URL) must be a PostgreSQL URL like postgres://user:password@host:5432/dbname, got %q", redactURL(c.DatabaseURL)))
		}
	}
	c.S3 = nil
	if strings.HasPrefix(c.BlobURL, "s3://") {
		loc, err := ParseS3URL(c.BlobURL)
		if err != nil {
			errs = append(errs, err)
		} else {
			c.S3 = &loc
		}
	} else if c.BlobURL != "" {
		if _, err := c.BlobDir(); err != nil {
			errs = append(errs, err)
		}
	}
	// A Config built in code (tests) may leave these empty: use the defaults.
	if c.CheckpointInterval == "" {
		c.CheckpointInterval = "1h"
	}
	if c.MaxUploadSize == "" {
		c.MaxUploadSize = "100MB"
	}
	if d, err := time.ParseDuration(c.CheckpointInterval); c.CheckpointInterval == "0" {
		c.CheckpointEvery = 0
	} else if err != nil || d < time.Minute {
		errs = append(errs, fmt.Errorf("--checkpoint-interval (ASSURE_CHECKPOINT_INTERVAL) must be a duration of at least 1m such as 1h, or 0 to turn it off, got %q", c.CheckpointInterval))
	} else {
		c.CheckpointEvery = d
	}
	if n, err := ParseSize(c.MaxUploadSize); err != nil || n < 1024 {
		errs = append(errs, fmt.Errorf("--max-upload-size (ASSURE_MAX_UPLOAD_SIZE) must be a size of at least 1KB such as 100MB or 1GiB, got %q", c.MaxUploadSize))
	} else {
		c.MaxUploadBytes = n
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("--addr (ASSURE_ADDR) must be host:port, got %q", c.Addr))
	}
	if c.BaseURL == "" {
		host := c.Addr
		if h, p, err := net.SplitHostPort(c.Addr); err == nil && (h == "" || h == "0.0.0.0" || h == "::") {
			host = net.JoinHostPort("127.0.0.1", p)
		}
		c.BaseURL = "http://" + host
	} else {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("--base-url (ASSURE_BASE_URL) must be an http(s) URL, got %q", c.BaseURL))
		}
		c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("--log-level (ASSURE_LOG_LEVEL) must be debug, info, warn or error, got %q", c.LogLevel))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("--log-format (ASSURE_LOG_FORMAT) must be text or json, got %q", c.LogFormat))
	}
	if c.SecretKey != "" && !validSecretKey(c.SecretKey) {
		// Never repeat the value: it is a key, even when a wrong one.
		errs = append(errs, errors.New("ASSURE_SECRET_KEY must be 32 random bytes written as base64 (44 characters) or hex (64 characters); generate one with: openssl rand -base64 32"))
	}
	return errors.Join(errs...)
}

// validSecretKey checks the shape of a secret key without keeping it
// (package secret does the real parsing; config imports nothing of ours).
func validSecretKey(s string) bool {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return true
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == 32 {
			return true
		}
	}
	return false
}

// UsesPostgres reports whether the relational store is PostgreSQL.
func (c Config) UsesPostgres() bool { return c.DatabaseURL != "" }

// SQLitePath is the SQLite database file inside the data directory.
func (c Config) SQLitePath() string { return filepath.Join(c.DataDir, "assure.db") }

// SigningKeyPath is the ledger signing key file.
func (c Config) SigningKeyPath() string {
	if c.SigningKeyFile != "" {
		return c.SigningKeyFile
	}
	return filepath.Join(c.DataDir, "ledger-signing-key.pem")
}

// ParseS3URL reads an s3:// blob URL (see S3Location).
func ParseS3URL(raw string) (S3Location, error) {
	bad := func(format string, args ...any) (S3Location, error) {
		return S3Location{}, fmt.Errorf("--blob-url (ASSURE_BLOB_URL) %q: "+format, append([]any{raw}, args...)...)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" {
		return bad("write it as s3://bucket/prefix?endpoint=https://host:port&region=us-east-1&path_style=true")
	}
	if u.User != nil {
		return bad("do not put credentials in the URL: use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or a profile or role)")
	}
	loc := S3Location{Bucket: u.Host, Prefix: strings.Trim(u.Path, "/"), Region: "us-east-1"}
	if loc.Bucket == "" {
		return bad("name the bucket: s3://bucket/prefix")
	}
	if loc.Prefix != "" {
		loc.Prefix += "/"
	}
	q := u.Query()
	for k := range q {
		switch k {
		case "endpoint", "region", "path_style", "lock_mode", "lock_days":
		default:
			return bad("unknown option %q (use endpoint, region, path_style, lock_mode, lock_days)", k)
		}
	}
	if e := q.Get("endpoint"); e != "" {
		eu, err := url.Parse(e)
		if err != nil || (eu.Scheme != "http" && eu.Scheme != "https") || eu.Host == "" {
			return bad("endpoint must be an http(s) URL such as https://s3.example.com:9000")
		}
		loc.Endpoint = strings.TrimRight(e, "/")
	}
	if r := q.Get("region"); r != "" {
		loc.Region = r
	}
	if ps := q.Get("path_style"); ps != "" {
		if loc.PathStyle, err = strconv.ParseBool(ps); err != nil {
			return bad("path_style must be true or false")
		}
	}
	loc.LockMode = strings.ToUpper(q.Get("lock_mode"))
	if d := q.Get("lock_days"); d != "" {
		if loc.LockDays, err = strconv.Atoi(d); err != nil || loc.LockDays < 1 {
			return bad("lock_days must be a whole number of days, at least 1")
		}
	}
	switch {
	case loc.LockMode != "" && loc.LockMode != "GOVERNANCE" && loc.LockMode != "COMPLIANCE":
		return bad("lock_mode must be governance or compliance")
	case (loc.LockMode == "") != (loc.LockDays == 0):
		return bad("lock_mode and lock_days go together")
	}
	return loc, nil
}

// ParseSize reads a size such as 100MB, 25MiB, 1GB or a number of bytes.
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	return n * mult, nil
}

// BlobDir is the directory of the local blob store.
func (c Config) BlobDir() (string, error) {
	if c.BlobURL == "" {
		return filepath.Join(c.DataDir, "blobs"), nil
	}
	if strings.HasPrefix(c.BlobURL, "file://") {
		u, err := url.Parse(c.BlobURL)
		if err != nil || u.Path == "" {
			return "", fmt.Errorf("--blob-url (ASSURE_BLOB_URL) %q is not a valid file:// URL", c.BlobURL)
		}
		return u.Path, nil
	}
	if strings.Contains(c.BlobURL, "://") {
		return "", fmt.Errorf("--blob-url (ASSURE_BLOB_URL) %q: use a directory path, a file:// URL or an s3:// URL", c.BlobURL)
	}
	return c.BlobURL, nil
}

// SecureCookies reports whether session cookies carry the Secure attribute:
// always, except when the server is reached over plain http on a host that is
// not loopback (browsers would then drop the cookie).
func (c Config) SecureCookies() bool {
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return true
	}
	if u.Scheme == "https" {
		return true
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redactURL hides the password of a URL so it can be shown in an error.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// Redacted is the database URL with its password hidden, for messages.
func (c Config) RedactedDatabaseURL() string { return redactURL(c.DatabaseURL) }
