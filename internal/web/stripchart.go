package web

import (
	"fmt"
	"html/template"
	"strings"
	"time"
)

// stripChart draws labelled horizontal strips over a time range [from, to):
// the test timeline and the audit operation view both use it. Spans are
// clipped to the range; every span carries a tooltip; callers give the
// chart a title that says in words what it shows (the pages repeat the
// numbers in tables).
type stripChart struct {
	b              strings.Builder
	labelW, labelN int // label column width in px, label length in characters
	from, to       time.Time
	rows           int
}

const (
	stripW = 560 // width of the strips in px
	rowH   = 18  // height of one row in px
)

// newStripChart starts a chart of rows strips; id names its title element.
func newStripChart(id, title string, from, to time.Time, rows, labelW, labelN int) *stripChart {
	c := &stripChart{labelW: labelW, labelN: labelN, from: from, to: to}
	fmt.Fprintf(&c.b, `<svg class="chart" role="img" viewBox="0 0 %d %d" width="100%%" aria-labelledby="%s" xmlns="http://www.w3.org/2000/svg">`,
		labelW+stripW+10, rowH*rows+26, id)
	fmt.Fprintf(&c.b, `<title id="%s">`, id)
	template.HTMLEscape(&c.b, []byte(title))
	c.b.WriteString(`</title>`)
	return c
}

// x is the horizontal position of t, clipped to the range.
func (c *stripChart) x(t time.Time) float64 {
	if t.Before(c.from) {
		t = c.from
	}
	if t.After(c.to) {
		t = c.to
	}
	return float64(c.labelW) + stripW*t.Sub(c.from).Seconds()/c.to.Sub(c.from).Seconds()
}

// row adds a labelled, empty strip and returns its index.
func (c *stripChart) row(label string) int {
	y := c.rows * rowH
	fmt.Fprintf(&c.b, `<text x="0" y="%d" font-size="12" fill="#333">%s</text>`, y+13, template.HTMLEscapeString(short(label, c.labelN)))
	fmt.Fprintf(&c.b, `<rect x="%d" y="%d" width="%d" height="12" fill="#f2f3f4"/>`, c.labelW, y+3, stripW)
	c.rows++
	return c.rows - 1
}

// span colours [from, to) on a row (at least a sliver, so short spans
// stay visible). outline separates adjacent spans (occurrence windows).
func (c *stripChart) span(row int, from, to time.Time, fill, tip string, outline bool) {
	x0, x1 := c.x(from), c.x(to)
	if x1-x0 < 0.8 {
		x1 = x0 + 0.8
	}
	stroke := ""
	if outline {
		stroke = ` stroke="#fff"`
	}
	fmt.Fprintf(&c.b, `<rect x="%.1f" y="%d" width="%.1f" height="12" fill="%s"%s><title>%s</title></rect>`,
		x0, row*rowH+3, x1-x0, fill, stroke, template.HTMLEscapeString(tip))
}

// tick marks t under the strips with a label.
func (c *stripChart) tick(t time.Time, label string) {
	base := c.rows * rowH
	fmt.Fprintf(&c.b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#cfd6dc"/><text x="%.1f" y="%d" font-size="11" fill="#666">%s</text>`,
		c.x(t), c.x(t), base, base+5, c.x(t)-12, base+18, template.HTMLEscapeString(label))
}

// marker draws a dashed vertical line across the strips at t.
func (c *stripChart) marker(t time.Time, tip string) {
	fmt.Fprintf(&c.b, `<line x1="%.1f" x2="%.1f" y1="0" y2="%d" stroke="#333" stroke-dasharray="3 2"><title>%s</title></line>`,
		c.x(t), c.x(t), c.rows*rowH, template.HTMLEscapeString(tip))
}

// html closes the chart.
func (c *stripChart) html() template.HTML {
	c.b.WriteString(`</svg>`)
	return template.HTML(c.b.String())
}
