package checks

import (
	"testing"

	"github.com/vouchdev/vouch/posture"
)

func TestTLSForwardSecrecy(t *testing.T) {
	N := posture.No
	only12 := with(modern, posture.TLSv1_3, N)
	fs12 := suites(posture.TLSv1_2, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384")
	mixed12 := suites(posture.TLSv1_2, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256")
	rsaFirst12 := suites(posture.TLSv1_2, "TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
	clientOrder12 := rsaFirst12
	clientOrder12.ServerOrder = N
	static12 := suites(posture.TLSv1_2, "TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_256_CBC_SHA")
	s13 := suites(posture.TLSv1_3, "TLS_AES_128_GCM_SHA256")
	negotiatedRSA := suitesObs(modern, mixed12, s13)
	negotiatedRSA.Negotiated = &posture.Negotiated{Protocol: posture.TLSv1_2, CipherSuite: "TLS_RSA_WITH_AES_128_GCM_SHA256"}
	// The server picked static RSA first from an FS-first offer, but the
	// order probe could not tell its order (it timed out).
	rsaFirstUnknown12 := rsaFirst12
	rsaFirstUnknown12.ServerOrder = posture.Unknown
	cut := posture.CipherSuiteProbe{Protocol: posture.TLSv1_2, Accepted: []string{"TLS_RSA_WITH_AES_128_GCM_SHA256"}, Missing: miss(posture.ReasonTimeout)}
	tests := []struct {
		name string
		mode string
		o    posture.TLSObservation
		want row
	}{
		{"all FS", "", suitesObs(modern, fs12, s13), row{posture.Verified, ""}},
		{"TLS 1.3 only", "", suitesObs(with(modern, posture.TLSv1_2, N), s13), row{posture.Verified, ""}},
		{"one static RSA suite", "", suitesObs(modern, mixed12, s13), row{posture.Contradicted, CodeFSNotAll}},
		{"no FS at all", "", suitesObs(only12, static12), row{posture.Contradicted, CodeFSNone}},
		{"no FS at all, preferred", "preferred", suitesObs(only12, static12), row{posture.Contradicted, CodeFSNone}},
		{"preferred: ECDHE first", "preferred", suitesObs(modern, mixed12, s13), row{posture.Verified, ""}},
		{"preferred: server prefers RSA", "preferred", suitesObs(only12, rsaFirst12), row{posture.Contradicted, CodeFSNotPreferred}},
		{"preferred: client order with ECDHE", "preferred", suitesObs(only12, clientOrder12), row{posture.Verified, ""}},
		{"preferred: order unknown, static RSA picked first", "preferred", suitesObs(only12, rsaFirstUnknown12), row{posture.Inconclusive, ""}},
		{"preferred: default handshake without FS", "preferred", negotiatedRSA, row{posture.Contradicted, CodeFSNotPreferred}},
		{"cut short but static RSA seen", "", suitesObs(only12, cut), row{posture.Contradicted, CodeFSNotAll}},
		{"cut short, nothing bad yet", "", suitesObs(only12, posture.CipherSuiteProbe{Protocol: posture.TLSv1_2, Accepted: []string{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}, Missing: miss(posture.ReasonTimeout)}), row{posture.Inconclusive, ""}},
		{"cut short, only static seen", "preferred", suitesObs(only12, func() posture.CipherSuiteProbe { c := cut; c.ServerOrder = posture.Unknown; return c }()), row{posture.Inconclusive, ""}},
		{"TLS 1.3 offered, not enumerated", "", suitesObs(modern, fs12), row{posture.Inconclusive, ""}},
		{"nothing enumerated", "", suitesObs(only12), row{posture.Inconclusive, ""}},
		{"TLS 1.3 offered, empty list", "", suitesObs(modern, fs12, suites(posture.TLSv1_3)), row{posture.Inconclusive, ""}},
		{"scan failed", "", posture.TLSObservation{Observation: failed(obs(web("https://app.acme.example"), "tls", "192.0.2.10:443", "tls-1"), posture.ReasonRefused)}, row{posture.Inconclusive, ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var params map[string]string
			if tc.mode != "" {
				params = map[string]string{"mode": tc.mode}
			}
			expectOne(t, runKind(t, "tls.forward_secrecy", params, &posture.Snapshot{TLS: []posture.TLSObservation{tc.o}}), tc.want)
		})
	}
	if err := ValidateParams("tls.forward_secrecy", map[string]string{"mode": "most"}); err == nil {
		t.Error("checks: mode most accepted")
	}
}
