package check

import (
	"testing"

	"github.com/assurehq/assure/internal/catalog"
	"github.com/assurehq/assure/internal/connector/builtin"
)

// builtinChecker checks names against the real connectors and library.
func builtinChecker(t testing.TB) Checker {
	t.Helper()
	reg, err := builtin.Registry()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	return LibraryChecker(reg, catalog.NewService(nil, cat, nil, nil))
}

func builtinEngine(t testing.TB) *Engine {
	t.Helper()
	srcs, err := BuiltinSources()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := Compile(srcs, builtinChecker(t))
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func TestBuiltinsCompile(t *testing.T) {
	eng := builtinEngine(t)
	if n := len(eng.Tests()); n == 0 {
		t.Fatal("no built-in tests")
	}
}
