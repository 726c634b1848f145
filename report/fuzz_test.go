package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzWriters puts server-sent text (an observed value, a target, an
// evidence id) and declared text (a statement, a section) into a report
// and checks that every format stays well-formed: no markup in HTML or
// Markdown, no control character in the table, XML that parses, JSON that
// reads back.
func FuzzWriters(f *testing.F) {
	for _, s := range []string{
		xss, "a | b", `\|`, "\x1b[2J\x1b]0;title\x07", "]]>", "\x00\x01", "\ufffe\uffff", "\u202egnp.exe",
		"line\r\nnext\nlast", "`code` *em* _u_ [l](javascript:x)", "\xff\xfe", "<!-- -->", "&amp; &lt;", "</details>",
		"{{.}}", "' \" <a href=x>", "\t\v\f", "Server: cloudflare\r\nSet-Cookie: a=b",
	} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, server, declared string) {
		// Never empty, and never the name of another section, so that the
		// page has the same structure as with "x".
		server, declared = "x"+server, "x"+declared
		r := fixture()
		c := &r.Controls[5] // waf, contradicted
		c.Control.Statement = declared
		c.Control.Section = declared
		c.Findings[0].Observed = server
		c.Findings[0].Target = server
		c.Findings[0].Evidence = []string{server}
		r.Controls[2].Findings[0].Reason.Detail = server // spf, inconclusive

		benign := fixture()
		bc := &benign.Controls[5]
		bc.Control.Statement, bc.Control.Section = "x", "x"
		bc.Findings[0].Observed, bc.Findings[0].Target, bc.Findings[0].Evidence = "x", "x", []string{"x"}
		benign.Controls[2].Findings[0].Reason.Detail = "x"

		out := map[Format]string{}
		for _, f := range Formats() {
			var b bytes.Buffer
			if err := Write(&b, r, f, Options{Internal: true}); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			out[f] = b.String()
		}

		// Table: printable, one row per control.
		for _, ru := range out[FormatTable] {
			if ru != '\n' && (unicode.IsControl(ru) || isBidi(ru)) {
				t.Fatalf("table holds control character %U", ru)
			}
		}
		if n := strings.Count(out[FormatTable], "\n"); n != len(r.Controls)+3 {
			t.Fatalf("table has %d lines, want %d", n, len(r.Controls)+3)
		}

		// HTML: the hostile text adds no markup (as many '<' as with "x").
		var hb bytes.Buffer
		if err := Write(&hb, benign, FormatHTML, Options{Internal: true}); err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Count(out[FormatHTML], "<"), strings.Count(hb.String(), "<"); got != want {
			t.Fatalf("html has %d '<', the benign report %d", got, want)
		}

		// Markdown: the only tags are the details block; tables keep their shape.
		md := strings.NewReplacer("<details>", "", "</details>", "", "<summary>", "", "</summary>", "").Replace(out[FormatMarkdown])
		if strings.Contains(md, "<") {
			t.Fatal("markdown holds a raw '<'")
		}
		header := -1
		for _, line := range strings.Split(out[FormatMarkdown], "\n") {
			if !strings.HasPrefix(line, "|") {
				header = -1
				continue
			}
			if n := unescapedPipes(line); header < 0 {
				header = n
			} else if n != header {
				t.Fatalf("markdown row with %d separators under a header with %d: %q", n, header, line)
			}
		}

		// JUnit: well-formed XML.
		dec := xml.NewDecoder(strings.NewReader(out[FormatJUnit]))
		dec.Strict = true
		for {
			_, err := dec.Token()
			if err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("junit: %v", err)
				}
				break
			}
		}

		// SARIF: JSON.
		if !json.Valid([]byte(out[FormatSARIF])) {
			t.Fatal("sarif is not JSON")
		}

		// OSCAL: every required field, uuid and pattern, whatever the text.
		checkOSCAL(t, []byte(out[FormatOSCAL]))

		// JSON: reads back as the report (encoding/json writes invalid UTF-8
		// as U+FFFD, so only valid text round-trips exactly).
		back, err := ReadReport(strings.NewReader(out[FormatJSON]))
		if err != nil {
			t.Fatalf("json: %v", err)
		}
		if utf8.ValidString(server) && utf8.ValidString(declared) && !reflect.DeepEqual(back, r) {
			t.Fatal("json does not read back as the report")
		}
	})
}
