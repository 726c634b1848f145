package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

// FuzzParseDeclaration feeds the loader arbitrary bytes: it must never
// panic, and whatever it accepts must be a declaration the rest of vouch
// can rely on. The seeds are whole files: run it with a short
// minimisation time, or the fuzzer spends its minute minimising one input:
//
//	go test -run XXX -fuzz FuzzParseDeclaration -fuzztime 30s -fuzzminimizetime 1s ./config
func FuzzParseDeclaration(f *testing.F) {
	for _, ex := range examples {
		data, err := os.ReadFile(filepath.Join(examplesDir, ex.file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, b := range brokenFiles {
		f.Add([]byte(b.doc))
	}
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("version: 1\norganization: {name: A}\ncontrols: [{id: a, section: s, statement: t, attested: &x {by: b, reviewed: 2026-01-01}}, {id: b, section: s, statement: t, attested: *x}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseDeclaration(New(), "fuzz.yaml", data, testRegistry)
		if err != nil {
			return
		}
		if d.Version != "1" || d.Organization.Name == "" || len(d.Controls) == 0 {
			t.Fatalf("accepted an incomplete declaration: %+v", d)
		}
		ids := map[string]bool{}
		for _, c := range d.Controls {
			if (c.Verify == nil) == (c.Attested == nil) || ids[c.ID] || c.Visibility == "" {
				t.Fatalf("accepted a bad control: %+v", c)
			}
			ids[c.ID] = true
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var back posture.Declaration
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(d, back) {
			t.Fatalf("round trip differs:\n%+v\n%+v", d, back)
		}
	})
}
