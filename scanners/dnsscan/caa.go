package dnsscan

import (
	"context"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"github.com/vouchdev/vouch/posture"
)

// lookupCAA finds the CAA record set that governs domain (RFC 8659 §3):
// the set at the domain or, when it has none, at its parent, and so on
// up to, not including, the root: the top-level domain is asked too. A
// failed lookup stops the climb: the relevant set is then unknown. It also
// returns the evidence IDs of its lookups.
func lookupCAA(ctx context.Context, sess *session, domain string) (*posture.CAA, []string) {
	c := &posture.CAA{}
	var ids []string
	labels := dns.SplitDomainName(domain)
	for i := 0; i < len(labels); i++ {
		name := strings.Join(labels[i:], ".")
		lk := sess.lookup(ctx, name, dns.TypeCAA)
		ids = append(ids, lk.Evidence)
		c.Lookup = lk
		if lk.Missing != nil || lk.Found == posture.Yes {
			if lk.Found == posture.Yes {
				c.Domain = lk.Name
				readCAA(c, lk.Values)
			}
			break
		}
		if i+1 >= len(labels) {
			break
		}
	}
	return c, ids
}

// readCAA parses CAA values in zone-file form (flags tag "value").
func readCAA(c *posture.CAA, values []string) {
	for _, v := range values {
		rec, ok := ParseCAAValue(v)
		if !ok {
			c.Issues = appendOnce(c.Issues, posture.CodeCAASyntax)
			continue
		}
		c.Records = append(c.Records, rec)
		switch rec.Tag {
		case "issue":
			c.Issue = append(c.Issue, caaIssuer(rec.Value))
		case "issuewild":
			c.IssueWild = append(c.IssueWild, caaIssuer(rec.Value))
		case "iodef":
			c.IODEF = append(c.IODEF, rec.Value)
		default:
			if rec.Critical {
				// A CA must not issue when it meets a critical
				// property it does not understand (§4.1).
				c.Issues = appendOnce(c.Issues, posture.CodeCAAUnknownCritical)
			}
		}
	}
}

// ParseCAAValue parses one CAA record in zone-file form: flags, tag and
// the quoted value (RFC 8659 §4.1.1). Tags compare case-insensitively.
func ParseCAAValue(v string) (posture.CAARecord, bool) {
	var r posture.CAARecord
	flags, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok {
		return r, false
	}
	n, err := strconv.Atoi(flags)
	if err != nil || n < 0 || n > 255 {
		return r, false
	}
	tag, value, ok := strings.Cut(strings.TrimLeft(rest, " "), " ")
	if !ok || tag == "" || !isAlnum(tag) {
		return r, false
	}
	value = strings.TrimSpace(value)
	if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
		value = value[1 : len(value)-1]
	}
	r.Flags, r.Critical = n, n&128 != 0
	r.Tag, r.Value = strings.ToLower(tag), strings.ToValidUTF8(UnescapeTXT(value), "\uFFFD")
	return r, true
}

// caaIssuer is the issuer domain of an issue/issuewild value (before any
// ';' parameters), lower case; "" forbids issuance.
func caaIssuer(v string) string {
	d, _, _ := strings.Cut(v, ";")
	return strings.ToLower(strings.TrimSpace(d))
}
