package tlsscan

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/dnstest"
	"github.com/vouchdev/vouch/internal/nettest"
	"github.com/vouchdev/vouch/internal/pki"
	"github.com/vouchdev/vouch/posture"
)

// smtpServer is nettest's SMTP server; it offers STARTTLS when offer is set.
func smtpServer(t *testing.T, offer bool, cfg *tls.Config, sessions *atomic.Int32) string {
	t.Helper()
	if !offer {
		cfg = nil
	}
	return nettest.SMTPServer(t, cfg, sessions)
}

// mailScanner returns a scanner whose resolver is an in-process DNS server
// where mail.test has MX hosts mx1 and mx2 on 127.0.0.1 and whose SMTP port
// is port.
func mailScanner(t *testing.T, port string, ca *pki.CA, zone string, timeout time.Duration) *Scanner {
	t.Helper()
	if zone == "" {
		zone = `
@    MX 10 mx1
@    MX 20 mx2
mx1  A 127.0.0.1
mx2  A 127.0.0.1
`
	}
	dns, err := dnstest.Start("mail.test.", zone)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dns.Close)
	d := &net.Dialer{Resolver: &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, dns.Addr)
	}}}
	p, _ := strconv.Atoi(port)
	var roots = ca.Pool()
	return New(Options{Dialer: d, RootCAs: roots, Timeout: timeout, STARTTLS: &STARTTLSOptions{Port: p}})
}

func mailTarget() posture.Target {
	return posture.Target{Kind: posture.TargetMail, Address: "mail.test"}
}

func TestSTARTTLSOffered(t *testing.T) {
	ca := newCA(t)
	leaf := issue(t, ca, pki.LeafOptions{Hosts: []string{"mx1.mail.test", "mx2.mail.test"}})
	var sessions atomic.Int32
	addr := smtpServer(t, true, &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate(ca, true)}}, &sessions)
	_, port, _ := net.SplitHostPort(addr)
	s := mailScanner(t, port, ca, "", 2*time.Second)
	if !s.Accepts(posture.TargetMail) || !s.Accepts(posture.TargetWeb) {
		t.Fatal("scanner with STARTTLS options does not accept mail and web targets")
	}
	if New(Options{}).Accepts(posture.TargetMail) {
		t.Fatal("scanner without STARTTLS options accepts mail targets")
	}
	start := time.Now()
	snap := s.Scan(context.Background(), mailTarget())
	if len(snap.TLS) != 2 {
		t.Fatalf("want one observation per MX host, got %d: %+v", len(snap.TLS), snap.TLS)
	}
	for i, o := range snap.TLS {
		host := []string{"mx1.mail.test", "mx2.mail.test"}[i]
		if o.Missing != nil {
			t.Fatalf("%s: missing %v", host, o.Missing)
		}
		if o.STARTTLS != "smtp" || o.MXOf != "mail.test" || o.ServerName != host || o.Endpoint != host+":"+port || o.Source != addr {
			t.Errorf("%s: starttls %q mx_of %q server name %q endpoint %q source %q", host, o.STARTTLS, o.MXOf, o.ServerName, o.Endpoint, o.Source)
		}
		if o.Negotiated == nil || o.Negotiated.Protocol != posture.TLSv1_3 {
			t.Errorf("%s: negotiated %+v", host, o.Negotiated)
		}
		if got := protocols(o); got[posture.TLSv1_3] != yes || got[posture.TLSv1_2] != yes || got[posture.TLSv1_0] != no {
			t.Errorf("%s: protocols %v", host, got)
		}
		if len(o.Suites) == 0 {
			t.Errorf("%s: no cipher suites enumerated over STARTTLS", host)
		}
		c := o.Certificate
		if c == nil || c.Trusted != yes || c.HostnameMatch != yes {
			t.Errorf("%s: certificate %+v", host, c)
		}
		var smtp string
		for _, e := range o.Evidence {
			if strings.Contains(e.ID, "127.0.0.1:") && !strings.Contains(e.ID, addr) {
				t.Errorf("%s: evidence id %q names another address than the MX host", host, e.ID)
			}
			if e.ID == "tls/"+host+"/"+addr+"/smtp" {
				smtp = e.Data
			}
		}
		for _, want := range []string{"S: 220-mx.mail.test", "C: EHLO vouch.invalid", "S: 250-STARTTLS", "C: STARTTLS", "S: 220 2.0.0"} {
			if !strings.Contains(smtp, want) {
				t.Errorf("%s: SMTP transcript lacks %q:\n%s", host, want, smtp)
			}
		}
		if c != nil && c.ChainEvidence != "tls/"+host+"/"+addr+"/chain" {
			t.Errorf("%s: chain evidence %q", host, c.ChainEvidence)
		}
		if o.Probes < 5 {
			t.Errorf("%s: %d probes", host, o.Probes)
		}
	}
	// Both MX hosts share an address; their evidence IDs stay apart.
	seen := map[string]bool{}
	for _, e := range snap.AllEvidence() {
		if seen[e.ID] {
			t.Errorf("duplicate evidence id %q", e.ID)
		}
		seen[e.ID] = true
	}
	if n := int(sessions.Load()); n != snap.TLS[0].Probes+snap.TLS[1].Probes {
		t.Errorf("server saw %d SMTP sessions, observations count %d+%d", n, snap.TLS[0].Probes, snap.TLS[1].Probes)
	}
	t.Logf("two MX hosts over STARTTLS in %v, %d SMTP sessions", time.Since(start).Round(time.Millisecond), sessions.Load())
}

func TestSTARTTLSNotOffered(t *testing.T) {
	ca := newCA(t)
	var sessions atomic.Int32
	addr := smtpServer(t, false, nil, &sessions)
	_, port, _ := net.SplitHostPort(addr)
	s := mailScanner(t, port, ca, "@ MX 10 mx1\nmx1 A 127.0.0.1\n", 2*time.Second)
	snap := s.Scan(context.Background(), mailTarget())
	if len(snap.TLS) != 1 {
		t.Fatalf("want 1 observation, got %d", len(snap.TLS))
	}
	o := snap.TLS[0]
	if o.Missing != nil || o.Negotiated != nil || o.Certificate != nil {
		t.Fatalf("missing %v negotiated %v certificate %v", o.Missing, o.Negotiated, o.Certificate)
	}
	for name, v := range protocols(o) {
		if v != no {
			t.Errorf("%s: %s, want no (no STARTTLS)", name, v)
		}
	}
	if len(o.Evidence) == 0 || !strings.Contains(o.Evidence[0].Label, "not offered") || !strings.Contains(o.Evidence[0].Data, "S: 250 8BITMIME") {
		t.Errorf("evidence %+v", o.Evidence)
	}
	if sessions.Load() != 1 || o.Probes != 1 {
		t.Errorf("%d sessions, %d probes; want one of each", sessions.Load(), o.Probes)
	}
}

// An MX host with more addresses than MaxAddresses: the ones left out are
// observations that say so. Only 127.0.0.1 may be dialled.
func TestSTARTTLSAddressesLeftOut(t *testing.T) {
	ca := newCA(t)
	addr := smtpServer(t, false, nil, new(atomic.Int32))
	_, port, _ := net.SplitHostPort(addr)
	s := mailScanner(t, port, ca, "@ MX 10 mx1\nmx1 A 127.0.0.1\nmx1 A 192.0.2.1\nmx1 A 192.0.2.2\n", time.Second)
	s.dialer.Control = func(_, address string, _ syscall.RawConn) error {
		if !strings.HasPrefix(address, "127.0.0.1:") {
			return errors.New("test: no connections outside loopback")
		}
		return nil
	}
	s.starttls.MaxAddresses = 1
	snap := s.Scan(context.Background(), mailTarget())
	if len(snap.TLS) != 3 {
		t.Fatalf("want 3 observations, one per address, got %d: %+v", len(snap.TLS), snap.TLS)
	}
	left := 0
	for _, o := range snap.TLS {
		if o.Missing != nil && o.Missing.Reason == posture.ReasonNotScanned {
			left++
			if o.STARTTLS != "smtp" || o.MXOf != "mail.test" || o.ServerName != "mx1.mail.test" {
				t.Errorf("left-out observation %+v", o)
			}
		}
	}
	if left != 2 {
		t.Errorf("%d observations say not scanned, want 2", left)
	}
}

// A server without ESMTP (EHLO not implemented) offers no STARTTLS.
func TestSTARTTLSNoESMTP(t *testing.T) {
	ca := newCA(t)
	addr := serveRaw(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "220 old.mail.test SMTP\r\n")
		bufio.NewReader(c).ReadString('\n')
		io.WriteString(c, "502 5.5.1 command not implemented\r\n")
	})
	_, port, _ := net.SplitHostPort(addr)
	s := mailScanner(t, port, ca, "@ MX 10 mx1\nmx1 A 127.0.0.1\n", time.Second)
	o := s.Scan(context.Background(), mailTarget()).TLS[0]
	if o.Missing != nil || len(o.Protocols) != len(posture.ProtocolNames) {
		t.Fatalf("missing %v protocols %v", o.Missing, o.Protocols)
	}
	for _, p := range o.Protocols {
		if p.Offered != no {
			t.Errorf("%s: %s, want no", p.Name, p.Offered)
		}
	}
}

// A hostile or broken server never hangs the scan and never passes for a
// server that refuses STARTTLS: each gives a Missing with its reason.
func TestSTARTTLSHostile(t *testing.T) {
	ca := newCA(t)
	long := strings.Repeat("x", 4000)
	tests := []struct {
		name   string
		handle func(net.Conn)
		reason posture.Reason
	}{
		{"endless lines", func(c net.Conn) {
			for i := 0; i < 100000; i++ {
				if _, err := io.WriteString(c, "220-still greeting you\r\n"); err != nil {
					return
				}
			}
		}, posture.ReasonTooLarge},
		{"endless line", func(c net.Conn) {
			for i := 0; i < 1000; i++ {
				if _, err := io.WriteString(c, long); err != nil {
					return
				}
			}
		}, posture.ReasonTooLarge},
		{"garbage", func(c net.Conn) { io.WriteString(c, "\x16\x03\x01 this is not smtp\r\n") }, posture.ReasonProtocolError},
		{"silent", func(c net.Conn) { io.Copy(io.Discard, c) }, posture.ReasonTimeout},
		{"slow drip", func(c net.Conn) {
			for i := 0; i < 100; i++ {
				if _, err := io.WriteString(c, "2"); err != nil {
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		}, posture.ReasonTimeout},
		{"closes", func(c net.Conn) {}, posture.ReasonProtocolError},
		{"refuses service", func(c net.Conn) { io.WriteString(c, "554 5.7.1 go away\r\n") }, posture.ReasonProtocolError},
		// A refusal of this client at EHLO says nothing of STARTTLS.
		{"refuses EHLO", func(c net.Conn) {
			io.WriteString(c, "220 hi\r\n")
			bufio.NewReader(c).ReadString('\n')
			io.WriteString(c, "554 5.7.1 access denied\r\n")
		}, posture.ReasonProtocolError},
		{"rate limited", func(c net.Conn) {
			io.WriteString(c, "220 hi\r\n")
			bufio.NewReader(c).ReadString('\n')
			io.WriteString(c, "421 4.7.0 too many connections\r\n")
		}, posture.ReasonProtocolError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := serveRaw(t, func(c net.Conn) {
				c.SetDeadline(time.Now().Add(10 * time.Second))
				tc.handle(c)
			})
			_, port, _ := net.SplitHostPort(addr)
			s := mailScanner(t, port, ca, "@ MX 10 mx1\nmx1 A 127.0.0.1\n", 200*time.Millisecond)
			start := time.Now()
			snap := s.Scan(context.Background(), mailTarget())
			if d := time.Since(start); d > 4*time.Second {
				t.Errorf("scan took %v", d)
			}
			if len(snap.TLS) != 1 {
				t.Fatalf("want 1 observation, got %d", len(snap.TLS))
			}
			o := snap.TLS[0]
			if o.Missing == nil || o.Missing.Reason != tc.reason {
				t.Fatalf("missing %v, want %s", o.Missing, tc.reason)
			}
			if len(o.Protocols) != 0 || o.Negotiated != nil {
				t.Errorf("protocols %v negotiated %v on a failed session", o.Protocols, o.Negotiated)
			}
			if len(o.Evidence) == 0 || len(o.Evidence[0].Data) > transcriptMax+100 {
				t.Errorf("evidence missing or unbounded: %d bytes", len(o.Evidence[0].Data))
			}
		})
	}
}

// If the server offers STARTTLS once and then stops (a connection limit),
// the refusals the probes saw are not taken as refusals.
func TestSTARTTLSFlaky(t *testing.T) {
	ca := newCA(t)
	leaf := issue(t, ca, pki.LeafOptions{Hosts: []string{"mx1.mail.test"}})
	cfg := &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate(ca, true)}}
	var n atomic.Int32
	good := smtpServer(t, true, cfg, new(atomic.Int32))
	addr := serveRaw(t, func(c net.Conn) {
		// Sessions 1 and 2 (the check and the first probe) get through;
		// later ones are turned away.
		if n.Add(1) > 2 {
			io.WriteString(c, "421 4.7.0 too many connections\r\n")
			return
		}
		up, err := net.Dial("tcp", good)
		if err != nil {
			return
		}
		defer up.Close()
		go func() { io.Copy(up, c); up.Close() }()
		io.Copy(c, up)
	})
	_, port, _ := net.SplitHostPort(addr)
	s := mailScanner(t, port, ca, "@ MX 10 mx1\nmx1 A 127.0.0.1\n", time.Second)
	o := s.Scan(context.Background(), mailTarget()).TLS[0]
	doubted := 0
	for _, p := range o.Protocols {
		if p.Offered == unk {
			doubted++
		}
		if p.Offered == no {
			t.Errorf("%s taken as refused though STARTTLS failed on later connections", p.Name)
		}
		// Either the probe's own connection was turned away (it says so),
		// or another's was and a refusal it saw is in doubt.
		if p.Offered == unk && (p.Missing == nil || !strings.Contains(p.Missing.Detail, "SMTP before TLS failed") && !strings.Contains(p.Missing.Detail, "421 4.7.0 too many connections")) {
			t.Errorf("%s: missing %v", p.Name, p.Missing)
		}
	}
	if doubted == 0 {
		t.Errorf("no protocol left undetermined: %+v", o.Protocols)
	}
}

// MX lookup failures and edge cases of the MX record.
func TestSTARTTLSMX(t *testing.T) {
	ca := newCA(t)
	refused := refusedAddr(t)
	_, port, _ := net.SplitHostPort(refused)

	// No MX: the domain's own address (RFC 5321 §5.1); nothing listens.
	s := mailScanner(t, port, ca, "@ A 127.0.0.1\n", time.Second)
	snap := s.Scan(context.Background(), mailTarget())
	if len(snap.TLS) != 1 || snap.TLS[0].ServerName != "mail.test" || snap.TLS[0].Missing == nil || snap.TLS[0].Missing.Reason != posture.ReasonRefused {
		t.Errorf("implicit MX: %+v", snap.TLS)
	}
	// Null MX (RFC 7505): no mail, nothing to observe.
	s = mailScanner(t, port, ca, "@ MX 0 .\n", time.Second)
	if snap := s.Scan(context.Background(), mailTarget()); len(snap.TLS) != 0 {
		t.Errorf("null MX: %+v", snap.TLS)
	}
	// An MX host that does not resolve: one observation saying so.
	s = mailScanner(t, port, ca, "@ MX 10 gone\n", time.Second)
	snap = s.Scan(context.Background(), mailTarget())
	if len(snap.TLS) != 1 || snap.TLS[0].Missing == nil || snap.TLS[0].Missing.Reason != posture.ReasonNXDomain || snap.TLS[0].ServerName != "gone.mail.test" {
		t.Errorf("unresolvable MX: %+v", snap.TLS)
	}
}

// The SMTP reply reader takes whatever a server sends: it never panics,
// never returns more lines than its limit, and accepts only well-formed
// replies.
func FuzzSMTPReply(f *testing.F) {
	for _, s := range []string{
		"220 mx.example ESMTP\r\n",
		"250-mx.example\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
		"250-a\r\n251 b\r\n",
		"220\r\n",
		"2\r\n",
		"999 x\r\n",
		"220-" + strings.Repeat("y", 2000) + "\r\n",
		"\x16\x03\x01\x00\x05hello",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tr := &smtpTranscript{}
		rep, err := readSMTPReply(bufio.NewReaderSize(bytes.NewReader(data), smtpMaxLine), tr)
		if len(rep.lines) > smtpMaxLines {
			t.Fatalf("%d lines", len(rep.lines))
		}
		if err == nil && (rep.code < 200 || rep.code > 599 || len(rep.lines) == 0) {
			t.Fatalf("accepted reply %+v", rep)
		}
		if len(tr.String()) > transcriptMax+200 {
			t.Fatalf("transcript of %d bytes", len(tr.String()))
		}
	})
}
