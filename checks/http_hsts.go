package checks

import (
	"fmt"

	"github.com/vouchdev/vouch/posture"
)

// http.hsts: the HTTPS response carries a valid Strict-Transport-Security
// header (RFC 6797 §6.1) whose max-age is long enough and, when the
// control asks, includeSubDomains (§6.1.2) and preload (the browsers'
// preload list convention, not part of the RFC).

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "http.hsts",
			Title:       "Send a long-lived Strict-Transport-Security header",
			Description: "The response to GET on the target's https:// URL carries a valid Strict-Transport-Security header with max-age of at least min_max_age seconds, and includeSubDomains / preload when required.",
			Citation:    "RFC 6797 §6.1 (Strict-Transport-Security), §11.2 (max-age); OWASP HTTP Strict Transport Security Cheat Sheet",
			Severity:    posture.SeverityMedium,
			Remediation: "Send 'Strict-Transport-Security: max-age=31536000; includeSubDomains' on every HTTPS response (add '; preload' only once every subdomain serves HTTPS).",
			Mappings:    []string{"SOC2:CC6.7", "ISO27001:A.8.24", "CIS:3.10"},
			Params: []posture.Param{
				intParam("min_max_age", 31536000, 0, 1<<31-1, "fewest seconds of max-age accepted (31536000 is a year)"),
				boolParam("include_subdomains", false, "require includeSubDomains"),
				boolParam("preload", false, "require the preload directive"),
			},
			Needs: needHTTPWeb,
			Claim: "browsers are told to use HTTPS only (HSTS)",
		},
		Run: runHSTS,
	})
}

func runHSTS(in Input) []posture.Finding {
	minAge := in.Args.Int("min_max_age")
	incSub := in.Args.Bool("include_subdomains")
	preload := in.Args.Bool("preload")
	expected := fmt.Sprintf("Strict-Transport-Security with max-age >= %d", minAge)
	if incSub {
		expected += ", includeSubDomains"
	}
	if preload {
		expected += ", preload"
	}
	var out []posture.Finding
	for _, o := range in.Snapshot.HTTP {
		out = append(out, judgeHSTS(o, int64(minAge), incSub, preload, expected))
	}
	return out
}

func judgeHSTS(o posture.HTTPObservation, minAge int64, incSub, preload bool, expected string) posture.Finding {
	if f := httpsUnobserved(o, expected, ""); f != nil {
		return *f
	}
	ev := or(one(o.HTTPS.Evidence), o.EvidenceIDs())
	h := o.HSTS
	if h == nil {
		return contradicted(o.Observation, CodeHSTSMissing, expected, fmt.Sprintf("no Strict-Transport-Security header (%s, status %d)", o.HTTPS.URL, o.HTTPS.Status),
			fmt.Sprintf("%s sends no Strict-Transport-Security header", o.Target.Address), ev)
	}
	observed := "Strict-Transport-Security: " + quote(h.Raw)
	var ps []problem
	if !h.Valid {
		code := CodeHSTSInvalid
		if len(h.Issues) > 0 && h.Issues[0] != "" {
			code = h.Issues[0]
		}
		ps = append(ps, problem{code, "the header is invalid (" + string(code) + "), so browsers ignore it"})
	} else {
		if h.MaxAge < minAge {
			ps = append(ps, problem{CodeHSTSMaxAgeShort, fmt.Sprintf("max-age=%d is shorter than %d", h.MaxAge, minAge)})
		}
		if incSub && !h.IncludeSubDomains {
			ps = append(ps, problem{CodeHSTSNoIncludeSubdomains, "includeSubDomains is absent"})
		}
		if preload && !h.Preload {
			ps = append(ps, problem{CodeHSTSNoPreload, "preload is absent"})
		}
	}
	if len(ps) > 0 {
		return contradicted(o.Observation, ps[0].code, expected, observed, o.Target.Address+": "+joinProblems(ps), ev)
	}
	return verified(o.Observation, expected, observed, ev)
}
