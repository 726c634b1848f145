package checks

import (
	"fmt"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// email.spf: the mail domain publishes exactly one SPF record (RFC 7208
// §4.5: more than one is a permerror) whose final "all" term (§5.1) fails
// or soft-fails everything not listed. With no "all" and no redirect= the
// result defaults to neutral (§4.7).

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "email.spf",
			Title:       "Publish one SPF record that ends in -all",
			Description: "The mail domain publishes exactly one v=spf1 record whose final all term is at least as strict as the declared qualifier.",
			Citation:    "RFC 7208 §4.5 (one record), §5.1 (all), §4.7 (default result)",
			Severity:    posture.SeverityMedium,
			Remediation: "Publish one TXT record 'v=spf1 <your senders> -all' at the domain; merge any second v=spf1 record into it.",
			Mappings:    []string{"SOC2:CC6.6", "ISO27001:A.5.14", "CIS:9.5"},
			Params: map[string]string{
				"all": `weakest acceptable all qualifier: "-" (fail, default), "~" (softfail: accepts - or ~), "?" (neutral)`,
			},
		},
		Run: runSPF,
	})
}

// spfQualifier normalises a qualifier or its result name; the rank says
// how strict it is.
func spfQualifier(s string) (string, int, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "-", "-all", "fail":
		return "-", 3, true
	case "~", "~all", "softfail":
		return "~", 2, true
	case "?", "?all", "neutral":
		return "?", 1, true
	case "+", "+all", "pass":
		return "+", 0, true
	}
	return "", -1, false
}

func runSPF(in Input) []posture.Finding {
	want, wantRank, ok := spfQualifier(in.Params.String("all", "-"))
	if !ok {
		return paramFailure(fmt.Errorf("checks: parameter all: %q is not an SPF qualifier (want -, ~ or ?)", in.Params.String("all", "-")))
	}
	expected := "one SPF record ending in " + want + "all"
	if want == "~" {
		expected = "one SPF record ending in -all or ~all"
	}
	var out []posture.Finding
	for _, o := range in.Snapshot.DNS {
		out = append(out, judgeSPF(o, wantRank, expected))
	}
	return out
}

func judgeSPF(o posture.DNSObservation, wantRank int, expected string) posture.Finding {
	if !o.Observed() {
		return unobserved(o.Observation, expected)
	}
	s := o.SPF
	if s == nil {
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonNotScanned, Detail: "SPF was not looked up"}, expected, "",
			fmt.Sprintf("the scan recorded no SPF lookup for %s; not counted as a pass or a gap", o.Domain), o.EvidenceIDs())
	}
	ev := or(one(s.Lookup.Evidence), o.EvidenceIDs())
	if s.Lookup.Missing != nil {
		return inconclusive(o.Observation, s.Lookup.Missing, expected, "",
			fmt.Sprintf("the SPF lookup of %s failed (%s); not counted as a pass or a gap", o.Domain, s.Lookup.Missing.Error()), ev)
	}
	if len(s.Records) == 0 {
		if triOr(s.Lookup.Found) == posture.Unknown {
			return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonError, Detail: "SPF lookup outcome not recorded"}, expected, "",
				fmt.Sprintf("could not tell whether %s publishes SPF; not counted as a pass or a gap", o.Domain), ev)
		}
		return contradicted(o.Observation, CodeSPFMissing, expected, fmt.Sprintf("no v=spf1 record at %s (rcode %s)", o.Domain, rcode(s.Lookup)),
			fmt.Sprintf("%s publishes no SPF record", o.Domain), ev)
	}
	observed := quote(strings.Join(s.Records, " | "))
	if len(s.Records) > 1 {
		return contradicted(o.Observation, CodeSPFMultipleRecords, expected, observed,
			fmt.Sprintf("%s publishes %d SPF records; receivers treat that as a permanent error (RFC 7208 §4.5)", o.Domain, len(s.Records)), ev)
	}
	all := s.All
	if all == "" {
		if hasSPFRedirect(s.Records[0]) {
			return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonNotScanned, Detail: "the all qualifier comes from a redirect= target that was not recorded"}, expected, observed,
				fmt.Sprintf("the SPF record of %s delegates with redirect= and the scan did not record the target's all term; not counted as a pass or a gap", o.Domain), ev)
		}
		all = "?" // no all and no redirect: neutral (RFC 7208 §4.7)
	}
	q, rank, ok := spfQualifier(all)
	if !ok {
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonProtocolError, Detail: fmt.Sprintf("unrecognised all qualifier %q", all)}, expected, observed,
			fmt.Sprintf("could not read the all qualifier of %s; not counted as a pass or a gap", o.Domain), ev)
	}
	if rank < wantRank {
		what := q + "all"
		if s.All == "" {
			what = "no all term (neutral by default)"
		}
		return contradicted(o.Observation, CodeSPFAllWeak, expected, observed,
			fmt.Sprintf("the SPF record of %s ends in %s, weaker than declared", o.Domain, what), ev)
	}
	return verified(o.Observation, expected, observed, ev)
}

func hasSPFRedirect(record string) bool {
	for _, term := range strings.Fields(strings.ToLower(record)) {
		if strings.HasPrefix(term, "redirect=") {
			return true
		}
	}
	return false
}
