package aws

import (
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/awstypes"
)

// attrs builds a resource's attributes under the attribute convention,
// including reasons for fields nested in objects and lists
// ("access_keys.last_used_at"), which connector.Facts does not cover.
type attrs struct {
	m       map[string]any
	unknown map[string]string
	sources map[string]string
}

func newAttrs(accountID string) *attrs {
	a := &attrs{m: map[string]any{}, unknown: map[string]string{}, sources: map[string]string{}}
	a.m["account_id"] = accountID
	a.m["terraform_address"] = ""
	return a
}

func (a *attrs) set(k string, v any) *attrs {
	a.m[k] = v
	delete(a.unknown, k)
	return a
}

// unknownf makes a top-level field null with the reason.
func (a *attrs) unknownf(k, why string) {
	a.m[k] = nil
	a.unknown[k] = why
	delete(a.sources, k)
}

// reason records why a nested field (a dotted path) is null where it is.
func (a *attrs) reason(path, why string) { a.unknown[path] = why }

func (a *attrs) source(k, how string) { a.sources[k] = how }

func (a *attrs) done() map[string]any {
	out := make(map[string]any, len(a.m)+2)
	for k, v := range a.m {
		out[k] = v
	}
	if len(a.unknown) > 0 {
		u := map[string]any{}
		for k, v := range a.unknown {
			u[k] = v
		}
		out[awstypes.Unknown] = u
	}
	if len(a.sources) > 0 {
		s := map[string]any{}
		for k, v := range a.sources {
			s[k] = v
		}
		out[awstypes.Sources] = s
	}
	return out
}

// Value helpers: AWS's optional values to attribute values.

func str(p *string) string { return aws.ToString(p) }

func boolOf(p *bool) bool { return aws.ToBool(p) }

func num(p *int32) int64 {
	if p == nil {
		return 0
	}
	return int64(*p)
}

// stamp is a time as RFC 3339 in UTC, or nil.
func stamp(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

// sorted returns a sorted copy that is never nil (an empty list is [], not
// null).
func sorted(list []string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s != "" {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// tagMap turns key/value pairs into an object.
func tagMap[T any](tags []T, kv func(T) (*string, *string)) map[string]any {
	out := map[string]any{}
	for _, t := range tags {
		k, v := kv(t)
		if k != nil {
			out[*k] = aws.ToString(v)
		}
	}
	return out
}

// emailTag returns the lower-case e-mail address of an email (Email, mail,
// e-mail) tag, or nil.
func emailTag(tags map[string]any) any {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch strings.ToLower(k) {
		case "email", "mail", "e-mail":
			if s, _ := tags[k].(string); strings.Contains(s, "@") {
				return strings.ToLower(strings.TrimSpace(s))
			}
		}
	}
	return nil
}

// joinRefs concatenates call references without duplicates.
func joinRefs(lists ...[]connector.CallRef) []connector.CallRef {
	seen := map[int64]bool{}
	var out []connector.CallRef
	for _, l := range lists {
		for _, r := range l {
			if !seen[r.ID] {
				seen[r.ID] = true
				out = append(out, r)
			}
		}
	}
	return out
}

// arnOf builds an ARN for resources whose API answer carries none.
func arnOf(partition, service, region, account, resource string) string {
	return "arn:" + partition + ":" + service + ":" + region + ":" + account + ":" + resource
}
