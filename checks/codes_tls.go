package checks

import "github.com/vouchdev/vouch/posture"

// Issue codes of the cipher suite and TLS 1.3 checks. They are API like
// those of codes.go.
const (
	// tls.no_weak_ciphers, worst first: the finding carries the worst
	// family seen and its message lists every weak suite.
	CodeCipherNull   posture.Code = "tls.cipher.null"      // no encryption (NULL cipher, integrity-only suites)
	CodeCipherAnon   posture.Code = "tls.cipher.anonymous" // no server authentication (anon key exchange)
	CodeCipherExport posture.Code = "tls.cipher.export"    // export-grade keys (40/56-bit, 512-bit key exchange)
	CodeCipherRC4    posture.Code = "tls.cipher.rc4"       // RC4 (RFC 7465 prohibits it)
	CodeCipherDES    posture.Code = "tls.cipher.des"       // single DES or 3DES (64-bit blocks: Sweet32)
	CodeCipherMD5    posture.Code = "tls.cipher.md5"       // MD5 record MAC

	// tls.tls13_offered
	CodeTLS13NotOffered posture.Code = "tls.protocol.tls13_not_offered"

	// tls.legacy_protocols_disabled reuses CodeTLSSSL3Enabled,
	// CodeTLS10Enabled and CodeTLS11Enabled of codes.go.

	// tls.forward_secrecy
	CodeFSNone         posture.Code = "tls.forward_secrecy.none"          // no suite with forward secrecy accepted
	CodeFSNotAll       posture.Code = "tls.forward_secrecy.not_all"       // some accepted suite lacks forward secrecy (mode all)
	CodeFSNotPreferred posture.Code = "tls.forward_secrecy.not_preferred" // the server's choice lacks forward secrecy (mode preferred)

	// tls.key_size
	CodeKeyRSASmall   posture.Code = "tls.key.rsa_too_small"   // RSA (or DSA) certificate key below min_rsa
	CodeKeyECDSASmall posture.Code = "tls.key.ecdsa_too_small" // ECDSA/EdDSA certificate key below min_ecdsa
	CodeKeyDHSmall    posture.Code = "tls.key.dh_too_small"    // finite-field DHE group below min_dh

	// tls.certificate_signature
	CodeSigWeak     posture.Code = "tls.certificate.signature_weak"     // SHA-1, MD5 or MD2 signature
	CodeSigMismatch posture.Code = "tls.certificate.signature_mismatch" // not one of the declared algorithms

	// tls.grade
	CodeGradeBelow posture.Code = "tls.grade.below_minimum"

	// tls.starttls
	CodeSTARTTLSNotOffered  posture.Code = "tls.starttls.not_offered"         // the MX host offers no TLS over STARTTLS
	CodeSTARTTLSOldVersion  posture.Code = "tls.starttls.old_version"         // STARTTLS negotiates a version below min
	CodeSTARTTLSCertInvalid posture.Code = "tls.starttls.certificate_invalid" // untrusted, misnamed or expired certificate
)

// CodesTLS returns the codes of this file, sorted; Codes() includes them.
func CodesTLS() []posture.Code {
	return []posture.Code{
		CodeCipherAnon, CodeCipherDES, CodeCipherExport, CodeCipherMD5, CodeCipherNull, CodeCipherRC4,
		CodeTLS13NotOffered,
		CodeFSNone, CodeFSNotAll, CodeFSNotPreferred,
		CodeKeyRSASmall, CodeKeyECDSASmall, CodeKeyDHSmall,
		CodeSigWeak, CodeSigMismatch,
		CodeGradeBelow,
		CodeSTARTTLSNotOffered, CodeSTARTTLSOldVersion, CodeSTARTTLSCertInvalid,
	}
}
