package checks

import (
	"slices"
	"strings"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

// suitesObs is a TLS observation with TLS 1.2 offered and enumerated.
func suitesObs(protos map[string]posture.Tri, suites ...posture.CipherSuiteProbe) posture.TLSObservation {
	o := tlsObs(protos)
	o.Suites = suites
	return o
}

func suites(proto string, names ...string) posture.CipherSuiteProbe {
	return posture.CipherSuiteProbe{Protocol: proto, Accepted: names, ServerOrder: posture.Yes}
}

func TestTLSNoWeakCiphers(t *testing.T) {
	N, U := posture.No, posture.Unknown
	only12 := with(modern, posture.TLSv1_3, N)
	good12 := suites(posture.TLSv1_2, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256")
	good13 := suites(posture.TLSv1_3, "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384")
	tests := []struct {
		name string
		o    posture.TLSObservation
		want row
		// inObserved must appear in the finding's Observed text.
		inObserved string
	}{
		{"strong only", suitesObs(modern, good12, good13), row{posture.Verified, ""}, "TLSv1.2: 2 suites"},
		{"NULL", suitesObs(only12, suites(posture.TLSv1_2, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_NULL_SHA256")), row{posture.Contradicted, CodeCipherNull}, "TLS_RSA_WITH_NULL_SHA256"},
		{"integrity only", suitesObs(with(modern, posture.TLSv1_2, N), suites(posture.TLSv1_3, "TLS_SHA256_SHA256")), row{posture.Contradicted, CodeCipherNull}, "TLS_SHA256_SHA256"},
		{"anon", suitesObs(only12, suites(posture.TLSv1_2, "TLS_DH_anon_WITH_AES_128_GCM_SHA256")), row{posture.Contradicted, CodeCipherAnon}, "anon"},
		{"export", suitesObs(with(only12, posture.TLSv1_0, posture.Yes), good12, suites(posture.TLSv1_0, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA")), row{posture.Contradicted, CodeCipherExport}, "TLSv1.0 TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"},
		{"rc4", suitesObs(only12, suites(posture.TLSv1_2, "TLS_ECDHE_RSA_WITH_RC4_128_SHA")), row{posture.Contradicted, CodeCipherRC4}, "RC4"},
		{"3des", suitesObs(only12, suites(posture.TLSv1_2, "TLS_RSA_WITH_3DES_EDE_CBC_SHA")), row{posture.Contradicted, CodeCipherDES}, "3DES"},
		{"single des", suitesObs(only12, suites(posture.TLSv1_2, "TLS_DHE_RSA_WITH_DES_CBC_SHA")), row{posture.Contradicted, CodeCipherDES}, "DES_CBC"},
		{"md5 mac without rc4", suitesObs(only12, suites(posture.TLSv1_2, "TLS_KRB5_WITH_IDEA_CBC_MD5")), row{posture.Contradicted, CodeCipherMD5}, "MD5"},
		// RC4 with MD5 is reported as its worst family, RC4; NULL beats both.
		{"worst family wins", suitesObs(only12, suites(posture.TLSv1_2, "TLS_RSA_WITH_RC4_128_MD5", "TLS_RSA_WITH_NULL_MD5")), row{posture.Contradicted, CodeCipherNull}, "TLS_RSA_WITH_RC4_128_MD5"},
		{"rc4 md5 is rc4", suitesObs(only12, suites(posture.TLSv1_2, "TLS_RSA_WITH_RC4_128_MD5")), row{posture.Contradicted, CodeCipherRC4}, ""},
		// Unknown ids are not judged.
		{"unknown id", suitesObs(only12, suites(posture.TLSv1_2, "0xC0FF")), row{posture.Verified, ""}, ""},
		// Incomplete knowledge: inconclusive unless a weak suite is seen anyway.
		{"enumeration cut short", suitesObs(only12, posture.CipherSuiteProbe{Protocol: posture.TLSv1_2, Accepted: []string{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}, Missing: miss(posture.ReasonTimeout)}), row{posture.Inconclusive, ""}, "incomplete"},
		{"cut short but rc4 seen", suitesObs(only12, posture.CipherSuiteProbe{Protocol: posture.TLSv1_2, Accepted: []string{"TLS_RSA_WITH_RC4_128_SHA"}, Missing: miss(posture.ReasonTimeout)}), row{posture.Contradicted, CodeCipherRC4}, ""},
		{"offered, not enumerated", suitesObs(modern, good12), row{posture.Inconclusive, ""}, "TLSv1.3 is offered"},
		{"version unknown", suitesObs(with(only12, posture.TLSv1_0, U), good12), row{posture.Inconclusive, ""}, "TLSv1.0"},
		{"nothing enumerated", suitesObs(only12), row{posture.Inconclusive, ""}, "not enumerated"},
		// An offered protocol with an empty list is an enumeration that saw
		// nothing, not one that found no weak suite.
		{"offered, empty list", suitesObs(modern, good12, suites(posture.TLSv1_3)), row{posture.Inconclusive, ""}, "no accepted suite was recorded"},
		{"scan failed", posture.TLSObservation{Observation: failed(obs(web("https://app.acme.example"), "tls", "192.0.2.10:443", "tls-1"), posture.ReasonRefused)}, row{posture.Inconclusive, ""}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := runKind(t, "tls.no_weak_ciphers", nil, &posture.Snapshot{TLS: []posture.TLSObservation{tc.o}})
			if len(fs) != 1 {
				t.Fatalf("checks: %d findings, want 1", len(fs))
			}
			f := fs[0]
			if f.Verdict != tc.want.verdict || f.Code != tc.want.code {
				t.Errorf("checks: %s %q, want %s %q: %s / %s", f.Verdict, f.Code, tc.want.verdict, tc.want.code, f.Message, f.Observed)
			}
			if !strings.Contains(f.Observed, tc.inObserved) {
				t.Errorf("checks: observed %q lacks %q", f.Observed, tc.inObserved)
			}
			if !slices.Equal(f.Evidence, []string{"tls-1"}) {
				t.Errorf("checks: evidence %v", f.Evidence)
			}
		})
	}
}

// Each family matches the IANA names the scanner reports for it, a suite
// in two families counts as the worse, and strong suites match none.
func TestWeakFamily(t *testing.T) {
	for name, want := range map[string]posture.Code{
		"TLS_RSA_WITH_NULL_MD5":                         CodeCipherNull,
		"TLS_NULL_WITH_NULL_NULL":                       CodeCipherNull,
		"TLS_ECDH_anon_WITH_AES_256_CBC_SHA":            CodeCipherAnon,
		"TLS_DH_anon_EXPORT_WITH_RC4_40_MD5":            CodeCipherAnon,
		"TLS_RSA_EXPORT1024_WITH_RC4_56_SHA":            CodeCipherExport,
		"TLS_ECDHE_ECDSA_WITH_RC4_128_SHA":              CodeCipherRC4,
		"TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA":           CodeCipherDES,
		"SSL_RSA_FIPS_WITH_DES_CBC_SHA":                 CodeCipherDES,
		"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA":            "",
		"TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256":      "",
		"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": "",
		"TLS_AES_128_CCM_8_SHA256":                      "",
		"TLS_RSA_WITH_SEED_CBC_SHA":                     "",
		"TLS_RSA_WITH_IDEA_CBC_SHA":                     "",
	} {
		var got posture.Code
		if f := weakFamily(name); f >= 0 {
			got = weakFamilies[f].code
		}
		if got != want {
			t.Errorf("checks: weakFamily(%s) = %q, want %q", name, got, want)
		}
	}
}
