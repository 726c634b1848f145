package checks

import (
	"fmt"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// tls.forward_secrecy: the endpoint's key exchange is ephemeral, so that a
// stolen private key does not decrypt recorded traffic. RFC 9325 §4.1
// says implementations SHOULD NOT negotiate suites without forward
// secrecy (static RSA, static DH) and §4.2 MUST prefer those with it;
// NIST SP 800-52r2 §3.3.1 requires ephemeral key exchange for TLS 1.2
// suites. Every TLS 1.3 suite is forward secret (RFC 8446 §2).
//
// mode "all" (the default) wants every accepted suite under every
// protocol to be forward secret. mode "preferred" accepts non-FS suites
// left in for old clients so long as a modern client always gets forward
// secrecy: the default handshake negotiated an FS suite and, for every
// protocol offered, the server's first choice (when it enforces its own
// order) is FS, or some FS suite is accepted (when it follows the
// client's order, as modern clients list FS first). The scanner offers FS
// suites first, so a first pick without FS whose order could not be
// determined leaves mode preferred inconclusive.

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "tls.forward_secrecy",
			Title:       "Use forward-secret key exchange",
			Description: "Every TLS endpoint accepts only (EC)DHE or TLS 1.3 suites (mode all), or at least always chooses one for a modern client (mode preferred).",
			Citation:    "RFC 9325 §4.1-4.2 (suites without forward secrecy SHOULD NOT be negotiated; FS suites MUST be preferred); NIST SP 800-52r2 §3.3.1 (ephemeral key exchange); RFC 8446 §2",
			Severity:    posture.SeverityMedium,
			Remediation: "Remove static RSA and static DH suites (OpenSSL cipher strings: add !kRSA; nginx: ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20), enable TLS 1.3, and enforce the server's order (ssl_prefer_server_ciphers on) so that ECDHE is chosen first; then rescan.",
			Mappings:    []string{"SOC2:CC6.7", "ISO27001:A.8.24", "CIS:3.10"},
			Params: []posture.Param{
				enumParam("mode", "all", []string{"all", "preferred"}, "all: every accepted suite is forward secret; preferred: a modern client always gets a forward-secret suite"),
			},
			Needs: needTLSWeb,
			Claim: "we use perfect forward secrecy",
		},
		Run: runTLSForwardSecrecy,
	})
}

func runTLSForwardSecrecy(in Input) []posture.Finding {
	mode := in.Args.String("mode")
	var expected string
	switch mode {
	case "all":
		expected = "every accepted cipher suite is forward secret ((EC)DHE or TLS 1.3)"
	case "preferred":
		expected = "a modern client always negotiates a forward-secret suite"
	}
	var out []posture.Finding
	for _, o := range directTLS(in) {
		out = append(out, judgeForwardSecrecy(o, mode, expected))
	}
	return out
}

func judgeForwardSecrecy(o posture.TLSObservation, mode, expected string) posture.Finding {
	if !o.Observed() {
		return unobserved(o.Observation, expected)
	}
	var (
		fsCount, nonFSCount int
		nonFS, notPreferred []string
		summary             []string
		// orderGap: a protocol whose first pick lacks forward secrecy
		// while its order is unknown; mode preferred cannot tell.
		orderGap *posture.Missing
	)
	enumerated := map[string]bool{}
	for _, p := range o.Suites {
		enumerated[p.Protocol] = true
		fsHere := 0
		for _, s := range p.Accepted {
			if posture.ForwardSecret(s) {
				fsCount++
				fsHere++
			} else if strings.HasPrefix(s, "TLS_") {
				nonFSCount++
				nonFS = append(nonFS, p.Protocol+" "+s)
			}
		}
		summary = append(summary, fmt.Sprintf("%s: %d of %d suites forward secret", p.Protocol, fsHere, len(p.Accepted)))
		if len(p.Accepted) == 0 {
			continue
		}
		switch {
		case p.ServerOrder == posture.Yes && !posture.ForwardSecret(p.Accepted[0]):
			notPreferred = append(notPreferred, fmt.Sprintf("%s server prefers %s", p.Protocol, p.Accepted[0]))
		case p.ServerOrder != posture.Yes && fsHere == 0 && p.Missing == nil:
			notPreferred = append(notPreferred, p.Protocol+" accepts no forward-secret suite")
		case triOr(p.ServerOrder) == posture.Unknown && fsHere > 0 && !posture.ForwardSecret(p.Accepted[0]) && orderGap == nil:
			// Offered forward-secret suites first, the server still
			// picked this one; whether it prefers it could not be told.
			orderGap = &posture.Missing{Reason: posture.ReasonError,
				Detail: fmt.Sprintf("%s: the server picked %s first and its suite order was not determined", p.Protocol, p.Accepted[0])}
		}
	}
	gap := suiteGap(o, enumerated)
	if n := o.Negotiated; n != nil && n.CipherSuite != "" {
		summary = append(summary, "default handshake: "+n.Protocol+" "+n.CipherSuite)
		if strings.HasPrefix(n.CipherSuite, "TLS_") && !posture.ForwardSecret(n.CipherSuite) {
			notPreferred = append([]string{"the default handshake negotiated " + n.CipherSuite}, notPreferred...)
		}
	}
	observed := strings.Join(summary, "; ")
	if observed == "" {
		observed = "no cipher suites enumerated"
	}
	ev := o.EvidenceIDs()
	switch {
	case fsCount == 0 && nonFSCount > 0 && gap == nil:
		return contradicted(o.Observation, CodeFSNone, expected, observed,
			fmt.Sprintf("%s accepts no forward-secret cipher suite", endpoint(o)), ev)
	case mode == "all" && nonFSCount > 0:
		return contradicted(o.Observation, CodeFSNotAll, expected, observed+"; without forward secrecy: "+strings.Join(nonFS, ", "),
			fmt.Sprintf("%s accepts %d suite(s) without forward secrecy", endpoint(o), nonFSCount), ev)
	case mode == "preferred" && len(notPreferred) > 0:
		return contradicted(o.Observation, CodeFSNotPreferred, expected, observed,
			fmt.Sprintf("%s does not give a modern client forward secrecy: %s", endpoint(o), strings.Join(notPreferred, "; ")), ev)
	case gap != nil:
		return inconclusive(o.Observation, gap, expected, observed+"; "+gap.Error(),
			fmt.Sprintf("could not enumerate every cipher suite %s accepts; not counted as a pass or a gap", endpoint(o)), ev)
	case mode == "preferred" && orderGap != nil:
		return inconclusive(o.Observation, orderGap, expected, observed+"; "+orderGap.Detail,
			fmt.Sprintf("could not tell whether %s prefers a suite without forward secrecy; not counted as a pass or a gap", endpoint(o)), ev)
	case fsCount == 0:
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonNotScanned, Detail: "no cipher suites were enumerated"}, expected, observed,
			fmt.Sprintf("no cipher suite of %s was observed; not counted as a pass or a gap", endpoint(o)), ev)
	}
	return verified(o.Observation, expected, observed, ev)
}

// suiteGap says why the suites o lists may not be all it accepts: an
// enumeration cut short, a protocol whose support is unknown, or an
// offered protocol whose suites were not enumerated. nil when the list is
// complete.
func suiteGap(o posture.TLSObservation, enumerated map[string]bool) *posture.Missing {
	for _, p := range o.Suites {
		if p.Missing != nil {
			m := *p.Missing
			m.Detail = p.Protocol + " suites incomplete: " + m.Detail
			return &m
		}
		if len(p.Accepted) == 0 && protocolOffered(o, p.Protocol) {
			// A protocol is accepted with some suite: an empty list for
			// an offered one is an enumeration that saw nothing.
			return &posture.Missing{Reason: posture.ReasonError, Detail: p.Protocol + " is offered but no accepted suite was recorded"}
		}
	}
	for _, p := range o.Protocols {
		switch {
		case triOr(p.Offered) == posture.Unknown:
			if p.Missing != nil {
				return &posture.Missing{Reason: p.Missing.Reason, Detail: p.Name + ": " + p.Missing.Detail}
			}
			return &posture.Missing{Reason: posture.ReasonError, Detail: "could not tell whether " + p.Name + " is offered"}
		case p.Offered == posture.Yes && !enumerated[p.Name]:
			return &posture.Missing{Reason: posture.ReasonNotScanned, Detail: p.Name + " is offered but its cipher suites were not enumerated"}
		}
	}
	if len(o.Protocols) == 0 {
		return &posture.Missing{Reason: posture.ReasonNotScanned, Detail: "no protocol versions were observed"}
	}
	return nil
}

// protocolOffered reports whether the version probe for name said Yes.
func protocolOffered(o posture.TLSObservation, name string) bool {
	for _, p := range o.Protocols {
		if p.Name == name && p.Offered == posture.Yes {
			return true
		}
	}
	return false
}
