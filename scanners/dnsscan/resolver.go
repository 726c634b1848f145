package dnsscan

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/vouchdev/vouch/posture"
)

// Resolver asks one question and returns the reply.
type Resolver interface {
	// Exchange asks for name (made lower-case and fully qualified) and type
	// qtype, and returns the reply, whatever its rcode. An error means no
	// usable reply came back.
	Exchange(ctx context.Context, name string, qtype uint16) (*dns.Msg, error)
	// Addr is what to write as the observation's Source and Resolver.
	Addr() string
}

// DNSSECResolver is a Resolver that can also ask with the DO bit set (RFC
// 3225: send DNSSEC records) and the AD bit set (RFC 6840 §5.7: say
// whether the answer was validated). The DNSSEC observation needs it; a
// Resolver without it leaves DNSSEC unobserved.
type DNSSECResolver interface {
	Resolver
	ExchangeDNSSEC(ctx context.Context, name string, qtype uint16) (*dns.Msg, error)
}

// DefaultTimeout bounds one try when NewResolver is given no timeout.
const DefaultTimeout = 5 * time.Second

// ednsSize is the EDNS0 buffer advertised over UDP: the size that avoids
// IP fragmentation on common paths (DNS flag day 2020).
const ednsSize = 1232

// maxStrayReplies bounds how many unrelated datagrams one UDP try reads
// past (replies with the wrong ID or question, e.g. late replies to an
// earlier try) before giving up.
const maxStrayReplies = 16

var (
	// errMismatch says a reply did not answer the question asked.
	errMismatch = posture.WithReason(posture.ReasonProtocolError, errors.New("dnsscan: reply does not match the question"))
	// errMalformed says a reply did not parse.
	errMalformed = posture.WithReason(posture.ReasonProtocolError, errors.New("dnsscan: malformed reply"))
)

// NewResolver returns a miekg/dns-backed Resolver sending to addr
// (host:port). It asks over UDP first and, when the reply is truncated
// (TC), asks again over TCP; the miekg client does not. timeout bounds each
// try (DefaultTimeout when zero or less); ctx bounds them all.
func NewResolver(addr string, timeout time.Duration) *StubResolver {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &StubResolver{addr: addr, timeout: timeout}
}

// SystemResolverAddr reads /etc/resolv.conf and returns its first
// nameserver as host:port.
func SystemResolverAddr() (string, error) {
	return resolverAddrFrom("/etc/resolv.conf")
}

func resolverAddrFrom(path string) (string, error) {
	cfg, err := dns.ClientConfigFromFile(path)
	if err != nil {
		return "", fmt.Errorf("dnsscan: read %s: %w", path, err)
	}
	if len(cfg.Servers) == 0 {
		return "", fmt.Errorf("dnsscan: %s names no nameserver", path)
	}
	port := cfg.Port
	if port == "" {
		port = "53"
	}
	return net.JoinHostPort(cfg.Servers[0], port), nil
}

// StubResolver is the DNS client of a scan: a DNSSECResolver that sends
// every question to one recursive resolver. It is also a posture.Resolver
// (names.go), so that the other scanners look names up through the same
// client and see the same answers.
type StubResolver struct {
	addr    string
	timeout time.Duration
}

func (r *StubResolver) Addr() string { return r.addr }

func (r *StubResolver) Exchange(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	return r.exchange(ctx, name, qtype, false)
}

func (r *StubResolver) ExchangeDNSSEC(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	return r.exchange(ctx, name, qtype, true)
}

func (r *StubResolver) exchange(ctx context.Context, name string, qtype uint16, dnssec bool) (*dns.Msg, error) {
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(strings.ToLower(name)), qtype)
	q.RecursionDesired = true
	q.AuthenticatedData = dnssec
	q.SetEdns0(ednsSize, dnssec)
	reply, err := r.try(ctx, "udp", q)
	if err != nil {
		return nil, fmt.Errorf("dnsscan: %s %s via udp %s: %w", q.Question[0].Name, dns.Type(qtype), r.addr, err)
	}
	if !reply.Truncated {
		return reply, nil
	}
	reply, err = r.try(ctx, "tcp", q)
	if err != nil {
		return nil, fmt.Errorf("dnsscan: %s %s via tcp %s after a truncated udp reply: %w", q.Question[0].Name, dns.Type(qtype), r.addr, err)
	}
	if reply.Truncated {
		// Still a part of the answer: what it lacks is not absence.
		return nil, fmt.Errorf("dnsscan: %s %s via tcp %s: %w: truncated (TC) over tcp too", q.Question[0].Name, dns.Type(qtype), r.addr, errMalformed)
	}
	return reply, nil
}

// try sends q once over network and reads its reply, within r.timeout and
// ctx. Cancelling ctx wakes a blocked read at once.
func (r *StubResolver) try(ctx context.Context, network string, q *dns.Msg) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, r.addr)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	// Registered after the deadline is set, so that it always wins.
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Now()) })
	defer stop()

	// A UDP read takes one whole datagram: read into the largest buffer so
	// that an oversized reply is seen whole rather than cut.
	co := &dns.Conn{Conn: nc, UDPSize: dns.MaxMsgSize}
	if err := co.WriteMsg(q); err != nil {
		return nil, ctxOr(ctx, wireError(err))
	}
	udp := network == "udp"
	// A datagram can be lost: over UDP the question is sent again when
	// no reply came within a third of the timeout (RFC 1035 §4.2.1, RFC
	// 1123 §6.1.3.3: a resolver retransmits), three sends in all within
	// the one timeout. A busy path (a fleet's thousands of questions)
	// drops a datagram now and then; one lost packet is no timeout.
	sends, resendAt := 1, time.Time{}
	overall, hasDeadline := ctx.Deadline()
	if udp && hasDeadline {
		resendAt = time.Now().Add(r.timeout / 3)
		if resendAt.After(overall) {
			resendAt = overall
		}
		nc.SetReadDeadline(resendAt)
		if ctx.Err() != nil { // ended as the deadline was moved
			return nil, ctx.Err()
		}
	}
	for range maxStrayReplies {
		reply, err := co.ReadMsg()
		if err != nil && reply == nil {
			var ne net.Error
			if !resendAt.IsZero() && sends < 3 && ctx.Err() == nil && errors.As(err, &ne) && ne.Timeout() {
				sends++
				resendAt = time.Now().Add(r.timeout / 3)
				if resendAt.After(overall) || sends == 3 {
					resendAt = overall
				}
				nc.SetReadDeadline(resendAt)
				if ctx.Err() != nil { // ended as the deadline was moved
					return nil, ctx.Err()
				}
				if err := co.WriteMsg(q); err != nil {
					return nil, ctxOr(ctx, wireError(err))
				}
				continue
			}
			return nil, ctxOr(ctx, wireError(err))
		}
		if err != nil {
			// The header was read but the rest did not parse. A
			// truncated UDP reply may be cut mid-record: its TC bit is
			// enough to go to TCP.
			if udp && reply.Truncated && reply.Id == q.Id && reply.Response {
				return reply, nil
			}
			if udp && reply.Id != q.Id {
				continue
			}
			return nil, fmt.Errorf("%w: %v", errMalformed, err)
		}
		if !answers(q, reply) {
			if udp {
				continue
			}
			return nil, errMismatch
		}
		return reply, nil
	}
	return nil, errMismatch
}

// ctxOr returns ctx's error when ctx is done (the read failed because of
// it), else err.
func ctxOr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	return err
}

// wireError marks the errors of miekg/dns's message codec (a short read,
// a message that does not pack or unpack) as a protocol error; others
// (the connection's) are left to posture.MissingFor.
func wireError(err error) error {
	var de *dns.Error
	if errors.As(err, &de) {
		return posture.WithReason(posture.ReasonProtocolError, err)
	}
	return err
}

// answers reports whether reply is a reply to q.
func answers(q, reply *dns.Msg) bool {
	if reply.Id != q.Id || !reply.Response {
		return false
	}
	if len(reply.Question) == 0 {
		// Some servers drop the question from error replies.
		return reply.Rcode != dns.RcodeSuccess
	}
	a, b := reply.Question[0], q.Question[0]
	return len(reply.Question) == 1 && a.Qtype == b.Qtype && strings.EqualFold(a.Name, b.Name)
}

// rcodeError is a reply whose rcode says the question got no answer (RFC
// 1035 §4.1.1, RFC 6895 §2.3). It says its own reason: SERVFAIL is the
// resolver failing, NXDOMAIN a name that does not exist, any other rcode
// (REFUSED, FORMERR, NOTIMP, ...) another resolver error.
type rcodeError struct {
	name, qtype string
	rcode       int
}

func (e *rcodeError) Error() string {
	return fmt.Sprintf("%s %s: %s", e.name, e.qtype, rcodeName(e.rcode))
}

func (e *rcodeError) MissingReason() posture.Reason {
	switch e.rcode {
	case dns.RcodeServerFailure:
		return posture.ReasonServFail
	case dns.RcodeNameError:
		return posture.ReasonNXDomain
	}
	return posture.ReasonDNSError
}
