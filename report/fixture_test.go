package report

import (
	"time"

	"github.com/vouchdev/vouch/posture"
)

// clock is the fixed time of every fixture.
var clock = time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)

// xss is declared and observed text that tries to become markup.
const xss = `<script>alert("pwned")</script>`

// fixture is a report with every verdict, a waiver, an expired waiver, an
// internal control, and hostile text (markup, pipes, Markdown, a terminal
// escape). Each call returns a fresh value.
func fixture() *posture.Report {
	app := "https://app.acme.example"
	api := "https://api.acme.example"
	legacy := "https://legacy.acme.example"
	mail := "acme.example"
	at := clock.Add(-20 * time.Minute)

	r := &posture.Report{
		SchemaVersion: posture.SchemaVersion,
		ScanID:        "20261123T090000Z-1a2b3c",
		Tool:          posture.Tool{Name: "vouch", Version: "0.3.0"},
		GeneratedAt:   clock,
		ScanStarted:   clock.Add(-30 * time.Minute),
		ScanFinished:  clock.Add(-10 * time.Minute),
		Organization:  posture.Organization{Name: "Acme | Corp <b>", Website: "https://acme.example"},
		Scope: []posture.Target{
			{Kind: posture.TargetWeb, Address: app},
			{Kind: posture.TargetWeb, Address: api},
			{Kind: posture.TargetWeb, Address: legacy},
			{Kind: posture.TargetMail, Address: mail},
		},
		Excluded: []posture.Exclusion{{Address: "https://old.acme.example", Reason: "decommissioned"}},
		Resolver: "127.0.0.1:53",
		Rules: []posture.Rule{
			{ID: "tls.min_version", Title: "Refuse protocol versions older than the minimum", Citation: "RFC 8996 §5", Severity: posture.SeverityHigh,
				Remediation: "Disable SSLv3, TLS 1.0 and TLS 1.1 on the server.", Mappings: []string{"SOC2:CC6.7", "ISO27001:A.8.24"}},
			{ID: "http.hsts", Title: "Send Strict-Transport-Security", Citation: "https://www.rfc-editor.org/rfc/rfc6797#section-6.1", Severity: posture.SeverityMedium,
				Remediation: "Send Strict-Transport-Security: max-age=31536000; includeSubDomains."},
			{ID: "dns.spf", Title: "Publish an SPF policy ending in -all", Citation: "RFC 7208 §4.6", Severity: posture.SeverityMedium,
				Remediation: "Publish one TXT record v=spf1 ... -all."},
			{ID: "dns.dmarc", Title: "Publish a DMARC policy of quarantine or reject", Citation: "RFC 7489 §6.3", Severity: posture.SeverityHigh,
				Remediation: "Publish _dmarc TXT v=DMARC1; p=reject."},
			{ID: "waf.present", Title: "Serve web traffic through a WAF", Citation: "PCI DSS 4.0 §6.4.2", Severity: posture.SeverityMedium,
				Remediation: "Put the origin behind a web application firewall | CDN."},
			{ID: "http.csp", Title: "Send a Content-Security-Policy", Citation: "W3C CSP Level 3", Severity: posture.SeverityLow,
				Remediation: "Send a restrictive Content-Security-Policy header."},
		},
		Controls: []posture.ControlResult{
			{
				Control: posture.Control{ID: "tls-modern", Section: "Encryption in transit", Visibility: posture.Public,
					Statement: "All traffic is encrypted with TLS 1.2 or higher; SSLv3, TLS 1.0 and 1.1 are disabled.",
					Verify:    &posture.Verify{Kind: "tls.min_version", Params: map[string]string{"min": "1.2"}},
					Mappings:  []string{"SOC2:CC6.7", "ISO27001:A.8.24"}},
				Verdict: posture.Contradicted, Severity: posture.SeverityHigh,
				Findings: []posture.Finding{
					{ControlID: "tls-modern", RuleID: "tls.min_version", Target: app, Verdict: posture.Contradicted, Severity: posture.SeverityHigh,
						Code: "tls.protocol.tls10_enabled", Expected: "TLSv1.2 or higher only", Observed: "TLSv1.0 and TLSv1.1 offered",
						Message: "the server accepts TLS 1.0", Remediation: "Disable SSLv3, TLS 1.0 and TLS 1.1 on the server.",
						Evidence: []string{"tls-app-handshake", "tls-app-chain"}, ObservedAt: at,
						WaiverExpired: &posture.Waiver{Control: "tls-modern", Target: app, Reason: "until the load balancer upgrade", Approver: "Sam Ops", Expires: clock.AddDate(0, -1, 0)}},
					{ControlID: "tls-modern", RuleID: "tls.min_version", Target: api, Verdict: posture.Verified, Severity: posture.SeverityHigh,
						Expected: "TLSv1.2 or higher only", Observed: "TLSv1.2, TLSv1.3", Evidence: []string{"tls-api-handshake"}, ObservedAt: at},
				},
			},
			{
				Control: posture.Control{ID: "hsts", Section: "Encryption in transit", Visibility: posture.Public,
					Statement: "Browsers are told to use HTTPS only (HSTS, one year).",
					Verify:    &posture.Verify{Kind: "http.hsts"}, Mappings: []string{"SOC2:CC6.7", "CIS:3.10"}},
				Verdict: posture.Waived, Severity: posture.SeverityMedium,
				Findings: []posture.Finding{
					{ControlID: "hsts", RuleID: "http.hsts", Target: app, Verdict: posture.Verified, Severity: posture.SeverityMedium,
						Expected: "max-age ≥ 31536000", Observed: "max-age=63072000; includeSubDomains", ObservedAt: at},
					{ControlID: "hsts", RuleID: "http.hsts", Target: legacy, Verdict: posture.Waived, Severity: posture.SeverityMedium,
						Code: "http.hsts.missing", Expected: "max-age ≥ 31536000", Observed: "no Strict-Transport-Security header",
						Evidence: []string{"http-legacy-head"}, ObservedAt: at,
						Waiver: &posture.Waiver{Control: "hsts", Target: legacy, Reason: "legacy app retires in Q1", Approver: "Dana Lee (CISO)", Expires: time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)}},
				},
			},
			{
				Control: posture.Control{ID: "spf", Section: "Email security", Visibility: posture.Public,
					Statement: "Only our mail servers may send mail as acme.example (SPF -all).",
					Verify:    &posture.Verify{Kind: "dns.spf"}},
				Verdict: posture.Inconclusive, Severity: posture.SeverityMedium,
				Findings: []posture.Finding{
					{ControlID: "spf", RuleID: "dns.spf", Target: mail, Verdict: posture.Inconclusive, Severity: posture.SeverityMedium,
						Code: "dns.lookup_failed", Expected: "v=spf1 ... -all",
						Reason: &posture.Missing{Reason: posture.ReasonTimeout, Detail: "no answer from 127.0.0.1:53 in 5s"}, ObservedAt: at},
				},
			},
			{
				Control: posture.Control{ID: "dmarc", Section: "Email security", Visibility: posture.Public,
					Statement: "Mail that fails authentication is rejected (DMARC p=reject).",
					Verify:    &posture.Verify{Kind: "dns.dmarc"}, Mappings: []string{"SOC2:CC6.1", "CIS:9.5"}},
				Verdict: posture.Verified, VerifiedAt: at,
				Findings: []posture.Finding{
					{ControlID: "dmarc", RuleID: "dns.dmarc", Target: mail, Verdict: posture.Verified, Severity: posture.SeverityHigh,
						Expected: "p=quarantine or p=reject", Observed: "v=DMARC1; p=reject; rua=mailto:dmarc@acme.example",
						Evidence: []string{"dns-dmarc"}, ObservedAt: at},
				},
			},
			{
				Control: posture.Control{ID: "at-rest", Section: "Encryption at rest", Visibility: posture.Public,
					Statement: "Customer data is encrypted at rest with AES-256.",
					Attested:  &posture.Attestation{By: "CTO", Reviewed: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Evidence: "docs/kms-config.pdf"}},
				Verdict: posture.Attested,
			},
			{
				Control: posture.Control{ID: "waf", Section: "Network security", Visibility: posture.Public,
					Statement: "Production traffic passes through a WAF " + xss + " | *all* of it_",
					Verify:    &posture.Verify{Kind: "waf.present"}, Mappings: []string{"CIS:13.10", "SOC2:CC6.6"}},
				Verdict: posture.Contradicted, Severity: posture.SeverityMedium,
				Findings: []posture.Finding{
					{ControlID: "waf", RuleID: "waf.present", Target: app, Verdict: posture.Contradicted, Severity: posture.SeverityMedium,
						Code: "waf.absent", Expected: "a WAF blocks | filters attacks",
						Observed:    "Server: evil " + xss + " | [link](javascript:alert(1)) \x1b[2J\u202egnp.exe",
						Remediation: "Put the origin behind a web application firewall | CDN.", Evidence: []string{"waf/app:443 probe#1"}, ObservedAt: at},
				},
			},
			{
				Control: posture.Control{ID: "csp-admin", Section: "Network security", Visibility: posture.Internal,
					Statement: "The admin console sends a Content-Security-Policy.",
					Verify:    &posture.Verify{Kind: "http.csp"}, Mappings: []string{"CIS:16.1"}},
				Verdict: posture.Contradicted, Severity: posture.SeverityLow,
				Findings: []posture.Finding{
					{ControlID: "csp-admin", RuleID: "http.csp", Target: api, Verdict: posture.Contradicted, Severity: posture.SeverityLow,
						Code: "http.csp.missing", Expected: "a Content-Security-Policy header", Observed: "no Content-Security-Policy header",
						ObservedAt: at}, // no remediation: writers show the rule's
				},
			},
			{
				Control: posture.Control{ID: "security-txt", Section: "Vulnerability disclosure", Visibility: posture.Public,
					Statement: "We publish /.well-known/security.txt on every web property.",
					Verify:    &posture.Verify{Kind: "http.security_txt"}},
				Verdict: posture.NotApplicable,
			},
		},
	}
	r.Summarize()
	return r
}

// snapshotFixture is the snapshot behind fixture(), with evidence of every
// kind and ids that are not safe file names.
func snapshotFixture() *posture.Snapshot {
	at := clock.Add(-20 * time.Minute)
	app := posture.Target{Kind: posture.TargetWeb, Address: "https://app.acme.example"}
	mail := posture.Target{Kind: posture.TargetMail, Address: "acme.example"}
	return &posture.Snapshot{
		SchemaVersion: posture.SchemaVersion,
		ID:            "20261123T090000Z-1a2b3c",
		Tool:          posture.Tool{Name: "vouch", Version: "0.3.0"},
		StartedAt:     clock.Add(-30 * time.Minute),
		FinishedAt:    clock.Add(-10 * time.Minute),
		Resolver:      "127.0.0.1:53",
		Scope:         []posture.Target{app, mail},
		TLS: []posture.TLSObservation{{
			Observation: posture.Observation{Target: app, Scanner: "tls", Source: "127.0.0.1:8443", ObservedAt: at, Evidence: []posture.Evidence{
				{ID: "tls-app-chain", Kind: posture.EvidencePEM, Data: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},
				{ID: "tls-app-handshake", Kind: posture.EvidenceTLSHandshake, Data: `{"version":"TLSv1.0"}`},
			}},
			Endpoint: "app.acme.example:443",
		}},
		HTTP: []posture.HTTPObservation{{
			Observation: posture.Observation{Target: app, Scanner: "http", ObservedAt: at, Evidence: []posture.Evidence{
				{ID: "http-legacy-head", Kind: posture.EvidenceHTTP, Data: "HTTP/1.1 200 OK\r\nServer: x\r\n\r\n"},
			}},
			StartURL: "http://app.acme.example/",
		}},
		DNS: []posture.DNSObservation{{
			Observation: posture.Observation{Target: mail, Scanner: "dns", Source: "127.0.0.1:53", ObservedAt: at, Evidence: []posture.Evidence{
				{ID: "dns-dmarc", Kind: posture.EvidenceDNS, Data: "_dmarc.acme.example. 300 IN TXT \"v=DMARC1; p=reject\"\n"},
			}},
			Domain: "acme.example", Resolver: "127.0.0.1:53",
		}},
		WAF: []posture.WAFObservation{{
			Observation: posture.Observation{Target: app, Scanner: "waf", ObservedAt: at, Evidence: []posture.Evidence{
				{ID: "waf/app:443 probe#1", Kind: posture.EvidenceText, Data: "GET /?q=<script> -> 200"},
				{ID: "../../etc/passwd", Kind: "unknown-kind", Data: "path traversal attempt"},
				{ID: "DNS-DMARC", Kind: posture.EvidenceDNS, Data: "same name as dns-dmarc but for case"},
			}},
			URL: "https://app.acme.example",
		}},
	}
}
