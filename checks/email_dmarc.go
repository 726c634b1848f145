package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// email.dmarc: the mail domain publishes one valid DMARC record
// (_dmarc.<domain> TXT, RFC 7489 §6.1) whose policy p= (§6.3) is at least
// the declared one and applies to at least pct percent of failing mail;
// sp= and np= (RFC 9091), where given, are no weaker; and aggregate
// reports go somewhere: a rua= destination inside the organisational
// domain, or outside it with the destination's consent (§7.1).

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "email.dmarc",
			Title:       "Publish a DMARC policy that quarantines or rejects failing mail",
			Description: "The mail domain publishes exactly one valid DMARC record whose p= (and sp=, np= where given) is at least min_policy, whose pct= is at least pct, and, unless require_rua is false, whose rua= names a destination that accepts the reports.",
			Citation:    "RFC 7489 §6.3 (p=, sp=, pct=, rua=), §6.6.3 (record discovery), §7.1 (external destinations); RFC 9091 §4.1 (np=)",
			Severity:    posture.SeverityHigh,
			Remediation: "Publish one TXT record at _dmarc.<domain> such as 'v=DMARC1; p=reject; rua=mailto:dmarc@<domain>'; move from p=none to quarantine and reject once the aggregate reports show every legitimate sender passes SPF or DKIM. Drop sp=none and np=none. When reports go to another domain, that domain must publish 'v=DMARC1' at <domain>._report._dmarc.<its domain>.",
			Mappings:    []string{"SOC2:CC6.6", "ISO27001:A.5.14", "CIS:9.5"},
			Params: []posture.Param{
				enumParam("min_policy", "quarantine", []string{"none", "quarantine", "reject"}, "weakest acceptable p= (and sp=, np= where given)"),
				intParam("pct", 100, 0, 100, "lowest acceptable pct=: the share of failing mail the policy applies to"),
				boolParam("require_rua", true, "require a rua= destination that accepts aggregate reports"),
			},
			Needs: needDNSMail,
			Claim: "DMARC is enforced on our mail domain",
		},
		Run: runDMARC,
	})
}

var dmarcPolicyRank = map[string]int{"none": 0, "quarantine": 1, "reject": 2}

func runDMARC(in Input) []posture.Finding {
	minPolicy := in.Args.String("min_policy")
	pct := in.Args.Int("pct")
	rua := in.Args.Bool("require_rua")
	expected := "DMARC p=" + minPolicy + " or stricter"
	if minPolicy != "none" {
		expected += fmt.Sprintf(", pct >= %d", pct)
	}
	if rua {
		expected += ", aggregate reports (rua) to a destination that accepts them"
	}
	var out []posture.Finding
	for _, o := range in.Snapshot.DNS {
		out = append(out, judgeDMARC(o, minPolicy, pct, rua, expected))
	}
	return out
}

func judgeDMARC(o posture.DNSObservation, minPolicy string, minPct int, requireRUA bool, expected string) posture.Finding {
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
		return contradicted(o.Observation, posture.CodeDMARCMultipleRecords, expected, observed,
			fmt.Sprintf("%s publishes %d DMARC records; receivers ignore them all (RFC 7489 §6.6.3)", where, len(d.Records)), ev)
	}
	policy := strings.ToLower(strings.TrimSpace(d.Policy))
	rank, known := dmarcPolicyRank[policy]
	var fatal posture.Code
	for _, i := range d.Issues {
		if i != "" && !slices.Contains(dmarcIgnoredIssues, i) {
			fatal = i
			break
		}
	}
	if (!d.Valid && (fatal != "" || len(d.Issues) == 0)) || !known {
		code := CodeDMARCInvalid
		if fatal != "" {
			code = fatal
		}
		return contradicted(o.Observation, code, expected, observed,
			fmt.Sprintf("the DMARC record of %s is invalid (%s), so receivers ignore it", o.Domain, code), ev)
	}
	if len(d.Issues) > 0 && fatal == "" {
		observed += "; tags receivers ignore: " + posture.JoinCodes(d.Issues, ", ")
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
	for _, sub := range []struct {
		tag, policy string
		code        posture.Code
		what        string
	}{
		{"sp", d.SubdomainPolicy, CodeDMARCSubdomainPolicyWeak, "its subdomains"},
		{"np", d.NonExistentPolicy, CodeDMARCNPWeak, "its non-existent subdomains (RFC 9091)"},
	} {
		p := strings.ToLower(sub.policy)
		if r, ok := dmarcPolicyRank[p]; ok && r < dmarcPolicyRank[minPolicy] {
			return contradicted(o.Observation, sub.code, expected, observed,
				fmt.Sprintf("%s has %s=%s: mail from %s that fails DMARC is treated more leniently than the declared p=%s", o.Domain, sub.tag, p, sub.what, minPolicy), ev)
		}
	}
	if requireRUA {
		if f, done := judgeDMARCReports(o, d, expected, observed, ev); done {
			return f
		}
	}
	return verified(o.Observation, expected, observed, ev)
}

// judgeDMARCReports requires a rua= destination that takes the reports:
// one inside the organisational domain, an external one that consented
// (RFC 7489 §7.1), or one of another scheme (not checked). done is false
// when reporting holds.
func judgeDMARCReports(o posture.DNSObservation, d *posture.DMARC, expected, observed string, ev []string) (posture.Finding, bool) {
	if len(d.RUA) == 0 {
		return contradicted(o.Observation, CodeDMARCNoRUA, expected, observed,
			fmt.Sprintf("the DMARC record of %s has no rua= tag: nobody receives aggregate reports, so failures go unseen", o.Domain), ev), true
	}
	if len(d.ReportDestinations) == 0 {
		return posture.Finding{}, false // an older snapshot: destinations not resolved
	}
	mailto := map[string]bool{}
	var refused, unknown []string
	usable := false
	var authEv []string
	for _, r := range d.ReportDestinations {
		if r.Tag != "rua" {
			continue
		}
		mailto[r.URI] = true
		authEv = append(authEv, r.Lookup)
		switch {
		case !r.External || r.Authorized == posture.Yes:
			usable = true
		case r.Authorized == posture.No:
			refused = append(refused, r.Domain)
		default:
			unknown = append(unknown, r.Domain)
		}
	}
	for _, u := range d.RUA {
		if !mailto[u] {
			usable = true // not a mailto: destination vouch can check
		}
	}
	ev = ids(ev, authEv)
	switch {
	case usable:
		return posture.Finding{}, false
	case len(unknown) > 0:
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonError, Detail: "report authorisation lookup failed for " + strings.Join(unknown, ", ")}, expected, observed,
			fmt.Sprintf("could not tell whether %s accept DMARC reports for %s; not counted as a pass or a gap", strings.Join(unknown, ", "), o.Domain), ev), true
	}
	where := strings.TrimPrefix(or1(d.Domain, o.Domain), "_dmarc.")
	return contradicted(o.Observation, CodeDMARCRUAUnauthorized, expected, observed+"; external rua not authorised: "+strings.Join(refused, ", "),
		fmt.Sprintf("every rua= destination of %s is in another domain (%s) that does not publish v=DMARC1 at %s._report._dmarc.<destination>: receivers send it no reports (RFC 7489 §7.1)", o.Domain, strings.Join(refused, ", "), where), ev), true
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
