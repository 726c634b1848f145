package checks

import (
	"fmt"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// email.spf: the mail domain publishes exactly one SPF record (RFC 7208
// §4.5: more than one is a permerror) whose final "all" term (§5.1) fails
// or soft-fails everything not listed. With no "all" and no redirect= the
// result defaults to neutral (§4.7). The record and everything it includes
// must also evaluate: it parses, and stays within 10 DNS-querying terms
// and 2 void lookups (§4.6.4); past them receivers return permerror and
// the domain's SPF protects nothing.

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "email.spf",
			Title:       "Publish one SPF record that ends in -all",
			Description: "The mail domain publishes exactly one v=spf1 record whose final all term is at least as strict as the declared qualifier, and which evaluates: it parses, and with its includes stays within 10 DNS-querying terms and 2 void lookups. Every address in scope.mail_senders gets pass from check_host.",
			Citation:    "RFC 7208 §4.5 (one record), §5.1 (all), §4.7 (default result), §4.6.4 (lookup limits), §4 (check_host)",
			Severity:    posture.SeverityMedium,
			Remediation: "Publish one TXT record 'v=spf1 <your senders> -all' at the domain; merge any second v=spf1 record into it. Keep include/a/mx/ptr/exists/redirect at 10 or fewer across all includes (replace includes by ip4:/ip6: ranges, drop unused senders) and remove terms whose names do not exist.",
			Mappings:    []string{"SOC2:CC6.6", "ISO27001:A.5.14", "CIS:9.5"},
			Params: []posture.Param{
				{Name: "all", Type: posture.ParamEnum, Default: "-", Enum: []string{"-", "~", "?"},
					Aliases: map[string]string{"-all": "-", "fail": "-", "~all": "~", "softfail": "~", "?all": "?", "neutral": "?"},
					Doc:     "weakest acceptable all qualifier: - (fail), ~ (softfail: accepts - or ~), ? (neutral)"},
			},
			Needs: needDNSMail,
			Claim: "SPF prevents others from sending mail as our domain",
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
	want, wantRank, _ := spfQualifier(in.Args.String("all"))
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
	if s.Tree != nil && s.Tree.UsesPTR {
		observed += "; uses the ptr mechanism (SHOULD NOT be used, RFC 7208 §5.5)"
	}
	if f, done := judgeSPFTree(o, s.Tree, expected, observed, ev); done {
		return f
	}
	all := s.All
	if all == "" && s.Tree != nil {
		all = redirectedAll(s.Tree)
	}
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
	if f, done := judgeSPFSenders(o, s.Checks, expected, observed, ev); done {
		return f
	}
	if t := s.Tree; t != nil && (t.Missing != nil || t.Truncated) {
		m := t.Missing
		if m == nil {
			m = &posture.Missing{Reason: posture.ReasonTooLarge, Detail: "the include tree was not walked to its end"}
		}
		return inconclusive(o.Observation, m, expected, observed,
			fmt.Sprintf("the SPF record of %s ends in %sall, but its include tree could not be walked whole (%s), so its lookup count (at least %d) is not known; not counted as a pass or a gap", o.Domain, q, m.Error(), t.DNSTerms), ev)
	}
	return verified(o.Observation, expected, observed, ev)
}

// judgeSPFSenders requires check_host to pass every sender the scope
// declares (scope.mail_senders): mail from a sender that does not pass
// fails SPF at receivers. A temperror is not an observation of the
// record: inconclusive. done is false when every sender passes (or none
// is declared).
func judgeSPFSenders(o posture.DNSObservation, checks []posture.SPFCheck, expected, observed string, ev []string) (posture.Finding, bool) {
	var bad, temp []string
	var evs []string
	for _, c := range checks {
		evs = append(evs, c.Evidence)
		switch c.Result {
		case "pass":
		case "temperror", "":
			temp = append(temp, c.IP)
		default:
			bad = append(bad, fmt.Sprintf("%s: %s (%s)", c.IP, c.Result, c.Reason))
		}
	}
	ev = ids(ev, evs)
	switch {
	case len(bad) > 0:
		return contradicted(o.Observation, CodeSPFSenderNotPermitted, expected, observed+"; check_host "+strings.Join(bad, "; "),
			fmt.Sprintf("SPF of %s does not pass declared mail sender(s) %s: their mail fails SPF at receivers", o.Domain, strings.Join(bad, "; ")), ev), true
	case len(temp) > 0:
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonDNSError, Detail: "check_host temperror for " + strings.Join(temp, ", ")}, expected, observed,
			fmt.Sprintf("SPF evaluation of %s for sender(s) %s ended in a temporary error; not counted as a pass or a gap", o.Domain, strings.Join(temp, ", ")), ev), true
	}
	return posture.Finding{}, false
}

// spfMaxDNSTerms and spfMaxVoid are the processing limits of RFC 7208
// §4.6.4: past them receivers return permerror and SPF fails open.
const (
	spfMaxDNSTerms = 10
	spfMaxVoid     = 2
)

// judgeSPFTree turns what the include tree shows into a gap when the
// record cannot evaluate: syntax errors, broken includes, or limits
// exceeded. Counts that are lower bounds (a lookup failed) still prove a
// limit exceeded. done is false when the tree shows no gap.
func judgeSPFTree(o posture.DNSObservation, t *posture.SPFTree, expected, observed string, ev []string) (posture.Finding, bool) {
	if t == nil {
		return posture.Finding{}, false
	}
	switch {
	case len(t.SyntaxErrors) > 0:
		return contradicted(o.Observation, CodeSPFSyntax, expected, observed,
			fmt.Sprintf("the SPF record of %s does not parse (%s); receivers return permerror (RFC 7208 §4.6)", o.Domain, strings.Join(t.SyntaxErrors, "; ")), ev), true
	case t.DNSTerms > spfMaxDNSTerms:
		return contradicted(o.Observation, CodeSPFTooManyLookups, expected, fmt.Sprintf("%s; %d DNS-querying terms", observed, t.DNSTerms),
			fmt.Sprintf("evaluating the SPF record of %s takes %d DNS-querying terms (include, a, mx, ptr, exists, redirect, includes counted), more than %d; receivers return permerror (RFC 7208 §4.6.4)", o.Domain, t.DNSTerms, spfMaxDNSTerms), ev), true
	case t.VoidLookups > spfMaxVoid:
		return contradicted(o.Observation, CodeSPFVoidLookups, expected, fmt.Sprintf("%s; %d void lookups", observed, t.VoidLookups),
			fmt.Sprintf("%d lookups of the SPF record of %s answer NXDOMAIN or no data, more than %d; receivers return permerror (RFC 7208 §4.6.4)", t.VoidLookups, o.Domain, spfMaxVoid), ev), true
	case len(t.Errors) > 0:
		return contradicted(o.Observation, CodeSPFIncludeError, expected, observed,
			fmt.Sprintf("the SPF record of %s cannot be evaluated: %s; receivers return permerror (RFC 7208 §5.2, §6.1)", o.Domain, strings.Join(t.Errors, "; ")), ev), true
	}
	return posture.Finding{}, false
}

// redirectedAll follows the root's redirect= through the tree and returns
// the qualifier of the all term in force there, or "".
func redirectedAll(t *posture.SPFTree) string {
	cur := 0
	for range len(t.Records) {
		if cur >= len(t.Records) {
			return ""
		}
		for _, term := range t.Records[cur].Terms {
			if term.Name == "all" && !term.Modifier && !term.Ignored {
				return term.Qualifier
			}
		}
		next := -1
		for i, r := range t.Records {
			if r.Parent == cur && r.Via == "redirect" {
				next = i
				break
			}
		}
		if next < 0 {
			return ""
		}
		cur = next
	}
	return ""
}

func hasSPFRedirect(record string) bool {
	for _, term := range strings.Fields(strings.ToLower(record)) {
		if strings.HasPrefix(term, "redirect=") {
			return true
		}
	}
	return false
}
