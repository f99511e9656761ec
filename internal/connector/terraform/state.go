package terraform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// stateFile is Terraform's state format version 4, as
// internal/states/statefile/version4.go in Terraform writes it.
type stateFile struct {
	Version          int                    `json:"version"`
	TerraformVersion string                 `json:"terraform_version"`
	Serial           uint64                 `json:"serial"`
	Lineage          string                 `json:"lineage"`
	Outputs          map[string]outputState `json:"outputs"`
	Resources        []resourceState        `json:"resources"`
}

type outputState struct {
	Value     any             `json:"value"`
	Type      json.RawMessage `json:"type"`
	Sensitive bool            `json:"sensitive"`
}

type resourceState struct {
	Module    string          `json:"module"` // "" for the root module; module.a["k"].module.b
	Mode      string          `json:"mode"`   // managed or data
	Type      string          `json:"type"`
	Name      string          `json:"name"`
	Each      string          `json:"each"` // legacy: list or map
	Provider  string          `json:"provider"`
	Instances []instanceState `json:"instances"`
}

type instanceState struct {
	IndexKey            any               `json:"index_key"` // number (count) or string (for_each)
	Status              string            `json:"status"`    // "" or tainted
	Deposed             string            `json:"deposed"`
	SchemaVersion       uint64            `json:"schema_version"`
	Attributes          map[string]any    `json:"attributes"`
	AttributesFlat      map[string]string `json:"attributes_flat"` // states upgraded from 0.11, until the provider rewrites them
	SensitiveAttributes json.RawMessage   `json:"sensitive_attributes"`
	Dependencies        []string          `json:"dependencies"`
	CreateBeforeDestroy bool              `json:"create_before_destroy"`
}

// parseState decodes a version 4 state. Numbers stay json.Number so that
// large integers survive exactly.
func parseState(raw []byte) (*stateFile, error) {
	var probe struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if probe.Version == nil {
		return nil, errors.New("not a Terraform state file: no \"version\"")
	}
	if *probe.Version != 4 {
		return nil, fmt.Errorf("state format version %d is not supported: Assure reads version 4, which Terraform 0.12 "+
			"and later write (a plan or apply with a current Terraform upgrades the file)", *probe.Version)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var st stateFile
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("not a version 4 state: %w", err)
	}
	for _, r := range st.Resources {
		if r.Mode != "managed" && r.Mode != "data" {
			return nil, fmt.Errorf("resource %s.%s has unknown mode %q", r.Type, r.Name, r.Mode)
		}
	}
	return &st, nil
}

// instance is one current resource instance, its sensitive values removed.
type instance struct {
	src       *source
	address   string
	module    string
	mode      string
	typ       string
	name      string
	provider  string
	indexKey  any
	tainted   bool
	schema    uint64
	deps      []string
	attrs     map[string]any // sensitive values replaced by nil
	sensitive []string       // paths of the values removed
}

// index holds the managed instances of one state by resource type.
type index struct {
	all         []*instance
	byType      map[string][]*instance
	dataSources int // data source instances, not emitted
	deposed     int // deposed objects (create_before_destroy leftovers), not emitted
}

func newIndex(st *stateFile, src *source) *index {
	ix := &index{byType: map[string][]*instance{}}
	for _, r := range st.Resources {
		for _, is := range r.Instances {
			if r.Mode == "data" {
				ix.dataSources++
				continue
			}
			if is.Deposed != "" {
				ix.deposed++
				continue
			}
			attrs := is.Attributes
			if attrs == nil {
				attrs = unflatten(is.AttributesFlat)
			}
			clean, removed := redact(r.Type, attrs, sensitivePaths(is.SensitiveAttributes), nil)
			in := &instance{
				src: src, address: address(r.Module, r.Mode, r.Type, r.Name, is.IndexKey), module: r.Module, mode: r.Mode,
				typ: r.Type, name: r.Name, provider: r.Provider, indexKey: is.IndexKey, tainted: is.Status == "tainted",
				schema: is.SchemaVersion, deps: is.Dependencies, attrs: clean, sensitive: removed,
			}
			ix.all = append(ix.all, in)
			ix.byType[r.Type] = append(ix.byType[r.Type], in)
		}
	}
	return ix
}

// of returns the instances of the given resource types.
func (ix *index) of(types ...string) []*instance {
	var out []*instance
	for _, t := range types {
		out = append(out, ix.byType[t]...)
	}
	return out
}

// address is the instance's address as Terraform prints it:
// module.a["x"].aws_s3_bucket.b[0].
func address(module, mode, typ, name string, key any) string {
	var b strings.Builder
	if module != "" {
		b.WriteString(module)
		b.WriteByte('.')
	}
	if mode == "data" {
		b.WriteString("data.")
	}
	b.WriteString(typ)
	b.WriteByte('.')
	b.WriteString(name)
	switch k := key.(type) {
	case json.Number:
		b.WriteString("[" + k.String() + "]")
	case float64:
		b.WriteString("[" + strconv.FormatFloat(k, 'f', -1, 64) + "]")
	case string:
		b.WriteString("[" + strconv.Quote(k) + "]")
	}
	return b.String()
}

// unflatten turns the flatmap attributes of a state upgraded from
// Terraform 0.11 into top-level values: scalars as strings, nested
// structures left out (the provider rewrites them on its next refresh).
func unflatten(flat map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range flat {
		if !strings.ContainsAny(k, ".#%") {
			out[k] = v
		}
	}
	return out
}

// secretNames are attribute names whose values are secrets whether or not
// the state marks them: passwords, secret keys, private keys, tokens.
var secretNames = map[string]bool{
	"password": true, "master_password": true, "ses_smtp_password_v4": true, "encrypted_password": true,
	"secret": true, "encrypted_secret": true, "client_secret": true, "secret_string": true, "secret_binary": true,
	"private_key": true, "private_key_pem": true, "private_key_openssh": true, "private_key_pem_pkcs8": true,
	"token": true, "auth_token": true, "access_token": true, "api_key": true, "passphrase": true,
	"sensitive_content": true,
}

// typeSecrets are secret attributes of particular resource types whose
// names are too common to treat as secret everywhere.
var typeSecrets = map[string]map[string]bool{
	"random_password": {"result": true, "bcrypt_hash": true},
	"tls_private_key": {"private_key_pem": true},
}

func isSecret(typ, name string) bool { return secretNames[name] || typeSecrets[typ][name] }

// pathStep is one step of a sensitive attribute path in state.
type pathStep struct {
	Type  string          `json:"type"` // get_attr or index
	Value json.RawMessage `json:"value"`
}

// sensitivePaths decodes sensitive_attributes; an undecodable value yields
// no paths (name-based redaction still applies).
func sensitivePaths(raw json.RawMessage) [][]pathStep {
	if len(raw) == 0 {
		return nil
	}
	var paths [][]pathStep
	if err := json.Unmarshal(raw, &paths); err != nil {
		return nil
	}
	return paths
}

// redact returns a deep copy of attrs with every value at a sensitive path
// or under a secret name replaced by marker, and the paths it replaced.
func redact(typ string, attrs map[string]any, paths [][]pathStep, marker any) (map[string]any, []string) {
	out, _ := deepCopy(attrs).(map[string]any)
	if out == nil {
		out = map[string]any{}
	}
	removed := map[string]bool{}
	for _, p := range paths {
		if name, ok := replaceAt(out, p, marker); ok {
			removed[name] = true
		}
	}
	replaceNamed(typ, out, "", marker, removed)
	list := make([]string, 0, len(removed))
	for p := range removed {
		list = append(list, p)
	}
	sort.Strings(list)
	return out, list
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}

// replaceAt replaces the value at one path; it reports the path as text.
func replaceAt(root map[string]any, path []pathStep, marker any) (string, bool) {
	if len(path) == 0 {
		return "", false
	}
	var cur any = root
	var text strings.Builder
	for i, step := range path {
		last := i == len(path)-1
		switch step.Type {
		case "get_attr":
			var name string
			if json.Unmarshal(step.Value, &name) != nil {
				return "", false
			}
			m, ok := cur.(map[string]any)
			if !ok {
				return "", false
			}
			if text.Len() > 0 {
				text.WriteByte('.')
			}
			text.WriteString(name)
			if last {
				if _, ok := m[name]; !ok {
					return "", false
				}
				m[name] = marker
				return text.String(), true
			}
			cur = m[name]
		case "index":
			var key struct {
				Value any    `json:"value"`
				Type  string `json:"type"`
			}
			if json.Unmarshal(step.Value, &key) != nil {
				return "", false
			}
			switch c := cur.(type) {
			case []any:
				n, ok := key.Value.(float64)
				if !ok || n < 0 || int(n) >= len(c) {
					return "", false
				}
				fmt.Fprintf(&text, "[%d]", int(n))
				if last {
					c[int(n)] = marker
					return text.String(), true
				}
				cur = c[int(n)]
			case map[string]any:
				k, ok := key.Value.(string)
				if !ok {
					return "", false
				}
				text.WriteString("[" + strconv.Quote(k) + "]")
				if last {
					c[k] = marker
					return text.String(), true
				}
				cur = c[k]
			default:
				return "", false
			}
		default:
			return "", false
		}
	}
	return "", false
}

// replaceNamed replaces non-empty values under secret names at any depth.
func replaceNamed(typ string, v any, prefix string, marker any, removed map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			if isSecret(typ, k) && e != nil && e != "" && e != marker {
				x[k] = marker
				removed[p] = true
				continue
			}
			replaceNamed(typ, e, p, marker, removed)
		}
	case []any:
		for i, e := range x {
			replaceNamed(typ, e, fmt.Sprintf("%s[%d]", prefix, i), marker, removed)
		}
	}
}

// redactedMarker replaces sensitive values in the recorded copy of a state.
const redactedMarker = "(sensitive value removed by Assure)"

// RedactState returns what may be kept of a state: the state with every
// sensitive value (marked sensitive in the state, under a secret name, or a
// sensitive output) replaced, every other piece of information intact. A
// body that is not a version 4 state is replaced by a note, since its
// secrets could not be found. The collection runtime can apply it to state
// fetched over HTTP before the body is stored.
func RedactState(raw []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc map[string]any
	if _, err := parseState(raw); err != nil || dec.Decode(&doc) != nil {
		return []byte("(not kept: the file is not a version 4 state, so its secret values could not be removed)\n")
	}
	if outputs, ok := doc["outputs"].(map[string]any); ok {
		for _, o := range outputs {
			if m, ok := o.(map[string]any); ok && m["sensitive"] == true {
				m["value"] = redactedMarker
			}
		}
	}
	resources, _ := doc["resources"].([]any)
	for _, r := range resources {
		rm, _ := r.(map[string]any)
		typ, _ := rm["type"].(string)
		instances, _ := rm["instances"].([]any)
		for _, is := range instances {
			im, _ := is.(map[string]any)
			if im == nil {
				continue
			}
			if attrs, ok := im["attributes"].(map[string]any); ok {
				raw, _ := json.Marshal(im["sensitive_attributes"])
				im["attributes"], _ = redact(typ, attrs, sensitivePaths(raw), redactedMarker)
			}
			if flat, ok := im["attributes_flat"].(map[string]any); ok {
				for k := range flat {
					for _, part := range strings.Split(k, ".") {
						if isSecret(typ, part) {
							flat[k] = redactedMarker
						}
					}
				}
			}
		}
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return []byte("(not kept: the state could not be re-encoded)\n")
	}
	return append(out, '\n')
}
