package posture

// Issue codes httpscan records in HTTP observations (HSTS, security
// headers and CSP, cookies, security.txt) and checks judge. They are API:
// never rename one (see Code).

// Issue codes of a Strict-Transport-Security header, as recorded in
// HSTS.Issues. They are API (checks, baselines and waivers name
// them): never rename one.
const (
	// CodeHSTSEmpty: the header field is present with an empty value.
	CodeHSTSEmpty Code = "http.hsts.empty"
	// CodeHSTSMaxAgeMissing: no max-age directive (it is required,
	// RFC 6797 §6.1.1).
	CodeHSTSMaxAgeMissing Code = "http.hsts.max_age_missing"
	// CodeHSTSMaxAgeInvalid: max-age has no value or a value that is
	// not delta-seconds (1*DIGIT, optionally quoted).
	CodeHSTSMaxAgeInvalid Code = "http.hsts.max_age_invalid"
	// CodeHSTSDuplicateDirective: max-age or includeSubDomains appears
	// more than once (RFC 6797 §6.1 rule 2); browsers ignore the header.
	CodeHSTSDuplicateDirective Code = "http.hsts.duplicate_directive"
	// CodeHSTSMultipleHeaders: the response carries more than one
	// Strict-Transport-Security field; only the first counts (RFC 6797
	// §8.1). Set by the scanner, not by ParseHSTS.
	CodeHSTSMultipleHeaders Code = "http.hsts.multiple_headers"
	// CodeHSTSSyntax: the value does not follow the grammar of RFC 6797
	// §6.1 (a directive name or value that is not a token or a quoted
	// string, an unterminated quote, a stray character).
	CodeHSTSSyntax Code = "http.hsts.syntax_error"
	// CodeHSTSUnexpectedValue: includeSubDomains or preload carries a
	// value. includeSubDomains is defined without one (RFC 6797 §6.1.2),
	// so the header is invalid; preload is not defined by RFC 6797 (it is
	// the convention of the browsers' preload lists), so preload=x is an
	// unknown directive: ignored, and Preload stays false.
	CodeHSTSUnexpectedValue Code = "http.hsts.unexpected_value"
	// CodeHSTSUntrustedCertificate: the header came over a connection
	// whose certificate did not verify (observed without verification):
	// a user agent ignores it (RFC 6797 §8.1). Set by the scanner, not by
	// ParseHSTS, which then also sets Valid to false.
	CodeHSTSUntrustedCertificate Code = "http.hsts.untrusted_certificate"
)

// Issue codes of the security headers, as recorded in
// SecurityHeaders.Issues and CSPPolicy.Issues. They are
// API: never rename one.
const (
	// CodeHeadersNoSniffMissing: no X-Content-Type-Options: nosniff
	// (WHATWG Fetch §3.5 — the only value defined).
	CodeHeadersNoSniffMissing Code = "http.headers.nosniff_missing"
	// CodeHeadersFrameOptionsInvalid: X-Frame-Options is present but
	// neither DENY nor SAMEORIGIN (RFC 7034 §2.1; ALLOW-FROM is obsolete
	// and ignored by browsers).
	CodeHeadersFrameOptionsInvalid Code = "http.headers.frame_options_invalid"
	// CodeHeadersNoFrameProtection: neither X-Frame-Options DENY or
	// SAMEORIGIN nor an enforced CSP frame-ancestors.
	CodeHeadersNoFrameProtection Code = "http.headers.no_frame_protection"
	// CodeHeadersCSPMissing: no enforced Content-Security-Policy.
	CodeHeadersCSPMissing Code = "http.headers.csp_missing"
	// CodeHeadersVersionBanner: Server, X-Powered-By or a similar header
	// names software with its version.
	CodeHeadersVersionBanner Code = "http.headers.version_banner"

	// CodeCSPUnsafeInline: scripts fall back to 'unsafe-inline' with no
	// nonce, hash or 'strict-dynamic' that would cancel it (CSP3 §6.7.3).
	CodeCSPUnsafeInline Code = "http.csp.unsafe_inline"
	// CodeCSPUnsafeEval: scripts allow 'unsafe-eval'.
	CodeCSPUnsafeEval Code = "http.csp.unsafe_eval"
	// CodeCSPWildcardSource: script or object sources allow any host:
	// "*" or a bare scheme such as https: or data:.
	CodeCSPWildcardSource Code = "http.csp.wildcard_source"
	// CodeCSPNoDefaultSrc: the policy has no default-src.
	CodeCSPNoDefaultSrc Code = "http.csp.no_default_src"
	// CodeCSPNoFrameAncestors: the policy has no frame-ancestors.
	CodeCSPNoFrameAncestors Code = "http.csp.no_frame_ancestors"
	// CodeCSPDuplicateDirective: a directive repeats; the first counts
	// (CSP3 §2.2.1).
	CodeCSPDuplicateDirective Code = "http.csp.duplicate_directive"
	// CodeCSPInvalidDirective: a directive name that is not a token
	// of ALPHA, DIGIT and "-" (CSP3 §2.2.1 step 2.4).
	CodeCSPInvalidDirective Code = "http.csp.invalid_directive"
)

// Issue codes of a cookie, as recorded in Cookie.Issues: facts
// about how a browser treats its attributes. They are API: never rename
// one.
const (
	// CodeCookieHostPrefix: a __Host- cookie without Secure, with a
	// Domain, or with a Path other than "/", or set over plain HTTP; a
	// browser rejects it (RFC 6265bis §4.1.3.2).
	CodeCookieHostPrefix Code = "http.cookie.host_prefix_violation"
	// CodeCookieSecurePrefix: a __Secure- cookie without Secure or set
	// over plain HTTP; a browser rejects it (RFC 6265bis §4.1.3.1).
	CodeCookieSecurePrefix Code = "http.cookie.secure_prefix_violation"
	// CodeCookieSecureOverHTTP: a Secure cookie set by a plain-HTTP
	// response; a browser ignores it (RFC 6265bis §5.7 step 14).
	CodeCookieSecureOverHTTP Code = "http.cookie.secure_over_http"
	// CodeCookieDomainBroad: Domain names a parent of the host that set
	// it, so every sibling subdomain receives the cookie.
	CodeCookieDomainBroad Code = "http.cookie.domain_broad"
	// CodeCookieDomainMismatch: Domain does not domain-match the host
	// that set it; a browser rejects it (RFC 6265 §5.3 step 6).
	CodeCookieDomainMismatch Code = "http.cookie.domain_mismatch"
	// CodeCookieLongLived: the cookie lives more than 400 days; browsers
	// cap it there (RFC 6265bis §5.5).
	CodeCookieLongLived Code = "http.cookie.long_lived"
)

// Issue codes of a security.txt file, as recorded in
// SecurityTxt.Issues. They are API: never rename one.
const (
	// CodeSecTxtMissing: the server answered, but with no file (a
	// status other than 200). Set by the scanner.
	CodeSecTxtMissing Code = "http.securitytxt.missing"
	// CodeSecTxtNotTextPlain: the Content-Type is not text/plain
	// (RFC 9116 §3). Set by the scanner.
	CodeSecTxtNotTextPlain Code = "http.securitytxt.not_text_plain"
	// CodeSecTxtNoContact: no Contact field; at least one is required
	// (RFC 9116 §2.5.3).
	CodeSecTxtNoContact Code = "http.securitytxt.no_contact"
	// CodeSecTxtNoExpires: no Expires field; exactly one is required
	// (RFC 9116 §2.5.5).
	CodeSecTxtNoExpires Code = "http.securitytxt.no_expires"
	// CodeSecTxtExpired: the Expires date has passed (RFC 9116 §2.5.5).
	CodeSecTxtExpired Code = "http.securitytxt.expired"
	// CodeSecTxtExpiresTooFar: Expires is more than a year ahead; RFC
	// 9116 §2.5.5 recommends less than a year.
	CodeSecTxtExpiresTooFar Code = "http.securitytxt.expires_too_far"
	// CodeSecTxtMultipleExpires: Expires appears more than once; it
	// must appear once only (RFC 9116 §2.5.5). The first counts.
	CodeSecTxtMultipleExpires Code = "http.securitytxt.multiple_expires"
	// CodeSecTxtDuplicateField: a field allowed once only other than
	// Expires (Preferred-Languages, RFC 9116 §2.5.8) appears again.
	CodeSecTxtDuplicateField Code = "http.securitytxt.duplicate_field"
	// CodeSecTxtInvalidField: a known field whose value breaks its rule
	// (a URI that is not absolute, a web URI that is not https://, a
	// date that is not RFC 3339, a language list that is not one).
	CodeSecTxtInvalidField Code = "http.securitytxt.invalid_field"
	// CodeSecTxtSyntax: a line that is neither a field, a comment, a
	// folded continuation nor blank; or a malformed signed message frame.
	CodeSecTxtSyntax Code = "http.securitytxt.syntax_error"
	// CodeSecTxtNotUTF8: the file is not valid UTF-8 (RFC 9116 §2.3).
	CodeSecTxtNotUTF8 Code = "http.securitytxt.not_utf8"
)
