package checks

import (
	"fmt"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// tls.key_size: the certificate's public key and the finite-field DHE
// group are large enough. NIST SP 800-57 Part 1 Rev. 5 §5.6.1-5.6.2 puts
// 112 bits of security (RSA/DSA/DH 2048, ECC 224) as the floor through
// 2030 and 128 bits (RSA 3072, ECC 256) beyond; NIST SP 800-52r2 §3.5.1
// wants server keys of at least 2048 (RSA) and 256 (ECDSA) bits for TLS,
// and RFC 9325 §4.1 DH groups of at least 2048 bits. The defaults follow
// those; the parameters raise them for a stronger claim ("RSA 4096").

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "tls.key_size",
			Title:       "Use large enough certificate keys and DH groups",
			Description: "Every TLS endpoint serves a certificate whose RSA/DSA key has at least min_rsa bits or whose ECDSA/EdDSA key has at least min_ecdsa bits, and uses DHE groups of at least min_dh bits.",
			Citation:    "NIST SP 800-57 Part 1 Rev. 5 §5.6.1-5.6.2; NIST SP 800-52r2 §3.5.1 (RSA ≥ 2048, ECDSA ≥ 256); RFC 9325 §4.1 (DH ≥ 2048)",
			Severity:    posture.SeverityHigh,
			Remediation: "Reissue the certificate with an RSA key of 2048 bits or more, or an ECDSA P-256/P-384 key; use DH parameters of 2048 bits or more (nginx: ssl_dhparam with a 2048+ bit group, or the RFC 7919 ffdhe groups), or drop DHE suites in favour of ECDHE; then rescan.",
			Mappings:    []string{"SOC2:CC6.7", "ISO27001:A.8.24", "CIS:3.10"},
			Params: []posture.Param{
				intParam("min_rsa", 2048, 0, 65536, "fewest bits of an RSA or DSA certificate key"),
				intParam("min_ecdsa", 256, 0, 65536, "fewest bits of an ECDSA or EdDSA certificate key (Ed25519 counts as 256)"),
				intParam("min_dh", 2048, 0, 65536, "fewest bits of a finite-field DHE group"),
			},
			Needs: needTLSWeb,
			Claim: "we use 2048-bit RSA keys",
		},
		Run: runTLSKeySize,
	})
}

type keyMins struct{ rsa, ecdsa, dh int }

func runTLSKeySize(in Input) []posture.Finding {
	m := keyMins{rsa: in.Args.Int("min_rsa"), ecdsa: in.Args.Int("min_ecdsa"), dh: in.Args.Int("min_dh")}
	expected := fmt.Sprintf("certificate key RSA/DSA ≥ %d or ECDSA/EdDSA ≥ %d bits; DHE groups ≥ %d bits", m.rsa, m.ecdsa, m.dh)
	var out []posture.Finding
	for _, o := range directTLS(in) {
		out = append(out, judgeKeySize(o, m, expected))
	}
	return out
}

func judgeKeySize(o posture.TLSObservation, m keyMins, expected string) posture.Finding {
	if !o.Observed() {
		return unobserved(o.Observation, expected)
	}
	ev := o.EvidenceIDs()
	var ps []problem
	var observed []string
	var unknown *posture.Missing

	if c := o.Certificate; c == nil || c.KeyBits <= 0 || c.KeyType == "" {
		unknown = &posture.Missing{Reason: posture.ReasonError, Detail: "certificate key type or size not recorded"}
		observed = append(observed, "certificate key not recorded")
	} else {
		ev = or(ids(one(c.ChainEvidence), o.EvidenceIDs()), nil)
		observed = append(observed, fmt.Sprintf("certificate key %s %d bits", c.KeyType, c.KeyBits))
		switch strings.ToUpper(c.KeyType) {
		case "RSA", "DSA":
			if c.KeyBits < m.rsa {
				ps = append(ps, problem{CodeKeyRSASmall, fmt.Sprintf("%s key of %d bits is below %d", c.KeyType, c.KeyBits, m.rsa)})
			}
		case "ECDSA", "ED25519", "ED448":
			if c.KeyBits < m.ecdsa {
				ps = append(ps, problem{CodeKeyECDSASmall, fmt.Sprintf("%s key of %d bits is below %d", c.KeyType, c.KeyBits, m.ecdsa)})
			}
		default:
			unknown = &posture.Missing{Reason: posture.ReasonError, Detail: "certificate key type " + c.KeyType + " is not one the check knows"}
		}
	}

	dhe := acceptsDHE(o)
	enumerated := map[string]bool{}
	for _, p := range o.Suites {
		enumerated[p.Protocol] = true
	}
	switch {
	case o.DHBits > 0:
		observed = append(observed, fmt.Sprintf("DHE group %d bits", o.DHBits))
		if o.DHBits < m.dh {
			ps = append(ps, problem{CodeKeyDHSmall, fmt.Sprintf("DHE group of %d bits is below %d", o.DHBits, m.dh)})
		}
	case dhe:
		observed = append(observed, "DHE accepted, group size not recorded")
		if unknown == nil {
			unknown = &posture.Missing{Reason: posture.ReasonError, Detail: "a DHE suite is accepted but the DH group size was not recorded"}
		}
	default:
		// No DHE suite seen: that says none is accepted only when every
		// offered protocol's suites were enumerated to the end.
		if gap := suiteGap(o, enumerated); gap != nil {
			observed = append(observed, "no DHE suite seen, but "+gap.Error())
			if unknown == nil {
				unknown = gap
			}
			break
		}
		observed = append(observed, "no DHE suite accepted")
	}

	obsText := strings.Join(observed, "; ")
	switch {
	case len(ps) > 0:
		return contradicted(o.Observation, ps[0].code, expected, obsText, endpoint(o)+": "+joinProblems(ps), ev)
	case unknown != nil:
		return inconclusive(o.Observation, unknown, expected, obsText,
			fmt.Sprintf("could not tell every key size of %s; not counted as a pass or a gap", endpoint(o)), ev)
	}
	return verified(o.Observation, expected, obsText, ev)
}

// acceptsDHE reports whether any accepted suite uses finite-field DHE.
func acceptsDHE(o posture.TLSObservation) bool {
	for _, p := range o.Suites {
		for _, s := range p.Accepted {
			if strings.HasPrefix(s, "TLS_DHE_") {
				return true
			}
		}
	}
	return o.Negotiated != nil && strings.HasPrefix(o.Negotiated.CipherSuite, "TLS_DHE_")
}
