package dnstest

import (
	"strings"
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

// DS answers come from the parent's side of the zone cut: the parent's
// SOA on a negative answer when the server holds the parent, the child's
// when it holds only the child; DSFor's DS matches the key SignedKeys made.
func TestServerDS(t *testing.T) {
	now := time.Now()
	keys, err := SignedKeys("child.test", now)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := DSFor(keys)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DSFor("x.test. 300 IN A 127.0.0.1\n"); err == nil {
		t.Error("DSFor without a key: no error")
	}
	s, err := Start("child.test", "@ IN SOA ns.child.test. h.child.test. 1 3600 600 86400 300\n"+keys)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ask := func(name string, typ uint16) *dns.Msg {
		t.Helper()
		m := new(dns.Msg)
		m.SetQuestion(name, typ)
		m.SetEdns0(1232, true)
		r, _, err := (&dns.Client{Timeout: time.Second}).Exchange(m, s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// Only the child: its own SOA.
	if r := ask("child.test.", dns.TypeDS); len(r.Answer) != 0 || len(r.Ns) != 1 || r.Ns[0].Header().Name != "child.test." {
		t.Errorf("DS, child only: %v", r)
	}
	if err := s.Add("test", "@ IN SOA ns.test. h.test. 1 3600 600 86400 300\nchild IN NS ns.child.test.\n"); err != nil {
		t.Fatal(err)
	}
	// The parent without DS: the parent's SOA.
	if r := ask("child.test.", dns.TypeDS); len(r.Answer) != 0 || len(r.Ns) != 1 || r.Ns[0].Header().Name != "test." {
		t.Errorf("DS, parent without DS: %v", r)
	}
	// Other types at the apex still come with the child's SOA.
	if r := ask("child.test.", dns.TypeTXT); len(r.Ns) != 1 || r.Ns[0].Header().Name != "child.test." {
		t.Errorf("TXT at the child apex: %v", r)
	}
	if err := s.Add("test", ds); err != nil {
		t.Fatal(err)
	}
	r := ask("child.test.", dns.TypeDS)
	if len(r.Answer) != 1 {
		t.Fatalf("DS: %v", r)
	}
	got := r.Answer[0].(*dns.DS)
	key := ask("child.test.", dns.TypeDNSKEY).Answer[0].(*dns.DNSKEY)
	if want := key.ToDS(dns.SHA256); got.KeyTag != key.KeyTag() || got.DigestType != dns.SHA256 || !strings.EqualFold(got.Digest, want.Digest) {
		t.Errorf("DS %v does not match the DNSKEY %v", got, key)
	}
}
