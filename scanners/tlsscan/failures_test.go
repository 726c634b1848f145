package tlsscan

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/dnstest"
	"github.com/vouchdev/vouch/internal/pki"
	"github.com/vouchdev/vouch/posture"
)

func TestRefused(t *testing.T) {
	addr := refusedAddr(t)
	o := scanOne(t, New(Options{Timeout: time.Second}), addr)
	if o.Missing == nil || o.Missing.Reason != posture.ReasonRefused {
		t.Fatalf("observation Missing = %v, want refused", o.Missing)
	}
	for _, p := range o.Protocols {
		if p.Offered != unk || p.Missing == nil || p.Missing.Reason != posture.ReasonRefused {
			t.Errorf("%s: %s %v, want unknown refused", p.Name, p.Offered, p.Missing)
		}
	}
	if o.Probes != 0 || o.Certificate != nil || o.Negotiated != nil {
		t.Errorf("probes %d certificate %v negotiated %v", o.Probes, o.Certificate, o.Negotiated)
	}
}

// A server that accepts and then says nothing costs one timeout: the five
// version probes, the hellos sent beside them and the handshake wait at
// the same time, and the handshake is called off (no zcrypto retry) when no probe
// got an answer.
func TestSilentServer(t *testing.T) {
	addr := serveRaw(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.Copy(io.Discard, c)
	})
	const timeout = 400 * time.Millisecond
	start := time.Now()
	o := scanOne(t, New(Options{Timeout: timeout}), addr)
	took := time.Since(start)
	if took >= 2*timeout {
		t.Errorf("scan took %s, want < %s (one timeout)", took, 2*timeout)
	}
	if o.Missing == nil || o.Missing.Reason != posture.ReasonTimeout {
		t.Fatalf("observation Missing = %v, want timeout", o.Missing)
	}
	for _, p := range o.Protocols {
		if p.Offered != unk || p.Missing == nil || p.Missing.Reason != posture.ReasonTimeout {
			t.Errorf("%s: %s %v, want unknown timeout", p.Name, p.Offered, p.Missing)
		}
	}
	if o.Probes != 9 {
		t.Errorf("Probes = %d, want 9 (5 version hellos, the TLS 1.2 hint, the TLS 1.3 groups' first and hint, and crypto/tls's, at once)", o.Probes)
	}
}

// A server that stops answering only the older versions: the versions it
// answered are observed, the silent ones are Unknown timeout.
func TestSilentForOldVersions(t *testing.T) {
	ca := newCA(t)
	leaf := issue(t, ca, pki.LeafOptions{})
	cfg := &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate(ca, false)}}
	addr := serveRaw(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		var hdr [11]byte // record header, handshake header, client_version
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			return
		}
		if hdr[9] == 3 && hdr[10] < 3 {
			io.Copy(io.Discard, c) // hang
			return
		}
		tls.Server(&prefixConn{Conn: c, prefix: hdr[:]}, cfg).Handshake()
	})
	const timeout = 300 * time.Millisecond
	o := scanOne(t, New(Options{RootCAs: ca.Pool(), Timeout: timeout}), addr)
	want := offered(unk, unk, unk, yes, yes)
	got := protocols(o)
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s = %s, want %s", name, got[name], w)
		}
	}
	for _, p := range o.Protocols {
		if p.Offered == unk && (p.Missing == nil || p.Missing.Reason != posture.ReasonTimeout) {
			t.Errorf("%s: missing %v, want timeout", p.Name, p.Missing)
		}
	}
	if o.Missing != nil || o.Certificate == nil || o.Certificate.Trusted != yes {
		t.Errorf("observation missing %v certificate %+v", o.Missing, o.Certificate)
	}
}

type prefixConn struct {
	net.Conn
	prefix []byte
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// Hostile and broken servers: every answer is bounded and never panics.
func TestHostileServers(t *testing.T) {
	big := make([]byte, 70<<10)
	tests := []struct {
		name   string
		reply  func(net.Conn)
		offer  posture.Tri
		reason posture.Reason
		detail string
	}{
		{"http", writeThenClose([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")), unk, posture.ReasonProtocolError, "not a TLS record"},
		{"oversized record", writeThenClose(append([]byte{22, 3, 3, 0xff, 0xff}, big...)), unk, posture.ReasonProtocolError, "exceeds"},
		{"sslv2 header", writeThenClose([]byte{0x80, 0x2e, 0x04, 0x00, 0x01, 0x00, 0x02}), unk, posture.ReasonProtocolError, "SSLv2"},
		{"truncated record", writeThenClose([]byte{22, 3, 3, 0, 60, 2, 0, 0}), unk, posture.ReasonProtocolError, "inside a record"},
		{"endless warnings", func(c net.Conn) {
			for i := 0; i < 1000; i++ {
				if _, err := c.Write([]byte{21, 3, 3, 0, 2, 1, 112}); err != nil {
					return
				}
			}
		}, unk, posture.ReasonProtocolError, "no ServerHello in"},
		{"endless handshake fragments", func(c net.Conn) {
			c.Write([]byte{22, 3, 3, 0, 4, 2, 0, 0x40, 0})
			for i := 0; i < 1000; i++ {
				if _, err := c.Write([]byte{22, 3, 3, 0, 1, 0}); err != nil {
					return
				}
			}
		}, unk, posture.ReasonProtocolError, "no ServerHello in"},
		{"server hello of zeros across records", func(c net.Conn) {
			c.Write([]byte{22, 3, 3, 0x40, 0x00, 2, 0, 0x3f, 0xfc})
			c.Write(make([]byte, 0x4000-4))
			c.Write([]byte{22, 3, 3, 0x40, 0x00})
			c.Write(make([]byte, 0x4000))
		}, unk, posture.ReasonProtocolError, "malformed ServerHello extensions"},
		{"server hello too long", writeThenClose([]byte{22, 3, 3, 0, 4, 2, 0, 0x40, 1}), unk, posture.ReasonProtocolError, "ServerHello of 16385 bytes"},
		{"malformed server hello", writeThenClose([]byte{22, 3, 3, 0, 8, 2, 0, 0, 4, 3, 3, 0, 0}), unk, posture.ReasonProtocolError, "truncated ServerHello"},
		{"certificate first", writeThenClose([]byte{22, 3, 3, 0, 4, 11, 0, 0, 0}), unk, posture.ReasonProtocolError, "handshake message 11"},
		{"internal error alert", writeThenClose([]byte{21, 3, 3, 0, 2, 2, 80}), unk, posture.ReasonHandshakeFailed, "internal_error"},
		{"handshake failure alert", writeThenClose([]byte{21, 3, 1, 0, 2, 2, 40}), no, "", ""},
		{"close at once", func(net.Conn) {}, no, "", ""},
		{"reset at once", func(c net.Conn) {
			c.(*net.TCPConn).SetLinger(0)
		}, no, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := serveRaw(t, func(c net.Conn) {
				c.SetDeadline(time.Now().Add(5 * time.Second))
				buf := make([]byte, 4096)
				c.Read(buf) // the hello
				tc.reply(c)
			})
			const timeout = 2 * time.Second
			start := time.Now()
			o := scanOne(t, New(Options{Timeout: timeout}), addr)
			if took := time.Since(start); took > timeout {
				t.Errorf("scan took %s", took)
			}
			if o.Missing != nil {
				t.Errorf("observation Missing = %v: the endpoint was reached", o.Missing)
			}
			for _, p := range o.Protocols {
				if p.Offered != tc.offer {
					t.Errorf("%s offered %s, want %s (%v)", p.Name, p.Offered, tc.offer, p.Missing)
					continue
				}
				if tc.reason == "" {
					if p.Missing != nil {
						t.Errorf("%s: Missing %v", p.Name, p.Missing)
					}
					continue
				}
				if p.Missing == nil || p.Missing.Reason != tc.reason || !strings.Contains(p.Missing.Detail, tc.detail) {
					t.Errorf("%s: Missing %v, want %s mentioning %q", p.Name, p.Missing, tc.reason, tc.detail)
				}
			}
			if o.Certificate != nil || o.Negotiated != nil {
				t.Errorf("certificate %v negotiated %v from a server that speaks no TLS", o.Certificate, o.Negotiated)
			}
			ev := evidence(o, "tls/"+addr+"/handshake")
			if ev == nil || ev.Kind != posture.EvidenceText || !strings.Contains(ev.Data, "no certificate was received") {
				t.Errorf("handshake failure evidence: %+v", ev)
			}
			if o.Probes != 10 {
				t.Errorf("Probes = %d, want 10 (5 hellos, the TLS 1.2 hint, the TLS 1.3 groups' first and hint, crypto/tls, zcrypto)", o.Probes)
			}
		})
	}
}

func writeThenClose(b []byte) func(net.Conn) {
	return func(c net.Conn) { c.Write(b) }
}

// Cancelling the context stops the scan at once.
func TestCancelled(t *testing.T) {
	addr := serveRaw(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.Copy(io.Discard, c)
	})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	snap := New(Options{Timeout: 5 * time.Second}).Scan(ctx, posture.Target{Kind: posture.TargetWeb, Address: "https://" + addr})
	if took := time.Since(start); took > time.Second {
		t.Errorf("cancelled scan took %s", took)
	}
	if len(snap.TLS) != 1 || snap.TLS[0].Missing == nil {
		t.Fatalf("want one observation with Missing, got %+v", snap.TLS)
	}
}

// Host names resolve through the Dialer's Resolver; each address is one
// observation, the name goes into SNI and is what the certificate must
// match.
func TestResolution(t *testing.T) {
	ca := newCA(t)
	leaf := issue(t, ca, pki.LeafOptions{Hosts: []string{"app.vouch.test"}})
	addr, snis := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate(ca, true)}})
	_, port, _ := net.SplitHostPort(addr)
	dns, err := dnstest.Start("vouch.test.", `
app        A 127.0.0.1
both       A 127.0.0.1
both       A 127.0.0.2
slow       A 127.0.0.1
broken     A 127.0.0.1
`)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dns.Close)
	dns.Timeout("slow.vouch.test")
	dns.ServFail("broken.vouch.test")
	d := &net.Dialer{Resolver: &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, dns.Addr)
	}}}
	s := New(Options{Dialer: d, RootCAs: ca.Pool(), Timeout: time.Second})
	scan := func(host string) []posture.TLSObservation {
		return s.Scan(context.Background(), posture.Target{Kind: posture.TargetWeb, Address: "https://" + host + ":" + port}).TLS
	}

	obs := scan("app.vouch.test")
	if len(obs) != 1 {
		t.Fatalf("want 1 observation, got %d", len(obs))
	}
	o := obs[0]
	if o.Source != addr || o.Endpoint != "app.vouch.test:"+port || o.ServerName != "app.vouch.test" || o.Missing != nil {
		t.Errorf("source %q endpoint %q server name %q missing %v", o.Source, o.Endpoint, o.ServerName, o.Missing)
	}
	if got := protocols(o); got[posture.TLSv1_3] != yes || got[posture.TLSv1_2] != yes {
		t.Errorf("protocols %v", got)
	}
	if c := o.Certificate; c == nil || c.Trusted != yes || c.HostnameMatch != yes {
		t.Errorf("certificate %+v", c)
	}
	// Every hello reaches the server: five version probes, the suite
	// enumeration and the handshake. All but the SSLv3 probe, which
	// carries no extensions, name the host.
	count := map[string]int{}
	for _, n := range snis() {
		count[n]++
	}
	if len(count) != 2 || count["app.vouch.test"] != o.Probes-1 || count[""] != 1 || o.Probes < 10 {
		t.Errorf("server saw SNI %v, want app.vouch.test x%d and none x1 (SSLv3)", count, o.Probes-1)
	}

	// Two addresses: two observations, one per IP, with distinct evidence IDs.
	obs = scan("both.vouch.test")
	if len(obs) != 2 {
		t.Fatalf("want 2 observations, got %d", len(obs))
	}
	ids := map[string]bool{}
	for _, o := range obs {
		for _, e := range o.Evidence {
			if ids[e.ID] {
				t.Errorf("duplicate evidence id %q", e.ID)
			}
			ids[e.ID] = true
		}
	}
	sources := obs[0].Source + " " + obs[1].Source
	if !strings.Contains(sources, "127.0.0.1:"+port) || !strings.Contains(sources, "127.0.0.2:"+port) {
		t.Errorf("sources %s", sources)
	}

	for _, tc := range []struct {
		host   string
		reason posture.Reason
	}{
		{"missing.vouch.test", posture.ReasonNXDomain},
		{"broken.vouch.test", posture.ReasonServFail},
		{"slow.vouch.test", posture.ReasonTimeout},
	} {
		start := time.Now()
		obs := scan(tc.host)
		if len(obs) != 1 || obs[0].Missing == nil || obs[0].Missing.Reason != tc.reason {
			t.Errorf("%s: %+v, want one observation Missing %s", tc.host, obs, tc.reason)
			continue
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("%s: took %s", tc.host, took)
		}
		if obs[0].Endpoint != tc.host+":"+port || obs[0].ServerName != tc.host || obs[0].Scanner != "tls" {
			t.Errorf("%s: header %+v", tc.host, obs[0].Observation)
		}
	}
}

// The probes evidence is JSON a reader can follow.
func TestProbesEvidence(t *testing.T) {
	ca := newCA(t)
	leaf := issue(t, ca, pki.LeafOptions{})
	addr, _ := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate(ca, false)}, MaxVersion: tls.VersionTLS12})
	o := scanOne(t, New(Options{RootCAs: ca.Pool()}), addr)
	var recs []map[string]any
	if err := json.Unmarshal([]byte(evidence(o, "tls/"+addr+"/probes").Data), &recs); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 || recs[3]["protocol"] != "TLSv1.2" || recs[3]["offered"] != "yes" || recs[3]["server_version"] != "TLSv1.2" ||
		recs[4]["offered"] != "no" || recs[4]["alert"] != "protocol_version" {
		t.Errorf("probes evidence %v", recs)
	}
}

// A server that ignores every hello but TLS 1.3 ones: the TLS 1.2 probe
// times out first, yet the scan goes on and observes TLS 1.3.
func TestSilentExceptTLS13(t *testing.T) {
	ca := newCA(t)
	leaf := issue(t, ca, pki.LeafOptions{})
	addr, _ := serveTLS(t, &tls.Config{
		Certificates: []tls.Certificate{leaf.TLSCertificate(ca, false)},
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			if !slices.Contains(h.SupportedVersions, tls.VersionTLS13) {
				time.Sleep(time.Second) // longer than the scanner waits
			}
			return nil, nil
		},
	})
	const timeout = 300 * time.Millisecond
	o := scanOne(t, New(Options{RootCAs: ca.Pool(), Timeout: timeout}), addr)
	got := protocols(o)
	if got[posture.TLSv1_3] != yes {
		t.Errorf("TLSv1.3 = %s, want yes", got[posture.TLSv1_3])
	}
	for _, p := range o.Protocols {
		if p.Name != posture.TLSv1_3 && (p.Offered != unk || p.Missing == nil || p.Missing.Reason != posture.ReasonTimeout) {
			t.Errorf("%s: %s %v, want unknown timeout", p.Name, p.Offered, p.Missing)
		}
	}
	if o.Missing != nil || o.Certificate == nil || o.Negotiated == nil || o.Negotiated.Protocol != posture.TLSv1_3 {
		t.Errorf("missing %v certificate %v negotiated %v", o.Missing, o.Certificate, o.Negotiated)
	}
}

// A host with more addresses than the scanner observes: each address left
// out is an observation that says so, never silently dropped (the claim
// covers every address). No connection leaves the machine: the dialer
// refuses every address before connecting.
func TestAddressesLeftOut(t *testing.T) {
	zone := ""
	for i := 1; i <= maxAddresses+2; i++ {
		zone += fmt.Sprintf("many A 192.0.2.%d\n", i)
	}
	dns, err := dnstest.Start("vouch.test.", zone)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dns.Close)
	var dialed []string
	var mu sync.Mutex
	d := &net.Dialer{
		Resolver: &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, dns.Addr)
		}},
		Control: func(_, address string, _ syscall.RawConn) error {
			mu.Lock()
			dialed = append(dialed, address)
			mu.Unlock()
			return errors.New("test: no connections outside loopback")
		},
	}
	s := New(Options{Dialer: d, Timeout: time.Second})
	snap := s.Scan(context.Background(), posture.Target{Kind: posture.TargetWeb, Address: "https://many.vouch.test"})
	if len(snap.TLS) != maxAddresses+2 {
		t.Fatalf("want %d observations, one per address, got %d", maxAddresses+2, len(snap.TLS))
	}
	var left []string
	for _, o := range snap.TLS {
		if o.Missing == nil {
			t.Errorf("%s: observed though no connection was possible", o.Source)
			continue
		}
		if o.Missing.Reason == posture.ReasonNotScanned {
			left = append(left, o.Source)
			if o.Endpoint != "many.vouch.test:443" || o.ServerName != "many.vouch.test" || o.Source == "" {
				t.Errorf("left-out observation %+v", o)
			}
		}
	}
	if len(left) != 2 {
		t.Errorf("%d observations say not scanned, want 2", len(left))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(dialed) == 0 {
		t.Error("no dial went through the dialer's Control")
	}
	for _, a := range dialed {
		if slices.Contains(left, a) {
			t.Errorf("dialed %s, which is beyond the limit", a)
		}
	}
}
