package httpscan

import (
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// maxCSPPolicies and maxCSPDirectives bound what is parsed of
// server-sent policies.
const (
	maxCSPPolicies   = 32
	maxCSPDirectives = 256
)

// ParseCSP parses one serialized policy (W3C CSP Level 3 §2.2.1): tokens
// split at ";", each a directive name (ASCII letters, digits, "-";
// lower-cased) and values separated by ASCII whitespace. A repeated
// directive is ignored. It flags 'unsafe-inline' and 'unsafe-eval' and
// wildcard sources among the sources that govern scripts (script-src,
// else default-src; for wildcards, object-src too), and the absence of
// default-src and frame-ancestors.
func ParseCSP(raw string) posture.CSPPolicy {
	p := posture.CSPPolicy{Raw: raw}
	byName := map[string][]string{}
	for _, tok := range strings.Split(raw, ";") {
		tok = strings.Trim(tok, asciiWS)
		if tok == "" {
			continue
		}
		fields := strings.FieldsFunc(tok, isASCIIWS)
		name := strings.ToLower(fields[0])
		if !isDirectiveName(name) {
			p.Issues = appendIssue(p.Issues, posture.CodeCSPInvalidDirective)
			continue
		}
		if _, dup := byName[name]; dup {
			p.Issues = appendIssue(p.Issues, posture.CodeCSPDuplicateDirective)
			continue
		}
		if len(p.Directives) == maxCSPDirectives {
			break
		}
		vals := fields[1:]
		if len(vals) == 0 {
			vals = nil
		}
		byName[name] = vals
		p.Directives = append(p.Directives, posture.CSPDirective{Name: name, Values: vals})
	}
	script, hasScript := byName["script-src"]
	def, hasDefault := byName["default-src"]
	if !hasScript {
		script = def
	}
	if hasScript || hasDefault {
		inline, cancels, eval := false, false, false
		for _, v := range script {
			lv := strings.ToLower(v)
			switch {
			case lv == "'unsafe-inline'":
				inline = true
			case lv == "'unsafe-eval'":
				eval = true
			case lv == "'strict-dynamic'", strings.HasPrefix(lv, "'nonce-"), strings.HasPrefix(lv, "'sha256-"),
				strings.HasPrefix(lv, "'sha384-"), strings.HasPrefix(lv, "'sha512-"):
				cancels = true
			}
		}
		if inline && !cancels {
			p.Issues = appendIssue(p.Issues, posture.CodeCSPUnsafeInline)
		}
		if eval {
			p.Issues = appendIssue(p.Issues, posture.CodeCSPUnsafeEval)
		}
	}
	object, hasObject := byName["object-src"]
	if !hasObject {
		object = def
	}
	for _, v := range append(append([]string{}, script...), object...) {
		if isWildcardSource(v) {
			p.Issues = appendIssue(p.Issues, posture.CodeCSPWildcardSource)
			break
		}
	}
	if !hasDefault {
		p.Issues = appendIssue(p.Issues, posture.CodeCSPNoDefaultSrc)
	}
	if _, ok := byName["frame-ancestors"]; !ok {
		p.Issues = appendIssue(p.Issues, posture.CodeCSPNoFrameAncestors)
	}
	return p
}

const asciiWS = " \t\n\f\r"

func isASCIIWS(r rune) bool { return strings.ContainsRune(asciiWS, r) }

func isDirectiveName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return s != ""
}

// isWildcardSource reports whether a source expression allows any host:
// "*", or a scheme alone ("https:", "data:").
func isWildcardSource(v string) bool {
	if v == "*" {
		return true
	}
	scheme, ok := strings.CutSuffix(strings.ToLower(v), ":")
	if !ok || scheme == "" {
		return false
	}
	for i := 0; i < len(scheme); i++ {
		c := scheme[i]
		if !('a' <= c && c <= 'z' || i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

// versionRE finds a product/version token such as nginx/1.18.0 or
// PHP/8.1.2, or a bare version such as 4.0.30319.
var versionRE = regexp.MustCompile(`(?:/|\s|^)v?\d+(?:\.\d+)+`)

// bannerHeaders name software; a version in them is a banner.
var bannerHeaders = []string{"Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version", "X-Generator"}

// frameOptions returns what a browser enforces of the X-Frame-Options
// fields vs: "DENY", "SAMEORIGIN", or "" for nothing, and whether the
// fields say something it does not understand. It follows HTML's "check
// a navigation response's adherence to X-Frame-Options": the values of
// every field, split at commas (get, decode and split), lower-cased, as a
// set; several distinct values of which one is deny, sameorigin or
// allowall block framing as deny does; several others, or one it does
// not know (allowall included), allow it.
func frameOptions(vs []string) (string, bool) {
	set := map[string]bool{}
	for _, v := range vs {
		for _, x := range getDecodeSplit(v) {
			set[asciiLower(x)] = true
		}
	}
	known := set["deny"] || set["sameorigin"] || set["allowall"]
	invalid := false
	for x := range set {
		invalid = invalid || (x != "deny" && x != "sameorigin")
	}
	switch {
	case len(set) == 0:
		return "", false
	case len(set) > 1 && known:
		return "DENY", invalid
	case len(set) > 1:
		return "", true
	case set["deny"]:
		return "DENY", false
	case set["sameorigin"]:
		return "SAMEORIGIN", false
	default:
		return "", true
	}
}

// getDecodeSplit splits a header value as Fetch's "get, decode, and split"
// does: at commas outside double quotes, each part stripped of spaces and
// tabs. A quoted string is kept whole, quotes and backslashes included
// (Fetch collects it without extracting its value): "DENY" in quotes is
// not DENY.
func getDecodeSplit(v string) []string {
	parts := splitOutsideQuotes(v, ',')
	for i, p := range parts {
		parts[i] = strings.Trim(p, " \t")
	}
	return parts
}

// asciiLower lower-cases A-Z only, as the specs' "ASCII lowercase" does:
// strings.ToLower would also fold U+0130 to i.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

// parseSecurityHeaders reads the security headers of a response.
func parseSecurityHeaders(h http.Header) *posture.SecurityHeaders {
	sh := &posture.SecurityHeaders{
		XContentTypeOptions:       h.Get("X-Content-Type-Options"),
		XFrameOptions:             h.Get("X-Frame-Options"),
		ReferrerPolicy:            strings.Join(h.Values("Referrer-Policy"), ", "), // every field: the last known token wins
		PermissionsPolicy:         h.Get("Permissions-Policy"),
		CrossOriginOpenerPolicy:   strings.Join(h.Values("Cross-Origin-Opener-Policy"), ", "), // a repeated field is a list: no valid item
		CrossOriginEmbedderPolicy: h.Get("Cross-Origin-Embedder-Policy"),
		CrossOriginResourcePolicy: h.Get("Cross-Origin-Resource-Policy"),
		Server:                    h.Get("Server"),
		XPoweredBy:                h.Get("X-Powered-By"),
	}
	sh.CSP = parsePolicies(h.Values("Content-Security-Policy"))
	sh.CSPReportOnly = parsePolicies(h.Values("Content-Security-Policy-Report-Only"))

	// Fetch §3.5: the first value, split at ",", trimmed, is "nosniff".
	first, _, _ := strings.Cut(sh.XContentTypeOptions, ",")
	sh.NoSniff = strings.EqualFold(strings.Trim(first, " \t"), "nosniff")
	if !sh.NoSniff {
		sh.Issues = appendIssue(sh.Issues, posture.CodeHeadersNoSniffMissing)
	}
	xfo := h.Values("X-Frame-Options")
	if len(xfo) > 1 {
		sh.XFrameOptions = strings.Join(xfo, ", ")
	}
	var invalid bool
	sh.FrameOptions, invalid = frameOptions(xfo)
	if invalid {
		sh.Issues = appendIssue(sh.Issues, posture.CodeHeadersFrameOptionsInvalid)
	}
	// An enforced frame-ancestors makes browsers ignore X-Frame-Options
	// (HTML, "check a navigation response's adherence to
	// X-Frame-Options"); it protects unless it allows any site (* or a
	// bare scheme). Every policy is enforced: one strict one suffices.
	hasAncestors, ancestorsProtect := false, false
	for _, p := range sh.CSP {
		for _, d := range p.Directives {
			if d.Name == "frame-ancestors" {
				hasAncestors = true
				if !slices.ContainsFunc(d.Values, isWildcardSource) {
					ancestorsProtect = true
				}
			}
		}
	}
	sh.FrameProtection = sh.FrameOptions != ""
	if hasAncestors {
		sh.FrameProtection = ancestorsProtect
	}
	if !sh.FrameProtection {
		sh.Issues = appendIssue(sh.Issues, posture.CodeHeadersNoFrameProtection)
	}
	if len(sh.CSP) == 0 {
		sh.Issues = appendIssue(sh.Issues, posture.CodeHeadersCSPMissing)
	}
	for _, name := range bannerHeaders {
		for _, v := range h.Values(name) {
			if versionRE.MatchString(v) {
				sh.VersionBanners = append(sh.VersionBanners, name+": "+v)
			}
		}
	}
	if len(sh.VersionBanners) > 0 {
		sh.Issues = appendIssue(sh.Issues, posture.CodeHeadersVersionBanner)
	}
	return sh
}

// parsePolicies parses every policy of every field (CSP3 §2.2.2: a field
// holds a comma-separated list of policies).
func parsePolicies(fields []string) []posture.CSPPolicy {
	var out []posture.CSPPolicy
	for _, f := range fields {
		for _, raw := range strings.Split(f, ",") {
			if strings.Trim(raw, asciiWS) == "" {
				continue
			}
			if len(out) == maxCSPPolicies {
				return out
			}
			out = append(out, ParseCSP(strings.Trim(raw, asciiWS)))
		}
	}
	return out
}
