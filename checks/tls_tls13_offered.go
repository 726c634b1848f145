package checks

import (
	"fmt"

	"github.com/vouchdev/vouch/posture"
)

// tls.tls13_offered: every TLS endpoint speaks TLS 1.3. NIST SP 800-52r2
// §3.1 requires servers to support TLS 1.3 (since January 2024) and RFC
// 9325 §3.1.1 says TLS 1.3 SHOULD be supported. A default handshake that
// settled on TLS 1.3 proves it even when the version probe could not tell.

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "tls.tls13_offered",
			Title:       "Offer TLS 1.3",
			Description: "Every TLS endpoint (each IP a host resolves to) accepts TLS 1.3.",
			Citation:    "NIST SP 800-52r2 §3.1 (TLS 1.3 support required); RFC 9325 §3.1.1 (TLS 1.3 SHOULD be supported); RFC 8446",
			Severity:    posture.SeverityMedium,
			Remediation: "Enable TLS 1.3 on every endpoint (nginx: ssl_protocols TLSv1.2 TLSv1.3 with OpenSSL 1.1.1 or newer; Apache: SSLProtocol -all +TLSv1.2 +TLSv1.3; load balancers: a security policy that includes TLS 1.3), then rescan.",
			Mappings:    []string{"SOC2:CC6.7", "ISO27001:A.8.24", "CIS:3.10"},
			Needs:       needTLSWeb,
			Claim:       "we support TLS 1.3",
		},
		Run: runTLS13Offered,
	})
}

func runTLS13Offered(in Input) []posture.Finding {
	const expected = "TLSv1.3 accepted"
	var out []posture.Finding
	for _, o := range directTLS(in) {
		out = append(out, judgeTLS13Offered(o, expected))
	}
	return out
}

func judgeTLS13Offered(o posture.TLSObservation, expected string) posture.Finding {
	if !o.Observed() {
		return unobserved(o.Observation, expected)
	}
	state, reason := posture.Unknown, (*posture.Missing)(nil)
	probed := false
	for _, p := range o.Protocols {
		if p.Name == posture.TLSv1_3 {
			probed, state, reason = true, triOr(p.Offered), p.Missing
		}
	}
	if o.Negotiated != nil && o.Negotiated.Protocol == posture.TLSv1_3 {
		state = posture.Yes
	}
	ev := o.EvidenceIDs()
	switch state {
	case posture.Yes:
		return verified(o.Observation, expected, "TLSv1.3 accepted", ev)
	case posture.No:
		return contradicted(o.Observation, CodeTLS13NotOffered, expected, "TLSv1.3 refused",
			fmt.Sprintf("%s does not accept TLS 1.3", endpoint(o)), ev)
	}
	if !probed {
		reason = &posture.Missing{Reason: posture.ReasonNotScanned, Detail: "TLSv1.3 was not probed"}
	}
	return inconclusive(o.Observation, reason, expected, "",
		fmt.Sprintf("could not tell whether %s accepts TLS 1.3; not counted as a pass or a gap", endpoint(o)), ev)
}
