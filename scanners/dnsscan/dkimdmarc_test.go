package dnsscan

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/dnstest"
	"github.com/vouchdev/vouch/posture"
)

// spki512 is a 512-bit RSA public key (a made-up modulus: verifiers only
// read its length), base64 SubjectPublicKeyInfo.
func spki512(t *testing.T) string {
	t.Helper()
	n := new(big.Int).Lsh(big.NewInt(1), 511)
	n.Add(n, big.NewInt(12345))
	der, err := x509.MarshalPKIXPublicKey(&rsa.PublicKey{N: n, E: 65537})
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

func TestScanDKIMIssues(t *testing.T) {
	testKeys(t)
	s, err := dnstest.Start("test", `
good._domainkey.k.test.    TXT "v=DKIM1; h=sha256; p=" `+chunks(spki2048)+`
both._domainkey.k.test.    TXT "v=DKIM1; h=sha1:sha256; p=" `+chunks(spki2048)+`
sha1._domainkey.k.test.    TXT "v=DKIM1; h=sha1; p=" `+chunks(spki2048)+`
odd._domainkey.k.test.     TXT "v=DKIM1; h=md5; p=" `+chunks(spki2048)+`
short._domainkey.k.test.   TXT "v=DKIM1; p=" `+chunks(spki1024)+`
tiny._domainkey.k.test.    TXT "v=DKIM1; p=`+spki512(t)+`"
gone._domainkey.k.test.    TXT "v=DKIM1; p="
trial._domainkey.k.test.   TXT "v=DKIM1; t=y:s; p=" `+chunks(spki2048)+`
ed._domainkey.k.test.      TXT "v=DKIM1; k=ed25519; p=`+edRaw+`"
`)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	o := scan(t, NewResolver(s.Addr, time.Second), "k.test", "good", "both", "sha1", "odd", "short", "tiny", "gone", "trial", "ed")
	want := map[string]struct {
		bits   int
		hashes []string
		issues []posture.Code
	}{
		"good": {2048, []string{"sha256"}, nil},
		"both": {2048, []string{"sha1", "sha256"}, nil},
		"sha1": {2048, []string{"sha1"}, []posture.Code{posture.CodeDKIMSHA1Only}},
		"odd":  {2048, []string{"md5"}, []posture.Code{posture.CodeDKIMHUnknown}},
		// Short RSA keys carry no issue: the scanner records type and
		// size, and email.dkim judges them against its min_bits.
		"short": {1024, nil, nil},
		"tiny":  {512, nil, nil},
		"gone":  {0, nil, []posture.Code{posture.CodeDKIMRevoked}},
		"trial": {2048, nil, []posture.Code{posture.CodeDKIMTesting}},
		"ed":    {256, nil, nil},
	}
	got := 0
	for _, k := range o.DKIM {
		w, ok := want[k.Selector]
		if !ok {
			continue
		}
		got++
		if k.KeyBits != w.bits || !slices.Equal(k.Hashes, w.hashes) || !slices.Equal(k.Issues, w.issues) ||
			(k.Selector != "ed" && k.Selector != "gone" && k.KeyType != "rsa") {
			t.Errorf("dnsscan: DKIM %s: %s bits %d hashes %v issues %v; want %d %v %v", k.Selector, k.KeyType, k.KeyBits, k.Hashes, k.Issues, w.bits, w.hashes, w.issues)
		}
	}
	if got != len(want) {
		t.Errorf("dnsscan: %d of %d selectors reported: %+v", got, len(want), o.DKIM)
	}
}

func TestScanDMARCReportAuthorisation(t *testing.T) {
	s, err := dnstest.Start("test", `
_dmarc.ext.test.   TXT "v=DMARC1; p=reject; sp=quarantine; np=reject; rua=mailto:d@ext.test,mailto:agg@reports.example!10m,mailto:x@noauth.example; ruf=mailto:f@sub.ext.test,mailto:f@slow.example,https://r.example/x"
ext.test._report._dmarc.reports.example. TXT "v=DMARC1"
ext.test._report._dmarc.noauth.example.  TXT "v=spf1 -all"
mail.ext.test.     MX  10 mx.ext.test.
_dmarc.part.test.  TXT "v=DMARC1; p=reject; pct=50"
_dmarc.weaksp.test. TXT "v=DMARC1; p=reject; sp=none"
_dmarc.mon.test.   TXT "v=DMARC1; p=none"
_dmarc.strong.test. TXT "v=DMARC1; p=quarantine; np=quarantine"
`)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.Timeout("ext.test._report._dmarc.slow.example")
	res := NewResolver(s.Addr, 300*time.Millisecond)
	for _, domain := range []string{"ext.test", "mail.ext.test"} {
		o := scan(t, res, domain)
		d := o.DMARC
		if d.NonExistentPolicy != "reject" || d.Strength != "enforcing" {
			t.Errorf("dnsscan: %s np %q strength %q", domain, d.NonExistentPolicy, d.Strength)
		}
		type dest struct {
			tag, domain string
			external    bool
			auth        posture.Tri
		}
		var got []dest
		for _, r := range d.ReportDestinations {
			got = append(got, dest{r.Tag, r.Domain, r.External, r.Authorized})
			if r.External && r.Lookup != "dns/"+domain+"/ext.test._report._dmarc."+r.Domain+"/TXT" {
				t.Errorf("dnsscan: %s: authorisation lookup %q", domain, r.Lookup)
			}
		}
		want := []dest{
			{"rua", "ext.test", false, ""},
			{"rua", "reports.example", true, posture.Yes},
			{"rua", "noauth.example", true, posture.No},
			{"ruf", "sub.ext.test", false, ""},
			{"ruf", "slow.example", true, posture.Unknown},
		}
		if !slices.Equal(got, want) {
			t.Errorf("dnsscan: %s: report destinations\n got %+v\nwant %+v", domain, got, want)
		}
	}
	for domain, strength := range map[string]string{"part.test": "partial", "weaksp.test": "partial", "mon.test": "monitoring", "strong.test": "enforcing"} {
		if d := scan(t, res, domain).DMARC; d.Strength != strength {
			t.Errorf("dnsscan: %s strength %q, want %q", domain, d.Strength, strength)
		}
	}
}
