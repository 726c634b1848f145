package scanners_test

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/dnstest"
	"github.com/vouchdev/vouch/internal/nettest"
	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners/dnsscan"
	"github.com/vouchdev/vouch/scanners/httpscan"
	"github.com/vouchdev/vouch/scanners/tlsscan"
)

// One way to say "could not observe": the same failure is the same reason
// whichever scanner met it, and whichever resolver it came from (Go's, or
// the scan's one miekg/dns client that cmd/vouch hands to every scanner).
// Every failure is real: a DNS server on 127.0.0.1 that answers SERVFAIL,
// NXDOMAIN or nothing, and a port where nothing listens.
func TestSameFailureSameReason(t *testing.T) {
	closed := closedPort(t)
	srv, err := dnstest.Start("vouch.test.", `
@        SOA ns.vouch.test. h.vouch.test. 1 3600 600 86400 300
broken   A  127.0.0.1
broken   MX 10 broken
slow     A  127.0.0.1
slow     MX 10 slow
refusing MX 10 mx.refusing
mx.refusing A 127.0.0.1
`)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.ServFail("broken.vouch.test")
	srv.Timeout("slow.vouch.test")

	const timeout = 500 * time.Millisecond
	stub := dnsscan.NewResolver(srv.Addr, 200*time.Millisecond)
	goRes := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, srv.Addr)
	}}
	port, _ := strconv.Atoi(closed)
	// Each scanner, given one resolver or the other, and where its reason is.
	type scanner struct {
		name   string
		kind   posture.TargetKind
		scan   func(posture.Target) posture.Snapshot
		reason func(posture.Snapshot) *posture.Missing
	}
	tlsReason := func(s posture.Snapshot) *posture.Missing {
		if len(s.TLS) == 0 {
			return nil
		}
		return s.TLS[0].Missing
	}
	var all []scanner
	for _, via := range []struct {
		name string
		d    *net.Dialer
		r    posture.Resolver
	}{
		{"Go's resolver", &net.Dialer{Resolver: goRes}, nil},
		{"the scan's resolver", &net.Dialer{}, stub},
	} {
		tls := tlsscan.New(tlsscan.Options{Dialer: via.d, Resolver: via.r, Timeout: timeout, STARTTLS: &tlsscan.STARTTLSOptions{Port: port}})
		http := httpscan.New(httpscan.Options{Dialer: via.d, Resolver: via.r, Timeout: timeout,
			PlainHTTP: func(posture.Target) string { return "" }})
		all = append(all,
			scanner{"tls through " + via.name, posture.TargetWeb, func(t posture.Target) posture.Snapshot { return tls.Scan(context.Background(), t) }, tlsReason},
			scanner{"tls STARTTLS through " + via.name, posture.TargetMail, func(t posture.Target) posture.Snapshot { return tls.Scan(context.Background(), t) }, tlsReason},
			scanner{"http through " + via.name, posture.TargetWeb, func(t posture.Target) posture.Snapshot { return http.Scan(context.Background(), t) },
				func(s posture.Snapshot) *posture.Missing {
					if len(s.HTTP) == 0 {
						return nil
					}
					return s.HTTP[0].HTTPSMissing
				}})
	}
	dnsReason := func(s posture.Snapshot) *posture.Missing {
		if len(s.DNS) == 0 {
			return nil
		}
		if o := s.DNS[0]; o.Missing != nil || o.MX == nil {
			return o.Missing
		}
		return s.DNS[0].MX.Missing
	}
	dns := dnsscan.New(dnsscan.Options{Resolver: stub})
	all = append(all, scanner{"dns", posture.TargetMail, func(t posture.Target) posture.Snapshot { return dns.Scan(context.Background(), t) }, dnsReason})
	// A resolver that refuses: nothing listens on its port.
	noDNS := dnsscan.New(dnsscan.Options{Resolver: dnsscan.NewResolver(udpClosedPort(t), 200*time.Millisecond)})
	refusedDNS := scanner{"dns", posture.TargetMail, func(t posture.Target) posture.Snapshot { return noDNS.Scan(context.Background(), t) }, dnsReason}

	for _, tc := range []struct {
		failure  string
		web      string // the web target
		mail     string // the mail target; "" when the failure has no mail form
		want     posture.Reason
		scanners []scanner // nil: all
	}{
		{"SERVFAIL", "https://broken.vouch.test:" + closed, "broken.vouch.test", posture.ReasonServFail, nil},
		{"no answer from the resolver", "https://slow.vouch.test:" + closed, "slow.vouch.test", posture.ReasonTimeout, nil},
		// A mail domain that does not exist is an observation for dnsscan
		// (an MX lookup that found nothing), not a failure: only the
		// scanners that need its address are in the row.
		{"NXDOMAIN", "https://missing.vouch.test:" + closed, "missing.vouch.test", posture.ReasonNXDomain, all[:len(all)-1]},
		{"connection refused", "https://127.0.0.1:" + closed, "refusing.vouch.test", posture.ReasonRefused, append(all[:len(all)-1:len(all)-1], refusedDNS)},
	} {
		scs := tc.scanners
		if scs == nil {
			scs = all
		}
		for _, sc := range scs {
			target := posture.Target{Kind: sc.kind, Address: tc.web}
			if sc.kind == posture.TargetMail {
				target.Address = tc.mail
			}
			m := sc.reason(sc.scan(target))
			if m == nil || m.Reason != tc.want {
				t.Errorf("%s, %s (%s): missing %v; want %s", tc.failure, sc.name, target.Address, m, tc.want)
			}
		}
	}
}

// closedPort returns a TCP port on 127.0.0.1 where nothing listens.
func closedPort(t *testing.T) string {
	_, port, _ := net.SplitHostPort(nettest.RefusedAddr(t))
	return port
}

// udpClosedPort returns a UDP address on 127.0.0.1 where nothing listens.
func udpClosedPort(t *testing.T) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	return addr
}
