package checks

import (
	"fmt"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// waf.present: web traffic to the target passes through a web application
// firewall, as PCI DSS v4.0 requirement 6.4.2 asks of public-facing web
// applications and CIS Controls v8 safeguard 13.10 (application layer
// filtering) recommends. Absence can only be shown by active probing: when
// the scan ran passive fingerprints only, "no WAF seen" is inconclusive.

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "waf.present",
			Title:       "Put a web application firewall in front of web traffic",
			Description: "A WAF is seen in front of the target (by fingerprint or by its answer to attack-shaped requests) and, when vendor is given, it is that vendor's.",
			Citation:    "PCI DSS v4.0 Req. 6.4.2; CIS Controls v8 Safeguard 13.10; OWASP ASVS 4.0.3 V1.14",
			Severity:    posture.SeverityMedium,
			Remediation: "Route the target's traffic through a WAF (a CDN's WAF, a cloud WAF, or ModSecurity with the OWASP Core Rule Set) in blocking mode, and make sure the origin cannot be reached around it.",
			Mappings:    []string{"SOC2:CC6.6", "ISO27001:A.8.20", "CIS:13.10"},
			Params: []posture.Param{
				{Name: "vendor", Type: posture.ParamEnum, Enum: wafVendors, Doc: "the WAF's vendor, when the claim names one"},
			},
			Needs: []posture.Need{{Scanner: posture.ScannerWAF, Targets: posture.TargetWeb, Active: true}},
			Claim: "a web application firewall protects our apps",
		},
		Run: runWAFPresent,
	})
}

// wafVendors are the vendors vouch's WAF engine fingerprints, as it names
// them (scanners/wafscan/engine/templates; a test keeps the two equal).
var wafVendors = []string{"Akamai", "AWS", "Azure", "Barracuda", "Citrix", "Cloudflare", "F5", "Fastly", "Imperva", "ModSecurity", "Sucuri"}

func runWAFPresent(in Input) []posture.Finding {
	vendor := in.Args.String("vendor")
	expected := "a web application firewall in front of the target"
	if vendor != "" {
		expected = "a " + vendor + " web application firewall in front of the target"
	}
	var out []posture.Finding
	for _, o := range in.Snapshot.WAF {
		out = append(out, judgeWAF(o, vendor, expected))
	}
	return out
}

func judgeWAF(o posture.WAFObservation, vendor, expected string) posture.Finding {
	if !o.Observed() {
		return unobserved(o.Observation, expected)
	}
	var hops []string
	for _, x := range o.Exchanges {
		hops = append(hops, x.Evidence)
	}
	ev := ids(hops, o.EvidenceIDs())
	mode := "active and passive probes"
	if !o.Active {
		mode = "passive fingerprints only"
	}
	observed := fmt.Sprintf("present %s", triOr(o.Present))
	if o.Vendor != "" {
		observed += ", vendor " + quote(o.Vendor)
	}
	if len(o.Signals) > 0 {
		observed += ", signals: " + strings.Join(o.Signals, ", ")
	}
	observed += " (" + mode + ")"

	switch triOr(o.Present) {
	case posture.Yes:
		if vendor == "" {
			return verified(o.Observation, expected, observed, ev)
		}
		if o.Vendor == "" {
			return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonError, Detail: "WAF vendor not identified"}, expected, observed,
				fmt.Sprintf("a WAF is in front of %s but its vendor could not be identified, so %s could not be confirmed; not counted as a pass or a gap", o.Target.Address, vendor), ev)
		}
		if !vendorMatches(o.Vendor, vendor) {
			return contradicted(o.Observation, CodeWAFVendorMismatch, expected, observed,
				fmt.Sprintf("the WAF in front of %s is %s, not %s", o.Target.Address, quote(o.Vendor), vendor), ev)
		}
		return verified(o.Observation, expected, observed, ev)
	case posture.No:
		if !o.Active {
			return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonNotScanned, Detail: "active probing was off; passive fingerprints alone cannot show that no WAF is present"}, expected, observed,
				fmt.Sprintf("no WAF fingerprint seen for %s, but active probing was off, so absence is not shown; not counted as a pass or a gap", o.Target.Address), ev)
		}
		return contradicted(o.Observation, CodeWAFAbsent, expected, observed,
			fmt.Sprintf("no web application firewall answered for %s", o.Target.Address), ev)
	}
	if !o.Active {
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonNotScanned, Detail: "active probing was off and passive fingerprints were not conclusive"}, expected, observed,
			fmt.Sprintf("could not tell whether a WAF is in front of %s: active probing was off for it and passive fingerprints were not conclusive; not counted as a pass or a gap", o.Target.Address), ev)
	}
	return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonError, Detail: "WAF presence not determined"}, expected, observed,
		fmt.Sprintf("could not tell whether a WAF is in front of %s; not counted as a pass or a gap", o.Target.Address), ev)
}

// vendorMatches compares a detected vendor name ("Cloudflare (Cloudflare
// Inc.)", "ModSecurity") with the declared one, case-insensitively: equal,
// or the declared name is a word-prefix of the detected one.
func vendorMatches(seen, want string) bool {
	s := strings.ToLower(strings.TrimSpace(seen))
	w := strings.ToLower(strings.TrimSpace(want))
	if s == w {
		return true
	}
	if rest, ok := strings.CutPrefix(s, w); ok && rest != "" {
		return rest[0] == ' ' || rest[0] == '(' || rest[0] == '/' || rest[0] == '-'
	}
	return false
}
