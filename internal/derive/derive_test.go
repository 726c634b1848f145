package derive

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vouchdev/vouch/checks"
)

// TestCommittedFilesAreCurrent fails when a derived file in the repository
// is not what the registry of checks produces now.
func TestCommittedFilesAreCurrent(t *testing.T) {
	files, err := Files("../..")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("derived %d files, want the schema and the doc", len(files))
	}
	for rel, want := range files {
		got, err := os.ReadFile(filepath.Join("../..", rel))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what the checks produce: run go generate ./internal/derive", rel)
		}
	}
}

// TestDerivedFromEveryCheck proves that each registered kind and each of
// its parameters reaches both files.
func TestDerivedFromEveryCheck(t *testing.T) {
	var s map[string]any
	data, err := TrustSchema()
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	defs := s["$defs"].(map[string]any)
	table := KindTable()
	for _, r := range checks.Rules() {
		branch, ok := defs["verify."+r.ID].(map[string]any)
		if !ok {
			t.Errorf("schema: no branch for %s", r.ID)
			continue
		}
		if branch["additionalProperties"] != false {
			t.Errorf("schema: %s allows unknown parameters", r.ID)
		}
		props := branch["properties"].(map[string]any)
		if len(props) != len(r.Params)+1 {
			t.Errorf("schema: %s has %d properties, want kind and %d parameters", r.ID, len(props), len(r.Params))
		}
		if !strings.Contains(table, "| `"+r.ID+"` |") {
			t.Errorf("doc table: no row for %s", r.ID)
		}
		for _, p := range r.Params {
			if _, ok := props[p.Name]; !ok {
				t.Errorf("schema: %s lacks parameter %s", r.ID, p.Name)
			}
			if !strings.Contains(table, "`"+p.Name+"` (") {
				t.Errorf("doc table: %s lacks parameter %s", r.ID, p.Name)
			}
		}
	}
}

func TestReplaceBetween(t *testing.T) {
	doc := []byte("a\n" + beginKinds + "\nold\n" + endKinds + "\nb\n")
	got, err := replaceBetween(doc, beginKinds, endKinds, "new\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := "a\n" + beginKinds + "\nnew\n" + endKinds + "\nb\n"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := replaceBetween([]byte("no markers"), beginKinds, endKinds, "x"); err == nil {
		t.Error("a doc without markers was accepted")
	}
}
