package report

import (
	_ "embed"
	"html/template"
	"io"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

//go:embed html.tmpl
var htmlSource string

// htmlPage is parsed once; html/template escapes each value for where it
// lands (text, attribute), so declared or observed text cannot add markup.
var htmlPage = template.Must(template.New("report").Parse(htmlSource))

type htmlView struct {
	Title     string
	Org       posture.Organization
	ScanID    string
	Tool      string
	Generated string
	Started   string
	Finished  string
	Scope     []posture.Target
	Excluded  []posture.Exclusion
	Total     int
	Counts    []htmlCount
	Gaps      []htmlGap
	Sections  []htmlSection
	// Frameworks groups the same controls by framework requirement.
	Frameworks []htmlFramework
}

type htmlFramework struct {
	Name string
	Rows []htmlFrameworkRow
}

type htmlFrameworkRow struct {
	Ref     string
	Control string
	Anchor  string
	Verdict string
	Class   string
	Section string
}

type htmlCount struct {
	Label string
	Class string
	N     int
}

type htmlGap struct {
	Control  string
	Anchor   string
	Target   string
	Verdict  string
	Class    string
	Severity string
	Observed string
}

type htmlSection struct {
	Name     string
	Controls []htmlControl
}

type htmlControl struct {
	ID         string
	Anchor     string
	Statement  string
	Verdict    string
	Class      string
	Severity   string
	Internal   bool
	Mappings   string
	Attested   string
	VerifiedAt string
	Findings   []htmlFinding
}

type htmlFinding struct {
	Target        string
	Verdict       string
	Class         string
	Severity      string
	Code          string
	Message       string
	Expected      string
	Observed      string
	Evidence      []string
	Remediation   string
	Waiver        string
	WaiverExpired string
	ObservedAt    string
}

// anchor makes a fragment id from a control id: letters, digits and
// dashes, so that it is a valid id whatever the control is called.
func anchor(id string) string {
	var b strings.Builder
	b.WriteString("control-")
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

func writeHTML(w io.Writer, r *posture.Report) error {
	v := htmlView{
		Title:     "Security gap report",
		Org:       r.Organization,
		ScanID:    r.ScanID,
		Tool:      strings.TrimSpace(r.Tool.Name + " " + r.Tool.Version),
		Generated: stamp(r.GeneratedAt),
		Started:   stamp(r.ScanStarted),
		Finished:  stamp(r.ScanFinished),
		Scope:     r.Scope,
		Excluded:  r.Excluded,
		Total:     len(r.Controls),
	}
	if r.Organization.Name != "" {
		v.Title += ": " + r.Organization.Name
	}
	for _, c := range counts(r) {
		v.Counts = append(v.Counts, htmlCount{Label: label(c.Verdict), Class: string(c.Verdict), N: c.N})
	}
	for _, g := range gaps(r) {
		f := g.Finding
		obs := observed(f)
		if f.WaiverExpired != nil {
			obs += " (" + expiredText(f.WaiverExpired) + ")"
		}
		v.Gaps = append(v.Gaps, htmlGap{
			Control: g.Control.Control.ID, Anchor: anchor(g.Control.Control.ID),
			Target: f.Target, Verdict: label(f.Verdict), Class: string(f.Verdict),
			Severity: string(f.Severity), Observed: obs,
		})
	}
	for _, name := range r.Sections() {
		s := htmlSection{Name: name}
		for _, c := range r.Controls {
			if c.Control.Section == name {
				s.Controls = append(s.Controls, htmlControlOf(c))
			}
		}
		v.Sections = append(v.Sections, s)
	}
	for _, g := range frameworks(r) {
		hf := htmlFramework{Name: g.Name}
		for _, req := range g.Requirements {
			for _, c := range req.Controls {
				hf.Rows = append(hf.Rows, htmlFrameworkRow{
					Ref: req.Ref, Control: c.Control.ID, Anchor: anchor(c.Control.ID),
					Verdict: label(c.Verdict), Class: string(c.Verdict), Section: c.Control.Section,
				})
			}
		}
		v.Frameworks = append(v.Frameworks, hf)
	}
	return htmlPage.Execute(w, v)
}

func htmlControlOf(c posture.ControlResult) htmlControl {
	hc := htmlControl{
		ID: c.Control.ID, Anchor: anchor(c.Control.ID), Statement: c.Control.Statement,
		Verdict: label(c.Verdict), Class: string(c.Verdict), Severity: string(c.Severity),
		Internal: c.Control.Visibility != posture.Public,
		Mappings: strings.Join(c.Control.Mappings, ", "),
	}
	if c.Control.Attested != nil {
		hc.Attested = attestedText(c.Control.Attested)
	}
	if c.Verdict == posture.Verified {
		hc.VerifiedAt = stamp(c.VerifiedAt)
	}
	for _, f := range c.Findings {
		hf := htmlFinding{
			Target: f.Target, Verdict: label(f.Verdict), Class: string(f.Verdict),
			Severity: string(f.Severity), Code: string(f.Code), Message: f.Message,
			Expected: f.Expected, Observed: f.Observed, Evidence: f.Evidence,
			Remediation: f.Remediation, ObservedAt: stamp(f.ObservedAt),
		}
		if f.Verdict == posture.Inconclusive {
			hf.Observed = observed(f) // why nothing was observed
		}
		if f.Waiver != nil {
			hf.Waiver = waiverText(f.Waiver)
		}
		if f.WaiverExpired != nil {
			hf.WaiverExpired = expiredText(f.WaiverExpired)
		}
		hc.Findings = append(hc.Findings, hf)
	}
	return hc
}
