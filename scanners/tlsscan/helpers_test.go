package tlsscan

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/nettest"
	"github.com/vouchdev/vouch/internal/pki"
	"github.com/vouchdev/vouch/posture"
)

func newCA(t testing.TB) *pki.CA {
	t.Helper()
	ca, err := pki.NewCA("vouch test root")
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func issue(t testing.TB, ca *pki.CA, o pki.LeafOptions) *pki.Leaf {
	t.Helper()
	l, err := ca.Issue(o)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// serveTLS runs a crypto/tls server on 127.0.0.1 that completes one
// handshake per connection and closes it. It returns the address and a
// func listing the SNI names the server has seen.
func serveTLS(t testing.TB, cfg *tls.Config) (addr string, snis func() []string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	cfg = cfg.Clone()
	prev := cfg.GetConfigForClient
	cfg.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		mu.Lock()
		seen = append(seen, h.ServerName)
		mu.Unlock()
		if prev != nil {
			return prev(h)
		}
		return nil, nil
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, ln, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.(*tls.Conn).Handshake()
	})
	return ln.Addr().String(), func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// The loopback servers are shared with the other scanner tests: serveRaw
// runs handle on every connection accepted on 127.0.0.1, serve on a given
// listener.
var (
	serveRaw    = nettest.RawServer
	serve       = nettest.Serve
	refusedAddr = nettest.RefusedAddr // a loopback address nothing listens on
)

// scanOne scans https://addr and returns its one observation.
func scanOne(t testing.TB, s *Scanner, addr string) posture.TLSObservation {
	t.Helper()
	snap := s.Scan(context.Background(), posture.Target{Kind: posture.TargetWeb, Address: "https://" + addr})
	if len(snap.TLS) != 1 {
		t.Fatalf("tlsscan: want 1 observation, got %d: %+v", len(snap.TLS), snap.TLS)
	}
	return snap.TLS[0]
}

func protocols(o posture.TLSObservation) map[string]posture.Tri {
	m := map[string]posture.Tri{}
	for _, p := range o.Protocols {
		m[p.Name] = p.Offered
	}
	return m
}

func offered(ssl3, tls10, tls11, tls12, tls13 posture.Tri) map[string]posture.Tri {
	return map[string]posture.Tri{
		posture.SSLv3: ssl3, posture.TLSv1_0: tls10, posture.TLSv1_1: tls11,
		posture.TLSv1_2: tls12, posture.TLSv1_3: tls13,
	}
}

func evidence(o posture.TLSObservation, id string) *posture.Evidence {
	for i := range o.Evidence {
		if o.Evidence[i].ID == id {
			return &o.Evidence[i]
		}
	}
	return nil
}

// captureReply sends the hello of spec to addr and returns the bytes the
// server sent up to the end of its ServerHello (or alert), or of its
// ServerKeyExchange when the spec reads that far.
func captureReply(t testing.TB, addr string, spec helloSpec) []byte {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	hello, err := buildClientHello(spec, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(hello); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := readReplyKX(io.TeeReader(c, &buf), spec.readKeyExchange); err != nil {
		t.Fatalf("tlsscan: capture from %s: %v", addr, err)
	}
	return buf.Bytes()
}

// needBinary skips (or, under CI=true, fails) when a program is missing.
func needBinary(t testing.TB, err error, name string) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("tlsscan: %s is required in CI: %v", name, err)
	}
	t.Skipf("tlsscan: %s not installed: %v", name, err)
}

func pkiDefaults() pki.LeafOptions { return pki.LeafOptions{} }

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// extraProbes counts what a scan adds to the version probes, the suite
// enumerations and the handshake: the group enumerations, and the one
// downgrade hello when two or more versions are offered.
func extraProbes(o posture.TLSObservation) int {
	n, versions := 0, 0
	for _, g := range o.Groups {
		n += g.Probes
	}
	for _, p := range o.Protocols {
		if p.Offered == posture.Yes {
			versions++
		}
	}
	if versions >= 2 {
		n++
	}
	// Hellos sent beside the version probes, for versions that turned
	// out not to be accepted: the TLS 1.2 hint, the TLS 1.3 groups' first
	// hello and hint.
	for _, p := range o.Protocols {
		switch {
		case p.Name == posture.TLSv1_2 && p.Offered != posture.Yes:
			n++
		case p.Name == posture.TLSv1_3 && p.Offered != posture.Yes:
			n += 2
		}
	}
	return n
}
