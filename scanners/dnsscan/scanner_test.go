package dnsscan

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/vouchdev/vouch/internal/dnstest"
	"github.com/vouchdev/vouch/posture"
)

var fixedNow = time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)

// chunks splits s into strings of at most 255 bytes, quoted for a zone file.
func chunks(s string) string {
	var parts []string
	for len(s) > 255 {
		parts = append(parts, `"`+s[:255]+`"`)
		s = s[255:]
	}
	return strings.Join(append(parts, `"`+s+`"`), " ")
}

// mailZone is the zone most tests scan.
func mailZone(t *testing.T) string {
	testKeys(t)
	return `
reject.test.            TXT "v=spf1 ip4:192.0.2.1 -all"
reject.test.            TXT "google-site-verification=abc"
_dmarc.reject.test.     TXT "v=DMARC1; p=reject; sp=quarantine; pct=50; rua=mailto:d@reject.test,mailto:e@x.test!10m; ruf=mailto:f@reject.test; adkim=s; aspf=s; fo=1"
none.test.              TXT "v=spf1 include:_spf.none.test ~all"
_dmarc.none.test.       TXT "v=DMARC1; p=" "none"
missing.test.           TXT "not an spf record"
missing.test.           MX  10 mx.missing.test.
broken.test.            TXT "v=spf1 -all"
_dmarc.broken.test.     TXT "v=DMARC1; p=reject"
slow.test.              TXT "v=spf1 -all"
_dmarc.slow.test.       TXT "v=DMARC1; p=reject"
multi.test.             TXT "v=spf1 -all"
multi.test.             TXT "v=spf1 ~all"
_dmarc.multi.test.      TXT "v=DMARC1; p=reject"
_dmarc.multi.test.      TXT "v=DMARC1; p=none"
example.test.           TXT "v=spf1 -all"
_dmarc.example.test.    TXT "v=DMARC1; p=quarantine"
mail.example.test.      MX  10 mx.example.test.
vnf.test.               TXT "v=spf1 -all"
_dmarc.vnf.test.        TXT "p=reject; v=DMARC1"
bad.test.               TXT "v=spf1 -all"
_dmarc.bad.test.        TXT "v=DMARC1; p=block; pct=150"
esc.test.               TXT "v=spf1 \"q\" a\059b c\\d \195\169" " -all"
esc.test.               TXT "bin\200end"
mx.test.                MX  20 b.mx.test.
mx.test.                MX  10 A2.mx.test.
mx.test.                MX  10 a.mx.test.
nullmx.test.            MX  0 .
s2048._domainkey.dkim.test.  TXT "v=DKIM1; k=rsa; p=" ` + chunks(spki2048) + `
s1024._domainkey.dkim.test.  TXT "v=DKIM1; k=rsa; p=" ` + chunks(spki1024) + `
pk1._domainkey.dkim.test.    TXT "v=DKIM1; p=" ` + chunks(pkcs1024) + `
revoked._domainkey.dkim.test. TXT "v=DKIM1; k=rsa; p="
ed._domainkey.dkim.test.     TXT "v=DKIM1; k=ed25519; p=` + edRaw + `"
testing._domainkey.dkim.test. TXT "v=DKIM1; t=y; p=" ` + chunks(spki1024) + `
google._domainkey.dkim.test. TXT "v=DKIM1; p=" ` + chunks(spki2048) + `
selector1._domainkey.dkim.test. CNAME selector1-dkim._domainkey.provider.test.
selector1-dkim._domainkey.provider.test. TXT "v=DKIM1; p=" ` + chunks(spki1024) + `
k1._domainkey.dkim.test.     TXT "not a key"
`
}

func startMail(t *testing.T) *dnstest.Server {
	t.Helper()
	s, err := dnstest.Start("test", mailZone(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.ServFail("_dmarc.broken.test")
	s.Timeout("_dmarc.slow.test")
	return s
}

func scan(t *testing.T, res Resolver, domain string, selectors ...string) posture.DNSObservation {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sc := New(Options{Resolver: res, DKIMSelectors: selectors, Now: func() time.Time { return fixedNow }})
	snap := sc.Scan(ctx, posture.Target{Kind: posture.TargetMail, Address: domain})
	if len(snap.DNS) != 1 || len(snap.TLS)+len(snap.HTTP)+len(snap.WAF) != 0 {
		t.Fatalf("dnsscan: Scan(%s) returned %d DNS observations and others: %+v", domain, len(snap.DNS), snap)
	}
	checkEvidence(t, snap.DNS[0])
	return snap.DNS[0]
}

// checkEvidence asserts that evidence IDs are unique and that every lookup
// in the observation points at evidence it carries.
func checkEvidence(t *testing.T, o posture.DNSObservation) {
	t.Helper()
	ids := map[string]bool{}
	for _, e := range o.Evidence {
		if ids[e.ID] {
			t.Errorf("dnsscan: duplicate evidence ID %s", e.ID)
		}
		ids[e.ID] = true
		if e.Kind == posture.EvidenceHTTP && strings.HasPrefix(e.Data, "GET https://mta-sts.") ||
			e.Kind == posture.EvidenceText && strings.HasPrefix(e.Data, ";; check_host(") {
			continue
		}
		if e.Kind != posture.EvidenceDNS || !strings.HasPrefix(e.Data, ";; ") {
			t.Errorf("dnsscan: evidence %s: kind %s, data %q", e.ID, e.Kind, e.Data)
		}
	}
	if o.Missing != nil && o.Missing.Detail == "dnsscan: no resolver configured" {
		return
	}
	lookups := []*posture.Lookup{o.MX}
	if o.SPF != nil {
		lookups = append(lookups, &o.SPF.Lookup)
	}
	if o.DMARC != nil {
		lookups = append(lookups, &o.DMARC.Lookup)
	}
	for i := range o.DKIM {
		lookups = append(lookups, &o.DKIM[i].Lookup)
	}
	for _, lk := range lookups {
		if lk == nil || !ids[lk.Evidence] {
			t.Errorf("dnsscan: lookup %+v has no evidence in the observation", lk)
		}
	}
}

func TestScanDMARC(t *testing.T) {
	s := startMail(t)
	res := NewResolver(s.Addr, 300*time.Millisecond)
	for _, tc := range []struct {
		domain     string
		found      posture.Tri
		missing    posture.Reason
		lookupName string
		where      string
		policy     string
		valid      bool
		issues     []posture.Code
		records    int
	}{
		{"reject.test", posture.Yes, "", "_dmarc.reject.test", "reject.test", "reject", true, nil, 1},
		{"none.test", posture.Yes, "", "_dmarc.none.test", "none.test", "none", true, nil, 1},
		{"missing.test", posture.No, "", "_dmarc.missing.test", "", "", false, nil, 0},
		{"broken.test", posture.Unknown, posture.ReasonServFail, "_dmarc.broken.test", "", "", false, nil, 0},
		{"slow.test", posture.Unknown, posture.ReasonTimeout, "_dmarc.slow.test", "", "", false, nil, 0},
		{"multi.test", posture.Yes, "", "_dmarc.multi.test", "multi.test", "", false, []posture.Code{posture.CodeDMARCMultipleRecords}, 2},
		{"mail.example.test", posture.Yes, "", "_dmarc.example.test", "example.test", "quarantine", true, nil, 1},
		{"vnf.test", posture.Yes, "", "_dmarc.vnf.test", "", "", false, []posture.Code{posture.CodeDMARCVNotFirst}, 0},
		{"bad.test", posture.Yes, "", "_dmarc.bad.test", "bad.test", "", false, []posture.Code{posture.CodeDMARCPInvalid, posture.CodeDMARCPctInvalid}, 1},
		{"MAIL.Example.TEST.", posture.Yes, "", "_dmarc.example.test", "example.test", "quarantine", true, nil, 1},
	} {
		t.Run(tc.domain, func(t *testing.T) {
			start := time.Now()
			o := scan(t, res, tc.domain)
			if el := time.Since(start); el > 5*time.Second {
				t.Errorf("dnsscan: scan took %s", el)
			}
			if o.Missing != nil {
				t.Fatalf("dnsscan: observation Missing %v; want per-lookup results", o.Missing)
			}
			d := o.DMARC
			if d == nil {
				t.Fatal("dnsscan: no DMARC")
			}
			var reason posture.Reason
			if d.Lookup.Missing != nil {
				reason = d.Lookup.Missing.Reason
			}
			if d.Lookup.Found != tc.found || reason != tc.missing || d.Lookup.Name != tc.lookupName {
				t.Errorf("dnsscan: DMARC lookup %s found %s missing %q; want %s %s %q", d.Lookup.Name, d.Lookup.Found, reason, tc.lookupName, tc.found, tc.missing)
			}
			if d.Domain != tc.where || d.Policy != tc.policy || d.Valid != tc.valid || !slices.Equal(d.Issues, tc.issues) || len(d.Records) != tc.records {
				t.Errorf("dnsscan: DMARC = domain %q p %q valid %v issues %v records %q; want %q %q %v %v %d",
					d.Domain, d.Policy, d.Valid, d.Issues, d.Records, tc.where, tc.policy, tc.valid, tc.issues, tc.records)
			}
		})
	}

	// The details of one full record, and its evidence.
	o := scan(t, res, "reject.test")
	d := o.DMARC
	if d.SubdomainPolicy != "quarantine" || d.Percent != 50 || d.ADKIM != "s" || d.ASPF != "s" ||
		!slices.Equal(d.RUA, []string{"mailto:d@reject.test", "mailto:e@x.test!10m"}) || !slices.Equal(d.RUF, []string{"mailto:f@reject.test"}) {
		t.Errorf("dnsscan: DMARC details %+v", d)
	}
	if o.Source != s.Addr || o.Resolver != s.Addr || o.Domain != "reject.test" || o.Scanner != "dns" || !o.ObservedAt.Equal(fixedNow) {
		t.Errorf("dnsscan: header %+v", o.Observation)
	}
	wantID := "dns/reject.test/_dmarc.reject.test/TXT"
	if d.Lookup.Evidence != wantID || d.Lookup.RCode != "NOERROR" {
		t.Errorf("dnsscan: DMARC evidence %q rcode %q", d.Lookup.Evidence, d.Lookup.RCode)
	}
	wantData := ";; _dmarc.reject.test. TXT NOERROR via " + s.Addr + "\n" +
		"_dmarc.reject.test.\t300\tIN\tTXT\t\"v=DMARC1; p=reject; sp=quarantine; pct=50; rua=mailto:d@reject.test,mailto:e@x.test!10m; ruf=mailto:f@reject.test; adkim=s; aspf=s; fo=1\"\n"
	for _, e := range o.Evidence {
		if e.ID == wantID && e.Data != wantData {
			t.Errorf("dnsscan: evidence data\n%s\nwant\n%s", e.Data, wantData)
		}
	}
	if len(d.Lookup.Answers) != 1 || d.Lookup.Answers[0]+"\n" != strings.SplitN(wantData, "\n", 2)[1] {
		t.Errorf("dnsscan: answers %q", d.Lookup.Answers)
	}

	// Fallback evidence: both questions are in the observation, in order.
	o = scan(t, res, "mail.example.test")
	var ids []string
	for _, e := range o.Evidence {
		ids = append(ids, e.ID)
	}
	if !slices.Contains(ids, "dns/mail.example.test/_dmarc.mail.example.test/TXT") || !slices.Contains(ids, "dns/mail.example.test/_dmarc.example.test/TXT") {
		t.Errorf("dnsscan: fallback evidence IDs %q", ids)
	}
}

func TestScanSPFAndTXT(t *testing.T) {
	s := startMail(t)
	res := NewResolver(s.Addr, time.Second)
	for _, tc := range []struct {
		domain  string
		found   posture.Tri
		records []string
		all     string
	}{
		{"reject.test", posture.Yes, []string{"v=spf1 ip4:192.0.2.1 -all"}, "-"},
		{"none.test", posture.Yes, []string{"v=spf1 include:_spf.none.test ~all"}, "~"},
		{"missing.test", posture.Yes, nil, ""},
		{"multi.test", posture.Yes, []string{"v=spf1 -all", "v=spf1 ~all"}, ""},
		{"nothing.test", posture.No, nil, ""},
		{"esc.test", posture.Yes, []string{`v=spf1 "q" a;b c\d é -all`}, "-"},
	} {
		t.Run(tc.domain, func(t *testing.T) {
			o := scan(t, res, tc.domain)
			p := o.SPF
			if p == nil || p.Lookup.Found != tc.found || p.Lookup.Missing != nil || !slices.Equal(p.Records, tc.records) || p.All != tc.all {
				t.Errorf("dnsscan: SPF = %+v; want found %s records %q all %q", p, tc.found, tc.records, tc.all)
			}
		})
	}

	o := scan(t, res, "esc.test")
	if want := []string{`v=spf1 "q" a;b c\d é -all`, "bin\uFFFDend"}; !slices.Equal(o.SPF.Lookup.Values, want) {
		t.Errorf("dnsscan: TXT values %q, want %q", o.SPF.Lookup.Values, want)
	}
	// The evidence keeps the record as sent, escaped.
	if !strings.Contains(o.Evidence[0].Data, `"v=spf1 \"q\" a;b c\\d \195\169" " -all"`) {
		t.Errorf("dnsscan: evidence %q", o.Evidence[0].Data)
	}
	// Multi-string DMARC joins with no separator.
	if o := scan(t, res, "none.test"); !slices.Equal(o.DMARC.Records, []string{"v=DMARC1; p=none"}) {
		t.Errorf("dnsscan: joined DMARC %q", o.DMARC.Records)
	}

	// A domain that does not exist is observed as absent everywhere.
	o = scan(t, res, "nothing.test")
	if o.Missing != nil || o.SPF.Lookup.RCode != "NXDOMAIN" || o.DMARC.Lookup.Found != posture.No || o.MX.Found != posture.No {
		t.Errorf("dnsscan: nothing.test = %+v", o)
	}
}

func TestScanDKIM(t *testing.T) {
	s := startMail(t)
	res := NewResolver(s.Addr, time.Second)
	o := scan(t, res, "dkim.test", "s2048", "S1024", "pk1", "revoked", "ed", "testing", "absent", "s2048")
	type key struct {
		sel     string
		found   posture.Tri
		typ     string
		bits    int
		revoked bool
		testing bool
	}
	want := []key{
		{"s2048", posture.Yes, "rsa", 2048, false, false},
		{"s1024", posture.Yes, "rsa", 1024, false, false},
		{"pk1", posture.Yes, "rsa", 1024, false, false},
		{"revoked", posture.Yes, "rsa", 0, true, false},
		{"ed", posture.Yes, "ed25519", 256, false, false},
		{"testing", posture.Yes, "rsa", 1024, false, true},
		{"absent", posture.No, "", 0, false, false},
		// Discovered: found keys only; k1 holds no key, the rest nothing.
		{"google", posture.Yes, "rsa", 2048, false, false},
		{"selector1", posture.Yes, "rsa", 1024, false, false},
	}
	var got []key
	for _, k := range o.DKIM {
		got = append(got, key{k.Selector, k.Lookup.Found, k.KeyType, k.KeyBits, k.Revoked, k.Testing})
		if k.Lookup.Missing != nil {
			t.Errorf("dnsscan: DKIM %s missing %v", k.Selector, k.Lookup.Missing)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("dnsscan: DKIM keys\n got %+v\nwant %+v", got, want)
	}
	// The CNAME was followed: both records are in the answers.
	for _, k := range o.DKIM {
		if k.Selector == "selector1" && (len(k.Lookup.Answers) != 2 || k.Lookup.Name != "selector1._domainkey.dkim.test") {
			t.Errorf("dnsscan: CNAME lookup %+v", k.Lookup)
		}
	}
	// Every selector asked is in the evidence, found or not.
	if len(o.Evidence) != 8+7+len(commonDKIMSelectors) { // SPF, DMARC, MX, MTA-STS, TLS-RPT, CAA at dkim.test and test, DNSKEY
		t.Errorf("dnsscan: %d evidence items", len(o.Evidence))
	}
}

func TestScanMX(t *testing.T) {
	s := startMail(t)
	res := NewResolver(s.Addr, time.Second)
	for _, tc := range []struct {
		domain string
		found  posture.Tri
		values []string
	}{
		{"mx.test", posture.Yes, []string{"a.mx.test", "a2.mx.test", "b.mx.test"}},
		{"nullmx.test", posture.Yes, []string{"."}},
		{"reject.test", posture.No, nil},
	} {
		o := scan(t, res, tc.domain)
		if o.MX == nil || o.MX.Found != tc.found || !slices.Equal(o.MX.Values, tc.values) || o.MX.Type != "MX" {
			t.Errorf("dnsscan: MX of %s = %+v; want %s %q", tc.domain, o.MX, tc.found, tc.values)
		}
	}
}

// handlerServer serves h over UDP and TCP on one 127.0.0.1 port.
func handlerServer(t *testing.T, h dns.HandlerFunc) string {
	t.Helper()
	var pc net.PacketConn
	var ln net.Listener
	var err error
	for range 20 {
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	udp, tcp := &dns.Server{PacketConn: pc, Handler: h}, &dns.Server{Listener: ln, Handler: h}
	started := make(chan struct{}, 2)
	udp.NotifyStartedFunc = func() { started <- struct{}{} }
	tcp.NotifyStartedFunc = func() { started <- struct{}{} }
	go udp.ActivateAndServe()
	go tcp.ActivateAndServe()
	<-started
	<-started
	t.Cleanup(func() { udp.Shutdown(); tcp.Shutdown() })
	return pc.LocalAddr().String()
}

func TestTruncatedRetriesOverTCP(t *testing.T) {
	var udpQ, tcpQ atomic.Int32
	addr := handlerServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		if w.RemoteAddr().Network() == "udp" {
			udpQ.Add(1)
			m.Truncated = true
			w.WriteMsg(m)
			return
		}
		tcpQ.Add(1)
		if r.Question[0].Qtype == dns.TypeTXT && r.Question[0].Name == "big.test." {
			for i := range 30 {
				m.Answer = append(m.Answer, &dns.TXT{
					Hdr: dns.RR_Header{Name: "big.test.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60},
					Txt: []string{fmt.Sprintf("record %02d %s", i, strings.Repeat("x", 60))},
				})
			}
		}
		w.WriteMsg(m)
	})
	o := scan(t, NewResolver(addr, time.Second), "big.test")
	if o.SPF.Lookup.Found != posture.Yes || len(o.SPF.Lookup.Values) != 30 || o.SPF.Lookup.Values[29] != "record 29 "+strings.Repeat("x", 60) {
		t.Errorf("dnsscan: truncated answer not completed over TCP: %d values, %+v", len(o.SPF.Lookup.Values), o.SPF.Lookup.Missing)
	}
	if udpQ.Load() == 0 || tcpQ.Load() != udpQ.Load() {
		t.Errorf("dnsscan: %d UDP and %d TCP queries; want every truncated UDP reply retried over TCP", udpQ.Load(), tcpQ.Load())
	}

	// A big answer the server sends whole over UDP (dnstest does not set
	// TC) is read whole.
	var zone strings.Builder
	for i := range 30 {
		fmt.Fprintf(&zone, "big.test. TXT \"record %02d %s\"\n", i, strings.Repeat("y", 60))
	}
	s, err := dnstest.Start("test", zone.String())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := NewResolver(s.Addr, time.Second).Exchange(context.Background(), "BIG.test", dns.TypeTXT)
	if err != nil || len(r.Answer) != 30 {
		t.Fatalf("dnsscan: big UDP answer: %v, %v", r, err)
	}
	if n := r.Len(); n <= 512 {
		t.Fatalf("dnsscan: answer of %d bytes does not exceed 512", n)
	}
}

func TestResolverFailures(t *testing.T) {
	t.Run("refused connection", func(t *testing.T) {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := pc.LocalAddr().String()
		pc.Close()
		o := scan(t, NewResolver(addr, time.Second), "example.test", "s1")
		if o.Missing == nil || o.Missing.Reason != posture.ReasonRefused {
			t.Fatalf("dnsscan: observation Missing %v; want refused", o.Missing)
		}
		if o.SPF.Lookup.Missing == nil || o.SPF.Lookup.Found != posture.Unknown || o.DKIM[0].Lookup.Missing.Reason != posture.ReasonRefused {
			t.Errorf("dnsscan: per-lookup results %+v", o)
		}
	})
	t.Run("rcodes", func(t *testing.T) {
		addr := handlerServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg)
			switch {
			case strings.HasPrefix(r.Question[0].Name, "_dmarc."):
				m.SetRcode(r, dns.RcodeRefused)
			case r.Question[0].Qtype == dns.TypeMX:
				m.SetRcode(r, dns.RcodeFormatError)
			default:
				m.SetRcode(r, dns.RcodeNameError)
			}
			w.WriteMsg(m)
		})
		o := scan(t, NewResolver(addr, time.Second), "example.test")
		if o.Missing != nil {
			t.Errorf("dnsscan: observation Missing %v", o.Missing)
		}
		if m := o.DMARC.Lookup.Missing; m == nil || m.Reason != posture.ReasonDNSError || o.DMARC.Lookup.RCode != "REFUSED" {
			t.Errorf("dnsscan: REFUSED → %+v", o.DMARC.Lookup)
		}
		if m := o.MX.Missing; m == nil || m.Reason != posture.ReasonDNSError || o.MX.RCode != "FORMERR" {
			t.Errorf("dnsscan: FORMERR → %+v", o.MX)
		}
		if o.SPF.Lookup.Found != posture.No || o.SPF.Lookup.Missing != nil {
			t.Errorf("dnsscan: NXDOMAIN → %+v", o.SPF.Lookup)
		}
	})
	t.Run("all fail", func(t *testing.T) {
		addr := handlerServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg)
			m.SetRcode(r, dns.RcodeServerFailure)
			w.WriteMsg(m)
		})
		o := scan(t, NewResolver(addr, time.Second), "example.test")
		if o.Missing == nil || o.Missing.Reason != posture.ReasonServFail {
			t.Errorf("dnsscan: observation Missing %v; want servfail", o.Missing)
		}
	})
	t.Run("malformed and stray replies", func(t *testing.T) {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		go func() {
			buf := make([]byte, 2048)
			for {
				n, from, err := pc.ReadFrom(buf)
				if err != nil {
					return
				}
				q := new(dns.Msg)
				if q.Unpack(buf[:n]) != nil {
					continue
				}
				if q.Question[0].Name == "stray.test." {
					// First a reply to someone else, then garbage from
					// someone else, then the real one.
					m := new(dns.Msg)
					m.SetReply(q)
					m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: "stray.test.", Rrtype: dns.TypeTXT, Class: dns.ClassINET}, Txt: []string{"spoofed"}})
					m.Id = q.Id + 1
					b, _ := m.Pack()
					pc.WriteTo(b, from)
					pc.WriteTo([]byte{byte((q.Id + 2) >> 8), byte(q.Id + 2), 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0}, from)
					m.Id = q.Id
					m.Answer[0].(*dns.TXT).Txt = []string{"real"}
					b, _ = m.Pack()
					pc.WriteTo(b, from)
					continue
				}
				// A reply whose question name is a compression pointer
				// to itself.
				pc.WriteTo([]byte{buf[0], buf[1], 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 16, 0, 1}, from)
			}
		}()
		res := NewResolver(pc.LocalAddr().String(), time.Second)
		r, err := res.Exchange(context.Background(), "stray.test", dns.TypeTXT)
		if err != nil || len(r.Answer) != 1 || r.Answer[0].(*dns.TXT).Txt[0] != "real" {
			t.Errorf("dnsscan: stray replies: %v, %v", r, err)
		}
		o := scan(t, res, "example.test")
		if o.Missing == nil || o.Missing.Reason != posture.ReasonProtocolError {
			t.Errorf("dnsscan: observation Missing %v; want protocol_error", o.Missing)
		}
	})
}

func TestScanBoundedByContext(t *testing.T) {
	addr := handlerServer(t, func(w dns.ResponseWriter, r *dns.Msg) {}) // never answers
	sc := New(Options{Resolver: NewResolver(addr, time.Minute), Now: func() time.Time { return fixedNow }})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	snap := sc.Scan(ctx, posture.Target{Kind: posture.TargetMail, Address: "example.test"})
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("dnsscan: Scan took %s with a 300ms context", el)
	}
	o := snap.DNS[0]
	if o.Missing == nil || o.Missing.Reason != posture.ReasonTimeout {
		t.Errorf("dnsscan: observation Missing %v; want timeout", o.Missing)
	}

	// A cancelled scan says so, and does not call it a timeout.
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start = time.Now()
	snap = sc.Scan(ctx, posture.Target{Kind: posture.TargetMail, Address: "example.test"})
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("dnsscan: cancelled Scan took %s", el)
	}
	if o := snap.DNS[0]; o.Missing == nil || o.Missing.Reason != posture.ReasonError {
		t.Errorf("dnsscan: cancelled scan Missing %v; want error", o.Missing)
	}
}

func TestScannerBasics(t *testing.T) {
	sc := New(Options{})
	if sc.Name() != "dns" || !sc.Accepts(posture.TargetMail) || sc.Accepts(posture.TargetWeb) {
		t.Errorf("dnsscan: Name %q, Accepts mail %v web %v", sc.Name(), sc.Accepts(posture.TargetMail), sc.Accepts(posture.TargetWeb))
	}
	snap := sc.Scan(context.Background(), posture.Target{Kind: posture.TargetMail, Address: "example.test"})
	if o := snap.DNS[0]; o.Missing == nil || o.Missing.Reason != posture.ReasonError || o.Domain != "example.test" {
		t.Errorf("dnsscan: Scan without resolver = %+v", o)
	}
	s := startMail(t)
	before := s.Queries()
	snap = New(Options{Resolver: NewResolver(s.Addr, time.Second)}).Scan(context.Background(), posture.Target{Kind: posture.TargetMail, Address: "bad name.test"})
	if o := snap.DNS[0]; o.Missing == nil || o.Missing.Reason != posture.ReasonError || s.Queries() != before {
		t.Errorf("dnsscan: Scan of a bad name = %+v, %d queries", o, s.Queries()-before)
	}
}

// A reply that is truncated over TCP too is a part of an answer: its
// empty answer section is not "no record".
func TestTruncatedOverTCPIsNotAbsence(t *testing.T) {
	addr := handlerServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Truncated = true
		w.WriteMsg(m)
	})
	o := scan(t, NewResolver(addr, time.Second), "cut.test")
	if o.SPF.Lookup.Found == posture.No || o.SPF.Lookup.Missing == nil {
		t.Errorf("dnsscan: truncated TCP reply read as %s (missing %v); want unknown", o.SPF.Lookup.Found, o.SPF.Lookup.Missing)
	}
	if o.DMARC.Lookup.Missing == nil || o.CAA.Lookup.Missing == nil {
		t.Errorf("dnsscan: truncated TCP reply read as an answer: DMARC %+v CAA %+v", o.DMARC.Lookup, o.CAA.Lookup)
	}
}

// A referral (no answer, not authoritative, NS records in the authority
// section) comes from a server that does not answer for the name: it is
// not "no record".
func TestReferralIsNotAbsence(t *testing.T) {
	addr := handlerServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Ns = append(m.Ns, &dns.NS{Hdr: dns.RR_Header{Name: "test.", Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: 60}, Ns: "ns.elsewhere."})
		w.WriteMsg(m)
	})
	o := scan(t, NewResolver(addr, time.Second), "ref.test")
	if o.SPF.Lookup.Found == posture.No || o.SPF.Lookup.Missing == nil || o.SPF.Lookup.Missing.Reason != posture.ReasonDNSError {
		t.Errorf("dnsscan: referral read as %s (missing %v); want unknown, dns_error", o.SPF.Lookup.Found, o.SPF.Lookup.Missing)
	}
	// check_host gets no answer either: temperror, not none.
	c := SPFChecker{Resolver: NewResolver(addr, time.Second)}
	if r := c.CheckHost(context.Background(), netip.MustParseAddr("192.0.2.1"), "ref.test", "", "ref.test"); r.Result != SPFTempError {
		t.Errorf("dnsscan: check_host through a referral = %s (%s), want temperror", r.Result, r.Reason)
	}
}

// A CNAME loop ends, bounded, as not observed (never "no record"), both
// when one reply holds the loop and when the server answers one hop at a
// time.
func TestCNAMELoop(t *testing.T) {
	s, err := dnstest.Start("test", `
_dmarc.loop.test.  CNAME a.loop.test.
a.loop.test.       CNAME b.loop.test.
b.loop.test.       CNAME a.loop.test.
loop.test.         TXT "v=spf1 -all"
`)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	before := s.Queries()
	o := scan(t, NewResolver(s.Addr, time.Second), "loop.test")
	if l := o.DMARC.Lookup; l.Missing == nil || l.Found == posture.No {
		t.Errorf("dnsscan: CNAME loop read as %s (missing %v)", l.Found, l.Missing)
	}
	if n := s.Queries() - before; n > 200 {
		t.Errorf("dnsscan: %d queries for one scan with a CNAME loop", n)
	}
}

// A CNAME chain that loops within one reply (a name pointing to itself,
// x→y→x) or runs past maxCNAMEHops is no answer (RFC 1034 §3.6.2), so
// the record is not observed; it is never read as NODATA ("publishes no
// DMARC record"). A chain that ends is followed to its records.
func TestCNAMELoopInOneReply(t *testing.T) {
	cname := func(from, to string) dns.RR {
		return &dns.CNAME{Hdr: dns.RR_Header{Name: from, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 60}, Target: to}
	}
	txt := func(name, v string) dns.RR {
		return &dns.TXT{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: []string{v}}
	}
	long := func(q string) []dns.RR {
		var rrs []dns.RR
		cur := q
		for i := range maxCNAMEHops + 2 {
			next := fmt.Sprintf("h%d.long.test.", i)
			rrs = append(rrs, cname(cur, next))
			cur = next
		}
		return append(rrs, txt(cur, "v=DMARC1; p=reject"))
	}
	tests := []struct {
		name   string
		answer func(q string) []dns.RR
		found  posture.Tri
	}{
		{"points to itself", func(q string) []dns.RR { return []dns.RR{cname(q, q)} }, posture.Unknown},
		{"points to itself, other case", func(q string) []dns.RR { return []dns.RR{cname(q, strings.ToUpper(q))} }, posture.Unknown},
		{"x→y→x", func(q string) []dns.RR {
			return []dns.RR{cname(q, "y.loop.test."), cname("y.loop.test.", q)}
		}, posture.Unknown},
		{"longer than maxCNAMEHops", long, posture.Unknown},
		{"x→y, y has the record", func(q string) []dns.RR {
			return []dns.RR{cname(q, "y.ok.test."), txt("y.ok.test.", "v=DMARC1; p=reject")}
		}, posture.Yes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := handlerServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
				m := new(dns.Msg)
				m.SetReply(r)
				m.Authoritative = true
				q := r.Question[0]
				if q.Qtype == dns.TypeTXT && strings.EqualFold(q.Name, "_dmarc.cname.test.") {
					m.Answer = tt.answer(q.Name)
				}
				w.WriteMsg(m)
			})
			o := scan(t, NewResolver(addr, time.Second), "cname.test")
			l := o.DMARC.Lookup
			if l.Found != tt.found {
				t.Fatalf("dnsscan: %s: found %s (missing %v), want %s", tt.name, l.Found, l.Missing, tt.found)
			}
			if tt.found == posture.Unknown && (l.Missing == nil || l.Missing.Reason != posture.ReasonDNSError || !strings.Contains(l.Missing.Detail, "CNAME")) {
				t.Errorf("dnsscan: %s: missing %+v, want a dns_error naming the CNAME chain", tt.name, l.Missing)
			}
		})
	}
}
