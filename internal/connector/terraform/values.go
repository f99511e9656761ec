package terraform

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/assurehq/assure/internal/connector/awstypes"
)

// attrs builds a resource's attributes with the unknown/sources
// convention: a field the state cannot show is null and "unknown" says why;
// "sources" says where a field came from when not from the resource itself.
type attrs map[string]any

// unknown sets the field (a dotted path into an object) to null, giving
// the reason.
func (a attrs) unknown(path, reason string) {
	a.setPath(path, nil)
	u, _ := a[awstypes.Unknown].(map[string]any)
	if u == nil {
		u = map[string]any{}
		a[awstypes.Unknown] = u
	}
	u[path] = reason
}

// source records how a field was determined.
func (a attrs) source(path, how string) {
	s, _ := a[awstypes.Sources].(map[string]any)
	if s == nil {
		s = map[string]any{}
		a[awstypes.Sources] = s
	}
	s[path] = how
}

// set sets a top-level field to a determined value, dropping any reason
// an earlier guess left in "unknown".
func (a attrs) set(field string, v any) {
	a[field] = v
	if u, ok := a[awstypes.Unknown].(map[string]any); ok {
		delete(u, field)
		if len(u) == 0 {
			delete(a, awstypes.Unknown)
		}
	}
}

// orUnknown sets the field to v, or marks it unknown when v is nil.
func (a attrs) orUnknown(field string, v any, reason string) {
	if v == nil {
		a.unknown(field, reason)
		return
	}
	a.set(field, v)
}

func (a attrs) setPath(path string, v any) {
	parts := strings.Split(path, ".")
	m := map[string]any(a)
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			return
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

func (a attrs) done() map[string]any { return map[string]any(a) }

// notInState is the reason for a field whose attribute the state lacks.
func notInState(key string) string {
	return "the state has no " + key + " attribute for this resource (its resource type or provider version lacks it)"
}

// str sets field from a string attribute: "" when Terraform stored null
// or "" (not set), unknown when the attribute is not in the state at all.
func (a attrs) str(field string, m map[string]any, key string) {
	v, present := m[key]
	switch s, ok := v.(string); {
	case !present:
		a.unknown(field, notInState(key))
	case ok:
		a.set(field, s)
	default:
		a.set(field, "")
	}
}

// firstKey returns the first of keys present in m (an attribute renamed
// between provider versions), or the last.
func firstKey(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if v, ok := m[k]; ok && v != nil && v != "" {
			return k
		}
	}
	return keys[len(keys)-1]
}

// flag sets field from a bool attribute, unknown when absent or null.
func (a attrs) flag(field string, m map[string]any, key string) {
	a.orUnknown(field, boolean(m, key), notInState(key))
}

// num sets field from a whole-number attribute, unknown when absent or null.
func (a attrs) num(field string, m map[string]any, key string) {
	a.orUnknown(field, integer(m, key), notInState(key))
}

// list sets field from a list or set of strings: [] when null, unknown
// when the attribute is not in the state.
func (a attrs) list(field string, m map[string]any, key string) {
	if _, present := m[key]; !present {
		a.unknown(field, notInState(key))
		return
	}
	a.set(field, stringList(m, key))
}

// Accessors for instance attributes. Terraform writes an unset optional
// string as "" and an unset block as []; the accessors return nil for
// "not set" so that the emitted field is null.

// str returns a non-empty string attribute, or nil.
func str(m map[string]any, key string) any {
	if s, ok := m[key].(string); ok && s != "" {
		return s
	}
	return nil
}

// text returns a string attribute or "".
func text(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// boolean returns a bool attribute, or nil.
func boolean(m map[string]any, key string) any {
	switch v := m[key].(type) {
	case bool:
		return v
	case string: // flatmap states
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	}
	return nil
}

// integer returns a whole-number attribute as int64, or nil.
func integer(m map[string]any, key string) any {
	if n, ok := toInt(m[key]); ok {
		return n
	}
	return nil
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, true
		}
		if f, err := x.Float64(); err == nil && f == float64(int64(f)) {
			return int64(f), true
		}
	case float64:
		if x == float64(int64(x)) {
			return int64(x), true
		}
	case int64:
		return x, true
	case int:
		return int64(x), true
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			return n, true
		}
	}
	return 0, false
}

// strings returns a list of strings (a set or list attribute), sorted,
// never nil.
func stringList(m map[string]any, key string) []string {
	out := []string{}
	list, _ := m[key].([]any)
	for _, v := range list {
		if s, ok := v.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// block returns the first object of a nested block (blocks are lists in
// state), and whether the attribute is present at all: present with no
// object means the block is known to be absent.
func block(m map[string]any, key string) (map[string]any, bool) {
	v, present := m[key]
	if !present || v == nil {
		return nil, false
	}
	list, ok := v.([]any)
	if !ok {
		obj, ok := v.(map[string]any)
		return obj, ok
	}
	if len(list) == 0 {
		return nil, true
	}
	obj, _ := list[0].(map[string]any)
	return obj, true
}

// objects returns the objects of a nested block list or set.
func objects(m map[string]any, key string) []map[string]any {
	var out []map[string]any
	list, _ := m[key].([]any)
	for _, v := range list {
		if obj, ok := v.(map[string]any); ok {
			out = append(out, obj)
		}
	}
	return out
}

// tags returns the resource's tags including the provider's default tags
// (tags_all), which is what AWS holds; an empty map when there are none.
func tags(m map[string]any) map[string]any {
	out := map[string]any{}
	src, ok := m["tags_all"].(map[string]any)
	if !ok || len(src) == 0 {
		src, _ = m["tags"].(map[string]any)
	}
	for k, v := range src {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// arn is a parsed Amazon Resource Name.
type arn struct {
	partition, service, region, account, resource string
}

func parseARN(s string) (arn, bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return arn{}, false
	}
	return arn{parts[1], parts[2], parts[3], parts[4], parts[5]}, true
}

// Reasons shared by several types.
const (
	noRegion  = "the state does not record the Region: it comes from the provider configuration"
	noAccount = "the state does not record the account id for this resource"
)

// setRegionAccount fills region and account_id from the resource's own
// attributes where the state has them: the region attribute (AWS provider
// 6 and aws_s3_bucket), the ARN, or the availability zone.
func setRegionAccount(a attrs, m map[string]any, withRegion bool) {
	parsed, _ := parseARN(text(m, "arn"))
	if withRegion {
		region := str(m, "region")
		if region == nil && parsed.region != "" {
			region = parsed.region
		}
		if az := text(m, "availability_zone"); region == nil && len(az) > 1 {
			region = strings.TrimRight(az, "abcdefghijklmnopqrstuvwxyz")
		}
		a.orUnknown("region", region, noRegion)
	}
	var account any
	if parsed.account != "" {
		account = parsed.account
	} else if owner := str(m, "owner_id"); owner != nil {
		account = owner
	}
	a.orUnknown("account_id", account, noAccount)
}

// base starts the attributes of a typed resource: the Terraform address,
// tags and ARN.
func base(in *instance) attrs {
	a := attrs{"terraform_address": in.address, "tags": tags(in.attrs)}
	a.str("arn", in.attrs, "arn")
	return a
}

// externalID is the ARN when the state has one, else the type-qualified id.
func externalID(in *instance) string {
	if s := text(in.attrs, "arn"); s != "" {
		return s
	}
	return in.typ + ":" + text(in.attrs, "id")
}
