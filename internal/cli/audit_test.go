package cli_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestAuditCommands(t *testing.T) {
	dir := t.TempDir()
	must := func(args ...string) result {
		t.Helper()
		r := run(t, append([]string{"--data", dir}, args...)...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
		}
		return r
	}
	must("controls", "adopt", "--all")

	// Wrong invocations and refused periods.
	if r := run(t, "--data", dir, "audit", "create", "--framework", "soc2", "--type", "2", "--from", "2026-06-30", "--to", "2026-01-01"); r.code != 1 ||
		!strings.Contains(r.stderr, "empty or inverted") {
		t.Fatalf("inverted period: %d %s", r.code, r.stderr)
	}
	if r := run(t, "--data", dir, "audit", "create", "--framework", "soc2", "--type", "3", "--as-of", "2026-06-30"); r.code != 2 {
		t.Fatalf("type 3: %d %s", r.code, r.stderr)
	}

	r := must("audit", "create", "--framework", "soc2", "--type", "2", "--from", "2026-01-01", "--to", "2026-02-15", "--json")
	if !strings.Contains(r.stderr, "warning: the period is shorter than 3 months") {
		t.Fatalf("no warning for a short period: %s", r.stderr)
	}
	var created struct {
		ID       int64  `json:"id"`
		Type     int    `json:"type"`
		Status   string `json:"status"`
		Controls []struct {
			Key string `json:"key"`
		} `json:"controls"`
		Warnings []string `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &created); err != nil || created.ID == 0 || created.Type != 2 || created.Status != "planning" ||
		len(created.Controls) < 50 || len(created.Warnings) != 1 {
		t.Fatalf("create JSON: %v %.300s", err, r.stdout)
	}
	id := strconv.FormatInt(created.ID, 10)
	t1 := must("audit", "create", "--type", "1", "--as-of", "2026-03-31", "--json")
	var list []struct {
		ID   int64 `json:"id"`
		Type int   `json:"type"`
	}
	if err := json.Unmarshal([]byte(must("audit", "list", "--json").stdout), &list); err != nil || len(list) != 2 || list[1].ID != created.ID {
		t.Fatalf("list: %v %+v", err, list)
	}
	if !strings.Contains(t1.stdout, `"as_of": "2026-03-31"`) {
		t.Fatalf("type 1: %s", t1.stdout)
	}
	var show struct {
		ID      int64 `json:"id"`
		Results []struct {
			Control struct {
				Key string `json:"key"`
			} `json:"control"`
			Operation *struct {
				Occurrences struct {
					Expected int `json:"expected"`
				} `json:"occurrences"`
			} `json:"operation"`
		} `json:"results"`
		Criteria []struct {
			ID string `json:"id"`
		} `json:"criteria"`
	}
	if err := json.Unmarshal([]byte(must("audit", "show", id, "--json").stdout), &show); err != nil || show.ID != created.ID || len(show.Results) != len(created.Controls) ||
		show.Results[0].Operation == nil || len(show.Criteria) != 33 {
		t.Fatalf("show: %v id %d, %d results, %d criteria", err, show.ID, len(show.Results), len(show.Criteria))
	}
	if h := must("audit", "show", id); !strings.Contains(h.stdout, "CONTROL") || !strings.Contains(h.stdout, "IAM-08") {
		t.Fatalf("show (human): %s", h.stdout)
	}

	// Sampling: same seed, same items; the table decides the size.
	sample := func(seed string) (size int, idx []int) {
		t.Helper()
		var sm struct {
			Size  int `json:"size"`
			Seed  int `json:"seed"`
			Items []struct {
				Index int `json:"population_index"`
			} `json:"items"`
		}
		r := must("audit", "sample", id, "--control", "IAM-09", "--seed", seed, "--json")
		if err := json.Unmarshal([]byte(r.stdout), &sm); err != nil {
			t.Fatal(err)
		}
		for _, it := range sm.Items {
			idx = append(idx, it.Index)
		}
		return sm.Size, idx
	}
	s1, i1 := sample("42")
	_, i2 := sample("42")
	if s1 != 2 || len(i1) != 2 || len(i2) != 2 || i1[0] != i2[0] || i1[1] != i2[1] {
		t.Fatalf("sample: size %d, %v vs %v", s1, i1, i2)
	}
	must("audit", "sampling", id, "--size", "monthly=3")
	if s3, _ := sample("42"); s3 != 2 {
		// A 6-week period holds only 2 monthly occurrences: the whole population.
		t.Fatalf("after the table changed: %d", s3)
	}
	if tab := must("audit", "sampling", id); !strings.Contains(tab.stdout, "monthly") || !strings.Contains(tab.stdout, "3") {
		t.Fatalf("sampling table: %s", tab.stdout)
	}

	// Results, requests, comments.
	var samples []struct {
		ID int64 `json:"id"`
	}
	json.Unmarshal([]byte(must("audit", "samples", id, "--json").stdout), &samples)
	sid := strconv.FormatInt(samples[0].ID, 10)
	if r := run(t, "--data", dir, "audit", "result", id, sid, "1", "--result", "exception"); r.code != 1 || !strings.Contains(r.stderr, "note") {
		t.Fatalf("exception without a note: %d %s", r.code, r.stderr)
	}
	if r := must("audit", "result", id, sid, "1", "--result", "exception", "--note", "review not signed"); !strings.Contains(r.stdout, "1 exception") {
		t.Fatalf("result: %s", r.stdout)
	}
	must("audit", "request", "add", id, "--title", "Privileged access review", "--control", "IAM-09", "--due", "2026-03-01")
	if r := must("audit", "request", "list", id); !strings.Contains(r.stdout, "Privileged access review") || !strings.Contains(r.stdout, "open") {
		t.Fatalf("requests: %s", r.stdout)
	}
	must("audit", "request", "update", id, "1", "--status", "accepted")
	must("audit", "comment", id, "Fieldwork starts Monday", "--subject", "control:IAM-09")
	must("audit", "update", id, "--status", "fieldwork")
	if r := must("audit", "control", id, "IAM-09"); !strings.Contains(r.stdout, "exceptions") || !strings.Contains(r.stdout, "Occurrences (monthly): 2 expected") {
		t.Fatalf("control: %s", r.stdout)
	}
	if r := must("audit", "control", id, "IAM-09", "--as-of", "2026-01-15", "--json"); !strings.Contains(r.stdout, `"state"`) {
		t.Fatalf("control as of: %s", r.stdout)
	}
	if r := must("audit", "as-of", "2026-01-15", "--control", "IAM-09", "--json"); !strings.Contains(r.stdout, `"controls"`) {
		t.Fatalf("as-of: %s", r.stdout)
	}

	// Invitations.
	inv := must("audit", "invite", id, "ann@firm.test", "--json")
	if !strings.Contains(inv.stdout, `"added_to_organization": true`) || !strings.Contains(inv.stdout, `"role": "auditor"`) {
		t.Fatalf("invite: %s", inv.stdout)
	}
	must("audit", "uninvite", id, "ann@firm.test")

	// A population needs an integration that collects its kind.
	if r := run(t, "--data", dir, "audit", "population", "pull", id, "--kind", "terminations"); r.code != 1 || !strings.Contains(r.stderr, "hr_csv") {
		t.Fatalf("population without a source: %d %s", r.code, r.stderr)
	}
	if r := run(t, "--data", dir, "audit", "show", "99"); r.code != 1 || !strings.Contains(r.stderr, "not found") {
		t.Fatalf("unknown audit: %d %s", r.code, r.stderr)
	}
}

// A population pulled from the CLI is written out exactly as hashed.
func TestAuditPopulationFromTheCLI(t *testing.T) {
	dir := t.TempDir()
	roster := filepath.Join(t.TempDir(), "roster.csv")
	if err := os.WriteFile(roster, []byte("employee_id,email,name,employment_status,start_date,termination_date,manager\n"+
		"E1,ann@example.com,Ann,active,2026-02-01,,boss@example.com\n"+
		"E2,bob@example.com,Bob,terminated,2020-01-01,2026-03-01,boss@example.com\n"+
		"E3,cid@example.com,Cid,active,2019-01-01,,boss@example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	must := func(args ...string) result {
		t.Helper()
		r := run(t, append([]string{"--data", dir}, args...)...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
		}
		return r
	}
	must("controls", "adopt", "--all")
	must("integrations", "add", "--connector", "hr_csv", "--name", "roster", "--config", "path="+roster)
	must("scan")
	r := must("audit", "create", "--type", "2", "--from", "2026-01-01", "--to", "2026-06-30", "--json")
	var a struct {
		ID int64 `json:"id"`
	}
	json.Unmarshal([]byte(r.stdout), &a)
	id := strconv.FormatInt(a.ID, 10)
	for _, kind := range []string{"new_hires", "terminations"} {
		var pop struct {
			ID     int64  `json:"id"`
			Count  int    `json:"count"`
			SHA256 string `json:"sha256"`
		}
		if err := json.Unmarshal([]byte(must("audit", "population", "pull", id, "--kind", kind, "--json").stdout), &pop); err != nil || pop.Count != 1 {
			t.Fatalf("%s: %v %+v", kind, err, pop)
		}
		out := filepath.Join(t.TempDir(), "pop.json")
		must("audit", "population", "file", id, strconv.FormatInt(pop.ID, 10), "-o", out)
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != pop.SHA256 {
			t.Fatalf("%s: the file's SHA-256 is not the recorded one", kind)
		}
	}
	if r := must("audit", "population", "list", id); !strings.Contains(r.stdout, "new_hires") || !strings.Contains(r.stdout, "terminations") {
		t.Fatalf("population list: %s", r.stdout)
	}
	// Terminations sample from their population (IAM-07 is event-driven).
	if r := must("audit", "sample", id, "--control", "IAM-07", "--seed", "1", "--json"); !strings.Contains(r.stdout, `"basis": "population"`) ||
		!strings.Contains(r.stdout, "hr.person:E2") {
		t.Fatalf("event-driven sample: %s", r.stdout)
	}
}
