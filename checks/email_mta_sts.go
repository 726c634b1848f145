package checks

import (
	"fmt"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// email.mta_sts: the mail domain announces an MTA-STS policy with one
// valid TXT record at _mta-sts.<domain> (RFC 8461 §3.1: "v=STSv1; id=..."),
// serves the policy at https://mta-sts.<domain>/.well-known/mta-sts.txt
// as text/plain with a certificate that validates (§3.2, §3.3), the
// policy parses, is in the declared mode (enforce by default), and its mx
// patterns cover every MX host (§4.1).

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "email.mta_sts",
			Title:       "Require TLS for inbound mail with MTA-STS in enforce mode",
			Description: "The mail domain publishes exactly one valid MTA-STS TXT record (v=STSv1 with an id) at _mta-sts.<domain> and serves a valid policy as text/plain at https://mta-sts.<domain>/.well-known/mta-sts.txt whose mode is at least the declared one and whose mx patterns match every MX host.",
			Citation:    "RFC 8461 §3.1 (TXT record), §3.2 (policy), §3.3 (HTTPS fetch), §4.1 (MX matching)",
			Severity:    posture.SeverityMedium,
			Remediation: "Publish one TXT record 'v=STSv1; id=<date or serial>' at _mta-sts.<domain>; serve 'version: STSv1', 'mode: enforce', one 'mx:' line per MX host (or *.<parent>) and 'max_age: 604800' or more as text/plain at https://mta-sts.<domain>/.well-known/mta-sts.txt with a publicly trusted certificate, without redirects; change the id whenever the policy changes.",
			Mappings:    []string{"SOC2:CC6.7", "ISO27001:A.8.24"},
			Params: []posture.Param{
				enumParam("mode", "enforce", []string{"enforce", "testing"}, "weakest acceptable policy mode (testing also accepts enforce)"),
			},
			Needs: needDNSMail,
			Claim: "inbound mail requires TLS (MTA-STS)",
		},
		Run: runMTASTS,
	})
}

var mtastsModeRank = map[string]int{"none": 0, "testing": 1, "enforce": 2}

func runMTASTS(in Input) []posture.Finding {
	mode := in.Args.String("mode")
	expected := "one valid v=STSv1 record at _mta-sts.<domain> and a valid policy in mode " + mode
	if mode == "testing" {
		expected += " or enforce"
	}
	var out []posture.Finding
	for _, o := range in.Snapshot.DNS {
		f := judgeTXTPolicy(o, "MTA-STS", "_mta-sts."+o.Domain, expected, mtastsView(o.MTASTS), CodeMTASTSMissing, CodeMTASTSInvalid)
		if f.Verdict == posture.Verified {
			f = judgeMTASTSPolicy(o, mode, expected, f)
		}
		out = append(out, f)
	}
	return out
}

// judgeMTASTSPolicy judges the policy file once the TXT record holds;
// txt is the verified finding of the record.
func judgeMTASTSPolicy(o posture.DNSObservation, mode, expected string, txt posture.Finding) posture.Finding {
	p := o.MTASTS.Policy
	ev := txt.Evidence
	if p == nil {
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonNotScanned, Detail: "the MTA-STS policy was not fetched"}, expected, txt.Observed,
			fmt.Sprintf("%s announces MTA-STS but the scan did not fetch its policy; not counted as a pass or a gap", o.Domain), ev)
	}
	ev = ids(ev, one(p.Evidence))
	observed := txt.Observed + "; " + p.URL
	if p.Status > 0 {
		observed += fmt.Sprintf(": HTTP %d", p.Status)
	}
	if p.Missing != nil {
		return inconclusive(o.Observation, p.Missing, expected, observed+": "+p.Missing.Error(),
			fmt.Sprintf("the MTA-STS policy of %s could not be fetched from %s (%s); not counted as a pass or a gap", o.Domain, p.URL, p.Missing.Error()), ev)
	}
	switch triOr(p.Found) {
	case posture.No:
		why := "it is not served"
		switch {
		case p.TLSError != "":
			why = "its certificate does not validate (" + p.TLSError + "), so senders must not use it"
		case p.Status >= 300 && p.Status < 400:
			why = fmt.Sprintf("the server answers HTTP %d (a redirect), which senders must not follow", p.Status)
		case p.Status != 0:
			why = fmt.Sprintf("the server answers HTTP %d", p.Status)
		case len(p.Addresses) == 0:
			why = "mta-sts." + o.Domain + " has no address"
		}
		return contradicted(o.Observation, CodeMTASTSPolicyMissing, expected, observed,
			fmt.Sprintf("%s announces MTA-STS but its policy at %s is missing: %s; senders fall back to opportunistic TLS", o.Domain, p.URL, why), ev)
	case posture.Unknown:
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonError, Detail: "MTA-STS policy fetch outcome not recorded"}, expected, observed,
			fmt.Sprintf("could not tell whether %s serves its MTA-STS policy; not counted as a pass or a gap", o.Domain), ev)
	}
	observed += fmt.Sprintf("; mode %s, max_age %d, mx %s", or1(p.Mode, "(none)"), p.MaxAge, or1(strings.Join(p.MX, " "), "(none)"))
	if !p.Valid {
		return contradicted(o.Observation, CodeMTASTSPolicyInvalid, expected, observed,
			fmt.Sprintf("the MTA-STS policy of %s is not valid (%s); senders ignore it", o.Domain, posture.JoinCodes(p.Issues, ", ")), ev)
	}
	if mtastsModeRank[p.Mode] < mtastsModeRank[mode] {
		code := CodeMTASTSModeTesting
		if p.Mode == "none" {
			code = CodeMTASTSModeNone
		}
		return contradicted(o.Observation, code, expected, observed,
			fmt.Sprintf("the MTA-STS policy of %s is in mode %s: senders do not require TLS (declared: %s)", o.Domain, p.Mode, mode), ev)
	}
	if len(p.UnmatchedMX) > 0 {
		return contradicted(o.Observation, CodeMTASTSMXUnmatched, expected, observed+"; unmatched MX "+strings.Join(p.UnmatchedMX, " "),
			fmt.Sprintf("the MTA-STS policy of %s matches no mx pattern for MX host(s) %s: senders enforcing it will not deliver there", o.Domain, strings.Join(p.UnmatchedMX, ", ")), ev)
	}
	for _, i := range p.Issues {
		if i == posture.CodeMTASTSPolicyContentType {
			// §3.2: the media type MUST be text/plain, and senders
			// SHOULD check it (against user-hosted content): those
			// that do ignore this policy.
			return contradicted(o.Observation, CodeMTASTSPolicyInvalid, expected, observed+"; served as "+quote(or1(p.ContentType, "no content type"))+", not text/plain",
				fmt.Sprintf("the MTA-STS policy of %s is served as %s, not text/plain (RFC 8461 §3.2); senders that check the media type ignore it", o.Domain, quote(or1(p.ContentType, "no content type"))), ev)
		}
	}
	if p.Mode != "none" && (o.MX == nil || o.MX.Missing != nil || triOr(o.MX.Found) == posture.Unknown) {
		// The mx patterns were compared with no MX host: whether they
		// cover every one is not known.
		m := &posture.Missing{Reason: posture.ReasonNotScanned, Detail: "the MX lookup of " + o.Domain + " was not recorded"}
		if o.MX != nil {
			ev = ids(ev, one(o.MX.Evidence))
			if o.MX.Missing != nil {
				m = o.MX.Missing
			} else {
				m = &posture.Missing{Reason: posture.ReasonError, Detail: "MX lookup outcome not recorded"}
			}
		}
		return inconclusive(o.Observation, m, expected, observed,
			fmt.Sprintf("the MTA-STS policy of %s is valid, but its MX hosts are unknown (%s), so whether its mx patterns cover them is not known; not counted as a pass or a gap", o.Domain, m.Error()), ev)
	}
	return verified(o.Observation, expected, observed, ev)
}

func or1(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// txtPolicyView is what judgeTXTPolicy needs of a TXT-published policy.
type txtPolicyView struct {
	present bool
	lookup  posture.Lookup
	records []string
	valid   bool
	issues  []posture.Code
}

func mtastsView(m *posture.MTASTS) txtPolicyView {
	if m == nil {
		return txtPolicyView{}
	}
	return txtPolicyView{true, m.Lookup, m.Records, m.Valid, m.Issues}
}

// judgeTXTPolicy judges a policy published as one TXT record at name.
func judgeTXTPolicy(o posture.DNSObservation, what, name, expected string, v txtPolicyView, missingCode, invalidCode posture.Code) posture.Finding {
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
			fmt.Sprintf("the %s record of %s is not usable (%s); senders ignore it", what, o.Domain, posture.JoinCodes(v.issues, ", ")), ev)
	}
	return verified(o.Observation, expected, observed, ev)
}
