package httpscan

import (
	"net/http"
	"slices"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

func TestParseCSP(t *testing.T) {
	const good = "; default-src 'self'; frame-ancestors 'none'"
	tests := []struct {
		raw        string
		directives []string
		issues     []posture.Code
	}{
		{"default-src 'self'; frame-ancestors 'none'", []string{"default-src", "frame-ancestors"}, nil},
		{"DEFAULT-SRC 'self';;  FRAME-ANCESTORS 'self' ; ", []string{"default-src", "frame-ancestors"}, nil},
		{"script-src 'self' 'unsafe-inline'" + good, []string{"script-src", "default-src", "frame-ancestors"}, []posture.Code{posture.CodeCSPUnsafeInline}},
		{"script-src 'self' 'unsafe-inline' 'nonce-abc'" + good, []string{"script-src", "default-src", "frame-ancestors"}, nil},
		{"script-src 'unsafe-inline' 'sha256-xyz' 'unsafe-eval'" + good, []string{"script-src", "default-src", "frame-ancestors"}, []posture.Code{posture.CodeCSPUnsafeEval}},
		{"default-src 'self' 'unsafe-inline'; frame-ancestors 'none'", []string{"default-src", "frame-ancestors"}, []posture.Code{posture.CodeCSPUnsafeInline}},
		{"default-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'", []string{"default-src", "script-src", "frame-ancestors"}, nil},
		{"script-src *" + good, []string{"script-src", "default-src", "frame-ancestors"}, []posture.Code{posture.CodeCSPWildcardSource}},
		{"script-src https:" + good, []string{"script-src", "default-src", "frame-ancestors"}, []posture.Code{posture.CodeCSPWildcardSource}},
		{"object-src data:" + good, []string{"object-src", "default-src", "frame-ancestors"}, []posture.Code{posture.CodeCSPWildcardSource}},
		{"script-src https://cdn.example" + good, []string{"script-src", "default-src", "frame-ancestors"}, nil},
		{"img-src *" + good, []string{"img-src", "default-src", "frame-ancestors"}, nil},
		{"frame-ancestors 'none'", []string{"frame-ancestors"}, []posture.Code{posture.CodeCSPNoDefaultSrc}},
		{"default-src 'self'", []string{"default-src"}, []posture.Code{posture.CodeCSPNoFrameAncestors}},
		{"upgrade-insecure-requests", []string{"upgrade-insecure-requests"}, []posture.Code{posture.CodeCSPNoDefaultSrc, posture.CodeCSPNoFrameAncestors}},
		{"default-src 'self'; default-src *; frame-ancestors 'none'", []string{"default-src", "frame-ancestors"}, []posture.Code{posture.CodeCSPDuplicateDirective}},
		{"dëfault-src 'self'" + good, []string{"default-src", "frame-ancestors"}, []posture.Code{posture.CodeCSPInvalidDirective}},
		{"", nil, []posture.Code{posture.CodeCSPNoDefaultSrc, posture.CodeCSPNoFrameAncestors}},
	}
	for _, tt := range tests {
		p := ParseCSP(tt.raw)
		var names []string
		for _, d := range p.Directives {
			names = append(names, d.Name)
		}
		if p.Raw != tt.raw || !slices.Equal(names, tt.directives) || !slices.Equal(p.Issues, tt.issues) {
			t.Errorf("httpscan: ParseCSP(%q): directives %q issues %q; want %q %q", tt.raw, names, p.Issues, tt.directives, tt.issues)
		}
	}
	p := ParseCSP("script-src  'self'\thttps://a.example ;frame-ancestors")
	if want := []posture.CSPDirective{{Name: "script-src", Values: []string{"'self'", "https://a.example"}}, {Name: "frame-ancestors"}}; !slices.EqualFunc(p.Directives, want, func(a, b posture.CSPDirective) bool {
		return a.Name == b.Name && slices.Equal(a.Values, b.Values)
	}) {
		t.Errorf("httpscan: directives %+v", p.Directives)
	}
}

func TestSecurityHeaders(t *testing.T) {
	tests := []struct {
		name            string
		headers         [][2]string
		nosniff         bool
		frameOptions    string
		frameProtection bool
		csp, cspRO      int
		banners         []string
		issues          []posture.Code
	}{
		{"none", nil, false, "", false, 0, 0, nil,
			[]posture.Code{posture.CodeHeadersNoSniffMissing, posture.CodeHeadersNoFrameProtection, posture.CodeHeadersCSPMissing}},
		{"all good", [][2]string{
			{"X-Content-Type-Options", "nosniff"}, {"X-Frame-Options", "deny"},
			{"Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"},
			{"Referrer-Policy", "no-referrer"}, {"Permissions-Policy", "geolocation=()"},
			{"Cross-Origin-Opener-Policy", "same-origin"}, {"Server", "nginx"},
		}, true, "DENY", true, 1, 0, nil, nil},
		{"frame-ancestors protects without X-Frame-Options; two policies in one field, one in another", [][2]string{
			{"X-Content-Type-Options", "NoSniff, other"},
			{"Content-Security-Policy", "default-src 'self', frame-ancestors 'self'"},
			{"Content-Security-Policy", "script-src 'self'"},
		}, true, "", true, 3, 0, nil, nil},
		{"report-only enforces nothing; ALLOW-FROM is invalid", [][2]string{
			{"X-Content-Type-Options", "sniff"}, {"X-Frame-Options", "ALLOW-FROM https://a.example"},
			{"Content-Security-Policy-Report-Only", "default-src 'self'; frame-ancestors 'none'"},
		}, false, "", false, 0, 1, nil,
			[]posture.Code{posture.CodeHeadersNoSniffMissing, posture.CodeHeadersFrameOptionsInvalid, posture.CodeHeadersNoFrameProtection, posture.CodeHeadersCSPMissing}},
		// frame-ancestors * lets any site frame the page, and an
		// enforced frame-ancestors makes browsers ignore X-Frame-Options
		// (HTML, "X-Frame-Options" processing): no protection.
		{"frame-ancestors * protects nothing, even beside X-Frame-Options", [][2]string{
			{"X-Content-Type-Options", "nosniff"}, {"X-Frame-Options", "DENY"},
			{"Content-Security-Policy", "default-src 'self'; frame-ancestors *"},
		}, true, "DENY", false, 1, 0, nil, []posture.Code{posture.CodeHeadersNoFrameProtection}},
		{"frame-ancestors https: protects nothing", [][2]string{
			{"X-Content-Type-Options", "nosniff"},
			{"Content-Security-Policy", "default-src 'self'; frame-ancestors https:"},
		}, true, "", false, 1, 0, nil, []posture.Code{posture.CodeHeadersNoFrameProtection}},
		{"one strict frame-ancestors among policies protects", [][2]string{
			{"X-Content-Type-Options", "nosniff"},
			{"Content-Security-Policy", "default-src 'self'; frame-ancestors *"},
			{"Content-Security-Policy", "frame-ancestors 'self'"},
		}, true, "", true, 2, 0, nil, nil},
		{"version banners", [][2]string{
			{"X-Content-Type-Options", "nosniff"}, {"X-Frame-Options", "SAMEORIGIN"},
			{"Content-Security-Policy", "default-src 'self'"},
			{"Server", "Apache/2.4.57 (Debian)"}, {"X-Powered-By", "PHP/8.1.2"}, {"X-AspNet-Version", "4.0.30319"},
		}, true, "SAMEORIGIN", true, 1, 0,
			[]string{"Server: Apache/2.4.57 (Debian)", "X-Powered-By: PHP/8.1.2", "X-AspNet-Version: 4.0.30319"},
			[]posture.Code{posture.CodeHeadersVersionBanner}},
	}
	ca := newCA(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := tlsServer(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for _, h := range tt.headers {
					w.Header().Add(h[0], h[1])
				}
			}))
			o := scanOne(t, New(Options{RootCAs: ca.Pool(), PlainHTTP: plainAt("")}), target(ts.URL))
			sh := o.SecurityHeaders
			if sh == nil {
				t.Fatal("httpscan: no security headers")
			}
			if sh.NoSniff != tt.nosniff || sh.FrameOptions != tt.frameOptions || sh.FrameProtection != tt.frameProtection ||
				len(sh.CSP) != tt.csp || len(sh.CSPReportOnly) != tt.cspRO || !slices.Equal(sh.VersionBanners, tt.banners) || !slices.Equal(sh.Issues, tt.issues) {
				t.Errorf("httpscan: got nosniff %v frame %q protection %v csp %d/%d banners %q issues %q\nwant %v %q %v %d/%d %q %q",
					sh.NoSniff, sh.FrameOptions, sh.FrameProtection, len(sh.CSP), len(sh.CSPReportOnly), sh.VersionBanners, sh.Issues,
					tt.nosniff, tt.frameOptions, tt.frameProtection, tt.csp, tt.cspRO, tt.banners, tt.issues)
			}
		})
	}
	// An origin that does not answer has no headers to record.
	o := scanOne(t, New(Options{PlainHTTP: plainAt("")}), target("https://"+refusedAddr(t)))
	if o.SecurityHeaders != nil {
		t.Errorf("httpscan: security headers of a refused origin: %+v", o.SecurityHeaders)
	}
}

// X-Frame-Options as HTML's "check a navigation response's adherence to
// X-Frame-Options" reads it: every field, split at commas, lower-cased,
// as a set.
func TestFrameOptionsAsHTMLReadsThem(t *testing.T) {
	for _, tc := range []struct {
		fields  []string
		want    string
		invalid bool
		ref     string
	}{
		{nil, "", false, "no field: nothing enforced"},
		{[]string{"DENY"}, "DENY", false, "HTML XFO step 6: deny"},
		{[]string{"sameorigin"}, "SAMEORIGIN", false, "HTML XFO step 7: sameorigin, lower-cased (step 3)"},
		{[]string{" SameOrigin\t"}, "SAMEORIGIN", false, "get, decode, and split strips whitespace"},
		{[]string{"SAMEORIGIN,SAMEORIGIN"}, "SAMEORIGIN", false, "HTML XFO step 3: a set, duplicates collapse"},
		{[]string{"SAMEORIGIN", "sameorigin"}, "SAMEORIGIN", false, "two fields combine into one list (Fetch get, decode, and split)"},
		{[]string{"DENY,SAMEORIGIN"}, "DENY", false, "HTML XFO step 4: conflicting known values block"},
		{[]string{"DENY", "SAMEORIGIN"}, "DENY", false, "HTML XFO step 4, across two fields"},
		{[]string{"ALLOWALL, DENY"}, "DENY", true, "HTML XFO step 4: allowall beside another value blocks"},
		{[]string{"DENY,"}, "DENY", true, "HTML XFO step 4: an empty member still makes the set larger than 1"},
		{[]string{`"DENY"`}, "", true, "get, decode, and split keeps a quoted string's quotes: an unknown value"},
		{[]string{`"DENY,SAMEORIGIN"`}, "", true, "a comma inside quotes does not split"},
		{[]string{"SAMEORİGIN"}, "", true, "ASCII lowercase only: U+0130 is not I"},
		{[]string{"ALLOWALL"}, "", true, "HTML XFO step 8: allowall allows framing"},
		{[]string{"ALLOW-FROM https://a.example"}, "", true, "HTML XFO step 8: allow-from is not supported"},
		{[]string{"foo, bar"}, "", true, "HTML XFO step 5: several unknown values allow framing"},
		{[]string{"deny;"}, "", true, "HTML XFO step 8: a value with extra characters is unknown"},
	} {
		got, invalid := frameOptions(tc.fields)
		if got != tc.want || invalid != tc.invalid {
			t.Errorf("%q (%s): got %q invalid=%v, want %q invalid=%v", tc.fields, tc.ref, got, invalid, tc.want, tc.invalid)
		}
	}
}
