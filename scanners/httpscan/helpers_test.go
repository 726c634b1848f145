package httpscan

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/vouchdev/vouch/internal/pki"
	"github.com/vouchdev/vouch/posture"
)

func newCA(t *testing.T) *pki.CA {
	t.Helper()
	ca, err := pki.NewCA("httpscan test CA")
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// tlsServer starts an HTTPS server on 127.0.0.1 with a certificate from ca
// for hosts (default localhost, 127.0.0.1, ::1).
func tlsServer(t *testing.T, ca *pki.CA, h http.Handler, hosts ...string) *httptest.Server {
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

// plainServer starts a plain-HTTP server on 127.0.0.1.
func plainServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// refusedAddr returns a 127.0.0.1 address where nothing listens.
func refusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// rawServer accepts connections on 127.0.0.1 and hands each to serve.
// Connections are closed when the test ends.
func rawServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
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
	return ln.Addr().String()
}

// target is the web target of an https:// URL.
func target(u string) posture.Target {
	return posture.Target{Kind: posture.TargetWeb, Address: u}
}

// plainAt makes a PlainHTTP option that starts every chain at u.
func plainAt(u string) func(posture.Target) string {
	return func(posture.Target) string { return u }
}

// scanOne scans one target and returns its only HTTP observation.
func scanOne(t *testing.T, s *Scanner, tg posture.Target) posture.HTTPObservation {
	t.Helper()
	return scanCtx(t, context.Background(), s, tg)
}

func scanCtx(t *testing.T, ctx context.Context, s *Scanner, tg posture.Target) posture.HTTPObservation {
	t.Helper()
	snap := s.Scan(ctx, tg)
	if len(snap.HTTP) != 1 || len(snap.TLS)+len(snap.DNS)+len(snap.WAF) != 0 {
		t.Fatalf("want exactly one HTTP observation, got %+v", snap)
	}
	o := snap.HTTP[0]
	if o.Scanner != "http" || o.Target != tg {
		t.Fatalf("observation header %+v", o.Observation)
	}
	ids := map[string]bool{}
	for _, e := range o.Evidence {
		if ids[e.ID] {
			t.Errorf("evidence ID %q twice", e.ID)
		}
		ids[e.ID] = true
	}
	hops := append([]posture.HTTPHop{}, o.Redirects...)
	if o.HTTPS != nil {
		hops = append(hops, *o.HTTPS)
	}
	for _, h := range hops {
		if !ids[h.Evidence] {
			t.Errorf("hop %s: evidence %q not in the observation", h.URL, h.Evidence)
		}
	}
	return o
}

// hopSummary is what a test compares of a hop.
type hopSummary struct {
	URL      string
	Status   int
	Location string
}

func summarize(hops []posture.HTTPHop) []hopSummary {
	var out []hopSummary
	for _, h := range hops {
		out = append(out, hopSummary{h.URL, h.Status, h.Location})
	}
	return out
}

func reasonOf(m *posture.Missing) posture.Reason {
	if m == nil {
		return ""
	}
	return m.Reason
}

func evidenceByID(o posture.HTTPObservation, id string) (posture.Evidence, bool) {
	for _, e := range o.Evidence {
		if e.ID == id {
			return e, true
		}
	}
	return posture.Evidence{}, false
}
