package posture

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/nettest"
)

// Every error below is a real one, made against a server on 127.0.0.1 the
// test starts (or a port it closed), except where the operating system
// cannot be made to say it on loopback (an unreachable host).
func TestMissingFor(t *testing.T) {
	background := context.Background()
	expired, cancelExpired := context.WithTimeout(background, time.Nanosecond)
	defer cancelExpired()
	<-expired.Done()
	cancelled, cancel := context.WithCancel(background)
	cancel()
	dns := startDNS(t)

	tests := []struct {
		name   string
		ctx    context.Context
		err    func(t *testing.T) error
		want   Reason
		detail string // the Detail contains it
	}{
		{"refused dial", background, func(t *testing.T) error {
			_, err := net.Dial("tcp", nettest.RefusedAddr(t))
			return fmt.Errorf("x: dial: %w", err)
		}, ReasonRefused, "connection refused"},
		{"read deadline", background, func(t *testing.T) error {
			c := dialSilent(t)
			c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
			_, err := c.Read(make([]byte, 1))
			return err
		}, ReasonTimeout, "i/o timeout"},
		{"context deadline", expired, func(t *testing.T) error {
			var d net.Dialer
			_, err := d.DialContext(expired, "tcp", nettest.RefusedAddr(t))
			return err
		}, ReasonTimeout, ""},
		{"ctx error only", expired, func(*testing.T) error { return nil }, ReasonTimeout, "deadline exceeded"},
		{"scan called off", cancelled, func(t *testing.T) error {
			c := dialSilent(t)
			c.SetReadDeadline(time.Now().Add(time.Millisecond))
			_, err := c.Read(make([]byte, 1)) // a timeout, but because the scan ended
			return err
		}, ReasonError, "i/o timeout"},
		{"canceled under a deadline", expired, func(*testing.T) error {
			return fmt.Errorf("x: %w", context.Canceled)
		}, ReasonTimeout, "canceled"},
		{"canceled, no ctx", nil, func(*testing.T) error { return context.Canceled }, ReasonError, ""},
		{"nxdomain", background, func(t *testing.T) error {
			_, err := dns.LookupHost(background, "missing.test")
			return fmt.Errorf("x: resolve: %w", err)
		}, ReasonNXDomain, "missing.test"},
		{"servfail", background, func(t *testing.T) error {
			_, err := dns.LookupMX(background, "broken.test")
			return err
		}, ReasonServFail, "broken.test"},
		{"refused rcode", background, func(t *testing.T) error {
			_, err := dns.LookupHost(background, "refused.test")
			return err
		}, ReasonDNSError, "refused.test"},
		{"dns timeout", background, func(t *testing.T) error {
			ctx, cancel := context.WithTimeout(background, 100*time.Millisecond)
			defer cancel()
			_, err := dns.LookupHost(ctx, "slow.test")
			return err
		}, ReasonTimeout, "slow.test"},
		{"unreachable", background, func(*testing.T) error {
			return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.EHOSTUNREACH)}
		}, ReasonUnreachable, "no route to host"},
		{"odd dial failure", background, func(*testing.T) error {
			return &net.OpError{Op: "dial", Net: "udp", Err: errors.New("odd")}
		}, ReasonUnreachable, "odd"},
		{"not TLS", background, func(t *testing.T) error {
			addr := serve(t, func(c net.Conn) { io.WriteString(c, "HTTP/1.1 400 Bad Request\r\n\r\n") })
			return tlsDial(addr)
		}, ReasonHandshakeFailed, "does not look like a TLS handshake"},
		{"alert from the server", background, func(t *testing.T) error {
			// A server with no certificate answers with an alert.
			addr := serve(t, func(c net.Conn) { tls.Server(c, &tls.Config{}).Handshake() })
			return tlsDial(addr)
		}, ReasonHandshakeFailed, "remote error"},
		{"untrusted certificate", background, func(t *testing.T) error {
			srv := httptest.NewTLSServer(http.NotFoundHandler())
			defer srv.Close()
			_, err := http.Get(srv.URL)
			return err
		}, ReasonHandshakeFailed, "certificate"},
		{"headers too large", background, func(t *testing.T) error {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("X-Big", strings.Repeat("a", 4<<10))
			}))
			defer srv.Close()
			_, err := (&http.Client{Transport: &http.Transport{MaxResponseHeaderBytes: 1 << 10}}).Get(srv.URL)
			return err
		}, ReasonTooLarge, "exceeded"},
		{"malformed HTTP", background, func(t *testing.T) error {
			addr := serve(t, func(c net.Conn) {
				bufio.NewReader(c).ReadString('\n')
				io.WriteString(c, "SSH-2.0-OpenSSH_9.2\r\n\r\n")
			})
			_, err := (&http.Client{Transport: &http.Transport{}}).Get("http://" + addr)
			return err
		}, ReasonProtocolError, "malformed HTTP"},
		{"closed mid-reply", background, func(t *testing.T) error {
			addr := serve(t, func(c net.Conn) { c.Write([]byte{1, 2}) })
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, err = io.ReadFull(c, make([]byte, 4))
			return err
		}, ReasonProtocolError, "the peer closed the connection"},
		{"a scanner's reason", background, func(*testing.T) error {
			return fmt.Errorf("x: %w", WithReason(ReasonTooLarge, errors.New("reply over 64 KiB")))
		}, ReasonTooLarge, "x: reply over 64 KiB"},
		{"a scanner's reason beats the context", cancelled, func(*testing.T) error {
			return WithReason(ReasonServFail, errors.New("SERVFAIL"))
		}, ReasonServFail, "SERVFAIL"},
		{"a Missing as an error", background, func(*testing.T) error {
			return fmt.Errorf("x: %w", &Missing{Reason: ReasonProtocolError, Detail: "STARTTLS refused"})
		}, ReasonProtocolError, "STARTTLS refused"},
		{"refused, by its text", background, func(t *testing.T) error {
			_, err := net.Dial("tcp", nettest.RefusedAddr(t))
			return errors.New(err.Error()) // as the WAF engine reports it
		}, ReasonRefused, "connection refused"},
		{"timeout, by its text", background, func(t *testing.T) error {
			c := dialSilent(t)
			c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
			_, err := c.Read(make([]byte, 1))
			return errors.New(err.Error())
		}, ReasonTimeout, "i/o timeout"},
		{"anything else", background, func(*testing.T) error { return errors.New("what") }, ReasonError, "what"},
		{"anything else after the deadline", expired, func(*testing.T) error { return errors.New("signal: killed") }, ReasonTimeout, "killed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err(t)
			m := MissingFor(tc.ctx, err)
			if m == nil {
				t.Fatalf("MissingFor(%v) = nil", err)
			}
			if m.Reason != tc.want || !strings.Contains(m.Detail, tc.detail) {
				t.Errorf("MissingFor(%T %q) = %s, %q; want %s mentioning %q", err, err, m.Reason, m.Detail, tc.want, tc.detail)
			}
		})
	}
	if m := MissingFor(background, nil); m != nil {
		t.Errorf("MissingFor(no error) = %v, want nil", m)
	}
	if m := MissingFor(nil, nil); m != nil {
		t.Errorf("MissingFor(nil, nil) = %v, want nil", m)
	}
	if m := MissingForText(""); m != nil {
		t.Errorf("MissingForText(\"\") = %v, want nil", m)
	}
	for _, tc := range tests {
		if tc.ctx != background {
			continue
		}
		// The text of an error says what its type did, where the text says
		// anything: no reason of the text is one the error did not have.
		err := tc.err(t)
		if m := MissingForText(err.Error()); m.Reason != tc.want && m.Reason != ReasonError {
			t.Errorf("MissingForText(%q) = %s; the error itself is %s", err, m.Reason, tc.want)
		}
	}
}

func TestWithReason(t *testing.T) {
	base := errors.New("base")
	err := WithReason(ReasonTooLarge, base)
	if !errors.Is(fmt.Errorf("wrapped: %w", err), base) || err.Error() != "base" {
		t.Errorf("WithReason hides its error: %v", err)
	}
	if WithReason(ReasonError, nil) != nil {
		t.Error("WithReason(r, nil) != nil")
	}
}

// serve accepts connections on 127.0.0.1 and hands each to handle, then
// closes it.
func serve(t *testing.T, handle func(net.Conn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// dialSilent connects to a server that never says anything.
func dialSilent(t *testing.T) net.Conn {
	addr := serve(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func tlsDial(addr string) error {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err == nil {
		c.Close()
		return errors.New("handshake succeeded")
	}
	return err
}

// startDNS starts a DNS server on 127.0.0.1 (UDP) that answers
// missing.test with NXDOMAIN, broken.test with SERVFAIL, refused.test with
// REFUSED and never answers slow.test, and returns Go's resolver pointed
// at it.
func startDNS(t *testing.T) *net.Resolver {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			q := buf[:n]
			name, end := questionName(q)
			if end < 0 {
				continue
			}
			var rcode byte
			switch name {
			case "missing.test":
				rcode = 3
			case "broken.test":
				rcode = 2
			case "refused.test":
				rcode = 5
			default:
				continue // slow.test: silence
			}
			// The header with QR, RD, RA and the rcode, one question, no
			// records; the question as asked.
			reply := append([]byte{q[0], q[1], 0x81, 0x80 | rcode, 0, 1, 0, 0, 0, 0, 0, 0}, q[12:end]...)
			pc.WriteTo(reply, from)
		}
	}()
	addr := pc.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
}

// questionName reads the name of a query's one question and returns it
// (lower case, no final dot) and the offset after the question; -1 when
// the query does not parse.
func questionName(q []byte) (string, int) {
	if len(q) < 12 {
		return "", -1
	}
	var labels []string
	i := 12
	for i < len(q) && q[i] != 0 {
		l := int(q[i])
		if i+1+l > len(q) {
			return "", -1
		}
		labels = append(labels, strings.ToLower(string(q[i+1:i+1+l])))
		i += 1 + l
	}
	if i+5 > len(q) {
		return "", -1
	}
	return strings.Join(labels, "."), i + 5
}
