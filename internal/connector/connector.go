// Package connector is the contract between Assure and the code that knows
// one external system. A connector is one package that returns a
// Registration: its id, name, category, configuration fields, a way to open
// a connection for one integration (which doubles as the connection probe),
// and its resource types declared as data, each with the function that lists
// it. The built-in list lives in package connector/builtin; the registry is
// built from it at start, validated, and passed explicitly.
//
// Connectors never write to the store. They observe and emit: every fact they
// emit carries the observations (API calls, command runs, file reads, SQL
// queries) it came from, recorded through the Runtime, so any resource can be
// traced to the exact raw response behind it.
package connector

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Category groups connectors on the Integrations page.
type Category string

// The categories.
const (
	CategoryCloud          Category = "cloud"
	CategoryIdentity       Category = "identity"
	CategoryCode           Category = "code"
	CategoryHR             Category = "hr"
	CategoryTicketing      Category = "ticketing"
	CategoryDevice         Category = "device"
	CategoryDatabase       Category = "database"
	CategoryInfrastructure Category = "infrastructure"
	CategoryOther          Category = "other"
)

// Categories lists every category in display order.
func Categories() []Category {
	return []Category{CategoryCloud, CategoryIdentity, CategoryCode, CategoryHR, CategoryTicketing,
		CategoryDevice, CategoryDatabase, CategoryInfrastructure, CategoryOther}
}

// FieldType is the type of a configuration field.
type FieldType string

// Configuration field types. Values always travel as strings (Config); the
// type says how the UI asks for them and how they are validated.
const (
	FieldString   FieldType = "string"
	FieldText     FieldType = "text" // multi-line (a PEM key, a JSON key file)
	FieldInt      FieldType = "int"
	FieldBool     FieldType = "bool"
	FieldURL      FieldType = "url"
	FieldList     FieldType = "list"     // comma- or newline-separated values
	FieldDuration FieldType = "duration" // Go duration ("24h") or days ("30d")
	FieldPath     FieldType = "path"     // a path on the machine Assure runs on
)

// ConfigField declares one configuration field of a connector.
type ConfigField struct {
	Name     string    `json:"name"` // key in Config: lower_snake_case
	Label    string    `json:"label"`
	Type     FieldType `json:"type"`
	Required bool      `json:"required"`
	// Secret fields are encrypted at rest, never logged, never returned by the
	// API or shown in the UI (write-only).
	Secret  bool   `json:"secret"`
	Default string `json:"default,omitempty"`
	Help    string `json:"help"`
}

// Config is one integration's configuration: field name → value, with
// secrets decrypted only for the duration of a run or probe.
type Config map[string]string

// String returns a field's value or "".
func (c Config) String(name string) string { return strings.TrimSpace(c[name]) }

// Bool parses a bool field; empty is false.
func (c Config) Bool(name string) (bool, error) {
	v := c.String(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s: %q is not true or false", name, v)
	}
	return b, nil
}

// Int parses an int field; empty gives def.
func (c Config) Int(name string, def int) (int, error) {
	v := c.String(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a whole number", name, v)
	}
	return n, nil
}

// List splits a list field on commas and newlines, dropping empty items.
func (c Config) List(name string) []string {
	var out []string
	for _, item := range strings.FieldsFunc(c[name], func(r rune) bool { return r == ',' || r == '\n' }) {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// Duration parses a duration field ("36h", "30d"); empty gives def.
func (c Config) Duration(name string, def time.Duration) (time.Duration, error) {
	v := c.String(name)
	if v == "" {
		return def, nil
	}
	if d, ok := strings.CutSuffix(v, "d"); ok {
		if n, err := strconv.Atoi(d); err == nil && n >= 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	dur, err := time.ParseDuration(v)
	if err != nil || dur < 0 {
		return 0, fmt.Errorf("%s: %q is not a duration (use e.g. 12h or 30d)", name, v)
	}
	return dur, nil
}

// Registration declares a connector. It is data plus two functions; it holds
// no state.
type Registration struct {
	ID          string   // "aws", "host": lower-case letters, digits, underscores
	Name        string   // "Amazon Web Services"
	Category    Category //
	Description string   // one sentence: what it reads
	Fields      []ConfigField
	// Open validates cfg and prepares a connection for one integration. It
	// does not need to contact the system; Conn.Probe does.
	Open func(ctx context.Context, cfg Config, rt Runtime) (Conn, error)
	// Resources are the resource types the connector produces.
	Resources []ResourceType
	// HTTP tunes the Runtime's HTTP client (rate limit, provider throttling)
	// for REST connectors; the zero value suits most.
	HTTP HTTPPolicy
}

// Conn is an open connection to one integration's system.
type Conn interface {
	// Probe checks that the system answers and the credentials work. Its
	// error says which credential or permission is wrong.
	Probe(ctx context.Context) error
	// Close releases the connection.
	Close() error
}

// ResourceType declares one kind of resource ("table") a connector produces.
type ResourceType struct {
	// Name is <connector>.<noun>[.<noun>], e.g. "aws.s3.bucket", "host.sshd".
	// Resource types that describe the same thing in several connectors
	// share a name and field names (terraform and aws both emit
	// "aws.s3.bucket"), so one test serves both.
	Name        string
	Description string
	Fields      []Field
	// List observes every resource of this type and emits it. Returning an
	// error fails this type's listing as a whole (its stored resources stay
	// untouched); Emitter.FailScope fails only part of it (one region).
	List func(ctx context.Context, conn Conn, out Emitter) error
}

// Field documents one attribute of a resource type (for docs and for
// checking test definitions).
type Field struct {
	Name        string // lower_snake_case; nested objects use dots in docs: "encryption.algorithm"
	Type        string // string, bool, int, number, time (RFC 3339 string), list, object
	Description string
}

// Resource is one observed object.
type Resource struct {
	// ExternalID identifies the object in its system (an ARN, a user id, a
	// path), stable across runs.
	ExternalID string
	// Name is what people call it.
	Name string
	// Scope is the part of the system it lives in (a region, an account, an
	// org unit), or "". When a scope fails (Emitter.FailScope), resources of
	// that scope are left as they were instead of being marked removed.
	Scope string
	// Attributes are the documented fields. Times are RFC 3339 strings in
	// UTC. Account-like resources carry a lower-case "email".
	Attributes map[string]any
	// Calls are the observations this resource was built from. When empty,
	// the resource is linked to every observation of its listing.
	Calls []CallRef
}

// Emitter receives what a listing observes.
type Emitter interface {
	// Emit records one resource.
	Emit(ctx context.Context, r Resource) error
	// FailScope records that part of the listing (scope, e.g. a region)
	// failed: the type's status becomes partial, and stored resources of that
	// scope are left as they were.
	FailScope(scope string, err error)
}

// CallRef identifies one recorded observation within a run.
type CallRef struct {
	ID int64 // assigned by the runtime
}

// Observation describes how a fact was observed, for provenance. For HTTP
// the Runtime's client records these itself; other connectors record them
// with Runtime.Record.
type Observation struct {
	// Method is the HTTP method, or EXEC (a command), READ (a file), STAT
	// (a look at which paths exist), SQL.
	Method string
	// Host is the API host, "localhost", or the database host. Never
	// credentials.
	Host string
	// Path is the URL path (no query string), the command line, the file
	// path, or the SQL text. Never secrets.
	Path string
	// Status is the HTTP status, the exit code, or 0.
	Status    int
	StartedAt time.Time
	Duration  time.Duration
	// ContentType is the media type of the raw body ("application/json",
	// "text/plain; charset=utf-8"); empty is detected from the body.
	ContentType string
}

// Runtime is what Assure gives a connector for one run or probe.
type Runtime interface {
	// HTTPClient returns the client every REST call must use: timeouts,
	// bounded retries with back-off and jitter on 429, 5xx and timeouts
	// (honouring Retry-After), the integration's rate limit, refusal of
	// redirects to another host, and recording of every call (method, host,
	// path, status, timing, size, SHA-256 of the body; the body itself goes
	// to the blob store). SDK clients (aws-sdk-go-v2, google api) are given
	// this client too.
	HTTPClient() *http.Client
	// Record stores a non-HTTP observation and its raw output.
	Record(ctx context.Context, o Observation, body []byte) (CallRef, error)
	// Now is the clock.
	Now() time.Time
	// Log is the integration's logger (ids only; never secrets).
	Log() *slog.Logger
}

// Track returns a context under which every call recorded (by the HTTP
// client or Record) is also collected into the returned Calls, so a
// connector can say exactly which responses a resource came from:
//
//	ctx, calls := connector.Track(ctx)
//	out, err := client.GetBucketEncryption(ctx, …)
//	emit(Resource{…, Calls: calls.Refs()})
//
// Tracks nest: a call made under an inner Track is collected by every
// enclosing one.
func Track(ctx context.Context) (context.Context, *Calls) {
	c := &Calls{parent: tracked(ctx)}
	return context.WithValue(ctx, trackKey{}, c), c
}

// Calls collects the observations made under a Track context.
type Calls struct {
	parent *Calls
	refs   []CallRef
}

// Refs returns the calls collected so far.
func (c *Calls) Refs() []CallRef { return append([]CallRef(nil), c.refs...) }

type trackKey struct{}

func tracked(ctx context.Context) *Calls {
	c, _ := ctx.Value(trackKey{}).(*Calls)
	return c
}

// Note adds ref to every Track enclosing ctx. The runtime calls it for every
// observation it records; connectors do not.
func Note(ctx context.Context, ref CallRef) {
	for c := tracked(ctx); c != nil; c = c.parent {
		c.refs = append(c.refs, ref)
	}
}

// As adapts a list function written for a connector's own connection type,
// so each resource file reads naturally:
//
//	List: connector.As(listBuckets) // func listBuckets(ctx, c *client, out Emitter) error
func As[C Conn](fn func(ctx context.Context, c C, out Emitter) error) func(context.Context, Conn, Emitter) error {
	return func(ctx context.Context, conn Conn, out Emitter) error {
		c, ok := conn.(C)
		if !ok {
			return fmt.Errorf("connector bug: list function expects %T, got %T", *new(C), conn)
		}
		return fn(ctx, c, out)
	}
}

var (
	idPattern   = regexp.MustCompile(`^[a-z][a-z0-9_]{1,31}$`)
	typePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)
	namePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// Validate checks one registration on its own.
func (r Registration) Validate() error {
	if !idPattern.MatchString(r.ID) {
		return fmt.Errorf("connector id %q must be 2–32 lower-case letters, digits or underscores", r.ID)
	}
	if strings.TrimSpace(r.Name) == "" {
		return fmt.Errorf("connector %s has no display name", r.ID)
	}
	known := false
	for _, c := range Categories() {
		known = known || c == r.Category
	}
	if !known {
		return fmt.Errorf("connector %s has unknown category %q", r.ID, r.Category)
	}
	if r.HTTP.RateLimit < 0 {
		return fmt.Errorf("connector %s has a negative rate limit", r.ID)
	}
	if r.Open == nil {
		return fmt.Errorf("connector %s has no Open function", r.ID)
	}
	if len(r.Resources) == 0 {
		return fmt.Errorf("connector %s declares no resource types", r.ID)
	}
	fields := map[string]bool{}
	for _, f := range r.Fields {
		if !namePattern.MatchString(f.Name) {
			return fmt.Errorf("connector %s: config field %q must be lower_snake_case", r.ID, f.Name)
		}
		if fields[f.Name] {
			return fmt.Errorf("connector %s: config field %q is declared twice", r.ID, f.Name)
		}
		fields[f.Name] = true
		if f.Label == "" || f.Help == "" {
			return fmt.Errorf("connector %s: config field %q needs a label and help text", r.ID, f.Name)
		}
		if f.Secret && f.Default != "" {
			return fmt.Errorf("connector %s: secret field %q cannot have a default", r.ID, f.Name)
		}
	}
	types := map[string]bool{}
	for _, rt := range r.Resources {
		if !typePattern.MatchString(rt.Name) {
			return fmt.Errorf("connector %s: resource type %q must look like <system>.<noun>", r.ID, rt.Name)
		}
		if types[rt.Name] {
			return fmt.Errorf("connector %s: resource type %q is declared twice", r.ID, rt.Name)
		}
		types[rt.Name] = true
		if rt.Description == "" || rt.List == nil || len(rt.Fields) == 0 {
			return fmt.Errorf("connector %s: resource type %s needs a description, fields and a List function", r.ID, rt.Name)
		}
	}
	return nil
}
