package checks

import (
	"testing"

	"github.com/vouchdev/vouch/posture"
)

func spfObs(all string, records ...string) posture.DNSObservation {
	o := dnsObs()
	o.SPF = &posture.TXTPolicy{
		Lookup:  posture.Lookup{Name: "acme.example", Type: "TXT", RCode: "NOERROR", Found: posture.Yes, Values: records, Evidence: "spf-1"},
		Records: records,
		All:     all,
	}
	return o
}

func TestSPF(t *testing.T) {
	soft := map[string]string{"all": "~"}
	tests := []struct {
		name   string
		params map[string]string
		o      posture.DNSObservation
		want   row
	}{
		{"-all", nil, spfObs("-", "v=spf1 mx -all"), row{posture.Verified, ""}},
		{"~all against -", nil, spfObs("~", "v=spf1 mx ~all"), row{posture.Contradicted, CodeSPFAllWeak}},
		{"~all against ~", soft, spfObs("~", "v=spf1 mx ~all"), row{posture.Verified, ""}},
		{"-all against ~", soft, spfObs("-", "v=spf1 mx -all"), row{posture.Verified, ""}},
		{"?all against ~", soft, spfObs("?", "v=spf1 mx ?all"), row{posture.Contradicted, CodeSPFAllWeak}},
		{"+all", soft, spfObs("+", "v=spf1 +all"), row{posture.Contradicted, CodeSPFAllWeak}},
		{"no all is neutral", nil, spfObs("", "v=spf1 mx"), row{posture.Contradicted, CodeSPFAllWeak}},
		{"redirect without recorded all", nil, spfObs("", "v=spf1 redirect=_spf.acme.example"), row{posture.Inconclusive, ""}},
		{"two records", nil, spfObs("-", "v=spf1 -all", "v=spf1 mx -all"), row{posture.Contradicted, CodeSPFMultipleRecords}},
		{"no record", nil, func() posture.DNSObservation {
			o := spfObs("")
			o.SPF.Lookup.Found = posture.No
			return o
		}(), row{posture.Contradicted, CodeSPFMissing}},
		{"TXT without spf", nil, func() posture.DNSObservation {
			o := spfObs("")
			o.SPF.Lookup.Values = []string{"google-site-verification=abc"}
			return o
		}(), row{posture.Contradicted, CodeSPFMissing}},
		{"lookup timed out", nil, func() posture.DNSObservation {
			o := spfObs("")
			o.SPF.Lookup.Found, o.SPF.Lookup.Missing = posture.Unknown, miss(posture.ReasonTimeout)
			return o
		}(), row{posture.Inconclusive, ""}},
		{"found unknown", nil, func() posture.DNSObservation {
			o := spfObs("")
			o.SPF.Lookup.Found = posture.Unknown
			return o
		}(), row{posture.Inconclusive, ""}},
		{"odd qualifier", nil, spfObs("!", "v=spf1 !all"), row{posture.Inconclusive, ""}},
		{"not looked up", nil, dnsObs(), row{posture.Inconclusive, ""}},
		{"resolver unreachable", nil, func() posture.DNSObservation {
			o := spfObs("-", "v=spf1 -all")
			o.Observation = failed(o.Observation, posture.ReasonServFail)
			return o
		}(), row{posture.Inconclusive, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := expectOne(t, runKind(t, "email.spf", tt.params, &posture.Snapshot{DNS: []posture.DNSObservation{tt.o}}), tt.want)
			if tt.o.SPF != nil && tt.o.Missing == nil && f.Evidence[0] != "spf-1" {
				t.Errorf("checks: evidence %v, want the SPF lookup", f.Evidence)
			}
		})
	}
}
