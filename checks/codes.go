package checks

import "sort"

// Issue codes are API: SARIF rule results, CI baselines and waivers refer
// to them. Never rename one; add an alias instead.
const (
	// tls.min_version
	CodeTLSSSL3Enabled  = "tls.protocol.ssl3_enabled"
	CodeTLS10Enabled    = "tls.protocol.tls10_enabled"
	CodeTLS11Enabled    = "tls.protocol.tls11_enabled"
	CodeTLS12Enabled    = "tls.protocol.tls12_enabled"
	CodeTLSNoneModern   = "tls.protocol.none_modern"
	CodeCertUntrusted   = "tls.certificate.untrusted"
	CodeCertHostname    = "tls.certificate.hostname_mismatch"
	CodeCertExpired     = "tls.certificate.expired"
	CodeCertNotYetValid = "tls.certificate.not_yet_valid"
	CodeCertExpiring    = "tls.certificate.expiring_soon"

	// http.https_redirect
	CodeRedirectNoHTTPS = "http.redirect.no_https"

	// http.hsts (the scanner's own parse issues, such as
	// http.hsts.max_age_missing, are passed through as they are)
	CodeHSTSMissing             = "http.hsts.missing"
	CodeHSTSInvalid             = "http.hsts.invalid"
	CodeHSTSMaxAgeShort         = "http.hsts.max_age_short"
	CodeHSTSNoIncludeSubdomains = "http.hsts.no_include_subdomains"
	CodeHSTSNoPreload           = "http.hsts.no_preload"

	// email.dmarc (the scanner's parse issues are passed through)
	CodeDMARCMissing         = "email.dmarc.missing"
	CodeDMARCInvalid         = "email.dmarc.invalid"
	CodeDMARCMultipleRecords = "email.dmarc.multiple_records"
	CodeDMARCPolicyNone      = "email.dmarc.policy_none"
	CodeDMARCPolicyWeak      = "email.dmarc.policy_weak"
	CodeDMARCPctPartial      = "email.dmarc.pct_partial"

	// email.spf
	CodeSPFMissing         = "email.spf.missing"
	CodeSPFMultipleRecords = "email.spf.multiple_records"
	CodeSPFAllWeak         = "email.spf.all_weak"

	// email.dkim
	CodeDKIMMissing = "email.dkim.missing"
	CodeDKIMKeyWeak = "email.dkim.key_weak"

	// waf.present
	CodeWAFAbsent         = "waf.absent"
	CodeWAFVendorMismatch = "waf.vendor_mismatch"

	// The engine's own codes, on inconclusive findings only.
	CodeKindUnknown  = "check.kind_unknown"  // verify kind names no registered check
	CodeParamUnknown = "check.param_unknown" // a parameter the check does not document
	CodeParamInvalid = "check.param_invalid" // a parameter value the check cannot use
	CodePanicked     = "check.panicked"      // the check panicked
	CodeBadVerdict   = "check.bad_verdict"   // the check returned a verdict only the engine may give
	CodeNoMethod     = "check.no_method"     // the control has neither verify nor attested
)

// Codes returns every issue code this package emits itself, sorted.
// Parse issues passed through from scanners (HSTS, DMARC) are not listed.
func Codes() []string {
	out := []string{
		CodeTLSSSL3Enabled, CodeTLS10Enabled, CodeTLS11Enabled, CodeTLS12Enabled, CodeTLSNoneModern,
		CodeCertUntrusted, CodeCertHostname, CodeCertExpired, CodeCertNotYetValid, CodeCertExpiring,
		CodeRedirectNoHTTPS,
		CodeHSTSMissing, CodeHSTSInvalid, CodeHSTSMaxAgeShort, CodeHSTSNoIncludeSubdomains, CodeHSTSNoPreload,
		CodeDMARCMissing, CodeDMARCInvalid, CodeDMARCMultipleRecords, CodeDMARCPolicyNone, CodeDMARCPolicyWeak, CodeDMARCPctPartial,
		CodeSPFMissing, CodeSPFMultipleRecords, CodeSPFAllWeak,
		CodeDKIMMissing, CodeDKIMKeyWeak,
		CodeWAFAbsent, CodeWAFVendorMismatch,
		CodeKindUnknown, CodeParamUnknown, CodeParamInvalid, CodePanicked, CodeBadVerdict, CodeNoMethod,
	}
	out = append(out, CodesTLS()...)
	out = append(out, CodesHTTP()...)
	out = append(out, CodesEmail()...)
	out = append(out, CodesNuclei()...)
	sort.Strings(out)
	return out
}
