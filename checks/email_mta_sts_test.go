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
		o.MTASTS.Issues = []posture.Code{"email.mta_sts.no_id"}
	}
	if valid {
		o.MTASTS.Policy = enforcePolicy()
	}
	o.MX = &posture.Lookup{Name: "acme.example", Type: "MX", RCode: "NOERROR", Found: posture.Yes, Values: []string{"mx.acme.example"}, Evidence: "mx-1"}
	return o
}

// enforcePolicy is a good policy as the scanner records it.
func enforcePolicy() *posture.MTASTSPolicy {
	return &posture.MTASTSPolicy{
		URL: "https://mta-sts.acme.example/.well-known/mta-sts.txt", Addresses: []string{"127.0.0.1"}, Address: "127.0.0.1",
		Found: posture.Yes, Status: 200, ContentType: "text/plain", Body: "version: STSv1\nmode: enforce\nmx: mx.acme.example\nmax_age: 604800\n",
		Valid: true, Version: "STSv1", Mode: "enforce", MX: []string{"mx.acme.example"}, MaxAge: 604800, Evidence: "sts-policy",
	}
}

// withPolicy is a valid TXT record with the policy changed by edit.
func withPolicy(edit func(p *posture.MTASTSPolicy)) posture.DNSObservation {
	o := mtastsObs(true, "v=STSv1; id=20261123")
	edit(o.MTASTS.Policy)
	return o
}

func TestMTASTS(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		o      posture.DNSObservation
		want   row
	}{
		{"valid", nil, mtastsObs(true, "v=STSv1; id=20261123"), row{posture.Verified, ""}},
		// RFC 8461 §3.2: the media type MUST be text/plain, and senders
		// SHOULD check it: those that do ignore the policy.
		{"served as text/html", nil, withPolicy(func(p *posture.MTASTSPolicy) {
			p.ContentType, p.Issues = "text/html", []posture.Code{posture.CodeMTASTSPolicyContentType}
		}), row{posture.Contradicted, CodeMTASTSPolicyInvalid}},
		{"text/plain with a charset", nil, withPolicy(func(p *posture.MTASTSPolicy) { p.ContentType = "text/plain; charset=utf-8" }), row{posture.Verified, ""}},
		{"policy not fetched", nil, func() posture.DNSObservation {
			o := mtastsObs(true, "v=STSv1; id=20261123")
			o.MTASTS.Policy = nil
			return o
		}(), row{posture.Inconclusive, ""}},
		{"testing mode", nil, withPolicy(func(p *posture.MTASTSPolicy) { p.Mode = "testing" }), row{posture.Contradicted, CodeMTASTSModeTesting}},
		{"testing mode accepted when declared", map[string]string{"mode": "testing"}, withPolicy(func(p *posture.MTASTSPolicy) { p.Mode = "testing" }), row{posture.Verified, ""}},
		{"enforce accepted for testing", map[string]string{"mode": "testing"}, mtastsObs(true, "v=STSv1; id=1"), row{posture.Verified, ""}},
		{"mode none", map[string]string{"mode": "testing"}, withPolicy(func(p *posture.MTASTSPolicy) { p.Mode, p.MX = "none", nil }), row{posture.Contradicted, CodeMTASTSModeNone}},
		{"unmatched MX", nil, withPolicy(func(p *posture.MTASTSPolicy) {
			p.UnmatchedMX, p.Issues = []string{"mx2.acme.example"}, []posture.Code{posture.CodeMTASTSPolicyMXUnmatched}
		}), row{posture.Contradicted, CodeMTASTSMXUnmatched}},
		{"invalid policy", nil, withPolicy(func(p *posture.MTASTSPolicy) {
			p.Valid, p.Mode, p.Issues = false, "", []posture.Code{posture.CodeMTASTSPolicyMode}
		}), row{posture.Contradicted, CodeMTASTSPolicyInvalid}},
		{"404", nil, withPolicy(func(p *posture.MTASTSPolicy) {
			*p = posture.MTASTSPolicy{URL: p.URL, Addresses: p.Addresses, Found: posture.No, Status: 404, Evidence: "sts-policy"}
		}), row{posture.Contradicted, CodeMTASTSPolicyMissing}},
		{"redirect", nil, withPolicy(func(p *posture.MTASTSPolicy) {
			*p = posture.MTASTSPolicy{URL: p.URL, Addresses: p.Addresses, Found: posture.No, Status: 301, Evidence: "sts-policy"}
		}), row{posture.Contradicted, CodeMTASTSPolicyMissing}},
		{"untrusted certificate", nil, withPolicy(func(p *posture.MTASTSPolicy) {
			*p = posture.MTASTSPolicy{URL: p.URL, Addresses: p.Addresses, Found: posture.No, TLSError: "x509: unknown authority", Evidence: "sts-policy"}
		}), row{posture.Contradicted, CodeMTASTSPolicyMissing}},
		{"no policy host", nil, withPolicy(func(p *posture.MTASTSPolicy) {
			*p = posture.MTASTSPolicy{URL: p.URL, Found: posture.No, Evidence: "sts-policy"}
		}), row{posture.Contradicted, CodeMTASTSPolicyMissing}},
		{"policy host timed out", nil, withPolicy(func(p *posture.MTASTSPolicy) {
			*p = posture.MTASTSPolicy{URL: p.URL, Addresses: p.Addresses, Found: posture.Unknown, Missing: miss(posture.ReasonTimeout), Evidence: "sts-policy"}
		}), row{posture.Inconclusive, ""}},
		{"policy outcome unrecorded", nil, withPolicy(func(p *posture.MTASTSPolicy) { p.Found = "" }), row{posture.Inconclusive, ""}},
		// The mx patterns are judged against the MX hosts: when the MX
		// lookup failed, no host was compared, so "every MX host
		// matches" is not observed.
		{"MX lookup failed", nil, func() posture.DNSObservation {
			o := mtastsObs(true, "v=STSv1; id=20261123")
			o.MX = &posture.Lookup{Name: "acme.example", Type: "MX", Found: posture.Unknown, Missing: miss(posture.ReasonServFail), Evidence: "mx-1"}
			return o
		}(), row{posture.Inconclusive, ""}},
		{"MX lookup not recorded", nil, func() posture.DNSObservation {
			o := mtastsObs(true, "v=STSv1; id=20261123")
			o.MX = nil
			return o
		}(), row{posture.Inconclusive, ""}},
		{"MX lookup failed, mode none still a gap", map[string]string{"mode": "testing"}, func() posture.DNSObservation {
			o := withPolicy(func(p *posture.MTASTSPolicy) { p.Mode, p.MX = "none", nil })
			o.MX = &posture.Lookup{Name: "acme.example", Type: "MX", Found: posture.Unknown, Missing: miss(posture.ReasonTimeout), Evidence: "mx-1"}
			return o
		}(), row{posture.Contradicted, CodeMTASTSModeNone}},
		{"invalid", nil, mtastsObs(false, "v=STSv1;"), row{posture.Contradicted, CodeMTASTSInvalid}},
		{"two records", nil, func() posture.DNSObservation {
			o := mtastsObs(false, "v=STSv1; id=a", "v=STSv1; id=b")
			o.MTASTS.Issues = []posture.Code{"email.mta_sts.multiple_records"}
			return o
		}(), row{posture.Contradicted, CodeMTASTSInvalid}},
		{"none", nil, mtastsObs(false), row{posture.Contradicted, CodeMTASTSMissing}},
		{"timed out", nil, func() posture.DNSObservation {
			o := mtastsObs(false)
			o.MTASTS.Lookup.Found, o.MTASTS.Lookup.Missing = posture.Unknown, miss(posture.ReasonTimeout)
			return o
		}(), row{posture.Inconclusive, ""}},
		{"found unknown", nil, func() posture.DNSObservation {
			o := mtastsObs(false)
			o.MTASTS.Lookup.Found = posture.Unknown
			return o
		}(), row{posture.Inconclusive, ""}},
		{"not looked up", nil, dnsObs(), row{posture.Inconclusive, ""}},
		{"resolver unreachable", nil, func() posture.DNSObservation {
			o := mtastsObs(true, "v=STSv1; id=a")
			o.Observation = failed(o.Observation, posture.ReasonServFail)
			return o
		}(), row{posture.Inconclusive, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := expectOne(t, runKind(t, "email.mta_sts", tt.params, &posture.Snapshot{DNS: []posture.DNSObservation{tt.o}}), tt.want)
			if tt.o.MTASTS != nil && tt.o.Missing == nil && f.Evidence[0] != "sts-1" {
				t.Errorf("checks: evidence %v, want the MTA-STS lookup", f.Evidence)
			}
			if p := tt.o.MTASTS; tt.o.Missing == nil && p != nil && p.Policy != nil && p.Valid && p.Policy.Evidence != "" && (len(f.Evidence) < 2 || f.Evidence[1] != "sts-policy") {
				t.Errorf("checks: evidence %v, want the lookup and the policy fetch", f.Evidence)
			}
		})
	}
}

func TestMTASTSBadParam(t *testing.T) {
	if errs := ValidateParams("email.mta_sts", map[string]string{"mode": "none"}); len(errs) != 1 || errs[0].Param != "mode" {
		t.Errorf("checks: mode=none: %v", errs)
	}
}
