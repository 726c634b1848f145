package dnsscan

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/dnstest"
	"github.com/vouchdev/vouch/posture"
)

// The senders the scope declares are run through check_host.
func TestScanSPFSenders(t *testing.T) {
	s, err := dnstest.Start("test", `
send.test.        TXT "v=spf1 ip4:192.0.2.0/24 include:_spf.send.test ~all"
_spf.send.test.   TXT "v=spf1 ip6:2001:db8::/32 a:out.send.test -all"
out.send.test.    A   198.51.100.7
nospf.test.       TXT "hello"
`)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	res := NewResolver(s.Addr, time.Second)
	senders := []string{"192.0.2.25", "2001:db8::1", "198.51.100.7", "203.0.113.9", "::ffff:192.0.2.25", "not an ip"}
	scanSenders := func(domain string) posture.DNSObservation {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		snap := New(Options{Resolver: res, MailSenders: senders, Now: func() time.Time { return fixedNow }}).
			Scan(ctx, posture.Target{Kind: posture.TargetMail, Address: domain})
		checkEvidence(t, snap.DNS[0])
		return snap.DNS[0]
	}
	o := scanSenders("send.test")
	want := map[string]string{"192.0.2.25": "pass", "2001:db8::1": "pass", "198.51.100.7": "pass", "203.0.113.9": "softfail"}
	if len(o.SPF.Checks) != len(want) {
		t.Fatalf("dnsscan: %d checks, want %d (bad and repeated addresses dropped): %+v", len(o.SPF.Checks), len(want), o.SPF.Checks)
	}
	for _, c := range o.SPF.Checks {
		if want[c.IP] != c.Result || c.Sender != "postmaster@send.test" || c.Evidence != "dns/send.test/spf-check_host" {
			t.Errorf("dnsscan: check_host %+v, want %s", c, want[c.IP])
		}
	}
	found := false
	for _, e := range o.Evidence {
		if e.ID == "dns/send.test/spf-check_host" {
			found = strings.Contains(e.Data, ";; check_host(203.0.113.9, send.test, postmaster@send.test) via "+s.Addr+" = softfail")
		}
	}
	if !found {
		t.Errorf("dnsscan: no check_host evidence: %+v", o.Evidence)
	}
	o = scanSenders("nospf.test")
	for _, c := range o.SPF.Checks {
		if c.Result != "none" {
			t.Errorf("dnsscan: no SPF record: %+v", c)
		}
	}
}
