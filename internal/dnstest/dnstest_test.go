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
