package checks

import (
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/posture"
)

func certObs(mut func(c *posture.Certificate)) posture.TLSObservation {
	o := tlsObs(modern)
	c := &posture.Certificate{
		Subject: "CN=app.acme.example", Issuer: "CN=Test CA", DNSNames: []string{"app.acme.example"},
		NotBefore: t0.AddDate(0, -1, 0), NotAfter: t0.AddDate(0, 2, 0),
		KeyType: "ECDSA", KeyBits: 256, SignatureAlgorithm: "ECDSA-SHA256", ChainLength: 2,
		Trusted: posture.Yes, HostnameMatch: posture.Yes, ChainEvidence: "chain-1",
	}
	if mut != nil {
		mut(c)
	}
	o.Certificate = c
	return o
}

func TestTLSCertificateValid(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name   string
		params map[string]string
		o      posture.TLSObservation
		want   row
	}{
		{"good", nil, certObs(nil), row{posture.Verified, ""}},
		{"untrusted", nil, certObs(func(c *posture.Certificate) {
			c.Trusted, c.ValidationError = posture.No, "x509: certificate signed by unknown authority"
		}), row{posture.Contradicted, CodeCertUntrusted}},
		{"hostname mismatch", nil, certObs(func(c *posture.Certificate) { c.HostnameMatch = posture.No }), row{posture.Contradicted, CodeCertHostname}},
		{"expired", nil, certObs(func(c *posture.Certificate) {
			c.NotAfter, c.Trusted = t0.Add(-day), posture.No
		}), row{posture.Contradicted, CodeCertExpired}},
		{"not yet valid", nil, certObs(func(c *posture.Certificate) { c.NotBefore = t0.Add(day) }), row{posture.Contradicted, CodeCertNotYetValid}},
		{"expiring in 10 days", nil, certObs(func(c *posture.Certificate) { c.NotAfter = t0.Add(10 * day) }), row{posture.Contradicted, CodeCertExpiring}},
		{"10 days is fine with min_days 7", map[string]string{"min_days": "7"}, certObs(func(c *posture.Certificate) { c.NotAfter = t0.Add(10 * day) }), row{posture.Verified, ""}},
		{"exactly min_days left", nil, certObs(func(c *posture.Certificate) { c.NotAfter = t0.Add(14 * day) }), row{posture.Verified, ""}},
		{"expired beats unknown trust", nil, certObs(func(c *posture.Certificate) {
			c.NotAfter, c.Trusted = t0.Add(-day), posture.Unknown
		}), row{posture.Contradicted, CodeCertExpired}},
		{"trust unknown", nil, certObs(func(c *posture.Certificate) { c.Trusted = posture.Unknown }), row{posture.Inconclusive, ""}},
		{"hostname match unknown", nil, certObs(func(c *posture.Certificate) { c.HostnameMatch = "" }), row{posture.Inconclusive, ""}},
		{"validity not recorded", nil, certObs(func(c *posture.Certificate) { c.NotAfter = time.Time{} }), row{posture.Inconclusive, ""}},
		{"no certificate", nil, func() posture.TLSObservation { o := certObs(nil); o.Certificate = nil; return o }(), row{posture.Inconclusive, ""}},
		{"unreachable", nil, func() posture.TLSObservation {
			o := certObs(nil)
			o.Certificate = nil
			o.Observation = failed(o.Observation, posture.ReasonHandshakeFailed)
			return o
		}(), row{posture.Inconclusive, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectOne(t, runKind(t, "tls.certificate_valid", tt.params, &posture.Snapshot{TLS: []posture.TLSObservation{tt.o}}), tt.want)
		})
	}
}

func TestTLSCertificateValidEvidence(t *testing.T) {
	o := certObs(func(c *posture.Certificate) {
		c.Trusted, c.ValidationError, c.HostnameMatch = posture.No, "x509: unknown authority", posture.No
	})
	f := expectOne(t, runKind(t, "tls.certificate_valid", nil, &posture.Snapshot{TLS: []posture.TLSObservation{o}}), row{posture.Contradicted, CodeCertUntrusted})
	if len(f.Evidence) != 1 || f.Evidence[0] != "chain-1" {
		t.Errorf("checks: evidence %v, want the chain evidence", f.Evidence)
	}
	for _, s := range []string{"unknown authority", "does not cover app.acme.example"} {
		if !strings.Contains(f.Message, s) {
			t.Errorf("checks: message %q lacks %q", f.Message, s)
		}
	}
	if !strings.Contains(f.Observed, "2027-01-23") {
		t.Errorf("checks: observed %q lacks the expiry date", f.Observed)
	}
}
