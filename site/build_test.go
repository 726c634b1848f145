package site

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

// failing returns os-backed ops whose writeFile or rename fails on the
// call for which fail returns true.
func failing(failWrite func(name string) bool, failRename func(from, to string) bool) ops {
	op := osOps()
	w, rn := op.writeFile, op.rename
	op.writeFile = func(name string, data []byte) error {
		if failWrite != nil && failWrite(name) {
			return errors.New("injected write failure")
		}
		return w(name, data)
	}
	op.rename = func(from, to string) error {
		if failRename != nil && failRename(from, to) {
			return errors.New("injected rename failure")
		}
		return rn(from, to)
	}
	return op
}

func oldReport() *posture.Report {
	r := fixtureReport()
	r.Organization.Name = "Old Site Co"
	return r
}

// TestBuildFailureKeepsOldSite injects a failure at each step of a build
// over a published site: the old site stays byte for byte, and no
// temporary or old directory is left beside it.
func TestBuildFailureKeepsOldSite(t *testing.T) {
	tests := []struct {
		name       string
		failWrite  func(string) bool
		failRename func(from, to string) bool
		wantErr    string
	}{
		{"first write", func(n string) bool { return strings.HasSuffix(n, "index.html") }, nil, "write index.html"},
		{"middle write", func(n string) bool { return strings.HasSuffix(n, "controls.json") }, nil, "write controls.json"},
		{"security.txt write", func(n string) bool { return strings.HasSuffix(n, "security.txt") }, nil, "write .well-known/security.txt"},
		{"last write", func(n string) bool { return strings.HasSuffix(n, "feed.xml") }, nil, "write feed.xml"},
		{"move old aside", nil, func(from, to string) bool { return strings.Contains(to, ".old-") }, "move old site aside"},
		{"put new in place", nil, func(from, to string) bool { return strings.Contains(from, ".new-") }, "put new site in place"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "site")
			if err := Build(dir, oldReport(), Options{Now: fixtureNow}); err != nil {
				t.Fatal(err)
			}
			before := readTree(t, dir)

			err := build(dir, fixtureReport(), Options{Now: fixtureNow.Add(24 * 60 * 60 * 1e9)}, failing(tt.failWrite, tt.failRename))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "site: ") {
				t.Fatalf("site: err = %v, want one mentioning %q", err, tt.wantErr)
			}
			after := readTree(t, dir)
			if got, want := sortedKeys(after), sortedKeys(before); !equalStrings(got, want) {
				t.Fatalf("site: files after failure = %v, want %v", got, want)
			}
			for name, data := range before {
				if string(after[name]) != string(data) {
					t.Errorf("site: %s changed by a failed build", name)
				}
			}
			if got := listDir(t, parent); !equalStrings(got, []string{"site"}) {
				t.Errorf("site: left beside the site: %v", got)
			}
		})
	}
}

// TestBuildReplaces: a successful build over an old site replaces it
// whole (files the new site lacks are gone) and leaves nothing beside it.
func TestBuildReplaces(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "site")
	if err := Build(dir, oldReport(), Options{Now: fixtureNow}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "stale.html"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A leftover from an earlier run with the same clock must not be
	// touched or collided with.
	leftover := dir + ".old-20261123T120000Z"
	if err := os.Mkdir(leftover, 0o755); err != nil {
		t.Fatal(err)
	}
	r := fixtureReport()
	r.Organization.SecurityContact = ""
	if err := Build(dir, r, Options{Now: fixtureNow}); err != nil {
		t.Fatal(err)
	}
	got := readTree(t, dir)
	if names := sortedKeys(got); !equalStrings(names, []string{"controls.json", "controls.schema.json", "feed.xml", "index.html", "style.css"}) {
		t.Errorf("site: files = %v", names)
	}
	if strings.Contains(string(got["index.html"]), "Old Site Co") {
		t.Error("site: old page still in place")
	}
	if names := listDir(t, parent); !equalStrings(names, []string{"site", "site.old-20261123T120000Z"}) {
		t.Errorf("site: beside the site: %v", names)
	}
	for _, p := range []struct {
		path string
		mode os.FileMode
	}{{dir, 0o755 | os.ModeDir}, {filepath.Join(dir, "index.html"), 0o644}} {
		fi, err := os.Stat(p.path)
		if err != nil {
			t.Fatal(err)
		}
		// The umask may only take permissions away.
		if fi.Mode()&^p.mode != 0 || fi.Mode()&0o444 != p.mode&0o444 {
			t.Errorf("site: %s mode %v, want %v", p.path, fi.Mode(), p.mode)
		}
	}
}

func TestBuildRefuses(t *testing.T) {
	parent := t.TempDir()
	file := filepath.Join(parent, "afile")
	if err := os.WriteFile(file, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Build(file, fixtureReport(), Options{Now: fixtureNow}); err == nil {
		t.Error("site: built over a regular file")
	}
	if b, _ := os.ReadFile(file); string(b) != "keep" {
		t.Error("site: regular file touched")
	}
	if err := Build(filepath.Join(parent, "x"), nil, Options{}); err == nil {
		t.Error("site: nil report accepted")
	}
	for _, base := range []string{"http://trust.acme.example", "trust.acme.example", "https://u@trust.acme.example", "https://trust.acme.example/?q", "javascript:alert(1)"} {
		if err := Build(filepath.Join(parent, "x"), fixtureReport(), Options{BaseURL: base}); err == nil {
			t.Errorf("site: base URL %q accepted", base)
		}
	}
	if got := listDir(t, parent); !equalStrings(got, []string{"afile"}) {
		t.Errorf("site: refused builds left %v", got)
	}
}

// TestBuildMakesParent: the site directory and its parents are created.
func TestBuildMakesParent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b", "site")
	if err := Build(dir, fixtureReport(), Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
		t.Fatal(err)
	}
}
