package store

import (
	"encoding/json"
	"fmt"
	"strings"
)

// JSON columns are TEXT on SQLite and JSONB on PostgreSQL. Writes pass the
// encoded text (pgx sends a string through as the JSON document); reads scan
// through jsonCol. Numbers inside untyped values decode as json.Number, so
// integers survive a round trip exactly.

// jsonText encodes v for a JSON column.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("cannot encode %T as JSON: %v", v, err)) // only our own plain types reach here
	}
	return string(b)
}

// jsonArg encodes a map for a JSON column; nil is the empty object.
func jsonArg(m map[string]any) string {
	if m == nil {
		return "{}"
	}
	return jsonText(m)
}

// jsonCol scans a JSON column from either engine into *V; NULL leaves it.
type jsonCol[V any] struct{ V *V }

func (c jsonCol[V]) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("cannot scan %T as JSON", src)
	}
	if len(b) == 0 {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(c.V); err != nil {
		return fmt.Errorf("cannot decode stored JSON: %w", err)
	}
	return nil
}

// nilIfEmpty turns an empty map into nil.
func nilIfEmpty(m map[string]any) map[string]any {
	if len(m) == 0 {
		return nil
	}
	return m
}
