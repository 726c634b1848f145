package site

import (
	"crypto/sha256"
	"encoding/xml"
	"fmt"
	"time"

	"github.com/vouchdev/vouch/posture"
)

// maxFeedEntries bounds feed.xml: the newest changes only.
const maxFeedEntries = 200

// maxHistory bounds how many earlier reports Build reads.
const maxHistory = 10000

// checkHistory wants the earlier reports oldest first, each scanned
// strictly before the next and before r: a "since" date read from a
// history out of order would be false.
func checkHistory(hist []*posture.Report, r *posture.Report) error {
	if len(hist) > maxHistory {
		return fmt.Errorf("site: %d history reports, at most %d", len(hist), maxHistory)
	}
	for i, h := range hist {
		if h == nil {
			return fmt.Errorf("site: history report %d is nil", i)
		}
	}
	all := append(append([]*posture.Report{}, hist...), r)
	for i, h := range hist {
		t, next := scanTime(h), scanTime(all[i+1])
		if t.IsZero() {
			return fmt.Errorf("site: history report %d (scan %s) has no scan time", i, h.ScanID)
		}
		if !t.Before(next) {
			what := fmt.Sprintf("history report %d", i+1)
			if i == len(hist)-1 {
				what = "the current report"
			}
			return fmt.Errorf("site: history report %d (scan %s, %s) is not older than %s (%s): give history oldest first",
				i, h.ScanID, t.UTC().Format(time.RFC3339), what, next.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

// publicState is what the page of one report said about one control.
type publicState struct {
	Statement string
	Status    status
}

// publicStates maps control id to its public state in r; controls the page
// did not show are absent.
func publicStates(r *posture.Report) map[string]publicState {
	out := map[string]publicState{}
	for _, c := range r.Controls {
		if st, ok := publicStatus(c); ok {
			out[c.Control.ID] = publicState{Statement: c.Control.Statement, Status: st}
		}
	}
	return out
}

// verifiedSince returns, for each control verified in r, the scan time of
// the oldest report from which on every report, r included, showed it
// verified with the same statement. A control verified in r alone, or
// after a report that did not verify it, has no entry: its "since" would
// be the scan the page already names.
func verifiedSince(hist []*posture.Report, r *posture.Report) map[string]time.Time {
	out := map[string]time.Time{}
	cur := publicStates(r)
	states := make([]map[string]publicState, len(hist))
	for i, h := range hist {
		states[i] = publicStates(h)
	}
	for id, s := range cur {
		if s.Status != statusVerified {
			continue
		}
		var since time.Time
		for i := len(hist) - 1; i >= 0; i-- {
			p, ok := states[i][id]
			if !ok || p.Status != statusVerified || p.Statement != s.Statement {
				break
			}
			since = scanTime(hist[i])
		}
		if !since.IsZero() {
			out[id] = since
		}
	}
	return out
}

// changeKind is what happened to a public control between two scans.
type changeKind string

const (
	changeAdded    changeKind = "added"     // newly shown on the page
	changeRemoved  changeKind = "removed"   // no longer shown
	changeRegress  changeKind = "regressed" // was verified, is not now
	changeFixed    changeKind = "fixed"     // was under review or not verified, is verified now
	changeVerified changeKind = "verified"  // verified for the first time after another status
	changeStatus   changeKind = "changed"   // any other change of status or statement
)

// change is one announcement of feed.xml.
type change struct {
	Kind      changeKind
	ControlID string
	Statement string
	From, To  status // empty when absent
	ScanID    string
	At        time.Time
}

func (c change) title() string {
	switch c.Kind {
	case changeAdded:
		return "New claim (" + c.To.Label() + "): " + c.Statement
	case changeRemoved:
		return "Claim withdrawn: " + c.Statement
	case changeRegress:
		return "No longer verified (" + c.To.Label() + "): " + c.Statement
	case changeFixed:
		return "Verified again: " + c.Statement
	case changeVerified:
		return "Now verified: " + c.Statement
	}
	if c.From == c.To {
		return "Claim reworded (" + c.To.Label() + "): " + c.Statement
	}
	return "Now " + c.To.summaryLabel() + ": " + c.Statement
}

func (c change) text() string {
	var s string
	switch {
	case c.From == "":
		s = fmt.Sprintf("The claim %q was added to the trust center with the status %q.", c.Statement, c.To.Label())
	case c.To == "":
		s = fmt.Sprintf("The claim %q (last shown as %q) is no longer on the trust center.", c.Statement, c.From.Label())
	case c.From == c.To:
		s = fmt.Sprintf("The claim was reworded to %q; its status is still %q.", c.Statement, c.To.Label())
	default:
		s = fmt.Sprintf("The claim %q changed from %q to %q.", c.Statement, c.From.Label(), c.To.Label())
	}
	if c.To != "" {
		s += " " + legend(c.To)
	}
	return s + fmt.Sprintf(" Scan %s, %s.", c.ScanID, minuteStamp(c.At).Text)
}

// changes lists what changed on the public page from prev to next, in
// next's declaration order, removed controls last in prev's order.
func changes(prev, next *posture.Report) []change {
	before, after := publicStates(prev), publicStates(next)
	at, scan := scanTime(next), next.ScanID
	var out []change
	for _, c := range next.Controls {
		id := c.Control.ID
		a, ok := after[id]
		if !ok {
			continue
		}
		delete(after, id) // a duplicate id is announced once
		b, was := before[id]
		ch := change{ControlID: id, Statement: a.Statement, To: a.Status, ScanID: scan, At: at}
		switch {
		case !was:
			ch.Kind = changeAdded
		case b.Status == a.Status && b.Statement == a.Statement:
			continue
		case b.Status == statusVerified && a.Status != statusVerified:
			ch.Kind = changeRegress
		case a.Status == statusVerified && (b.Status == statusUnderReview || b.Status == statusNotVerified):
			ch.Kind = changeFixed
		case a.Status == statusVerified && b.Status != statusVerified:
			ch.Kind = changeVerified
		default:
			ch.Kind = changeStatus
		}
		ch.From = b.Status
		out = append(out, ch)
	}
	now := publicStates(next)
	seen := map[string]bool{}
	for _, c := range prev.Controls {
		id := c.Control.ID
		b, was := before[id]
		if _, still := now[id]; !was || still || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, change{Kind: changeRemoved, ControlID: id, Statement: b.Statement, From: b.Status, ScanID: scan, At: at})
	}
	return out
}

// Atom (RFC 4287) elements of feed.xml. encoding/xml escapes every text
// and attribute, and replaces characters XML cannot carry.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Author  atomPerson  `xml:"author"`
	Links   []atomLink  `xml:"link"`
	Gen     atomGen     `xml:"generator"`
	Entries []atomEntry `xml:"entry"`
}

type atomPerson struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomGen struct {
	Version string `xml:"version,attr,omitempty"`
	Name    string `xml:",chardata"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Text string `xml:",chardata"`
}

type atomEntry struct {
	ID       string       `xml:"id"`
	Title    string       `xml:"title"`
	Updated  string       `xml:"updated"`
	Link     atomLink     `xml:"link"`
	Category atomCategory `xml:"category"`
	Content  atomText     `xml:"content"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

// feedXML makes feed.xml (Atom, RFC 4287): one entry per change of the
// public page between consecutive reports of hist and r, newest first.
// With no history it has no entries. A control that r declares but keeps
// off the page (hidden on contradiction, or internal) appears in no entry,
// past ones included: the feed says no more than the page may. A control
// no longer declared at all is announced as withdrawn. Ids are urn:uuid: values derived from
// the organisation, scan and control, so an entry keeps its id from one
// build to the next (RFC 4287 section 4.2.6).
func feedXML(hist []*posture.Report, r *posture.Report, base string) ([]byte, error) {
	all := append(append([]*posture.Report{}, hist...), r)
	offPage := map[string]bool{}
	shown := publicStates(r)
	for _, c := range r.Controls {
		if _, ok := shown[c.Control.ID]; !ok {
			offPage[c.Control.ID] = true
		}
	}
	var cs []change
	for i := len(all) - 1; i > 0 && len(cs) < maxFeedEntries; i-- {
		for _, c := range changes(all[i-1], all[i]) {
			if !offPage[c.ControlID] {
				cs = append(cs, c)
			}
		}
	}
	if len(cs) > maxFeedEntries {
		cs = cs[:maxFeedEntries]
	}
	org := r.Organization.Name
	page := "index.html"
	if base != "" {
		page = base + "/"
	}
	f := atomFeed{
		ID:      feedID(org, base),
		Title:   titleOf(page0(org)) + " — changes",
		Updated: atomTime(scanTime(r)),
		Author:  atomPerson{Name: orgName(page0(org))},
		Links:   []atomLink{{Rel: "alternate", Type: "text/html", Href: page}},
		Gen:     atomGen{Name: toolNameOf(r.Tool), Version: r.Tool.Version},
	}
	if base != "" {
		f.Links = append(f.Links, atomLink{Rel: "self", Type: "application/atom+xml", Href: base + "/feed.xml"})
		f.Author.URI = base + "/"
	}
	for _, c := range cs {
		href := page + "#control-" + c.ControlID
		if c.Kind == changeRemoved {
			href = page // the page no longer has it
		}
		f.Entries = append(f.Entries, atomEntry{
			ID:       uuidURN("entry", org, c.ScanID, c.ControlID, string(c.Kind)),
			Title:    c.title(),
			Updated:  atomTime(c.At),
			Link:     atomLink{Rel: "alternate", Type: "text/html", Href: href},
			Category: atomCategory{Term: string(c.Kind)},
			Content:  atomText{Type: "text", Text: c.text()},
		})
	}
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("site: feed.xml: %w", err)
	}
	return append(append([]byte(xml.Header), out...), '\n'), nil
}

// page0 is a page with only the organisation name, for the title helpers.
func page0(org string) page { return page{Org: orgView{Name: org}} }

func toolNameOf(t posture.Tool) string {
	if t.Name == "" {
		return "vouch"
	}
	return t.Name
}

// atomTime is an RFC 3339 date-time in UTC (RFC 4287 section 3.3). A
// report without any time gives the Unix epoch rather than an invalid feed.
func atomTime(t time.Time) string {
	if t.IsZero() {
		t = time.Unix(0, 0)
	}
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

func feedID(org, base string) string {
	if base != "" {
		return base + "/feed.xml"
	}
	return uuidURN("feed", org)
}

// uuidURN makes a name-based urn:uuid (RFC 9562 section 5.8 layout, SHA-256
// of the parts) that stays the same for the same parts.
func uuidURN(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	u := h.Sum(nil)[:16]
	u[6] = u[6]&0x0f | 0x80 // version 8, custom
	u[8] = u[8]&0x3f | 0x80 // variant 10
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
