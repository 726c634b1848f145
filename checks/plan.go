package checks

import (
	"slices"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// Plan derives from decl what a scan must run, and nothing more: for each
// target in scope, the scanners some control's check needs (Rule.Needs)
// on targets of that kind, restricted to the control's targets when it
// names some. A scanner sends its active probe to a target only where a
// control needs it (Need.Active) and the target is not in scope.passive;
// a feature (STARTTLS, user templates) is on only where a control asks
// for it, with the values of the parameter it takes.
//
// Controls without verify, of an unknown kind or with parameters that do
// not parse need nothing (the engine judges them inconclusive; config
// refuses them at load). Targets are in scope order, scanners sorted.
func Plan(decl posture.Declaration) posture.Plan {
	passive := map[string]bool{}
	for _, p := range decl.Scope.Passive {
		passive[normTarget(p)] = true
	}
	targets := decl.Scope.Targets()
	plans := make([]posture.TargetPlan, len(targets))
	for i, t := range targets {
		plans[i].Target = t
	}
	for _, c := range decl.Controls {
		if c.Verify == nil {
			continue
		}
		chk, ok := Lookup(c.Verify.Kind)
		if !ok {
			continue
		}
		args, errs := chk.Args(c.Verify.Params)
		if len(errs) > 0 {
			continue
		}
		want := map[string]bool{}
		for _, x := range c.Targets {
			want[normTarget(x)] = true
		}
		for i, t := range targets {
			if len(want) > 0 && !want[normTarget(t.Address)] && !want[normTarget(t.String())] {
				continue
			}
			for _, n := range chk.Rule.Needs {
				if n.Targets != t.Kind {
					continue
				}
				sp := scannerPlan(&plans[i], n.Scanner)
				if !slices.Contains(sp.Controls, c.ID) {
					sp.Controls = append(sp.Controls, c.ID)
				}
				if n.Active && !passive[normTarget(t.Address)] {
					sp.Active = true
				}
				if n.Feature != "" {
					var value string
					if n.Param != "" && args.Has(n.Param) {
						value = args.String(n.Param)
					}
					addFeature(sp, n.Feature, value)
				}
			}
		}
	}
	var out posture.Plan
	for _, tp := range plans {
		if len(tp.Scanners) == 0 {
			continue
		}
		slices.SortFunc(tp.Scanners, func(a, b posture.ScannerPlan) int { return strings.Compare(string(a.Scanner), string(b.Scanner)) })
		for i := range tp.Scanners {
			slices.SortFunc(tp.Scanners[i].Features, func(a, b posture.FeaturePlan) int { return strings.Compare(a.Name, b.Name) })
		}
		out.Targets = append(out.Targets, tp)
	}
	return out
}

func scannerPlan(tp *posture.TargetPlan, s posture.ScannerID) *posture.ScannerPlan {
	for i := range tp.Scanners {
		if tp.Scanners[i].Scanner == s {
			return &tp.Scanners[i]
		}
	}
	tp.Scanners = append(tp.Scanners, posture.ScannerPlan{Scanner: s})
	return &tp.Scanners[len(tp.Scanners)-1]
}

func addFeature(sp *posture.ScannerPlan, name, value string) {
	for i := range sp.Features {
		if sp.Features[i].Name == name {
			if value != "" && !slices.Contains(sp.Features[i].Values, value) {
				sp.Features[i].Values = append(sp.Features[i].Values, value)
			}
			return
		}
	}
	f := posture.FeaturePlan{Name: name}
	if value != "" {
		f.Values = []string{value}
	}
	sp.Features = append(sp.Features, f)
}
