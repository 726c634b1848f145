package report

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"time"

	"github.com/vouchdev/vouch/posture"
)

// SARIF 2.1.0 (OASIS, https://docs.oasis-open.org/sarif/sarif/v2.1.0/):
// only the objects vouch fills.
const (
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifVersion = "2.1.0"
	toolInfoURI  = "https://github.com/vouchdev/vouch"
	// declarationURI is the file results point at: code-scanning services
	// require a physical location, and a control lives in trust.yaml.
	declarationURI = "trust.yaml"
	// fingerprintKey names vouch's partial fingerprint; bump the suffix
	// only if the fingerprint's inputs change.
	fingerprintKey = "vouch/v1"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations,omitempty"`
	Results     []sarifResult     `json:"results"`
	Properties  map[string]string `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool   `json:"executionSuccessful"`
	StartTimeUTC        string `json:"startTimeUtc,omitempty"`
	EndTimeUTC          string `json:"endTimeUtc,omitempty"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string              `json:"id"`
	ShortDescription     sarifText           `json:"shortDescription"`
	FullDescription      sarifText           `json:"fullDescription"`
	Help                 sarifText           `json:"help"`
	HelpURI              string              `json:"helpUri,omitempty"`
	DefaultConfiguration sarifConfiguration  `json:"defaultConfiguration"`
	Properties           sarifRuleProperties `json:"properties"`
}

type sarifConfiguration struct {
	Level string `json:"level"`
}

type sarifRuleProperties struct {
	// Tags are "security" (GitHub reads security-severity only on rules
	// tagged so) and the rule's framework mappings.
	Tags []string `json:"tags"`
	// SecuritySeverity is GitHub code scanning's 0.0–10.0 score.
	SecuritySeverity string `json:"security-severity,omitempty"`
	// Precision: a gap is an observation, not a heuristic.
	Precision string `json:"precision"`
	Citation  string `json:"citation,omitempty"`
}

type sarifResult struct {
	RuleID              string                `json:"ruleId"`
	RuleIndex           int                   `json:"ruleIndex"`
	Kind                string                `json:"kind"`
	Level               string                `json:"level"`
	Message             sarifText             `json:"message"`
	Locations           []sarifLocation       `json:"locations"`
	PartialFingerprints map[string]string     `json:"partialFingerprints"`
	Properties          sarifResultProperties `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical  `json:"physicalLocation"`
	LogicalLocations []sarifLogical `json:"logicalLocations"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifResultProperties struct {
	Control  string   `json:"control"`
	Target   string   `json:"target,omitempty"`
	Severity string   `json:"severity,omitempty"`
	Code     string   `json:"code,omitempty"`
	Evidence []string `json:"evidence,omitempty"`
}

// sarifLevel maps a severity to a SARIF level for a failing result.
func sarifLevel(s posture.Severity) string {
	switch s {
	case posture.SeverityCritical, posture.SeverityHigh:
		return "error"
	case posture.SeverityLow, posture.SeverityInfo:
		return "note"
	}
	return "warning"
}

// securitySeverity maps a severity into GitHub's bands (critical > 9.0,
// high 7.0–8.9, medium 4.0–6.9, low 0.1–3.9); info gets none.
func securitySeverity(s posture.Severity) string {
	switch s {
	case posture.SeverityCritical:
		return "9.5"
	case posture.SeverityHigh:
		return "8.0"
	case posture.SeverityMedium:
		return "5.5"
	case posture.SeverityLow:
		return "3.0"
	}
	return ""
}

// fingerprint identifies a gap across runs: same control, target and
// issue code, same fingerprint, whatever the wording or the time.
func fingerprint(f posture.Finding) string {
	h := sha256.Sum256([]byte(f.ControlID + "|" + f.Target + "|" + string(f.Code)))
	return hex.EncodeToString(h[:])
}

func writeSARIF(w io.Writer, r *posture.Report) error {
	driver := sarifDriver{Name: "vouch", Version: r.Tool.Version, InformationURI: toolInfoURI, Rules: []sarifRule{}}
	index := map[string]int{}
	addRule := func(x posture.Rule) {
		if _, ok := index[x.ID]; ok {
			return
		}
		index[x.ID] = len(driver.Rules)
		driver.Rules = append(driver.Rules, sarifRuleOf(x))
	}
	for _, x := range r.Rules {
		addRule(x)
	}

	results := []sarifResult{}
	for _, c := range r.Controls {
		for _, f := range c.Findings {
			if f.Verdict != posture.Contradicted && f.Verdict != posture.Inconclusive {
				continue
			}
			id := ruleID(c, f)
			if _, ok := index[id]; !ok {
				// A finding whose rule the report does not describe still
				// needs one: SARIF consumers look results up by rule.
				addRule(posture.Rule{ID: id, Title: c.Control.Statement, Severity: f.Severity, Remediation: f.Remediation, Mappings: f.Mappings})
			}
			results = append(results, sarifResultOf(c, f, id, index[id]))
		}
	}

	run := sarifRun{Tool: sarifTool{Driver: driver}, Results: results}
	if !r.ScanStarted.IsZero() || !r.ScanFinished.IsZero() {
		run.Invocations = []sarifInvocation{{
			ExecutionSuccessful: true,
			StartTimeUTC:        sarifTime(r.ScanStarted),
			EndTimeUTC:          sarifTime(r.ScanFinished),
		}}
	}
	if r.ScanID != "" {
		run.Properties = map[string]string{"scan_id": r.ScanID}
	}
	b, err := marshalIndent(sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}})
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

func sarifTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// ruleID is the rule a finding answers to: its own, else the control's
// verify kind, else one named after the control.
func ruleID(c posture.ControlResult, f posture.Finding) string {
	switch {
	case f.RuleID != "":
		return f.RuleID
	case c.Control.Verify != nil && c.Control.Verify.Kind != "":
		return c.Control.Verify.Kind
	}
	return "vouch.control." + c.Control.ID
}

func sarifRuleOf(x posture.Rule) sarifRule {
	full := x.Description
	if full == "" {
		full = x.Title
	}
	if x.Citation != "" {
		full += " (" + x.Citation + ")"
	}
	help := x.Remediation
	if help == "" {
		help = x.Title
	}
	rule := sarifRule{
		ID:                   x.ID,
		ShortDescription:     sarifText{Text: x.Title},
		FullDescription:      sarifText{Text: full},
		Help:                 sarifText{Text: help},
		DefaultConfiguration: sarifConfiguration{Level: sarifLevel(x.Severity)},
		Properties: sarifRuleProperties{
			Tags:             append([]string{"security"}, x.Mappings...),
			Precision:        "very-high",
			SecuritySeverity: securitySeverity(x.Severity),
			Citation:         x.Citation,
		},
	}
	if strings.HasPrefix(x.Citation, "https://") {
		rule.HelpURI = x.Citation
	}
	return rule
}

func sarifResultOf(c posture.ControlResult, f posture.Finding, rule string, idx int) sarifResult {
	res := sarifResult{
		RuleID:    rule,
		RuleIndex: idx,
		Message:   sarifText{Text: sarifMessage(c, f)},
		Locations: []sarifLocation{{
			PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: declarationURI},
				Region:           sarifRegion{StartLine: 1},
			},
			LogicalLocations: []sarifLogical{{
				Name:               c.Control.ID,
				FullyQualifiedName: "controls/" + c.Control.ID,
				Kind:               "object",
			}},
		}},
		PartialFingerprints: map[string]string{fingerprintKey: fingerprint(f)},
		Properties: sarifResultProperties{
			Control:  c.Control.ID,
			Target:   f.Target,
			Severity: string(f.Severity),
			Code:     string(f.Code),
			Evidence: f.Evidence,
		},
	}
	if f.Verdict == posture.Contradicted {
		res.Kind, res.Level = "fail", sarifLevel(f.Severity)
	} else {
		res.Kind, res.Level = "review", "none"
	}
	return res
}

// sarifMessage is one plain sentence: control, target, what was expected
// and what was seen (or why nothing was).
func sarifMessage(c posture.ControlResult, f posture.Finding) string {
	var b strings.Builder
	b.WriteString("Control " + c.Control.ID)
	if f.Target != "" {
		b.WriteString(" on " + f.Target)
	}
	if f.Verdict == posture.Inconclusive {
		b.WriteString(": " + observed(f) + ".")
		return b.String()
	}
	b.WriteString(" is contradicted")
	if f.Message != "" {
		b.WriteString(": " + f.Message)
	}
	b.WriteString(".")
	if f.Expected != "" {
		b.WriteString(" Expected: " + f.Expected + ".")
	}
	if f.Observed != "" {
		b.WriteString(" Observed: " + f.Observed + ".")
	}
	if f.WaiverExpired != nil {
		b.WriteString(" The " + expiredText(f.WaiverExpired) + ".")
	}
	return b.String()
}
