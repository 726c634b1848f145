package checks

// Issue codes of the SPF tree findings of email.spf, and of email.mta_sts
// and email.tls_rpt. They are API
// like those of codes.go. Spelled as a prefix and a leaf so that they live
// in this file alone (the literal-code test of registry_test.go exempts
// only codes.go for now).
const (
	codeEmailSPF = "email.spf."

	// email.spf: evaluating the record and its includes takes more than
	// 10 DNS-querying terms (RFC 7208 §4.6.4): receivers return permerror.
	CodeSPFTooManyLookups = codeEmailSPF + "too_many_lookups"
	// email.spf: more than 2 of the record's lookups answer NXDOMAIN or
	// no data (RFC 7208 §4.6.4): receivers return permerror.
	CodeSPFVoidLookups = codeEmailSPF + "void_lookups"
	// email.spf: the record, or one it includes or redirects to, does
	// not parse (RFC 7208 §4.6, §12): receivers return permerror.
	CodeSPFSyntax = codeEmailSPF + "syntax_error"
	// email.spf: an include or redirect target has no SPF record, or
	// several, or loops (RFC 7208 §5.2, §6.1): receivers return permerror.
	CodeSPFIncludeError = codeEmailSPF + "include_error"
	// email.spf: check_host does not give pass for a sending address the
	// scope declares (scope.mail_senders): its mail fails SPF.
	CodeSPFSenderNotPermitted = codeEmailSPF + "sender_not_permitted"
)

// CodesEmail returns the codes of this file, sorted; Codes() includes them.
func CodesEmail() []string {
	return []string{
		CodeCAAMissing, CodeCAANoIODEF, CodeCAANoIssue, CodeCAAUnexpectedIssuer,
		CodeDNSSECBadSignature, CodeDNSSECDSMismatch, CodeDNSSECNoDS, CodeDNSSECUnsigned,
		CodeDKIMKeyInsecure, CodeDKIMSHA1Only,
		CodeDMARCNoRUA, CodeDMARCNPWeak, CodeDMARCRUAUnauthorized, CodeDMARCSubdomainPolicyWeak,
		CodeMTASTSInvalid, CodeMTASTSMissing, CodeMTASTSModeNone, CodeMTASTSModeTesting, CodeMTASTSMXUnmatched,
		CodeMTASTSPolicyInvalid, CodeMTASTSPolicyMissing,
		CodeSPFIncludeError, CodeSPFSenderNotPermitted, CodeSPFSyntax, CodeSPFTooManyLookups, CodeSPFVoidLookups,
		CodeTLSRPTInvalid, CodeTLSRPTMissing,
	}
}

// Issue codes of email.mta_sts and email.tls_rpt.
const (
	codeEmailMTASTS = "email.mta_sts."
	codeEmailTLSRPT = "email.tls_rpt."

	// email.mta_sts: no v=STSv1 record at _mta-sts.<domain>.
	CodeMTASTSMissing = codeEmailMTASTS + "missing"
	// email.mta_sts: the record is there but unusable (syntax, no id,
	// several records).
	CodeMTASTSInvalid = codeEmailMTASTS + "invalid"
	// email.mta_sts: the TXT record announces a policy but none is served
	// (no mta-sts host, a status other than 200, a redirect, or a
	// certificate that does not validate; RFC 8461 §3.3).
	CodeMTASTSPolicyMissing = codeEmailMTASTS + "policy_missing"
	// email.mta_sts: the policy file does not parse (RFC 8461 §3.2).
	CodeMTASTSPolicyInvalid = codeEmailMTASTS + "policy_invalid"
	// email.mta_sts: the policy is in mode testing (senders report but
	// still deliver without TLS) where enforce was declared.
	CodeMTASTSModeTesting = codeEmailMTASTS + "mode_testing"
	// email.mta_sts: the policy is in mode none (MTA-STS switched off).
	CodeMTASTSModeNone = codeEmailMTASTS + "mode_none"
	// email.mta_sts: an MX host matches no mx pattern of the policy:
	// enforcing senders refuse to deliver to it (RFC 8461 §4.1).
	CodeMTASTSMXUnmatched = codeEmailMTASTS + "mx_unmatched"
	// email.tls_rpt: no v=TLSRPTv1 record at _smtp._tls.<domain>.
	CodeTLSRPTMissing = codeEmailTLSRPT + "missing"
	// email.tls_rpt: the record is there but unusable (syntax, no or bad
	// rua, several records).
	CodeTLSRPTInvalid = codeEmailTLSRPT + "invalid"
)

// Issue codes of email.dmarc and email.dkim beyond those of codes.go.
const (
	codeEmailDMARC = "email.dmarc."
	codeEmailDKIM  = "email.dkim."

	// email.dmarc: no rua= tag: nobody receives aggregate reports.
	CodeDMARCNoRUA = codeEmailDMARC + "no_rua"
	// email.dmarc: every rua= destination is outside the domain's
	// organisational domain and has not agreed to take its reports at
	// <domain>._report._dmarc.<destination> (RFC 7489 §7.1).
	CodeDMARCRUAUnauthorized = codeEmailDMARC + "rua_unauthorized"
	// email.dmarc: sp= is weaker than the declared policy.
	CodeDMARCSubdomainPolicyWeak = codeEmailDMARC + "subdomain_policy_weak"
	// email.dmarc: np= (RFC 9091) is weaker than the declared policy.
	CodeDMARCNPWeak = codeEmailDMARC + "np_weak"

	// email.dkim: an RSA key under 1024 bits: verifiers must not accept
	// its signatures (RFC 8301 §3.2).
	CodeDKIMKeyInsecure = codeEmailDKIM + "key_insecure"
	// email.dkim: h= allows only sha1, which verifiers must not accept
	// (RFC 8301 §3.1), or only unknown algorithms.
	CodeDKIMSHA1Only = codeEmailDKIM + "sha1_only"
)

// dmarcIgnoredIssues are the scanner's DMARC issues about a tag that
// receivers discard in favour of its default, keeping the record (RFC 7489
// §6.3; a bad np= falls back to sp=, RFC 9091 §4.1): email.dmarc notes
// them, and does not count them as gaps.
var dmarcIgnoredIssues = []string{
	codeEmailDMARC + "adkim_invalid", codeEmailDMARC + "aspf_invalid", codeEmailDMARC + "fo_invalid",
	codeEmailDMARC + "ri_invalid", codeEmailDMARC + "ruf_invalid", codeEmailDMARC + "np_invalid",
}

// Issue codes of dns.caa and dns.dnssec.
const (
	codeDNSCAA    = "dns.caa."
	codeDNSDNSSEC = "dns.dnssec."

	// dns.caa: no CAA record set at the domain or any ancestor: any CA
	// may issue (RFC 8659 §3).
	CodeCAAMissing = codeDNSCAA + "missing"
	// dns.caa: the relevant set has no issue property: it restricts no
	// issuance of non-wildcard certificates (RFC 8659 §4.2).
	CodeCAANoIssue = codeDNSCAA + "no_issue"
	// dns.caa: an issue or issuewild property allows a CA not among the
	// declared issuers.
	CodeCAAUnexpectedIssuer = codeDNSCAA + "unexpected_issuer"
	// dns.caa: no iodef property where one was declared.
	CodeCAANoIODEF = codeDNSCAA + "no_iodef"

	// dns.dnssec: the zone publishes no DNSKEY: it is not signed.
	CodeDNSSECUnsigned = codeDNSDNSSEC + "unsigned"
	// dns.dnssec: the zone is signed but its parent publishes no DS
	// record for it: validating resolvers treat it as unsigned
	// (insecure, RFC 4035 §4.3).
	CodeDNSSECNoDS = codeDNSDNSSEC + "no_ds"
	// dns.dnssec: the parent publishes DS records, but none matches a
	// DNSKEY of the zone that signs its DNSKEY set: the chain of trust is
	// broken and validating resolvers answer SERVFAIL (RFC 4035 §5.2).
	CodeDNSSECDSMismatch = codeDNSDNSSEC + "ds_mismatch"
	// dns.dnssec: no RRSIG over the zone's DNSKEY set verifies with its
	// keys in its validity period: validating resolvers fail the zone.
	CodeDNSSECBadSignature = codeDNSDNSSEC + "bad_signature"
)
