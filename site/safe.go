package site

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Declared text reaches the page only through templ, which escapes it. The
// functions here decide which declared strings may become a link, an image
// or a colour at all; anything they refuse is shown as text or dropped.

// link is a piece of text that may be a link. Href is empty when the text
// must not become one.
type link struct {
	Text string
	Href string
}

// contactLink makes a security contact a link when it is a mailto: or
// https: URI; anything else is shown as text.
func contactLink(raw string) link {
	u, ok := parseSafeURL(raw, "mailto", "https")
	if !ok {
		return link{Text: raw}
	}
	if u.Scheme == "mailto" {
		addr, _, _ := strings.Cut(u.Opaque, "?")
		return link{Text: addr, Href: raw}
	}
	return link{Text: raw, Href: raw}
}

// websiteLink makes a website a link when it is an https: URL.
func websiteLink(raw string) link {
	if _, ok := parseSafeURL(raw, "https"); !ok {
		return link{Text: raw}
	}
	return link{Text: raw, Href: raw}
}

// parseSafeURL parses raw and accepts it only with one of the schemes given
// (compared case-insensitively), made only of characters a URI may hold
// (no whitespace, quotes, angle brackets or non-ASCII: an IRI must be
// declared percent-encoded), with an address for mailto: and a host and no
// user info for https:.
func parseSafeURL(raw string, schemes ...string) (*url.URL, bool) {
	if raw == "" || strings.ContainsFunc(raw, func(r rune) bool { return !uriChar(r) }) {
		return nil, false
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, false
	}
	allowed := false
	for _, s := range schemes {
		if u.Scheme == s { // url.Parse lower-cases the scheme
			allowed = true
		}
	}
	if !allowed {
		return nil, false
	}
	switch u.Scheme {
	case "mailto":
		addr, _, _ := strings.Cut(u.Opaque, "?")
		if !strings.Contains(addr, "@") {
			return nil, false
		}
	case "https":
		if u.Host == "" || u.User != nil || u.Opaque != "" {
			return nil, false
		}
	}
	return u, true
}

var relPath = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$`)

// logoPath returns the logo when it is a path relative to the site root
// inside the site: letters, digits, '.', '_', '-' and '/', no leading '/',
// no '..' or hidden segments. An https: URL is refused too, although a
// declaration may hold one: loading an image from elsewhere would break a
// default-src 'self' policy and the page's use from file://.
func logoPath(raw string) (string, bool) {
	if !relPath.MatchString(raw) {
		return "", false
	}
	return raw, true
}

var hexColor = regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`)

// defaultBrand is the accent colour used when the declaration gives none
// or an invalid one.
const defaultBrand = "#2f5d8a"

// brandColor returns the declared colour, lower-cased, when it is exactly
// #rrggbb; otherwise the default. It is checked here again, whatever config
// did, because it is written into CSS.
func brandColor(raw string) string {
	if !hexColor.MatchString(raw) {
		return defaultBrand
	}
	return strings.ToLower(raw)
}

// checkBaseURL validates Options.BaseURL: empty, or an absolute https: URL
// without user info, query or fragment. It returns the URL without a
// trailing slash.
func checkBaseURL(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	u, ok := parseSafeURL(raw, "https")
	if !ok || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", fmt.Errorf("site: base URL %q: want an https:// URL without user, query or fragment", raw)
	}
	return strings.TrimRight(raw, "/"), nil
}

// CheckBaseURL is the check Build makes of Options.BaseURL, for a caller
// that must refuse a bad one before it does anything else.
func CheckBaseURL(raw string) error {
	_, err := checkBaseURL(raw)
	return err
}

// uriChar reports whether r may appear in a URI (RFC 3986 section 2:
// unreserved, reserved, and '%' of a percent-encoding).
func uriChar(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("-._~:/?#[]@!$&'()*+,;=%", r)
}
