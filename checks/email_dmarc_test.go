package checks

import (
	"strings"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

func dnsObs() posture.DNSObservation {
	return posture.DNSObservation{
		Observation: obs(mail("acme.example"), "dns", "127.0.0.1:53", "dns-1"),
		Domain:      "acme.example",
		Resolver:    "127.0.0.1:53",
	}
}

// dmarcObs is an observation of one DMARC record. A record without rua=
// gets rua=mailto:dmarc@acme.example (and d.RUA), so that the cases about
// p= and pct= are not about reporting; dmarcObsNoRUA keeps it as given.
func dmarcObs(record string, d posture.DMARC) posture.DNSObservation {
	if !strings.Contains(record, "rua=") {
		record += "; rua=mailto:dmarc@acme.example"
		d.RUA = append(d.RUA, "mailto:dmarc@acme.example")
		d.ReportDestinations = append(d.ReportDestinations, posture.DMARCReportDestination{Tag: "rua", URI: "mailto:dmarc@acme.example", Domain: "acme.example"})
	}
	return dmarcObsNoRUA(record, d)
}

func dmarcObsNoRUA(record string, d posture.DMARC) posture.DNSObservation {
	o := dnsObs()
	d.Lookup = posture.Lookup{Name: "_dmarc.acme.example", Type: "TXT", RCode: "NOERROR", Found: posture.Yes, Values: []string{record}, Evidence: "dmarc-1"}
	d.Records = []string{record}
	d.Domain = "_dmarc.acme.example"
	o.DMARC = &d
	return o
}

func TestDMARC(t *testing.T) {
	reject := dmarcObs("v=DMARC1; p=reject", posture.DMARC{Valid: true, Policy: "reject", Percent: 100})
	tests := []struct {
		name   string
		params map[string]string
		o      posture.DNSObservation
		want   row
	}{
		{"reject", nil, reject, row{posture.Verified, ""}},
		{"quarantine", nil, dmarcObs("v=DMARC1; p=quarantine", posture.DMARC{Valid: true, Policy: "quarantine", Percent: 100}), row{posture.Verified, ""}},
		{"pct absent means 100", nil, dmarcObs("v=DMARC1; p=quarantine", posture.DMARC{Valid: true, Policy: "quarantine"}), row{posture.Verified, ""}},
		{"p=none", nil, dmarcObs("v=DMARC1; p=none", posture.DMARC{Valid: true, Policy: "none", Percent: 100}), row{posture.Contradicted, CodeDMARCPolicyNone}},
		{"p=none accepted when declared", map[string]string{"min_policy": "none"}, dmarcObs("v=DMARC1; p=none", posture.DMARC{Valid: true, Policy: "none", Percent: 100}), row{posture.Verified, ""}},
		{"quarantine weaker than reject", map[string]string{"min_policy": "reject"}, dmarcObs("v=DMARC1; p=quarantine", posture.DMARC{Valid: true, Policy: "quarantine", Percent: 100}), row{posture.Contradicted, CodeDMARCPolicyWeak}},
		{"pct=50", nil, dmarcObs("v=DMARC1; p=reject; pct=50", posture.DMARC{Valid: true, Policy: "reject", Percent: 50}), row{posture.Contradicted, CodeDMARCPctPartial}},
		{"pct=0 explicit", nil, dmarcObs("v=DMARC1; p=reject; pct=0", posture.DMARC{Valid: true, Policy: "reject", Percent: 0}), row{posture.Contradicted, CodeDMARCPctPartial}},
		{"pct=50 accepted when declared", map[string]string{"pct": "50"}, dmarcObs("v=DMARC1; p=reject; pct=50", posture.DMARC{Valid: true, Policy: "reject", Percent: 50}), row{posture.Verified, ""}},
		{"invalid with issue", nil, dmarcObs("v=DMARC1; p=block", posture.DMARC{Valid: false, Policy: "block", Issues: []posture.Code{"email.dmarc.policy_invalid"}}), row{posture.Contradicted, "email.dmarc.policy_invalid"}},
		{"invalid without issue", nil, dmarcObs("v=DMARC1", posture.DMARC{Valid: false}), row{posture.Contradicted, CodeDMARCInvalid}},
		// RFC 7489 §6.3: a bad fo=, ri=, adkim=, aspf= or ruf= (or
		// np=, RFC 9091) is ignored, not the record; a bad sp= is not
		// (§6.6.3 step 6).
		{"bad fo= and ri= are ignored", nil, dmarcObs("v=DMARC1; p=reject; fo=2; ri=x", posture.DMARC{Valid: false, Policy: "reject", Percent: 100,
			Issues: []posture.Code{"email.dmarc.fo_invalid", "email.dmarc.ri_invalid"}}), row{posture.Verified, ""}},
		{"bad adkim= is ignored", nil, dmarcObs("v=DMARC1; p=reject; adkim=x", posture.DMARC{Valid: false, Policy: "reject", Percent: 100,
			Issues: []posture.Code{"email.dmarc.adkim_invalid"}}), row{posture.Verified, ""}},
		{"bad sp= is not", nil, dmarcObs("v=DMARC1; p=reject; sp=x", posture.DMARC{Valid: false, Policy: "reject", Percent: 100,
			Issues: []posture.Code{"email.dmarc.fo_invalid", "email.dmarc.sp_invalid"}}), row{posture.Contradicted, "email.dmarc.sp_invalid"}},
		{"valid flag but unknown policy", nil, dmarcObs("v=DMARC1; p=x", posture.DMARC{Valid: true, Policy: "x"}), row{posture.Contradicted, CodeDMARCInvalid}},
		{"two records", nil, func() posture.DNSObservation {
			o := dmarcObs("v=DMARC1; p=reject", posture.DMARC{Valid: true, Policy: "reject", Percent: 100})
			o.DMARC.Records = append(o.DMARC.Records, "v=DMARC1; p=none")
			return o
		}(), row{posture.Contradicted, posture.CodeDMARCMultipleRecords}},
		{"no record (nxdomain)", nil, func() posture.DNSObservation {
			o := dnsObs()
			o.DMARC = &posture.DMARC{Lookup: posture.Lookup{Name: "_dmarc.acme.example", Type: "TXT", RCode: "NXDOMAIN", Found: posture.No, Evidence: "dmarc-1"}}
			return o
		}(), row{posture.Contradicted, CodeDMARCMissing}},
		{"TXT but no DMARC1", nil, func() posture.DNSObservation {
			o := dnsObs()
			o.DMARC = &posture.DMARC{Lookup: posture.Lookup{Name: "_dmarc.acme.example", Type: "TXT", RCode: "NOERROR", Found: posture.Yes, Values: []string{"hello"}, Evidence: "dmarc-1"}}
			return o
		}(), row{posture.Contradicted, CodeDMARCMissing}},
		{"servfail", nil, func() posture.DNSObservation {
			o := dnsObs()
			o.DMARC = &posture.DMARC{Lookup: posture.Lookup{Name: "_dmarc.acme.example", Type: "TXT", RCode: "SERVFAIL", Found: posture.Unknown, Missing: miss(posture.ReasonServFail), Evidence: "dmarc-1"}}
			return o
		}(), row{posture.Inconclusive, ""}},
		{"found unknown, no reason", nil, func() posture.DNSObservation {
			o := dnsObs()
			o.DMARC = &posture.DMARC{Lookup: posture.Lookup{Name: "_dmarc.acme.example", Found: posture.Unknown, Evidence: "dmarc-1"}}
			return o
		}(), row{posture.Inconclusive, ""}},
		{"not looked up", nil, dnsObs(), row{posture.Inconclusive, ""}},
		{"sp=none", nil, dmarcObs("v=DMARC1; p=reject; sp=none", posture.DMARC{Valid: true, Policy: "reject", SubdomainPolicy: "none", Percent: 100}), row{posture.Contradicted, CodeDMARCSubdomainPolicyWeak}},
		{"sp=quarantine under reject declared", map[string]string{"min_policy": "reject"}, dmarcObs("v=DMARC1; p=reject; sp=quarantine", posture.DMARC{Valid: true, Policy: "reject", SubdomainPolicy: "quarantine", Percent: 100}), row{posture.Contradicted, CodeDMARCSubdomainPolicyWeak}},
		{"sp=quarantine", nil, dmarcObs("v=DMARC1; p=reject; sp=quarantine", posture.DMARC{Valid: true, Policy: "reject", SubdomainPolicy: "quarantine", Percent: 100}), row{posture.Verified, ""}},
		{"np=none", nil, dmarcObs("v=DMARC1; p=reject; np=none", posture.DMARC{Valid: true, Policy: "reject", NonExistentPolicy: "none", Percent: 100}), row{posture.Contradicted, CodeDMARCNPWeak}},
		{"np=reject", nil, dmarcObs("v=DMARC1; p=quarantine; np=reject", posture.DMARC{Valid: true, Policy: "quarantine", NonExistentPolicy: "reject", Percent: 100}), row{posture.Verified, ""}},
		{"no rua", nil, dmarcObsNoRUA("v=DMARC1; p=reject", posture.DMARC{Valid: true, Policy: "reject", Percent: 100}), row{posture.Contradicted, CodeDMARCNoRUA}},
		{"no rua accepted when declared", map[string]string{"require_rua": "false"}, dmarcObsNoRUA("v=DMARC1; p=reject", posture.DMARC{Valid: true, Policy: "reject", Percent: 100}), row{posture.Verified, ""}},
		{"rua external, authorised", nil, dmarcExt(posture.Yes), row{posture.Verified, ""}},
		{"rua external, not authorised", nil, dmarcExt(posture.No), row{posture.Contradicted, CodeDMARCRUAUnauthorized}},
		{"rua external, lookup failed", nil, dmarcExt(posture.Unknown), row{posture.Inconclusive, ""}},
		{"rua external unauthorised beside an internal one", nil, func() posture.DNSObservation {
			o := dmarcExt(posture.No)
			o.DMARC.RUA = append(o.DMARC.RUA, "mailto:d@acme.example")
			o.DMARC.ReportDestinations = append(o.DMARC.ReportDestinations, posture.DMARCReportDestination{Tag: "rua", URI: "mailto:d@acme.example", Domain: "acme.example"})
			return o
		}(), row{posture.Verified, ""}},
		{"rua external, unresolved (older snapshot)", nil, func() posture.DNSObservation {
			o := dmarcExt(posture.No)
			o.DMARC.ReportDestinations = nil
			return o
		}(), row{posture.Verified, ""}},
		{"resolver unreachable", nil, func() posture.DNSObservation {
			o := reject
			o.Observation = failed(o.Observation, posture.ReasonTimeout)
			return o
		}(), row{posture.Inconclusive, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := expectOne(t, runKind(t, "email.dmarc", tt.params, &posture.Snapshot{DNS: []posture.DNSObservation{tt.o}}), tt.want)
			if tt.o.DMARC != nil && tt.o.Missing == nil && f.Evidence[0] != "dmarc-1" {
				t.Errorf("checks: evidence %v, want the DMARC lookup", f.Evidence)
			}
			if tt.want.verdict == posture.Inconclusive && tt.o.DMARC != nil && tt.o.DMARC.Lookup.Missing != nil && f.Reason.Reason != posture.ReasonServFail {
				t.Errorf("checks: reason %v not copied from the lookup", f.Reason)
			}
		})
	}
}

// dmarcExt is p=reject with reports going only to reports.example, whose
// authorisation record is as given.
func dmarcExt(auth posture.Tri) posture.DNSObservation {
	return dmarcObsNoRUA("v=DMARC1; p=reject; rua=mailto:agg@reports.example", posture.DMARC{Valid: true, Policy: "reject", Percent: 100,
		RUA: []string{"mailto:agg@reports.example"},
		ReportDestinations: []posture.DMARCReportDestination{{Tag: "rua", URI: "mailto:agg@reports.example", Domain: "reports.example",
			External: true, Authorized: auth, Lookup: "dmarc-auth"}}})
}

// The authorisation lookup is quoted as evidence of the gap.
func TestDMARCUnauthorizedEvidence(t *testing.T) {
	f := expectOne(t, runKind(t, "email.dmarc", nil, &posture.Snapshot{DNS: []posture.DNSObservation{dmarcExt(posture.No)}}), row{posture.Contradicted, CodeDMARCRUAUnauthorized})
	if strings.Join(f.Evidence, ",") != "dmarc-1,dmarc-auth" || !strings.Contains(f.Message, "acme.example._report._dmarc.<destination>") {
		t.Errorf("checks: evidence %v, message %q", f.Evidence, f.Message)
	}
}

func TestBadDMARCParam(t *testing.T) {
	if errs := ValidateParams("email.dmarc", map[string]string{"require_rua": "perhaps"}); len(errs) != 1 || errs[0].Param != "require_rua" {
		t.Errorf("checks: require_rua=perhaps: %v", errs)
	}
}

func TestHasTag(t *testing.T) {
	for rec, want := range map[string]bool{
		"v=DMARC1; p=reject; pct=50":  true,
		"v=DMARC1; p=reject; PCT = 0": true,
		"v=DMARC1; p=reject":          false,
		"v=DMARC1; rua=mailto:pct@x":  false,
	} {
		if got := hasTag(rec, "pct"); got != want {
			t.Errorf("checks: hasTag(%q, pct) = %v", rec, got)
		}
	}
}
