package dnsscan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/miekg/dns"

	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners/netlimit"
)

// maxCNAMEHops bounds how many CNAMEs one lookup follows, across replies.
const maxCNAMEHops = 8

// session asks the questions of one Scan and remembers the answers, so
// that a question asked twice costs one packet and yields one piece of
// evidence. It also bounds the questions in flight: each exchange with
// the resolver holds one of the Scan's slots and, when the Scan has a
// Limiter, one of the resolver host's.
type session struct {
	res    Resolver
	domain string
	slots  chan struct{}
	lim    *netlimit.Limiter
	host   string // the resolver's key (netlimit.ResolverKey), whose slots lim hands out

	mu      sync.Mutex
	cache   map[string]*cached
	replies map[replyKey]*sharedReply
}

// replyKey is one question on the wire.
type replyKey struct {
	name   string // lower case, fully qualified
	qtype  uint16
	dnssec bool
}

// sharedReply is the reply to one question on the wire, for every part
// of the Scan that asks it. Replies are read, never changed.
type sharedReply struct {
	done  chan struct{}
	reply *dns.Msg
	err   error
}

type cached struct {
	done  chan struct{}
	lk    posture.Lookup
	ev    posture.Evidence
	reply *dns.Msg // the last reply, for callers that read more than the answer
}

// exchangeFunc asks one question; Resolver.Exchange is one.
type exchangeFunc func(ctx context.Context, name string, qtype uint16) (*dns.Msg, error)

// newSession returns a session with at most inFlight questions in flight
// (at least one), and within lim's budget for the resolver's host when
// lim is not nil.
func newSession(res Resolver, domain string, inFlight int, lim *netlimit.Limiter) *session {
	return &session{res: res, domain: domain, slots: make(chan struct{}, max(inFlight, 1)), lim: lim, host: netlimit.ResolverKey(res.Addr()),
		cache: map[string]*cached{}, replies: map[replyKey]*sharedReply{}}
}

// acquire waits for a slot to ask one question (or for ctx to end) and
// returns the function that gives it back.
func (s *session) acquire(ctx context.Context) (release func(), err error) {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// A question is one exchange: it waits no longer behind other work
	// than the TLS scanner's chains do.
	hostRelease, err := s.lim.Acquire(netlimit.WithPriority(ctx, netlimit.PriorityShort), s.host)
	if err != nil {
		<-s.slots
		return nil, err
	}
	return func() { hostRelease(); <-s.slots }, nil
}

// exchange sends one question to the resolver, with the DO and AD bits
// when dnssec is set and the resolver is a DNSSECResolver, once per
// session: a part of the Scan that asks what another already asked (a
// CNAME target two names share, check_host's lookups that the SPF tree
// made) waits for the same reply. It holds a slot while it asks.
func (s *session) exchange(ctx context.Context, name string, qtype uint16, dnssec bool) (*dns.Msg, error) {
	ex := s.res.Exchange
	if dr, ok := s.res.(DNSSECResolver); ok && dnssec {
		ex = dr.ExchangeDNSSEC
	} else {
		dnssec = false
	}
	key := replyKey{name: strings.ToLower(dns.Fqdn(name)), qtype: qtype, dnssec: dnssec}
	s.mu.Lock()
	r, ok := s.replies[key]
	if !ok {
		r = &sharedReply{done: make(chan struct{})}
		s.replies[key] = r
	}
	s.mu.Unlock()
	if ok {
		<-r.done
		return r.reply, r.err
	}
	defer close(r.done)
	r.err = errIncomplete // until ex returns (it might panic)
	release, err := s.acquire(ctx)
	if err != nil {
		r.err = err
		return nil, err
	}
	defer release()
	r.reply, r.err = ex(ctx, name, qtype)
	return r.reply, r.err
}

// errIncomplete is the reply of an exchange that did not return.
var errIncomplete = errors.New("dnsscan: the exchange did not complete")

// sessionResolver asks through the session's exchange: within its bound
// and sharing its replies, but not its lookups (not cached as a Lookup,
// not in its evidence). check_host evaluations ask through it.
type sessionResolver struct{ sess *session }

func (r sessionResolver) Addr() string { return r.sess.res.Addr() }

func (r sessionResolver) Exchange(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	return r.sess.exchange(ctx, name, qtype, false)
}

// lookup asks name/qtype once per session; concurrent callers of the same
// question wait for the first.
func (s *session) lookup(ctx context.Context, name string, qtype uint16) posture.Lookup {
	lk, _ := s.lookupWith(ctx, name, qtype, false)
	return lk
}

// lookupWith is lookup, asking with the DO and AD bits when dnssec is set
// (the resolver must be a DNSSECResolver); it also returns the last reply
// (nil when none came). The cache is keyed by question only: a question
// must always be asked with the same dnssec.
func (s *session) lookupWith(ctx context.Context, name string, qtype uint16, dnssec bool) (posture.Lookup, *dns.Msg) {
	key := evidenceID(s.domain, name, qtype)
	s.mu.Lock()
	c, ok := s.cache[key]
	if !ok {
		c = &cached{done: make(chan struct{})}
		s.cache[key] = c
	}
	s.mu.Unlock()
	if ok {
		<-c.done
		return c.lk, c.reply
	}
	// Those waiting for the answer are let go whatever happens: should
	// ask panic, they see a failed lookup and the panic reaches the
	// caller of netlimit.Parallel, rather than the Scan waiting forever.
	c.lk = posture.Lookup{Name: canonical(name), Type: dns.Type(qtype).String(), Found: posture.Unknown, Evidence: key,
		Missing: &posture.Missing{Reason: posture.ReasonError, Detail: "dnsscan: the lookup did not complete"}}
	defer close(c.done)
	ex := func(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
		return s.exchange(ctx, name, qtype, dnssec)
	}
	c.lk, c.ev, c.reply = s.ask(ctx, name, qtype, ex, dnssec)
	return c.lk, c.reply
}

// evidence returns the evidence of every question asked, by ID.
func (s *session) evidence() map[string]posture.Evidence {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]posture.Evidence, len(s.cache))
	for id, c := range s.cache {
		out[id] = c.ev
	}
	return out
}

// failed returns how many questions were asked and the Missing of each one
// that failed, in ID order.
func (s *session) failed() (asked int, failures []*posture.Missing) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.cache))
	for id := range s.cache {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if m := s.cache[id].lk.Missing; m != nil {
			failures = append(failures, m)
		}
	}
	return len(ids), failures
}

// evidenceID names the evidence of one question, unique within a snapshot:
// dns/<scanned domain>/<name>/<TYPE>.
func evidenceID(domain, name string, qtype uint16) string {
	return "dns/" + domain + "/" + canonical(name) + "/" + dns.Type(qtype).String()
}

// canonical is name in lower case without the final dot.
func canonical(name string) string {
	return strings.TrimSuffix(strings.ToLower(name), ".")
}

// ask sends the question, follows CNAMEs the reply leaves unresolved, and
// turns what came back into a Lookup and its evidence.
func (s *session) ask(ctx context.Context, name string, qtype uint16, ex exchangeFunc, dnssec bool) (lk posture.Lookup, ev posture.Evidence, last *dns.Msg) {
	typ := dns.Type(qtype).String()
	lk = posture.Lookup{Name: canonical(name), Type: typ, Found: posture.Unknown, Evidence: evidenceID(s.domain, name, qtype)}
	ev = posture.Evidence{ID: lk.Evidence, Kind: posture.EvidenceDNS, Label: lk.Name + " " + typ}
	var data strings.Builder
	defer func() { ev.Data = data.String() }()

	cur := dns.Fqdn(lk.Name)
	if _, ok := dns.IsDomainName(cur); !ok || lk.Name == "" {
		lk.Missing = &posture.Missing{Reason: posture.ReasonError, Detail: fmt.Sprintf("dnsscan: %q is not a domain name", name)}
		fmt.Fprintf(&data, ";; %s %s not asked via %s\n;; error: %s\n", cur, typ, s.res.Addr(), lk.Missing.Detail)
		return lk, ev, nil
	}
	seen := map[string]bool{}
	for hop := 0; ; hop++ {
		reply, err := ex(ctx, cur, qtype)
		if err != nil {
			lk.RCode = ""
			lk.Missing = posture.MissingFor(ctx, err)
			fmt.Fprintf(&data, ";; %s %s %s via %s\n;; error: %v\n", cur, typ, strings.ToUpper(string(lk.Missing.Reason)), s.res.Addr(), err)
			return lk, ev, last
		}
		last = reply
		lk.RCode = rcodeName(reply.Rcode)
		fmt.Fprintf(&data, ";; %s %s %s via %s\n", cur, typ, lk.RCode, s.res.Addr())
		if dnssec {
			fmt.Fprintf(&data, ";; asked with DO and AD; reply flags:%s\n", replyFlags(reply))
		}
		for _, rr := range reply.Answer {
			lk.Answers = append(lk.Answers, rr.String())
			data.WriteString(rr.String() + "\n")
		}
		if reply.Rcode != dns.RcodeSuccess && reply.Rcode != dns.RcodeNameError {
			// NXDOMAIN is an answer (of absence); any other rcode is none.
			lk.Missing = posture.MissingFor(ctx, &rcodeError{name: cur, qtype: typ, rcode: reply.Rcode})
			return lk, ev, last
		}
		final, matched, err := answersAt(reply.Answer, cur, qtype, seen)
		if err != nil {
			// A chain that loops or does not end is no answer: neither
			// the records nor their absence was seen.
			lk.Missing = posture.MissingFor(ctx, err)
			fmt.Fprintf(&data, ";; error: %v\n", err)
			return lk, ev, last
		}
		if len(matched) > 0 {
			lk.Found = posture.Yes
			lk.Values = values(matched)
			return lk, ev, last
		}
		if reply.Rcode == dns.RcodeSuccess && strings.EqualFold(final, cur) && isReferral(reply) {
			// A server that does not answer for the name sent us on:
			// no answer, not an answer of absence.
			lk.Missing = &posture.Missing{Reason: posture.ReasonDNSError, Detail: fmt.Sprintf("%s %s: a referral, not an answer (the resolver does not answer for it)", cur, typ)}
			return lk, ev, last
		}
		if reply.Rcode == dns.RcodeNameError || strings.EqualFold(final, cur) {
			// NXDOMAIN, or NOERROR with no data: an observation of
			// absence. The authority section (the SOA) is its proof.
			lk.Found = posture.No
			if len(reply.Ns) > 0 {
				data.WriteString(";; authority\n")
				for _, rr := range reply.Ns {
					data.WriteString(rr.String() + "\n")
				}
			}
			return lk, ev, last
		}
		// The reply ended in a CNAME whose target it did not resolve:
		// ask for the target.
		if hop+1 >= maxCNAMEHops {
			lk.Missing = &posture.Missing{Reason: posture.ReasonDNSError, Detail: fmt.Sprintf("%s %s: more than %d CNAMEs", lk.Name, typ, maxCNAMEHops)}
			return lk, ev, last
		}
		cur = final
	}
}

// isReferral reports whether a NOERROR reply with no answer is a
// referral, not a NODATA answer (RFC 2308 §2.2): not authoritative, NS
// records in the authority section and no SOA.
func isReferral(m *dns.Msg) bool {
	if m.Authoritative {
		return false
	}
	ns := false
	for _, rr := range m.Ns {
		switch rr.(type) {
		case *dns.SOA:
			return false
		case *dns.NS:
			ns = true
		}
	}
	return ns
}

// answersAt follows the CNAME chain from name within an answer section and
// returns where it ends and the records of qtype there: what a question
// for name/qtype was answered with, when anything. seen holds the names
// the chain has passed through, across the replies of one lookup: a
// CNAME back to one of them (x→x, x→y→x) is a loop, and a chain of more
// than maxCNAMEHops CNAMEs does not end; either is an error, never an
// answer of absence (RFC 1034 §3.6.2: a CNAME chain must not loop).
func answersAt(answer []dns.RR, name string, qtype uint16, seen map[string]bool) (final string, matched []dns.RR, err error) {
	final, err = followCNAMEs(answer, name, seen)
	if err != nil {
		return final, nil, err
	}
	for _, rr := range answer {
		if rr.Header().Rrtype == qtype && strings.EqualFold(rr.Header().Name, final) {
			matched = append(matched, rr)
		}
	}
	return final, matched, nil
}

// cnameError is a CNAME chain that loops or does not end.
type cnameError struct {
	from, to string
	loop     bool
}

func (e *cnameError) Error() string {
	if e.loop {
		return fmt.Sprintf("dnsscan: CNAME loop: %s points back to %s", e.from, e.to)
	}
	return fmt.Sprintf("dnsscan: more than %d CNAMEs (stopped at %s → %s)", maxCNAMEHops, e.from, e.to)
}

func (e *cnameError) MissingReason() posture.Reason { return posture.ReasonDNSError }

// followCNAMEs walks the CNAME chain that starts at name within rrs and
// returns where it ends (name itself when there is none); seen is as for
// answersAt.
func followCNAMEs(rrs []dns.RR, name string, seen map[string]bool) (string, error) {
	seen[strings.ToLower(dns.Fqdn(name))] = true
	for {
		next := ""
		for _, rr := range rrs {
			if c, ok := rr.(*dns.CNAME); ok && strings.EqualFold(c.Hdr.Name, name) {
				next = c.Target
				break
			}
		}
		if next == "" {
			return name, nil
		}
		key := strings.ToLower(dns.Fqdn(next))
		if seen[key] {
			return name, &cnameError{from: name, to: next, loop: true}
		}
		if len(seen) > maxCNAMEHops {
			return name, &cnameError{from: name, to: next}
		}
		seen[key] = true
		name = next
	}
}

// values turns records into the values a Lookup lists: TXT strings joined
// and unescaped, MX exchange hosts in order of preference (a null MX is
// "."), and for other types the record data in zone-file form.
func values(rrs []dns.RR) []string {
	var out []string
	var mx []*dns.MX
	for _, rr := range rrs {
		switch r := rr.(type) {
		case *dns.TXT:
			out = append(out, joinTXT(r.Txt))
		case *dns.MX:
			mx = append(mx, r)
		default:
			out = append(out, strings.TrimPrefix(rr.String(), rr.Header().String()))
		}
	}
	slices.SortStableFunc(mx, func(a, b *dns.MX) int {
		return cmp.Or(cmp.Compare(a.Preference, b.Preference), cmp.Compare(strings.ToLower(a.Mx), strings.ToLower(b.Mx)))
	})
	for _, m := range mx {
		host := canonical(m.Mx)
		if host == "" {
			host = "."
		}
		out = append(out, host)
	}
	return out
}

// replyFlags lists the header flags of a reply that matter for DNSSEC, in
// dig's notation (" qr aa ra ad").
func replyFlags(m *dns.Msg) string {
	var b strings.Builder
	for _, f := range []struct {
		on   bool
		name string
	}{{m.Response, "qr"}, {m.Authoritative, "aa"}, {m.RecursionAvailable, "ra"}, {m.AuthenticatedData, "ad"}, {m.CheckingDisabled, "cd"}} {
		if f.on {
			b.WriteString(" " + f.name)
		}
	}
	if o := m.IsEdns0(); o != nil && o.Do() {
		b.WriteString(" do")
	}
	return b.String()
}

func rcodeName(rc int) string {
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return fmt.Sprintf("RCODE%d", rc)
}
