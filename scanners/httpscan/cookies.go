package httpscan

import (
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/vouchdev/vouch/posture"
)

// maxCookieAge is the longest lifetime a browser keeps (400 days).
const maxCookieAge = 400 * 24 * time.Hour

// cookieIssues lists what a browser would make of c's attributes, set by
// the response to rawURL at now.
func cookieIssues(c posture.Cookie, rawURL string, now time.Time) []posture.Code {
	var issues []posture.Code
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
			issues = append(issues, posture.CodeCookieHostPrefix)
		}
	case strings.HasPrefix(lname, "__secure-"):
		if !c.Secure || !overHTTPS {
			issues = append(issues, posture.CodeCookieSecurePrefix)
		}
	}
	if c.Secure && u != nil && !overHTTPS {
		issues = append(issues, posture.CodeCookieSecureOverHTTP)
	}
	if d := canonicalHost(strings.TrimPrefix(c.Domain, ".")); d != "" && host != "" {
		switch {
		case d == host:
		case net.ParseIP(host) == nil && strings.HasSuffix(host, "."+d):
			issues = append(issues, posture.CodeCookieDomainBroad)
		default:
			issues = append(issues, posture.CodeCookieDomainMismatch)
		}
	}
	switch {
	case c.MaxAge > 0:
		if int64(c.MaxAge) > int64(maxCookieAge/time.Second) {
			issues = append(issues, posture.CodeCookieLongLived)
		}
	case c.MaxAge == 0 && !c.Expires.IsZero():
		if c.Expires.Sub(now) > maxCookieAge {
			issues = append(issues, posture.CodeCookieLongLived)
		}
	}
	return issues
}
