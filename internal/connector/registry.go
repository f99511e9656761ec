package connector

import (
	"errors"
	"fmt"
	"sort"
)

// Registry holds the connectors of one running Assure. It is built once at
// start from an explicit list (package connector/builtin), validated, and
// passed to whoever needs it: there is no package-level registry.
type Registry struct {
	regs  []Registration
	byID  map[string]int
	types map[string]*typeInfo
}

type typeInfo struct {
	fields     map[string]Field // union of every declaring connector's fields
	order      []string         // field names in first-declared order
	connectors []string
	desc       string
}

// NewRegistry validates every registration and the set as a whole. It
// refuses an invalid registration (Registration.Validate), two connectors
// with one id, and a resource type shared by several connectors whose field
// declarations disagree (one field name with two types). Sharing a type name
// is how two connectors say they describe the same thing (terraform and aws
// both emit aws.s3.bucket), so the shared fields must mean the same.
func NewRegistry(regs ...Registration) (*Registry, error) {
	r := &Registry{byID: map[string]int{}, types: map[string]*typeInfo{}}
	var errs []error
	for _, reg := range regs {
		if err := reg.Validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := r.byID[reg.ID]; dup {
			errs = append(errs, fmt.Errorf("connector id %q is registered twice", reg.ID))
			continue
		}
		for _, rt := range reg.Resources {
			ti := r.types[rt.Name]
			if ti == nil {
				ti = &typeInfo{fields: map[string]Field{}, desc: rt.Description}
				r.types[rt.Name] = ti
			}
			for _, f := range rt.Fields {
				if prev, ok := ti.fields[f.Name]; ok {
					if prev.Type != f.Type {
						errs = append(errs, fmt.Errorf("resource type %s: field %q is %s in connector %s but %s in connector %s; a shared resource type must declare its shared fields alike",
							rt.Name, f.Name, prev.Type, ti.connectors[0], f.Type, reg.ID))
					}
					continue
				}
				ti.fields[f.Name] = f
				ti.order = append(ti.order, f.Name)
			}
			ti.connectors = append(ti.connectors, reg.ID)
		}
		r.byID[reg.ID] = len(r.regs)
		r.regs = append(r.regs, reg)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("invalid connector registry: %w", err)
	}
	return r, nil
}

// Get returns the connector with an id.
func (r *Registry) Get(id string) (Registration, bool) {
	i, ok := r.byID[id]
	if !ok {
		return Registration{}, false
	}
	return r.regs[i], true
}

// All returns the registrations in the order they were given.
func (r *Registry) All() []Registration { return append([]Registration(nil), r.regs...) }

// TypeNames returns every resource type name, sorted.
func (r *Registry) TypeNames() []string {
	out := make([]string, 0, len(r.types))
	for n := range r.types {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// TypeInfo describes a resource type across the connectors that emit it.
type TypeInfo struct {
	Name        string
	Description string // from the first connector that declared it
	Fields      []Field
	Connectors  []string
}

// Type describes a resource type: the union of its fields over every
// connector that declares it, and which connectors those are.
func (r *Registry) Type(name string) (TypeInfo, bool) {
	ti, ok := r.types[name]
	if !ok {
		return TypeInfo{}, false
	}
	out := TypeInfo{Name: name, Description: ti.desc, Connectors: append([]string(nil), ti.connectors...)}
	for _, f := range ti.order {
		out.Fields = append(out.Fields, ti.fields[f])
	}
	return out, true
}
