package dnsscan

import (
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// isSPFRecord reports whether a TXT value is an SPF record: "v=spf1" in any
// case, followed by a space or the end (RFC 7208 §4.5).
func isSPFRecord(v string) bool {
	const prefix = "v=spf1"
	if len(v) < len(prefix) || !strings.EqualFold(v[:len(prefix)], prefix) {
		return false
	}
	return len(v) == len(prefix) || v[len(prefix)] == ' '
}

// spfPolicy picks the SPF records out of the TXT lookup at the domain.
// All is set only when exactly one record exists (with two or more, SPF
// evaluation ends in permerror, RFC 7208 §4.5).
func spfPolicy(lk posture.Lookup) *posture.TXTPolicy {
	p := &posture.TXTPolicy{Lookup: lk}
	for _, v := range lk.Values {
		if isSPFRecord(v) {
			p.Records = append(p.Records, v)
		}
	}
	if len(p.Records) == 1 {
		p.All = spfAll(p.Records[0])
	}
	return p
}

// spfAll returns the qualifier of the record's "all" mechanism ("+" when
// unqualified), or "" when it has none. Evaluation stops at "all" and
// ignores every term after it (RFC 7208 §5.1), so the first "all" is the
// one in force.
func spfAll(record string) string {
	terms := strings.Fields(record)
	for _, term := range terms[1:] {
		q := "+"
		if strings.ContainsRune("+-~?", rune(term[0])) {
			q, term = term[:1], term[1:]
		}
		if strings.EqualFold(term, "all") {
			return q
		}
	}
	return ""
}
