package checks

import (
	"strings"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

func wafObs(present posture.Tri, vendor string, active bool) posture.WAFObservation {
	return posture.WAFObservation{
		Observation: obs(web("https://app.acme.example"), "waf", "192.0.2.10:443", "waf-1"),
		URL:         "https://app.acme.example/",
		Present:     present,
		Vendor:      vendor,
		Active:      active,
		Exchanges:   []posture.HTTPHop{{URL: "https://app.acme.example/?q=<script>", Status: 403, Evidence: "waf-x1"}},
		Signals:     []string{"block status 403"},
	}
}

func TestWAFPresent(t *testing.T) {
	cf := map[string]string{"vendor": "cloudflare"}
	tests := []struct {
		name   string
		params map[string]string
		o      posture.WAFObservation
		want   row
	}{
		{"present", nil, wafObs(posture.Yes, "", true), row{posture.Verified, ""}},
		{"present passively", nil, wafObs(posture.Yes, "ModSecurity", false), row{posture.Verified, ""}},
		{"vendor matches", cf, wafObs(posture.Yes, "Cloudflare", true), row{posture.Verified, ""}},
		{"vendor matches a longer name", cf, wafObs(posture.Yes, "Cloudflare (Cloudflare Inc.)", true), row{posture.Verified, ""}},
		{"vendor mismatch", cf, wafObs(posture.Yes, "ModSecurity", true), row{posture.Contradicted, CodeWAFVendorMismatch}},
		{"vendor prefix is not a word", map[string]string{"vendor": "Azure"}, wafObs(posture.Yes, "AzureEdge", true), row{posture.Contradicted, CodeWAFVendorMismatch}},
		{"vendor unidentified", cf, wafObs(posture.Yes, "", true), row{posture.Inconclusive, ""}},
		{"absent", nil, wafObs(posture.No, "", true), row{posture.Contradicted, CodeWAFAbsent}},
		{"absent, passive only", nil, wafObs(posture.No, "", false), row{posture.Inconclusive, ""}},
		{"unknown", nil, wafObs(posture.Unknown, "", true), row{posture.Inconclusive, ""}},
		{"unknown, passive only", nil, wafObs(posture.Unknown, "", false), row{posture.Inconclusive, ""}},
		{"unreachable", nil, func() posture.WAFObservation {
			o := wafObs(posture.Unknown, "", true)
			o.Observation = failed(o.Observation, posture.ReasonRefused)
			return o
		}(), row{posture.Inconclusive, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := expectOne(t, runKind(t, "waf.present", tt.params, &posture.Snapshot{WAF: []posture.WAFObservation{tt.o}}), tt.want)
			if tt.o.Missing == nil && (len(f.Evidence) != 2 || f.Evidence[0] != "waf-x1" || f.Evidence[1] != "waf-1") {
				t.Errorf("checks: evidence %v, want the exchanges and the observation's", f.Evidence)
			}
		})
	}
}

func TestWAFPassiveReason(t *testing.T) {
	for _, present := range []posture.Tri{posture.Unknown, posture.No} {
		f := expectOne(t, runKind(t, "waf.present", nil, &posture.Snapshot{WAF: []posture.WAFObservation{wafObs(present, "", false)}}), row{posture.Inconclusive, ""})
		if f.Reason.Reason != posture.ReasonNotScanned || !strings.Contains(f.Message, "active probing was off") {
			t.Errorf("checks: passive %s: reason %v message %q", present, f.Reason, f.Message)
		}
	}
}
