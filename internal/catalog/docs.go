package catalog

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/assurehq/assure/internal/model"
)

// The reference pages docs/controls.md and docs/criteria.md are generated
// from the catalog; TestReferenceDocsAreCurrent fails when they are stale.
// Regenerate with:
//
//	go test ./internal/catalog -run TestReferenceDocsAreCurrent -update

const generatedNote = "<!-- Generated from internal/catalog/data by `go test ./internal/catalog -run TestReferenceDocsAreCurrent -update`. Do not edit by hand. -->\n\n"

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(strings.TrimSpace(s))
}

// ControlsDoc renders the control library reference (docs/controls.md).
func (c *Catalog) ControlsDoc() []byte {
	var b bytes.Buffer
	b.WriteString(generatedNote)
	fmt.Fprintf(&b, "# Control library reference\n\nLibrary version **%s**: %d controls written for a SaaS company. Adopt them with "+
		"`assure controls adopt --all` (or by key), then edit them to match how you work; see [catalog.md](catalog.md) for how "+
		"adoption, edits and upgrades work.\n\n", c.Library.Version, len(c.Library.Controls))
	domains := c.LibraryDomains()
	prefix := map[string]string{}
	for p, d := range Domains {
		prefix[d] = p
	}
	b.WriteString("| domain | key prefix | controls |\n|---|---|---|\n")
	count := map[string]int{}
	for _, lc := range c.Library.Controls {
		count[lc.Domain]++
	}
	for _, d := range domains {
		fmt.Fprintf(&b, "| [%s](#%s) | `%s` | %d |\n", strings.ReplaceAll(d, "_", " "), strings.ReplaceAll(d, "_", "-"), prefix[d], count[d])
	}
	for _, d := range domains {
		fmt.Fprintf(&b, "\n## %s\n", strings.ReplaceAll(d, "_", " "))
		for _, lc := range c.Library.Controls {
			if lc.Domain != d {
				continue
			}
			fmt.Fprintf(&b, "\n<a id=\"%s\"></a>\n\n### %s — %s\n\n%s\n\n", strings.ToLower(lc.Key), lc.Key, mdEscape(lc.Title), strings.TrimSpace(lc.Description))
			fmt.Fprintf(&b, "- **Frequency:** %s · **Nature:** %s · **Suggested owner:** %s\n", strings.ReplaceAll(string(lc.Frequency), "_", "-"),
				strings.ReplaceAll(string(lc.Nature), "_", " "), lc.OwnerRole)
			b.WriteString("- **Evidence an auditor asks for:**\n")
			for _, ev := range lc.Evidence {
				fmt.Fprintf(&b, "  - %s\n", mdEscape(ev))
			}
			b.WriteString("\n| SOC 2 criterion | rationale |\n|---|---|\n")
			for _, m := range lc.SOC2 {
				fmt.Fprintf(&b, "| [%s](criteria.md#%s) | %s |\n", m.Criterion, anchor(m.Criterion), mdEscape(m.Rationale))
			}
			if len(lc.SOC1) > 0 {
				b.WriteString("\n| SOC 1 objective template | rationale |\n|---|---|\n")
				for _, m := range lc.SOC1 {
					fmt.Fprintf(&b, "| [%s](criteria.md#%s) | %s |\n", m.Objective, anchor(m.Objective), mdEscape(m.Rationale))
				}
			}
		}
	}
	return b.Bytes()
}

func anchor(id string) string { return strings.ToLower(strings.ReplaceAll(id, ".", "")) }

// CriteriaDoc renders the criteria and objective templates reference
// (docs/criteria.md), with the library controls that cover each.
func (c *Catalog) CriteriaDoc() []byte {
	var b bytes.Buffer
	b.WriteString(generatedNote)
	fmt.Fprintf(&b, "# SOC 2 criteria and SOC 1 objective templates\n\n%s, data version **%s**; objective templates version **%s**. "+
		"Descriptions and points of focus are written in our own words; see [catalog.md](catalog.md).\n\n", c.SOC2.Title, c.SOC2.Version, c.Objectives.Version)
	byCriterion := map[string][]string{}
	byTemplate := map[string][]string{}
	for _, lc := range c.Library.Controls {
		for _, m := range lc.SOC2 {
			byCriterion[m.Criterion] = append(byCriterion[m.Criterion], lc.Key)
		}
		for _, m := range lc.SOC1 {
			byTemplate[m.Objective] = append(byTemplate[m.Objective], lc.Key)
		}
	}
	b.WriteString("## Categories\n\n| category | criteria | |\n|---|---|---|\n")
	for _, cd := range c.SOC2.Categories {
		n := len(c.CriteriaIn([]model.Category{cd.ID}))
		req := ""
		if cd.Required {
			req = "always in scope"
		}
		fmt.Fprintf(&b, "| **%s** (`%s`) %s | %d | %s |\n", cd.Name, cd.ID, req, n, mdEscape(cd.Description))
	}
	for _, g := range c.SOC2.Groups {
		fmt.Fprintf(&b, "\n## %s — %s\n", g.ID, mdEscape(g.Name))
		for _, cr := range c.SOC2.Criteria {
			if cr.Group != g.ID {
				continue
			}
			fmt.Fprintf(&b, "\n### %s\n\n**%s** (%s", cr.ID, mdEscape(cr.Title), cr.Category)
			if cr.COSOPrinciple > 0 {
				fmt.Fprintf(&b, "; COSO principle %d", cr.COSOPrinciple)
			}
			fmt.Fprintf(&b, ")\n\n%s\n\nPoints of focus:\n\n", strings.TrimSpace(cr.Description))
			for _, p := range cr.PointsOfFocus {
				tag := ""
				if p.Applies != "all" {
					tag = fmt.Sprintf(" *(%s only)*", strings.ReplaceAll(p.Applies, "_", " "))
				}
				fmt.Fprintf(&b, "- %s%s\n", mdEscape(p.Text), tag)
			}
			fmt.Fprintf(&b, "\nLibrary controls: %s\n", controlLinks(byCriterion[cr.ID]))
		}
	}
	b.WriteString("\n## SOC 1 objective templates\n")
	for _, o := range c.Objectives.Objectives {
		fmt.Fprintf(&b, "\n### %s\n\n**%s** (%s, %s)\n\n%s\n\n%s\n\nLibrary controls: %s\n", o.Key, mdEscape(o.Title),
			strings.ReplaceAll(string(o.Kind), "_", " "), strings.ReplaceAll(o.Family, "_", " "), strings.TrimSpace(o.Objective),
			strings.TrimSpace(o.Description), controlLinks(byTemplate[o.Key]))
	}
	return b.Bytes()
}

func controlLinks(keys []string) string {
	if len(keys) == 0 {
		return "none"
	}
	var out []string
	for _, k := range keys {
		out = append(out, fmt.Sprintf("[%s](controls.md#%s)", k, strings.ToLower(k)))
	}
	return strings.Join(out, ", ")
}
