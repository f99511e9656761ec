package check

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"
)

// The CEL environment every test is compiled in (docs/tests.md):
//
//	resource                  the resource's attributes, plus id, type, name and integration
//	now                       the evaluation time (a timestamp)
//	days_since(t)             whole days from t to now; t is a timestamp, an RFC 3339 string or YYYY-MM-DD
//	hours_since(t)            whole hours from t to now
//	days_between(a, b)        whole days from a to b
//	date(s)                   a YYYY-MM-DD or RFC 3339 string as a timestamp
//	days(n)                   a duration of n days
//	lookup(type, field, value) the resources of a type whose field equals value (each shaped like resource)
//
// plus CEL's standard library (timestamp(), duration(), has(), all(),
// exists(), …) and the strings extension (lowerAscii(), split(), …).

// worldVar is the hidden variable lookup() reads; the lookup macro rewrites
// lookup(t, f, v) to worldVar.lookup(t, f, v), so the compiled program stays
// shared while each evaluation brings its own resources.
const worldVar = "assure_world"

var worldType = types.NewOpaqueType("assure.world")

// newEnv builds the environment. It is built once per engine.
func newEnv() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("resource", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("now", cel.TimestampType),
		cel.Variable(worldVar, worldType),
		ext.Strings(),
		cel.Macros(
			cel.GlobalMacro("days_since", 1, func(eh cel.MacroExprFactory, _ ast.Expr, args []ast.Expr) (ast.Expr, *cel.Error) {
				return eh.NewCall("days_between", args[0], eh.NewIdent("now")), nil
			}),
			cel.GlobalMacro("hours_since", 1, func(eh cel.MacroExprFactory, _ ast.Expr, args []ast.Expr) (ast.Expr, *cel.Error) {
				return eh.NewCall("hours_between", args[0], eh.NewIdent("now")), nil
			}),
			cel.GlobalMacro("lookup", 3, func(eh cel.MacroExprFactory, _ ast.Expr, args []ast.Expr) (ast.Expr, *cel.Error) {
				return eh.NewMemberCall("lookup", eh.NewIdent(worldVar), args...), nil
			}),
		),
		cel.Function("days_between",
			cel.Overload("days_between_dyn_dyn", []*cel.Type{cel.DynType, cel.DynType}, cel.IntType,
				cel.BinaryBinding(func(a, b ref.Val) ref.Val { return between(a, b, 24*time.Hour) }))),
		cel.Function("hours_between",
			cel.Overload("hours_between_dyn_dyn", []*cel.Type{cel.DynType, cel.DynType}, cel.IntType,
				cel.BinaryBinding(func(a, b ref.Val) ref.Val { return between(a, b, time.Hour) }))),
		cel.Function("date",
			cel.Overload("date_dyn", []*cel.Type{cel.DynType}, cel.TimestampType,
				cel.UnaryBinding(func(v ref.Val) ref.Val {
					t, err := asTime(v)
					if err != nil {
						return types.NewErr("%s", err)
					}
					return types.Timestamp{Time: t}
				}))),
		cel.Function("days",
			cel.Overload("days_int", []*cel.Type{cel.IntType}, cel.DurationType,
				cel.UnaryBinding(func(v ref.Val) ref.Val {
					return types.Duration{Duration: time.Duration(v.(types.Int)) * 24 * time.Hour}
				}))),
		cel.Function("lookup",
			cel.MemberOverload("world_lookup", []*cel.Type{worldType, cel.StringType, cel.StringType, cel.DynType},
				cel.ListType(cel.MapType(cel.StringType, cel.DynType)),
				cel.FunctionBinding(func(args ...ref.Val) ref.Val {
					w, ok := args[0].(*World)
					if !ok {
						return types.NewErr("lookup() is not available here")
					}
					return w.lookup(string(args[1].(types.String)), string(args[2].(types.String)), args[3])
				}))),
	)
}

// between is whole units from a to b (negative when b is before a).
func between(a, b ref.Val, unit time.Duration) ref.Val {
	ta, err := asTime(a)
	if err != nil {
		return types.NewErr("%s", err)
	}
	tb, err := asTime(b)
	if err != nil {
		return types.NewErr("%s", err)
	}
	return types.Int(int64(math.Floor(float64(tb.Sub(ta)) / float64(unit))))
}

// asTime reads a timestamp, an RFC 3339 string or a YYYY-MM-DD day. Null
// and empty strings are errors: an unknown time never passes a test.
func asTime(v ref.Val) (time.Time, error) {
	switch x := v.(type) {
	case types.Timestamp:
		return x.Time, nil
	case types.String:
		s := strings.TrimSpace(string(x))
		if s == "" {
			return time.Time{}, fmt.Errorf("an empty string is not a time")
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t, nil
		}
		if t, err := time.Parse("2006-01-02", s); err == nil {
			return t, nil
		}
		return time.Time{}, fmt.Errorf("%q is not a time (RFC 3339 or YYYY-MM-DD)", s)
	case types.Null:
		return time.Time{}, fmt.Errorf("the time is unknown (null)")
	}
	return time.Time{}, fmt.Errorf("%s is not a time", v.Type().TypeName())
}

// activation gives one evaluation its variables without a map per call.
type activation struct {
	resource ref.Val
	now      ref.Val
	world    *World
}

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "resource":
		return a.resource, true
	case "now":
		return a.now, true
	case worldVar:
		if a.world == nil {
			return nil, false
		}
		return a.world, true
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

// Resource is one resource as tests see it: decoded once, shared by every
// test that applies to its type.
type Resource struct {
	// ID is the store's id (0 in offline evaluation).
	ID            int64
	IntegrationID int64
	Integration   string
	Type          string
	ExternalID    string
	Name          string
	Scope         string
	// Attrs are the attributes with id, type, name and integration added
	// (an attribute of the same name wins).
	Attrs map[string]any
	val   ref.Val
	// nulls is 1 when some attribute (at any depth, outside lists) is null,
	// 2 when none is, 0 before it was looked at.
	nulls uint8
	// Hold, when set, is the status every test gives this resource without
	// evaluating it (its collection failed: error; its data is stale:
	// skipped), with HoldReason.
	Hold       string
	HoldReason string
}

// NewResource decodes a resource's JSON attributes once.
func NewResource(id int64, typ, externalID, name string, attrs []byte) (*Resource, error) {
	m, err := DecodeAttributes(attrs)
	if err != nil {
		return nil, err
	}
	return newResource(id, typ, externalID, name, m), nil
}

func newResource(id int64, typ, externalID, name string, m map[string]any) *Resource {
	if m == nil {
		m = map[string]any{}
	}
	r := &Resource{ID: id, Type: typ, ExternalID: externalID, Name: name, Attrs: m}
	for k, v := range map[string]string{"id": externalID, "type": typ, "name": name} {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
	return r
}

// SetIntegration names the integration the resource came from.
func (r *Resource) SetIntegration(name string) {
	r.Integration = name
	if _, ok := r.Attrs["integration"]; !ok {
		r.Attrs["integration"] = name
	}
}

// value is the resource as a CEL value, converted once: every test that
// reads it then finds ready values instead of wrapping Go values anew on
// each field access.
func (r *Resource) value() ref.Val {
	if r.val == nil {
		r.val = toVal(r.Attrs)
	}
	return r.val
}

// toVal converts decoded JSON into CEL values.
func toVal(v any) ref.Val {
	switch x := v.(type) {
	case nil:
		return types.NullValue
	case bool:
		return types.Bool(x)
	case string:
		return types.String(x)
	case int64:
		return types.Int(x)
	case float64:
		return types.Double(x)
	case map[string]any:
		m := make(map[ref.Val]ref.Val, len(x))
		for k, e := range x {
			m[types.String(k)] = toVal(e)
		}
		return types.NewRefValMap(types.DefaultTypeAdapter, m)
	case []any:
		l := make([]ref.Val, len(x))
		for i, e := range x {
			l[i] = toVal(e)
		}
		return types.NewRefValList(types.DefaultTypeAdapter, l)
	}
	return types.DefaultTypeAdapter.NativeToValue(v)
}

// hasNull reports whether some attribute is null (looked at once): only
// then can a test's paths be unknown.
func (r *Resource) hasNull() bool {
	if r.nulls == 0 {
		r.nulls = 2
		if anyNull(r.Attrs) {
			r.nulls = 1
		}
	}
	return r.nulls == 1
}

func anyNull(m map[string]any) bool {
	for k, v := range m {
		if k == "unknown" || k == "sources" {
			continue
		}
		switch x := v.(type) {
		case nil:
			return true
		case map[string]any:
			if anyNull(x) {
				return true
			}
		}
	}
	return false
}

// DecodeAttributes decodes stored JSON attributes for CEL: whole numbers as
// int64, others as float64, objects as map[string]any.
func DecodeAttributes(b []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("cannot decode attributes: %w", err)
	}
	fixNumbers(m)
	return m, nil
}

func fixNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = fixNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = fixNumbers(e)
		}
	}
	return v
}

// World is what lookup() searches: the resources of the types tests look
// up, indexed by field on first use. It is safe for concurrent use.
type World struct {
	byType map[string][]*Resource
	mu     sync.Mutex
	index  map[string]map[string][]ref.Val // "type\x00field" → value → resources
}

// NewWorld returns a world over resources.
func NewWorld(rs []*Resource) *World {
	w := &World{byType: map[string][]*Resource{}, index: map[string]map[string][]ref.Val{}}
	for _, r := range rs {
		w.byType[r.Type] = append(w.byType[r.Type], r)
	}
	return w
}

// Add puts more resources in the world (before evaluation starts).
func (w *World) Add(r *Resource) { w.byType[r.Type] = append(w.byType[r.Type], r) }

func (w *World) lookup(typ, field string, v ref.Val) ref.Val {
	key, ok := lookupKey(v.Value())
	if !ok {
		return types.NewErr("lookup(%q, %q, …): the value to match is %s, which cannot be matched", typ, field, describe(v.Value()))
	}
	w.mu.Lock()
	idx, built := w.index[typ+"\x00"+field]
	if !built {
		idx = map[string][]ref.Val{}
		for _, r := range w.byType[typ] {
			if k, ok := lookupKey(r.Attrs[field]); ok {
				idx[k] = append(idx[k], r.value())
			}
		}
		w.index[typ+"\x00"+field] = idx
	}
	w.mu.Unlock()
	return types.NewRefValList(types.DefaultTypeAdapter, idx[key])
}

// lookupKey is how values match in lookup(): strings as they are, numbers
// and booleans by their text. Null matches nothing.
func lookupKey(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return "s" + x, true
	case int64:
		return "n" + strconv.FormatInt(x, 10), true
	case float64:
		return "n" + strconv.FormatFloat(x, 'g', -1, 64), true
	case bool:
		return "b" + strconv.FormatBool(x), true
	case types.String:
		return "s" + string(x), true
	case types.Int:
		return "n" + strconv.FormatInt(int64(x), 10), true
	}
	return "", false
}

// The World is a CEL value of the opaque type assure.world.

// ConvertToNative implements ref.Val.
func (w *World) ConvertToNative(reflect.Type) (any, error) {
	return nil, fmt.Errorf("the resource world cannot be converted")
}

// ConvertToType implements ref.Val.
func (w *World) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return worldType
	}
	return types.NewErr("the resource world cannot be converted to %s", t.TypeName())
}

// Equal implements ref.Val.
func (w *World) Equal(o ref.Val) ref.Val { return types.Bool(o == ref.Val(w)) }

// Type implements ref.Val.
func (w *World) Type() ref.Type { return worldType }

// Value implements ref.Val.
func (w *World) Value() any { return w }

// describe shows a value briefly in a message.
func describe(v any) string {
	switch x := v.(type) {
	case nil, types.Null:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case string:
		return strconv.Quote(short(x, 60))
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+": "+describe(x[k]))
		}
		return "{" + short(strings.Join(parts, ", "), 100) + "}"
	case []any:
		parts := make([]string, 0, len(x))
		for i, e := range x {
			if i == 5 {
				parts = append(parts, fmt.Sprintf("… %d more", len(x)-5))
				break
			}
			parts = append(parts, describe(e))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return short(fmt.Sprint(v), 60)
}

func short(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
