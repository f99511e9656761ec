package check

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// Evaluation throughput: the built-in tests over 1M synthetic resources
// (docs/performance.md). The resources are the testdata cases (a passing
// and a failing one for every built-in test, so every test applies to
// some), cycled with distinct ids.

// benchResources can be lowered with ASSURE_BENCH_RESOURCES for a quick look.
var benchResources = envInt("ASSURE_BENCH_RESOURCES", 1_000_000)

func envInt(name string, def int) int {
	var n int
	if _, err := fmt.Sscan(os.Getenv(name), &n); err == nil && n > 0 {
		return n
	}
	return def
}

var (
	benchOnce  sync.Once
	benchJSON  []benchItem
	benchCases []caseEntry
	// benchPool is how many distinct resources benchJSON cycles through.
	benchPool int
)

type benchItem struct {
	typ, id string
	attrs   []byte
}

func loadBench(b *testing.B) {
	benchOnce.Do(func() {
		files, _ := filepath.Glob("testdata/cases/*.yaml")
		eng := builtinEngine(b)
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			var cs []caseEntry
			if err := yaml.Unmarshal(data, &cs); err != nil {
				b.Fatal(err)
			}
			benchCases = append(benchCases, cs...)
		}
		// Each type's resources carry every field its tests read: the
		// passing attributes of all its cases merged, and variants that
		// fail one test each.
		base := map[string]map[string]any{}
		var order []string
		typeOf := func(c caseEntry) string {
			if c.Type != "" {
				return c.Type
			}
			def, _ := eng.Test(c.Test)
			return def.ResourceTypes[0]
		}
		for _, c := range benchCases {
			typ := typeOf(c)
			if base[typ] == nil {
				base[typ] = map[string]any{}
				order = append(order, typ)
			}
			for k, v := range c.Pass {
				base[typ][k] = v
			}
		}
		var pool []benchItem
		add := func(typ string, m map[string]any) {
			js, _ := json.Marshal(m)
			pool = append(pool, benchItem{typ: typ, attrs: js})
		}
		for _, typ := range order {
			add(typ, base[typ])
		}
		for _, c := range benchCases {
			typ := typeOf(c)
			m := map[string]any{}
			for k, v := range base[typ] {
				m[k] = v
			}
			for k, v := range c.Fail {
				m[k] = v
			}
			add(typ, m)
		}
		benchPool = len(pool)
		benchJSON = make([]benchItem, benchResources)
		for i := range benchJSON {
			it := pool[i%len(pool)]
			it.id = fmt.Sprintf("r%07d", i)
			benchJSON[i] = it
		}
	})
}

// BenchmarkEvaluate evaluates every applicable built-in test on 1M decoded
// resources per iteration (run with -benchtime=3x); evals/s counts test ×
// resource evaluations on one goroutine.
func BenchmarkEvaluate(b *testing.B) {
	loadBench(b)
	eng := builtinEngine(b)
	rs := make([]*Resource, len(benchJSON))
	for i, it := range benchJSON {
		r, err := NewResource(int64(i+1), it.typ, it.id, it.id, it.attrs)
		if err != nil {
			b.Fatal(err)
		}
		r.value() // converted to CEL values once, as an evaluation does before its tests
		r.hasNull()
		rs[i] = r
	}
	// lookup() searches one copy of each distinct resource: a million copies
	// of one HR record or one administrator would make every counting test
	// (at most N administrators) quadratic, which no organization is.
	w := NewWorld(rs[:min(benchPool, len(rs))])
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	b.ResetTimer()
	evals := 0
	for n := 0; n < b.N; n++ {
		for _, r := range rs {
			eng.Evaluate(r, w, now, nil, func(Outcome) { evals++ })
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(evals)/b.Elapsed().Seconds(), "evals/s")
	b.ReportMetric(float64(evals)/float64(b.N), "evals/op")
}

// BenchmarkDecodeAndEvaluate is the same work from stored JSON: each
// resource decoded once and shared by its tests, as after a collection.
func BenchmarkDecodeAndEvaluate(b *testing.B) {
	loadBench(b)
	eng := builtinEngine(b)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	b.ResetTimer()
	evals := 0
	for n := 0; n < b.N; n++ {
		for i, it := range benchJSON {
			r, err := NewResource(int64(i+1), it.typ, it.id, it.id, it.attrs)
			if err != nil {
				b.Fatal(err)
			}
			eng.Evaluate(r, nil, now, nil, func(Outcome) { evals++ })
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(evals)/b.Elapsed().Seconds(), "evals/s")
}

// BenchmarkOneEvaluation is a single compiled check on one resource.
func BenchmarkOneEvaluation(b *testing.B) {
	eng := builtinEngine(b)
	r := mustResource(b, "host.sshd", "sshd", map[string]any{"installed": true, "password_authentication": false})
	only := map[string]bool{"host.sshd.password_authentication_disabled": true}
	now := time.Now()
	b.ReportAllocs()
	for n := 0; n < b.N; n++ {
		eng.Evaluate(r, nil, now, only, func(Outcome) {})
	}
}
