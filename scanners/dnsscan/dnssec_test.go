package dnsscan

import (
	"context"
	"crypto"
	"fmt"
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
			// DS is asked only of a zone with a signed DNSKEY set.
			if (d.DS != nil) != (tc.signed == posture.Yes) {
				t.Errorf("dnsscan: DS lookup %+v for a zone signed %s", d.DS, tc.signed)
			}
		})
	}

	// The DNSKEY evidence shows the flags and the RRSIG.
	o := scan(t, res, "signed.test")
	// This server holds signed.test but not its parent: its DS answer
	// (no data, with signed.test's own SOA) is not the parent's.
	if d := o.DNSSEC; d.HasDS != posture.Unknown || d.DSMatches != posture.Unknown || d.DS == nil || d.DS.Missing == nil ||
		d.DS.Missing.Reason != posture.ReasonDNSError || !strings.Contains(d.DS.Missing.Detail, "not from its parent") {
		t.Errorf("dnsscan: DS answered by the child only: has %s matches %s lookup %+v", d.HasDS, d.DSMatches, d.DS)
	}
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
	var r DNSSECResolver = NewResolver(srv.PacketConn.LocalAddr().String(), time.Second)
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

// signedSet returns zone-file lines for origin with n fresh ECDSA P-256
// keys (flags 257) and an RRSIG over the whole set by the first key only,
// and the keys.
func signedSet(t *testing.T, origin string, n int, now time.Time) (string, []*dns.DNSKEY) {
	t.Helper()
	var keys []*dns.DNSKEY
	var rrset []dns.RR
	var first crypto.Signer
	for i := range n {
		k := &dns.DNSKEY{Hdr: dns.RR_Header{Name: origin, Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 3600},
			Flags: 257, Protocol: 3, Algorithm: dns.ECDSAP256SHA256}
		priv, err := k.Generate(256)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = priv.(crypto.Signer)
		}
		keys = append(keys, k)
		rrset = append(rrset, k)
	}
	sig := &dns.RRSIG{Hdr: dns.RR_Header{Name: origin, Rrtype: dns.TypeRRSIG, Class: dns.ClassINET, Ttl: 3600},
		Algorithm: dns.ECDSAP256SHA256, SignerName: origin, KeyTag: keys[0].KeyTag(),
		Inception: uint32(now.Add(-time.Hour).Unix()), Expiration: uint32(now.Add(24 * time.Hour).Unix())}
	if err := sig.Sign(first, rrset); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, rr := range rrset {
		b.WriteString(rr.String() + "\n")
	}
	b.WriteString(sig.String() + "\n")
	return b.String(), keys
}

// dsFailResolver fails every DS question with a timeout.
type dsFailResolver struct{ DNSSECResolver }

func (r dsFailResolver) ExchangeDNSSEC(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	if qtype == dns.TypeDS {
		return nil, fmt.Errorf("read udp: %w", context.DeadlineExceeded)
	}
	return r.DNSSECResolver.ExchangeDNSSEC(ctx, name, qtype)
}

// The DS set at the parent: whether there is one, and whether one DS
// matches a DNSKEY of the zone that signs its DNSKEY set.
func TestScanDNSSECDS(t *testing.T) {
	now := fixedNow
	ds := func(rr *dns.DS) string { return rr.String() + "\n" }
	good, goodKeys := signedSet(t, "good.ds.test.", 1, now)
	nods, _ := signedSet(t, "nods.ds.test.", 1, now)
	wrong, _ := signedSet(t, "wrong.ds.test.", 1, now)
	_, otherKeys := signedSet(t, "wrong.ds.test.", 1, now)
	twokeys, twoKeys := signedSet(t, "twokeys.ds.test.", 2, now)
	gost, gostKeys := signedSet(t, "gost.ds.test.", 1, now)
	multi, multiKeys := signedSet(t, "multi.ds.test.", 1, now)
	// A SHA-1 DS that matches beside a SHA-256 one that does not: the
	// SHA-1 one is ignored (RFC 4509 §3).
	sha1, sha1Keys := signedSet(t, "sha1.ds.test.", 1, now)
	wrongSHA256 := otherKeys[0].ToDS(dns.SHA256)
	wrongSHA256.Hdr.Name, wrongSHA256.KeyTag = "sha1.ds.test.", sha1Keys[0].KeyTag()
	wrongSHA1 := otherKeys[0].ToDS(dns.SHA1)
	wrongSHA1.Hdr.Name, wrongSHA1.KeyTag = "multi.ds.test.", multiKeys[0].KeyTag()
	gostDS := &dns.DS{Hdr: dns.RR_Header{Name: "gost.ds.test.", Rrtype: dns.TypeDS, Class: dns.ClassINET, Ttl: 300},
		KeyTag: gostKeys[0].KeyTag(), Algorithm: gostKeys[0].Algorithm, DigestType: dns.GOST94, Digest: strings.Repeat("ab", 32)}
	otherDS := otherKeys[0].ToDS(dns.SHA256)
	// A DS from the dnstest helper, for the key SignedKeys made.
	viaHelper, err := dnstest.SignedKeys("helper.ds.test", now)
	if err != nil {
		t.Fatal(err)
	}
	helperDS, err := dnstest.DSFor(viaHelper)
	if err != nil {
		t.Fatal(err)
	}
	s, err := dnstest.Start("ds.test", "@ SOA ns.ds.test. h.ds.test. 1 3600 600 86400 300\n"+
		good+ds(goodKeys[0].ToDS(dns.SHA256))+
		nods+
		wrong+ds(otherDS)+
		twokeys+ds(twoKeys[1].ToDS(dns.SHA256))+
		gost+ds(gostDS)+
		multi+ds(wrongSHA1)+ds(multiKeys[0].ToDS(dns.SHA384))+
		sha1+ds(sha1Keys[0].ToDS(dns.SHA1))+ds(wrongSHA256)+
		viaHelper+helperDS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	res := NewResolver(s.Addr, 300*time.Millisecond)

	for _, tc := range []struct {
		domain       string
		has, matches posture.Tri
		found        posture.Tri
		missing      posture.Reason
		detail       string
		res          Resolver
	}{
		{"good.ds.test", posture.Yes, posture.Yes, posture.Yes, "", "SHA256 matches the DNSKEY", res},
		{"helper.ds.test", posture.Yes, posture.Yes, posture.Yes, "", "matches the DNSKEY", res},
		{"multi.ds.test", posture.Yes, posture.Yes, posture.Yes, "", "SHA384 matches the DNSKEY", res},
		{"sha1.ds.test", posture.Yes, posture.No, posture.Yes, "", "SHA-1 DS records are ignored", res},
		{"nods.ds.test", posture.No, posture.Unknown, posture.No, "", "publishes no DS record", res},
		{"wrong.ds.test", posture.Yes, posture.No, posture.Yes, "", fmt.Sprintf("no DS record (key tag %d ECDSAP256SHA256 SHA256) matches", otherDS.KeyTag), res},
		{"twokeys.ds.test", posture.Yes, posture.No, posture.Yes, "", fmt.Sprintf("match the DNSKEY %d, which signs no verifying RRSIG", twoKeys[1].KeyTag()), res},
		{"gost.ds.test", posture.Yes, posture.Unknown, posture.Yes, "", "digest types not computed: GOST94", res},
		{"good.ds.test", posture.Unknown, posture.Unknown, posture.Unknown, posture.ReasonTimeout, "", dsFailResolver{res}},
	} {
		t.Run(tc.domain, func(t *testing.T) {
			d := scan(t, tc.res, tc.domain).DNSSEC
			if d == nil || d.Signed != posture.Yes || d.SignaturesValid != posture.Yes || d.Missing != nil {
				t.Fatalf("dnsscan: DNSSEC %+v, want signed with a valid RRSIG", d)
			}
			if d.DS == nil {
				t.Fatal("dnsscan: no DS lookup")
			}
			var reason posture.Reason
			if d.DS.Missing != nil {
				reason = d.DS.Missing.Reason
			}
			if d.HasDS != tc.has || d.DSMatches != tc.matches || d.DS.Found != tc.found || reason != tc.missing ||
				d.DS.Name != tc.domain || d.DS.Type != "DS" || !strings.Contains(d.DSDetail, tc.detail) {
				t.Errorf("dnsscan: has DS %s matches %s detail %q lookup %+v\nwant %s %s found %s missing %q detail ~%q",
					d.HasDS, d.DSMatches, d.DSDetail, d.DS, tc.has, tc.matches, tc.found, tc.missing, tc.detail)
			}
		})
	}

	// The DS evidence is in the observation, with the parent's SOA when
	// there is no DS.
	o := scan(t, res, "nods.ds.test")
	found := false
	for _, e := range o.Evidence {
		if e.ID == o.DNSSEC.DS.Evidence {
			found = true
			if !strings.Contains(e.Data, "nods.ds.test. DS NOERROR") || !strings.Contains(e.Data, "ds.test.\t300\tIN\tSOA") {
				t.Errorf("dnsscan: DS evidence %q", e.Data)
			}
		}
	}
	if !found {
		t.Errorf("dnsscan: no DS evidence %s", o.DNSSEC.DS.Evidence)
	}
}
