package posture

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
	// HTTPS is the response to GET on the target's https:// URL itself.
	HTTPS        *HTTPHop `json:"https,omitempty"`
	HTTPSMissing *Missing `json:"https_missing,omitempty"`
	// HSTS is the Strict-Transport-Security header of the HTTPS response,
	// nil when none was sent (or HTTPS could not be observed).
	HSTS    *HSTS    `json:"hsts,omitempty"`
	Cookies []Cookie `json:"cookies,omitempty"`
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
}

// HSTS is a parsed Strict-Transport-Security header (RFC 6797).
type HSTS struct {
	Raw               string   `json:"raw"`
	Valid             bool     `json:"valid"`
	MaxAge            int64    `json:"max_age"`
	IncludeSubDomains bool     `json:"include_subdomains"`
	Preload           bool     `json:"preload"`
	Issues            []string `json:"issues,omitempty"` // stable codes such as http.hsts.max_age_missing
}

// Cookie is a Set-Cookie header seen in the chain.
type Cookie struct {
	URL      string `json:"url"`
	Raw      string `json:"raw"`
	Name     string `json:"name"`
	Secure   bool   `json:"secure"`
	HttpOnly bool   `json:"http_only"`
	SameSite string `json:"same_site,omitempty"` // Strict, Lax, None, or empty
	Domain   string `json:"domain,omitempty"`
	Path     string `json:"path,omitempty"`
}
