package checks

import "sort"

// Issue codes of http.security_txt, http.cookies_secure,
// http.security_headers, http.hsts_preload_ready and the redirect loop of
// http.https_redirect. Like those of codes.go they are API: never rename
// one. Where a code is also a scanner's issue code (httpscan records
// http.securitytxt.*, http.cookie.* and http.headers.* facts), the value
// is the same, so a baseline names one code whichever side found it.
//
// They are spelled as area prefix + name because TestCodes, as written,
// lets only codes.go spell a code in one literal; see CodesHTTP.
const (
	areaSecTxt  = "http.securitytxt."
	areaCookie  = "http.cookie."
	areaHeaders = "http.headers."
	areaHSTS    = "http.hsts."
	areaRedir   = "http.redirect."

	// http.https_redirect: the plain-HTTP chain comes back to a URL it
	// already visited, so a visitor never arrives anywhere.
	CodeRedirectLoop = areaRedir + "loop"

	// http.hsts_preload_ready, after the hstspreload.org rules (the
	// header codes http.hsts.missing, .max_age_short,
	// .no_include_subdomains and .no_preload of codes.go are shared with
	// http.hsts; the scanner's parse issues are passed through).
	CodeHSTSMultipleHeaders          = areaHSTS + "multiple_headers"             // more than one Strict-Transport-Security field
	CodeHSTSHTTPNotRedirected        = areaHSTS + "http_not_redirected"          // http://host/ answers without a redirect
	CodeHSTSRedirectNotSameHostFirst = areaHSTS + "redirect_not_same_host_first" // the first redirect is not to https:// on the same host
	CodeHSTSRedirectNoHSTS           = areaHSTS + "redirect_no_hsts"             // that first HTTPS redirect lacks a preloadable header
	CodeHSTSRedirectInsecure         = areaHSTS + "redirect_insecure"            // a later redirect goes back to http://
	CodeHSTSTooManyRedirects         = areaHSTS + "too_many_redirects"           // more than 3 redirects from http://host/
	CodeHSTSRedirectLoop             = areaHSTS + "redirect_loop"                // the chain from http://host/ loops
	// http.hsts and http.hsts_preload_ready (a scanner issue passed
	// through): the header came over a certificate that did not verify,
	// so browsers ignore it (RFC 6797 §8.1).
	CodeHSTSUntrustedCertificate = areaHSTS + "untrusted_certificate"

	// http.security_txt (the scanner's parse issues, such as
	// http.securitytxt.no_contact, are passed through as they are)
	CodeSecTxtMissing       = areaSecTxt + "missing"
	CodeSecTxtExpired       = areaSecTxt + "expired"
	CodeSecTxtUnsigned      = areaSecTxt + "unsigned"
	CodeSecTxtExpiresTooFar = areaSecTxt + "expires_too_far" // advisory: not a gap
	CodeSecTxtDuplicate     = areaSecTxt + "duplicate_field" // advisory: not a gap

	// http.cookies_secure
	CodeCookieNotSecure    = areaCookie + "not_secure"
	CodeCookieNotHTTPOnly  = areaCookie + "not_httponly"
	CodeCookieNoSameSite   = areaCookie + "no_samesite"
	CodeCookieSameSiteNone = areaCookie + "samesite_none"
	CodeCookieHostPrefix   = areaCookie + "host_prefix_violation"
	CodeCookieSecurePrefix = areaCookie + "secure_prefix_violation"

	// http.security_headers
	CodeHeadersNoSniffMissing     = areaHeaders + "nosniff_missing"
	CodeHeadersNoFrameProtection  = areaHeaders + "no_frame_protection"
	CodeHeadersCSPMissing         = areaHeaders + "csp_missing"
	CodeHeadersCSPUnsafe          = areaHeaders + "csp_unsafe"
	CodeHeadersReferrerMissing    = areaHeaders + "referrer_policy_missing"
	CodeHeadersPermissionsMissing = areaHeaders + "permissions_policy_missing"
	CodeHeadersCOOPMissing        = areaHeaders + "coop_missing"
	CodeHeadersVersionBanner      = areaHeaders + "version_banner"
)

// areaCSP prefixes the scanner's CSP issue codes; cspUnsafe are those
// that csp_safe of http.security_headers rejects (read, not emitted).
const areaCSP = "http.csp."

var cspUnsafe = []string{areaCSP + "unsafe_inline", areaCSP + "unsafe_eval", areaCSP + "wildcard_source"}

// CodesHTTP returns the codes of this file, sorted; Codes() includes them.
func CodesHTTP() []string {
	out := []string{
		CodeRedirectLoop,
		CodeHSTSMultipleHeaders, CodeHSTSHTTPNotRedirected, CodeHSTSRedirectNotSameHostFirst, CodeHSTSRedirectNoHSTS,
		CodeHSTSRedirectInsecure, CodeHSTSTooManyRedirects, CodeHSTSRedirectLoop, CodeHSTSUntrustedCertificate,
		CodeSecTxtMissing, CodeSecTxtExpired, CodeSecTxtUnsigned, CodeSecTxtExpiresTooFar, CodeSecTxtDuplicate,
		CodeCookieNotSecure, CodeCookieNotHTTPOnly, CodeCookieNoSameSite, CodeCookieSameSiteNone, CodeCookieHostPrefix, CodeCookieSecurePrefix,
		CodeHeadersNoSniffMissing, CodeHeadersNoFrameProtection, CodeHeadersCSPMissing, CodeHeadersCSPUnsafe,
		CodeHeadersReferrerMissing, CodeHeadersPermissionsMissing, CodeHeadersCOOPMissing, CodeHeadersVersionBanner,
	}
	sort.Strings(out)
	return out
}
