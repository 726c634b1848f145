package tlsscan

import (
	"context"
	"crypto/tls"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/dnstest"
	"github.com/vouchdev/vouch/internal/pki"
	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners/dnsscan"
)

// Options.Resolver is the scan's one resolver: the MX hosts of a mail
// target and their addresses are looked up through it (here dnsscan's
// miekg/dns client, as cmd/vouch hands it to every scanner), and never
// through the Dialer's resolver, which only knows of nothing.
func TestSTARTTLSThroughTheScansResolver(t *testing.T) {
	ca := newCA(t)
	leaf := issue(t, ca, pki.LeafOptions{Hosts: []string{"mx.shared.test"}})
	var sessions atomic.Int32
	addr := smtpServer(t, true, &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate(ca, true)}}, &sessions)
	_, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)

	shared, err := dnstest.Start("shared.test.", "@ MX 10 mx\nmx A 127.0.0.1\nweb A 127.0.0.1\n")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(shared.Close)
	empty, err := dnstest.Start("other.test.", "@ A 127.0.0.1\n")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(empty.Close)
	d := &net.Dialer{Resolver: &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, empty.Addr)
	}}}
	var res posture.Resolver = dnsscan.NewResolver(shared.Addr, time.Second)
	s := New(Options{Dialer: d, Resolver: res, RootCAs: ca.Pool(), Timeout: 2 * time.Second, STARTTLS: &STARTTLSOptions{Port: p}})

	snap := s.Scan(context.Background(), posture.Target{Kind: posture.TargetMail, Address: "shared.test"})
	if len(snap.TLS) != 1 {
		t.Fatalf("want the one MX host's observation, got %d: %+v", len(snap.TLS), snap.TLS)
	}
	o := snap.TLS[0]
	if o.Missing != nil || o.MXOf != "shared.test" || o.ServerName != "mx.shared.test" || o.Source != addr || sessions.Load() == 0 {
		t.Fatalf("MX observation: missing %v mx_of %q server name %q source %q sessions %d", o.Missing, o.MXOf, o.ServerName, o.Source, sessions.Load())
	}
	if c := o.Certificate; c == nil || c.Trusted != yes || c.HostnameMatch != yes {
		t.Errorf("certificate %+v", c)
	}
	var mxNote string
	for _, e := range o.Evidence {
		if e.ID == "tls/mx/shared.test" {
			mxNote = e.Data
		}
	}
	if mxNote != "MX shared.test: 10 mx.shared.test" {
		t.Errorf("MX evidence %q", mxNote)
	}

	// A web target's host is looked up through it too.
	web := s.Scan(context.Background(), posture.Target{Kind: posture.TargetWeb, Address: "https://web.shared.test:" + port})
	if len(web.TLS) != 1 || web.TLS[0].Source != "127.0.0.1:"+port {
		t.Errorf("web target through the resolver: %+v", web.TLS)
	}
	if n := empty.Queries(); n != 0 {
		t.Errorf("the Dialer's resolver was asked %d questions; the scan's resolver is the one", n)
	}

	// Without Options.Resolver, the Dialer's resolver is the one, as
	// before: it knows no shared.test.
	snap = New(Options{Dialer: d, RootCAs: ca.Pool(), Timeout: 2 * time.Second, STARTTLS: &STARTTLSOptions{Port: p}}).
		Scan(context.Background(), posture.Target{Kind: posture.TargetMail, Address: "shared.test"})
	if len(snap.TLS) != 1 || snap.TLS[0].Missing == nil || snap.TLS[0].Missing.Reason != posture.ReasonNXDomain || empty.Queries() == 0 {
		t.Errorf("without a Resolver: %+v (%d questions to the Dialer's resolver)", snap.TLS, empty.Queries())
	}
}
