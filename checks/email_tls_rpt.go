package checks

import "github.com/vouchdev/vouch/posture"

// email.tls_rpt: the mail domain asks sending servers for reports on
// their TLS connections to it, with one valid TXT record at
// _smtp._tls.<domain> (RFC 8460 §3: "v=TLSRPTv1; rua=mailto:...").
// Without it, failures of MTA-STS or DANE go unseen.

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "email.tls_rpt",
			Title:       "Ask for SMTP TLS reports",
			Description: "The mail domain publishes exactly one valid TLS-RPT record (v=TLSRPTv1 with at least one mailto: or https: rua) at _smtp._tls.<domain>.",
			Citation:    "RFC 8460 §3 (TLS-RPT record)",
			Severity:    posture.SeverityLow,
			Remediation: "Publish one TXT record 'v=TLSRPTv1; rua=mailto:tls-reports@<domain>' at _smtp._tls.<domain> and read the reports.",
			Mappings:    []string{"SOC2:CC7.2", "ISO27001:A.8.16"},
			Needs:       needDNSMail,
			Claim:       "we receive SMTP TLS reports (TLS-RPT)",
		},
		Run: runTLSRPT,
	})
}

func runTLSRPT(in Input) []posture.Finding {
	const expected = "one valid v=TLSRPTv1 record with a rua at _smtp._tls.<domain>"
	var out []posture.Finding
	for _, o := range in.Snapshot.DNS {
		var v txtPolicyView
		if r := o.TLSRPT; r != nil {
			v = txtPolicyView{true, r.Lookup, r.Records, r.Valid, r.Issues}
		}
		out = append(out, judgeTXTPolicy(o, "TLS-RPT", "_smtp._tls."+o.Domain, expected, v, CodeTLSRPTMissing, CodeTLSRPTInvalid))
	}
	return out
}
