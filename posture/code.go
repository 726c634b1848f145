package posture

import (
	"maps"
	"slices"
	"strings"
)

// Code is a stable issue code, such as tls.protocol.tls10_enabled or
// email.dkim.p_invalid: a dotted lower-case id naming one problem.
//
// Codes are API. SARIF results, CI baselines (report diffs) and recorded
// snapshots refer to them, so a code is never renamed or removed: its old
// spelling goes into the alias table instead, and every Code read from
// JSON or text is turned into the code it is now (see Canonical).
//
// The codes that scanners record in observations and checks judge are the
// constants of this package (codes_*.go); the codes only checks give to
// findings are constants of package checks, of this same type. The golden
// list checks/testdata/codes.golden holds every code ever published, in
// the order they were added, and a test fails when one disappears.
type Code string

// String returns the code as it is written.
func (c Code) String() string { return string(c) }

// Canonical returns the code that c is now: the alias target when c is an
// old spelling, c itself otherwise.
func (c Code) Canonical() Code {
	if n, ok := aliases[c]; ok {
		return n
	}
	return c
}

// UnmarshalText reads a code and resolves an old spelling to the current
// one, so that a snapshot or report written before a rename reads as if
// it had been written today.
func (c *Code) UnmarshalText(b []byte) error {
	*c = Code(b).Canonical()
	return nil
}

// aliases maps an old spelling of a code to the code it became. Only
// ever add to it; an alias target is a current code, never another alias.
var aliases = map[Code]Code{
	// dnsscan once judged DKIM key length itself (below 1024 and below
	// 2048 bits). It now records the key type and size only, and
	// email.dkim judges them against its min_bits parameter, with these
	// codes.
	"email.dkim.rsa_below_1024": "email.dkim.key_insecure",
	"email.dkim.rsa_below_2048": "email.dkim.key_weak",
}

// Aliases returns a copy of the alias table: old spelling to current code.
func Aliases() map[Code]Code { return maps.Clone(aliases) }

// ScannerCodes returns every code of this package (the codes scanners
// record in observations), sorted.
func ScannerCodes() []Code {
	out := []Code{
		CodeDKIMVInvalid, CodeDKIMVNotFirst, CodeDKIMSyntax, CodeDKIMDuplicateTag,
		CodeDKIMKUnknown, CodeDKIMPInvalid, CodeDKIMKeyMismatch, CodeDKIMEd25519NotRaw,
		CodeDKIMSHA1Only, CodeDKIMHUnknown, CodeDKIMRevoked, CodeDKIMTesting,
		CodeDMARCMultipleRecords, CodeDMARCVNotFirst, CodeDMARCSyntax, CodeDMARCDuplicateTag,
		CodeDMARCPMissing, CodeDMARCPInvalid, CodeDMARCSPInvalid, CodeDMARCNPInvalid,
		CodeDMARCPctInvalid, CodeDMARCADKIMInvalid, CodeDMARCASPFInvalid, CodeDMARCFOInvalid,
		CodeDMARCRIInvalid, CodeDMARCRUAInvalid, CodeDMARCRUFInvalid, CodeMTASTSMultipleRecords,
		CodeMTASTSSyntax, CodeMTASTSNoID, CodeTLSRPTMultipleRecords, CodeTLSRPTSyntax,
		CodeTLSRPTNoRUA, CodeTLSRPTBadRUA, CodeMTASTSPolicyVersion, CodeMTASTSPolicyMode,
		CodeMTASTSPolicyMaxAge, CodeMTASTSPolicyNoMX, CodeMTASTSPolicySyntax, CodeMTASTSPolicyDuplicate,
		CodeMTASTSPolicyContentType, CodeMTASTSPolicyHostMissing, CodeMTASTSPolicyHTTPStatus, CodeMTASTSPolicyTLS,
		CodeMTASTSPolicyMXUnmatched, CodeCAAUnknownCritical, CodeCAASyntax, CodeHSTSEmpty,
		CodeHSTSMaxAgeMissing, CodeHSTSMaxAgeInvalid, CodeHSTSDuplicateDirective, CodeHSTSMultipleHeaders,
		CodeHSTSSyntax, CodeHSTSUnexpectedValue, CodeHSTSUntrustedCertificate, CodeHeadersNoSniffMissing,
		CodeHeadersFrameOptionsInvalid, CodeHeadersNoFrameProtection, CodeHeadersCSPMissing, CodeHeadersVersionBanner,
		CodeCSPUnsafeInline, CodeCSPUnsafeEval, CodeCSPWildcardSource, CodeCSPNoDefaultSrc,
		CodeCSPNoFrameAncestors, CodeCSPDuplicateDirective, CodeCSPInvalidDirective, CodeCookieHostPrefix,
		CodeCookieSecurePrefix, CodeCookieSecureOverHTTP, CodeCookieDomainBroad, CodeCookieDomainMismatch,
		CodeCookieLongLived, CodeSecTxtMissing, CodeSecTxtNotTextPlain, CodeSecTxtNoContact,
		CodeSecTxtNoExpires, CodeSecTxtExpired, CodeSecTxtExpiresTooFar, CodeSecTxtMultipleExpires,
		CodeSecTxtDuplicateField, CodeSecTxtInvalidField, CodeSecTxtSyntax, CodeSecTxtNotUTF8,
	}
	slices.Sort(out)
	return out
}

// JoinCodes joins codes with sep, as strings.Join does strings.
func JoinCodes(cs []Code, sep string) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, sep)
}
