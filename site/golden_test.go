package site

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGolden builds the fixture site and compares every file with its
// golden copy. Run with -update to rewrite them after a deliberate change,
// and review the diff.
func TestGolden(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "site")
	if err := Build(dir, fixtureReport(), Options{BaseURL: "https://trust.acme.example/", Now: fixtureNow}); err != nil {
		t.Fatal(err)
	}
	got := readTree(t, dir)
	want := []string{".well-known/security.txt", "controls.json", "controls.schema.json", "feed.xml", "index.html", "style.css"}
	if names := sortedKeys(got); !equalStrings(names, want) {
		t.Fatalf("site: files = %v, want %v", names, want)
	}
	golden := filepath.Join("testdata", "golden")
	for _, name := range want {
		path := filepath.Join(golden, filepath.FromSlash(name))
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got[name], 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		wantData, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("site: %v (run go test ./site -run TestGolden -update)", err)
		}
		if !bytes.Equal(got[name], wantData) {
			t.Errorf("site: %s differs from %s (run with -update and review the diff)\n--- got ---\n%s", name, path, got[name])
		}
	}
}

// TestDeterministic builds twice and wants the same bytes.
func TestDeterministic(t *testing.T) {
	o := Options{BaseURL: "https://trust.acme.example", Now: fixtureNow}
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	for _, d := range []string{a, b} {
		if err := Build(d, fixtureReport(), o); err != nil {
			t.Fatal(err)
		}
	}
	ta, tb := readTree(t, a), readTree(t, b)
	for name, data := range ta {
		if !bytes.Equal(data, tb[name]) {
			t.Errorf("site: %s differs between two builds of the same report", name)
		}
	}
}
