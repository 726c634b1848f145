package posture

// Issue codes dnsscan records in DNS observations (DKIM keys, DMARC,
// MTA-STS and TLS-RPT records and policies, CAA sets) and checks judge.
// They are API: never rename one (see Code).

// Issue codes a DKIM key record can carry.
const (
	CodeDKIMVInvalid      Code = "email.dkim.v_invalid"         // v= present but not DKIM1: verifiers discard the key
	CodeDKIMVNotFirst     Code = "email.dkim.v_not_first"       // v= present but not the first tag
	CodeDKIMSyntax        Code = "email.dkim.syntax"            // a part that is not tag=value, or a bad tag name
	CodeDKIMDuplicateTag  Code = "email.dkim.duplicate_tag"     // a tag given twice: the whole record is invalid (RFC 6376 §3.2)
	CodeDKIMKUnknown      Code = "email.dkim.k_unknown"         // k= neither rsa nor ed25519
	CodeDKIMPInvalid      Code = "email.dkim.p_invalid"         // p= is not base64 of a key of type k
	CodeDKIMKeyMismatch   Code = "email.dkim.key_type_mismatch" // p= holds a key of another type than k= says
	CodeDKIMEd25519NotRaw Code = "email.dkim.ed25519_not_raw"   // an Ed25519 key as SubjectPublicKeyInfo, not the raw 32 bytes RFC 8463 asks for
	CodeDKIMSHA1Only      Code = "email.dkim.sha1_only"         // h= allows sha1 alone: verifiers must not accept sha1 signatures (RFC 8301 §3.1)
	CodeDKIMHUnknown      Code = "email.dkim.h_unknown"         // h= lists no algorithm verifiers know
	CodeDKIMRevoked       Code = "email.dkim.revoked"           // empty p=: the key is revoked
	CodeDKIMTesting       Code = "email.dkim.testing"           // t=y: the domain is testing DKIM; verifiers may treat failures as unsigned
)

// Issue codes a DMARC record can carry. They are stable IDs: checks and
// baselines quote them.
const (
	CodeDMARCMultipleRecords Code = "email.dmarc.multiple_records" // more than one v=DMARC1 record: none applies (RFC 7489 §6.6.3)
	CodeDMARCVNotFirst       Code = "email.dmarc.v_not_first"      // v= is not the first tag: receivers discard the record
	CodeDMARCSyntax          Code = "email.dmarc.syntax"           // a part that is not tag=value, or a bad tag name
	CodeDMARCDuplicateTag    Code = "email.dmarc.duplicate_tag"    // a tag given twice (the first is kept)
	CodeDMARCPMissing        Code = "email.dmarc.p_missing"        // no p= tag
	CodeDMARCPInvalid        Code = "email.dmarc.p_invalid"        // p= not none, quarantine or reject
	CodeDMARCSPInvalid       Code = "email.dmarc.sp_invalid"       // sp= not none, quarantine or reject
	CodeDMARCNPInvalid       Code = "email.dmarc.np_invalid"       // np= not none, quarantine or reject (RFC 9091 §4.1)
	CodeDMARCPctInvalid      Code = "email.dmarc.pct_invalid"      // pct= not an integer 0..100
	CodeDMARCADKIMInvalid    Code = "email.dmarc.adkim_invalid"    // adkim= not r or s
	CodeDMARCASPFInvalid     Code = "email.dmarc.aspf_invalid"     // aspf= not r or s
	CodeDMARCFOInvalid       Code = "email.dmarc.fo_invalid"       // fo= not a ':'-list of 0, 1, d, s
	CodeDMARCRIInvalid       Code = "email.dmarc.ri_invalid"       // ri= not a 32-bit unsigned integer
	CodeDMARCRUAInvalid      Code = "email.dmarc.rua_invalid"      // an rua= entry that is not a URI
	CodeDMARCRUFInvalid      Code = "email.dmarc.ruf_invalid"      // an ruf= entry that is not a URI
)

// Issue codes of MTA-STS and TLS-RPT records, recorded by the scanner.
const (
	CodeMTASTSMultipleRecords Code = "email.mta_sts.multiple_records"
	CodeMTASTSSyntax          Code = "email.mta_sts.syntax"
	CodeMTASTSNoID            Code = "email.mta_sts.no_id"
	CodeTLSRPTMultipleRecords Code = "email.tls_rpt.multiple_records"
	CodeTLSRPTSyntax          Code = "email.tls_rpt.syntax"
	CodeTLSRPTNoRUA           Code = "email.tls_rpt.no_rua"
	CodeTLSRPTBadRUA          Code = "email.tls_rpt.bad_rua"
)

// Issue codes of the MTA-STS policy file (RFC 8461 §3.2, §3.3), recorded
// by the scanner in MTASTSPolicy.Issues.
const (
	CodeMTASTSPolicyVersion     Code = "email.mta_sts.policy_version"      // version missing or not STSv1
	CodeMTASTSPolicyMode        Code = "email.mta_sts.policy_mode"         // mode missing or not enforce, testing or none
	CodeMTASTSPolicyMaxAge      Code = "email.mta_sts.policy_max_age"      // max_age missing, not 1-10 digits, or above 31557600
	CodeMTASTSPolicyNoMX        Code = "email.mta_sts.policy_no_mx"        // no mx pattern in a testing or enforce policy
	CodeMTASTSPolicySyntax      Code = "email.mta_sts.policy_syntax"       // a line that is not "key: value", or a bad mx pattern
	CodeMTASTSPolicyDuplicate   Code = "email.mta_sts.policy_duplicate"    // version, mode or max_age given twice (the first is used)
	CodeMTASTSPolicyContentType Code = "email.mta_sts.policy_content_type" // the response is not text/plain
	CodeMTASTSPolicyHostMissing Code = "email.mta_sts.policy_host_missing" // mta-sts.<domain> has no address
	CodeMTASTSPolicyHTTPStatus  Code = "email.mta_sts.policy_http_status"  // the response is not 200 (3xx are not followed)
	CodeMTASTSPolicyTLS         Code = "email.mta_sts.policy_tls"          // the certificate of mta-sts.<domain> does not validate
	CodeMTASTSPolicyMXUnmatched Code = "email.mta_sts.policy_mx_unmatched" // an MX host no mx pattern matches
)

// Issue codes of CAA record sets, recorded by the scanner.
const (
	CodeCAAUnknownCritical Code = "dns.caa.unknown_critical_tag"
	CodeCAASyntax          Code = "dns.caa.syntax"
)
