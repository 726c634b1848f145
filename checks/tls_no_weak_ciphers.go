package checks

import (
	"fmt"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// tls.no_weak_ciphers: no TLS endpoint accepts a cipher suite without
// encryption (NULL), without server authentication (anon), of export
// grade, with RC4 (RFC 7465: MUST NOT be negotiated), with DES or 3DES
// (64-bit blocks, NIST SP 800-52r2 §3.3.1 excludes them), or with an MD5
// MAC. It reads the suites the scanner enumerated per protocol; an
// endpoint whose enumeration is incomplete, or a protocol whose support is
// unknown, may hide one, so it is inconclusive unless a weak suite was
// already seen.

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "tls.no_weak_ciphers",
			Title:       "Refuse weak cipher suites",
			Description: "Every TLS endpoint (each IP a host resolves to) refuses NULL, anonymous, export, RC4, DES/3DES and MD5 cipher suites under every protocol version it speaks.",
			Citation:    "RFC 7465 (RC4 prohibited); RFC 9325 §4.1 (NULL, anon, export, RC4, 3DES MUST NOT); NIST SP 800-52r2 §3.3.1",
			Severity:    posture.SeverityHigh,
			Remediation: "Restrict the server's cipher list to AEAD suites with forward secrecy (nginx: ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20; Apache: SSLCipherSuite the same; OpenSSL strings: add !aNULL:!eNULL:!EXPORT:!RC4:!DES:!3DES:!MD5), then rescan.",
			Mappings:    []string{"SOC2:CC6.7", "ISO27001:A.8.24", "CIS:3.10"},
			Needs:       needTLSWeb,
			Claim:       "we use modern cipher suites only",
		},
		Run: runTLSNoWeakCiphers,
	})
}

// weakFamilies are the families judged weak, worst first.
var weakFamilies = []struct {
	code  posture.Code
	label string
	match func(name string) bool
}{
	{CodeCipherNull, "NULL (no encryption)", func(n string) bool {
		return strings.Contains(n, "_WITH_NULL_") || strings.HasPrefix(n, "TLS_NULL_") ||
			n == "TLS_SHA256_SHA256" || n == "TLS_SHA384_SHA384"
	}},
	{CodeCipherAnon, "anonymous (no authentication)", func(n string) bool { return strings.Contains(n, "_ANON_") }},
	{CodeCipherExport, "export grade", func(n string) bool { return strings.Contains(n, "EXPORT") }},
	{CodeCipherRC4, "RC4", func(n string) bool { return strings.Contains(n, "_RC4_") }},
	{CodeCipherDES, "DES/3DES", func(n string) bool {
		return strings.Contains(n, "_DES_") || strings.Contains(n, "3DES") || strings.Contains(n, "DES40")
	}},
	{CodeCipherMD5, "MD5 MAC", func(n string) bool { return strings.HasSuffix(n, "_MD5") }},
}

// weakFamily returns the index in weakFamilies of the worst family suite
// belongs to, or -1 when it is none.
func weakFamily(suite string) int {
	n := strings.ToUpper(suite)
	for i, f := range weakFamilies {
		if f.match(n) {
			return i
		}
	}
	return -1
}

func runTLSNoWeakCiphers(in Input) []posture.Finding {
	const expected = "no NULL, anonymous, export, RC4, DES/3DES or MD5 cipher suite accepted under any protocol"
	var out []posture.Finding
	for _, o := range directTLS(in) {
		out = append(out, judgeTLSNoWeakCiphers(o, expected))
	}
	return out
}

func judgeTLSNoWeakCiphers(o posture.TLSObservation, expected string) posture.Finding {
	if !o.Observed() {
		return unobserved(o.Observation, expected)
	}
	worst := -1
	var weak, summary []string
	enumerated := map[string]bool{}
	var gap *posture.Missing // why some protocol's suites are not all known
	for _, p := range o.Suites {
		enumerated[p.Protocol] = true
		summary = append(summary, fmt.Sprintf("%s: %d suites", p.Protocol, len(p.Accepted)))
		for _, s := range p.Accepted {
			if f := weakFamily(s); f >= 0 {
				weak = append(weak, p.Protocol+" "+s)
				if worst < 0 || f < worst {
					worst = f
				}
			}
		}
		if p.Missing != nil && gap == nil {
			m := *p.Missing
			m.Detail = p.Protocol + " suites incomplete: " + m.Detail
			gap = &m
		}
		if len(p.Accepted) == 0 && p.Missing == nil && gap == nil && protocolOffered(o, p.Protocol) {
			gap = &posture.Missing{Reason: posture.ReasonError, Detail: p.Protocol + " is offered but no accepted suite was recorded"}
		}
	}
	for _, p := range o.Protocols {
		if gap != nil {
			break
		}
		switch {
		case triOr(p.Offered) == posture.Unknown:
			gap = &posture.Missing{Reason: posture.ReasonError, Detail: "could not tell whether " + p.Name + " is offered"}
			if p.Missing != nil {
				gap = &posture.Missing{Reason: p.Missing.Reason, Detail: p.Name + ": " + p.Missing.Detail}
			}
		case p.Offered == posture.Yes && !enumerated[p.Name]:
			gap = &posture.Missing{Reason: posture.ReasonNotScanned, Detail: p.Name + " is offered but its cipher suites were not enumerated"}
		}
	}
	if len(o.Protocols) == 0 && gap == nil {
		gap = &posture.Missing{Reason: posture.ReasonNotScanned, Detail: "no protocol versions or cipher suites were observed"}
	}
	observed := "accepted: " + strings.Join(summary, "; ")
	if len(summary) == 0 {
		observed = "no cipher suites enumerated"
	}
	ev := o.EvidenceIDs()
	switch {
	case worst >= 0:
		return contradicted(o.Observation, weakFamilies[worst].code, expected,
			"weak suites accepted: "+strings.Join(weak, ", "),
			fmt.Sprintf("%s accepts %d weak cipher suite(s), the worst %s", endpoint(o), len(weak), weakFamilies[worst].label), ev)
	case gap != nil:
		return inconclusive(o.Observation, gap, expected, observed+"; "+gap.Error(),
			fmt.Sprintf("could not enumerate every cipher suite %s accepts; not counted as a pass or a gap", endpoint(o)), ev)
	}
	return verified(o.Observation, expected, observed, ev)
}
