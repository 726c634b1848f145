package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

func mustSchema(t *testing.T) *jsonSchema {
	t.Helper()
	s, err := loadSchema()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// validateFull checks a YAML document against every rule of the schema,
// as an editor would.
func validateFull(t *testing.T, name string, data []byte) Errors {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	s := mustSchema(t)
	v := &nodeValidator{root: s, file: name, full: true}
	doc := root.Content[0]
	v.validate(s, doc, "", doc.Line)
	return v.errs
}

func TestSchemaIsJSON(t *testing.T) {
	data := Schema()
	if !json.Valid(data) {
		t.Fatal("trust.schema.json is not valid JSON")
	}
	var top map[string]any
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatal(err)
	}
	if top["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v, want draft 2020-12", top["$schema"])
	}
	if top["additionalProperties"] != false {
		t.Errorf("the top level allows unknown keys")
	}
	if _, err := parseSchema(data); err != nil {
		t.Fatal(err)
	}
}

// TestSchemaSubset proves parseSchema refuses what the validator does not
// implement, so no rule in the schema is silently skipped.
func TestSchemaSubset(t *testing.T) {
	tests := []struct {
		schema string
		ok     bool
	}{
		{`{"type": "object", "properties": {"a": {"type": "string", "pattern": "^x"}}}`, true},
		{`{"type": "string", "maxLength": 3}`, false},
		{`{"anyOf": [{"type": "string"}]}`, false},
		{`{"$ref": "#/$defs/missing"}`, false},
		{`{"$defs": {"a": {"type": "string"}}, "properties": {"x": {"$ref": "#/$defs/a", "description": "d"}}}`, true},
		{`{"$defs": {"a": {"type": "string"}}, "properties": {"x": {"$ref": "#/$defs/a", "minLength": 1}}}`, false},
		{`{"type": "string", "pattern": "(?<=x)"}`, false},
		{`{"additionalProperties": {"type": "string", "format": "uri"}}`, false},
	}
	for _, tt := range tests {
		_, err := parseSchema([]byte(tt.schema))
		if (err == nil) != tt.ok {
			t.Errorf("parseSchema(%s): err = %v, want ok=%v", tt.schema, err, tt.ok)
		}
	}
}

// TestSchemaDescriptions checks that every key an author can write is
// described, for editors' hover text.
func TestSchemaDescriptions(t *testing.T) {
	s := mustSchema(t)
	v := &nodeValidator{root: s}
	var walk func(path string, x *jsonSchema)
	walk = func(path string, x *jsonSchema) {
		for _, name := range sortedKeys(x.Properties) {
			p := x.Properties[name]
			r := v.resolve(p)
			if p.Description == "" && r.Description == "" {
				t.Errorf("%s.%s has no description", path, name)
			}
			walk(path+"."+name, r)
		}
		if x.Items != nil {
			walk(path+"[]", v.resolve(x.Items))
		}
		for _, alt := range x.OneOf {
			walk(path, v.resolve(alt))
		}
	}
	walk("", s)
}

// TestExamplesSatisfySchema validates every example against every rule of
// the schema (required, enum, const, pattern, oneOf, ...), as an editor
// would.
func TestExamplesSatisfySchema(t *testing.T) {
	for _, ex := range examples {
		t.Run(ex.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(examplesDir, ex.file))
			if err != nil {
				t.Fatal(err)
			}
			if errs := validateFull(t, ex.file, data); len(errs) > 0 {
				t.Errorf("the schema rejects %s:\n%v", ex.file, errs)
			}
		})
	}
}

// TestSchemaAgreesWithLoader runs the broken files through the schema: it
// must reject those the brokenFiles table says it can, and accept the
// rest (problems across the file, such as a waiver naming no control, are
// beyond JSON Schema).
func TestSchemaAgreesWithLoader(t *testing.T) {
	for _, tt := range brokenFiles {
		t.Run(tt.name, func(t *testing.T) {
			errs := validateFull(t, "trust.yaml", []byte(tt.doc))
			if tt.schema && len(errs) == 0 {
				t.Errorf("the schema accepts a file the loader rejects (%s: %s)", tt.field, tt.msg)
			}
			if !tt.schema && len(errs) > 0 {
				t.Errorf("the schema rejects it (set schema: true?):\n%v", errs)
			}
		})
	}
}
