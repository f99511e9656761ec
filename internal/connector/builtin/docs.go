package builtin

import (
	"fmt"
	"strings"

	"github.com/assurehq/assure/internal/connector"
)

// Generated documentation: the tables in docs/connectors.md and
// docs/connectors/<id>.md between these markers are written from the
// registrations, so they cannot drift from the code (TestDocsAreCurrent).
const (
	BeginGenerated = "<!-- BEGIN GENERATED from the registrations: edit the code, then run go test ./internal/connector/builtin -update -->"
	EndGenerated   = "<!-- END GENERATED -->"
)

func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return ""
}

// ConnectorDoc renders one connector's configuration fields and resource
// types as Markdown.
func ConnectorDoc(reg connector.Registration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Connector id `%s`, category %s.\n\n", reg.ID, reg.Category)
	b.WriteString("### Configuration\n\n")
	if len(reg.Fields) == 0 {
		b.WriteString("No configuration fields.\n\n")
	} else {
		b.WriteString("| field | type | required | secret | default | meaning |\n|---|---|---|---|---|---|\n")
		for _, f := range reg.Fields {
			def := ""
			if f.Default != "" {
				def = "`" + f.Default + "`"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", f.Name, f.Type, yes(f.Required), yes(f.Secret), def, cell(f.Help))
		}
		b.WriteString("\n")
	}
	b.WriteString("### Resource types\n\n")
	b.WriteString("Every resource also carries `unknown` (field → why it could not be determined) and `sources` (field → how it was determined) when they are not empty; see [the attribute convention](../connectors.md#attributes-unknown-values-and-sources).\n\n")
	for _, rt := range reg.Resources {
		fmt.Fprintf(&b, "#### `%s`\n\n%s\n\n| field | type | meaning |\n|---|---|---|\n", rt.Name, rt.Description)
		for _, f := range rt.Fields {
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", f.Name, f.Type, cell(f.Description))
		}
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

// IndexDoc renders the table of every connector for docs/connectors.md.
func IndexDoc(regs []connector.Registration) string {
	var b strings.Builder
	b.WriteString("| connector | id | category | resource types |\n|---|---|---|---|\n")
	for _, reg := range regs {
		var types []string
		for _, rt := range reg.Resources {
			types = append(types, "`"+rt.Name+"`")
		}
		fmt.Fprintf(&b, "| [%s](connectors/%s.md) | `%s` | %s | %s |\n", cell(reg.Name), reg.ID, reg.ID, reg.Category, strings.Join(types, ", "))
	}
	return b.String()
}

// ReplaceGenerated puts body between the markers of doc, appending a
// marked section when doc has none.
func ReplaceGenerated(doc, body string) string {
	section := BeginGenerated + "\n\n" + body + "\n" + EndGenerated
	i := strings.Index(doc, BeginGenerated)
	j := strings.Index(doc, EndGenerated)
	if i < 0 || j < i {
		return strings.TrimRight(doc, "\n") + "\n\n## Reference\n\n" + section + "\n"
	}
	return doc[:i] + section + doc[j+len(EndGenerated):]
}
