package posture

import "slices"

// Features a check may turn on in a scanner (Need.Feature): parts of a
// scanner that stay off unless some control in scope asks for them.
const (
	// FeatureSTARTTLS connects to the MX hosts of a mail target over SMTP
	// and observes TLS after STARTTLS (tls scanner).
	FeatureSTARTTLS = "starttls"
	// FeatureTemplate runs the user's nuclei templates named by the
	// parameter's values (waf scanner).
	FeatureTemplate = "template"
)

// Plan is what one scan runs, derived from the declaration and what each
// check needs: for each target in scope, the scanners that look at it,
// whether each sends its active probe, and the features it turns on. A
// scanner not in a target's plan never contacts that target.
type Plan struct {
	Targets []TargetPlan `json:"targets"`
}

// TargetPlan is the plan of one target.
type TargetPlan struct {
	Target   Target        `json:"target"`
	Scanners []ScannerPlan `json:"scanners"`
}

// ScannerPlan is what one scanner does to one target.
type ScannerPlan struct {
	Scanner ScannerID `json:"scanner"`
	// Active is set when a control needs the scanner's active
	// (attack-shaped) probe of the target and the scope allows it.
	Active bool `json:"active,omitempty"`
	// Features are the features controls turned on, sorted by name.
	Features []FeaturePlan `json:"features,omitempty"`
	// Controls are the ids of the controls that need this, in
	// declaration order.
	Controls []string `json:"controls"`
}

// FeaturePlan is one feature turned on, with the values of the parameter
// it takes (template paths), in declaration order without repeats.
type FeaturePlan struct {
	Name   string   `json:"name"`
	Values []string `json:"values,omitempty"`
}

// Scanner returns the plan of scanner s on target t.
func (p *Plan) Scanner(s ScannerID, t Target) (ScannerPlan, bool) {
	if p == nil {
		return ScannerPlan{}, false
	}
	for _, tp := range p.Targets {
		if tp.Target != t {
			continue
		}
		for _, sp := range tp.Scanners {
			if sp.Scanner == s {
				return sp, true
			}
		}
	}
	return ScannerPlan{}, false
}

// Runs reports whether scanner s looks at target t.
func (p *Plan) Runs(s ScannerID, t Target) bool {
	_, ok := p.Scanner(s, t)
	return ok
}

// Active reports whether scanner s sends its active probe to t.
func (p *Plan) Active(s ScannerID, t Target) bool {
	sp, _ := p.Scanner(s, t)
	return sp.Active
}

// Feature returns the values of feature name of scanner s on t, and
// whether the feature is on.
func (p *Plan) Feature(s ScannerID, t Target, name string) ([]string, bool) {
	sp, _ := p.Scanner(s, t)
	for _, f := range sp.Features {
		if f.Name == name {
			return slices.Clone(f.Values), true
		}
	}
	return nil, false
}

// TargetsOf returns the targets scanner s looks at, in plan order.
func (p *Plan) TargetsOf(s ScannerID) []Target {
	if p == nil {
		return nil
	}
	var out []Target
	for _, tp := range p.Targets {
		for _, sp := range tp.Scanners {
			if sp.Scanner == s {
				out = append(out, tp.Target)
				break
			}
		}
	}
	return out
}

// Uses reports whether scanner s looks at any target, and whether any of
// them has feature name on ("" for any scanner use).
func (p *Plan) Uses(s ScannerID, feature string) bool {
	for _, t := range p.TargetsOf(s) {
		if feature == "" {
			return true
		}
		if _, ok := p.Feature(s, t, feature); ok {
			return true
		}
	}
	return false
}

// Passive returns a copy of p that sends no active probe anywhere (the
// scan was asked to be passive); everything else is unchanged.
func (p Plan) Passive() Plan {
	out := Plan{Targets: make([]TargetPlan, len(p.Targets))}
	for i, tp := range p.Targets {
		tp.Scanners = slices.Clone(tp.Scanners)
		for j := range tp.Scanners {
			tp.Scanners[j].Active = false
		}
		out.Targets[i] = tp
	}
	return out
}
