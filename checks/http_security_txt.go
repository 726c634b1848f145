package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// http.security_txt: the origin publishes /.well-known/security.txt
// (RFC 9116 §3) as text/plain, with at least one Contact (§2.5.3) and
// exactly one Expires (§2.5.5) that has not passed at the time of the
// verdict; optionally OpenPGP-signed (§2.3). An Expires more than a year
// ahead, or a repeated Preferred-Languages, breaks only a SHOULD: it is
// said in the finding but is not a gap.

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "http.security_txt",
			Title:       "Publish a valid, current security.txt",
			Description: "https://host/.well-known/security.txt is served as text/plain, parses under RFC 9116 with at least one Contact and one Expires, and has not expired; when require_signed is set, it is OpenPGP cleartext-signed.",
			Citation:    "RFC 9116 §2.3, §2.5.3, §2.5.5, §3",
			Severity:    posture.SeverityLow,
			Remediation: "Serve /.well-known/security.txt as 'text/plain; charset=utf-8' with 'Contact: mailto:security@…' and 'Expires: <RFC 3339 date less than a year ahead>', and renew it before it expires.",
			Mappings:    []string{"ISO27001:A.8.8", "SOC2:CC2.3"},
			Params: []posture.Param{
				boolParam("require_signed", false, "require an OpenPGP-signed security.txt"),
			},
			Needs: needHTTPWeb,
			Claim: "report vulnerabilities to our security contact (security.txt)",
		},
		Run: runSecurityTxt,
	})
}

// secTxtAdvisory are scanner issues that break only a SHOULD.
var secTxtAdvisory = []posture.Code{posture.CodeSecTxtExpiresTooFar, posture.CodeSecTxtDuplicateField}

func runSecurityTxt(in Input) []posture.Finding {
	signed := in.Args.Bool("require_signed")
	expected := "a security.txt with Contact and a current Expires (RFC 9116)"
	if signed {
		expected += ", OpenPGP-signed"
	}
	var out []posture.Finding
	for _, o := range in.Snapshot.HTTP {
		out = append(out, judgeSecurityTxt(o, in, signed, expected))
	}
	return out
}

func judgeSecurityTxt(o posture.HTTPObservation, in Input, requireSigned bool, expected string) posture.Finding {
	if !o.Observed() {
		return unobserved(o.Observation, expected)
	}
	st := o.SecurityTxt
	if st == nil {
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonNotScanned, Detail: "no security.txt fetch recorded"}, expected, "",
			fmt.Sprintf("the scan recorded no security.txt for %s; not counted as a pass or a gap", o.Target.Address), o.EvidenceIDs())
	}
	if st.Missing != nil {
		return inconclusive(o.Observation, st.Missing, expected, "",
			fmt.Sprintf("could not fetch %s (%s); not counted as a pass or a gap", st.URL, st.Missing.Error()), o.EvidenceIDs())
	}
	ev := or(one(st.Evidence), o.EvidenceIDs())
	if !st.Found {
		return contradicted(o.Observation, posture.CodeSecTxtMissing, expected, fmt.Sprintf("%s answered status %d", st.URL, st.Status),
			fmt.Sprintf("%s publishes no security.txt", o.Target.Address), ev)
	}
	var ps []problem
	for _, code := range st.Issues {
		if code == "" || code == posture.CodeSecTxtExpired || slices.Contains(secTxtAdvisory, code) {
			continue // expiry is judged below at the verdict's time
		}
		text := string(code)
		for _, d := range st.IssueDetails {
			if strings.HasPrefix(d, string(code)+": ") {
				text = d
				break
			}
		}
		ps = append(ps, problem{code, text})
	}
	if !st.Expires.IsZero() && !st.Expires.After(in.Now) {
		ps = append(ps, problem{posture.CodeSecTxtExpired, fmt.Sprintf("it expired on %s", st.Expires.UTC().Format("2006-01-02 15:04 MST"))})
	}
	if requireSigned && !st.Signed {
		ps = append(ps, problem{CodeSecTxtUnsigned, "it is not OpenPGP-signed"})
	}
	observed := fmt.Sprintf("%s (%s): %d Contact, Expires %s", st.URL, quote(st.ContentType), len(st.Contact), quote(st.ExpiresRaw))
	if st.Signed {
		observed += ", signed"
	}
	var advisories []posture.Code
	for _, code := range st.Issues {
		if slices.Contains(secTxtAdvisory, code) {
			advisories = append(advisories, code)
		}
	}
	if len(advisories) > 0 {
		observed += "; advisory: " + posture.JoinCodes(advisories, ", ")
	}
	if len(ps) > 0 {
		return contradicted(o.Observation, ps[0].code, expected, observed, o.Target.Address+": security.txt: "+joinProblems(ps), ev)
	}
	return verified(o.Observation, expected, observed, ev)
}
