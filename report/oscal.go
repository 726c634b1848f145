package report

import (
	"crypto/sha1"
	"encoding/hex"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/vouchdev/vouch/posture"
)

// OSCAL assessment results, NIST OSCAL 1.1.2
// (https://pages.nist.gov/OSCAL/resources/concepts/layer/assessment/assessment-results/):
// only the assemblies vouch fills. One result per report; one finding per
// control (its objective satisfied or not), backed by one observation per
// vouch finding, whose relevant-evidence names the raw evidence in the
// bundle. UUIDs are name-based (RFC 9562 §5.5, version 5: SHA-1 of a fixed
// namespace and a name built from the scan id and the item's ids), so the
// same report always gives the same document.
const (
	oscalVersion = "1.1.2"
	// oscalNS namespaces vouch's props, as OSCAL asks of non-NIST names.
	oscalNS = "https://github.com/vouchdev/vouch/ns/oscal"
)

// oscalNamespace is the UUID namespace of vouch's name-based UUIDs.
var oscalNamespace = [16]byte{0x6f, 0x2b, 0x1c, 0x4e, 0x93, 0x0a, 0x5d, 0x47, 0x8e, 0x21, 0x3c, 0x55, 0x7a, 0x90, 0xb4, 0x12}

// nameUUID is the version-5 UUID of name in vouch's namespace.
func nameUUID(parts ...string) string {
	h := sha1.New()
	h.Write(oscalNamespace[:])
	h.Write([]byte(strings.Join(parts, "\x00")))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	s := hex.EncodeToString(u[:])
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

type oscalDoc struct {
	AssessmentResults oscalAR `json:"assessment-results"`
}

type oscalAR struct {
	UUID     string        `json:"uuid"`
	Metadata oscalMetadata `json:"metadata"`
	ImportAP oscalImportAP `json:"import-ap"`
	Results  []oscalResult `json:"results"`
}

type oscalMetadata struct {
	Title        string      `json:"title"`
	LastModified string      `json:"last-modified"`
	Version      string      `json:"version"`
	OSCALVersion string      `json:"oscal-version"`
	Props        []oscalProp `json:"props,omitempty"`
}

type oscalImportAP struct {
	Href    string `json:"href"`
	Remarks string `json:"remarks,omitempty"`
}

type oscalProp struct {
	Name  string `json:"name"`
	NS    string `json:"ns,omitempty"`
	Value string `json:"value"`
}

type oscalResult struct {
	UUID             string             `json:"uuid"`
	Title            string             `json:"title"`
	Description      string             `json:"description"`
	Start            string             `json:"start"`
	End              string             `json:"end,omitempty"`
	Props            []oscalProp        `json:"props,omitempty"`
	ReviewedControls oscalReviewed      `json:"reviewed-controls"`
	Observations     []oscalObservation `json:"observations,omitempty"`
	Findings         []oscalFinding     `json:"findings,omitempty"`
	Remarks          string             `json:"remarks,omitempty"`
}

type oscalReviewed struct {
	ControlSelections []oscalSelection `json:"control-selections"`
}

type oscalSelection struct {
	IncludeAll      *struct{}        `json:"include-all,omitempty"`
	IncludeControls []oscalControlID `json:"include-controls,omitempty"`
}

type oscalControlID struct {
	ControlID string `json:"control-id"`
}

type oscalObservation struct {
	UUID             string          `json:"uuid"`
	Title            string          `json:"title,omitempty"`
	Description      string          `json:"description"`
	Props            []oscalProp     `json:"props,omitempty"`
	Methods          []string        `json:"methods"`
	RelevantEvidence []oscalEvidence `json:"relevant-evidence,omitempty"`
	Collected        string          `json:"collected"`
	Remarks          string          `json:"remarks,omitempty"`
}

type oscalEvidence struct {
	Href        string      `json:"href,omitempty"`
	Description string      `json:"description"`
	Props       []oscalProp `json:"props,omitempty"`
}

type oscalFinding struct {
	UUID                string         `json:"uuid"`
	Title               string         `json:"title"`
	Description         string         `json:"description"`
	Props               []oscalProp    `json:"props,omitempty"`
	Target              oscalTarget    `json:"target"`
	RelatedObservations []oscalRelated `json:"related-observations,omitempty"`
	Remarks             string         `json:"remarks,omitempty"`
}

type oscalTarget struct {
	Type     string      `json:"type"`
	TargetID string      `json:"target-id"`
	Status   oscalStatus `json:"status"`
}

type oscalStatus struct {
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

type oscalRelated struct {
	ObservationUUID string `json:"observation-uuid"`
}

// oscalToken makes an OSCAL token (a letter or '_', then letters, digits,
// '.', '-', '_') of a control id.
func oscalToken(s string) string {
	var b strings.Builder
	for i, r := range s {
		ok := unicode.IsLetter(r) || r == '_' || i > 0 && (unicode.IsDigit(r) || r == '.' || r == '-')
		if ok {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}

// oscalString makes text fit OSCAL's string type (no leading or trailing
// white space, not empty) on one line.
func oscalString(s, empty string) string {
	if s = strings.TrimSpace(oneLine(s)); s == "" {
		return empty
	}
	return s
}

// oscalMarkup is oscalString for OSCAL markup-line and markup-multiline
// fields, which are Markdown in JSON: declared or observed text is escaped
// so that it cannot become markup or a link.
func oscalMarkup(s, empty string) string {
	if s = strings.TrimSpace(oneLine(s)); s == "" {
		return empty
	}
	return mdEscaper.Replace(s)
}

func oscalTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func prop(name, value string) oscalProp {
	return oscalProp{Name: name, NS: oscalNS, Value: oscalString(value, "-")}
}

// oscalState maps a verdict to an objective status. Only verified is
// satisfied by observation; attested is satisfied on the company's word,
// which the verdict prop and the observation method (EXAMINE) say.
func oscalState(v posture.Verdict) oscalStatus {
	switch v {
	case posture.Verified:
		return oscalStatus{State: "satisfied", Reason: "pass"}
	case posture.Attested:
		return oscalStatus{State: "satisfied", Reason: "other"}
	case posture.Contradicted:
		return oscalStatus{State: "not-satisfied", Reason: "fail"}
	}
	// Inconclusive and waived are not satisfied: the first was not
	// observed, the second is an accepted gap.
	return oscalStatus{State: "not-satisfied", Reason: "other"}
}

func writeOSCAL(w io.Writer, r *posture.Report) error {
	id := r.ScanID
	start := r.ScanStarted
	if start.IsZero() {
		start = r.GeneratedAt
	}
	title := "vouch assessment results"
	if r.Organization.Name != "" {
		title += ": " + r.Organization.Name
	}
	doc := oscalDoc{AssessmentResults: oscalAR{
		UUID: nameUUID(id, "assessment-results"),
		Metadata: oscalMetadata{
			Title:        oscalMarkup(title, "vouch assessment results"),
			LastModified: oscalTime(r.GeneratedAt),
			Version:      oscalString(id, "unversioned"),
			OSCALVersion: oscalVersion,
			Props:        []oscalProp{prop("tool", strings.TrimSpace(r.Tool.Name+" "+r.Tool.Version))},
		},
		ImportAP: oscalImportAP{Href: declarationURI, Remarks: "The assessment plan is the declaration of controls (trust.yaml) with its scope."},
	}}
	res := oscalResult{
		UUID:        nameUUID(id, "result"),
		Title:       oscalMarkup("Scan "+id, "Scan"),
		Description: "Controls declared in trust.yaml, checked by vouch against what the deployment showed from outside.",
		Start:       oscalTime(start),
		End:         oscalTime(r.ScanFinished),
		Remarks:     "Inconclusive means vouch could not observe the claim; it is never counted as satisfied. Controls with nothing in scope have no finding.",
	}
	for _, t := range r.Scope {
		res.Props = append(res.Props, prop("scope", t.String()))
	}
	var sel []oscalControlID
	for _, c := range r.Controls {
		cid := oscalToken(c.Control.ID)
		sel = append(sel, oscalControlID{ControlID: cid})
		if c.Verdict == posture.NotApplicable {
			continue
		}
		f := oscalFinding{
			UUID:        nameUUID(id, "finding", c.Control.ID),
			Title:       oscalMarkup(c.Control.ID, "control"),
			Description: oscalMarkup(c.Control.Statement, "No statement."),
			Props:       []oscalProp{prop("verdict", string(c.Verdict))},
			Target:      oscalTarget{Type: "objective-id", TargetID: cid, Status: oscalState(c.Verdict)},
		}
		if c.Severity != "" {
			f.Props = append(f.Props, prop("severity", string(c.Severity)))
		}
		if c.Control.Section != "" {
			f.Props = append(f.Props, prop("section", c.Control.Section))
		}
		for _, m := range c.Control.Mappings {
			f.Props = append(f.Props, prop("framework-mapping", m))
		}
		if a := c.Control.Attested; a != nil {
			o := oscalObservation{
				UUID:        nameUUID(id, "observation", c.Control.ID, "attestation"),
				Title:       oscalMarkup("Attestation of "+c.Control.ID, "Attestation"),
				Description: oscalMarkup(attestedText(a), "attested"),
				Methods:     []string{"EXAMINE"},
				Collected:   oscalTime(a.Reviewed),
				Remarks:     "Not observable from outside: the company's own statement.",
			}
			if o.Collected == "" {
				o.Collected = res.Start
			}
			if a.Evidence != "" {
				o.RelevantEvidence = []oscalEvidence{{Description: oscalMarkup("Attestation evidence: "+a.Evidence, "attestation evidence")}}
			}
			res.Observations = append(res.Observations, o)
			f.RelatedObservations = append(f.RelatedObservations, oscalRelated{o.UUID})
		}
		for i, x := range c.Findings {
			o := oscalObservation{
				UUID:        nameUUID(id, "observation", c.Control.ID, x.Target, string(x.Code), x.RuleID, strconv.Itoa(i)),
				Title:       oscalMarkup(strings.TrimSpace(x.RuleID+" on "+x.Target), "observation"),
				Description: observationText(x),
				Methods:     []string{"TEST"},
				Collected:   oscalTime(x.ObservedAt),
				Props:       []oscalProp{prop("verdict", string(x.Verdict))},
			}
			if o.Collected == "" {
				o.Collected = res.Start
			}
			if x.Target != "" {
				o.Props = append(o.Props, prop("target", x.Target))
			}
			if x.Code != "" {
				o.Props = append(o.Props, prop("issue-code", string(x.Code)))
			}
			if x.Waiver != nil {
				o.Remarks = oscalMarkup(waiverText(x.Waiver), "")
			} else if x.WaiverExpired != nil {
				o.Remarks = oscalMarkup(expiredText(x.WaiverExpired), "")
			}
			for _, ev := range x.Evidence {
				o.RelevantEvidence = append(o.RelevantEvidence, oscalEvidence{
					Href:        snapshotName,
					Description: oscalMarkup("Raw evidence "+ev+", as observed, in the evidence bundle (snapshot.json and evidence/).", "raw evidence"),
					Props:       []oscalProp{prop("evidence-id", ev)},
				})
			}
			res.Observations = append(res.Observations, o)
			f.RelatedObservations = append(f.RelatedObservations, oscalRelated{o.UUID})
		}
		res.Findings = append(res.Findings, f)
	}
	if len(sel) == 0 {
		res.ReviewedControls.ControlSelections = []oscalSelection{{IncludeAll: &struct{}{}}}
	} else {
		res.ReviewedControls.ControlSelections = []oscalSelection{{IncludeControls: sel}}
	}
	if res.Start == "" {
		res.Start = oscalTime(time.Unix(0, 0))
	}
	doc.AssessmentResults.Results = []oscalResult{res}
	if doc.AssessmentResults.Metadata.LastModified == "" {
		doc.AssessmentResults.Metadata.LastModified = res.Start
	}
	b, err := marshalIndent(doc)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// observationText says what one vouch finding saw, for people.
func observationText(f posture.Finding) string {
	var parts []string
	if f.Message != "" {
		parts = append(parts, f.Message)
	}
	if f.Expected != "" {
		parts = append(parts, "Expected: "+f.Expected)
	}
	if o := observed(f); o != "" {
		parts = append(parts, "Observed: "+o)
	}
	if f.Verdict == posture.Contradicted && f.Remediation != "" {
		parts = append(parts, "Remediation: "+f.Remediation)
	}
	return oscalMarkup(strings.Join(parts, ". "), "No detail.")
}
