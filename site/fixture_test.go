package site

import (
	"time"

	"github.com/vouchdev/vouch/posture"
)

var (
	fixtureNow     = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	fixtureStarted = time.Date(2026, 11, 23, 9, 29, 0, 0, time.UTC)
	fixtureDone    = time.Date(2026, 11, 23, 9, 31, 0, 0, time.UTC)
)

// Strings that belong to findings and waivers only: none may reach any
// public file.
var internalOnly = []string{
	"TLSv1.3 negotiated",
	"max-age=300",
	"legacy.acme.example",
	"Jane Approver",
	"legacy app pending migration",
	"dmarc-timeout-detail",
	"10.0.0.7",
	"docs/kms-config.pdf",
	"internal-admin-ip-allowlist",
	"Admin panel reachable only from office IPs",
	"waf-hidden",
	"Production traffic passes through a WAF",
}

// fixtureReport covers every verdict, both contradiction policies, an
// internal control, hostile declared text, a javascript: logo and a bad
// brand colour.
func fixtureReport() *posture.Report {
	cet := time.FixedZone("CET", 3600)
	r := &posture.Report{
		SchemaVersion: posture.SchemaVersion,
		ScanID:        "20261123T092900Z-1a2b3c",
		Tool:          posture.Tool{Name: "vouch", Version: "v0.1.0"},
		GeneratedAt:   fixtureDone,
		ScanStarted:   fixtureStarted,
		ScanFinished:  fixtureDone,
		Organization: posture.Organization{
			Name:            "Acme & Co <Security>",
			Website:         "https://acme.example",
			SecurityContact: "mailto:security@acme.example",
			Logo:            "javascript:alert(1)",
			Color:           "red;background:url(x)",
			Description:     `We build "things" <b>safely</b>.`,
		},
		Scope: []posture.Target{{Kind: posture.TargetWeb, Address: "https://app.acme.example"}},
		Rules: []posture.Rule{
			{ID: "waf.present", Title: "Serve production traffic through a WAF", Citation: "OWASP ASVS 14.5"},
			{ID: "tls.min_version", Title: "Refuse TLS versions below the minimum", Citation: "RFC 8996"},
			{ID: "http.hsts", Title: "Send HSTS with a long max-age", Citation: "RFC 6797 §6.1"},
			{ID: "email.dmarc", Title: "Publish a DMARC policy", Citation: "RFC 7489 §6.3"},
		},
	}
	add := func(c posture.ControlResult) {
		if c.Control.Visibility == "" {
			c.Control.Visibility = posture.Public
		}
		r.Controls = append(r.Controls, c)
	}
	add(posture.ControlResult{
		Control: posture.Control{ID: "tls-modern", Section: "Encryption in transit",
			Statement: "All traffic is encrypted with TLS 1.2 or higher.",
			Verify:    &posture.Verify{Kind: "tls.min_version", Params: map[string]string{"min": "1.2"}}},
		Verdict:    posture.Verified,
		VerifiedAt: time.Date(2026, 11, 23, 10, 30, 12, 0, cet), // 09:30 UTC
		Findings: []posture.Finding{{ControlID: "tls-modern", RuleID: "tls.min_version", Target: "https://app.acme.example",
			Verdict: posture.Verified, Observed: "TLSv1.3 negotiated", Evidence: []string{"ev-10.0.0.7"}}},
	})
	add(posture.ControlResult{
		Control: posture.Control{ID: "hsts", Section: "Encryption in transit",
			Statement: "Browsers are told to use HTTPS only (HSTS, one year).",
			Verify:    &posture.Verify{Kind: "http.hsts"}},
		Verdict: posture.Contradicted, Severity: posture.SeverityHigh,
		Findings: []posture.Finding{{ControlID: "hsts", RuleID: "http.hsts", Target: "https://legacy.acme.example",
			Verdict: posture.Contradicted, Observed: "max-age=300", Expected: "max-age>=31536000"}},
	})
	add(posture.ControlResult{
		Control: posture.Control{ID: "at-rest", Section: "Encryption at rest",
			Statement: "Customer data is encrypted at rest with AES-256.",
			Attested:  &posture.Attestation{By: "CTO", Reviewed: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Evidence: "docs/kms-config.pdf"}},
		Verdict: posture.Attested,
	})
	add(posture.ControlResult{
		Control: posture.Control{ID: "waf-hidden", Section: "Network security",
			Statement: "Production traffic passes through a WAF.", OnContradiction: posture.HideControl,
			Verify: &posture.Verify{Kind: "waf.present"}},
		Verdict: posture.Contradicted,
	})
	add(posture.ControlResult{
		Control: posture.Control{ID: "waf-review", Section: "Network security",
			Statement: "The API is behind a web application firewall.", OnContradiction: posture.ShowUnderReview,
			Verify: &posture.Verify{Kind: "waf.present"}},
		Verdict: posture.Contradicted,
	})
	add(posture.ControlResult{
		Control: posture.Control{ID: "internal-admin-ip-allowlist", Section: "Network security",
			Statement: "Admin panel reachable only from office IPs.", Visibility: posture.Internal,
			Verify: &posture.Verify{Kind: "waf.present"}},
		Verdict: posture.Verified, VerifiedAt: fixtureDone,
	})
	add(posture.ControlResult{
		Control: posture.Control{ID: "dmarc", Section: "Email security",
			Statement: "Mail from our domain is protected by DMARC with p=reject.",
			Verify:    &posture.Verify{Kind: "email.dmarc"}},
		Verdict: posture.Inconclusive,
		Findings: []posture.Finding{{ControlID: "dmarc", RuleID: "email.dmarc", Target: "acme.example",
			Verdict: posture.Inconclusive, Reason: &posture.Missing{Reason: posture.ReasonTimeout, Detail: "dmarc-timeout-detail"}}},
	})
	add(posture.ControlResult{
		Control: posture.Control{ID: "cookies", Section: "Encryption in transit",
			Statement: "Session cookies are Secure and HttpOnly.",
			Verify:    &posture.Verify{Kind: "http.cookies"}},
		Verdict: posture.Waived,
		Findings: []posture.Finding{{ControlID: "cookies", Verdict: posture.Waived,
			Waiver: &posture.Waiver{Control: "cookies", Reason: "legacy app pending migration", Approver: "Jane Approver", Expires: fixtureNow.AddDate(0, 2, 0)}}},
	})
	add(posture.ControlResult{
		Control: posture.Control{ID: "mta-sts", Section: "Email security",
			Statement: "Inbound mail is delivered over TLS only (MTA-STS enforce).",
			Verify:    &posture.Verify{Kind: "email.mta_sts"}},
		Verdict: posture.Verified, VerifiedAt: time.Date(2026, 11, 23, 9, 30, 59, 0, time.UTC),
	})
	add(posture.ControlResult{
		Control: posture.Control{ID: "caa", Section: "Email security",
			Statement: "Only our CA may issue certificates for our names.",
			Verify:    &posture.Verify{Kind: "dns.caa"}},
		Verdict: posture.NotApplicable,
	})
	add(posture.ControlResult{
		Control: posture.Control{ID: "xss", Section: `<img src=x onerror=alert(1)> & "quotes"`,
			Statement: `<script>alert(1)</script>`,
			Attested:  &posture.Attestation{By: `"><script>alert(2)</script>`, Reviewed: time.Date(2026, 9, 30, 23, 0, 0, 0, time.FixedZone("", -3600))}},
		Verdict: posture.Attested,
	})
	r.Summarize()
	return r
}
