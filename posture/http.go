package posture

import "time"

// HTTPObservation is what the HTTP scanner saw for one web target: the
// redirect chain from http://host/ and the final HTTPS response.
type HTTPObservation struct {
	Observation
	// StartURL is where the chain began (http://host[:port]/).
	StartURL string `json:"start_url"`
	// Redirects is every hop from StartURL to the end, in order.
	Redirects []HTTPHop `json:"redirects,omitempty"`
	// RedirectMissing says why the plain-HTTP chain could not be followed
	// (for example refused: nothing listens on port 80).
	RedirectMissing *Missing `json:"redirect_missing,omitempty"`
	// UpgradesToHTTPS is Yes when the chain from http:// ends on https://.
	UpgradesToHTTPS Tri `json:"upgrades_to_https"`
	// SameHostFirst is Yes when the first hop goes to https:// on the same host.
	SameHostFirst Tri `json:"same_host_first"`
	// RedirectLoop is true when the chain sent the scanner back to a URL
	// it had already requested (RedirectMissing then says where).
	RedirectLoop bool `json:"redirect_loop,omitempty"`
	// LeavesHost is the URL, resolved, where the chain left the target's
	// host: recorded for what it says, never requested (that host is not
	// the target).
	LeavesHost string `json:"leaves_host,omitempty"`
	// HTTPS is the response to GET on the target's https:// URL itself.
	HTTPS        *HTTPHop `json:"https,omitempty"`
	HTTPSMissing *Missing `json:"https_missing,omitempty"`
	// HSTS is the Strict-Transport-Security header of the HTTPS response,
	// nil when none was sent (or HTTPS could not be observed).
	HSTS    *HSTS    `json:"hsts,omitempty"`
	Cookies []Cookie `json:"cookies,omitempty"`
	// SecurityTxt is https://host/.well-known/security.txt (RFC 9116),
	// nil when it was not fetched.
	SecurityTxt *SecurityTxt `json:"security_txt,omitempty"`
	// SecurityHeaders are the security headers of the HTTPS response,
	// parsed; nil when HTTPS could not be observed.
	SecurityHeaders *SecurityHeaders `json:"security_headers,omitempty"`
	// Pages are the further pages of the target that the scope names
	// (scope.pages: a login page, an account page), each fetched once
	// for the cookies and headers it sends. Their cookies are in Cookies,
	// with the URL of the response that set them.
	Pages []HTTPPage `json:"pages,omitempty"`
}

// HTTPPage is one page the scope names: the responses to GET on it, in
// order (the page, then each redirect followed on the target's host over
// https://), or why it could not be fetched.
type HTTPPage struct {
	URL       string    `json:"url"`
	Responses []HTTPHop `json:"responses,omitempty"`
	Missing   *Missing  `json:"missing,omitempty"`
}

// SecurityHeaders are the security-relevant response headers of the HTTPS
// response. Raw values are as received (the first field of each name,
// except Content-Security-Policy, where every field is a policy).
type SecurityHeaders struct {
	// CSP holds each enforced Content-Security-Policy (every field, and
	// every comma-separated policy in a field, is enforced on its own).
	CSP []CSPPolicy `json:"csp,omitempty"`
	// CSPReportOnly holds Content-Security-Policy-Report-Only policies,
	// which enforce nothing.
	CSPReportOnly []CSPPolicy `json:"csp_report_only,omitempty"`
	// XContentTypeOptions is the raw value; NoSniff is true when it is
	// "nosniff".
	XContentTypeOptions string `json:"x_content_type_options,omitempty"`
	NoSniff             bool   `json:"nosniff"`
	// XFrameOptions is the raw value; FrameOptions is DENY or SAMEORIGIN
	// when it is one of those, else empty.
	XFrameOptions string `json:"x_frame_options,omitempty"`
	FrameOptions  string `json:"frame_options,omitempty"`
	// FrameProtection is true when an enforced CSP frame-ancestors limits
	// who may frame the page (it then overrides X-Frame-Options; one that
	// allows any site, * or a bare scheme, protects nothing), or, without
	// frame-ancestors, X-Frame-Options is DENY or SAMEORIGIN.
	FrameProtection           bool   `json:"frame_protection"`
	ReferrerPolicy            string `json:"referrer_policy,omitempty"`
	PermissionsPolicy         string `json:"permissions_policy,omitempty"`
	CrossOriginOpenerPolicy   string `json:"cross_origin_opener_policy,omitempty"`
	CrossOriginEmbedderPolicy string `json:"cross_origin_embedder_policy,omitempty"`
	CrossOriginResourcePolicy string `json:"cross_origin_resource_policy,omitempty"`
	Server                    string `json:"server,omitempty"`
	XPoweredBy                string `json:"x_powered_by,omitempty"`
	// VersionBanners are "Name: value" of headers that name software with
	// a version (Server: nginx/1.18.0).
	VersionBanners []string `json:"version_banners,omitempty"`
	// Issues are stable codes such as http.headers.nosniff_missing.
	Issues []Code `json:"issues,omitempty"`
}

// CSPPolicy is one parsed Content-Security-Policy (W3C CSP Level 3 §2.2).
type CSPPolicy struct {
	Raw        string         `json:"raw"`
	Directives []CSPDirective `json:"directives,omitempty"`
	// Issues are stable codes such as http.csp.unsafe_inline.
	Issues []Code `json:"issues,omitempty"`
}

// CSPDirective is one directive: its name, lower-cased, and its values.
type CSPDirective struct {
	Name   string   `json:"name"`
	Values []string `json:"values,omitempty"`
}

// SecurityTxt is what https://host/.well-known/security.txt held (RFC 9116).
// Found is false when the server answered but served no file (a 404, a
// redirect to plain http or on the same host, an HTML page); Missing is
// set when it could not be fetched or judged: a 5xx or 429, or a redirect
// to https on another host (RFC 9116 §3 allows one; vouch does not follow
// it off the target).
type SecurityTxt struct {
	URL         string `json:"url"`
	Status      int    `json:"status"`
	ContentType string `json:"content_type,omitempty"`
	Found       bool   `json:"found"`
	// Evidence is the ID of the Evidence holding the file as served.
	Evidence string `json:"evidence,omitempty"`
	// Signed is true when the file is framed as an OpenPGP cleartext
	// signed message (RFC 4880 §7); the signature is not verified. The
	// fields below are then those of the signed body.
	Signed             bool      `json:"signed"`
	Contact            []string  `json:"contact,omitempty"`
	Expires            time.Time `json:"expires"`               // zero when absent or unparsable
	ExpiresRaw         string    `json:"expires_raw,omitempty"` // the first Expires value as written
	Encryption         []string  `json:"encryption,omitempty"`
	Acknowledgments    []string  `json:"acknowledgments,omitempty"`
	PreferredLanguages []string  `json:"preferred_languages,omitempty"`
	Canonical          []string  `json:"canonical,omitempty"`
	Policy             []string  `json:"policy,omitempty"`
	Hiring             []string  `json:"hiring,omitempty"`
	// Issues are stable codes such as http.securitytxt.no_contact;
	// IssueDetails says, line by line, what each one is about.
	Issues       []Code   `json:"issues,omitempty"`
	IssueDetails []string `json:"issue_details,omitempty"`
	Missing      *Missing `json:"missing,omitempty"`
}

// HTTPHop is one request and its response.
type HTTPHop struct {
	URL      string `json:"url"`
	Status   int    `json:"status"`
	Location string `json:"location,omitempty"`
	// Headers are the response headers as received, canonical names,
	// values in order.
	Headers map[string][]string `json:"headers,omitempty"`
	// Evidence is the ID of the Evidence holding the raw head.
	Evidence string `json:"evidence,omitempty"`
	// HSTS is the parsed Strict-Transport-Security header of a response
	// over https:// (nil over plain HTTP, where a browser ignores it, and
	// when none was sent). On a redirect it is what a browser that
	// follows the chain learns there (the preload list's rule that the
	// first HTTPS redirect carries HSTS).
	HSTS *HSTS `json:"hsts,omitempty"`
}

// HSTS is a parsed Strict-Transport-Security header (RFC 6797).
type HSTS struct {
	Raw               string `json:"raw"`
	Valid             bool   `json:"valid"`
	MaxAge            int64  `json:"max_age"`
	IncludeSubDomains bool   `json:"include_subdomains"`
	Preload           bool   `json:"preload"`
	Issues            []Code `json:"issues,omitempty"` // stable codes such as http.hsts.max_age_missing
}

// Cookie is a Set-Cookie header seen in the chain, the HTTPS response or
// a page the scope names.
type Cookie struct {
	// URL is the response that set it; Page, the scope page whose fetch
	// led there (empty for the chain and the HTTPS response).
	URL      string `json:"url"`
	Page     string `json:"page,omitempty"`
	Raw      string `json:"raw"`
	Name     string `json:"name"`
	Secure   bool   `json:"secure"`
	HttpOnly bool   `json:"http_only"`
	SameSite string `json:"same_site,omitempty"` // Strict, Lax, None, or empty
	Domain   string `json:"domain,omitempty"`
	Path     string `json:"path,omitempty"`
	// Expires is the Expires attribute, zero when absent or unparsable;
	// MaxAge is the Max-Age attribute in seconds, 0 when absent, negative
	// when it deletes the cookie. A cookie with neither is a session cookie.
	Expires time.Time `json:"expires"`
	MaxAge  int       `json:"max_age,omitempty"`
	// Issues are stable codes such as http.cookie.host_prefix_violation:
	// facts about the attributes (prefix rules, Domain breadth), not
	// judgements of policy.
	Issues []Code `json:"issues,omitempty"`
}
