package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// dns.caa: the domain is covered by a CAA record set (RFC 8659 §3: the
// set at the domain or, if it has none, at the nearest ancestor that has
// one) with at least one issue property, so that only the CAs it names may
// issue certificates for it (§4.2); when issuers are declared, every CA
// the set allows (issue and issuewild) is among them. iodef (§4.4) is
// noted, and required with require_iodef.

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "dns.caa",
			Title:       "Restrict which certificate authorities may issue for the domain",
			Description: "The CAA record set that governs the domain (at the domain or its nearest ancestor that has one) has at least one issue property; with issuers declared, every CA it allows is among them; with require_iodef, it names an iodef contact.",
			Citation:    "RFC 8659 §3 (relevant record set), §4.2 (issue), §4.3 (issuewild), §4.4 (iodef)",
			Severity:    posture.SeverityLow,
			Remediation: "Publish CAA records at the domain (or the organisational domain) naming the CAs you use, e.g. '0 issue \"letsencrypt.org\"', '0 issuewild \";\"' to forbid wildcards if you need none, and '0 iodef \"mailto:security@<domain>\"'.",
			Mappings:    []string{"SOC2:CC6.1", "ISO27001:A.8.24"},
			Params: []posture.Param{
				{Name: "issuers", Type: posture.ParamList, Format: "domain", Doc: "the CA domains the set may allow, e.g. [letsencrypt.org, pki.goog]; any when absent"},
				boolParam("require_iodef", false, "require an iodef property (where CAs report refused requests)"),
			},
			Needs: needDNSMail,
			Claim: "only our chosen certificate authorities may issue certificates for our domain",
		},
		Run: runCAA,
	})
}

func runCAA(in Input) []posture.Finding {
	var issuers []string
	for _, s := range in.Args.List("issuers") {
		issuers = append(issuers, strings.ToLower(s))
	}
	iodef := in.Args.Bool("require_iodef")
	expected := "a CAA record set with an issue property"
	if len(issuers) > 0 {
		expected += " allowing only " + strings.Join(issuers, ", ")
	}
	if iodef {
		expected += ", with an iodef contact"
	}
	var out []posture.Finding
	for _, o := range in.Snapshot.DNS {
		out = append(out, judgeCAA(o, issuers, iodef, expected))
	}
	return out
}

func judgeCAA(o posture.DNSObservation, issuers []string, requireIODEF bool, expected string) posture.Finding {
	if !o.Observed() {
		return unobserved(o.Observation, expected)
	}
	c := o.CAA
	if c == nil {
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonNotScanned, Detail: "CAA was not looked up"}, expected, "",
			fmt.Sprintf("the scan recorded no CAA lookup for %s; not counted as a pass or a gap", o.Domain), o.EvidenceIDs())
	}
	ev := or(one(c.Lookup.Evidence), o.EvidenceIDs())
	if c.Lookup.Missing != nil {
		return inconclusive(o.Observation, c.Lookup.Missing, expected, "",
			fmt.Sprintf("the CAA lookup of %s failed (%s), so the record set that governs %s is unknown; not counted as a pass or a gap", c.Lookup.Name, c.Lookup.Missing.Error(), o.Domain), ev)
	}
	if c.Domain == "" || len(c.Records) == 0 {
		if triOr(c.Lookup.Found) == posture.Unknown {
			return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonError, Detail: "CAA lookup outcome not recorded"}, expected, "",
				fmt.Sprintf("could not tell whether %s is covered by CAA records; not counted as a pass or a gap", o.Domain), ev)
		}
		return contradicted(o.Observation, CodeCAAMissing, expected, fmt.Sprintf("no CAA record at %s or any parent up to %s", o.Domain, or1(c.Lookup.Name, o.Domain)),
			fmt.Sprintf("no CAA record set covers %s: any certificate authority may issue for it", o.Domain), ev)
	}
	observed := fmt.Sprintf("CAA at %s: issue %s; issuewild %s; iodef %s", c.Domain,
		caaList(c.Issue), caaList(c.IssueWild), or1(strings.Join(c.IODEF, ", "), "(none)"))
	if len(c.Issues) > 0 {
		observed += "; " + posture.JoinCodes(c.Issues, ", ")
	}
	if len(c.Issue) == 0 {
		return contradicted(o.Observation, CodeCAANoIssue, expected, observed,
			fmt.Sprintf("the CAA records of %s have no issue property: any CA may issue non-wildcard certificates for %s", c.Domain, o.Domain), ev)
	}
	if len(issuers) > 0 {
		var extra []string
		for _, ca := range append(append([]string(nil), c.Issue...), c.IssueWild...) {
			if ca != "" && !slices.Contains(issuers, ca) && !slices.Contains(extra, ca) {
				extra = append(extra, ca)
			}
		}
		if len(extra) > 0 {
			return contradicted(o.Observation, CodeCAAUnexpectedIssuer, expected, observed,
				fmt.Sprintf("the CAA records of %s allow %s, not among the declared issuers (%s)", c.Domain, strings.Join(extra, ", "), strings.Join(issuers, ", ")), ev)
		}
	}
	if requireIODEF && len(c.IODEF) == 0 {
		return contradicted(o.Observation, CodeCAANoIODEF, expected, observed,
			fmt.Sprintf("the CAA records of %s name no iodef contact for CAs to report refused requests to", c.Domain), ev)
	}
	return verified(o.Observation, expected, observed, ev)
}

// caaList shows issuer domains; "" (issuance forbidden) shows as ";".
func caaList(list []string) string {
	if len(list) == 0 {
		return "(none)"
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = or1(s, `";" (none allowed)`)
	}
	return strings.Join(out, ", ")
}
