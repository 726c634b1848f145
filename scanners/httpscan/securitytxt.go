package httpscan

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vouchdev/vouch/posture"
)

const (
	pgpSignedBegin = "-----BEGIN PGP SIGNED MESSAGE-----"
	pgpSigBegin    = "-----BEGIN PGP SIGNATURE-----"
	pgpSigEnd      = "-----END PGP SIGNATURE-----"
	// maxSecTxtLines bounds the lines parsed; a 64 KiB file cannot
	// have more anyway, but ParseSecurityTxt may be given anything.
	maxSecTxtLines = 1 << 16
	// maxIssueDetails bounds IssueDetails.
	maxIssueDetails = 50
)

// ParseSecurityTxt parses the text of a security.txt file by RFC 9116 §4:
// lines are fields ("Name: value", names case-insensitive), comments
// ("#..."), blank (only whitespace), or — after a field — folded
// continuations starting with whitespace (RFC 5322 §2.2.3, as the
// unstructured value of an extension field allows). Line ends are LF or
// CRLF. A file framed as an OpenPGP cleartext signed message (RFC 4880
// §7.1: armor header line, Hash headers, a blank line, the dash-escaped
// body, then the signature block) is parsed for its body; Signed is set,
// and the signature is not verified.
//
// It records Contact, Expires, Encryption, Acknowledgments,
// Preferred-Languages, Canonical, Policy and Hiring, and issues: syntax
// errors, invalid known fields, a missing Contact or Expires, a repeated
// Expires or Preferred-Languages, and an Expires that has passed at now
// or is more than a year after it. Unknown fields are allowed (§2.4).
// URL, Status, ContentType and Found are the scanner's to fill.
func ParseSecurityTxt(text []byte, now time.Time) posture.SecurityTxt {
	var st posture.SecurityTxt
	p := &secTxtParser{st: &st}
	if !utf8.Valid(text) {
		p.issue(posture.CodeSecTxtNotUTF8, "the file is not valid UTF-8")
		text = bytes.ToValidUTF8(text, []byte("\uFFFD"))
	}
	lines := splitLines(string(text))
	if body, signed := p.unsign(lines); signed {
		st.Signed = true
		lines = body
	}
	p.parse(lines)

	if len(st.Contact) == 0 {
		p.issue(posture.CodeSecTxtNoContact, "no Contact field")
	}
	switch {
	case p.expiresSeen == 0:
		p.issue(posture.CodeSecTxtNoExpires, "no Expires field")
	case !st.Expires.IsZero() && !st.Expires.After(now):
		p.issue(posture.CodeSecTxtExpired, fmt.Sprintf("Expires %s has passed (at %s)", st.Expires.Format(time.RFC3339), now.UTC().Format(time.RFC3339)))
	case !st.Expires.IsZero() && st.Expires.After(now.AddDate(1, 0, 0)):
		p.issue(posture.CodeSecTxtExpiresTooFar, fmt.Sprintf("Expires %s is more than a year ahead", st.Expires.Format(time.RFC3339)))
	}
	return st
}

type secTxtParser struct {
	st          *posture.SecurityTxt
	expiresSeen int
	langsSeen   int
}

func (p *secTxtParser) issue(code posture.Code, detail string) {
	p.st.Issues = appendIssue(p.st.Issues, code)
	if len(p.st.IssueDetails) < maxIssueDetails {
		p.st.IssueDetails = append(p.st.IssueDetails, string(code)+": "+detail)
	}
}

// splitLines splits at LF, dropping a CR before it, and at most
// maxSecTxtLines lines.
func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	lines := strings.SplitN(s, "\n", maxSecTxtLines)
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// unsign returns the body of a cleartext signed message, dash-escapes
// removed, when the first non-blank line opens one.
func (p *secTxtParser) unsign(lines []string) ([]string, bool) {
	i := 0
	for i < len(lines) && trimWSP(lines[i]) == "" {
		i++
	}
	if i == len(lines) || trimWSP(lines[i]) != pgpSignedBegin {
		return nil, false
	}
	i++
	// Armor headers ("Hash: SHA256") up to a blank line.
	for ; i < len(lines) && trimWSP(lines[i]) != ""; i++ {
		if !strings.Contains(lines[i], ": ") {
			p.issue(posture.CodeSecTxtSyntax, fmt.Sprintf("signed message: armor header %q is not Name: value", lines[i]))
		}
	}
	if i == len(lines) {
		p.issue(posture.CodeSecTxtSyntax, "signed message: no blank line after the armor headers")
		return nil, true
	}
	i++
	var body []string
	for ; i < len(lines); i++ {
		l := lines[i]
		if trimWSP(l) == pgpSigBegin {
			break
		}
		if rest, ok := strings.CutPrefix(l, "- "); ok {
			l = rest
		} else if strings.HasPrefix(l, "-") {
			p.issue(posture.CodeSecTxtSyntax, fmt.Sprintf("signed message: line %q starts with a dash that is not escaped", l))
		}
		body = append(body, l)
	}
	if i == len(lines) {
		p.issue(posture.CodeSecTxtSyntax, "signed message: no signature block")
		return body, true
	}
	end := -1
	for j := i + 1; j < len(lines); j++ {
		if trimWSP(lines[j]) == pgpSigEnd {
			end = j
			break
		}
	}
	if end < 0 {
		p.issue(posture.CodeSecTxtSyntax, "signed message: signature block not closed")
		return body, true
	}
	for j := end + 1; j < len(lines); j++ {
		if trimWSP(lines[j]) != "" {
			p.issue(posture.CodeSecTxtSyntax, "signed message: text after the signature block")
			break
		}
	}
	return body, true
}

// field is one parsed field with folded continuations joined.
type secTxtField struct {
	line  int
	name  string // as written
	value string
}

func (p *secTxtParser) parse(lines []string) {
	var fields []secTxtField
	// folding is true while the previous line was a field or one of its
	// continuations: only then may an indented line continue it.
	folding := false
	for n, l := range lines {
		l = strings.TrimRight(l, " \t")
		switch {
		case l == "", strings.HasPrefix(l, "#"):
			folding = false
			continue
		case l[0] == ' ' || l[0] == '\t':
			if !folding {
				p.issue(posture.CodeSecTxtSyntax, fmt.Sprintf("line %d: indented text that continues no field", n+1))
				continue
			}
			f := &fields[len(fields)-1]
			f.value = trimWSP(f.value + " " + trimWSP(l))
			continue
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok || !isFieldName(name) {
			p.issue(posture.CodeSecTxtSyntax, fmt.Sprintf("line %d: %q is not a field, a comment or blank", n+1, clip(l)))
			folding = false
			continue
		}
		fields = append(fields, secTxtField{line: n + 1, name: name, value: trimWSP(value)})
		folding = true
	}
	for _, f := range fields {
		p.field(f)
	}
}

func (p *secTxtParser) field(f secTxtField) {
	st := p.st
	where := fmt.Sprintf("line %d: %s", f.line, f.name)
	uri := func(dst *[]string, requireHTTPS bool) {
		if err := checkURI(f.value, requireHTTPS); err != "" {
			p.issue(posture.CodeSecTxtInvalidField, fmt.Sprintf("%s %q %s", where, clip(f.value), err))
			return
		}
		*dst = append(*dst, f.value)
	}
	switch strings.ToLower(f.name) {
	case "contact":
		uri(&st.Contact, true)
	case "encryption":
		uri(&st.Encryption, true)
	case "acknowledgments", "acknowledgements":
		uri(&st.Acknowledgments, true)
	case "canonical":
		uri(&st.Canonical, true)
	case "policy":
		uri(&st.Policy, true)
	case "hiring":
		uri(&st.Hiring, true)
	case "expires":
		p.expiresSeen++
		if p.expiresSeen > 1 {
			p.issue(posture.CodeSecTxtMultipleExpires, where+" repeats Expires; the first counts")
			return
		}
		st.ExpiresRaw = f.value
		t, ok := parseRFC3339(f.value)
		if !ok {
			p.issue(posture.CodeSecTxtInvalidField, fmt.Sprintf("%s %q is not an RFC 3339 date-time", where, clip(f.value)))
			return
		}
		st.Expires = t.UTC()
	case "preferred-languages":
		p.langsSeen++
		if p.langsSeen > 1 {
			p.issue(posture.CodeSecTxtDuplicateField, where+" repeats Preferred-Languages; the first counts")
			return
		}
		var langs []string
		for _, tag := range strings.Split(f.value, ",") {
			tag = trimWSP(tag)
			if !isLanguageTag(tag) {
				p.issue(posture.CodeSecTxtInvalidField, fmt.Sprintf("%s %q is not a comma-separated list of language tags", where, clip(f.value)))
				return
			}
			langs = append(langs, tag)
		}
		st.PreferredLanguages = langs
	}
}

// checkURI says what is wrong with an RFC 3986 URI value, or "".
func checkURI(v string, requireHTTPS bool) string {
	if v == "" {
		return "is empty"
	}
	if strings.ContainsAny(v, " \t") {
		return "contains whitespace"
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" {
		return "is not an absolute URI"
	}
	if requireHTTPS && strings.EqualFold(u.Scheme, "http") {
		return "is a web URI that is not https:// (RFC 9116 §2.5)"
	}
	return ""
}

// parseRFC3339 parses an RFC 3339 date-time; as §5.6 of RFC 3339 allows,
// the "T" may be lower case or a space, and "Z" lower case.
func parseRFC3339(v string) (time.Time, bool) {
	if len(v) > 10 && (v[10] == ' ' || v[10] == 't') {
		v = v[:10] + "T" + v[11:]
	}
	v = strings.ReplaceAll(v, "z", "Z")
	t, err := time.Parse(time.RFC3339Nano, v)
	return t, err == nil
}

// isFieldName reports whether s is an RFC 5322 field-name: printable
// US-ASCII except the colon.
func isFieldName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return s != ""
}

// isLanguageTag is a loose RFC 5646 check: subtags of 1–8 letters or
// digits joined by "-", the first alphabetic.
func isLanguageTag(s string) bool {
	if s == "" {
		return false
	}
	for i, sub := range strings.Split(s, "-") {
		if sub == "" || len(sub) > 8 {
			return false
		}
		for j := 0; j < len(sub); j++ {
			c := sub[j] | 0x20
			isAlpha := 'a' <= c && c <= 'z'
			if !isAlpha && !('0' <= sub[j] && sub[j] <= '9') || (i == 0 && !isAlpha) {
				return false
			}
		}
	}
	return true
}

func trimWSP(s string) string { return strings.Trim(s, " \t\r") }

// clip shortens a quoted line for an issue detail.
func clip(s string) string {
	if len(s) > 80 {
		cut := 80
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return s[:cut] + "…"
	}
	return s
}
