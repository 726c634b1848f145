package dnsscan

import "strings"

// tag is one "name=value" of a tag-value list (RFC 6376 §3.2, used by DKIM
// keys and, with the same shape, by DMARC records, RFC 7489 §6.4).
type tag struct {
	name, value string
}

// tagList is a record split into its tags, in order.
type tagList struct {
	tags []tag
	// syntax is set when a part had no '=' or a malformed tag name.
	syntax bool
	// duplicate is set when a tag name occurs more than once; the first
	// occurrence is the one kept in byName.
	duplicate bool
	byName    map[string]string
}

// parseTags splits record on ';' into trimmed tags. A trailing ';' is
// allowed; other empty parts are a syntax error. When fold is set, tag
// names are compared and stored in lower case (DMARC); DKIM tag names are
// case-sensitive.
func parseTags(record string, fold bool) tagList {
	tl := tagList{byName: map[string]string{}}
	parts := strings.Split(record, ";")
	for i, part := range parts {
		part = trimWSP(part)
		if part == "" {
			// Only the last part may be empty: a trailing ';'.
			if i < len(parts)-1 {
				tl.syntax = true
			}
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		name, value = trimWSP(name), trimWSP(value)
		if !ok || !validTagName(name) {
			tl.syntax = true
			continue
		}
		if fold {
			name = strings.ToLower(name)
		}
		if _, dup := tl.byName[name]; dup {
			tl.duplicate = true
			continue
		}
		tl.byName[name] = value
		tl.tags = append(tl.tags, tag{name, value})
	}
	return tl
}

// validTagName: ALPHA *ALNUMPUNC, where ALNUMPUNC is a letter, digit or '_'.
func validTagName(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !isDigit(c) && c != '_' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// trimWSP trims folding white space (space, tab, CR, LF).
func trimWSP(s string) string { return strings.Trim(s, " \t\r\n") }

// startsWithVersion reports whether record begins with the tag "v" (any
// case), optional white space around '=', and a value whose first word is
// exactly version, followed by ';', white space or the end. This is how
// DMARC records are told apart from other TXT records (RFC 7489 §6.6.3).
func startsWithVersion(record, version string) bool {
	s := strings.TrimLeft(record, " \t\r\n")
	if s == "" || (s[0] != 'v' && s[0] != 'V') {
		return false
	}
	s = strings.TrimLeft(s[1:], " \t\r\n")
	if !strings.HasPrefix(s, "=") {
		return false
	}
	s = strings.TrimLeft(s[1:], " \t\r\n")
	if !strings.HasPrefix(s, version) {
		return false
	}
	s = s[len(version):]
	return s == "" || strings.ContainsRune("; \t\r\n", rune(s[0]))
}
