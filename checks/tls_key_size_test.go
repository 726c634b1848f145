package checks

import (
	"testing"

	"github.com/vouchdev/vouch/posture"
)

func TestTLSKeySize(t *testing.T) {
	// key is an endpoint offering TLS 1.2 and 1.3, both enumerated to
	// the end, with no DHE suite.
	key := func(typ string, bits int) posture.TLSObservation {
		o := certObs(func(c *posture.Certificate) { c.KeyType, c.KeyBits = typ, bits })
		o.Suites = []posture.CipherSuiteProbe{
			suites(posture.TLSv1_2, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
			suites(posture.TLSv1_3, "TLS_AES_128_GCM_SHA256"),
		}
		return o
	}
	dhe := func(o posture.TLSObservation, bits int) posture.TLSObservation {
		o.Suites = []posture.CipherSuiteProbe{suites(posture.TLSv1_2, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"), suites(posture.TLSv1_3, "TLS_AES_128_GCM_SHA256")}
		o.DHBits = bits
		return o
	}
	// cut is key with the TLS 1.2 enumeration stopped by a timeout: a
	// DHE suite may be among those not seen.
	cut := func(typ string, bits int) posture.TLSObservation {
		o := key(typ, bits)
		o.Suites[0].Missing = miss(posture.ReasonTimeout)
		return o
	}
	unenumerated := func() posture.TLSObservation { o := key("RSA", 2048); o.Suites = o.Suites[1:]; return o }
	tests := []struct {
		name   string
		params map[string]string
		o      posture.TLSObservation
		want   row
	}{
		{"ECDSA 256", nil, key("ECDSA", 256), row{posture.Verified, ""}},
		{"RSA 2048", nil, key("RSA", 2048), row{posture.Verified, ""}},
		{"RSA 1024", nil, key("RSA", 1024), row{posture.Contradicted, CodeKeyRSASmall}},
		{"RSA 2048 with min_rsa 4096", map[string]string{"min_rsa": "4096"}, key("RSA", 2048), row{posture.Contradicted, CodeKeyRSASmall}},
		{"DSA 1024", nil, key("DSA", 1024), row{posture.Contradicted, CodeKeyRSASmall}},
		{"ECDSA 256 with min_ecdsa 384", map[string]string{"min_ecdsa": "384"}, key("ECDSA", 256), row{posture.Contradicted, CodeKeyECDSASmall}},
		{"Ed25519", nil, key("Ed25519", 256), row{posture.Verified, ""}},
		{"DHE 2048", nil, dhe(key("RSA", 2048), 2048), row{posture.Verified, ""}},
		{"DHE 1024", nil, dhe(key("RSA", 2048), 1024), row{posture.Contradicted, CodeKeyDHSmall}},
		{"DHE 1024 allowed", map[string]string{"min_dh": "1024"}, dhe(key("RSA", 2048), 1024), row{posture.Verified, ""}},
		{"DHE size unknown", nil, dhe(key("RSA", 2048), 0), row{posture.Inconclusive, ""}},
		{"small RSA beats unknown DH", nil, dhe(key("RSA", 1024), 0), row{posture.Contradicted, CodeKeyRSASmall}},
		{"no DHE seen, enumeration cut short", nil, cut("RSA", 2048), row{posture.Inconclusive, ""}},
		{"no DHE seen, offered protocol not enumerated", nil, unenumerated(), row{posture.Inconclusive, ""}},
		{"no DHE seen, no suites enumerated", nil, certObs(nil), row{posture.Inconclusive, ""}},
		{"small RSA beats cut enumeration", nil, cut("RSA", 1024), row{posture.Contradicted, CodeKeyRSASmall}},
		{"key size not recorded", nil, key("RSA", 0), row{posture.Inconclusive, ""}},
		{"unknown key type", nil, key("GOST", 512), row{posture.Inconclusive, ""}},
		{"no certificate", nil, func() posture.TLSObservation { o := certObs(nil); o.Certificate = nil; return o }(), row{posture.Inconclusive, ""}},
		{"scan failed", nil, posture.TLSObservation{Observation: failed(obs(web("https://app.acme.example"), "tls", "192.0.2.10:443", "tls-1"), posture.ReasonTimeout)}, row{posture.Inconclusive, ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expectOne(t, runKind(t, "tls.key_size", tc.params, &posture.Snapshot{TLS: []posture.TLSObservation{tc.o}}), tc.want)
		})
	}
	for _, bad := range []map[string]string{{"min_rsa": "big"}, {"min_dh": "-1"}} {
		if err := ValidateParams("tls.key_size", bad); err == nil {
			t.Errorf("checks: %v accepted", bad)
		}
	}
}
