package site

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/vouchdev/vouch/posture"
)

// FuzzRender feeds hostile declared text through the whole renderer: no
// output may hold a script, an inline handler or style, or a link that is
// neither relative, https: nor mailto:; the statement must come out as
// the same text; only a verified control may say Verified.
func FuzzRender(f *testing.F) {
	f.Add("Acme", "All traffic uses TLS 1.2+.", "Encryption", "CTO", "mailto:security@acme.example", "logo.png", "#123456", "https://acme.example", uint8(0))
	f.Add("<b>x</b>", `<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`, `</span><script>`, "javascript:alert(1)", "javascript:alert(1)", "red;}body{x", "http://acme.example", uint8(1))
	f.Add("A & B", "Verified", "Verified", "Verified", "https://acme.example/sec\nContact: x", "//evil/x.png", "#GGGGGG", "JAVASCRIPT:x", uint8(2))
	f.Add("", "", "", "", "mailto:a@b?subject=<script>", "/abs.png", "", "https://u@x", uint8(5))
	f.Fuzz(func(t *testing.T, name, statement, section, by, contact, logo, color, website string, v uint8) {
		verdicts := append([]posture.Verdict{}, posture.Verdicts...)
		verdict := verdicts[int(v)%len(verdicts)]
		r := &posture.Report{
			ScanID: "s", Tool: posture.Tool{Name: "vouch", Version: "v0"},
			Organization: posture.Organization{Name: name, SecurityContact: contact, Logo: logo, Color: color, Website: website, Description: statement},
			Controls: []posture.ControlResult{{
				Control: posture.Control{ID: "c", Section: section, Statement: statement, Visibility: posture.Public,
					Attested: &posture.Attestation{By: by, Reviewed: fixtureNow}},
				Verdict: verdict, VerifiedAt: fixtureDone,
			}},
		}
		r.ScanFinished = fixtureDone
		// An earlier scan with another verdict, so that feed.xml carries
		// the declared text too.
		prev := *r
		prev.ScanFinished = fixtureStarted
		prev.Controls = []posture.ControlResult{r.Controls[0]}
		prev.Controls[0].Verdict = verdicts[(int(v)+1)%len(verdicts)]
		files, err := render(r, Options{Now: fixtureNow, History: []*posture.Report{&prev}})
		if err != nil {
			t.Fatal(err)
		}
		for _, fl := range files {
			if bytes.Contains(bytes.ToLower(fl.Data), []byte("<script")) {
				t.Fatalf("site: %s contains <script", fl.Path)
			}
		}
		byPath := map[string][]byte{}
		for _, fl := range files {
			byPath[fl.Path] = fl.Data
		}
		if !json.Valid(byPath["controls.json"]) {
			t.Fatal("site: controls.json is not JSON")
		}
		if sec, ok := byPath[".well-known/security.txt"]; ok {
			lines := strings.Split(strings.TrimSuffix(string(sec), "\n"), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "Contact: ") || !strings.HasPrefix(lines[1], "Expires: ") {
				t.Fatalf("site: security.txt = %q", sec)
			}
		}
		if err := wellFormed(byPath["feed.xml"]); err != nil {
			t.Fatalf("site: feed.xml: %v", err)
		}
		doc, err := html.Parse(bytes.NewReader(files[0].Data))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range find(doc, func(*html.Node) bool { return true }) {
			switch n.Data {
			case "script", "style", "iframe", "object", "embed", "form", "base":
				t.Fatalf("site: <%s> in output", n.Data)
			}
			for _, a := range n.Attr {
				if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
					t.Fatalf("site: attribute %s on <%s>", a.Key, n.Data)
				}
				if a.Key == "href" || a.Key == "src" {
					low := strings.ToLower(a.Val)
					if !relative(a.Val) && !strings.HasPrefix(low, "https://") && !strings.HasPrefix(low, "mailto:") {
						t.Fatalf("site: <%s %s=%q>", n.Data, a.Key, a.Val)
					}
					if n.Data == "img" && !relative(a.Val) {
						t.Fatalf("site: image from elsewhere: %q", a.Val)
					}
				}
			}
		}
		block := byID(doc, "control-c")
		if block == nil {
			t.Fatal("site: control missing")
		}
		st := find(block, func(n *html.Node) bool { return hasClass(n, "statement") })
		if plainText(statement) && textOf(st[0]) != strings.Join(strings.Fields(statement), " ") {
			t.Fatalf("site: statement %q shown as %q", statement, textOf(st[0]))
		}
		badge := find(block, func(n *html.Node) bool { return hasClass(n, "badge") })
		if len(badge) != 1 || (textOf(badge[0]) == "Verified") != (verdict == posture.Verified) {
			t.Fatalf("site: %s control shows badge %q", verdict, textOf(badge[0]))
		}
	})
}

// plainText reports whether the HTML parser gives s back unchanged: valid
// UTF-8 without NUL, CR or other control characters it rewrites.
func plainText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if (r < ' ' && r != '\t' && r != '\n') || (r >= 0x7f && r <= 0x9f) {
			return false
		}
	}
	return true
}
