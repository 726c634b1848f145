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
		DS:                  &posture.Lookup{Name: "acme.example", Type: "DS", RCode: "NOERROR", Found: posture.Yes, Evidence: "ds-1"},
		HasDS:               posture.Yes, DSMatches: posture.Yes,
		DSDetail: "DS 12345 ECDSAP256SHA256 SHA256 matches the DNSKEY 12345 (flags 257) of acme.example, whose RRSIG over the DNSKEY set verifies",
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
		{"no DS at the parent", nil, dnssecObs(func(d *posture.DNSSEC) {
			d.DS.Found, d.HasDS, d.DSMatches, d.DSDetail = posture.No, posture.No, posture.Unknown, ""
		}), row{posture.Contradicted, CodeDNSSECNoDS}},
		// A gap is a gap whether or not AD was required.
		{"no DS, validation required", map[string]string{"require_validated": "true"}, dnssecObs(func(d *posture.DNSSEC) {
			d.DS.Found, d.HasDS, d.DSMatches = posture.No, posture.No, posture.Unknown
		}), row{posture.Contradicted, CodeDNSSECNoDS}},
		{"DS matches no key", nil, dnssecObs(func(d *posture.DNSSEC) {
			d.DSMatches, d.DSDetail = posture.No, "no DS record (key tag 1 ECDSAP256SHA256 SHA256) matches a DNSKEY of acme.example"
		}), row{posture.Contradicted, CodeDNSSECDSMismatch}},
		{"DS lookup failed", nil, dnssecObs(func(d *posture.DNSSEC) {
			d.DS.Found, d.DS.Missing, d.HasDS, d.DSMatches = posture.Unknown, miss(posture.ReasonTimeout), posture.Unknown, posture.Unknown
		}), row{posture.Inconclusive, ""}},
		{"DS digest not computed", nil, dnssecObs(func(d *posture.DNSSEC) {
			d.DSMatches, d.DSDetail = posture.Unknown, "DS digest types not computed: GOST94"
		}), row{posture.Inconclusive, ""}},
		{"DS not recorded", nil, dnssecObs(func(d *posture.DNSSEC) {
			d.DS, d.HasDS, d.DSMatches, d.DSDetail = nil, "", "", ""
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
	// The DS lookup is evidence, and the finding names the matching DS.
	if !strings.Contains(f.Observed, "DS at the parent matches (DS 12345") || len(f.Evidence) != 2 || f.Evidence[1] != "ds-1" {
		t.Errorf("checks: observed %q evidence %v", f.Observed, f.Evidence)
	}
	f = expectOne(t, runKind(t, "dns.dnssec", nil, &posture.Snapshot{DNS: []posture.DNSObservation{dnssecObs(func(d *posture.DNSSEC) {
		d.DS.Found, d.DS.RCode, d.HasDS, d.DSMatches = posture.No, "NXDOMAIN", posture.No, posture.Unknown
	})}}), row{posture.Contradicted, CodeDNSSECNoDS})
	if !strings.Contains(f.Observed, "no DS at the parent (rcode NXDOMAIN") || !strings.Contains(f.Message, "treat it as unsigned") || len(f.Evidence) != 2 {
		t.Errorf("checks: no DS: observed %q message %q evidence %v", f.Observed, f.Message, f.Evidence)
	}
}
