package catalog_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/catalog"
	"github.com/assurehq/assure/internal/model"
)

var today = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

type wantReport struct {
	framework  model.Framework
	typ        int
	timing     string
	categories []model.Category
	// reasons must mention each of these words (case-insensitive)
	mentions []string
}

// scopingCases are the documented cases of docs/scoping.md ("Worked
// examples"); the names are the headings there.
var scopingCases = []struct {
	name    string
	answers string
	want    []wantReport
}{
	{
		name: "Outsourced payroll provider",
		answers: `services: "payroll processing for mid-sized employers"
affects_customer_financial_reporting: true
previously_audited: true
controls_recently_changed: false
commitments: []`,
		want: []wantReport{{framework: model.SOC1, typ: 2, timing: "now", categories: []model.Category{}, mentions: []string{"financial statements", "payroll processing"}}},
	},
	{
		name: "Never-audited B2B SaaS that needs a report soon",
		answers: `services: "project management software for businesses"
affects_customer_financial_reporting: false
previously_audited: false
controls_recently_changed: false
report_needed_by: "2027-02-01"
commitments: [confidentiality]`,
		want: []wantReport{
			{framework: model.SOC2, typ: 1, timing: "now", categories: []model.Category{"security", "confidentiality"}, mentions: []string{"first audit", "2027-02-01"}},
			{framework: model.SOC2, typ: 2, timing: "next", categories: []model.Category{"security", "confidentiality"}, mentions: []string{"period"}},
		},
	},
	{
		name: "SaaS that promises uptime and keeps customer secrets",
		answers: `{"services": "hosted secrets manager", "affects_customer_financial_reporting": false,
 "previously_audited": true, "controls_recently_changed": false, "commitments": ["availability", "confidentiality"]}`,
		want: []wantReport{{framework: model.SOC2, typ: 2, timing: "now", categories: []model.Category{"security", "availability", "confidentiality"}, mentions: []string{"uptime", "confidential", "renew"}}},
	},
	{
		name: "Billing platform with recently changed controls",
		answers: `services: "invoicing and payment collection"
affects_customer_financial_reporting: true
previously_audited: true
controls_recently_changed: true
commitments: [processing_integrity]`,
		want: []wantReport{
			{framework: model.SOC1, typ: 1, timing: "now", categories: []model.Category{}, mentions: []string{"changed recently"}},
			{framework: model.SOC1, typ: 2, timing: "next"},
			{framework: model.SOC2, typ: 1, timing: "now", categories: []model.Category{"security", "processing_integrity"}, mentions: []string{"completely, accurately"}},
			{framework: model.SOC2, typ: 2, timing: "next"},
		},
	},
	{
		name: "First audit with time to prepare",
		answers: `services: "HR analytics"
affects_customer_financial_reporting: false
previously_audited: false
controls_recently_changed: false
report_needed_by: "2027-12-01"
commitments: [privacy]`,
		want: []wantReport{{framework: model.SOC2, typ: 2, timing: "now", categories: []model.Category{"security", "privacy"}, mentions: []string{"straight", "personal information"}}},
	},
}

func TestScopingAssistantTextbookCases(t *testing.T) {
	rules := fixture(t).Scoping
	doc, err := os.ReadFile("../../docs/scoping.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range scopingCases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(string(doc), "### "+tc.name) {
				t.Errorf("docs/scoping.md does not document this case")
			}
			a, err := catalog.ParseAnswers([]byte(tc.answers))
			if err != nil {
				t.Fatal(err)
			}
			rec, err := rules.Recommend(a, today)
			if err != nil {
				t.Fatal(err)
			}
			if len(rec.Reports) != len(tc.want) {
				b, _ := json.MarshalIndent(rec, "", " ")
				t.Fatalf("%d reports, want %d:\n%s", len(rec.Reports), len(tc.want), b)
			}
			for i, w := range tc.want {
				got := rec.Reports[i]
				if got.Framework != w.framework || got.Type != w.typ || got.Timing != w.timing {
					t.Errorf("report %d: %s type %d %s, want %s type %d %s", i, got.Framework, got.Type, got.Timing, w.framework, w.typ, w.timing)
				}
				if w.categories != nil && !slices.Equal(got.Categories, w.categories) {
					t.Errorf("report %d categories %v, want %v", i, got.Categories, w.categories)
				}
				if len(got.Reasons) == 0 {
					t.Errorf("report %d has no reasons", i)
				}
				all := strings.ToLower(strings.Join(got.Reasons, " "))
				for _, m := range w.mentions {
					if !strings.Contains(all, strings.ToLower(m)) {
						t.Errorf("report %d reasons do not mention %q: %s", i, m, all)
					}
				}
			}
			// The next steps follow the recommended frameworks only.
			steps := strings.Join(rec.NextSteps, " ")
			for _, fw := range []model.Framework{model.SOC1, model.SOC2} {
				recommended := slices.ContainsFunc(rec.Reports, func(r catalog.ReportRecommendation) bool { return r.Framework == fw })
				if mentions := strings.Contains(steps, "--framework "+string(fw)); mentions != recommended {
					t.Errorf("next steps mention %s: %v, but %s recommended: %v\n%s", fw, mentions, fw, recommended, steps)
				}
			}
		})
	}
}

// The output JSON has the documented shape.
func TestRecommendationJSONShape(t *testing.T) {
	a, _ := catalog.ParseAnswers([]byte("services: x\ncommitments: [availability]\n"))
	rec, err := fixture(t).Scoping.Recommend(a, today)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rec)
	var shape struct {
		Reports []struct {
			Framework  string   `json:"framework"`
			Type       int      `json:"type"`
			Categories []string `json:"categories"`
			Reasons    []string `json:"reasons"`
		} `json:"reports"`
	}
	if err := json.Unmarshal(b, &shape); err != nil || len(shape.Reports) == 0 || shape.Reports[0].Framework != "soc2" ||
		shape.Reports[0].Type != 2 || !slices.Equal(shape.Reports[0].Categories, []string{"security", "availability"}) {
		t.Fatalf("shape: %s", b)
	}
}

func TestAnswersAreValidated(t *testing.T) {
	for in, want := range map[string]string{
		"services: x\ncolour: blue\n":             "colour",
		"report_needed_by: next week\n":           "YYYY-MM-DD",
		"commitments: [uptime]\n":                 `unknown commitment "uptime"`,
		"previously_audited: maybe\n":             "answers",
		"affects_customer_financial_reporting: 3": "answers",
	} {
		if _, err := catalog.ParseAnswers([]byte(in)); err == nil || !model.IsValidation(err) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want a validation error with %q", in, err, want)
		}
	}
}
