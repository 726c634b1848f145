package tlsscan

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"syscall"
	"time"

	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners/netlimit"
)

// outcome is what one version probe concluded.
type outcome int

const (
	// accepted: the server answered with a ServerHello for the version asked.
	accepted outcome = iota
	// rejected: the server refused the hello (an alert, a close, or a
	// ServerHello for another version).
	rejected
	// failed: we could not tell; missing says why.
	failed
)

// probeResult is the outcome of one ClientHello.
type probeResult struct {
	version   uint16 // version probed
	outcome   outcome
	connected bool // a TCP connection was established
	hello     *serverHello
	alert     *alert
	// kx is the ServerKeyExchange read after the ServerHello, when the
	// spec asked for it and the suite is (EC)DHE.
	kx *keyExchange
	// note says why a hello was rejected, for the evidence.
	note    string
	missing *posture.Missing
}

// specFor returns the broad hello that asks whether a server speaks v.
func specFor(v uint16, serverName string) helloSpec {
	spec := helloSpec{version: v, serverName: serverName, readKeyExchange: v <= versionTLS12}
	switch {
	case v >= versionTLS13:
		spec.suites = suitesTLS13
	case v == versionTLS12:
		spec.suites = suitesTLS12
	default:
		spec.suites = suitesLegacy
	}
	return spec
}

// preambleKey carries a preamble: something spoken on every new
// connection before TLS starts on it (SMTP up to STARTTLS for MX hosts).
type preambleKey struct{}

// preamble runs on a connection before TLS; an error makes it unusable.
type preamble interface {
	start(ctx context.Context, conn net.Conn) error
}

// connect waits for a slot of addr's host in the per-host budget, then
// opens a TCP connection for TLS (dial). The context it returns bounds
// the connection by the scanner's Timeout counted from the moment the
// slot is held: waiting for the budget never eats into the timeout (ctx,
// the scan's, still bounds the wait). Closing the connection gives the
// slot back; call cancel when done.
func (s *Scanner) connect(ctx context.Context, addr string, timeout time.Duration) (net.Conn, context.Context, context.CancelFunc, error) {
	release, err := s.limiter.Acquire(ctx, netlimit.HostOf(addr))
	if err != nil {
		return nil, ctx, func() {}, err
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	conn, err := s.dial(cctx, addr)
	if err != nil {
		release()
		return nil, cctx, cancel, err
	}
	return netlimit.Hold(conn, release), cctx, cancel, nil
}

// connectPlain is connect without the preamble: a plain TCP connection.
func (s *Scanner) connectPlain(ctx context.Context, addr string, timeout time.Duration) (net.Conn, context.Context, context.CancelFunc, error) {
	return s.connect(context.WithValue(ctx, preambleKey{}, nil), addr, timeout)
}

// dial opens a TCP connection to addr for TLS: with a preamble in ctx,
// it is spoken first, within ctx's deadline.
func (s *Scanner) dial(ctx context.Context, addr string) (net.Conn, error) {
	conn, err := s.dialTCP(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	p, ok := ctx.Value(preambleKey{}).(preamble)
	if !ok {
		return conn, nil
	}
	stop := watch(ctx, conn)
	err = p.start(ctx, conn)
	stop()
	if err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// probe opens one connection to addr, sends the ClientHello of spec, and
// reads the reply up to the ServerHello. The connection is bounded by the
// scanner's Timeout (from when its slot is held, connect) and by ctx.
func (s *Scanner) probe(ctx context.Context, addr string, spec helloSpec) probeResult {
	res := probeResult{version: spec.version, outcome: failed}
	conn, pctx, cancel, err := s.connect(ctx, addr, s.timeout)
	defer cancel()
	if err != nil {
		res.missing = posture.MissingFor(ctx, err)
		return res
	}
	res.connected = true
	defer conn.Close()
	stop := watch(pctx, conn)
	defer stop()

	hello, err := buildClientHello(spec, rand.Reader)
	if err != nil {
		res.missing = &posture.Missing{Reason: posture.ReasonError, Detail: err.Error()}
		return res
	}
	if _, err := conn.Write(hello); err != nil {
		if closedByPeer(err) {
			res.outcome, res.note = rejected, "connection closed before the hello was sent"
			return res
		}
		res.missing = posture.MissingFor(ctx, err)
		return res
	}
	rep, err := readReplyKX(conn, spec.readKeyExchange)
	switch {
	case err == nil:
	case errors.Is(err, errPeerClosed):
		res.outcome, res.note = rejected, "connection closed after the hello"
		return res
	default: // a *protocolError, errTooLarge, or the connection's error
		res.missing = posture.MissingFor(ctx, err)
		return res
	}
	if a := rep.alert; a != nil {
		res.alert = a
		if a.refusesHello() || a.description == 0 {
			res.outcome, res.note = rejected, "alert "+a.String()
		} else {
			res.missing = &posture.Missing{Reason: posture.ReasonHandshakeFailed, Detail: "alert " + a.String()}
		}
		return res
	}
	h := rep.hello
	res.hello, res.kx = h, rep.kx
	if h.version != spec.version {
		res.outcome, res.note = rejected, "server chose "+versionName(h.version)
		return res
	}
	res.outcome = accepted
	return res
}

// watch makes the connection's reads and writes end when ctx is done, and
// sets its deadline to ctx's. The returned func stops the watch.
func watch(ctx context.Context, conn net.Conn) (stop func() bool) {
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	return context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
}

// closedByPeer reports whether err means the peer closed or reset.
func closedByPeer(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
