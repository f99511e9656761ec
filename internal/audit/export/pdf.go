package export

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"codeberg.org/go-pdf/fpdf"
)

// PDF layout, in millimetres on A4.
const (
	pdfMargin   = 18.0
	pdfLine     = 5.0 // body line height
	pdfCellLine = 4.4 // table line height
	pdfPad      = 1.2 // table cell padding
)

// pdfReplacements spell out the few characters our text uses that the PDF
// core fonts (Windows-1252) lack.
var pdfReplacements = strings.NewReplacer("→", "->", "≤", "<=", "≥", ">=", "✓", "yes", "✕", "no", "·", "-")

type pdfWriter struct {
	f  *fpdf.Fpdf
	tr func(string) string
	// width of the text area
	width float64
	// headerRowFn draws the header row of the table being drawn, again
	// after a page break.
	headerRowFn func(cells []string, style string, fill bool)
}

// WriteReportPDF writes the report draft as a PDF: real text in the core
// Helvetica font, headings with bookmarks, tables with wrapped cells that
// repeat their header after a page break, the draft notice and the page
// number on every page.
func WriteReportPDF(w io.Writer, d Data) error {
	return writeReportPDF(w, d, true)
}

// writeReportPDF can leave the content streams uncompressed (tests read
// the text back).
func writeReportPDF(w io.Writer, d Data, compress bool) error {
	doc := buildReport(d)
	f := fpdf.New("P", "mm", "A4", "")
	f.SetCompression(compress)
	f.SetMargins(pdfMargin, pdfMargin+6, pdfMargin)
	f.SetAutoPageBreak(true, pdfMargin)
	f.SetCreationDate(d.GeneratedAt)
	f.SetModificationDate(d.GeneratedAt)
	f.SetTitle(doc.Title+" (draft)", true)
	f.SetCreator(d.Generator, true)
	f.SetSubject("Draft for the service auditor, not a SOC report", true)
	f.AliasNbPages("{nb}")
	p := &pdfWriter{f: f, tr: f.UnicodeTranslatorFromDescriptor("")}
	pw, _ := f.GetPageSize()
	p.width = pw - 2*pdfMargin
	f.SetHeaderFunc(func() {
		f.SetY(8)
		f.SetFont("Helvetica", "I", 7.5)
		f.SetTextColor(120, 80, 0)
		f.CellFormat(0, 4, p.text("DRAFT for the service auditor - not a SOC report - "+d.Org.Name+", "+d.Audit.Title()), "", 0, "C", false, 0, "")
		f.SetTextColor(0, 0, 0)
		f.SetY(pdfMargin + 6)
	})
	f.SetFooterFunc(func() {
		f.SetY(-12)
		f.SetFont("Helvetica", "", 8)
		f.CellFormat(0, 4, "Page "+strconv.Itoa(f.PageNo())+" of {nb}", "", 0, "C", false, 0, "")
	})
	f.AddPage()

	// Cover.
	f.SetFont("Helvetica", "B", 18)
	f.MultiCell(0, 8, p.text(doc.Title), "", "L", false)
	f.Ln(2)
	f.SetFont("Helvetica", "", 10)
	f.MultiCell(0, pdfLine, p.text(doc.Subtitle), "", "L", false)
	f.Ln(3)
	f.SetFont("Helvetica", "B", 10)
	f.SetFillColor(255, 248, 197)
	f.MultiCell(0, pdfLine+0.5, p.text(doc.Notice), "1", "L", true)
	f.Ln(4)
	f.SetFont("Helvetica", "B", 12)
	f.CellFormat(0, 7, "Contents", "", 1, "L", false, 0, "")
	f.SetFont("Helvetica", "", 10)
	for _, s := range doc.Sections {
		if s.Level == 1 {
			f.CellFormat(0, pdfLine+0.5, p.text(s.Heading), "", 1, "L", false, 0, "")
		}
	}

	for _, s := range doc.Sections {
		p.section(s)
	}
	if err := f.Error(); err != nil {
		return fmt.Errorf("cannot write the report draft as PDF: %w", err)
	}
	if err := f.Output(w); err != nil {
		return fmt.Errorf("cannot write the report draft as PDF: %w", err)
	}
	return nil
}

func (p *pdfWriter) text(s string) string { return p.tr(pdfReplacements.Replace(s)) }

// room starts a new page unless h millimetres fit on this one.
func (p *pdfWriter) room(h float64) {
	_, ph := p.f.GetPageSize()
	if p.f.GetY()+h > ph-pdfMargin {
		p.f.AddPage()
	}
}

func (p *pdfWriter) section(s section) {
	f := p.f
	switch s.Level {
	case 1:
		f.AddPage()
		f.SetFont("Helvetica", "B", 15)
		f.Bookmark(p.text(s.Heading), 0, -1)
		f.MultiCell(0, 8, p.text(s.Heading), "", "L", false)
		f.Ln(2)
	case 2:
		p.room(20)
		f.Ln(2)
		f.SetFont("Helvetica", "B", 12)
		f.Bookmark(p.text(s.Heading), 1, -1)
		f.MultiCell(0, 6.5, p.text(s.Heading), "", "L", false)
		f.Ln(1)
	default:
		p.room(30)
		f.Ln(3)
		f.SetFont("Helvetica", "B", 11)
		f.Bookmark(p.text(s.Heading), 1, -1)
		f.MultiCell(0, 6, p.text(s.Heading), "B", "L", false)
		f.Ln(1.5)
	}
	for _, b := range s.Blocks {
		p.block(b)
	}
}

func (p *pdfWriter) block(b block) {
	f := p.f
	if b.Para != "" {
		f.SetFont("Helvetica", "", 10)
		f.MultiCell(0, pdfLine, p.text(b.Para), "", "L", false)
		f.Ln(1.5)
	}
	if b.Note != "" {
		f.SetFont("Helvetica", "I", 9.5)
		f.SetTextColor(80, 80, 80)
		f.MultiCell(0, pdfLine, p.text(b.Note), "", "L", false)
		f.SetTextColor(0, 0, 0)
		f.Ln(1.5)
	}
	if len(b.List) > 0 {
		f.SetFont("Helvetica", "", 10)
		left, _, _, _ := f.GetMargins()
		for _, it := range b.List {
			f.SetX(left + 2)
			f.CellFormat(5, pdfLine, p.text("•"), "", 0, "L", false, 0, "")
			f.MultiCell(p.width-7, pdfLine, p.text(it), "", "L", false)
		}
		f.Ln(1.5)
	}
	if len(b.Pairs) > 0 {
		rows := make([][]string, len(b.Pairs))
		for i, kv := range b.Pairs {
			rows[i] = []string{kv[0], kv[1]}
		}
		p.table(&table{Rows: rows, Widths: []float64{1.3, 4}}, true)
	}
	if b.Table != nil {
		p.table(b.Table, false)
	}
}

// table draws rows of wrapped cells; a row that does not fit starts a new
// page, where the header is drawn again.
func (p *pdfWriter) table(t *table, keys bool) {
	f := p.f
	n := len(t.Widths)
	if len(t.Header) > n {
		n = len(t.Header)
	}
	total := 0.0
	for i := 0; i < n; i++ {
		total += weight(t.Widths, i)
	}
	widths := make([]float64, n)
	for i := range widths {
		widths[i] = p.width * weight(t.Widths, i) / total
	}
	row := func(cells []string, style string, fill bool) {
		f.SetFont("Helvetica", style, 9)
		lines := make([][]string, n)
		height := 0.0
		for i := 0; i < n; i++ {
			txt := ""
			if i < len(cells) {
				txt = p.text(cells[i])
			}
			for _, l := range strings.Split(txt, "\n") {
				for _, part := range f.SplitLines([]byte(l), widths[i]-2*pdfPad+2*f.GetCellMargin()) {
					lines[i] = append(lines[i], string(part))
				}
				if l == "" {
					lines[i] = append(lines[i], "")
				}
			}
			// A cell taller than a page is cut: the HTML and XLSX keep it whole.
			if max := 50; len(lines[i]) > max {
				lines[i] = append(lines[i][:max-1], "... (continued in the HTML draft)")
			}
			if h := float64(len(lines[i]))*pdfCellLine + 2*pdfPad; h > height {
				height = h
			}
		}
		_, ph := f.GetPageSize()
		if f.GetY()+height > ph-pdfMargin {
			f.AddPage()
			if len(t.Header) > 0 && style != "B" {
				p.headerRow(t.Header, widths)
			}
		}
		x0, y0 := f.GetX(), f.GetY()
		x := x0
		for i := 0; i < n; i++ {
			if fill {
				f.SetFillColor(238, 241, 245)
				f.Rect(x, y0, widths[i], height, "FD")
			} else {
				f.Rect(x, y0, widths[i], height, "D")
			}
			st := style
			if keys && i == 0 {
				st = "B"
			}
			f.SetFont("Helvetica", st, 9)
			for j, l := range lines[i] {
				f.SetXY(x+pdfPad-f.GetCellMargin(), y0+pdfPad+float64(j)*pdfCellLine)
				f.CellFormat(widths[i]-2*pdfPad, pdfCellLine, l, "", 0, "L", false, 0, "")
			}
			x += widths[i]
		}
		f.SetXY(x0, y0+height)
	}
	p.headerRowFn = row
	if len(t.Header) > 0 {
		row(t.Header, "B", true)
	}
	for _, r := range t.Rows {
		row(r, "", false)
	}
	p.headerRowFn = nil
	f.Ln(2)
}

func (p *pdfWriter) headerRow(h []string, _ []float64) {
	if p.headerRowFn != nil {
		p.headerRowFn(h, "B", true)
	}
}

func weight(ws []float64, i int) float64 {
	if i < len(ws) && ws[i] > 0 {
		return ws[i]
	}
	return 1
}
