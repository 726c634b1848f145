package dnsscan

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// SPFResult is the result of check_host (RFC 7208 §2.6).
type SPFResult string

const (
	SPFNone      SPFResult = "none"
	SPFNeutral   SPFResult = "neutral"
	SPFPass      SPFResult = "pass"
	SPFFail      SPFResult = "fail"
	SPFSoftfail  SPFResult = "softfail"
	SPFTempError SPFResult = "temperror"
	SPFPermError SPFResult = "permerror"
)

// Processing limits of RFC 7208 §4.6.4.
const (
	// SPFMaxDNSTerms bounds the DNS-querying terms (include, a, mx, ptr,
	// exists, redirect) of one evaluation, includes and redirects
	// counted.
	SPFMaxDNSTerms = 10
	// SPFMaxVoidLookups bounds lookups that answer NXDOMAIN or no data.
	SPFMaxVoidLookups = 2
	// spfMaxMX bounds the MX hosts one mx term looks up.
	spfMaxMX = 10
	// spfMaxPTR bounds the PTR names one ptr term (or %{p}) validates.
	spfMaxPTR = 10
)

// SPFChecker evaluates SPF through a Resolver.
type SPFChecker struct {
	Resolver Resolver
}

// SPFOutcome is what check_host found.
type SPFOutcome struct {
	Result SPFResult
	// Reason says why, in words (the matching term, or the error).
	Reason string
	// DNSTerms and VoidLookups are the counts reached.
	DNSTerms, VoidLookups int
}

// errPerm and errTemp carry permerror and temperror up the evaluation.
var (
	errSPFPerm = errors.New("spf permerror")
	errSPFTemp = errors.New("spf temperror")
)

type spfEval struct {
	res          Resolver
	ip           netip.Addr
	sender       string // local@domain
	local        string
	senderDomain string
	helo         string
	terms        int
	voids        int
	// validated caches the client's validated names: %{p} may appear
	// any number of times and must not cost lookups each time.
	validated    []string
	validatedErr error
	validatedSet bool
}

// CheckHost runs check_host(ip, domain, sender) of RFC 7208 §4. sender is
// the MAIL FROM address (an empty one becomes postmaster@helo, §2.4); helo
// feeds the %{h} macro.
func (c SPFChecker) CheckHost(ctx context.Context, ip netip.Addr, domain, sender, helo string) SPFOutcome {
	ip = ip.Unmap()
	e := &spfEval{res: c.Resolver, ip: ip, helo: helo}
	if sender == "" {
		sender = "postmaster@" + helo
	}
	local, sdom, ok := strings.Cut(sender, "@")
	if !ok {
		local, sdom = "postmaster", sender
	}
	if local == "" {
		local = "postmaster"
	}
	e.sender, e.local, e.senderDomain = local+"@"+sdom, local, sdom
	res, why := e.checkHost(ctx, domain, 0)
	return SPFOutcome{Result: res, Reason: why, DNSTerms: e.terms, VoidLookups: e.voids}
}

// validSPFDomain is the §4.3 check: a fully qualified name of labels of
// 1 to 63 octets.
func validSPFDomain(d string) bool {
	d = strings.TrimSuffix(d, ".")
	if d == "" || len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for l := range strings.SplitSeq(d, ".") {
		if l == "" || len(l) > 63 {
			return false
		}
	}
	return true
}

const spfMaxDepth = 20

func (e *spfEval) checkHost(ctx context.Context, domain string, depth int) (SPFResult, string) {
	if !validSPFDomain(domain) {
		return SPFNone, fmt.Sprintf("%q is not a valid domain", domain)
	}
	if depth > spfMaxDepth {
		return SPFPermError, "include/redirect nesting too deep"
	}
	rrs, err := e.query(ctx, domain, dns.TypeTXT, false)
	if err != nil {
		return SPFTempError, err.Error()
	}
	var recs []string
	for _, rr := range rrs {
		if t, ok := rr.(*dns.TXT); ok {
			if v := joinTXTRaw(t.Txt); isSPFRecord(v) {
				recs = append(recs, v)
			}
		}
	}
	switch len(recs) {
	case 0:
		return SPFNone, "no SPF record at " + domain
	case 1:
	default:
		return SPFPermError, fmt.Sprintf("%d SPF records at %s", len(recs), domain)
	}
	rec, err := ParseSPF(recs[0])
	if err != nil {
		return SPFPermError, err.Error()
	}
	for _, t := range rec.Terms {
		if t.Modifier {
			continue
		}
		if t.QueriesDNS() {
			e.terms++
			if e.terms > SPFMaxDNSTerms {
				return SPFPermError, fmt.Sprintf("more than %d DNS-querying terms", SPFMaxDNSTerms)
			}
		}
		match, err := e.mechanism(ctx, t, domain, depth)
		if err != nil {
			if errors.Is(err, errSPFTemp) {
				return SPFTempError, err.Error()
			}
			return SPFPermError, err.Error()
		}
		if match {
			return qualifierResult(t.Qualifier), fmt.Sprintf("%s matched %s", domain, t.Text)
		}
	}
	if rec.Redirect != "" {
		e.terms++
		if e.terms > SPFMaxDNSTerms {
			return SPFPermError, fmt.Sprintf("more than %d DNS-querying terms", SPFMaxDNSTerms)
		}
		target, err := e.expandDomain(ctx, rec.Redirect, domain)
		if err != nil {
			return SPFPermError, err.Error()
		}
		if !validSPFDomain(target) {
			return SPFPermError, fmt.Sprintf("redirect to invalid domain %q", target)
		}
		res, why := e.checkHost(ctx, target, depth+1)
		if res == SPFNone {
			return SPFPermError, "redirect target has no SPF record: " + why
		}
		return res, why
	}
	return SPFNeutral, "no term matched at " + domain
}

func qualifierResult(q string) SPFResult {
	switch q {
	case "-":
		return SPFFail
	case "~":
		return SPFSoftfail
	case "?":
		return SPFNeutral
	}
	return SPFPass
}

// mechanism reports whether t matches.
func (e *spfEval) mechanism(ctx context.Context, t SPFTerm, domain string, depth int) (bool, error) {
	switch t.Name {
	case "all":
		return true, nil
	case "ip4", "ip6":
		return t.Prefix.Contains(e.ip), nil
	}
	target := domain
	if t.Domain != "" {
		var err error
		if target, err = e.expandDomain(ctx, t.Domain, domain); err != nil {
			return false, err
		}
	}
	switch t.Name {
	case "include":
		if !validSPFDomain(target) {
			return false, fmt.Errorf("%w: include of invalid domain %q", errSPFPerm, target)
		}
		res, why := e.checkHost(ctx, target, depth+1)
		switch res {
		case SPFPass:
			return true, nil
		case SPFFail, SPFSoftfail, SPFNeutral:
			return false, nil
		case SPFTempError:
			return false, fmt.Errorf("%w: include:%s: %s", errSPFTemp, target, why)
		}
		return false, fmt.Errorf("%w: include:%s: %s", errSPFPerm, target, why)
	case "a":
		if !validSPFDomain(target) {
			return false, nil
		}
		return e.hostMatches(ctx, target, t.CIDR4, t.CIDR6, true)
	case "mx":
		if !validSPFDomain(target) {
			return false, nil
		}
		rrs, err := e.query(ctx, target, dns.TypeMX, true)
		if err != nil {
			return false, err
		}
		var hosts []string
		for _, rr := range rrs {
			if m, ok := rr.(*dns.MX); ok {
				hosts = append(hosts, m.Mx)
			}
		}
		if len(hosts) > spfMaxMX {
			return false, fmt.Errorf("%w: %s has %d MX hosts, more than %d", errSPFPerm, target, len(hosts), spfMaxMX)
		}
		for _, h := range hosts {
			if h == "." {
				continue
			}
			ok, err := e.hostMatches(ctx, h, t.CIDR4, t.CIDR6, false)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case "ptr":
		names, err := e.validatedNames(ctx)
		if err != nil {
			return false, nil
		}
		tgt := strings.ToLower(strings.TrimSuffix(target, "."))
		for _, n := range names {
			if n == tgt || strings.HasSuffix(n, "."+tgt) {
				return true, nil
			}
		}
		return false, nil
	case "exists":
		if !validSPFDomain(target) {
			return false, nil
		}
		rrs, err := e.query(ctx, target, dns.TypeA, true)
		if err != nil {
			return false, err
		}
		return len(rrs) > 0, nil
	}
	return false, fmt.Errorf("%w: unknown mechanism %s", errSPFPerm, t.Name)
}

// hostMatches looks up the addresses of host (A for an IPv4 client, AAAA
// for IPv6) and reports whether one is within the cidr of the client.
func (e *spfEval) hostMatches(ctx context.Context, host string, c4, c6 int, countVoid bool) (bool, error) {
	qtype, bits := uint16(dns.TypeA), c4
	if e.ip.Is6() {
		qtype, bits = dns.TypeAAAA, c6
	}
	rrs, err := e.query(ctx, host, qtype, countVoid)
	if err != nil {
		return false, err
	}
	for _, rr := range rrs {
		if a := rrAddr(rr); a.IsValid() {
			if p, err := a.Prefix(bits); err == nil && p.Contains(e.ip) {
				return true, nil
			}
		}
	}
	return false, nil
}

func rrAddr(rr dns.RR) netip.Addr {
	switch r := rr.(type) {
	case *dns.A:
		a, _ := netip.AddrFromSlice(r.A.To4())
		return a
	case *dns.AAAA:
		a, _ := netip.AddrFromSlice(r.AAAA.To16())
		return a
	}
	return netip.Addr{}
}

// validatedNames returns the client's validated domain names (§5.5): the
// PTR names (the first 10) whose addresses include the client.
func (e *spfEval) validatedNames(ctx context.Context) ([]string, error) {
	if !e.validatedSet {
		e.validated, e.validatedErr = e.lookupValidatedNames(ctx)
		e.validatedSet = true
	}
	return e.validated, e.validatedErr
}

func (e *spfEval) lookupValidatedNames(ctx context.Context) ([]string, error) {
	rev, err := dns.ReverseAddr(e.ip.String())
	if err != nil {
		return nil, err
	}
	rrs, err := e.query(ctx, rev, dns.TypePTR, true)
	if err != nil {
		return nil, err
	}
	var out []string
	n := 0
	for _, rr := range rrs {
		p, ok := rr.(*dns.PTR)
		if !ok {
			continue
		}
		if n++; n > spfMaxPTR {
			break
		}
		if ok, err := e.hostMatches(ctx, p.Ptr, 32, 128, false); err == nil && ok {
			out = append(out, strings.ToLower(strings.TrimSuffix(p.Ptr, ".")))
		}
	}
	return out, nil
}

// query asks name/qtype and returns the records of qtype in the answer.
// NXDOMAIN and no data give none, counted as a void lookup when
// countVoid; more than SPFMaxVoidLookups is a permerror. A failed lookup
// is a temperror.
func (e *spfEval) query(ctx context.Context, name string, qtype uint16, countVoid bool) ([]dns.RR, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", errSPFTemp, err)
	}
	name = presentationName(name)
	reply, err := e.res.Exchange(ctx, name, qtype)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errSPFTemp, err)
	}
	if reply.Rcode != dns.RcodeSuccess && reply.Rcode != dns.RcodeNameError {
		return nil, fmt.Errorf("%w: %s %s: %s", errSPFTemp, name, dns.Type(qtype), rcodeName(reply.Rcode))
	}
	if reply.Rcode == dns.RcodeSuccess && len(reply.Answer) == 0 && isReferral(reply) {
		return nil, fmt.Errorf("%w: %s %s: a referral, not an answer", errSPFTemp, name, dns.Type(qtype))
	}
	var out []dns.RR
	for _, rr := range reply.Answer {
		if rr.Header().Rrtype == qtype {
			out = append(out, rr)
		}
	}
	if len(out) == 0 && countVoid {
		e.voids++
		if e.voids > SPFMaxVoidLookups {
			return nil, fmt.Errorf("%w: more than %d void lookups", errSPFPerm, SPFMaxVoidLookups)
		}
	}
	return out, nil
}

// presentationName turns a name of raw octets (as macro expansion makes
// it) into the presentation form miekg/dns gives back, so that a reply's
// question matches the one asked.
func presentationName(name string) string {
	buf := make([]byte, 256)
	if n, err := dns.PackDomainName(dns.Fqdn(escapeRawName(name)), buf, 0, nil, false); err == nil {
		if pres, _, err := dns.UnpackDomainName(buf[:n], 0); err == nil {
			return pres
		}
	}
	return dns.Fqdn(name)
}

// escapeRawName escapes the octets of name that presentation form gives
// a meaning to (other than '.', the label separator).
func escapeRawName(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '\\' || c == '"' || c == '(' || c == ')' || c == ';' || c == '@' || c == '$':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c <= ' ' || c > '~':
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// joinTXTRaw joins a TXT record's strings as bytes (no UTF-8 repair: a
// record with bytes outside ASCII must fail to parse).
func joinTXTRaw(parts []string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(UnescapeTXT(p))
	}
	return b.String()
}

// expandDomain expands the macros of a domain-spec (§7) and, when the
// result is longer than 253 octets, drops labels from the left (§7.3).
func (e *spfEval) expandDomain(ctx context.Context, spec, domain string) (string, error) {
	s, err := e.expand(ctx, spec, domain, false)
	if err != nil {
		return "", err
	}
	s = strings.TrimSuffix(s, ".")
	for len(s) > 253 {
		i := strings.IndexByte(s, '.')
		if i < 0 {
			break
		}
		s = s[i+1:]
	}
	return s, nil
}

// expand expands a macro-string. exp allows c, r and t.
func (e *spfEval) expand(ctx context.Context, s, domain string, exp bool) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return "", fmt.Errorf("%w: dangling %%", errSPFPerm)
		}
		switch s[i+1] {
		case '%':
			b.WriteByte('%')
			i++
			continue
		case '_':
			b.WriteByte(' ')
			i++
			continue
		case '-':
			b.WriteString("%20")
			i++
			continue
		case '{':
		default:
			return "", fmt.Errorf("%w: bad macro", errSPFPerm)
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("%w: unterminated macro", errSPFPerm)
		}
		m, err := parseMacro(s[i+2 : i+end])
		if err != nil {
			return "", fmt.Errorf("%w: %v", errSPFPerm, err)
		}
		i += end
		if !exp && strings.IndexByte("crt", m.letter) >= 0 {
			return "", fmt.Errorf("%w: macro %%{%c} outside exp", errSPFPerm, m.letter)
		}
		b.WriteString(e.macro(ctx, m, domain))
	}
	return b.String(), nil
}

// splitAny splits v at every octet in delims, keeping empty parts.
func splitAny(v, delims string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(v); i++ {
		if strings.IndexByte(delims, v[i]) >= 0 {
			parts = append(parts, v[start:i])
			start = i + 1
		}
	}
	return append(parts, v[start:])
}

// urlEscape escapes every octet outside RFC 3986's unreserved set, as
// upper-case macro letters ask (§7.3).
func urlEscape(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if isAlpha(c) || isDigit(c) || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func (e *spfEval) macro(ctx context.Context, m spfMacro, domain string) string {
	var v string
	switch m.letter {
	case 's':
		v = e.sender
	case 'l':
		v = e.local
	case 'o':
		v = e.senderDomain
	case 'd':
		v = domain
	case 'i':
		if e.ip.Is4() {
			v = e.ip.String()
		} else {
			h := fmt.Sprintf("%x", e.ip.As16())
			parts := make([]string, len(h))
			for i := range h {
				parts[i] = h[i : i+1]
			}
			v = strings.Join(parts, ".")
		}
	case 'c':
		v = e.ip.String()
	case 'p':
		v = "unknown"
		if names, err := e.validatedNames(ctx); err == nil && len(names) > 0 {
			v = names[0]
		}
	case 'h':
		v = e.helo
	case 'r':
		v = "unknown"
	case 't':
		v = "0"
	case 'v':
		v = "in-addr"
		if e.ip.Is6() {
			v = "ip6"
		}
	}
	delims := m.delims
	if delims == "" {
		delims = "."
	}
	if m.digits > 0 || m.reverse || m.delims != "" {
		parts := splitAny(v, delims)
		if m.reverse {
			for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
				parts[i], parts[j] = parts[j], parts[i]
			}
		}
		if m.digits > 0 && m.digits < len(parts) {
			parts = parts[len(parts)-m.digits:]
		}
		v = strings.Join(parts, ".")
	}
	if m.upper {
		v = urlEscape(v)
	}
	return v
}
