package dnsscan

import "strings"

// UnescapeTXT turns one TXT character-string as miekg/dns presents it back
// into its bytes. miekg/dns writes '"' and '\' as \" and \\, bytes outside
// printable ASCII as \DDD (three decimal digits), and keeps any other \X
// from a zone file as is (RFC 1035 §5.1). A \DDD above 255 and a dangling
// backslash are kept literally. The result may hold any byte.
func UnescapeTXT(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 == len(s) {
			b.WriteByte('\\')
			break
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			v := int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0')
			if v <= 255 {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i+1])
		i++
	}
	return b.String()
}

// joinTXT joins the character-strings of one TXT record, unescaped, with
// no separator. Bytes that are not UTF-8 become U+FFFD so that the value
// survives JSON unchanged; the evidence keeps the record as sent.
func joinTXT(parts []string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(UnescapeTXT(p))
	}
	return strings.ToValidUTF8(b.String(), "\uFFFD")
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
