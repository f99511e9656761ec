package host

import (
	"context"
	"strconv"

	"github.com/assurehq/assure/internal/connector"
)

func passwordPolicyType() connector.ResourceType {
	return connector.ResourceType{
		Name:        "host.password_policy",
		Description: "Password aging for new accounts (/etc/login.defs) and the minimum length pam_pwquality enforces.",
		Fields: []connector.Field{
			{Name: "pass_max_days", Type: "int", Description: "PASS_MAX_DAYS: days a password stays valid (99999: no maximum)."},
			{Name: "pass_min_days", Type: "int", Description: "PASS_MIN_DAYS: days before a password may be changed again."},
			{Name: "pass_warn_age", Type: "int", Description: "PASS_WARN_AGE: days of warning before a password expires."},
			{Name: "encrypt_method", Type: "string", Description: "ENCRYPT_METHOD: how new passwords are hashed (YESCRYPT, SHA512…)."},
			{Name: "min_length", Type: "int", Description: "minlen from /etc/security/pwquality.conf (pam_pwquality)."},
		},
		List: connector.As(listPasswordPolicy),
	}
}

// loginDefsDefaults are shadow-utils' values when login.defs does not set a key.
var loginDefsDefaults = []struct{ field, key, def string }{
	{"pass_max_days", "PASS_MAX_DAYS", "99999"},
	{"pass_min_days", "PASS_MIN_DAYS", "0"},
	{"pass_warn_age", "PASS_WARN_AGE", "7"},
	{"encrypt_method", "ENCRYPT_METHOD", "DES"},
}

func listPasswordPolicy(ctx context.Context, c *conn, out connector.Emitter) error {
	ctx, calls := connector.Track(ctx)
	f := connector.NewFacts()
	b, src, err := c.read(ctx, "/etc/login.defs")
	if err != nil {
		reason := c.explain(err, "/etc/login.defs")
		for _, d := range loginDefsDefaults {
			f.Unknown(d.field, reason)
		}
	} else {
		kv := parseKV(b, false)
		for _, d := range loginDefsDefaults {
			v, ok := kv[d.key]
			vsrc := src
			if !ok {
				v, vsrc = d.def, "default: the shadow tools' value ("+d.key+" is not set in /etc/login.defs)"
			}
			if d.field == "encrypt_method" {
				f.Set(d.field, v, vsrc)
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil {
				f.Unknown(d.field, d.key+" in /etc/login.defs is not a number: "+v)
				continue
			}
			f.Set(d.field, n, vsrc)
		}
	}
	const pwq = "/etc/security/pwquality.conf"
	switch b, src, err := c.read(ctx, pwq); {
	case err == nil:
		if v, ok := parseKV(b, false)["minlen"]; ok {
			if n, err := strconv.Atoi(v); err == nil {
				f.Set("min_length", n, src)
			} else {
				f.Unknown("min_length", "minlen in "+pwq+" is not a number: "+v)
			}
		} else {
			f.Set("min_length", 8, "default: pam_pwquality's minimum (minlen is not set in "+pwq+")")
		}
	default:
		f.Unknown("min_length", c.explain(err, pwq)+": pam_pwquality is not configured, so the minimum length depends on the PAM stack")
	}
	return out.Emit(ctx, c.single(f, calls))
}
