package hrcsv

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/assurehq/assure/internal/connector"
)

// parseOptions say how to read the file.
type parseOptions struct {
	delimiter  rune
	dateLayout string
	dateFormat string            // as configured, for messages
	columns    map[string]string // field key → header name
	active     map[string]bool
	terminated map[string]bool
	now        func() time.Time
}

// dateFormats are the accepted date_format values and their Go layouts.
var dateFormats = map[string]string{
	"YYYY-MM-DD": "2006-01-02",
	"DD/MM/YYYY": "02/01/2006",
	"MM/DD/YYYY": "01/02/2006",
	"DD.MM.YYYY": "02.01.2006",
	"YYYY/MM/DD": "2006/01/02",
}

// roster is a parsed file.
type roster struct {
	source   string
	calls    []connector.CallRef
	modified string // RFC 3339, or "" when the source does not say
	header   []string
	rows     int // data rows in the file
	people   []person
	problems []problem
}

// person is one row read.
type person struct {
	line  int
	facts *connector.Facts
	id    string // external id
	name  string
	email string
}

// problem is what was wrong with one row (or one cell).
type problem struct {
	Line   int
	Column string // header name, or "" for the whole row
	Reason string
}

func (p problem) String() string {
	if p.Column == "" {
		return fmt.Sprintf("line %d: %s", p.Line, p.Reason)
	}
	return fmt.Sprintf("line %d, column %q: %s", p.Line, p.Column, p.Reason)
}

func normalizeStatus(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

func normalizeHeader(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(strings.ReplaceAll(s, "_", " ")), " "))
}

// parse reads the roster. Its error is for a file nothing can be read
// from: no header, no email column, or not one readable row.
func parse(raw []byte, o parseOptions) (*roster, error) {
	if !utf8.Valid(raw) {
		return nil, errors.New("the file is not UTF-8 text: export the roster as CSV in UTF-8")
	}
	r := csv.NewReader(bytes.NewReader(raw))
	r.Comma = o.delimiter
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the file is empty: expected a header row naming the columns")
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the header row: %w", err)
	}
	ro := &roster{header: make([]string, len(header))}
	index := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		ro.header[i] = h
		if _, dup := index[normalizeHeader(h)]; !dup && h != "" {
			index[normalizeHeader(h)] = i
		}
	}
	col := map[string]int{}
	for key, name := range o.columns {
		if i, ok := index[normalizeHeader(name)]; ok {
			col[key] = i
		}
	}
	if _, ok := col["email"]; !ok {
		return nil, fmt.Errorf("the header row has no column %q for the e-mail address (its columns: %s): name the column with column_email",
			o.columns["email"], strings.Join(quoteAll(ro.header), ", "))
	}
	today := o.now().UTC().Format("2006-01-02")
	byID := map[string]int{} // external id → index in people
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
				ro.rows++
				ro.problems = append(ro.problems, problem{Line: line, Reason: pe.Err.Error() + ": the row was skipped"})
				continue
			}
			return nil, fmt.Errorf("cannot read the file: %w", err)
		}
		if blank(rec) {
			continue
		}
		ro.rows++
		p, probs := readRow(rec, line, ro.header, col, o, today)
		ro.problems = append(ro.problems, probs...)
		if p == nil {
			continue
		}
		if i, dup := byID[p.id]; dup {
			prev := ro.people[i]
			ro.problems = append(ro.problems, problem{Line: line, Column: ro.header[col["email"]],
				Reason: fmt.Sprintf("%s is also on line %d: this later row is kept", describeID(p, col), prev.line)})
			ro.people[i] = *p
			continue
		}
		byID[p.id] = len(ro.people)
		ro.people = append(ro.people, *p)
	}
	if len(ro.people) == 0 {
		if ro.rows == 0 {
			return nil, errors.New("the file has a header row but no people")
		}
		msg := fmt.Sprintf("none of its %d rows could be read", ro.rows)
		if len(ro.problems) > 0 {
			msg += ": " + summarize(ro.problems, 5)
		}
		return nil, errors.New(msg)
	}
	sort.SliceStable(ro.problems, func(i, j int) bool { return ro.problems[i].Line < ro.problems[j].Line })
	return ro, nil
}

func describeID(p *person, col map[string]int) string {
	if _, ok := col["employee_id"]; ok && p.id != p.email {
		return "employee " + p.id
	}
	return p.email
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// summarize lists the first n problems and counts the rest.
func summarize(ps []problem, n int) string {
	var parts []string
	for i, p := range ps {
		if i == n {
			parts = append(parts, fmt.Sprintf("and %d more", len(ps)-n))
			break
		}
		parts = append(parts, p.String())
	}
	return strings.Join(parts, "; ")
}

// readRow turns one row into a person. A row without a usable e-mail
// address cannot be identified and is skipped; any other unreadable cell
// makes its field unknown, with the line and column in the reason.
func readRow(rec []string, line int, header []string, col map[string]int, o parseOptions, today string) (*person, []problem) {
	var probs []problem
	cell := func(key string) (value, column string, present bool) {
		i, ok := col[key]
		if !ok {
			return "", "", false
		}
		if i >= len(rec) {
			return "", header[i], true
		}
		return strings.TrimSpace(rec[i]), header[i], true
	}
	if len(rec) != len(header) {
		probs = append(probs, problem{Line: line, Reason: fmt.Sprintf("%d fields where the header has %d", len(rec), len(header))})
	}
	email, emailCol, _ := cell("email")
	if email == "" {
		return nil, append(probs, problem{Line: line, Column: emailCol, Reason: "no e-mail address: the row was skipped"})
	}
	addr, err := mail.ParseAddress(email)
	if err != nil {
		return nil, append(probs, problem{Line: line, Column: emailCol, Reason: fmt.Sprintf("%q is not an e-mail address: the row was skipped", email)})
	}
	p := &person{line: line, email: strings.ToLower(addr.Address)}
	f := connector.NewFacts()
	f.Set("email", p.email, "")

	if id, _, present := cell("employee_id"); present && id != "" {
		p.id = id
		f.Set("employee_id", id, "")
	} else {
		p.id = p.email
		f.Set("employee_id", "", "")
	}
	name, _, _ := cell("name")
	p.name = name
	if p.name == "" {
		p.name = p.email
	}
	f.Set("name", name, "")
	for _, k := range []string{"department", "employment_type"} {
		v, _, _ := cell(k)
		if k == "employment_type" {
			v = strings.ToLower(v)
		}
		f.Set(k, v, "")
	}
	manager, _, _ := cell("manager")
	if a, err := mail.ParseAddress(manager); err == nil && a.Address == manager {
		manager = strings.ToLower(manager)
	}
	f.Set("manager", manager, "")

	date := func(key, field string) (day string, ok, empty bool) {
		v, column, present := cell(key)
		if !present || v == "" {
			return "", false, true
		}
		d, err := parseDay(v, o.dateLayout)
		if err != nil {
			probs = append(probs, problem{Line: line, Column: column, Reason: fmt.Sprintf("%q is not a date in the format %s", v, o.dateFormat)})
			f.Unknown(field, fmt.Sprintf("line %d, column %q: %q is not a date in the format %s", line, column, v, o.dateFormat))
			return "", false, false
		}
		f.Set(field, d, "")
		return d, true, false
	}
	start, startOK, startEmpty := date("start_date", "start_date")
	if startEmpty {
		if _, _, present := cell("start_date"); present {
			f.Unknown("start_date", "the roster gives no start date")
		} else {
			f.Unknown("start_date", fmt.Sprintf("the roster has no column %q", o.columns["start_date"]))
		}
	}
	term, termOK, termEmpty := date("termination_date", "termination_date")

	status, _, statusPresent := cell("status")
	status = normalizeStatus(status)
	f.Set("status", status, "")

	// Terminated: the termination day has come, or (without a readable
	// date) the status says so. A termination date still ahead means the
	// person is still employed, whatever the status.
	var terminated *bool
	var termSource string
	switch {
	case termOK && term <= today:
		terminated, termSource = ptr(true), fmt.Sprintf("termination date %s has passed", term)
	case termOK:
		terminated, termSource = ptr(false), fmt.Sprintf("termination date %s is still ahead", term)
	case o.terminated[status]:
		terminated, termSource = ptr(true), fmt.Sprintf("employment status %q", status)
	case o.active[status]:
		terminated, termSource = ptr(false), fmt.Sprintf("employment status %q", status)
	case status == "" && termEmpty:
		terminated, termSource = ptr(false), "no employment status and no termination date"
	}
	if termEmpty {
		if terminated != nil && *terminated {
			f.Unknown("termination_date", "the person is terminated but the roster gives no termination date")
		} else {
			f.Set("termination_date", "", "")
		}
	}
	switch {
	case terminated != nil:
		f.Set("terminated", *terminated, termSource)
	case !termOK && !termEmpty:
		f.Unknown("terminated", "the termination date cannot be read")
	default:
		reason := fmt.Sprintf("employment status %q is neither an active nor a terminated status: add it to active_statuses or terminated_statuses", status)
		if !statusPresent {
			reason = fmt.Sprintf("the roster has no column %q", o.columns["status"])
		}
		f.Unknown("terminated", reason)
	}

	// Active: employed now (not terminated, and started).
	switch {
	case terminated == nil:
		f.Unknown("active", "whether the person has left cannot be told (see terminated)")
	case *terminated:
		f.Set("active", false, termSource)
	case startOK && start > today:
		f.Set("active", false, fmt.Sprintf("start date %s is still ahead", start))
	case !startOK && !startEmpty:
		f.Unknown("active", "the start date cannot be read")
	default:
		f.Set("active", true, termSource)
	}
	p.facts = f
	return p, probs
}

func ptr[T any](v T) *T { return &v }

// parseDay reads a date in the configured layout, or an RFC 3339 timestamp,
// as an ISO day (YYYY-MM-DD).
func parseDay(s, layout string) (string, error) {
	if t, err := time.Parse(layout, s); err == nil {
		return t.Format("2006-01-02"), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Format("2006-01-02"), nil
	}
	if t, err := time.Parse("2006-01-02T15:04:05", s); err == nil {
		return t.Format("2006-01-02"), nil
	}
	return "", fmt.Errorf("not a date")
}
