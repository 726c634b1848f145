package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	yaml "go.yaml.in/yaml/v3"

	"github.com/vouchdev/vouch/checks"
	"github.com/vouchdev/vouch/scanners/wafscan"
)

// brokenDir holds one trust.yaml per broken control. Each starts with
// "# want: FIELD: MESSAGE" lines, one per error the loader must give, in
// order, at the lines marked "# <-"; "# schema: accepts" marks a file whose
// problem is beyond JSON Schema (a file that is not there).
const brokenDir = "../testdata/broken-controls"

// testRegistry is the registry the CLI passes: every check vouch has, and
// a nuclei control's template checked when trust.yaml loads.
var testRegistry = Registry{
	Rules:       checks.Rules(),
	Validate:    checks.ValidateValue,
	FileFormats: map[string]func([]byte) error{"nuclei-template": wafscan.ValidateTemplate},
}

type brokenControl struct {
	path          string
	data          []byte
	wants         []Error // File, Line, Field and a part of Msg
	schemaAccepts bool
}

func brokenControls(t *testing.T) []brokenControl {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(brokenDir, "[0-9]*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []brokenControl
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b := brokenControl{path: p, data: data}
		var marks []int
		for i, line := range strings.Split(string(data), "\n") {
			if want, ok := strings.CutPrefix(line, "# want: "); ok {
				field, msg, _ := strings.Cut(want, ": ")
				b.wants = append(b.wants, Error{File: p, Field: field, Msg: msg})
			}
			if strings.HasPrefix(line, "# schema: accepts") {
				b.schemaAccepts = true
			}
			if strings.HasSuffix(line, "# <-") {
				marks = append(marks, i+1)
			}
		}
		if len(b.wants) == 0 || len(marks) != len(b.wants) {
			t.Fatalf("%s: %d wants and %d # <- marks", p, len(b.wants), len(marks))
		}
		for i := range b.wants {
			b.wants[i].Line = marks[i]
		}
		out = append(out, b)
	}
	return out
}

// TestBrokenControls loads each broken control: every problem is reported,
// at once, naming the file, the line and the field.
func TestBrokenControls(t *testing.T) {
	cases := brokenControls(t)
	if len(cases) < 30 {
		t.Fatalf("%d broken controls in %s, want at least 30", len(cases), brokenDir)
	}
	for _, b := range cases {
		t.Run(filepath.Base(b.path), func(t *testing.T) {
			_, err := LoadDeclaration(New(), b.path, testRegistry)
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("got %v, want Errors", err)
			}
			if len(es) != len(b.wants) {
				t.Fatalf("got %d errors, want %d:\n%v", len(es), len(b.wants), err)
			}
			for i, w := range b.wants {
				g := es[i]
				if g.File != w.File || g.Line != w.Line || g.Field != w.Field || !strings.Contains(g.Msg, w.Msg) {
					t.Errorf("got  %s\nwant %s:%d: %s: ...%s...", g, w.File, w.Line, w.Field, w.Msg)
				}
			}
		})
	}
}

// trustSchema compiles the JSON Schema editors read, generated from the
// checks (a test in internal/derive keeps it current).
func trustSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile("../schema/trust.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("trust.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("trust.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// yamlInstance reads a YAML document as the JSON value an editor checks:
// the YAML 1.2 core schema, where an unquoted date stays text.
func yamlInstance(t *testing.T, data []byte) any {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(nodeJSON(root.Content[0]))
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func nodeJSON(n *yaml.Node) any {
	n = deref(n)
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[deref(n.Content[i]).Value] = nodeJSON(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			l = append(l, nodeJSON(c))
		}
		return l
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		return json.Number(n.Value)
	case "!!bool":
		return strings.EqualFold(n.Value, "true")
	case "!!null":
		return nil
	}
	return n.Value
}

// TestGeneratedSchemaRejectsBrokenControls runs the same files through the
// generated schema with a real validator, as an editor would: it must
// underline each one, except those whose problem is a missing file.
func TestGeneratedSchemaRejectsBrokenControls(t *testing.T) {
	s := trustSchema(t)
	rejected := 0
	for _, b := range brokenControls(t) {
		t.Run(filepath.Base(b.path), func(t *testing.T) {
			err := s.Validate(yamlInstance(t, b.data))
			switch {
			case b.schemaAccepts && err != nil:
				t.Errorf("marked schema: accepts, but the schema rejects it: %v", err)
			case !b.schemaAccepts && err == nil:
				t.Errorf("the generated schema accepts a control the loader refuses")
			case err != nil:
				rejected++
			}
		})
	}
	if rejected < 30 {
		t.Errorf("the schema rejects %d broken controls, want at least 30", rejected)
	}
}

// TestGeneratedSchemaAcceptsExamples: every trust.yaml in testdata/trust
// passes the generated schema and the loader.
func TestGeneratedSchemaAcceptsExamples(t *testing.T) {
	s := trustSchema(t)
	paths, _ := filepath.Glob(filepath.Join(examplesDir, "*.yaml"))
	if len(paths) < 5 {
		t.Fatalf("found %d examples", len(paths))
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(yamlInstance(t, data)); err != nil {
			t.Errorf("%s: the generated schema rejects it: %v", p, err)
		}
		if _, err := LoadDeclaration(New(), p, testRegistry); err != nil {
			t.Errorf("%s: the loader rejects it: %v", p, err)
		}
	}
}

// TestZeroRegistryRefuses: without the checks, no verify passes as valid.
func TestZeroRegistryRefuses(t *testing.T) {
	doc := "version: 1\norganization: {name: Acme}\ncontrols:\n  - {id: a, section: S, statement: T, verify: {kind: tls.min_version}}\n"
	_, err := ParseDeclaration(New(), "trust.yaml", []byte(doc), Registry{})
	if err == nil || !strings.Contains(err.Error(), `trust.yaml:4: controls[0].verify.kind: unknown check "tls.min_version"`) {
		t.Errorf("got %v, want the kind refused", err)
	}
	if _, err := ParseDeclaration(New(), "trust.yaml", []byte(doc), testRegistry); err != nil {
		t.Errorf("with the checks: %v", err)
	}
}
