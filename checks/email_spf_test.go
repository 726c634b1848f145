package checks

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

func spfObs(all string, records ...string) posture.DNSObservation {
	o := dnsObs()
	o.SPF = &posture.TXTPolicy{
		Lookup:  posture.Lookup{Name: "acme.example", Type: "TXT", RCode: "NOERROR", Found: posture.Yes, Values: records, Evidence: "spf-1"},
		Records: records,
		All:     all,
	}
	return o
}

// withTree adds an include tree to o's SPF.
func withTree(o posture.DNSObservation, tree posture.SPFTree) posture.DNSObservation {
	o.SPF.Tree = &tree
	return o
}

// root is a tree's first record, ending in the given all qualifier.
func root(all string, dnsTerms int) posture.SPFTreeRecord {
	r := posture.SPFTreeRecord{Domain: "acme.example", Parent: -1, Record: "v=spf1 include:a.example " + all + "all", DNSTerms: dnsTerms}
	r.Terms = []posture.SPFTreeTerm{{Qualifier: "+", Name: "include", Value: "a.example", DNS: true}}
	if all != "" {
		r.Terms = append(r.Terms, posture.SPFTreeTerm{Qualifier: all, Name: "all"})
	}
	return r
}

func TestSPF(t *testing.T) {
	soft := map[string]string{"all": "~"}
	tests := []struct {
		name   string
		params map[string]string
		o      posture.DNSObservation
		want   row
	}{
		{"-all", nil, spfObs("-", "v=spf1 mx -all"), row{posture.Verified, ""}},
		{"~all against -", nil, spfObs("~", "v=spf1 mx ~all"), row{posture.Contradicted, CodeSPFAllWeak}},
		{"~all against ~", soft, spfObs("~", "v=spf1 mx ~all"), row{posture.Verified, ""}},
		{"-all against ~", soft, spfObs("-", "v=spf1 mx -all"), row{posture.Verified, ""}},
		{"?all against ~", soft, spfObs("?", "v=spf1 mx ?all"), row{posture.Contradicted, CodeSPFAllWeak}},
		{"+all", soft, spfObs("+", "v=spf1 +all"), row{posture.Contradicted, CodeSPFAllWeak}},
		{"no all is neutral", nil, spfObs("", "v=spf1 mx"), row{posture.Contradicted, CodeSPFAllWeak}},
		{"redirect without recorded all", nil, spfObs("", "v=spf1 redirect=_spf.acme.example"), row{posture.Inconclusive, ""}},
		{"two records", nil, spfObs("-", "v=spf1 -all", "v=spf1 mx -all"), row{posture.Contradicted, CodeSPFMultipleRecords}},
		{"no record", nil, func() posture.DNSObservation {
			o := spfObs("")
			o.SPF.Lookup.Found = posture.No
			return o
		}(), row{posture.Contradicted, CodeSPFMissing}},
		{"TXT without spf", nil, func() posture.DNSObservation {
			o := spfObs("")
			o.SPF.Lookup.Values = []string{"google-site-verification=abc"}
			return o
		}(), row{posture.Contradicted, CodeSPFMissing}},
		{"lookup timed out", nil, func() posture.DNSObservation {
			o := spfObs("")
			o.SPF.Lookup.Found, o.SPF.Lookup.Missing = posture.Unknown, miss(posture.ReasonTimeout)
			return o
		}(), row{posture.Inconclusive, ""}},
		{"found unknown", nil, func() posture.DNSObservation {
			o := spfObs("")
			o.SPF.Lookup.Found = posture.Unknown
			return o
		}(), row{posture.Inconclusive, ""}},
		{"odd qualifier", nil, spfObs("!", "v=spf1 !all"), row{posture.Inconclusive, ""}},
		{"not looked up", nil, dnsObs(), row{posture.Inconclusive, ""}},
		{"tree within limits", nil, withTree(spfObs("-", "v=spf1 include:a.example -all"), posture.SPFTree{Records: []posture.SPFTreeRecord{root("-", 1)}, DNSTerms: 10, VoidLookups: 2}), row{posture.Verified, ""}},
		{"11 lookups", nil, withTree(spfObs("-", "v=spf1 include:a.example -all"), posture.SPFTree{Records: []posture.SPFTreeRecord{root("-", 1)}, DNSTerms: 11}), row{posture.Contradicted, CodeSPFTooManyLookups}},
		{"11 lookups, lower bound", nil, withTree(spfObs("-", "v=spf1 include:a.example -all"), posture.SPFTree{Records: []posture.SPFTreeRecord{root("-", 1)}, DNSTerms: 11, Missing: miss(posture.ReasonTimeout)}), row{posture.Contradicted, CodeSPFTooManyLookups}},
		{"3 void lookups", nil, withTree(spfObs("-", "v=spf1 include:a.example -all"), posture.SPFTree{Records: []posture.SPFTreeRecord{root("-", 1)}, DNSTerms: 3, VoidLookups: 3}), row{posture.Contradicted, CodeSPFVoidLookups}},
		{"syntax error in include", nil, withTree(spfObs("-", "v=spf1 include:a.example -all"), posture.SPFTree{Records: []posture.SPFTreeRecord{root("-", 1)}, DNSTerms: 1, SyntaxErrors: []string{"a.example: bad"}}), row{posture.Contradicted, CodeSPFSyntax}},
		{"include without record", nil, withTree(spfObs("-", "v=spf1 include:a.example -all"), posture.SPFTree{Records: []posture.SPFTreeRecord{root("-", 1)}, DNSTerms: 1, Errors: []string{"a.example: 0 SPF records"}}), row{posture.Contradicted, CodeSPFIncludeError}},
		{"include timed out", nil, withTree(spfObs("-", "v=spf1 include:a.example -all"), posture.SPFTree{Records: []posture.SPFTreeRecord{root("-", 1)}, DNSTerms: 1, Missing: miss(posture.ReasonTimeout)}), row{posture.Inconclusive, ""}},
		{"walk truncated", nil, withTree(spfObs("-", "v=spf1 include:a.example -all"), posture.SPFTree{Records: []posture.SPFTreeRecord{root("-", 1)}, DNSTerms: 10, Truncated: true}), row{posture.Inconclusive, ""}},
		{"weak all beats nothing", nil, withTree(spfObs("~", "v=spf1 include:a.example ~all"), posture.SPFTree{Records: []posture.SPFTreeRecord{root("~", 1)}, DNSTerms: 1}), row{posture.Contradicted, CodeSPFAllWeak}},
		{"redirect followed to -all", nil, withTree(spfObs("", "v=spf1 redirect=_spf.acme.example"), posture.SPFTree{Records: []posture.SPFTreeRecord{root("", 1), {Domain: "_spf.acme.example", Parent: 0, Via: "redirect", Terms: []posture.SPFTreeTerm{{Qualifier: "-", Name: "all"}}}}, DNSTerms: 1}), row{posture.Verified, ""}},
		{"redirect followed to ?all", nil, withTree(spfObs("", "v=spf1 redirect=_spf.acme.example"), posture.SPFTree{Records: []posture.SPFTreeRecord{root("", 1), {Domain: "_spf.acme.example", Parent: 0, Via: "redirect", Terms: []posture.SPFTreeTerm{{Qualifier: "?", Name: "all"}}}}, DNSTerms: 1}), row{posture.Contradicted, CodeSPFAllWeak}},
		{"resolver unreachable", nil, func() posture.DNSObservation {
			o := spfObs("-", "v=spf1 -all")
			o.Observation = failed(o.Observation, posture.ReasonServFail)
			return o
		}(), row{posture.Inconclusive, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := expectOne(t, runKind(t, "email.spf", tt.params, &posture.Snapshot{DNS: []posture.DNSObservation{tt.o}}), tt.want)
			if tt.o.SPF != nil && tt.o.Missing == nil && f.Evidence[0] != "spf-1" {
				t.Errorf("checks: evidence %v, want the SPF lookup", f.Evidence)
			}
		})
	}
}

// The codes of codes_email.go are sorted, unique, dotted, and apart from
// those of codes.go.
func TestCodesEmail(t *testing.T) {
	codes := CodesEmail()
	if !slices.IsSorted(codes) || len(slices.Compact(slices.Clone(codes))) != len(codes) {
		t.Errorf("checks: CodesEmail() not sorted or not unique: %v", codes)
	}
	re := regexp.MustCompile(`^(email\.(spf|mta_sts|tls_rpt|dmarc|dkim)|dns\.(caa|dnssec))\.[a-z0-9_]+$`)
	for _, c := range codes {
		if !re.MatchString(string(c)) || !slices.Contains(Codes(), c) {
			t.Errorf("checks: code %q is malformed or missing from Codes()", c)
		}
	}
}

// withChecks adds check_host results for declared senders, ip=result.
func withChecks(o posture.DNSObservation, results ...string) posture.DNSObservation {
	for i := 0; i+1 < len(results); i += 2 {
		o.SPF.Checks = append(o.SPF.Checks, posture.SPFCheck{IP: results[i], Sender: "postmaster@acme.example", Result: results[i+1], Reason: "test", Evidence: "spf-check"})
	}
	return o
}

func TestSPFSenders(t *testing.T) {
	rec := "v=spf1 ip4:192.0.2.0/24 -all"
	tests := []struct {
		name string
		o    posture.DNSObservation
		want row
	}{
		{"all pass", withChecks(spfObs("-", rec), "192.0.2.25", "pass", "192.0.2.26", "pass"), row{posture.Verified, ""}},
		{"one fails", withChecks(spfObs("-", rec), "192.0.2.25", "pass", "203.0.113.9", "fail"), row{posture.Contradicted, CodeSPFSenderNotPermitted}},
		{"softfail is not a pass", withChecks(spfObs("-", rec), "203.0.113.9", "softfail"), row{posture.Contradicted, CodeSPFSenderNotPermitted}},
		{"neutral is not a pass", withChecks(spfObs("-", rec), "203.0.113.9", "neutral"), row{posture.Contradicted, CodeSPFSenderNotPermitted}},
		{"temperror", withChecks(spfObs("-", rec), "192.0.2.25", "temperror"), row{posture.Inconclusive, ""}},
		{"fail beats temperror", withChecks(spfObs("-", rec), "192.0.2.25", "temperror", "203.0.113.9", "fail"), row{posture.Contradicted, CodeSPFSenderNotPermitted}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := expectOne(t, runKind(t, "email.spf", nil, &posture.Snapshot{DNS: []posture.DNSObservation{tt.o}}), tt.want)
			if tt.want.verdict != posture.Verified && !slices.Contains(f.Evidence, "spf-check") {
				t.Errorf("checks: evidence %v lacks the check_host evidence", f.Evidence)
			}
		})
	}
}

// ptr is noted in what was observed, not judged a gap.
func TestSPFNotesPTR(t *testing.T) {
	o := withTree(spfObs("-", "v=spf1 ptr -all"), posture.SPFTree{Records: []posture.SPFTreeRecord{root("-", 1)}, DNSTerms: 1, UsesPTR: true})
	f := expectOne(t, runKind(t, "email.spf", nil, &posture.Snapshot{DNS: []posture.DNSObservation{o}}), row{posture.Verified, ""})
	if !strings.Contains(f.Observed, "ptr mechanism") {
		t.Errorf("checks: observed %q does not note ptr", f.Observed)
	}
}
