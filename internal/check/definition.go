package check

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"go.yaml.in/yaml/v3"

	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/model"
)

// Where a test comes from.
const (
	OriginBuiltin   = "builtin"   // embedded in the binary (internal/check/builtin)
	OriginDirectory = "directory" // a file in the tests directory (--tests-dir)
	OriginCustom    = "custom"    // written through the API or the pages, stored per organization
)

// Test is a test definition: which resources it applies to and the CEL
// condition each must meet. Definitions are data (docs/tests.md).
type Test struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
	// ResourceTypes are the types the test applies to (YAML resource_type:
	// one name or a list).
	ResourceTypes []string `json:"resource_type"`
	// Where (optional) narrows the resources: only those for which it is
	// true are judged.
	Where string `json:"where,omitempty"`
	// Assert must be true for the resource to pass.
	Assert      string         `json:"assert"`
	Severity    model.Severity `json:"severity"`
	Controls    []string       `json:"controls"`
	Remediation string         `json:"remediation"`
	References  []string       `json:"references"`
	Origin      string         `json:"origin"`
	// File and Line say where the definition was read.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
}

// Problem is one thing wrong with a definition, where it is.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Message)
}

// DefinitionError lists every problem found in test definitions.
type DefinitionError struct{ Problems []Problem }

func (e *DefinitionError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "invalid test definition: " + strings.Join(parts, "; ")
}

// Checker knows what a definition may name: resource types (from the
// connector registry) and control keys (from the control library).
type Checker struct {
	Type    func(name string) (connector.TypeInfo, bool)
	Control func(key string) bool
}

var testIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$`)

// fileDoc is a definitions file: a list of tests under "tests".
type fileDoc struct {
	Tests []yaml.Node `yaml:"tests"`
}

// rawTest is one definition as written; resource_type is one name or a list.
type rawTest struct {
	ID           string    `yaml:"id"`
	Title        string    `yaml:"title"`
	Description  string    `yaml:"description"`
	ResourceType yaml.Node `yaml:"resource_type"`
	Where        string    `yaml:"where"`
	Assert       string    `yaml:"assert"`
	Severity     string    `yaml:"severity"`
	Controls     []string  `yaml:"controls"`
	Remediation  string    `yaml:"remediation"`
	References   []string  `yaml:"references"`
}

var knownKeys = []string{"id", "title", "description", "resource_type", "where", "assert", "severity", "controls", "remediation", "references"}

// parsed is a definition with where its parts were written, for messages.
type parsed struct {
	Test
	whereNode, assertNode *yaml.Node
	nodes                 map[string]*yaml.Node
}

// ParseFile reads a definitions file (YAML: a "tests" list). Problems of
// shape (YAML syntax, unknown keys, missing fields) are reported with their
// line; compiling and checking names comes after (Compile).
func ParseFile(file string, b []byte, origin string) ([]parsed, []Problem) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, []Problem{yamlProblem(file, err)}
	}
	if len(root.Content) == 0 {
		return nil, []Problem{{File: file, Line: 1, Message: "the file is empty: write a list of tests under \"tests:\""}}
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, []Problem{{File: file, Line: doc.Line, Message: "the file must be a mapping with a \"tests\" list"}}
	}
	var probs []Problem
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if k := doc.Content[i].Value; k != "tests" {
			probs = append(probs, Problem{File: file, Line: doc.Content[i].Line, Message: fmt.Sprintf("unknown key %q (the file holds only \"tests\")", k)})
		}
	}
	var fd fileDoc
	if err := doc.Decode(&fd); err != nil {
		return nil, append(probs, yamlProblem(file, err))
	}
	if len(fd.Tests) == 0 && len(probs) == 0 {
		probs = append(probs, Problem{File: file, Line: doc.Line, Message: "no tests: write them as a list under \"tests:\""})
	}
	var out []parsed
	for i := range fd.Tests {
		n := &fd.Tests[i]
		p, ps := parseTest(file, n, origin)
		probs = append(probs, ps...)
		if len(ps) == 0 {
			out = append(out, p)
		}
	}
	return out, probs
}

func yamlProblem(file string, err error) Problem {
	msg := err.Error()
	line := 0
	// yaml.v3 says "yaml: line N: …"
	if m := regexp.MustCompile(`line (\d+):\s*(.*)`).FindStringSubmatch(msg); m != nil {
		fmt.Sscan(m[1], &line)
		msg = m[2]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	return Problem{File: file, Line: line, Message: "YAML: " + msg}
}

func parseTest(file string, n *yaml.Node, origin string) (parsed, []Problem) {
	p := parsed{nodes: map[string]*yaml.Node{}}
	p.File, p.Line, p.Origin = file, n.Line, origin
	if n.Kind != yaml.MappingNode {
		return p, []Problem{{File: file, Line: n.Line, Message: "each test must be a mapping (id, title, resource_type, assert, …)"}}
	}
	var probs []Problem
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(knownKeys, k.Value) {
			probs = append(probs, Problem{File: file, Line: k.Line, Message: fmt.Sprintf("unknown key %q (known: %s)", k.Value, strings.Join(knownKeys, ", "))})
			continue
		}
		p.nodes[k.Value] = n.Content[i+1]
	}
	var rt rawTest
	if err := n.Decode(&rt); err != nil {
		return p, append(probs, yamlProblem(file, err))
	}
	line := func(key string) int {
		if v, ok := p.nodes[key]; ok {
			return v.Line
		}
		return n.Line
	}
	p.ID = strings.TrimSpace(rt.ID)
	p.Title, p.Description = strings.TrimSpace(rt.Title), strings.TrimSpace(rt.Description)
	p.Where, p.Assert = strings.TrimSpace(rt.Where), strings.TrimSpace(rt.Assert)
	p.Remediation = strings.TrimSpace(rt.Remediation)
	p.Controls, p.References = nonNil(rt.Controls), nonNil(rt.References)
	p.whereNode, p.assertNode = p.nodes["where"], p.nodes["assert"]
	switch rt.ResourceType.Kind {
	case yaml.ScalarNode:
		p.ResourceTypes = []string{strings.TrimSpace(rt.ResourceType.Value)}
	case yaml.SequenceNode:
		if err := rt.ResourceType.Decode(&p.ResourceTypes); err != nil {
			probs = append(probs, Problem{File: file, Line: line("resource_type"), Message: "resource_type must be a type name or a list of them"})
		}
	case 0:
	default:
		probs = append(probs, Problem{File: file, Line: line("resource_type"), Message: "resource_type must be a type name or a list of them"})
	}
	need := func(key, v, example string) {
		if v == "" {
			probs = append(probs, Problem{File: file, Line: line(key), Message: fmt.Sprintf("%s is required (%s)", key, example)})
		}
	}
	need("id", p.ID, "a dotted lower-case name such as acme.sshd.no_root_login")
	need("title", p.Title, "one line saying what should be true")
	need("assert", p.Assert, "a CEL expression that is true when the resource passes")
	if len(p.ResourceTypes) == 0 {
		probs = append(probs, Problem{File: file, Line: line("resource_type"), Message: "resource_type is required (e.g. host.sshd; see `assure connectors list`)"})
	}
	if p.ID != "" && !testIDPattern.MatchString(p.ID) {
		probs = append(probs, Problem{File: file, Line: line("id"), Message: fmt.Sprintf("id %q must be dotted lower-case words (letters, digits, _ and -), e.g. acme.sshd.no_root_login", p.ID)})
	}
	sev, err := model.ParseSeverity(rt.Severity)
	if err != nil {
		probs = append(probs, Problem{File: file, Line: line("severity"), Message: "severity must be low, medium, high or critical"})
	}
	p.Severity = sev
	if len(p.Controls) == 0 {
		probs = append(probs, Problem{File: file, Line: line("controls"), Message: "controls is required: the control keys the test supports (e.g. [IAM-04])"})
	}
	return p, probs
}

func nonNil(s []string) []string {
	out := []string{}
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// compiled is a test ready to run: programs compiled once and reused.
type compiled struct {
	*Test
	where, assert cel.Program
	// paths are the resource attributes the test reads (resource.a.b → [a b]);
	// a null on any of them makes the result error, never pass.
	wherePaths, assertPaths [][]string
	// lookupTypes are the types lookup() reads; lookupAny when one is not a
	// constant.
	lookupTypes []string
	lookupAny   bool
	// volatile is set when the result can change with nothing collected:
	// the test reads the clock (now, days_since, …) or looks resources up.
	// Incremental evaluation judges such tests on every resource in scope.
	volatile bool
}

// builtinFields are what every resource carries besides its attributes.
var builtinFields = []string{"id", "type", "name", "integration", connector.AttrUnknown, connector.AttrSources}

// compile checks names and compiles the CEL of one definition.
func compile(env *cel.Env, p parsed, chk Checker) (*compiled, []Problem) {
	t := p.Test
	c := &compiled{Test: &t}
	var probs []Problem
	at := func(key string) int {
		if v, ok := p.nodes[key]; ok {
			return v.Line
		}
		return p.Line
	}
	fields := map[string]bool{}
	for _, f := range builtinFields {
		fields[f] = true
	}
	for _, typ := range t.ResourceTypes {
		if chk.Type == nil {
			continue
		}
		ti, ok := chk.Type(typ)
		if !ok {
			probs = append(probs, Problem{File: p.File, Line: at("resource_type"), Message: fmt.Sprintf("unknown resource type %q (see `assure connectors list` for the types)", typ)})
			continue
		}
		for _, f := range ti.Fields {
			top, _, _ := strings.Cut(f.Name, ".")
			fields[top] = true
		}
	}
	for _, k := range t.Controls {
		if chk.Control != nil && !chk.Control(k) {
			probs = append(probs, Problem{File: p.File, Line: at("controls"), Message: fmt.Sprintf("unknown control %q (controls name library keys such as IAM-04; see `assure controls library`)", k)})
		}
	}
	build := func(key, src string, node *yaml.Node) (cel.Program, [][]string, bool) {
		a, iss := env.Compile(src)
		if iss != nil && iss.Err() != nil {
			for _, e := range iss.Errors() {
				probs = append(probs, Problem{File: p.File, Line: exprLine(node, e.Location.Line()), Message: fmt.Sprintf("%s: %s", key, e.Message)})
			}
			return nil, nil, false
		}
		if ot := a.OutputType(); !ot.IsExactType(types.BoolType) && !ot.IsExactType(types.DynType) {
			probs = append(probs, Problem{File: p.File, Line: exprLine(node, 1), Message: fmt.Sprintf("%s must be true or false, but it gives %s", key, ot)})
			return nil, nil, false
		}
		paths, lookups, any := inspect(a.NativeRep())
		c.lookupTypes = append(c.lookupTypes, lookups...)
		c.lookupAny = c.lookupAny || any
		c.volatile = c.volatile || any || len(lookups) > 0 || readsClock(a.NativeRep())
		if chk.Type != nil {
			reported := map[string]bool{}
			for _, path := range paths {
				if !fields[path[0]] && !reported[path[0]] {
					reported[path[0]] = true
					probs = append(probs, Problem{File: p.File, Line: exprLine(node, 1),
						Message: fmt.Sprintf("%s reads resource.%s, which %s does not have (fields: %s)", key, path[0], strings.Join(t.ResourceTypes, " or "), fieldList(fields))})
				}
			}
			for _, lt := range lookups {
				if _, ok := chk.Type(lt); !ok {
					probs = append(probs, Problem{File: p.File, Line: exprLine(node, 1), Message: fmt.Sprintf("%s looks up unknown resource type %q", key, lt)})
				}
			}
		}
		prg, err := env.Program(a, cel.EvalOptions(cel.OptOptimize))
		if err != nil {
			probs = append(probs, Problem{File: p.File, Line: exprLine(node, 1), Message: fmt.Sprintf("%s: %v", key, err)})
			return nil, nil, false
		}
		return prg, paths, true
	}
	if t.Where != "" {
		c.where, c.wherePaths, _ = build("where", t.Where, p.whereNode)
	}
	c.assert, c.assertPaths, _ = build("assert", t.Assert, p.assertNode)
	sort.Strings(c.lookupTypes)
	c.lookupTypes = slices.Compact(c.lookupTypes)
	return c, probs
}

func fieldList(fields map[string]bool) string {
	var out []string
	for f := range fields {
		if f != connector.AttrSources && f != connector.AttrUnknown {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return short(strings.Join(out, ", "), 300)
}

// exprLine maps a line of a CEL expression to a line of the file: a block
// scalar (| or >) starts on the line after its key, a plain or quoted one
// on the key's line.
func exprLine(node *yaml.Node, exprLine int) int {
	if node == nil {
		return 0
	}
	if exprLine < 1 {
		exprLine = 1
	}
	if node.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return node.Line + exprLine
	}
	return node.Line + exprLine - 1
}

// inspect finds the attribute paths an expression reads from resource
// (outside has()), and the types its lookup() calls name.
func inspect(a *ast.AST) (paths [][]string, lookups []string, lookupAny bool) {
	seen := map[string]bool{}
	// A path compared with null (resource.x == null, resource.x != null) is
	// handled by the test itself: it is not guarded.
	for _, e := range ast.MatchDescendants(ast.NavigateAST(a), ast.KindMatcher(ast.CallKind)) {
		call := e.AsCall()
		if (call.FunctionName() != "_==_" && call.FunctionName() != "_!=_") || len(call.Args()) != 2 {
			continue
		}
		for i, arg := range call.Args() {
			other := call.Args()[1-i]
			if other.Kind() == ast.LiteralKind && other.AsLiteral() == types.NullValue {
				if path, ok := resourcePath(arg); ok {
					seen[strings.Join(path, ".")] = true
				}
			}
		}
	}
	for _, e := range ast.MatchDescendants(ast.NavigateAST(a), ast.AllMatcher()) {
		switch e.Kind() {
		case ast.SelectKind:
			sel := e.AsSelect()
			if sel.IsTestOnly() {
				continue
			}
			if path, ok := resourcePath(e); ok && !seen[strings.Join(path, ".")] {
				seen[strings.Join(path, ".")] = true
				paths = append(paths, path)
			}
		case ast.CallKind:
			call := e.AsCall()
			switch {
			case call.FunctionName() == "_[_]":
				if path, ok := resourcePath(e); ok && !seen[strings.Join(path, ".")] {
					seen[strings.Join(path, ".")] = true
					paths = append(paths, path)
				}
			case call.FunctionName() == "lookup" && call.IsMemberFunction():
				if len(call.Args()) == 3 && call.Args()[0].Kind() == ast.LiteralKind {
					if s, ok := call.Args()[0].AsLiteral().Value().(string); ok {
						lookups = append(lookups, s)
						continue
					}
				}
				lookupAny = true
			}
		}
	}
	return paths, lookups, lookupAny
}

// readsClock reports whether an expression reads now (days_since and
// hours_since expand to days_between(…, now)); a comprehension variable
// named now counts too, which only errs on the safe side.
func readsClock(a *ast.AST) bool {
	for _, e := range ast.MatchDescendants(ast.NavigateAST(a), ast.KindMatcher(ast.IdentKind)) {
		if e.AsIdent() == "now" {
			return true
		}
	}
	return false
}

// resourcePath reads resource.a.b or resource["a"]["b"] into [a b].
func resourcePath(e ast.Expr) ([]string, bool) {
	var rev []string
	for {
		switch e.Kind() {
		case ast.SelectKind:
			rev = append(rev, e.AsSelect().FieldName())
			e = e.AsSelect().Operand()
		case ast.CallKind:
			call := e.AsCall()
			if call.FunctionName() != "_[_]" || len(call.Args()) != 2 || call.Args()[1].Kind() != ast.LiteralKind {
				return nil, false
			}
			s, ok := call.Args()[1].AsLiteral().Value().(string)
			if !ok {
				return nil, false
			}
			rev = append(rev, s)
			e = call.Args()[0]
		case ast.IdentKind:
			if e.AsIdent() != "resource" || len(rev) == 0 {
				return nil, false
			}
			slices.Reverse(rev)
			return rev, true
		default:
			return nil, false
		}
	}
}
