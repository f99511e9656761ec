package connector

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// The attribute convention every connector follows (docs/connectors.md):
//
//   - Every documented field is present in Attributes.
//   - A value that could not be determined is null, and "unknown" maps the
//     field to the reason ("sshd is not installed", "permission denied
//     reading /etc/shadow: run Assure as root"). Null never means "off",
//     "none" or "not configured": those are values (false, "", [], 0).
//   - "sources" maps a field to how it was determined, in the words of the
//     observation behind it ("command sshd -T", "file /etc/login.defs",
//     "GET api.github.com/orgs/{org}"), or to "default: <why>" when the value
//     is the system's documented default because nothing set it.
//
// Both maps are omitted when empty.
const (
	AttrUnknown = "unknown"
	AttrSources = "sources"
)

// Facts builds a resource's attributes under the convention.
type Facts struct {
	attrs   map[string]any
	unknown map[string]string
	sources map[string]string
}

// NewFacts starts an empty set of attributes.
func NewFacts() *Facts {
	return &Facts{attrs: map[string]any{}, unknown: map[string]string{}, sources: map[string]string{}}
}

// Set records a determined value and how it was determined ("" when the
// value needs no explanation, such as an identifier).
func (f *Facts) Set(field string, value any, source string) *Facts {
	f.attrs[field] = value
	delete(f.unknown, field)
	if source != "" {
		f.sources[field] = source
	}
	return f
}

// Unknown records that a field could not be determined, and why.
func (f *Facts) Unknown(field, reason string) *Facts {
	f.attrs[field] = nil
	delete(f.sources, field)
	f.unknown[field] = reason
	return f
}

// Has reports whether a field was set or declared unknown.
func (f *Facts) Has(field string) bool { _, ok := f.attrs[field]; return ok }

// Attributes returns the attribute map, with "unknown" and "sources" when
// they are not empty.
func (f *Facts) Attributes() map[string]any {
	out := make(map[string]any, len(f.attrs)+2)
	for k, v := range f.attrs {
		out[k] = v
	}
	if len(f.unknown) > 0 {
		u := make(map[string]any, len(f.unknown))
		for k, v := range f.unknown {
			u[k] = v
		}
		out[AttrUnknown] = u
	}
	if len(f.sources) > 0 {
		s := make(map[string]any, len(f.sources))
		for k, v := range f.sources {
			s[k] = v
		}
		out[AttrSources] = s
	}
	return out
}

// CheckConvention reports how a resource's attributes break the convention
// for its type: a documented top-level field missing, a null without a
// reason in "unknown", or a reason for a field that has a value. Connector
// tests call it on everything they emit.
func CheckConvention(rt ResourceType, attrs map[string]any) error {
	unknown, _ := attrs[AttrUnknown].(map[string]any)
	var errs []string
	seen := map[string]bool{}
	for _, f := range rt.Fields {
		top, _, _ := strings.Cut(f.Name, ".")
		if seen[top] || top == AttrUnknown || top == AttrSources {
			continue
		}
		seen[top] = true
		v, ok := attrs[top]
		switch {
		case !ok:
			errs = append(errs, fmt.Sprintf("documented field %q is missing", top))
		case v == nil:
			if r, _ := unknown[top].(string); strings.TrimSpace(r) == "" {
				errs = append(errs, fmt.Sprintf("field %q is null without a reason in %q", top, AttrUnknown))
			}
		case unknown[top] != nil:
			errs = append(errs, fmt.Sprintf("field %q has a value and also a reason in %q", top, AttrUnknown))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	sort.Strings(errs)
	return fmt.Errorf("%s: %w", rt.Name, errors.New(strings.Join(errs, "; ")))
}
