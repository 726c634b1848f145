package checks

import (
	"testing"

	"github.com/vouchdev/vouch/posture"
)

func mtastsObs(valid bool, records ...string) posture.DNSObservation {
	o := dnsObs()
	found := posture.TriOf(len(records) > 0)
	o.MTASTS = &posture.MTASTS{
		Lookup:  posture.Lookup{Name: "_mta-sts.acme.example", Type: "TXT", RCode: "NOERROR", Found: found, Values: records, Evidence: "sts-1"},
		Records: records,
		Valid:   valid,
	}
	if !valid && len(records) > 0 {
		o.MTASTS.Issues = []string{"email.mta_sts.no_id"}
	}
	return o
}

func TestMTASTS(t *testing.T) {
	tests := []struct {
		name string
		o    posture.DNSObservation
		want row
	}{
		{"valid", mtastsObs(true, "v=STSv1; id=20261123"), row{posture.Verified, ""}},
		{"invalid", mtastsObs(false, "v=STSv1;"), row{posture.Contradicted, CodeMTASTSInvalid}},
		{"two records", func() posture.DNSObservation {
			o := mtastsObs(false, "v=STSv1; id=a", "v=STSv1; id=b")
			o.MTASTS.Issues = []string{"email.mta_sts.multiple_records"}
			return o
		}(), row{posture.Contradicted, CodeMTASTSInvalid}},
		{"none", mtastsObs(false), row{posture.Contradicted, CodeMTASTSMissing}},
		{"timed out", func() posture.DNSObservation {
			o := mtastsObs(false)
			o.MTASTS.Lookup.Found, o.MTASTS.Lookup.Missing = posture.Unknown, miss(posture.ReasonTimeout)
			return o
		}(), row{posture.Inconclusive, ""}},
		{"found unknown", func() posture.DNSObservation {
			o := mtastsObs(false)
			o.MTASTS.Lookup.Found = posture.Unknown
			return o
		}(), row{posture.Inconclusive, ""}},
		{"not looked up", dnsObs(), row{posture.Inconclusive, ""}},
		{"resolver unreachable", func() posture.DNSObservation {
			o := mtastsObs(true, "v=STSv1; id=a")
			o.Observation = failed(o.Observation, posture.ReasonServFail)
			return o
		}(), row{posture.Inconclusive, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := expectOne(t, runKind(t, "email.mta_sts", nil, &posture.Snapshot{DNS: []posture.DNSObservation{tt.o}}), tt.want)
			if tt.o.MTASTS != nil && tt.o.Missing == nil && f.Evidence[0] != "sts-1" {
				t.Errorf("checks: evidence %v, want the MTA-STS lookup", f.Evidence)
			}
		})
	}
}
