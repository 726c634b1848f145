package checks

import (
	"testing"

	"github.com/vouchdev/vouch/posture"
)

func TestTLS13Offered(t *testing.T) {
	Y, N, U := posture.Yes, posture.No, posture.Unknown
	negotiated13 := tlsObs(with(modern, posture.TLSv1_3, U))
	negotiated13.Negotiated = &posture.Negotiated{Protocol: posture.TLSv1_3, CipherSuite: "TLS_AES_128_GCM_SHA256"}
	negotiated12 := tlsObs(with(modern, posture.TLSv1_3, U))
	negotiated12.Negotiated = &posture.Negotiated{Protocol: posture.TLSv1_2, CipherSuite: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}
	tests := []struct {
		name   string
		o      posture.TLSObservation
		want   row
		reason posture.Reason
	}{
		{"offered", tlsObs(modern), row{posture.Verified, ""}, ""},
		{"only TLS 1.3", tlsObs(with(modern, posture.TLSv1_2, N)), row{posture.Verified, ""}, ""},
		{"refused", tlsObs(with(modern, posture.TLSv1_3, N)), row{posture.Contradicted, CodeTLS13NotOffered}, ""},
		{"refused, old ones on", tlsObs(with(modern, posture.TLSv1_3, N, posture.TLSv1_0, Y)), row{posture.Contradicted, CodeTLS13NotOffered}, ""},
		{"unknown", tlsObs(with(modern, posture.TLSv1_3, U)), row{posture.Inconclusive, ""}, posture.ReasonTimeout},
		{"unknown, default handshake was 1.3", negotiated13, row{posture.Verified, ""}, ""},
		{"unknown, default handshake was 1.2", negotiated12, row{posture.Inconclusive, ""}, posture.ReasonTimeout},
		{"not probed", tlsObs(with(modern, posture.TLSv1_3, nil)), row{posture.Inconclusive, ""}, posture.ReasonNotScanned},
		{"scan failed", posture.TLSObservation{Observation: failed(obs(web("https://app.acme.example"), "tls", "192.0.2.10:443", "tls-1"), posture.ReasonRefused)}, row{posture.Inconclusive, ""}, posture.ReasonRefused},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := runKind(t, "tls.tls13_offered", nil, &posture.Snapshot{TLS: []posture.TLSObservation{tc.o}})
			if len(fs) != 1 {
				t.Fatalf("checks: %d findings, want 1", len(fs))
			}
			f := fs[0]
			if f.Verdict != tc.want.verdict || f.Code != tc.want.code {
				t.Errorf("checks: %s %q, want %s %q: %s", f.Verdict, f.Code, tc.want.verdict, tc.want.code, f.Message)
			}
			if tc.reason != "" && (f.Reason == nil || f.Reason.Reason != tc.reason) {
				t.Errorf("checks: reason %v, want %s", f.Reason, tc.reason)
			}
		})
	}
	// Two endpoints, two findings, in snapshot order.
	fs := runKind(t, "tls.tls13_offered", nil, &posture.Snapshot{TLS: []posture.TLSObservation{tlsObs(modern), tlsObs(with(modern, posture.TLSv1_3, N))}})
	if len(fs) != 2 || fs[0].Verdict != posture.Verified || fs[1].Verdict != posture.Contradicted {
		t.Errorf("checks: two endpoints gave %+v", fs)
	}
}
