// Package terraform is the terraform connector: it reads Terraform state
// (format version 4, as Terraform 0.12 and later write it) from local files,
// directories or HTTP(S) state URLs and emits what the state describes. AWS
// resources are normalized to the shared aws.* types of package awstypes,
// with the configuration Terraform keeps in separate resources (S3
// encryption, versioning, public access block, logging; security group
// rules; IAM attachments) joined onto the resource they configure. Every
// other managed resource is kept as a generic terraform.resource.
package terraform

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/awstypes"
)

// maxStateSize bounds one state file or response: real states reach tens
// of megabytes; anything far beyond is not a state.
const maxStateSize = 256 << 20

// Registration declares the terraform connector.
func Registration() connector.Registration {
	return connector.Registration{
		// A state fetched over HTTP is stored as provenance without its
		// sensitive values, like a state read from a file.
		HTTP:     connector.HTTPPolicy{Redact: func(_ *http.Request, body []byte) []byte { return RedactState(body) }},
		ID:       "terraform",
		Name:     "Terraform state",
		Category: connector.CategoryInfrastructure,
		Description: "Reads Terraform state files (local files, directories or HTTP state URLs) and collects the " +
			"AWS resources they describe, with their security settings, plus every other managed resource.",
		Fields: []connector.ConfigField{
			{Name: "paths", Label: "State files or directories", Type: connector.FieldList,
				Help: "Paths on the Assure machine, comma- or newline-separated. A directory is searched recursively " +
					"for *.tfstate files (workspaces under terraform.tfstate.d included; .terraform directories skipped)."},
			{Name: "urls", Label: "State URLs", Type: connector.FieldList,
				Help: "HTTP(S) URLs that answer GET with a state file: a Terraform http backend address, " +
					"GitLab's /api/v4/projects/ID/terraform/state/NAME, an object-store URL. Comma- or newline-separated."},
			{Name: "username", Label: "Username", Type: connector.FieldString,
				Help: "Username for HTTP basic authentication to the state URLs (with Password)."},
			{Name: "password", Label: "Password", Type: connector.FieldString, Secret: true,
				Help: "Password for HTTP basic authentication to the state URLs."},
			{Name: "token", Label: "Bearer token", Type: connector.FieldString, Secret: true,
				Help: "Token sent as Authorization: Bearer to the state URLs (instead of username and password)."},
		},
		Open: open,
		Resources: []connector.ResourceType{
			stateType(),
			awstypes.S3Bucket().With(connector.As(listBuckets)),
			awstypes.S3AccountPublicAccessBlock().With(connector.As(listAccountPublicAccessBlocks)),
			awstypes.RDSInstance().With(connector.As(listDBInstances)),
			awstypes.RDSCluster().With(connector.As(listDBClusters)),
			awstypes.SecurityGroup().With(connector.As(listSecurityGroups)),
			awstypes.IAMUser().With(connector.As(listIAMUsers)),
			awstypes.CloudTrailTrail().With(connector.As(listTrails)),
			awstypes.KMSKey().With(connector.As(listKMSKeys)),
			awstypes.EBSVolume().With(connector.As(listVolumes)),
			genericType(),
		},
	}
}

// conn is one integration's configured sources for one run. The states are
// read once, on first use, and shared by every listing of the run.
type conn struct {
	rt       connector.Runtime
	paths    []string
	urls     []*url.URL
	username string
	password string
	token    string

	mu      sync.Mutex
	loaded  bool
	sources []*source
}

// source is one state read from one place.
type source struct {
	name   string              // file path, or URL without credentials and query
	calls  []connector.CallRef // the observations it was read through
	sha256 string              // of the bytes read
	state  *stateFile
	index  *index
	err    error
}

func open(_ context.Context, cfg connector.Config, rt connector.Runtime) (connector.Conn, error) {
	c := &conn{rt: rt, paths: cfg.List("paths"), username: cfg.String("username"),
		password: cfg.String("password"), token: cfg.String("token")}
	for _, raw := range cfg.List("urls") {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("urls: %q is not an http:// or https:// URL", raw)
		}
		if u.User != nil {
			return nil, fmt.Errorf("urls: put credentials in the username and password fields, not in the URL %s", display(u))
		}
		c.urls = append(c.urls, u)
	}
	if len(c.paths) == 0 && len(c.urls) == 0 {
		return nil, errors.New("give at least one state file or directory (paths) or state URL (urls)")
	}
	if c.token != "" && (c.username != "" || c.password != "") {
		return nil, errors.New("give either a bearer token or a username and password, not both")
	}
	if (c.username == "") != (c.password == "") {
		return nil, errors.New("basic authentication needs both username and password")
	}
	if len(c.urls) == 0 && (c.token != "" || c.username != "") {
		return nil, errors.New("credentials are only used for state URLs: add a URL or remove them")
	}
	return c, nil
}

// Probe reads every configured state and reports every one that cannot be
// read or is not a version 4 state.
func (c *conn) Probe(ctx context.Context) error {
	sources, err := c.load(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, s := range sources {
		if s.err != nil {
			errs = append(errs, s.err)
		}
	}
	return errors.Join(errs...)
}

// Close implements connector.Conn.
func (c *conn) Close() error { return nil }

// load reads every source once. A source that fails is returned with its
// error; the error return is for configuration that finds nothing at all.
func (c *conn) load(ctx context.Context) ([]*source, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loaded {
		return c.sources, nil
	}
	var sources []*source
	for _, p := range c.paths {
		files, err := stateFiles(p)
		if err != nil {
			sources = append(sources, &source{name: p, err: err})
			continue
		}
		for _, f := range files {
			sources = append(sources, c.readFile(ctx, f))
		}
	}
	for _, u := range c.urls {
		sources = append(sources, c.fetch(ctx, u))
	}
	c.sources, c.loaded = sources, true
	return sources, nil
}

// stateFiles expands a configured path: a file is itself, a directory every
// *.tfstate below it, sorted.
func stateFiles(p string) ([]string, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("cannot read state path %s: %w", p, unwrapPathError(err))
	}
	if !info.IsDir() {
		return []string{p}, nil
	}
	var files []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".terraform" {
			return filepath.SkipDir // backend settings and modules, not state
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".tfstate") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot search %s for state files: %w", p, unwrapPathError(err))
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no *.tfstate files under %s", p)
	}
	sort.Strings(files)
	return files, nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// readFile reads and parses one state file, recording the read with the
// state's sensitive values replaced (the raw file would put secrets into the
// blob store).
func (c *conn) readFile(ctx context.Context, path string) *source {
	s := &source{name: path}
	start := c.rt.Now()
	f, err := os.Open(path)
	if err != nil {
		s.err = fmt.Errorf("cannot read state file %s: %w", path, unwrapPathError(err))
		return s
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxStateSize+1))
	if err == nil && len(raw) > maxStateSize {
		err = fmt.Errorf("larger than %d MiB", maxStateSize>>20)
	}
	if err != nil {
		s.err = fmt.Errorf("cannot read state file %s: %w", path, err)
		return s
	}
	c.parse(s, raw)
	ref, err := c.rt.Record(ctx, connector.Observation{Method: "READ", Host: "localhost", Path: path,
		StartedAt: start, Duration: c.rt.Now().Sub(start)}, RedactState(raw))
	if err != nil {
		s.err = fmt.Errorf("cannot record the read of %s: %w", path, err)
		return s
	}
	s.calls = []connector.CallRef{ref}
	return s
}

// fetch GETs one state URL through the runtime's HTTP client, which records
// the call.
func (c *conn) fetch(ctx context.Context, u *url.URL) *source {
	s := &source{name: display(u)}
	tctx, calls := connector.Track(ctx)
	defer func() { s.calls = calls.Refs() }()
	req, err := http.NewRequestWithContext(tctx, http.MethodGet, u.String(), nil)
	if err != nil {
		s.err = fmt.Errorf("cannot fetch state from %s: %w", s.name, err)
		return s
	}
	req.Header.Set("Accept", "application/json")
	switch {
	case c.token != "":
		req.Header.Set("Authorization", "Bearer "+c.token)
	case c.username != "":
		req.SetBasicAuth(c.username, c.password)
	}
	resp, err := c.rt.HTTPClient().Do(req)
	if err != nil {
		s.err = fmt.Errorf("cannot fetch state from %s: %w", s.name, scrub(err, u))
		return s
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxStateSize+1))
	if err == nil && len(raw) > maxStateSize {
		err = fmt.Errorf("larger than %d MiB", maxStateSize>>20)
	}
	if err != nil {
		s.err = fmt.Errorf("cannot fetch state from %s: %w", s.name, err)
		return s
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		s.err = fmt.Errorf("cannot fetch state from %s: the server answered %s: check the token or username and password, "+
			"and that they may read this state", s.name, resp.Status)
	case resp.StatusCode == http.StatusNotFound:
		s.err = fmt.Errorf("cannot fetch state from %s: the server answered %s: no state at this URL", s.name, resp.Status)
	case resp.StatusCode == http.StatusNoContent || (resp.StatusCode == http.StatusOK && len(raw) == 0):
		s.err = fmt.Errorf("cannot fetch state from %s: the server has no state there yet (empty answer)", s.name)
	case resp.StatusCode != http.StatusOK:
		s.err = fmt.Errorf("cannot fetch state from %s: the server answered %s", s.name, resp.Status)
	default:
		c.parse(s, raw)
	}
	return s
}

// parse fills s from raw state bytes.
func (c *conn) parse(s *source, raw []byte) {
	sum := sha256.Sum256(raw)
	s.sha256 = hex.EncodeToString(sum[:])
	st, err := parseState(raw)
	if err != nil {
		s.err = fmt.Errorf("cannot parse state %s: %w", s.name, err)
		return
	}
	s.state = st
	s.index = newIndex(st, s)
}

// display is a URL as shown and used as an id: no credentials, no query
// (which may hold a signature or token), no fragment.
func display(u *url.URL) string {
	v := *u
	v.User, v.RawQuery, v.ForceQuery, v.Fragment, v.RawFragment = nil, "", false, "", ""
	return v.String()
}

// scrub removes the full URL (with its query) from a transport error.
func scrub(err error, u *url.URL) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return errors.New(strings.ReplaceAll(err.Error(), u.String(), display(u)))
}

// states returns every state that was read, failing the scope of every
// one that was not. It fails the listing only when no state could be read.
func (c *conn) states(ctx context.Context, out connector.Emitter) ([]*source, error) {
	sources, err := c.load(ctx)
	if err != nil {
		return nil, err
	}
	var ok []*source
	var errs []error
	for _, s := range sources {
		if s.err != nil {
			out.FailScope(s.name, s.err)
			errs = append(errs, s.err)
			continue
		}
		ok = append(ok, s)
	}
	if len(ok) == 0 {
		return nil, errors.Join(errs...)
	}
	return ok, nil
}

// instances returns the instances of the given types across all states.
func instances(states []*source, types ...string) []*instance {
	var out []*instance
	for _, s := range states {
		out = append(out, s.index.of(types...)...)
	}
	return out
}

// emitter wraps the run's emitter: it sets scope and provenance and drops a
// resource already emitted from an earlier state (the same bucket in two
// states), logging it.
type emitter struct {
	ctx  context.Context
	out  connector.Emitter
	log  func(msg string, args ...any)
	seen map[string]string // external id → source
}

func (c *conn) emitter(ctx context.Context, out connector.Emitter) *emitter {
	return &emitter{ctx: ctx, out: out, log: c.rt.Log().Warn, seen: map[string]string{}}
}

// emit emits the resource built from in (and from the joined instances,
// whose reads join its provenance).
func (e *emitter) emit(in *instance, id, name string, a attrs, joined ...*instance) error {
	s := in.src
	if first, dup := e.seen[id]; dup {
		e.log("terraform: resource in more than one state; keeping the first", "external_id", id, "first", first, "again", s.name)
		return nil
	}
	e.seen[id] = s.name
	calls := append([]connector.CallRef(nil), s.calls...)
	for _, j := range joined {
		if j != nil && j.src != s {
			calls = append(calls, j.src.calls...)
		}
	}
	return e.out.Emit(e.ctx, connector.Resource{ExternalID: id, Name: name, Scope: s.name, Attributes: a.done(), Calls: calls})
}
