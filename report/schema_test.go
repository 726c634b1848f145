package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/reflectfill"
	"github.com/vouchdev/vouch/posture"
)

// validator checks a JSON value against the subset of JSON Schema 2020-12
// that report.schema.json uses: $ref (local), type, const, enum,
// properties, required, additionalProperties, propertyNames, items,
// minimum. Any other keyword in the schema is an error, so the schema
// cannot quietly use something this check ignores.
type validator struct {
	defs map[string]any
}

var knownKeywords = map[string]bool{
	"$schema": true, "$id": true, "$defs": true, "$ref": true, "title": true, "description": true,
	"type": true, "const": true, "enum": true, "properties": true, "required": true,
	"additionalProperties": true, "propertyNames": true, "items": true, "minimum": true, "format": true,
}

func loadSchema(t *testing.T) (map[string]any, *validator) {
	t.Helper()
	b, err := os.ReadFile("report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("report.schema.json: %v", err)
	}
	if s["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Fatalf("report.schema.json: $schema is %v, want draft 2020-12", s["$schema"])
	}
	defs, _ := s["$defs"].(map[string]any)
	return s, &validator{defs: defs}
}

func (v *validator) validate(schema any, x any, at string) []string {
	s, ok := schema.(map[string]any)
	if !ok {
		return []string{at + ": schema is not an object"}
	}
	var errs []string
	for k := range s {
		if !knownKeywords[k] {
			errs = append(errs, fmt.Sprintf("%s: schema keyword %q not understood by this test", at, k))
		}
	}
	if ref, ok := s["$ref"].(string); ok {
		name, found := strings.CutPrefix(ref, "#/$defs/")
		def, ok := v.defs[name]
		if !found || !ok {
			return append(errs, at+": unresolvable $ref "+ref)
		}
		errs = append(errs, v.validate(def, x, at)...)
	}
	if typ, ok := s["type"]; ok && !typeMatches(typ, x) {
		return append(errs, fmt.Sprintf("%s: %s is not of type %v", at, jsonType(x), typ))
	}
	if c, ok := s["const"]; ok && !reflect.DeepEqual(c, x) {
		errs = append(errs, fmt.Sprintf("%s: %v is not %v", at, x, c))
	}
	if e, ok := s["enum"].([]any); ok && !slices.ContainsFunc(e, func(y any) bool { return reflect.DeepEqual(x, y) }) {
		errs = append(errs, fmt.Sprintf("%s: %v is not one of %v", at, x, e))
	}
	if m, ok := s["minimum"].(float64); ok {
		if n, ok := x.(float64); ok && n < m {
			errs = append(errs, fmt.Sprintf("%s: %v < minimum %v", at, n, m))
		}
	}
	if obj, ok := x.(map[string]any); ok {
		props, _ := s["properties"].(map[string]any)
		required, _ := s["required"].([]any)
		for _, r := range required {
			if _, ok := obj[r.(string)]; !ok {
				errs = append(errs, fmt.Sprintf("%s: required %q missing", at, r))
			}
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if pn, ok := s["propertyNames"]; ok {
				errs = append(errs, v.validate(pn, k, at+"{"+k+"}")...)
			}
			if ps, ok := props[k]; ok {
				errs = append(errs, v.validate(ps, obj[k], at+"."+k)...)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					errs = append(errs, fmt.Sprintf("%s: property %q not allowed", at, k))
				}
			case map[string]any:
				errs = append(errs, v.validate(ap, obj[k], at+"."+k)...)
			}
		}
	}
	if arr, ok := x.([]any); ok {
		if items, ok := s["items"]; ok {
			for i, e := range arr {
				errs = append(errs, v.validate(items, e, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	}
	return errs
}

func jsonType(x any) string {
	switch n := x.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if n == float64(int64(n)) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", x)
}

func typeMatches(typ any, x any) bool {
	var types []any
	switch t := typ.(type) {
	case string:
		types = []any{t}
	case []any:
		types = t
	}
	got := jsonType(x)
	for _, t := range types {
		if t == got || t == "number" && got == "integer" {
			return true
		}
	}
	return false
}

func decodeAny(t *testing.T, b []byte) any {
	t.Helper()
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		t.Fatal(err)
	}
	return x
}

// TestJSONConformsToSchema: the json format of the fixture, and of a report
// with every field set, validate against report.schema.json; documents
// with a wrong verdict, severity or an unknown key do not.
func TestJSONConformsToSchema(t *testing.T) {
	schema, v := loadSchema(t)

	var b bytes.Buffer
	if err := Write(&b, fixture(), FormatJSON, Options{Internal: true}); err != nil {
		t.Fatal(err)
	}
	doc := decodeAny(t, b.Bytes())
	if errs := v.validate(schema, doc, "$"); len(errs) > 0 {
		t.Errorf("fixture report does not conform:\n%s", strings.Join(errs, "\n"))
	}

	// Every field posture.Report has must be described by the schema: a
	// field added to posture without a schema update fails here.
	var full posture.Report
	fillValue(reflect.ValueOf(&full).Elem())
	full.SchemaVersion = posture.SchemaVersion
	fb, err := json.Marshal(&full)
	if err != nil {
		t.Fatal(err)
	}
	if errs := v.validate(schema, decodeAny(t, fb), "$"); len(errs) > 0 {
		t.Errorf("report with every field set does not conform:\n%s", strings.Join(errs, "\n"))
	}

	bad := []struct {
		name   string
		mutate func(m map[string]any)
		want   string
	}{
		{"unknown top-level key", func(m map[string]any) { m["verdicts"] = 1 }, `property "verdicts" not allowed`},
		{"missing scan_id", func(m map[string]any) { delete(m, "scan_id") }, `required "scan_id" missing`},
		{"control verdict", func(m map[string]any) {
			m["controls"].([]any)[0].(map[string]any)["verdict"] = "passed"
		}, "passed is not one of"},
		{"finding verdict", func(m map[string]any) {
			c := m["controls"].([]any)[0].(map[string]any)
			c["findings"].([]any)[0].(map[string]any)["verdict"] = "ok"
		}, "ok is not one of"},
		{"summary key", func(m map[string]any) { m["summary"].(map[string]any)["passed"] = 1.0 }, "passed is not one of"},
		{"rule severity", func(m map[string]any) { m["rules"].([]any)[0].(map[string]any)["severity"] = "severe" }, "severe is not one of"},
		{"schema version", func(m map[string]any) { m["schema_version"] = "vouch/v2" }, "is not vouch/v1"},
	}
	for _, c := range bad {
		d := decodeAny(t, b.Bytes()).(map[string]any)
		c.mutate(d)
		errs := v.validate(schema, d, "$")
		if !strings.Contains(strings.Join(errs, "\n"), c.want) {
			t.Errorf("%s: want an error containing %q, got %q", c.name, c.want, errs)
		}
	}

	// The top-level keys of the output are exactly those the schema names
	// (for the fixture, which sets every top-level field).
	props := schema["properties"].(map[string]any)
	for k := range doc.(map[string]any) {
		if _, ok := props[k]; !ok {
			t.Errorf("output key %q not in the schema", k)
		}
	}
	for k := range props {
		if _, ok := doc.(map[string]any)[k]; !ok {
			t.Errorf("schema key %q not in the fixture's output: extend the fixture", k)
		}
	}
	// The schema's verdict and severity enums are posture's.
	defs := schema["$defs"].(map[string]any)
	var verdicts, severities []string
	for _, x := range defs["Verdict"].(map[string]any)["enum"].([]any) {
		verdicts = append(verdicts, x.(string))
	}
	for _, x := range defs["Severity"].(map[string]any)["enum"].([]any) {
		severities = append(severities, x.(string))
	}
	var pv, ps []string
	for _, x := range posture.Verdicts {
		pv = append(pv, string(x))
	}
	for _, x := range posture.Severities {
		ps = append(ps, string(x))
	}
	if !slices.Equal(verdicts, pv) {
		t.Errorf("schema verdicts %v, posture %v", verdicts, pv)
	}
	if !slices.Equal(severities, ps) {
		t.Errorf("schema severities %v, posture %v", severities, ps)
	}
}

// fillValue sets every field of v (recursively) to a non-zero value that
// the schema accepts: enums get a valid member.
func fillValue(v reflect.Value) {
	reflectfill.Fill(v, func(v reflect.Value, depth int) bool {
		switch v.Type() {
		case reflect.TypeOf(time.Time{}):
			v.Set(reflect.ValueOf(clock))
		case reflect.TypeOf(posture.Verdict("")):
			v.SetString(string(posture.Waived))
		case reflect.TypeOf(posture.Severity("")):
			v.SetString(string(posture.SeverityHigh))
		case reflect.TypeOf(posture.Visibility("")):
			v.SetString(string(posture.Internal))
		case reflect.TypeOf(posture.OnContradiction("")):
			v.SetString(string(posture.ShowUnderReview))
		case reflect.TypeOf(posture.TargetKind("")):
			v.SetString(string(posture.TargetMail))
		case reflect.TypeOf(posture.ParamType("")):
			v.SetString(string(posture.ParamDuration))
		case reflect.TypeOf(posture.ScannerID("")):
			v.SetString(string(posture.ScannerWAF))
		default:
			return false
		}
		return true
	})
}
