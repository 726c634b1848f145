package checks

import (
	"fmt"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// nuclei: a company verifies a claim of its own with a nuclei template it
// writes ("our admin panel is not reachable from the internet", "every
// response carries our hardening header"). The scan runs the template
// against the control's targets, offline, with vouch's engine; its match —
// or, with expect: no-match, its silence — is the verdict. A template that
// could not run is inconclusive, never a pass.

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "nuclei",
			Title:       "A company-written nuclei template holds against the target",
			Description: "The template named by the control matches the target (or, with expect: no-match, does not).",
			Citation:    "NIST SP 800-53A Rev. 5 (test assessment method); ProjectDiscovery nuclei template format",
			Severity:    posture.SeverityMedium,
			Remediation: "Bring the target in line with the control's statement, or correct the template if it no longer describes the claim.",
			Mappings:    []string{"SOC2:CC4.1", "ISO27001:A.5.36"},
			Params: []posture.Param{
				{Name: "template", Type: posture.ParamFile, Format: "nuclei-template", Required: true, Doc: "the nuclei template file, relative to trust.yaml"},
				enumParam("expect", "match", []string{"match", "no-match"}, "match: the claim holds when the template matches; no-match: when it does not"),
			},
			Needs: []posture.Need{{Scanner: posture.ScannerWAF, Targets: posture.TargetWeb, Feature: "template", Param: "template"}},
			Claim: "our admin panel is not reachable from the internet",
		},
		Run: runNuclei,
	})
}

func runNuclei(in Input) []posture.Finding {
	tpl := in.Args.String("template")
	expect := in.Args.String("expect")
	var out []posture.Finding
	expected := "template " + tpl + " matches"
	if expect == "no-match" {
		expected = "template " + tpl + " does not match"
	}
	for _, o := range in.Snapshot.WAF {
		if !o.Observed() {
			out = append(out, unobserved(o.Observation, expected))
			continue
		}
		var m *posture.TemplateMatch
		for i := range o.Templates {
			if o.Templates[i].Template == tpl {
				m = &o.Templates[i]
			}
		}
		if m == nil {
			out = append(out, inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonNotScanned, Detail: "template not run"}, expected, "",
				fmt.Sprintf("template %s was not run against %s; not counted as a pass or a gap", tpl, o.Target.Address), o.EvidenceIDs()))
			continue
		}
		ev := ids([]string{m.Evidence}, o.EvidenceIDs())
		observed := "matched " + string(m.Matched)
		if len(m.Matchers) > 0 {
			observed += " (matchers: " + strings.Join(m.Matchers, ", ") + ")"
		}
		if len(m.Extracted) > 0 {
			observed += ", extracted: " + strings.Join(m.Extracted, ", ")
		}
		name := tpl
		if m.ID != "" {
			name = m.ID + " (" + tpl + ")"
		}
		switch {
		case m.Matched == posture.Unknown || m.Missing != nil:
			reason := m.Missing
			if reason == nil {
				reason = &posture.Missing{Reason: posture.ReasonError, Detail: "no result"}
			}
			out = append(out, inconclusive(o.Observation, reason, expected, observed,
				fmt.Sprintf("template %s could not run against %s (%s); not counted as a pass or a gap", name, o.Target.Address, reason.Error()), ev))
		case (m.Matched == posture.Yes) == (expect == "match"):
			out = append(out, verified(o.Observation, expected, observed, ev))
		case m.Matched == posture.Yes:
			out = append(out, contradicted(o.Observation, CodeTemplateMatched, expected, observed,
				fmt.Sprintf("template %s matched %s, which the control says it must not", name, o.Target.Address), ev))
		default:
			out = append(out, contradicted(o.Observation, CodeTemplateNoMatch, expected, observed,
				fmt.Sprintf("template %s did not match %s", name, o.Target.Address), ev))
		}
	}
	return out
}
