// Package hrcsv is the hr_csv connector: it reads an HR roster exported as
// CSV (from a local file or an HTTP(S) URL) and emits one hr.person per
// employee, with a lower-case email, the employment dates as ISO days and
// whether the person is active or terminated, so onboarding and offboarding
// tests work before a connector for the HR system exists. Column names are
// configurable; a row that cannot be read fully is reported with its line
// and column and does not fail the rest of the file.
package hrcsv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/assurehq/assure/internal/connector"
)

// maxRosterSize bounds the file: a roster of a hundred thousand people is a
// few tens of megabytes.
const maxRosterSize = 64 << 20

// Column configuration: the field that names each column, and its default.
var columns = []struct {
	key, field, def, label, help string
}{
	{"email", "column_email", "email", "Email column", "Header of the column with the work e-mail address (required in the file)."},
	{"name", "column_name", "name", "Name column", "Header of the column with the person's name."},
	{"employee_id", "column_employee_id", "employee_id", "Employee id column", "Header of the column with the HR system's employee id; when the file has no such column, people are identified by e-mail."},
	{"status", "column_status", "employment_status", "Employment status column", "Header of the column with the employment status (active, terminated, …)."},
	{"start_date", "column_start_date", "start_date", "Start date column", "Header of the column with the first day of employment."},
	{"termination_date", "column_termination_date", "termination_date", "Termination date column", "Header of the column with the termination (last) day, empty for people still employed."},
	{"manager", "column_manager", "manager", "Manager column", "Header of the column with the manager (an e-mail address or a name)."},
	{"department", "column_department", "department", "Department column", "Header of the column with the department."},
	{"employment_type", "column_employment_type", "employment_type", "Employment type column", "Header of the column with the employment type (full-time, part-time, contractor, …)."},
}

// Defaults of the status lists.
const (
	defaultActive     = "active, employed, on leave, leave, parental leave, sabbatical"
	defaultTerminated = "terminated, inactive, former, offboarded, resigned, dismissed, retired, left"
)

// Registration declares the hr_csv connector.
func Registration() connector.Registration {
	fields := []connector.ConfigField{
		{Name: "path", Label: "Roster file", Type: connector.FieldPath,
			Help: "Path on the Assure machine of the CSV export (give this or URL)."},
		{Name: "url", Label: "Roster URL", Type: connector.FieldURL,
			Help: "HTTP(S) URL that answers GET with the CSV export (give this or Path)."},
		{Name: "token", Label: "Bearer token", Type: connector.FieldString, Secret: true,
			Help: "Token sent as Authorization: Bearer to the URL, if it needs one."},
		{Name: "delimiter", Label: "Delimiter", Type: connector.FieldString, Default: ",",
			Help: "The character between columns: , or ; or tab."},
		{Name: "date_format", Label: "Date format", Type: connector.FieldString, Default: "YYYY-MM-DD",
			Help: "How the file writes dates: YYYY-MM-DD, DD/MM/YYYY, MM/DD/YYYY, DD.MM.YYYY or YYYY/MM/DD. RFC 3339 timestamps are always accepted."},
		{Name: "active_statuses", Label: "Active statuses", Type: connector.FieldList, Default: defaultActive,
			Help: "Employment status values (case-insensitive) that mean the person is employed."},
		{Name: "terminated_statuses", Label: "Terminated statuses", Type: connector.FieldList, Default: defaultTerminated,
			Help: "Employment status values (case-insensitive) that mean the person has left."},
	}
	for _, c := range columns {
		fields = append(fields, connector.ConfigField{Name: c.field, Label: c.label, Type: connector.FieldString, Default: c.def, Help: c.help})
	}
	return connector.Registration{
		ID:       "hr_csv",
		Name:     "HR roster (CSV)",
		Category: connector.CategoryHR,
		Description: "Reads an HR roster exported as CSV (a local file or an HTTP URL): who is employed, who left and " +
			"when, their manager, department and employment type.",
		Fields:    fields,
		Open:      open,
		Resources: []connector.ResourceType{personType(), rosterType()},
	}
}

// conn is one integration's roster for one run, read once on first use and
// shared by both listings.
type conn struct {
	rt     connector.Runtime
	path   string
	url    *url.URL
	token  string
	opts   parseOptions
	source string // the path, or the URL without query and credentials

	mu     sync.Mutex
	loaded bool
	roster *roster
	err    error
}

func open(_ context.Context, cfg connector.Config, rt connector.Runtime) (connector.Conn, error) {
	c := &conn{rt: rt, path: cfg.String("path"), token: cfg.String("token")}
	if raw := cfg.String("url"); raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("url: %q is not an http:// or https:// URL", raw)
		}
		if u.User != nil {
			return nil, errors.New("url: put a credential in the token field, not in the URL")
		}
		c.url = u
		c.source = u.Scheme + "://" + u.Host + u.EscapedPath()
	}
	switch {
	case c.path == "" && c.url == nil:
		return nil, errors.New("give the roster's path or its URL")
	case c.path != "" && c.url != nil:
		return nil, errors.New("give either a path or a URL, not both")
	case c.path != "":
		c.source = c.path
	}
	if c.token != "" && c.url == nil {
		return nil, errors.New("token: a token is only sent to a URL: add the URL or remove the token")
	}
	opts, err := optionsFrom(cfg)
	if err != nil {
		return nil, err
	}
	opts.now = rt.Now
	c.opts = opts
	return c, nil
}

func optionsFrom(cfg connector.Config) (parseOptions, error) {
	o := parseOptions{columns: map[string]string{}, active: map[string]bool{}, terminated: map[string]bool{}}
	switch d := cfg["delimiter"]; strings.ToLower(strings.TrimSpace(d)) {
	case "", ",":
		o.delimiter = ','
	case ";":
		o.delimiter = ';'
	case "tab", `\t`:
		o.delimiter = '\t'
	case "|":
		o.delimiter = '|'
	default:
		if d == "\t" {
			o.delimiter = '\t'
			break
		}
		return o, fmt.Errorf("delimiter: %q is not one of , ; | or tab", d)
	}
	layout, ok := dateFormats[strings.ToUpper(strings.TrimSpace(cfg.String("date_format")))]
	if cfg.String("date_format") == "" {
		layout, ok = dateFormats["YYYY-MM-DD"], true
	}
	if !ok {
		return o, fmt.Errorf("date_format: %q is not one of YYYY-MM-DD, DD/MM/YYYY, MM/DD/YYYY, DD.MM.YYYY, YYYY/MM/DD", cfg.String("date_format"))
	}
	o.dateLayout, o.dateFormat = layout, strings.ToUpper(strings.TrimSpace(cfg.String("date_format")))
	if o.dateFormat == "" {
		o.dateFormat = "YYYY-MM-DD"
	}
	seen := map[string]string{}
	for _, c := range columns {
		name := cfg.String(c.field)
		if name == "" {
			name = c.def
		}
		key := normalizeHeader(name)
		if other, dup := seen[key]; dup {
			return o, fmt.Errorf("%s: column %q is also given for %s: give each field its own column", c.field, name, other)
		}
		seen[key] = c.field
		o.columns[c.key] = name
	}
	for _, s := range listOr(cfg, "active_statuses", defaultActive) {
		o.active[normalizeStatus(s)] = true
	}
	for _, s := range listOr(cfg, "terminated_statuses", defaultTerminated) {
		s = normalizeStatus(s)
		if o.active[s] {
			return o, fmt.Errorf("terminated_statuses: %q is also an active status", s)
		}
		o.terminated[s] = true
	}
	return o, nil
}

func listOr(cfg connector.Config, field, def string) []string {
	if cfg.String(field) == "" {
		return connector.Config{field: def}.List(field)
	}
	return cfg.List(field)
}

// Probe reads the roster and fails when nothing in it can be read.
func (c *conn) Probe(ctx context.Context) error {
	_, err := c.load(ctx)
	return err
}

// Close implements connector.Conn.
func (c *conn) Close() error { return nil }

// load reads and parses the roster once per run.
func (c *conn) load(ctx context.Context) (*roster, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loaded {
		return c.roster, c.err
	}
	c.loaded = true
	raw, calls, modified, err := c.read(ctx)
	if err != nil {
		c.err = err
		return nil, err
	}
	r, err := parse(raw, c.opts)
	if err != nil {
		c.err = fmt.Errorf("cannot read the roster %s: %w", c.source, err)
		return nil, c.err
	}
	r.source, r.calls, r.modified = c.source, calls, modified
	c.roster = r
	return r, nil
}

// read fetches the raw file, recording the read.
func (c *conn) read(ctx context.Context) ([]byte, []connector.CallRef, string, error) {
	if c.url != nil {
		return c.fetch(ctx)
	}
	start := c.rt.Now()
	f, err := os.Open(c.path)
	if err != nil {
		return nil, nil, "", fmt.Errorf("cannot read the roster %s: %w", c.path, unwrapPathError(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, "", fmt.Errorf("cannot read the roster %s: %w", c.path, unwrapPathError(err))
	}
	if info.IsDir() {
		return nil, nil, "", fmt.Errorf("the roster path %s is a directory: give the CSV file itself", c.path)
	}
	raw, err := readBounded(f)
	if err != nil {
		return nil, nil, "", fmt.Errorf("cannot read the roster %s: %w", c.path, err)
	}
	ref, err := c.rt.Record(ctx, connector.Observation{Method: "READ", Host: "localhost", Path: c.path,
		StartedAt: start, Duration: c.rt.Now().Sub(start), ContentType: "text/csv; charset=utf-8"}, raw)
	if err != nil {
		return nil, nil, "", fmt.Errorf("cannot record the read of %s: %w", c.path, err)
	}
	return raw, []connector.CallRef{ref}, info.ModTime().UTC().Format("2006-01-02T15:04:05Z"), nil
}

func (c *conn) fetch(ctx context.Context) ([]byte, []connector.CallRef, string, error) {
	tctx, calls := connector.Track(ctx)
	req, err := http.NewRequestWithContext(tctx, http.MethodGet, c.url.String(), nil)
	if err != nil {
		return nil, nil, "", fmt.Errorf("cannot fetch the roster from %s: %w", c.source, err)
	}
	req.Header.Set("Accept", "text/csv, text/plain;q=0.9, */*;q=0.1")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.rt.HTTPClient().Do(req)
	if err != nil {
		return nil, nil, "", fmt.Errorf("cannot fetch the roster from %s: %w", c.source, scrub(err, c.url))
	}
	defer resp.Body.Close()
	raw, err := readBounded(resp.Body)
	if err != nil {
		return nil, nil, "", fmt.Errorf("cannot fetch the roster from %s: %w", c.source, err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, nil, "", fmt.Errorf("cannot fetch the roster from %s: the server answered %s: check the token and that it may read the export", c.source, resp.Status)
	case resp.StatusCode == http.StatusNotFound:
		return nil, nil, "", fmt.Errorf("cannot fetch the roster from %s: the server answered %s: no export at this URL", c.source, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return nil, nil, "", fmt.Errorf("cannot fetch the roster from %s: the server answered %s", c.source, resp.Status)
	}
	modified := ""
	if lm, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		modified = lm.UTC().Format("2006-01-02T15:04:05Z")
	}
	return raw, calls.Refs(), modified, nil
}

func readBounded(r io.Reader) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxRosterSize+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > maxRosterSize {
		return nil, fmt.Errorf("larger than %d MiB: is this the roster?", maxRosterSize>>20)
	}
	return bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")), nil // a UTF-8 byte order mark, as spreadsheets write
}

// scrub removes the URL (with its query, which may carry a signature) from
// a transport error.
func scrub(err error, u *url.URL) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return errors.New(strings.ReplaceAll(err.Error(), u.String(), u.Host))
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
