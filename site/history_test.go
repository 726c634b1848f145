package site

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/vouchdev/vouch/posture"
)

var (
	historyScan1 = time.Date(2026, 11, 9, 9, 31, 0, 0, time.UTC)
	historyScan2 = time.Date(2026, 11, 16, 9, 31, 0, 0, time.UTC)
)

// setControl changes control id of r with f; the test fails on an unknown id.
func setControl(r *posture.Report, id string, f func(*posture.ControlResult)) {
	for i := range r.Controls {
		if r.Controls[i].Control.ID == id {
			f(&r.Controls[i])
			return
		}
	}
	panic("site: fixture has no control " + id)
}

func verdict(v posture.Verdict) func(*posture.ControlResult) {
	return func(c *posture.ControlResult) { c.Verdict = v }
}

func dropControl(r *posture.Report, id string) {
	r.Controls = slices.DeleteFunc(r.Controls, func(c posture.ControlResult) bool { return c.Control.ID == id })
}

// fixtureHistory is two earlier scans before fixtureReport, one week
// apart. Between them and the current report:
//
//	tls-modern  verified, verified, verified        → since scan 1
//	mta-sts     contradicted, verified, verified    → fixed in scan 2, since scan 2
//	hsts        verified, verified, contradicted    → regressed now (under review)
//	dmarc       verified, verified, inconclusive    → regressed now (not verified)
//	cookies     -, waived, waived                   → added in scan 2
//	waf-hidden  verified, verified, hidden          → withdrawn now, but
//	                                                  hidden now: in no feed entry
//	old-claim   attested, -, -                      → withdrawn in scan 2
//	at-rest     reworded in scan 2                  → changed in scan 2
//	waf-review  attested, contradicted, contradicted → under review in scan 2
//	caa         verified, not applicable, n/a       → regressed in scan 2
//	internal-admin-ip-allowlist contradicted, verified, verified → never announced
func fixtureHistory() []*posture.Report {
	h1, h2 := fixtureReport(), fixtureReport()
	h1.ScanID, h1.ScanStarted, h1.ScanFinished, h1.GeneratedAt = "20261109T092900Z-aaaaaa", historyScan1.Add(-2*time.Minute), historyScan1, historyScan1
	h2.ScanID, h2.ScanStarted, h2.ScanFinished, h2.GeneratedAt = "20261116T092900Z-bbbbbb", historyScan2.Add(-2*time.Minute), historyScan2, historyScan2

	setControl(h1, "mta-sts", verdict(posture.Contradicted))
	for _, h := range []*posture.Report{h1, h2} {
		setControl(h, "hsts", verdict(posture.Verified))
		setControl(h, "dmarc", verdict(posture.Verified))
		setControl(h, "waf-hidden", verdict(posture.Verified))
	}
	dropControl(h1, "cookies")
	h1.Controls = append(h1.Controls, posture.ControlResult{
		Control: posture.Control{ID: "old-claim", Section: "Encryption at rest", Visibility: posture.Public,
			Statement: "Backups are kept on tape.", Attested: &posture.Attestation{By: "CTO", Reviewed: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}},
		Verdict: posture.Attested,
	})
	setControl(h1, "at-rest", func(c *posture.ControlResult) { c.Control.Statement = "Customer data is encrypted at rest." })
	setControl(h1, "waf-review", verdict(posture.Attested))
	setControl(h1, "caa", verdict(posture.Verified))
	setControl(h1, "internal-admin-ip-allowlist", verdict(posture.Contradicted))
	for _, h := range []*posture.Report{h1, h2} {
		h.Summarize()
	}
	return []*posture.Report{h1, h2}
}

func historyOptions() Options {
	return Options{BaseURL: "https://trust.acme.example", Now: fixtureNow, History: fixtureHistory()}
}

func TestVerifiedSince(t *testing.T) {
	got := verifiedSince(fixtureHistory(), fixtureReport())
	want := map[string]time.Time{"tls-modern": historyScan1, "mta-sts": historyScan2}
	if len(got) != len(want) {
		t.Errorf("site: verified since = %v, want %v", got, want)
	}
	for id, w := range want {
		if !got[id].Equal(w) {
			t.Errorf("site: %s verified since %v, want %v", id, got[id], w)
		}
	}
	if got := verifiedSince(nil, fixtureReport()); len(got) != 0 {
		t.Errorf("site: without history, verified since = %v, want none", got)
	}
}

func TestChanges(t *testing.T) {
	h := fixtureHistory()
	type row struct {
		id       string
		kind     changeKind
		from, to status
	}
	tests := []struct {
		name       string
		prev, next *posture.Report
		want       []row
	}{
		{"scan 1 to scan 2", h[0], h[1], []row{
			{"at-rest", changeStatus, statusAttested, statusAttested},
			{"waf-review", changeStatus, statusAttested, statusUnderReview},
			{"cookies", changeAdded, "", statusUnderReview},
			{"mta-sts", changeFixed, statusUnderReview, statusVerified},
			{"caa", changeRegress, statusVerified, statusNotChecked},
			{"old-claim", changeRemoved, statusAttested, ""},
		}},
		{"scan 2 to now", h[1], fixtureReport(), []row{
			{"hsts", changeRegress, statusVerified, statusUnderReview},
			{"dmarc", changeRegress, statusVerified, statusNotVerified},
			{"waf-hidden", changeRemoved, statusVerified, ""},
		}},
		{"no change", fixtureReport(), fixtureReport(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []row
			for _, c := range changes(tt.prev, tt.next) {
				got = append(got, row{c.ControlID, c.Kind, c.From, c.To})
				if !c.At.Equal(scanTime(tt.next)) || c.ScanID != tt.next.ScanID {
					t.Errorf("site: change %s dated %v scan %s", c.ControlID, c.At, c.ScanID)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("site: changes\n got %v\nwant %v", got, tt.want)
			}
		})
	}
	// A control first seen verified is announced as new, not as fixed.
	prev, next := fixtureReport(), fixtureReport()
	dropControl(prev, "tls-modern")
	cs := changes(prev, next)
	if len(cs) != 1 || cs[0].Kind != changeAdded || cs[0].To != statusVerified {
		t.Errorf("site: changes = %+v, want tls-modern added as verified", cs)
	}
	// From attested to verified is "now verified", not "fixed".
	prev = fixtureReport()
	setControl(prev, "tls-modern", verdict(posture.Attested))
	if cs := changes(prev, fixtureReport()); len(cs) != 1 || cs[0].Kind != changeVerified {
		t.Errorf("site: changes = %+v, want tls-modern now verified", cs)
	}
}

// TestGoldenHistory builds the fixture with its history and compares the
// files the history changes with their golden copies.
func TestGoldenHistory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "site")
	if err := Build(dir, fixtureReport(), historyOptions()); err != nil {
		t.Fatal(err)
	}
	got := readTree(t, dir)
	golden := filepath.Join("testdata", "golden-history")
	for _, name := range []string{"controls.json", "feed.xml", "index.html"} {
		path := filepath.Join(golden, name)
		if *update {
			if err := os.MkdirAll(golden, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got[name], 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("site: %v (run go test ./site -run TestGoldenHistory -update)", err)
		}
		if !bytes.Equal(got[name], want) {
			t.Errorf("site: %s differs from %s (run with -update and review the diff)\n--- got ---\n%s", name, path, got[name])
		}
	}
}

// TestHistoryPage: the page says since when, only for controls verified
// now and in every scan since.
func TestHistoryPage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "site")
	if err := Build(dir, fixtureReport(), historyOptions()); err != nil {
		t.Fatal(err)
	}
	files := readTree(t, dir)
	doc := parseHTML(t, files["index.html"])
	want := map[string]string{"control-tls-modern": "2026-11-09", "control-mta-sts": "2026-11-16"}
	for _, n := range find(doc, func(n *html.Node) bool { return hasClass(n, "control") }) {
		id, _ := attr(n, "id")
		text := textOf(n)
		const lead = "verified continuously since "
		i := strings.Index(text, lead)
		switch date, ok := want[id]; {
		case ok && i < 0:
			t.Errorf("site: %s does not say since when it is verified: %q", id, text)
		case ok && !strings.HasPrefix(text[i+len(lead):], date):
			t.Errorf("site: %s says %q, want since %s", id, text[i:], date)
		case !ok && i >= 0:
			t.Errorf("site: %s says %q", id, text[i:])
		}
	}
	for name, data := range files {
		for _, s := range internalOnly {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("site: %s contains internal text %q", name, s)
			}
		}
	}
}

func TestHistoryRejected(t *testing.T) {
	late := fixtureReport() // same scan time as the current report
	zero := fixtureReport()
	zero.ScanStarted, zero.ScanFinished, zero.GeneratedAt = time.Time{}, time.Time{}, time.Time{}
	h := fixtureHistory()
	tests := []struct {
		name string
		hist []*posture.Report
		want string
	}{
		{"nil", []*posture.Report{h[0], nil}, "history report 1 is nil"},
		{"newest first", []*posture.Report{h[1], h[0]}, "history report 0 (scan 20261116T092900Z-bbbbbb"},
		{"not older than current", []*posture.Report{h[0], late}, "is not older than the current report"},
		{"no time", []*posture.Report{zero}, "has no scan time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			err := Build(filepath.Join(parent, "site"), fixtureReport(), Options{Now: fixtureNow, History: tt.hist})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "site: ") {
				t.Fatalf("site: err = %v, want one with %q", err, tt.want)
			}
			if got := listDir(t, parent); len(got) != 0 {
				t.Errorf("site: refused build left %v", got)
			}
		})
	}
}

// atomDoc reads back what RFC 4287 requires of a feed and its entries.
type atomDoc struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Author  []struct {
		Name string `xml:"name"`
	} `xml:"author"`
	Links []struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	} `xml:"link"`
	Entries []struct {
		ID      string `xml:"id"`
		Title   string `xml:"title"`
		Updated string `xml:"updated"`
		Link    struct {
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Category struct {
			Term string `xml:"term,attr"`
		} `xml:"category"`
		Content struct {
			Type string `xml:"type,attr"`
			Text string `xml:",chardata"`
		} `xml:"content"`
	} `xml:"entry"`
}

// TestFeed checks feed.xml against RFC 4287's requirements, with and
// without history and base URL.
func TestFeed(t *testing.T) {
	tests := []struct {
		name    string
		o       Options
		entries []string // category/control, newest first
	}{
		{"no history", Options{Now: fixtureNow}, nil},
		{"history", historyOptions(), []string{
			"regressed/hsts", "regressed/dmarc",
			"changed/at-rest", "changed/waf-review", "added/cookies", "fixed/mta-sts", "regressed/caa", "removed/(page)",
		}},
		{"history without base", Options{Now: fixtureNow, History: fixtureHistory()}, []string{
			"regressed/hsts", "regressed/dmarc",
			"changed/at-rest", "changed/waf-review", "added/cookies", "fixed/mta-sts", "regressed/caa", "removed/(page)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, err := render(fixtureReport(), tt.o)
			if err != nil {
				t.Fatal(err)
			}
			var data []byte
			for _, f := range files {
				if f.Path == "feed.xml" {
					data = f.Data
				}
			}
			if err := wellFormed(data); err != nil {
				t.Fatalf("site: feed.xml: %v", err)
			}
			var doc atomDoc
			if err := xml.Unmarshal(data, &doc); err != nil {
				t.Fatalf("site: feed.xml: %v", err)
			}
			if doc.ID == "" || doc.Title == "" || len(doc.Author) != 1 || doc.Author[0].Name != "Acme & Co <Security>" {
				t.Errorf("site: feed id %q title %q author %v", doc.ID, doc.Title, doc.Author)
			}
			if _, err := time.Parse(time.RFC3339, doc.Updated); err != nil || doc.Updated != "2026-11-23T09:31:00Z" {
				t.Errorf("site: feed updated %q (%v)", doc.Updated, err)
			}
			var got []string
			ids := map[string]bool{}
			for _, e := range doc.Entries {
				id := "(page)"
				if i := strings.Index(e.Link.Href, "#control-"); i >= 0 {
					id = e.Link.Href[i+len("#control-"):]
				}
				got = append(got, e.Category.Term+"/"+id)
				if !strings.HasPrefix(e.ID, "urn:uuid:") || ids[e.ID] {
					t.Errorf("site: entry id %q not a fresh urn:uuid", e.ID)
				}
				ids[e.ID] = true
				if _, err := time.Parse(time.RFC3339, e.Updated); err != nil || e.Title == "" || e.Content.Type != "text" || e.Content.Text == "" {
					t.Errorf("site: entry %s: updated %q title %q content %q", e.ID, e.Updated, e.Title, e.Content.Text)
				}
				// Only an entry about a control verified now may say so.
				says := strings.HasPrefix(e.Title, "Verified again") || strings.HasPrefix(e.Title, "Now verified") || strings.HasPrefix(e.Title, "New claim (Verified)")
				if says && e.Category.Term != "fixed" && e.Category.Term != "verified" && e.Category.Term != "added" {
					t.Errorf("site: %s entry %q says Verified", e.Category.Term, e.Title)
				}
			}
			if !slices.Equal(got, tt.entries) {
				t.Errorf("site: entries\n got %v\nwant %v", got, tt.entries)
			}
			if tt.o.BaseURL == "" && bytes.Contains(data, []byte("https://trust")) {
				t.Error("site: feed names a base URL it was not given")
			}
		})
	}
}

// TestFeedBounded: a long history gives at most maxFeedEntries entries,
// the newest.
func TestFeedBounded(t *testing.T) {
	var hist []*posture.Report
	start := fixtureDone.AddDate(0, 0, -400)
	for i := range 300 {
		h := fixtureReport()
		h.ScanFinished = start.Add(time.Duration(i) * 24 * time.Hour)
		h.ScanStarted, h.GeneratedAt = h.ScanFinished, h.ScanFinished
		if i%2 == 1 {
			setControl(h, "hsts", verdict(posture.Verified))
		}
		hist = append(hist, h)
	}
	data, err := feedXML(hist, fixtureReport(), "")
	if err != nil {
		t.Fatal(err)
	}
	var doc atomDoc
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Entries) != maxFeedEntries {
		t.Errorf("site: %d entries, want %d", len(doc.Entries), maxFeedEntries)
	}
	if doc.Entries[0].Updated != "2026-11-23T09:31:00Z" {
		t.Errorf("site: first entry dated %s, want the newest scan", doc.Entries[0].Updated)
	}
}

// wellFormed reads every token of an XML document.
func wellFormed(data []byte) error {
	if len(data) == 0 {
		return errors.New("empty")
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		if _, err := d.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}
