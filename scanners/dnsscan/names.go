package dnsscan

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"

	"github.com/miekg/dns"

	"github.com/vouchdev/vouch/posture"
)

// The lookups of posture.Resolver, so that the TLS and HTTP scanners
// resolve names through the scan's one DNS client. Their errors are those
// of *net.Resolver (a *net.DNSError, IsNotFound for a name that does not
// exist or has no records of the type) and wrap what went wrong, so that
// posture.MissingFor reads a SERVFAIL or a timeout as it does dnsscan's own.

var _ posture.Resolver = (*StubResolver)(nil)

// LookupIPAddr returns the A then the AAAA addresses of host, asked at
// once; an IP address is its own, and localhost (and names below it) is
// the loopback addresses without a question sent, as RFC 6761 §6.3 asks
// of resolver libraries.
func (r *StubResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []net.IPAddr{{IP: net.IP(a.Unmap().AsSlice()), Zone: a.Zone()}}, nil
	}
	if h := strings.ToLower(strings.TrimSuffix(host, ".")); h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return []net.IPAddr{{IP: net.IPv4(127, 0, 0, 1)}, {IP: net.IPv6loopback}}, nil
	}
	var (
		wg   sync.WaitGroup
		rrs  [2][]dns.RR
		errs [2]error
	)
	for i, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rrs[i], errs[i] = r.lookup(ctx, host, qtype)
		}()
	}
	wg.Wait()
	var out []net.IPAddr
	for _, list := range rrs {
		for _, rr := range list {
			switch rr := rr.(type) {
			case *dns.A:
				out = append(out, net.IPAddr{IP: rr.A})
			case *dns.AAAA:
				out = append(out, net.IPAddr{IP: rr.AAAA})
			}
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	// No address: say why the A question failed unless it only found
	// nothing and the AAAA question failed for a reason.
	if notFound(errs[0]) && errs[1] != nil && !notFound(errs[1]) {
		return nil, errs[1]
	}
	return nil, errs[0]
}

// LookupMX returns the MX records of name in the order of the answer (a
// null MX, RFC 7505, has the host ".").
func (r *StubResolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	rrs, err := r.lookup(ctx, name, dns.TypeMX)
	if err != nil {
		return nil, err
	}
	var out []*net.MX
	for _, rr := range rrs {
		if mx, ok := rr.(*dns.MX); ok {
			out = append(out, &net.MX{Host: mx.Mx, Pref: mx.Preference})
		}
	}
	return out, nil
}

// lookup asks name/qtype, following the CNAMEs the answers leave
// unresolved, and returns the records of qtype at the end of the chain;
// none is a *net.DNSError with IsNotFound.
func (r *StubResolver) lookup(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	cur := dns.Fqdn(strings.ToLower(name))
	if !isMailDomain(strings.TrimSuffix(cur, ".")) {
		// Not a host name (a space, an empty label): no server is asked,
		// as Go's resolver asks none. miekg/dns would send it escaped.
		return nil, &net.DNSError{Err: "no such host", Name: name, Server: r.addr, IsNotFound: true}
	}
	seen := map[string]bool{}
	for range maxCNAMEHops {
		reply, err := r.Exchange(ctx, cur, qtype)
		if err != nil {
			var ne net.Error
			timeout := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
			return nil, &net.DNSError{Err: err.Error(), Name: name, Server: r.addr, IsTimeout: timeout, UnwrapErr: err}
		}
		if reply.Rcode != dns.RcodeSuccess {
			re := &rcodeError{name: cur, qtype: dns.Type(qtype).String(), rcode: reply.Rcode}
			if reply.Rcode == dns.RcodeNameError {
				return nil, &net.DNSError{Err: "no such host", Name: name, Server: r.addr, IsNotFound: true, UnwrapErr: re}
			}
			return nil, &net.DNSError{Err: rcodeName(reply.Rcode), Name: name, Server: r.addr,
				IsTemporary: reply.Rcode == dns.RcodeServerFailure, UnwrapErr: re}
		}
		final, out, err := answersAt(reply.Answer, cur, qtype, seen)
		if err != nil {
			return nil, &net.DNSError{Err: err.Error(), Name: name, Server: r.addr, UnwrapErr: err}
		}
		if len(out) > 0 {
			return out, nil
		}
		if strings.EqualFold(final, cur) && isReferral(reply) {
			// As in a session's lookup: no answer, not one of absence.
			return nil, &net.DNSError{Err: "a referral, not an answer", Name: name, Server: r.addr,
				UnwrapErr: posture.WithReason(posture.ReasonDNSError, errors.New("dnsscan: "+cur+" "+dns.Type(qtype).String()+": a referral, not an answer"))}
		}
		if strings.EqualFold(final, cur) {
			return nil, &net.DNSError{Err: "no such host", Name: name, Server: r.addr, IsNotFound: true}
		}
		cur = final // a CNAME whose target the answer did not resolve
	}
	return nil, &net.DNSError{Err: "more CNAMEs than followed", Name: name, Server: r.addr}
}

func notFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}
