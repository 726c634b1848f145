package httpscan

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners/netlimit"
)

const (
	// maxHeaderBytes bounds a response head.
	maxHeaderBytes = 64 << 10
	// maxBodyBytes bounds how much of a body is read; the rest is never
	// read, and the connection is closed.
	maxBodyBytes = 64 << 10
)

// response is one request and what came back.
type response struct {
	url      *url.URL
	status   int
	header   http.Header
	remote   string // IP:port connected to
	evidence string // request and response heads as text
	// body is the first maxBodyBytes of the body, kept only when asked;
	// bodyTruncated says the body was longer.
	body          []byte
	bodyTruncated bool
	// bodyErr is why reading a kept body stopped before its end (a
	// deadline, a reset): what was read is a fragment, not the file.
	bodyErr error
}

// exchange is one recorded request: the hop and its evidence.
type exchange struct {
	response
	hop posture.HTTPHop
}

// exchange sends GET u and records the exchange as evidence id
// idPrefix+idSuffix. A certificate the roots do not trust is noted and the
// request repeated once without verification. On failure it returns why
// the response could not be observed.
func (sc *scan) exchange(ctx context.Context, u *url.URL, idSuffix, label string) (*exchange, *posture.Missing) {
	return sc.exchangeBody(ctx, u, idSuffix, label, false)
}

// exchangeBody is exchange that also keeps the body (bounded) when
// keepBody is set.
func (sc *scan) exchangeBody(ctx context.Context, u *url.URL, idSuffix, label string, keepBody bool) (*exchange, *posture.Missing) {
	r, err := sc.get(ctx, u, sc.insecure, keepBody)
	if err != nil && u.Scheme == "https" && !sc.insecure && isCertError(err) {
		sc.insecure = true
		sc.certNote = len(sc.notes)
		sc.note(fmt.Sprintf("certificate not trusted; headers observed without verification (%s: %v)", u.Host, unwrapURLError(err)))
		r, err = sc.get(ctx, u, true, keepBody)
	}
	if err != nil {
		return nil, posture.MissingFor(ctx, fmt.Errorf("httpscan: GET %s: %w", u, unwrapURLError(err)))
	}
	id := sc.idPrefix + idSuffix
	ex := &exchange{response: *r, hop: posture.HTTPHop{
		URL:      u.String(),
		Status:   r.status,
		Location: r.header.Get("Location"),
		Headers:  map[string][]string(r.header.Clone()),
		Evidence: id,
	}}
	if u.Scheme == "https" {
		ex.hop.HSTS = hstsOf(r.header)
		if h := ex.hop.HSTS; h != nil && sc.insecure {
			// Observed without verification: a user agent ignores the
			// header of a connection with certificate errors (RFC 6797
			// §8.1).
			h.Valid = false
			h.Issues = append([]posture.Code{posture.CodeHSTSUntrustedCertificate}, h.Issues...)
		}
	}
	sc.obs.Evidence = append(sc.obs.Evidence, posture.Evidence{
		ID:    id,
		Kind:  posture.EvidenceHTTP,
		Label: fmt.Sprintf("%s: GET %s (connected to %s)", label, u, r.remote),
		Data:  r.evidence,
	})
	if keepBody && r.bodyErr != nil {
		// A body cut short (a server trickling past the deadline, a
		// reset) is a fragment: judging it would read "no Contact" into
		// a file that was never seen whole.
		return nil, posture.MissingFor(ctx, fmt.Errorf("httpscan: GET %s: body cut after %d bytes: %w", u, len(r.body), unwrapURLError(r.bodyErr)))
	}
	return ex, nil
}

// serverError says why a response is not the site's answer: a server
// error (5xx) or a rate limit (429) is a failure of the moment, and an
// error page's headers (nginx's add_header leaves them off) say nothing
// of the site's redirects, HSTS, cookies or files. nil for any other
// status. The exchange stays in the evidence.
func serverError(ex *exchange) *posture.Missing {
	if ex.status < 500 && ex.status != http.StatusTooManyRequests {
		return nil
	}
	return &posture.Missing{Reason: posture.ReasonError, Detail: fmt.Sprintf("httpscan: GET %s: the server answered %d (a server error or rate limit, not an answer)", ex.hop.URL, ex.status)}
}

// hstsOf parses the Strict-Transport-Security header of a response over
// https://: the first field counts (RFC 6797 §8.1), and more than one is
// an issue. nil when none was sent.
func hstsOf(h http.Header) *posture.HSTS {
	vals := h.Values("Strict-Transport-Security")
	if len(vals) == 0 {
		return nil
	}
	p := ParseHSTS(vals[0])
	if len(vals) > 1 {
		p.Issues = appendIssue(p.Issues, posture.CodeHSTSMultipleHeaders)
	}
	return &p
}

// dial connects to addr (host:port). With a Resolver, the host's
// addresses are looked up through it and tried in its order, as a
// net.Dialer tries those of its own lookup; a failed lookup is the
// *net.DNSError inside a dial *net.OpError, as net.Dialer returns it.
func (s *Scanner) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if s.resolver == nil || err != nil {
		return s.dialIP(ctx, network, addr)
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return s.dialIP(ctx, network, addr)
	}
	ips, err := s.resolver.LookupIPAddr(ctx, host)
	if err == nil && len(ips) == 0 {
		err = &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	var first error
	for _, ip := range ips {
		c, err := s.dialIP(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}

// get sends one GET request on a fresh connection and reads at most
// maxBodyBytes of the body, which it keeps when keepBody is set.
//
// The request's timeout starts when its connection gets its slot of the
// per-host budget (netlimit.WithOnSlot), not while it waits for one: a
// request queued behind the TLS scanner's probes of the same host is not
// timed out before it was sent.
func (s *Scanner) get(ctx context.Context, u *url.URL, insecure, keepBody bool) (r *response, err error) {
	ctx, _, expired, stop := netlimit.SlotTimeout(netlimit.WithPriority(ctx, netlimit.PriorityShort), s.timeout)
	defer func() {
		stop()
		if err != nil && expired() {
			err = &timeoutError{after: s.timeout, err: err}
		}
	}()

	var (
		mu     sync.Mutex
		remote string
	)
	tr := &http.Transport{
		Proxy: nil, // never a proxy from the environment
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := s.dial(ctx, network, addr)
			if err == nil {
				mu.Lock()
				remote = c.RemoteAddr().String()
				mu.Unlock()
			}
			return c, err
		},
		TLSClientConfig: &tls.Config{
			RootCAs:            s.roots,
			InsecureSkipVerify: insecure, //nolint:gosec // only after verification failed, to observe headers; see package doc
		},
		TLSHandshakeTimeout:    s.timeout,
		ResponseHeaderTimeout:  s.timeout,
		DisableKeepAlives:      true,
		DisableCompression:     true,
		MaxResponseHeaderBytes: maxHeaderBytes,
	}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", s.userAgent)
	req.Header.Set("Accept", "*/*")
	// The Transport, not a Client: a Client parses the Location of a
	// redirect (and fails on a malformed one) before it can be told not
	// to follow it.
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var (
		sink    io.Writer = io.Discard
		kept    bytes.Buffer
		limit   int64 = maxBodyBytes
		trailer bool
	)
	if keepBody {
		sink = &kept
		limit++ // one byte more tells a body of exactly the limit from a longer one
	}
	n, bodyErr := io.Copy(sink, io.LimitReader(resp.Body, limit))
	if keepBody && n > maxBodyBytes {
		n, trailer = maxBodyBytes, true
		kept.Truncate(maxBodyBytes)
	}
	body := fmt.Sprintf("[body: %d bytes read]", n)
	switch {
	case bodyErr != nil:
		body = fmt.Sprintf("[body: %d bytes read, then %v]", n, bodyErr)
	case trailer || (!keepBody && n == maxBodyBytes):
		body = fmt.Sprintf("[body: first %d bytes read, the rest not read]", n)
	}
	if bodyErr != nil && expired() {
		bodyErr = &timeoutError{after: s.timeout, err: bodyErr}
	}
	mu.Lock()
	r = &response{url: u, status: resp.StatusCode, header: resp.Header, remote: remote}
	mu.Unlock()
	if keepBody {
		r.body, r.bodyTruncated, r.bodyErr = kept.Bytes(), trailer, bodyErr
	}
	r.evidence = formatExchange(req, resp, body)
	return r, nil
}

// timeoutError is a request ended by its timeout: a deadline, whatever
// the error the cancelled request returned.
type timeoutError struct {
	after time.Duration
	err   error
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("no answer within %s: %v", e.after, e.err)
}

// MissingReason makes posture.MissingFor read it as the timeout it is,
// whatever the cancelled request said.
func (e *timeoutError) MissingReason() posture.Reason { return posture.ReasonTimeout }

func (e *timeoutError) Unwrap() []error { return []error{context.DeadlineExceeded, e.err} }

// formatExchange writes the request head as sent and the response head as
// received, headers sorted by name, values in order.
func formatExchange(req *http.Request, resp *http.Response, body string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", req.Method, req.URL.RequestURI())
	fmt.Fprintf(&b, "Host: %s\r\n", req.URL.Host)
	writeHeader(&b, req.Header)
	b.WriteString("Connection: close\r\n\r\n")
	fmt.Fprintf(&b, "%s %s\r\n", resp.Proto, resp.Status)
	writeHeader(&b, resp.Header)
	b.WriteString("\r\n")
	b.WriteString(body)
	b.WriteString("\n")
	return b.String()
}

func writeHeader(b *strings.Builder, h http.Header) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s: %s\r\n", k, v)
		}
	}
}

// isCertError reports whether err is a failure to verify the server's
// certificate (as opposed to a failed handshake).
func isCertError(err error) bool {
	var (
		cv *tls.CertificateVerificationError
		ua x509.UnknownAuthorityError
		he x509.HostnameError
		ci x509.CertificateInvalidError
	)
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci)
}

// unwrapURLError drops the *url.Error wrapper net/http adds, whose message
// repeats the method and URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
