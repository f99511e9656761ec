package web

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/check"
	"github.com/assurehq/assure/internal/model"
)

// Charts are drawn on the server as SVG. Each has a <title> for people who
// cannot see it, and the page shows the same numbers in a table.

// statusColor is a status's fill; the word is always shown beside it.
func statusColor(s model.TestStatus) string {
	switch s {
	case model.TestPass:
		return "#2e7d46"
	case model.TestFail:
		return "#b3261e"
	case model.TestError:
		return "#a15c00"
	default:
		return "#9aa3ab"
	}
}

// readinessChart draws one horizontal bar per category: ready share filled.
func readinessChart(rs []check.Readiness) template.HTML {
	type row struct {
		label        string
		ready, total int
	}
	var rows []row
	for _, r := range rs {
		for _, c := range r.Categories {
			rows = append(rows, row{fmt.Sprintf("%s · %s", strings.ToUpper(string(r.Framework)), c.Name), c.Ready, c.Total})
		}
	}
	if len(rows) == 0 {
		return ""
	}
	const width, labelW, barW, rowH = 700, 250, 300, 28
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" viewBox="0 0 %d %d" width="100%%" aria-labelledby="readiness-title" xmlns="http://www.w3.org/2000/svg">`, width, rowH*len(rows)+8)
	b.WriteString(`<title id="readiness-title">Readiness per category: `)
	for i, r := range rows {
		if i > 0 {
			b.WriteString("; ")
		}
		template.HTMLEscape(&b, []byte(fmt.Sprintf("%s %d of %d criteria ready", r.label, r.ready, r.total)))
	}
	b.WriteString(`</title>`)
	for i, r := range rows {
		y := i*rowH + 4
		pct := 0
		if r.total > 0 {
			pct = r.ready * 100 / r.total
		}
		fmt.Fprintf(&b, `<text x="0" y="%d" font-size="13" fill="#333">%s</text>`, y+17, template.HTMLEscapeString(r.label))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="18" fill="#eceff1" stroke="#cfd6dc"/>`, labelW, y+3, barW)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="18" fill="#2e7d46"/>`, labelW, y+3, barW*pct/100)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13" fill="#333">%d%% (%d/%d)</text>`, labelW+barW+8, y+17, pct, r.ready, r.total)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// timelineChart draws one strip per resource over [from, to), coloured by
// status, with day ticks every 15 days.
func timelineChart(rows []check.TimelineRow, from, to time.Time, loc *time.Location) template.HTML {
	if len(rows) == 0 || !to.After(from) {
		return ""
	}
	if len(rows) > 50 {
		rows = rows[:50]
	}
	title := "Status of each resource from " + from.In(loc).Format("2006-01-02") + " to " + to.In(loc).Format("2006-01-02") +
		"; grey where it was not judged. The table below lists the time each spent failing."
	c := newStripChart("timeline-title", title, from, to, len(rows), 200, 28)
	when := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }
	for _, r := range rows {
		row := c.row(r.ResourceName)
		for _, s := range r.Segments {
			c.span(row, s.From, s.To, statusColor(s.Status), fmt.Sprintf("%s: %s – %s", s.Status, when(s.From), when(s.To)), false)
		}
	}
	for d := 0; ; d += 15 {
		t := from.AddDate(0, 0, d)
		if t.After(to) {
			break
		}
		c.tick(t, t.In(loc).Format("Jan 2"))
	}
	return c.html()
}

// trendChart draws failing and passing results per day as two lines.
func trendChart(pts []check.TrendPoint) template.HTML {
	if len(pts) < 2 {
		return ""
	}
	const w, h, pad = 640, 160, 30
	maxV := 1
	for _, p := range pts {
		maxV = max(maxV, p.Failing, p.Passing)
	}
	x := func(i int) float64 { return pad + float64(w-2*pad)*float64(i)/float64(len(pts)-1) }
	y := func(v int) float64 { return float64(h-pad) - float64(h-2*pad)*float64(v)/float64(maxV) }
	line := func(get func(check.TrendPoint) int) string {
		var parts []string
		for i, p := range pts {
			parts = append(parts, fmt.Sprintf("%.1f,%.1f", x(i), y(get(p))))
		}
		return strings.Join(parts, " ")
	}
	last := pts[len(pts)-1]
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" viewBox="0 0 %d %d" width="100%%" aria-labelledby="trend-title" xmlns="http://www.w3.org/2000/svg">`, w, h)
	fmt.Fprintf(&b, `<title id="trend-title">Failing and passing results per day from %s to %s; today %d failing, %d passing.</title>`, pts[0].Day, last.Day, last.Failing, last.Passing)
	fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#cfd6dc"/>`, pad, w-pad, h-pad, h-pad)
	fmt.Fprintf(&b, `<text x="2" y="%.1f" font-size="11" fill="#666">%d</text><text x="2" y="%d" font-size="11" fill="#666">0</text>`, y(maxV)+4, maxV, h-pad+4)
	fmt.Fprintf(&b, `<polyline fill="none" stroke="#2e7d46" stroke-width="2" points="%s"/>`, line(func(p check.TrendPoint) int { return p.Passing }))
	fmt.Fprintf(&b, `<polyline fill="none" stroke="#b3261e" stroke-width="2" stroke-dasharray="5 3" points="%s"/>`, line(func(p check.TrendPoint) int { return p.Failing }))
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#666">%s</text><text x="%d" y="%d" font-size="11" fill="#666" text-anchor="end">%s</text>`,
		pad, h-8, pts[0].Day, w-pad, h-8, last.Day)
	fmt.Fprintf(&b, `<text x="%d" y="14" font-size="12" fill="#2e7d46">— passing</text><text x="%d" y="14" font-size="12" fill="#b3261e">- - failing</text>`, w-200, w-110)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func short(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
