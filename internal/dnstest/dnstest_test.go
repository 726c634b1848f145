package dnstest

import (
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestServer(t *testing.T) {
	s, err := Start("example.test", `
@        IN TXT "v=spf1 -all"
_dmarc   IN TXT "v=DMARC1; p=reject"
a.b      IN A   127.0.0.1
`)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Timeout("slow.example.test")
	s.ServFail("broken.example.test")
	c := &dns.Client{Timeout: 300 * time.Millisecond}
	ask := func(name string, typ uint16) (*dns.Msg, error) {
		m := new(dns.Msg)
		m.SetQuestion(name, typ)
		r, _, err := c.Exchange(m, s.Addr)
		return r, err
	}
	r, err := ask("_dmarc.example.test.", dns.TypeTXT)
	if err != nil || len(r.Answer) != 1 || r.Answer[0].(*dns.TXT).Txt[0] != "v=DMARC1; p=reject" {
		t.Fatalf("dmarc: %v %v", r, err)
	}
	if r, _ := ask("nope.example.test.", dns.TypeTXT); r.Rcode != dns.RcodeNameError {
		t.Errorf("want NXDOMAIN, got %s", dns.RcodeToString[r.Rcode])
	}
	if r, _ := ask("b.example.test.", dns.TypeTXT); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 {
		t.Errorf("empty non-terminal: want NOERROR/no data, got %v", r)
	}
	if r, _ := ask("broken.example.test.", dns.TypeTXT); r.Rcode != dns.RcodeServerFailure {
		t.Errorf("want SERVFAIL, got %v", r)
	}
	if _, err := ask("slow.example.test.", dns.TypeTXT); err == nil {
		t.Error("want timeout")
	}
	c.Net = "tcp"
	if r, err := ask("example.test.", dns.TypeTXT); err != nil || len(r.Answer) != 1 {
		t.Errorf("tcp: %v %v", r, err)
	}
}

// DO brings RRSIGs, negative answers carry the zone's SOA, and
// SetAuthenticated sets AD (without AA) for DNSSEC-aware queries only.
func TestServerDNSSEC(t *testing.T) {
	now := time.Now()
	keys, err := SignedKeys("signed.test", now)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start("signed.test", "@ IN SOA ns.signed.test. h.signed.test. 1 3600 600 86400 300\n"+keys+"www IN A 127.0.0.1\n")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := &dns.Client{Timeout: time.Second}
	ask := func(name string, typ uint16, do bool) *dns.Msg {
		t.Helper()
		m := new(dns.Msg)
		m.SetQuestion(name, typ)
		if do {
			m.SetEdns0(1232, true)
		}
		r, _, err := c.Exchange(m, s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := ask("signed.test.", dns.TypeDNSKEY, true)
	if len(r.Answer) != 2 || !r.Authoritative || r.AuthenticatedData {
		t.Fatalf("DNSKEY with DO: %v", r)
	}
	key, sig := r.Answer[0].(*dns.DNSKEY), r.Answer[1].(*dns.RRSIG)
	if err := sig.Verify(key, []dns.RR{key}); err != nil || !sig.ValidityPeriod(now) {
		t.Errorf("RRSIG does not verify: %v", err)
	}
	if r := ask("signed.test.", dns.TypeDNSKEY, false); len(r.Answer) != 1 {
		t.Errorf("DNSKEY without DO: %v", r)
	}
	r = ask("www.signed.test.", dns.TypeTXT, false)
	if len(r.Answer) != 0 || len(r.Ns) != 1 || r.Ns[0].Header().Name != "signed.test." {
		t.Errorf("no data: want the SOA in authority, got %v", r)
	}
	s.SetAuthenticated(true)
	if r := ask("signed.test.", dns.TypeDNSKEY, true); !r.AuthenticatedData || r.Authoritative {
		t.Errorf("validating: want AD without AA, got %v", r)
	}
	if r := ask("signed.test.", dns.TypeDNSKEY, false); r.AuthenticatedData {
		t.Errorf("AD on a query without DO or AD: %v", r)
	}
}
