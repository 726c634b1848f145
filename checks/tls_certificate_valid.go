package checks

import (
	"fmt"
	"strings"
	"time"

	"github.com/vouchdev/vouch/posture"
)

// tls.certificate_valid: the certificate each endpoint serves chains to a
// trusted root (RFC 5280 §6 path validation), names the host (RFC 9525 §6,
// which replaces RFC 6125), is inside its validity period (RFC 5280
// §4.1.2.5), and is not about to expire.

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "tls.certificate_valid",
			Title:       "Serve a trusted certificate that matches the host and is not about to expire",
			Description: "Every TLS endpoint serves a chain that validates to a trusted root, covers the host name, is currently valid, and stays valid for at least min_days more days.",
			Citation:    "RFC 5280 §4.1.2.5 and §6 (validity, path validation); RFC 9525 §6 (host name verification, replaces RFC 6125)",
			Severity:    posture.SeverityHigh,
			Remediation: "Install a certificate from a publicly trusted CA that covers every served host name, serve the full intermediate chain, and automate renewal (ACME) well before expiry.",
			Mappings:    []string{"SOC2:CC6.7", "ISO27001:A.8.24", "CIS:3.10"},
			Params: []posture.Param{
				intParam("min_days", 14, 0, 3650, "fewest days of validity the certificate must have left"),
			},
			Needs: needTLSWeb,
			Claim: "our TLS certificates are valid and trusted",
		},
		Run: runTLSCertificateValid,
	})
}

func runTLSCertificateValid(in Input) []posture.Finding {
	minDays := in.Args.Int("min_days")
	expected := fmt.Sprintf("certificate trusted, matching the host name, and valid for at least %d more days", minDays)
	var out []posture.Finding
	for _, o := range directTLS(in) {
		out = append(out, judgeCertificate(o, in.Now, minDays, expected))
	}
	return out
}

func judgeCertificate(o posture.TLSObservation, now time.Time, minDays int, expected string) posture.Finding {
	if !o.Observed() {
		return unobserved(o.Observation, expected)
	}
	c := o.Certificate
	if c == nil {
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonError, Detail: "no certificate recorded for this endpoint"}, expected, "",
			fmt.Sprintf("the scan recorded no certificate for %s; not counted as a pass or a gap", endpoint(o)), o.EvidenceIDs())
	}
	ev := or(one(c.ChainEvidence), o.EvidenceIDs())
	left := c.NotAfter.Sub(now)
	days := int(left.Hours() / 24)
	observed := fmt.Sprintf("subject %s, issuer %s, names [%s], valid %s to %s (%d days left), trusted %s, host name match %s",
		quote(c.Subject), quote(c.Issuer), strings.Join(append(append([]string{}, c.DNSNames...), c.IPAddresses...), ", "),
		c.NotBefore.UTC().Format(time.DateOnly), c.NotAfter.UTC().Format(time.DateOnly), days, triOr(c.Trusted), triOr(c.HostnameMatch))
	if c.NotAfter.IsZero() {
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonError, Detail: "certificate validity period not recorded"}, expected, observed,
			fmt.Sprintf("the scan did not record when the certificate of %s expires; not counted as a pass or a gap", endpoint(o)), ev)
	}

	var ps []problem
	switch {
	case now.After(c.NotAfter):
		ps = append(ps, problem{CodeCertExpired, fmt.Sprintf("certificate expired on %s", c.NotAfter.UTC().Format(time.DateOnly))})
	case now.Before(c.NotBefore):
		ps = append(ps, problem{CodeCertNotYetValid, fmt.Sprintf("certificate is not valid before %s", c.NotBefore.UTC().Format(time.DateOnly))})
	}
	if c.Trusted == posture.No {
		text := "certificate chain is not trusted"
		if c.ValidationError != "" {
			text += ": " + c.ValidationError
		}
		ps = append(ps, problem{CodeCertUntrusted, text})
	}
	if c.HostnameMatch == posture.No {
		ps = append(ps, problem{CodeCertHostname, fmt.Sprintf("certificate does not cover %s", o.Target.Host())})
	}
	if !now.After(c.NotAfter) && left < time.Duration(minDays)*24*time.Hour {
		ps = append(ps, problem{CodeCertExpiring, fmt.Sprintf("certificate expires on %s, in %d days (fewer than %d)", c.NotAfter.UTC().Format(time.DateOnly), days, minDays)})
	}
	if len(ps) > 0 {
		return contradicted(o.Observation, ps[0].code, expected, observed, endpoint(o)+": "+joinProblems(ps), ev)
	}
	if triOr(c.Trusted) == posture.Unknown || triOr(c.HostnameMatch) == posture.Unknown {
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonError, Detail: "trust or host name match not determined"}, expected, observed,
			fmt.Sprintf("could not tell whether the certificate of %s is trusted and matches the host; not counted as a pass or a gap", endpoint(o)), ev)
	}
	return verified(o.Observation, expected, observed, ev)
}
