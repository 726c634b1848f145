package report

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

func TestFrameworks(t *testing.T) {
	r := fixture()
	// A mapping without a framework, a duplicate, and one from a finding.
	r.Controls[0].Control.Mappings = append(r.Controls[0].Control.Mappings, "ISO27001:A.8.24", "crypto-policy")
	r.Controls[3].Findings[0].Mappings = []string{"SOC2:CC6.10", "SOC2:CC6.1"}

	var got []string
	for _, g := range frameworks(r) {
		for _, req := range g.Requirements {
			var ids []string
			for _, c := range req.Controls {
				ids = append(ids, c.Control.ID)
			}
			got = append(got, fmt.Sprintf("%s %s %s", g.Name, req.Ref, strings.Join(ids, ",")))
		}
	}
	want := []string{
		"CIS 3.10 hsts",
		"CIS 9.5 dmarc",
		"CIS 13.10 waf",
		"CIS 16.1 csp-admin",
		"ISO27001 A.8.24 tls-modern",
		"SOC2 CC6.1 dmarc",
		"SOC2 CC6.6 waf",
		"SOC2 CC6.7 tls-modern,hsts",
		"SOC2 CC6.10 dmarc",
		"Other crypto-policy tls-modern",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("frameworks:\n got\n%s\n want\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A control whose rule suggests a mapping is listed under it.
	r = &posture.Report{
		Rules:    []posture.Rule{{ID: "tls.min_version", Mappings: []string{"PCI:4.2.1"}}},
		Controls: []posture.ControlResult{{Control: posture.Control{ID: "tls", Verify: &posture.Verify{Kind: "tls.min_version"}}, Verdict: posture.Verified}},
	}
	if fws := frameworks(r); len(fws) != 1 || fws[0].Name != "PCI" || fws[0].Requirements[0].Ref != "4.2.1" {
		t.Errorf("rule mapping: %+v", fws)
	}

	// Both documents show the grouping; an internal control is left out of
	// the public one.
	for _, f := range []Format{FormatHTML, FormatMarkdown} {
		all := render(t, fixture(), f, Options{Internal: true})
		pub := render(t, fixture(), f, Options{})
		if !strings.Contains(all, "By framework") || !strings.Contains(all, "CC6.7") || !strings.Contains(all, "16.1") {
			t.Errorf("%s: no framework grouping", f)
		}
		if strings.Contains(pub, "16.1") {
			t.Errorf("%s: public output maps the internal control", f)
		}
	}
}

func TestNaturalCompare(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"CC6.1", "CC6.10", -1}, {"CC6.2", "CC6.10", -1}, {"A.8.24", "A.8.3", 1}, {"9.5", "13.10", -1},
		{"x", "x", 0}, {"01", "1", 0}, {"a", "ab", -1}, {"b", "a", 1},
	} {
		if got := naturalCompare(c.a, c.b); got != c.want {
			t.Errorf("naturalCompare(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
