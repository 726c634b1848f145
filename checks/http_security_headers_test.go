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
		{"referrer policy present but unknown (Referrer Policy §8.1)", map[string]string{"require": "referrer_policy"}, headersObs(with(func(s *posture.SecurityHeaders) {
			s.ReferrerPolicy = "whimsy"
		})), row{posture.Contradicted, CodeHeadersReferrerInvalid}},
		{"referrer policy unsafe-url (Referrer Policy §3.8)", map[string]string{"require": "referrer_policy"}, headersObs(with(func(s *posture.SecurityHeaders) {
			s.ReferrerPolicy = "strict-origin, unsafe-url"
		})), row{posture.Contradicted, CodeHeadersReferrerWeak}},
		{"coop not a token (HTML §7.1.3.2)", map[string]string{"require": "coop"}, headersObs(with(func(s *posture.SecurityHeaders) {
			s.CrossOriginOpenerPolicy = "Same-Origin"
		})), row{posture.Contradicted, CodeHeadersCOOPMissing}},
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
	if len(codes) != 19 {
		t.Errorf("checks: %d HTTP codes, want 19", len(codes))
	}
}

// The Referrer-Policy a browser applies, from the spec's parsing rule.
func TestEffectiveReferrerPolicy(t *testing.T) {
	for _, tc := range []struct{ v, want, ref string }{
		{"", "", "Referrer Policy §8.1: no tokens, no policy (the default applies)"},
		{"no-referrer", "no-referrer", "§3.1"},
		{"strict-origin-when-cross-origin", "strict-origin-when-cross-origin", "§3.7"},
		{"whimsy", "", "§8.1: an unknown token is ignored"},
		{"no-referrer, whimsy", "no-referrer", "§8.1: unknown tokens after a known one are ignored"},
		{"unsafe-url, strict-origin", "strict-origin", "§8.1: the last known token wins"},
		{"strict-origin, unsafe-url", "unsafe-url", "§8.1: the last known token wins, even a weaker one"},
		{" same-origin ,\t", "same-origin", "Fetch: values are trimmed; an empty token is ignored"},
		{"No-Referrer", "no-referrer", "browsers match ignoring ASCII case"},
		{"strİct-origin", "", "ASCII case-insensitive only: U+0130 is not i"},
		{"no-referrer no-referrer", "", "§8.1: tokens are comma-separated; one with a space is unknown"},
		{`"no-referrer"`, "", "§8.1: not a structured field: a quoted token is unknown"},
	} {
		if got := EffectiveReferrerPolicy(tc.v); got != tc.want {
			t.Errorf("%q (%s) = %q, want %q", tc.v, tc.ref, got, tc.want)
		}
	}
}

// The Cross-Origin-Opener-Policy a browser applies (HTML §7.1.3.2, RFC 8941).
func TestEffectiveCOOP(t *testing.T) {
	for _, tc := range []struct{ v, want, ref string }{
		{"same-origin", "same-origin", "HTML §7.1.3.1: same-origin"},
		{"same-origin-allow-popups", "same-origin-allow-popups", "HTML §7.1.3.1"},
		{"noopener-allow-popups", "noopener-allow-popups", "HTML §7.1.3.1"},
		{"unsafe-none", "unsafe-none", "HTML §7.1.3.1: the default value"},
		{"same-origin; report-to=\"coop\"", "same-origin", "RFC 8941 §3.1.2: an item may carry parameters"},
		{" same-origin ", "same-origin", "RFC 8941 §4.2: surrounding SP is discarded"},
		{"Same-Origin", "unsafe-none", "RFC 8941 §3.3.4: tokens are case-sensitive"},
		{"same-origin, same-origin", "unsafe-none", "a repeated field joins into a list, which is not an item (RFC 8941 §4.2)"},
		{`"same-origin"`, "unsafe-none", "a string is not a token (HTML §7.1.3.2 step 4)"},
		{"whimsy", "unsafe-none", "HTML §7.1.3.2: an unknown value is unsafe-none"},
		{"same-origin; BAD", "unsafe-none", "RFC 8941 §3.1.2: a parameter key is lower-case"},
		{"same-origin;report-to=", "unsafe-none", "RFC 8941 §4.2.3.2: '=' needs a bare item"},
		{"same-origin;a=b c", "unsafe-none", "RFC 8941 §4.2: nothing may follow the item"},
		{`same-origin; report-to="a,b"`, "same-origin", "RFC 8941 §3.3.3: a comma inside a string is part of it"},
		{"same-origin;x;y=?1;z=:AQ==:;n=-1.5", "same-origin", "RFC 8941 §3.1.2: boolean, byte-sequence and decimal parameters"},
		{`same-origin;x="open`, "unsafe-none", "RFC 8941 §4.2.5: an unterminated string fails"},
		{"", "unsafe-none", "no header: unsafe-none"},
	} {
		if got := EffectiveCOOP(tc.v); got != tc.want {
			t.Errorf("%q (%s) = %q, want %q", tc.v, tc.ref, got, tc.want)
		}
	}
}
