package posture

import (
	"encoding/json"
	"fmt"
)

// Verdict is the outcome for a control (or one finding of it).
type Verdict string

const (
	// Verified: observed, and the claim holds.
	Verified Verdict = "verified"
	// Contradicted: observed, and the claim does not hold. A gap.
	Contradicted Verdict = "contradicted"
	// Inconclusive: could not observe (timeout, DNS failure, scan error).
	// Never counted as a pass.
	Inconclusive Verdict = "inconclusive"
	// Attested: not observable from outside; the company's own statement.
	Attested Verdict = "attested"
	// Waived: a gap accepted by a named approver until an expiry.
	Waived Verdict = "waived"
	// NotApplicable: the check has nothing to look at in this scope.
	NotApplicable Verdict = "not_applicable"
)

// Verdicts lists every verdict in report order.
var Verdicts = []Verdict{Contradicted, Inconclusive, Waived, Verified, Attested, NotApplicable}

// weight orders verdicts when combining findings of one control: the worst wins.
func (v Verdict) weight() int {
	switch v {
	case Contradicted:
		return 5
	case Inconclusive:
		return 4
	case Waived:
		return 3
	case Verified:
		return 2
	case Attested:
		return 1
	}
	return 0
}

// Combine returns the verdict of a control whose findings have verdicts vs:
// any contradiction wins, then inconclusive, then waived, then verified.
// No findings at all is NotApplicable.
func Combine(vs ...Verdict) Verdict {
	out := NotApplicable
	for _, v := range vs {
		if v.weight() > out.weight() {
			out = v
		}
	}
	return out
}

// Valid reports whether v is one of the defined verdicts.
func (v Verdict) Valid() bool { return v.weight() > 0 || v == NotApplicable }

func (v *Verdict) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if !Verdict(s).Valid() {
		return fmt.Errorf("posture: unknown verdict %q", s)
	}
	*v = Verdict(s)
	return nil
}

// Severity ranks a gap.
type Severity string

const (
	SeverityInfo     Severity = "info"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Severities lists severities from lowest to highest.
var Severities = []Severity{SeverityInfo, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

// Rank returns 0 (info) ... 4 (critical), or -1 for an unknown severity.
func (s Severity) Rank() int {
	for i, x := range Severities {
		if x == s {
			return i
		}
	}
	return -1
}

// ParseSeverity parses a severity name.
func ParseSeverity(s string) (Severity, error) {
	if Severity(s).Rank() < 0 {
		return "", fmt.Errorf("posture: unknown severity %q (want info, low, medium, high or critical)", s)
	}
	return Severity(s), nil
}

// Max returns the higher of two severities.
func (s Severity) Max(o Severity) Severity {
	if o.Rank() > s.Rank() {
		return o
	}
	return s
}
