package web

import (
	"fmt"
	"html/template"
	"strings"
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
	const labelW, stripW, rowH = 230, 560, 18
	total := op.To.Sub(op.From).Seconds()
	x := func(t time.Time) float64 {
		if t.Before(op.From) {
			t = op.From
		}
		if t.After(op.To) {
			t = op.To
		}
		return labelW + stripW*t.Sub(op.From).Seconds()/total
	}
	n := len(rows) + 1
	if op.Occurrences.Periodic {
		n++
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" viewBox="0 0 %d %d" width="100%%" aria-labelledby="operation-title" xmlns="http://www.w3.org/2000/svg">`, labelW+stripW+10, rowH*n+26)
	b.WriteString(`<title id="operation-title">`)
	title := fmt.Sprintf("Operation from %s to %s: failing %s in total across %d test and resource pair(s), %d candidate exception(s) of which %d not accepted",
		op.From.In(loc).Format(model.DateLayout), op.To.Add(-time.Second).In(loc).Format(model.DateLayout), audit.HumanDuration(op.TimeFailing), len(op.Rows),
		len(op.CandidateExceptions), op.Unaccepted)
	if op.Occurrences.Periodic {
		title += fmt.Sprintf("; evidence for %d of %d expected occurrences", op.Occurrences.Present, op.Occurrences.Expected)
	}
	template.HTMLEscape(&b, []byte(title+". The tables below give the same numbers."))
	b.WriteString(`</title>`)
	strip := func(i int, label string) int {
		y := i * rowH
		fmt.Fprintf(&b, `<text x="0" y="%d" font-size="12" fill="#333">%s</text>`, y+13, template.HTMLEscapeString(short(label, 34)))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="12" fill="#f2f3f4"/>`, labelW, y+3, stripW)
		return y
	}
	rect := func(y int, from, to time.Time, fill, tip string) {
		x0, x1 := x(from), x(to)
		if x1-x0 < 0.8 {
			x1 = x0 + 0.8
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="12" fill="%s"><title>%s</title></rect>`, x0, y+3, x1-x0, fill, template.HTMLEscapeString(tip))
	}
	when := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }
	i := 0
	y := strip(i, "any failure")
	for _, ce := range op.CandidateExceptions {
		fill := statusColor(model.TestFail)
		if ce.State == audit.CandidateAccepted {
			fill = "#c98a2b"
		}
		rect(y, ce.From, ce.To, fill, fmt.Sprintf("%s on %s: %s – %s (%s)", ce.TestID, ce.ResourceName, when(ce.From), when(ce.To), ce.State))
	}
	i++
	for _, r := range rows {
		y := strip(i, r.ResourceName+" · "+r.TestID)
		for _, s := range r.Segments {
			rect(y, s.From, s.To, statusColor(s.Status), fmt.Sprintf("%s: %s – %s", s.Status, when(s.From), when(s.To)))
		}
		i++
	}
	if op.Occurrences.Periodic {
		y := strip(i, "occurrences ("+op.Occurrences.Frequency.Label()+")")
		for _, w := range op.Occurrences.Windows {
			fill, state := "#9aa3ab", "not due yet"
			switch {
			case w.Present:
				fill, state = statusColor(model.TestPass), "evidence present"
			case w.Due:
				fill, state = statusColor(model.TestFail), "no evidence"
			}
			x0, x1 := x(w.From), x(w.To)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="12" fill="%s" stroke="#fff"><title>%s</title></rect>`, x0, y+3, x1-x0, fill,
				template.HTMLEscapeString(fmt.Sprintf("occurrence %d, %s – %s: %s", w.Index, w.From.In(loc).Format(model.DateLayout),
					w.To.Add(-time.Second).In(loc).Format(model.DateLayout), state)))
		}
		i++
	}
	base := rowH * i
	for t := time.Date(op.From.Year(), op.From.Month(), 1, 0, 0, 0, 0, time.UTC); !t.After(op.To); t = t.AddDate(0, 1, 0) {
		if t.Before(op.From) {
			continue
		}
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#cfd6dc"/><text x="%.1f" y="%d" font-size="11" fill="#666">%s</text>`,
			x(t), x(t), base, base+5, x(t)-12, base+18, t.Format("Jan"))
	}
	if op.ObservedTo.Before(op.To) {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="0" y2="%d" stroke="#333" stroke-dasharray="3 2"><title>now: the period has not ended</title></line>`,
			x(op.ObservedTo), x(op.ObservedTo), base)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
