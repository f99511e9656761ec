package export

import (
	"embed"
	"fmt"
	"html/template"
	"io"
)

//go:embed templates/report.html
var templates embed.FS

var reportTemplate = template.Must(template.ParseFS(templates, "templates/report.html"))

// WriteReportHTML writes the report draft as one self-contained, printable
// HTML page (no scripts, no outside resources).
func WriteReportHTML(w io.Writer, d Data) error {
	if err := reportTemplate.Execute(w, buildReport(d)); err != nil {
		return fmt.Errorf("cannot write the report draft: %w", err)
	}
	return nil
}
