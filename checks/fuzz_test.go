package checks

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/vouchdev/vouch/posture"
)

// FuzzServerText feeds server-sent text (DNS records, header values, a WAF
// vendor name) through every check: no check may panic, and the report
// keeps its invariants whatever the text says.
func FuzzServerText(f *testing.F) {
	f.Add("v=DMARC1; p=reject; pct=50", "reject", 50, "v=spf1 mx -all", "-", "max-age=31536000; includeSubDomains", "Cloudflare (Cloudflare Inc.)")
	f.Add("v=DMARC1; p=none", "none", 100, "v=spf1 redirect=_spf.example", "", "max-age=0", "")
	f.Add("v=DMARC1;;;pct", "QUARANTINE", 0, "v=spf1 +all", "+", "", "ModSecurity")
	f.Add("\xff\xfe", "\x00", -1, "redirect=", "~all", "\"", "é")
	f.Add("v=DMARC1; p=reject\x1b[2J", "reject", 100, "v=spf1 \x1b]0;pwned\x07 -all", "-", "max-age=1\r\nSet-Cookie: x", "\x1b[31mEvil")
	f.Fuzz(func(t *testing.T, dmarc, policy string, pct int, spf, all, hstsRaw, vendor string) {
		snap := sample()
		snap.DNS[0] = dmarcObs(dmarc, posture.DMARC{Valid: true, Policy: policy, Percent: pct})
		spfO := spfObs(all, spf)
		snap.DNS[0].SPF = spfO.SPF
		snap.DNS[0].DKIM = []posture.DKIMKey{dkimKey(vendor, posture.Yes, policy, pct)}
		snap.HTTP[0].HSTS = &posture.HSTS{Raw: hstsRaw, Valid: true, MaxAge: int64(pct), Issues: []posture.Code{posture.Code(vendor)}}
		snap.WAF = []posture.WAFObservation{wafObs(posture.Yes, vendor, true)}
		decl := declareAll()
		decl.Controls = append(decl.Controls, verifyCtl("waf-vendor", "waf.present", map[string]string{"vendor": policy}))
		r := evaluate(decl, snap)
		checkReport(t, r, decl)
		for _, c := range r.Controls {
			for _, fd := range c.Findings {
				if fd.Code == CodePanicked {
					t.Fatalf("checks: %s panicked: %s", c.Control.ID, fd.Message)
				}
				for _, text := range []string{fd.Observed, fd.Message} {
					if !utf8.ValidString(text) || strings.ContainsFunc(text, unicode.IsControl) || len(text) > maxText+200 {
						t.Fatalf("checks: %s: unsafe text %q", c.Control.ID, text)
					}
				}
			}
		}
	})
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"plain":           "plain",
		"a\x1b[31mb":      "a?[31mb",
		"line\r\nbreak":   "line??break",
		"bad\xffutf8":     "bad\uFFFDutf8",
		"c1\u009bcontrol": "c1?control",
		"sep\u2028line":   "sep?line",
	} {
		if got := clean(in); got != want {
			t.Errorf("checks: clean(%q) = %q, want %q", in, got, want)
		}
	}
	long := clean(strings.Repeat("é", maxText))
	if len(long) > maxText+len("…") || !utf8.ValidString(long) {
		t.Errorf("checks: clean did not bound a long text: %d bytes", len(long))
	}
}

// FuzzEffectiveHeaderPolicies feeds server-sent Referrer-Policy and COOP
// values through the browsers' parsing rules: no panic, and the result is
// always a policy the spec defines (or "" for the Referrer-Policy default).
func FuzzEffectiveHeaderPolicies(f *testing.F) {
	for _, s := range []string{"no-referrer", "whimsy, strict-origin", "same-origin; report-to=\"a,b\"", "same-origin;x=:AQ==:;y=?1;n=-1.5", "same-origin;x=\"open", "strİct-origin", ";=", "a;b=-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if rp := EffectiveReferrerPolicy(v); rp != "" && !slices.Contains(referrerPolicies, rp) {
			t.Fatalf("EffectiveReferrerPolicy(%q) = %q", v, rp)
		}
		switch c := EffectiveCOOP(v); c {
		case "same-origin", "same-origin-allow-popups", "noopener-allow-popups", "unsafe-none":
		default:
			t.Fatalf("EffectiveCOOP(%q) = %q", v, c)
		}
	})
}
