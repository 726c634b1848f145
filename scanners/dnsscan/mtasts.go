package dnsscan

import (
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// MTASTSRecord is a parsed MTA-STS TXT record (RFC 8461 §3.1):
//
//	sts-text-record = sts-version 1*(sts-sep sts-field) [sts-sep]
//	sts-version     = %s"v=STSv1"
//	sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
//	sts-ext-name    = (ALPHA / DIGIT) 0*31(ALPHA / DIGIT / "_" / "-" / ".")
//	sts-ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)
type MTASTSRecord struct {
	ID     string
	Issues []posture.Code
}

// Valid reports whether the record can be used.
func (r MTASTSRecord) Valid() bool { return len(r.Issues) == 0 }

// ParseMTASTS parses an MTA-STS TXT record. The version tag must come
// first and is case-sensitive.
func ParseMTASTS(record string) MTASTSRecord {
	var r MTASTSRecord
	syntax := func() { r.Issues = appendOnce(r.Issues, posture.CodeMTASTSSyntax) }
	if !eachSTSTag(record, "v=STSv1", validSTSValue, syntax, func(name, value string) {
		if name == "id" {
			if len(value) > 32 || !isAlnum(value) {
				syntax()
				return
			}
			r.ID = value
		}
	}) {
		return r
	}
	if r.ID == "" {
		r.Issues = appendOnce(r.Issues, posture.CodeMTASTSNoID)
	}
	return r
}

// eachSTSTag walks a record of the shape MTA-STS (RFC 8461 §3.1) and
// TLS-RPT (RFC 8460 §3) share: the version tag first, then name=value
// pairs separated by ";" with one trailing ";" allowed. It calls tag for
// each well-formed pair that is the first of its name, in order, and
// malformed for each empty, badly named, badly valued or repeated pair.
// When the version tag is wrong it calls malformed once and returns false.
func eachSTSTag(record, version string, valueOK func(string) bool, malformed func(), tag func(name, value string)) bool {
	parts := strings.Split(record, ";")
	if trimWSP(parts[0]) != version {
		malformed()
		return false
	}
	seen := map[string]bool{}
	for i, p := range parts[1:] {
		p = trimWSP(p)
		if p == "" {
			if i < len(parts)-2 {
				malformed()
			}
			continue
		}
		name, value, ok := strings.Cut(p, "=")
		if !ok || !validSTSName(name) || !valueOK(value) || seen[name] {
			malformed()
			continue
		}
		seen[name] = true
		tag(name, value)
	}
	return true
}

func validSTSName(s string) bool {
	if s == "" || len(s) > 32 || !isAlpha(s[0]) && !isDigit(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !isDigit(c) && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func validSTSValue(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == ';' || c == '=' {
			return false
		}
	}
	return true
}

func isAlnum(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlpha(s[i]) && !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func appendOnce[T comparable](list []T, s T) []T {
	if containsString(list, s) {
		return list
	}
	return append(list, s)
}

// mtaSTS reads the lookup of _mta-sts.<domain>.
func mtaSTS(lk posture.Lookup) *posture.MTASTS {
	m := &posture.MTASTS{Lookup: lk}
	for _, v := range lk.Values {
		if strings.HasPrefix(v, "v=STSv1") {
			m.Records = append(m.Records, v)
		}
	}
	switch len(m.Records) {
	case 0:
	case 1:
		r := ParseMTASTS(m.Records[0])
		m.Valid, m.ID, m.Issues = r.Valid(), r.ID, r.Issues
	default:
		m.Issues = []posture.Code{posture.CodeMTASTSMultipleRecords}
	}
	return m
}

// TLSRPTRecord is a parsed TLS-RPT record (RFC 8460 §3):
//
//	tlsrpt-record = tlsrpt-version 1*(field-delim tlsrpt-field) [field-delim]
//	tlsrpt-version = %s"v=TLSRPTv1"
//	tlsrpt-rua     = %s"rua=" tlsrpt-uri *("," tlsrpt-uri)
type TLSRPTRecord struct {
	RUA    []string
	Issues []posture.Code
}

// Valid reports whether the record can be used.
func (r TLSRPTRecord) Valid() bool { return len(r.Issues) == 0 }

// ParseTLSRPT parses a TLS-RPT record.
func ParseTLSRPT(record string) TLSRPTRecord {
	var r TLSRPTRecord
	syntax := func() { r.Issues = appendOnce(r.Issues, posture.CodeTLSRPTSyntax) }
	nonEmpty := func(v string) bool { return v != "" }
	if !eachSTSTag(record, "v=TLSRPTv1", nonEmpty, syntax, func(name, value string) {
		if name != "rua" {
			return
		}
		for u := range strings.SplitSeq(value, ",") {
			u = trimWSP(u)
			lower := strings.ToLower(u)
			if strings.HasPrefix(lower, "mailto:") && len(u) > len("mailto:") && strings.Contains(u, "@") ||
				strings.HasPrefix(lower, "https://") && len(u) > len("https://") {
				r.RUA = append(r.RUA, u)
			} else {
				r.Issues = appendOnce(r.Issues, posture.CodeTLSRPTBadRUA)
			}
		}
	}) {
		return r
	}
	if len(r.RUA) == 0 {
		r.Issues = appendOnce(r.Issues, posture.CodeTLSRPTNoRUA)
	}
	return r
}

// tlsRPT reads the lookup of _smtp._tls.<domain>.
func tlsRPT(lk posture.Lookup) *posture.TLSRPT {
	t := &posture.TLSRPT{Lookup: lk}
	for _, v := range lk.Values {
		if strings.HasPrefix(v, "v=TLSRPTv1") {
			t.Records = append(t.Records, v)
		}
	}
	switch len(t.Records) {
	case 0:
	case 1:
		r := ParseTLSRPT(t.Records[0])
		t.Valid, t.RUA, t.Issues = r.Valid(), r.RUA, r.Issues
	default:
		t.Issues = []posture.Code{posture.CodeTLSRPTMultipleRecords}
	}
	return t
}
