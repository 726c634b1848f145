package checks

import (
	"testing"
	"time"

	"github.com/vouchdev/vouch/posture"
)

func secTxtObs(st *posture.SecurityTxt) posture.HTTPObservation {
	o := hstsObs(nil)
	o.SecurityTxt = st
	return o
}

func goodSecTxt() *posture.SecurityTxt {
	return &posture.SecurityTxt{
		URL: "https://app.acme.example/.well-known/security.txt", Status: 200, ContentType: "text/plain; charset=utf-8",
		Found: true, Evidence: "sectxt-1", Contact: []string{"mailto:security@acme.example"},
		Expires: t0.AddDate(0, 6, 0), ExpiresRaw: "2027-05-23T09:30:00Z",
	}
}

func TestSecurityTxt(t *testing.T) {
	with := func(f func(*posture.SecurityTxt)) *posture.SecurityTxt { st := goodSecTxt(); f(st); return st }
	signed := map[string]string{"require_signed": "true"}
	tests := []struct {
		name   string
		params map[string]string
		o      posture.HTTPObservation
		want   row
	}{
		{"valid", nil, secTxtObs(goodSecTxt()), row{posture.Verified, ""}},
		{"far expiry is advisory", nil, secTxtObs(with(func(s *posture.SecurityTxt) {
			s.Expires = t0.AddDate(3, 0, 0)
			s.Issues = []posture.Code{posture.CodeSecTxtExpiresTooFar}
		})), row{posture.Verified, ""}},
		{"not found", nil, secTxtObs(&posture.SecurityTxt{URL: "https://app.acme.example/.well-known/security.txt", Status: 404, Evidence: "sectxt-1", Issues: []posture.Code{posture.CodeSecTxtMissing}}), row{posture.Contradicted, posture.CodeSecTxtMissing}},
		{"scanner issue passed through", nil, secTxtObs(with(func(s *posture.SecurityTxt) {
			s.Contact = nil
			s.Issues = []posture.Code{"http.securitytxt.no_contact"}
			s.IssueDetails = []string{"http.securitytxt.no_contact: no Contact field"}
		})), row{posture.Contradicted, "http.securitytxt.no_contact"}},
		{"expired at the verdict's time, whatever the scanner said", nil, secTxtObs(with(func(s *posture.SecurityTxt) {
			s.Expires = t0.Add(-time.Hour)
		})), row{posture.Contradicted, posture.CodeSecTxtExpired}},
		{"scanner's expired ignored when still current at the verdict's time", nil, secTxtObs(with(func(s *posture.SecurityTxt) {
			s.Issues = []posture.Code{posture.CodeSecTxtExpired}
		})), row{posture.Verified, ""}},
		{"unsigned when signing required", signed, secTxtObs(goodSecTxt()), row{posture.Contradicted, CodeSecTxtUnsigned}},
		{"signed", signed, secTxtObs(with(func(s *posture.SecurityTxt) { s.Signed = true })), row{posture.Verified, ""}},
		{"too large", nil, secTxtObs(&posture.SecurityTxt{URL: "https://app.acme.example/.well-known/security.txt", Missing: miss(posture.ReasonTooLarge)}), row{posture.Inconclusive, ""}},
		{"not fetched", nil, secTxtObs(nil), row{posture.Inconclusive, ""}},
		{"unreachable", nil, func() posture.HTTPObservation {
			o := secTxtObs(nil)
			o.Observation = failed(o.Observation, posture.ReasonTimeout)
			return o
		}(), row{posture.Inconclusive, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := expectOne(t, runKind(t, "http.security_txt", tt.params, &posture.Snapshot{HTTP: []posture.HTTPObservation{tt.o}}), tt.want)
			if tt.o.SecurityTxt != nil && tt.o.SecurityTxt.Missing == nil && tt.o.Missing == nil && f.Evidence[0] != "sectxt-1" {
				t.Errorf("checks: evidence %v, want the security.txt", f.Evidence)
			}
		})
	}
	if err := ValidateParams("http.security_txt", map[string]string{"require_signed": "maybe"}); err == nil {
		t.Errorf("checks: require_signed=maybe accepted")
	}
}
