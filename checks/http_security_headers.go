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
		t = strings.ToLower(strings.Trim(t, " \t"))
		if slices.Contains(referrerPolicies, t) {
			policy = t
		}
	}
	return policy
}

// EffectiveCOOP is the opener policy a browser applies for the
// Cross-Origin-Opener-Policy field value v (every field joined by ", "):
// HTML §7.1.3.2 "obtain a cross-origin opener policy" parses it as a
// structured-field item (RFC 8941 §4.2): a token, case-sensitive, with
// optional parameters; anything else (a list from a repeated field, a
// quoted string, an unknown token) is unsafe-none.
func EffectiveCOOP(v string) string {
	item := strings.Trim(v, " ")
	bare, _, _ := strings.Cut(item, ";")
	switch bare {
	case "same-origin", "same-origin-allow-popups", "noopener-allow-popups":
		if strings.ContainsAny(item, ",") {
			return "unsafe-none"
		}
		return bare
	}
	return "unsafe-none"
}
