package site

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

func TestControlsSchema(t *testing.T) {
	const url = "https://raw.githubusercontent.com/vouchdev/vouch/main/site/controls.schema.json"
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(controlsSchemaJSON))
	if err != nil {
		t.Fatalf("site: schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatalf("site: compile schema: %v", err)
	}
	for _, dir := range []string{"golden", "golden-history"} {
		data, err := os.ReadFile(filepath.Join("testdata", dir, "controls.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name  string
			data  string
			valid bool
		}{
			{"as built", string(data), true},
			{"unknown status", strings.Replace(string(data), `"status": "verified"`, `"status": "secure"`, 1), false},
			{"unknown member", strings.Replace(string(data), `"scan_id":`, `"extra": 1, "scan_id":`, 1), false},
		} {
			v, err := jsonschema.UnmarshalJSON(strings.NewReader(tt.data))
			if err != nil {
				t.Fatalf("site: %s %s: %v", dir, tt.name, err)
			}
			err = sch.Validate(v)
			if (err == nil) != tt.valid {
				t.Errorf("site: %s %s: valid=%v, want %v (%v)", dir, tt.name, err == nil, tt.valid, err)
			}
		}
	}
}

func TestSchemaPublished(t *testing.T) {
	files, err := render(fixtureReport(), Options{Now: fixtureNow})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Path == "controls.schema.json" {
			if !bytes.Equal(f.Data, controlsSchemaJSON) {
				t.Error("site: published schema differs")
			}
			return
		}
	}
	t.Error("site: controls.schema.json not published")
}
