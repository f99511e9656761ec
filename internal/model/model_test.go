package model

import (
	"testing"
	"time"
)

func TestRolePermissions(t *testing.T) {
	want := map[Role][]Permission{
		RoleOwner:   {PermSelf, PermView, PermEdit, PermManage, PermOwn, PermAudit},
		RoleAdmin:   {PermSelf, PermView, PermEdit, PermManage, PermAudit},
		RoleEditor:  {PermSelf, PermView, PermEdit},
		RoleAuditor: {PermSelf, PermAudit},
		RoleViewer:  {PermSelf, PermView},
	}
	for _, r := range Roles() {
		for _, p := range AllPermissions() {
			expect := p == PermPublic
			for _, q := range want[r] {
				expect = expect || q == p
			}
			if r.Can(p) != expect {
				t.Errorf("%s.Can(%s) = %v, want %v", r, p, r.Can(p), expect)
			}
		}
	}
	if Role("root").Can(PermView) || Role("root").Valid() {
		t.Error("an unknown role has permissions")
	}
}

func TestNormalizeEmail(t *testing.T) {
	for in, want := range map[string]string{" Ann@Example.COM ": "ann@example.com", "a@b": "a@b"} {
		if got, err := NormalizeEmail(in); err != nil || got != want {
			t.Errorf("%q → %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "ann", "Ann <ann@example.com>", "a@b, c@d"} {
		if _, err := NormalizeEmail(bad); !IsValidation(err) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSlugAndTimeZone(t *testing.T) {
	if ValidateSlug("acme-2") != nil || ValidateSlug("Acme") == nil || ValidateSlug("-x") == nil || ValidateSlug("../x") == nil {
		t.Error("slug rules")
	}
	if ValidateTimeZone("Europe/Berlin") != nil || ValidateTimeZone("Mars/Base") == nil || ValidateTimeZone("") == nil {
		t.Error("time zone rules")
	}
}

func TestDurationHuman(t *testing.T) {
	for d, want := range map[time.Duration]string{
		40 * time.Second:                  "40 s",
		46*time.Minute + 29*time.Second:   "46 min",
		2*time.Hour + 5*time.Minute:       "2 h 5 min",
		72 * time.Hour:                    "3 d",
		3*24*time.Hour + 4*time.Hour + 59: "3 d 4 h",
	} {
		if got := Duration(d).Human(); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}
