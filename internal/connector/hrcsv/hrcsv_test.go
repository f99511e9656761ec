package hrcsv

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/connectortest"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestRegistrationIsValid(t *testing.T) {
	if err := Registration().Validate(); err != nil {
		t.Fatal(err)
	}
}

func list(t *testing.T, cfg connector.Config, typ string) (*connectortest.Emitter, *connectortest.Runtime) {
	t.Helper()
	rt := connectortest.NewRuntime(now)
	em, err := connectortest.List(t, Registration(), cfg, rt, typ)
	if err != nil {
		t.Fatalf("list %s: %v", typ, err)
	}
	for _, r := range em.Resources {
		for _, rtype := range Registration().Resources {
			if rtype.Name == typ {
				if err := connector.CheckConvention(rtype, r.Attributes); err != nil {
					t.Errorf("%s: %v", r.ExternalID, err)
				}
			}
		}
	}
	return em, rt
}

func TestRosterPeople(t *testing.T) {
	em, rt := list(t, connector.Config{"path": "testdata/roster.csv"}, PersonType)
	type want struct {
		email, status, start, term string
		active, terminated         any // bool, or nil for unknown
	}
	cases := map[string]want{
		"E001": {"alice.example@example.com", "active", "2021-03-01", "", true, false},
		"E002": {"bob@example.com", "terminated", "2019-06-15", "2026-11-20", false, true},
		"E003": {"carol@example.com", "active", "2018-01-08", "", true, false},
		"E004": {"dave@example.com", "active", "2026-12-01", "", false, false},          // starts next week
		"E005": {"erin@example.com", "active", "2020-02-03", "2026-12-31", true, false}, // leaves at the end of the year
		"E007": {"frank@example.com", "active", "?", "", nil, false},                    // start date unreadable
		"E008": {"grace@example.com", "sabbatical-ish", "2017-05-05", "", nil, nil},     // unlisted status
		"E009": {"heidi@example.com", "terminated", "2015-05-05", "?", false, true},     // terminated, no date
		"E011": {"judy@example.com", "on leave", "2023-04-01", "", true, false},
	}
	if len(em.Resources) != len(cases) {
		var ids []string
		for _, r := range em.Resources {
			ids = append(ids, r.ExternalID)
		}
		t.Fatalf("emitted %d people (%v), want %d", len(em.Resources), ids, len(cases))
	}
	for id, w := range cases {
		r := em.ByID(t, id)
		a := r.Attributes
		if a["email"] != w.email || a["status"] != w.status || a["employee_id"] != id {
			t.Errorf("%s: email %v status %v id %v", id, a["email"], a["status"], a["employee_id"])
		}
		for field, v := range map[string]string{"start_date": w.start, "termination_date": w.term} {
			if v == "?" {
				if a[field] != nil || a["unknown"].(map[string]any)[field] == nil {
					t.Errorf("%s: %s = %v, want unknown with a reason", id, field, a[field])
				}
			} else if a[field] != v {
				t.Errorf("%s: %s = %v, want %q", id, field, a[field], v)
			}
		}
		if a["active"] != w.active || a["terminated"] != w.terminated {
			t.Errorf("%s: active %v terminated %v, want %v %v (unknown: %v)", id, a["active"], a["terminated"], w.active, w.terminated, a["unknown"])
		}
	}
	if r := em.ByID(t, "E002"); r.Attributes["manager"] != "Carol Boss" || r.Attributes["employment_type"] != "full-time" || r.Name != "Bob Leaver" {
		t.Errorf("E002: %v", r.Attributes)
	}
	if r := em.ByID(t, "E011"); r.Attributes["name"] != `Judy "JJ" Quote` {
		t.Errorf("quoted name: %v", r.Attributes["name"])
	}
	if why := em.ByID(t, "E007").Attributes["unknown"].(map[string]any)["start_date"]; !strings.Contains(why.(string), `line 9, column "start_date"`) {
		t.Errorf("the unreadable start date's reason does not name its line and column: %v", why)
	}
	if src := em.ByID(t, "E002").Attributes["sources"].(map[string]any)["terminated"]; src != "termination date 2026-11-20 has passed" {
		t.Errorf("terminated source: %v", src)
	}
	// The rows that could not be identified make the listing partial, each
	// named by line and column.
	fail := em.Failed[""]
	if fail == nil {
		t.Fatal("row problems were not reported")
	}
	for _, s := range []string{"3 row problem(s)", `line 8, column "email": no e-mail address`, `line 9, column "start_date": "31/02/2024" is not a date`, `line 12, column "email": "not-an-email" is not an e-mail address`} {
		if !strings.Contains(fail.Error(), s) {
			t.Errorf("problems %q do not contain %q", fail, s)
		}
	}
	// The file read is one observation, and every person stands on it.
	calls := rt.Calls()
	if len(calls) != 1 || calls[0].Observation.Method != "READ" || calls[0].Observation.Path != "testdata/roster.csv" {
		t.Fatalf("observations: %+v", calls)
	}
	raw, _ := os.ReadFile("testdata/roster.csv")
	if string(calls[0].Body) != string(raw) {
		t.Error("the recorded body is not the file")
	}
	if got := em.ByID(t, "E001").Calls; len(got) != 1 || got[0] != calls[0].Ref {
		t.Errorf("calls of a person: %v", got)
	}
}

func TestRosterResource(t *testing.T) {
	em, _ := list(t, connector.Config{"path": "testdata/roster.csv"}, "hr.roster")
	if len(em.Resources) != 1 {
		t.Fatalf("%d rosters", len(em.Resources))
	}
	a := em.Resources[0].Attributes
	if a["rows"] != 11 || a["people"] != 9 || a["active"] != 4 || a["terminated"] != 2 || len(a["problems"].([]any)) != 3 {
		t.Errorf("roster: %v", a)
	}
	if cols := a["columns"].([]any); len(cols) != 9 || cols[1] != "email" {
		t.Errorf("columns: %v", cols)
	}
	if a["modified_at"] == nil {
		t.Error("a local file's modification time is known")
	}
}

func TestCustomColumnsDelimiterAndDates(t *testing.T) {
	cfg := connector.Config{"path": "testdata/custom.csv", "delimiter": ";", "date_format": "DD.MM.YYYY",
		"column_email": "Work Email", "column_name": "full name", "column_status": "State", "column_start_date": "Hired",
		"column_termination_date": "Left", "column_manager": "Reports To", "column_department": "Team", "column_employment_type": "Kind",
		"active_statuses": "Employed", "terminated_statuses": "Former"}
	em, _ := list(t, cfg, PersonType)
	if len(em.Resources) != 3 {
		t.Fatalf("%d people", len(em.Resources))
	}
	m := em.ByID(t, "mallory@example.com").Attributes // no employee id column: the e-mail is the id
	if m["start_date"] != "2020-02-01" || m["active"] != true || m["department"] != "Ops" || m["employee_id"] != "" {
		t.Errorf("mallory: %v", m)
	}
	o := em.ByID(t, "oscar@example.com").Attributes
	if o["termination_date"] != "2026-06-30" || o["terminated"] != true || o["active"] != false {
		t.Errorf("oscar: %v", o)
	}
	if p := em.ByID(t, "peggy@example.com").Attributes; p["active"] != true || p["department"] != "" {
		t.Errorf("peggy (a short row): %v", p)
	}
	if f := em.Failed[""]; f == nil || !strings.Contains(f.Error(), "line 4: 4 fields where the header has 8") {
		t.Errorf("short row not reported: %v", f)
	}
}

func TestRosterOverHTTP(t *testing.T) {
	raw, _ := os.ReadFile("testdata/roster.csv")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "text/csv")
		w.Header().Set("Last-Modified", "Mon, 23 Nov 2026 08:00:00 GMT")
		w.Write(raw)
	}))
	defer srv.Close()
	em, rt := list(t, connector.Config{"url": srv.URL + "/export.csv?sig=abc", "token": "s3cret"}, "hr.roster")
	a := em.Resources[0].Attributes
	if a["modified_at"] != "2026-11-23T08:00:00Z" || a["source"] != srv.URL+"/export.csv" || a["people"] != 9 {
		t.Errorf("roster over HTTP: %v", a)
	}
	if calls := rt.Calls(); len(calls) != 1 || calls[0].Observation.Method != "GET" {
		t.Errorf("calls: %+v", calls)
	}
	// A wrong token fails the probe with what to check.
	conn, err := Registration().Open(context.Background(), connector.Config{"url": srv.URL, "token": "wrong"}, connectortest.NewRuntime(now))
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Probe(context.Background()); err == nil || !strings.Contains(err.Error(), "check the token") {
		t.Errorf("probe with a wrong token: %v", err)
	}
}

func TestUnreadableRosters(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name string
		cfg  connector.Config
		want string
	}{
		{"no email column", connector.Config{"path": write("a.csv", "mail,name\na@example.com,A\n")}, `no column "email" for the e-mail address (its columns: "mail", "name")`},
		{"empty", connector.Config{"path": write("b.csv", "")}, "the file is empty"},
		{"header only", connector.Config{"path": write("c.csv", "email,name\n")}, "no people"},
		{"nothing readable", connector.Config{"path": write("d.csv", "email,name\n,A\nnope,B\n")}, "none of its 2 rows could be read: line 2"},
		{"not UTF-8", connector.Config{"path": write("e.csv", "email\n\xff\xfe\n")}, "not UTF-8"},
		{"a directory", connector.Config{"path": dir}, "is a directory"},
		{"missing", connector.Config{"path": filepath.Join(dir, "nope.csv")}, "no such file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn, err := Registration().Open(context.Background(), c.cfg, connectortest.NewRuntime(now))
			if err != nil {
				t.Fatal(err)
			}
			err = conn.Probe(context.Background())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("probe: %v, want %q", err, c.want)
			}
			if err := Registration().Resources[0].List(context.Background(), conn, &connectortest.Emitter{}); err == nil {
				t.Error("the listing of an unreadable roster succeeded")
			}
		})
	}
}

func TestConfigurationRefused(t *testing.T) {
	cases := []struct {
		cfg  connector.Config
		want string
	}{
		{connector.Config{}, "give the roster's path or its URL"},
		{connector.Config{"path": "a.csv", "url": "https://h/x.csv"}, "not both"},
		{connector.Config{"path": "a.csv", "token": "t"}, "only sent to a URL"},
		{connector.Config{"url": "ftp://h/x.csv"}, "not an http:// or https:// URL"},
		{connector.Config{"url": "https://u:p@h/x.csv"}, "token field"},
		{connector.Config{"path": "a.csv", "delimiter": "#"}, "delimiter"},
		{connector.Config{"path": "a.csv", "date_format": "YY-M-D"}, "date_format"},
		{connector.Config{"path": "a.csv", "column_name": "Email"}, "give each field its own column"},
		{connector.Config{"path": "a.csv", "terminated_statuses": "Active"}, "also an active status"},
	}
	for _, c := range cases {
		_, err := Registration().Open(context.Background(), c.cfg, connectortest.NewRuntime(now))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.cfg, err, c.want)
		}
	}
}
