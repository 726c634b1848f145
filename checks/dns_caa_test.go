package checks

import (
	"strings"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

// caaObs is a CAA set found at where with the given issue, issuewild and
// iodef values.
func caaObs(where string, issue, wild, iodef []string) posture.DNSObservation {
	o := dnsObs()
	c := &posture.CAA{Lookup: posture.Lookup{Name: where, Type: "CAA", RCode: "NOERROR", Found: posture.Yes, Evidence: "caa-1"},
		Domain: where, Issue: issue, IssueWild: wild, IODEF: iodef}
	for _, v := range issue {
		c.Records = append(c.Records, posture.CAARecord{Tag: "issue", Value: v})
	}
	for _, v := range wild {
		c.Records = append(c.Records, posture.CAARecord{Tag: "issuewild", Value: v})
	}
	for _, v := range iodef {
		c.Records = append(c.Records, posture.CAARecord{Tag: "iodef", Value: v})
	}
	o.CAA = c
	return o
}

func TestCAA(t *testing.T) {
	le := []string{"letsencrypt.org"}
	tests := []struct {
		name   string
		params map[string]string
		o      posture.DNSObservation
		want   row
	}{
		{"issue", nil, caaObs("acme.example", le, nil, nil), row{posture.Verified, ""}},
		{"inherited from the parent", nil, caaObs("example", le, nil, nil), row{posture.Verified, ""}},
		{"forbids all issuance", nil, caaObs("acme.example", []string{""}, nil, nil), row{posture.Verified, ""}},
		{"declared issuers", map[string]string{"issuers": "letsencrypt.org, pki.goog"}, caaObs("acme.example", []string{"letsencrypt.org", "pki.goog"}, []string{""}, nil), row{posture.Verified, ""}},
		{"issuer not declared", map[string]string{"issuers": "letsencrypt.org"}, caaObs("acme.example", []string{"letsencrypt.org", "digicert.com"}, nil, nil), row{posture.Contradicted, CodeCAAUnexpectedIssuer}},
		{"wildcard issuer not declared", map[string]string{"issuers": "letsencrypt.org"}, caaObs("acme.example", le, []string{"sectigo.com"}, nil), row{posture.Contradicted, CodeCAAUnexpectedIssuer}},
		{"only issuewild", nil, caaObs("acme.example", nil, []string{"letsencrypt.org"}, nil), row{posture.Contradicted, CodeCAANoIssue}},
		{"only iodef", nil, caaObs("acme.example", nil, nil, []string{"mailto:s@acme.example"}), row{posture.Contradicted, CodeCAANoIssue}},
		{"iodef required", map[string]string{"require_iodef": "true"}, caaObs("acme.example", le, nil, nil), row{posture.Contradicted, CodeCAANoIODEF}},
		{"iodef present", map[string]string{"require_iodef": "true"}, caaObs("acme.example", le, nil, []string{"mailto:s@acme.example"}), row{posture.Verified, ""}},
		{"none anywhere", nil, func() posture.DNSObservation {
			o := dnsObs()
			o.CAA = &posture.CAA{Lookup: posture.Lookup{Name: "acme.example", Type: "CAA", RCode: "NOERROR", Found: posture.No, Evidence: "caa-1"}}
			return o
		}(), row{posture.Contradicted, CodeCAAMissing}},
		{"lookup failed", nil, func() posture.DNSObservation {
			o := dnsObs()
			o.CAA = &posture.CAA{Lookup: posture.Lookup{Name: "acme.example", Type: "CAA", Found: posture.Unknown, Missing: miss(posture.ReasonServFail), Evidence: "caa-1"}}
			return o
		}(), row{posture.Inconclusive, ""}},
		{"outcome unrecorded", nil, func() posture.DNSObservation {
			o := dnsObs()
			o.CAA = &posture.CAA{Lookup: posture.Lookup{Name: "acme.example", Evidence: "caa-1"}}
			return o
		}(), row{posture.Inconclusive, ""}},
		{"not looked up", nil, dnsObs(), row{posture.Inconclusive, ""}},
		{"resolver unreachable", nil, func() posture.DNSObservation {
			o := caaObs("acme.example", le, nil, nil)
			o.Observation = failed(o.Observation, posture.ReasonTimeout)
			return o
		}(), row{posture.Inconclusive, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := expectOne(t, runKind(t, "dns.caa", tt.params, &posture.Snapshot{DNS: []posture.DNSObservation{tt.o}}), tt.want)
			if tt.o.CAA != nil && tt.o.Missing == nil && f.Evidence[0] != "caa-1" {
				t.Errorf("checks: evidence %v, want the CAA lookup", f.Evidence)
			}
		})
	}
	f := expectOne(t, runKind(t, "dns.caa", nil, &posture.Snapshot{DNS: []posture.DNSObservation{caaObs("acme.example", le, []string{""}, []string{"mailto:s@acme.example"})}}), row{posture.Verified, ""})
	if !strings.Contains(f.Observed, "issue letsencrypt.org") || !strings.Contains(f.Observed, "iodef mailto:s@acme.example") || !strings.Contains(f.Observed, "none allowed") {
		t.Errorf("checks: observed %q", f.Observed)
	}
	if errs := ValidateParams("dns.caa", map[string]string{"require_iodef": "maybe"}); len(errs) != 1 || errs[0].Param != "require_iodef" {
		t.Errorf("checks: require_iodef=maybe: %v", errs)
	}
}
