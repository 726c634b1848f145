package checks

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/posture"
)

const (
	appURL    = "https://app.acme.example"
	legacyURL = "https://legacy.acme.example"
)

func verifyCtl(id, kind string, params map[string]string) posture.Control {
	return posture.Control{ID: id, Section: "Test", Statement: "claim " + id, Visibility: posture.Public,
		Verify: &posture.Verify{Kind: kind, Params: params}}
}

// sample is a scan of two web targets and one mail domain: app is in good
// shape, legacy accepts TLS 1.0 and sends a one-day HSTS, the mail domain
// has p=none.
func sample() *posture.Snapshot {
	app := tlsObs(modern)
	app.Target = web(appURL)
	legacy := tlsObs(with(modern, posture.TLSv1_0, posture.Yes))
	legacy.Target, legacy.Source, legacy.Endpoint = web(legacyURL), "192.0.2.20:443", "legacy.acme.example:443"
	legacy.ObservedAt = t0.Add(time.Minute)
	legacy.Evidence = []posture.Evidence{{ID: "tls-2", Kind: posture.EvidenceText, Data: "raw"}}

	hApp := hstsObs(hsts(31536000, true, false))
	hLegacy := hstsObs(hsts(86400, false, false))
	hLegacy.Target = web(legacyURL)
	hLegacy.ObservedAt = t0.Add(2 * time.Minute)

	return &posture.Snapshot{
		SchemaVersion: posture.SchemaVersion,
		ID:            "20261123T093000Z-abcdef",
		Tool:          posture.Tool{Name: "vouch", Version: "scan"},
		StartedAt:     t0.Add(-time.Minute),
		FinishedAt:    t0.Add(3 * time.Minute),
		Resolver:      "127.0.0.1:53",
		Scope:         []posture.Target{web(appURL), web(legacyURL), mail("acme.example")},
		TLS:           []posture.TLSObservation{app, legacy},
		HTTP:          []posture.HTTPObservation{hApp, hLegacy},
		DNS:           []posture.DNSObservation{dmarcObs("v=DMARC1; p=none", posture.DMARC{Valid: true, Policy: "none", Percent: 100})},
	}
}

func sampleDecl() posture.Declaration {
	return posture.Declaration{
		Version:      "1",
		Organization: posture.Organization{Name: "Acme"},
		Scope:        posture.Scope{Web: []string{appURL, legacyURL}, Mail: []string{"acme.example"}},
		Controls: []posture.Control{
			verifyCtl("tls-modern", "tls.min_version", map[string]string{"min": "1.2"}),
			{ID: "at-rest", Section: "Encryption at rest", Statement: "AES-256", Attested: &posture.Attestation{By: "CTO", Reviewed: t0.AddDate(0, -1, 0)}},
			verifyCtl("hsts", "http.hsts", nil),
			verifyCtl("dmarc", "email.dmarc", nil),
			verifyCtl("waf", "waf.present", nil),
		},
	}
}

func evaluate(decl posture.Declaration, snap *posture.Snapshot) posture.Report {
	return Evaluate(decl, snap, Options{Now: t0.Add(time.Hour), Tool: posture.Tool{Name: "vouch", Version: "test"}})
}

func result(t *testing.T, r posture.Report, id string) posture.ControlResult {
	t.Helper()
	for _, c := range r.Controls {
		if c.Control.ID == id {
			return c
		}
	}
	t.Fatalf("checks: no result for control %s", id)
	return posture.ControlResult{}
}

func TestEvaluateReport(t *testing.T) {
	snap := sample()
	r := evaluate(sampleDecl(), snap)
	if r.SchemaVersion != posture.SchemaVersion || r.ScanID != snap.ID || r.Tool.Version != "test" ||
		!r.GeneratedAt.Equal(t0.Add(time.Hour)) || !r.ScanStarted.Equal(snap.StartedAt) || !r.ScanFinished.Equal(snap.FinishedAt) ||
		r.Organization.Name != "Acme" || len(r.Scope) != 3 || r.Resolver != "127.0.0.1:53" {
		t.Errorf("checks: report header wrong: %+v", r)
	}
	var order []string
	for _, c := range r.Controls {
		order = append(order, c.Control.ID)
	}
	if strings.Join(order, ",") != "tls-modern,at-rest,hsts,dmarc,waf" {
		t.Errorf("checks: controls not in declaration order: %v", order)
	}
	want := map[string]posture.Verdict{
		"tls-modern": posture.Contradicted, "at-rest": posture.Attested, "hsts": posture.Contradicted,
		"dmarc": posture.Contradicted, "waf": posture.NotApplicable,
	}
	for id, v := range want {
		if got := result(t, r, id).Verdict; got != v {
			t.Errorf("checks: control %s verdict %s, want %s", id, got, v)
		}
	}
	if r.Summary[posture.Contradicted] != 3 || r.Summary[posture.Attested] != 1 || r.Summary[posture.NotApplicable] != 1 {
		t.Errorf("checks: summary %v", r.Summary)
	}
	var ruleIDs []string
	for _, x := range r.Rules {
		ruleIDs = append(ruleIDs, x.ID)
	}
	if strings.Join(ruleIDs, ",") != "email.dmarc,http.hsts,tls.min_version,waf.present" {
		t.Errorf("checks: rules %v, want the used ones sorted", ruleIDs)
	}

	tlsRes := result(t, r, "tls-modern")
	if len(tlsRes.Findings) != 2 {
		t.Fatalf("checks: tls findings %+v", tlsRes.Findings)
	}
	// Sorted by target: app (verified) then legacy (tls10).
	a, l := tlsRes.Findings[0], tlsRes.Findings[1]
	if a.Target != appURL || a.Verdict != posture.Verified || l.Target != legacyURL || l.Code != CodeTLS10Enabled {
		t.Errorf("checks: tls findings %+v", tlsRes.Findings)
	}
	for _, f := range tlsRes.Findings {
		if f.ControlID != "tls-modern" || f.RuleID != "tls.min_version" || f.Severity != posture.SeverityHigh || f.Remediation == "" {
			t.Errorf("checks: engine did not fill the finding: %+v", f)
		}
	}
	if !tlsRes.VerifiedAt.IsZero() {
		t.Errorf("checks: VerifiedAt set on a contradicted control")
	}
	if tlsRes.Severity != posture.SeverityHigh {
		t.Errorf("checks: severity %s", tlsRes.Severity)
	}
	at := result(t, r, "at-rest")
	if len(at.Findings) != 0 || !at.VerifiedAt.IsZero() {
		t.Errorf("checks: attested control has findings or VerifiedAt: %+v", at)
	}
	waf := result(t, r, "waf")
	if len(waf.Findings) != 0 || waf.Severity != posture.SeverityMedium {
		t.Errorf("checks: not-applicable control: %+v", waf)
	}
}

func TestEvaluateTargetsAndVerifiedAt(t *testing.T) {
	decl := sampleDecl()
	c := verifyCtl("tls-app", "tls.min_version", nil)
	c.Targets = []string{appURL + "/"} // trailing slash and case do not matter
	decl.Controls = []posture.Control{c}
	snap := sample()
	snap.TLS[0].ObservedAt = t0.Add(5 * time.Minute)
	second := snap.TLS[0]
	second.Source, second.ObservedAt = "192.0.2.11:443", t0.Add(7*time.Minute)
	snap.TLS = append(snap.TLS, second)
	r := evaluate(decl, snap)
	res := result(t, r, "tls-app")
	if res.Verdict != posture.Verified || len(res.Findings) != 2 {
		t.Fatalf("checks: control limited to app: %s with %d findings", res.Verdict, len(res.Findings))
	}
	if !res.VerifiedAt.Equal(t0.Add(7 * time.Minute)) {
		t.Errorf("checks: VerifiedAt %v, want the newest observation", res.VerifiedAt)
	}

	c.Targets = []string{"https://nowhere.acme.example"}
	decl.Controls = []posture.Control{c}
	if v := result(t, evaluate(decl, sample()), "tls-app").Verdict; v != posture.NotApplicable {
		t.Errorf("checks: control limited to an unscanned target: %s, want not_applicable", v)
	}
}

func TestEvaluateUnknownKind(t *testing.T) {
	decl := sampleDecl()
	decl.Controls = []posture.Control{verifyCtl("x", "tls.min_verison", nil)}
	res := result(t, evaluate(decl, sample()), "x")
	if res.Verdict != posture.Inconclusive || len(res.Findings) != 1 {
		t.Fatalf("checks: unknown kind gave %+v", res)
	}
	f := res.Findings[0]
	if f.Code != CodeKindUnknown || !strings.Contains(f.Message, `unknown verify kind "tls.min_verison"`) || f.Reason == nil {
		t.Errorf("checks: unknown-kind finding %+v", f)
	}
}

func TestEvaluateUnknownParam(t *testing.T) {
	decl := sampleDecl()
	decl.Controls = []posture.Control{verifyCtl("x", "tls.min_version", map[string]string{"minimum": "1.3"})}
	res := result(t, evaluate(decl, sample()), "x")
	if res.Verdict != posture.Inconclusive || len(res.Findings) != 1 || res.Findings[0].Code != CodeParamUnknown {
		t.Fatalf("checks: unknown parameter gave %+v", res)
	}
	decl.Controls = []posture.Control{verifyCtl("x", "tls.min_version", map[string]string{"min": "9"})}
	res = result(t, evaluate(decl, sample()), "x")
	if res.Verdict != posture.Inconclusive || len(res.Findings) != 1 || res.Findings[0].Code != CodeParamInvalid || res.Findings[0].RuleID != "tls.min_version" {
		t.Fatalf("checks: invalid parameter gave %+v", res)
	}
}

func TestEvaluateNoMethod(t *testing.T) {
	decl := sampleDecl()
	decl.Controls = []posture.Control{{ID: "x", Statement: "nothing"}}
	res := result(t, evaluate(decl, sample()), "x")
	if res.Verdict != posture.Inconclusive || res.Findings[0].Code != CodeNoMethod {
		t.Fatalf("checks: control without method gave %+v", res)
	}
}

func TestEvaluatePanicRecovery(t *testing.T) {
	registerForTest(t, Check{
		Rule: posture.Rule{ID: "test.panics", Title: "t", Citation: "RFC 0", Severity: posture.SeverityLow, Remediation: "r", Needs: needTLSWeb},
		Run: func(in Input) []posture.Finding {
			var m map[string]int
			m["boom"]++ // a real runtime panic
			return nil
		},
	})
	decl := sampleDecl()
	decl.Controls = append([]posture.Control{verifyCtl("broken", "test.panics", nil)}, decl.Controls...)
	r := evaluate(decl, sample())
	res := result(t, r, "broken")
	if res.Verdict != posture.Inconclusive || len(res.Findings) != 1 {
		t.Fatalf("checks: panicking check gave %+v", res)
	}
	f := res.Findings[0]
	if f.Code != CodePanicked || f.Reason == nil || f.Reason.Reason != posture.ReasonError || !strings.HasPrefix(f.Reason.Detail, "check panicked: ") {
		t.Errorf("checks: panic finding %+v", f)
	}
	// The other controls were still judged.
	if v := result(t, r, "tls-modern").Verdict; v != posture.Contradicted {
		t.Errorf("checks: a panic in one check changed another: %s", v)
	}
}

func TestEvaluateBadVerdict(t *testing.T) {
	registerForTest(t, Check{
		Rule: posture.Rule{ID: "test.claims_waived", Title: "t", Citation: "RFC 0", Severity: posture.SeverityLow, Remediation: "r", Needs: needTLSWeb},
		Run: func(in Input) []posture.Finding {
			return []posture.Finding{{Target: appURL, Verdict: posture.Waived}, {Target: legacyURL, Verdict: posture.Attested}}
		},
	})
	decl := sampleDecl()
	decl.Controls = []posture.Control{verifyCtl("bad", "test.claims_waived", nil)}
	res := result(t, evaluate(decl, sample()), "bad")
	if res.Verdict != posture.Inconclusive {
		t.Fatalf("checks: a check claiming waived/attested gave %s", res.Verdict)
	}
	for _, f := range res.Findings {
		if f.Verdict != posture.Inconclusive || f.Code != CodeBadVerdict {
			t.Errorf("checks: %+v", f)
		}
	}
}

func TestEvaluateWaivers(t *testing.T) {
	now := t0.Add(time.Hour)
	tests := []struct {
		name        string
		waiver      posture.Waiver
		wantVerdict posture.Verdict // of the legacy finding
		wantExpired bool
		wantControl posture.Verdict
	}{
		{"applies", posture.Waiver{Control: "tls-modern", Target: legacyURL, Reason: "migrating", Approver: "CISO", Expires: now.AddDate(0, 1, 0)},
			posture.Waived, false, posture.Waived},
		{"applies to every target", posture.Waiver{Control: "tls-modern", Reason: "migrating", Approver: "CISO", Expires: now.AddDate(0, 1, 0)},
			posture.Waived, false, posture.Waived},
		{"expired", posture.Waiver{Control: "tls-modern", Target: legacyURL, Reason: "migrating", Approver: "CISO", Expires: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)},
			posture.Contradicted, true, posture.Contradicted},
		{"expires exactly now", posture.Waiver{Control: "tls-modern", Target: legacyURL, Approver: "CISO", Expires: now},
			posture.Contradicted, true, posture.Contradicted},
		{"another target", posture.Waiver{Control: "tls-modern", Target: appURL, Approver: "CISO", Expires: now.AddDate(0, 1, 0)},
			posture.Contradicted, false, posture.Contradicted},
		{"another control", posture.Waiver{Control: "hsts", Target: legacyURL, Approver: "CISO", Expires: now.AddDate(0, 1, 0)},
			posture.Contradicted, false, posture.Contradicted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			decl := sampleDecl()
			decl.Waivers = []posture.Waiver{tt.waiver}
			res := result(t, evaluate(decl, sample()), "tls-modern")
			if res.Verdict != tt.wantControl {
				t.Errorf("checks: control verdict %s, want %s", res.Verdict, tt.wantControl)
			}
			app, legacy := res.Findings[0], res.Findings[1]
			if app.Verdict != posture.Verified || app.Waiver != nil || app.WaiverExpired != nil {
				t.Errorf("checks: a waiver touched a verified finding: %+v", app)
			}
			if legacy.Verdict != tt.wantVerdict {
				t.Fatalf("checks: legacy finding %s, want %s (%s)", legacy.Verdict, tt.wantVerdict, legacy.Message)
			}
			if tt.wantVerdict == posture.Waived && (legacy.Waiver == nil || legacy.Waiver.Approver != "CISO" || legacy.Code != CodeTLS10Enabled) {
				t.Errorf("checks: waived finding %+v", legacy)
			}
			if (legacy.WaiverExpired != nil) != tt.wantExpired {
				t.Errorf("checks: WaiverExpired %v, want %v", legacy.WaiverExpired, tt.wantExpired)
			}
			if tt.wantExpired {
				date := tt.waiver.Expires.Format(time.DateOnly)
				if !strings.Contains(legacy.Message, "waiver by CISO expired on "+date) || legacy.Waiver != nil {
					t.Errorf("checks: expired waiver message %q", legacy.Message)
				}
			}
		})
	}
}

// A waiver never turns an inconclusive finding into a waived one.
func TestWaiverLeavesInconclusive(t *testing.T) {
	snap := sample()
	snap.TLS[1].Missing = miss(posture.ReasonTimeout)
	decl := sampleDecl()
	decl.Waivers = []posture.Waiver{{Control: "tls-modern", Approver: "CISO", Expires: t0.AddDate(1, 0, 0)}}
	res := result(t, evaluate(decl, snap), "tls-modern")
	if res.Verdict != posture.Inconclusive || res.Findings[1].Waiver != nil {
		t.Errorf("checks: %s, %+v", res.Verdict, res.Findings[1])
	}
}

func TestEvaluateSeverity(t *testing.T) {
	for _, tt := range []struct {
		control, want posture.Severity
	}{
		{"", posture.SeverityHigh},
		{posture.SeverityCritical, posture.SeverityCritical},
		{posture.SeverityLow, posture.SeverityLow}, // lowered too: the control's word replaces the default
		{posture.SeverityInfo, posture.SeverityInfo},
	} {
		decl := sampleDecl()
		decl.Controls[0].Severity = tt.control
		res := result(t, evaluate(decl, sample()), "tls-modern")
		if res.Severity != tt.want {
			t.Errorf("checks: control severity %q: result %s, want %s", tt.control, res.Severity, tt.want)
		}
		for _, f := range res.Findings {
			if f.Severity != tt.want {
				t.Errorf("checks: control severity %q: finding %s, want %s", tt.control, f.Severity, tt.want)
			}
		}
	}
}

func TestEvaluateMappings(t *testing.T) {
	decl := sampleDecl()
	decl.Controls[0].Mappings = []string{"SOC2:CC6.7", "PCI:4.2.1", " ", "ISO27001:A.8.24"}
	res := result(t, evaluate(decl, sample()), "tls-modern")
	want := []string{"CIS:3.10", "ISO27001:A.8.24", "PCI:4.2.1", "SOC2:CC6.7"}
	for _, f := range res.Findings {
		if !slices.Equal(f.Mappings, want) {
			t.Errorf("checks: mappings %v, want %v", f.Mappings, want)
		}
	}
}

func TestEvaluateNilSnapshotAndZeroNow(t *testing.T) {
	r := Evaluate(sampleDecl(), nil, Options{})
	if v := result(t, r, "tls-modern").Verdict; v != posture.NotApplicable {
		t.Errorf("checks: nil snapshot: %s", v)
	}
	// With no Now, certificates are judged at the snapshot's end.
	snap := sample()
	snap.TLS = snap.TLS[:1]
	snap.TLS[0] = certObs(func(c *posture.Certificate) { c.NotAfter = t0.AddDate(0, 0, 20) })
	snap.FinishedAt = t0.AddDate(0, 0, 10)
	decl := sampleDecl()
	decl.Controls = []posture.Control{verifyCtl("cert", "tls.certificate_valid", nil)}
	res := result(t, Evaluate(decl, snap, Options{}), "cert")
	if res.Verdict != posture.Contradicted || res.Findings[0].Code != CodeCertExpiring {
		t.Errorf("checks: zero Now: %s %+v", res.Verdict, res.Findings)
	}
}

// The same inputs give byte-identical reports, whatever the order the
// scanners finished in, and Evaluate does not change its inputs.
func TestEvaluateDeterministic(t *testing.T) {
	decl := sampleDecl()
	decl.Waivers = []posture.Waiver{{Control: "hsts", Target: legacyURL, Approver: "CISO", Expires: t0.AddDate(0, 0, -1)}}
	snap := sample()
	before, _ := json.Marshal(snap)
	a, _ := json.Marshal(evaluate(decl, snap))
	b, _ := json.Marshal(evaluate(decl, snap))
	if !bytes.Equal(a, b) {
		t.Fatal("checks: two evaluations differ")
	}
	after, _ := json.Marshal(snap)
	if !bytes.Equal(before, after) {
		t.Fatal("checks: Evaluate changed the snapshot")
	}
	shuffled := sample()
	slices.Reverse(shuffled.TLS)
	slices.Reverse(shuffled.HTTP)
	c, _ := json.Marshal(evaluate(decl, shuffled))
	if !bytes.Equal(a, c) {
		t.Fatalf("checks: observation order changed the report:\n%s\n%s", a, c)
	}
	var back posture.Report
	if err := json.Unmarshal(a, &back); err != nil {
		t.Fatalf("checks: report does not read back: %v", err)
	}
}
