package checks

import (
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/posture"
)

func TestParams(t *testing.T) {
	p := Params{"s": "  x ", "blank": " ", "n": "42", "bad": "4x", "b": "Yes", "off": "off", "d": "14d", "h": "36h", "neg": "-3"}
	if got := p.String("s", "d"); got != "x" {
		t.Errorf("checks: String(s) = %q", got)
	}
	if got := p.String("blank", "d"); got != "d" {
		t.Errorf("checks: String(blank) = %q, want the default", got)
	}
	if got := p.String("absent", "d"); got != "d" {
		t.Errorf("checks: String(absent) = %q", got)
	}
	if n, err := p.Int("n", 1); n != 42 || err != nil {
		t.Errorf("checks: Int(n) = %d, %v", n, err)
	}
	if n, err := p.Int("neg", 1); n != -3 || err != nil {
		t.Errorf("checks: Int(neg) = %d, %v", n, err)
	}
	if n, err := p.Int("absent", 7); n != 7 || err != nil {
		t.Errorf("checks: Int(absent) = %d, %v", n, err)
	}
	if _, err := p.Int("bad", 7); err == nil || !strings.Contains(err.Error(), "bad") {
		t.Errorf("checks: Int(bad) error %v", err)
	}
	if b, err := p.Bool("b", false); !b || err != nil {
		t.Errorf("checks: Bool(b) = %v, %v", b, err)
	}
	if b, err := p.Bool("off", true); b || err != nil {
		t.Errorf("checks: Bool(off) = %v, %v", b, err)
	}
	if b, err := p.Bool("absent", true); !b || err != nil {
		t.Errorf("checks: Bool(absent) = %v, %v", b, err)
	}
	if _, err := p.Bool("n", false); err == nil {
		t.Errorf("checks: Bool(42) accepted")
	}
	if d, err := p.Duration("d", 0); d != 14*24*time.Hour || err != nil {
		t.Errorf("checks: Duration(14d) = %v, %v", d, err)
	}
	if d, err := p.Duration("h", 0); d != 36*time.Hour || err != nil {
		t.Errorf("checks: Duration(36h) = %v, %v", d, err)
	}
	if d, err := p.Duration("absent", time.Minute); d != time.Minute || err != nil {
		t.Errorf("checks: Duration(absent) = %v, %v", d, err)
	}
	if _, err := p.Duration("bad", 0); err == nil {
		t.Errorf("checks: Duration(4x) accepted")
	}
	var nilParams Params
	if got := nilParams.String("x", "d"); got != "d" {
		t.Errorf("checks: nil Params String = %q", got)
	}
}

func TestValidateParams(t *testing.T) {
	tests := []struct {
		kind   string
		params map[string]string
		ok     bool
	}{
		{"tls.min_version", nil, true},
		{"tls.min_version", map[string]string{"min": "TLSv1.3"}, true},
		{"tls.min_version", map[string]string{"min": "1.4"}, false},
		{"tls.min_version", map[string]string{"minimum": "1.2"}, false}, // typo
		{"tls.certificate_valid", map[string]string{"min_days": "30"}, true},
		{"tls.certificate_valid", map[string]string{"min_days": "-1"}, false},
		{"tls.certificate_valid", map[string]string{"min_days": "soon"}, false},
		{"http.https_redirect", nil, true},
		{"http.https_redirect", map[string]string{"min": "1"}, false},
		{"http.hsts", map[string]string{"min_max_age": "63072000", "include_subdomains": "true", "preload": "false"}, true},
		{"http.hsts", map[string]string{"include_subdomains": "maybe"}, false},
		{"http.hsts", map[string]string{"preload": "perhaps"}, false},
		{"http.hsts", map[string]string{"min_max_age": "-5"}, false},
		{"email.dmarc", map[string]string{"min_policy": "reject", "pct": "50"}, true},
		{"email.dmarc", map[string]string{"min_policy": "block"}, false},
		{"email.dmarc", map[string]string{"pct": "101"}, false},
		{"email.spf", map[string]string{"all": "~"}, true},
		{"email.spf", map[string]string{"all": "softfail"}, true},
		{"email.spf", map[string]string{"all": "x"}, false},
		{"email.dkim", map[string]string{"min_bits": "1024"}, true},
		{"email.dkim", map[string]string{"min_bits": "lots"}, false},
		{"waf.present", map[string]string{"vendor": "Cloudflare"}, true},
		{"waf.present", map[string]string{"brand": "Cloudflare"}, false},
		{"no.such_kind", nil, false},
	}
	for _, tt := range tests {
		err := ValidateParams(tt.kind, tt.params)
		if (err == nil) != tt.ok {
			t.Errorf("checks: ValidateParams(%s, %v) = %v, want ok=%v", tt.kind, tt.params, err, tt.ok)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "checks: ") {
			t.Errorf("checks: error without package prefix: %v", err)
		}
	}
}

// A check given a bad parameter returns one inconclusive finding and looks
// at nothing, whatever the snapshot holds.
func TestParamFailureIsInconclusive(t *testing.T) {
	snap := &posture.Snapshot{TLS: []posture.TLSObservation{tlsObs(modern)}}
	c, _ := Lookup("tls.min_version")
	fs := c.Run(Input{Params: Params{"min": "1.4"}, Snapshot: snap, Now: t0})
	if len(fs) != 1 || fs[0].Verdict != posture.Inconclusive || fs[0].Code != CodeParamInvalid || fs[0].Reason == nil {
		t.Fatalf("checks: bad min gave %+v", fs)
	}
}
