package posture

import "testing"

func TestForwardSecret(t *testing.T) {
	for suite, want := range map[string]bool{
		"TLS_AES_128_GCM_SHA256":                true,
		"TLS_CHACHA20_POLY1305_SHA256":          true,
		"TLS_SHA256_SHA256":                     true, // RFC 9150, TLS 1.3
		"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": true,
		"TLS_DHE_RSA_WITH_AES_256_CBC_SHA":      true,
		"TLS_DHE_PSK_WITH_AES_128_GCM_SHA256":   true,
		"TLS_PSK_DHE_WITH_AES_128_CCM_8":        true,
		"TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA":   false, // static ECDH
		"TLS_RSA_WITH_AES_128_GCM_SHA256":       false,
		"TLS_PSK_WITH_AES_128_GCM_SHA256":       false,
		"TLS_DH_anon_WITH_AES_128_CBC_SHA":      false,
		"SSL_RSA_WITH_RC4_128_MD5":              false,
		"":                                      false,
	} {
		if got := ForwardSecret(suite); got != want {
			t.Errorf("ForwardSecret(%q) = %v, want %v", suite, got, want)
		}
	}
}
