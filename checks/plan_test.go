package checks

import (
	"encoding/json"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

func control(id, kind string, params map[string]string, targets ...string) posture.Control {
	return posture.Control{ID: id, Verify: &posture.Verify{Kind: kind, Params: params}, Targets: targets}
}

// The plan runs what the controls need and nothing else, per target.
func TestPlan(t *testing.T) {
	app := posture.Target{Kind: posture.TargetWeb, Address: "https://app.acme.example"}
	api := posture.Target{Kind: posture.TargetWeb, Address: "https://api.acme.example"}
	legacy := posture.Target{Kind: posture.TargetWeb, Address: "https://legacy.acme.example"}
	mail := posture.Target{Kind: posture.TargetMail, Address: "acme.example"}
	other := posture.Target{Kind: posture.TargetMail, Address: "other.example"}
	scope := posture.Scope{
		Web:     []string{app.Address, api.Address, legacy.Address},
		Mail:    []string{mail.Address, other.Address},
		Passive: []string{api.Address},
	}
	type row struct {
		scanner posture.ScannerID
		target  posture.Target
		active  bool
		feature string
		values  []string
	}
	for _, tc := range []struct {
		name     string
		controls []posture.Control
		want     []row // every planned (scanner, target), nothing else
	}{
		{"TLS and HSTS only: no WAF, no DNS, no STARTTLS", []posture.Control{
			control("tls", "tls.min_version", map[string]string{"min": "1.2"}),
			control("hsts", "http.hsts", nil, app.Address),
		}, []row{
			{scanner: posture.ScannerTLS, target: app}, {scanner: posture.ScannerHTTP, target: app},
			{scanner: posture.ScannerTLS, target: api},
			{scanner: posture.ScannerTLS, target: legacy},
		}},
		{"waf.present is active, except where scope.passive says not", []posture.Control{
			control("waf", "waf.present", nil),
		}, []row{
			{scanner: posture.ScannerWAF, target: app, active: true},
			{scanner: posture.ScannerWAF, target: api},
			{scanner: posture.ScannerWAF, target: legacy, active: true},
		}},
		{"nuclei alone runs its templates passively, on its targets", []posture.Control{
			control("admin", "nuclei", map[string]string{"template": "checks/admin.yaml"}, app.Address),
			control("admin2", "nuclei", map[string]string{"template": " checks/b.yaml ", "expect": "no-match"}, app.Address, legacy.Address),
			control("dup", "nuclei", map[string]string{"template": "checks/admin.yaml"}, "HTTPS://APP.acme.example/"),
		}, []row{
			{scanner: posture.ScannerWAF, target: app, feature: posture.FeatureTemplate, values: []string{"checks/admin.yaml", "checks/b.yaml"}},
			{scanner: posture.ScannerWAF, target: legacy, feature: posture.FeatureTemplate, values: []string{"checks/b.yaml"}},
		}},
		{"tls.starttls turns STARTTLS on for its mail targets only", []posture.Control{
			control("starttls", "tls.starttls", nil, mail.Address),
			control("spf", "email.spf", nil),
		}, []row{
			{scanner: posture.ScannerDNS, target: mail}, {scanner: posture.ScannerTLS, target: mail, feature: posture.FeatureSTARTTLS},
			{scanner: posture.ScannerDNS, target: other},
		}},
		{"attested, unknown kinds and bad parameters need nothing", []posture.Control{
			{ID: "at-rest", Attested: &posture.Attestation{By: "CTO"}},
			control("typo", "tls.minversion", nil),
			control("bad", "waf.present", map[string]string{"vendr": "F5"}),
			control("nofile", "nuclei", nil),
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := Plan(posture.Declaration{Scope: scope, Controls: tc.controls})
			n := 0
			for _, tp := range plan.Targets {
				n += len(tp.Scanners)
			}
			if n != len(tc.want) {
				b, _ := json.MarshalIndent(plan, "", "  ")
				t.Errorf("%d (scanner, target) pairs planned, want %d:\n%s", n, len(tc.want), b)
			}
			for _, w := range tc.want {
				sp, ok := plan.Scanner(w.scanner, w.target)
				if !ok {
					t.Errorf("%s on %s not planned", w.scanner, w.target)
					continue
				}
				if sp.Active != w.active {
					t.Errorf("%s on %s: active %v, want %v", w.scanner, w.target, sp.Active, w.active)
				}
				if w.feature == "" && len(sp.Features) > 0 {
					t.Errorf("%s on %s: features %+v, want none", w.scanner, w.target, sp.Features)
				}
				if w.feature != "" {
					vals, on := plan.Feature(w.scanner, w.target, w.feature)
					if !on || len(vals) != len(w.values) {
						t.Errorf("%s on %s: feature %s = %v (on %v), want %v", w.scanner, w.target, w.feature, vals, on, w.values)
						continue
					}
					for i := range vals {
						if vals[i] != w.values[i] {
							t.Errorf("%s on %s: feature %s = %v, want %v", w.scanner, w.target, w.feature, vals, w.values)
						}
					}
				}
				if len(sp.Controls) == 0 {
					t.Errorf("%s on %s: no control named as needing it", w.scanner, w.target)
				}
			}
		})
	}
}

// --active=false: Passive keeps every scanner and feature, drops every
// active probe, and leaves the plan it was made from alone.
func TestPlanPassive(t *testing.T) {
	web := posture.Target{Kind: posture.TargetWeb, Address: "https://app.acme.example"}
	plan := Plan(posture.Declaration{Scope: posture.Scope{Web: []string{web.Address}}, Controls: []posture.Control{
		control("waf", "waf.present", nil), control("tls", "tls.min_version", nil),
	}})
	p := plan.Passive()
	if !plan.Active(posture.ScannerWAF, web) || p.Active(posture.ScannerWAF, web) {
		t.Errorf("active before %v, after %v", plan.Active(posture.ScannerWAF, web), p.Active(posture.ScannerWAF, web))
	}
	if !p.Runs(posture.ScannerWAF, web) || !p.Runs(posture.ScannerTLS, web) || p.Runs(posture.ScannerHTTP, web) {
		t.Errorf("passive plan changed the scanners: %+v", p)
	}
	var nilPlan *posture.Plan
	if nilPlan.Runs(posture.ScannerTLS, web) || nilPlan.Uses(posture.ScannerTLS, "") {
		t.Error("a nil plan runs something")
	}
}
