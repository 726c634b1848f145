package dnsscan

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/miekg/dns"
)

// Real SPF records, as large senders publish them, and broken ones.
var spfSeeds = []string{
	"v=spf1 include:_spf.google.com ~all",
	"v=spf1 ip4:35.190.247.0/24 ip4:64.233.160.0/19 ip6:2001:4860:4000::/36 ~all",
	"v=spf1 include:spf.protection.outlook.com include:sendgrid.net -all",
	"v=spf1 a mx/24//64 ptr:example.com exists:%{ir}.%{l1r+-}._spf.%{d} -all",
	"v=spf1 redirect=_spf.example.com exp=explain._spf.%{d}",
	"v=spf1 -all exp=%{r}.example.com",
	"v=spf1 a:foo:bar/baz.example.com ip4:192.0.2.1/33 +all",
	"v=spf1 mx -all foo=%{l}%%%_%-",
	"v=spf1 ip6:::1.1.1.1/0 a//0 mx/0",
	"V=SpF1 ?all",
	"v=spf1",
	"v=spf10",
	"",
}

// nxResolver answers NXDOMAIN to everything.
type nxResolver struct{}

func (nxResolver) Exchange(_ context.Context, name string, qtype uint16) (*dns.Msg, error) {
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), qtype)
	m := new(dns.Msg)
	m.SetRcode(q, dns.RcodeNameError)
	return m, nil
}

func (nxResolver) Addr() string { return "nx" }

func FuzzParseSPF(f *testing.F) {
	for _, s := range spfSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, record string) {
		r, err := ParseSPF(record)
		if err != nil {
			if !errors.Is(err, ErrSPFSyntax) {
				t.Fatalf("dnsscan: ParseSPF(%q) error %v does not wrap ErrSPFSyntax", record, err)
			}
			return
		}
		if !isSPFRecord(record) {
			t.Fatalf("dnsscan: ParseSPF accepted %q, which is not v=spf1", record)
		}
		// The terms, written back, parse to the same terms.
		texts := []string{"v=spf1"}
		for _, term := range r.Terms {
			if term.Name == "" || term.Text == "" || strings.ContainsRune(term.Text, ' ') {
				t.Fatalf("dnsscan: ParseSPF(%q): bad term %+v", record, term)
			}
			if !term.Modifier && !strings.Contains("+-~?", term.Qualifier) {
				t.Fatalf("dnsscan: ParseSPF(%q): qualifier %q", record, term.Qualifier)
			}
			texts = append(texts, term.Text)
		}
		again, err := ParseSPF(strings.Join(texts, " "))
		if err != nil || len(again.Terms) != len(r.Terms) {
			t.Fatalf("dnsscan: ParseSPF(%q) does not round-trip: %v", record, err)
		}
		// Expanding every domain-spec never panics and stays bounded.
		e := &spfEval{res: nxResolver{}, ip: netip.MustParseAddr("192.0.2.1"), sender: "a-b.c@x.example", local: "a-b.c", senderDomain: "x.example", helo: "h.example"}
		for _, term := range r.Terms {
			if term.Domain == "" || term.Modifier && term.Name != "redirect" && term.Name != "exp" {
				continue
			}
			d, err := e.expandDomain(context.Background(), term.Domain, "d.example")
			if err == nil && len(d) > 253 && strings.Contains(d, ".") {
				t.Fatalf("dnsscan: expanded %q to %d octets", term.Domain, len(d))
			}
		}
	})
}

func FuzzParseMTASTS(f *testing.F) {
	for _, s := range []string{"v=STSv1; id=20160831085700Z;", "v=STSv1;id=abc; ext.x=foo", "v=STSv1;; id=a", "id=a; v=STSv1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, record string) {
		r := ParseMTASTS(record)
		if r.Valid() && (r.ID == "" || len(r.ID) > 32 || !isAlnum(r.ID)) {
			t.Fatalf("dnsscan: ParseMTASTS(%q) valid with id %q", record, r.ID)
		}
	})
}

func FuzzParseTLSRPT(f *testing.F) {
	for _, s := range []string{"v=TLSRPTv1; rua=mailto:reports@example.com", "v=TLSRPTv1;rua=mailto:a@x.example,https://r.example/tlsrpt;", "v=TLSRPTv1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, record string) {
		r := ParseTLSRPT(record)
		if r.Valid() && len(r.RUA) == 0 {
			t.Fatalf("dnsscan: ParseTLSRPT(%q) valid without rua", record)
		}
	})
}

func FuzzParseCAAValue(f *testing.F) {
	for _, s := range []string{`0 issue "letsencrypt.org"`, `128 tbs "x"`, `0 iodef "mailto:security@example.com"`, `0 issue "a\"b\255"`, `0`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		r, ok := ParseCAAValue(v)
		if ok && (r.Tag == "" || r.Flags < 0 || r.Flags > 255 || r.Critical != (r.Flags&128 != 0) || !utf8.ValidString(r.Value)) {
			t.Fatalf("dnsscan: ParseCAAValue(%q) = %+v", v, r)
		}
	})
}

// echoResolver serves one SPF record at every name, an A record that
// matches nothing, 10 MX hosts and 10 PTR names, and counts questions.
type echoResolver struct {
	record string
	asked  int
}

func (r *echoResolver) Exchange(_ context.Context, name string, qtype uint16) (*dns.Msg, error) {
	r.asked++
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), qtype)
	m := new(dns.Msg)
	m.SetReply(q)
	hdr := dns.RR_Header{Name: q.Question[0].Name, Rrtype: qtype, Class: dns.ClassINET, Ttl: 60}
	switch qtype {
	case dns.TypeTXT:
		m.Answer = append(m.Answer, &dns.TXT{Hdr: hdr, Txt: []string{r.record}})
	case dns.TypeA:
		m.Answer = append(m.Answer, &dns.A{Hdr: hdr, A: []byte{198, 51, 100, 1}})
	case dns.TypeMX:
		for i := range 10 {
			m.Answer = append(m.Answer, &dns.MX{Hdr: hdr, Preference: uint16(i), Mx: "mx.example."})
		}
	case dns.TypePTR:
		for range 10 {
			m.Answer = append(m.Answer, &dns.PTR{Hdr: hdr, Ptr: "ptr.example."})
		}
	}
	return m, nil
}

func (r *echoResolver) Addr() string { return "echo" }

// A hostile zone cannot make one check_host ask without bound.
func FuzzCheckHost(f *testing.F) {
	for _, s := range spfSeeds {
		f.Add(s)
	}
	f.Add("v=spf1 exists:%{p}%{p}%{p}%{p}%{p}.x.example mx mx mx ptr ptr include:a.example -all")
	f.Fuzz(func(t *testing.T, record string) {
		res := &echoResolver{record: record}
		out := SPFChecker{Resolver: res}.CheckHost(context.Background(), netip.MustParseAddr("192.0.2.1"), "d.example", "a@d.example", "h.example")
		if out.Result == "" || res.asked > 250 {
			t.Fatalf("dnsscan: check_host over %q: result %q after %d questions", record, out.Result, res.asked)
		}
	})
}
