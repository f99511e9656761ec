package internal_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/assurehq/assure/"

// layers gives every package its level. A package may import only packages
// of a strictly lower level: the dependency direction written in the
// README's architecture section. A new package must be added here; the test
// fails until it is, so the direction is decided, not drifted into.
var layers = map[string]int{
	// Plain values and settings: import nothing of ours.
	"internal/model":     0,
	"internal/buildinfo": 0,
	"internal/config":    0,

	// Storage.
	"internal/store":           10,
	"internal/blob":            10,
	"internal/store/storetest": 11, // test helper: only _test files may import it
	"internal/blob/blobtest":   11, // test helper: the blob suite on every backend

	// The ledger sits above storage and below every service, so each service
	// appends in the same transaction as its change.
	"internal/ledger": 15,
	"internal/secret": 12, // seals integration secrets (AES-256-GCM); used by collect and app

	// Domain services, in the order they may use each other (10–59).
	"internal/account": 20,
	"internal/catalog": 21,

	// Connectors: the contract (30), test helper (31), one package per
	// connector (32), the built-in list (33).
	"internal/connector":                 30,
	"internal/connector/connectortest":   31,
	"internal/connector/awstypes":        31, // AWS resource types shared by terraform and aws
	"internal/connector/terraform":       32,
	"internal/connector/postgres":        32,
	"internal/connector/host":            32,
	"internal/connector/googleworkspace": 32,
	"internal/connector/github":          32,
	"internal/connector/okta":            32,
	"internal/connector/aws":             32,
	"internal/connector/hrcsv":           32, // HR roster CSV → hr.person, hr.roster
	"internal/connector/builtin":         33,

	// Collection: runs connectors, stores resources and provenance.
	"internal/collect": 34,

	// Evidence uses the ledger and the blob store; it comes after the
	// connector contract so automated evidence can describe collection runs.
	"internal/evidence": 36,

	// Tests: definitions, CEL evaluation after each collection, status
	// intervals, exceptions, control status. Above evidence (freshness) and
	// collection (resources); the scheduler and notifications build on it.
	"internal/check": 38,

	// Continuous monitoring: the scheduler (collects each integration on its
	// interval, then evaluates the tests) and notifications of status
	// changes and expiring evidence; above collection, tests and evidence.
	"internal/monitor": 40,

	// Audits: Type 1 and Type 2 views built on test status intervals,
	// exceptions and evidence versions; populations from collected
	// resources, stored as evidence; samples; the auditor's workspace.
	"internal/audit": 45,

	// Exports: the control matrix, the report draft and the evidence
	// package with its offline verification; above the audit service.
	"internal/audit/export": 46,

	// HTTP.
	"internal/httpx":  60,
	"internal/web":    61,
	"internal/api":    61,
	"internal/server": 62,

	// Wiring and entry points.
	"internal/app": 70,
	"internal/cli": 80,
	"cmd/assure":   90,
}

// testOnly packages may be imported by _test.go files only.
var testOnly = map[string]bool{"internal/store/storetest": true, "internal/connector/connectortest": true, "internal/blob/blobtest": true}

func TestLayers(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	imports := map[string]map[string]bool{} // package → our packages it imports
	fset := token.NewFileSet()
	for _, top := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			rel, _ := filepath.Rel(root, filepath.Dir(path))
			pkg := filepath.ToSlash(rel)
			f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			if imports[pkg] == nil {
				imports[pkg] = map[string]bool{}
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if strings.HasPrefix(p, module) {
					imports[pkg][strings.TrimPrefix(p, module)] = true
				}
			}
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	if len(imports) < 10 {
		t.Fatalf("found only %d packages: the walk is broken", len(imports))
	}
	var pkgs []string
	for p := range imports {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, pkg := range pkgs {
		level, ok := layers[pkg]
		if !ok {
			t.Errorf("package %s has no layer: add it to the layers map in internal/layers_test.go and to the README's architecture section", pkg)
			continue
		}
		for dep := range imports[pkg] {
			if testOnly[dep] {
				t.Errorf("%s imports %s, which only tests may import", pkg, dep)
				continue
			}
			dl, ok := layers[dep]
			if !ok {
				continue // reported above as a package without a layer
			}
			if dl >= level {
				t.Errorf("%s (layer %d) imports %s (layer %d): a package may only import lower layers", pkg, level, dep, dl)
			}
		}
	}
}
