package httpscan

import (
	"math"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// ParseHSTS parses a Strict-Transport-Security value strictly per RFC 6797
// §6.1:
//
//	Strict-Transport-Security = [ directive ] *( ";" [ directive ] )
//	directive                 = directive-name [ "=" directive-value ]
//	directive-name            = token
//	directive-value           = token / quoted-string
//
// with optional whitespace around names, "=" and values. Directive names
// are case-insensitive; max-age and includeSubDomains may appear only once
// (a repeated directive the user agent does not know, preload among them,
// is ignored as browsers do); max-age is
// required and its value is 1*DIGIT, bare or quoted; includeSubDomains
// takes no value; directives it does not know are ignored, but must still
// follow the grammar. A user agent ignores a header that breaks any of
// these rules (§6.1 rule 4), so Valid is false then, and Issues says why.
//
// MaxAge, IncludeSubDomains and Preload hold what was parsed even when
// Valid is false; a browser ignores them then. A max-age beyond int64 is
// recorded as math.MaxInt64.
func ParseHSTS(raw string) posture.HSTS {
	h := posture.HSTS{Raw: raw}
	if trimOWS(raw) == "" {
		h.Issues = []posture.Code{posture.CodeHSTSEmpty}
		return h
	}
	var (
		valid        = true
		maxAgeSeen   bool
		seen         = map[string]bool{}
		issue        = func(code posture.Code) { h.Issues = appendIssue(h.Issues, code) }
		invalidIssue = func(code posture.Code) { issue(code); valid = false }
	)
	for _, part := range splitOutsideQuotes(raw, ';') {
		part = trimOWS(part)
		if part == "" {
			continue // empty directives are allowed by the grammar
		}
		name, value, hasValue, ok := parseDirective(part)
		lname := strings.ToLower(name)
		if lname == "max-age" {
			maxAgeSeen = true
		}
		if !ok {
			if lname == "max-age" {
				invalidIssue(posture.CodeHSTSMaxAgeInvalid)
			} else {
				invalidIssue(posture.CodeHSTSSyntax)
			}
			continue
		}
		if lname != "" {
			if seen[lname] {
				// §6.1 rule 2 asks every directive to appear once, but
				// a user agent only knows max-age and includeSubDomains
				// (rule 3: unknown directives, preload among them, are
				// ignored): browsers reject a header that repeats one of
				// those two and read a repeated preload as one.
				if lname == "max-age" || lname == "includesubdomains" {
					invalidIssue(posture.CodeHSTSDuplicateDirective)
				}
				continue
			}
			seen[lname] = true
		}
		switch lname {
		case "max-age":
			n, ok := parseDeltaSeconds(value)
			if !hasValue || !ok {
				invalidIssue(posture.CodeHSTSMaxAgeInvalid)
				continue
			}
			h.MaxAge = n
		case "includesubdomains":
			if hasValue {
				invalidIssue(posture.CodeHSTSUnexpectedValue)
				continue
			}
			h.IncludeSubDomains = true
		case "preload":
			if hasValue {
				issue(posture.CodeHSTSUnexpectedValue)
				continue
			}
			h.Preload = true
		}
	}
	if !maxAgeSeen {
		invalidIssue(posture.CodeHSTSMaxAgeMissing)
	}
	h.Valid = valid
	return h
}

// appendIssue adds code to issues unless it is there already.
func appendIssue(issues []posture.Code, code posture.Code) []posture.Code {
	for _, c := range issues {
		if c == code {
			return issues
		}
	}
	return append(issues, code)
}

// splitOutsideQuotes splits v at each sep that is not inside a quoted
// string (a backslash inside one escapes the next byte; an unterminated
// one runs to the end). The parts keep their quotes and whitespace.
func splitOutsideQuotes(v string, sep byte) []string {
	var parts []string
	start, inQuote := 0, false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case inQuote && c == '\\':
			i++ // the escaped character, whatever it is
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == sep:
			parts = append(parts, v[start:i])
			start = i + 1
		}
	}
	return append(parts, v[start:])
}

// parseDirective parses one directive: name [ OWS "=" OWS value ]. The
// value is returned unquoted. ok is false when the directive does not
// follow the grammar; name is still returned when it is a valid token.
func parseDirective(d string) (name, value string, hasValue, ok bool) {
	i := 0
	for i < len(d) && isTchar(d[i]) {
		i++
	}
	name = d[:i]
	if name == "" {
		return "", "", false, false
	}
	rest := trimOWS(d[i:])
	if rest == "" {
		return name, "", false, true
	}
	if rest[0] != '=' {
		return name, "", false, false
	}
	rest = trimOWS(rest[1:])
	if rest == "" {
		return name, "", true, false
	}
	if rest[0] == '"' {
		value, ok = unquote(rest)
		return name, value, true, ok
	}
	for j := 0; j < len(rest); j++ {
		if !isTchar(rest[j]) {
			return name, "", true, false
		}
	}
	return name, rest, true, true
}

// unquote parses s, which must be exactly one quoted-string (RFC 9110
// §5.6.4), and returns its content with quoted-pairs resolved.
func unquote(s string) (string, bool) {
	if len(s) < 2 || s[0] != '"' {
		return "", false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			return b.String(), i == len(s)-1
		case c == '\\':
			i++
			if i == len(s) || !isQuotedPairChar(s[i]) {
				return "", false
			}
			b.WriteByte(s[i])
		case isQdtext(c):
			b.WriteByte(c)
		default:
			return "", false
		}
	}
	return "", false // unterminated
}

// parseDeltaSeconds parses 1*DIGIT, saturating at math.MaxInt64.
func parseDeltaSeconds(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (math.MaxInt64-d)/10 {
			n = math.MaxInt64
			continue
		}
		n = n*10 + d
	}
	return n, true
}

// trimOWS removes optional whitespace (SP and HTAB, RFC 9110 §5.6.3).
func trimOWS(s string) string {
	return strings.Trim(s, " \t")
}

// isTchar reports whether c may appear in a token (RFC 9110 §5.6.2).
func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// isQdtext reports whether c may appear unescaped in a quoted-string.
func isQdtext(c byte) bool {
	return c == '\t' || c == ' ' || c == 0x21 || (0x23 <= c && c <= 0x5B) || (0x5D <= c && c <= 0x7E) || c >= 0x80
}

// isQuotedPairChar reports whether c may follow a backslash in a
// quoted-string.
func isQuotedPairChar(c byte) bool {
	return c == '\t' || c == ' ' || (0x21 <= c && c <= 0x7E) || c >= 0x80
}
