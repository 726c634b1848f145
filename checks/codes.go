package checks

import (
	"slices"

	"github.com/vouchdev/vouch/posture"
)

// Issue codes are API: SARIF rule results, CI baselines and waivers refer
// to them. Never rename one; add an alias instead.
const (
	// tls.min_version
	CodeTLSSSL3Enabled  posture.Code = "tls.protocol.ssl3_enabled"
	CodeTLS10Enabled    posture.Code = "tls.protocol.tls10_enabled"
	CodeTLS11Enabled    posture.Code = "tls.protocol.tls11_enabled"
	CodeTLS12Enabled    posture.Code = "tls.protocol.tls12_enabled"
	CodeTLSNoneModern   posture.Code = "tls.protocol.none_modern"
	CodeCertUntrusted   posture.Code = "tls.certificate.untrusted"
	CodeCertHostname    posture.Code = "tls.certificate.hostname_mismatch"
	CodeCertExpired     posture.Code = "tls.certificate.expired"
	CodeCertNotYetValid posture.Code = "tls.certificate.not_yet_valid"
	CodeCertExpiring    posture.Code = "tls.certificate.expiring_soon"

	// http.https_redirect
	CodeRedirectNoHTTPS posture.Code = "http.redirect.no_https"

	// http.hsts (the scanner's own parse issues, such as
	// http.hsts.max_age_missing, are passed through as they are)
	CodeHSTSMissing             posture.Code = "http.hsts.missing"
	CodeHSTSInvalid             posture.Code = "http.hsts.invalid"
	CodeHSTSMaxAgeShort         posture.Code = "http.hsts.max_age_short"
	CodeHSTSNoIncludeSubdomains posture.Code = "http.hsts.no_include_subdomains"
	CodeHSTSNoPreload           posture.Code = "http.hsts.no_preload"

	// email.dmarc (the scanner's parse issues are passed through)
	CodeDMARCMissing    posture.Code = "email.dmarc.missing"
	CodeDMARCInvalid    posture.Code = "email.dmarc.invalid"
	CodeDMARCPolicyNone posture.Code = "email.dmarc.policy_none"
	CodeDMARCPolicyWeak posture.Code = "email.dmarc.policy_weak"
	CodeDMARCPctPartial posture.Code = "email.dmarc.pct_partial"

	// email.spf
	CodeSPFMissing         posture.Code = "email.spf.missing"
	CodeSPFMultipleRecords posture.Code = "email.spf.multiple_records"
	CodeSPFAllWeak         posture.Code = "email.spf.all_weak"

	// email.dkim
	CodeDKIMMissing posture.Code = "email.dkim.missing"
	CodeDKIMKeyWeak posture.Code = "email.dkim.key_weak"

	// waf.present
	CodeWAFAbsent         posture.Code = "waf.absent"
	CodeWAFVendorMismatch posture.Code = "waf.vendor_mismatch"

	// The engine's own codes, on inconclusive findings only.
	CodeKindUnknown  posture.Code = "check.kind_unknown"  // verify kind names no registered check
	CodeParamUnknown posture.Code = "check.param_unknown" // a parameter the check does not document
	CodeParamInvalid posture.Code = "check.param_invalid" // a parameter value the check cannot use
	CodePanicked     posture.Code = "check.panicked"      // the check panicked
	CodeBadVerdict   posture.Code = "check.bad_verdict"   // the check returned a verdict only the engine may give
	CodeNoMethod     posture.Code = "check.no_method"     // the control has neither verify nor attested
)

// Codes returns every issue code this package defines, sorted. The
// scanners' codes that checks pass through or emit as they are
// (posture.ScannerCodes) are not listed; AllCodes joins both.
func Codes() []posture.Code {
	out := []posture.Code{
		CodeTLSSSL3Enabled, CodeTLS10Enabled, CodeTLS11Enabled, CodeTLS12Enabled, CodeTLSNoneModern,
		CodeCertUntrusted, CodeCertHostname, CodeCertExpired, CodeCertNotYetValid, CodeCertExpiring,
		CodeRedirectNoHTTPS,
		CodeHSTSMissing, CodeHSTSInvalid, CodeHSTSMaxAgeShort, CodeHSTSNoIncludeSubdomains, CodeHSTSNoPreload,
		CodeDMARCMissing, CodeDMARCInvalid, CodeDMARCPolicyNone, CodeDMARCPolicyWeak, CodeDMARCPctPartial,
		CodeSPFMissing, CodeSPFMultipleRecords, CodeSPFAllWeak,
		CodeDKIMMissing, CodeDKIMKeyWeak,
		CodeWAFAbsent, CodeWAFVendorMismatch,
		CodeKindUnknown, CodeParamUnknown, CodeParamInvalid, CodePanicked, CodeBadVerdict, CodeNoMethod,
	}
	out = append(out, CodesTLS()...)
	out = append(out, CodesHTTP()...)
	out = append(out, CodesEmail()...)
	out = append(out, CodesNuclei()...)
	slices.Sort(out)
	return out
}

// AllCodes returns every issue code in use, the scanners' and the
// checks', sorted: the list checks/testdata/codes.golden guards.
func AllCodes() []posture.Code {
	out := append(Codes(), posture.ScannerCodes()...)
	slices.Sort(out)
	return slices.Compact(out)
}
