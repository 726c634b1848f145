package checks

import (
	"strings"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

// dnssecObs is a DNSSEC observation of acme.example, edited by edit.
func dnssecObs(edit func(d *posture.DNSSEC)) posture.DNSObservation {
	o := dnsObs()
	d := &posture.DNSSEC{
		Zone: "acme.example", Resolver: "127.0.0.1:53",
		DNSKEY: posture.Lookup{Name: "acme.example", Type: "DNSKEY", RCode: "NOERROR", Found: posture.Yes, Evidence: "dnskey-1"},
		Signed: posture.Yes, Keys: 2, KSKs: 1, Algorithms: []string{"ECDSAP256SHA256"},
		SignaturesValid: posture.Yes, Authenticated: posture.Unknown,
		AuthenticatedDetail: "the replies came from an authoritative server (127.0.0.1:53, AA set), which does not validate: not validated",
		Authoritative:       true,
	}
	if edit != nil {
		edit(d)
	}
	o.DNSSEC = d
	return o
}

func TestDNSSEC(t *testing.T) {
	validating := func(d *posture.DNSSEC) {
		d.Authenticated, d.Authoritative, d.AuthenticatedDetail = posture.Yes, false, "the resolver 127.0.0.1:53 set AD: it validated the answer"
	}
	tests := []struct {
		name   string
		params map[string]string
		o      posture.DNSObservation
		want   row
	}{
		{"signed, not validated", nil, dnssecObs(nil), row{posture.Verified, ""}},
		{"signed and validated", nil, dnssecObs(validating), row{posture.Verified, ""}},
		{"validated as required", map[string]string{"require_validated": "true"}, dnssecObs(validating), row{posture.Verified, ""}},
		{"validation required, no AD", map[string]string{"require_validated": "true"}, dnssecObs(nil), row{posture.Inconclusive, ""}},
		{"unsigned", nil, dnssecObs(func(d *posture.DNSSEC) {
			d.Signed, d.Keys, d.KSKs, d.Algorithms, d.SignaturesValid = posture.No, 0, 0, nil, posture.Unknown
			d.DNSKEY.Found = posture.No
		}), row{posture.Contradicted, CodeDNSSECUnsigned}},
		{"bad signature", nil, dnssecObs(func(d *posture.DNSSEC) { d.SignaturesValid = posture.No }), row{posture.Contradicted, CodeDNSSECBadSignature}},
		{"signature not checked", nil, dnssecObs(func(d *posture.DNSSEC) { d.SignaturesValid = posture.Unknown }), row{posture.Verified, ""}},
		{"signed unknown", nil, dnssecObs(func(d *posture.DNSSEC) { d.Signed = posture.Unknown }), row{posture.Inconclusive, ""}},
		{"lookup failed", nil, dnssecObs(func(d *posture.DNSSEC) {
			d.Signed, d.Missing = posture.Unknown, miss(posture.ReasonServFail)
		}), row{posture.Inconclusive, ""}},
		{"not looked at", nil, dnsObs(), row{posture.Inconclusive, ""}},
		{"resolver unreachable", nil, func() posture.DNSObservation {
			o := dnssecObs(nil)
			o.Observation = failed(o.Observation, posture.ReasonTimeout)
			return o
		}(), row{posture.Inconclusive, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := expectOne(t, runKind(t, "dns.dnssec", tt.params, &posture.Snapshot{DNS: []posture.DNSObservation{tt.o}}), tt.want)
			if tt.o.DNSSEC != nil && tt.o.Missing == nil && f.Evidence[0] != "dnskey-1" {
				t.Errorf("checks: evidence %v, want the DNSKEY lookup", f.Evidence)
			}
		})
	}
	// The finding says whether AD was set, and by whom.
	f := expectOne(t, runKind(t, "dns.dnssec", nil, &posture.Snapshot{DNS: []posture.DNSObservation{dnssecObs(nil)}}), row{posture.Verified, ""})
	if !strings.Contains(f.Observed, "AD: unknown (the replies came from an authoritative server (127.0.0.1:53") {
		t.Errorf("checks: observed %q", f.Observed)
	}
	f = expectOne(t, runKind(t, "dns.dnssec", nil, &posture.Snapshot{DNS: []posture.DNSObservation{dnssecObs(validating)}}), row{posture.Verified, ""})
	if !strings.Contains(f.Observed, "AD: yes (the resolver 127.0.0.1:53 set AD") {
		t.Errorf("checks: observed %q", f.Observed)
	}
}
