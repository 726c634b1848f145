package posture

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
)

// A Reasoner is an error that knows why it kept a value from being
// observed. Scanners give their own errors (a SERVFAIL rcode, a reply
// over a read limit, a reply that breaks the grammar) a MissingReason, and
// MissingFor takes it from anywhere in the error's chain.
type Reasoner interface {
	error
	MissingReason() Reason
}

// WithReason returns err marked with reason r: MissingFor says r for it and
// for every error that wraps it. errors.Is(WithReason(r, err), err) holds,
// so a sentinel can be declared marked:
//
//	var errTooLarge = posture.WithReason(posture.ReasonTooLarge, errors.New("x: reply too large"))
func WithReason(r Reason, err error) error {
	if err == nil {
		return nil
	}
	return &reasoned{reason: r, err: err}
}

type reasoned struct {
	reason Reason
	err    error
}

func (e *reasoned) Error() string         { return e.err.Error() }
func (e *reasoned) Unwrap() error         { return e.err }
func (e *reasoned) MissingReason() Reason { return e.reason }

// MissingReason makes a *Missing a Reasoner, so that one returned as an
// error keeps its reason.
func (m *Missing) MissingReason() Reason { return m.Reason }

// MissingFor says why err kept a scanner from observing: the one place
// where errors become reasons, so that a refused connection, a timeout or a
// SERVFAIL reads the same whichever scanner met it. ctx is the context the
// failed work ran under (nil if none): when it was cancelled the scan was
// called off and the reason is ReasonError, not the peer's doing; when its
// deadline passed, a failure that says nothing more is a timeout. Detail is
// the error's text. A *Missing in err's chain is returned as it is (a
// copy); MissingFor(ctx, nil) is ctx's error, or nil.
//
// In order, the first that applies:
//
//	a Reasoner in the chain                         its MissingReason
//	ctx cancelled (not by its deadline)             error
//	context.Canceled after ctx's deadline           timeout
//	*net.DNSError: not found, timeout, SERVFAIL     nxdomain, timeout, servfail
//	ECONNREFUSED                                    refused
//	EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, ENETDOWN  unreachable
//	a deadline, or a net.Error that timed out       timeout
//	a TLS alert, record or certificate error        handshake_failed
//	net/http's "server response headers exceeded"   too_large
//	EOF before the end, net/http's "malformed HTTP" protocol_error
//	another *net.DNSError (REFUSED, ...)            dns_error
//	another failed dial                             unreachable
//	text only: "connection refused"                 refused
//	text only: "i/o timeout", "deadline exceeded"   timeout
//	anything else, once ctx's deadline has passed   timeout
//	anything else                                   error
//
// The text-only rows read an error that lost its type on the way (one
// that crossed a process boundary: MissingForText).
func MissingFor(ctx context.Context, err error) *Missing {
	if err == nil {
		if ctx == nil || ctx.Err() == nil {
			return nil
		}
		err = ctx.Err()
	}
	var known *Missing
	if errors.As(err, &known) && known != nil {
		m := *known
		return &m
	}
	m := &Missing{Reason: reasonFor(ctx, err), Detail: err.Error()}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		m.Detail += " (the peer closed the connection)"
	}
	return m
}

// MissingForText is MissingFor of an error known only by its text, as the
// WAF engine reports them from its own process: the same words give the
// same reason as the error they were printed from would.
func MissingForText(text string) *Missing {
	if text == "" {
		return nil
	}
	return MissingFor(nil, errors.New(text))
}

func reasonFor(ctx context.Context, err error) Reason {
	var ctxErr error
	if ctx != nil {
		ctxErr = ctx.Err()
	}
	var (
		r      Reasoner
		dnsErr *net.DNSError
		netErr net.Error
		opErr  *net.OpError
	)
	isDNS := errors.As(err, &dnsErr)
	switch {
	case errors.As(err, &r):
		return r.MissingReason()
	case errors.Is(ctxErr, context.Canceled):
		return ReasonError // the scan was called off
	case errors.Is(err, context.Canceled):
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			return ReasonTimeout
		}
		return ReasonError
	case isDNS && dnsErr.IsNotFound:
		return ReasonNXDomain
	case isDNS && dnsErr.IsTimeout:
		return ReasonTimeout
	case isDNS && dnsErr.IsTemporary && strings.Contains(dnsErr.Err, "server misbehaving"):
		// What Go's resolver says for SERVFAIL; for REFUSED and other
		// rcodes it says the same, but not temporary.
		return ReasonServFail
	case errors.Is(err, syscall.ECONNREFUSED):
		return ReasonRefused
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, syscall.EHOSTDOWN), errors.Is(err, syscall.ENETDOWN):
		return ReasonUnreachable
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		return ReasonTimeout
	case isTLSError(err):
		return ReasonHandshakeFailed
	case strings.Contains(err.Error(), "server response headers exceeded"):
		return ReasonTooLarge
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), strings.Contains(err.Error(), "malformed HTTP"):
		return ReasonProtocolError
	case isDNS:
		return ReasonDNSError
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return ReasonUnreachable
	case strings.Contains(err.Error(), "connection refused"):
		return ReasonRefused
	case strings.Contains(err.Error(), "i/o timeout"), strings.Contains(err.Error(), "deadline exceeded"):
		return ReasonTimeout
	case errors.Is(ctxErr, context.DeadlineExceeded):
		return ReasonTimeout
	}
	return ReasonError
}

// isTLSError reports whether err is a failed TLS handshake: an alert sent
// or received, a record that is not TLS, a certificate that does not
// verify, or crypto/tls's own complaint.
func isTLSError(err error) bool {
	var (
		rec   tls.RecordHeaderError
		alert tls.AlertError
		cv    *tls.CertificateVerificationError
		ua    x509.UnknownAuthorityError
		he    x509.HostnameError
		ci    x509.CertificateInvalidError
		op    *net.OpError
	)
	switch {
	case errors.As(err, &rec), errors.As(err, &alert), errors.As(err, &cv),
		errors.As(err, &ua), errors.As(err, &he), errors.As(err, &ci):
		return true
	case errors.As(err, &op) && op.Op == "remote error":
		// crypto/tls reports an alert from the peer so.
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "tls: ") || strings.Contains(msg, "server gave HTTP response to HTTPS client")
}
