package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// dns.dnssec: the zone that holds the domain is DNSSEC-signed (RFC 4033
// §3, RFC 4035 §2): its apex publishes DNSKEY records and an RRSIG over
// them that verifies with one of them and is within its validity period,
// and its parent publishes a DS record that matches one of those keys
// (RFC 4035 §5.2): without a DS the zone is insecure, validators treat it
// as unsigned; with DS records that match no signing key it is bogus.
// Whether the chain of trust from the root reaches the zone can only be
// seen through a validating resolver, which sets AD on its answers (RFC
// 4035 §3.2.3, RFC 6840 §5.7); without AD that part is not known, and the
// finding says so rather than failing. With require_validated, a missing
// AD makes the finding inconclusive.

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "dns.dnssec",
			Title:       "Sign the DNS zone with DNSSEC",
			Description: "The zone holding the domain publishes DNSKEY records with a valid RRSIG over them, and its parent publishes a DS record that matches one of the keys signing them (without it, validating resolvers treat the zone as unsigned). The resolver's AD bit says whether the chain of trust from the root was validated; with require_validated, an answer without AD is inconclusive rather than verified.",
			Citation:    "RFC 4033 §3 (DNSSEC); RFC 4035 §2.2, §5.3 (signatures), §5.2 (DS), §3.2.3 (AD); RFC 6840 §5.7",
			Severity:    posture.SeverityLow,
			Remediation: "Turn on DNSSEC signing at your DNS provider (or in your authoritative server, e.g. knot's 'dnssec-signing: on'), publish the DS record at your registrar, and check the chain with a validating resolver (delv, or dig +dnssec through one that sets AD).",
			Mappings:    []string{"SOC2:CC6.6", "ISO27001:A.8.20"},
			Params: []posture.Param{
				boolParam("require_validated", false, "when true, an answer without the resolver's AD bit is inconclusive"),
			},
			Needs: needDNSMail,
			Claim: "our DNS is signed with DNSSEC",
		},
		Run: runDNSSEC,
	})
}

func runDNSSEC(in Input) []posture.Finding {
	validated := in.Args.Bool("require_validated")
	expected := "a DNSSEC-signed zone (DNSKEY with a valid RRSIG, and a DS at the parent that matches a signing key)"
	if validated {
		expected += ", validated by the resolver (AD)"
	}
	var out []posture.Finding
	for _, o := range in.Snapshot.DNS {
		out = append(out, judgeDNSSEC(o, validated, expected))
	}
	return out
}

func judgeDNSSEC(o posture.DNSObservation, requireValidated bool, expected string) posture.Finding {
	if !o.Observed() {
		return unobserved(o.Observation, expected)
	}
	d := o.DNSSEC
	if d == nil {
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonNotScanned, Detail: "DNSSEC was not looked at"}, expected, "",
			fmt.Sprintf("the scan recorded no DNSSEC lookup for %s; not counted as a pass or a gap", o.Domain), o.EvidenceIDs())
	}
	ev := or(one(d.DNSKEY.Evidence), o.EvidenceIDs())
	zone := or1(d.Zone, or1(d.DNSKEY.Name, o.Domain))
	resolver := or1(d.Resolver, o.Resolver)
	if d.Missing != nil {
		return inconclusive(o.Observation, d.Missing, expected, "",
			fmt.Sprintf("could not tell whether %s is signed (%s, via %s); not counted as a pass or a gap", zone, d.Missing.Error(), resolver), ev)
	}
	switch triOr(d.Signed) {
	case posture.No:
		return contradicted(o.Observation, CodeDNSSECUnsigned, expected, fmt.Sprintf("no DNSKEY at %s (rcode %s, via %s)", zone, rcode(d.DNSKEY), resolver),
			fmt.Sprintf("the zone %s is not signed with DNSSEC: its answers can be forged on the path", zone), ev)
	case posture.Unknown:
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonError, Detail: "DNSSEC state not recorded"}, expected, "",
			fmt.Sprintf("could not tell whether %s is signed; not counted as a pass or a gap", zone), ev)
	}
	observed := fmt.Sprintf("%s: %d DNSKEY (%d KSK; %s)", zone, d.Keys, d.KSKs, or1(strings.Join(d.Algorithms, ", "), "algorithm unknown"))
	switch triOr(d.SignaturesValid) {
	case posture.No:
		return contradicted(o.Observation, CodeDNSSECBadSignature, expected, observed+"; no RRSIG over the DNSKEY set verifies now",
			fmt.Sprintf("the zone %s is signed but no signature over its DNSKEY set verifies with its keys within its validity period: validating resolvers answer SERVFAIL for it", zone), ev)
	case posture.Yes:
		observed += "; RRSIG over DNSKEY verifies"
	default:
		observed += "; RRSIG not checked"
	}
	// The DS at the parent: without one the zone is insecure, with none
	// that matches it is bogus.
	if d.DS == nil {
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonNotScanned, Detail: "the DS record at the parent of " + zone + " was not looked up"}, expected, observed,
			fmt.Sprintf("%s is signed, but whether its parent publishes a DS record for it was not observed; not counted as a pass or a gap", zone), ev)
	}
	if d.DS.Evidence != "" {
		ev = append(slices.Clip(ev), d.DS.Evidence)
	}
	switch {
	case d.DS.Missing != nil:
		return inconclusive(o.Observation, d.DS.Missing, expected, observed+"; DS at the parent: not observed",
			fmt.Sprintf("%s is signed, but the DS lookup at its parent failed (%s, via %s), so whether validators can reach it is not known; not counted as a pass or a gap", zone, d.DS.Missing.Error(), resolver), ev)
	case d.HasDS == posture.No:
		return contradicted(o.Observation, CodeDNSSECNoDS, expected, fmt.Sprintf("%s; no DS at the parent (rcode %s, via %s)", observed, rcode(*d.DS), resolver),
			fmt.Sprintf("the zone %s is signed, but its parent publishes no DS record for it: validating resolvers treat it as unsigned, so its answers can still be forged on the path", zone), ev)
	case d.HasDS == posture.Yes && d.DSMatches == posture.No:
		return contradicted(o.Observation, CodeDNSSECDSMismatch, expected, observed+"; DS at the parent matches no signing DNSKEY ("+d.DSDetail+")",
			fmt.Sprintf("the DS records the parent of %s publishes match no key that signs its DNSKEY set: the chain of trust is broken and validating resolvers answer SERVFAIL for the zone", zone), ev)
	case d.HasDS != posture.Yes || d.DSMatches != posture.Yes:
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonError, Detail: or1(d.DSDetail, "whether a DS matches a DNSKEY was not recorded")}, expected, observed,
			fmt.Sprintf("%s is signed, but whether a DS at its parent matches one of its keys could not be told (%s); not counted as a pass or a gap", zone, or1(d.DSDetail, "not recorded")), ev)
	}
	observed += "; DS at the parent matches (" + d.DSDetail + ")"
	observed += "; AD: " + string(triOr(d.Authenticated))
	if d.AuthenticatedDetail != "" {
		observed += " (" + d.AuthenticatedDetail + ")"
	}
	if requireValidated && d.Authenticated != posture.Yes {
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonNotScanned, Detail: "the resolver " + resolver + " did not validate (no AD)"}, expected, observed,
			fmt.Sprintf("%s is signed, but the resolver %s did not set AD, so the chain of trust from the root was not validated; not counted as a pass or a gap", zone, resolver), ev)
	}
	return verified(o.Observation, expected, observed, ev)
}
