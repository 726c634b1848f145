package report

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The official SARIF 2.1.0 JSON Schema (OASIS, as published by SchemaStore)
// is not copied into this repository: the test takes it from the npm
// package that ships it, pinned by version, through the npm registry.
const (
	sarifSchemaPackage = "@microsoft/jest-sarif@1.0.0-beta.0"
	sarifSchemaFile    = "package/lib/schemas/sarif-2.1.0-rtm.5.json"
)

func officialSARIFSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	npm, err := exec.LookPath("npm")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("report: npm is needed to fetch the SARIF schema: %v", err)
		}
		t.Skip("npm not installed; the SARIF schema comes from the npm registry")
	}
	dir := t.TempDir()
	cmd := exec.Command(npm, "pack", "--silent", sarifSchemaPackage)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("report: npm pack %s: %v\n%s", sarifSchemaPackage, err, out)
	}
	tgz := filepath.Join(dir, strings.TrimSpace(lastLine(string(out))))
	if err := exec.Command("tar", "-xzf", tgz, "-C", dir).Run(); err != nil {
		t.Fatalf("report: unpack %s: %v", tgz, err)
	}
	f, err := os.Open(filepath.Join(dir, sarifSchemaFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif-2.1.0.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("sarif-2.1.0.json")
	if err != nil {
		t.Fatalf("report: compile SARIF schema: %v", err)
	}
	return s
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TestSARIFSchema validates vouch's SARIF against the official SARIF 2.1.0
// schema: the golden fixture, and a report with no findings at all.
func TestSARIFSchema(t *testing.T) {
	schema := officialSARIFSchema(t)
	validate := func(name string, b []byte) error {
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return schema.Validate(v)
	}
	var buf bytes.Buffer
	if err := Write(&buf, fixture(), FormatSARIF, Options{Internal: true}); err != nil {
		t.Fatal(err)
	}
	if err := validate("fixture", buf.Bytes()); err != nil {
		t.Errorf("report: SARIF of the fixture does not validate:\n%v", err)
	}
	empty := fixture()
	empty.Controls = nil
	empty.Summarize()
	buf.Reset()
	if err := Write(&buf, empty, FormatSARIF, Options{Internal: true}); err != nil {
		t.Fatal(err)
	}
	if err := validate("empty", buf.Bytes()); err != nil {
		t.Errorf("report: SARIF of an empty report does not validate:\n%v", err)
	}

	// The validation can fail, deep inside a result too.
	buf.Reset()
	if err := Write(&buf, fixture(), FormatSARIF, Options{Internal: true}); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(doc map[string]any){
		"version 2.0.0": func(doc map[string]any) { doc["version"] = "2.0.0" },
		"level fatal": func(doc map[string]any) {
			run := doc["runs"].([]any)[0].(map[string]any)
			run["results"].([]any)[0].(map[string]any)["level"] = "fatal"
		},
	} {
		var doc map[string]any
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		mutate(doc)
		bad, _ := json.Marshal(doc)
		if err := validate(name, bad); err == nil {
			t.Errorf("report: a SARIF log with %s validated; the schema check cannot fail", name)
		}
	}
}
