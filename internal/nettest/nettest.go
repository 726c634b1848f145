// Package nettest starts the loopback servers the scanner tests share:
// HTTPS with a certificate from a throwaway CA, plain HTTP, a raw TCP
// server handing each connection to the test, and an address where
// nothing listens. Everything is on 127.0.0.1 and closed when the test ends.
package nettest

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

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
