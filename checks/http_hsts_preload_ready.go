package checks

import (
	"fmt"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/vouchdev/vouch/posture"
)

// http.hsts_preload_ready: the target meets what the browsers' HSTS
// preload list asks of a site (hstspreload.org, whose checker is
// chromium/hstspreload):
//
//   - the HTTPS response sends one valid Strict-Transport-Security header
//     (RFC 6797 §6.1) with max-age of at least 31536000 seconds (one year),
//     includeSubDomains and preload;
//   - http://host/, when something answers there, redirects, and its first
//     redirect goes to https:// on the same host, so that a browser learns
//     the policy for the host itself (RFC 6797 §8.1: HSTS is only heeded
//     over HTTPS) — and that HTTPS response carries a preloadable header
//     too;
//   - the chain from http://host/ has at most three redirects, never goes
//     back to http://, and does not loop.
//
// Plain HTTP that nobody listens on is fine (hstspreload.org only warns).
// Whether the host is a registrable domain (only those can be submitted)
// is said in the finding, not judged: the controls name what they claim.

// preloadMinMaxAge is the shortest max-age the preload list accepts.
const preloadMinMaxAge = 31536000

// preloadMaxRedirects is the most redirects from http://host/ it accepts.
const preloadMaxRedirects = 3

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "http.hsts_preload_ready",
			Title:       "Be ready for the browsers' HSTS preload list",
			Description: "The HTTPS response sends Strict-Transport-Security with max-age of at least 31536000, includeSubDomains and preload; http://host/ redirects first to https:// on the same host, whose response carries the same header; at most three redirects, none back to http://.",
			Citation:    "RFC 6797 §6.1, §8.1; hstspreload.org submission requirements (chromium/hstspreload)",
			Severity:    posture.SeverityLow,
			Remediation: "Send 'Strict-Transport-Security: max-age=63072000; includeSubDomains; preload' on every HTTPS response, redirects included, and answer http://host/ with a 301 to https://host/ (same host) before any other redirect, such as to www.",
			Mappings:    []string{"SOC2:CC6.7", "ISO27001:A.8.24", "CIS:3.10"},
			Needs:       needHTTPWeb,
			Claim:       "our domain is ready for the browsers' HSTS preload list",
		},
		Run: runHSTSPreloadReady,
	})
}

func runHSTSPreloadReady(in Input) []posture.Finding {
	expected := fmt.Sprintf("preload-ready: Strict-Transport-Security with max-age >= %d, includeSubDomains and preload; http:// redirects first to https:// on the same host, which sends it too; at most %d redirects, none to http://", preloadMinMaxAge, preloadMaxRedirects)
	var out []posture.Finding
	for _, o := range in.Snapshot.HTTP {
		out = append(out, judgePreloadReady(o, expected))
	}
	return out
}

func judgePreloadReady(o posture.HTTPObservation, expected string) posture.Finding {
	if f := httpsUnobserved(o, expected, ""); f != nil {
		return *f
	}
	evidence := []string{o.HTTPS.Evidence}
	ps := preloadableHeader(o.HSTS, "the HTTPS response")
	headerOK := len(ps) == 0
	chainPs, unknown, chainEv := preloadableChain(o, headerOK)
	ps = append(ps, chainPs...)
	evidence = append(evidence, chainEv...)

	observed := "no Strict-Transport-Security header"
	if o.HSTS != nil {
		observed = "Strict-Transport-Security: " + quote(o.HSTS.Raw)
	}
	observed += "; chain: " + describeChain(o)
	if note := domainNote(o.Target.Host()); note != "" {
		observed += "; note: " + note
	}
	ev := or(ids(evidence), o.EvidenceIDs())
	if len(ps) > 0 {
		return contradicted(o.Observation, ps[0].code, expected, observed, o.Target.Address+": "+joinProblems(ps), ev)
	}
	if unknown != nil {
		return inconclusive(o.Observation, unknown, expected, observed,
			fmt.Sprintf("%s: the header is preloadable, but %s; not counted as a pass or a gap", o.Target.Address, unknown.Detail), ev)
	}
	return verified(o.Observation, expected, observed, ev)
}

// preloadableHeader lists what keeps h, the header of the response named
// by where, from the preload list.
func preloadableHeader(h *posture.HSTS, where string) []problem {
	if h == nil {
		return []problem{{CodeHSTSMissing, where + " sends no Strict-Transport-Security header"}}
	}
	if !h.Valid {
		code := CodeHSTSInvalid
		if len(h.Issues) > 0 && h.Issues[0] != "" {
			code = h.Issues[0]
		}
		return []problem{{code, fmt.Sprintf("%s sends an invalid header %s (%s), which browsers ignore", where, quote(h.Raw), code)}}
	}
	var ps []problem
	for _, is := range h.Issues {
		if is == posture.CodeHSTSMultipleHeaders {
			ps = append(ps, problem{posture.CodeHSTSMultipleHeaders, where + " sends more than one Strict-Transport-Security header"})
		}
	}
	if h.MaxAge < preloadMinMaxAge {
		ps = append(ps, problem{CodeHSTSMaxAgeShort, fmt.Sprintf("%s has max-age=%d, below %d (one year)", where, h.MaxAge, preloadMinMaxAge)})
	}
	if !h.IncludeSubDomains {
		ps = append(ps, problem{CodeHSTSNoIncludeSubdomains, where + " lacks includeSubDomains"})
	}
	if !h.Preload {
		ps = append(ps, problem{CodeHSTSNoPreload, where + " lacks preload"})
	}
	return ps
}

// preloadableChain judges the redirect chain from http://host/. unknown
// is set when a part the rules need was not observed. The first HTTPS
// redirect's header is judged only when the main header is preloadable,
// as hstspreload.org does (it would repeat the same problem).
func preloadableChain(o posture.HTTPObservation, headerOK bool) (ps []problem, unknown *posture.Missing, evidence []string) {
	start := o.StartURL
	if start == "" {
		start = "http://" + o.Target.Host() + "/"
	}
	hops := o.Redirects
	if len(hops) == 0 {
		m := o.RedirectMissing
		switch {
		case m != nil && m.Reason == posture.ReasonRefused:
			return nil, nil, nil // nothing listens for plain HTTP: allowed
		case m != nil:
			return nil, &posture.Missing{Reason: m.Reason, Detail: fmt.Sprintf("plain HTTP at %s was not observed (%s)", start, m.Error())}, nil
		}
		return nil, &posture.Missing{Reason: posture.ReasonNotScanned, Detail: fmt.Sprintf("no redirect chain from %s was recorded", start)}, nil
	}
	first := hops[0]
	evidence = append(evidence, first.Evidence)
	if !isRedirectHop(first) {
		return []problem{{CodeHSTSHTTPNotRedirected, fmt.Sprintf("%s answers %d without a redirect to https://", first.URL, first.Status)}}, nil, evidence
	}
	if o.SameHostFirst != posture.Yes {
		return []problem{{CodeHSTSRedirectNotSameHostFirst, fmt.Sprintf("%s redirects first to %s, not to https:// on the same host (%s)", first.URL, quote(first.Location), o.Target.Host())}}, nil, evidence
	}
	if len(hops) < 2 {
		m := o.RedirectMissing
		if m == nil {
			m = &posture.Missing{Reason: posture.ReasonError, Detail: "not recorded"}
		}
		unknown = &posture.Missing{Reason: m.Reason, Detail: fmt.Sprintf("the HTTPS response %s redirects to was not observed (%s)", quote(first.Location), m.Error())}
	} else {
		evidence = append(evidence, hops[1].Evidence)
		if headerOK {
			if hps := preloadableHeader(hops[1].HSTS, hops[1].URL); len(hps) > 0 {
				ps = append(ps, problem{CodeHSTSRedirectNoHSTS, fmt.Sprintf("%s redirects to %s, whose header is not preloadable: %s", first.URL, hops[1].URL, hps[0].text)})
			}
		}
	}
	redirects := 0
	insecure := false
	for i, h := range hops {
		if !isRedirectHop(h) {
			continue
		}
		redirects++
		// Where this redirect goes: the next hop, or, for the last one,
		// its Location (not followed: it left the host, or the chain
		// stopped there).
		next := ""
		if i+1 < len(hops) {
			next = hops[i+1].URL
		} else {
			next = resolveScheme(h.URL, h.Location)
		}
		if i > 0 && strings.HasPrefix(strings.ToLower(next), "http:") && !insecure {
			insecure = true
			evidence = append(evidence, h.Evidence)
			ps = append(ps, problem{CodeHSTSRedirectInsecure, fmt.Sprintf("redirect #%d, from %s, goes back to plain HTTP (%s)", i+1, h.URL, quote(h.Location))})
		}
	}
	switch {
	case o.RedirectLoop:
		ps = append(ps, problem{CodeHSTSRedirectLoop, fmt.Sprintf("the chain from %s loops (%s)", start, missingDetail(o.RedirectMissing))})
	case redirects > preloadMaxRedirects:
		ps = append(ps, problem{CodeHSTSTooManyRedirects, fmt.Sprintf("%d redirects from %s, more than %d", redirects, start, preloadMaxRedirects)})
	case unknown == nil && len(hops) >= 2 && o.RedirectMissing != nil:
		m := o.RedirectMissing
		unknown = &posture.Missing{Reason: m.Reason, Detail: fmt.Sprintf("the chain from %s could not be followed to its end (%s)", start, m.Error())}
	}
	return ps, unknown, evidence
}

// isRedirectHop reports whether h sends the client on by its Location
// (RFC 9110 §15.4; 300, 304 and 305 do not).
func isRedirectHop(h posture.HTTPHop) bool {
	switch h.Status {
	case 301, 302, 303, 307, 308:
		return h.Location != ""
	}
	return false
}

// resolveScheme returns loc when it names a scheme, else loc prefixed
// with the scheme of from (a relative reference keeps it, RFC 3986 §5.2).
func resolveScheme(from, loc string) string {
	if i := strings.IndexByte(loc, ':'); i > 0 && isScheme(loc[:i]) {
		return loc
	}
	scheme, _, _ := strings.Cut(from, ":")
	return scheme + ":" + loc
}

// isScheme reports whether s is a URI scheme (RFC 3986 §3.1).
func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return s != ""
}

func missingDetail(m *posture.Missing) string {
	if m == nil {
		return "a URL was requested twice"
	}
	return m.Error()
}

// domainNote says when host cannot be submitted to the preload list
// itself: an IP address, or a name below its registrable domain.
func domainNote(host string) string {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "" {
		return ""
	}
	if strings.Trim(host, "0123456789.") == "" || strings.Contains(host, ":") {
		return host + " is an IP address; only domain names can be preloaded"
	}
	reg, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil || reg == host {
		return ""
	}
	return fmt.Sprintf("%s is a subdomain: the preload list takes %s, whose own header and redirects decide", host, reg)
}
