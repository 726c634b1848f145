package httpscan

import (
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/vouchdev/vouch/posture"
)

// Issue codes of a cookie, as recorded in posture.Cookie.Issues: facts
// about how a browser treats its attributes. They are API: never rename
// one.
const (
	// IssueCookieHostPrefix: a __Host- cookie without Secure, with a
	// Domain, or with a Path other than "/", or set over plain HTTP; a
	// browser rejects it (RFC 6265bis §4.1.3.2).
	IssueCookieHostPrefix = "http.cookie.host_prefix_violation"
	// IssueCookieSecurePrefix: a __Secure- cookie without Secure or set
	// over plain HTTP; a browser rejects it (RFC 6265bis §4.1.3.1).
	IssueCookieSecurePrefix = "http.cookie.secure_prefix_violation"
	// IssueCookieSecureOverHTTP: a Secure cookie set by a plain-HTTP
	// response; a browser ignores it (RFC 6265bis §5.7 step 14).
	IssueCookieSecureOverHTTP = "http.cookie.secure_over_http"
	// IssueCookieDomainBroad: Domain names a parent of the host that set
	// it, so every sibling subdomain receives the cookie.
	IssueCookieDomainBroad = "http.cookie.domain_broad"
	// IssueCookieDomainMismatch: Domain does not domain-match the host
	// that set it; a browser rejects it (RFC 6265 §5.3 step 6).
	IssueCookieDomainMismatch = "http.cookie.domain_mismatch"
	// IssueCookieLongLived: the cookie lives more than 400 days; browsers
	// cap it there (RFC 6265bis §5.5).
	IssueCookieLongLived = "http.cookie.long_lived"
)

// maxCookieAge is the longest lifetime a browser keeps (400 days).
const maxCookieAge = 400 * 24 * time.Hour

// cookieIssues lists what a browser would make of c's attributes, set by
// the response to rawURL at now.
func cookieIssues(c posture.Cookie, rawURL string, now time.Time) []string {
	var issues []string
	u, _ := url.Parse(rawURL)
	overHTTPS := u != nil && u.Scheme == "https"
	host := ""
	if u != nil {
		host = canonicalHost(u.Hostname())
	}
	// RFC 6265bis matches the prefixes case-insensitively.
	lname := strings.ToLower(c.Name)
	switch {
	case strings.HasPrefix(lname, "__host-"):
		if !c.Secure || !overHTTPS || c.Domain != "" || c.Path != "/" {
			issues = append(issues, IssueCookieHostPrefix)
		}
	case strings.HasPrefix(lname, "__secure-"):
		if !c.Secure || !overHTTPS {
			issues = append(issues, IssueCookieSecurePrefix)
		}
	}
	if c.Secure && u != nil && !overHTTPS {
		issues = append(issues, IssueCookieSecureOverHTTP)
	}
	if d := canonicalHost(strings.TrimPrefix(c.Domain, ".")); d != "" && host != "" {
		switch {
		case d == host:
		case net.ParseIP(host) == nil && strings.HasSuffix(host, "."+d):
			issues = append(issues, IssueCookieDomainBroad)
		default:
			issues = append(issues, IssueCookieDomainMismatch)
		}
	}
	switch {
	case c.MaxAge > 0:
		if int64(c.MaxAge) > int64(maxCookieAge/time.Second) {
			issues = append(issues, IssueCookieLongLived)
		}
	case c.MaxAge == 0 && !c.Expires.IsZero():
		if c.Expires.Sub(now) > maxCookieAge {
			issues = append(issues, IssueCookieLongLived)
		}
	}
	return issues
}
