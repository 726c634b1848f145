package posture

import (
	"sort"
	"time"
)

// Rule describes a check: what it verifies and how to fix a gap. Rule IDs
// are API (SARIF rules, baselines, waivers): never renamed.
type Rule struct {
	ID          string   `json:"id"`    // e.g. tls.min_version; equals the verify kind
	Title       string   `json:"title"` // short, imperative
	Description string   `json:"description,omitempty"`
	Citation    string   `json:"citation"` // RFC section, guideline
	Severity    Severity `json:"severity"`
	Remediation string   `json:"remediation"`
	Mappings    []string `json:"mappings,omitempty"` // suggested framework ids
	// Params declares the parameters a control's verify may give.
	Params []Param `json:"params,omitempty"`
	// Needs says what must be observed to judge the rule: which scanner,
	// on which targets, with its active probe or not.
	Needs []Need `json:"needs,omitempty"`
	// Claim is an example of the public claim the rule verifies, in the
	// words a security page uses.
	Claim string `json:"claim,omitempty"`
}

// Param returns the declared parameter called name.
func (r Rule) Param(name string) (Param, bool) {
	for _, p := range r.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// Finding is the verdict of one rule for one control on one target.
type Finding struct {
	ControlID string   `json:"control_id"`
	RuleID    string   `json:"rule_id,omitempty"`
	Target    string   `json:"target,omitempty"`
	Verdict   Verdict  `json:"verdict"`
	Severity  Severity `json:"severity"`
	// Code is a stable issue code for a gap, such as tls.protocol.tls10_enabled.
	Code     Code   `json:"code,omitempty"`
	Expected string `json:"expected,omitempty"`
	Observed string `json:"observed,omitempty"`
	Message  string `json:"message,omitempty"`
	// Reason is set for inconclusive findings.
	Reason      *Missing  `json:"reason,omitempty"`
	Remediation string    `json:"remediation,omitempty"`
	Evidence    []string  `json:"evidence,omitempty"` // Evidence IDs in the snapshot
	Mappings    []string  `json:"mappings,omitempty"`
	ObservedAt  time.Time `json:"observed_at,omitzero"`
	Waiver      *Waiver   `json:"waiver,omitempty"`
	// WaiverExpired is set when a waiver named this finding but expired.
	WaiverExpired *Waiver `json:"waiver_expired,omitempty"`
}

// ControlResult is one control with its combined verdict and findings.
type ControlResult struct {
	Control  Control   `json:"control"`
	Verdict  Verdict   `json:"verdict"`
	Severity Severity  `json:"severity,omitempty"`
	Findings []Finding `json:"findings,omitempty"`
	// VerifiedAt is the time of the newest observation behind a verified
	// verdict; zero otherwise.
	VerifiedAt time.Time `json:"verified_at,omitzero"`
}

// Summary counts controls by verdict.
type Summary map[Verdict]int

// Report is the judgement of one Snapshot against one Declaration.
type Report struct {
	SchemaVersion string          `json:"schema_version"`
	ScanID        string          `json:"scan_id"`
	Tool          Tool            `json:"tool"`
	GeneratedAt   time.Time       `json:"generated_at"`
	ScanStarted   time.Time       `json:"scan_started,omitzero"`
	ScanFinished  time.Time       `json:"scan_finished,omitzero"`
	Organization  Organization    `json:"organization"`
	Scope         []Target        `json:"scope,omitempty"`
	Excluded      []Exclusion     `json:"excluded,omitempty"`
	Resolver      string          `json:"resolver,omitempty"`
	Controls      []ControlResult `json:"controls"`
	Rules         []Rule          `json:"rules,omitempty"`
	Summary       Summary         `json:"summary"`
}

// Summarize recomputes r.Summary from r.Controls.
func (r *Report) Summarize() {
	r.Summary = Summary{}
	for _, c := range r.Controls {
		r.Summary[c.Verdict]++
	}
}

// Sections returns the control sections in first-seen order.
func (r *Report) Sections() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range r.Controls {
		if !seen[c.Control.Section] {
			seen[c.Control.Section] = true
			out = append(out, c.Control.Section)
		}
	}
	return out
}

// Rule returns the rule with the given id.
func (r *Report) Rule(id string) (Rule, bool) {
	for _, x := range r.Rules {
		if x.ID == id {
			return x, true
		}
	}
	return Rule{}, false
}

// Failing returns the contradicted controls whose severity is at least min,
// sorted by control id.
func (r *Report) Failing(min Severity) []ControlResult {
	var out []ControlResult
	for _, c := range r.Controls {
		if c.Verdict == Contradicted && c.Severity.Rank() >= min.Rank() {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Control.ID < out[j].Control.ID })
	return out
}

// Inconclusive returns the inconclusive controls whose severity is at
// least min, sorted by control id: what could not be observed.
func (r *Report) Inconclusive(min Severity) []ControlResult {
	var out []ControlResult
	for _, c := range r.Controls {
		if c.Verdict == Inconclusive && c.Severity.Rank() >= min.Rank() {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Control.ID < out[j].Control.ID })
	return out
}
