package dnsscan

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// SPF record syntax, RFC 7208 §4.6 and §12 (ABNF):
//
//	record    = "v=spf1" *( 1*SP ( directive / modifier ) ) *SP
//	directive = [ qualifier ] mechanism
//	mechanism = all / include / a / mx / ptr / ip4 / ip6 / exists
//	modifier  = redirect / explanation / unknown-modifier

// ErrSPFSyntax is wrapped by every error ParseSPF returns.
var ErrSPFSyntax = errors.New("dnsscan: spf syntax error")

// SPFTerm is one directive or modifier of an SPF record.
type SPFTerm struct {
	// Qualifier is "+", "-", "~" or "?" for a mechanism ("+" when the
	// record gave none); empty for a modifier.
	Qualifier string
	// Name is the mechanism or modifier name in lower case.
	Name string
	// Modifier is true for name=value terms.
	Modifier bool
	// Domain is the domain-spec (macros unexpanded) of include, a, mx,
	// ptr, exists, redirect and exp; empty when a/mx/ptr use the current
	// domain. For unknown modifiers it is the value.
	Domain string
	// Prefix is the network of ip4 and ip6.
	Prefix netip.Prefix
	// CIDR4 and CIDR6 are the dual-cidr lengths of a and mx (32 and 128
	// when not given).
	CIDR4, CIDR6 int
	// Text is the term as written.
	Text string
}

// QueriesDNS reports whether the term counts against the limit of 10
// DNS-querying terms (RFC 7208 §4.6.4).
func (t SPFTerm) QueriesDNS() bool {
	switch t.Name {
	case "include", "a", "mx", "ptr", "exists":
		return !t.Modifier
	case "redirect":
		return t.Modifier
	}
	return false
}

// SPFRecord is a parsed SPF record.
type SPFRecord struct {
	// Terms are the directives and modifiers in order.
	Terms []SPFTerm
	// Redirect and Exp are the domain-specs of those modifiers, if any.
	Redirect, Exp string
}

// IsSPFRecord reports whether a TXT value is an SPF version 1 record.
func IsSPFRecord(v string) bool { return isSPFRecord(v) }

// ParseSPF parses one SPF record. Any error wraps ErrSPFSyntax and makes
// check_host return permerror.
func ParseSPF(record string) (*SPFRecord, error) {
	if !isSPFRecord(record) {
		return nil, fmt.Errorf("%w: record does not start with v=spf1", ErrSPFSyntax)
	}
	r := &SPFRecord{}
	rest := record[len("v=spf1"):]
	for _, text := range strings.Split(rest, " ") {
		if text == "" {
			continue
		}
		t, err := parseSPFTerm(text)
		if err != nil {
			return nil, err
		}
		if t.Modifier {
			switch t.Name {
			case "redirect":
				if r.Redirect != "" {
					return nil, fmt.Errorf("%w: redirect= given twice", ErrSPFSyntax)
				}
				r.Redirect = t.Domain
			case "exp":
				if r.Exp != "" {
					return nil, fmt.Errorf("%w: exp= given twice", ErrSPFSyntax)
				}
				r.Exp = t.Domain
			}
		}
		r.Terms = append(r.Terms, t)
	}
	return r, nil
}

func parseSPFTerm(text string) (SPFTerm, error) {
	t := SPFTerm{Text: text}
	bad := func(why string) (SPFTerm, error) {
		return SPFTerm{}, fmt.Errorf("%w: term %q: %s", ErrSPFSyntax, text, why)
	}
	// A modifier: name "=" macro-string, name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ).
	if i := strings.IndexByte(text, '='); i > 0 && isModifierName(text[:i]) {
		t.Modifier = true
		t.Name = strings.ToLower(text[:i])
		t.Domain = text[i+1:]
		if err := checkMacroString(t.Domain); err != nil {
			return bad(err.Error())
		}
		if t.Name == "redirect" || t.Name == "exp" {
			if err := checkDomainSpec(t.Domain); err != nil {
				return bad(err.Error())
			}
		}
		return t, nil
	}
	t.Qualifier = "+"
	if strings.ContainsRune("+-~?", rune(text[0])) {
		t.Qualifier, text = text[:1], text[1:]
	}
	name, arg, hasArg := text, "", false
	if i := strings.IndexAny(text, ":/"); i >= 0 {
		name, arg, hasArg = text[:i], text[i:], true
	}
	t.Name = strings.ToLower(name)
	t.CIDR4, t.CIDR6 = 32, 128
	switch t.Name {
	case "all":
		if hasArg {
			return bad("all takes no argument")
		}
	case "include", "exists":
		if !strings.HasPrefix(arg, ":") {
			return bad(t.Name + " needs a domain")
		}
		t.Domain = arg[1:]
		if err := checkDomainSpec(t.Domain); err != nil {
			return bad(err.Error())
		}
	case "ptr":
		if hasArg {
			if !strings.HasPrefix(arg, ":") {
				return bad("ptr takes only a domain")
			}
			t.Domain = arg[1:]
			if err := checkDomainSpec(t.Domain); err != nil {
				return bad(err.Error())
			}
		}
	case "a", "mx":
		spec, c4, c6, err := splitDualCIDR(arg)
		if err != nil {
			return bad(err.Error())
		}
		t.CIDR4, t.CIDR6 = c4, c6
		if spec != "" {
			if !strings.HasPrefix(spec, ":") {
				return bad("bad argument")
			}
			t.Domain = spec[1:]
			if err := checkDomainSpec(t.Domain); err != nil {
				return bad(err.Error())
			}
		}
	case "ip4", "ip6":
		if !strings.HasPrefix(arg, ":") {
			return bad(t.Name + " needs a network")
		}
		p, err := parseSPFNetwork(t.Name, arg[1:])
		if err != nil {
			return bad(err.Error())
		}
		t.Prefix = p
	default:
		return bad("unknown mechanism")
	}
	return t, nil
}

func isModifierName(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !isDigit(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

// parseCIDRLen reads a cidr length: "0" or a number without leading zero,
// at most max.
func parseCIDRLen(s string, max int) (int, error) {
	if s == "" || len(s) > 3 || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("bad cidr length %q", s)
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, fmt.Errorf("bad cidr length %q", s)
		}
	}
	n, _ := strconv.Atoi(s)
	if n > max {
		return 0, fmt.Errorf("cidr length %d above %d", n, max)
	}
	return n, nil
}

// splitDualCIDR takes [":" domain-spec] [ "/" ip4-len ] [ "//" ip6-len ]
// apart.
func splitDualCIDR(arg string) (spec string, c4, c6 int, err error) {
	c4, c6 = 32, 128
	// A '/' followed by other than digits belongs to the domain-spec
	// (macro-literal allows it), unless there is no domain-spec at all.
	cidrLike := func(i, skip int) bool {
		rest := arg[i+skip:]
		return rest != "" && strings.Trim(rest, "0123456789") == "" || !strings.HasPrefix(arg, ":")
	}
	if i := strings.LastIndex(arg, "//"); i >= 0 && cidrLike(i, 2) {
		if c6, err = parseCIDRLen(arg[i+2:], 128); err != nil {
			return
		}
		arg = arg[:i]
	}
	if i := strings.LastIndexByte(arg, '/'); i >= 0 && cidrLike(i, 1) {
		if c4, err = parseCIDRLen(arg[i+1:], 32); err != nil {
			return
		}
		arg = arg[:i]
	}
	return arg, c4, c6, nil
}

func parseSPFNetwork(kind, s string) (netip.Prefix, error) {
	addr, length, hasLen := strings.Cut(s, "/")
	ip, err := netip.ParseAddr(addr)
	if err != nil || ip.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("bad address %q", addr)
	}
	max := 128
	if kind == "ip4" {
		if !ip.Is4() {
			return netip.Prefix{}, fmt.Errorf("%q is not an IPv4 address", addr)
		}
		max = 32
	} else if ip.Is4() {
		return netip.Prefix{}, fmt.Errorf("%q is not an IPv6 address", addr)
	}
	n := max
	if hasLen {
		if n, err = parseCIDRLen(length, max); err != nil {
			return netip.Prefix{}, err
		}
	}
	return ip.Prefix(n)
}

// checkMacroString checks macro-string syntax (RFC 7208 §7.1):
// macro-literal is %x21-24 / %x26-7E; macro-expand is %{letter
// transformers delimiters}, %%, %_ or %-.
func checkMacroString(s string) error { return checkMacros(s, true) }

// checkMacros checks macro-string syntax; crt allows the letters c, r and
// t, which only explanation text may use (§7.2).
func checkMacros(s string, crt bool) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			if c < 0x21 || c > 0x7e {
				return fmt.Errorf("character %q not allowed", c)
			}
			continue
		}
		if i+1 >= len(s) {
			return errors.New("dangling %")
		}
		switch s[i+1] {
		case '%', '_', '-':
			i++
			continue
		case '{':
		default:
			return fmt.Errorf("bad macro %%%c", s[i+1])
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return errors.New("unterminated macro")
		}
		m, err := parseMacro(s[i+2 : i+end])
		if err != nil {
			return err
		}
		if !crt && strings.IndexByte("crt", m.letter) >= 0 {
			return fmt.Errorf("macro letter %c is only allowed in explanations", m.letter)
		}
		i += end
	}
	return nil
}

// checkDomainSpec checks domain-spec = macro-string domain-end, where
// domain-end = ( "." toplabel [ "." ] ) / macro-expand.
func checkDomainSpec(s string) error {
	if s == "" {
		return errors.New("empty domain")
	}
	if err := checkMacros(s, false); err != nil {
		return err
	}
	if strings.HasSuffix(s, "}") {
		// Ends in a macro-expand (the final '}' closes one: checked above).
		return nil
	}
	t := strings.TrimSuffix(s, ".")
	i := strings.LastIndexByte(t, '.')
	if i < 0 {
		return fmt.Errorf("domain %q has no top label", s)
	}
	if !isTopLabel(t[i+1:]) {
		return fmt.Errorf("domain %q: bad top label", s)
	}
	return nil
}

// isTopLabel: ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum ).
func isTopLabel(l string) bool {
	if l == "" {
		return false
	}
	alpha := false
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case isAlpha(c):
			alpha = true
		case isDigit(c):
		case c == '-':
			if i == 0 || i == len(l)-1 {
				return false
			}
			alpha = true // the second form needs no letter
		default:
			return false
		}
	}
	return alpha
}

// spfMacro is one parsed %{...}.
type spfMacro struct {
	letter  byte // lower case
	upper   bool // URL-escape the result
	digits  int  // 0: all parts
	reverse bool
	delims  string
}

func parseMacro(body string) (spfMacro, error) {
	var m spfMacro
	if body == "" {
		return m, errors.New("empty macro")
	}
	c := body[0]
	if 'A' <= c && c <= 'Z' {
		m.upper, c = true, c+'a'-'A'
	}
	if !strings.ContainsRune("slodiphcrtv", rune(c)) {
		return m, fmt.Errorf("bad macro letter %q", body[0])
	}
	m.letter = c
	i := 1
	for i < len(body) && isDigit(body[i]) {
		i++
	}
	if i > 1 {
		n, err := strconv.Atoi(body[1:i])
		if err != nil || n == 0 || n > 128 {
			return m, fmt.Errorf("bad macro digits %q", body[1:i])
		}
		m.digits = n
	}
	if i < len(body) && (body[i] == 'r' || body[i] == 'R') {
		m.reverse = true
		i++
	}
	for ; i < len(body); i++ {
		if !strings.ContainsRune(".-+,/_=", rune(body[i])) {
			return m, fmt.Errorf("bad macro delimiter %q", body[i])
		}
		m.delims += body[i : i+1]
	}
	return m, nil
}
