package hrcsv

import (
	"context"
	"fmt"

	"github.com/assurehq/assure/internal/connector"
)

// PersonType is the resource type name tests look people up by:
// lookup("hr.person", "email", …).
const PersonType = "hr.person"

func personType() connector.ResourceType {
	return connector.ResourceType{
		Name: PersonType,
		Description: "One person on the HR roster: identified by employee id (or e-mail), with whether they are employed " +
			"now (active) or have left (terminated), derived from the employment status and dates on the day of the run.",
		Fields: []connector.Field{
			{Name: "email", Type: "string", Description: "Work e-mail address, trimmed and lower-case: the key other systems' accounts are matched on."},
			{Name: "employee_id", Type: "string", Description: "The HR system's employee id; empty when the file has no such column (the e-mail is then the id)."},
			{Name: "name", Type: "string", Description: "The person's name as the roster writes it."},
			{Name: "status", Type: "string", Description: "Employment status as written, lower-case with single spaces (\"active\", \"on leave\", \"terminated\")."},
			{Name: "employment_type", Type: "string", Description: "Employment type, lower-case (\"full-time\", \"contractor\"), empty when not given."},
			{Name: "department", Type: "string", Description: "Department, empty when not given."},
			{Name: "manager", Type: "string", Description: "Manager: an e-mail address (lower-case) or a name, as the roster gives it; empty when not given."},
			{Name: "start_date", Type: "string", Description: "First day of employment, YYYY-MM-DD; null (with the reason) when the roster gives none or it cannot be read."},
			{Name: "termination_date", Type: "string", Description: "Termination (last) day, YYYY-MM-DD; empty for people who have not left; null (with the reason) when it cannot be read or a terminated person has none."},
			{Name: "terminated", Type: "bool", Description: "The person has left: the termination date has been reached (UTC), or, without a termination date, the status is one of terminated_statuses. A termination date still ahead means not yet. Null when neither tells (an unlisted status)."},
			{Name: "active", Type: "bool", Description: "The person is employed today: not terminated and the start date (if any) reached. Null when terminated is null or the start date cannot be read."},
		},
		List: connector.As(listPeople),
	}
}

func rosterType() connector.ResourceType {
	return connector.ResourceType{
		Name:        "hr.roster",
		Description: "The roster file itself: where it was read from, when it was last changed, how many people it lists and which rows could not be read.",
		Fields: []connector.Field{
			{Name: "source", Type: "string", Description: "The file path, or the URL without its query."},
			{Name: "modified_at", Type: "time", Description: "When the file was last changed (file modification time, or the HTTP Last-Modified header); null when the source does not say."},
			{Name: "columns", Type: "list", Description: "The header row's column names, in file order."},
			{Name: "rows", Type: "int", Description: "Data rows in the file (blank lines not counted)."},
			{Name: "people", Type: "int", Description: "People read (each emitted as an hr.person)."},
			{Name: "active", Type: "int", Description: "People active today."},
			{Name: "terminated", Type: "int", Description: "People terminated."},
			{Name: "problems", Type: "list", Description: "What could not be read, one entry per row or cell: \"line 7, column \\\"start_date\\\": …\"."},
		},
		List: connector.As(listRoster),
	}
}

// maxListedProblems bounds the problems named in the listing's status (all
// of them stay in hr.roster's problems).
const maxListedProblems = 10

func listPeople(ctx context.Context, c *conn, out connector.Emitter) error {
	r, err := c.load(ctx)
	if err != nil {
		return err
	}
	for _, p := range r.people {
		if err := out.Emit(ctx, connector.Resource{ExternalID: p.id, Name: p.name, Attributes: p.facts.Attributes(), Calls: r.calls}); err != nil {
			return err
		}
	}
	if len(r.problems) > 0 {
		// The people on unreadable rows cannot be told apart from people who
		// left the file: nobody is marked removed on this run.
		out.FailScope("", fmt.Errorf("%d row problem(s) in %s: %s", len(r.problems), r.source, summarize(r.problems, maxListedProblems)))
	}
	return nil
}

func listRoster(ctx context.Context, c *conn, out connector.Emitter) error {
	r, err := c.load(ctx)
	if err != nil {
		return err
	}
	f := connector.NewFacts()
	f.Set("source", r.source, "")
	if r.modified != "" {
		f.Set("modified_at", r.modified, "")
	} else {
		f.Unknown("modified_at", "the server sent no Last-Modified header")
	}
	cols := make([]any, len(r.header))
	for i, h := range r.header {
		cols[i] = h
	}
	f.Set("columns", cols, "")
	f.Set("rows", r.rows, "")
	f.Set("people", len(r.people), "")
	active, terminated := 0, 0
	for _, p := range r.people {
		a := p.facts.Attributes()
		if v, _ := a["active"].(bool); v {
			active++
		}
		if v, _ := a["terminated"].(bool); v {
			terminated++
		}
	}
	f.Set("active", active, "")
	f.Set("terminated", terminated, "")
	probs := make([]any, len(r.problems))
	for i, p := range r.problems {
		probs[i] = p.String()
	}
	f.Set("problems", probs, "")
	return out.Emit(ctx, connector.Resource{ExternalID: r.source, Name: r.source, Attributes: f.Attributes(), Calls: r.calls})
}
