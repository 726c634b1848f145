package report

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestReadReportRoundTrip(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, fixture(), FormatJSON, Options{Internal: true}); err != nil {
		t.Fatal(err)
	}
	r, err := ReadReport(&b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r, fixture()) {
		t.Error("ReadReport(Write(json)) differs from the report written")
	}
	// The golden file is a report vouch wrote: it reads back too.
	g, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ReadReport(bytes.NewReader(g)); err != nil {
		t.Errorf("golden.json: %v", err)
	}
}

func TestReadReportRejects(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, fixture(), FormatJSON, Options{Internal: true}); err != nil {
		t.Fatal(err)
	}
	good := b.String()
	cases := []struct {
		name, doc, want string
	}{
		{"other schema version", strings.Replace(good, `"schema_version": "vouch/v1"`, `"schema_version": "vouch/v2"`, 1), `unknown schema_version "vouch/v2"`},
		{"no schema version", strings.Replace(good, `"schema_version": "vouch/v1",`, ``, 1), "no schema_version"},
		{"empty object", `{}`, "no schema_version"},
		{"unknown field", strings.Replace(good, `"scan_id":`, `"scan_idd": "x", "scan_id":`, 1), `unknown field "scan_idd"`},
		{"unknown verdict", strings.Replace(good, `"verdict": "verified"`, `"verdict": "passed"`, 1), `unknown verdict "passed"`},
		{"unknown severity", strings.Replace(good, `"severity": "high"`, `"severity": "severe"`, 1), `unknown severity "severe"`},
		{"unknown summary verdict", strings.Replace(good, `"summary": {`, `"summary": {"passed": 1,`, 1), `unknown verdict "passed"`},
		{"trailing data", good + `{"x":1}`, "after top-level value"},
		{"not JSON", `schema_version: vouch/v1`, "invalid character"},
		{"empty", ``, "unexpected end of JSON input"},
	}
	for _, c := range cases {
		if c.doc == good {
			t.Fatalf("%s: the mutation did not apply", c.name)
		}
		_, err := ReadReport(strings.NewReader(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "report: ") {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
