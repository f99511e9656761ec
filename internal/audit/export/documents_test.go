package export

import (
	"bytes"
	"encoding/csv"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/assurehq/assure/internal/model"
)

func testData() Data {
	d := sampleData(model.Organization{ID: 1, Slug: "acme", Name: "Acme <Cloud> & Co"}, time.Date(2026, 7, 10, 8, 0, 0, 0, time.UTC))
	d.Controls[0].Evidence = []Evidence{{Item: 2, Version: 2, Kind: model.EvidenceFile, Title: "Q1 access review", SHA256: strings.Repeat("a", 64),
		MediaType: "text/csv", EffectiveFrom: "2026-03-31", LedgerSeq: 3}}
	d.Populations = []Population{{ID: 3, Name: "Production changes", Source: "github", Query: "merged pull requests", ProducedAt: d.GeneratedAt, Count: 2, SHA256: strings.Repeat("b", 64)}}
	return d
}

// The workbook opens as a real workbook: every sheet, the header row, the
// frozen pane, the filter and the values read back with excelize.
func TestMatrixXLSX(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteMatrixXLSX(&buf, testData()); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatalf("the workbook does not open: %v", err)
	}
	defer f.Close()
	if got := f.GetSheetList(); strings.Join(got, ",") != "Controls,Criteria,Exceptions,Populations,Samples,About" {
		t.Fatalf("sheets %v", got)
	}
	rows, err := f.GetRows(SheetControls)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "control" || rows[0][2] != "criteria" || rows[0][8] != "status over 2026-01-01 to 2026-06-30" {
		t.Fatalf("controls sheet %q", rows)
	}
	if rows[1][0] != "IAM-01" || !strings.Contains(rows[1][10], "E2-v2 Q1 access review") || rows[1][4] != "quarterly" {
		t.Fatalf("IAM-01 row %q", rows[1])
	}
	// A description that looks like a formula stays text in the workbook.
	if rows[2][3] != `=HYPERLINK("http://evil") every pull request is approved by another engineer.` {
		t.Fatalf("CHG-01 description %q", rows[2][3])
	}
	if formula, _ := f.GetCellFormula(SheetControls, "D3"); formula != "" {
		t.Fatalf("a description became the formula %q", formula)
	}
	if !strings.Contains(rows[2][11], "Sample exception 2026-03-05 pr:2: merged without approval") {
		t.Fatalf("CHG-01 exceptions %q", rows[2][11])
	}
	for _, s := range f.GetSheetList() {
		panes, err := f.GetPanes(s)
		if err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("sheet %s: header not frozen (%+v, %v)", s, panes, err)
		}
		if w, _ := f.GetColWidth(s, "B"); w < 12 {
			t.Errorf("sheet %s: column B width %v", s, w)
		}
	}
	crit, _ := f.GetRows(SheetCriteria)
	if len(crit) != 4 || crit[1][0] != "CC6.1" || crit[1][4] != "IAM-01" || !strings.HasPrefix(crit[3][3], "not relevant: No recovery") {
		t.Fatalf("criteria sheet %q", crit)
	}
	exc, _ := f.GetRows(SheetExceptions)
	if len(exc) != 3 || exc[1][1] != "Test failing (candidate exception)" {
		t.Fatalf("exceptions sheet %q", exc)
	}
	smp, _ := f.GetRows(SheetSamples)
	if len(smp) != 3 || smp[2][4] != "pr:2" || smp[2][7] != "exception" || smp[2][6] != "-1 hotfix" {
		t.Fatalf("samples sheet %q", smp)
	}
	pop, _ := f.GetRows(SheetPopulations)
	if len(pop) != 2 || pop[1][0] != "P3" || pop[1][5] != "2" {
		t.Fatalf("populations sheet %q", pop)
	}
	// The filter covers the header and every row of each sheet.
	var again bytes.Buffer
	if err := WriteMatrixXLSX(&again, testData()); err != nil {
		t.Fatal(err)
	}
	files := readZipBytes(t, again.Bytes())
	for sheet, ref := range map[string]string{"sheet1": "$A$1:$L$3", "sheet2": "$A$1:$G$4", "sheet5": "$A$1:$I$3"} {
		if !strings.Contains(string(files["xl/worksheets/"+sheet+".xml"]), `<autoFilter ref="`+ref+`"`) {
			t.Errorf("%s has no filter over %s", sheet, ref)
		}
	}
}

// The CSV is RFC 4180 with a header row; cells a spreadsheet would run as a
// formula are kept as text.
func TestMatrixCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteMatrixCSV(&buf, testData()); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || len(rows[0]) != 12 || rows[0][0] != "control" || rows[0][10] != "evidence" || rows[0][11] != "exceptions" {
		t.Fatalf("csv %q", rows)
	}
	if rows[2][3] != `'=HYPERLINK("http://evil") every pull request is approved by another engineer.` {
		t.Fatalf("formula-like cell %q", rows[2][3])
	}
	if rows[2][7] != "github.branch_protection (pass)" || rows[1][8] != "partial" {
		t.Fatalf("rows %q", rows[1:])
	}
	d := testData()
	d.Audit = AuditInfo{ID: 2, Framework: model.SOC1, Type: 1, AsOf: "2026-06-30"}
	buf.Reset()
	if err := WriteMatrixCSV(&buf, d); err != nil {
		t.Fatal(err)
	}
	if head := strings.SplitN(buf.String(), "\n", 2)[0]; !strings.Contains(head, "control objectives") || !strings.Contains(head, "status as of 2026-06-30") {
		t.Fatalf("SOC 1 Type 1 header %q", head)
	}
}

// reportSections are the headings both drafts must carry.
func reportSections(d Data) []string {
	s := []string{HeadingAuditorReport, HeadingAssertion, HeadingDescription, HeadingControls, HeadingOther, HeadingBridge,
		"Services provided (DC 1)", "Principal service commitments and system requirements (DC 2)",
		"Components of the system and its boundaries (DC 3)", "Significant incidents (DC 4)",
		"Applicable criteria and related controls (DC 5)", "Complementary user entity controls (DC 6)",
		"Subservice organizations and complementary subservice organization controls (DC 7)",
		"Criteria not relevant to the system (DC 8)", "Significant changes during the period 2026-01-01 to 2026-06-30 (DC 9)",
		"IAM-01 Quarterly access review", "CHG-01 Changes are reviewed"}
	return s
}

func TestReportHTML(t *testing.T) {
	d := testData()
	var buf bytes.Buffer
	if err := WriteReportHTML(&buf, d); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	text := htmlText(html)
	for _, s := range append(reportSections(d), Notice,
		"Acme hosts a payroll API for small businesses.", "99.9% monthly availability", "API outage of 2 hours",
		"Customers remove access of their departed staff", "Amazon Web Services", "Physical access to data centres is restricted (CC6.4)",
		"No recovery infrastructure of our own: AWS provides it", "Moved CI to GitHub Actions",
		"operated effectively throughout the period 2026-01-01 to 2026-06-30",
		"Inspected a sample of 2 items from population P3 (Production changes, 2 items), selected with seed 42", "Exceptions noted: 1 of 2",
		"Evidence for 1 of 2 occurrences; none for 2026-01-01 to 2026-03-31",
		"the bridge period from 2026-07-01 to 2026-07-10", "IAM-01 owner changed") {
		if !strings.Contains(text, s) {
			t.Errorf("the HTML draft lacks %q", s)
		}
	}
	if strings.Contains(text, "Before the period") {
		t.Error("an incident before the period is in the description")
	}
	if strings.Contains(html, "<Cloud>") || !strings.Contains(html, "Acme &lt;Cloud&gt; &amp; Co") {
		t.Error("the organization's name is not escaped")
	}
	if strings.Contains(html, "<script") || strings.Contains(html, "http://") && !strings.Contains(html, "http://evil") {
		t.Error("the draft loads something")
	}
	if !strings.Contains(html, "@media print") {
		t.Error("the draft has no print styles")
	}
}

func TestReportPDF(t *testing.T) {
	d := testData()
	var buf bytes.Buffer
	if err := writeReportPDF(&buf, d, false); err != nil {
		t.Fatal(err)
	}
	pdf := buf.Bytes()
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf, []byte("%%EOF")) {
		t.Fatal("not a PDF")
	}
	text := pdfText(pdf)
	for _, s := range append(reportSections(d), "DRAFT for the service auditor - not a SOC report",
		"Acme hosts a payroll API for small businesses.", "Exceptions noted: 1 of 2", "Page 1 of ", "Management's response") {
		if !strings.Contains(text, s) {
			t.Errorf("the PDF lacks %q", s)
		}
	}
	pages := regexp.MustCompile(`/Type /Page\b`).FindAll(pdf, -1)
	if len(pages) < 6 {
		t.Errorf("the PDF has %d pages", len(pages))
	}
	if !bytes.Contains(pdf, []byte("/Outlines")) {
		t.Error("the PDF has no bookmarks")
	}
	// The compressed PDF (what users get) is smaller and still a PDF.
	var z bytes.Buffer
	if err := WriteReportPDF(&z, d); err != nil || z.Len() >= len(pdf) || !bytes.HasPrefix(z.Bytes(), []byte("%PDF-")) {
		t.Fatalf("compressed PDF: %d bytes (%v)", z.Len(), err)
	}
}

// A Type 1 SOC 1 draft speaks of a date and of control objectives.
func TestReportType1SOC1(t *testing.T) {
	d := testData()
	d.Audit = AuditInfo{ID: 2, Framework: model.SOC1, Type: 1, AsOf: "2026-06-30"}
	d.Bridge = nil
	var buf bytes.Buffer
	if err := WriteReportHTML(&buf, d); err != nil {
		t.Fatal(err)
	}
	text := htmlText(buf.String())
	for _, s := range []string{"Applicable control objectives and related controls", "Control objectives not relevant to the system",
		"suitably designed as of 2026-06-30", "State as of 2026-06-30", "It can be drafted once 2026-06-30 has passed"} {
		if !strings.Contains(text, s) {
			t.Errorf("the Type 1 draft lacks %q", s)
		}
	}
	if strings.Contains(text, "operated effectively throughout") || strings.Contains(text, "(DC ") {
		t.Error("a SOC 1 Type 1 draft speaks of operating effectiveness or DC 200")
	}
}

var tags = regexp.MustCompile(`<[^>]*>`)

func htmlText(h string) string {
	r := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&#39;", "'", "&#34;", `"`, "&quot;", `"`)
	return strings.Join(strings.Fields(r.Replace(tags.ReplaceAllString(h, " "))), " ")
}

// pdfText reads the text shown by an uncompressed PDF's content streams:
// the strings of Tj operators, unescaped, joined by spaces (a wrapped
// heading reads as one).
func pdfText(b []byte) string {
	var out []string
	re := regexp.MustCompile(`\(((?:\\.|[^\\)])*)\) ?Tj`)
	for _, m := range re.FindAllSubmatch(b, -1) {
		s := string(m[1])
		s = strings.NewReplacer(`\(`, "(", `\)`, ")", `\\`, `\`).Replace(s)
		out = append(out, s)
	}
	return strings.Join(strings.Fields(strings.Join(out, " ")), " ")
}
