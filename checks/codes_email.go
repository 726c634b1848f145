package checks

import "github.com/vouchdev/vouch/posture"

// Issue codes of the SPF tree findings of email.spf. They are API like
// those of codes.go.
const (
	// email.spf: evaluating the record and its includes takes more than
	// 10 DNS-querying terms (RFC 7208 §4.6.4): receivers return permerror.
	CodeSPFTooManyLookups posture.Code = "email.spf.too_many_lookups"
	// email.spf: more than 2 of the record's lookups answer NXDOMAIN or
	// no data (RFC 7208 §4.6.4): receivers return permerror.
	CodeSPFVoidLookups posture.Code = "email.spf.void_lookups"
	// email.spf: the record, or one it includes or redirects to, does
	// not parse (RFC 7208 §4.6, §12): receivers return permerror.
	CodeSPFSyntax posture.Code = "email.spf.syntax_error"
	// email.spf: an include or redirect target has no SPF record, or
	// several, or loops (RFC 7208 §5.2, §6.1): receivers return permerror.
	CodeSPFIncludeError posture.Code = "email.spf.include_error"
	// email.spf: check_host does not give pass for a sending address the
	// scope declares (scope.mail_senders): its mail fails SPF.
	CodeSPFSenderNotPermitted posture.Code = "email.spf.sender_not_permitted"
)

// CodesEmail returns the codes of this file, sorted; Codes() includes them.
func CodesEmail() []posture.Code {
	return []posture.Code{
		CodeCAAMissing, CodeCAANoIODEF, CodeCAANoIssue, CodeCAAUnexpectedIssuer,
		CodeDNSSECBadSignature, CodeDNSSECDSMismatch, CodeDNSSECNoDS, CodeDNSSECUnsigned,
		CodeDKIMKeyInsecure,
		CodeDMARCNoRUA, CodeDMARCNPWeak, CodeDMARCRUAUnauthorized, CodeDMARCSubdomainPolicyWeak,
		CodeMTASTSInvalid, CodeMTASTSMissing, CodeMTASTSModeNone, CodeMTASTSModeTesting, CodeMTASTSMXUnmatched,
		CodeMTASTSPolicyInvalid, CodeMTASTSPolicyMissing,
		CodeSPFIncludeError, CodeSPFSenderNotPermitted, CodeSPFSyntax, CodeSPFTooManyLookups, CodeSPFVoidLookups,
		CodeTLSRPTInvalid, CodeTLSRPTMissing,
	}
}

// Issue codes of email.mta_sts and email.tls_rpt.
const (
	// email.mta_sts: no v=STSv1 record at _mta-sts.<domain>.
	CodeMTASTSMissing posture.Code = "email.mta_sts.missing"
	// email.mta_sts: the record is there but unusable (syntax, no id,
	// several records).
	CodeMTASTSInvalid posture.Code = "email.mta_sts.invalid"
	// email.mta_sts: the TXT record announces a policy but none is served
	// (no mta-sts host, a status other than 200, a redirect, or a
	// certificate that does not validate; RFC 8461 §3.3).
	CodeMTASTSPolicyMissing posture.Code = "email.mta_sts.policy_missing"
	// email.mta_sts: the policy file does not parse (RFC 8461 §3.2).
	CodeMTASTSPolicyInvalid posture.Code = "email.mta_sts.policy_invalid"
	// email.mta_sts: the policy is in mode testing (senders report but
	// still deliver without TLS) where enforce was declared.
	CodeMTASTSModeTesting posture.Code = "email.mta_sts.mode_testing"
	// email.mta_sts: the policy is in mode none (MTA-STS switched off).
	CodeMTASTSModeNone posture.Code = "email.mta_sts.mode_none"
	// email.mta_sts: an MX host matches no mx pattern of the policy:
	// enforcing senders refuse to deliver to it (RFC 8461 §4.1).
	CodeMTASTSMXUnmatched posture.Code = "email.mta_sts.mx_unmatched"
	// email.tls_rpt: no v=TLSRPTv1 record at _smtp._tls.<domain>.
	CodeTLSRPTMissing posture.Code = "email.tls_rpt.missing"
	// email.tls_rpt: the record is there but unusable (syntax, no or bad
	// rua, several records).
	CodeTLSRPTInvalid posture.Code = "email.tls_rpt.invalid"
)

// Issue codes of email.dmarc and email.dkim beyond those of codes.go.
const (
	// email.dmarc: no rua= tag: nobody receives aggregate reports.
	CodeDMARCNoRUA posture.Code = "email.dmarc.no_rua"
	// email.dmarc: every rua= destination is outside the domain's
	// organisational domain and has not agreed to take its reports at
	// <domain>._report._dmarc.<destination> (RFC 7489 §7.1).
	CodeDMARCRUAUnauthorized posture.Code = "email.dmarc.rua_unauthorized"
	// email.dmarc: sp= is weaker than the declared policy.
	CodeDMARCSubdomainPolicyWeak posture.Code = "email.dmarc.subdomain_policy_weak"
	// email.dmarc: np= (RFC 9091) is weaker than the declared policy.
	CodeDMARCNPWeak posture.Code = "email.dmarc.np_weak"

	// email.dkim: an RSA key under 1024 bits: verifiers must not accept
	// its signatures (RFC 8301 §3.2).
	CodeDKIMKeyInsecure posture.Code = "email.dkim.key_insecure"
	// email.dkim: h= allows only sha1, which verifiers must not accept
	// (RFC 8301 §3.1), or only unknown algorithms.
)

// dmarcIgnoredIssues are the scanner's DMARC issues about a tag that
// receivers discard in favour of its default, keeping the record (RFC 7489
// §6.3; a bad np= falls back to sp=, RFC 9091 §4.1): email.dmarc notes
// them, and does not count them as gaps.
var dmarcIgnoredIssues = []posture.Code{
	posture.CodeDMARCADKIMInvalid, posture.CodeDMARCASPFInvalid, posture.CodeDMARCFOInvalid,
	posture.CodeDMARCRIInvalid, posture.CodeDMARCRUFInvalid, posture.CodeDMARCNPInvalid,
}

// Issue codes of dns.caa and dns.dnssec.
const (
	// dns.caa: no CAA record set at the domain or any ancestor: any CA
	// may issue (RFC 8659 §3).
	CodeCAAMissing posture.Code = "dns.caa.missing"
	// dns.caa: the relevant set has no issue property: it restricts no
	// issuance of non-wildcard certificates (RFC 8659 §4.2).
	CodeCAANoIssue posture.Code = "dns.caa.no_issue"
	// dns.caa: an issue or issuewild property allows a CA not among the
	// declared issuers.
	CodeCAAUnexpectedIssuer posture.Code = "dns.caa.unexpected_issuer"
	// dns.caa: no iodef property where one was declared.
	CodeCAANoIODEF posture.Code = "dns.caa.no_iodef"

	// dns.dnssec: the zone publishes no DNSKEY: it is not signed.
	CodeDNSSECUnsigned posture.Code = "dns.dnssec.unsigned"
	// dns.dnssec: the zone is signed but its parent publishes no DS
	// record for it: validating resolvers treat it as unsigned
	// (insecure, RFC 4035 §4.3).
	CodeDNSSECNoDS posture.Code = "dns.dnssec.no_ds"
	// dns.dnssec: the parent publishes DS records, but none matches a
	// DNSKEY of the zone that signs its DNSKEY set: the chain of trust is
	// broken and validating resolvers answer SERVFAIL (RFC 4035 §5.2).
	CodeDNSSECDSMismatch posture.Code = "dns.dnssec.ds_mismatch"
	// dns.dnssec: no RRSIG over the zone's DNSKEY set verifies with its
	// keys in its validity period: validating resolvers fail the zone.
	CodeDNSSECBadSignature posture.Code = "dns.dnssec.bad_signature"
)
