package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/assurehq/assure/internal/model"
)

const mediaXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// matrixHeader is the control matrix's columns.
func matrixHeader(d Data) []string {
	crit := "criteria"
	if d.Audit.Framework == model.SOC1 {
		crit = "control objectives"
	}
	status := "status as of " + d.Audit.AsOf
	if d.Audit.Type == 2 {
		status = "status over " + d.Audit.PeriodFrom + " to " + d.Audit.PeriodTo
	}
	return []string{"control", "title", crit, "description", "frequency", "nature", "owner", "tests", status, "status detail", "evidence", "exceptions"}
}

// matrixRow is one control's row.
func matrixRow(c Control) []string {
	var tests, ev, ex []string
	for _, t := range c.Tests {
		tests = append(tests, joinNonEmpty(" ", t.ID, "("+t.Status+")"))
	}
	for _, e := range c.Evidence {
		s := e.Ref() + " " + e.Title + " [" + e.Effective() + "; sha256 " + short(e.SHA256) + "]"
		if e.Deleted != "" {
			s += " (content deleted: " + e.Deleted + ")"
		}
		ev = append(ev, s)
	}
	for _, x := range c.Exceptions {
		ex = append(ex, exceptionText(x))
	}
	return []string{c.Key, c.Title, strings.Join(c.Criteria, ", "), c.Description, c.Frequency.Label(), c.Nature.Label(), c.Owner,
		strings.Join(tests, "\n"), c.Status, c.StatusNote, strings.Join(ev, "\n"), strings.Join(ex, "\n")}
}

func exceptionText(x Exception) string {
	when := x.From
	if x.To != "" && x.To != x.From {
		when += " to " + x.To
	}
	return joinNonEmpty(": ", joinNonEmpty(" ", sourceLabel(x.Source), when, x.Item), x.Note)
}

func sourceLabel(s string) string {
	switch s {
	case "sample":
		return "Sample exception"
	case "test_failure":
		return "Test failing (candidate exception)"
	case "accepted":
		return "Accepted exception"
	}
	return s
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// cells guards a CSV row against formula injection: a spreadsheet opening
// the CSV would run a cell that starts with =, +, -, @ or a control
// character; such cells get a leading apostrophe (OWASP's advice), so text
// a user typed (a title, a note) stays text.
func cells(vs ...string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			v = "'" + v
		}
		out[i] = v
	}
	return out
}

// WriteMatrixCSV writes the control matrix as CSV (RFC 4180, UTF-8): a
// header row, then one row per control.
func WriteMatrixCSV(w io.Writer, d Data) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(matrixHeader(d)); err != nil {
		return fmt.Errorf("cannot write the control matrix: %w", err)
	}
	for _, c := range d.Controls {
		if err := cw.Write(cells(matrixRow(c)...)); err != nil {
			return fmt.Errorf("cannot write the control matrix: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("cannot write the control matrix: %w", err)
	}
	return nil
}

// Sheet names of the workbook.
const (
	SheetControls    = "Controls"
	SheetCriteria    = "Criteria"
	SheetExceptions  = "Exceptions"
	SheetPopulations = "Populations"
	SheetSamples     = "Samples"
	SheetAbout       = "About"
)

// sheet is one worksheet: a header, rows, and column widths.
type sheet struct {
	name   string
	header []string
	widths []float64
	rows   [][]string
}

func workbookSheets(d Data) []sheet {
	controls := sheet{name: SheetControls, header: matrixHeader(d), widths: []float64{12, 32, 18, 60, 12, 14, 18, 36, 14, 40, 60, 50}}
	for _, c := range d.Controls {
		controls.rows = append(controls.rows, matrixRow(c))
	}

	crit := sheet{name: SheetCriteria, header: []string{"criterion", "title", "group", "relevant", "control", "control title", "control status"},
		widths: []float64{12, 40, 24, 40, 12, 40, 14}}
	if d.Audit.Framework == model.SOC1 {
		crit.header[0] = "objective"
	}
	for _, cr := range d.Criteria {
		relevant := "yes"
		if cr.NotRelevant != "" {
			relevant = "not relevant: " + cr.NotRelevant
		}
		if len(cr.Controls) == 0 {
			crit.rows = append(crit.rows, []string{cr.ID, cr.Title, cr.Group, relevant, "", "(no control)", ""})
		}
		for _, k := range cr.Controls {
			c, _ := d.ControlByKey(k)
			crit.rows = append(crit.rows, []string{cr.ID, cr.Title, cr.Group, relevant, k, c.Title, c.Status})
		}
	}

	exc := sheet{name: SheetExceptions, header: []string{"control", "kind", "from", "to", "item", "note"}, widths: []float64{12, 32, 12, 12, 40, 60}}
	for _, x := range d.AllExceptions() {
		exc.rows = append(exc.rows, []string{x.Control, sourceLabel(x.Source), x.From, x.To, x.Item, x.Note})
	}

	pops := sheet{name: SheetPopulations, header: []string{"population", "name", "source", "query", "produced at", "count", "sha256", "ledger entry", "controls"},
		widths: []float64{12, 32, 24, 48, 22, 10, 66, 12, 20}}
	for _, p := range d.Populations {
		pops.rows = append(pops.rows, []string{"P" + strconv.FormatInt(p.ID, 10), p.Name, p.Source, p.Query, p.ProducedAt.UTC().Format(time.RFC3339),
			strconv.Itoa(p.Count), p.SHA256, seqText(p.LedgerSeq), strings.Join(p.Controls, ", ")})
	}

	smp := sheet{name: SheetSamples, header: []string{"sample", "control", "population", "seed", "item", "date", "title", "result", "note"},
		widths: []float64{10, 12, 12, 22, 28, 12, 40, 12, 50}}
	for _, s := range d.Samples {
		for _, it := range s.Items {
			smp.rows = append(smp.rows, []string{"S" + strconv.FormatInt(s.ID, 10), s.Control, popText(s.Population), s.Seed, it.Ref, it.Date, it.Title, it.Result, it.Note})
		}
	}

	about := sheet{name: SheetAbout, header: []string{"", ""}, widths: []float64{22, 90}}
	about.header = []string{"field", "value"}
	about.rows = [][]string{
		{"organization", d.Org.Name},
		{"audit", d.Audit.Title()},
		{"generated", d.GeneratedAt.UTC().Format(time.RFC3339) + " by " + d.Generator},
		{"note", "A working document for the service auditor, produced by Assure from the audit's frozen scope. It is not a SOC report and expresses no opinion."},
	}
	return []sheet{controls, crit, exc, pops, smp, about}
}

func seqText(s int64) string {
	if s == 0 {
		return ""
	}
	return strconv.FormatInt(s, 10)
}

func popText(id int64) string {
	if id == 0 {
		return ""
	}
	return "P" + strconv.FormatInt(id, 10)
}

// maxCell is below Excel's limit of 32,767 characters per cell.
const maxCell = 32000

// WriteMatrixXLSX writes the control matrix as a workbook: a sheet per view
// (controls; criteria → controls; exceptions; populations; samples; about),
// each with a bold header row frozen in place, filters and column widths.
func WriteMatrixXLSX(w io.Writer, d Data) error {
	f := excelize.NewFile()
	defer f.Close()
	header, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"DDE4EE"}, Pattern: 1},
		Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	if err != nil {
		return fmt.Errorf("cannot write the workbook: %w", err)
	}
	body, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	if err != nil {
		return fmt.Errorf("cannot write the workbook: %w", err)
	}
	for i, s := range workbookSheets(d) {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.name); err != nil {
				return fmt.Errorf("cannot write the workbook: %w", err)
			}
		} else if _, err := f.NewSheet(s.name); err != nil {
			return fmt.Errorf("cannot write the workbook: %w", err)
		}
		if err := writeSheet(f, s, header, body); err != nil {
			return fmt.Errorf("cannot write sheet %s: %w", s.name, err)
		}
	}
	f.SetActiveSheet(0)
	if err := f.SetDocProps(&excelize.DocProperties{Title: "Control matrix: " + d.Audit.Title(), Creator: d.Generator,
		Description: "Draft for the service auditor, not a SOC report", Created: d.GeneratedAt.UTC().Format(time.RFC3339)}); err != nil {
		return fmt.Errorf("cannot write the workbook: %w", err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("cannot write the workbook: %w", err)
	}
	return nil
}

func writeSheet(f *excelize.File, s sheet, header, body int) error {
	row := func(n int, vs []string) error {
		cell, _ := excelize.CoordinatesToCellName(1, n)
		out := make([]any, len(vs))
		for i, v := range vs {
			if len(v) > maxCell {
				v = v[:maxCell] + " …(cut)"
			}
			out[i] = v
		}
		return f.SetSheetRow(s.name, cell, &out)
	}
	if err := row(1, s.header); err != nil {
		return err
	}
	for i, r := range s.rows {
		if err := row(i+2, r); err != nil {
			return err
		}
	}
	last, _ := excelize.ColumnNumberToName(len(s.header))
	for i, wd := range s.widths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(s.name, col, col, wd); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(s.name, "A1", last+"1", header); err != nil {
		return err
	}
	if len(s.rows) > 0 {
		if err := f.SetCellStyle(s.name, "A2", last+strconv.Itoa(len(s.rows)+1), body); err != nil {
			return err
		}
	}
	if err := f.SetPanes(s.name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	return f.AutoFilter(s.name, "A1:"+last+strconv.Itoa(len(s.rows)+1), nil)
}
