package checks

import (
	"fmt"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// email.mta_sts: the mail domain announces an MTA-STS policy with one
// valid TXT record at _mta-sts.<domain> (RFC 8461 §3.1: "v=STSv1; id=...").
// Senders that see it fetch the policy from https://mta-sts.<domain>/
// .well-known/mta-sts.txt; this check verifies the DNS half only.

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "email.mta_sts",
			Title:       "Announce an MTA-STS policy in the DNS",
			Description: "The mail domain publishes exactly one valid MTA-STS TXT record (v=STSv1 with an id) at _mta-sts.<domain>, so that sending servers look for its policy and require TLS. The policy file served over HTTPS is not part of this check.",
			Citation:    "RFC 8461 §3.1 (MTA-STS TXT record)",
			Severity:    posture.SeverityMedium,
			Remediation: "Publish one TXT record 'v=STSv1; id=<date or serial>' at _mta-sts.<domain>, serve the policy at https://mta-sts.<domain>/.well-known/mta-sts.txt, and change the id whenever the policy changes.",
			Mappings:    []string{"SOC2:CC6.7", "ISO27001:A.8.24"},
			Params:      map[string]string{},
		},
		Run: runMTASTS,
	})
}

func runMTASTS(in Input) []posture.Finding {
	const expected = "one valid v=STSv1 record at _mta-sts.<domain>"
	var out []posture.Finding
	for _, o := range in.Snapshot.DNS {
		out = append(out, judgeTXTPolicy(o, "MTA-STS", "_mta-sts."+o.Domain, expected, mtastsView(o.MTASTS), CodeMTASTSMissing, CodeMTASTSInvalid))
	}
	return out
}

// txtPolicyView is what judgeTXTPolicy needs of a TXT-published policy.
type txtPolicyView struct {
	present bool
	lookup  posture.Lookup
	records []string
	valid   bool
	issues  []string
}

func mtastsView(m *posture.MTASTS) txtPolicyView {
	if m == nil {
		return txtPolicyView{}
	}
	return txtPolicyView{true, m.Lookup, m.Records, m.Valid, m.Issues}
}

// judgeTXTPolicy judges a policy published as one TXT record at name.
func judgeTXTPolicy(o posture.DNSObservation, what, name, expected string, v txtPolicyView, missingCode, invalidCode string) posture.Finding {
	if !o.Observed() {
		return unobserved(o.Observation, expected)
	}
	if !v.present {
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonNotScanned, Detail: what + " was not looked up"}, expected, "",
			fmt.Sprintf("the scan recorded no %s lookup for %s; not counted as a pass or a gap", what, o.Domain), o.EvidenceIDs())
	}
	ev := or(one(v.lookup.Evidence), o.EvidenceIDs())
	if v.lookup.Missing != nil {
		return inconclusive(o.Observation, v.lookup.Missing, expected, "",
			fmt.Sprintf("the %s lookup of %s failed (%s); not counted as a pass or a gap", what, name, v.lookup.Missing.Error()), ev)
	}
	if len(v.records) == 0 {
		if triOr(v.lookup.Found) == posture.Unknown {
			return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonError, Detail: what + " lookup outcome not recorded"}, expected, "",
				fmt.Sprintf("could not tell whether %s publishes %s; not counted as a pass or a gap", o.Domain, what), ev)
		}
		return contradicted(o.Observation, missingCode, expected, fmt.Sprintf("no %s record at %s (rcode %s)", what, name, rcode(v.lookup)),
			fmt.Sprintf("%s publishes no %s record", o.Domain, what), ev)
	}
	observed := quote(strings.Join(v.records, " | "))
	if !v.valid {
		return contradicted(o.Observation, invalidCode, expected, observed,
			fmt.Sprintf("the %s record of %s is not usable (%s); senders ignore it", what, o.Domain, strings.Join(v.issues, ", ")), ev)
	}
	return verified(o.Observation, expected, observed, ev)
}
