package web

import (
	"fmt"
	"html/template"
	"time"

	"github.com/assurehq/assure/internal/audit"
	"github.com/assurehq/assure/internal/model"
)

// operationChart draws a control's operation over a Type 2 period as
// strips: "any failure" (the union of its failing time), one strip per
// test × resource coloured by status, and — for a periodic control — the
// occurrence windows, green with evidence, red without, grey not due yet.
// Month ticks run along the bottom. The page repeats every number in
// tables, and the SVG's title says it in words.
func operationChart(op audit.ControlOperation, loc *time.Location) template.HTML {
	if !op.To.After(op.From) {
		return ""
	}
	rows := op.Rows
	if len(rows) > 40 {
		rows = rows[:40]
	}
	n := len(rows) + 1
	if op.Occurrences.Periodic {
		n++
	}
	title := fmt.Sprintf("Operation from %s to %s: failing %s in total across %d test and resource pair(s), %d candidate exception(s) of which %d not accepted",
		op.From.In(loc).Format(model.DateLayout), op.To.Add(-time.Second).In(loc).Format(model.DateLayout), audit.HumanDuration(op.TimeFailing), len(op.Rows),
		len(op.CandidateExceptions), op.Unaccepted)
	if op.Occurrences.Periodic {
		title += fmt.Sprintf("; evidence for %d of %d expected occurrences", op.Occurrences.Present, op.Occurrences.Expected)
	}
	c := newStripChart("operation-title", title+". The tables below give the same numbers.", op.From, op.To, n, 230, 34)
	when := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }
	row := c.row("any failure")
	for _, ce := range op.CandidateExceptions {
		fill := statusColor(model.TestFail)
		if ce.State == audit.CandidateAccepted {
			fill = "#c98a2b"
		}
		c.span(row, ce.From, ce.To, fill, fmt.Sprintf("%s on %s: %s – %s (%s)", ce.TestID, ce.ResourceName, when(ce.From), when(ce.To), ce.State), false)
	}
	for _, r := range rows {
		row := c.row(r.ResourceName + " · " + r.TestID)
		for _, s := range r.Segments {
			c.span(row, s.From, s.To, statusColor(s.Status), fmt.Sprintf("%s: %s – %s", s.Status, when(s.From), when(s.To)), false)
		}
	}
	if op.Occurrences.Periodic {
		row := c.row("occurrences (" + op.Occurrences.Frequency.Label() + ")")
		for _, w := range op.Occurrences.Windows {
			fill, state := "#9aa3ab", "not due yet"
			switch {
			case w.Present:
				fill, state = statusColor(model.TestPass), "evidence present"
			case w.Due:
				fill, state = statusColor(model.TestFail), "no evidence"
			}
			c.span(row, w.From, w.To, fill, fmt.Sprintf("occurrence %d, %s – %s: %s", w.Index, w.From.In(loc).Format(model.DateLayout),
				w.To.Add(-time.Second).In(loc).Format(model.DateLayout), state), true)
		}
	}
	for t := time.Date(op.From.Year(), op.From.Month(), 1, 0, 0, 0, 0, time.UTC); !t.After(op.To); t = t.AddDate(0, 1, 0) {
		if !t.Before(op.From) {
			c.tick(t, t.Format("Jan"))
		}
	}
	if op.ObservedTo.Before(op.To) {
		c.marker(op.ObservedTo, "now: the period has not ended")
	}
	return c.html()
}
