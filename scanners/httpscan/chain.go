package httpscan

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// isRedirect reports whether status sends the client elsewhere by its
// Location field (RFC 9110 §15.4.2–§15.4.9; 300, 304 and 305 do not).
func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// canonicalHost lower-cases a host name and drops a trailing dot.
func canonicalHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

// followChain follows the redirect chain from the plain-HTTP start URL,
// recording every hop, and sets UpgradesToHTTPS, SameHostFirst and, when
// the chain could not be followed to its end, RedirectMissing.
func (sc *scan) followChain(ctx context.Context) {
	obs := sc.obs
	start := sc.plainHTTP(sc.target)
	obs.StartURL = start
	if start == "" {
		obs.RedirectMissing = &posture.Missing{Reason: posture.ReasonNotScanned, Detail: "httpscan: no plain-HTTP origin given for " + sc.target.Address}
		return
	}
	u, err := url.Parse(start)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		obs.RedirectMissing = &posture.Missing{Reason: posture.ReasonError, Detail: fmt.Sprintf("httpscan: start URL %q is not an http:// URL", start)}
		return
	}
	if u.Path == "" {
		u.Path = "/"
	}
	host := canonicalHost(sc.target.Host())
	seen := map[string]bool{}

	// end is where the chain ended: the last URL requested when it was
	// not a redirect, or the Location not followed. nil: not known.
	var end *url.URL
	for redirects := 0; ; redirects++ {
		seen[u.String()] = true
		sc.hops++
		ex, m := sc.exchange(ctx, u, "/hop"+strconv.Itoa(sc.hops), fmt.Sprintf("Redirect chain hop %d", sc.hops))
		if m == nil {
			if m = serverError(ex); m != nil {
				sc.addCookies(ex, "")
			}
		}
		if m != nil {
			obs.RedirectMissing = m
			if redirects > 0 && u.Scheme == "https" {
				// The chain reached https:// (what the server says
				// there is observed by the HTTPS request); only the
				// hop itself is unobserved.
				end = u
			}
			break
		}
		obs.Redirects = append(obs.Redirects, ex.hop)
		sc.addCookies(ex, "")

		loc := ex.hop.Location
		if !isRedirect(ex.status) || loc == "" {
			end = u
			if redirects == 0 {
				obs.SameHostFirst = posture.No
			}
			break
		}
		next, err := u.Parse(loc)
		if err != nil {
			obs.RedirectMissing = &posture.Missing{Reason: posture.ReasonProtocolError, Detail: fmt.Sprintf("httpscan: %s: Location %q is not a URL: %v", u, loc, err)}
			if redirects == 0 {
				obs.SameHostFirst = posture.No
			}
			break
		}
		next.Fragment = ""
		onHost := canonicalHost(next.Hostname()) == host && (next.Scheme == "http" || next.Scheme == "https")
		if redirects == 0 {
			obs.SameHostFirst = posture.TriOf(onHost && next.Scheme == "https")
		}
		switch {
		case !onHost:
			sc.note(fmt.Sprintf("redirect chain: %s leaves host %s; not followed", next, host))
			obs.LeavesHost = next.String()
			if next.Scheme == "http" {
				// Still plain HTTP, on a host that is not the target:
				// whether the chain reaches https:// is not observed.
				obs.RedirectMissing = &posture.Missing{Reason: posture.ReasonNotScanned, Detail: fmt.Sprintf("httpscan: the chain leaves %s over plain HTTP to %s, which is not the target; not followed", host, next)}
				break
			}
			end = next
		case seen[next.String()]:
			obs.RedirectLoop = true
			obs.RedirectMissing = &posture.Missing{Reason: posture.ReasonProtocolError, Detail: fmt.Sprintf("httpscan: redirect loop: %s was already requested", next)}
			end = next
		case redirects+1 > sc.maxRedirects:
			obs.RedirectMissing = &posture.Missing{Reason: posture.ReasonProtocolError, Detail: fmt.Sprintf("httpscan: more than %d redirects; stopped before %s", sc.maxRedirects, next)}
			end = next
		default:
			u = next
			continue
		}
		break
	}
	if end != nil {
		obs.UpgradesToHTTPS = posture.TriOf(end.Scheme == "https")
	}
}

// addCookies records every Set-Cookie field of one exchange; page is the
// scope page whose fetch led to it, if any.
func (sc *scan) addCookies(ex *exchange, page string) {
	for _, raw := range ex.header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(raw)
		if err != nil {
			sc.note(fmt.Sprintf("Set-Cookie from %s not parsed (%v): %q", ex.hop.URL, err, raw))
			continue
		}
		pc := posture.Cookie{
			URL:      ex.hop.URL,
			Page:     page,
			Raw:      raw,
			Name:     c.Name,
			Secure:   c.Secure,
			HttpOnly: c.HttpOnly,
			Domain:   c.Domain,
			Path:     c.Path,
			MaxAge:   c.MaxAge,
		}
		if !c.Expires.IsZero() {
			pc.Expires = c.Expires.UTC()
		}
		switch c.SameSite {
		case http.SameSiteStrictMode:
			pc.SameSite = "Strict"
		case http.SameSiteLaxMode:
			pc.SameSite = "Lax"
		case http.SameSiteNoneMode:
			pc.SameSite = "None"
		}
		pc.Issues = cookieIssues(pc, ex.hop.URL, sc.now())
		sc.obs.Cookies = append(sc.obs.Cookies, pc)
	}
}
