package checks

import (
	"slices"

	"github.com/vouchdev/vouch/posture"
)

// Issue codes of http.security_txt, http.cookies_secure,
// http.security_headers, http.hsts_preload_ready and the redirect loop of
// http.https_redirect. Like those of codes.go they are API: never rename
// one. Where a code is also a scanner's issue code (httpscan records
// http.securitytxt.*, http.cookie.* and http.headers.* facts), the check
// uses the posture constant, so a baseline names one code whichever side
// found it.
const (
	// http.https_redirect: the plain-HTTP chain comes back to a URL it
	// already visited, so a visitor never arrives anywhere.
	CodeRedirectLoop posture.Code = "http.redirect.loop"

	// http.hsts_preload_ready, after the hstspreload.org rules (the
	// header codes http.hsts.missing, .max_age_short,
	// .no_include_subdomains and .no_preload of codes.go are shared with
	// http.hsts; the scanner's parse issues are passed through).
	CodeHSTSHTTPNotRedirected        posture.Code = "http.hsts.http_not_redirected"          // http://host/ answers without a redirect
	CodeHSTSRedirectNotSameHostFirst posture.Code = "http.hsts.redirect_not_same_host_first" // the first redirect is not to https:// on the same host
	CodeHSTSRedirectNoHSTS           posture.Code = "http.hsts.redirect_no_hsts"             // that first HTTPS redirect lacks a preloadable header
	CodeHSTSRedirectInsecure         posture.Code = "http.hsts.redirect_insecure"            // a later redirect goes back to http://
	CodeHSTSTooManyRedirects         posture.Code = "http.hsts.too_many_redirects"           // more than 3 redirects from http://host/
	CodeHSTSRedirectLoop             posture.Code = "http.hsts.redirect_loop"                // the chain from http://host/ loops
	// (http.hsts and http.hsts_preload_ready also pass through the
	// scanner's posture.CodeHSTSUntrustedCertificate and
	// posture.CodeHSTSMultipleHeaders.)

	// http.security_txt (the scanner's parse issues, such as
	// http.securitytxt.no_contact, are passed through as they are, and
	// so are posture.CodeSecTxtMissing, CodeSecTxtExpired,
	// CodeSecTxtExpiresTooFar and CodeSecTxtDuplicateField, advisory)
	CodeSecTxtUnsigned posture.Code = "http.securitytxt.unsigned"

	// http.cookies_secure (with the scanner's
	// posture.CodeCookieHostPrefix and CodeCookieSecurePrefix)
	CodeCookieNotSecure    posture.Code = "http.cookie.not_secure"
	CodeCookieNotHTTPOnly  posture.Code = "http.cookie.not_httponly"
	CodeCookieNoSameSite   posture.Code = "http.cookie.no_samesite"
	CodeCookieSameSiteNone posture.Code = "http.cookie.samesite_none"
	CodeCookieSameSiteLax  posture.Code = "http.cookie.samesite_lax" // samesite: strict asked, Lax set

	// http.security_headers (with the scanner's
	// posture.CodeHeadersNoSniffMissing, CodeHeadersNoFrameProtection,
	// CodeHeadersCSPMissing and CodeHeadersVersionBanner)
	CodeHeadersCSPUnsafe          posture.Code = "http.headers.csp_unsafe"
	CodeHeadersReferrerMissing    posture.Code = "http.headers.referrer_policy_missing"
	CodeHeadersPermissionsMissing posture.Code = "http.headers.permissions_policy_missing"
	CodeHeadersCOOPMissing        posture.Code = "http.headers.coop_missing"
	CodeHeadersReferrerInvalid    posture.Code = "http.headers.referrer_policy_invalid" // no token a browser knows: its default applies
	CodeHeadersReferrerWeak       posture.Code = "http.headers.referrer_policy_weak"    // unsafe-url or no-referrer-when-downgrade
)

// cspUnsafe are the scanner's CSP issue codes that csp_safe of
// http.security_headers rejects (read, not emitted).
var cspUnsafe = []posture.Code{posture.CodeCSPUnsafeInline, posture.CodeCSPUnsafeEval, posture.CodeCSPWildcardSource}

// CodesHTTP returns the codes of this file, sorted; Codes() includes them.
func CodesHTTP() []posture.Code {
	out := []posture.Code{
		CodeRedirectLoop,
		CodeHSTSHTTPNotRedirected, CodeHSTSRedirectNotSameHostFirst, CodeHSTSRedirectNoHSTS,
		CodeHSTSRedirectInsecure, CodeHSTSTooManyRedirects, CodeHSTSRedirectLoop,
		CodeSecTxtUnsigned,
		CodeCookieNotSecure, CodeCookieNotHTTPOnly, CodeCookieNoSameSite, CodeCookieSameSiteNone, CodeCookieSameSiteLax,
		CodeHeadersCSPUnsafe,
		CodeHeadersReferrerMissing, CodeHeadersPermissionsMissing, CodeHeadersCOOPMissing,
		CodeHeadersReferrerInvalid, CodeHeadersReferrerWeak,
	}
	slices.Sort(out)
	return out
}
