// Package nettest starts the loopback servers the scanner tests share:
// HTTPS with a certificate from a throwaway CA, plain HTTP, a raw TCP
// server handing each connection to the test, an SMTP server offering
// STARTTLS, and an address where nothing listens. Everything is on 127.0.0.1 and closed when the test ends.
package nettest

import (
	"bufio"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/pki"
)

// TLSServer starts an HTTPS server on 127.0.0.1 with a certificate from ca
// for hosts (default localhost, 127.0.0.1, ::1).
func TLSServer(t testing.TB, ca *pki.CA, h http.Handler, hosts ...string) *httptest.Server {
	t.Helper()
	leaf, err := ca.Issue(pki.LeafOptions{Hosts: hosts})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate(ca, true)}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshakes the scanner abandons
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// PlainServer starts a plain-HTTP server on 127.0.0.1.
func PlainServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// RefusedAddr returns a 127.0.0.1 address where nothing listens.
func RefusedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// RawServer accepts connections on 127.0.0.1 and hands each to serve.
// Connections are closed when the test ends.
func RawServer(t testing.TB, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	Serve(t, ln, serve)
	return ln.Addr().String()
}

// Serve accepts connections on ln and hands each to serve until the test
// ends; then ln and every connection are closed and the handlers waited
// for.
func Serve(t testing.TB, ln net.Listener, serve func(net.Conn)) {
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c)
			}()
		}
	}()
}

// SMTPServer is a small SMTP server on 127.0.0.1 for STARTTLS tests: a
// two-line 220 greeting, an EHLO reply that lists STARTTLS when cfg is not
// nil, and on STARTTLS a 220 and a TLS handshake with cfg. It counts the
// sessions it accepts in sessions and returns its address.
func SMTPServer(t testing.TB, cfg *tls.Config, sessions *atomic.Int32) string {
	t.Helper()
	return RawServer(t, func(c net.Conn) {
		sessions.Add(1)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(c)
		io.WriteString(c, "220-mx.mail.test ESMTP test\r\n220 second greeting line\r\n")
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd := strings.ToUpper(strings.TrimSpace(line))
			switch {
			case strings.HasPrefix(cmd, "EHLO"):
				io.WriteString(c, "250-mx.mail.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n")
				if cfg != nil {
					io.WriteString(c, "250-STARTTLS\r\n")
				}
				io.WriteString(c, "250 8BITMIME\r\n")
			case cmd == "STARTTLS" && cfg != nil:
				io.WriteString(c, "220 2.0.0 Ready to start TLS\r\n")
				tc := tls.Server(c, cfg)
				if tc.Handshake() == nil {
					io.Copy(io.Discard, tc)
				}
				return
			case cmd == "QUIT":
				io.WriteString(c, "221 2.0.0 bye\r\n")
				return
			default:
				io.WriteString(c, "502 5.5.2 not implemented\r\n")
			}
		}
	})
}
