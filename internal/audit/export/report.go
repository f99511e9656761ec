package export

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/assurehq/assure/internal/model"
)

// The report draft is built once as a document (sections of paragraphs,
// lists and tables) and rendered to HTML and to PDF from the same value, so
// both carry exactly the same sections.

// Notice is printed on the draft's cover and on every PDF page.
const Notice = "DRAFT prepared by Assure for the service auditor. This is not a SOC report: the service auditor performs the tests, writes Section 1 and forms the opinion."

type document struct {
	Title    string
	Subtitle string
	Notice   string
	Sections []section
}

type section struct {
	ID      string
	Heading string
	Level   int // 1: a section, 2: a subsection, 3: a control
	Blocks  []block
}

// block is one of: a paragraph, a list, a table, a key-value list, a
// placeholder line to fill in.
type block struct {
	Para  string
	Note  string // a remark in italics (what the auditor or management must add)
	List  []string
	Table *table
	Pairs [][2]string
}

type table struct {
	Header []string
	Rows   [][]string
	// Widths are relative column widths.
	Widths []float64
}

func para(format string, args ...any) block { return block{Para: fmt.Sprintf(format, args...)} }
func note(s string) block                   { return block{Note: s} }

// Section headings of the draft (tests and the package README name them).
const (
	HeadingAuditorReport = "Section 1. Independent service auditor's report"
	HeadingAssertion     = "Section 2. Management's assertion"
	HeadingDescription   = "Section 3. Description of the system"
	HeadingControls      = "Section 4. Criteria, controls and tests of controls"
	HeadingOther         = "Section 5. Other information provided by management"
	HeadingBridge        = "Appendix. Bridge letter"
)

func (d Data) critWord() (one, many string) {
	if d.Audit.Framework == model.SOC1 {
		return "control objective", "control objectives"
	}
	return "criterion", "criteria"
}

// dc labels a DC 200 element for SOC 2 ("(DC 3)"); SOC 1 descriptions
// follow AT-C 320 and carry no numbers.
func (d Data) dc(n int) string {
	if d.Audit.Framework == model.SOC1 {
		return ""
	}
	return " (DC " + strconv.Itoa(n) + ")"
}

func orNone(s, none string) string {
	if strings.TrimSpace(s) == "" {
		return none
	}
	return s
}

const toComplete = "[To be completed by management]"

func buildReport(d Data) document {
	one, many := d.critWord()
	doc := document{
		Title:    d.Org.Name + ": " + d.Audit.FrameworkLabel() + " Type " + strconv.Itoa(d.Audit.Type) + " report draft",
		Subtitle: d.Audit.Title() + " · generated " + d.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC") + " by " + d.Generator,
		Notice:   Notice,
	}
	add := func(id, heading string, level int, blocks ...block) {
		doc.Sections = append(doc.Sections, section{ID: id, Heading: heading, Level: level, Blocks: blocks})
	}
	s := d.Scope

	// Section 1: facts for the auditor, no opinion.
	cats := make([]string, len(s.Categories))
	for i, c := range s.Categories {
		cats[i] = strings.ReplaceAll(string(c), "_", " ")
	}
	method := "none"
	if len(s.Subservice) > 0 {
		var ms []string
		for _, so := range s.Subservice {
			ms = append(ms, so.Name+" ("+strings.ReplaceAll(string(so.Method), "_", "-")+")")
		}
		method = strings.Join(ms, "; ")
	}
	facts := [][2]string{{"Service organization", d.Org.Name}, {"Report", d.Audit.FrameworkLabel() + " Type " + strconv.Itoa(d.Audit.Type)}}
	if d.Audit.Type == 1 {
		facts = append(facts, [2]string{"As of", d.Audit.AsOf})
	} else {
		facts = append(facts, [2]string{"Period", d.Audit.PeriodFrom + " to " + d.Audit.PeriodTo})
	}
	if d.Audit.Framework == model.SOC2 {
		facts = append(facts, [2]string{"Trust services categories", strings.Join(cats, ", ")})
	}
	facts = append(facts, [2]string{"Subservice organizations", method}, [2]string{"Complementary user entity controls", strconv.Itoa(len(s.CUECs))})
	add("auditor-report", HeadingAuditorReport, 1,
		note("To be written and signed by the service auditor. Assure does not draft the opinion; the facts below are the scope the audit was frozen with."),
		block{Pairs: facts})

	// Section 2: management's assertion, as a template.
	add("assertion", HeadingAssertion, 1, assertion(d)...)

	// Section 3: the description (DC 200 for SOC 2).
	add("description", HeadingDescription, 1,
		note("Management's description, assembled from the scope recorded in Assure. Review every part: the description is management's responsibility."))
	add("dc1", "Services provided"+d.dc(1), 2, para("%s", orNone(s.System.Services, toComplete)))
	commit := []block{}
	if len(s.System.Commitments) > 0 {
		commit = append(commit, para("Principal service commitments:"), block{List: s.System.Commitments})
	} else {
		commit = append(commit, para("Principal service commitments: %s", toComplete))
	}
	if len(s.System.SystemRequirements) > 0 {
		commit = append(commit, para("System requirements needed to meet them:"), block{List: s.System.SystemRequirements})
	} else {
		commit = append(commit, para("System requirements: %s", toComplete))
	}
	add("dc2", "Principal service commitments and system requirements"+d.dc(2), 2, commit...)
	comp := s.System.Components
	add("dc3", "Components of the system and its boundaries"+d.dc(3), 2,
		block{Table: &table{Header: []string{"Component", "Description"}, Widths: []float64{1, 4}, Rows: [][]string{
			{"Infrastructure", orNone(comp.Infrastructure, toComplete)},
			{"Software", orNone(comp.Software, toComplete)},
			{"People", orNone(comp.People, toComplete)},
			{"Procedures", orNone(comp.Procedures, toComplete)},
			{"Data", orNone(comp.Data, toComplete)},
			{"Boundaries", orNone(s.System.Boundary, toComplete)},
		}}})
	inc := d.incidentsInScope()
	if len(inc) == 0 {
		add("dc4", "Significant incidents"+d.dc(4), 2, para("No significant system incidents were recorded %s.", d.periodWords()),
			note("Confirm that no incident caused by a control failure, or that prevented meeting a service commitment, occurred "+d.periodWords()+"."))
	} else {
		t := &table{Header: []string{"Date", "Incident", "Resolution"}, Widths: []float64{1, 3, 3}}
		for _, i := range inc {
			t.Rows = append(t.Rows, []string{i.Date, i.Description, orNone(i.Resolution, toComplete)})
		}
		add("dc4", "Significant incidents"+d.dc(4), 2, block{Table: t})
	}
	add("dc5", "Applicable "+many+" and related controls"+d.dc(5), 2,
		para("The %d %s in scope and the %d controls that address them are listed in Section 4, with the tests of each control.", len(d.Criteria), many, len(d.Controls)))
	if len(s.CUECs) == 0 {
		add("dc6", "Complementary user entity controls"+d.dc(6), 2, para("The design assumes no controls at user entities."))
	} else {
		t := &table{Header: []string{"Complementary user entity control", strings.ToUpper(many[:1]) + many[1:]}, Widths: []float64{4, 1}}
		for _, c := range s.CUECs {
			t.Rows = append(t.Rows, []string{c.Control, strings.Join(c.Criteria, ", ")})
		}
		add("dc6", "Complementary user entity controls"+d.dc(6), 2,
			para("The controls were designed assuming that user entities operate the following controls."), block{Table: t})
	}
	if len(s.Subservice) == 0 {
		add("dc7", "Subservice organizations"+d.dc(7), 2, para("The system uses no subservice organization."))
	} else {
		t := &table{Header: []string{"Subservice organization", "Services", "Method", "Complementary subservice organization controls"}, Widths: []float64{1.2, 2, 0.8, 3}}
		for _, so := range s.Subservice {
			var cs []string
			for _, c := range so.CSOCs {
				cs = append(cs, c.Control+" ("+strings.Join(c.Criteria, ", ")+")")
			}
			t.Rows = append(t.Rows, []string{so.Name, so.Services, strings.ReplaceAll(string(so.Method), "_", "-"), strings.Join(cs, "\n")})
		}
		add("dc7", "Subservice organizations and complementary subservice organization controls"+d.dc(7), 2, block{Table: t})
	}
	if len(s.NotRelevant) == 0 {
		add("dc8", strings.ToUpper(many[:1])+many[1:]+" not relevant to the system"+d.dc(8), 2, para("Every applicable %s is relevant to the system.", one))
	} else {
		t := &table{Header: []string{strings.ToUpper(one[:1]) + one[1:], "Why it is not relevant"}, Widths: []float64{1, 5}}
		for _, n := range s.NotRelevant {
			t.Rows = append(t.Rows, []string{n.Criterion, n.Reason})
		}
		add("dc8", strings.ToUpper(many[:1])+many[1:]+" not relevant to the system"+d.dc(8), 2, block{Table: t})
	}
	changes := d.Changes
	if len(changes) == 0 {
		add("dc9", "Significant changes "+d.periodWords()+d.dc(9), 2, para("No significant changes to the system or its controls were recorded %s.", d.periodWords()))
	} else {
		t := &table{Header: []string{"Date", "Change"}, Widths: []float64{1, 5}}
		for _, c := range changes {
			t.Rows = append(t.Rows, []string{c.Date, c.Description})
		}
		add("dc9", "Significant changes "+d.periodWords()+d.dc(9), 2, block{Table: t},
			note("Assure lists every recorded change; keep those significant to users of the report."))
	}

	// Section 4: criteria → controls, then each control with its tests.
	ct := &table{Header: []string{strings.ToUpper(one[:1]) + one[1:], "Title", "Controls"}, Widths: []float64{0.8, 3, 2}}
	for _, c := range d.Criteria {
		ctl := strings.Join(c.Controls, ", ")
		if c.NotRelevant != "" {
			ctl = "Not relevant: " + c.NotRelevant
		} else if ctl == "" {
			ctl = "No control (gap)"
		}
		ct.Rows = append(ct.Rows, []string{c.ID, c.Title, ctl})
	}
	intro := para("Controls as of %s: their design and their state on that date. The service auditor adds the tests performed and their results.", d.Audit.AsOf)
	if d.Audit.Type == 2 {
		intro = para("Controls and how they operated from %s to %s, with the tests Assure's records support and the results recorded by the service auditor. \"No exceptions noted\" means no sample item, test failure or accepted exception is recorded for the control.", d.Audit.PeriodFrom, d.Audit.PeriodTo)
	}
	add("controls", HeadingControls, 1, intro, block{Table: ct})
	for _, c := range d.Controls {
		add("control-"+c.Key, c.Key+" "+c.Title, 3, d.controlBlocks(c)...)
	}

	// Section 5: management's responses to exceptions.
	other := []block{note("Unaudited. Management may respond here to exceptions noted by the service auditor.")}
	if ex := d.AllExceptions(); len(ex) > 0 {
		t := &table{Header: []string{"Control", "Exception", "Management's response"}, Widths: []float64{0.8, 3, 3}}
		for _, x := range ex {
			t.Rows = append(t.Rows, []string{x.Control, exceptionText(x), toComplete})
		}
		other = append(other, block{Table: t})
	}
	add("other", HeadingOther, 1, other...)

	add("bridge", HeadingBridge+" (draft)", 1, bridgeLetter(d)...)
	return doc
}

func (d Data) periodWords() string {
	if d.Audit.Type == 1 {
		return "up to " + d.Audit.AsOf
	}
	return "during the period " + d.Audit.PeriodFrom + " to " + d.Audit.PeriodTo
}

// incidentsInScope are the scope's incidents inside the period (Type 2) or
// up to the date (Type 1); undated ones are kept for management to place.
func (d Data) incidentsInScope() []model.Incident {
	var out []model.Incident
	for _, i := range d.Scope.System.Incidents {
		switch {
		case i.Date == "":
		case d.Audit.Type == 1 && i.Date > d.Audit.AsOf:
			continue
		case d.Audit.Type == 2 && (i.Date < d.Audit.PeriodFrom || i.Date > d.Audit.PeriodTo):
			continue
		}
		out = append(out, i)
	}
	return out
}

func (d Data) controlBlocks(c Control) []block {
	_, many := d.critWord()
	pairs := [][2]string{
		{strings.ToUpper(many[:1]) + many[1:], orNone(strings.Join(c.Criteria, ", "), "none in scope")},
		{"Frequency", c.Frequency.Label()}, {"Nature", c.Nature.Label()}, {"Owner", orNone(c.Owner, "not set")},
	}
	if d.Audit.Type == 1 {
		pairs = append(pairs, [2]string{"State as of " + d.Audit.AsOf, joinNonEmpty(": ", c.Status, c.StatusNote)})
	} else {
		pairs = append(pairs, [2]string{"Operation over the period", joinNonEmpty(": ", c.Status, c.StatusNote)})
	}
	out := []block{para("%s", orNone(c.Description, "No description.")), {Pairs: pairs}}

	t := &table{Header: []string{"Test of the control", "Result"}, Widths: []float64{3, 2}}
	for _, tt := range c.Tests {
		what := "Automated test " + tt.ID + ": " + tt.Title
		res := "Status " + tt.Status
		if d.Audit.Type == 2 {
			what = "Inspected the results of the automated test " + tt.ID + " (" + tt.Title + ") over the period"
			res = "failing " + days(tt.DaysFailing) + " of the period"
			if tt.DaysFailing == 0 {
				res = "No exceptions noted"
			}
		}
		t.Rows = append(t.Rows, []string{what, res})
	}
	if op := c.Operation; op != nil && op.Expected > 0 {
		res := fmt.Sprintf("Evidence for %d of %d occurrences", op.Present, op.Expected)
		if len(op.Gaps) > 0 {
			res += "; none for " + strings.Join(op.Gaps, ", ")
		}
		t.Rows = append(t.Rows, []string{fmt.Sprintf("Inspected evidence of each %s occurrence in the period (%d expected)", c.Frequency.Label(), op.Expected), res})
	}
	for _, s := range d.Samples {
		if s.Control != c.Key {
			continue
		}
		from := ""
		if s.Population != 0 {
			from = " from population P" + strconv.FormatInt(s.Population, 10)
			for _, p := range d.Populations {
				if p.ID == s.Population {
					from += " (" + p.Name + ", " + strconv.Itoa(p.Count) + " items)"
				}
			}
		}
		pending := 0
		for _, it := range s.Items {
			if it.Result == ResultPending || it.Result == "" {
				pending++
			}
		}
		res := "No exceptions noted"
		if n := s.Exceptions(); n > 0 {
			res = fmt.Sprintf("Exceptions noted: %d of %d", n, len(s.Items))
		}
		if pending > 0 {
			res += fmt.Sprintf(" (%d of %d items not yet tested)", pending, len(s.Items))
		}
		t.Rows = append(t.Rows, []string{fmt.Sprintf("Inspected a sample of %d items%s, selected with seed %s", len(s.Items), from, s.Seed), res})
	}
	if len(c.Evidence) > 0 {
		var refs []string
		for _, e := range c.Evidence {
			refs = append(refs, e.Ref()+" "+e.Title+" ("+e.Effective()+")")
		}
		t.Rows = append(t.Rows, []string{"Inspected the evidence recorded for the control", strings.Join(refs, "\n")})
	}
	if len(t.Rows) == 0 {
		t.Rows = append(t.Rows, []string{"No test, sample or evidence is recorded for this control", toComplete})
	}
	out = append(out, block{Table: t})
	if len(c.Exceptions) == 0 {
		out = append(out, para("Result: No exceptions noted."))
	} else {
		var xs []string
		for _, x := range c.Exceptions {
			xs = append(xs, exceptionText(x))
		}
		out = append(out, para("Result: Exceptions noted (%d):", len(c.Exceptions)), block{List: xs})
	}
	return out
}

func days(d float64) string {
	if d == float64(int(d)) {
		if d == 1 {
			return "1 day"
		}
		return strconv.Itoa(int(d)) + " days"
	}
	return strconv.FormatFloat(d, 'f', 1, 64) + " days"
}

func assertion(d Data) []block {
	org := d.Org.Name
	basis := "the applicable trust services criteria"
	if d.Audit.Framework == model.SOC1 {
		basis = "the control objectives stated in the description"
	}
	desc := "DC 200, 2018 Description Criteria for a Description of a Service Organization's System in a SOC 2 Report"
	if d.Audit.Framework == model.SOC1 {
		desc = "the description criteria of AT-C section 320"
	}
	var p []block
	p = append(p, note("Template. Management signs its own assertion; edit the wording with the service auditor."))
	p = append(p, para("We have prepared the accompanying description of %s's system %s, based on %s. The description is intended to provide users with information about the system that may be useful when assessing the risks arising from interactions with it.",
		org, whenWords(d), desc))
	p = append(p, para("We confirm, to the best of our knowledge and belief, that:"))
	items := []string{
		fmt.Sprintf("the description presents the system that was designed and implemented %s, in accordance with the description criteria;", whenWords(d)),
		fmt.Sprintf("the controls stated in the description were suitably designed %s to provide reasonable assurance that the service commitments and system requirements would be achieved based on %s, if the controls operated as described and if user entities and subservice organizations applied the complementary controls assumed in the design;", whenWords(d), basis),
	}
	if d.Audit.Type == 2 {
		items = append(items, fmt.Sprintf("the controls stated in the description operated effectively throughout the period %s to %s to provide reasonable assurance that the service commitments and system requirements were achieved based on %s.", d.Audit.PeriodFrom, d.Audit.PeriodTo, basis))
	}
	p = append(p, block{List: items})
	if n := len(d.AllExceptions()); n > 0 {
		p = append(p, note(fmt.Sprintf("%s recorded against the controls: decide with the service auditor whether the assertion needs a qualification.", plural(n, "exception is", "exceptions are"))))
	}
	p = append(p, block{Pairs: [][2]string{{"Signed", "[Name], [Title]"}, {"For", org}, {"Date", "[Date]"}}})
	return p
}

func whenWords(d Data) string {
	if d.Audit.Type == 1 {
		return "as of " + d.Audit.AsOf
	}
	return "throughout the period " + d.Audit.PeriodFrom + " to " + d.Audit.PeriodTo
}

func bridgeLetter(d Data) []block {
	b := d.Bridge
	if b == nil {
		return []block{para("A bridge letter covers the time between the end of the report's %s and a later date a customer asks about. It can be drafted once %s has passed.",
			map[int]string{1: "date", 2: "period"}[d.Audit.Type], map[int]string{1: d.Audit.AsOf, 2: d.Audit.PeriodTo}[d.Audit.Type])}
	}
	org := d.Org.Name
	out := []block{
		note("Template. A bridge letter is management's letter, not the auditor's: it gives no assurance and does not replace the report. It usually covers three months at most."),
		para("[Date]"),
		para("To the users of %s's %s report %s:", org, d.Audit.FrameworkLabel()+" Type "+strconv.Itoa(d.Audit.Type), whenShort(d)),
		para("Management of %s confirms the following for the bridge period from %s to %s, which follows the report's %s.", org, b.From, b.To, map[int]string{1: "date", 2: "period"}[d.Audit.Type]),
	}
	if len(b.Changes) == 0 {
		out = append(out, para("We are not aware of changes to the system or its controls during the bridge period that would significantly affect the report's description."))
	} else {
		var cs []string
		for _, c := range b.Changes {
			cs = append(cs, c.Date+": "+c.Description)
		}
		out = append(out, para("Changes to the system or its controls during the bridge period:"), block{List: cs})
	}
	if len(b.Failing) == 0 {
		out = append(out, para("Continuous monitoring recorded no control failing during the bridge period."))
	} else {
		out = append(out, para("Continuous monitoring recorded these controls failing at some time during the bridge period (describe each and its resolution):"), block{List: b.Failing})
	}
	out = append(out,
		para("We are not aware of any other material change to the system, its controls or their operation since the end of the report's %s.", map[int]string{1: "date", 2: "period"}[d.Audit.Type]),
		para("User entities remain responsible for the complementary user entity controls described in the report."),
		para("This letter is not a replacement for the report and has not been examined by the service auditor."),
		block{Pairs: [][2]string{{"Signed", "[Name], [Title]"}, {"For", org}}})
	return out
}

func whenShort(d Data) string {
	if d.Audit.Type == 1 {
		return "as of " + d.Audit.AsOf
	}
	return "for the period " + d.Audit.PeriodFrom + " to " + d.Audit.PeriodTo
}

// plural is "1 exception is" or "3 exceptions are".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
