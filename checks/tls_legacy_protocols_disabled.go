package checks

import (
	"fmt"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// tls.legacy_protocols_disabled: no TLS endpoint accepts SSLv3 (RFC 7568:
// MUST NOT be used), TLS 1.0 or TLS 1.1 (RFC 8996 §2-3: MUST NOT be
// negotiated). Unlike tls.min_version it says nothing about which modern
// version is offered: it is the claim "SSLv3, TLS 1.0 and 1.1 are
// disabled" alone.

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "tls.legacy_protocols_disabled",
			Title:       "Disable SSLv3, TLS 1.0 and TLS 1.1",
			Description: "Every TLS endpoint (each IP a host resolves to, and each MX host reached with STARTTLS) refuses SSLv3, TLS 1.0 and TLS 1.1.",
			Citation:    "RFC 8996 §2-3 (TLS 1.0 and 1.1 MUST NOT be used); RFC 7568 §3 (SSLv3 MUST NOT be used); NIST SP 800-52r2 §3.1",
			Severity:    posture.SeverityHigh,
			Remediation: "Turn off SSLv3, TLS 1.0 and TLS 1.1 on every endpoint (nginx: ssl_protocols TLSv1.2 TLSv1.3; Apache: SSLProtocol -all +TLSv1.2 +TLSv1.3; Postfix: smtpd_tls_protocols = >=TLSv1.2; load balancers: a TLS 1.2+ security policy), then rescan.",
			Mappings:    []string{"SOC2:CC6.7", "ISO27001:A.8.24", "CIS:3.10"},
			Needs:       needTLSWeb,
			Claim:       "SSLv3, TLS 1.0 and TLS 1.1 are disabled",
		},
		Run: runTLSLegacyProtocolsDisabled,
	})
}

// legacyProtocols are the versions the check wants refused, oldest first.
var legacyProtocols = []string{posture.SSLv3, posture.TLSv1_0, posture.TLSv1_1}

func runTLSLegacyProtocolsDisabled(in Input) []posture.Finding {
	const expected = "SSLv3, TLSv1.0 and TLSv1.1 refused"
	var out []posture.Finding
	for _, o := range directTLS(in) {
		out = append(out, judgeLegacyProtocols(o, expected))
	}
	return out
}

func judgeLegacyProtocols(o posture.TLSObservation, expected string) posture.Finding {
	if !o.Observed() {
		return unobserved(o.Observation, expected)
	}
	var offered, refused, unknown []string
	var firstUnknown *posture.Missing
	for _, name := range legacyProtocols {
		state, reason := protocolState(o, name)
		switch state {
		case posture.Yes:
			offered = append(offered, name)
		case posture.No:
			refused = append(refused, name)
		default:
			unknown = append(unknown, name)
			if firstUnknown == nil {
				firstUnknown = reason
			}
		}
	}
	parts := []string{}
	if len(offered) > 0 {
		parts = append(parts, "accepted: "+strings.Join(offered, ", "))
	}
	if len(refused) > 0 {
		parts = append(parts, "refused: "+strings.Join(refused, ", "))
	}
	if len(unknown) > 0 {
		parts = append(parts, "could not tell: "+strings.Join(unknown, ", "))
	}
	observed := strings.Join(parts, "; ")
	ev := o.EvidenceIDs()
	switch {
	case len(offered) > 0:
		return contradicted(o.Observation, enabledCode[offered[0]], expected, observed,
			fmt.Sprintf("%s accepts %s", endpoint(o), strings.Join(offered, ", ")), ev)
	case len(unknown) > 0:
		return inconclusive(o.Observation, firstUnknown, expected, observed,
			fmt.Sprintf("could not tell whether %s accepts %s; not counted as a pass or a gap", endpoint(o), strings.Join(unknown, ", ")), ev)
	}
	return verified(o.Observation, expected, observed, ev)
}

// protocolState says whether o accepts the protocol name: the version
// probe's answer, or Yes when the default handshake settled on it. The
// reason explains an Unknown.
func protocolState(o posture.TLSObservation, name string) (posture.Tri, *posture.Missing) {
	state, probed := posture.Unknown, false
	var reason *posture.Missing
	for _, p := range o.Protocols {
		if p.Name == name {
			probed, state, reason = true, triOr(p.Offered), p.Missing
		}
	}
	if o.Negotiated != nil && o.Negotiated.Protocol == name {
		return posture.Yes, nil
	}
	if state == posture.Unknown && reason == nil {
		if probed {
			reason = &posture.Missing{Reason: posture.ReasonError, Detail: name + ": support not determined"}
		} else {
			reason = &posture.Missing{Reason: posture.ReasonNotScanned, Detail: name + " was not probed"}
		}
	}
	return state, reason
}
