package report

import (
	"cmp"
	"slices"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// frameworkGroup is one compliance framework (SOC2, ISO27001, CIS, ...) and
// the controls mapped to each of its requirements.
type frameworkGroup struct {
	Name         string
	Requirements []frameworkRequirement
}

type frameworkRequirement struct {
	Ref      string // CC6.7, A.8.24, ...
	Controls []posture.ControlResult
}

// otherFramework holds mappings written without a "FRAMEWORK:" prefix.
const otherFramework = "Other"

// controlMappings is every framework id a control is mapped to: its own,
// its rule's suggestions, and those its findings carry, once each.
func controlMappings(r *posture.Report, c posture.ControlResult) []string {
	var all []string
	all = append(all, c.Control.Mappings...)
	if c.Control.Verify != nil {
		if rule, ok := r.Rule(c.Control.Verify.Kind); ok {
			all = append(all, rule.Mappings...)
		}
	}
	for _, f := range c.Findings {
		all = append(all, f.Mappings...)
	}
	for i := range all {
		all[i] = strings.TrimSpace(all[i])
	}
	all = slices.DeleteFunc(all, func(s string) bool { return s == "" })
	slices.Sort(all)
	return slices.Compact(all)
}

// splitMapping splits "SOC2:CC6.7" into its framework and requirement.
func splitMapping(m string) (framework, ref string) {
	if fw, ref, ok := strings.Cut(m, ":"); ok && fw != "" && ref != "" {
		return fw, ref
	}
	return otherFramework, m
}

// frameworks groups the report's controls by framework and requirement:
// frameworks by name (Other last), requirements in natural order (CC6.1
// before CC6.10), controls in report order. Controls without a mapping are
// not listed: the by-section view shows every control.
func frameworks(r *posture.Report) []frameworkGroup {
	byFW := map[string]map[string][]posture.ControlResult{}
	for _, c := range r.Controls {
		for _, m := range controlMappings(r, c) {
			fw, ref := splitMapping(m)
			if byFW[fw] == nil {
				byFW[fw] = map[string][]posture.ControlResult{}
			}
			byFW[fw][ref] = append(byFW[fw][ref], c)
		}
	}
	var out []frameworkGroup
	for fw, reqs := range byFW {
		g := frameworkGroup{Name: fw}
		for ref, cs := range reqs {
			g.Requirements = append(g.Requirements, frameworkRequirement{Ref: ref, Controls: cs})
		}
		slices.SortFunc(g.Requirements, func(a, b frameworkRequirement) int { return naturalCompare(a.Ref, b.Ref) })
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b frameworkGroup) int {
		if (a.Name == otherFramework) != (b.Name == otherFramework) {
			if a.Name == otherFramework {
				return 1
			}
			return -1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// naturalCompare orders strings with runs of digits compared as numbers.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := cmp.Or(cmp.Compare(len(na), len(nb)), strings.Compare(na, nb)); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
