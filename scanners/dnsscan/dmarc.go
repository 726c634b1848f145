package dnsscan

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// ErrNotDMARC is returned by ParseDMARC for text that is not a DMARC
// record at all (no v=DMARC1 tag).
var ErrNotDMARC = errors.New("dnsscan: not a DMARC record")

// DMARCRecord is one parsed DMARC record (RFC 7489 §6.3). Defaults of the
// RFC are filled in: pct 100, adkim and aspf "r", ri 86400, fo "0". An
// absent sp= stays empty: p= then applies to subdomains.
type DMARCRecord struct {
	// Tags holds every well-formed tag as published, by lower-case name,
	// unknown ones included (receivers ignore them).
	Tags            map[string]string
	Policy          string // p: none, quarantine, reject; lower case
	SubdomainPolicy string // sp
	// NonExistentPolicy is np= (RFC 9091): the policy for subdomains
	// that do not exist; empty when absent (sp, then p, applies).
	NonExistentPolicy string
	Percent           int // pct
	RUA, RUF          []string
	ADKIM, ASPF       string // r or s
	FO                string
	RI                int
	// Issues lists what makes the record invalid, by issue code, in the
	// order found.
	Issues []posture.Code
}

// Valid reports whether the record has no issues.
func (r DMARCRecord) Valid() bool { return len(r.Issues) == 0 }

// ParseDMARC parses one DMARC record, the TXT strings joined. It returns
// ErrNotDMARC when the text has no v=DMARC1 tag. A record that is DMARC
// but broken parses with Issues; the fields hold what could be read.
func ParseDMARC(record string) (DMARCRecord, error) {
	tl := parseTags(record, true)
	r := DMARCRecord{Tags: tl.byName, Percent: 100, ADKIM: "r", ASPF: "r", FO: "0", RI: 86400}
	v, ok := tl.byName["v"]
	if !ok {
		return r, ErrNotDMARC
	}
	if v != "DMARC1" {
		// "v=DMARC1 p=reject": a missing ';' swallows the rest into v.
		if f := strings.Fields(v); len(f) > 0 && f[0] == "DMARC1" {
			r.issue(posture.CodeDMARCSyntax)
		} else {
			return r, ErrNotDMARC
		}
	}
	if tl.tags[0].name != "v" {
		r.issue(posture.CodeDMARCVNotFirst)
	}
	if tl.syntax {
		r.issue(posture.CodeDMARCSyntax)
	}
	if tl.duplicate {
		r.issue(posture.CodeDMARCDuplicateTag)
	}

	if p, ok := tl.byName["p"]; !ok {
		r.issue(posture.CodeDMARCPMissing)
	} else if pol, ok := dmarcPolicy(p); ok {
		r.Policy = pol
	} else {
		r.issue(posture.CodeDMARCPInvalid)
	}
	if sp, ok := tl.byName["sp"]; ok {
		if pol, ok := dmarcPolicy(sp); ok {
			r.SubdomainPolicy = pol
		} else {
			r.issue(posture.CodeDMARCSPInvalid)
		}
	}
	if np, ok := tl.byName["np"]; ok {
		if pol, ok := dmarcPolicy(np); ok {
			r.NonExistentPolicy = pol
		} else {
			r.issue(posture.CodeDMARCNPInvalid)
		}
	}
	if pct, ok := tl.byName["pct"]; ok {
		if n, ok := smallUint(pct, 3); ok && n <= 100 {
			r.Percent = n
		} else {
			r.issue(posture.CodeDMARCPctInvalid)
		}
	}
	if s, ok := tl.byName["adkim"]; ok {
		if a, ok := alignment(s); ok {
			r.ADKIM = a
		} else {
			r.issue(posture.CodeDMARCADKIMInvalid)
		}
	}
	if s, ok := tl.byName["aspf"]; ok {
		if a, ok := alignment(s); ok {
			r.ASPF = a
		} else {
			r.issue(posture.CodeDMARCASPFInvalid)
		}
	}
	if fo, ok := tl.byName["fo"]; ok {
		r.FO = fo
		for opt := range strings.SplitSeq(fo, ":") {
			switch trimWSP(opt) {
			case "0", "1", "d", "s":
			default:
				r.issue(posture.CodeDMARCFOInvalid)
			}
		}
	}
	if ri, ok := tl.byName["ri"]; ok {
		if n, err := strconv.ParseUint(ri, 10, 32); err == nil && allDigits(ri) {
			r.RI = int(n)
		} else {
			r.issue(posture.CodeDMARCRIInvalid)
		}
	}
	if s, ok := tl.byName["rua"]; ok {
		var bad bool
		r.RUA, bad = dmarcURIs(s)
		if bad {
			r.issue(posture.CodeDMARCRUAInvalid)
		}
	}
	if s, ok := tl.byName["ruf"]; ok {
		var bad bool
		r.RUF, bad = dmarcURIs(s)
		if bad {
			r.issue(posture.CodeDMARCRUFInvalid)
		}
	}
	return r, nil
}

// issue adds code once.
func (r *DMARCRecord) issue(code posture.Code) {
	for _, c := range r.Issues {
		if c == code {
			return
		}
	}
	r.Issues = append(r.Issues, code)
}

// dmarcPolicy reads a requested mail receiver policy; keywords are
// case-insensitive (RFC 7489 §6.4 ABNF).
func dmarcPolicy(s string) (string, bool) {
	switch p := strings.ToLower(s); p {
	case "none", "quarantine", "reject":
		return p, true
	}
	return "", false
}

func alignment(s string) (string, bool) {
	switch a := strings.ToLower(s); a {
	case "r", "s":
		return a, true
	}
	return "", false
}

// dmarcURIs splits a comma-separated list of DMARC URIs (RFC 7489 §6.2:
// a URI, optionally followed by "!" and a size limit). Entries are kept as
// published, trimmed; bad is set when one is empty or has no scheme.
func dmarcURIs(s string) (uris []string, bad bool) {
	for u := range strings.SplitSeq(s, ",") {
		u = trimWSP(u)
		if u == "" {
			bad = true
			continue
		}
		uris = append(uris, u)
		bare := u
		if i := strings.LastIndexByte(bare, '!'); i > 0 {
			bare = bare[:i]
		}
		if p, err := url.Parse(bare); err != nil || p.Scheme == "" || (p.Opaque == "" && p.Host == "" && p.Path == "") {
			bad = true
		}
	}
	return uris, bad
}

// smallUint parses 1 to max decimal digits.
func smallUint(s string, max int) (int, bool) {
	if s == "" || len(s) > max || !allDigits(s) {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// Strength sums up how receivers apply the record (posture.DMARC.Strength):
// "monitoring" for p=none, "enforcing" when p and any sp= and np= are
// quarantine or reject at pct=100, "partial" otherwise; "" without a p.
func (r DMARCRecord) Strength() string {
	switch r.Policy {
	case "":
		return ""
	case "none":
		return "monitoring"
	}
	if r.Percent < 100 || r.SubdomainPolicy == "none" || r.NonExistentPolicy == "none" {
		return "partial"
	}
	return "enforcing"
}

// reportDomain is the domain of a mailto: DMARC URI (after '@', before any
// '?' or '!size'), lower case; "" for other URIs.
func reportDomain(uri string) string {
	u := uri
	if i := strings.LastIndexByte(u, '!'); i > 0 {
		u = u[:i]
	}
	rest, ok := cutPrefixFold(u, "mailto:")
	if !ok {
		return ""
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest = rest[:i]
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return ""
	}
	d, err := url.PathUnescape(rest[at+1:])
	if err != nil {
		return ""
	}
	d = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
	if !isMailDomain(d) {
		return ""
	}
	return d
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}
