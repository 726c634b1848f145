package checks

import (
	"fmt"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// email.dmarc: the mail domain publishes one valid DMARC record
// (_dmarc.<domain> TXT, RFC 7489 §6.1) whose policy p= (§6.3) is at least
// the declared one and applies to at least pct percent of failing mail.

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "email.dmarc",
			Title:       "Publish a DMARC policy that quarantines or rejects failing mail",
			Description: "The mail domain publishes exactly one valid DMARC record whose p= is at least min_policy and whose pct= is at least pct.",
			Citation:    "RFC 7489 §6.3 (p=, pct=), §6.6.3 (record discovery)",
			Severity:    posture.SeverityHigh,
			Remediation: "Publish one TXT record at _dmarc.<domain> such as 'v=DMARC1; p=reject; rua=mailto:dmarc@<domain>'; move from p=none to quarantine and reject once the aggregate reports show every legitimate sender passes SPF or DKIM.",
			Mappings:    []string{"SOC2:CC6.6", "ISO27001:A.5.14", "CIS:9.5"},
			Params: map[string]string{
				"min_policy": "weakest acceptable p=: none, quarantine (default) or reject",
				"pct":        "lowest acceptable pct= (default 100)",
			},
		},
		Run: runDMARC,
	})
}

var dmarcPolicyRank = map[string]int{"none": 0, "quarantine": 1, "reject": 2}

func runDMARC(in Input) []posture.Finding {
	minPolicy := strings.ToLower(in.Params.String("min_policy", "quarantine"))
	if _, ok := dmarcPolicyRank[minPolicy]; !ok {
		return paramFailure(fmt.Errorf("checks: parameter min_policy: %q is not a DMARC policy (want none, quarantine or reject)", minPolicy))
	}
	pct, err := in.Params.Int("pct", 100)
	if err == nil && (pct < 0 || pct > 100) {
		err = fmt.Errorf("checks: parameter pct: %d is out of range (0..100)", pct)
	}
	if err != nil {
		return paramFailure(err)
	}
	expected := "DMARC p=" + minPolicy + " or stricter"
	if minPolicy != "none" {
		expected += fmt.Sprintf(", pct >= %d", pct)
	}
	var out []posture.Finding
	for _, o := range in.Snapshot.DNS {
		out = append(out, judgeDMARC(o, minPolicy, pct, expected))
	}
	return out
}

func judgeDMARC(o posture.DNSObservation, minPolicy string, minPct int, expected string) posture.Finding {
	if !o.Observed() {
		return unobserved(o.Observation, expected)
	}
	d := o.DMARC
	if d == nil {
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonNotScanned, Detail: "DMARC was not looked up"}, expected, "",
			fmt.Sprintf("the scan recorded no DMARC lookup for %s; not counted as a pass or a gap", o.Domain), o.EvidenceIDs())
	}
	ev := or(one(d.Lookup.Evidence), o.EvidenceIDs())
	name := d.Lookup.Name
	if name == "" {
		name = "_dmarc." + o.Domain
	}
	if d.Lookup.Missing != nil {
		return inconclusive(o.Observation, d.Lookup.Missing, expected, "",
			fmt.Sprintf("the DMARC lookup of %s failed (%s); not counted as a pass or a gap", name, d.Lookup.Missing.Error()), ev)
	}
	if len(d.Records) == 0 {
		if triOr(d.Lookup.Found) == posture.Unknown {
			return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonError, Detail: "DMARC lookup outcome not recorded"}, expected, "",
				fmt.Sprintf("could not tell whether %s publishes DMARC; not counted as a pass or a gap", o.Domain), ev)
		}
		observed := fmt.Sprintf("no v=DMARC1 record at %s (rcode %s)", name, rcode(d.Lookup))
		return contradicted(o.Observation, CodeDMARCMissing, expected, observed,
			fmt.Sprintf("%s publishes no DMARC record", o.Domain), ev)
	}
	where := d.Domain
	if where == "" {
		where = name
	}
	observed := fmt.Sprintf("%s: %s", where, quote(strings.Join(d.Records, " | ")))
	if len(d.Records) > 1 {
		return contradicted(o.Observation, CodeDMARCMultipleRecords, expected, observed,
			fmt.Sprintf("%s publishes %d DMARC records; receivers ignore them all (RFC 7489 §6.6.3)", where, len(d.Records)), ev)
	}
	policy := strings.ToLower(strings.TrimSpace(d.Policy))
	rank, known := dmarcPolicyRank[policy]
	if !d.Valid || !known {
		code := CodeDMARCInvalid
		if len(d.Issues) > 0 && d.Issues[0] != "" {
			code = d.Issues[0]
		}
		return contradicted(o.Observation, code, expected, observed,
			fmt.Sprintf("the DMARC record of %s is invalid (%s), so receivers ignore it", o.Domain, code), ev)
	}
	if rank < dmarcPolicyRank[minPolicy] {
		code := CodeDMARCPolicyWeak
		if policy == "none" {
			code = CodeDMARCPolicyNone
		}
		return contradicted(o.Observation, code, expected, observed,
			fmt.Sprintf("%s has p=%s, weaker than the declared p=%s", o.Domain, policy, minPolicy), ev)
	}
	if minPolicy != "none" {
		pct := d.Percent
		if pct == 0 && !hasTag(d.Records[0], "pct") {
			pct = 100 // the default when pct= is absent (RFC 7489 §6.3)
		}
		if pct < minPct {
			return contradicted(o.Observation, CodeDMARCPctPartial, expected, observed,
				fmt.Sprintf("%s applies p=%s to only %d%% of failing mail (declared at least %d%%)", o.Domain, policy, pct, minPct), ev)
		}
	}
	return verified(o.Observation, expected, observed, ev)
}

// hasTag reports whether a tag=value record (DMARC, DKIM) has tag.
func hasTag(record, tag string) bool {
	for _, part := range strings.Split(record, ";") {
		k, _, ok := strings.Cut(part, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), tag) {
			return true
		}
	}
	return false
}

func rcode(l posture.Lookup) string {
	if l.RCode == "" {
		return "not recorded"
	}
	return l.RCode
}
