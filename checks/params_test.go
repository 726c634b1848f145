package checks

import (
	"strings"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

// Every parameter problem of a control is reported at once, each naming
// its parameter; the messages say what was wanted.
func TestValidateParams(t *testing.T) {
	tests := []struct {
		kind   string
		params map[string]string
		bad    []string // the parameters named, in order; "" for the kind
		want   string   // in the first message
	}{
		{"tls.min_version", nil, nil, ""},
		{"tls.min_version", map[string]string{"min": "TLSv1.3"}, nil, ""},
		{"tls.min_version", map[string]string{"min": "1.4"}, []string{"min"}, `"1.0", "1.1", "1.2" or "1.3"`},
		{"tls.min_version", map[string]string{"min": "1.5"}, []string{"min"}, "not a TLS version"},
		{"tls.min_version", map[string]string{"minimum": "1.2"}, []string{"minimum"}, "unknown parameter"},
		{"tls.certificate_valid", map[string]string{"min_days": "30"}, nil, ""},
		{"tls.certificate_valid", map[string]string{"min_days": "-1"}, []string{"min_days"}, "out of range"},
		{"tls.certificate_valid", map[string]string{"min_days": "soon"}, []string{"min_days"}, "not an integer"},
		{"http.https_redirect", nil, nil, ""},
		{"http.https_redirect", map[string]string{"min": "1"}, []string{"min"}, "unknown parameter"},
		{"http.hsts", map[string]string{"min_max_age": "63072000", "include_subdomains": "true", "preload": "false"}, nil, ""},
		{"http.hsts", map[string]string{"include_subdomains": "maybe", "preload": "perhaps"}, []string{"include_subdomains", "preload"}, "not a boolean"},
		{"http.hsts", map[string]string{"min_max_age": "-5"}, []string{"min_max_age"}, "out of range"},
		{"http.hsts", map[string]string{"max_age": "31536000"}, []string{"max_age"}, "unknown parameter"},
		{"email.dmarc", map[string]string{"min_policy": "reject", "pct": "50"}, nil, ""},
		{"email.dmarc", map[string]string{"min_policy": "REJECT"}, nil, ""},
		{"email.dmarc", map[string]string{"min_policy": "block"}, []string{"min_policy"}, `"none", "quarantine" or "reject"`},
		{"email.dmarc", map[string]string{"pct": "101", "min_polcy": "reject"}, []string{"pct", "min_polcy"}, "out of range"},
		{"email.spf", map[string]string{"all": "~"}, nil, ""},
		{"email.spf", map[string]string{"all": "softfail"}, nil, ""},
		{"email.spf", map[string]string{"all": "x"}, []string{"all"}, "not one of"},
		{"email.dkim", map[string]string{"min_bits": "1024"}, nil, ""},
		{"email.dkim", map[string]string{"min_bits": "20000"}, []string{"min_bits"}, "from 0 to 16384"},
		{"email.dkim", map[string]string{"min_bits": "lots"}, []string{"min_bits"}, "not an integer"},
		{"waf.present", map[string]string{"vendor": "cloudflare"}, nil, ""},
		{"waf.present", map[string]string{"vendor": "Cloudfare"}, []string{"vendor"}, "not one of"},
		{"waf.present", map[string]string{"brand": "Cloudflare"}, []string{"brand"}, "unknown parameter"},
		{"http.security_headers", map[string]string{"require": "csp,hsts"}, []string{"require"}, `item "hsts"`},
		{"http.security_headers", map[string]string{"require": " , "}, []string{"require"}, "empty list"},
		{"nuclei", nil, []string{"template"}, "required"},
		{"nuclei", map[string]string{"template": "t.yaml", "expect": "maybe"}, []string{"expect"}, "not one of"},
		{"tls.certificate_signature", map[string]string{"algorithm": "SHA256-RSA, sha1"}, []string{"algorithm"}, "weak"},
		{"tls.min_version", map[string]string{"min": ""}, []string{"min"}, "empty"},
		{"no.such_kind", nil, []string{""}, "unknown verify kind"},
	}
	for _, tt := range tests {
		errs := ValidateParams(tt.kind, tt.params)
		var got []string
		for _, e := range errs {
			got = append(got, e.Param)
		}
		if strings.Join(got, "|") != strings.Join(tt.bad, "|") {
			t.Errorf("checks: ValidateParams(%s, %v) named %q, want %q (%v)", tt.kind, tt.params, got, tt.bad, errs)
			continue
		}
		if len(errs) > 0 && !strings.Contains(errs[0].Msg, tt.want) {
			t.Errorf("checks: ValidateParams(%s, %v): %q does not say %q", tt.kind, tt.params, errs[0].Msg, tt.want)
		}
	}
}

// Checks read typed values with defaults filled in.
func TestArgs(t *testing.T) {
	c, _ := Lookup("email.dmarc")
	a, errs := parseArgs(c.Rule, map[string]string{"min_policy": "Reject"}, nil)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if a.String("min_policy") != "reject" || a.Int("pct") != 100 || !a.Bool("require_rua") {
		t.Errorf("checks: args %+v", a.vals)
	}
	c, _ = Lookup("dns.caa")
	a, _ = parseArgs(c.Rule, map[string]string{"issuers": "letsencrypt.org, pki.goog,,letsencrypt.org"}, nil)
	if got := a.List("issuers"); strings.Join(got, "|") != "letsencrypt.org|pki.goog" {
		t.Errorf("checks: list %q", got)
	}
	if a2, _ := parseArgs(c.Rule, nil, nil); a2.Has("issuers") || a2.List("issuers") != nil {
		t.Errorf("checks: absent list without default has a value")
	}
	for name, read := range map[string]func(){
		"undeclared": func() { a.Bool("nope") },
		"wrong type": func() { a.Int("require_iodef") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("checks: reading a parameter %s did not panic", name)
				}
			}()
			read()
		}()
	}
}

// A snapshot judged offline against a declaration with a bad parameter
// (config refuses it at load) still never passes: the control is
// inconclusive and nothing is looked at.
func TestParamFailureIsInconclusive(t *testing.T) {
	snap := &posture.Snapshot{TLS: []posture.TLSObservation{tlsObs(modern)}}
	for params, code := range map[string]posture.Code{"1.4": CodeParamInvalid, "": CodeParamUnknown} {
		p := map[string]string{"min": params}
		if params == "" {
			p = map[string]string{"minimum": "1.2"}
		}
		decl := posture.Declaration{Controls: []posture.Control{{ID: "c", Verify: &posture.Verify{Kind: "tls.min_version", Params: p}}}}
		rep := Evaluate(decl, snap, Options{Now: t0})
		res := rep.Controls[0]
		if res.Verdict != posture.Inconclusive || len(res.Findings) != 1 || res.Findings[0].Code != code || res.Findings[0].Reason == nil {
			t.Errorf("checks: bad params %v gave %+v", p, res)
		}
	}
}

// Every check runs with its defaults over an empty snapshot: every
// parameter it reads is declared with the type it reads it as.
func TestChecksReadDeclaredParams(t *testing.T) {
	for _, c := range All() {
		raw := requiredParams(c.Rule)
		decl := posture.Declaration{Controls: []posture.Control{{ID: "c", Verify: &posture.Verify{Kind: c.Rule.ID, Params: raw}}}}
		snap := sampleFull()
		rep := Evaluate(decl, snap, Options{Now: t0})
		for _, f := range rep.Controls[0].Findings {
			if f.Code == CodePanicked || f.Code == CodeParamInvalid || f.Code == CodeParamUnknown {
				t.Errorf("checks: %s with defaults: %s", c.Rule.ID, f.Message)
			}
		}
	}
}

// sampleFull is sample with a WAF observation: every kind observed.
func sampleFull() *posture.Snapshot {
	s := sample()
	w := wafObs(posture.Yes, "Cloudflare", true)
	w.Target = web(appURL)
	s.WAF = []posture.WAFObservation{w}
	return s
}
