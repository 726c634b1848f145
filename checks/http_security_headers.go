package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// http.security_headers: the HTTPS response carries the security headers
// the control requires: X-Content-Type-Options: nosniff (WHATWG Fetch
// §3.5), frame protection (X-Frame-Options DENY/SAMEORIGIN, RFC 7034, or
// CSP frame-ancestors), a Content-Security-Policy (W3C CSP Level 3), and
// optionally a CSP free of 'unsafe-inline', 'unsafe-eval' and wildcard
// script sources, Referrer-Policy, Permissions-Policy,
// Cross-Origin-Opener-Policy, and no software version banner.

// headerRequirements are the values the require parameter knows, in the
// order findings name them.
var headerRequirements = []string{"nosniff", "frame", "csp", "csp_safe", "referrer_policy", "permissions_policy", "coop", "no_version_banner"}

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "http.security_headers",
			Title:       "Send the required security headers",
			Description: "The response to GET on the target's https:// URL carries every header the require parameter lists (default: nosniff, frame protection and a Content-Security-Policy).",
			Citation:    "WHATWG Fetch §3.5 (nosniff); RFC 7034 (X-Frame-Options); W3C CSP Level 3; OWASP Secure Headers Project",
			Severity:    posture.SeverityMedium,
			Remediation: "Send 'X-Content-Type-Options: nosniff', 'Content-Security-Policy: default-src 'self'; frame-ancestors 'none'' (or X-Frame-Options: DENY) and the other required headers on every HTTPS response; drop version numbers from Server and X-Powered-By.",
			Mappings:    []string{"SOC2:CC6.6", "ISO27001:A.8.26"},
			Params: []posture.Param{
				{Name: "require", Type: posture.ParamList, Enum: headerRequirements, Default: "nosniff,frame,csp", Doc: "the protections to require"},
			},
			Needs: needHTTPWeb,
			Claim: "our web responses carry security headers (CSP, X-Frame-Options, nosniff)",
		},
		Run: runSecurityHeaders,
	})
}

func runSecurityHeaders(in Input) []posture.Finding {
	req := in.Args.List("require")
	expected := "security headers: " + strings.Join(req, ", ")
	var out []posture.Finding
	for _, o := range in.Snapshot.HTTP {
		out = append(out, judgeSecurityHeaders(o, req, expected))
	}
	return out
}

func judgeSecurityHeaders(o posture.HTTPObservation, req []string, expected string) posture.Finding {
	if !o.Observed() {
		return unobserved(o.Observation, expected)
	}
	if o.HTTPSMissing != nil {
		return inconclusive(o.Observation, o.HTTPSMissing, expected, "",
			fmt.Sprintf("could not fetch %s over HTTPS (%s); not counted as a pass or a gap", o.Target.Address, o.HTTPSMissing.Error()), o.EvidenceIDs())
	}
	sh := o.SecurityHeaders
	if o.HTTPS == nil || sh == nil {
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonError, Detail: "no HTTPS response headers recorded"}, expected, "",
			fmt.Sprintf("the scan recorded no HTTPS response headers for %s; not counted as a pass or a gap", o.Target.Address), o.EvidenceIDs())
	}
	ev := or(one(o.HTTPS.Evidence), o.EvidenceIDs())
	var ps []problem
	for _, r := range req {
		switch r {
		case "nosniff":
			if !sh.NoSniff {
				ps = append(ps, problem{posture.CodeHeadersNoSniffMissing, "no X-Content-Type-Options: nosniff (got " + quote(sh.XContentTypeOptions) + ")"})
			}
		case "frame":
			if !sh.FrameProtection {
				ps = append(ps, problem{posture.CodeHeadersNoFrameProtection, "no frame protection (X-Frame-Options " + quote(sh.XFrameOptions) + "; no CSP frame-ancestors, or one that allows any site and overrides X-Frame-Options)"})
			}
		case "csp":
			if len(sh.CSP) == 0 {
				ps = append(ps, problem{posture.CodeHeadersCSPMissing, "no enforced Content-Security-Policy"})
			}
		case "csp_safe":
			if len(sh.CSP) == 0 {
				ps = append(ps, problem{posture.CodeHeadersCSPMissing, "no enforced Content-Security-Policy"})
				continue
			}
			if bad := cspUnsafeIssues(sh.CSP); len(bad) > 0 {
				ps = append(ps, problem{CodeHeadersCSPUnsafe, "the Content-Security-Policy allows " + strings.Join(bad, ", ")})
			}
		case "referrer_policy":
			switch eff := EffectiveReferrerPolicy(sh.ReferrerPolicy); {
			case strings.TrimSpace(sh.ReferrerPolicy) == "":
				ps = append(ps, problem{CodeHeadersReferrerMissing, "no Referrer-Policy"})
			case eff == "":
				ps = append(ps, problem{CodeHeadersReferrerInvalid, "Referrer-Policy " + quote(sh.ReferrerPolicy) + " names no policy a browser knows: the browser's default applies"})
			case eff == "unsafe-url" || eff == "no-referrer-when-downgrade":
				ps = append(ps, problem{CodeHeadersReferrerWeak, "Referrer-Policy " + eff + " sends the full URL to other origins"})
			}
		case "permissions_policy":
			if strings.TrimSpace(sh.PermissionsPolicy) == "" {
				ps = append(ps, problem{CodeHeadersPermissionsMissing, "no Permissions-Policy"})
			}
		case "coop":
			switch eff := EffectiveCOOP(sh.CrossOriginOpenerPolicy); {
			case strings.TrimSpace(sh.CrossOriginOpenerPolicy) == "":
				ps = append(ps, problem{CodeHeadersCOOPMissing, "no Cross-Origin-Opener-Policy"})
			case eff == "unsafe-none":
				ps = append(ps, problem{CodeHeadersCOOPMissing, "Cross-Origin-Opener-Policy " + quote(sh.CrossOriginOpenerPolicy) + " is applied as unsafe-none (not a valid policy token, or unsafe-none itself)"})
			}
		case "no_version_banner":
			if len(sh.VersionBanners) > 0 {
				ps = append(ps, problem{posture.CodeHeadersVersionBanner, "version banner " + quote(strings.Join(sh.VersionBanners, "; "))})
			}
		}
	}
	observed := summarizeHeaders(sh)
	if len(ps) > 0 {
		return contradicted(o.Observation, ps[0].code, expected, observed, o.Target.Address+": "+joinProblems(ps), ev)
	}
	return verified(o.Observation, expected, observed, ev)
}

// cspUnsafeIssues lists the unsafe issues of the enforced policies. Every
// policy is enforced, so an issue counts only when every policy has it:
// one strict policy blocks what another allows.
func cspUnsafeIssues(ps []posture.CSPPolicy) []string {
	var out []string
	for _, code := range cspUnsafe {
		all := true
		for _, p := range ps {
			if !slices.Contains(p.Issues, code) {
				all = false
				break
			}
		}
		if all {
			out = append(out, leaf(code))
		}
	}
	return out
}

func summarizeHeaders(sh *posture.SecurityHeaders) string {
	var parts []string
	add := func(name, v string) {
		if v != "" {
			parts = append(parts, name+": "+quote(v))
		}
	}
	add("X-Content-Type-Options", sh.XContentTypeOptions)
	add("X-Frame-Options", sh.XFrameOptions)
	for _, p := range sh.CSP {
		add("Content-Security-Policy", p.Raw)
	}
	add("Referrer-Policy", sh.ReferrerPolicy)
	add("Permissions-Policy", sh.PermissionsPolicy)
	add("Cross-Origin-Opener-Policy", sh.CrossOriginOpenerPolicy)
	if len(parts) == 0 {
		return "none of the security headers"
	}
	return strings.Join(parts, "; ")
}

// referrerPolicies are the values of W3C Referrer Policy §3.
var referrerPolicies = []string{"no-referrer", "no-referrer-when-downgrade", "same-origin", "origin",
	"strict-origin", "origin-when-cross-origin", "strict-origin-when-cross-origin", "unsafe-url"}

// EffectiveReferrerPolicy is the policy a browser applies for the
// Referrer-Policy field value v (every field of the response joined by
// ", "): Referrer Policy §8.1 "parse a referrer policy from a
// Referrer-Policy header": the comma-separated tokens, the last one that
// is a known policy wins, unknown ones are ignored (so that a newer
// policy can follow a fallback). Browsers match the token ignoring ASCII
// case. "" means none: the browser's default applies.
func EffectiveReferrerPolicy(v string) string {
	policy := ""
	for _, t := range strings.Split(v, ",") {
		t = strings.Trim(t, " \t")
		if i := slices.IndexFunc(referrerPolicies, func(p string) bool { return asciiEqualFold(p, t) }); i >= 0 {
			t = referrerPolicies[i]
			policy = t
		}
	}
	return policy
}

// EffectiveCOOP is the opener policy a browser applies for the
// Cross-Origin-Opener-Policy field value v (every field joined by ", "):
// HTML §7.1.3.2 "obtain a cross-origin opener policy" parses it as a
// structured-field item (RFC 8941 §4.2): a token, case-sensitive, with
// parameters that must parse too; anything else (a list from a repeated
// field, a quoted string, an unknown token, a malformed parameter) is
// unsafe-none.
func EffectiveCOOP(v string) string {
	tok, ok := sfTokenItem(strings.Trim(v, " "))
	switch {
	case !ok:
		return "unsafe-none"
	case tok == "same-origin", tok == "same-origin-allow-popups", tok == "noopener-allow-popups":
		return tok
	}
	return "unsafe-none"
}

// sfTokenItem parses s as an RFC 8941 item whose bare item is a token
// (§4.2.6) followed by parameters (§4.2.3), and returns the token.
func sfTokenItem(s string) (string, bool) {
	if s == "" || !sfTokenStart(s[0]) {
		return "", false
	}
	i, _ := sfBareItem(s)
	tok := s[:i]
	for i < len(s) {
		if s[i] != ';' {
			return "", false
		}
		i++
		for i < len(s) && s[i] == ' ' {
			i++
		}
		// key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )
		if i >= len(s) || !(s[i] == '*' || ('a' <= s[i] && s[i] <= 'z')) {
			return "", false
		}
		for i < len(s) && (s[i] == '*' || s[i] == '_' || s[i] == '-' || s[i] == '.' || ('a' <= s[i] && s[i] <= 'z') || ('0' <= s[i] && s[i] <= '9')) {
			i++
		}
		if i < len(s) && s[i] == '=' {
			i++
			n, ok := sfBareItem(s[i:])
			if !ok {
				return "", false
			}
			i += n
		}
	}
	return tok, true
}

// sfTokenStart reports whether c may begin an RFC 8941 token (§3.3.4).
func sfTokenStart(c byte) bool {
	return c == '*' || ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z')
}

// sfBareItem reads one RFC 8941 bare item (§4.2.3.1) at the start of s
// and returns its length: an integer or decimal, a string, a token, a
// byte sequence or a boolean.
func sfBareItem(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	switch c := s[0]; {
	case c == '-' || ('0' <= c && c <= '9'):
		i := 0
		if c == '-' {
			i++
		}
		start, dot := i, false
		for i < len(s) && (('0' <= s[i] && s[i] <= '9') || (s[i] == '.' && !dot)) {
			dot = dot || s[i] == '.'
			i++
		}
		return i, i > start && s[i-1] != '.'
	case c == '"':
		for i := 1; i < len(s); i++ {
			switch {
			case s[i] == '\\':
				if i+1 >= len(s) || (s[i+1] != '"' && s[i+1] != '\\') {
					return 0, false
				}
				i++
			case s[i] == '"':
				return i + 1, true
			case s[i] < 0x20 || s[i] > 0x7e:
				return 0, false
			}
		}
		return 0, false
	case c == '?':
		return 2, len(s) >= 2 && (s[1] == '0' || s[1] == '1')
	case c == ':':
		end := strings.IndexByte(s[1:], ':')
		if end < 0 {
			return 0, false
		}
		for _, r := range s[1 : 1+end] {
			if !(r == '+' || r == '/' || r == '=' || ('A' <= r && r <= 'Z') || ('a' <= r && r <= 'z') || ('0' <= r && r <= '9')) {
				return 0, false
			}
		}
		return end + 2, true
	case sfTokenStart(c):
		i := 1
		for i < len(s) && s[i] > 0x20 && s[i] < 0x7f && (s[i] == ':' || s[i] == '/' || !strings.ContainsRune("\"(),;<=>?@[\\]{}", rune(s[i]))) {
			i++
		}
		return i, true
	}
	return 0, false
}

// asciiEqualFold is an ASCII case-insensitive match, as the specs say:
// strings.EqualFold would also match U+0130 with i.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
