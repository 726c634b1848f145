package checks

import (
	"fmt"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// http.https_redirect: a request over plain HTTP is redirected to HTTPS
// (a chain that loops never gets there, and is a gap).
// RFC 6797 §7.2 says an HSTS host that receives a request over a
// non-secure transport SHOULD answer with a permanent redirect to the
// https URI; OWASP ASVS 4.0.3 V9.1.1 asks that clients never fall back to
// unencrypted connections.

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "http.https_redirect",
			Title:       "Redirect plain HTTP to HTTPS",
			Description: "A request to http://host/ ends, after its redirects, on an https:// URL.",
			Citation:    "RFC 6797 §7.2; OWASP ASVS 4.0.3 V9.1.1",
			Severity:    posture.SeverityHigh,
			Remediation: "Answer every plain-HTTP request with a permanent redirect (301 or 308) to the same host and path over https://, before anything else is served.",
			Mappings:    []string{"SOC2:CC6.7", "ISO27001:A.8.24", "CIS:3.10"},
			Needs:       needHTTPWeb,
			Claim:       "HTTP requests are redirected to HTTPS",
		},
		Run: runHTTPSRedirect,
	})
}

func runHTTPSRedirect(in Input) []posture.Finding {
	const expected = "plain HTTP redirects to HTTPS"
	var out []posture.Finding
	for _, o := range in.Snapshot.HTTP {
		out = append(out, judgeHTTPSRedirect(o, expected))
	}
	return out
}

func judgeHTTPSRedirect(o posture.HTTPObservation, expected string) posture.Finding {
	if !o.Observed() {
		return unobserved(o.Observation, expected)
	}
	var hopIDs []string
	for _, h := range o.Redirects {
		hopIDs = append(hopIDs, h.Evidence)
	}
	ev := or(ids(hopIDs), o.EvidenceIDs())
	chain := describeChain(o)
	start := o.StartURL
	if start == "" {
		start = "http://" + o.Target.Host() + "/"
	}
	if o.RedirectLoop {
		return contradicted(o.Observation, CodeRedirectLoop, expected, chain,
			fmt.Sprintf("plain HTTP at %s redirects in a loop, so a visitor never reaches HTTPS (%s)", start, missingDetail(o.RedirectMissing)), ev)
	}
	if m := o.RedirectMissing; m != nil {
		if len(o.Redirects) > 0 {
			return inconclusive(o.Observation, m, expected, chain,
				fmt.Sprintf("the redirect chain from %s could not be followed to its end (%s); not counted as a pass or a gap", start, m.Error()), ev)
		}
		return inconclusive(o.Observation, m, expected, chain,
			fmt.Sprintf("plain HTTP at %s was not reachable (%s): there was nothing to redirect, so this is inconclusive, not a gap", start, m.Error()), ev)
	}
	switch o.UpgradesToHTTPS {
	case posture.Yes:
		return verified(o.Observation, expected, chain, ev)
	case posture.No:
		end := "the first response"
		if n := len(o.Redirects); n > 0 {
			last := o.Redirects[n-1]
			end = fmt.Sprintf("%s (status %d)", last.URL, last.Status)
		}
		return contradicted(o.Observation, CodeRedirectNoHTTPS, expected, chain,
			fmt.Sprintf("plain HTTP at %s is not redirected to HTTPS: the chain ends at %s", start, end), ev)
	}
	return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonError, Detail: "redirect chain not determined"}, expected, chain,
		fmt.Sprintf("could not tell whether plain HTTP at %s redirects to HTTPS; not counted as a pass or a gap", start), ev)
}

// describeChain renders the redirect chain: "http://a/ 301 → https://a/ 200".
func describeChain(o posture.HTTPObservation) string {
	const maxHops = 10
	if len(o.Redirects) == 0 {
		return "no response over plain HTTP"
	}
	var parts []string
	for i, h := range o.Redirects {
		if i == maxHops {
			parts = append(parts, fmt.Sprintf("… (%d more)", len(o.Redirects)-maxHops))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %d", h.URL, h.Status))
	}
	return strings.Join(parts, " → ")
}
