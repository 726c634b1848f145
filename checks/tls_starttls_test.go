package checks

import (
	"strings"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

// mxObs is what the scanner records for one MX host reached over STARTTLS.
func mxObs(host string, mut func(o *posture.TLSObservation)) posture.TLSObservation {
	o := certObs(func(c *posture.Certificate) {
		c.Subject, c.DNSNames = "CN="+host, []string{host}
	})
	o.Observation.Target = mail("acme.example")
	o.Observation.Source = "192.0.2.25:25"
	o.Endpoint, o.ServerName, o.STARTTLS, o.MXOf = host+":25", host, "smtp", "acme.example"
	o.Negotiated = &posture.Negotiated{Protocol: posture.TLSv1_3, CipherSuite: "TLS_AES_128_GCM_SHA256"}
	if mut != nil {
		mut(&o)
	}
	return o
}

func mxDNS(hosts ...string) posture.DNSObservation {
	return posture.DNSObservation{
		Observation: obs(mail("acme.example"), "dns", "192.0.2.53:53", "dns-1"),
		Domain:      "acme.example",
		MX:          &posture.Lookup{Name: "acme.example", Type: "MX", Found: posture.Yes, Values: hosts, Evidence: "dns-mx"},
	}
}

func TestTLSSTARTTLS(t *testing.T) {
	N := posture.No
	noTLS := func(o *posture.TLSObservation) {
		o.Negotiated, o.Certificate = nil, nil
		for i := range o.Protocols {
			o.Protocols[i].Offered, o.Protocols[i].Missing = N, nil
		}
	}
	tests := []struct {
		name   string
		params map[string]string
		o      posture.TLSObservation
		want   row
	}{
		{"TLS 1.3, valid certificate", nil, mxObs("mx1.acme.example", nil), row{posture.Verified, ""}},
		{"not offered", nil, mxObs("mx1.acme.example", noTLS), row{posture.Contradicted, CodeSTARTTLSNotOffered}},
		{"TLS 1.0 negotiated", nil, mxObs("mx1.acme.example", func(o *posture.TLSObservation) {
			o.Negotiated = &posture.Negotiated{Protocol: posture.TLSv1_0, CipherSuite: "TLS_RSA_WITH_AES_128_CBC_SHA"}
			for i := range o.Protocols {
				if o.Protocols[i].Name != posture.TLSv1_0 {
					o.Protocols[i].Offered = N
				} else {
					o.Protocols[i].Offered = posture.Yes
				}
			}
		}), row{posture.Contradicted, CodeSTARTTLSOldVersion}},
		{"1.3 required, 1.2 negotiated", map[string]string{"min": "1.3"}, mxObs("mx1.acme.example", func(o *posture.TLSObservation) {
			o.Negotiated.Protocol = posture.TLSv1_2
			setProto(o, posture.TLSv1_3, N)
		}), row{posture.Contradicted, CodeSTARTTLSOldVersion}},
		{"self-signed", nil, mxObs("mx1.acme.example", func(o *posture.TLSObservation) { o.Certificate.Trusted = N }), row{posture.Contradicted, CodeSTARTTLSCertInvalid}},
		{"self-signed, certificate any", map[string]string{"certificate": "any"}, mxObs("mx1.acme.example", func(o *posture.TLSObservation) { o.Certificate.Trusted = N }), row{posture.Verified, ""}},
		{"wrong name", nil, mxObs("mx1.acme.example", func(o *posture.TLSObservation) { o.Certificate.HostnameMatch = N }), row{posture.Contradicted, CodeSTARTTLSCertInvalid}},
		{"expired", nil, mxObs("mx1.acme.example", func(o *posture.TLSObservation) { o.Certificate.NotAfter = t0.AddDate(0, 0, -2) }), row{posture.Contradicted, CodeSTARTTLSCertInvalid}},
		{"trust unknown", nil, mxObs("mx1.acme.example", func(o *posture.TLSObservation) { o.Certificate.Trusted = "" }), row{posture.Inconclusive, ""}},
		{"versions unknown, no handshake", nil, mxObs("mx1.acme.example", func(o *posture.TLSObservation) {
			o.Negotiated = nil
			for i := range o.Protocols {
				o.Protocols[i].Offered, o.Protocols[i].Missing = posture.Unknown, miss(posture.ReasonTimeout)
			}
		}), row{posture.Inconclusive, ""}},
		{"unreachable", nil, mxObs("mx1.acme.example", func(o *posture.TLSObservation) {
			o.Observation = failed(o.Observation, posture.ReasonTimeout)
		}), row{posture.Inconclusive, ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expectOne(t, runKind(t, "tls.starttls", tc.params, &posture.Snapshot{TLS: []posture.TLSObservation{tc.o}}), tc.want)
		})
	}

	// Web endpoints are not its business.
	if fs := runKind(t, "tls.starttls", nil, &posture.Snapshot{TLS: []posture.TLSObservation{tlsObs(modern)}}); len(fs) != 0 {
		t.Errorf("checks: a web endpoint gave %d findings", len(fs))
	}
	// An MX host in DNS that the TLS scan did not reach is inconclusive;
	// the reached one is judged; a null MX is nothing to check.
	fs := runKind(t, "tls.starttls", nil, &posture.Snapshot{
		TLS: []posture.TLSObservation{mxObs("mx1.acme.example", nil)},
		DNS: []posture.DNSObservation{mxDNS("mx1.acme.example", "MX2.acme.example.")},
	})
	if len(fs) != 2 || fs[0].Verdict != posture.Verified || fs[1].Verdict != posture.Inconclusive || !strings.Contains(fs[1].Message, "mx2.acme.example") {
		t.Errorf("checks: two MX hosts, one reached: %+v", fs)
	}
	if fs := runKind(t, "tls.starttls", nil, &posture.Snapshot{DNS: []posture.DNSObservation{mxDNS(".")}}); len(fs) != 0 {
		t.Errorf("checks: null MX gave %+v", fs)
	}
	for _, bad := range []map[string]string{{"min": "2"}, {"certificate": "some"}} {
		if err := ValidateParams("tls.starttls", bad); err == nil {
			t.Errorf("checks: %v accepted", bad)
		}
	}
}

// The web-facing TLS checks leave STARTTLS endpoints alone unless the
// control names its targets.
func TestDirectTLSOnly(t *testing.T) {
	mx := mxObs("mx1.acme.example", func(o *posture.TLSObservation) { o.Protocols = tlsObs(modern).Protocols })
	snap := &posture.Snapshot{TLS: []posture.TLSObservation{mx}}
	for _, kind := range []string{"tls.min_version", "tls.certificate_valid", "tls.no_weak_ciphers", "tls.tls13_offered",
		"tls.legacy_protocols_disabled", "tls.forward_secrecy", "tls.key_size", "tls.certificate_signature", "tls.grade"} {
		if fs := runKind(t, kind, nil, snap); len(fs) != 0 {
			t.Errorf("checks: %s judged a STARTTLS endpoint without targets: %+v", kind, fs)
		}
		c, _ := Lookup(kind)
		args, _ := parseArgs(c.Rule, nil, nil)
		in := Input{Control: posture.Control{ID: "ctl", Targets: []string{"acme.example"}, Verify: &posture.Verify{Kind: kind}}, Args: args, Snapshot: snap, Now: t0}
		if fs := c.Run(in); len(fs) != 1 {
			t.Errorf("checks: %s with targets: %d findings, want 1", kind, len(fs))
		}
	}
}
