package api

import (
	"encoding/json"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/httpx"
	"github.com/assurehq/assure/internal/model"
)

// Operation describes one API route for the OpenAPI document. The server
// builds these from its route table, so the document cannot drift from the
// routes that exist.
type Operation struct {
	Method, Path, Summary string
	Permission            model.Permission
	// Body and Returns are zero values of the request and response types
	// (nil when there is none); their JSON shape becomes the schema.
	Body, Returns any
	// Status is the success status (200 when zero).
	Status int
	// Upload says the body may also be multipart/form-data (with a "file"
	// part); File says the success response is stored content (httpx.File),
	// not JSON.
	Upload, File bool
}

var pathParam = regexp.MustCompile(`\{([a-zA-Z_]+)\}`)

// OpenAPI renders an OpenAPI 3.1 document for ops.
func OpenAPI(version string, ops []Operation) ([]byte, error) {
	g := &schemaGen{components: map[string]any{}}
	paths := map[string]map[string]any{}
	for _, op := range ops {
		item := paths[op.Path]
		if item == nil {
			item = map[string]any{}
			paths[op.Path] = item
		}
		status := op.Status
		if status == 0 {
			status = 200
		}
		responses := map[string]any{
			"401": map[string]any{"$ref": "#/components/responses/Error"},
			"403": map[string]any{"$ref": "#/components/responses/Error"},
		}
		if op.File {
			responses[itoa(status)] = map[string]any{
				"description": "the content as stored; its SHA-256 is in the Repr-Digest header and the ETag",
				"content":     map[string]any{"*/*": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}},
			}
		} else if status == 204 || op.Returns == nil {
			responses[itoa(status)] = map[string]any{"description": "done"}
		} else {
			responses[itoa(status)] = map[string]any{
				"description": "success",
				"content":     map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(op.Returns))}},
			}
		}
		o := map[string]any{
			"summary":     op.Summary,
			"operationId": operationID(op),
			"description": "Requires the `" + string(op.Permission) + "` permission.",
			"responses":   responses,
		}
		if op.Body != nil {
			content := map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(op.Body))}}
			if op.Upload {
				content["multipart/form-data"] = map[string]any{"schema": map[string]any{"allOf": []any{
					g.schema(reflect.TypeOf(op.Body)),
					map[string]any{"type": "object", "properties": map[string]any{
						"file":    map[string]any{"type": "string", "format": "binary", "description": "the file (size-limited; type checked by content)"},
						"control": map[string]any{"type": "string", "description": "a control key; repeat the field for several"},
					}},
				}}}
			}
			o["requestBody"] = map[string]any{"required": true, "content": content}
			responses["400"] = map[string]any{"$ref": "#/components/responses/Error"}
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(op.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			o["parameters"] = params
			responses["404"] = map[string]any{"$ref": "#/components/responses/Error"}
		}
		item[strings.ToLower(op.Method)] = o
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "Assure API",
			"version":     version,
			"description": "Continuous compliance for SOC 1 and SOC 2. Authenticate with `Authorization: Bearer <token>` (create a token under Settings → API tokens or with `assure token create`).",
		},
		"servers":  []any{map[string]any{"url": "/api/v1"}},
		"security": []any{map[string]any{"bearer": []any{}}},
		"paths":    trimPrefix(paths),
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
			"schemas":         g.components,
			"responses": map[string]any{
				"Error": map[string]any{
					"description": "the request failed; the message says what to fix",
					"content":     map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(httpx.ErrorBody{}))}},
				},
			},
		},
	}
	return json.MarshalIndent(doc, "", "  ")
}

func trimPrefix(paths map[string]map[string]any) map[string]any {
	out := map[string]any{}
	for p, v := range paths {
		out[strings.TrimPrefix(p, "/api/v1")] = v
	}
	return out
}

func operationID(op Operation) string {
	parts := []string{strings.ToLower(op.Method)}
	for _, seg := range strings.Split(strings.TrimPrefix(op.Path, "/api/v1/"), "/") {
		seg = strings.Trim(seg, "{}")
		seg = strings.ReplaceAll(seg, ".", "_")
		if seg != "" {
			parts = append(parts, seg)
		}
	}
	return strings.Join(parts, "_")
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// schemaGen derives JSON Schemas from Go types through their json tags.
type schemaGen struct {
	components map[string]any
}

var timeType = reflect.TypeOf(time.Time{})

// Schemaer lets a type whose JSON form differs from its Go kind give its
// own schema (model.Duration is an int64 written as "1h0m0s").
type Schemaer interface{ JSONSchema() map[string]any }

// Enum lets a string type list its allowed values in the schema.
type Enum interface{ EnumValues() []string }

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	if t == nil {
		return map[string]any{}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	if t.Implements(reflect.TypeOf((*Schemaer)(nil)).Elem()) {
		return reflect.Zero(t).Interface().(Schemaer).JSONSchema()
	}
	if t.Implements(reflect.TypeOf((*Enum)(nil)).Elem()) {
		vals := reflect.Zero(t).Interface().(Enum).EnumValues()
		return map[string]any{"type": "string", "enum": vals}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "contentEncoding": "base64"}
		}
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := t.Name()
		if name == "" {
			return g.object(t)
		}
		if _, ok := g.components[name]; !ok {
			g.components[name] = map[string]any{} // placeholder stops recursion
			g.components[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	g.fields(t, props, &required)
	sort.Strings(required)
	out := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				g.fields(ft, props, required)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.schema(f.Type)
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") && f.Type.Kind() != reflect.Pointer {
			*required = append(*required, name)
		}
	}
}
