package site

import (
	"bytes"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/vouchdev/vouch/posture"
)

// buildFixture builds the fixture site and returns its files.
func buildFixture(t *testing.T, o Options) map[string][]byte {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "site")
	if err := Build(dir, fixtureReport(), o); err != nil {
		t.Fatal(err)
	}
	return readTree(t, dir)
}

func parseHTML(t *testing.T, b []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("site: parse index.html: %v", err)
	}
	return doc
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// find returns the elements under n (n included) for which match holds.
func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func byID(doc *html.Node, id string) *html.Node {
	if ns := find(doc, func(n *html.Node) bool { v, _ := attr(n, "id"); return v == id }); len(ns) > 0 {
		return ns[0]
	}
	return nil
}

func hasClass(n *html.Node, class string) bool {
	v, _ := attr(n, "class")
	for _, c := range strings.Fields(v) {
		if c == class {
			return true
		}
	}
	return false
}

// textOf is the text of n with whitespace collapsed.
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// TestBadges checks each public control's block: its one badge, the
// details it must carry, and that nothing but a verified control says
// Verified or when it was verified.
func TestBadges(t *testing.T) {
	doc := parseHTML(t, buildFixture(t, Options{Now: fixtureNow})["index.html"])
	tests := []struct {
		id, verdict string
		badge       string
		class       string
		want        []string // substrings of the block's text
	}{
		{"tls-modern", "verified", "Verified", "badge-verified",
			[]string{"last verified 2026-11-23 09:30 UTC", "by check tls.min_version Refuse TLS versions below the minimum"}},
		{"mta-sts", "verified, rule not in report", "Verified", "badge-verified",
			[]string{"last verified 2026-11-23 09:30 UTC", "by check email.mta_sts"}},
		{"at-rest", "attested", "Attested", "badge-attested", []string{"by CTO, reviewed 2026-10-01"}},
		{"xss", "attested, hostile text", "Attested", "badge-attested",
			[]string{`<script>alert(1)</script>`, `by "><script>alert(2)</script>, reviewed 2026-09-30`}},
		{"hsts", "contradicted, default policy", "Under review", "badge-under-review", nil},
		{"waf-review", "contradicted, under_review", "Under review", "badge-under-review", nil},
		{"cookies", "waived", "Under review", "badge-under-review", nil},
		{"dmarc", "inconclusive", "Not verified in the latest scan", "badge-not-verified", nil},
		{"caa", "not_applicable", "Not checked", "badge-not-checked", nil},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			block := byID(doc, "control-"+tt.id)
			if block == nil {
				t.Fatalf("site: no element id=control-%s (%s)", tt.id, tt.verdict)
			}
			badges := find(block, func(n *html.Node) bool { return hasClass(n, "badge") })
			if len(badges) != 1 {
				t.Fatalf("site: control %s has %d badges, want 1", tt.id, len(badges))
			}
			if got := textOf(badges[0]); got != tt.badge {
				t.Errorf("site: control %s (%s) badge = %q, want %q", tt.id, tt.verdict, got, tt.badge)
			}
			if !hasClass(badges[0], tt.class) {
				t.Errorf("site: control %s badge lacks class %s", tt.id, tt.class)
			}
			text := textOf(block)
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("site: control %s text %q lacks %q", tt.id, text, w)
				}
			}
			if tt.badge == "Verified" {
				return
			}
			for _, bad := range []string{"Verified", "last verified", "by check"} {
				if strings.Contains(text, bad) {
					t.Errorf("site: %s control %s says %q: %q", tt.verdict, tt.id, bad, text)
				}
			}
			if tt.badge != "Attested" {
				if ts := find(block, func(n *html.Node) bool { return n.Data == "time" }); len(ts) > 0 {
					t.Errorf("site: %s control %s shows a time", tt.verdict, tt.id)
				}
			}
			if as := find(block, func(n *html.Node) bool { return n.Data == "a" }); len(as) > 0 {
				t.Errorf("site: %s control %s links to a check", tt.verdict, tt.id)
			}
		})
	}
	// Exactly these controls, no others.
	blocks := find(doc, func(n *html.Node) bool { return hasClass(n, "control") })
	if len(blocks) != len(tests) {
		t.Errorf("site: %d control blocks, want %d", len(blocks), len(tests))
	}
}

// TestCheckAnchor: the verified control's check link leads to the rule,
// and only rules behind verified controls are listed.
func TestCheckAnchor(t *testing.T) {
	doc := parseHTML(t, buildFixture(t, Options{Now: fixtureNow})["index.html"])
	links := find(byID(doc, "control-tls-modern"), func(n *html.Node) bool { return n.Data == "a" })
	if len(links) != 1 {
		t.Fatalf("site: verified control has %d links, want 1", len(links))
	}
	href, _ := attr(links[0], "href")
	if href != "#rule-tls.min_version" {
		t.Fatalf("site: check link = %q", href)
	}
	rule := byID(doc, "rule-tls.min_version")
	if rule == nil || !strings.Contains(textOf(rule), "Refuse TLS versions below the minimum (RFC 8996)") {
		t.Fatalf("site: rule anchor missing or wrong")
	}
	// waf.present, http.hsts and email.dmarc stand only behind controls
	// that were not verified (or are hidden or internal).
	for _, id := range []string{"rule-waf.present", "rule-http.hsts", "rule-email.dmarc"} {
		if byID(doc, id) != nil {
			t.Errorf("site: %s listed though no shown verified control uses it", id)
		}
	}
}

func TestSummaryAndSections(t *testing.T) {
	doc := parseHTML(t, buildFixture(t, Options{Now: fixtureNow})["index.html"])
	head := find(doc, func(n *html.Node) bool { return hasClass(n, "headline") })
	if len(head) != 1 {
		t.Fatal("site: no headline")
	}
	if got, want := textOf(head[0]), "2 of 9 claims verified by automated scan on 2026-11-23."; got != want {
		t.Errorf("site: headline = %q, want %q", got, want)
	}
	var sections []string
	for _, s := range find(doc, func(n *html.Node) bool { return hasClass(n, "controls-section") }) {
		h := find(s, func(n *html.Node) bool { return n.Data == "h2" })
		sections = append(sections, textOf(h[0]))
	}
	want := []string{"Encryption in transit", "Encryption at rest", "Network security", "Email security", `<img src=x onerror=alert(1)> & "quotes"`}
	if !equalStrings(sections, want) {
		t.Errorf("site: sections = %q, want %q", sections, want)
	}
	// Heading order: one h1, then h2s only.
	if h1 := find(doc, func(n *html.Node) bool { return n.Data == "h1" }); len(h1) != 1 || textOf(h1[0]) != "Acme & Co <Security>" {
		t.Errorf("site: want one h1 with the organisation name")
	}
	for _, tag := range []string{"h3", "h4", "h5", "h6"} {
		if len(find(doc, func(n *html.Node) bool { return n.Data == tag })) > 0 {
			t.Errorf("site: unexpected %s", tag)
		}
	}
	for _, landmark := range []string{"header", "main", "footer"} {
		if len(find(doc, func(n *html.Node) bool { return n.Data == landmark })) != 1 {
			t.Errorf("site: want exactly one <%s>", landmark)
		}
	}
	htmlEl := find(doc, func(n *html.Node) bool { return n.Data == "html" })
	if lang, _ := attr(htmlEl[0], "lang"); lang != "en" {
		t.Errorf("site: html lang = %q", lang)
	}
	if len(find(doc, func(n *html.Node) bool { v, _ := attr(n, "name"); return n.Data == "meta" && v == "viewport" })) != 1 {
		t.Error("site: no meta viewport")
	}
	foot := find(doc, func(n *html.Node) bool { return n.Data == "footer" })
	if got := textOf(foot[0]); !strings.Contains(got, "Generated by vouch v0.1.0 from scan 20261123T092900Z-1a2b3c") ||
		!strings.Contains(got, "controls.json") || !strings.Contains(got, "security.txt") {
		t.Errorf("site: footer = %q", got)
	}
}

// TestHiddenAndInternalAbsent: hidden and internal controls, findings,
// waivers and evidence appear in no output file.
func TestHiddenAndInternalAbsent(t *testing.T) {
	files := buildFixture(t, Options{BaseURL: "https://trust.acme.example", Now: fixtureNow})
	for name, data := range files {
		for _, s := range internalOnly {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("site: %s contains internal text %q", name, s)
			}
		}
	}
}

// TestNoScriptNoExternal: no script anywhere, declared text escaped, no
// resource from elsewhere, links only relative or declared https:/mailto:.
func TestNoScriptNoExternal(t *testing.T) {
	for _, base := range []string{"", "https://trust.acme.example"} {
		t.Run("base="+base, func(t *testing.T) {
			files := buildFixture(t, Options{BaseURL: base, Now: fixtureNow})
			for name, data := range files {
				// The Atom namespace name is an identifier, never fetched.
				low := bytes.ToLower(bytes.Replace(data, []byte(`xmlns="http://www.w3.org/2005/Atom"`), nil, 1))
				for _, bad := range []string{"<script", "http://", "javascript:", "url(", "@import"} {
					if bytes.Contains(low, []byte(bad)) {
						t.Errorf("site: %s contains %q", name, bad)
					}
				}
			}
			index := files["index.html"]
			if !bytes.Contains(index, []byte("&lt;script&gt;alert(1)&lt;/script&gt;")) {
				t.Error("site: XSS statement not shown escaped")
			}
			// Every "//" in the page belongs to the declared website or
			// the canonical link.
			rest := string(index)
			for _, ok := range []string{"https://acme.example", base} {
				if ok != "" {
					rest = strings.ReplaceAll(rest, ok, "")
				}
			}
			if i := strings.Index(rest, "//"); i >= 0 {
				t.Errorf("site: index.html has an external reference near %q", rest[max(0, i-40):min(len(rest), i+40)])
			}
			if bytes.Contains(files["style.css"], []byte("//")) {
				t.Error("site: style.css contains //")
			}

			doc := parseHTML(t, index)
			for _, tag := range []string{"script", "iframe", "object", "embed", "style", "form", "base", "img"} {
				if ns := find(doc, func(n *html.Node) bool { return n.Data == tag }); len(ns) > 0 {
					t.Errorf("site: index.html has <%s>", tag)
				}
			}
			for _, n := range find(doc, func(*html.Node) bool { return true }) {
				for _, a := range n.Attr {
					if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
						t.Errorf("site: <%s %s=%q>: inline style or handler", n.Data, a.Key, a.Val)
					}
					if a.Key != "href" && a.Key != "src" && a.Key != "srcset" && a.Key != "action" {
						continue
					}
					switch {
					case n.Data == "link" && hasRel(n, "canonical"):
						if a.Val != base+"/" {
							t.Errorf("site: canonical %q, want %q", a.Val, base+"/")
						}
					case n.Data == "a" && (a.Val == "https://acme.example" || a.Val == "mailto:security@acme.example"):
					default:
						if !relative(a.Val) {
							t.Errorf("site: <%s %s=%q> is not relative", n.Data, a.Key, a.Val)
						}
					}
				}
			}
		})
	}
}

func hasRel(n *html.Node, rel string) bool {
	v, _ := attr(n, "rel")
	return v == rel
}

func relative(v string) bool {
	u, err := url.Parse(v)
	return err == nil && u.Scheme == "" && u.Host == "" && !strings.HasPrefix(v, "/")
}

// TestEveryVerdict renders one control per verdict and contradiction
// policy and checks the badge: only Verified says Verified.
func TestEveryVerdict(t *testing.T) {
	tests := []struct {
		verdict posture.Verdict
		policy  posture.OnContradiction
		badge   string // empty: absent
	}{
		{posture.Verified, "", "Verified"},
		{posture.Attested, "", "Attested"},
		{posture.Contradicted, "", "Under review"},
		{posture.Contradicted, posture.ShowUnderReview, "Under review"},
		{posture.Contradicted, "something_else", "Under review"},
		{posture.Contradicted, posture.HideControl, ""},
		{posture.Waived, posture.HideControl, "Under review"},
		{posture.Inconclusive, posture.HideControl, "Not verified in the latest scan"},
		{posture.NotApplicable, "", "Not checked"},
		{posture.Verdict("bogus"), "", "Not checked"},
	}
	for _, tt := range tests {
		t.Run(string(tt.verdict)+"/"+string(tt.policy), func(t *testing.T) {
			for _, vis := range []posture.Visibility{posture.Public, posture.Internal, ""} {
				r := &posture.Report{ScanID: "s1", Controls: []posture.ControlResult{{
					Control: posture.Control{ID: "c", Section: "S", Statement: "Claim.", Visibility: vis, OnContradiction: tt.policy,
						Verify: &posture.Verify{Kind: "k"}},
					Verdict: tt.verdict, VerifiedAt: fixtureDone,
				}}}
				files, err := render(r, Options{Now: fixtureNow})
				if err != nil {
					t.Fatal(err)
				}
				doc := parseHTML(t, files[0].Data)
				block := byID(doc, "control-c")
				want := tt.badge
				if vis != posture.Public {
					want = ""
				}
				if want == "" {
					if block != nil || bytes.Contains(files[2].Data, []byte("Claim.")) {
						t.Errorf("site: %s control (visibility %q) shown", tt.verdict, vis)
					}
					continue
				}
				if block == nil {
					t.Fatalf("site: %s control missing", tt.verdict)
				}
				text := textOf(block)
				if !strings.Contains(text, want) {
					t.Errorf("site: %s: %q lacks badge %q", tt.verdict, text, want)
				}
				if verified := strings.Contains(text, "Verified"); verified != (tt.verdict == posture.Verified) {
					t.Errorf("site: %s: text %q", tt.verdict, text)
				}
				if bytes.Contains(files[2].Data, []byte(`"status": "verified"`)) != (tt.verdict == posture.Verified) {
					t.Errorf("site: %s: controls.json status wrong:\n%s", tt.verdict, files[2].Data)
				}
			}
		})
	}
}

// TestVerifiedWithoutTime: a verified control whose report has no
// VerifiedAt is shown without an invented time.
func TestVerifiedWithoutTime(t *testing.T) {
	r := &posture.Report{Controls: []posture.ControlResult{{
		Control: posture.Control{ID: "c", Statement: "Claim.", Visibility: posture.Public}, Verdict: posture.Verified}}}
	files, err := render(r, Options{Now: fixtureNow})
	if err != nil {
		t.Fatal(err)
	}
	text := textOf(byID(parseHTML(t, files[0].Data), "control-c"))
	if text != "Claim. Verified" {
		t.Errorf("site: %q", text)
	}
	if bytes.Contains(files[2].Data, []byte("last_verified")) {
		t.Error("site: controls.json invents last_verified")
	}
}

func TestSecurityTxt(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 500, time.FixedZone("", 7200))
	tests := []struct {
		contact, base string
		want          string // empty: no file
	}{
		{"mailto:security@acme.example", "", "Contact: mailto:security@acme.example\nExpires: 2027-05-22T10:00:00Z\n"},
		{"https://acme.example/security", "https://trust.acme.example",
			"Contact: https://acme.example/security\nExpires: 2027-05-22T10:00:00Z\nCanonical: https://trust.acme.example/.well-known/security.txt\n"},
		{"MAILTO:sec@acme.example", "", "Contact: MAILTO:sec@acme.example\nExpires: 2027-05-22T10:00:00Z\n"},
		{"", "", ""},
		{"security@acme.example", "", ""},
		{"http://acme.example/security", "", ""},
		{"tel:+15550100", "", ""},
		{"mailto:a@b.example\nContact: mailto:evil@x.example", "", ""},
		{"mailto:<script>@x.example", "", ""},
		{"https://user@acme.example/", "", ""},
		{"javascript:alert(1)//@x", "", ""},
	}
	for _, tt := range tests {
		got, ok := securityTxt(tt.contact, now, tt.base)
		if ok != (tt.want != "") || string(got) != tt.want {
			t.Errorf("site: securityTxt(%q, %q) = %q, %v; want %q", tt.contact, tt.base, got, ok, tt.want)
		}
	}

	// Without a usable contact there is neither file nor link.
	r := fixtureReport()
	r.Organization.SecurityContact = "security@acme.example"
	dir := filepath.Join(t.TempDir(), "site")
	if err := Build(dir, r, Options{Now: fixtureNow}); err != nil {
		t.Fatal(err)
	}
	files := readTree(t, dir)
	if _, ok := files[".well-known/security.txt"]; ok {
		t.Error("site: security.txt written for a contact that is not a URI")
	}
	if bytes.Contains(files["index.html"], []byte("security.txt")) {
		t.Error("site: page links to a security.txt that does not exist")
	}
	if !bytes.Contains(files["index.html"], []byte("<dd>security@acme.example</dd>")) {
		t.Error("site: contact not shown as text")
	}
}
