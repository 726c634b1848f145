package checks

import (
	"testing"

	"github.com/vouchdev/vouch/posture"
)

func templateObs(m ...posture.TemplateMatch) posture.WAFObservation {
	o := wafObs(posture.Unknown, "", false)
	o.Templates = m
	return o
}

func TestNuclei(t *testing.T) {
	const tpl = "checks/admin-hidden.yaml"
	match := posture.TemplateMatch{Template: tpl, ID: "admin-hidden", Matched: posture.Yes, Matchers: []string{"panel"}, Evidence: "waf-t1"}
	nomatch := posture.TemplateMatch{Template: tpl, ID: "admin-hidden", Matched: posture.No}
	failedRun := posture.TemplateMatch{Template: tpl, Matched: posture.Unknown, Missing: &posture.Missing{Reason: posture.ReasonError, Detail: "connection refused"}}
	p := func(expect string) map[string]string {
		m := map[string]string{"template": tpl}
		if expect != "" {
			m["expect"] = expect
		}
		return m
	}
	tests := []struct {
		name   string
		params map[string]string
		o      posture.WAFObservation
		want   row
	}{
		{"matched, as expected", p(""), templateObs(match), row{posture.Verified, ""}},
		{"not matched, match expected", p("match"), templateObs(nomatch), row{posture.Contradicted, CodeTemplateNoMatch}},
		{"not matched, as expected", p("no-match"), templateObs(nomatch), row{posture.Verified, ""}},
		{"matched, no-match expected", p("no-match"), templateObs(match), row{posture.Contradicted, CodeTemplateMatched}},
		{"could not run", p(""), templateObs(failedRun), row{posture.Inconclusive, ""}},
		{"could not run, no-match expected", p("no-match"), templateObs(failedRun), row{posture.Inconclusive, ""}},
		{"another template ran", p(""), templateObs(posture.TemplateMatch{Template: "other.yaml", Matched: posture.Yes}), row{posture.Inconclusive, ""}},
		{"target unreachable", p(""), func() posture.WAFObservation {
			o := templateObs(match)
			o.Observation = failed(o.Observation, posture.ReasonRefused)
			return o
		}(), row{posture.Inconclusive, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := expectOne(t, runKind(t, "nuclei", tt.params, &posture.Snapshot{WAF: []posture.WAFObservation{tt.o}}), tt.want)
			if tt.want.verdict == posture.Verified && tt.o.Templates[0].Evidence != "" && (len(f.Evidence) != 2 || f.Evidence[0] != "waf-t1") {
				t.Errorf("evidence %v", f.Evidence)
			}
		})
	}
}
