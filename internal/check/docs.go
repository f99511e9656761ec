package check

import (
	"fmt"
	"sort"
	"strings"
)

// ReferenceDoc is the generated list of built-in tests for docs/tests.md:
// one table per resource type.
func (e *Engine) ReferenceDoc() string {
	byType := map[string][]Test{}
	for _, t := range e.Tests() {
		byType[t.ResourceTypes[0]] = append(byType[t.ResourceTypes[0]], t)
	}
	var types []string
	for t := range byType {
		types = append(types, t)
	}
	sort.Strings(types)
	var b strings.Builder
	fmt.Fprintf(&b, "%d built-in tests.\n", len(e.Tests()))
	for _, typ := range types {
		fmt.Fprintf(&b, "\n### `%s`\n\n| test | severity | controls | passes when |\n|---|---|---|---|\n", typ)
		for _, t := range byType[typ] {
			cond := "`" + oneLine(t.Assert) + "`"
			if t.Where != "" {
				cond += " (for resources where `" + oneLine(t.Where) + "`)"
			}
			fmt.Fprintf(&b, "| `%s` — %s | %s | %s | %s |\n", t.ID, t.Title, t.Severity, strings.Join(t.Controls, ", "), cond)
		}
	}
	return b.String()
}

func oneLine(s string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "|", "\\|")
}
