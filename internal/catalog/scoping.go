package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/assurehq/assure/internal/model"
)

// ScopingRules are the scoping assistant's rules (data/scoping/rules.yaml,
// documented in docs/scoping.md). Rules run in file order; each rule whose
// conditions all hold does one thing: recommend a report, add a SOC 2
// category, or set the report type (the first matching type rule per report
// wins). Every rule that fires adds its reason, so every recommendation says
// why.
type ScopingRules struct {
	Version string `yaml:"version" json:"version"`
	// SoonDays: a report needed within this many days is "needed soon".
	SoonDays int           `yaml:"soon_days" json:"soon_days"`
	Rules    []ScopingRule `yaml:"rules" json:"rules"`
	// NextSteps are printed after the recommendations: those for every
	// recommended framework (a step without a framework always applies).
	NextSteps []NextStep `yaml:"next_steps" json:"next_steps"`
}

// NextStep is one step of what to do after the recommendation.
type NextStep struct {
	Framework model.Framework `yaml:"framework,omitempty" json:"framework,omitempty"`
	Text      string          `yaml:"text" json:"text"`
}

// ScopingRule is one rule. When lists facts that must all hold ("not FACT"
// negates); an empty list always holds.
type ScopingRule struct {
	ID   string   `yaml:"id" json:"id"`
	When []string `yaml:"when" json:"when"`

	// Exactly one action.
	Report   model.Framework `yaml:"report,omitempty" json:"report,omitempty"`
	Category model.Category  `yaml:"category,omitempty" json:"category,omitempty"`
	Type     int             `yaml:"type,omitempty" json:"type,omitempty"`

	// ThenType (with Type) recommends a follow-up report of that type.
	ThenType   int    `yaml:"then_type,omitempty" json:"then_type,omitempty"`
	ThenReason string `yaml:"then_reason,omitempty" json:"then_reason,omitempty"`
	// Reason is a sentence for people; {services}, {report_needed_by} and
	// {soon_days} are replaced from the answers.
	Reason string `yaml:"reason" json:"reason"`
	// Note is added to the output's notes when the rule fires.
	Note string `yaml:"note,omitempty" json:"note,omitempty"`
}

// Facts the rules may test, derived from the answers.
var scopingFacts = []string{
	"affects_customer_financial_reporting", "previously_audited", "controls_recently_changed",
	"report_needed_soon", "report_deadline_given", "has_commitments",
	"commits_availability", "commits_confidentiality", "commits_processing_integrity", "commits_privacy",
}

// ScopingFacts lists the facts rules may test (for the docs).
func ScopingFacts() []string { return slices.Clone(scopingFacts) }

func (r ScopingRules) validate() error {
	var errs []error
	if r.Version == "" {
		errs = append(errs, fmt.Errorf("%s: version is required", ScopingFile))
	}
	if r.SoonDays <= 0 {
		errs = append(errs, fmt.Errorf("%s: soon_days must be positive", ScopingFile))
	}
	ids := map[string]bool{}
	for _, rule := range r.Rules {
		if rule.ID == "" || ids[rule.ID] {
			errs = append(errs, fmt.Errorf("%s: rule id %q is empty or repeated", ScopingFile, rule.ID))
		}
		ids[rule.ID] = true
		for _, w := range rule.When {
			if !slices.Contains(scopingFacts, strings.TrimPrefix(w, "not ")) {
				errs = append(errs, fmt.Errorf("%s: rule %s tests unknown fact %q (known: %s)", ScopingFile, rule.ID, w, strings.Join(scopingFacts, ", ")))
			}
		}
		n := 0
		if rule.Report != "" {
			n++
			if _, err := model.ParseFramework(string(rule.Report)); err != nil {
				errs = append(errs, fmt.Errorf("%s: rule %s: %v", ScopingFile, rule.ID, err))
			}
		}
		if rule.Category != "" {
			n++
			if _, err := model.ParseCategory(string(rule.Category)); err != nil {
				errs = append(errs, fmt.Errorf("%s: rule %s: %v", ScopingFile, rule.ID, err))
			}
		}
		if rule.Type != 0 {
			n++
			if rule.Type != 1 && rule.Type != 2 || rule.ThenType != 0 && rule.ThenType != 2 {
				errs = append(errs, fmt.Errorf("%s: rule %s: type must be 1 or 2 and then_type 2 or absent", ScopingFile, rule.ID))
			}
		}
		if n != 1 {
			errs = append(errs, fmt.Errorf("%s: rule %s must have exactly one of report, category, type", ScopingFile, rule.ID))
		}
		if strings.TrimSpace(rule.Reason) == "" {
			errs = append(errs, fmt.Errorf("%s: rule %s has no reason", ScopingFile, rule.ID))
		}
	}
	return errors.Join(errs...)
}

// Answers are the scoping questionnaire's answers (the answers file).
type Answers struct {
	// Services: what customers use the service for.
	Services                          string `yaml:"services" json:"services"`
	AffectsCustomerFinancialReporting bool   `yaml:"affects_customer_financial_reporting" json:"affects_customer_financial_reporting"`
	PreviouslyAudited                 bool   `yaml:"previously_audited" json:"previously_audited"`
	ControlsRecentlyChanged           bool   `yaml:"controls_recently_changed" json:"controls_recently_changed"`
	// ReportNeededBy: YYYY-MM-DD, optional.
	ReportNeededBy string `yaml:"report_needed_by,omitempty" json:"report_needed_by,omitempty"`
	// Commitments: what the service promises customers: availability,
	// confidentiality, processing_integrity, privacy.
	Commitments []model.Category `yaml:"commitments" json:"commitments"`
}

// ParseAnswers reads an answers file, YAML or JSON, refusing unknown keys.
func ParseAnswers(b []byte) (Answers, error) {
	var a Answers
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&a); err != nil {
		return a, model.Invalid("answers", "the answers file is not valid YAML or JSON with the documented keys (see docs/scoping.md): %v", err)
	}
	return a, a.Validate()
}

// Validate checks the answers.
func (a Answers) Validate() error {
	if a.ReportNeededBy != "" {
		if err := model.ValidateDate("report_needed_by", a.ReportNeededBy); err != nil {
			return err
		}
	}
	for _, c := range a.Commitments {
		if c == model.CategorySecurity {
			continue // every report covers security; accepted and ignored
		}
		if _, err := model.ParseCategory(string(c)); err != nil {
			return model.Invalid("commitments", "unknown commitment %q (use availability, confidentiality, processing_integrity or privacy)", c)
		}
	}
	return nil
}

func (a Answers) facts(now time.Time, soonDays int) map[string]bool {
	f := map[string]bool{
		"affects_customer_financial_reporting": a.AffectsCustomerFinancialReporting,
		"previously_audited":                   a.PreviouslyAudited,
		"controls_recently_changed":            a.ControlsRecentlyChanged,
		"report_deadline_given":                a.ReportNeededBy != "",
	}
	if d, err := time.Parse(time.DateOnly, a.ReportNeededBy); err == nil {
		f["report_needed_soon"] = d.Before(now.AddDate(0, 0, soonDays))
	}
	for _, c := range a.Commitments {
		if c != model.CategorySecurity {
			f["has_commitments"] = true
			f["commits_"+string(c)] = true
		}
	}
	return f
}

// Recommendation is the scoping assistant's answer.
type Recommendation struct {
	Reports   []ReportRecommendation `json:"reports"`
	Notes     []string               `json:"notes"`
	NextSteps []string               `json:"next_steps"`
	// Rules lists the ids of the rules that fired, in order.
	Rules        []string `json:"rules"`
	RulesVersion string   `json:"rules_version"`
}

// ReportRecommendation is one recommended report.
type ReportRecommendation struct {
	Framework model.Framework `json:"framework"`
	Type      int             `json:"type"`
	// Timing: "now" for the report to start with, "next" for the one that
	// follows it (Type 2 after a Type 1).
	Timing     string           `json:"timing"`
	Categories []model.Category `json:"categories"`
	Reasons    []string         `json:"reasons"`
}

// Recommend runs the rules over the answers. now is today (for "needed soon").
func (r ScopingRules) Recommend(a Answers, now time.Time) (Recommendation, error) {
	if err := a.Validate(); err != nil {
		return Recommendation{}, err
	}
	facts := a.facts(now, r.SoonDays)
	out := Recommendation{Notes: []string{}, NextSteps: []string{}, Rules: []string{}, RulesVersion: r.Version}
	type report struct {
		rec       ReportRecommendation
		typed     bool
		then      int
		thenWhy   string
		typeWhy   string
		frameWhys []string
	}
	var reports []*report
	find := func(f model.Framework) *report {
		for _, rp := range reports {
			if rp.rec.Framework == f {
				return rp
			}
		}
		return nil
	}
	for _, rule := range r.Rules {
		if !holds(rule.When, facts) {
			continue
		}
		why := r.fill(rule.Reason, a)
		fired := false
		switch {
		case rule.Report != "":
			if find(rule.Report) == nil {
				reports = append(reports, &report{rec: ReportRecommendation{Framework: rule.Report, Categories: []model.Category{}}})
			}
			rp := find(rule.Report)
			rp.frameWhys = append(rp.frameWhys, why)
			fired = true
		case rule.Category != "":
			if rp := find(model.SOC2); rp != nil && !slices.Contains(rp.rec.Categories, rule.Category) {
				rp.rec.Categories = append(rp.rec.Categories, rule.Category)
				rp.rec.Reasons = append(rp.rec.Reasons, why)
				fired = true
			}
		case rule.Type != 0:
			for _, rp := range reports {
				if rp.typed {
					continue
				}
				rp.typed, rp.rec.Type, rp.typeWhy = true, rule.Type, why
				rp.then, rp.thenWhy = rule.ThenType, r.fill(rule.ThenReason, a)
				fired = true
			}
		}
		if fired {
			out.Rules = append(out.Rules, rule.ID)
			if rule.Note != "" {
				out.Notes = append(out.Notes, r.fill(rule.Note, a))
			}
		}
	}
	for _, rp := range reports {
		if !rp.typed {
			return out, fmt.Errorf("scoping rules %s: no type rule matched the %s report: add a final type rule without conditions", r.Version, rp.rec.Framework)
		}
		rec := rp.rec
		rec.Timing = "now"
		cats, _ := model.NormalizeCategories(rec.Categories)
		if cats == nil {
			cats = []model.Category{}
		}
		rec.Categories = cats
		rec.Reasons = append(append(slices.Clone(rp.frameWhys), rec.Reasons...), rp.typeWhy)
		out.Reports = append(out.Reports, rec)
		if rp.then != 0 {
			next := rec
			next.Type, next.Timing = rp.then, "next"
			next.Reasons = []string{rp.thenWhy}
			out.Reports = append(out.Reports, next)
		}
	}
	if len(out.Reports) == 0 {
		return out, fmt.Errorf("scoping rules %s recommended no report: add a rule without conditions that recommends soc2", r.Version)
	}
	for _, step := range r.NextSteps {
		if step.Framework == "" || find(step.Framework) != nil {
			out.NextSteps = append(out.NextSteps, step.Text)
		}
	}
	return out, nil
}

func holds(when []string, facts map[string]bool) bool {
	for _, w := range when {
		if neg, ok := strings.CutPrefix(w, "not "); ok {
			if facts[neg] {
				return false
			}
		} else if !facts[w] {
			return false
		}
	}
	return true
}

func (r ScopingRules) fill(s string, a Answers) string {
	services := strings.TrimSpace(a.Services)
	if services == "" {
		services = "your service"
	}
	return strings.NewReplacer("{services}", services, "{report_needed_by}", a.ReportNeededBy,
		"{soon_days}", fmt.Sprint(r.SoonDays)).Replace(s)
}
