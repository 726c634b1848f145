package posture

import "time"

// Declaration is what a company claims: trust.yaml, validated.
type Declaration struct {
	Version      string       `json:"version"`
	Organization Organization `json:"organization"`
	Scope        Scope        `json:"scope"`
	Controls     []Control    `json:"controls"`
	Waivers      []Waiver     `json:"waivers,omitempty"`
	// Source is the file the declaration was read from.
	Source string `json:"source,omitempty"`
}

// Organization is who publishes the trust center.
type Organization struct {
	Name            string `json:"name"`
	Website         string `json:"website,omitempty"`
	SecurityContact string `json:"security_contact,omitempty"` // mailto: or https:
	Logo            string `json:"logo,omitempty"`             // path or URL of a logo image
	Color           string `json:"color,omitempty"`            // brand colour, #rrggbb
	Description     string `json:"description,omitempty"`
}

// Scope is what vouch may touch. Nothing outside it is ever probed.
type Scope struct {
	Web           []string    `json:"web,omitempty"`  // https:// origins
	Mail          []string    `json:"mail,omitempty"` // mail domains
	DKIMSelectors []string    `json:"dkim_selectors,omitempty"`
	Exclude       []Exclusion `json:"exclude,omitempty"`
	// Passive lists web targets that must not be actively probed (WAF
	// attack-shaped requests); passive observation still runs.
	Passive []string `json:"passive,omitempty"`
	// Pages are further https:// URLs on scope.web origins (a login page)
	// that the HTTP scan also fetches, within a budget, for the cookies
	// and headers they send.
	Pages []string `json:"pages,omitempty"`
	// MailSenders are IP addresses that send mail for the mail domains:
	// SPF must pass them (check_host, RFC 7208 §4).
	MailSenders []string `json:"mail_senders,omitempty"`
}

// Targets returns the scope's targets, web first, minus exclusions.
func (s Scope) Targets() []Target {
	excluded := map[string]bool{}
	for _, e := range s.Exclude {
		excluded[e.Address] = true
	}
	var out []Target
	for _, w := range s.Web {
		if !excluded[w] {
			out = append(out, Target{Kind: TargetWeb, Address: w})
		}
	}
	for _, m := range s.Mail {
		if !excluded[m] {
			out = append(out, Target{Kind: TargetMail, Address: m})
		}
	}
	return out
}

// Visibility says who sees a control.
type Visibility string

const (
	Public   Visibility = "public"
	Internal Visibility = "internal"
)

// OnContradiction says what the public page shows when a control is
// contradicted. It never shows the claim as holding.
type OnContradiction string

// SectionSep joins the parts of a nested section in Control.Section.
const SectionSep = " › "

// MaxSectionDepth is how deeply sections nest: a page's h2 to h5.
const MaxSectionDepth = 4

// Path returns the section's headings, outermost first: SectionPath, or
// Section alone.
func (c Control) Path() []string {
	if len(c.SectionPath) > 0 {
		return c.SectionPath
	}
	if c.Section == "" {
		return nil
	}
	return []string{c.Section}
}

const (
	ShowUnderReview OnContradiction = "under_review"
	HideControl     OnContradiction = "hide"
)

// Control is one claim.
type Control struct {
	ID string `json:"id"`
	// Section is the heading the control is shown under. For a nested
	// heading it is the whole path joined by SectionSep ("Data
	// Encryption › Encryption in Transit"), and SectionPath holds its
	// parts, outermost first; SectionPath is empty for one level.
	Section     string   `json:"section"`
	SectionPath []string `json:"section_path,omitempty"`
	Statement   string   `json:"statement"`
	// Exactly one of Verify and Attested is set.
	Verify   *Verify      `json:"verify,omitempty"`
	Attested *Attestation `json:"attested,omitempty"`
	// Mappings are framework ids such as SOC2:CC6.7 or ISO27001:A.8.24,
	// added to those the check suggests.
	Mappings   []string   `json:"mappings,omitempty"`
	Visibility Visibility `json:"visibility"`
	// Severity, when set, raises the severity of the check's findings.
	Severity        Severity        `json:"severity,omitempty"`
	OnContradiction OnContradiction `json:"on_contradiction,omitempty"`
	// Targets, when set, limits the control to these scope entries;
	// otherwise it applies to every target of the check's kind.
	Targets []string `json:"targets,omitempty"`
}

// Verify names the check that verifies a control and its parameters.
type Verify struct {
	Kind   string            `json:"kind"` // e.g. tls.min_version
	Params map[string]string `json:"params,omitempty"`
}

// Attestation is the company's own word for a control that cannot be
// observed from outside.
type Attestation struct {
	By       string    `json:"by"`
	Reviewed time.Time `json:"reviewed"`
	Evidence string    `json:"evidence,omitempty"`
}

// Waiver accepts a gap for one control (and optionally one target) until
// it expires.
type Waiver struct {
	Control  string    `json:"control"`
	Target   string    `json:"target,omitempty"` // empty: every target
	Reason   string    `json:"reason"`
	Approver string    `json:"approver"`
	Expires  time.Time `json:"expires"`
}

// Applies reports whether the waiver covers control id on target at time now.
func (w Waiver) Applies(control, target string, now time.Time) bool {
	if w.Control != control || (w.Target != "" && w.Target != target) {
		return false
	}
	return now.Before(w.Expires)
}
