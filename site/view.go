package site

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vouchdev/vouch/posture"
)

// status is what the public may be told about a control. It is derived
// from the verdict, never the verdict itself: only "verified" says a claim
// holds.
type status string

const (
	statusVerified    status = "verified"
	statusAttested    status = "attested"
	statusUnderReview status = "under_review"
	statusNotVerified status = "not_verified"
	statusNotChecked  status = "not_checked"
)

// statuses lists the public statuses in summary order.
var statuses = []status{statusVerified, statusAttested, statusUnderReview, statusNotVerified, statusNotChecked}

// Label is the badge text. Every badge says in words what its colour says.
func (s status) Label() string {
	switch s {
	case statusVerified:
		return "Verified"
	case statusAttested:
		return "Attested"
	case statusUnderReview:
		return "Under review"
	case statusNotVerified:
		return "Not verified in the latest scan"
	}
	return "Not checked"
}

// summaryLabel names the status in the counts of the summary.
func (s status) summaryLabel() string {
	switch s {
	case statusVerified:
		return "verified"
	case statusAttested:
		return "attested"
	case statusUnderReview:
		return "under review"
	case statusNotVerified:
		return "not verified in the latest scan"
	}
	return "not checked"
}

// Class is the CSS class of the badge.
func (s status) Class() string { return "badge badge-" + strings.ReplaceAll(string(s), "_", "-") }

// publicStatus maps a control's verdict to what the public page may say,
// and reports whether the control appears at all.
func publicStatus(c posture.ControlResult) (status, bool) {
	if c.Control.Visibility != posture.Public {
		return "", false
	}
	switch c.Verdict {
	case posture.Verified:
		return statusVerified, true
	case posture.Attested:
		return statusAttested, true
	case posture.Contradicted:
		// Any value other than hide, the empty default included, shows
		// the statement under review: never as holding.
		if c.Control.OnContradiction == posture.HideControl {
			return "", false
		}
		return statusUnderReview, true
	case posture.Waived:
		// A waiver accepts a gap internally; it verifies nothing.
		return statusUnderReview, true
	case posture.Inconclusive:
		return statusNotVerified, true
	}
	return statusNotChecked, true
}

// entry is one public control: everything the page and controls.json say
// about it, and nothing more. Findings never reach it.
type entry struct {
	ID         string
	Section    string
	Statement  string
	Status     status
	VerifiedAt time.Time // verified only; zero when the report has none
	// VerifiedSince is the scan time from which on every scan verified
	// it (verified only; zero without history that shows it).
	VerifiedSince time.Time
	Check         string    // verified only: the id of the rule that verified it
	AttestedBy    string    // attested only
	Reviewed      time.Time // attested only
}

// entries lists the public controls of r: sections in declaration order,
// controls in declaration order within each.
func entries(r *posture.Report) []entry {
	var out []entry
	for _, c := range r.Controls {
		st, ok := publicStatus(c)
		if !ok {
			continue
		}
		e := entry{ID: c.Control.ID, Section: c.Control.Section, Statement: c.Control.Statement, Status: st}
		switch st {
		case statusVerified:
			e.VerifiedAt = c.VerifiedAt
			e.Check = ruleOf(c)
		case statusAttested:
			if a := c.Control.Attested; a != nil {
				e.AttestedBy, e.Reviewed = a.By, a.Reviewed
			}
		}
		out = append(out, e)
	}
	// Group by section, sections in first-seen order (r.Sections), so
	// that controls.json lists them as the page shows them.
	rank := map[string]int{}
	for i, s := range r.Sections() {
		rank[s] = i
	}
	sort.SliceStable(out, func(i, j int) bool { return rank[out[i].Section] < rank[out[j].Section] })
	return out
}

// ruleOf returns the id of the rule behind a verified control: its verify
// kind, or else the rule of its first finding that names one.
func ruleOf(c posture.ControlResult) string {
	if c.Control.Verify != nil && c.Control.Verify.Kind != "" {
		return c.Control.Verify.Kind
	}
	for _, f := range c.Findings {
		if f.RuleID != "" {
			return f.RuleID
		}
	}
	return ""
}

// stamp is a time as the page shows it, with its machine-readable form.
type stamp struct {
	Text     string // 2026-11-23 09:30 UTC, or 2026-10-01 for a date
	Datetime string // for <time datetime>
}

func minuteStamp(t time.Time) stamp {
	t = t.UTC()
	return stamp{Text: t.Format("2006-01-02 15:04") + " UTC", Datetime: t.Format(time.RFC3339)}
}

// dateStamp shows a date as declared, in its own zone: a review date of
// 2026-10-01 stays 2026-10-01.
func dateStamp(t time.Time) stamp {
	return stamp{Text: t.Format("2006-01-02"), Datetime: t.Format("2006-01-02")}
}

// page is everything index.html shows.
type page struct {
	Org         orgView
	Canonical   string // absolute URL of the page, or empty
	Summary     summaryView
	Sections    []sectionView
	Rules       []ruleView
	Tool        posture.Tool
	ScanID      string
	Generated   stamp
	SecurityTxt bool
}

type orgView struct {
	Name        string
	Description string
	Website     link
	Contact     link
	Logo        string // a relative path inside the site, or empty
}

type summaryView struct {
	Verified int
	Total    int
	ScanDate string // empty when the report has no scan time
	Counts   []countView
}

type countView struct {
	Status status
	N      int
}

type sectionView struct {
	Anchor   string
	Title    string
	Controls []controlView
}

type controlView struct {
	Anchor     string // control-<id>
	Statement  string
	Status     status
	VerifiedAt *stamp
	Since      *stamp // date only
	Check      *checkRef
	AttestedBy string
	Reviewed   *stamp
}

// checkRef names the check that verified a control. Anchor is empty when
// the report does not describe the rule.
type checkRef struct {
	ID     string
	Title  string
	Anchor string
}

type ruleView struct {
	Anchor   string
	ID       string
	Title    string
	Citation string
}

// scanTime is when the scan behind r ran: its end, else its start, else
// when the report was made; zero when r says nothing.
func scanTime(r *posture.Report) time.Time {
	for _, t := range []time.Time{r.ScanFinished, r.ScanStarted, r.GeneratedAt} {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// newPage builds the page of r from its public entries.
func newPage(r *posture.Report, es []entry, base string, now time.Time, securityTxt bool) page {
	org := r.Organization
	p := page{
		Org: orgView{
			Name:        org.Name,
			Description: org.Description,
			Website:     websiteLink(org.Website),
			Contact:     contactLink(org.SecurityContact),
		},
		Tool:        r.Tool,
		ScanID:      r.ScanID,
		Generated:   minuteStamp(now),
		SecurityTxt: securityTxt,
	}
	if l, ok := logoPath(org.Logo); ok {
		p.Org.Logo = l
	}
	if base != "" {
		p.Canonical = base + "/"
	}
	if t := scanTime(r); !t.IsZero() {
		p.Summary.ScanDate = t.UTC().Format("2006-01-02")
	}

	counts := map[status]int{}
	rulesUsed := map[string]bool{}
	sectionAt := map[string]int{}
	anchors := map[string]bool{}
	for _, e := range es {
		counts[e.Status]++
		cv := controlView{Anchor: "control-" + e.ID, Statement: e.Statement, Status: e.Status}
		switch e.Status {
		case statusVerified:
			if !e.VerifiedAt.IsZero() {
				s := minuteStamp(e.VerifiedAt)
				cv.VerifiedAt = &s
			}
			if !e.VerifiedSince.IsZero() {
				s := dateStamp(e.VerifiedSince.UTC())
				cv.Since = &s
			}
			if e.Check != "" {
				ref := &checkRef{ID: e.Check}
				if rule, ok := r.Rule(e.Check); ok {
					ref.Title, ref.Anchor = rule.Title, "rule-"+rule.ID
					rulesUsed[rule.ID] = true
				}
				cv.Check = ref
			}
		case statusAttested:
			cv.AttestedBy = e.AttestedBy
			if !e.Reviewed.IsZero() {
				s := dateStamp(e.Reviewed)
				cv.Reviewed = &s
			}
		}
		i, ok := sectionAt[e.Section]
		if !ok {
			i = len(p.Sections)
			sectionAt[e.Section] = i
			title := e.Section
			if title == "" {
				title = "General"
			}
			p.Sections = append(p.Sections, sectionView{Anchor: uniqueAnchor("section-"+slug(title), anchors), Title: title})
		}
		p.Sections[i].Controls = append(p.Sections[i].Controls, cv)
	}

	p.Summary.Total = len(es)
	p.Summary.Verified = counts[statusVerified]
	for _, s := range statuses {
		if counts[s] > 0 {
			p.Summary.Counts = append(p.Summary.Counts, countView{Status: s, N: counts[s]})
		}
	}

	for _, rule := range r.Rules {
		if rulesUsed[rule.ID] {
			p.Rules = append(p.Rules, ruleView{Anchor: "rule-" + rule.ID, ID: rule.ID, Title: rule.Title, Citation: rule.Citation})
			delete(rulesUsed, rule.ID) // a rule listed twice in r shows once
		}
	}
	sort.Slice(p.Rules, func(i, j int) bool { return p.Rules[i].ID < p.Rules[j].ID })
	return p
}

// slug makes an anchor from a title: lower-case letters and digits joined
// by single hyphens.
func slug(s string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			hyphen = false
		} else {
			hyphen = true
		}
	}
	if b.Len() == 0 {
		return "x"
	}
	return b.String()
}

// uniqueAnchor returns a, or a-2, a-3, ... when a is taken, and marks it taken.
func uniqueAnchor(a string, taken map[string]bool) string {
	out := a
	for n := 2; taken[out]; n++ {
		out = a + "-" + strconv.Itoa(n)
	}
	taken[out] = true
	return out
}
