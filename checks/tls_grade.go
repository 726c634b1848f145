package checks

import (
	"fmt"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// tls.grade: every TLS endpoint earns at least the declared grade under
// the SSL Labs SSL Server Rating Guide, as vouch implements it (the rules
// of tls_grade_rules.go, documented with their sources in
// docs/tls-grade.md). It lets a page that claims "A+ on SSL Labs" be
// checked as a control. vouch's grade is computed from its own scan, not
// fetched from SSL Labs, and it does not test the vulnerabilities SSL
// Labs grades separately (Heartbleed, ROBOT, POODLE-TLS, ...).

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "tls.grade",
			Title:       "Earn at least the declared TLS grade",
			Description: "Every TLS endpoint earns at least the grade min (A+ ... F) under the SSL Labs SSL Server Rating Guide rules documented in docs/tls-grade.md; A+ also needs HSTS on the target's HTTPS response.",
			Citation:    "Qualys SSL Labs SSL Server Rating Guide 2009 and its published grading changes to 2020 (see docs/tls-grade.md); RFC 8996; RFC 6797 (HSTS)",
			Severity:    posture.SeverityMedium,
			Remediation: "Fix the rules the finding names as capping the grade (docs/tls-grade.md says how for each), then rescan.",
			Mappings:    []string{"SOC2:CC6.7", "ISO27001:A.8.24", "CIS:3.10"},
			Params: []posture.Param{
				enumParam("min", "A", []string{"A+", "A", "A-", "B", "C", "D", "E", "F"}, "lowest acceptable grade (rules in docs/tls-grade.md); T and M never meet a minimum"),
			},
			Needs: []posture.Need{{Scanner: posture.ScannerTLS, Targets: posture.TargetWeb}, {Scanner: posture.ScannerHTTP, Targets: posture.TargetWeb}},
			Claim: "we maintain an A+ rating on SSL Labs",
		},
		Run: runTLSGrade,
	})
}

func runTLSGrade(in Input) []posture.Finding {
	min := in.Args.String("min")
	expected := "grade " + min + " or better"
	var out []posture.Finding
	for _, o := range directTLS(in) {
		out = append(out, judgeGrade(in, o, min, expected))
	}
	return out
}

// hstsFor finds the HSTS facts of the HTTP observation of o's target.
func hstsFor(snap *posture.Snapshot, o posture.TLSObservation) (HSTSFacts, []string) {
	for _, h := range snap.HTTP {
		if h.Target != o.Target {
			continue
		}
		if !h.Observed() || h.HTTPS == nil || h.HTTPSMissing != nil {
			return HSTSFacts{Observed: posture.Unknown}, nil
		}
		return HSTSFacts{Observed: posture.Yes, HSTS: h.HSTS}, one(h.HTTPS.Evidence)
	}
	return HSTSFacts{Observed: posture.Unknown}, nil
}

func hitsText(hs []GradeHit) string {
	parts := make([]string, len(hs))
	for i, h := range hs {
		parts[i] = fmt.Sprintf("%s (%s → %s)", h.ID, h.Detail, h.Cap)
	}
	return strings.Join(parts, "; ")
}

func judgeGrade(in Input, o posture.TLSObservation, min, expected string) posture.Finding {
	if !o.Observed() {
		return unobserved(o.Observation, expected)
	}
	hsts, hev := hstsFor(in.Snapshot, o)
	g := GradeTLS(o, hsts, in.Now)
	var ev []string
	if c := o.Certificate; c != nil {
		ev = one(c.ChainEvidence)
	}
	ev = ids(o.EvidenceIDs(), ev, hev)

	observed := "grade " + g.String()
	if g.Score >= 0 {
		observed += fmt.Sprintf(" (score %d)", g.Score)
	}
	if g.IgnoringTrust != "" {
		observed += ", " + g.IgnoringTrust + " if trust issues were ignored"
	}
	if len(g.Capped) > 0 {
		observed += "; capped by: " + hitsText(g.Capped)
	}
	if len(g.Unknown) > 0 {
		observed += "; not determined: " + hitsText(g.Unknown)
	}
	minRank := gradeRank(min)
	switch {
	case gradeRank(g.Worst) <= minRank:
		return verified(o.Observation, expected, observed, ev)
	case gradeRank(g.Best) > minRank:
		why := "no rule capped it"
		if len(g.Capped) > 0 {
			var caps []string
			for _, h := range g.Capped {
				if gradeRank(h.Cap) > minRank {
					caps = append(caps, h.ID)
				}
			}
			why = "capped by " + strings.Join(caps, ", ")
		}
		return contradicted(o.Observation, CodeGradeBelow, expected, observed,
			fmt.Sprintf("%s earns grade %s, below %s (%s)", endpoint(o), g.String(), min, why), ev)
	}
	var first GradeHit
	for _, h := range g.Unknown {
		if gradeRank(h.Cap) > minRank {
			first = h
			break
		}
	}
	// The reason is the scanner's when the undecided rule rests on what
	// it could not observe (a timeout cutting an enumeration short).
	reason := posture.ReasonNotScanned
	if first.ID != "aplus.hsts" {
		enumerated := map[string]bool{}
		for _, p := range o.Suites {
			enumerated[p.Protocol] = true
		}
		if gap := suiteGap(o, enumerated); gap != nil {
			reason = gap.Reason
		}
	}
	return inconclusive(o.Observation, &posture.Missing{Reason: reason, Detail: first.ID + ": " + first.Detail}, expected, observed,
		fmt.Sprintf("%s earns grade %s: could not tell whether it reaches %s; not counted as a pass or a gap", endpoint(o), g.String(), min), ev)
}
