package checks

import (
	"testing"

	"github.com/vouchdev/vouch/posture"
)

func TestTLSCertificateSignature(t *testing.T) {
	sig := func(alg string) posture.TLSObservation {
		return certObs(func(c *posture.Certificate) { c.SignatureAlgorithm = alg })
	}
	p := func(alg string) map[string]string { return map[string]string{"algorithm": alg} }
	tests := []struct {
		name   string
		params map[string]string
		o      posture.TLSObservation
		want   row
	}{
		{"sha256 rsa, no claim", nil, sig("SHA256-RSA"), row{posture.Verified, ""}},
		{"sha1 rsa", nil, sig("SHA1-RSA"), row{posture.Contradicted, CodeSigWeak}},
		{"md5 rsa", nil, sig("MD5-RSA"), row{posture.Contradicted, CodeSigWeak}},
		{"ecdsa sha1", nil, sig("ECDSA-SHA1"), row{posture.Contradicted, CodeSigWeak}},
		{"claim SHA256-RSA holds", p("SHA256-RSA"), sig("SHA256-RSA"), row{posture.Verified, ""}},
		{"claim 'SHA-256 RSA' holds", p("SHA-256 RSA"), sig("SHA256-RSA"), row{posture.Verified, ""}},
		{"claim 'RSA with SHA-256' holds", p("RSA with SHA-256"), sig("SHA256-RSA"), row{posture.Verified, ""}},
		{"claim SHA256-RSA, ECDSA served", p("SHA256-RSA"), sig("ECDSA-SHA256"), row{posture.Contradicted, CodeSigMismatch}},
		{"claim SHA256-RSA, SHA384 served", p("SHA256-RSA"), sig("SHA384-RSA"), row{posture.Contradicted, CodeSigMismatch}},
		{"claim sha256 holds for ECDSA", p("sha256"), sig("ECDSA-SHA256"), row{posture.Verified, ""}},
		{"claim list", p("ECDSA-SHA384, SHA256-RSA"), sig("SHA256-RSA"), row{posture.Verified, ""}},
		{"claim rsa holds for PSS", p("rsa"), sig("SHA256-RSAPSS"), row{posture.Verified, ""}},
		{"claim ecdsa, Ed25519 served", p("ecdsa"), sig("Ed25519"), row{posture.Contradicted, CodeSigMismatch}},
		{"weak beats claim", p("rsa"), sig("SHA1-RSA"), row{posture.Contradicted, CodeSigWeak}},
		{"not recorded", nil, sig(""), row{posture.Inconclusive, ""}},
		// Go names an algorithm it does not recognise (RSA-PSS with SHA-1,
		// GOST, SM2) by its number: its hash is unknown, not strong.
		{"unrecognised algorithm", nil, sig("0"), row{posture.Inconclusive, ""}},
		{"unrecognised algorithm, claim", p("sha256"), sig("0"), row{posture.Inconclusive, ""}},
		{"scan failed", nil, posture.TLSObservation{Observation: failed(obs(web("https://app.acme.example"), "tls", "192.0.2.10:443", "tls-1"), posture.ReasonTimeout)}, row{posture.Inconclusive, ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expectOne(t, runKind(t, "tls.certificate_signature", tc.params, &posture.Snapshot{TLS: []posture.TLSObservation{tc.o}}), tc.want)
		})
	}
	for _, bad := range []string{"SHA1-RSA", " - ", "md5"} {
		if err := ValidateParams("tls.certificate_signature", p(bad)); err == nil {
			t.Errorf("checks: algorithm %q accepted", bad)
		}
	}
}
