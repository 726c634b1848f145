package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// http.cookies_secure: every cookie the target sets (or every cookie the
// control names) carries Secure (RFC 6265 §4.1.2.5) and HttpOnly
// (§4.1.2.6), and keeps the rules of its __Host- or __Secure- prefix
// (RFC 6265bis §4.1.3): what a claim of "secure, httpOnly cookies" says.
// SameSite (RFC 6265bis §4.1.2.7) is judged only when the samesite
// parameter asks for it: a check judges what the claim says, no more.

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "http.cookies_secure",
			Title:       "Set cookies Secure and HttpOnly",
			Description: "Every Set-Cookie seen in the redirect chain, the HTTPS response and the pages the scope names (or only those named) has Secure and HttpOnly (and SameSite=Lax or Strict, or Strict, when the samesite parameter asks), and a __Host- or __Secure- cookie keeps its prefix's rules.",
			Citation:    "RFC 6265 §4.1.2.5, §4.1.2.6; RFC 6265bis §4.1.2.7, §4.1.3; OWASP Session Management Cheat Sheet",
			Severity:    posture.SeverityMedium,
			Remediation: "Add '; Secure; HttpOnly' (and 'SameSite=Lax' or Strict) to every Set-Cookie; name session cookies __Host-… with Path=/ and no Domain.",
			Mappings:    []string{"SOC2:CC6.1", "ISO27001:A.8.26"},
			Params: []posture.Param{
				{Name: "names", Type: posture.ParamList, Format: "cookie-name", Doc: "the cookies to judge, e.g. [session, csrf]; every cookie seen when absent"},
				{Name: "samesite", Type: posture.ParamEnum, Default: "any", Enum: []string{"any", "lax", "strict"},
					Doc: "the SameSite each cookie must carry: any (not judged), lax (Lax or Strict), strict"},
			},
			Needs: needHTTPWeb,
			Claim: "session cookies are Secure and HttpOnly",
		},
		Run: runCookiesSecure,
	})
}

func runCookiesSecure(in Input) []posture.Finding {
	var names []string
	names = append(names, in.Args.List("names")...)
	sameSite := strings.ToLower(in.Args.String("samesite"))
	flags := "Secure, HttpOnly"
	switch sameSite {
	case "lax":
		flags += ", SameSite=Lax/Strict"
	case "strict":
		flags += ", SameSite=Strict"
	}
	expected := "every cookie " + flags + ", prefix rules kept"
	if len(names) > 0 {
		expected = "cookies " + strings.Join(names, ", ") + " " + flags + ", prefix rules kept"
	}
	var out []posture.Finding
	for _, o := range in.Snapshot.HTTP {
		out = append(out, judgeCookies(o, names, sameSite, expected))
	}
	return out
}

func judgeCookies(o posture.HTTPObservation, names []string, sameSite, expected string) posture.Finding {
	if f := httpsUnobserved(o, expected, "its cookies"); f != nil {
		return *f
	}
	var (
		ps          []problem
		judged      []string
		seen        = map[string]bool{}
		hopEv       = map[string]string{}
		usedEv      []string
		problemSeen = map[string]bool{}
	)
	// Pages first: the chain and the HTTPS response name the evidence of
	// a URL they share with a page.
	var hops []posture.HTTPHop
	var unfetched []string
	var unfetchedReason *posture.Missing
	for _, p := range o.Pages {
		hops = append(hops, p.Responses...)
		if p.Missing != nil {
			unfetched = append(unfetched, fmt.Sprintf("%s (%s)", p.URL, p.Missing.Error()))
			if unfetchedReason == nil {
				unfetchedReason = p.Missing
			}
		}
	}
	hops = append(append(hops, o.Redirects...), *o.HTTPS)
	for _, h := range hops {
		hopEv[h.URL] = h.Evidence
	}
	for _, c := range o.Cookies {
		if len(names) > 0 && !slices.Contains(names, c.Name) {
			continue
		}
		seen[c.Name] = true
		if !slices.Contains(judged, c.Name) {
			judged = append(judged, c.Name)
		}
		add := func(code posture.Code, text string) {
			key := string(code) + "\x00" + c.Name
			if problemSeen[key] {
				return
			}
			problemSeen[key] = true
			ps = append(ps, problem{code, fmt.Sprintf("cookie %s %s (from %s)", quote(c.Name), text, c.URL)})
			usedEv = append(usedEv, hopEv[c.URL])
		}
		if !c.Secure {
			add(CodeCookieNotSecure, "lacks Secure")
		}
		if !c.HttpOnly {
			add(CodeCookieNotHTTPOnly, "lacks HttpOnly")
		}
		switch {
		case sameSite == "any" || sameSite == "":
		case c.SameSite == "Strict", c.SameSite == "Lax" && sameSite == "lax":
		case c.SameSite == "None":
			add(CodeCookieSameSiteNone, "has SameSite=None")
		case c.SameSite == "Lax":
			add(CodeCookieSameSiteLax, "has SameSite=Lax, not Strict")
		default:
			add(CodeCookieNoSameSite, "lacks SameSite")
		}
		for _, code := range c.Issues {
			switch code {
			case posture.CodeCookieHostPrefix:
				add(code, "breaks the __Host- rules (Secure, Path=/, no Domain, set over HTTPS)")
			case posture.CodeCookieSecurePrefix:
				add(code, "breaks the __Secure- rules (Secure, set over HTTPS)")
			}
		}
	}
	ev := ids(usedEv)
	if len(ev) == 0 {
		ev = or(one(o.HTTPS.Evidence), o.EvidenceIDs())
	}
	observed := fmt.Sprintf("%d cookie(s) judged: %s", len(judged), strings.Join(judged, ", "))
	if len(judged) == 0 {
		observed = "no cookies set in the responses observed"
	}
	if n := len(o.Pages); n > 0 {
		observed += fmt.Sprintf(" (%d page(s) of the scope fetched too", n-len(unfetched))
		if len(unfetched) > 0 {
			observed += fmt.Sprintf(", %d not", len(unfetched))
		}
		observed += ")"
	}
	if len(ps) > 0 {
		return contradicted(o.Observation, ps[0].code, expected, observed, o.Target.Address+": "+joinProblems(ps), ev)
	}
	if len(unfetched) > 0 {
		return inconclusive(o.Observation, &posture.Missing{Reason: unfetchedReason.Reason, Detail: "page not fetched: " + strings.Join(unfetched, "; ")}, expected, observed,
			fmt.Sprintf("%s: the cookies seen are sound, but the scope's page(s) %s could not be fetched, so their cookies are unknown; not counted as a pass or a gap", o.Target.Address, strings.Join(unfetched, "; ")), ev)
	}
	var unseen []string
	for _, n := range names {
		if !seen[n] {
			unseen = append(unseen, n)
		}
	}
	if len(unseen) > 0 {
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonError, Detail: "cookie not set in the responses observed: " + strings.Join(unseen, ", ")}, expected, observed,
			fmt.Sprintf("%s did not set %s in the responses observed (it may be set only after login); not counted as a pass or a gap", o.Target.Address, strings.Join(unseen, ", ")), ev)
	}
	return verified(o.Observation, expected, observed, ev)
}
