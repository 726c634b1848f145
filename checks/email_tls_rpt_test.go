package checks

import (
	"testing"

	"github.com/vouchdev/vouch/posture"
)

func tlsrptObs(valid bool, records ...string) posture.DNSObservation {
	o := dnsObs()
	o.TLSRPT = &posture.TLSRPT{
		Lookup:  posture.Lookup{Name: "_smtp._tls.acme.example", Type: "TXT", RCode: "NOERROR", Found: posture.TriOf(len(records) > 0), Values: records, Evidence: "rpt-1"},
		Records: records,
		Valid:   valid,
	}
	if valid {
		o.TLSRPT.RUA = []string{"mailto:tls@acme.example"}
	} else if len(records) > 0 {
		o.TLSRPT.Issues = []posture.Code{"email.tls_rpt.no_rua"}
	}
	return o
}

func TestTLSRPT(t *testing.T) {
	tests := []struct {
		name string
		o    posture.DNSObservation
		want row
	}{
		{"valid", tlsrptObs(true, "v=TLSRPTv1; rua=mailto:tls@acme.example"), row{posture.Verified, ""}},
		{"no rua", tlsrptObs(false, "v=TLSRPTv1"), row{posture.Contradicted, CodeTLSRPTInvalid}},
		{"none", tlsrptObs(false), row{posture.Contradicted, CodeTLSRPTMissing}},
		{"nxdomain", func() posture.DNSObservation {
			o := tlsrptObs(false)
			o.TLSRPT.Lookup.RCode = "NXDOMAIN"
			return o
		}(), row{posture.Contradicted, CodeTLSRPTMissing}},
		{"servfail", func() posture.DNSObservation {
			o := tlsrptObs(false)
			o.TLSRPT.Lookup.Found, o.TLSRPT.Lookup.Missing = posture.Unknown, miss(posture.ReasonServFail)
			return o
		}(), row{posture.Inconclusive, ""}},
		{"not looked up", dnsObs(), row{posture.Inconclusive, ""}},
		{"resolver unreachable", func() posture.DNSObservation {
			o := tlsrptObs(true, "v=TLSRPTv1; rua=mailto:tls@acme.example")
			o.Observation = failed(o.Observation, posture.ReasonTimeout)
			return o
		}(), row{posture.Inconclusive, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := expectOne(t, runKind(t, "email.tls_rpt", nil, &posture.Snapshot{DNS: []posture.DNSObservation{tt.o}}), tt.want)
			if tt.o.TLSRPT != nil && tt.o.Missing == nil && f.Evidence[0] != "rpt-1" {
				t.Errorf("checks: evidence %v, want the TLS-RPT lookup", f.Evidence)
			}
		})
	}
}
