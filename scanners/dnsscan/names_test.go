package dnsscan

import (
	"context"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/dnstest"
	"github.com/vouchdev/vouch/posture"
)

// The posture.Resolver lookups answer as Go's resolver does on the same
// server, and their failures read as dnsscan's own through MissingFor.
func TestNameLookups(t *testing.T) {
	s, err := dnstest.Start("names.test.", `
@       SOA ns.names.test. h.names.test. 1 3600 600 86400 300
app     A    127.0.0.1
app     A    127.0.0.2
app     AAAA ::1
v6      AAAA ::1
alias   CNAME app
far     CNAME alias
txt     TXT  "no address here"
mail    MX 20 mx2.names.test.
mail    MX 10 mx1.names.test.
nomail  MX 0 .
broken  A 127.0.0.1
slow    A 127.0.0.1
`)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.ServFail("broken.names.test.")
	s.Timeout("slow.names.test.")
	stub := NewResolver(s.Addr, 200*time.Millisecond)
	goRes := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, s.Addr)
	}}
	ctx := context.Background()

	addrs := func(r posture.Resolver, host string) ([]string, error) {
		ips, err := r.LookupIPAddr(ctx, host)
		var out []string
		for _, ip := range ips {
			out = append(out, ip.String())
		}
		slices.Sort(out)
		return out, err
	}
	before := s.Queries()
	for _, tc := range []struct {
		host string
		want []string
		// asGo: Go's resolver gives the same answer. It follows no CNAME
		// (it leaves that to the recursive resolver, and the test server
		// is only authoritative), and it reads localhost from /etc/hosts.
		asGo bool
	}{
		{"app.names.test", []string{"127.0.0.1", "127.0.0.2", "::1"}, true},
		{"APP.names.test.", []string{"127.0.0.1", "127.0.0.2", "::1"}, true},
		{"v6.names.test", []string{"::1"}, true},
		{"alias.names.test", []string{"127.0.0.1", "127.0.0.2", "::1"}, false},
		{"far.names.test", []string{"127.0.0.1", "127.0.0.2", "::1"}, false},
		{"192.0.2.7", []string{"192.0.2.7"}, true},
		{"localhost", []string{"127.0.0.1", "::1"}, false},
		{"svc.LOCALHOST.", []string{"127.0.0.1", "::1"}, false},
	} {
		got, err := addrs(stub, tc.host)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("LookupIPAddr(%s) = %v, %v; want %v", tc.host, got, err, tc.want)
		}
		if !tc.asGo {
			continue
		}
		if oracle, oerr := addrs(goRes, tc.host); oerr != nil || !slices.Equal(oracle, tc.want) {
			t.Errorf("Go's resolver on %s: %v, %v; want %v", tc.host, oracle, oerr, tc.want)
		}
	}
	// A and AAAA for three names by both resolvers, then the CNAME chains
	// of two and three names; nothing for the IP address and localhost.
	if n, want := s.Queries()-before, 3*2*2+2*2+3*2; n != want {
		t.Errorf("%d questions for the names; want %d", n, want)
	}

	mxs, err := stub.LookupMX(ctx, "mail.names.test")
	var got []string
	for _, mx := range mxs {
		got = append(got, fmt.Sprintf("%d %s", mx.Pref, mx.Host))
	}
	slices.Sort(got)
	if err != nil || !slices.Equal(got, []string{"10 mx1.names.test.", "20 mx2.names.test."}) {
		t.Errorf("LookupMX(mail) = %v, %v", got, err)
	}
	if mxs, err := stub.LookupMX(ctx, "nomail.names.test"); err != nil || len(mxs) != 1 || mxs[0].Host != "." {
		t.Errorf("LookupMX(null MX) = %v, %v", mxs, err)
	}

	// Failures: the flags of *net.Resolver's errors, and the reasons
	// every scanner gives (the same as Go's resolver's, where it tells).
	for _, tc := range []struct {
		host     string
		notFound bool
		want     posture.Reason
	}{
		{"missing.names.test", true, posture.ReasonNXDomain},
		{"txt.names.test", true, posture.ReasonNXDomain}, // no address records
		{"broken.names.test", false, posture.ReasonServFail},
		{"slow.names.test", false, posture.ReasonTimeout},
		{"bad name.names.test", true, posture.ReasonNXDomain},
	} {
		_, err := stub.LookupIPAddr(ctx, tc.host)
		var de *net.DNSError
		m := posture.MissingFor(ctx, err)
		if !asDNSError(err, &de) || de.IsNotFound != tc.notFound || m == nil || m.Reason != tc.want {
			t.Errorf("LookupIPAddr(%s): %T %v (%v), want not found %t and reason %s", tc.host, err, err, m, tc.notFound, tc.want)
		}
		if tc.host == "bad name.names.test" {
			continue
		}
		octx, cancel := context.WithTimeout(ctx, time.Second) // Go's resolver waits 5 s a try
		_, oerr := goRes.LookupIPAddr(octx, tc.host)
		om := posture.MissingFor(octx, oerr)
		cancel()
		if om == nil || om.Reason != tc.want {
			t.Errorf("Go's resolver on %s: %v (%v), want %s", tc.host, oerr, om, tc.want)
		}
	}
	if _, err := stub.LookupMX(ctx, "app.names.test"); !notFound(err) {
		t.Errorf("LookupMX of a name without MX: %v, want not found", err)
	}
}

func asDNSError(err error, de **net.DNSError) bool {
	d, ok := err.(*net.DNSError)
	*de = d
	return ok
}
