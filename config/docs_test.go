package config

import (
	"os"
	"strings"
	"testing"
)

// codeBlocks returns the fenced blocks of a Markdown file with the given
// info string.
func codeBlocks(t *testing.T, path, lang string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	var cur []string
	in, want := false, false
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case !in && strings.HasPrefix(line, "```"):
			in, want, cur = true, line == "```"+lang, nil
		case in && line == "```":
			in = false
			if want {
				blocks = append(blocks, strings.Join(cur, "\n")+"\n")
			}
		case in:
			cur = append(cur, line)
		}
	}
	return blocks
}

// TestReferenceExamples loads the complete files shown in
// docs/trust-yaml.md and in the package comment.
func TestReferenceExamples(t *testing.T) {
	var docs []string
	for _, b := range codeBlocks(t, "../docs/trust-yaml.md", "yaml") {
		if strings.Contains(b, "version: 1") {
			docs = append(docs, b)
		}
	}
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var pkg []string
	in := false
	for _, line := range strings.Split(string(src), "\n") {
		if strings.HasSuffix(line, "Version 1 reads:") {
			in = true
			continue
		}
		if in && line == "//" && len(pkg) > 0 {
			break
		}
		if in && strings.HasPrefix(line, "//\t") {
			pkg = append(pkg, strings.TrimPrefix(line, "//\t"))
		}
	}
	docs = append(docs, strings.Join(pkg, "\n")+"\n")
	if len(docs) < 2 {
		t.Fatalf("found %d complete examples, want the reference's and the package comment's", len(docs))
	}
	for i, doc := range docs {
		if _, err := ParseDeclaration(New(), "example.yaml", []byte(doc), testRegistry); err != nil {
			t.Errorf("example %d does not load:\n%v\n%s", i, err, doc)
		}
	}
}

// TestReferenceErrors checks that each error quoted in docs/trust-yaml.md
// is one the loader really gives for a file of brokenFiles.
func TestReferenceErrors(t *testing.T) {
	real := map[string]bool{}
	for _, b := range brokenFiles {
		_, err := ParseDeclaration(New(), "trust.yaml", []byte(b.doc), testRegistry)
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				real[line] = true
			}
		}
	}
	for _, b := range brokenControls(t) {
		_, err := LoadDeclaration(New(), b.path, testRegistry)
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				// as if the file were trust.yaml next to the reader
				real[strings.Replace(line, b.path, "trust.yaml", 1)] = true
			}
		}
	}
	quoted := 0
	for _, block := range codeBlocks(t, "../docs/trust-yaml.md", "") {
		for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
			if !strings.HasPrefix(line, "trust.yaml:") {
				continue
			}
			quoted++
			if !real[line] {
				t.Errorf("the reference quotes an error the loader does not give:\n%s", line)
			}
		}
	}
	if quoted < 5 {
		t.Errorf("found %d quoted errors in the reference", quoted)
	}
}
