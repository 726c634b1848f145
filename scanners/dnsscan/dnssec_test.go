package dnsscan

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/vouchdev/vouch/internal/dnstest"
	"github.com/vouchdev/vouch/posture"
)

// plainResolver hides the DNSSEC method of a Resolver.
type plainResolver struct{ Resolver }

func TestScanDNSSEC(t *testing.T) {
	now := fixedNow // the scanner's clock: signatures are checked at it
	signed, err := dnstest.SignedKeys("signed.test", now)
	if err != nil {
		t.Fatal(err)
	}
	expired, err := dnstest.SignedKeys("expired.test", now.Add(-60*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	forged, err := dnstest.SignedKeys("forged.test", now)
	if err != nil {
		t.Fatal(err)
	}
	// Swap forged.test's key for another: the RRSIG no longer verifies.
	other, err := dnstest.SignedKeys("forged.test", now)
	if err != nil {
		t.Fatal(err)
	}
	forged = strings.SplitN(other, "\n", 2)[0] + "\n" + strings.SplitN(forged, "\n", 2)[1]
	unsigned := strings.SplitN(signed, "\n", 2)[0] + "\n" // a DNSKEY with no RRSIG
	unsigned = strings.Replace(unsigned, "signed.test.", "nosig.test.", 1)

	s, err := dnstest.Start("test", `
signed.test.       SOA ns.signed.test. h.signed.test. 1 3600 600 86400 300
signed.test.       TXT "v=spf1 -all"
mail.signed.test.  MX  10 mx.signed.test.
plain.test.        SOA ns.plain.test. h.plain.test. 1 3600 600 86400 300
plain.test.        TXT "v=spf1 -all"
nosoa.test.        TXT "v=spf1 -all"
expired.test.      TXT "v=spf1 -all"
forged.test.       TXT "v=spf1 -all"
nosig.test.        TXT "v=spf1 -all"
slow.test.         TXT "v=spf1 -all"
`+signed+expired+forged+unsigned)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.Timeout("slow.test")
	res := NewResolver(s.Addr, 300*time.Millisecond)

	for _, tc := range []struct {
		domain        string
		zone          string
		signed, valid posture.Tri
		keys          int
		missing       posture.Reason
		dnskeyName    string
	}{
		{"signed.test", "signed.test", posture.Yes, posture.Yes, 1, "", "signed.test"},
		// Not the apex: the SOA of the no-data reply names the zone.
		{"mail.signed.test", "signed.test", posture.Yes, posture.Yes, 1, "", "signed.test"},
		{"plain.test", "plain.test", posture.No, posture.Unknown, 0, "", "plain.test"},
		{"nosoa.test", "", posture.No, posture.Unknown, 0, "", "nosoa.test"},
		{"expired.test", "expired.test", posture.Yes, posture.No, 1, "", "expired.test"},
		{"forged.test", "forged.test", posture.Yes, posture.No, 1, "", "forged.test"},
		{"nosig.test", "nosig.test", posture.Unknown, posture.Unknown, 1, posture.ReasonProtocolError, "nosig.test"},
		{"slow.test", "", posture.Unknown, posture.Unknown, 0, posture.ReasonTimeout, "slow.test"},
	} {
		t.Run(tc.domain, func(t *testing.T) {
			o := scan(t, res, tc.domain)
			d := o.DNSSEC
			if d == nil {
				t.Fatal("dnsscan: no DNSSEC")
			}
			var reason posture.Reason
			if d.Missing != nil {
				reason = d.Missing.Reason
			}
			if d.Zone != tc.zone || d.Signed != tc.signed || d.SignaturesValid != tc.valid || d.Keys != tc.keys || reason != tc.missing || d.DNSKEY.Name != tc.dnskeyName {
				t.Errorf("dnsscan: DNSSEC %+v\nwant zone %q signed %s valid %s keys %d missing %q dnskey %s", d, tc.zone, tc.signed, tc.valid, tc.keys, tc.missing, tc.dnskeyName)
			}
			// An authoritative server answered: AD is not known, and
			// the detail says why.
			if d.Resolver != s.Addr || d.Authenticated != posture.Unknown {
				t.Errorf("dnsscan: resolver %q authenticated %s", d.Resolver, d.Authenticated)
			}
			if tc.missing == "" && (!d.Authoritative || !strings.Contains(d.AuthenticatedDetail, "authoritative server")) {
				t.Errorf("dnsscan: authoritative %v detail %q", d.Authoritative, d.AuthenticatedDetail)
			}
			if tc.keys > 0 && (d.KSKs != 1 || !slices.Equal(d.Algorithms, []string{"ECDSAP256SHA256"})) {
				t.Errorf("dnsscan: ksks %d algorithms %v", d.KSKs, d.Algorithms)
			}
		})
	}

	// The DNSKEY evidence shows the flags and the RRSIG.
	o := scan(t, res, "signed.test")
	for _, e := range o.Evidence {
		if e.ID == o.DNSSEC.DNSKEY.Evidence {
			if !strings.Contains(e.Data, ";; asked with DO and AD; reply flags: qr aa\n") || !strings.Contains(e.Data, "RRSIG\tDNSKEY") {
				t.Errorf("dnsscan: DNSKEY evidence %q", e.Data)
			}
		}
	}

	// A validating resolver sets AD.
	s.SetAuthenticated(true)
	o = scan(t, res, "signed.test")
	if d := o.DNSSEC; d.Authenticated != posture.Yes || d.Authoritative || !strings.Contains(d.AuthenticatedDetail, "validated") {
		t.Errorf("dnsscan: validating resolver: %+v", d)
	}
	s.SetAuthenticated(false)

	// A Resolver without DNSSEC support leaves DNSSEC unobserved.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	snap := New(Options{Resolver: plainResolver{res}}).Scan(ctx, posture.Target{Kind: posture.TargetMail, Address: "signed.test"})
	if d := snap.DNS[0].DNSSEC; d == nil || d.Missing == nil || d.Missing.Reason != posture.ReasonNotScanned || d.Signed != posture.Unknown {
		t.Errorf("dnsscan: DNSSEC without DO support: %+v", d)
	}
}

// The resolver sets DO and AD only on DNSSEC questions.
func TestResolverDNSSECBits(t *testing.T) {
	var (
		mu  sync.Mutex
		got []*dns.Msg
	)
	srv := &dns.Server{Addr: "127.0.0.1:0", Net: "udp", Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		mu.Lock()
		got = append(got, r.Copy())
		mu.Unlock()
		m := new(dns.Msg)
		m.SetReply(r)
		w.WriteMsg(m)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ListenAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	r := NewResolver(srv.PacketConn.LocalAddr().String(), time.Second).(DNSSECResolver)
	ctx := context.Background()
	if _, err := r.Exchange(ctx, "a.test", dns.TypeTXT); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ExchangeDNSSEC(ctx, "a.test", dns.TypeDNSKEY); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("dnsscan: %d queries", len(got))
	}
	if got[0].AuthenticatedData || got[0].IsEdns0() == nil || got[0].IsEdns0().Do() {
		t.Errorf("dnsscan: plain query has DNSSEC bits: %v", got[0])
	}
	if !got[1].AuthenticatedData || got[1].IsEdns0() == nil || !got[1].IsEdns0().Do() {
		t.Errorf("dnsscan: DNSSEC query lacks DO or AD: %v", got[1])
	}
}

// A mail domain that does not exist is not "in" its top-level zone: the
// NXDOMAIN comes with the SOA of the registry's zone, whose signature says
// nothing of the domain's own zone.
func TestDNSSECNonexistentDomain(t *testing.T) {
	keys, err := dnstest.SignedKeys("test", fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	s, err := dnstest.Start("test", "test. SOA ns.test. h.test. 1 3600 600 86400 300\nother.test. TXT \"v=spf1 -all\"\n"+keys)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	d := scan(t, NewResolver(s.Addr, time.Second), "typo.test").DNSSEC
	if d == nil || d.Signed == posture.Yes || d.Missing == nil || d.Missing.Reason != posture.ReasonNXDomain {
		t.Errorf("dnsscan: DNSSEC of a domain that does not exist: %+v; want not observed (nxdomain)", d)
	}
}
