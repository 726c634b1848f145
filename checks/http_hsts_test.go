package checks

import (
	"testing"

	"github.com/vouchdev/vouch/posture"
)

func hstsObs(h *posture.HSTS) posture.HTTPObservation {
	o := redirectObs(posture.Yes, hop301, hop200)
	o.HTTPS = &posture.HTTPHop{URL: "https://app.acme.example/", Status: 200, Evidence: "https-1"}
	o.HSTS = h
	return o
}

func hsts(maxAge int64, sub, preload bool) *posture.HSTS {
	return &posture.HSTS{Raw: "max-age=...", Valid: true, MaxAge: maxAge, IncludeSubDomains: sub, Preload: preload}
}

func TestHSTS(t *testing.T) {
	both := map[string]string{"include_subdomains": "true", "preload": "true"}
	tests := []struct {
		name   string
		params map[string]string
		o      posture.HTTPObservation
		want   row
	}{
		{"one year", nil, hstsObs(hsts(31536000, false, false)), row{posture.Verified, ""}},
		{"two years, all directives", both, hstsObs(hsts(63072000, true, true)), row{posture.Verified, ""}},
		{"no header", nil, hstsObs(nil), row{posture.Contradicted, CodeHSTSMissing}},
		{"one day", nil, hstsObs(hsts(86400, false, false)), row{posture.Contradicted, CodeHSTSMaxAgeShort}},
		{"max-age 0", nil, hstsObs(hsts(0, true, true)), row{posture.Contradicted, CodeHSTSMaxAgeShort}},
		{"one day fine with lower min", map[string]string{"min_max_age": "86400"}, hstsObs(hsts(86400, false, false)), row{posture.Verified, ""}},
		{"includeSubDomains required", both, hstsObs(hsts(31536000, false, true)), row{posture.Contradicted, CodeHSTSNoIncludeSubdomains}},
		{"preload required", both, hstsObs(hsts(31536000, true, false)), row{posture.Contradicted, CodeHSTSNoPreload}},
		{"invalid, scanner issue passed through", nil, hstsObs(&posture.HSTS{Raw: "includeSubDomains", Issues: []posture.Code{"http.hsts.max_age_missing"}}), row{posture.Contradicted, "http.hsts.max_age_missing"}},
		// RFC 6797 §8.1: a header over a certificate that did not verify
		// is ignored by browsers.
		{"over an untrusted certificate", nil, hstsObs(&posture.HSTS{Raw: "max-age=31536000", MaxAge: 31536000, Issues: []posture.Code{posture.CodeHSTSUntrustedCertificate}}),
			row{posture.Contradicted, posture.CodeHSTSUntrustedCertificate}},
		{"invalid without issue", nil, hstsObs(&posture.HSTS{Raw: "max-age=abc"}), row{posture.Contradicted, CodeHSTSInvalid}},
		{"https not reachable", nil, func() posture.HTTPObservation {
			o := hstsObs(nil)
			o.HTTPS, o.HTTPSMissing = nil, miss(posture.ReasonHandshakeFailed)
			return o
		}(), row{posture.Inconclusive, ""}},
		{"no https response recorded", nil, func() posture.HTTPObservation { o := hstsObs(nil); o.HTTPS = nil; return o }(), row{posture.Inconclusive, ""}},
		{"unreachable", nil, func() posture.HTTPObservation {
			o := hstsObs(nil)
			o.Observation = failed(o.Observation, posture.ReasonTimeout)
			return o
		}(), row{posture.Inconclusive, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := expectOne(t, runKind(t, "http.hsts", tt.params, &posture.Snapshot{HTTP: []posture.HTTPObservation{tt.o}}), tt.want)
			if tt.o.HTTPS != nil && tt.o.Missing == nil && f.Evidence[0] != "https-1" {
				t.Errorf("checks: evidence %v, want the HTTPS response", f.Evidence)
			}
		})
	}
}
