package checks

import (
	"testing"

	"github.com/vouchdev/vouch/posture"
)

func headersObs(sh *posture.SecurityHeaders) posture.HTTPObservation {
	o := hstsObs(nil)
	o.SecurityHeaders = sh
	return o
}

func goodHeaders() *posture.SecurityHeaders {
	return &posture.SecurityHeaders{
		XContentTypeOptions: "nosniff", NoSniff: true, XFrameOptions: "DENY", FrameOptions: "DENY", FrameProtection: true,
		CSP: []posture.CSPPolicy{{Raw: "default-src 'self'; frame-ancestors 'none'"}},
	}
}

func TestSecurityHeaders(t *testing.T) {
	with := func(f func(*posture.SecurityHeaders)) *posture.SecurityHeaders { sh := goodHeaders(); f(sh); return sh }
	all := map[string]string{"require": "nosniff, frame, csp, csp_safe, referrer_policy, permissions_policy, coop, no_version_banner"}
	tests := []struct {
		name   string
		params map[string]string
		o      posture.HTTPObservation
		want   row
	}{
		{"defaults hold", nil, headersObs(goodHeaders()), row{posture.Verified, ""}},
		{"no nosniff", nil, headersObs(with(func(s *posture.SecurityHeaders) { s.NoSniff = false })), row{posture.Contradicted, posture.CodeHeadersNoSniffMissing}},
		{"no frame protection", nil, headersObs(with(func(s *posture.SecurityHeaders) { s.FrameProtection = false })), row{posture.Contradicted, posture.CodeHeadersNoFrameProtection}},
		{"no CSP", nil, headersObs(with(func(s *posture.SecurityHeaders) { s.CSP = nil })), row{posture.Contradicted, posture.CodeHeadersCSPMissing}},
		{"nothing at all: the first requirement names the code", nil, headersObs(&posture.SecurityHeaders{}), row{posture.Contradicted, posture.CodeHeadersNoSniffMissing}},
		{"only csp required", map[string]string{"require": "csp"}, headersObs(with(func(s *posture.SecurityHeaders) { s.NoSniff, s.FrameProtection = false, false })), row{posture.Verified, ""}},
		{"unsafe CSP passes csp, not csp_safe", map[string]string{"require": "csp"}, headersObs(with(func(s *posture.SecurityHeaders) {
			s.CSP[0].Issues = []posture.Code{"http.csp.unsafe_inline"}
		})), row{posture.Verified, ""}},
		{"csp_safe: unsafe-inline", map[string]string{"require": "csp_safe"}, headersObs(with(func(s *posture.SecurityHeaders) {
			s.CSP[0].Issues = []posture.Code{"http.csp.unsafe_inline"}
		})), row{posture.Contradicted, CodeHeadersCSPUnsafe}},
		{"csp_safe: a second strict policy blocks it", map[string]string{"require": "csp_safe"}, headersObs(with(func(s *posture.SecurityHeaders) {
			s.CSP[0].Issues = []posture.Code{"http.csp.unsafe_inline"}
			s.CSP = append(s.CSP, posture.CSPPolicy{Raw: "script-src 'self'"})
		})), row{posture.Verified, ""}},
		{"csp_safe: no default-src is not unsafe", map[string]string{"require": "csp_safe"}, headersObs(with(func(s *posture.SecurityHeaders) {
			s.CSP[0].Issues = []posture.Code{"http.csp.no_default_src"}
		})), row{posture.Verified, ""}},
		{"all required, referrer missing", all, headersObs(with(func(s *posture.SecurityHeaders) {
			s.PermissionsPolicy, s.CrossOriginOpenerPolicy = "geolocation=()", "same-origin"
		})), row{posture.Contradicted, CodeHeadersReferrerMissing}},
		{"all required and present", all, headersObs(with(func(s *posture.SecurityHeaders) {
			s.ReferrerPolicy, s.PermissionsPolicy, s.CrossOriginOpenerPolicy = "no-referrer", "geolocation=()", "same-origin"
		})), row{posture.Verified, ""}},
		{"permissions policy", map[string]string{"require": "permissions_policy"}, headersObs(goodHeaders()), row{posture.Contradicted, CodeHeadersPermissionsMissing}},
		{"coop", map[string]string{"require": "coop"}, headersObs(goodHeaders()), row{posture.Contradicted, CodeHeadersCOOPMissing}},
		{"version banner", map[string]string{"require": "no_version_banner"}, headersObs(with(func(s *posture.SecurityHeaders) {
			s.VersionBanners = []string{"Server: nginx/1.18.0"}
		})), row{posture.Contradicted, posture.CodeHeadersVersionBanner}},
		{"headers not recorded", nil, headersObs(nil), row{posture.Inconclusive, ""}},
		{"https not reachable", nil, func() posture.HTTPObservation {
			o := headersObs(nil)
			o.HTTPS, o.HTTPSMissing = nil, miss(posture.ReasonHandshakeFailed)
			return o
		}(), row{posture.Inconclusive, ""}},
		{"unreachable", nil, func() posture.HTTPObservation {
			o := headersObs(nil)
			o.Observation = failed(o.Observation, posture.ReasonTimeout)
			return o
		}(), row{posture.Inconclusive, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := expectOne(t, runKind(t, "http.security_headers", tt.params, &posture.Snapshot{HTTP: []posture.HTTPObservation{tt.o}}), tt.want)
			if tt.o.HTTPS != nil && tt.o.SecurityHeaders != nil && tt.o.Missing == nil && f.Evidence[0] != "https-1" {
				t.Errorf("checks: evidence %v, want the HTTPS response", f.Evidence)
			}
		})
	}
	for _, bad := range []string{"nosniff,hsts", ",", "frame;csp"} {
		if err := ValidateParams("http.security_headers", map[string]string{"require": bad}); err == nil {
			t.Errorf("checks: require=%q accepted", bad)
		}
	}
	if err := ValidateParams("http.security_headers", map[string]string{"require": " CSP , nosniff,csp"}); err != nil {
		t.Errorf("checks: %v", err)
	}
}

// The codes of codes_http.go are unique, dotted, and each once in Codes().
func TestCodesHTTP(t *testing.T) {
	codes := CodesHTTP()
	count := map[posture.Code]int{}
	for _, c := range Codes() {
		count[c]++
	}
	for _, c := range codes {
		if count[c] != 1 {
			t.Errorf("checks: code %q is %d times in Codes(), want once", c, count[c])
		}
		if len(c) < len("http.x.y") || c[:5] != "http." {
			t.Errorf("checks: code %q is not an http code", c)
		}
	}
	if len(codes) != 17 {
		t.Errorf("checks: %d HTTP codes, want 17", len(codes))
	}
}
