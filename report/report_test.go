package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenExt is the file extension of each format's golden file.
var goldenExt = map[Format]string{
	FormatTable:    "txt",
	FormatJSON:     "json",
	FormatSARIF:    "sarif",
	FormatJUnit:    "xml",
	FormatMarkdown: "md",
	FormatHTML:     "html",
	FormatOSCAL:    "oscal.json",
}

func render(t *testing.T, r *posture.Report, f Format, o Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, r, f, o); err != nil {
		t.Fatalf("Write %s: %v", f, err)
	}
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the output; run go test ./report -update and review the diff.\n--- got ---\n%s", path, got)
	}
}

func TestGolden(t *testing.T) {
	if len(goldenExt) != len(Formats()) {
		t.Fatalf("goldenExt covers %d formats, Formats has %d", len(goldenExt), len(Formats()))
	}
	for _, f := range Formats() {
		t.Run(string(f), func(t *testing.T) {
			golden(t, "golden."+goldenExt[f], render(t, fixture(), f, Options{Internal: true}))
		})
	}
	t.Run("table-color", func(t *testing.T) {
		golden(t, "golden.color.txt", render(t, fixture(), FormatTable, Options{Internal: true, Color: true}))
	})
}

func TestWriteDoesNotMutate(t *testing.T) {
	for _, f := range Formats() {
		for _, internal := range []bool{false, true} {
			r := fixture()
			render(t, r, f, Options{Internal: internal, Color: true})
			if !reflect.DeepEqual(r, fixture()) {
				t.Errorf("%s (internal=%v) changed the report", f, internal)
			}
		}
	}
}

// TestInternalControls: without Options.Internal, no format mentions the
// internal control, and counts leave it out.
func TestInternalControls(t *testing.T) {
	for _, f := range Formats() {
		pub := render(t, fixture(), f, Options{})
		all := render(t, fixture(), f, Options{Internal: true})
		if strings.Contains(pub, "csp-admin") {
			t.Errorf("%s: internal control csp-admin written without Options.Internal", f)
		}
		if !strings.Contains(all, "csp-admin") {
			t.Errorf("%s: internal control csp-admin missing with Options.Internal", f)
		}
	}
	var r posture.Report
	if err := json.Unmarshal([]byte(render(t, fixture(), FormatJSON, Options{})), &r); err != nil {
		t.Fatal(err)
	}
	if r.Summary[posture.Contradicted] != 2 || len(r.Controls) != 7 {
		t.Errorf("public summary %v with %d controls; want 2 contradicted of 7", r.Summary, len(r.Controls))
	}
	// A control with no visibility is not public: fail closed.
	x := fixture()
	x.Controls[0].Control.Visibility = ""
	if out := render(t, x, FormatTable, Options{}); strings.Contains(out, "tls-modern") {
		t.Error("control without visibility written to a public output")
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range Formats() {
		got, err := ParseFormat(strings.ToUpper(string(f)))
		if err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, got, err)
		}
	}
	_, err := ParseFormat("pdf")
	if err == nil {
		t.Fatal("ParseFormat(pdf) succeeded")
	}
	for _, f := range Formats() {
		if !strings.Contains(err.Error(), string(f)) {
			t.Errorf("error %q does not list %s", err, f)
		}
	}
	if err := Write(&bytes.Buffer{}, fixture(), "pdf", Options{}); err == nil {
		t.Error("Write accepted format pdf")
	}
	if err := Write(&bytes.Buffer{}, nil, FormatJSON, Options{}); err == nil {
		t.Error("Write accepted a nil report")
	}
}

func TestWriteRejectsUnknownVerdict(t *testing.T) {
	r := fixture()
	r.Controls[0].Verdict = "passed"
	var b bytes.Buffer
	if err := Write(&b, r, FormatTable, Options{Internal: true}); err == nil {
		t.Fatal("Write accepted verdict passed")
	}
	if b.Len() != 0 {
		t.Errorf("a failed Write wrote %d bytes", b.Len())
	}
}

// TestHostileTextEscaped: declared and observed text never becomes markup,
// a terminal command, or a broken table.
func TestHostileTextEscaped(t *testing.T) {
	all := Options{Internal: true}
	for _, f := range []Format{FormatHTML, FormatMarkdown} {
		out := render(t, fixture(), f, all)
		if strings.Contains(out, "<script") || strings.Contains(out, "<b>") {
			t.Errorf("%s: raw markup from declared text reached the output", f)
		}
		if !strings.Contains(out, "&lt;script&gt;") {
			t.Errorf("%s: escaped <script> not found", f)
		}
		if strings.Contains(out, `href="javascript`) || f == FormatMarkdown && strings.Contains(strings.ReplaceAll(out, `\]`, ""), "](javascript") {
			t.Errorf("%s: a javascript: URL became a link", f)
		}
	}
	for _, f := range Formats() {
		if f == FormatJSON {
			continue // the data, as observed
		}
		if out := render(t, fixture(), f, Options{Internal: true}); strings.ContainsRune(out, '\u202e') {
			t.Errorf("%s: bidi override passed through", f)
		}
	}
	table := render(t, fixture(), FormatTable, all)
	if strings.ContainsRune(table, 0x1b) {
		t.Error("table without colour holds an escape character")
	}
	colour := render(t, fixture(), FormatTable, Options{Internal: true, Color: true})
	if strings.Contains(colour, "\x1b[2J") {
		t.Error("observed terminal escape reached the coloured table")
	}

	// Every row of a Markdown table has as many cell separators as its
	// header: no declared "|" splits a cell.
	md := render(t, fixture(), FormatMarkdown, all)
	header := -1
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			header = -1
			continue
		}
		n := unescapedPipes(line)
		if header < 0 {
			header = n
		} else if n != header {
			t.Errorf("markdown row has %d cell separators, its header %d: %s", n, header, line)
		}
	}
}

// unescapedPipes counts the "|" of a Markdown line that are not
// backslash-escaped.
func unescapedPipes(line string) int {
	n := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n
}

func TestTable(t *testing.T) {
	out := render(t, fixture(), FormatTable, Options{Internal: true})
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 1+8+1+1 {
		t.Fatalf("got %d lines, want header, 8 rows, blank, summary:\n%s", len(lines), out)
	}
	for i, l := range lines {
		if strings.HasSuffix(l, " ") || strings.HasSuffix(l, "\t") {
			t.Errorf("line %d has trailing white space: %q", i, l)
		}
	}
	// Worst verdict first.
	wantOrder := []string{"contradicted", "contradicted", "contradicted", "inconclusive", "waived", "verified", "attested", "not applicable"}
	for i, v := range wantOrder {
		if got := strings.TrimSpace(lines[i+1][:verdictWidth]); got != v {
			t.Errorf("row %d verdict %q, want %q", i, got, v)
		}
	}
	// Columns line up: CONTROL starts at the same offset in every row.
	col := strings.Index(lines[0], "CONTROL")
	for _, l := range lines[1:9] {
		if l[col-1] != ' ' || l[col] == ' ' {
			t.Errorf("CONTROL column misaligned at %d: %q", col, l)
		}
	}
	want := "8 controls: 3 contradicted, 1 inconclusive, 1 waived, 1 verified, 1 attested, 1 not applicable"
	if lines[len(lines)-1] != want {
		t.Errorf("summary %q, want %q", lines[len(lines)-1], want)
	}

	colour := render(t, fixture(), FormatTable, Options{Internal: true, Color: true})
	plain := strings.NewReplacer("\x1b[31m", "", "\x1b[32m", "", "\x1b[33m", "", "\x1b[34m", "", "\x1b[35m", "", "\x1b[0m", "").Replace(colour)
	if plain != out {
		t.Errorf("coloured table differs from the plain one beyond colour codes:\n%s", colour)
	}
	for code, v := range map[string]string{"\x1b[31m": "contradicted", "\x1b[33m": "inconclusive", "\x1b[32m": "verified", "\x1b[34m": "attested", "\x1b[35m": "waived"} {
		if !strings.Contains(colour, code+v+"\x1b[0m") {
			t.Errorf("%s not coloured %q", v, code)
		}
	}
}

func TestJUnit(t *testing.T) {
	out := render(t, fixture(), FormatJUnit, Options{Internal: true})
	var doc struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Skipped  int      `xml:"skipped,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Skipped  int    `xml:"skipped,attr"`
			Cases    []struct {
				Name      string `xml:"name,attr"`
				Classname string `xml:"classname,attr"`
				Failure   *struct {
					Message string `xml:"message,attr"`
					Type    string `xml:"type,attr"`
					Body    string `xml:",chardata"`
				} `xml:"failure"`
				Skipped *struct {
					Message string `xml:"message,attr"`
				} `xml:"skipped"`
				SystemOut string `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	dec := xml.NewDecoder(strings.NewReader(out))
	dec.Strict = true
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("JUnit output is not valid XML: %v", err)
	}
	wantSuites := []string{"Encryption in transit", "Email security", "Encryption at rest", "Network security", "Vulnerability disclosure"}
	if len(doc.Suites) != len(wantSuites) {
		t.Fatalf("%d suites, want %d", len(doc.Suites), len(wantSuites))
	}
	type outcome struct{ suite, state, detail string }
	got := map[string]outcome{}
	tests, failures, skipped := 0, 0, 0
	for i, s := range doc.Suites {
		if s.Name != wantSuites[i] {
			t.Errorf("suite %d is %q, want %q", i, s.Name, wantSuites[i])
		}
		f, k := 0, 0
		for _, c := range s.Cases {
			if c.Classname != s.Name {
				t.Errorf("case %s classname %q, want %q", c.Name, c.Classname, s.Name)
			}
			o := outcome{suite: s.Name, state: "pass", detail: c.SystemOut}
			if c.Failure != nil {
				f++
				o.state, o.detail = "failure:"+c.Failure.Type, c.Failure.Body
			}
			if c.Skipped != nil {
				k++
				o.state, o.detail = "skipped", c.Skipped.Message
			}
			got[c.Name] = o
		}
		if s.Tests != len(s.Cases) || s.Failures != f || s.Skipped != k {
			t.Errorf("suite %s counts tests=%d failures=%d skipped=%d, cases say %d/%d/%d", s.Name, s.Tests, s.Failures, s.Skipped, len(s.Cases), f, k)
		}
		tests, failures, skipped = tests+len(s.Cases), failures+f, skipped+k
	}
	if doc.Tests != tests || doc.Failures != failures || doc.Skipped != skipped {
		t.Errorf("testsuites counts %d/%d/%d, suites sum to %d/%d/%d", doc.Tests, doc.Failures, doc.Skipped, tests, failures, skipped)
	}
	want := map[string]struct{ state, detail string }{
		"tls-modern (https://app.acme.example)": {"failure:tls.protocol.tls10_enabled", "waiver by Sam Ops expired 2026-10-23"},
		"tls-modern (https://api.acme.example)": {"pass", ""},
		"hsts (https://app.acme.example)":       {"pass", ""},
		"hsts (https://legacy.acme.example)":    {"pass", "waived by Dana Lee (CISO) until 2027-01-31"},
		"spf (acme.example)":                    {"skipped", "timeout: no answer"},
		"dmarc (acme.example)":                  {"pass", ""},
		"at-rest":                               {"pass", "attested by CTO"},
		"waf (https://app.acme.example)":        {"failure:waf.absent", xss},
		"csp-admin (https://api.acme.example)":  {"failure:http.csp.missing", "remediation: Send a restrictive"},
		"security-txt":                          {"skipped", "not applicable"},
	}
	if len(got) != len(want) {
		t.Errorf("%d test cases, want %d: %v", len(got), len(want), got)
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("no test case %q", name)
			continue
		}
		if g.state != w.state || !strings.Contains(g.detail, w.detail) {
			t.Errorf("case %q: %s %q, want %s containing %q", name, g.state, g.detail, w.state, w.detail)
		}
	}
}

func BenchmarkWrite(b *testing.B) {
	r := fixture()
	for _, f := range Formats() {
		b.Run(string(f), func(b *testing.B) {
			for b.Loop() {
				if err := Write(io.Discard, r, f, Options{Internal: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestEveryFormatHasDoc: the CLI's --help lists formats from Formats and
// Doc, so a format added without a line of doc would show a blank.
func TestEveryFormatHasDoc(t *testing.T) {
	for _, f := range Formats() {
		if f.Doc() == "" {
			t.Errorf("format %s has no Doc", f)
		}
	}
}
