package checks

import (
	"testing"

	"github.com/vouchdev/vouch/posture"
)

func TestTLSLegacyProtocolsDisabled(t *testing.T) {
	Y, N, U := posture.Yes, posture.No, posture.Unknown
	negotiated10 := tlsObs(with(modern, posture.TLSv1_0, U))
	negotiated10.Negotiated = &posture.Negotiated{Protocol: posture.TLSv1_0, CipherSuite: "TLS_RSA_WITH_AES_128_CBC_SHA"}
	tests := []struct {
		name   string
		o      posture.TLSObservation
		want   row
		reason posture.Reason
	}{
		{"modern only", tlsObs(modern), row{posture.Verified, ""}, ""},
		// Legacy-only claim: TLS 1.2 being off is not its business.
		{"only TLS 1.3", tlsObs(with(modern, posture.TLSv1_2, N)), row{posture.Verified, ""}, ""},
		{"SSLv3", tlsObs(with(modern, posture.SSLv3, Y)), row{posture.Contradicted, CodeTLSSSL3Enabled}, ""},
		{"TLS 1.0", tlsObs(with(modern, posture.TLSv1_0, Y)), row{posture.Contradicted, CodeTLS10Enabled}, ""},
		{"TLS 1.1 and 1.0: oldest first", tlsObs(with(modern, posture.TLSv1_1, Y, posture.TLSv1_0, Y)), row{posture.Contradicted, CodeTLS10Enabled}, ""},
		{"TLS 1.1 on, SSLv3 unknown", tlsObs(with(modern, posture.TLSv1_1, Y, posture.SSLv3, U)), row{posture.Contradicted, CodeTLS11Enabled}, ""},
		{"TLS 1.0 unknown", tlsObs(with(modern, posture.TLSv1_0, U)), row{posture.Inconclusive, ""}, posture.ReasonTimeout},
		{"unknown, but negotiated", negotiated10, row{posture.Contradicted, CodeTLS10Enabled}, ""},
		{"SSLv3 not probed", tlsObs(with(modern, posture.SSLv3, nil)), row{posture.Inconclusive, ""}, posture.ReasonNotScanned},
		{"scan failed", posture.TLSObservation{Observation: failed(obs(web("https://app.acme.example"), "tls", "192.0.2.10:443", "tls-1"), posture.ReasonRefused)}, row{posture.Inconclusive, ""}, posture.ReasonRefused},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := expectOne(t, runKind(t, "tls.legacy_protocols_disabled", nil, &posture.Snapshot{TLS: []posture.TLSObservation{tc.o}}), tc.want)
			if tc.reason != "" && (f.Reason == nil || f.Reason.Reason != tc.reason) {
				t.Errorf("checks: reason %v, want %s", f.Reason, tc.reason)
			}
		})
	}
}
